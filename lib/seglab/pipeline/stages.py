"""The five stages of a run, each one function of (config, run folder).

A stage reads only the artifacts that earlier stages wrote into the run folder
and writes its own, so the pipeline runs the same inside Papermill-executed
notebooks, in tests, and in ``seglab assign`` (docs/architecture.md §1).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path

import pandas as pd
import yaml

from seglab import __version__
from seglab.artifacts import (
    read_artifact,
    read_assignments,
    stage_outputs,
    write_artifact,
)
from seglab.campaign.handover import RULES_FILE, write_targeting
from seglab.campaign.rules import fit_rules
from seglab.clean.stage import clean_stage
from seglab.compute import engine, lloyd
from seglab.config import (
    FileSource,
    RunConfig,
    SqlSource,
    config_from_dict,
    load_config,
)
from seglab.features.build import build_features, features_from_aggregates
from seglab.errors import DataError
from seglab.io import privacy
from seglab.io.files import write_json
from seglab.io.models import save_model
from seglab.io.outputs import write_csv
from seglab.io.sources import source_files
from seglab.pipeline import drift
from seglab.pipeline.runs import library_fingerprint
from seglab.report.naming import name_segments
from seglab.report.personas import build_personas
from seglab.report.render import run_identity, write_report_direct
from seglab.segment.fit import fit_segmentation
from seglab.validation import validate

log = logging.getLogger("seglab")

STAGES = ("clean", "features", "segment", "personas", "report")


# ------------------------------------------------------------------ stages

def clean(cfg: RunConfig, run_dir: Path) -> dict:
    """Load the inputs, repair and de-duplicate them, quarantine the unusable rows."""

    return clean_stage(cfg, Path(run_dir))


def features(cfg: RunConfig, run_dir: Path) -> pd.DataFrame:
    """One row per clean customer: attributes, RFM, lifecycle, value and risk.

    The lines are aggregated per customer by the run's engine (``compute``), out of core;
    the features are computed from those aggregates.
    """

    run_dir = Path(run_dir)
    customers = pd.read_parquet(run_dir / "customers_clean.parquet")
    tx_path = run_dir / "transactions_clean.parquet"
    pii = [c for c in cfg.columns.pii if c in customers.columns]
    customers = customers.drop(columns=pii)
    fcfg = cfg.features
    options = {"lifecycle": fcfg.lifecycle.model_dump(), "value_tiers": fcfg.value_tiers,
               "risk_tiers": fcfg.risk_tiers, "clv_horizon_days": fcfg.clv_horizon_days, "rfm_map": fcfg.rfm_map}
    if tx_path.exists():
        agg = engine.customer_aggregates(cfg, tx_path, customers["customer_id"])
        table, meta = features_from_aggregates(customers, agg, as_of_given=cfg.data.as_of is not None, **options)
    else:
        table, meta = build_features(customers, None, as_of=cfg.data.as_of, **options)
    table.to_parquet(run_dir / "features.parquet", index=False)
    write_artifact(run_dir, "features.json", meta)
    return table


ASSIGNMENT_EXTRAS = ("rfm_segment", "lifecycle", "value_tier", "value_risk_cell")


def segment(cfg: RunConfig, run_dir: Path, *, result=None):
    """Fit the segmentation, name its segments, save the model and one assignment per customer.

    ``result``: a segmentation already fitted to this run's features with these params (the
    workbench's chosen candidate), saved instead of fitting again. Names are given here, once
    (analyst's, a previous run's, the method's, or from the segment's traits:
    seglab.report.naming), and every later artifact copies them: assignments.csv is written by
    this stage only.
    """

    run_dir = Path(run_dir)
    table = pd.read_parquet(run_dir / "features.parquet")
    if result is None:
        with lloyd.passes_for(cfg.compute) as passes:  # the final fit's passes: here or on the cluster
            result = fit_segmentation(table, cfg, passes=passes)
    assignments = pd.DataFrame({"customer_id": table["customer_id"].astype(str), "segment": result.labels.astype(int)})
    previous = drift.previous_run(cfg, run_dir)
    inherited = drift.inherited_names(previous, table, assignments) if previous is not None else None
    names = name_segments(table, assignments, cfg, method_names=result.names, inherited=inherited)
    assignments["segment_name"] = assignments["segment"].map(names)
    # Portable rules that reproduce the segments (campaign.rules): their segment per customer.
    rules = fit_rules(table, result.labels, model_features=result.report.get("features"), seed=cfg.seed)
    assignments["rule_segment"] = rules.apply(table)
    for col in ASSIGNMENT_EXTRAS:
        if col in table.columns:
            assignments[col] = table[col].to_numpy()
    for size in result.report.get("sizes", []):
        size["name"] = names.get(int(size["segment"]), size.get("name"))
    write_csv(assignments, run_dir / "assignments.csv")
    # For machines and any size of base; segments.json names the segments.
    assignments.drop(columns="segment_name").to_parquet(run_dir / "assignments.parquet", index=False)
    save_model(result.model, run_dir / "model.joblib", privacy.get_secret(cfg))
    write_artifact(run_dir, "segmentation.json", result.report)
    write_artifact(run_dir, RULES_FILE, rules.as_dict())
    return result


def personas(cfg: RunConfig, run_dir: Path) -> dict:
    """Profile and describe each segment under the name the segment stage gave it; recommend actions."""

    run_dir = Path(run_dir)
    table = pd.read_parquet(run_dir / "features.parquet")
    assignments = read_assignments(run_dir)
    as_of = read_artifact(run_dir, "features.json").as_of
    names = assignments.drop_duplicates("segment").set_index("segment")["segment_name"].to_dict()
    segments = build_personas(table, assignments, cfg, as_of=as_of, names={int(k): v for k, v in names.items()})
    write_artifact(run_dir, "segments.json", segments)
    write_targeting(run_dir, segments=segments["segments"], assignments=assignments, features=table,
                    control_share=cfg.targeting.control_share, seed=cfg.seed,
                    horizon_days=cfg.features.clv_horizon_days, language=cfg.language,
                    run_id=run_identity(run_dir), expected_rate=cfg.targeting.expected_response_rate)
    return segments


def report(cfg: RunConfig, run_dir: Path) -> Path:
    """Build report.html (and the consultant's extras) from the artifacts alone.

    Used when the run is not executed through the notebooks; the notebook path
    executes ``05_report`` (which calls :func:`compare`) and exports it instead.
    """

    compare(cfg, Path(run_dir))
    return write_report_direct(cfg, Path(run_dir))


def compare(cfg: RunConfig, run_dir: Path) -> dict | None:
    """compare.json and compare.html when the params name a run to compare with (``compare_to``).

    Part of the report stage: the comparison is read by the report's "what changed" section.
    """

    previous = drift.previous_run(cfg, Path(run_dir))
    return None if previous is None else drift.write_comparison(previous, Path(run_dir), cfg.language)


# ------------------------------------------------------- notebooks' entry

def open_stage(stage: str, params_path, run_dir=None) -> tuple[RunConfig, Path]:
    """Config and run folder for a notebook; computes missing upstream artifacts.

    Papermill passes both parameters. Opened by hand in JupyterLab with the
    defaults (``run_dir=None``), the notebook works in a scratch run folder
    ``reports/_scratch/<run_name>`` and computes what earlier stages would have
    written, so every notebook runs top to bottom on its own.
    """
    if run_dir is not None and (Path(run_dir) / "params.yaml").exists():
        run_dir = Path(run_dir)
        cfg = load_run_config(run_dir)
    else:
        cfg = load_config(params_path)
        run_dir = Path(run_dir) if run_dir is not None else cfg.reports_root() / "_scratch" / cfg.run_name
        cfg = cfg.model_copy(update={"output_dir": cfg.reports_root()})
        if _is_stale(run_dir, cfg):
            validate(cfg)  # what seglab run checks first, before a scratch folder is (re)made
        _reset_if_stale(run_dir, cfg)
    for earlier in STAGES[: STAGES.index(stage)]:
        if not all((run_dir / name).exists() for name in stage_outputs(earlier)):
            log.info("computing missing %s artifacts in %s", earlier, run_dir)
            STAGE_FUNCTIONS[earlier](cfg, run_dir)
    return cfg, run_dir


SCRATCH_KEY = ".scratch-key.json"


def scratch_key(cfg: RunConfig) -> dict:
    """What a scratch folder's artifacts were computed from: the params, the input files
    (path, size, modification time), the seglab version and a hash of its source files
    (two checkouts of one version differ there)."""
    params = cfg.to_yaml()
    inputs = {}
    for role in ("customers", "transactions"):
        path = _source_file(getattr(cfg.data, role))
        if path is not None and path.is_file():
            st = path.stat()
            inputs[role] = {"path": str(path.resolve()), "bytes": st.st_size, "mtime_ns": st.st_mtime_ns}
        elif path is not None:  # a folder or a glob pattern: every file behind it
            try:
                files = source_files(path) or []
            except DataError:  # nothing there: the clean stage says so
                files = []
            inputs[role] = {"path": str(path), "files": [[str(f.resolve()), f.stat().st_size, f.stat().st_mtime_ns]
                                                         for f in files]}
    return {"params_sha256": hashlib.sha256(params.encode("utf-8")).hexdigest(), "inputs": inputs,
            "seglab": __version__, "seglab_source": library_fingerprint()}


def _source_file(src) -> Path | None:
    """The file behind an input: a path, a file source, or an SQLite database."""
    if isinstance(src, Path):
        return src
    if isinstance(src, FileSource):
        return src.path
    if isinstance(src, SqlSource) and src.url.startswith("sqlite:///"):
        return Path(src.url.removeprefix("sqlite:///"))
    return None


def _is_stale(run_dir: Path, cfg: RunConfig) -> bool:
    """True when a scratch folder is missing or was made from other params, inputs or seglab code."""
    try:
        return json.loads((run_dir / SCRATCH_KEY).read_text(encoding="utf-8")) != scratch_key(cfg)
    except (OSError, ValueError):
        return True


def _reset_if_stale(run_dir: Path, cfg: RunConfig) -> None:
    """A scratch folder made from other params, inputs or seglab code holds stale artifacts: empty it."""
    key = scratch_key(cfg)
    saved = run_dir / SCRATCH_KEY
    if run_dir.exists():
        if _is_stale(run_dir, cfg):
            log.info("scratch folder %s was made from other params, inputs or seglab code: emptied", run_dir)
            shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "params.yaml").write_text(cfg.to_yaml(), encoding="utf-8")
    write_json(saved, key)


def load_run_config(run_dir: Path) -> RunConfig:
    """The resolved params a run folder was made with."""
    path = Path(run_dir) / "params.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return config_from_dict(raw, base_dir=path.parent, source=path)


STAGE_FUNCTIONS = {"clean": clean, "features": features, "segment": segment, "personas": personas, "report": report}
