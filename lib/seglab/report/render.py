"""HTML export: the client report, the technical appendix and the runs index.

The client report is the executed ``05_report`` notebook exported without code
and wrapped in seglab's own page (title block, contents, print stylesheet). No
page refers to another host: nbconvert's MathJax, require.js and Mermaid
loaders are left out, and every image is inline (docs/architecture.md §3).
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from seglab import i18n
from seglab.io.files import write_text
from seglab.report.inert import CONTENT_SECURITY_POLICY, sanitise_html
from seglab.report.sections import load_report_data, render_section
from seglab.report.style import report_css
from seglab.report.templating import Markup, render
from seglab.report.workbook import write_workbook

log = logging.getLogger("seglab")

TEMPLATES = Path(__file__).parent / "templates"


# ------------------------------------------------------------ notebooks

def _strip_noise(nb):
    """Drop what a client must not see: stderr, tracebacks, the parameter cells."""
    keep = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & {"parameters", "injected-parameters", "remove_cell"}:
            continue
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs
                            if not (o.output_type == "stream" and o.get("name") == "stderr")
                            and o.output_type != "error"]
        keep.append(cell)
    nb.cells = keep
    return nb


def notebook_body(nb_path: Path) -> str:
    """The outputs of an executed notebook as an HTML fragment, without code."""
    import nbformat  # lazy: start-up time (nbformat loads jsonschema's format checkers, seconds of CPU)
    from nbconvert import HTMLExporter  # lazy: start-up time; only exports need nbconvert

    nb = _strip_noise(nbformat.read(nb_path, as_version=4))
    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, anchor_link_text="")
    body, _ = exporter.from_notebook_node(nb)
    return body


def export_appendix(nb_path: Path, out_path: Path) -> Path:
    """An executed stage notebook as a standalone HTML page with its code.

    Outputs and Markdown are sanitised (no script, no event handler can come from data
    shown in a notebook) and the page forbids scripts (:mod:`seglab.report.inert`).
    """
    import nbformat  # lazy: start-up time (nbformat loads jsonschema's format checkers, seconds of CPU)
    from nbconvert import HTMLExporter  # lazy: start-up time; only exports need nbconvert

    nb = nbformat.read(nb_path, as_version=4)
    exporter = HTMLExporter(template_name="lab", extra_template_paths=[str(TEMPLATES)],
                            template_file="appendix.html.j2", sanitize_html=True,
                            filters={"clean_html": sanitise_html})
    body, _ = exporter.from_notebook_node(nb, resources={"seglab_csp": CONTENT_SECURITY_POLICY})
    out_path.write_text(body, encoding="utf-8")
    return out_path


# ------------------------------------------------------------ the page

def _labels(language: str) -> dict:

    return {k: i18n.t(k, language) for k in ("report_client", "report_date", "report_run", "report_contents",
                                               "report_generated_by")}


def render_page(body: str, *, title: str, client: str, run_id: str, language: str, when: dt.date | None = None,
                notes=()) -> str:
    """Wrap report sections in the client page: title block, contents, styles.

    ``body`` is HTML already (the sections, or the exported notebook); the
    title, client, run id and ``notes`` (footer lines) are text and are escaped
    by the template.
    """
    labels = _labels(language)
    # A page with Chinese text embeds the Chinese font cut to the characters it uses.
    css = report_css(language, text="".join((title, client, run_id, *labels.values(), body)))
    return str(render("report.html.j2", lang="zh-CN" if language == "zh" else "en", title=title, client=client,
                      run_id=run_id, date=(when or dt.date.today()).isoformat(), labels=labels,
                      toc=_headings(body), css=Markup(css), body=Markup(body), notes=list(notes)))


_H2 = re.compile(r'<h2[^>]*\bid="([^"]+)"[^>]*>(.*?)</h2>', re.S)


def _headings(body: str) -> list[tuple[str, str]]:
    """(anchor, text) of every section heading, for the contents list (text unescaped: the template escapes)."""
    return [(html.unescape(i), html.unescape(re.sub(r"<[^>]+>", "", t)).strip()) for i, t in _H2.findall(body)]


def run_identity(run_dir: Path) -> str:
    """``run_name/stamp`` of a run folder, also while it is still a hidden working folder."""
    run_dir = Path(run_dir)
    name = run_dir.name
    if name.startswith(".") and name.endswith(".partial"):
        name = name[1:-len(".partial")]
    return f"{run_dir.parent.name}/{name}"


def write_report_from_notebook(cfg, run_dir: Path, nb_path: Path) -> Path:
    """report.html from the executed 05_report notebook, plus the consultant's extras."""
    return _finish_report(cfg, run_dir, notebook_body(nb_path))


