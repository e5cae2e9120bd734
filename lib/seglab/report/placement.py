"""Where a segment sits on the value × risk grid: in the cell most of its customers are in.

Every customer has a value tier and a risk tier, cut at customer level (see
``features.json``: value by quantiles of lifetime value among buyers, risk by
fixed churn-risk thresholds), and so a cell of the nine-box. A segment is shown
in the cell that holds most of its customers (ties go to the cell with more of
its revenue), never at an average of tiers, which can land where none of its
customers are. When that cell holds less than half of the segment, the
placement carries the spread over cells for the report to show. A segment that
brings at least 40 % of revenue, or twice the average revenue per customer, is
never shown below the top value tier: it is placed at the top tier, at the
risk most of its high-value customers have.
"""

from __future__ import annotations

import pandas as pd

from seglab import numbers
from seglab.features import value_risk as targeting

__all__ = ["MAJORITY", "TOP_REVENUE_SHARE", "TOP_VALUE_MULTIPLE", "cell_spread", "place"]

#: Below this share of its customers in one cell, a segment's spread is shown.
MAJORITY = 0.5
#: A segment with at least this share of revenue belongs to the top value tier.
TOP_REVENUE_SHARE = 0.4
#: ... as does one whose revenue per customer is at least this multiple of the average.
TOP_VALUE_MULTIPLE = 2.0
# Grid coordinates (0 = low … 2 = high) of the tiers, for the figure.
VALUE_ORDER = ("low", "mid", "high")
RISK_ORDER = ("low", "medium", "high")


def cell_spread(part: pd.DataFrame) -> pd.DataFrame:
    """Share of a segment's customers and of its revenue in each cell, largest first.

    ``part`` holds the segment's customers with ``value_risk_cell`` and, when
    known, ``monetary``. Revenue shares are of positive net revenue, missing
    when the segment has none (returns cancel its purchases).
    """
    cells = part["value_risk_cell"].astype("string").fillna(targeting.PROSPECT.key)
    out = pd.DataFrame({"customers": cells.value_counts(normalize=True)})
    # positive net revenue, as every revenue share of the report (seglab.report.personas)
    revenue = part["monetary"].astype(float).clip(lower=0) if "monetary" in part.columns else None
    total = float(revenue.sum()) if revenue is not None else 0.0
    out["revenue"] = revenue.groupby(cells).sum() / total if total > 0 else float("nan")
    out["revenue"] = out["revenue"].fillna(0.0) if total > 0 else out["revenue"]
    out["priority"] = [targeting.cell_info(k)["priority"] for k in out.index]
    return out.sort_values(["customers", "revenue", "priority"], ascending=[False, False, True])


def place(part: pd.DataFrame, *, share: float, revenue_share: float | None, language: str) -> dict:
    """A segment's cell, why it is there, and how its customers spread over the grid.

    Parameters
    ----------
    part : DataFrame
        The segment's customers: ``value_tier``, ``risk_tier``, ``value_risk_cell``
        and ``monetary``.
    share, revenue_share : float
        The segment's share of customers and of revenue (None without revenue).
    language : {"en", "zh"}

    Returns
    -------
    dict
        ``cell``, ``value_tier``, ``risk_tier``, ``name``, ``strategy``,
        ``priority``; ``cell_share`` and ``cell_revenue_share`` (of the segment,
        in the shown cell); ``basis`` (``"most_customers"``, ``"top_revenue"``
        or ``"top_value_per_customer"``); ``majority`` (at least half in the
        cell); ``spread`` (every cell holding customers: ``cell``, ``name``,
        ``share``, ``revenue_share``); ``value_score`` and ``risk_score`` (the
        cell's coordinates on the grid figure, None for prospects).
    """
    spread = cell_spread(part)
    key = str(spread.index[0])
    basis = "most_customers"
    multiple = revenue_share / share if revenue_share is not None and share else None
    # prospects and customers whose returns cancel their purchases are outside the grid
    if targeting.cell_info(key)["value_tier"] not in (None, "high"):
        if revenue_share is not None and revenue_share >= TOP_REVENUE_SHARE:
            basis = "top_revenue"
        elif multiple is not None and multiple >= TOP_VALUE_MULTIPLE:
            basis = "top_value_per_customer"
        if basis != "most_customers":
            key = targeting.cell_key("high", _top_tier_risk(part))
    info = targeting.cell_info(key, language)
    in_cell = spread["customers"].get(key, 0.0)
    revenue_in_cell = spread["revenue"].get(key, 0.0)
    on_grid = info["value_tier"] is not None
    return {
        "cell": key, "value_tier": info["value_tier"], "risk_tier": info["risk_tier"], "name": info["name"],
        "strategy": info["strategy"], "priority": info["priority"],
        "cell_share": numbers.stored(in_cell), "cell_revenue_share": numbers.stored(revenue_in_cell),
        "basis": basis, "revenue_per_customer_multiple": numbers.stored(multiple, 2) if multiple is not None else None,
        "majority": bool(in_cell >= MAJORITY),
        "spread": [{"cell": str(k), "name": targeting.cell_info(str(k), language)["name"],
                    "share": numbers.stored(r.customers), "revenue_share": numbers.stored(r.revenue)}
                   for k, r in spread.iterrows()],
        "value_score": float(VALUE_ORDER.index(info["value_tier"])) if on_grid else None,
        "risk_score": float(RISK_ORDER.index(info["risk_tier"])) if on_grid else None,
    }


def _top_tier_risk(part: pd.DataFrame) -> str:
    """The risk tier most of the segment's high-value customers have (of all its buyers if none)."""
    risk = part["risk_tier"].astype("string")
    high = risk[part["value_tier"].astype("string") == "high"].dropna()
    pool = high if len(high) else risk.dropna()
    if pool.empty:
        return "medium"
    counts = pool.value_counts()
    top = counts[counts == counts.max()].index
    # On a tie, the more urgent tier: attention is cheaper than a lost customer.
    return next(t for t in targeting.RISK_TIERS if t in set(top))
