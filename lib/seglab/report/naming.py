"""Segment names: the analyst's, the method's, a previous run's, or words from the segment's traits.

A segment gets its name once, in the segment stage, and every artifact and
page copies it (docs/architecture.md §3, "one name per thing"): the analyst's
``personas.names`` first, then the name of the matching segment of a previous
run, then the names the method gives (business rules, the RFM map's groups in
the report's language), then a name made of the segment's most distinctive
traits ("Young running app shoppers"). Names are unique within a run.
"""

from __future__ import annotations

import re

import pandas as pd

from seglab import i18n
from seglab.errors import ParamsError
from seglab.features.build import REFUND_STAGES
from seglab.i18n import headers, screening
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
           "returns_groups", "segment_traits"]

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
# A name is read at a glance: at most this many words ("big-basket" is one).
MAX_WORDS = 5
# A category value names a segment only when most of it holds the value.
NAME_MIN_SHARE = 0.5
# Chinese words that name people: a value ending in one needs no noun after it.
PERSON_NOUNS = ("人员", "人士", "学生", "者", "族", "客户", "顾客", "用户", "学员", "会员", "白领", "教师", "老师",
                "工程师", "经理", "医生", "护士", "家长", "妈妈", "女性", "男性")
# Audiences that buy in baskets; the others (accounts, learners, subscribers …) buy orders, seats or plans.
RETAIL_AUDIENCES = {"customers", "members", "guests"}
# Words of a header that make its numbers read as one of seglab's adjectives
# ("Annual Income (k$)" high → "affluent", "Spending Score (1-100)" low → "low-spending").
ADJECTIVE_CONCEPTS = {"income": "income", "salary": "income", "earnings": "income", "wage": "income",
                      "spending": "monetary", "spend": "monetary", "expenditure": "monetary", "age": "age"}
# Words of a header whose values name a group on their own ("Chengdu", "running", "female").
SELF_SPEAKING = {"city", "channel", "interest", "interests", "occupation", "job", "profession", "industry",
                 "device", "platform", "gender", "sex", "genre", "hobby", "activity", "country", "province",
                 "marital", "category", "sector", "segment", "type", "format", "language"}


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


def returns_groups(features: pd.DataFrame, assignments: pd.DataFrame, cfg) -> set[int]:
    """Segments whose every customer's returns cancel their purchases (lifecycle
    ``returns_only`` / ``net_negative``): the group :mod:`seglab.segment.outside` keeps apart."""
    if "lifecycle" not in features.columns:
        return set()
    frame = customer_frame(features, assignments, cfg)
    refunds = frame["lifecycle"].astype("string").isin(REFUND_STAGES).groupby(frame["segment"]).all()
    return {int(s) for s, all_refunds in refunds.items() if all_refunds}


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
    with i18n.value_labels(cfg.columns.value_labels_in(cfg.language), cfg.columns.column_labels(cfg.language)):  # the data's own words for its values
        return _name_segments(features, assignments, cfg, method_names=method_names, inherited=inherited)


def _name_segments(features: pd.DataFrame, assignments: pd.DataFrame, cfg, *, method_names: dict | None,
                   inherited: dict | None) -> dict[int, str]:
    lang = cfg.language
    audience = cfg.report.audience
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
    # The group of customers whose returns cancel their purchases (seglab.segment.outside) is
    # named for what it is, never from traits or a previous run's segment (rules keep their names).
    groups = returns_groups(features, assignments, cfg) if cfg.segmentation.method != "rules" else set()
    for sid in sorted(groups - set(chosen)):
        given[sid] = i18n.t("name_returns_group", lang)
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
            # Longer names only when a shorter one is taken: more traits, then up to two more words.
            for take, words in ((3, MAX_WORDS), (4, MAX_WORDS), (5, MAX_WORDS), (5, MAX_WORDS + 2)):
                candidate = generate_name(found.get(sid, []), lang, take, audience=audience, max_words=words)
                if candidate.casefold() not in used:
                    name = candidate
                    break
            if name is None:
                name = i18n.t("name_disambiguate", lang, name=generate_name(found.get(sid, []), lang, audience=audience), id=sid)
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


def _adjective_key(feature: str, high: bool, lang: str, audience: str = "customers") -> str | None:
    """seglab's adjective for a number ("young", "affluent"), found by the column or its header in words;
    the audience's trade first ("big-ticket" accounts, not "big-basket")."""
    direction = "high" if high else "low"
    words = headers.slug(feature).split("_")
    trade = "retail" if audience in RETAIL_AUDIENCES else "services"
    keys = [f"name_{feature}_{direction}_{trade}", f"name_{feature}_{direction}", f"name_{'_'.join(words)}_{direction}"]
    keys += [f"name_{ADJECTIVE_CONCEPTS[w]}_{direction}" for w in words if w in ADJECTIVE_CONCEPTS]
    return next((k for k in keys if i18n.has(k, lang)), None)


def _numeric_word(tr: Trait, lang: str, audience: str = "customers") -> tuple[str, str]:
    """A number as ("adjective", text) or, for a label of several words in English, ("suffix", "with high …")."""
    key = _adjective_key(tr.feature, tr.high, lang, audience)
    if key is not None:
        return "adjective", i18n.t(key, lang)
    label = i18n.feature_label(tr.feature, lang)
    direction = "high" if tr.high else "low"
    if " " in label.strip():
        return "suffix", i18n.t(f"name_with_{direction}", lang, label=label)
    return "adjective", i18n.t(f"name_numeric_{direction}", lang, label=label)


