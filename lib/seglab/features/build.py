"""Customer-level features from the clean tables: RFM, tenure, lifecycle stage, lifetime
value, churn risk, and the value and risk tiers that place a customer on the value x risk
grid, with every rule and threshold recorded for the run's ``features.json``.

Vectorised over integer customer codes (one sort per distinct count), so twenty
million transaction lines take seconds, not hours.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from seglab.errors import DataError, ParamsError, did_you_mean
from seglab.features import aggregates, churn, clv
from seglab.features import value_risk as targeting
from seglab.features.lifetime import lifetime_value

__all__ = ["RFM_MAP", "RFM_MAPS", "RFM_MAP_EIGHT_CLASS", "DEFINITIONS", "QUINTILES", "DEFAULT_VALUE_TIERS",
           "DEFAULT_RISK_TIERS", "REFUND_STAGES", "DEFAULT_LIFECYCLE", "DERIVED_COLUMNS", "build_features", "score_edges",
           "scores_from_edges", "rfm_rules", "rfm_segment", "features_from_aggregates"]

#: The named RFM map.  Score ranges are inclusive; rows are checked top to bottom
#: and the first match names the customer, so every (r, f, m) gets exactly one name.
RFM_MAP: tuple[tuple[str, tuple[int, int], tuple[int, int], tuple[int, int]], ...] = (
    # name                  r       f       m
    ("Champions",          (4, 5), (4, 5), (4, 5)),
    ("Loyal Customers",    (3, 5), (4, 5), (1, 5)),
    ("Can't Lose Them",    (1, 2), (4, 5), (4, 5)),
    ("At Risk",            (1, 2), (3, 5), (1, 5)),
    ("New Customers",      (5, 5), (1, 1), (1, 5)),
    ("Promising",          (4, 4), (1, 1), (1, 5)),
    ("Potential Loyalist", (4, 5), (2, 3), (1, 5)),
    ("Need Attention",     (3, 3), (3, 3), (1, 5)),
    ("About To Sleep",     (3, 3), (1, 2), (1, 5)),
    ("Lost",               (1, 1), (1, 1), (1, 5)),
    ("Hibernating",        (1, 2), (1, 2), (1, 5)),
)

#: The eight-class RFM model common in China (重要价值客户 … 一般挽留客户): each of R, F and M
#: is high at a score of 3 or more (at or above the middle quintile), low below. The names are
#: keys the string tables translate ("Important Value" → 重要价值客户).
RFM_MAP_EIGHT_CLASS: tuple[tuple[str, tuple[int, int], tuple[int, int], tuple[int, int]], ...] = (
    # name                      r       f       m
    ("Important Value",       (3, 5), (3, 5), (3, 5)),
    ("Important Development", (3, 5), (1, 2), (3, 5)),
    ("Important Retention",   (1, 2), (3, 5), (3, 5)),
    ("Important Win-back",    (1, 2), (1, 2), (3, 5)),
    ("General Value",         (3, 5), (3, 5), (1, 2)),
    ("General Development",   (3, 5), (1, 2), (1, 2)),
    ("General Retention",     (1, 2), (3, 5), (1, 2)),
    ("General Win-back",      (1, 2), (1, 2), (1, 2)),
)
#: The RFM maps ``features.rfm_map`` may name instead of writing rules.
RFM_MAPS = {"standard": RFM_MAP, "eight_class": RFM_MAP_EIGHT_CLASS}

#: What each feature means (written into ``meta["definitions"]``).
DEFINITIONS = {
    "window": "transaction lines dated on or before as_of; later lines are ignored",
    "purchase_occasion": ("a distinct order id among non-return lines; lines without an "
                          "order id count once per calendar day"),
    "recency": "days from the last purchase (non-return line) to as_of",
    "frequency": "number of purchase occasions",
    "monetary": ("sum of all line amounts in the window, returns (negative) included; amounts "
                 "are added in whole cents, so any engine and any order of adding gives the same sum"),
    "rfm_scores": ("1-5 per dimension: 1 + the number of quintile edges strictly below the "
                   "value (bins closed on the right, so equal values always share a score); "
                   "recency is reversed (6 minus that), so recent buyers score 5. Edges are "
                   "the 20/40/60/80th percentiles (numpy 'linear') over customers with a "
                   "purchase; tied data can merge edges and leave some scores unused"),
    "rfm_score": "the three scores as a string, recency first, e.g. '545'",
    "rfm_segment": "the name of the first rfm_map row whose score ranges contain the scores",
    "first_purchase": "date of the first purchase in the window",
    "last_purchase": "date of the last purchase in the window",
    "tenure_days": "days from the first purchase to as_of",
    "aov": "monetary / frequency: net spend per purchase occasion",
    "purchase_rate": ("purchase occasions per year since the first purchase: frequency / "
                      "max(tenure_days, 90) * 365.25. Unlike frequency and monetary, which add "
                      "up over the years a customer has been buying, it reads the same for a "
                      "newcomer and a long-standing customer who buy alike (a history shorter "
                      "than a quarter counts as a quarter, so one early order is not read as a "
                      "yearly habit); 0 without a purchase"),
    "n_returns": "number of return occasions (distinct return order ids, else return days)",
    "buyer_type": ("'first-time' (1 occasion), 'repeat' (2 or more), 'returns-only' (return "
                   "lines but no purchase in the window), 'none' (no line at all)"),
    "lifecycle": ("'returns_only' with return lines but no purchase in the window; "
                  "'net_negative' when returns cancel the purchases (at least one return and "
                  "net spend, monetary, at or below 0); otherwise 'new' if tenure_days <= "
                  "new_days, 'active' if recency <= active_days, 'dormant' if recency <= "
                  "churned_days, else 'churned'; 'prospect' without any line. A purchase "
                  "line of amount 0 (free sample, 100 % voucher) is a purchase"),
    "clv_historical": "= monetary",
    "expected_purchases": ("BG/NBD expected purchase days over the horizon (purchase "
                           "occasions for the lifetime-value models are calendar days)"),
    "p_alive": ("BG/NBD probability of still being active, for analysts (the report shows "
                "churn_risk only); capped by the overdue rule; missing for customers without a "
                "repeat purchase day (the model lets customers drop out only after a repeat "
                "purchase, so it has no estimate for them) and when BG/NBD is not used"),
    "churn_risk": ("the estimated chance that the customer has stopped buying, by one of three "
                   "rules (churn_risk_basis): 'bgnbd' = 1 - p_alive for customers with a repeat "
                   "purchase day when BG/NBD passed its health checks; 'recency' = "
                   f"{churn.RECENCY_RULE}, for one-time buyers and for everybody when BG/NBD is "
                   f"not used; 'overdue' = {churn.OVERDUE_RULE}"),
    "churn_risk_basis": "'bgnbd', 'recency' or 'overdue': the rule that gave churn_risk",
    "expected_avg_spend": ("Gamma-Gamma expected spend per future purchase day; when "
                           "Gamma-Gamma is not used, the customer's own net spend per purchase day"),
    "clv_predicted": "expected_purchases * expected_avg_spend over the horizon, undiscounted",
    "value_tier": ("'high' / 'mid' / 'low' by clv_predicted (clv_historical when BG/NBD is "
                   "not used) among customers with a purchase; customers without a "
                   "purchase are 'low'"),
    "risk_tier": "'high' / 'medium' / 'low' by churn_risk; missing without a purchase",
    "value_risk_cell": ("the value x risk grid cell (seglab.targeting); 'prospect' for "
                        "customers without a purchase"),
}

QUINTILES = (0.2, 0.4, 0.6, 0.8)
#: Shares of purchasing customers in the top value tiers, ranked by lifetime value.
DEFAULT_VALUE_TIERS = {"high": 0.2, "mid": 0.3}
#: Lowest churn_risk of each risk tier.
DEFAULT_RISK_TIERS = {"medium": 0.3, "high": 0.7}
#: Lifecycle thresholds used when the data cannot support deriving them.
DEFAULT_LIFECYCLE = {"new_days": 90, "active_days": 180, "churned_days": 365}
_ACTIVE_PERCENTILE = 90
_NEW_PERCENTILE = 50
#: Shortest history over which purchase_rate is read (days): a quarter.
RATE_MIN_DAYS = 90
_CHURN_MULTIPLE = 2

#: Columns added to the customer table when transactions are given, in order.
DERIVED_COLUMNS = (
    "recency", "frequency", "monetary", "r_score", "f_score", "m_score", "rfm_score",
    "rfm_segment", "first_purchase", "last_purchase", "tenure_days", "aov", "purchase_rate", "n_returns",
    "buyer_type", "lifecycle", "clv_historical", "expected_purchases", "p_alive",
    "churn_risk", "churn_risk_basis", "expected_avg_spend", "clv_predicted", "value_tier",
    "risk_tier", "value_risk_cell",
)

_LIFECYCLE_STAGES = np.array(["new", "active", "dormant", "churned", "prospect", "returns_only",
                              "net_negative"], dtype=object)
#: Lifecycle stages of customers whose returns cancel their purchases: outside the value x
#: risk grid (cell 'returns'), never prospects, kept out of clustering (seglab.segment.outside).
REFUND_STAGES = ("returns_only", "net_negative")


# --------------------------------------------------------------------------- options


def _number_options(name: str, given, defaults: Mapping, *, allow_none=False) -> dict:
    """``given`` checked against the keys of ``defaults``: known keys, finite numbers."""
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise ParamsError(f"{name} must be a mapping with keys {sorted(defaults)}, got {given!r}")
    out = {}
    for key, value in given.items():
        if key not in defaults:
            raise ParamsError(f"{name}: unknown key {key!r}{did_you_mean(key, defaults)}; "
                              f"allowed: {sorted(defaults)}")
        if value is None and allow_none:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ParamsError(f"{name}.{key} must be a finite number, got {value!r}")
        out[key] = int(value) if float(value).is_integer() else float(value)
    return out


def _as_pair_mapping(name: str, given, keys: tuple[str, str]):
    """Also accept the params file's two-number form, e.g. ``value_tiers: [0.2, 0.3]``."""
    if isinstance(given, Sequence) and not isinstance(given, str):
        if len(given) != 2:
            raise ParamsError(f"{name} must be two numbers {list(keys)} or a mapping with those "
                              f"keys, got {given!r}")
        return dict(zip(keys, given))
    return given


