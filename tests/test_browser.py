"""The report as a client sees it: headless Chromium, network blocked (DESIGN §7).

Skipped where Chromium is not installed; `.ci/run` installs Debian's `chromium`.
"""

import json
import shutil
from pathlib import Path

import pytest
from conftest import SMOKE_PARAMS, cli, report_of

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")]
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def open_offline(report: Path, screenshot: Path) -> dict:
    """Load the page with every non-local request refused; report what went wrong."""
    sync_api = pytest.importorskip("playwright.sync_api")
    seen = {"blocked": [], "failed": [], "console": [], "page_errors": []}
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})

        def route(r):
            if r.request.url.startswith(("file:", "data:")):
                r.continue_()
            else:
                seen["blocked"].append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("requestfailed", lambda req: seen["failed"].append(req.url))
        page.on("console", lambda msg: msg.type == "error" and seen["console"].append(msg.text))
        page.on("pageerror", lambda exc: seen["page_errors"].append(str(exc)))
        page.goto(report.resolve().as_uri(), wait_until="load")
        seen["images"] = page.evaluate(
            "Array.from(document.images).map(i => ({ok: i.complete && i.naturalWidth > 0, alt: i.alt}))")
        seen["text"] = page.inner_text("body")
        seen["visible"] = page.evaluate("document.body.offsetHeight > 0")
        page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    return seen


def check(run_dir: Path, tmp_path: Path):
    seen = open_offline(run_dir / "report.html", tmp_path / "report.png")
    assert seen["blocked"] == [] and seen["failed"] == [], (seen["blocked"], seen["failed"])
    assert seen["console"] == [] and seen["page_errors"] == []
    assert seen["images"] and all(i["ok"] and i["alt"] for i in seen["images"])
    segments = json.loads((run_dir / "segments.json").read_text(encoding="utf-8"))["segments"]
    for s in segments:
        assert s["name"] in seen["text"], s["name"]
    assert (tmp_path / "report.png").stat().st_size > 10_000
    return seen


def test_english_report_opens_offline(smoke_run, tmp_path):
    """The report as `seglab run` makes it through the notebooks."""
    check(smoke_run, tmp_path)


def test_chinese_report_and_its_pdf_open_offline(reports_root, tmp_path):
    run_dir = report_of(cli("run", SMOKE_PARAMS, "--out", reports_root / "zh", "--quiet", "--no-notebooks",
                            "--set", "language=zh", "--set", "report.pdf=true"))
    seen = check(run_dir, tmp_path)
    assert "执行摘要" in seen["text"]
    assert (run_dir / "report.pdf").stat().st_size > 10_000
