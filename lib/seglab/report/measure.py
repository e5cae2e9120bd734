"""How a measured campaign reads: ``measure.html``, an offline page in the report's style.

The numbers come from ``measure.json`` (:mod:`seglab.pipeline.measure`); this module only
formats them, in the run's language, and draws the uplift charts.
"""

from __future__ import annotations

import base64
import io
import math

import pandas as pd

from seglab import i18n
from seglab.campaign.measure import MIN_RESPONDERS
from seglab.clean.ledger import RULES
from seglab.report import figures
from seglab.report.style import report_css
from seglab.report.templating import Markup, render


def render_measure(doc: dict, language: str = "en") -> str:
    """The page of one measured campaign (``doc`` is the content of measure.json)."""

    def t(key: str, /, **fields) -> str:
        return i18n.t(key, language, **fields)

    segments = doc["segments"]
    palette = figures.segment_palette([s["segment"] for s in segments])
    revenue = doc["basis"] == "revenue"
    rows = [_segment_row(s, revenue, language) for s in segments]
    total = _segment_row({**doc["overall"], "name": t("measure_all_segments"), "action": ""}, revenue, language)
    level = _level(doc)
    charts = [_chart(segments, palette, "rate", 0.0, language, level)]
    if revenue:
        charts.append(_chart(segments, palette, "revenue", doc.get("cost_per_contact") or 0.0, language, level))
    context = dict(
        t=t, doc=doc, level=level, min_responders=MIN_RESPONDERS, summary=_summary(doc, language), rows=rows, total=total, revenue=revenue, charts=charts,
        accounting=_accounting(doc, language), notes=_notes(doc, language), method=_method(doc, language),
        columns=[(t(f"measure_role_{k}"), v) for k, v in doc["responses"]["columns"].items() if v],
        lang="zh-CN" if language == "zh" else "en")
    # The stylesheet embeds the Chinese font cut to the characters the page uses.
    css = report_css(language, text=render("measure_page.html.j2", **context, css=""))
    return str(render("measure_page.html.j2", **context, css=Markup(css)))


def _pp(x) -> str:
    """A difference of rates in percentage points, signed."""
    return "–" if x is None else _signed(100 * x, lambda v: f"{v:.1f}")


