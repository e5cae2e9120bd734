"""``seglab measure`` on a small run: every mistake answered in one line with exit 2, results
from a database like any source, and the same results measured the same way every time."""

import json
import shutil
import sqlite3

import pandas as pd
import pytest
import yaml
from conftest import DEMO_PARAMS
from seglab import cli
from seglab.artifacts import dump_artifact, read_artifact, write_artifact
from seglab.config import config_from_dict
from seglab.demo.campaign import campaign_window, write_campaign
from seglab.demo.generate import write_demo_data
from seglab.pipeline.execute import execute


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """A 400-customer demo run (no notebooks) and a simulated campaign on its audiences."""
    root = tmp_path_factory.mktemp("measure")
    data = write_demo_data(root / "data", n_customers=400, seed=5)
    raw = yaml.safe_load(DEMO_PARAMS.read_text(encoding="utf-8"))
    raw["data"].update(customers=str(data["customers"]), transactions=str(data["transactions"]))
    raw["columns"]["value_labels"] = str(data["value_labels"])
    raw["segmentation"].update(k="auto", k_range=[2, 4], stability_runs=2, n_init=1)
    raw["report"]["pdf"] = False
    run = execute(config_from_dict(raw, base_dir=root), out=root / "reports", notebooks=False, progress=False)
    paths = write_campaign(run, root / "campaign", seed=1)
    return run, paths["responses"]


def measure(*args) -> int:
    return cli.main(["measure", *map(str, args)])


def one_line_error(capsys, code, *fragments):
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("seglab: error: ") and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err, err


def test_measuring_twice_gives_the_same_file(small_run, tmp_path, capsys):
    run, responses = small_run
    start, end = (d.date().isoformat() for d in campaign_window(run))
    for out in ("a", "b"):
        assert measure(run, "--responses", responses, "--start", start, "--end", end, "--out", tmp_path / out) == 0
    assert (tmp_path / "a" / "measure.json").read_bytes() == (tmp_path / "b" / "measure.json").read_bytes()
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[-1] == str(tmp_path / "b" / "measure.html")


def test_results_from_a_database(small_run, tmp_path):
    run, responses = small_run
    db = tmp_path / "crm.db"
    with sqlite3.connect(db) as con:
        pd.read_csv(responses, dtype=str).to_sql("campaign_results", con, index=False)
    start, end = (d.date().isoformat() for d in campaign_window(run))
    assert measure(run, "--responses-sql", "select * from campaign_results", "--db-url", f"sqlite:///{db}",
                   "--start", start, "--end", end, "--out", tmp_path / "sql") == 0
    assert measure(run, "--responses", responses, "--start", start, "--end", end, "--out", tmp_path / "csv") == 0
    from_sql = json.loads((tmp_path / "sql" / "measure.json").read_text())
    from_csv = json.loads((tmp_path / "csv" / "measure.json").read_text())
    assert from_sql["segments"] == from_csv["segments"] and from_sql["responses"]["format"] == "sql"


def test_the_default_start_is_the_day_after_the_run(small_run, tmp_path):
    run, responses = small_run
    assert measure(run, "--responses", responses, "--out", tmp_path) == 0
    doc = json.loads((tmp_path / "measure.json").read_text())
    as_of = pd.Timestamp(read_artifact(run, "features.json").as_of)
    assert doc["campaign"]["start"] == (as_of + pd.Timedelta(days=1)).date().isoformat()
    assert doc["campaign"]["start_source"] != "given"
    assert "before_campaign" not in {k for k, v in doc["responses"]["quarantined_by_rule"].items() if v}


@pytest.mark.parametrize("args, fragments", [
    (["--start", "July 1st"], ["--start 'July 1st': not a date; write it as YYYY-MM-DD"]),
    (["--start", "2026-08-01", "--end", "2026-07-01"], ["--end 2026-07-01 is before the campaign start 2026-08-01"]),
    (["--confidence", "1.5"], ["--confidence: 1.5 is not a level"]),
    (["--id-column", "cust"], ["column 'cust' (--id-column) not found"]),
    (["--cost-per-contact", "-3"], ["--cost-per-contact: -3.0 is not a cost"]),
    (["--revenue-column", "turnover"], ["column 'turnover' (--revenue-column) not found"]),
])
def test_bad_options_exit_2_with_one_line(small_run, tmp_path, capsys, args, fragments):
    run, responses = small_run
    one_line_error(capsys, measure(run, "--responses", responses, "--out", tmp_path / "out", *args), *fragments)
    assert not (tmp_path / "out" / "measure.json").exists()


def test_bad_run_folders_exit_2_with_one_line(small_run, tmp_path, capsys):
    run, responses = small_run
    one_line_error(capsys, measure(tmp_path / "nowhere", "--responses", responses), "no such run folder")
    one_line_error(capsys, measure(tmp_path, "--responses", responses), "not a seglab run folder")
    one_line_error(capsys, measure(run, "--responses", tmp_path / "missing.csv"), "missing.csv: responses file not found")
    old = tmp_path / "old"
    shutil.copytree(run, old)
    shutil.rmtree(old / "targeting")
    one_line_error(capsys, measure(old, "--responses", responses), "has no targeting/ folder")
    no_control = tmp_path / "no_control"
    shutil.copytree(run, no_control)
    meta = dump_artifact(read_artifact(no_control, "targeting/targeting.json"))
    write_artifact(no_control, "targeting/targeting.json", {**meta, "control_share": 0, "control": 0})
    one_line_error(capsys, measure(no_control, "--responses", responses), "held no control group back")
    (tmp_path / "a_file").write_text("x")
    one_line_error(capsys, measure(run, "--responses", responses, "--out", tmp_path / "a_file"), "not a folder")
