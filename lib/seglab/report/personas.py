"""Turn segments into personas a client can act on: the content of ``segments.json``.

For each segment: how big it is, what sets it apart from the whole base
(:mod:`seglab.report.profiles`: typical values as an index, over-represented
categories as a lift), a narrative built only from those numbers, its place on
the value × risk grid (:mod:`seglab.report.placement`) and the actions that
follow. Names come from the segment stage (:mod:`seglab.report.naming`).
"""

from __future__ import annotations

import math

import pandas as pd

from seglab import i18n, numbers
from seglab.features.build import REFUND_STAGES
from seglab.i18n import screening
from seglab.report import actions, naming, placement, profiles
from seglab.report.actions import INTEREST_FEATURES, PRICE_WORDS
from seglab.report.naming import BEHAVIOUR_CATEGORICAL, BEHAVIOUR_NUMERIC
from seglab.report.profiles import Trait

ALWAYS_DESCRIBED = ("frequency", "aov", "recency")
DAYS_PER_MONTH = 30.44


# ------------------------------------------------------------------ personas

def build_personas(features: pd.DataFrame, assignments: pd.DataFrame, cfg, *, as_of: str | None = None,
                   names: dict | None = None) -> dict:
    """The personas of every segment (:func:`_build_personas`), its data values in the words of the
    params' ``columns.value_labels`` for the report language."""
    with i18n.value_labels(cfg.columns.value_labels_in(cfg.language), cfg.columns.column_labels(cfg.language)):
        return _build_personas(features, assignments, cfg, as_of=as_of, names=names)


