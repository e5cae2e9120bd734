"""The params' objectives answered with the run's numbers: "what we found → what to do".

An objective is read for the questions it asks — which segments drive revenue,
who is at risk (and the win-back list), what to offer each segment, how to
measure the response — by keywords in English and Chinese. Each question found
gets one answer built only from segments.json, the customer features and the
campaign plan; an objective that asks none of them gets the revenue (or, without
transactions, the offer) answer.
"""

from __future__ import annotations

import re

import pandas as pd

from seglab import i18n, numbers
from seglab.features import value_risk as grid
from seglab.report.templating import Markup

__all__ = ["TOPICS", "answers", "topics"]

#: Questions an objective can ask, and the words that ask them.
TOPICS = {
    "revenue": re.compile(r"revenue|drive|value|spend|profit|收入|价值|消费|利润", re.IGNORECASE),
    "risk": re.compile(r"risk|churn|lapse|lost|win.?back|dormant|retain|retention|流失|风险|挽回|召回|沉睡|留存", re.IGNORECASE),
    "offer": re.compile(r"offer|message|channel|budget|campaign|marketing|persona|方案|优惠|渠道|营销|预算|信息", re.IGNORECASE),
    "measure": re.compile(r"measur|response|test|control|hold.?out|uplift|衡量|响应|对照|测试|提升", re.IGNORECASE),
}
#: Cells whose customers make the win-back list: high value, at high or medium risk.
WIN_BACK_CELLS = ("high_value_high_risk", "high_value_medium_risk")
RETENTION = {"save", "win_back", "win_back_low_cost", "retain", "retain_low_cost"}


def topics(text: str, *, has_revenue: bool) -> list[str]:
    """The questions an objective asks, in a fixed order; a default when it asks none."""
    found = [k for k, pattern in TOPICS.items() if pattern.search(text or "")]
    if found and not has_revenue:
        found = [k for k in found if k not in ("revenue", "risk")] or ["offer"]
    return found or (["revenue", "offer"] if has_revenue else ["offer"])


def answers(text: str, segments: list[dict], base: dict, *, features: pd.DataFrame | None, money,
            noun: str, language: str) -> list[dict]:
    """One ``{"topic", "found", "do"}`` per question of the objective.

    ``money(x)`` writes an amount in the report's currency.
    """
    has_revenue = any(s.get("money") for s in segments)
    out = []
    for topic in topics(text, has_revenue=has_revenue):
        found, do = ANSWERS[topic](segments, base, features, money, noun, language)
        if found:
            out.append({"topic": topic, "found": found, "do": do})
    return out


def _t(key, language, **fields) -> Markup:
    """A sentence of the language table with its fields escaped (file names stay ``<kbd>``)."""
    return Markup(i18n.t(key, language)).format(**fields)


def _join(items, language) -> Markup:
    """Sentences already escaped, joined as the language lists things."""
    return Markup(i18n.join([str(item) for item in items], language))


def _file(name: str) -> Markup:
    return Markup("<kbd>{}</kbd>").format(name)


def _revenue(segments, base, features, money, noun, language):
    ranked = sorted((s for s in segments if s.get("money")), key=lambda s: -(s["money"]["revenue"] or 0))
    if not ranked or not base.get("revenue"):
        return None, None
    top, covered = [], 0.0
    for s in ranked:
        top.append(s)
        covered += s.get("revenue_share") or 0
        if covered >= 0.5:
            break
    customers = sum(s["size"] for s in top) / base["customers"]
    items = [_t("answer_revenue_item", language, name=s["name"], revenue=money(s["money"]["revenue"]),
                share=numbers.percent(s.get("revenue_share"))) for s in top]
    found = _t("answer_revenue_found" if len(top) > 1 else "answer_revenue_found_one", language, items=_join(items, language), share=numbers.percent(covered),
               customers=numbers.percent(customers), noun=noun)
    do = _join([_t("answer_do_item", language, name=s["name"], objective=s["actions"][0]["objective_text"])
                    for s in top if s.get("actions")], language)
    return found, _t("answer_revenue_do", language, items=do)


