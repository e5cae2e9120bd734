"""The files a campaign team receives: ``targeting/`` in the run folder.

Written by the personas stage, once segments have names and actions (docs/architecture.md §5):

- ``targeting/audience_segment_<id>.csv`` — one per segment: ``customer_id, segment,
  segment_name, group`` (treatment or control);
- ``targeting/campaign_plan.csv`` — one row per segment: action, channel, KPI, audience,
  treatment and control sizes, value at stake;
- ``targeting/segment_rules.sql`` — the portable segment rules (:mod:`seglab.campaign.rules`);
- ``targeting/targeting.json`` — how the audiences were made, for ``seglab measure``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from seglab.artifacts import dump_artifact, read_artifact, write_artifact
from seglab.campaign import audiences
from seglab.campaign.rules import SegmentRules, to_sql
from seglab.io.files import write_text
from seglab.io.outputs import read_csv, write_csv

FOLDER = "targeting"
RULES_FILE = "segment_rules.json"


def write_targeting(run_dir, *, segments: list[dict], assignments: pd.DataFrame, features: pd.DataFrame,
                    control_share: float, seed: int, horizon_days: int, language: str, run_id: str = "",
                    expected_rate: float = 0.05) -> dict:
    """Write ``targeting/`` and return the content of ``targeting.json``.

    Parameters
    ----------
    run_dir : path-like
        The run folder (``segment_rules.json`` must be there).
    segments : list of dict
        ``segments.json``'s segments.
    assignments, features : DataFrame
        ``assignments.csv`` and ``features.parquet`` of the run.
    control_share, seed : float, int
        ``targeting.control_share`` and the run's seed.
    expected_rate : float
        ``targeting.expected_response_rate``, for the plan's detectable uplift.
    horizon_days : int
        ``features.clv_horizon_days``, for the value at stake.
    """
    run_dir = Path(run_dir)
    out = run_dir / FOLDER
    out.mkdir(exist_ok=True)
    ids = assignments["customer_id"].astype("str")
    groups = pd.DataFrame({"customer_id": ids, "segment": assignments["segment"].astype(int).to_numpy()})
    groups["group"] = audiences.assign_groups(groups["customer_id"], groups["segment"], control_share, seed)
    names = {int(s["id"]): s.get("name", f"Segment {s['id']}") for s in segments}
    groups["segment_name"] = groups["segment"].map(names)
    for sid, part in groups.groupby("segment", sort=True):
        write_csv(part[["customer_id", "segment", "segment_name", "group"]], run_dir / audiences.audience_file(sid))

    by_id = features.set_index(features["customer_id"].astype("str"))
    value, basis = audiences.segment_value(by_id.reindex(ids.to_numpy()).reset_index(drop=True), horizon_days)
    plan = audiences.campaign_plan(segments, groups, value, basis, horizon_days=horizon_days, language=language,
                                   expected_rate=expected_rate)
    write_csv(plan, out / "campaign_plan.csv")

    rules = SegmentRules.from_dict(dump_artifact(read_artifact(run_dir, RULES_FILE)))
    write_text(out / "segment_rules.sql", to_sql(rules, names=names, run_id=run_id))
    meta = {
        "control_share": control_share, "seed": seed, "split": audiences.SPLIT_METHOD,
        "customers": int(len(groups)), "treatment": int((groups["group"] == audiences.TREATMENT).sum()),
        "control": int((groups["group"] == audiences.CONTROL).sum()),
        "value_basis": basis, "horizon_days": horizon_days, "expected_response_rate": expected_rate,
        "detectable_uplift": f"response-rate uplift detectable with {audiences.POWER:.0%} power in a two-sided "
                             f"{audiences.ALPHA:.0%} test, if {expected_rate:.0%} respond without the campaign",
        "segments": [{"segment": int(r.segment), "name": r.segment_name, "audience": int(r.audience),
                      "treatment": int(r.treatment), "control": int(r.control), "file": r.audience_file}
                     for r in plan.sort_values("segment").itertuples()],
        "files": {"plan": f"{FOLDER}/campaign_plan.csv", "rules_sql": f"{FOLDER}/segment_rules.sql"},
    }
    write_artifact(run_dir, f"{FOLDER}/targeting.json", meta)
    return meta


def read_groups(run_dir) -> pd.DataFrame:
    """Every customer of a run's audiences: ``customer_id, segment, segment_name, group``."""
    run_dir = Path(run_dir)
    meta = read_artifact(run_dir, f"{FOLDER}/targeting.json")
    parts = [read_csv(run_dir / s.file, dtype={"customer_id": str, "segment_name": str}) for s in meta.segments]
    return pd.concat(parts, ignore_index=True)

