"""The notebook API (seglab.Workbench): steps that show tables and figures, candidates side by side,
a chosen variant saved as params that `seglab run` reproduces exactly."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
import yaml
from conftest import SMOKE_PARAMS, cli, report_of
from seglab import progress
from seglab.artifacts import read_assignments, stage_outputs
from seglab.errors import SeglabError
from seglab.io.files import file_sha256
from seglab.pipeline import stages
from seglab.pipeline.runs import library_fingerprint
from seglab.report import display
from seglab.workbench import Workbench, _start_from_latest_run, persona_blocks


def _figures(page: str) -> int:
    return page.count('<img src="data:image/png;base64,')


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """One scratch session on the smoke params, in a reports root of its own (no earlier run to start from)."""
    root = tmp_path_factory.mktemp("wb-reports")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEGLAB_REPORTS", str(root))
        wb = Workbench(SMOKE_PARAMS, progress=False)
        steps = {"clean": wb.clean(), "features": wb.features()}
        steps["compare"] = wb.compare(k=[3, 4])
        steps["segment"] = wb.segment(k=4)
        steps["personas"] = wb.personas()
    return wb, steps


def test_a_scratch_session_works_in_its_own_folder(session):
    wb, _ = session
    assert wb.scratch and wb.run_dir.parent.name == "_scratch" and wb.run_dir.name == "smoke"
    assert "scratch folder" in repr(wb)


def test_every_step_shows_tables_and_figures_and_no_active_content(session):
    _, steps = session
    pages = {name: step._repr_html_() for name, step in steps.items()}
    for name, page in pages.items():
        assert "<table" in page and "<script" not in page.lower(), name
    assert _figures(pages["clean"]) >= 1  # records set aside, by reason
    assert _figures(pages["features"]) >= 1  # customers per RFM segment, lifecycle ...
    assert _figures(pages["compare"]) == 1 + 2  # the score panels, one profile heatmap per candidate
    assert _figures(pages["segment"]) >= 2  # scores per k (when searched) or sizes, and the heatmap
    assert _figures(pages["personas"]) >= 2  # sizes, value x risk grid


def test_clean_step_is_the_row_accounting_of_quality_json(session):
    wb, steps = session
    quality = json.loads((wb.run_dir / "quality.json").read_text(encoding="utf-8"))
    acc = steps["clean"].accounting
    for source, part in quality["sources"].items():
        assert acc.loc["rows_in", source] == part["rows_in"]
        parts = acc.loc[["rows_clean", "duplicates_merged", "rows_quarantined"], source]
        assert acc.loc["rows_in", source] == parts.sum()


def test_candidates_are_scored_and_the_chosen_one_is_not_fitted_again(session):
    wb, steps = session
    scores = steps["compare"].scores
    assert list(scores["k"]) == [3, 4] and scores["segments"].tolist() == [3, 4]
    for col in ("explained", "silhouette", "stability", "smallest_share"):
        assert scores[col].between(0, 1).all(), col
    assert scores["explained"].is_monotonic_increasing  # more segments never explain less
    chosen = steps["compare"].candidate(4)
    saved = read_assignments(wb.run_dir)
    assert (saved["segment"].to_numpy() == chosen.result.labels).all()
    report = json.loads((wb.run_dir / "segmentation.json").read_text(encoding="utf-8"))
    assert report == json.loads(json.dumps(chosen.result.report))
    assert steps["segment"].report["k"] == 4 and wb.overrides == {"segmentation.k": 4}
    with pytest.raises(SeglabError, match="no candidate with k=7"):
        steps["compare"].candidate(7)


def test_saved_params_reproduce_the_variant_with_seglab_run(session, tmp_path, reports_root):
    wb, _ = session
    path = wb.save_params(tmp_path / "params" / "smoke_k4.yaml")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert raw["segmentation"]["k"] == 4 and "segmentation.k=4" in path.read_text(encoding="utf-8")
    # The report is not what is compared here: one section keeps the run quick.
    run = report_of(cli("run", path, "--out", reports_root, "--no-notebooks", "--quiet",
                        "--set", "report.sections=[glossary]"))
    ours = read_assignments(wb.run_dir).sort_values("customer_id").reset_index(drop=True)
    theirs = read_assignments(run).sort_values("customer_id").reset_index(drop=True)
    pd.testing.assert_series_equal(ours["customer_id"], theirs["customer_id"])
    pd.testing.assert_series_equal(ours["segment"], theirs["segment"])
    pd.testing.assert_series_equal(ours["segment_name"], theirs["segment_name"])
    with pytest.raises(SeglabError, match="exists already"):
        wb.save_params(path)


def test_feature_sets_side_by_side(session):
    wb, _ = session
    sets = {"behaviour": ["recency", "frequency", "monetary"], "profile": ["age", "income", "gender", "interest"]}
    comparison = wb.compare(k=3, features=sets)
    scores = comparison.scores
    assert list(scores["features"]) == ["behaviour", "profile"] and (scores["k"] == 3).all()
    axes = comparison.chart()
    assert len(axes) == 3 and all(len(ax.get_lines()) == 2 for ax in axes)
    assert comparison.candidate(3, "profile").features == sets["profile"]


def test_later_steps_follow_an_override_and_stale_artifacts_go(session):
    wb, steps = session
    personas = steps["personas"].segments["segments"]
    # k=4 segments, besides the group of customers whose returns cancel their purchases
    assert len([s for s in personas if s["kind"] == "segment"]) == 4
    assert set(read_assignments(wb.run_dir)["segment_name"]) == {s["name"] for s in personas}
    assert not (wb.run_dir / "report.html").exists()  # made before the override? it would have been removed


def test_reopening_the_params_after_an_override_starts_afresh(session, monkeypatch):
    """The scratch folder holds the k=4 variant now: the params file alone must not read it as its own."""
    wb, _ = session
    monkeypatch.setenv("SEGLAB_REPORTS", str(wb.run_dir.parent.parent))
    fresh = Workbench(SMOKE_PARAMS, progress=False)  # (the last test of this module's session)
    assert fresh.run_dir == wb.run_dir and not (fresh.run_dir / "segmentation.json").exists()


def test_a_run_folder_keeps_its_params(smoke_run):
    wb = Workbench(SMOKE_PARAMS, smoke_run, progress=False)
    assert not wb.scratch and wb.cfg.run_name == "smoke"
    assert wb.personas().table["size"].sum() == len(read_assignments(smoke_run))  # read, not recomputed
    with pytest.raises(SeglabError, match="keeps the params it was made with"):
        wb.segment(k=5)


def test_a_scratch_session_starts_from_the_latest_complete_run(tmp_path, monkeypatch):
    """Same params, same input files, same seglab: the run's artifacts; anything else differs: nothing."""
    root = tmp_path / "reports"
    monkeypatch.setenv("SEGLAB_REPORTS", str(root))
    data = tmp_path / "data"
    shutil.copytree(SMOKE_PARAMS.parent.parent / "data" / "smoke", data, ignore=shutil.ignore_patterns("truth"))
    raw = yaml.safe_load(SMOKE_PARAMS.read_text(encoding="utf-8"))
    raw["data"] = {"customers": "data/customers.csv", "transactions": "data/transactions.csv"}
    raw["columns"]["value_labels"] = "data/value_labels.yaml"
    params = tmp_path / "smoke.yaml"
    params.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    cfg, scratch = stages.open_stage("clean", params, None)
    run = root / "smoke" / "20260101-000000"
    run.mkdir(parents=True)
    (run / "params.yaml").write_text(cfg.to_yaml(), encoding="utf-8")
    inputs = [{"role": role, "sha256": file_sha256(path)} for role, path in cfg.input_paths().items()]
    manifest = {"status": "complete", "inputs": inputs,
                "versions": {"seglab": __import__("seglab").__version__, "seglab_source": library_fingerprint()}}
    (run / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    for stage in stages.STAGES:
        for name in stage_outputs(stage):
            (run / name).parent.mkdir(parents=True, exist_ok=True)
            (run / name).write_text(f"{name} of the run", encoding="utf-8")
    assert _start_from_latest_run(cfg, scratch) == run
    assert (scratch / "segmentation.json").read_text(encoding="utf-8") == "segmentation.json of the run"
    assert not (scratch / "report.html").exists()  # the report is made from the notebooks, not copied

    for change in ("data", "params", "version", "source"):
        shutil.rmtree(scratch)
        scratch.mkdir()
        edited = json.loads(json.dumps(manifest))
        if change == "data":
            edited["inputs"][0]["sha256"] = "0" * 64
        elif change == "version":
            edited["versions"]["seglab"] = "0.0.0"
        elif change == "source":
            edited["versions"]["seglab_source"] = "another checkout"
        (run / "manifest.json").write_text(json.dumps(edited), encoding="utf-8")
        if change == "params":
            (run / "params.yaml").write_text(cfg.to_yaml().replace("seed: 42", "seed: 7"), encoding="utf-8")
        assert _start_from_latest_run(cfg, scratch) is None, change
        assert not any(scratch.iterdir()), change


def test_persona_cards_escape_what_comes_from_the_data():
    card = display.to_html(persona_blocks({"name": "<script>alert(1)</script>", "share": 0.5, "revenue_share": None,
                                           "persona": {"narrative": "likes <b>x</b> & <img src=x onerror=alert(1)>"},
                                           "actions": [{"offer": "<iframe>"}], "notes": "<svg onload=alert(1)>"}))
    assert "<script" not in card and "<img" not in card and "<iframe" not in card and "<svg" not in card
    assert "&lt;script&gt;" in card


def test_progress_bars_respect_tqdm_disable_and_render_once_in_a_kernel(monkeypatch, capsys):
    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert not progress.enabled(True) and list(progress.bar(range(3), desc="x")) == [0, 1, 2]
    assert capsys.readouterr().err == ""
    monkeypatch.delenv("TQDM_DISABLE")
    assert progress.enabled(True) and not progress.enabled(False)
    assert not progress.in_notebook()  # pytest is no Jupyter kernel: tqdm on stderr
    assert list(progress.bar(range(3), desc="x")) == [0, 1, 2]
    line = progress._line("k search <x>", 2, 4, "k", 3.2)
    assert "&lt;x&gt;" in line and "█" * 10 + "░" * 10 in line and "2/4 k · 3 s" in line
