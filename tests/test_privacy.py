"""Pseudonymisation: keyed hashes, the project key, and no personal value in any artifact."""

import stat
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from seglab.clean.stage import clean_stage
from seglab.config import config_from_dict
from seglab.io.privacy import (
    HASH_CHARS,
    SECRET_ENV,
    get_secret,
    pseudonymise,
    secret_path,
)

ROOT = Path(__file__).parents[1]
PEOPLE = [("王伟", "Wang.Wei@QQ.com", "+86 138-1234-5678"), ("Zoë Núñez", "zoe@example.com", "13900000000"),
          ("David Chen", "david.chen@163.com", "0086 13700000000")]


@pytest.fixture(autouse=True)
def _reports_beside_params(monkeypatch):
    """These tests place the key beside the default reports root, not the test session's."""
    monkeypatch.delenv("SEGLAB_REPORTS", raising=False)


def cfg_in(tmp_path, **data):
    raw = {"run_name": "p", "data": {"customers": "customers.csv", **data},
           "columns": {"pii": ["name", "email", "phone"], "numeric": ["age"], "categorical": ["city"],
                       "transactions": {"customer_id": "customer_id", "date": "order_date", "amount": "amount",
                                        "order_id": "order_id"}},
           "cleaning": {"dedupe_on": ["email", "phone"], "missing": {"numeric": "quarantine"}}}
    return config_from_dict(raw, base_dir=tmp_path, source=tmp_path / "params" / "p.yaml")


def test_keyed_hash_is_stable_per_key_and_keeps_missing_values():
    values = pd.Series(["a@x.com", "b@x.com", None, "a@x.com"], dtype="str")
    one, two = pseudonymise(values, b"k1"), pseudonymise(values, b"k2")
    assert one[0] == one[3] != one[1] and pd.isna(one[2])
    assert one[0] != two[0] and len(one[0]) == HASH_CHARS and int(one[0], 16) >= 0


def test_the_environment_key_wins(tmp_path, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "from-env")
    assert get_secret(cfg_in(tmp_path)) == b"from-env"
    assert not secret_path(cfg_in(tmp_path)).exists()


def test_project_secret_file_is_made_once_private_and_git_ignored(tmp_path, monkeypatch):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    cfg = cfg_in(tmp_path)
    key = get_secret(cfg)
    path = secret_path(cfg)
    assert path == tmp_path / ".seglab-secret" and path.exists()  # params/../reports -> beside reports/
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(key) >= 32
    assert get_secret(cfg) == key  # reused, so runs of one project hash alike
    ignored = subprocess.run(["git", "check-ignore", "-q", str(ROOT / ".seglab-secret")], cwd=ROOT)
    assert ignored.returncode == 0, ".seglab-secret must be listed in .gitignore"


def test_no_personal_value_reaches_any_artifact(tmp_path, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "test-key")
    rows = ["customer_id,name,email,phone,age,city"]
    rows += [f"C{i},{n},{e},{p},{30 + i},Shanghai" for i, (n, e, p) in enumerate(PEOPLE)]
    rows += [f"C9,{PEOPLE[0][0]},{PEOPLE[0][1]},13500000000,,Beijing"]  # another phone; quarantined: no age
    rows += ["C8,Li Lei,li.lei@example.com,13600000000,bad,x,y"]  # malformed: one field too many
    (tmp_path / "customers.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "transactions.csv").write_text(
        "customer_id,order_id,order_date,amount,email\nC0,O1,2024-01-01,5,Wang.Wei@QQ.com\nC7,O2,2024-01-01,5,x@y.z\n",
        encoding="utf-8")
    out = tmp_path / "run"
    clean_stage(cfg_in(tmp_path, transactions="transactions.csv"), out)
    quarantine = pd.read_csv(out / "quarantine.csv", dtype=str)
    assert set(quarantine["rule"]) == {"missing_value", "malformed_line", "unknown_customer"}
    forms = set()
    for name, email, phone in PEOPLE + [("Li Lei", "li.lei@example.com", "13600000000"), ("", "x@y.z", "")]:
        forms |= {name, email, email.lower(), phone, "".join(ch for ch in phone if ch.isdigit())}
    forms |= {"Zoe", "Núñez", "13812345678", "8613812345678", "13500000000"}
    forms.discard("")
    for path in out.iterdir():
        text = path.read_bytes().decode("utf-8", errors="ignore") if path.suffix != ".parquet" else \
            pd.read_parquet(path).to_csv()
        leaked = [f for f in forms if f in text]
        assert not leaked, f"{path.name} holds personal data: {leaked}"
    table = pd.read_parquet(out / "customers_clean.parquet")
    assert table["email"].str.fullmatch(f"[0-9a-f]{{{HASH_CHARS}}}").all()
    # the same person is hashed alike wherever it appears
    hashed = dict(zip(table["customer_id"], table["email"]))
    row = quarantine[quarantine["customer_id"] == "C9"].iloc[0]
    assert row["email"] == hashed["C0"] and row["name"] == table.loc[table["customer_id"] == "C0", "name"].iloc[0]


def test_the_key_file_is_never_seen_empty_by_a_concurrent_run(tmp_path, monkeypatch):
    """Issue 13, finding 8: the key used to be created empty and filled afterwards."""
    monkeypatch.delenv(SECRET_ENV, raising=False)
    import threading

    failures, keys = [], []
    for trial in range(150):
        cfg = cfg_in(tmp_path / str(trial))
        barrier = threading.Barrier(3)

        def take():
            barrier.wait()
            try:
                keys.append(get_secret(cfg))
            except Exception as exc:  # noqa: BLE001 - counted, not raised, so every trial runs
                failures.append(repr(exc))

        threads = [threading.Thread(target=take) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(set(keys[-3:])) <= 1, "two runs of one project got different keys"
    assert failures == []
    assert not list(tmp_path.rglob(".seglab-secret-*")), "temporary key files are cleaned up"
