"""Re-segmentation: comparing runs, migration, emerging segments, concurrent and killed runs."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import DEMO_LABELS, DEMO_PARAMS, ROOT, seglab
from seglab.demo.generate import write_demo_data
from seglab.demo.retail_shift import SHIFT_AS_OF
from seglab.pipeline.drift import match_segments


def test_matching_is_one_to_one_and_respects_the_threshold():
    a = pd.DataFrame([[0.0, 0.0], [5.0, 5.0], [9.0, 0.0]], index=[0, 1, 2])
    b = pd.DataFrame([[5.1, 5.0], [0.1, 0.0], [-9.0, 9.0]], index=[0, 1, 2])
    pairs, dist = match_segments(a, b, threshold=0.5)
    assert sorted((x, y) for x, y, _ in pairs) == [(0, 1), (1, 0)]
    assert dist.shape == (3, 3)


@pytest.fixture(scope="module")
def shifted_run(demo_run, reports_root, tmp_path_factory):
    """The demo six months later (runners grew, a new group appeared), compared with the demo run."""
    data = tmp_path_factory.mktemp("shift")
    paths = write_demo_data(data, scenario="retail_shift")
    raw = yaml.safe_load(DEMO_PARAMS.read_text(encoding="utf-8"))
    raw["data"]["customers"] = str(paths["customers"])
    raw["data"]["transactions"] = str(paths["transactions"])
    raw["columns"]["value_labels"] = str(paths["value_labels"])
    raw["data"]["as_of"] = SHIFT_AS_OF  # the export six months later ends after today's date
    raw["compare_to"] = "previous"
    params = data / "demo.yaml"
    params.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    proc = seglab("run", params, "--out", reports_root, "--quiet", "--no-notebooks")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return Path(proc.stdout.strip().splitlines()[-1]).parent, paths


def _planted(run_dir, truth_path):
    truth = pd.read_csv(truth_path, dtype=str).drop_duplicates("customer_id")
    a = pd.read_csv(run_dir / "assignments.csv", dtype={"customer_id": str})
    return a.merge(truth[["customer_id", "planted_group"]], on="customer_id")


def _plurality_group(planted):
    """segment -> the planted group most of its customers come from."""
    return planted.groupby("segment")["planted_group"].agg(lambda g: g.value_counts().idxmax()).to_dict()


def test_compare_to_previous_finds_growth_and_the_new_group(demo_run, shifted_run):
    run_b, paths = shifted_run
    result = json.loads((run_b / "compare.json").read_text())
    assert result["run_a"].endswith(demo_run.name)
    planted_a = _planted(demo_run, ROOT / "data/demo/truth/customers_truth.csv")
    planted_b = _planted(run_b, paths["customers_truth"])
    group_a, group_b = _plurality_group(planted_a), _plurality_group(planted_b)
    # the new planted group is an emerged segment
    family = planted_b.loc[planted_b["planted_group"] == "family_app_shoppers", "segment"].value_counts().idxmax()
    assert family in [e["segment"] for e in result["emerged"]]
    # every match pairs segments of the same planted group
    assert len(result["matches"]) >= 4
    for m in result["matches"]:
        assert group_a[m["segment_a"]] == group_b[m["segment_b"]], m
    # the runners grew: their segments now hold at least 1.5 times as many customers
    runners_a = sum(s["size"] for s in json.loads((demo_run / "segments.json").read_text())["segments"]
                    if group_a[s["id"]] == "young_runners")
    runners_b = sum(s["size"] for s in json.loads((run_b / "segments.json").read_text())["segments"]
                    if group_b[s["id"]] == "young_runners")
    assert runners_b >= 1.5 * runners_a


def test_migration_matrix_counts_the_customers_in_both_runs(demo_run, shifted_run):
    run_b, _ = shifted_run
    result = json.loads((run_b / "compare.json").read_text())
    a = pd.read_csv(demo_run / "assignments.csv", dtype={"customer_id": str})
    b = pd.read_csv(run_b / "assignments.csv", dtype={"customer_id": str})
    both = a.merge(b, on="customer_id", suffixes=("_a", "_b"))
    expected = pd.crosstab(both["segment_a"], both["segment_b"])
    mig = result["migration"]
    got = pd.DataFrame(mig["counts"], index=mig["rows"], columns=mig["columns"])
    pd.testing.assert_frame_equal(got.loc[expected.index, expected.columns], expected,
                                  check_names=False, check_dtype=False)
    assert result["customers"]["in_both"] == len(both)
    for row, shares in zip(mig["rows"], mig["shares"]):
        assert abs(sum(shares) - 1) < 1e-3 or sum(mig["counts"][mig["rows"].index(row)]) == 0
    # most customers stay in the successor of their segment
    retention = sorted(m["retention"] for m in result["matches"])
    assert retention[len(retention) // 2] > 0.8, retention


def test_matched_segments_keep_their_names_and_the_report_says_what_changed(demo_run, shifted_run):
    run_b, _ = shifted_run
    result = json.loads((run_b / "compare.json").read_text())
    for m in result["matches"]:
        assert m["name_b"] == m["name_a"]
    page = (run_b / "report.html").read_text(encoding="utf-8")
    assert 'id="sec-changes"' in page
    for e in result["emerged"]:
        assert e["name"] in page


def test_compare_command_writes_json_and_html(demo_run, shifted_run, tmp_path):
    run_b, _ = shifted_run
    proc = seglab("compare", demo_run, run_b, "--out", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()) == tmp_path / "compare.html"
    page = (tmp_path / "compare.html").read_text(encoding="utf-8")
    assert "<script" not in page and "http" not in page.split("</style>")[-1]
    assert json.loads((tmp_path / "compare.json").read_text())["run_b"].endswith(run_b.name)


def test_compare_rejects_a_folder_that_is_not_a_run(demo_run, tmp_path):
    proc = seglab("compare", demo_run, tmp_path)
    assert proc.returncode == 2 and "not a finished seglab run folder" in proc.stderr


def _params_copy(tmp_path, run_name):
    raw = yaml.safe_load(DEMO_PARAMS.read_text(encoding="utf-8"))
    for role in ("customers", "transactions"):
        raw["data"][role] = str((DEMO_PARAMS.parent / raw["data"][role]).resolve())
    raw["columns"]["value_labels"] = str(DEMO_LABELS)
    raw["run_name"] = run_name
    raw["segmentation"]["k"] = 5
    path = tmp_path / f"{run_name}.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def _start(*args):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen([sys.executable, "-m", "seglab.cli", *map(str, args)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_runs_at_once_get_separate_folders(tmp_path):
    params = _params_copy(tmp_path, "twin")
    out = tmp_path / "reports"
    procs = [_start("run", params, "--out", out, "--quiet", "--no-notebooks") for _ in range(2)]
    results = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [r[1][-1500:] for r in results]
    folders = {Path(r[0].strip().splitlines()[-1]).parent for r in results}
    assert len(folders) == 2
    index = (out / "index.html").read_text()
    assert all(f'href="twin/{f.name}/report.html"' in index for f in folders)
    for f in folders:
        assert json.loads((f / "manifest.json").read_text())["status"] == "complete"


def test_a_killed_run_leaves_nothing_that_looks_complete(tmp_path):
    params = _params_copy(tmp_path, "killed")
    out = tmp_path / "reports"
    proc = _start("run", params, "--out", out, "--quiet", "--no-notebooks")
    deadline = time.time() + 300
    while time.time() < deadline:  # kill it once the run has started a stage
        work = list((out / "killed").glob(".*.partial")) if (out / "killed").exists() else []
        if work and (work[0] / "run.log").exists() and "stage clean started" in (work[0] / "run.log").read_text():
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    visible = [p for p in (out / "killed").iterdir() if not p.name.startswith(".")]
    assert visible == []
    listing = seglab("runs", "--out", out)
    assert "interrupted" in listing.stdout
    again = seglab("run", params, "--out", out, "--quiet", "--no-notebooks")
    assert again.returncode == 0, again.stderr[-1500:]
    assert Path(again.stdout.strip().splitlines()[-1]).exists()


def test_a_batch_runs_every_file_and_reports_failures(tmp_path):
    good = _params_copy(tmp_path, "batch_ok")
    bad = tmp_path / "batch_bad.yaml"
    bad.write_text("run_name: batch_bad\ndata: {customers: missing.csv}\n", encoding="utf-8")
    proc = seglab("run", good, bad, "--out", tmp_path / "reports", "--quiet", "--no-notebooks")
    assert proc.returncode == 2
    assert "1 complete, 1 failed" in proc.stderr
    assert "missing.csv" in proc.stderr
    assert proc.stdout.strip().endswith("report.html")
