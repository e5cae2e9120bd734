"""Segment names: the analyst's, the method's, a previous run's, or words from the segment's traits.

A segment gets its name once, in the segment stage, and every artifact and
page copies it (docs/architecture.md §3, "one name per thing"): the analyst's
``personas.names`` first, then the name of the matching segment of a previous
run, then the names the method gives (business rules, the RFM map's groups in
the report's language), then a name made of the segment's most distinctive
traits ("Young running app shoppers"). Names are unique within a run.
"""

from __future__ import annotations

import pandas as pd

from seglab import i18n
from seglab.errors import ParamsError
from seglab.report.profiles import (
    Trait,
    category_profile,
    customer_frame,
    numeric_profile,
    over_represented,
    profile_columns,
    traits,
)

__all__ = ["BEHAVIOUR_CATEGORICAL", "BEHAVIOUR_NUMERIC", "generate_name", "name_parts", "name_segments",
           "segment_traits"]

# Features that describe behaviour (the rest describe who customers are).
BEHAVIOUR_NUMERIC = ("frequency", "purchase_rate", "aov", "recency", "monetary", "n_returns", "tenure_days",
                     "expected_purchases", "clv_historical", "clv_predicted", "churn_risk")
BEHAVIOUR_CATEGORICAL = {"channel", "buyer_type"}
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}
# Lifecycle stages of customers who have stopped buying, for now or for good.
LAPSED_STAGES = ("dormant", "churned")
# Methods whose segments come with names of their own.
NAMED_METHODS = {"rules", "rfm"}


def segment_traits(features: pd.DataFrame, assignments: pd.DataFrame, cfg) -> dict[int, list[Trait]]:
    """Every segment's notable traits for its name, most distinctive first.

    "Lapsed" leads a name only when it is true of most of the segment: where
    lifecycle stages are known, a segment with less than half of its customers
    dormant or churned keeps its later-than-average last purchase out of its
    name (the cards still say it).
    """
    frame = customer_frame(features, assignments, cfg)
    numeric, categorical = profile_columns(frame, cfg)
    num = numeric_profile(frame, numeric)
    over = over_represented(category_profile(frame, categorical), cfg.personas.min_count, cfg.personas.min_lift)
    lapsed = (frame["lifecycle"].astype("string").isin(LAPSED_STAGES).groupby(frame["segment"]).mean()
              if "lifecycle" in frame.columns else None)
    out = {}
    for sid in sorted(frame["segment"].unique()):
        found = traits(num[num["segment"] == sid], over[over["segment"] == sid])
        if lapsed is not None and lapsed.get(sid, 0.0) < 0.5:
            found = [tr for tr in found if not (tr.feature == "recency" and tr.high)]
        out[int(sid)] = found
    return out


def name_segments(features: pd.DataFrame, assignments: pd.DataFrame, cfg, *, method_names: dict | None = None,
                  inherited: dict | None = None) -> dict[int, str]:
    """One unique name per segment of ``assignments`` (``customer_id``, ``segment``).

    Parameters
    ----------
    features : DataFrame
        ``features.parquet``: the traits come from it.
    assignments : DataFrame
        One row per customer with its ``segment``.
    cfg : RunConfig
        ``personas.names`` (the analyst's), ``language``, ``segmentation.method``.
    method_names : dict of int to str, optional
        Names the method gave (rules, RFM map); used for :data:`NAMED_METHODS`.
    inherited : dict of int to str, optional
        Names of the matching segments of a previous run.

    Returns
    -------
    dict of int to str
    """
    with i18n.value_labels(cfg.columns.labels(cfg.language)):  # the data's own words for its values
        return _name_segments(features, assignments, cfg, method_names=method_names, inherited=inherited)


def _name_segments(features: pd.DataFrame, assignments: pd.DataFrame, cfg, *, method_names: dict | None,
                   inherited: dict | None) -> dict[int, str]:
    lang = cfg.language
    sizes = assignments["segment"].astype(int).value_counts()
    ids = set(int(s) for s in sizes.index)
    chosen: dict[int, str] = {}
    seen: dict[str, int] = {}
    for sid, name in cfg.personas.names.items():
        if int(sid) not in ids:
            raise ParamsError(f"personas.names: there is no segment {sid} (segments are {', '.join(map(str, sorted(ids)))}); "
                              "remove it or use an existing id")
        name = str(name).strip()
        if name.casefold() in seen:
            raise ParamsError(f"personas.names: segments {seen[name.casefold()]} and {sid} are both named {name!r}; "
                              "give each segment its own name")
        chosen[int(sid)] = name
        seen[name.casefold()] = int(sid)
    given = dict(inherited or {})
    if cfg.segmentation.method in NAMED_METHODS:
        for sid, name in (method_names or {}).items():
            if isinstance(name, str) and name.strip():
                # RFM map groups are the map's words; rule names are the analyst's and stay as written.
                label = name.strip()
                if cfg.segmentation.method == "rfm":
                    label = i18n.value_label("rfm_segment", label, lang)
                given.setdefault(int(sid), label)
    for sid in sorted(ids - set(chosen)):
        name = given.get(sid)
        if isinstance(name, str) and name.strip() and name.strip().casefold() not in seen:
            chosen[sid] = name.strip()
            seen[name.strip().casefold()] = sid
    missing = ids - set(chosen)
    if missing:
        found = segment_traits(features, assignments[assignments["segment"].astype(int).isin(ids)], cfg)
        used = set(seen)
        # Bigger segments keep the shorter name when two would collide.
        for sid in sorted(missing, key=lambda s: (-sizes[s], s)):
            name = None
            for take in (3, 4, 5):
                candidate = generate_name(found.get(sid, []), lang, take)
                if candidate.casefold() not in used:
                    name = candidate
                    break
            if name is None:
                name = i18n.t("name_disambiguate", lang, name=generate_name(found.get(sid, []), lang), id=sid)
            used.add(name.casefold())
            chosen[sid] = name
    return dict(sorted(chosen.items()))


def name_parts(traits: list[Trait], take: int) -> list[Trait]:
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
    chosen = name_parts(traits, take)
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
