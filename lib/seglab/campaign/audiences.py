"""Audiences for a campaign: who gets each segment's action, who is held back, and the plan.

A campaign's effect is only measurable against customers who were left out of it: every
segment's audience is split into a treatment group and a **control group** of
``targeting.control_share`` of its customers (docs/architecture.md §5). The split is

- **stratified by segment**: each segment holds back its own share, rounded to the nearest
  customer, so every segment can be measured on its own;
- **seeded and stable**: customers are ranked by a hash of the run's seed and their id, and the
  lowest-ranked are held back. The same seed holds back the same customers in every run, so
  a customer who stays in a segment stays in its control group across re-runs, and anyone
  can reproduce the split from the seed and the ids alone.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pandas as pd
from scipy import stats

from seglab import i18n

TREATMENT, CONTROL = "treatment", "control"
SPLIT_METHOD = ("per segment, customers ranked by blake2b(seed:customer_id); the round(control_share x size) "
                "lowest-ranked customers form the control group")
POWER, ALPHA = 0.8, 0.05  # for the smallest uplift a split can detect (two-sided test)


def split_rank(ids: pd.Series, seed: int) -> np.ndarray:
    """A seeded pseudo-random rank key per customer id (64-bit), independent of the other ids."""
    prefix, blake2b = f"{seed}:".encode(), hashlib.blake2b
    keys = [int.from_bytes(blake2b(prefix + str(i).encode("utf-8"), digest_size=8).digest(), "big")
            for i in pd.Series(ids).tolist()]
    return np.array(keys, dtype=np.uint64)


def control_size(n: int, share: float) -> int:
    """Customers of a segment of ``n`` held back: ``share`` of them, rounded half up."""
    return int(math.floor(share * n + 0.5))


def assign_groups(ids: pd.Series, segments: pd.Series, share: float, seed: int) -> np.ndarray:
    """``"treatment"`` or ``"control"`` per customer, ``share`` of each segment held back.

    Parameters
    ----------
    ids, segments : Series
        Customer id and segment of each customer (same length).
    share : float
        ``targeting.control_share``; 0 holds nobody back.
    seed : int
        The run's seed.
    """
    ids = pd.Series(ids).astype("str").reset_index(drop=True)
    segments = pd.Series(segments).reset_index(drop=True)
    key = split_rank(ids, seed)
    groups = np.full(len(ids), TREATMENT, dtype=object)
    for _, rows in segments.groupby(segments, sort=True).indices.items():
        held = control_size(len(rows), share)
        if held:
            order = np.argsort(key[rows], kind="stable")
            ranked = key[rows][order]
            if (ranked[1:] == ranked[:-1]).any():  # a 64-bit tie (about never): the id decides, not the file order
                order = np.lexsort((ids.to_numpy(dtype=object)[rows], key[rows]))
            groups[rows[order[:held]]] = CONTROL
    return groups


def detectable_uplift(treated: int, control: int, rate: float) -> float | None:
    """The smallest response-rate uplift the split can detect: with 80 % power in a two-sided
    5 % test of two proportions (pooled z test), when about ``rate`` of the customers respond
    anyway. Solved by fixed-point iteration of the usual sample-size equation, with each
    group's own variance under the alternative. None without a control group."""
    if treated <= 0 or control <= 0 or not 0 < rate < 1:
        return None
    z_a, z_b = stats.norm.ppf(1 - ALPHA / 2), stats.norm.ppf(POWER)
    d = (z_a + z_b) * math.sqrt(rate * (1 - rate) * (1 / treated + 1 / control))
    for _ in range(100):
        p1 = min(rate + d, 1.0)
        pooled = (treated * p1 + control * rate) / (treated + control)
        new = z_a * math.sqrt(pooled * (1 - pooled) * (1 / treated + 1 / control)) + \
            z_b * math.sqrt(p1 * (1 - p1) / treated + rate * (1 - rate) / control)
        if abs(new - d) < 1e-9:
            break
        d = new
    return float(min(d, 1.0 - rate))


