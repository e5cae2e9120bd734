"""Every HTML page is a Jinja2 template with autoescaping: data never becomes markup.

Hostile text (names, notes, objectives, titles, run names) is planted where a
client or an analyst could type it, and each page must show it as text.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from seglab.pipeline.runs import Run, write_index
from seglab.report.compare import comparison_fragment, render_comparison
from seglab.report.render import render_page, write_report_direct
from seglab.report.style import report_css, stylesheet
from seglab.report.templating import ENV
from test_sections import visible_text, write_run

LIB = Path(__file__).resolve().parents[1] / "lib" / "seglab"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>&amp;'
ESCAPED = "&lt;script&gt;"


class _Tags(HTMLParser):
    """Every tag and attribute name of a page, as a browser would parse them."""

    def __init__(self):
        super().__init__()
        self.tags, self.attributes = set(), set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes |= {k for k, _ in attrs}


def _no_active_content(page: str) -> None:
    parser = _Tags()
    parser.feed(page)
    assert "script" not in parser.tags
    assert not {a for a in parser.attributes if a.startswith("on")}
    assert ESCAPED in page


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory) -> tuple[Path, str]:
    folder = write_run(tmp_path_factory.mktemp("hostile") / "run",
                       **{"title": HOSTILE, "client": HOSTILE, "report.objectives": HOSTILE,
                          "personas.names": {0: HOSTILE}, "personas.notes": {1: HOSTILE}})
    from seglab.pipeline.stages import load_run_config

    page = write_report_direct(load_run_config(folder), folder).read_text(encoding="utf-8")
    return folder, page


def test_report_escapes_every_piece_of_data(hostile_report):
    _, page = hostile_report
    _no_active_content(page)
    text = visible_text(page)
    # Shown as text in the title, client, objective, a name (summary, card, tables, alt text) and a note.
    assert text.count('<script>alert("x")</script>') >= 6
    assert "&amp;amp;" in page  # the literal "&amp;" of the data, escaped once


def test_report_page_wraps_sections_with_a_contents_list():
    page = render_page('<section><h2 id="sec-a">A &amp; B</h2></section>', title="T", client="C", run_id="r/1",
                       language="en", when=dt.date(2026, 1, 2))
    assert '<li><a href="#sec-a">A &amp; B</a></li>' in page
    assert "<dd>2026-01-02</dd>" in page and page.startswith("<!DOCTYPE html>")


def test_comparison_page_and_fragment_escape_names():
    result = {"run_a": "demo/a", "run_b": HOSTILE, "threshold": 0.5,
              "customers": {"a": 10, "b": 10, "in_both": 9, "only_a": 1, "only_b": 1},
              "matches": [{"segment_a": 0, "segment_b": 0, "name_a": HOSTILE, "name_b": "New", "size_a": 5, "size_b": 6,
                           "size_change": 1, "retention": 0.8}],
              "emerged": [{"segment": 1, "name": HOSTILE, "size": 3}], "vanished": [],
              "migration": {"rows": [0], "columns": [0, 1], "counts": [[5, 0]], "shares": [[1.0, 0.0]]}}
    _no_active_content(str(comparison_fragment(result, "en")))
    page = render_comparison(result, "en")
    _no_active_content(page)
    assert "<td>+1</td>" in page and "<td>80%</td>" in page


def test_runs_index_escapes_titles(tmp_path):
    run = Run.reserve(tmp_path, "demo", now=dt.datetime(2026, 1, 1))
    run.start(params={"title": HOSTILE}, seed=1, inputs=[])
    (run.work_dir / "report.html").write_text("r")
    run.finish("complete")
    page = write_index(tmp_path).read_text(encoding="utf-8")
    _no_active_content(page)
    assert stylesheet("runs_index.css").strip() in page


def test_stylesheets_are_files_and_fetch_nothing():
    css = stylesheet("report.css")
    assert "@media print" in css and "url(" not in css
    assert report_css("en", "plain English page") == css


def test_an_english_page_with_chinese_values_embeds_the_font_it_needs():
    css = report_css("en", "Segment 元器件 customers")
    assert css.startswith("@font-face") and '"seglab CJK"' in css


def test_every_template_compiles():
    names = ENV.list_templates(filter_func=lambda n: n.endswith(".j2") and n != "appendix.html.j2")
    assert {"report.html.j2", "compare_page.html.j2", "runs_index.html.j2", "sections/summary.html.j2"} <= set(names)
    for name in names:
        ENV.get_template(name)


def test_no_hand_written_html_escaping_is_left():
    """HTML is escaped by the templates only: no module calls html.escape or builds tags in f-strings."""
    offenders = []
    for path in LIB.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "escape" and getattr(node.value, "id", "") == "html":
                offenders.append(f"{path.name}:{node.lineno} html.escape")
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                if re.search(r"<(td|tr|th|p|li|section|h[1-4]|table|figure|img|span|div)\b", text):
                    offenders.append(f"{path.name}:{node.lineno} markup in an f-string")
    assert not offenders, offenders
