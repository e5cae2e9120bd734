"""One name per thing: a segment's name, its RFM group's and its lifecycle stage's read the same in
segmentation.json, segments.json, assignments.csv, segments.xlsx and the report; assignments.csv has
one writer (the segment stage)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import DEMO_PARAMS, seglab
from seglab import i18n
from seglab.features.build import RFM_MAP
from seglab.segment.outside import GROUP_NAME
from test_sections import visible_text

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo_data")
    proc = seglab("demo-data", "--out", out, "--customers", "900")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


def _run(small_demo: Path, out: Path, *sets: str) -> Path:
    proc = seglab("run", DEMO_PARAMS, "--out", out, "--quiet", "--no-notebooks",
                  "--set", f"data.customers={small_demo / 'customers.csv'}",
                  "--set", f"data.transactions={small_demo / 'transactions.csv'}", *sets)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return Path(proc.stdout.strip().splitlines()[-1]).parent


@pytest.fixture(scope="module", params=["kprototypes", "rfm"])
def run(request, small_demo, tmp_path_factory) -> tuple[str, Path]:
    sets = ["--set", "segmentation.k=4"] if request.param == "kprototypes" else ["--set", "segmentation.method=rfm"]
    return request.param, _run(small_demo, tmp_path_factory.mktemp(request.param), *sets)


def _names(run_dir: Path) -> dict[str, dict[int, str]]:
    segments = json.loads((run_dir / "segments.json").read_text(encoding="utf-8"))["segments"]
    sizes = json.loads((run_dir / "segmentation.json").read_text(encoding="utf-8"))["sizes"]
    assignments = pd.read_csv(run_dir / "assignments.csv", dtype={"customer_id": str})
    per_segment = assignments.groupby("segment")["segment_name"].unique()
    assert (per_segment.map(len) == 1).all(), "one name per segment in assignments.csv"
    workbook = pd.read_excel(run_dir / "segments.xlsx", sheet_name=None)
    sheet = {k: workbook[i18n.t(f"xl_sheet_{k}", "en")] for k in ("segments", "personas", "customers")}
    no, name = i18n.t("xl_segment_id", "en"), i18n.t("col_segment", "en")
    return {
        "segments.json": {int(s["id"]): s["name"] for s in segments},
        "segmentation.json": {int(s["segment"]): s["name"] for s in sizes if s["n"]},
        "assignments.csv": {int(k): v[0] for k, v in per_segment.items()},
        "segments.xlsx segments": dict(zip(sheet["segments"][no].astype(int), sheet["segments"][name])),
        "segments.xlsx personas": dict(zip(sheet["personas"][no].astype(int), sheet["personas"][name])),
        "segments.xlsx customers": {int(k): v[0] for k, v in
                                    sheet["customers"].groupby(no)[name].unique().items()},
    }


def test_segment_names_are_identical_in_every_artifact_and_the_report(run):
    method, run_dir = run
    names = _names(run_dir)
    reference = names["segments.json"]
    for artifact, found in names.items():
        assert found == reference, artifact
    text = visible_text((run_dir / "report.html").read_text(encoding="utf-8"))
    for name in reference.values():
        assert name in text
    if method == "rfm":
        # The RFM map's own names, not persona names made up over them ("About To Sleep" stays);
        # customers who returned all they bought are their own group outside the map.
        assert set(reference.values()) <= {row[0] for row in RFM_MAP} | {"No purchases", GROUP_NAME}
        assignments = pd.read_csv(run_dir / "assignments.csv", dtype={"customer_id": str})
        bought = assignments["rfm_segment"].notna() & (assignments["segment_name"] != GROUP_NAME)
        assert (assignments.loc[bought, "segment_name"] == assignments.loc[bought, "rfm_segment"]).all()


def test_rfm_and_lifecycle_values_are_the_same_words_in_the_report_and_the_files(run):
    _, run_dir = run
    assignments = pd.read_csv(run_dir / "assignments.csv", dtype={"customer_id": str})
    segments = json.loads((run_dir / "segments.json").read_text(encoding="utf-8"))["segments"]
    for s in segments:
        part = assignments[assignments["segment"] == s["id"]]
        for mix, col in (("rfm_mix", "rfm_segment"), ("lifecycle_mix", "lifecycle")):
            assert set(s[mix]) == set(part[col].dropna().astype(str)), (s["name"], col)
    text = visible_text((run_dir / "report.html").read_text(encoding="utf-8"))
    shown = {v for s in segments for v in list(s["rfm_mix"])[:5]}
    assert all(v in text for v in shown)


def test_the_personas_stage_leaves_assignments_csv_to_the_segment_stage(run, tmp_path):
    from seglab.artifacts import stage_outputs
    from seglab.pipeline import stages

    _, run_dir = run
    before = (run_dir / "assignments.csv").read_bytes()
    cfg = stages.load_run_config(run_dir)
    work = tmp_path / "copy"
    work.mkdir()
    for stage in ("clean", "features", "segment"):
        for name in stage_outputs(stage):
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            (work / name).write_bytes((run_dir / name).read_bytes())
    (work / "params.yaml").write_bytes((run_dir / "params.yaml").read_bytes())
    stages.personas(cfg.model_copy(update={"compare_to": None}), work)
    assert (work / "assignments.csv").read_bytes() == before
