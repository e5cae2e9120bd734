"""The analyses case studies add to the generic report: cross-tabs, seasonality, rules-vs-clusters
agreement, retention curves, leading traits turned into offers, and win-back targets.

Each function takes tables a run folder holds (``features.parquet`` joined with
``assignments.csv``, ``transactions_clean.parquet``) and returns a DataFrame, or draws on an
Axes and returns it; none saves a file. The case-study notebooks are these calls plus prose.
"""

from __future__ import annotations

import calendar
import json
import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import PercentFormatter
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score

from seglab.artifacts import read_assignments
from seglab.errors import DataError
from seglab.report import display
from seglab.report.figures import wrap
from seglab.segment.fit import fit_segmentation

MONTHS = tuple(calendar.month_abbr[1:])  # Jan .. Dec
SMART = ("Specific", "Measurable", "Achievable", "Relevant", "Time-bound")


# ------------------------------------------------------------------ findings

class Findings:
    """A case study's findings: headlines with their evidence, every number computed from the data.

    Each point is ``(headline, text)``, both plain text (numbers and names from the data are
    formatted into them by the notebook); shown in Jupyter as a bulleted list, escaped, so
    nothing from the data can become markup.
    """

    def __init__(self, points):
        self.points = [(str(head), str(text)) for head, text in points]

    def __repr__(self) -> str:
        return "\n".join(f"* {head} {text}" for head, text in self.points)

    def _repr_html_(self) -> str:
        return display.to_html([display.items(self.points)])


def share_text(x: float) -> str:
    """A share as a reader says it: ``37 %`` (whole percent; under 1 % with one decimal)."""
    return f"{x:.1%}".replace("%", " %") if abs(x) < 0.01 else f"{x:.0%}".replace("%", " %")


def names_text(items) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


# ------------------------------------------------------------------ run tables

def customer_table(run_dir) -> pd.DataFrame:
    """One row per clean customer: the features of the run with its segment and segment name."""

    run_dir = Path(run_dir)
    features = pd.read_parquet(run_dir / "features.parquet")
    features["customer_id"] = features["customer_id"].astype(str)
    assignments = read_assignments(run_dir)[["customer_id", "segment", "segment_name"]]
    return features.merge(assignments, on="customer_id", how="left", validate="one_to_one")


def transaction_table(run_dir) -> pd.DataFrame:
    """The run's clean transaction lines (``customer_id``, ``date``, ``amount``, ``is_return``)."""
    path = Path(run_dir) / "transactions_clean.parquet"
    if not path.exists():
        raise DataError(f"{path}: this run has no transactions (give data.transactions in the params)")
    tx = pd.read_parquet(path)
    tx["customer_id"] = tx["customer_id"].astype(str)
    return tx


def persona_table(run_dir) -> pd.DataFrame:
    """The run's personas in one table: name, size, shares, value x risk cell, needs and actions."""
    segments = json.loads((Path(run_dir) / "segments.json").read_text(encoding="utf-8"))["segments"]
    rows = []
    for s in segments:
        persona, cell = s.get("persona") or {}, s.get("value_risk") or {}
        actions = s.get("actions") or [{}]
        rows.append({"segment": s["name"], "customers": s["size"], "share": s["share"],
                     "revenue_share": s.get("revenue_share"), "value_x_risk": cell.get("name"),
                     "needs": persona.get("needs"), "first_action": actions[0].get("offer")})
    return pd.DataFrame(rows).set_index("segment")


def smart_objective(text: str) -> pd.DataFrame:
    """A segmentation objective written ``Specific: ... Measurable: ... Time-bound: ...`` as a table
    of the five SMART criteria; a criterion missing from the text is an error."""
    pattern = "|".join(re.escape(c) for c in SMART)
    parts = re.split(rf"\b({pattern})\s*:", text or "")
    found = {parts[i]: " ".join(parts[i + 1].split()).rstrip(" .") + "." for i in range(1, len(parts) - 1, 2)}
    missing = [c for c in SMART if c not in found]
    if missing:
        raise DataError(f"report.objectives: write the objective as 'Specific: ... Measurable: ... Achievable: ... "
                        f"Relevant: ... Time-bound: ...'; missing {', '.join(missing)}")
    return pd.DataFrame({"criterion": list(SMART), "objective": [found[c] for c in SMART]}).set_index("criterion")


# ------------------------------------------------------------------ cross-tabs

