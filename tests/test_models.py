"""seglab assign never unpickles an unverified model (issue 13, finding 2).

A crafted model.joblib placed in a copied run folder used to run its code before
``seglab assign`` failed. Now a model is opened only when its HMAC signature verifies
with the key of the project where the run folder lies, and its SHA-256 matches the
run's manifest; anything else exits 2 with one line and runs nothing.
"""

import json
import pickle
import shutil
from pathlib import Path

import pytest
from seglab import cli
from seglab.errors import SeglabError
from seglab.io import models
from seglab.io.privacy import SECRET_ENV, SECRET_FILE


class Exploit:
    """Unpickling this creates a file: the stand-in for os.system in a crafted model."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_signed_model_loads_and_any_change_is_refused(tmp_path):
    path = tmp_path / "model.joblib"
    digest = models.save_model({"k": 3}, path, b"key-1")
    assert models.load_model(path, b"key-1", expected_sha256=digest) == {"k": 3}
    with pytest.raises(SeglabError, match="another project"):
        models.load_model(path, b"key-2")
    with pytest.raises(SeglabError, match="changed after the run saved it"):
        models.load_model(path, b"key-1", expected_sha256="0" * 64)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(SeglabError, match="changed after the run saved it"):
        models.load_model(path, b"key-1")


def _crafted(path: Path, marker: Path) -> None:
    path.write_bytes(pickle.dumps(Exploit(marker)))


@pytest.mark.parametrize("signature", ["none", "forged_other_key", "copied_from_genuine", "garbage"])
def test_a_crafted_model_is_never_unpickled(tmp_path, signature):
    path, marker = tmp_path / "model.joblib", tmp_path / "pwned"
    genuine = tmp_path / "genuine.joblib"
    models.save_model({"k": 3}, genuine, b"project-key")
    _crafted(path, marker)
    if signature == "forged_other_key":
        sig = {"algorithm": "HMAC-SHA256", "sha256": models.hashlib.sha256(path.read_bytes()).hexdigest(),
               "signature": models._sign(path.read_bytes(), b"attacker-key")}
        models.signature_path(path).write_text(json.dumps(sig))
    elif signature == "copied_from_genuine":
        shutil.copy(models.signature_path(genuine), models.signature_path(path))
    elif signature == "garbage":
        models.signature_path(path).write_text("not json")
    with pytest.raises(SeglabError) as err:
        models.load_model(path, b"project-key")
    message = str(err.value)
    assert "\n" not in message and ("not opened" in message or "signature" in message), message
    assert not marker.exists(), "the crafted pickle ran"


def _copied_run(tmp_path: Path, marker: Path, *, key_file: bool, forge_with: bytes | None) -> Path:
    """A run folder as an attacker would hand it over: params and JSON beside a crafted model."""
    run = tmp_path / "project" / "reports" / "demo" / "20260101-000000"
    run.mkdir(parents=True)
    (run / "params.yaml").write_text("run_name: demo\ndata: {customers: c.csv}\n", encoding="utf-8")
    (run / "features.json").write_text("{}", encoding="utf-8")
    _crafted(run / "model.joblib", marker)
    if forge_with is not None:
        data = (run / "model.joblib").read_bytes()
        sig = {"algorithm": "HMAC-SHA256", "sha256": models.hashlib.sha256(data).hexdigest(),
               "signature": models._sign(data, forge_with)}
        models.signature_path(run / "model.joblib").write_text(json.dumps(sig))
        # the attacker even ships a key file where the copied params would point
        (run / SECRET_FILE).write_text(forge_with.decode() + "\n")
    if key_file:
        (tmp_path / "project" / SECRET_FILE).write_text("the-analysts-own-key\n")
    (tmp_path / "c.csv").write_text("customer_id\n1\n")
    return run


@pytest.mark.parametrize("forge_with, key_file", [(None, True), (b"attacker-key", True), (b"attacker-key", False)])
def test_seglab_assign_exits_2_in_one_line_and_runs_nothing(tmp_path, capsys, monkeypatch, forge_with, key_file):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    marker = tmp_path / "pwned"
    run = _copied_run(tmp_path, marker, key_file=key_file, forge_with=forge_with)
    code = cli.main(["assign", str(run / "model.joblib"), str(tmp_path / "c.csv")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("seglab: error: "), err
    assert "model" in err[0] or "key" in err[0]
    assert not marker.exists(), "the crafted pickle ran"