def _risk(segments, base, features, money, noun, language):
    lapsing = [s for s in segments if s.get("actions") and s["actions"][0]["objective"] in RETENTION]
    at_risk = sum((s.get("money") or {}).get("at_risk") or 0 for s in segments)
    yearly = sum((s.get("money") or {}).get("yearly_spend") or 0 for s in segments)
    parts = [_t("answer_risk_found", language, at_risk=money(at_risk), share=numbers.percent(at_risk / yearly if yearly else None))]
    if lapsing:
        parts.append(_t("answer_risk_segments", language, items=_join(
            [_t("answer_risk_item", language, name=s["name"], size=numbers.integer(s["size"]), noun=noun,
                at_risk=money(s["money"]["at_risk"])) for s in lapsing], language), noun=noun))
    win_back = None
    if features is not None and "value_risk_cell" in features.columns:
        listed = features["value_risk_cell"].astype("string").isin(WIN_BACK_CELLS)
        if listed.any():
            spend = pd.to_numeric(features.loc[listed, "monetary"], errors="coerce").clip(lower=0).sum() \
                if "monetary" in features.columns else None
            win_back = _t("answer_win_back", language, n=numbers.integer(int(listed.sum())), noun=noun,
                          revenue=money(spend), file=_file("assignments.csv"),
                          cells=_join([grid.cell_info(c, language)["name"] for c in WIN_BACK_CELLS], language))
    do_items = [_t("answer_risk_do_item", language, name=s["name"], objective=s["actions"][0]["objective_text"],
                   file=_file(f"targeting/audience_segment_{int(s['id'])}.csv"),
                   n=numbers.integer(s["actions"][0]["test"]["treatment"]),
                   value=money((s["actions"][0].get("opportunity") or {}).get("value")))
                for s in lapsing]
    do = _join(do_items, language) if do_items else _t("answer_risk_none", language)
    found = Markup(i18n.t("sentence_sep", language)).join(parts + ([win_back] if win_back else []))
    return found, do


def _offer(segments, base, features, money, noun, language):
    acted = [s for s in segments if s.get("actions")]
    if not acted:
        return None, None
    distinct = len({(s["actions"][0]["message"], s["actions"][0]["offer"]) for s in acted})
    channels = sorted({s["actions"][0]["channel"] for s in acted})
    found = _t("answer_offer_found", language, k=len(acted), distinct=distinct,
               channels=_join([Markup.escape(c) for c in channels], language))
    first = min(acted, key=lambda s: (s["actions"][0].get("priority") or 99, -s["size"]))
    do = _t("answer_offer_do", language, name=first["name"], objective=first["actions"][0]["objective_text"],
            offer=first["actions"][0]["offer"])
    return found, do


def _measure(segments, base, features, money, noun, language):
    tests = [s["actions"][0]["test"] for s in segments
             if s.get("actions") and s["actions"][0].get("test") and s["actions"][0]["objective"] != "investigate"]
    if not tests:
        return None, None
    held = sum(t["control"] for t in tests)
    lifts = [t["detectable_uplift"] for t in tests if t.get("detectable_uplift") is not None]
    weeks = [t["duration_days"] / 7 for t in tests]
    if not held:
        return (_t("answer_measure_none", language, key=_file("targeting.control_share")),
                _t("answer_measure_none_do", language))
    found = _t("answer_measure_found", language, share=numbers.percent(tests[0]["control_share"]),
               held=numbers.integer(held), noun=noun,
               low=numbers.number(100 * min(lifts), 1) if lifts else "–",
               high=numbers.number(100 * max(lifts), 1) if lifts else "–")
    do = _t("answer_measure_do", language, low=numbers.integer(min(weeks)), high=numbers.integer(max(weeks)),
            command=_file("seglab measure"))
    return found, do


ANSWERS = {"revenue": _revenue, "risk": _risk, "offer": _offer, "measure": _measure}
