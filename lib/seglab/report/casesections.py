"""A case study's own analyses as report content: a registry of analyses per case, chosen in the params.

``report.case_study: online_education`` puts that case's analyses (completion by segment,
seasonality by climate, retention curves, the win-back list ...) into report.html as one
section, after the generic ones have described the segments. The numbers come from
:mod:`seglab.report.casestudy` (the same functions the case-study notebooks call), computed
from the run folder's tables; this module only says which analyses a case shows and turns
each into a title, a sentence, a table and a figure to draw. The section itself is rendered
by :func:`seglab.report.sections.case_study`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pandas as pd

from seglab import i18n, numbers
from seglab.errors import DataError
from seglab.report import casestudy
from seglab.report.templating import Table

log = logging.getLogger("seglab")


@dataclass(frozen=True)
class Analysis:
    """One analysis of a case: its kind and the columns it reads.

    kind : {"mix", "averages", "seasonality", "retention", "win_back"}
        mix: each segment's customers by a category (shares, a heatmap); averages: the average
        of numeric columns per segment; seasonality: seasonal index of revenue per month by a
        category; retention: share still buying n months after the first purchase, by segment;
        win_back: high-value customers at risk, per segment.
    """

    kind: str
    column: str | None = None
    columns: tuple[str, ...] = ()
    options: dict = field(default_factory=dict)


#: The analyses each case study adds to its report (``report.case_study`` names one).
CASE_STUDIES: dict[str, tuple[Analysis, ...]] = {
    "b2b_software": (Analysis("mix", "industry"), Analysis("mix", "plan"),
                     Analysis("averages", columns=("employees", "annual_revenue", "seats", "frequency"))),
    "footwear": (Analysis("averages", columns=("tech_enthusiasm", "style_importance", "durability_importance",
                                               "price_sensitivity")),
                 Analysis("mix", "core_value"), Analysis("mix", "platform"), Analysis("mix", "lifestyle")),
    "online_education": (Analysis("averages", columns=("completion_rate", "weekly_minutes", "courses_completed")),
                         Analysis("mix", "learning_interest"), Analysis("mix", "device"), Analysis("retention")),
    "retail_chain": (Analysis("mix", "region"), Analysis("seasonality", "climate"), Analysis("seasonality", "region")),
    "subscription": (Analysis("retention"), Analysis("mix", "plan"),
                     Analysis("win_back", options={"exclude": {"plan": ["annual"]}})),
}


@dataclass
class Part:
    """One analysis as the report shows it: title, sentences, a table and a figure to draw (or None)."""

    title: str
    text: list[str]
    table: Table | None = None
    draw: object = None      # a callable drawing the figure, returning its Axes
    alt: str = ""


def _names(customers: pd.DataFrame) -> pd.Series:
    return customers["segment_name"].astype(str)


def _month(label: str, language: str) -> str:
    return f"{casestudy.MONTHS.index(label) + 1}月" if language == "zh" else label


def mix(customers: pd.DataFrame, a: Analysis, language: str) -> Part:
    """Each segment's customers by one category: shares that add up to 100 % per segment."""
    column = a.column
    label = i18n.feature_label(column, language)
    values = customers[column].map(lambda v: i18n.value_label(column, v, language))
    table = casestudy.crosstab(customers.assign(**{column: values, "segment_name": _names(customers)}),
                               rows=column, columns="segment_name", normalize="columns")
    table = table.loc[table.max(axis=1).sort_values(ascending=False).index]
    items = [i18n.t("case_mix_item", language, name=seg, value=table[seg].idxmax(),
                    share=numbers.percent(table[seg].max())) for seg in table.columns]
    t = _t(language)

    def draw():
        ax = casestudy.crosstab_heatmap(table, fmt=".0%")
        ax.set_ylabel(label)
        ax.set_xlabel("")
        return ax

    return Part(t("case_mix_title", column=label), [t("case_mix_intro", column=label)], None, draw,
                t("case_mix_alt", column=label, items=i18n.join(items, language)))


def averages(customers: pd.DataFrame, a: Analysis, language: str) -> Part | None:
    """The average of numeric columns per segment, beside all customers."""
    cols = [c for c in a.columns if c in customers.columns]
    if not cols:
        return None
    t = _t(language)
    means = customers.groupby(_names(customers))[cols].mean()
    base = customers[cols].mean()
    rows = [[seg, *(_value(c, means.loc[seg, c]) for c in cols)] for seg in means.index]
    footer = [[t("case_all_customers"), *(_value(c, base[c]) for c in cols)]]
    header = [t("col_segment"), *(i18n.feature_label(c, language) for c in cols)]
    return Part(t("case_averages_title"), [t("case_averages_intro")],
                Table(header, rows, frozenset(range(1, len(cols) + 1)), footer=footer))


def _value(column: str, x) -> str:
    """A rate (completion_rate: 0–1) as a percentage, any other average as a number."""
    return numbers.percent(x) if column.endswith("_rate") else numbers.number(x, 1)