def crosstab(data: pd.DataFrame, *, rows: str, columns: str, values: str | None = None, aggfunc: str = "sum",
             normalize: bool | str = False, margins: bool = False) -> pd.DataFrame:
    """Customers (or a sum/mean of ``values``) by two columns.

    Parameters
    ----------
    data : DataFrame
        One row per customer, e.g. :func:`customer_table`.
    rows, columns : str
        The two columns to cross.
    values : str, optional
        Aggregate this column with ``aggfunc`` instead of counting customers.
    aggfunc : {"sum", "mean", "median"}, default="sum"
    normalize : bool or {"all", "index", "columns"}, default=False
        Shares instead of counts or sums (``"columns"``: each column sums to 1).
    margins : bool, default=False
        Add an ``All`` row and column.
    """
    for col in (rows, columns, values):
        if col is not None and col not in data.columns:
            raise DataError(f"crosstab: no column {col!r}; columns are {', '.join(map(str, data.columns))}")
    if aggfunc not in ("sum", "mean", "median"):
        raise ValueError(f"aggfunc must be 'sum', 'mean' or 'median'; got {aggfunc!r}")
    if values is not None and aggfunc != "sum" and normalize:
        raise ValueError("normalize works with counts and sums, not with a mean or median")
    kwargs = {"values": data[values], "aggfunc": aggfunc} if values is not None else {}
    table = pd.crosstab(data[rows], data[columns], normalize=normalize, margins=margins, **kwargs)
    return table.rename_axis(index=rows, columns=columns)


def crosstab_heatmap(table: pd.DataFrame, *, fmt: str = ".0%", cmap: str = "Blues", title: str | None = None,
                     ax=None):
    """A cross-tab as an annotated heatmap; returns the Axes."""


    if ax is None:
        _, ax = plt.subplots(figsize=(min(12, 1.6 + 1.3 * table.shape[1]), 0.9 + 0.45 * table.shape[0]))
    sns.heatmap(table, annot=True, fmt=fmt, cmap=cmap, cbar=False, linewidths=0.5, ax=ax)
    ax.set_xticklabels([wrap(t.get_text(), 14) for t in ax.get_xticklabels()], rotation=0)
    ax.set_yticklabels(ax.get_yticklabels(), rotation=0)
    if title:
        ax.set_title(title)
    return ax


# ------------------------------------------------------------------ seasonality

def seasonality_table(transactions: pd.DataFrame, customers: pd.DataFrame, *, by: str,
                      customer_id: str = "customer_id", date: str = "date", amount: str = "amount") -> pd.DataFrame:
    """Seasonal index of revenue per calendar month for each group of customers.

    Purchases (returns excluded) are summed per calendar month of each year, averaged over the
    years in the window (so a window of 18 months counts each month by its own number of
    years), and divided by the group's average month: 100 is an average month, 300 a month with
    three times the usual sales.

    Returns
    -------
    DataFrame
        Rows ``Jan`` .. ``Dec``, one column per value of ``by``.
    """
    if by not in customers.columns:
        raise DataError(f"seasonality: customers have no column {by!r}")
    tx = transactions
    if "is_return" in tx.columns:
        tx = tx[~tx["is_return"].astype(bool)]
    groups = customers.set_index(customers[customer_id].astype(str))[by]
    frame = pd.DataFrame({
        "group": tx[customer_id].astype(str).map(groups).to_numpy(),
        "year": pd.DatetimeIndex(tx[date]).year, "month": pd.DatetimeIndex(tx[date]).month,
        "amount": tx[amount].to_numpy(dtype=float),
    }).dropna(subset=["group"])
    if frame.empty:
        raise DataError("seasonality: no purchase matches a customer of the table")
    per_month = frame.groupby(["group", "year", "month"])["amount"].sum()
    # Months with no sale in a year still count: fill the year-month grid of the window.
    months = frame[["year", "month"]].drop_duplicates()
    grid = pd.MultiIndex.from_tuples([(g, y, m) for g in per_month.index.unique(0)
                                      for y, m in months.itertuples(index=False)], names=per_month.index.names)
    average = per_month.reindex(grid, fill_value=0.0).groupby(["group", "month"]).mean().unstack("group")
    average = average.reindex(range(1, 13))
    index = 100 * average / average.mean()
    index.index = pd.Index([MONTHS[m - 1] for m in index.index], name="month")
    index.columns.name = by
    return index.round(1)


