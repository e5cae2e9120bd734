"""The portfolio views: the whole base at a glance, beside the segment-by-segment pages.

A segment map (share of customers × revenue per customer, area = revenue), the base-wide
recency × frequency grid with customers and revenue, the lifecycle funnel and the spread of
customer value. Each function draws one figure on an Axes and returns it; labels come in the
report's language and stay legible at a dozen segments (names in a colour-keyed legend, never
stacked on the bubbles).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, PercentFormatter

from seglab import i18n, numbers
from seglab.report.figures import FIGURE_WIDTH, wrap

LIFECYCLE = ("new", "active", "dormant", "churned")


def segment_map(data: pd.DataFrame, *, palette: dict, language: str = "en", ax=None):
    """Share of customers (x) against revenue per customer as an index (y, 100 = the average customer);
    bubble area = share of revenue. ``data``: ``id``, ``name``, ``share``, ``revenue_share``."""
    if ax is None:
        _, ax = plt.subplots(figsize=(FIGURE_WIDTH, 4.4 + 0.12 * max(0, len(data) - 6)))
    data = data.reset_index(drop=True)
    index = 100 * data["revenue_share"] / data["share"]
    area = (6000 * data["revenue_share"]).clip(lower=90)
    for i, row in data.iterrows():
        ax.scatter(row["share"], index[i], s=area[i], color=palette[int(row["id"])], alpha=0.75,
                   edgecolor="white", linewidth=1.2, label=wrap(row["name"], 30), zorder=3)
        ax.annotate(str(i + 1), (row["share"], index[i]), ha="center", va="center", fontsize="small",
                    color="white", fontweight="bold", zorder=4)
    ax.axhline(100, color="#888888", linestyle="--", linewidth=1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlim(0, float(data["share"].max()) * 1.25 + 0.02)
    top = float(index.max())
    ax.set_ylim(0, top * 1.25 + 10)
    ax.set_xlabel(i18n.t("fig_map_x", language))
    ax.set_ylabel(i18n.t("fig_map_y", language))
    handles, labels = ax.get_legend_handles_labels()
    labels = [f"{i + 1}  {label}" for i, label in enumerate(labels)]
    legend = ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), markerscale=0.25,
                       fontsize="small", labelspacing=0.9, frameon=False)
    for handle in legend.legend_handles:
        handle.set_sizes([60])
    ax.set_title(i18n.t("fig_map_title", language))
    return ax


def rf_grid(features: pd.DataFrame, *, language: str = "en", ax=None):
    """Customers and share of revenue in each recency score × frequency score cell of the whole base."""
    buyers = features.dropna(subset=["r_score", "f_score"])
    counts = pd.crosstab(buyers["r_score"].astype(int), buyers["f_score"].astype(int)).reindex(
        index=range(5, 0, -1), columns=range(1, 6), fill_value=0)
    revenue = buyers.pivot_table(index="r_score", columns="f_score", values="monetary", aggfunc="sum").reindex(
        index=range(5, 0, -1), columns=range(1, 6)).fillna(0.0)
    total = float(revenue.to_numpy().sum()) or 1.0
    share = revenue / total
    if ax is None:
        _, ax = plt.subplots(figsize=(FIGURE_WIDTH, 4.6))
    ax.imshow(share.to_numpy(), cmap="Blues", vmin=0, vmax=max(float(share.to_numpy().max()), 1e-9), aspect="auto")
    for r in range(5):
        for f in range(5):
            n, s = counts.iat[r, f], share.iat[r, f]
            dark = s > 0.6 * share.to_numpy().max()
            ax.text(f, r, f"{numbers.integer(n)}\n{numbers.percent(s)}", ha="center", va="center", fontsize="small",
                    color="white" if dark else "#1d2733")
    ax.set_xticks(range(5), [str(i) for i in range(1, 6)])
    ax.set_yticks(range(5), [str(i) for i in range(5, 0, -1)])
    ax.set_xlabel(i18n.t("fig_rf_x", language))
    ax.set_ylabel(i18n.t("fig_rf_y", language))
    ax.grid(False)
    ax.set_title(i18n.t("fig_rf_title", language))
    return ax


def lifecycle_funnel(features: pd.DataFrame, *, language: str = "en", ax=None):
    """Customers at each lifecycle stage (bars, largest stage the widest) with their share of revenue."""
    stages = [s for s in LIFECYCLE if (features["lifecycle"] == s).any()]
    n = features["lifecycle"].value_counts().reindex(stages, fill_value=0)
    revenue = features.groupby("lifecycle")["monetary"].sum().reindex(stages, fill_value=0.0)
    share = n / max(int(n.sum()), 1)
    revenue_share = revenue / (float(revenue.sum()) or 1.0)
    if ax is None:
        _, ax = plt.subplots(figsize=(FIGURE_WIDTH, 0.7 * len(stages) + 1.4))
    y = np.arange(len(stages))
    ax.barh(y, share, left=(1 - share) / 2, color="#1f5f8b", height=0.62)
    for i, stage in enumerate(stages):
        text = i18n.t("fig_funnel_item", language, customers=numbers.integer(n[stage]), share=numbers.percent(share[stage]),
                      revenue=numbers.percent(revenue_share[stage]))
        ax.text(1.02, i, text, va="center", fontsize="small")
    ax.set_yticks(y, [i18n.value_label("lifecycle", s, language) for s in stages])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xticks([])
    ax.grid(False)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_title(i18n.t("fig_funnel_title", language))
    return ax


def value_distribution(values: pd.Series, *, label: str, language: str = "en", ax=None):
    """How customer value spreads: a histogram up to the 99th percentile, median and mean marked."""
    values = values.dropna().astype(float)
    cap = float(values.quantile(0.99)) if len(values) else 0.0
    shown = values.clip(upper=cap)
    if ax is None:
        _, ax = plt.subplots(figsize=(FIGURE_WIDTH, 3.6))
    ax.hist(shown, bins=40, color="#1f5f8b", alpha=0.85)
    median, mean = float(values.median()), float(values.mean())
    ax.axvline(median, color="#b35c00", linewidth=1.5,
               label=i18n.t("fig_value_median", language, value=numbers.number(median)))
    ax.axvline(min(mean, cap), color="#444444", linewidth=1.2, linestyle="--",
               label=i18n.t("fig_value_mean", language, value=numbers.number(mean)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: numbers.number(v)))
    ax.set_xlabel(label)
    ax.set_ylabel(i18n.t("fig_customers", language))
    ax.legend(loc="upper right", fontsize="small")
    ax.set_title(i18n.t("fig_value_title", language))
    return ax
