"""How a comparison of two runs reads: the "what changed" section of the report and
the standalone compare page (the numbers come from :mod:`seglab.pipeline.drift`)."""

from __future__ import annotations

from seglab import i18n
from seglab.report.style import report_css
from seglab.report.templating import Markup, Table, render


def render_comparison(result: dict, language: str = "en") -> str:
    """A standalone, offline HTML page of a comparison."""
    body = comparison_fragment(result, language)
    title = i18n.t("changes_title", language)
    return str(render("compare_page.html.j2", lang="zh-CN" if language == "zh" else "en", title=title,
                      css=Markup(report_css(language, text=title + body)), body=body))


def comparison_fragment(result: dict, language: str = "en") -> Markup:
    """The comparison as an HTML fragment (also the report's "what changed" section)."""

    def t(key: str, /, **fields) -> str:
        return i18n.t(key, language, **fields)

    names_a = {m["segment_a"]: m["name_a"] for m in result["matches"]} | {v["segment"]: v["name"] for v in result["vanished"]}
    names_b = {m["segment_b"]: m["name_b"] for m in result["matches"]} | {v["segment"]: v["name"] for v in result["emerged"]}
    c = result["customers"]
    matched = Table([result["run_a"], result["run_b"], t("changes_size_before"), t("changes_size_after"),
                     t("changes_size_change"), t("changes_retention")],
                    [[m["name_a"], m["name_b"], m["size_a"], m["size_b"], f"{m['size_change']:+d}", _percent(m["retention"])]
                     for m in result["matches"]])
    lists = [(t(title), [f"{s['name']} ({s['size']})" for s in result[key]])
             for key, title in (("emerged", "changes_emerged"), ("vanished", "changes_vanished"))]
    mig = result["migration"]
    migration = Table(["", *(names_b.get(col, str(col)) for col in mig["columns"])],
                      [[names_a.get(r, str(r)), *(f"{n} ({s:.0%})" for n, s in zip(cn, sh))]
                       for r, cn, sh in zip(mig["rows"], mig["counts"], mig["shares"])], cls="migration")
    return render("comparison.html.j2", t=t, run_a=result["run_a"], run_b=result["run_b"],
                  customers=t("changes_customers", both=c["in_both"], only_a=c["only_a"], only_b=c["only_b"]),
                  matched=matched, lists=lists, migration=migration,
                  match_rule=t("changes_match_rule", threshold=result["threshold"]))


def _percent(x) -> str:
    return "" if x is None else f"{x:.0%}"