def _value_tier_shares(value_tiers) -> dict:
    given = _as_pair_mapping("value_tiers", value_tiers, ("high", "mid"))
    shares = {**DEFAULT_VALUE_TIERS, **_number_options("value_tiers", given, DEFAULT_VALUE_TIERS)}
    if not (0 < shares["high"] and 0 <= shares["mid"] and shares["high"] + shares["mid"] <= 1):
        raise ParamsError(f"value_tiers: need 0 < high and 0 <= mid and high + mid <= 1 "
                          f"(shares of purchasing customers), got {shares}")
    return shares


def _risk_thresholds(risk_tiers) -> dict:
    given = _as_pair_mapping("risk_tiers", risk_tiers, ("medium", "high"))
    cuts = {**DEFAULT_RISK_TIERS, **_number_options("risk_tiers", given, DEFAULT_RISK_TIERS)}
    if not 0 < cuts["medium"] <= cuts["high"] <= 1:
        raise ParamsError(f"risk_tiers: need 0 < medium <= high <= 1 (lowest churn_risk of "
                          f"each tier), got {cuts}")
    return cuts


# --------------------------------------------------------------------------- RFM


def score_edges(values) -> list[float] | None:
    """Quintile edges (20/40/60/80th percentiles) of ``values``; None if empty."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return None
    return [float(e) for e in np.quantile(values, QUINTILES)]


def scores_from_edges(values, edges, *, reverse: bool = False) -> np.ndarray:
    """Scores 1-5: 1 + the number of edges strictly below each value.

    Bins are closed on the right, so a value equal to an edge falls in the lower bin
    and equal values always share a score.  ``reverse=True`` (recency) gives 6 minus
    that, so the smallest values score 5.
    """
    below = np.searchsorted(np.asarray(edges, dtype=np.float64),
                            np.asarray(values, dtype=np.float64), side="left")
    return (5 - below if reverse else 1 + below).astype(np.int8)


def _score_range(name, dim, value):
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value, value)
    if (not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)
            or not 1 <= value[0] <= value[1] <= 5):
        raise ParamsError(f"rfm_map: {name!r}.{dim} must be a score or an inclusive range "
                          f"[low, high] within 1..5, got {value!r}")
    return [int(value[0]), int(value[1])]


def rfm_rules(rfm_map=None) -> list[dict]:
    """The RFM map as a list of ``{"name", "r", "f", "m"}`` rules with [low, high] ranges.

    Parameters
    ----------
    rfm_map : list or mapping, optional
        Rules in priority order, as ``[{"name": ..., "r": [4, 5], "f": ..., "m": ...},
        ...]``, as ``[(name, r, f, m), ...]`` (the form of :data:`RFM_MAP`) or as
        ``{name: {"r": ..., "f": ..., "m": ...}, ...}``, or the name of a map of
        :data:`RFM_MAPS` ("standard", "eight_class").  A single score stands for
        ``[s, s]``; a missing range for ``[1, 5]``.  Default :data:`RFM_MAP`.  Together
        the rules must cover all 125 score combinations (a last catch-all rule does).
    """
    def as_row(item):
        if isinstance(item, Mapping):
            return dict(item)
        if isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 4:
            return dict(zip(("name", "r", "f", "m"), item))
        raise ParamsError(f"rfm_map: a rule must be a mapping or (name, r, f, m), got {item!r}")

    if rfm_map is None:
        rfm_map = RFM_MAP
    if isinstance(rfm_map, str):
        if rfm_map not in RFM_MAPS:
            raise ParamsError(f"features.rfm_map: {rfm_map!r} is not a named map; use one of {', '.join(RFM_MAPS)} "
                              "or write the rules")
        rfm_map = RFM_MAPS[rfm_map]
    if isinstance(rfm_map, Mapping):
        rows = [{"name": name, **as_row(spec)} for name, spec in rfm_map.items()]
    elif isinstance(rfm_map, Sequence) and not isinstance(rfm_map, str):
        rows = [as_row(item) for item in rfm_map]
    else:
        raise ParamsError(f"rfm_map must be a list of rules or a mapping name -> ranges, "
                          f"got {rfm_map!r}")
    rules = []
    for row in rows:
        unknown = set(row) - {"name", "r", "f", "m"}
        if unknown or not isinstance(row.get("name"), str):
            raise ParamsError(f"rfm_map: each rule needs a string 'name' and ranges 'r', 'f', "
                              f"'m' (nothing else), got {row!r}")
        rules.append({"name": row["name"],
                      **{d: _score_range(row["name"], d, row.get(d, [1, 5])) for d in "rfm"}})
    _rule_lookup(rules)  # raises on gaps
    return rules


def _rule_lookup(rules: list[dict]) -> np.ndarray:
    """Index of the naming rule for each of the 125 combinations, at (r-1)*25+(f-1)*5+(m-1)."""
    lookup = np.full(125, -1, dtype=np.int64)
    for i, rule in enumerate(rules):
        r = np.arange(rule["r"][0], rule["r"][1] + 1)
        f = np.arange(rule["f"][0], rule["f"][1] + 1)
        m = np.arange(rule["m"][0], rule["m"][1] + 1)
        cells = ((r[:, None, None] - 1) * 25 + (f[None, :, None] - 1) * 5
                 + (m[None, None, :] - 1)).ravel()
        cells = cells[lookup[cells] < 0]
        lookup[cells] = i
    if (lookup < 0).any():
        gap = int(np.flatnonzero(lookup < 0)[0])
        raise ParamsError(f"rfm_map leaves {int((lookup < 0).sum())} score combinations without "
                          f"a name, e.g. r={gap // 25 + 1} f={gap // 5 % 5 + 1} m={gap % 5 + 1}; "
                          "add a catch-all last rule")
    return lookup


def rfm_segment(r_score, f_score, m_score, rfm_map=None) -> np.ndarray:
    """The RFM segment name of each (r, f, m) score triple (scores 1-5)."""
    rules = rfm_rules(rfm_map)
    names = np.array([rule["name"] for rule in rules], dtype=object)
    r, f, m = (np.asarray(s, dtype=np.int64) for s in (r_score, f_score, m_score))
    if any(((s < 1) | (s > 5)).any() for s in (r, f, m)):
        raise ValueError("RFM scores must lie in 1..5")
    return names[_rule_lookup(rules)[(r - 1) * 25 + (f - 1) * 5 + (m - 1)]]


# --------------------------------------------------------------------------- lifecycle


def _lifecycle_thresholds(days: clv.PurchaseDays, lifecycle) -> dict:
    """Thresholds from ``lifecycle`` where given, else from the data; with the rule used."""
    given = _number_options("lifecycle", lifecycle, DEFAULT_LIFECYCLE, allow_none=True)
    repeat = days.n_days >= 2
    gaps = (days.last_day[repeat] - days.first_day[repeat]) / (days.n_days[repeat] - 1)
    if len(gaps) >= clv.MIN_REPEAT_BUYERS:
        p_new, p_active = np.percentile(gaps, [_NEW_PERCENTILE, _ACTIVE_PERCENTILE])
        active = max(1, math.ceil(p_active))
        derived = {"new_days": max(1, math.ceil(p_new)), "active_days": active,
                   "churned_days": _CHURN_MULTIPLE * active}
        rule = (f"per repeat buyer, the mean gap between purchase days; active_days = "
                f"{_ACTIVE_PERCENTILE}th percentile of those gaps, new_days = "
                f"{_NEW_PERCENTILE}th percentile, churned_days = {_CHURN_MULTIPLE} x "
                "active_days (days, rounded up)")
        basis = {"repeat_buyers": int(len(gaps)),
                 f"p{_NEW_PERCENTILE}_gap_days": float(p_new),
                 f"p{_ACTIVE_PERCENTILE}_gap_days": float(p_active)}
    else:
        derived = dict(DEFAULT_LIFECYCLE)
        rule = (f"fixed defaults: fewer than {clv.MIN_REPEAT_BUYERS} repeat buyers "
                f"({len(gaps)}) to derive thresholds from purchase gaps")
        basis = {"repeat_buyers": int(len(gaps))}
    values = {k: given.get(k, derived[k]) for k in DEFAULT_LIFECYCLE}
    if not 0 <= values["new_days"] <= values["active_days"] < values["churned_days"]:
        raise ParamsError(f"lifecycle: need 0 <= new_days <= active_days < churned_days, got "
                          f"{values} ({', '.join(k for k in values if k not in given) or 'none'}"
                          " derived from the data; set them explicitly)")
    return {**values, "source": {k: "given" if k in given else "derived" for k in values},
            "rule": rule, "basis": basis, "definition": DEFINITIONS["lifecycle"]}


def _lifecycle_codes(tenure, recency, thresholds) -> np.ndarray:
    """Index into _LIFECYCLE_STAGES per customer (NaN recency: prospect)."""
    with np.errstate(invalid="ignore"):
        code = np.select(
            [np.isnan(recency), tenure <= thresholds["new_days"],
             recency <= thresholds["active_days"], recency <= thresholds["churned_days"]],
            [4, 0, 1, 2], default=3)
    return code


# --------------------------------------------------------------------------- tiers


def _value_tier_codes(value, buyer, shares):
    """0 low / 1 mid / 2 high; thresholds are quantiles of ``value`` over buyers."""
    codes = np.zeros(len(value), dtype=np.int64)
    if not buyer.any():
        return codes, None
    edges = np.quantile(value[buyer], [1 - shares["high"] - shares["mid"], 1 - shares["high"]])
    codes[buyer] = np.searchsorted(edges, value[buyer], side="left")
    return codes, {"mid": float(edges[0]), "high": float(edges[1])}


# --------------------------------------------------------------------------- assembly


def _check_customers(customers) -> None:
    if not isinstance(customers, pd.DataFrame):
        raise DataError(f"customers must be a DataFrame, got {type(customers).__name__}")
    if "customer_id" not in customers.columns:
        raise DataError(f"customers: no 'customer_id' column; found {list(customers.columns)}")
    ids = customers["customer_id"]
    if ids.isna().any():
        raise DataError(f"customers.customer_id: {int(ids.isna().sum())} missing ids")
    if ids.duplicated().any():
        raise DataError(f"customers.customer_id: {int(ids.duplicated().sum())} duplicated ids, "
                        f"e.g. {ids[ids.duplicated()].iloc[:3].tolist()}; de-duplicate first")


def _labels(codes, table) -> np.ndarray:
    return np.asarray(table, dtype=object)[codes]


def _day_dates(day_numbers, known) -> np.ndarray:
    dates = day_numbers.astype("datetime64[D]").astype("datetime64[ns]")
    dates[~known] = np.datetime64("NaT")
    return dates


def _rfm(agg: aggregates.CustomerAggregates, as_of_day, rules):
    """Recency, frequency, monetary, their scores and segment names; and the score edges."""
    days = agg.days
    n, buyer = agg.n_customers, days.n_days > 0
    frequency = agg.frequency
    monetary = days.gross + days.returned
    recency = np.full(n, np.nan)
    if buyer.any():  # (without lines and without a given as_of there is no as-of day)
        recency[buyer] = as_of_day - days.last_day[buyer]
    values = {"recency": recency, "frequency": frequency, "monetary": monetary}
    edges = {dim: score_edges(v[buyer]) for dim, v in values.items()}
    score = {}
    for dim, v in values.items():
        s = np.ones(n, dtype=np.int8)
        if edges[dim] is not None:
            s[buyer] = scores_from_edges(v[buyer], edges[dim], reverse=dim == "recency")
        score[dim[0]] = s
    combo = (score["r"].astype(np.int64) - 1) * 25 + (score["f"] - 1) * 5 + (score["m"] - 1)
    combo_names = np.array([f"{i // 25 + 1}{i // 5 % 5 + 1}{i % 5 + 1}" for i in range(125)],
                           dtype=object)
    rule_names = np.array([rule["name"] for rule in rules], dtype=object)
    columns = {
        "recency": recency,
        "frequency": frequency.astype(np.int64),
        "monetary": monetary,
        **{f"{d}_score": pd.arrays.IntegerArray(score[d], ~buyer) for d in "rfm"},
        "rfm_score": np.where(buyer, combo_names[combo], None),
        "rfm_segment": np.where(buyer, rule_names[_rule_lookup(rules)[combo]], None),
    }
    return columns, edges


def _counts(labels, among=None) -> dict:
    labels = pd.Series(labels if among is None else labels[among])
    return {str(k): int(c) for k, c in labels.value_counts(sort=False).sort_index().items()}


def build_features(customers: pd.DataFrame, transactions: pd.DataFrame | None, *, as_of=None,
                   lifecycle=None, value_tiers=None, risk_tiers=None,
                   clv_horizon_days: float = 365, rfm_map=None) -> tuple[pd.DataFrame, dict]:
    """One row per customer: the attributes plus transactional features.

    Parameters
    ----------
    customers : DataFrame
        Clean customer table with a unique ``customer_id``; every column is kept.
    transactions : DataFrame or None
        Clean lines: ``customer_id``, ``date``, ``amount``, ``is_return`` and optionally
        ``order_id``.  None: the attributes are returned unchanged.
    as_of : date-like, optional
        Reference date for recency, tenure and the models; later lines are ignored.
        Default: the last transaction date.
    lifecycle : dict, optional
        ``new_days``, ``active_days``, ``churned_days``; missing ones are derived from
        the purchase gaps (the rule goes into ``meta``).
    value_tiers : dict or (float, float), optional
        Shares of purchasing customers in the ``high`` and ``mid`` tiers by lifetime
        value, as ``{"high": .2, "mid": .3}`` or ``(high, mid)``; default
        :data:`DEFAULT_VALUE_TIERS` (top 20 %, next 30 %).
    risk_tiers : dict or (float, float), optional
        Lowest ``churn_risk`` of the ``medium`` and ``high`` tiers, as a mapping or
        ``(medium, high)``; default :data:`DEFAULT_RISK_TIERS`.
    clv_horizon_days : float, default=365
        Horizon of ``expected_purchases`` and ``clv_predicted``.
    rfm_map : list or dict, optional
        Replaces :data:`RFM_MAP`, see :func:`rfm_rules`.

    Returns
    -------
    features : DataFrame
        ``customers`` (same order, fresh index) followed by :data:`DERIVED_COLUMNS`.
    meta : dict
        JSON-ready record of every definition, edge, threshold and model fit.
    """
    base = _checked_base(customers, transactions is not None, value_tiers, risk_tiers,
                         clv_horizon_days, rfm_map)
    if transactions is None:
        return base.copy(), {"transactions": False, "as_of": None,
                             "note": "no transactions: attributes only"}
    tx_all = clv.TransactionArrays.from_frame(transactions, base["customer_id"], orders=True)
    agg = aggregates.from_arrays(tx_all, as_of, horizon_days=clv_horizon_days)
    return features_from_aggregates(base, agg, as_of_given=as_of is not None, lifecycle=lifecycle,
                                    value_tiers=value_tiers, risk_tiers=risk_tiers,
                                    clv_horizon_days=clv_horizon_days, rfm_map=rfm_map)


def _checked_base(customers, with_transactions: bool, value_tiers, risk_tiers, clv_horizon_days,
                  rfm_map) -> pd.DataFrame:
    """The customer table with a fresh index, after every check of the table and the options."""
    _check_customers(customers)
    rfm_rules(rfm_map)
    _value_tier_shares(value_tiers)
    _risk_thresholds(risk_tiers)
    if (isinstance(clv_horizon_days, bool) or not isinstance(clv_horizon_days, (int, float))
            or not 0 < clv_horizon_days < math.inf):
        raise ParamsError(f"clv_horizon_days must be a positive number of days, "
                          f"got {clv_horizon_days!r}")
    base = customers.reset_index(drop=True)
    clash = [c for c in DERIVED_COLUMNS if c in base.columns] if with_transactions else []
    if clash:
        raise DataError(f"customers already has column(s) {clash} that features would "
                        "overwrite; rename them during cleaning")
    return base


def features_from_aggregates(customers: pd.DataFrame, agg: aggregates.CustomerAggregates, *,
                             as_of_given: bool, lifecycle=None, value_tiers=None, risk_tiers=None,
                             clv_horizon_days: float = 365, rfm_map=None) -> tuple[pd.DataFrame, dict]:
    """The features of :func:`build_features` from per-customer aggregates (any engine's).

    ``customers`` and ``agg`` are in the same customer order; ``as_of_given`` says whether
    the window's end was given or taken from the last line.  Other parameters as in
    :func:`build_features`.
    """
    base = _checked_base(customers, True, value_tiers, risk_tiers, clv_horizon_days, rfm_map)
    if not base["customer_id"].astype(str).equals(pd.Series(agg.customer_ids.astype(str), index=base.index)):
        raise ValueError("aggregates and customers are not in the same customer order")
    rules = rfm_rules(rfm_map)
    shares = _value_tier_shares(value_tiers)
    risk_cuts = _risk_thresholds(risk_tiers)
    as_of_day, days = agg.as_of_day, agg.days
    buyer = days.n_days > 0
    n = agg.n_customers

    rfm, edges = _rfm(agg, as_of_day, rules)
    recency, frequency, monetary = rfm["recency"], rfm["frequency"], rfm["monetary"]
    tenure = np.full(n, np.nan)
    if buyer.any():
        tenure[buyer] = as_of_day - days.first_day[buyer]
    thresholds = _lifecycle_thresholds(days, lifecycle)
    returned = days.returned < 0
    returns_only = ~buyer & returned
    net_negative = buyer & returned & (monetary <= 0)
    refunded = returns_only | net_negative
    stage = _LIFECYCLE_STAGES[np.select([returns_only, net_negative],
                                        [5, 6], _lifecycle_codes(tenure, recency, thresholds))]
    value, risk_basis, clv_meta = lifetime_value(days, agg.holdout, as_of_day, clv_horizon_days,
                                                 thresholds, recency, buyer)

    tier_basis = "clv_predicted" if clv_meta["used"] else "clv_historical"
    ranked = buyer & ~refunded  # net spend at or below zero: no tier, outside the grid
    value_code, value_edges = _value_tier_codes(
        value["clv_predicted"] if clv_meta["used"] else monetary, ranked, shares)
    with np.errstate(invalid="ignore"):
        risk_code = ((value["churn_risk"] >= risk_cuts["medium"]).astype(np.int64)
                     + (value["churn_risk"] >= risk_cuts["high"]))
    value_tier = _labels(value_code, ("low", "mid", "high"))
    risk_tier = np.where(ranked, _labels(risk_code, ("low", "medium", "high")), None)
    cells = np.array([[targeting.cell_key(v, r) for r in ("low", "medium", "high")]
                      for v in ("low", "mid", "high")], dtype=object)
    grid_cell = np.where(ranked, cells[value_code, risk_code],
                         np.where(refunded, targeting.RETURNS.key, targeting.PROSPECT.key))

    n_returns = agg.n_returns
    columns = {
        **rfm,
        "first_purchase": _day_dates(days.first_day, buyer),
        "last_purchase": _day_dates(days.last_day, buyer),
        "tenure_days": tenure,
        "aov": np.where(buyer, monetary / np.maximum(frequency, 1), np.nan),
        "purchase_rate": frequency / (np.fmax(tenure, RATE_MIN_DAYS) / 365.25),
        "n_returns": n_returns.astype(np.int64),
        "buyer_type": np.where(returns_only, "returns-only",
                               _labels(np.minimum(frequency, 2), ("none", "first-time", "repeat"))),
        "lifecycle": stage,
        "clv_historical": monetary,
        **{k: value[k] for k in ("expected_purchases", "p_alive", "churn_risk")},
        "churn_risk_basis": risk_basis,
        **{k: value[k] for k in ("expected_avg_spend", "clv_predicted")},
        "value_tier": value_tier,
        "risk_tier": risk_tier,
        "value_risk_cell": grid_cell,
    }
    features = pd.concat([base, pd.DataFrame(columns, index=base.index)[list(DERIVED_COLUMNS)]],
                         axis=1)

    span = [_iso(agg.first_day), _iso(agg.last_day)] if agg.lines_total else [None, None]
    meta = {
        "transactions": True,
        "as_of": None if as_of_day is None else _iso(as_of_day),
        "as_of_source": "given" if as_of_given else "last transaction date",
        "window": {"lines_total": agg.lines_total, "lines_used": agg.lines_used,
                   "lines_after_as_of": agg.lines_total - agg.lines_used,
                   "first_date": span[0], "last_date": span[1],
                   "order_ids": agg.order_ids},
        "customers": {"total": int(n), "with_purchase": int(buyer.sum()),
                      "without_purchase": int(n - buyer.sum()),
                      "returns_only": int(returns_only.sum()), "net_negative": int(net_negative.sum()),
                      "zero_amount_purchases": agg.zero_amount_purchases},
        "definitions": dict(DEFINITIONS),
        "rfm": {"score_edges": edges, "quintiles": list(QUINTILES), "map": rules,
                "map_rule": "rules are checked top to bottom; the first whose ranges "
                            "contain (r, f, m) names the customer",
                "segment_counts": _counts(rfm["rfm_segment"], buyer)},
        "lifecycle": {**thresholds, "counts": _counts(stage)},
        "clv": clv_meta,
        "value_tiers": {"basis": tier_basis, "shares": shares, "thresholds": value_edges,
                        "rule": "among customers with a purchase whose returns do not cancel "
                                "it: 'low' up to the mid threshold, 'mid' up to the high "
                                "threshold, 'high' above (thresholds are quantiles at "
                                "1-high-mid and 1-high)",
                        "no_purchase": "value_tier 'low', risk_tier missing, cell 'prospect'",
                        "returns": ("lifecycle 'returns_only' or 'net_negative': value_tier "
                                    "'low', risk_tier missing, cell 'returns' (outside the grid)"),
                        "counts": _counts(value_tier, ranked)},
        "risk_tiers": {"basis": "churn_risk", "thresholds": risk_cuts,
                       "rule": "'high' if churn_risk >= high, 'medium' if >= medium, "
                               "else 'low'",
                       "counts": _counts(risk_tier, ranked)},
        "value_risk_cells": _counts(grid_cell),
    }
    return features, meta


def _iso(day) -> str:
    return str(np.datetime64(int(day), "D"))