# ------------------------------------------------------------------ the plan

def segment_value(features: pd.DataFrame, horizon_days: int) -> tuple[pd.Series | None, str]:
    """Value per customer that the plan sums, and what it is.

    The predicted value over the CLV horizon where the features have it, else the
    revenue to date; None when the run has no transactions.
    """
    for col, key in (("clv_predicted", "value_basis_predicted"), ("monetary", "value_basis_history")):
        if col in features.columns and pd.to_numeric(features[col], errors="coerce").notna().any():
            return pd.to_numeric(features[col], errors="coerce").fillna(0.0), key
    return None, "value_basis_none"


def default_kpi(segment: dict, language: str) -> str:
    """The KPI a segment's action is judged by, from its place on the value × risk grid."""
    placement = segment.get("value_risk") or {}
    risk = placement.get("risk_tier")
    if placement.get("cell") == "prospect":
        key = "kpi_first_purchase"
    elif risk in ("high", "medium"):
        key = "kpi_reactivation" if risk == "high" else "kpi_retention"
    elif risk == "low":
        key = "kpi_revenue"
    else:
        key = "kpi_response"
    return i18n.t(key, language)


def campaign_plan(segments: list[dict], groups: pd.DataFrame, value: pd.Series | None, value_basis: str,
                  *, horizon_days: int, language: str, expected_rate: float = 0.05) -> pd.DataFrame:
    """One row per segment: its action, channel, KPI, audience and control sizes, and the value at stake.

    Parameters
    ----------
    segments : list of dict
        ``segments.json``'s segments (their ``actions`` give action, channel and, when
        present, the KPI; missing parts degrade to the grid's defaults).
    groups : DataFrame
        ``customer_id, segment, group`` for every customer.
    value : Series or None
        Value per customer aligned with ``groups`` (see :func:`segment_value`).
    expected_rate : float
        Response rate expected without the campaign, for ``detectable_uplift``.
    """
    rows = []
    for seg in sorted(segments, key=lambda s: int(s["id"])):
        sid = int(seg["id"])
        mine = groups["segment"].to_numpy() == sid
        treated = mine & (groups["group"].to_numpy() == TREATMENT)
        action = (seg.get("actions") or [{}])[0]
        expected = float(value[treated].sum()) if value is not None else None
        rows.append({
            "segment": sid,
            "segment_name": seg.get("name", f"Segment {sid}"),
            "priority": action.get("priority"),
            "objective": action.get("objective_text") or "",
            "action": action.get("offer") or i18n.t("offer_default", language),
            "message": action.get("message") or "",
            "channel": action.get("channel") or i18n.t("channel_default", language),
            "kpi": action.get("kpi") or default_kpi(seg, language),
            "test_days": (action.get("test") or {}).get("duration_days"),
            "audience": int(mine.sum()),
            "treatment": int(treated.sum()),
            "control": int((mine & ~treated).sum()),
            "detectable_uplift": _round(detectable_uplift(int(treated.sum()), int((mine & ~treated).sum()),
                                                          expected_rate), 4),
            "expected_value": None if expected is None else round(expected, 2),
            "value_basis": i18n.t(value_basis, language, days=horizon_days),
            "audience_file": audience_file(sid),
        })
    plan = pd.DataFrame(rows)
    # The most urgent action first, as the report lists them.
    order = plan["priority"].map(lambda p: p if isinstance(p, (int, float)) and p == p else math.inf)
    return plan.assign(_order=order).sort_values(["_order", "segment"], kind="stable").drop(columns="_order") \
        .reset_index(drop=True)


def _round(x, digits):
    return None if x is None else round(x, digits)


def audience_file(segment: int) -> str:
    """The audience file of a segment, relative to the run folder."""
    return f"targeting/audience_segment_{int(segment)}.csv"
