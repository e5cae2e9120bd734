"""How each segment differs from the whole customer base, in statistics no single value can swing.

Numbers are compared through the *typical* customer: the median where it
describes one, and otherwise (probabilities, and counts where one value holds
a large part of the base, such as "bought once") the average with the most
extreme 1 % at each end capped (winsorised), so a single order a thousand
times the median moves nothing. Whether a difference is worth a word is
judged by a rank-based effect size (Cliff's delta: how often a customer of
the segment exceeds a customer of the rest), expressed on the scale of a
standardised mean difference so that it compares with category effects.
Categories are compared by their share in the segment against all customers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtri
from scipy.stats import rankdata

from seglab import i18n, numbers
from seglab.errors import SeglabError

__all__ = ["CONCEPTS", "NOTABLE", "PROBABILITIES", "Trait", "category_profile", "customer_frame", "numeric_profile",
           "over_represented", "profile_columns", "profile_matrix", "traits"]

# Ordinal codes of recency / frequency / monetary: profiled through those columns.
NOT_PROFILED = {"r_score", "f_score", "m_score", "rfm_score", "churn_risk_basis", "first_purchase", "last_purchase",
                "segment", "segment_name",
                # the same number under another name, or a model internal a client need not read
                "clv_historical", "expected_avg_spend",
                # churn_risk is the one risk measure a client reads: P(alive) beside it would read
                # as its complement, which it is not (seglab.features.churn)
                "p_alive"}
# Categorical columns summarised as a mix or a placement, not as traits.
MIXES = {"rfm_segment": "rfm_mix", "lifecycle": "lifecycle_mix"}
PLACEMENT = {"value_tier", "risk_tier", "value_risk_cell"}
PROBABILITIES = {"churn_risk"}
# Features that say the same thing: a name uses at most one of each group.
CONCEPTS = {"churn_risk": "recency", "expected_purchases": "frequency", "purchase_rate": "frequency",
            "clv_historical": "monetary", "clv_predicted": "monetary", "city": "place", "region": "place"}
# Effect size (on the scale of a standardised mean difference) from which a trait is worth a word.
NOTABLE = 0.35
# Winsorising: averages cap values at these quantiles of all customers.
CAP = (0.01, 0.99)
# The median stops describing a typical customer when one value holds this share of
# the base, or when a column has this few distinct values (a rating scale, a small count).
TIED_SHARE = 0.25
FEW_VALUES = 10
# Index values are kept (segments.json) and shown (heatmap) at this precision.
INDEX_DIGITS = 1


@dataclass(frozen=True)
class Trait:
    """One way a segment differs from the base, with its effect size ``score``."""

    kind: str          # "numeric" or "category"
    feature: str
    score: float       # |effect| on a standardised scale: comparable across kinds
    high: bool = True  # numeric: above the base
    value: str | None = None
    share: float | None = None
    base_share: float | None = None
    index: float | None = None

    @property
    def concept(self) -> str:
        return CONCEPTS.get(self.feature, self.feature)


# ------------------------------------------------------------------ the customers

def profile_columns(features: pd.DataFrame, cfg) -> tuple[list[str], list[str]]:
    """The numeric and categorical columns a profile may describe.

    Leaves out the identifier, personal data (and anything named after it),
    ordinal score codes, mixes and placements, dates, and identifier-like text
    columns (a value per customer can never be a trait).
    """
    pii = [p.lower() for p in cfg.columns.pii]
    skip = NOT_PROFILED | PLACEMENT | set(MIXES) | {cfg.columns.customer_id, "customer_id"}
    numeric, categorical = [], []
    n = len(features)
    for col in features.columns:
        low = str(col).lower()
        if col in skip or any(low == p or low.startswith(p + "_") or low.endswith("_" + p) for p in pii):
            continue
        s = features[col]
        if pd.api.types.is_bool_dtype(s):
            categorical.append(col)
        elif pd.api.types.is_numeric_dtype(s):
            numeric.append(col)
        elif isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(s) or s.dtype == object:
            distinct = s.nunique(dropna=True)
            if not (distinct > 20 and distinct > 0.5 * n):
                categorical.append(col)
    return numeric, categorical


def customer_frame(features: pd.DataFrame, assignments: pd.DataFrame, cfg) -> pd.DataFrame:
    """Features with a ``segment`` column, one row per assigned customer."""
    id_col = cfg.columns.customer_id if cfg.columns.customer_id in features.columns else "customer_id"
    if id_col not in features.columns:
        raise SeglabError(f"features table has no customer id column '{id_col}'")
    left = features.assign(**{id_col: features[id_col].astype(str)})
    right = assignments[["customer_id", "segment"]].assign(customer_id=assignments["customer_id"].astype(str))
    frame = left.drop(columns=[c for c in ("segment", "segment_name") if c in left.columns]).merge(
        right, left_on=id_col, right_on="customer_id", how="inner", validate="one_to_one",
        suffixes=("", "_assigned"))
    if frame.empty:
        raise SeglabError("no customer in assignments.csv matches the features table; rerun the segment stage")
    frame["segment"] = frame["segment"].astype(int)
    return frame


# ------------------------------------------------------------------ numbers

def statistic(values: pd.Series, feature: str) -> str:
    """``"median"`` where the median describes a typical customer, else ``"mean"`` (winsorised).

    An average probability is an expected share, so probabilities use the mean;
    so do columns whose median hides the differences: few distinct values (a
    1–7 rating), one value held by a large part of the base (most customers
    bought once), or a median that is not positive (most never returned anything).
    """
    known = values.dropna()
    if feature in PROBABILITIES or known.empty:
        return "mean"
    counts = known.value_counts()
    if len(counts) <= FEW_VALUES or counts.iloc[0] / len(known) >= TIED_SHARE or known.median() <= 0:
        return "mean"
    return "median"


def _cliffs_d(ranks: np.ndarray, member: np.ndarray) -> float:
    """Cliff's delta of members against the rest from the base's average ranks, as a d-equivalent.

    delta = P(member > other) − P(member < other) (ties count half each way);
    under normality it equals 2Φ(d/√2) − 1, which gives d = √2 Φ⁻¹((delta + 1)/2).
    """
    n1, n2 = int(member.sum()), int((~member).sum())
    if n1 == 0 or n2 == 0:
        return 0.0
    u = ranks[member].sum() - n1 * (n1 + 1) / 2
    delta = 2 * u / (n1 * n2) - 1
    return float(math.sqrt(2) * ndtri((np.clip(delta, -0.999, 0.999) + 1) / 2))


def numeric_profile(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """Per segment and feature: the typical value, the base's, index, quartiles and effect size.

    ``statistic`` says which typical value: ``median``, or ``mean`` capped at
    the base's 1st and 99th percentiles. ``index`` is the segment's typical
    value over the base's × 100 (100 = like all customers), missing where the
    base's is not positive or the segment's is negative (a group whose returns
    exceed its purchases): a ratio of signed numbers does not read as "more"
    or "less". ``effect`` is rank-based (see the module). ``mean`` and
    ``base_mean`` are the plain averages, kept for reference.
    """
    rows = []
    segments = frame["segment"].to_numpy()
    for col in columns:
        values = pd.to_numeric(frame[col], errors="coerce").astype(float)
        stat = statistic(values, col)
        known = values.notna().to_numpy()
        ranks = rankdata(values[known].to_numpy())
        lo, hi = values.quantile(list(CAP)) if known.any() else (math.nan, math.nan)
        capped = values.clip(lo, hi)
        typical = values if stat == "median" else capped
        base = typical.median() if stat == "median" else typical.mean()
        grouped = values.groupby(frame["segment"])
        stats = pd.DataFrame({"typical": (typical.groupby(frame["segment"]).median() if stat == "median"
                                          else typical.groupby(frame["segment"]).mean()),
                              "mean": grouped.mean(), "p25": grouped.quantile(0.25), "p75": grouped.quantile(0.75)})
        for seg, r in stats.iterrows():
            index = r["typical"] / base * 100 if base > 0 and r["typical"] >= 0 else math.nan
            rows.append({"segment": int(seg), "feature": col, "statistic": stat, "typical": _kept(r["typical"]),
                         "base_typical": _kept(base), "index": _kept(index, INDEX_DIGITS),
                         "p25": _kept(r["p25"]), "p75": _kept(r["p75"]), "mean": _kept(r["mean"]),
                         "base_mean": _kept(values.mean()), "effect": _cliffs_d(ranks, segments[known] == seg)})
    return pd.DataFrame(rows, columns=["segment", "feature", "statistic", "typical", "base_typical", "index", "p25",
                                       "p75", "mean", "base_mean", "effect"])


def _kept(x, digits: int = 4) -> float:
    """A shown value at the precision segments.json keeps, so every display rounds the same number."""
    value = numbers.stored(x, digits)
    return math.nan if value is None else value


# ------------------------------------------------------------------ categories

def category_profile(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """Per segment, feature and value: count, share, base share, lift and effect size.

    Shares are of all customers in the segment (missing values count in the
    denominator), so ``lift = share / base_share`` compares like with like; the
    effect is the difference in share over the base's binomial spread.
    """
    sizes = frame["segment"].value_counts()
    n = len(frame)
    parts = []
    for col in columns:
        values = frame[col].astype("string")
        counts = pd.crosstab(frame["segment"], values)
        base = values.value_counts()
        for value in counts.columns:
            c = counts[value]
            p0 = base[value] / n
            share = c / sizes.loc[c.index]
            spread = math.sqrt(p0 * (1 - p0)) if 0 < p0 < 1 else 0.0
            parts.append(pd.DataFrame({
                "segment": c.index.astype(int), "feature": col, "value": str(value), "count": c.to_numpy(),
                "share": share.map(_kept).to_numpy(), "base_count": int(base[value]), "base_share": _kept(p0),
                "lift": (share / p0).map(_kept).to_numpy(),
                "index": (share / p0 * 100).map(lambda v: _kept(v, INDEX_DIGITS)).to_numpy(),
                "effect": ((share - p0) / spread).to_numpy() if spread > 0 else 0.0}))
    cols = ["segment", "feature", "value", "count", "share", "base_count", "base_share", "lift", "index", "effect"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


def over_represented(cat: pd.DataFrame, min_count: int, min_lift: float) -> pd.DataFrame:
    """Category values held by at least ``min_count`` customers of a segment at ``min_lift`` × the base share."""
    keep = (cat["count"] >= min_count) & (cat["lift"] >= min_lift)
    return cat[keep].sort_values(["segment", "lift"], ascending=[True, False])


def traits(seg_num: pd.DataFrame, seg_over: pd.DataFrame) -> list[Trait]:
    """A segment's notable differences from the base, most distinctive first.

    A number is a trait when its effect is notable and its index agrees in
    direction (a segment is never called "high" on a number whose typical
    value is below the base's).
    """
    out = []
    for r in seg_num.itertuples():
        agrees = math.isnan(r.index) or (r.index != 100 and (r.index > 100) == (r.effect > 0))
        if abs(r.effect) >= NOTABLE and agrees:
            out.append(Trait("numeric", r.feature, abs(r.effect), high=r.effect > 0, index=r.index))
    for r in seg_over.itertuples():
        if r.effect >= NOTABLE:
            out.append(Trait("category", r.feature, float(r.effect), value=r.value,
                             share=float(r.share), base_share=float(r.base_share), index=float(r.index)))
    return sorted(out, key=lambda tr: -tr.score)


# ------------------------------------------------------------------ the overview

def profile_matrix(features, assignments, cfg, *, language: str = "en",
                   per_segment: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Index of every segment on every profiled trait, for the overview heatmap.

    Rows are numeric features (index) and, as lift × 100, the category values
    that are among the ``per_segment`` strongest traits of some segment (so the
    heatmap stays one page); columns are segment ids. Cells below the minimum
    count are masked (second frame, True = hidden), so the heatmap shows what
    the persona cards may say and nothing more. Values are those of
    ``segments.json`` (same statistics, same rounding).
    """
    frame = customer_frame(features, assignments, cfg)
    numeric, categorical = profile_columns(frame, cfg)
    num = numeric_profile(frame, numeric)
    cat = category_profile(frame, categorical)
    rows, masks = {}, {}
    for col in numeric:
        sub = num[num["feature"] == col].set_index("segment")
        if sub["index"].notna().any():
            rows[i18n.feature_label(col, language)] = sub["index"]
            masks[i18n.feature_label(col, language)] = sub["index"].isna()
    p = cfg.personas
    strongest = over_represented(cat, p.min_count, p.min_lift).sort_values("effect", ascending=False)
    for (col, value), _ in strongest.groupby("segment").head(per_segment).groupby(["feature", "value"], sort=False):
        sub = cat[(cat["feature"] == col) & (cat["value"] == value)].set_index("segment")
        label = i18n.category_label(col, value, language)
        rows[label] = sub["index"]
        masks[label] = sub["count"] < p.min_count
    matrix = pd.DataFrame(rows).T
    mask = pd.DataFrame(masks).T.reindex_like(matrix).fillna(True).astype(bool)
    return matrix, mask
