"""How a comparison of two runs reads: the "what changed" section of the report and
the standalone compare page (the numbers come from :mod:`seglab.pipeline.drift`)."""

from __future__ import annotations

import html

from seglab.i18n import t
from seglab.report.style import report_css


def render_comparison(result: dict, language: str = "en") -> str:
    """A standalone, offline HTML page of a comparison."""
    body = comparison_fragment(result, language)
    return (f"<!DOCTYPE html><html lang='{language}'><head><meta charset='utf-8'><title>seglab comparison</title>"
            f"<style>{report_css()}</style></head><body><main>{body}</main></body></html>")


def comparison_fragment(result: dict, language: str = "en") -> str:
    """The comparison as an HTML fragment (also the report's "what changed" section)."""
    e = html.escape
    names_a = {m["segment_a"]: m["name_a"] for m in result["matches"]} | {v["segment"]: v["name"] for v in result["vanished"]}
    names_b = {m["segment_b"]: m["name_b"] for m in result["matches"]} | {v["segment"]: v["name"] for v in result["emerged"]}
    c = result["customers"]
    parts = [f'<h2 id="sec-changes">{t("changes_title", language)}</h2>',
             f"<p>{e(result['run_a'])} → {e(result['run_b'])}. "
             f"{t('changes_customers', language, both=c['in_both'], only_a=c['only_a'], only_b=c['only_b'])}</p>"]
    rows = "".join(
        f"<tr><td>{e(m['name_a'])}</td><td>{e(m['name_b'])}</td><td>{m['size_a']}</td><td>{m['size_b']}</td>"
        f"<td>{m['size_change']:+d}</td><td>{_percent(m['retention'])}</td></tr>"
        for m in result["matches"])
    parts.append(f"<h3>{t('changes_matched', language)}</h3><table><thead><tr><th>{e(result['run_a'])}</th>"
                 f"<th>{e(result['run_b'])}</th><th>{t('changes_size_before', language)}</th>"
                 f"<th>{t('changes_size_after', language)}</th><th>{t('changes_size_change', language)}</th>"
                 f"<th>{t('changes_retention', language)}</th></tr></thead><tbody>{rows}</tbody></table>")
    for key, title in (("emerged", "changes_emerged"), ("vanished", "changes_vanished")):
        items = "".join(f"<li>{e(s['name'])} ({s['size']})</li>" for s in result[key]) or f"<li>{t('changes_none', language)}</li>"
        parts.append(f"<h3>{t(title, language)}</h3><ul>{items}</ul>")
    mig = result["migration"]
    head = "".join(f"<th>{e(names_b.get(col, str(col)))}</th>" for col in mig["columns"])
    body = "".join(
        f"<tr><th>{e(names_a.get(r, str(r)))}</th>" + "".join(f"<td>{n} ({s:.0%})</td>" for n, s in zip(cn, sh)) + "</tr>"
        for r, cn, sh in zip(mig["rows"], mig["counts"], mig["shares"]))
    parts.append(f"<h3>{t('changes_migration', language)}</h3><table class='migration'><thead><tr><th></th>{head}</tr>"
                 f"</thead><tbody>{body}</tbody></table>"
                 f"<p class='note'>{e(t('changes_match_rule', language, threshold=result['threshold']))}</p>")
    return "\n".join(parts)


def _percent(x) -> str:
    return "" if x is None else f"{x:.0%}"
