"""Turn segment labels into personas a client can act on.

For each segment: how big it is, what sets it apart from the whole base
(means as an index, over-represented categories as a lift), a name and a
narrative built only from those numbers, its place on the value × risk grid
and the actions that follow. The result is the content of ``segments.json``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from seglab import i18n
from seglab.errors import ParamsError, SeglabError
from seglab.features import value_risk as targeting

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
# Features that describe behaviour (the rest describe who customers are).
BEHAVIOUR_NUMERIC = ("frequency", "purchase_rate", "aov", "recency", "monetary", "n_returns", "tenure_days",
                     "expected_purchases", "clv_historical", "clv_predicted", "churn_risk")
ALWAYS_DESCRIBED = ("frequency", "aov", "recency")
BEHAVIOUR_CATEGORICAL = {"channel", "buyer_type"}
PROBABILITIES = {"churn_risk"}
INTEREST_FEATURES = {"interest", "interests", "category", "preferred_category", "hobby"}
PRICE_WORDS = re.compile(r"deal|discount|sale|bargain|promo|coupon|voucher|offer|cheap|优惠|折扣|促销", re.I)
# Membership values that are the entry level: no status worth recognising.
ENTRY_TIERS = {"basic", "standard", "regular", "none", "free", "bronze", "普通"}
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}
# Features that say the same thing: a name uses at most one of each group.
CONCEPTS = {"churn_risk": "recency", "expected_purchases": "frequency", "purchase_rate": "frequency",
            "clv_historical": "monetary", "clv_predicted": "monetary", "city": "place", "region": "place"}
# Tiers from low to high: their positions are the grid coordinates 0, 1, 2.
# Cells whose strategy is to spend nothing: no trait-based offer is added there.
NO_SPEND_CELLS = {"low_value_high_risk"}
VALUE_ORDER = ("low", "mid", "high")
RISK_ORDER = ("low", "medium", "high")
# Effect size (difference over the base's spread) from which a trait is worth a word.
NOTABLE = 0.35
DAYS_PER_MONTH = 30.44


@dataclass(frozen=True)
class Trait:
    """One way a segment differs from the base, with its effect size ``score``."""

    kind: str          # "numeric" or "category"
    feature: str
    score: float       # |standardised difference|: comparable across kinds
    high: bool = True  # numeric: above the base
    value: str | None = None
    share: float | None = None
    base_share: float | None = None
    index: float | None = None

    @property
    def concept(self) -> str:
        return CONCEPTS.get(self.feature, self.feature)


# ------------------------------------------------------------------ profile

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


def _frame(features: pd.DataFrame, assignments: pd.DataFrame, cfg) -> pd.DataFrame:
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


def numeric_profile(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """Per segment and feature: mean, quartiles, base mean, index and effect size.

    ``index`` is the segment mean over the base mean × 100 (100 = average); it
    is missing where the base mean is not positive, since a ratio of signed
    numbers does not read as "more" or "less".
    """
    rows = []
    for col in columns:
        values = pd.to_numeric(frame[col], errors="coerce").astype(float)
        base_mean, base_sd = values.mean(), values.std(ddof=0)
        grouped = values.groupby(frame["segment"])
        stats = pd.DataFrame({"mean": grouped.mean(), "p25": grouped.quantile(0.25), "p75": grouped.quantile(0.75)})
        for seg, r in stats.iterrows():
            index = r["mean"] / base_mean * 100 if base_mean > 0 and not math.isnan(r["mean"]) else math.nan
            d = (r["mean"] - base_mean) / base_sd if base_sd > 0 else 0.0
            rows.append({"segment": int(seg), "feature": col, "mean": r["mean"], "base_mean": base_mean,
                         "index": index, "p25": r["p25"], "p75": r["p75"], "effect": d})
    return pd.DataFrame(rows, columns=["segment", "feature", "mean", "base_mean", "index", "p25", "p75", "effect"])


def category_profile(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """Per segment, feature and value: count, share, base share, lift and effect size.

    Shares are of all customers in the segment (missing values count in the
    denominator), so ``lift = share / base_share`` compares like with like.
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
                "share": share.to_numpy(), "base_count": int(base[value]), "base_share": p0,
                "lift": (share / p0).to_numpy(),
                "effect": ((share - p0) / spread).to_numpy() if spread > 0 else 0.0}))
    cols = ["segment", "feature", "value", "count", "share", "base_count", "base_share", "lift", "effect"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


def profile_matrix(features, assignments, cfg, *, language: str = "en",
                   per_segment: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Index of every segment on every profiled trait, for the overview heatmap.

    Rows are numeric features (index) and, as lift × 100, the category values
    that are among the ``per_segment`` strongest traits of some segment (so the
    heatmap stays one page); columns are segment ids.
    Cells below the minimum count are masked (second frame, True = hidden),
    so the heatmap shows what the persona cards may say and nothing more.
    """
    frame = _frame(features, assignments, cfg)
    numeric, categorical = profile_columns(frame, cfg)
    num = numeric_profile(frame, numeric)
    cat = category_profile(frame, categorical)
    rows, masks = {}, {}
    for col in numeric:
        sub = num[num["feature"] == col].set_index("segment")
        if sub["index"].notna().any():
            rows[i18n.feature_label(col, language)] = sub["index"]
            masks[i18n.feature_label(col, language)] = sub["index"].isna()
    traits = _over_represented(cat, cfg).sort_values("effect", ascending=False).groupby("segment").head(per_segment)
    for (col, value), _ in traits.groupby(["feature", "value"], sort=False):
        sub = cat[(cat["feature"] == col) & (cat["value"] == value)].set_index("segment")
        label = i18n.category_label(col, value, language)
        rows[label] = sub["lift"] * 100
        masks[label] = sub["count"] < cfg.personas.min_count
    matrix = pd.DataFrame(rows).T
    mask = pd.DataFrame(masks).T.reindex_like(matrix).fillna(True).astype(bool)
    return matrix, mask


def _over_represented(cat: pd.DataFrame, cfg) -> pd.DataFrame:
    p = cfg.personas
    keep = (cat["count"] >= p.min_count) & (cat["lift"] >= p.min_lift)
    return cat[keep].sort_values(["segment", "lift"], ascending=[True, False])


# ------------------------------------------------------------------ personas

def _build_personas(features: pd.DataFrame, assignments: pd.DataFrame, cfg, *, as_of: str | None = None) -> dict:
    """Profile, name, describe and target every segment: the content of ``segments.json``.

    Parameters
    ----------
    features : DataFrame
        One row per customer (``features.parquet``); personal-data columns
        named in ``cfg.columns.pii`` are never read.
    assignments : DataFrame
        ``customer_id``, ``segment`` (int) and a provisional ``segment_name``.
    cfg : RunConfig
        Uses ``language``, ``personas`` (names, notes, min_count, min_lift),
        ``columns`` and ``segmentation.method``.
    as_of : str, optional
        The features' reference date (features.json ``as_of``), recorded with the base.

    Returns
    -------
    dict
        ``{"base": {...}, "segments": [...]}``, one entry per segment in id order.
    """
    lang = cfg.language
    frame = _frame(features, assignments, cfg)
    numeric, categorical = profile_columns(frame, cfg)
    num = numeric_profile(frame, numeric)
    cat = category_profile(frame, categorical)
    over = _over_represented(cat, cfg)
    sizes = frame["segment"].value_counts().sort_index()
    n = int(len(frame))
    revenue = frame["monetary"].astype(float) if "monetary" in frame.columns else None
    total = float(revenue.sum()) if revenue is not None else None
    has_tx = "value_tier" in frame.columns and "risk_tier" in frame.columns

    segments = []
    for seg, size in sizes.items():
        part = frame[frame["segment"] == seg]
        seg_num = num[num["segment"] == seg]
        seg_over = over[over["segment"] == seg]
        traits = _traits(seg_num, seg_over)
        entry = {
            "id": int(seg),
            "name": None,
            "size": int(size),
            "share": _r(size / n, 4),
            "revenue_share": _r(revenue[part.index].sum() / total, 4) if total else None,
            "profile": {
                "numeric": [{"feature": r.feature, "mean": _r(r.mean), "base_mean": _r(r.base_mean),
                             "index": _r(r.index, 1), "p25": _r(r.p25), "p75": _r(r.p75)}
                            for r in seg_num.itertuples()],
                "categorical": [{"feature": r.feature, "value": r.value, "count": int(r.count), "share": _r(r.share, 4),
                                 "base_share": _r(r.base_share, 4), "lift": _r(r.lift, 2)}
                                for r in seg_over.itertuples()],
            },
            "rfm_mix": _mix(part, "rfm_segment"),
            "lifecycle_mix": _mix(part, "lifecycle"),
            "value_risk": _placement(part, lang) if has_tx else None,
            "notes": cfg.personas.notes.get(int(seg)),
        }
        segments.append((entry, traits, part))

    _assign_names(segments, assignments, cfg)
    for entry, traits, part in segments:
        entry["persona"] = _persona(entry, traits, num[num["segment"] == entry["id"]], lang)
        entry["actions"] = _actions(entry, traits, part, lang)

    return {
        "base": {
            "customers": n,
            "revenue": _r(total),
            "as_of": as_of,
            "language": lang,
            "min_count": cfg.personas.min_count,
            "min_lift": cfg.personas.min_lift,
            "numeric": [{"feature": c, "mean": _r(pd.to_numeric(frame[c], errors="coerce").mean())} for c in numeric],
        },
        "segments": [entry for entry, _, _ in segments],
    }


def build_personas(features: pd.DataFrame, assignments: pd.DataFrame, cfg, *, as_of: str | None = None) -> dict:
    """The personas of every segment (:func:`_build_personas`), its data values in the words of the
    params' ``columns.value_labels`` for the report language."""
    with i18n.value_labels(cfg.columns.labels(cfg.language)):
        return _build_personas(features, assignments, cfg, as_of=as_of)


def _r(x, digits: int = 4):
    """JSON-friendly rounding; NaN becomes null."""
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else round(x, digits)


def _mix(part: pd.DataFrame, col: str) -> dict | None:
    if col not in part.columns:
        return None
    shares = part[col].astype("string").value_counts(normalize=True)
    return {str(k): _r(v, 4) for k, v in shares.items()}


def _traits(seg_num: pd.DataFrame, seg_over: pd.DataFrame) -> list[Trait]:
    """Notable differences from the base, most distinctive first."""
    out = []
    for r in seg_num.itertuples():
        if abs(r.effect) >= NOTABLE and not math.isnan(r.index):
            out.append(Trait("numeric", r.feature, abs(r.effect), high=r.effect > 0, index=r.index))
    for r in seg_over.itertuples():
        if r.effect >= NOTABLE:
            out.append(Trait("category", r.feature, float(r.effect), value=r.value,
                             share=float(r.share), base_share=float(r.base_share), index=float(r.lift) * 100))
    return sorted(out, key=lambda tr: -tr.score)


def _placement(part: pd.DataFrame, lang: str) -> dict:
    """Where the segment's typical customer sits on the value × risk grid.

    Each axis is the mean tier (0 = low … 2 = high) of its customers, rounded
    half up to the nearest tier; the unrounded means place the segment in the
    figure. Customers without a purchase have no risk tier and do not count
    on that axis; a segment of only such customers is in the prospect cell.
    """
    v = part["value_tier"].astype("string").map({t: i for i, t in enumerate(VALUE_ORDER)}).astype(float)
    k = part["risk_tier"].astype("string").map({t: i for i, t in enumerate(RISK_ORDER)}).astype(float)
    v_score, k_score = float(v.mean()), float(k.mean())
    if math.isnan(v_score) or math.isnan(k_score):
        # No customer with a purchase: the prospect cell, outside the grid.
        key = targeting.PROSPECT.key
        info = targeting.cell_info(key, lang)
        in_cell = (part["value_risk_cell"].astype("string") == key).mean() if "value_risk_cell" in part else None
        return {"cell": key, "value_tier": None, "risk_tier": None, "name": info["name"],
                "strategy": info["strategy"], "priority": info["priority"],
                "value_score": None, "risk_score": None, "cell_share": _r(in_cell, 4)}
    value_tier = VALUE_ORDER[int(np.clip(math.floor(v_score + 0.5), 0, 2))]
    risk_tier = RISK_ORDER[int(np.clip(math.floor(k_score + 0.5), 0, 2))]
    key = targeting.cell_key(value_tier, risk_tier)
    info = targeting.cell_info(key, lang)
    in_cell = ((part["value_tier"].astype("string") == value_tier) & (part["risk_tier"].astype("string") == risk_tier)).mean()
    return {"cell": key, "value_tier": value_tier, "risk_tier": risk_tier, "name": info["name"],
            "strategy": info["strategy"], "priority": info["priority"],
            "value_score": _r(v_score, 3), "risk_score": _r(k_score, 3), "cell_share": _r(in_cell, 4)}


# ------------------------------------------------------------------ names

def _name_parts(traits: list[Trait], take: int) -> list[Trait]:
    """The traits a name is made of: a lead adjective, then categories, then the rest.

    The lead is the most distinctive numeric trait, except that an attribute
    (age, income) wins over a behaviour unless clearly weaker (a persona is
    first who people are) and that having lapsed always leads (it is what a
    marketer must know first). Within a concept (recency, churn risk)
    the concept's own feature speaks for it ("lapsed", not "at-risk"); place
    (city, region) and every other concept give at most one word.
    """
    by_concept: dict[str, list[Trait]] = {}
    for tr in traits:
        if tr.kind == "numeric":
            by_concept.setdefault(tr.concept, []).append(tr)
    numeric = []
    for concept, group in by_concept.items():
        lead = next((tr for tr in group if tr.feature == concept), group[0])
        numeric.append((max(tr.score for tr in group), lead))
    numeric = [tr for _, tr in sorted(numeric, key=lambda p: -p[0])]
    chosen = []
    if numeric:
        best = numeric[0]
        attribute = next((tr for tr in numeric if tr.feature not in BEHAVIOUR_NUMERIC), None)
        lapsed = next((tr for tr in numeric if tr.feature == "recency" and tr.high), None)
        lead = attribute if attribute is not None and attribute.score >= 0.75 * best.score else best
        chosen.append(lapsed or lead)
    cats, seen = [], set()
    for tr in traits:
        if tr.kind == "category" and tr.concept not in seen:
            cats.append(tr)
            seen.add(tr.concept)
    chosen += cats[:2]
    rest = [tr for tr in numeric if tr not in chosen] + cats[2:]
    rest.sort(key=lambda tr: -tr.score)
    chosen += rest[:max(0, take - len(chosen))]
    return chosen[:take]


def _word(tr: Trait, lang: str) -> str:
    label = i18n.feature_label(tr.feature, lang)
    if tr.kind == "numeric":
        key = f"name_{tr.feature}_{'high' if tr.high else 'low'}"
        return i18n.t(key if i18n.has(key, lang) else f"name_numeric_{'high' if tr.high else 'low'}", lang, label=label)
    value = i18n.value_label(tr.feature, tr.value, lang)
    low = str(tr.value).strip().lower()
    if low in YES | NO:
        return i18n.t("name_cat_yes" if low in YES else "name_cat_no", lang, label=label)
    key = f"name_cat_{tr.feature}"
    return i18n.t(key if i18n.has(key, lang) else "name_cat", lang, value=value, label=label)


def generate_name(traits: list[Trait], language: str, take: int = 3) -> str:
    """A short name from the most distinctive traits: "Young running app shoppers".

    Numeric traits become adjectives, category traits modifiers, and the noun
    says "shoppers" when a channel is among them. Only traits, never values of
    personal-data columns, enter a name.
    """
    chosen = _name_parts(traits, take)
    if not chosen:
        return i18n.t("name_mainstream", language)
    words = [_word(tr, language) for tr in chosen if tr.kind == "numeric"]
    words += [_word(tr, language) for tr in chosen if tr.kind == "category"]
    noun = "name_noun_shoppers" if any(tr.feature in BEHAVIOUR_CATEGORICAL for tr in chosen) else "name_noun"
    words.append(i18n.t(noun, language))
    sep = i18n.t("name_sep", language)
    name = words[0]
    for w in words[1:]:
        # Chinese runs words together, but two Latin words still need a space.
        glue = " " if (not sep and name[-1:].isascii() and name[-1:].isalnum() and w[:1].isascii() and w[:1].isalnum()) else sep
        name += glue + w
    return name[:1].upper() + name[1:]


def _assign_names(segments, assignments: pd.DataFrame, cfg) -> None:
    """Analysts' names first, then rule names, then generated names, all unique."""
    lang = cfg.language
    ids = {entry["id"] for entry, _, _ in segments}
    chosen = {}
    for sid, name in cfg.personas.names.items():
        if int(sid) not in ids:
            raise ParamsError(f"personas.names: there is no segment {sid} (segments are {', '.join(map(str, sorted(ids)))}); "
                              "remove it or use an existing id")
        chosen[int(sid)] = str(name).strip()
    seen = {}
    for sid, name in chosen.items():
        if name.casefold() in seen:
            raise ParamsError(f"personas.names: segments {seen[name.casefold()]} and {sid} are both named {name!r}; "
                              "give each segment its own name")
        seen[name.casefold()] = sid
    if cfg.segmentation.method == "rules" and "segment_name" in assignments.columns:
        rule_names = assignments.drop_duplicates("segment").set_index("segment")["segment_name"]
        for sid in ids - set(chosen):
            name = rule_names.get(sid)
            if isinstance(name, str) and name.strip() and name.casefold() not in seen:
                chosen[sid] = name.strip()
                seen[name.casefold()] = sid
    used = {n.casefold() for n in chosen.values()}
    # Bigger segments keep the shorter name when two would collide.
    for entry, traits, _ in sorted(segments, key=lambda s: -s[0]["size"]):
        if entry["id"] in chosen:
            entry["name"] = chosen[entry["id"]]
            continue
        name = None
        for take in (3, 4, 5):
            candidate = generate_name(traits, lang, take)
            if candidate.casefold() not in used:
                name = candidate
                break
        if name is None:
            name = i18n.t("name_disambiguate", lang, name=generate_name(traits, lang), id=entry["id"])
        used.add(name.casefold())
        entry["name"] = name


# ------------------------------------------------------------------ narrative

def format_value(feature: str, x, lang: str) -> str:
    """A feature's value as the report prints it (days, probabilities, plain numbers)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if feature in PROBABILITIES:
        return i18n.percent(x)
    key = f"unit_{feature}"
    return i18n.t(key, lang, x=i18n.number(x)) if i18n.has(key, lang) else i18n.number(x)


def _direction(index: float) -> str:
    if 95 <= index < 105:
        return "around"
    return "well_above" if index >= 150 else "above" if index >= 100 else "well_below" if index <= 67 else "below"


def _numeric_sentence(row, lang: str, *, who: bool) -> str:
    key = f"sentence_{row.feature}"
    if row.feature == "recency" and row.mean < 2 * DAYS_PER_MONTH:
        key = "sentence_recency_days"
    if not i18n.has(key, lang):
        key = "sentence_numeric_range" if who else "sentence_numeric"
    fields = dict(label=i18n.feature_label(row.feature, lang), mean=format_value(row.feature, row.mean, lang),
                  base=format_value(row.feature, row.base_mean, lang), index=i18n.integer(row.index),
                  direction=i18n.t("dir_" + _direction(row.index), lang),
                  p25=format_value(row.feature, row.p25, lang), p75=format_value(row.feature, row.p75, lang),
                  months=i18n.number(row.mean / DAYS_PER_MONTH, 0))
    return i18n.t(key, lang, **fields)


def trait_phrase(tr: Trait, lang: str, *, with_numbers: bool = True) -> str:
    """One trait in words: "are interested in running (78% against 20% of all customers)".

    Without numbers, the short form for lists: "running (interest)", "age index 56".
    """
    label = i18n.feature_label(tr.feature, lang)
    if tr.kind == "numeric":
        return i18n.t("short_numeric", lang, label=label, index=i18n.integer(tr.index))
    if not with_numbers:
        return i18n.t("short_cat", lang, label=label, value=i18n.value_label(tr.feature, tr.value, lang))
    key = f"trait_cat_{tr.feature}"
    text = i18n.t(key if i18n.has(key, lang) else "trait_cat", lang, label=label,
                  value=i18n.value_label(tr.feature, tr.value, lang))
    return text + i18n.t("trait_share", lang, share=i18n.percent(tr.share), base=i18n.percent(tr.base_share))


def _needs(traits: list[Trait], lang: str) -> list[str]:
    """What the traits suggest the segment looks for (interpretation, not data)."""
    out, features = [], set()
    for tr in traits:
        if tr.kind == "category" and tr.feature in features:
            continue  # one need per feature: "around hiking", not also "around outdoor"
        if tr.kind == "category":
            if PRICE_WORDS.search(str(tr.value)):
                key, fields = "need_price", {}
            elif tr.feature in INTEREST_FEATURES:
                key, fields = "need_interest", {"value": i18n.value_label(tr.feature, tr.value, lang)}
            elif tr.feature == "channel":
                key, fields = "need_channel", {"value": i18n.value_label(tr.feature, tr.value, lang)}
            elif tr.feature in ("membership_tier", "membership") and str(tr.value).casefold() not in ENTRY_TIERS:
                key, fields = "need_membership", {"value": i18n.value_label(tr.feature, tr.value, lang)}
            else:
                continue
        else:
            key = {("aov", False): "need_price", ("income", False): "need_price",
                   ("aov", True): "need_quality", ("income", True): "need_quality",
                   ("n_returns", True): "need_returns", ("recency", True): "need_reason",
                   ("frequency", True): "need_convenience", ("tenure_days", True): "need_recognition"}.get((tr.feature, tr.high))
            fields = {}
            if key is None:
                continue
        text = i18n.t(key, lang, **fields)
        if text not in out:
            out.append(text)
            features.add(tr.feature)
    return out[:4]


def _persona(entry: dict, traits: list[Trait], seg_num: pd.DataFrame, lang: str) -> dict:
    """who / needs / behaviour paragraphs and a one-sentence summary."""
    size = dict(size=i18n.integer(entry["size"]), share=i18n.percent(entry["share"]))
    who = [i18n.t("who_size_revenue" if entry["revenue_share"] is not None else "who_size", lang,
                  revenue=i18n.percent(entry["revenue_share"]), **size)]
    notable = {tr.feature for tr in traits if tr.kind == "numeric"}
    rows = {r.feature: r for r in seg_num.itertuples() if not math.isnan(r.index)}
    attr_num = [f for f in rows if f not in BEHAVIOUR_NUMERIC and f in notable]
    who += [_numeric_sentence(rows[f], lang, who=True) for f in attr_num]
    attr_cat, concepts = [], set()
    for tr in traits:
        if tr.kind == "category" and tr.feature not in BEHAVIOUR_CATEGORICAL and tr.concept not in concepts:
            attr_cat.append(tr)  # one place, not its city and its region
            concepts.add(tr.concept)
    if attr_cat:
        who.append(i18n.t("who_categorical", lang, items=i18n.join([trait_phrase(tr, lang) for tr in attr_cat[:4]], lang)))
    if not attr_num and not attr_cat:
        who.append(i18n.t("who_average", lang))

    behaviour = []
    has_tx = any(f in rows for f in BEHAVIOUR_NUMERIC)
    if has_tx:
        behaviour += [_numeric_sentence(rows[f], lang, who=False) for f in BEHAVIOUR_NUMERIC
                      if f in rows and (f in ALWAYS_DESCRIBED or f in notable)]
        beh_cat = [tr for tr in traits if tr.kind == "category" and tr.feature in BEHAVIOUR_CATEGORICAL]
        if beh_cat:
            behaviour.append(i18n.t("behaviour_categorical", lang,
                                    items=i18n.join([trait_phrase(tr, lang) for tr in beh_cat[:3]], lang)))
        if entry["lifecycle_mix"]:
            items = [i18n.t("mix_item", lang, share=i18n.percent(s), value=i18n.value_label("lifecycle", v, lang))
                     for v, s in list(entry["lifecycle_mix"].items())[:3]]
            behaviour.append(i18n.t("behaviour_lifecycle", lang, items=i18n.join(items, lang)))
    else:
        beh_cat = [tr for tr in traits if tr.kind == "category" and tr.feature in BEHAVIOUR_CATEGORICAL]
        if beh_cat:
            behaviour.append(i18n.t("behaviour_categorical", lang,
                                    items=i18n.join([trait_phrase(tr, lang) for tr in beh_cat[:3]], lang)))
        behaviour.append(i18n.t("behaviour_none", lang))

    needs_items = _needs(traits, lang)
    needs = (i18n.t("needs_intro", lang, items=i18n.t("items_sep", lang).join(needs_items)) if needs_items
             else i18n.t("needs_none", lang))
    sep = i18n.t("sentence_sep", lang)
    who_text, behaviour_text = sep.join(who), sep.join(behaviour)
    top = [trait_phrase(tr, lang, with_numbers=False) for tr in _name_parts(traits, 3)]
    summary = i18n.t("summary_sentence_revenue" if entry["revenue_share"] is not None else "summary_sentence", lang,
                     name=entry["name"], revenue=i18n.percent(entry["revenue_share"]),
                     traits=i18n.join(top, lang) if top else i18n.t("summary_no_traits", lang), **size)
    return {"who": who_text, "needs": needs, "behaviour": behaviour_text,
            "narrative": "\n\n".join([who_text, needs, behaviour_text]), "summary": summary}


# ------------------------------------------------------------------ actions

def _actions(entry: dict, traits: list[Trait], part: pd.DataFrame, lang: str) -> list[dict]:
    """Channel, offer, message and priority from the value × risk cell and the traits."""
    channel_trait = next((tr for tr in traits if tr.kind == "category" and tr.feature == "channel"), None)
    if channel_trait is not None:
        channel = i18n.value_label("channel", channel_trait.value, lang)
    elif "channel" in part.columns and part["channel"].notna().any():
        channel = i18n.value_label("channel", part["channel"].astype("string").mode().iloc[0], lang)
    else:
        channel = i18n.t("channel_default", lang)

    hooks, theme = [], ""
    for tr in traits:
        if tr.kind == "category" and PRICE_WORDS.search(str(tr.value)):
            hook = i18n.t("offer_price", lang)
        elif tr.kind == "category" and tr.feature in INTEREST_FEATURES:
            value = i18n.value_label(tr.feature, tr.value, lang)
            hook = i18n.t("offer_interest", lang, value=value)
            theme = theme or i18n.t("theme_interest", lang, value=value)
        elif (tr.kind == "category" and tr.feature in ("membership_tier", "membership")
              and str(tr.value).casefold() not in ENTRY_TIERS):
            hook = i18n.t("offer_membership", lang, value=i18n.value_label(tr.feature, tr.value, lang))
        elif tr.kind == "numeric" and (tr.feature, tr.high) in {("aov", True), ("income", True)}:
            hook = i18n.t("offer_premium", lang)
        elif tr.kind == "numeric" and (tr.feature, tr.high) in {("aov", False), ("income", False)}:
            hook = i18n.t("offer_price", lang)
        elif tr.kind == "numeric" and (tr.feature, tr.high) == ("n_returns", True):
            hook = i18n.t("offer_returns", lang)
        else:
            continue
        if hook not in hooks:
            hooks.append(hook)
    hooks = hooks[:2]

    placement = entry.get("value_risk")
    if placement:
        offer = placement.get("strategy") or i18n.t("offer_default", lang)
        if hooks and placement["cell"] not in NO_SPEND_CELLS:
            offer = i18n.t("offer_with_hooks", lang, offer=offer, hooks=i18n.t("items_sep", lang).join(hooks))
        tier = placement.get("risk_tier")
        message = i18n.t(f"message_risk_{tier}" if tier else "message_prospect", lang, theme=theme)
        priority = placement.get("priority")
    else:
        offer = i18n.t("items_sep", lang).join(hooks) if hooks else i18n.t("offer_default", lang)
        message = i18n.t("message_default", lang, theme=theme)
        priority = None
    return [{"channel": channel, "offer": offer, "message": message, "priority": priority}]
