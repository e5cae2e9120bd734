"""A simulated campaign on a run's audiences: responses with known uplift per segment.

The campaign comes after the run (its control groups are the run's), so this generator
reads a finished run folder: ``seglab demo-data --scenario campaign --run RUN``. Each
segment's action is given an effect by its place on the value × risk grid (growing the
loyal works, letting the lapsed go changes nothing), each customer a response probability
with and without the action (higher for customers at lower churn risk), and each response
one or more orders around the customer's own average order value. The truth beside the
file holds each segment's true uplift — the mean over its customers of the difference the
action makes — so a test can check that ``seglab measure`` recovers it.

The export is dirty the way real ones are: copies of rows, responses from customers the
campaign never targeted, purchases dated before the campaign started, unreadable flags
and a response without a date, each extra row recorded in ``truth/campaign_rows.csv``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from seglab.campaign.handover import read_groups
from seglab.errors import SeglabError

CAMPAIGN_DAYS = (14, 60)  # the campaign runs from 14 to 60 days after the run's reference date
ORDERS_PER_RESPONSE = 0.3  # extra orders per responder (Poisson mean)
SPEND_SIGMA = 0.6  # log-normal spread of an order around the customer's average order value
# Planted effect by grid cell: response rate without the action, and what the action adds.
EFFECTS = {
    "high_value_low_risk": (0.20, 0.10), "high_value_medium_risk": (0.12, 0.08), "high_value_high_risk": (0.04, 0.06),
    "mid_value_low_risk": (0.12, 0.07), "mid_value_medium_risk": (0.08, 0.05), "mid_value_high_risk": (0.03, 0.04),
    "low_value_low_risk": (0.06, 0.0), "low_value_medium_risk": (0.04, 0.0), "low_value_high_risk": (0.01, 0.0),
    "prospect": (0.01, 0.02),
}
DEFAULT_EFFECT = (0.08, 0.04)
PROBLEMS = {  # extra rows, as a share of the response rows
    "exact_duplicate": 0.02, "not_in_audience": 0.01, "before_campaign": 0.03, "bad_flag": 0.003,
    "missing_response_date": 0.003,
}
COLUMNS = ("customer_id", "response_date", "converted", "revenue", "group")


def campaign_window(run_dir: Path) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of the simulated campaign."""
    meta = json.loads((Path(run_dir) / "features.json").read_text(encoding="utf-8"))
    as_of = pd.Timestamp(meta["as_of"]) if meta.get("as_of") else pd.Timestamp("2026-06-30")
    return as_of + pd.Timedelta(days=CAMPAIGN_DAYS[0]), as_of + pd.Timedelta(days=CAMPAIGN_DAYS[1])


