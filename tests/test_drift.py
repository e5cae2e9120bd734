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
from conftest import DEMO_LABELS, DEMO_PARAMS, ROOT, SMOKE_PARAMS, cli, seglab
from seglab.demo.generate import write_demo_data
from seglab.demo.retail_shift import SHIFT_AS_OF
from seglab.pipeline.drift import match_segments, transitions
from seglab.report.compare import comparison_fragment
from sklearn.metrics import adjusted_rand_score


def test_matching_is_one_to_one_and_respects_the_threshold():
    a = pd.DataFrame([[0.0, 0.0], [5.0, 5.0], [9.0, 0.0]], index=[0, 1, 2])
    b = pd.DataFrame([[5.1, 5.0], [0.1, 0.0], [-9.0, 9.0]], index=[0, 1, 2])
    pairs, dist = match_segments(a, b, threshold=0.5)
    assert sorted((x, y) for x, y, _ in pairs) == [(0, 1), (1, 0)]
    assert dist.shape == (3, 3)


def _counts(rows, columns, values):
    return pd.DataFrame(values, index=rows, columns=columns)


def test_two_segments_absorbed_by_one_are_merged_with_their_shares():
    # Previous segments 0, 1, 2; this run 0 and 1. Segment 1 is matched by profile to this run's 1;
    # segment 2's customers (90 of 100 still here) went mostly (81) to 1 as well: merged, not vanished.
    counts = _counts([0, 1, 2], [0, 1], [[300, 10], [5, 195], [9, 81]])
    moves = transitions(counts, {0: 320, 1: 200, 2: 100}, {0: 330, 1: 290}, pairs=[(0, 0), (1, 1)])
    assert moves["vanished"] == [] and moves["emerged"] == [] and moves["split"] == []
    (merge,) = moves["merged"]
    assert merge["segment_b"] == 1 and merge["survivor"] == 1
    assert [(f["segment"], f["customers"], f["share"]) for f in merge["sources"]] == [(1, 195, 0.975), (2, 81, 0.9)]


def test_two_segments_that_become_one_new_segment_are_merged():
    counts = _counts([0, 1, 2], [0, 1], [[300, 10], [4, 196], [10, 190]])
    moves = transitions(counts, {0: 310, 1: 200, 2: 200}, {0: 314, 1: 396}, pairs=[(0, 0)])
    (merge,) = moves["merged"]
    assert merge["segment_b"] == 1 and merge["survivor"] is None
    assert [f["segment"] for f in merge["sources"]] == [1, 2] and moves["emerged"] == []


def test_a_segment_divided_between_two_is_split_and_a_new_part_splits_off_its_match():
    # Previous 1 (not matched) went 45 % to this run's 1 and 40 % to 2: split (one to many).
    counts = _counts([0, 1], [0, 1, 2], [[400, 0, 0], [30, 90, 80]])
    moves = transitions(counts, {0: 400, 1: 200}, {0: 430, 1: 95, 2: 85}, pairs=[(0, 0)])
    (split,) = moves["split"]
    assert split["segment_a"] == 1 and split["survivor"] is None
    assert [(p["segment"], p["share"]) for p in split["into"]] == [(1, 0.45), (2, 0.4)]
    assert moves["vanished"] == [] and moves["emerged"] == [] and moves["continued"] == []
    # 55 % to 1, 40 % to 2: previous 1 continues as 1 (its profile changed), and 2 split off it.
    counts = _counts([0, 1], [0, 1, 2], [[400, 0, 0], [10, 110, 80]])
    moves = transitions(counts, {0: 400, 1: 200}, {0: 410, 1: 115, 2: 85}, pairs=[(0, 0)])
    (split,) = moves["split"]
    assert split["survivor"] == 1 and [(p["segment"], p["share"]) for p in split["into"]] == [(1, 0.55), (2, 0.4)]
    assert moves["continued"] == [] and moves["emerged"] == []
    # Previous 1 matched to 1, but a new segment 2 is mostly its former customers: 1 split into 1 and 2.
    moves = transitions(counts, {0: 400, 1: 200}, {0: 410, 1: 115, 2: 85}, pairs=[(0, 0), (1, 1)])
    (split,) = moves["split"]
    assert split["survivor"] == 1 and [p["segment"] for p in split["into"]] == [1, 2]


