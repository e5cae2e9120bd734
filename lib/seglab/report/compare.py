"""How a comparison of two runs reads: the "what changed" section of the report and
the standalone compare page (the numbers come from :mod:`seglab.pipeline.drift`)."""

from __future__ import annotations

from seglab import i18n, numbers
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

    names_a, names_b = _segment_names(result)
    c = result["customers"]
    matched = Table([result["run_a"], result["run_b"], t("changes_size_before"), t("changes_size_after"),
                     t("changes_size_change"), t("changes_retention")],
                    [[m["name_a"], m["name_b"], numbers.integer(m["size_a"]), numbers.integer(m["size_b"]),
                      ("+" if m["size_change"] > 0 else "") + numbers.integer(m["size_change"]),
                      "" if m["retention"] is None else numbers.percent(m["retention"])]
                     for m in result["matches"]])
    lists = [(t("changes_merged"), [_merge_item(m, t) for m in result.get("merged", [])]),
             (t("changes_split"), [_split_item(sp, t) for sp in result.get("split", [])]),
             (t("changes_emerged"), [_emerged_item(s, t) for s in result["emerged"]]),
             (t("changes_vanished"), [t(f"changes_vanished_{s.get('why', 'plain')}", name=s["name"], size=numbers.integer(s["size"]),
                                        still=_percent(s.get("still_here"))) for s in result["vanished"]])]
    if result.get("continued"):
        lists.insert(2, (t("changes_continued"), [t("changes_continued_item", name_a=c["name_a"], name_b=c["name_b"],
                                                    share=_percent(c["share"])) for c in result["continued"]]))
    mig = result["migration"]
    migration = Table(["", *(names_b.get(col, str(col)) for col in mig["columns"])],
                      [[names_a.get(r, str(r)),
                        *(f"{numbers.integer(n)} ({numbers.percent(s)})" for n, s in zip(cn, sh))]
                       for r, cn, sh in zip(mig["rows"], mig["counts"], mig["shares"])], cls="migration")
    return render("comparison.html.j2", t=t, run_a=result["run_a"], run_b=result["run_b"],
                  customers=t("changes_customers", both=numbers.integer(c["in_both"]),
                              only_a=numbers.integer(c["only_a"]), only_b=numbers.integer(c["only_b"])),
                  matched=matched, lists=lists, migration=migration,
                  match_rule=t("changes_match_rule", threshold=result["threshold"]))


def _segment_names(result: dict) -> tuple[dict, dict]:
    """Names of the segments of run A and of run B, from every list of the comparison."""
    names_a = {m["segment_a"]: m["name_a"] for m in result["matches"] + result.get("continued", [])}
    names_b = {m["segment_b"]: m["name_b"] for m in result["matches"] + result.get("continued", [])}
    names_a |= {v["segment"]: v["name"] for v in result["vanished"]}
    names_b |= {v["segment"]: v["name"] for v in result["emerged"]}
    for m in result.get("merged", []):
        names_a |= {f["segment"]: f["name"] for f in m["sources"]}
        names_b[m["segment_b"]] = m["name_b"]
    for sp in result.get("split", []):
        names_a[sp["segment_a"]] = sp["name_a"]
        names_b |= {p["segment"]: p["name"] for p in sp["into"]}
    return names_a, names_b


def _merge_item(m: dict, t) -> str:
    """"A (92 % of its customers) and B (88 %) merged into C"."""
    sources = [t("changes_share_of", name=f["name"], share=_percent(f["share"])) for f in m["sources"]]
    return t("changes_merged_item", sources=t("clause_sep").join(sources), target=m["name_b"])


def _split_item(sp: dict, t) -> str:
    """"A → split into B (55 %); C (40 %)": shares of A's returning customers."""
    parts = [t("changes_part", name=p["name"], share=_percent(p["share"])) for p in sp["into"]]
    return t("changes_split_item", source=sp["name_a"], parts=t("clause_sep").join(parts))


def _emerged_item(s: dict, t) -> str:
    text = t("changes_emerged_item", name=s["name"], size=numbers.integer(s["size"]), new=_percent(s.get("new_customers")))
    if s.get("sources"):
        sources = [t("changes_share_of", name=f["name"], share=_percent(f["share"])) for f in s["sources"]]
        text += t("changes_emerged_from", sources=t("clause_sep").join(sources))
    return text


def _percent(x) -> str:
    return "" if x is None else numbers.percent(x)