def simulate(run_dir, *, seed: int = 42) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The campaign's results file, the true uplift per segment, and the truth per row.

    Returns
    -------
    responses : DataFrame
        ``customer_id, response_date, converted, revenue, group`` as a platform exports them.
    truth : DataFrame
        Per segment: planted rates, ``rate_uplift`` and ``revenue_uplift`` (per customer)
        as the means over the segment's customers, and the campaign window.
    rows : DataFrame
        ``source_row, problem`` for every row of ``responses`` ("" for a real response).
    """
    run_dir = Path(run_dir)
    if not (run_dir / "targeting" / "targeting.json").exists():
        raise SeglabError(f"{run_dir}: not a run folder with targeting/; give --run a complete run of seglab run")
    rng = np.random.default_rng(seed)
    groups = read_groups(run_dir)
    features = pd.read_parquet(run_dir / "features.parquet")
    features = features.set_index(features["customer_id"].astype(str)).reindex(groups["customer_id"])
    segments = {int(s["id"]): s for s in json.loads((run_dir / "segments.json").read_text(encoding="utf-8"))["segments"]}
    start, end = campaign_window(run_dir)

    risk = _column(features, "churn_risk", 0.5).clip(0, 1)
    aov = _column(features, "aov", np.nan)
    aov = np.where(np.isfinite(aov) & (aov > 0), aov, np.nanmedian(np.where(aov > 0, aov, np.nan)) if np.any(aov > 0) else 100.0)
    p0, p1 = np.zeros(len(groups)), np.zeros(len(groups))
    truth = []
    for sid, rows in groups.groupby("segment", sort=True).indices.items():
        cell = ((segments.get(int(sid)) or {}).get("value_risk") or {}).get("cell")
        base, lift = EFFECTS.get(cell, DEFAULT_EFFECT)
        w = 1.5 - risk[rows]  # customers at low churn risk respond more, with and without the action
        w = w / w.mean()
        p0[rows] = np.clip(base * w, 0, 1)
        p1[rows] = np.clip((base + lift) * w, 0, 1)
        gain = p1[rows] - p0[rows]
        truth.append({"segment": int(sid), "segment_name": groups["segment_name"].iloc[rows[0]], "cell": cell,
                      "customers": len(rows), "rate_without": round(float(p0[rows].mean()), 6),
                      "rate_with": round(float(p1[rows].mean()), 6), "rate_uplift": float(gain.mean()),
                      "revenue_uplift": float((gain * aov[rows] * (1 + ORDERS_PER_RESPONSE)).mean()),
                      "campaign_start": start.date().isoformat(), "campaign_end": end.date().isoformat()})
    treated = (groups["group"] == "treatment").to_numpy()
    responded = rng.random(len(groups)) < np.where(treated, p1, p0)
    who = np.flatnonzero(responded)
    orders = 1 + rng.poisson(ORDERS_PER_RESPONSE, len(who))
    line_customer = np.repeat(who, orders)
    spend = aov[line_customer] * rng.lognormal(-SPEND_SIGMA ** 2 / 2, SPEND_SIGMA, len(line_customer))
    days = (end - start).days
    when = start + pd.to_timedelta(rng.integers(0, days + 1, len(line_customer)), unit="D")
    frame = pd.DataFrame({"customer_id": groups["customer_id"].to_numpy()[line_customer],
                          "response_date": when.strftime("%Y-%m-%d"), "converted": "yes",
                          "revenue": np.round(spend, 2), "group": groups["group"].to_numpy()[line_customer]})
    frame["problem"] = ""
    frame = pd.concat([frame, _problems(rng, frame, groups, start)], ignore_index=True)
    frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    rows = pd.DataFrame({"source_row": np.arange(1, len(frame) + 1), "problem": frame.pop("problem")})
    return frame[list(COLUMNS)], pd.DataFrame(truth), rows


def _column(features: pd.DataFrame, name: str, default: float) -> np.ndarray:
    if name in features.columns:
        return pd.to_numeric(features[name], errors="coerce").fillna(default).to_numpy(dtype=float)
    return np.full(len(features), default, dtype=float)


def _problems(rng, frame: pd.DataFrame, groups: pd.DataFrame, start: pd.Timestamp) -> pd.DataFrame:
    """The extra rows a real export holds; none of them is a campaign response."""
    n = len(frame)
    count = {k: max(1, int(round(share * n))) for k, share in PROBLEMS.items()}
    parts = [frame.iloc[rng.choice(n, count["exact_duplicate"], replace=False)].assign(problem="exact_duplicate")]
    ghosts = frame.iloc[rng.choice(n, count["not_in_audience"], replace=False)].copy()
    ghosts["customer_id"] = [f"X{int(v):07d}" for v in rng.integers(0, 10_000_000, len(ghosts))]
    parts.append(ghosts.assign(problem="not_in_audience"))
    early = frame.iloc[rng.choice(n, count["before_campaign"], replace=True)].copy()
    early["customer_id"] = groups["customer_id"].to_numpy()[rng.integers(0, len(groups), len(early))]
    early["response_date"] = (start - pd.to_timedelta(rng.integers(1, 14, len(early)), unit="D")).strftime("%Y-%m-%d")
    parts.append(early.assign(problem="before_campaign"))
    odd = frame.iloc[rng.choice(n, count["bad_flag"], replace=True)].copy()
    odd["converted"] = rng.choice(["maybe", "pending", "?"], len(odd))
    parts.append(odd.assign(problem="bad_flag"))
    undated = frame.iloc[rng.choice(n, count["missing_response_date"], replace=True)].copy()
    undated["response_date"] = ""
    undated["revenue"] = np.round(undated["revenue"] * 0.5, 2)
    parts.append(undated.assign(problem="missing_response_date"))
    return pd.concat(parts, ignore_index=True)


def write_campaign(run_dir, out_dir, *, seed: int = 42) -> dict[str, Path]:
    """Write ``campaign_responses.csv`` and its truth under ``out_dir``; the same run and seed
    give the same bytes."""
    responses, truth, rows = simulate(run_dir, seed=seed)
    out = Path(out_dir)
    paths = {"responses": out / "campaign_responses.csv", "truth": out / "truth" / "campaign_truth.csv",
             "rows": out / "truth" / "campaign_rows.csv"}
    for key, frame in (("responses", responses), ("truth", truth), ("rows", rows)):
        path = paths[key]
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        frame.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n",
                     float_format="%.2f" if key == "responses" else "%.6f")
        os.replace(tmp, path)
    return paths
