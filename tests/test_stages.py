"""The notebooks' scratch folders: reused while nothing they were computed from changed."""

import os

import pytest
import yaml
from conftest import DEMO_LABELS, DEMO_PARAMS
from seglab.config import config_from_dict
from seglab.io.files import tree_sha256
from seglab.pipeline import stages


@pytest.fixture
def scratch(tmp_path):
    """A config on small input files, and a scratch folder prepared once, with a marker artifact."""
    for name in ("customers.csv", "transactions.csv"):
        (tmp_path / name).write_text("customer_id\n1\n", encoding="utf-8")
    raw = yaml.safe_load(DEMO_PARAMS.read_text(encoding="utf-8"))
    raw["data"].update(customers="customers.csv", transactions="transactions.csv")
    raw["columns"]["value_labels"] = str(DEMO_LABELS)
    cfg = config_from_dict(raw, base_dir=tmp_path)
    folder = tmp_path / "_scratch" / "demo"
    stages._reset_if_stale(folder, cfg)
    (folder / "features.json").write_text("{}", encoding="utf-8")
    return cfg, folder, raw


def _kept(folder) -> bool:
    return (folder / "features.json").exists()


def test_an_unchanged_scratch_folder_is_kept(scratch):
    cfg, folder, _ = scratch
    stages._reset_if_stale(folder, cfg)
    assert _kept(folder) and (folder / "params.yaml").read_text(encoding="utf-8") == cfg.to_yaml()


def test_other_params_empty_the_scratch_folder(scratch, tmp_path):
    _, folder, raw = scratch
    raw["segmentation"]["k"] = 4
    stages._reset_if_stale(folder, config_from_dict(raw, base_dir=tmp_path))
    assert not _kept(folder)


def test_a_changed_input_file_empties_the_scratch_folder(scratch, tmp_path):
    cfg, folder, _ = scratch
    with open(tmp_path / "transactions.csv", "a", encoding="utf-8") as fh:
        fh.write("2\n")
    stages._reset_if_stale(folder, cfg)
    assert not _kept(folder)


def test_a_touched_input_file_empties_the_scratch_folder(scratch, tmp_path):
    cfg, folder, _ = scratch
    st = os.stat(tmp_path / "customers.csv")
    os.utime(tmp_path / "customers.csv", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    stages._reset_if_stale(folder, cfg)
    assert not _kept(folder)


def test_another_seglab_version_empties_the_scratch_folder(scratch, monkeypatch):
    cfg, folder, _ = scratch
    monkeypatch.setattr(stages, "__version__", "99.0")
    stages._reset_if_stale(folder, cfg)
    assert not _kept(folder)


def test_changed_seglab_source_in_a_checkout_empties_the_scratch_folder(scratch, monkeypatch):
    cfg, folder, _ = scratch
    monkeypatch.setattr(stages, "library_fingerprint", lambda: "0123456789abcdef")
    stages._reset_if_stale(folder, cfg)
    assert not _kept(folder)


def test_the_library_fingerprint_follows_the_source_files(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("ignored", encoding="utf-8")
    before = tree_sha256(tmp_path, (".py",))
    (tmp_path / "notes.txt").write_text("still ignored", encoding="utf-8")
    assert tree_sha256(tmp_path, (".py",)) == before
    (tmp_path / "a.py").write_text("x = 2\n", encoding="utf-8")
    assert tree_sha256(tmp_path, (".py",)) != before
    assert len(stages.library_fingerprint()) == 16