def test_new_customers_emerge_and_customers_who_left_vanish():
    counts = _counts([0, 1], [0, 1], [[380, 2], [30, 0]])
    moves = transitions(counts, {0: 400, 1: 200}, {0: 410, 1: 150}, pairs=[(0, 0)])
    assert [(e["segment"], e["new_customers"]) for e in moves["emerged"]] == [(1, round(1 - 2 / 150, 4))]
    assert moves["vanished"] == [{"segment": 1, "why": "left", "still_here": 0.15}]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_comparison_says_what_merged_split_and_emerged(language):
    result = {
        "run_a": "20260601", "run_b": "20261201", "threshold": 0.5,
        "customers": {"a": 600, "b": 700, "in_both": 580, "only_a": 20, "only_b": 120},
        "matches": [{"segment_a": 0, "segment_b": 0, "name_a": "Runners", "name_b": "Runners", "size_a": 300,
                     "size_b": 330, "size_change": 30, "retention": 0.97}],
        "merged": [{"segment_b": 1, "name_b": "Hikers", "survivor": 1,
                    "sources": [{"segment": 1, "name": "Hikers", "customers": 195, "share": 0.975},
                             {"segment": 2, "name": "Big-basket hikers", "customers": 81, "share": 0.9}]}],
        "split": [{"segment_a": 3, "name_a": "Lapsed", "survivor": None,
                   "into": [{"segment": 2, "name": "Lapsed buyers", "customers": 50, "share": 0.5},
                            {"segment": 3, "name": "No purchase", "customers": 49, "share": 0.49}]}],
        "emerged": [{"segment": 4, "name": "Family app shoppers", "size": 110, "new_customers": 1.0, "sources": []}],
        "vanished": [],
        "migration": {"rows": [0, 1, 2, 3], "columns": [0, 1, 2, 3, 4],
                      "counts": [[290, 0, 0, 0, 0], [0, 195, 0, 0, 5], [0, 81, 0, 0, 9], [0, 0, 50, 49, 1]],
                      "shares": [[1, 0, 0, 0, 0], [0, .975, 0, 0, .025], [0, .9, 0, 0, .1], [0, 0, .5, .49, .01]]},
    }
    page = str(comparison_fragment(result, language))
    # every segment of the migration matrix is named, merged and split ones too
    migration = page[page.index('class="migration"'):]
    for name in ("Big-basket hikers", "Lapsed", "Lapsed buyers", "No purchase", "Family app shoppers"):
        assert f">{name}<" in migration
    if language == "en":
        assert "Segments that merged" in page and "Segments that split" in page
        assert "Hikers (98% of its returning customers); Big-basket hikers (90% of its returning customers)" \
               " → merged into Hikers" in page
        assert "Lapsed → split into Lapsed buyers (50%); No purchase (49%)" in page
        assert "Family app shoppers (110 customers, 100% of them new)" in page
    else:
        assert "合并的细分" in page and "拆分的细分" in page and "合并为Hikers" in page


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
    kind_a, kind_b = ({s["id"]: s["kind"] for s in json.loads((run / "segments.json").read_text())["segments"]}
                      for run in (demo_run, run_b))
    for m in result["matches"]:
        if kind_a[m["segment_a"]] == kind_b[m["segment_b"]] == "returns":
            continue  # the group whose returns cancel their purchases is matched as such, not by profile
        assert group_a[m["segment_a"]] == group_b[m["segment_b"]], m
    # the runners grew: their segments now hold at least 1.5 times as many customers
    runners_a = sum(s["size"] for s in json.loads((demo_run / "segments.json").read_text())["segments"]
                    if group_a[s["id"]] == "young_runners")
    runners_b = sum(s["size"] for s in json.loads((run_b / "segments.json").read_text())["segments"]
                    if group_b[s["id"]] == "young_runners")
    assert runners_b >= 1.5 * runners_a


@pytest.mark.slow
def test_k_auto_recovers_the_planted_groups_six_months_later(shifted_run):
    run_b, paths = shifted_run
    seg = json.loads((run_b / "segmentation.json").read_text())
    planted = _planted(run_b, paths["customers_truth"])
    assert seg["k"] == 6, seg["k_reason"]
    assert adjusted_rand_score(planted["planted_group"], planted["segment"]) >= 0.8
    result = json.loads((run_b / "compare.json").read_text())
    assert result["vanished"] == [] and result["merged"] == []  # every old group is found again