def _speaks_alone(feature: str) -> bool:
    """Whether the column's values name a group on their own ("Chengdu", "running") or need the column ("cold climate")."""
    return bool(set(headers.slug(feature).split("_")) & SELF_SPEAKING)


def _category_word(tr: Trait, lang: str) -> str:
    """A category value as a name word; never the value twice ("west region", not "west region-region")."""
    label = i18n.feature_label(tr.feature, lang)
    value = i18n.value_label(tr.feature, tr.value, lang)
    low = str(tr.value).strip().lower()
    if low in YES | NO:
        return i18n.t("name_cat_yes" if low in YES else "name_cat_no", lang, label=label)
    if screening.repeats(value, label):
        return value  # "west region", not "west region-region"
    for key in (f"name_cat_{tr.feature}", f"name_cat_{headers.slug(tr.feature)}"):
        if i18n.has(key, lang):
            return i18n.t(key, lang, value=value, label=label)
    if not str(value).isascii() or (lang == "en" and not label.isascii()):
        return value  # a value in another script reads on its own
    if _speaks_alone(tr.feature) or len(label.split()) > 2:
        return i18n.t("name_cat", lang, value=value, label=label)
    return i18n.t("name_cat_with_label", lang, value=value, label=label)


def nameable(tr: Trait, lang: str) -> bool:
    """Whether a trait may enter a name: a category value most of the segment holds, that reads as a word.

    A value held by a minority ("default" for 8 % of a segment) stays on the card,
    not in the name; so do months and days (when a campaign called, not who people
    are), placeholders ("unknown", "other"), codes, and odd or offensive words
    (:mod:`seglab.i18n.screening`).
    """
    if tr.kind != "category":
        return True
    if tr.share is not None and tr.share < NAME_MIN_SHARE:
        return False
    shown = i18n.value_label(tr.feature, tr.value, lang)
    return not (screening.temporal(tr.feature, tr.value) or screening.placeholder(tr.value)
                or screening.offensive(shown) or screening.offensive(str(tr.value)))


def _words(text: str) -> int:
    """Words of a name as a reader counts them: "big-basket" is one; a Chinese name counts its parts."""
    return len(text.split())


def generate_name(traits: list[Trait], language: str, take: int = 3, *, audience: str = "customers",
                  max_words: int = MAX_WORDS) -> str:
    """A short name from the most distinctive traits: "Young running app shoppers".

    Numeric traits become adjectives ("young", "affluent", "high-balance") or, for a
    column of several words, a closing phrase ("with high spending score"); category
    values become modifiers, read with their column when alone they would not say
    what they are ("cold climate"). The noun is the report's audience
    (``report.audience``: customers, learners, accounts …), "shoppers" for customers
    when a channel is among the traits. Parts are added most distinctive first while
    the name stays within ``max_words`` words. Only traits, never values of
    personal-data columns, enter a name.
    """
    chosen = name_parts([tr for tr in traits if nameable(tr, language)], take)
    noun_key = (f"name_noun_{audience}_shoppers" if any(tr.feature in BEHAVIOUR_CATEGORICAL for tr in chosen)
                else f"name_noun_{audience}")
    noun = i18n.t(noun_key if i18n.has(noun_key, language) else f"name_noun_{audience}", language)
    if not chosen:
        return i18n.t("name_mainstream", language, noun=noun)
    candidates = []
    for i, tr in enumerate(chosen):
        if tr.kind == "numeric":
            slot, word = _numeric_word(tr, language, audience)
            candidates.append(("suffix" if slot == "suffix" else ("lead" if i == 0 else "adjectives"), word))
        elif str(tr.value).strip().lower() in YES | NO and " " in i18n.feature_label(tr.feature, language).strip():
            # "with housing loan", not "housing loan customers" / "no-housing loan customers"
            key = "name_with_cat" if str(tr.value).strip().lower() in YES else "name_without_cat"
            candidates.append(("suffix", i18n.t(key, language, label=i18n.feature_label(tr.feature, language))))
        else:
            candidates.append(("place" if tr.concept == "place" else "categories", _category_word(tr, language)))
    parts = {"lead": [], "adjectives": [], "place": [], "categories": [], "suffix": []}
    budget = max_words - _words(noun)
    # Single words first, most distinctive first; a closing phrase ("with high …") only where it still fits.
    for slot, word in [c for c in candidates if c[0] != "suffix"] + [c for c in candidates if c[0] == "suffix"][:1]:
        if _words(word) <= budget or not any(parts.values()):
            parts[slot].append(word)
            budget -= _words(word)
    sep = i18n.t("name_sep", language)
    if not sep and parts["categories"] and not parts["suffix"] and parts["categories"][-1].endswith(PERSON_NOUNS):
        # Chinese: a value that names people ends the name ("东北流失退休人员", not "…退休人员顾客").
        parts["categories"].append(parts["categories"].pop(-1))
        noun = ""
    fields = {k: _glue(v, sep) for k, v in parts.items()}
    name = " ".join(i18n.t("name_pattern", language, noun=noun, **fields).split())
    if not sep:  # Chinese: no spaces but between two Latin words
        name = re.sub(r"(?<=[^A-Za-z0-9]) | (?=[^A-Za-z0-9])", "", name)
    return name[:1].upper() + name[1:]


def _glue(words: list[str], sep: str) -> str:
    out = ""
    for w in words:
        if not out:
            out = w
            continue
        # Chinese runs words together, but two Latin words still need a space.
        latin = out[-1:].isascii() and out[-1:].isalnum() and w[:1].isascii() and w[:1].isalnum()
        out += (" " if (not sep and latin) else sep) + w
    return out
