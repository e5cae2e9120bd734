"""Segment new customers with a finished run's saved model.

New data goes through the same cleaning and feature stages, with the run's
own params and reference date, so the model sees it exactly as it saw the
training data; on the run's own input the run's assignments come back.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd

from seglab.campaign.handover import RULES_FILE
from seglab.campaign.rules import SegmentRules
from seglab.config import FileSource
from seglab.errors import SeglabError
from seglab.io import privacy
from seglab.io.models import load_model
from seglab.pipeline import stages
from seglab.validation import validate


def assign_file(model, data, *, transactions=None, as_of=None) -> pd.DataFrame:
    """Assign the customers in ``data`` to the segments of the run that saved ``model``.

    Parameters
    ----------
    model : path-like
        ``model.joblib`` inside a run folder, or the run folder itself.
    data : path-like
        Customers, with the columns the run's params declare.
    transactions : path-like, optional
        Their transactions; needed when the model uses transaction features.
    as_of : str or date, optional
        Reference date for recency; default: the run's own.

    Returns
    -------
    DataFrame
        ``customer_id, segment, segment_name``, ``rule_segment`` (the run's portable
        rules) and, where computed, ``rfm_segment, lifecycle, value_tier, value_risk_cell``.
    """

    model_path = Path(model).resolve()
    run_dir = model_path if model_path.is_dir() else model_path.parent
    model_path = run_dir / "model.joblib" if model_path.is_dir() else model_path
    for needed in (model_path, run_dir / "params.yaml", run_dir / "features.json"):
        if not needed.exists():
            raise SeglabError(f"{needed}: not found; give the model.joblib of a complete seglab run folder")
    # Verified before anything else is read or run: unpickling an unverified file runs its code.
    fitted = load_model(model_path, privacy.project_key(run_dir.parent.parent, create=False),
                        expected_sha256=_recorded_sha256(run_dir))
    if not Path(data).exists():
        raise SeglabError(f"{data}: customers file not found")
    cfg = stages.load_run_config(run_dir)
    run_meta = json.loads((run_dir / "features.json").read_text(encoding="utf-8"))
    uses_transactions = cfg.data.transactions is not None
    if uses_transactions and transactions is None and cfg.data.customers is not None:
        raise SeglabError(f"{data}: the model of {run_dir} uses transaction features; give them with --transactions FILE")
    data_update = {
        "customers": _same_options(cfg.data.customers, Path(data).resolve()) if cfg.data.customers is not None else None,
        "transactions": _same_options(cfg.data.transactions, Path(transactions).resolve()) if transactions else None,
        "as_of": as_of or run_meta.get("as_of"),
    }
    if cfg.data.customers is None:  # a transactions-only run: the data file holds transactions
        data_update["transactions"] = _same_options(cfg.data.transactions, Path(data).resolve())
    # The project is where the run folder lies (its key hashes ids as the run did), not what
    # the params file that travels with a copied folder says.
    cfg = cfg.model_copy(update={"data": cfg.data.model_validate({**cfg.data.model_dump(), **data_update}),
                                 "output_dir": run_dir.parent.parent})
    validate(cfg, check_output=False, fitting=False)  # the new data, against the run's params, as seglab run would
    with tempfile.TemporaryDirectory(prefix="seglab-assign-") as tmp:
        work = Path(tmp)
        (work / "params.yaml").write_text(cfg.to_yaml(), encoding="utf-8")
        stages.clean(cfg, work)
        table = stages.features(cfg, work)
    labels = fitted.predict(table)
    names = _segment_names(run_dir)
    out = pd.DataFrame({"customer_id": table["customer_id"].astype(str), "segment": labels.astype(int)})
    out["segment_name"] = out["segment"].map(names).fillna(out["segment"].map(lambda s: f"Segment {s}"))
    if (run_dir / RULES_FILE).exists():  # the run's portable rules, as in its assignments.csv
        rules = SegmentRules.from_dict(json.loads((run_dir / RULES_FILE).read_text(encoding="utf-8")))
        out["rule_segment"] = rules.apply(table)
    for col in stages.ASSIGNMENT_EXTRAS:
        if col in table.columns:
            out[col] = table[col].to_numpy()
    return out


def _recorded_sha256(run_dir: Path) -> str | None:
    """The model hash in the run's manifest (runs made before manifests recorded it: None)."""
    try:
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    record = manifest.get("model") if isinstance(manifest, dict) else None
    return record.get("sha256") if isinstance(record, dict) else None


def _same_options(template, path: Path):
    """The new file read with the run's reading options (sheet, delimiter, header row)."""

    if isinstance(template, FileSource):
        return template.model_copy(update={"path": path})
    return path


def _segment_names(run_dir: Path) -> dict[int, str]:
    try:
        segments = json.loads((run_dir / "segments.json").read_text(encoding="utf-8"))["segments"]
    except (OSError, ValueError, KeyError):
        return {}
    return {int(s["id"]): s["name"] for s in segments}