def _build_personas(features: pd.DataFrame, assignments: pd.DataFrame, cfg, *, as_of: str | None = None,
                    names: dict | None = None) -> dict:
    """Profile, describe and target every segment: the content of ``segments.json``.

    Parameters
    ----------
    features : DataFrame
        One row per customer (``features.parquet``); personal-data columns
        named in ``cfg.columns.pii`` are never read.
    assignments : DataFrame
        ``customer_id``, ``segment`` (int) and, for rules and the RFM map, the
        method's ``segment_name``.
    cfg : RunConfig
        Uses ``language``, ``personas`` (names, notes, min_count, min_lift),
        ``columns`` and ``segmentation.method``.
    as_of : str, optional
        The features' reference date (features.json ``as_of``), recorded with the base.
    names : dict of int to str, optional
        The segments' names as the segment stage gave them; made here with
        :func:`seglab.report.naming.name_segments` when not given.

    Returns
    -------
    dict
        ``{"base": {...}, "segments": [...]}``, one entry per segment in id order.
        Every number is stored at the precision the report rounds from.
    """
    lang = cfg.language
    frame = profiles.customer_frame(features, assignments, cfg)
    numeric, categorical = profiles.profile_columns(frame, cfg)
    num = profiles.numeric_profile(frame, numeric)
    cat = profiles.category_profile(frame, categorical)
    over = profiles.over_represented(cat, cfg.personas.min_count, cfg.personas.min_lift)
    sizes = frame["segment"].value_counts().sort_index()
    n = int(len(frame))
    # Shares are of positive net revenue: a customer whose returns cancel their purchases adds
    # nothing rather than a negative amount, so no segment shows "-0 %" and shares add up.
    net = frame["monetary"].astype(float) if "monetary" in frame.columns else None
    revenue = net.clip(lower=0) if net is not None else None
    total = float(revenue.sum()) if revenue is not None else None
    has_tx = "value_tier" in frame.columns and "risk_tier" in frame.columns
    if names is None:
        method_names = (assignments.drop_duplicates("segment").set_index("segment")["segment_name"].to_dict()
                        if "segment_name" in assignments.columns else None)
        names = naming.name_segments(features, assignments, cfg, method_names=method_names)

    segments = []
    for seg, size in sizes.items():
        part = frame[frame["segment"] == seg]
        seg_num = num[num["segment"] == seg]
        seg_over = over[over["segment"] == seg]
        share = numbers.stored(size / n)
        revenue_share = numbers.stored(revenue[part.index].sum() / total) if total else None
        refunds = "lifecycle" in part.columns and bool(part["lifecycle"].isin(REFUND_STAGES).all())
        entry = {
            "id": int(seg),
            "kind": "returns" if refunds else "segment",
            "name": names[int(seg)],
            "size": int(size),
            "share": share,
            "revenue_share": revenue_share,
            "profile": {
                "numeric": [{"feature": r.feature, "statistic": r.statistic, "typical": _json(r.typical),
                             "base_typical": _json(r.base_typical), "index": _json(r.index),
                             "p25": _json(r.p25), "p75": _json(r.p75), "mean": _json(r.mean),
                             "base_mean": _json(r.base_mean)}
                            for r in seg_num.itertuples()],
                "categorical": [{"feature": r.feature, "value": r.value, "count": int(r.count), "share": _json(r.share),
                                 "base_share": _json(r.base_share), "lift": _json(r.lift), "index": _json(r.index)}
                                for r in seg_over.itertuples()],
            },
            "rfm_mix": _mix(part, "rfm_segment"),
            "lifecycle_mix": _mix(part, "lifecycle"),
            "value_risk": (placement.place(part, share=share, revenue_share=revenue_share, language=lang)
                           if has_tx else None),
            "notes": cfg.personas.notes.get(int(seg)),
        }
        if refunds:
            entry["net_spend"] = numbers.stored(net[part.index].sum(), 2) if net is not None else None
        segments.append((entry, profiles.traits(seg_num, seg_over), part))

    channel_col = actions.channel_column(frame, categorical)
    buyer_yearly = actions.buyer_yearly_median(frame)
    horizon = cfg.features.clv_horizon_days
    for entry, _, part in segments:
        entry["money"] = actions.segment_money(part, horizon_days=horizon, base_buyer_yearly=buyer_yearly)
    shown = share_texts([entry for entry, _, _ in segments])
    # Who customers are can only be described from attributes (age, city), not from purchases.
    attributes = ([c for c in numeric if c not in BEHAVIOUR_NUMERIC]
                  + [c for c in categorical if c not in BEHAVIOUR_CATEGORICAL])
    for entry, found, part in segments:
        entry["persona"] = _persona(entry, found, shown[entry["id"]], lang, attributes=bool(attributes),
                                    audience=cfg.report.audience)
        entry["actions"] = [actions.build_action(
            entry, found, part, frame, lang=lang, channel_col=channel_col,
            control_share=cfg.targeting.control_share, response_rate=cfg.targeting.expected_response_rate,
            money=entry["money"])]
    actions.make_distinct([(entry, found) for entry, found, _ in segments], lang,
                          lambda tr: trait_phrase(tr, lang, with_numbers=False))

    return {
        "base": {
            "customers": n,
            "revenue": numbers.stored(total, 2),
            "revenue_net": numbers.stored(float(net.sum()), 2) if net is not None else None,
            "revenue_rule": ("revenue and revenue shares are of positive net revenue: each customer's "
                             "net spend (purchases minus returns), counted as 0 where returns cancel "
                             "the purchases") if net is not None else None,
            "currency": cfg.report.currency,
            "channel_column": channel_col,
            "as_of": as_of,
            "language": lang,
            "min_count": cfg.personas.min_count,
            "min_lift": cfg.personas.min_lift,
            "numeric": [{"feature": c, "statistic": r.statistic, "typical": _json(r.base_typical),
                         "mean": _json(r.base_mean)}
                        for c in numeric for r in num[num["feature"] == c].head(1).itertuples()],
        },
        "segments": [entry for entry, _, _ in segments],
    }


def share_texts(segments: list[dict]) -> dict[int, dict[str, str]]:
    """Each segment's share of customers and of revenue as the report prints them.

    Rounded together (largest remainder) so that the shown shares add up to
    100 %, from the values segments.json keeps: the summary table, the charts,
    the cards and the sentences all read these.
    """
    ids = [int(s["id"]) for s in segments]
    customers = numbers.percents([s["share"] for s in segments])
    revenue = numbers.percents([s.get("revenue_share") for s in segments])
    return {sid: {"share": c, "revenue_share": r} for sid, c, r in zip(ids, customers, revenue)}


def _json(x):
    """A profile value for JSON (already at its stored precision); NaN becomes null."""
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _mix(part: pd.DataFrame, col: str) -> dict | None:
    if col not in part.columns:
        return None
    shares = part[col].astype("string").value_counts(normalize=True)
    return {str(k): numbers.stored(v) for k, v in shares.items()}


# ------------------------------------------------------------------ narrative

