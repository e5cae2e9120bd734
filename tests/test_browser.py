"""The report as a client sees it: headless Chromium, network blocked (DESIGN §7).

Skipped where Chromium is not installed; `.ci/run` installs Debian's `chromium`.
"""

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import SMOKE_PARAMS, cli, report_of
from offline_browser import CHROMIUM, FLAGS, watch_offline
from seglab import i18n

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")]


def open_offline(report: Path, screenshot: Path) -> dict:
    """Load the page with every non-local request refused; report what went wrong."""
    sync_api = pytest.importorskip("playwright.sync_api")
    seen = {"blocked": [], "failed": [], "console": [], "page_errors": []}
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        watch_offline(page, seen)
        page.on("requestfailed", lambda req: seen["failed"].append(req.url))
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


@pytest.fixture(scope="module")
def zh_run(reports_root) -> Path:
    """The smoke run in Chinese with its PDF, once per module."""
    return report_of(cli("run", SMOKE_PARAMS, "--out", reports_root / "zh", "--quiet", "--no-notebooks",
                         "--set", "language=zh", "--set", "report.pdf=true"))


def test_chinese_report_and_its_pdf_open_offline(zh_run, tmp_path):
    seen = check(zh_run, tmp_path)
    assert "执行摘要" in seen["text"]
    assert (zh_run / "report.pdf").stat().st_size > 10_000


# ------------------------------------------------------------------ as printed and as laid out

SCREENSHOTS = Path(os.environ.get("SEGLAB_SCREENSHOTS", "")) if os.environ.get("SEGLAB_SCREENSHOTS") else None
WIDTH = 1280
NEAR_EMPTY = 0.25   # a page (not the title page, not the last) whose content spans less of its height
FOOT = 51           # points: the bottom margin (18 mm), where the page number sits


def _shots(tmp_path) -> Path:
    """Where screenshots go: $SEGLAB_SCREENSHOTS when set (kept for people to look at), else the test's folder."""
    folder = SCREENSHOTS or tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def en_pdf(smoke_run, tmp_path_factory) -> Path:
    """The English report (made through the notebooks) printed the way `seglab run` prints it."""
    from seglab.report.render import print_pdf

    page = tmp_path_factory.mktemp("en_pdf") / "report.html"
    shutil.copy(smoke_run / "report.html", page)
    out = print_pdf(page)
    assert out is not None
    return out


def _pages(pdf_path: Path, shots: Path, stem: str) -> list[dict]:
    """Each page of a PDF: its text, the share of its height the content spans; a PNG of it in ``shots``."""
    pdfium = pytest.importorskip("pypdfium2")
    pages = []
    pdf = pdfium.PdfDocument(str(pdf_path))
    for i, page in enumerate(pdf):
        _, height = page.get_size()
        boxes = [o.get_bounds() for o in page.get_objects()]
        # the page's own furniture is left out: a full-page background and the page number in the foot
        boxes = [b for b in boxes if b[3] - b[1] < 0.8 * height and b[1] > FOOT]
        span = (max(b[3] for b in boxes) - min(b[1] for b in boxes)) / height if boxes else 0.0
        page.render(scale=1).to_pil().save(shots / f"{stem}-page-{i + 1:02d}.png")
        pages.append({"text": page.get_textpage().get_text_range(), "span": span})
    pdf.close()
    return pages


@pytest.mark.parametrize("language", ["en", "zh"])
def test_pdf_has_a_title_page_page_numbers_and_no_near_empty_page(language, request, tmp_path):
    pdf = request.getfixturevalue("en_pdf") if language == "en" else request.getfixturevalue("zh_run") / "report.pdf"
    pages = _pages(pdf, _shots(tmp_path), f"report-{language}")
    n = len(pages)
    assert n >= 4
    first = pages[0]["text"]
    assert "Smoke test" in first or "冒烟" in first or "Customer segmentation" in first
    assert f"1 / {n}" not in first                       # the title page carries no number
    for number, page in enumerate(pages[1:], start=2):
        assert f"{number} / {n}" in page["text"], number  # every other page is numbered "n / N"
    for number, page in enumerate(pages[1:-1], start=2):
        assert page["span"] >= NEAR_EMPTY, (number, round(page["span"], 2), page["text"][:80])
    body = pages[-1]["text"].replace(f"{n} / {n}", "").replace(i18n.t("report_generated_by", language), "")
    assert len("".join(body.split())) >= 40, body  # the last page holds more than the footer


OVERFLOW = """(language) => {
  const bad = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth + 1) bad.push(['page wider than the window', root.scrollWidth]);
  const over = (el) => el.scrollWidth > el.clientWidth + 1;
  for (const el of document.querySelectorAll('td, th, p, li, dt, dd, h1, h2, h3, h4, .mix-label, .mix-value')) {
    if (el.clientWidth && over(el)) bad.push(['text overflows its box', el.tagName, el.innerText.slice(0, 80)]);
  }
  for (const t of document.querySelectorAll('table')) {
    const box = t.parentElement.getBoundingClientRect(), r = t.getBoundingClientRect();
    if (r.right > box.right + 1) bad.push(['table wider than its section', t.innerText.slice(0, 80)]);
  }
  for (const img of document.querySelectorAll('figure img')) {
    const box = img.closest('figure').getBoundingClientRect(), r = img.getBoundingClientRect();
    if (r.right > box.right + 1 || r.left < box.left - 1) bad.push(['figure wider than its box', img.alt.slice(0, 80)]);
  }
  // A short header without spaces (a Chinese word, "Priority") must sit on one line, never broken inside.
  for (const th of document.querySelectorAll('th')) {
    const text = th.innerText.trim();
    if (!text || /\s/.test(text) || text.length > 8) continue;
    const range = document.createRange();
    range.selectNodeContents(th);
    const tops = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
    if (tops.size > 1) bad.push(['header broken inside a word', text]);
  }
  return bad;
}"""


@pytest.mark.parametrize("language", ["en", "zh"])
def test_report_at_1280px_has_no_text_overflowing_its_figure_or_cell(language, request, tmp_path):
    run_dir = request.getfixturevalue("smoke_run" if language == "en" else "zh_run")
    sync_api = pytest.importorskip("playwright.sync_api")
    shots = _shots(tmp_path)
    found = {}
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for media, width in (("screen", WIDTH), ("print", 720)):  # 720 px: the A4 text width
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.emulate_media(media=media)
            page.goto((run_dir / "report.html").resolve().as_uri(), wait_until="load")
            found[media] = page.evaluate(OVERFLOW, language)
            if media == "screen":
                shot = shots / f"report-{language}-{WIDTH}px.png"
                page.screenshot(path=str(shot), full_page=True)
                from PIL import Image  # lazy: only the browser tests read a screenshot back

                assert Image.open(shot).width == WIDTH
            page.close()
        browser.close()
    assert found == {"screen": [], "print": []}
