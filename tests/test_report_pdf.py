"""A requested PDF that cannot be made is said: in run.log and in the manifest's warnings."""

import datetime as dt
import json
import stat

from seglab import i18n
from seglab.config import config_from_dict
from seglab.pipeline.runs import Run
from seglab.report import render


def _run_printing(tmp_path, monkeypatch, binary):
    monkeypatch.setattr(render, "chromium_binary", lambda: binary)
    run = Run.reserve(tmp_path / "reports", "demo", now=dt.datetime(2026, 1, 2, 3, 4, 5))
    run.start(params={}, seed=1, inputs=[])
    page = run.work_dir / "report.html"
    page.write_text("<html><body>report</body></html>", encoding="utf-8")
    result = render.print_pdf(page, timeout=30)
    final = run.finish("complete")
    manifest = json.loads((final / "manifest.json").read_text(encoding="utf-8"))
    return result, final, manifest


def test_missing_chromium_is_a_warning_in_the_log_and_the_manifest(tmp_path, monkeypatch):
    result, final, manifest = _run_printing(tmp_path, monkeypatch, None)
    assert result is None and not (final / "report.pdf").exists()
    assert manifest["warnings"] == [("report.pdf not made: no Chromium found (install chromium, or set report.pdf: "
                                     "false); print report.html from a browser instead")]
    assert "WARNING report.pdf not made: no Chromium found" in (final / "run.log").read_text(encoding="utf-8")


def test_a_failing_chromium_is_a_warning_with_its_exit_code_and_message(tmp_path, monkeypatch):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'noise' >&2\necho 'Trace/breakpoint trap: no display' >&2\nexit 133\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    result, _, manifest = _run_printing(tmp_path, monkeypatch, str(fake))
    assert result is None
    assert manifest["warnings"] == [("report.pdf not made: Chromium exited with code 133 (Trace/breakpoint trap: "
                                     "no display); print report.html from a browser instead")]


def test_a_run_without_problems_has_no_warnings(tmp_path):
    run = Run.reserve(tmp_path, "demo")
    run.start(params={}, seed=1, inputs=[])
    manifest = json.loads((run.finish("complete") / "manifest.json").read_text(encoding="utf-8"))
    assert "warnings" not in manifest


def test_the_report_itself_says_when_its_pdf_could_not_be_made(tmp_path, monkeypatch):
    monkeypatch.setattr(render, "chromium_binary", lambda: None)
    monkeypatch.setattr(render, "write_workbook", lambda run_dir: None)
    cfg = config_from_dict({"run_name": "demo", "data": {"customers": "c.csv"}, "language": "zh",
                            "report": {"pdf": True}}, base_dir=tmp_path)
    page = render._finish_report(cfg, tmp_path, '<h2 id="sec-summary">摘要</h2>').read_text(encoding="utf-8")
    assert i18n.t("report_pdf_missing", "zh") in page
    cfg = cfg.model_copy(update={"report": cfg.report.model_copy(update={"pdf": False})})
    page = render._finish_report(cfg, tmp_path, '<h2 id="sec-summary">摘要</h2>').read_text(encoding="utf-8")
    assert i18n.t("report_pdf_missing", "zh") not in page  # not asked for: nothing to say
