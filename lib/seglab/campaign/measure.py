"""Which segments' actions paid off: response and revenue, treatment versus control, per segment.

Customers are compared as they were assigned in ``targeting/`` (intention to treat): a
customer of the treatment group who never opened the message still counts as treated,
because leaving such customers out would compare the keen with everyone. Customers absent
from the results file did not respond and brought no campaign revenue.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from seglab.campaign import uplift as stats
from seglab.campaign.audiences import CONTROL, TREATMENT

# Fewer responders in a group and Welch's revenue interval covers clearly less than it says (about
# 90 % for a 95 % interval with 10-15 control responders and skewed spend: tests/test_campaign_uplift.py):
# the verdict then rests on the response rate, whose interval holds with small counts.
MIN_RESPONDERS = 20
MIN_GROUP = 2  # customers a group needs before anything can be measured
_TREATMENT_WORDS = {"treatment", "treated", "test", "target", "targeted", "contacted", "mailed", "处理组", "实验组"}
_CONTROL_WORDS = {"control", "holdout", "hold-out", "hold out", "held out", "not contacted", "对照组"}

VERDICTS = ("paid_off", "responses_up", "no_effect_shown", "responses_down", "did_not_pay_off", "not_measurable")


def outcomes(groups: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """Every audience customer with their outcome: responded, revenue (zero when absent)."""
    out = groups.merge(customers[["customer_id", "responded", "revenue", "first_date"]], on="customer_id", how="left")
    out["responded"] = out["responded"].fillna(False).astype(bool)
    out["revenue"] = out["revenue"].fillna(0.0).astype(float)
    return out


def measure_campaign(groups: pd.DataFrame, customers: pd.DataFrame, *, plan: pd.DataFrame | None = None,
                     has_revenue: bool = True, cost_per_contact: float = 0.0,
                     confidence: float = stats.CONFIDENCE) -> dict:
    """Uplift per segment and overall, with a verdict per segment.

    Parameters
    ----------
    groups : DataFrame
        ``customer_id, segment, segment_name, group`` of every audience customer.
    customers : DataFrame
        One row per responding customer: ``customer_id, responded, revenue, first_date``.
    plan : DataFrame, optional
        ``targeting/campaign_plan.csv`` (action, channel and KPI are carried over).
    has_revenue : bool
        Whether the results had a revenue column: then the verdict is on revenue per
        customer (where both groups have enough responders), else on the response rate.
    cost_per_contact : float
        Cost of the action per treated customer: an action paid off when its revenue
        uplift per customer is surely above it.
    confidence : float
        Of every interval (default 0.95).

    Verdicts: ``paid_off`` (the revenue uplift's interval lies above the cost; without
    revenue, the response uplift's above zero and no cost given), ``did_not_pay_off``
    (the revenue interval lies below the cost), ``responses_up`` / ``responses_down``
    (revenue undecided or not measurable, but the response rate surely rose / fell),
    ``no_effect_shown`` and ``not_measurable`` (a group with fewer than two customers).
    """
    data = outcomes(groups, customers)
    plan_rows = plan.set_index("segment").to_dict("index") if plan is not None and len(plan) else {}
    segments = []
    for sid, part in data.groupby("segment", sort=True):
        row = _measure_group(part, has_revenue, cost_per_contact, confidence)
        extra = plan_rows.get(int(sid), {})
        row = {"segment": int(sid), "name": str(part["segment_name"].iloc[0]),
               **{k: _plain(extra.get(k)) for k in ("action", "channel", "kpi")}, **row}
        segments.append(row)
    overall = _measure_group(data, has_revenue, cost_per_contact, confidence)
    return {"segments": segments, "overall": overall, "basis": "revenue" if has_revenue else "response_rate",
            "cost_per_contact": cost_per_contact, "confidence": confidence,
            "methods": {"response_rate": stats.RESPONSE_METHOD,
                        "revenue": stats.REVENUE_METHOD if has_revenue else None,
                        "assignment": "intention to treat: customers counted in the group the plan put them in",
                        "min_responders": MIN_RESPONDERS}}


def _measure_group(part: pd.DataFrame, has_revenue: bool, cost: float, confidence: float) -> dict:
    treated = part["group"].to_numpy() == TREATMENT
    control = part["group"].to_numpy() == CONTROL
    responded = part["responded"].to_numpy()
    revenue = part["revenue"].to_numpy()
    u = stats.uplift(responded[treated], responded[control],
                     revenue[treated] if has_revenue else None, revenue[control] if has_revenue else None,
                     confidence=confidence)
    out = u.as_dict()
    n_t = u.treated
    out["incremental_responses"] = _scaled(u.rate_uplift, n_t)
    out["incremental_responses_low"] = _scaled(u.rate_uplift_low, n_t)
    out["incremental_responses_high"] = _scaled(u.rate_uplift_high, n_t)
    out["revenue_total_treated"] = round(float(revenue[treated].sum()), 2) if has_revenue else None
    if has_revenue:
        out["incremental_revenue"] = _scaled(u.revenue_uplift, n_t)
        out["incremental_revenue_low"] = _scaled(u.revenue_uplift_low, n_t)
        out["incremental_revenue_high"] = _scaled(u.revenue_uplift_high, n_t)
        out["net_value"] = _scaled(u.revenue_uplift - cost, n_t)
        out["net_value_low"] = _scaled(u.revenue_uplift_low - cost, n_t)
        out["net_value_high"] = _scaled(u.revenue_uplift_high - cost, n_t)
    out["verdict"], out["notes"] = _verdict(u, has_revenue, cost)
    return out


def _verdict(u: stats.Uplift, has_revenue: bool, cost: float) -> tuple[str, list[str]]:
    if u.treated < MIN_GROUP or u.control < MIN_GROUP:
        return "not_measurable", ["too_few_customers"]
    notes = []
    if math.isnan(u.rate_uplift_low) or math.isnan(u.rate_uplift_high):
        return "not_measurable", ["no_interval"]
    rate_up, rate_down = u.rate_uplift_low > 0, u.rate_uplift_high < 0
    if has_revenue:
        if min(u.responders_treated, u.responders_control) >= MIN_RESPONDERS and not math.isnan(u.revenue_uplift_low):
            if u.revenue_uplift_low > cost:
                return "paid_off", notes
            if u.revenue_uplift_high < cost:
                return "did_not_pay_off", notes
        else:
            notes.append("few_responders")
        return ("responses_up" if rate_up else "responses_down" if rate_down else "no_effect_shown"), notes
    if rate_up:
        return ("paid_off" if cost == 0 else "responses_up"), notes
    return ("responses_down" if rate_down else "no_effect_shown"), notes


def group_mismatches(plan_groups: pd.DataFrame, file_groups: pd.DataFrame) -> dict:
    """Customers whose group in the results file differs from the plan's (counted, not used)."""
    said = file_groups.drop_duplicates("customer_id").merge(plan_groups[["customer_id", "group"]],
                                                             on="customer_id", suffixes=("_file", "_plan"))
    word = said["group_file"].map(lambda v: TREATMENT if v in _TREATMENT_WORDS else CONTROL if v in _CONTROL_WORDS
                                  else None)
    known = word.notna()
    return {"compared": int(known.sum()), "unrecognised": int((~known).sum()),
            "differ": int((known & (word != said["group_plan"])).sum())}


def _scaled(x: float, n: int):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x) * n, 2)


def _plain(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return v.item() if isinstance(v, np.generic) else v