@pytest.fixture(scope="module")
def merged_run(demo_run, reports_root, tmp_path_factory):
    """The demo data with one segment fewer than the planted groups, compared with the demo run."""
    folder = tmp_path_factory.mktemp("merge")
    raw = yaml.safe_load(DEMO_PARAMS.read_text(encoding="utf-8"))
    for role in ("customers", "transactions"):
        raw["data"][role] = str((DEMO_PARAMS.parent / raw["data"][role]).resolve())
    raw["columns"]["value_labels"] = str(DEMO_LABELS)
    raw["run_name"] = "demo_merged"
    raw["segmentation"]["k"] = 4
    raw["compare_to"] = str(demo_run)
    params = folder / "demo_merged.yaml"
    params.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    proc = seglab("run", params, "--out", reports_root, "--quiet", "--no-notebooks")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return Path(proc.stdout.strip().splitlines()[-1]).parent


@pytest.mark.slow
def test_two_planted_groups_that_become_one_segment_are_reported_as_merged(demo_run, merged_run):
    result = json.loads((merged_run / "compare.json").read_text())
    assert result["vanished"] == [] and result["emerged"] == []
    (merge,) = result["merged"]
    sources = [f["segment"] for f in merge["sources"]]
    group_a = _plurality_group(_planted(demo_run, ROOT / "data/demo/truth/customers_truth.csv"))
    assert len(sources) == 2 and group_a[sources[0]] != group_a[sources[1]]  # two planted groups
    # the shares, recomputed from the two runs' assignments
    a = pd.read_csv(demo_run / "assignments.csv", dtype={"customer_id": str})
    b = pd.read_csv(merged_run / "assignments.csv", dtype={"customer_id": str})
    both = a.merge(b, on="customer_id", suffixes=("_a", "_b"))
    for f in merge["sources"]:
        mine = both[both["segment_a"] == f["segment"]]
        assert f["customers"] == (mine["segment_b"] == merge["segment_b"]).sum()
        assert f["share"] == pytest.approx(f["customers"] / len(mine), abs=1e-4) and f["share"] >= 0.8
    page = (merged_run / "report.html").read_text(encoding="utf-8")
    assert "Segments that merged" in page and f"merged into {merge['name_b']}" in page


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
    proc = cli("compare", demo_run, run_b, "--out", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()) == tmp_path / "compare.html"
    page = (tmp_path / "compare.html").read_text(encoding="utf-8")
    assert "<script" not in page and "http" not in page.split("</style>")[-1]
    assert json.loads((tmp_path / "compare.json").read_text())["run_b"].endswith(run_b.name)


def test_compare_rejects_a_folder_that_is_not_a_run(smoke_run, tmp_path):
    proc = cli("compare", smoke_run, tmp_path)
    assert proc.returncode == 2 and "not a finished seglab run folder" in proc.stderr


def _params_copy(tmp_path, run_name):
    """The smoke params under another run name: these tests are about folders, not segments."""
    raw = yaml.safe_load(SMOKE_PARAMS.read_text(encoding="utf-8"))
    for role in ("customers", "transactions"):
        raw["data"][role] = str((SMOKE_PARAMS.parent / raw["data"][role]).resolve())
    raw["columns"]["value_labels"] = str(DEMO_LABELS)
    raw["run_name"] = run_name
    raw["segmentation"]["k"] = 3
    raw["report"]["sections"] = ["glossary"]  # the folder is what counts here; figures take most of a run
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
    listing = cli("runs", "--out", out)
    assert "interrupted" in listing.stdout
    again = cli("run", params, "--out", out, "--quiet", "--no-notebooks")
    assert again.returncode == 0, again.stderr[-1500:]
    assert Path(again.stdout.strip().splitlines()[-1]).exists()


def test_a_batch_runs_every_file_and_reports_failures(tmp_path):
    good = _params_copy(tmp_path, "batch_ok")
    bad = tmp_path / "batch_bad.yaml"
    bad.write_text("run_name: batch_bad\ndata: {customers: missing.csv}\n", encoding="utf-8")
    proc = cli("run", good, bad, "--out", tmp_path / "reports", "--quiet", "--no-notebooks")
    assert proc.returncode == 2
    assert "1 complete, 1 failed" in proc.stderr
    assert "missing.csv" in proc.stderr
    assert proc.stdout.strip().endswith("report.html")
