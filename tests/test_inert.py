"""Stored XSS (issue 13, finding 1): nothing from data can run when a page of a run is opened.

The persona Markdown of 04_personas used to carry a category value ``<script>…</script>``
raw into notebooks/04_personas.html. These tests hold the three layers of
:mod:`seglab.report.inert` whatever the notebooks look like: Markdown escaping, the
sanitised appendix export, and the Content-Security-Policy of every page.
"""

import re
from html import unescape
from pathlib import Path

import nbformat
import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from seglab.pipeline.runs import write_index
from seglab.report import inert
from seglab.report.compare import render_comparison
from seglab.report.render import export_appendix, render_page
from seglab.workbench import PersonasStep

HOSTILE = ["<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "[click](javascript:alert(1))",
           "<a href='javascript:alert(1)'>x</a>", "**bold** _it_ # not a heading", "<iframe src=//evil>",
           "&lt;script&gt; stays text", "50% off | 2 > 1"]


def test_escaped_markdown_renders_as_the_same_text_and_no_markup():
    for text in HOSTILE:
        rendered = markdown2html_mistune(inert.escape_markdown(text))
        assert inert.active_content(rendered) == [], (text, rendered)
        assert "<strong>" not in rendered and "<em>" not in rendered and "<h1" not in rendered
        # what a reader sees is the original text
        visible = unescape(re.sub(r"<[^>]+>", "", rendered)).strip()
        assert visible == text, (visible, text)


def test_persona_markdown_escapes_name_and_narrative():
    segment = {"name": "<script>alert(1)</script> fans",
               "persona": {"narrative": 'They live in <img src=x onerror="alert(1)">.'}}
    rendered = markdown2html_mistune(inert.persona_markdown(segment))
    assert rendered.startswith("<h3") and inert.active_content(rendered) == []
    assert "&lt;script&gt;" in rendered


def _hostile_notebook():
    script = "<script>document.title='pwned'</script>"
    nb = new_notebook(cells=[
        new_markdown_cell(f"# Data\n\n{script}"),
        new_code_cell("display(Markdown(x))", outputs=[
            new_output("display_data", data={"text/markdown": f"### {script}", "text/plain": "x"}),
            new_output("display_data", data={"text/html": f'<b>ok</b><img src=x onerror="alert(1)">{script}'}),
            new_output("display_data", data={"application/javascript": "document.title='pwned'"}),
            new_output("display_data", data={"application/vnd.jupyter.widget-view+json":
                                             {"model_id": "x", "version_major": 2, "version_minor": 0}}),
            new_output("stream", name="stdout", text=script),
            new_output("execute_result", execution_count=1, data={"text/plain": script}),
        ]),
    ])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2,
                                                                           "version_minor": 0}}
    return nb


@pytest.mark.filterwarnings("ignore:Your element with mimetype")
def test_the_appendix_export_is_inert_whatever_a_notebook_shows(tmp_path):
    nb_path = tmp_path / "04_personas.ipynb"
    nbformat.write(_hostile_notebook(), nb_path)
    page = export_appendix(nb_path, tmp_path / "04_personas.html").read_text(encoding="utf-8")
    assert inert.active_content(page) == []
    assert inert.has_policy(page)
    assert "document.title" in page  # the text is still there, as text


def test_the_shipped_notebooks_build_no_markup_from_data_by_hand():
    """Whoever rewrites the notebooks: Markdown or HTML shown from data goes through
    seglab.report.inert or the escaping templates of seglab.report.display."""
    for path in sorted((Path(__file__).parents[1] / "notebooks").rglob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code" and ("Markdown(" in cell.source or "HTML(" in cell.source):
                assert any(safe in cell.source for safe in ("escape_markdown", "persona_markdown", "render_section")), \
                    f"{path.name}: markup built in a notebook without seglab.report.inert or a template"


def test_the_personas_step_a_notebook_shows_is_inert():
    """04_personas shows Workbench.personas(): a category value <script> held by a whole segment
    becomes its name, narrative and actions there (finding 1 of issue 13)."""
    script, img = "<script>document.title='pwned'</script>", '<img src=x onerror="alert(1)">'
    segments = {"segments": [
        {"id": i, "name": f"{script} fans {i}", "size": 10, "share": 0.5, "revenue_share": 0.5,
         "persona": {"narrative": f"They live in {img}.", "who": script, "needs": "[x](javascript:alert(1))",
                     "behaviour": "**b**"},
         "actions": [{"offer": script, "action": img}], "notes": img} for i in (0, 1)]}
    shown = PersonasStep(segments, "en")._repr_html_()
    assert inert.active_content(shown) == [], inert.active_content(shown)
    assert "&lt;script&gt;" in shown and "pwned" in shown  # the text is there, as text


def test_every_kind_of_page_carries_the_policy(tmp_path):
    page = render_page("<h2 id='a'>x</h2>", title="<script>t</script>", client="<b>c</b>", run_id="r/1", language="en")
    assert inert.has_policy(page) and inert.active_content(page) == []
    result = {"run_a": "<script>a</script>", "run_b": "b", "customers": {"in_both": 1, "only_a": 0, "only_b": 0},
              "matches": [], "vanished": [], "emerged": [{"segment": 1, "name": "<img src=x onerror=alert(1)>", "size": 3}],
              "migration": {"rows": [], "columns": [], "counts": [], "shares": []}, "threshold": 0.5}
    page = render_comparison(result)
    assert inert.has_policy(page) and inert.active_content(page) == []
    index = write_index(tmp_path).read_text(encoding="utf-8")
    assert inert.has_policy(index) and inert.active_content(index) == []


def test_the_checker_finds_what_a_browser_would_run():
    assert inert.active_content("<p>ok</p><img src='data:image/png;base64,AA' alt=x>") == []
    assert inert.active_content("<script>x</script>") == ["<script>"]
    assert inert.active_content("<IMG SRC=x OnError=alert(1)>") == ["<img onerror=...>"]
    assert inert.active_content("<a href=' JaVaScRiPt:alert(1)'>x</a>")
    assert inert.active_content("<svg><a xlink:href='javascript:alert(1)'/></svg>")
    assert inert.active_content('<meta http-equiv="refresh" content="0;url=http://evil">')
