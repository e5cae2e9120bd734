"""``seglab measure RUN --responses FILE``: a campaign's results against the run's audiences.

Reads the run's ``targeting/`` (who was in which segment, treatment or control), the
campaign results file, and writes ``measure.json``, ``measure.html`` (offline, the report's
style) and, when rows were set aside, ``measure_quarantine.csv`` (docs/architecture.md §5).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from seglab.campaign import handover
from seglab.campaign.measure import group_mismatches, measure_campaign
from seglab.campaign.responses import read_responses
from seglab.errors import DataError, SeglabError
from seglab.artifacts import dump_artifact, read_artifact, write_artifact
from seglab.io.files import write_text
from seglab.io.outputs import read_csv, write_csv
from seglab.pipeline.stages import load_run_config
from seglab.report.measure import render_measure
from seglab.report.render import run_identity

JSON, HTML, QUARANTINE = "measure.json", "measure.html", "measure_quarantine.csv"


def measure_run(run, responses, *, out=None, start=None, end=None, columns: dict | None = None,
                date_format: str | None = None, cost_per_contact: float = 0.0, confidence: float = 0.95,
                encoding: str = "auto") -> Path:
    """Measure a campaign and return the path of ``measure.html``.

    Parameters
    ----------
    run : path-like
        A complete run folder with ``targeting/``.
    responses : path-like or dict
        The campaign results: a file, or ``{"sql": QUERY, "url": URL}``.
    out : path-like, optional
        Folder for the outputs (default: the run folder).
    start, end : str or date, optional
        The campaign's first and last day. Default start: the day after the run's
        reference date (no response can be older than the run); default end: none.
    columns : dict, optional
        Column names by role (``customer_id``, ``responded``, ``revenue``, ``date``,
        ``group``) where the file's own names are not recognised.
    cost_per_contact : float
        Cost of the action per treated customer, set against the revenue uplift.
    confidence : float
        Level of every interval (default 0.95).
    """
    run_dir = _run_folder(run)
    cfg = load_run_config(run_dir)
    meta = read_artifact(run_dir, f"{handover.FOLDER}/targeting.json")
    if not meta.control:
        raise SeglabError(f"{run_dir}: the run held no control group back (targeting.control_share: "
                          f"{meta.control_share}), so a campaign's effect cannot be measured; "
                          "re-run with targeting.control_share above 0 before the campaign")
    if not cost_per_contact >= 0:
        raise SeglabError(f"--cost-per-contact: {cost_per_contact} is not a cost; give the cost per treated customer (0 or more)")
    if not 0.5 <= confidence < 1:
        raise SeglabError(f"--confidence: {confidence} is not a level; give one such as 0.95 (0.5 or more, below 1)")
    groups = handover.read_groups(run_dir)
    as_of = _as_of(run_dir)
    start_ts, start_source = _day(start, "--start"), "given"
    if start_ts is None:
        start_ts, start_source = (as_of + pd.Timedelta(days=1), "after the run's reference date") if as_of is not None \
            else (pd.Timestamp.min, "none")
    end_ts = _day(end, "--end")
    if end_ts is not None and end_ts < start_ts:
        raise SeglabError(f"--end {end_ts.date()} is before the campaign start {start_ts.date()}")
    out_dir = Path(out) if out else run_dir
    _writable(out_dir)  # before the results are read: a mistake costs nothing and leaves nothing
    result = read_responses(responses, audience_ids=groups["customer_id"], start=start_ts,
                            end=end_ts + pd.Timedelta(days=1) - pd.Timedelta(1, "ns") if end_ts is not None else None,
                            columns=columns, id_hint=cfg.columns.customer_id or cfg.columns.transactions.customer_id,
                            date_format=date_format, encoding=encoding, missing_tokens=cfg.cleaning.missing_tokens)
    plan_path = run_dir / meta.files["plan"]
    plan = read_csv(plan_path) if plan_path.exists() else None
    measured = measure_campaign(groups, result.customers, plan=plan, has_revenue=bool(result.columns["revenue"]),
                                cost_per_contact=cost_per_contact, confidence=confidence)
    accounting = result.accounting
    doc = {
        "run": run_identity(run_dir),
        "title": cfg.title, "client": cfg.client, "language": cfg.language,
        "measured_on": dt.date.today().isoformat(),
        "campaign": {"start": None if start_ts == pd.Timestamp.min else start_ts.date().isoformat(),
                     "start_source": start_source,
                     "end": end_ts.date().isoformat() if end_ts is not None else None},
        "responses": {"path": str(result.info["path"]), "format": result.info.get("format"),
                      "columns": result.columns, **accounting,
                      "customers_with_several_rows": result.info["customers_with_several_rows"],
                      "responses_only": result.info["responses_only"]},
        "audience": {"customers": int(len(groups)), "treatment": meta.treatment, "control": meta.control,
                     "control_share": meta.control_share,
                     "responding_customers": int(result.customers["responded"].sum())},
        **measured,
        "notes": result.notes,
    }
    if result.group_column is not None:
        doc["group_check"] = group_mismatches(groups, result.group_column)
    doc = write_artifact(out_dir, JSON, doc)
    if len(result.quarantine):
        write_csv(result.quarantine, out_dir / QUARANTINE)
    elif (out_dir / QUARANTINE).exists():
        (out_dir / QUARANTINE).unlink()  # from an earlier measurement of other results
    write_text(out_dir / HTML, render_measure(dump_artifact(doc), cfg.language))
    return out_dir / HTML


def _run_folder(run) -> Path:
    run_dir = Path(run)
    if not run_dir.is_dir():
        raise SeglabError(f"{run_dir}: no such run folder; give a folder under reports/<run_name>/")
    if not (run_dir / "params.yaml").exists():
        raise SeglabError(f"{run_dir}: not a seglab run folder (params.yaml is missing)")
    manifest = run_dir / "manifest.json"
    status = json.loads(manifest.read_text(encoding="utf-8")).get("status") if manifest.exists() else None
    if status != "complete":
        raise SeglabError(f"{run_dir}: run status is {status!r}; measure campaigns against complete runs only")
    if not (run_dir / handover.FOLDER / "targeting.json").exists():
        raise SeglabError(f"{run_dir}: has no {handover.FOLDER}/ folder (made by an older seglab); "
                          "re-run it to get audiences with control groups, then run the campaign on those")
    return run_dir


def _as_of(run_dir: Path) -> pd.Timestamp | None:
    value = read_artifact(run_dir, "features.json").as_of
    return pd.Timestamp(value) if value else None


def _day(value, option: str) -> pd.Timestamp | None:
    if value is None or value == "":
        return None
    try:
        return pd.Timestamp(dt.date.fromisoformat(str(value)))
    except ValueError:
        raise DataError(f"{option} {value!r}: not a date; write it as YYYY-MM-DD") from None


def _writable(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise SeglabError(f"--out {folder}: not a folder; choose a folder for measure.json and measure.html")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SeglabError(f"--out {folder}: cannot create the folder ({exc.strerror}); choose a writable folder") from None
    if not folder.is_dir():
        raise SeglabError(f"--out {folder}: not a folder; choose a folder for measure.json and measure.html")