def seasonality(customers: pd.DataFrame, transactions: pd.DataFrame, a: Analysis, language: str) -> Part:
    """Seasonal index of revenue by calendar month for each value of a category (100 = average month)."""
    t = _t(language)
    column = a.column
    label = i18n.feature_label(column, language)
    table = casestudy.seasonality_table(transactions, customers, by=column)
    table = table.rename(columns=lambda v: i18n.value_label(column, v, language),
                         index=lambda m: _month(m, language))
    peaks = casestudy.peak_months(table)
    rows = [[group, p.peak_months if p.peak_months != "(no peak)" else t("case_no_peak"),
             p.best_month, numbers.integer(p.best_index), p.lowest_month, numbers.integer(p.lowest_index)]
            for group, p in peaks.iterrows()]
    header = [label, t("case_col_peak"), t("case_col_best"), t("case_col_index"), t("case_col_lowest"),
              t("case_col_index")]
    items = [t("case_season_item", group=g, month=p.best_month, index=numbers.integer(p.best_index))
             for g, p in peaks.iterrows()]

    def draw():
        ax = casestudy.seasonality_plot(table)
        ax.set_ylabel(t("case_season_axis"))
        ax.legend(title=label, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return ax

    return Part(t("case_season_title", column=label), [t("case_season_intro")],
                Table(header, rows, frozenset({3, 5})), draw, t("case_season_alt", items=i18n.join(items, language)))


RETENTION_MONTHS = (1, 3, 6, 12)


def retention(customers: pd.DataFrame, transactions: pd.DataFrame, a: Analysis, language: str) -> Part:
    """Share of each segment still buying 1, 3, 6 and 12 months after its first purchase."""
    t = _t(language)
    groups = pd.Series(_names(customers).to_numpy(), index=customers["customer_id"].astype(str))
    curve = casestudy.retention_curve(transactions, groups=groups, periods=12)
    wide = curve.pivot(index="group", columns="month", values="retained")
    shown = [m for m in RETENTION_MONTHS if m in wide.columns]
    rows = [[g, *(numbers.percent(wide.loc[g, m]) for m in shown)] for g in wide.index]
    header = [t("col_segment"), *(t("case_col_month", month=m) for m in shown)]
    last = shown[-1] if shown else None
    items = [t("case_retention_item", name=g, share=numbers.percent(wide.loc[g, last]), month=last)
             for g in wide.index] if last is not None else []

    def draw():
        ax = casestudy.retention_plot(curve)
        ax.set_xlabel(t("case_retention_x"))
        ax.set_ylabel(t("case_retention_y"))
        ax.legend(title=t("col_segment"), loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return ax

    return Part(t("case_retention_title"), [t("case_retention_intro")],
                Table(header, rows, frozenset(range(1, len(shown) + 1))), draw,
                t("case_retention_alt", items=i18n.join(items, language)))


def win_back(customers: pd.DataFrame, a: Analysis, language: str) -> Part:
    """High-value customers at risk per segment: how many, their share, their spend to date."""
    t = _t(language)
    exclude = {c: v for c, v in (a.options.get("exclude") or {}).items() if c in customers.columns}
    top, risk = a.options.get("top_value_share", 0.3), a.options.get("min_risk", 0.5)
    targets = casestudy.win_back_targets(customers, top_value_share=top, min_risk=risk, exclude=exclude)
    summary = casestudy.win_back_summary(targets, customers)
    rows = [[t("col_total") if seg == "All" else seg, numbers.integer(r.targets), numbers.percent(r.share_of_group),
             numbers.integer(r.value_at_stake), numbers.percent(r.mean_risk)] for seg, r in summary.iterrows()]
    header = [t("col_segment"), t("case_col_targets"), t("case_col_target_share"), t("case_col_spend"),
              t("case_col_risk")]
    text = [t("case_winback_intro", top=numbers.percent(top), risk=numbers.percent(risk),
              n=numbers.integer(len(targets)), spend=numbers.integer(targets["monetary"].sum()))]
    if exclude:
        text.append(t("case_winback_excluded", items=i18n.join(
            [i18n.category_label(c, v, language) for c, vs in exclude.items() for v in vs], language)))
    return Part(t("case_winback_title"), text, Table(header, rows[:-1], frozenset({1, 2, 3, 4}), footer=rows[-1:]))


def _t(language: str):
    def t(key: str, /, **fields) -> str:
        return i18n.t(key, language, **fields)
    return t


def parts(name: str, customers: pd.DataFrame, transactions: pd.DataFrame | None, language: str) -> list[Part]:
    """The analyses of case ``name`` on a run's customers (features + segment) and transactions.

    An analysis whose columns the run does not hold, or that needs transactions the run has
    not, is left out (the case's params may have been adapted to other data).
    """
    out = []
    for a in CASE_STUDIES[name]:
        needed = [c for c in (a.column, *a.columns) if c]
        if a.kind in ("mix", "seasonality") and a.column not in customers.columns:
            continue
        if a.kind in ("seasonality", "retention") and transactions is None:
            continue
        try:
            if a.kind == "mix":
                part = mix(customers, a, language)
            elif a.kind == "averages":
                part = averages(customers, a, language)
            elif a.kind == "seasonality":
                part = seasonality(customers, transactions, a, language)
            elif a.kind == "retention":
                part = retention(customers, transactions, a, language)
            else:
                part = win_back(customers, a, language)
        except DataError as exc:  # e.g. no purchase after the data's first month: logged, not shown half-made
            log.warning("report: the case study's %s analysis (%s) is left out: %s", a.kind,
                        ", ".join(needed) or "segments", exc)
            continue
        if part is not None:
            part.title = part.title[:1].upper() + part.title[1:]
            out.append(part)
    return out