def format_value(feature: str, x, lang: str) -> str:
    """A feature's value as the report prints it (days, probabilities, plain numbers)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if feature in profiles.PROBABILITIES:
        return numbers.percent(x)
    key = f"unit_{feature}"
    return i18n.t(key, lang, x=numbers.number(x)) if i18n.has(key, lang) else numbers.number(x)


def _direction(index: float) -> str:
    if 95 <= index < 105:
        return "around"
    return "well_above" if index >= 150 else "above" if index >= 100 else "well_below" if index <= 67 else "below"


def _numeric_sentence(row: dict, lang: str, *, who: bool) -> str:
    """One number of the profile in words, from the values segments.json keeps (so text and tables agree).

    The sentence says which typical value it reads: the median, or the average.
    """
    feature = row["feature"]
    key = f"sentence_{feature}"
    if feature == "recency" and row["typical"] < 2 * DAYS_PER_MONTH:
        key = "sentence_recency_days"
    if not i18n.has(key, lang):
        key = "sentence_numeric_range" if who else "sentence_numeric"
    if row.get("statistic") == "median":
        key = key + "_median" if i18n.has(key + "_median", lang) else ("sentence_numeric_range_median" if who
                                                                        else "sentence_numeric_median")
    fields = dict(label=i18n.feature_label(feature, lang), mean=format_value(feature, row["typical"], lang),
                  base=format_value(feature, row["base_typical"], lang), index=numbers.integer(row["index"]),
                  direction=i18n.t("dir_" + _direction(numbers.rounded(row["index"])), lang),
                  p25=format_value(feature, row["p25"], lang), p75=format_value(feature, row["p75"], lang),
                  months=numbers.number(row["typical"] / DAYS_PER_MONTH, 0))
    return i18n.t(key, lang, **fields)


def trait_phrase(tr: Trait, lang: str, *, with_numbers: bool = True) -> str:
    """One trait in words: "are interested in running (78% against 20% of all customers)".

    Without numbers, the short form for lists: "running (interest)", "age index 56".
    """
    label = i18n.feature_label(tr.feature, lang)
    if tr.kind == "numeric":
        return i18n.t("short_numeric", lang, label=label, index=numbers.integer(tr.index))
    if not with_numbers:
        low = str(tr.value).strip().lower()
        if low in naming.YES | naming.NO:  # "housing loan", not "yes (housing loan)"
            return i18n.t("short_cat_yes" if low in naming.YES else "short_cat_no", lang, label=label)
        value = i18n.value_label(tr.feature, tr.value, lang)
        return value if screening.repeats(value, label) else i18n.t("short_cat", lang, label=label, value=value)
    key = f"trait_cat_{tr.feature}"
    text = i18n.t(key if i18n.has(key, lang) else "trait_cat", lang, label=label,
                  value=i18n.value_label(tr.feature, tr.value, lang))
    return text + i18n.t("trait_share", lang, share=numbers.percent(tr.share), base=numbers.percent(tr.base_share))


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
            elif tr.feature in ("membership_tier", "membership") and not actions.is_entry_tier(tr.value):
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


def _persona(entry: dict, traits: list[Trait], shown: dict, lang: str, *, attributes: bool = True,
             audience: str = "customers") -> dict:
    """who / needs / behaviour paragraphs and a one-sentence summary (``shown``: :func:`share_texts`).

    ``attributes``: whether the run holds any attribute of customers; without
    one, nothing is said of who they are beyond size and revenue. ``audience``:
    ``report.audience``, the noun that counts them.
    """
    # The run's audience counts them: "1,200 learners", "1,200位学员", "338家企业客户".
    size = dict(size=i18n.t(f"audience_count_{audience}", lang, n=numbers.integer(entry["size"])),
                noun=i18n.t(f"audience_{audience}", lang), share=shown["share"])
    who = [i18n.t("who_size_revenue" if entry["revenue_share"] is not None else "who_size", lang,
                  revenue=shown["revenue_share"], **size)]
    if entry["kind"] == "returns":
        who.append(i18n.t("who_returns_group", lang, net=format_value("monetary", entry.get("net_spend"), lang)))
    notable = {tr.feature for tr in traits if tr.kind == "numeric"}
    rows = {r["feature"]: r for r in entry["profile"]["numeric"] if r["index"] is not None}
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
        who.append(i18n.t("who_average" if attributes else "who_no_attributes", lang))

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
            items = [i18n.t("mix_item", lang, share=numbers.percent(s), value=i18n.value_label("lifecycle", v, lang))
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
    top = [trait_phrase(tr, lang, with_numbers=False) for tr in naming.name_parts(traits, 3)]
    summary = i18n.t("summary_sentence_revenue" if entry["revenue_share"] is not None else "summary_sentence", lang,
                     name=entry["name"], revenue=shown["revenue_share"],
                     traits=i18n.join(top, lang) if top else i18n.t("summary_no_traits", lang), **size)
    return {"who": who_text, "needs": needs, "behaviour": behaviour_text,
            "narrative": "\n\n".join([who_text, needs, behaviour_text]), "summary": summary}