def write_report_direct(cfg, run_dir: Path) -> Path:
    """report.html straight from the sections, without executing a notebook."""

    data = load_report_data(run_dir)
    body = "\n".join(render_section(name, data, cfg.language) for name in report_sections(cfg, run_dir))
    return _finish_report(cfg, run_dir, body)


def report_sections(cfg, run_dir: Path) -> list[str]:
    """The params' sections, plus "what changed" after the summary when the run compared itself, and the
    case study's own analyses before the actions when ``report.case_study`` names one."""
    sections = list(cfg.report.sections)
    if cfg.report.case_study and "case_study" not in sections:
        at = sections.index("actions") if "actions" in sections else len(sections)
        sections.insert(at, "case_study")
    if (Path(run_dir) / "compare.json").exists() and "changes" not in sections:
        at = sections.index("summary") + 1 if "summary" in sections else 0
        sections.insert(at, "changes")
    return sections


def _finish_report(cfg, run_dir: Path, body: str) -> Path:
    """report.html around ``body``, the workbook, and the PDF when asked for.

    A PDF that cannot be made is said three times: a warning in run.log, the manifest's
    ``warnings``, and a note in the report's footer (print it from a browser instead).
    """
    out = Path(run_dir) / "report.html"
    untranslated = untranslated_note(cfg)

    def write(notes=()):
        write_text(out, render_page(body, title=cfg.title, client=cfg.client, run_id=run_identity(run_dir),
                                    language=cfg.language, notes=[*untranslated, *notes]))

    write()
    write_workbook(run_dir)
    if cfg.report.pdf and print_pdf(out) is None:
        write([i18n.t("report_pdf_missing", cfg.language)])
    return out


def untranslated_note(cfg) -> list[str]:
    """The footer note (and run.log warning) of a Chinese report whose title, client or objectives
    the params give in English only; empty otherwise."""
    notes = []
    keys = cfg.untranslated()
    if keys:
        log.warning("report: %s given in English only; a Chinese report shows them as written. Give them per "
                    "language, e.g. title: {en: ..., zh: ...}", ", ".join(keys))
        names = i18n.join([i18n.t(f"params_text_{k.replace('.', '_')}", cfg.language) for k in keys], cfg.language)
        notes.append(i18n.t("report_untranslated", cfg.language, keys=names))
    columns = unlabelled_columns(cfg)
    if columns:
        log.warning("report: columns %s have no %s label; give them in columns.labels and their values in "
                    "columns.value_labels", ", ".join(columns), cfg.language)
        notes.append(i18n.t("report_unlabelled_columns", cfg.language, columns=i18n.join(columns, cfg.language)))
    return notes


def unlabelled_columns(cfg) -> list[str]:
    """Columns a Chinese report would name, or whose values it would show, in Latin letters: no
    Chinese label in ``columns.labels`` or seglab's table, or category values without ``columns.value_labels``."""
    if cfg.language != "zh":
        return []
    values = cfg.columns.value_labels_in(cfg.language)
    out = []
    with i18n.value_labels(values, cfg.columns.column_labels(cfg.language)):
        for column in [*cfg.columns.numeric, *cfg.columns.categorical]:
            if column in cfg.columns.pii:
                continue
            latin_name = i18n.feature_label(column, cfg.language).isascii()
            if latin_name or (column in cfg.columns.categorical and column not in values):
                out.append(column)
    return out


# ------------------------------------------------------------ extras

def chromium_binary() -> str | None:
    """Path of a headless-capable Chromium, if one is installed."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-pdf-header-footer")


def print_pdf(html_path: Path, timeout: float = 120) -> Path | None:
    """report.pdf through headless Chromium, or None with a logged warning saying why not.

    The warning reaches run.log and the manifest's ``warnings`` (seglab.pipeline.runs): a
    requested PDF that is missing is never silent.
    """
    binary = chromium_binary()
    if binary is None:
        log.warning("%s not made: no Chromium found (install chromium, or set report.pdf: false); "
                    "print %s from a browser instead", html_path.with_suffix(".pdf").name, html_path.name)
        return None
    out = html_path.with_suffix(".pdf")
    out.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        cmd = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={out}", html_path.resolve().as_uri()]
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            why = f"Chromium did not finish within {timeout:g} s"
        except subprocess.CalledProcessError as exc:
            lines = exc.stderr.decode(errors="replace").strip().splitlines() if exc.stderr else []
            why = f"Chromium exited with code {exc.returncode}" + (f" ({lines[-1][:200]})" if lines else "")
        except OSError as exc:
            why = f"Chromium could not be started ({exc})"
        else:
            if out.exists() and out.stat().st_size:
                return out
            why = "Chromium wrote no file"
    log.warning("%s not made: %s; print %s from a browser instead", out.name, why, html_path.name)
    return None
