"""The five stages of a run, each one function of (config, run folder).

A stage reads only the artifacts that earlier stages wrote into the run folder
and writes its own, so the pipeline runs the same inside Papermill-executed
notebooks, in tests, and in ``seglab assign`` (docs/architecture.md §1).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import joblib
import pandas as pd

from seglab.artifacts import read_assignments
from seglab.campaign.handover import RULES_FILE, write_targeting
from seglab.campaign.rules import fit_rules
from seglab.clean.stage import clean_stage
from seglab.config import RunConfig, config_from_dict, load_config
from seglab.features.build import build_features
from seglab.io.files import write_json
from seglab.pipeline import drift
from seglab.report.personas import build_personas
from seglab.report.render import run_identity, write_report_direct
from seglab.segment.fit import fit_segmentation

log = logging.getLogger("seglab")

STAGES = ("clean", "features", "segment", "personas", "report")

# What each stage writes; a stage's outputs are the next stages' inputs.
ARTIFACTS = {
    "clean": ("customers_clean.parquet", "quality.json", "quarantine.csv", "id_map.csv"),
    "features": ("features.parquet", "features.json"),
    "segment": ("assignments.csv", "model.joblib", "segmentation.json", "segment_rules.json"),
    "personas": ("segments.json", "targeting/targeting.json"),
    "report": ("report.html",),
}


# ------------------------------------------------------------------ stages

def clean(cfg: RunConfig, run_dir: Path) -> dict:
    """Load the inputs, repair and de-duplicate them, quarantine the unusable rows."""

    return clean_stage(cfg, Path(run_dir))


def features(cfg: RunConfig, run_dir: Path) -> pd.DataFrame:
    """One row per clean customer: attributes, RFM, lifecycle, value and risk."""

    run_dir = Path(run_dir)
    customers = pd.read_parquet(run_dir / "customers_clean.parquet")
    tx_path = run_dir / "transactions_clean.parquet"
    transactions = pd.read_parquet(tx_path) if tx_path.exists() else None
    pii = [c for c in cfg.columns.pii if c in customers.columns]
    customers = customers.drop(columns=pii)
    fcfg = cfg.features
    table, meta = build_features(
        customers, transactions,
        as_of=cfg.data.as_of,
        lifecycle=fcfg.lifecycle.model_dump(),
        value_tiers=fcfg.value_tiers,
        risk_tiers=fcfg.risk_tiers,
        clv_horizon_days=fcfg.clv_horizon_days,
        rfm_map=fcfg.rfm_map,
    )
    table.to_parquet(run_dir / "features.parquet", index=False)
    write_json(run_dir / "features.json", meta)
    return table


ASSIGNMENT_EXTRAS = ("rfm_segment", "lifecycle", "value_tier", "value_risk_cell")


def segment(cfg: RunConfig, run_dir: Path):
    """Fit the segmentation, save the model and one assignment per customer."""

    run_dir = Path(run_dir)
    table = pd.read_parquet(run_dir / "features.parquet")
    result = fit_segmentation(table, cfg)
    assignments = pd.DataFrame({"customer_id": table["customer_id"].astype(str), "segment": result.labels.astype(int)})
    # Provisional names; the personas stage replaces them with persona names.
    assignments["segment_name"] = [result.names.get(int(s), f"Segment {int(s)}") for s in assignments["segment"]]
    # Portable rules that reproduce the segments (campaign.rules): their segment per customer.
    rules = fit_rules(table, result.labels, model_features=result.report.get("features"), seed=cfg.seed)
    assignments["rule_segment"] = rules.apply(table)
    for col in ASSIGNMENT_EXTRAS:
        if col in table.columns:
            assignments[col] = table[col].to_numpy()
    assignments.to_csv(run_dir / "assignments.csv", index=False)
    joblib.dump(result.model, run_dir / "model.joblib")
    write_json(run_dir / "segmentation.json", result.report)
    write_json(run_dir / RULES_FILE, rules.as_dict())
    return result


def personas(cfg: RunConfig, run_dir: Path) -> dict:
    """Profile, name and describe each segment; recommend actions."""

    run_dir = Path(run_dir)
    table = pd.read_parquet(run_dir / "features.parquet")
    assignments = read_assignments(run_dir)
    meta = json.loads((run_dir / "features.json").read_text(encoding="utf-8"))
    segments = _write_personas(run_dir, build_personas(table, assignments, cfg, features_meta=meta), assignments)
    previous = drift.previous_run(cfg, run_dir)
    if previous is not None:
        # Segments that match the previous run's keep their names; the analyst's names win.
        taken = {n.casefold() for n in cfg.personas.names.values()}
        names = {sid: name for sid, name in drift.inherited_names(previous, run_dir).items()
                 if sid not in cfg.personas.names and name.casefold() not in taken}
        if names:
            kept = cfg.model_copy(update={"personas": cfg.personas.model_copy(
                update={"names": {**names, **cfg.personas.names}})})
            segments = _write_personas(run_dir, build_personas(table, assignments, kept, features_meta=meta),
                                       assignments)
        drift.write_comparison(previous, run_dir, cfg.language)
    write_targeting(run_dir, segments=segments["segments"], assignments=assignments, features=table,
                    control_share=cfg.targeting.control_share, seed=cfg.seed,
                    horizon_days=cfg.features.clv_horizon_days, language=cfg.language,
                    run_id=run_identity(run_dir))
    return segments


def _write_personas(run_dir: Path, segments: dict, assignments: pd.DataFrame) -> dict:
    write_json(run_dir / "segments.json", segments)
    names = {int(s["id"]): s["name"] for s in segments["segments"]}
    assignments["segment_name"] = assignments["segment"].map(names)
    assignments.to_csv(run_dir / "assignments.csv", index=False)
    return segments


def report(cfg: RunConfig, run_dir: Path) -> Path:
    """Build report.html (and the consultant's extras) from the artifacts alone.

    Used when the run is not executed through the notebooks; the notebook path
    exports the executed ``05_report`` notebook instead.
    """

    return write_report_direct(cfg, Path(run_dir))


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
        _reset_if_params_changed(run_dir, cfg.to_yaml())
    for earlier in STAGES[: STAGES.index(stage)]:
        if not all((run_dir / name).exists() for name in ARTIFACTS[earlier]):
            log.info("computing missing %s artifacts in %s", earlier, run_dir)
            STAGE_FUNCTIONS[earlier](cfg, run_dir)
    return cfg, run_dir


def _reset_if_params_changed(run_dir: Path, params_text: str) -> None:
    """A scratch folder made with other params holds stale artifacts: empty it."""
    import shutil

    saved = run_dir / "params.yaml"
    if saved.exists() and saved.read_text(encoding="utf-8") != params_text:
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    saved.write_text(params_text, encoding="utf-8")


def load_run_config(run_dir: Path) -> RunConfig:
    """The resolved params a run folder was made with."""
    import yaml

    path = Path(run_dir) / "params.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return config_from_dict(raw, base_dir=path.parent, source=path)


STAGE_FUNCTIONS = {"clean": clean, "features": features, "segment": segment, "personas": personas, "report": report}