def _money(x, signed: bool = False) -> str:
    """An amount as the report writes numbers; signed for differences."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return _signed(x, i18n.number) if signed else i18n.number(x)


def _signed(x: float, fmt) -> str:
    return ("+" if x >= 0 else "-") + fmt(abs(x))


def _interval(low, high, fmt) -> str:
    return "–" if low is None or high is None else f"{fmt(low)} … {fmt(high)}"


def _segment_row(s: dict, revenue: bool, language: str) -> dict:
    verdict = s.get("verdict", "not_measurable")
    row = {
        "name": s["name"], "action": s.get("action") or "", "treated": i18n.integer(s["treated"]),
        "control": i18n.integer(s["control"]),
        "rates": f"{i18n.percent(s['rate_treated'], 1)} / {i18n.percent(s['rate_control'], 1)}",
        "rate_uplift": _pp(s["rate_uplift"]),
        "rate_interval": _interval(s["rate_uplift_low"], s["rate_uplift_high"], _pp),
        "verdict": i18n.t(f"verdict_{verdict}", language), "verdict_key": verdict,
        "approximate": "few_responders" in s.get("notes", []),
        "notes": [i18n.t(f"measure_note_{n}", language, n=MIN_RESPONDERS) if n == "few_responders"
                  else i18n.t(f"measure_note_{n}", language) for n in s.get("notes", [])],
    }
    if revenue:
        row.update(
            revenue=f"{_money(s['revenue_treated'])} / {_money(s['revenue_control'])}",
            revenue_uplift=_money(s["revenue_uplift"], signed=True),
            revenue_interval=_interval(s["revenue_uplift_low"], s["revenue_uplift_high"],
                                       lambda v: _money(v, signed=True)),
            added=_money(s.get("incremental_revenue"), signed=True),
            added_interval=_interval(s.get("incremental_revenue_low"), s.get("incremental_revenue_high"),
                                     lambda v: _money(v, signed=True)))
    return row


def _chart(segments: list[dict], palette: dict, kind: str, cost: float, language: str, level: str) -> dict:
    key = "rate" if kind == "rate" else "revenue"
    data = pd.DataFrame([{"segment": s["segment"], "name": s["name"], "uplift": s[f"{key}_uplift"],
                          "low": s[f"{key}_uplift_low"], "high": s[f"{key}_uplift_high"]} for s in segments])
    fmt = _pp if kind == "rate" else (lambda v: _money(v, signed=True))
    alt = i18n.t("alt_uplift", language, level=level, items=i18n.join(
        [i18n.t("alt_uplift_item", language, name=s["name"], uplift=fmt(s[f"{key}_uplift"]),
                interval=_interval(s[f"{key}_uplift_low"], s[f"{key}_uplift_high"], fmt)) for s in segments],
        language))
    with figures.figure_context(language):
        ax = figures.uplift_intervals(data.astype({"uplift": float, "low": float, "high": float}), palette=palette,
                                      kind=kind, cost=cost, language=language)
        buf = io.BytesIO()
        ax.figure.savefig(buf, format="png", metadata={"Software": None})
        figures.close(ax)
    return {"src": "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii"), "alt": alt}


def _summary(doc: dict, language: str) -> list[str]:
    t = lambda key, **f: i18n.t(key, language, **f)  # noqa: E731
    segs = doc["segments"]
    level = _level(doc)
    names = {v: [s["name"] for s in segs if s["verdict"] == v] for v in ("paid_off", "responses_up", "did_not_pay_off")}
    paid = names["paid_off"]
    out = [t("measure_paid_off", n=len(paid), k=len(segs), names=i18n.join(paid, language)) if paid
           else t("measure_none_paid_off", k=len(segs))]
    if names["responses_up"]:
        out.append(t("measure_responses_up", names=i18n.join(names["responses_up"], language)))
    if names["did_not_pay_off"]:
        out.append(t("measure_lost", names=i18n.join(names["did_not_pay_off"], language)))
    o = doc["overall"]
    out.append(t("measure_overall_responses", treated=i18n.integer(o["treated"]), control=i18n.integer(o["control"]),
                 added=_count(o["incremental_responses"]), low=_count(o["incremental_responses_low"]),
                 high=_count(o["incremental_responses_high"]), level=level))
    if doc["basis"] == "revenue":
        out.append(t("measure_overall_revenue", level=level, added=_money(o.get("incremental_revenue"), signed=True),
                     low=_money(o.get("incremental_revenue_low"), signed=True),
                     high=_money(o.get("incremental_revenue_high"), signed=True)))
    return out


def _count(x) -> str:
    return "–" if x is None else _signed(x, i18n.integer)


def _accounting(doc: dict, language: str) -> dict:
    r = doc["responses"]
    reasons = [(i18n.get(f"rule_{rule}", language, RULES.get(rule, rule)), i18n.integer(n))
               for rule, n in sorted((r.get("quarantined_by_rule") or {}).items(), key=lambda kv: -kv[1]) if n]
    merged = [(i18n.get(f"rule_{rule}", language, RULES.get(rule, rule)), i18n.integer(n))
              for rule, n in (r.get("merged_by_rule") or {}).items() if n]
    return {"rows_in": i18n.integer(r["rows_in"]), "clean": i18n.integer(r["rows_clean"]),
            "merged": i18n.integer(r["duplicates_merged"]), "quarantined": i18n.integer(r["rows_quarantined"]),
            "reasons": merged + reasons}


def _notes(doc: dict, language: str) -> list[str]:
    t = lambda key, **f: i18n.t(key, language, **f)  # noqa: E731
    out = []
    c = doc["campaign"]
    if c.get("start_source") != "given" and c.get("start"):
        out.append(t("measure_note_default_start", start=c["start"]))
    r = doc["responses"]
    if r.get("responses_only"):
        out.append(t("measure_note_responses_only"))
    if r.get("customers_with_several_rows"):
        out.append(t("measure_note_several_rows", n=i18n.integer(r["customers_with_several_rows"])))
    check = doc.get("group_check")
    if check:
        out.append(t("measure_note_groups", compared=i18n.integer(check["compared"]), differ=i18n.integer(check["differ"])))
    return out


def _method(doc: dict, language: str) -> list[str]:
    t = lambda key, **f: i18n.t(key, language, **f)  # noqa: E731
    out = [t("measure_method_itt"), t("measure_method_rate")]
    if doc["basis"] == "revenue":
        out += [t("measure_method_revenue", n=doc["methods"]["min_responders"]),
                t("measure_method_verdict_revenue", cost=_money(doc.get("cost_per_contact") or 0.0))]
    else:
        out.append(t("measure_method_verdict_rate"))
    out.append(t("measure_method_multiple", k=len(doc["segments"]), level=_level(doc)))
    return out


def _level(doc: dict) -> str:
    """The confidence level as a reader writes it: "95 %"."""
    return f"{100 * doc.get('confidence', 0.95):g} %"
