"""The command line: exit codes, one-line errors, nothing left behind."""

import json

import pytest
import yaml
from conftest import DEMO_LABELS, SMOKE_PARAMS, cli


def smoke_params(tmp_path, **changes):
    raw = yaml.safe_load(SMOKE_PARAMS.read_text(encoding="utf-8"))
    for key, value in changes.items():
        node = raw
        *parents, last = key.split("__")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    raw["data"]["customers"] = str(SMOKE_PARAMS.parent / raw["data"]["customers"])
    raw["data"]["transactions"] = str(SMOKE_PARAMS.parent / raw["data"]["transactions"])
    raw["columns"]["value_labels"] = str(DEMO_LABELS)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def assert_user_error(proc, *expected):
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("seglab: error: ")
    assert "Traceback" not in proc.stderr
    for text in expected:
        assert text in lines[0]


def no_complete_folder(root):
    return not any((p / "report.html").exists() for p in root.rglob("*") if p.is_dir())


@pytest.mark.parametrize("change, expected", [
    ({"segmentaton": {"k": 3}}, ["segmentaton", "did you mean 'segmentation'"]),
    ({"data__customers": "no_such_file.csv"}, ["no_such_file.csv"]),
    ({"columns__categorical": ["gender", "citty"]}, ["citty", "did you mean 'city'"]),
    ({"segmentation__features": ["age", "recency", "spend"]}, ["segmentation.features", "spend"]),
    ({"segmentation__k": 1}, ["segmentation.k", "got 1"]),
])
def test_bad_params_exit_2_with_one_line_and_leave_nothing(tmp_path, change, expected):
    path = smoke_params(tmp_path, **change)
    out = tmp_path / "reports"
    proc = cli("run", path, "--out", out, "--quiet")
    assert_user_error(proc, *expected)
    assert no_complete_folder(out) if out.exists() else True


def test_set_override_errors_name_the_key(tmp_path):
    proc = cli("validate", SMOKE_PARAMS, "--set", "segmentation.k=0")
    assert_user_error(proc, "segmentation.k")


def test_validate_reads_the_inputs_without_running():
    proc = cli("validate", SMOKE_PARAMS)
    assert proc.returncode == 0, proc.stderr
    assert "customers:" in proc.stdout and "transactions:" in proc.stdout and proc.stdout.strip().endswith("ok")


def test_debug_shows_the_traceback(tmp_path):
    proc = cli("--debug", "validate", tmp_path / "missing.yaml")
    assert proc.returncode == 2
    assert "Traceback" in proc.stderr and "seglab: error:" in proc.stderr


def test_schema_is_json():
    proc = cli("schema")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["title"] == "seglab run params"


def test_demo_data_writes_a_small_set(tmp_path):
    proc = cli("demo-data", "--out", tmp_path / "d", "--customers", 200, "--seed", 3)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "d" / "customers.csv").exists() and (tmp_path / "d" / "transactions.csv").exists()
    proc = cli("demo-data", "--out", tmp_path / "e", "--customers", 0)
    assert_user_error(proc, "n_customers")


def test_runs_on_an_empty_root_writes_an_index(tmp_path):
    proc = cli("runs", "--out", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "index.html").exists()


def test_scenario_data_never_lands_in_the_demo_folder_by_default(tmp_path):
    proc = cli("demo-data", "--scenario", "retail_shift", "--customers", 200, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "data" / "retail_shift" / "customers.csv").is_file()
    assert not (tmp_path / "data" / "demo").exists()
    proc = cli("demo-data", "--customers", 200, cwd=tmp_path)
    assert proc.returncode == 0 and (tmp_path / "data" / "demo" / "customers.csv").is_file()
