"""Stored XSS, end to end (issue 13, finding 1): a run made from hostile data, every HTML file
of the run folder and the runs index opened in headless Chromium. No script element, no
console error, no script ran (it would set the page title), nothing fetched from outside.

The data (tests/hostile.py) holds a category value ``<script>…</script>`` and an ``<img
onerror>`` held by whole segments, so they become persona traits, names and Markdown in
04_personas: the path that ran the script before.
"""

import os
from pathlib import Path

import pytest
from conftest import seglab
from hostile import write_hostile
from offline_browser import CHROMIUM, FLAGS, watch_offline

from seglab.report.inert import active_content, has_policy

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")]


@pytest.fixture(scope="module")
def hostile_runs(tmp_path_factory):
    """Two runs of the hostile data through the notebooks; the second compares itself with the first."""
    folder = tmp_path_factory.mktemp("hostile")
    params = write_hostile(folder / "data")
    reports = folder / "reports"
    env = {"SEGLAB_SECRET": "browser-test"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        first = seglab("run", params, "--out", reports, "--quiet", timeout=1800)
        assert first.returncode == 0, first.stderr[-3000:]
        second = seglab("run", params, "--out", reports, "--quiet", "--no-notebooks",
                        "--set", "compare_to=previous", timeout=1800)
        assert second.returncode == 0, second.stderr[-3000:]
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    return reports, [Path(p.stdout.strip().splitlines()[-1]).parent for p in (first, second)]


def _pages(reports: Path, runs: list[Path]) -> list[Path]:
    pages = [reports / "index.html"]
    for run in runs:
        pages += sorted(run.rglob("*.html"))
    return pages


def open_in_chromium(page: Path) -> dict:
    sync_api = pytest.importorskip("playwright.sync_api")
    seen = {"blocked": [], "console": [], "page_errors": []}
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        tab = browser.new_page()
        watch_offline(tab, seen)
        tab.goto(page.resolve().as_uri(), wait_until="load")
        tab.wait_for_timeout(300)  # an onerror handler or a timer would have fired by now
        seen["scripts"] = tab.evaluate("document.querySelectorAll('script').length")
        seen["handlers"] = tab.evaluate(
            "Array.from(document.querySelectorAll('*')).flatMap(e => Array.from(e.attributes))"
            ".filter(a => a.name.startsWith('on')).length")
        seen["title"] = tab.title()
        seen["text"] = tab.inner_text("body")
        browser.close()
    return seen


def test_every_page_of_a_hostile_run_is_inert_in_a_browser(hostile_runs):
    reports, runs = hostile_runs
    pages = _pages(reports, runs)
    names = {p.name for p in pages}
    assert {"index.html", "report.html", "04_personas.html", "compare.html"} <= names, names
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert active_content(html) == [], (page.name, active_content(html)[:5])
        assert has_policy(html), f"{page.name} has no Content-Security-Policy"
        seen = open_in_chromium(page)
        assert seen["scripts"] == 0 and seen["handlers"] == 0, (page.name, seen["scripts"], seen["handlers"])
        assert seen["console"] == [] and seen["page_errors"] == [], (page.name, seen["console"], seen["page_errors"])
        assert seen["blocked"] == [], (page.name, seen["blocked"])
        # a script that ran sets the title to exactly this; the params' title shows the payload as text
        assert seen["title"] != "pwned", page.name


def test_the_hostile_values_are_shown_as_text(hostile_runs):
    """Escaped, not dropped: a reader of the appendix sees what the data held."""
    _, runs = hostile_runs
    personas = open_in_chromium(runs[0] / "notebooks" / "04_personas.html")
    assert "<script>document.title='pwned'</script>" in personas["text"] or "document.title" in personas["text"]