def seasonality_plot(table: pd.DataFrame, *, title: str | None = None, ax=None):
    """One line per group over the calendar months (seasonal index, 100 = average month)."""

    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 3.6))
    long = table.reset_index().melt(id_vars="month", var_name="group", value_name="index")
    sns.lineplot(data=long, x="month", y="index", hue="group", marker="o", sort=False, ax=ax)
    ax.axhline(100, color="#999999", linewidth=1, linestyle="--")
    ax.set_xlabel("")
    ax.set_ylabel("seasonal index (100 = average month)")
    ax.legend(title=table.columns.name, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if title:
        ax.set_title(title)
    return ax


def peak_months(table: pd.DataFrame, *, threshold: float = 150.0) -> pd.DataFrame:
    """Each group's peak season from a :func:`seasonality_table`: the months at or above
    ``threshold`` (150: half as much again as an average month), the best month and its index."""
    rows = []
    for group in table.columns:
        col = table[group]
        peak = [m for m in table.index if col[m] >= threshold]
        rows.append({table.columns.name or "group": group, "peak_months": ", ".join(peak) or "(no peak)",
                     "best_month": col.idxmax(), "best_index": float(col.max()), "lowest_month": col.idxmin(),
                     "lowest_index": float(col.min())})
    return pd.DataFrame(rows).set_index(table.columns.name or "group")


# ------------------------------------------------------------------ rules vs clusters

def agreement_table(a: pd.Series, b: pd.Series, *, normalize: bool | str = False) -> pd.DataFrame:
    """Customers by their label in two segmentations (rows: ``a``, columns: ``b``)."""
    a, b = _aligned(a, b)
    return pd.crosstab(a, b, normalize=normalize).rename_axis(index=a.name or "a", columns=b.name or "b")


def agreement_scores(a: pd.Series, b: pd.Series) -> pd.DataFrame:
    """How far two segmentations of the same customers agree, label names aside.

    ``adjusted_rand`` is 1 for identical partitions and about 0 for unrelated ones;
    ``adjusted_mutual_info`` likewise; ``matched_share`` is the share of customers in the
    ``a`` segment most of their ``b`` segment falls in.
    """

    a, b = _aligned(a, b)
    table = pd.crosstab(a, b)
    return pd.DataFrame([{
        "customers": int(len(a)), "segments_a": int(table.shape[0]), "segments_b": int(table.shape[1]),
        "adjusted_rand": round(float(adjusted_rand_score(a, b)), 4),
        "adjusted_mutual_info": round(float(adjusted_mutual_info_score(a, b)), 4),
        "matched_share": round(float(table.max(axis=0).sum() / len(a)), 4),
    }])


def _aligned(a: pd.Series, b: pd.Series) -> tuple[pd.Series, pd.Series]:
    if len(a) != len(b):
        raise ValueError(f"both segmentations must label the same customers; got {len(a)} and {len(b)} labels")
    a = pd.Series(np.asarray(a), name=getattr(a, "name", None))
    b = pd.Series(np.asarray(b), name=getattr(b, "name", None))
    if a.isna().any() or b.isna().any():
        raise ValueError("a customer without a label; agreement needs every customer labelled in both")
    return a, b


def cluster_labels(features: pd.DataFrame, cfg, *, method: str = "kprototypes", columns: list[str] | None = None,
                   k="auto", k_range: tuple[int, int] | None = None) -> pd.Series:
    """Cluster the run's customers with another method than the params', for comparison.

    Uses the same engine, k choice and seed as a run (``seglab.segment``). Returns a Series
    aligned with ``features``: ``Cluster 1`` (the largest) .. ``Cluster k``.
    """

    if method not in ("kmeans", "kprototypes"):
        raise ValueError(f"method must be 'kmeans' or 'kprototypes'; got {method!r}")
    update = {"method": method, "k": k, "rules": [], "bins": []}
    if columns is not None:
        update["features"] = list(columns)
    if k_range is not None:
        update["k_range"] = tuple(k_range)
    seg = cfg.segmentation.model_copy(update=update)
    result = fit_segmentation(features, cfg.model_copy(update={"segmentation": seg}), progress=False)
    return pd.Series([f"Cluster {int(s) + 1}" for s in result.labels], index=features.index, name="cluster")


def group_profile(data: pd.DataFrame, *, by: str, numeric: list[str] = (), categorical: list[str] = ()) -> pd.DataFrame:
    """Size, numeric means and the most common category of each group (one row per group)."""
    g = data.groupby(by, sort=True)
    out = pd.DataFrame({"customers": g.size(), "share": (g.size() / len(data)).round(3)})
    for col in numeric:
        out[col] = g[col].mean().round(1)
    for col in categorical:
        out[col] = g[col].agg(lambda s: s.mode().iat[0] if s.notna().any() else None)
    return out


# ------------------------------------------------------------------ leading traits and plays

def segment_leaders(data: pd.DataFrame, *, columns: list[str], segment: str = "segment_name",
                    min_share: float = 0.2) -> pd.DataFrame:
    """Each segment's most distinctive value of each column.

    The leading value is the one with the highest lift (share in the segment / share in the
    whole base) among the values held by at least ``min_share`` of the segment; with none, the
    segment's most common value. Returns one row per segment with, per column, the value, its
    share in the segment and its lift.
    """
    rows = []
    for name, part in data.groupby(segment, sort=True):
        row = {segment: name, "customers": len(part)}
        for col in columns:
            share = part[col].value_counts(normalize=True)
            base = data[col].value_counts(normalize=True)
            lift = (share / base.reindex(share.index)).fillna(0.0)
            eligible = lift[share >= min_share]
            value = eligible.idxmax() if len(eligible) else share.idxmax()
            row |= {col: value, f"{col}_share": round(float(share[value]), 3), f"{col}_lift": round(float(lift[value]), 2)}
        rows.append(row)
    return pd.DataFrame(rows).set_index(segment)


def playbook(leaders: pd.DataFrame, *, column: str, plays: dict, default: str = "(no play defined)",
             name: str = "play") -> pd.DataFrame:
    """The play (offer, message, channel) for each segment's leading value of ``column``."""
    out = leaders[[column, f"{column}_share"]].copy()
    lookup = {str(k).casefold(): v for k, v in plays.items()}
    out[name] = [lookup.get(str(v).casefold(), default) for v in out[column]]
    return out


# ------------------------------------------------------------------ retention

def retention_table(transactions: pd.DataFrame, *, customer_id: str = "customer_id", date: str = "date",
                    cohort: str = "Q", periods: int = 12, known_start: bool = True) -> pd.DataFrame:
    """Share of each cohort still buying (paying) 0, 1, ... ``periods`` months after its first month.

    A cohort is the customers whose first purchase falls in one ``cohort`` period (``"Q"``
    quarter, ``"M"`` month); a customer counts as retained in month ``m`` when they bought in
    that calendar month. Cells after the data's last month are empty (not yet observable).
    ``known_start`` drops the customers who bought in the data's first month: they may have
    been customers long before, so their "first" month is not their start.
    """
    tx = _purchases(transactions, customer_id, date, known_start)
    first = tx.groupby("customer")["month"].min()
    tx["offset"] = _month_diff(tx["month"], tx["customer"].map(first))
    cohort_of = first.dt.to_timestamp().dt.to_period(cohort).astype(str)
    tx["cohort"] = tx["customer"].map(cohort_of)
    active = tx[tx["offset"] <= periods].drop_duplicates(["customer", "offset"])
    counts = active.pivot_table(index="cohort", columns="offset", values="customer", aggfunc="count", fill_value=0)
    counts = counts.reindex(columns=range(periods + 1), fill_value=0)
    size = first.groupby(cohort_of).size()
    table = counts.div(size.reindex(counts.index), axis=0)
    # A month is observable for a cohort when its youngest member has reached it.
    youngest = first.groupby(cohort_of).max().reindex(table.index)
    reach = _month_diff(pd.Series(tx["month"].max(), index=youngest.index), youngest).to_numpy()
    table = table.mask(np.arange(periods + 1)[None, :] > reach[:, None])
    table.insert(0, "customers", size.reindex(table.index).astype(int))
    table.columns.name = "months since first purchase"
    return table.round(3)


def retention_curve(transactions: pd.DataFrame, *, groups: pd.Series | None = None, customer_id: str = "customer_id",
                    date: str = "date", periods: int = 12, known_start: bool = True) -> pd.DataFrame:
    """Share of customers still buying ``m`` months after their first month, per group.

    Only customers observable for ``m`` months count at ``m`` (their first month is at least
    ``m`` months before the data's last month), so late joiners do not pull the curve down.
    ``groups`` maps customer id to a group (plan, segment); without it, one curve for all.
    ``known_start`` as in :func:`retention_table`.

    Returns
    -------
    DataFrame
        Columns ``group``, ``month`` (0 .. periods), ``retained`` (share), ``customers``.
    """
    tx = _purchases(transactions, customer_id, date, known_start)
    first = tx.groupby("customer")["month"].min()
    offset = _month_diff(tx["month"], tx["customer"].map(first))
    tx["offset"] = offset
    horizon = _month_diff(pd.Series(tx["month"].max(), index=first.index), first)
    group = pd.Series("all customers", index=first.index) if groups is None else \
        pd.Series(first.index.map(pd.Series(groups.to_numpy(), index=groups.index.astype(str))), index=first.index)
    rows = []
    active = tx[tx["offset"] <= periods].drop_duplicates(["customer", "offset"])
    for m in range(periods + 1):
        seen = horizon >= m
        bought = set(active.loc[active["offset"] == m, "customer"])
        flag = pd.Series(first.index.isin(list(bought)), index=first.index)
        for g, members in group[seen].groupby(group[seen]):
            rows.append({"group": g, "month": m, "retained": round(float(flag[members.index].mean()), 4),
                         "customers": int(len(members))})
    out = pd.DataFrame(rows)
    out.attrs["group_name"] = getattr(groups, "name", None)
    return out


def retention_plot(curve: pd.DataFrame, *, title: str | None = None, ax=None):
    """Retention curves (share still buying by month since the first purchase); returns the Axes."""

    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 3.6))
    sns.lineplot(data=curve, x="month", y="retained", hue="group", marker="o", ax=ax)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("months since first purchase")
    ax.set_ylabel("share still buying")
    ax.legend(title=curve.attrs.get("group_name"), loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if title:
        ax.set_title(title)
    return ax


def _purchases(transactions, customer_id, date, known_start) -> pd.DataFrame:
    tx = transactions
    if "is_return" in tx.columns:
        tx = tx[~tx["is_return"].astype(bool)]
    out = pd.DataFrame({"customer": tx[customer_id].astype(str).to_numpy(),
                        "month": pd.DatetimeIndex(tx[date]).to_period("M")})
    if known_start and len(out):
        before = out.loc[out["month"] == out["month"].min(), "customer"]
        out = out[~out["customer"].isin(set(before))]
    if out.empty:
        raise DataError("retention: no purchases" + (" after the data's first month" if known_start else ""))
    return out.reset_index(drop=True)


def _month_diff(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (later.dt.year - earlier.dt.year) * 12 + (later.dt.month - earlier.dt.month)


# ------------------------------------------------------------------ win-back

def win_back_targets(customers: pd.DataFrame, *, value: str = "monetary", risk: str = "churn_risk",
                     top_value_share: float = 0.3, min_risk: float = 0.5,
                     exclude: dict | None = None) -> pd.DataFrame:
    """High-value customers at risk: the top ``top_value_share`` by ``value`` whose ``risk`` is at
    least ``min_risk``, most valuable first.

    Historical value (``monetary``) is the default on purpose: a predicted lifetime value
    already discounts the customers who drifted away, which are the ones to win back.
    ``exclude`` maps a column to values whose customers are left out before ranking (e.g.
    ``{"plan": ["annual"]}``: yearly payers look lapsed between payments).
    """
    if not 0 < top_value_share <= 1:
        raise ValueError(f"top_value_share must be in (0, 1]; got {top_value_share!r}")
    for col in (value, risk):
        if col not in customers.columns:
            raise DataError(f"win-back: no column {col!r} (it needs a run with transactions)")
    buyers = customers[customers[value].notna() & customers[risk].notna()]
    for col, values in (exclude or {}).items():
        if col not in buyers.columns:
            raise DataError(f"win-back: no column {col!r} to exclude on")
        buyers = buyers[~buyers[col].isin(list(values))]
    cut = buyers[value].quantile(1 - top_value_share)
    targets = buyers[(buyers[value] >= cut) & (buyers[risk] >= min_risk)]
    keep = [c for c in ("customer_id", "segment_name", "lifecycle", value, risk, "recency", "frequency")
            if c in targets.columns]
    return targets[list(dict.fromkeys(keep))].sort_values(value, ascending=False).reset_index(drop=True)


def win_back_summary(targets: pd.DataFrame, customers: pd.DataFrame, *, by: str = "segment_name",
                     value: str = "monetary", risk: str = "churn_risk") -> pd.DataFrame:
    """The win-back targets per group: how many, their share of the group, the value at stake."""
    size = customers.groupby(by).size()
    g = targets.groupby(by)
    out = pd.DataFrame({
        "targets": g.size(),
        "share_of_group": (g.size() / size.reindex(g.size().index)).round(3),
        "value_at_stake": g[value].sum().round(0),
        "mean_risk": g[risk].mean().round(3),
    })
    if "recency" in targets.columns:
        out["median_days_since_last"] = g["recency"].median().round(0)
    out = out.sort_values("value_at_stake", ascending=False)
    total = pd.DataFrame({"targets": [int(out["targets"].sum())],
                          "share_of_group": [round(len(targets) / len(customers), 3)],
                          "value_at_stake": [out["value_at_stake"].sum()],
                          "mean_risk": [round(float(targets[risk].mean()), 3) if len(targets) else np.nan]},
                         index=pd.Index(["All"], name=by))
    if "recency" in targets.columns:
        total["median_days_since_last"] = targets["recency"].median()
    return pd.concat([out, total])
