"""The report's look: one stylesheet for the report, the comparison page and the
appendix, with the Chinese font embedded (subset) where a zh page needs it."""

from __future__ import annotations

import base64
import io

from fontTools import subset
from fontTools.ttLib import TTFont

from seglab.report import figures

_FONTS = ('system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans CJK SC", '
          '"Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif')

_CSS = """
:root { --ink: #1d2733; --muted: #5b6773; --rule: #d9dee4; --accent: #1f5f8b; --paper: #ffffff; }
html { font-family: FONTS; color: var(--ink); background: var(--paper); line-height: 1.5; }
body { max-width: 60rem; margin: 0 auto; padding: 2rem 1.5rem 4rem; font-size: 16px; }
h1 { font-size: 2rem; margin: 0 0 .5rem; }
h2 { font-size: 1.5rem; margin: 2.5rem 0 .75rem; padding-bottom: .25rem; border-bottom: 2px solid var(--accent); }
h3 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
h4 { font-size: 1rem; margin: 1rem 0 .35rem; color: var(--muted); }
p, li, dd { max-width: 48rem; }
.title-block dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; color: var(--muted); }
.title-block dd { margin: 0; }
nav.toc ol { columns: 2; }
table { border-collapse: collapse; margin: .75rem 0 1.25rem; font-size: .92rem; width: 100%; }
th, td { padding: .35rem .6rem; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid var(--ink); background: #f5f7f9; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 1rem 0 1.5rem; }
figure img { display: block; max-width: 100%; height: auto; }
table.summary td:first-child { min-width: 13rem; }
figure.traits img { max-width: 70%; }
.swatch { display: inline-block; width: .85em; height: .85em; border-radius: 2px; margin-right: .45em; vertical-align: -.05em; }
ul.one-liners { padding-left: 1.2rem; list-style: none; }
ul.one-liners li { margin: .35rem 0; }
.persona-card { border: 1px solid var(--rule); border-radius: 6px; padding: .25rem 1.25rem 1rem; margin: 1.5rem 0; }
.persona-card h3 { font-size: 1.35rem; }
.facts { color: var(--muted); margin-top: -.25rem; }
.note { color: var(--muted); font-style: italic; }
dl.persona-text dt { font-weight: 600; margin-top: .6rem; }
dl.persona-text dd { margin: .15rem 0 0; }
.mixes { display: flex; flex-wrap: wrap; gap: 1rem 2.5rem; }
.mix { min-width: 16rem; flex: 1; }
.mix-row { display: grid; grid-template-columns: 9rem 1fr 3.2rem; align-items: center; gap: .5rem; font-size: .88rem; }
.mix-bar { background: #eef1f4; height: .7rem; border-radius: 2px; overflow: hidden; }
.mix-bar span { display: block; height: 100%; background: var(--accent); }
.mix-value { text-align: right; font-variant-numeric: tabular-nums; }
ul.actions { padding-left: 1.2rem; }
ul.actions .k { font-weight: 600; }
dl.glossary dt { font-weight: 600; margin-top: .6rem; break-after: avoid; }
dl.glossary dd { margin: .1rem 0 0 1rem; }
a { color: var(--accent); text-decoration: none; }
footer { margin-top: 3rem; color: var(--muted); font-size: .85rem; }
@media print {
  @page { size: A4; margin: 16mm 14mm 18mm; }
  html { font-size: 10.5pt; }
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  nav.toc { break-after: page; }
  section.sec { break-before: page; }
  section.sec-objectives, section.sec-summary { break-before: auto; }
  h2, h3, h4, dt { break-after: avoid; }
  dd { break-inside: avoid; }
  table, figure, .mix, dl.persona-text dd, ul.actions li { break-inside: avoid; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  .persona-card { border: none; padding: 0; margin: 0; break-before: page; }
  .persona-card:first-of-type { break-before: auto; }
  figure img { max-width: 100%; max-height: 245mm; width: auto; }
  figure.traits img { max-width: 65%; }
  a { color: inherit; }
  a[href]::after { content: none; }
  footer { position: static; }
}
"""


def report_css(language: str = "en", text: str = "") -> str:
    """The report's stylesheet: screen and print (A4, clean page breaks).

    With ``language="zh"`` and the page's ``text``, it also embeds the Chinese
    font cut down to the characters the page uses (tens of kilobytes), so
    print-to-PDF renders every glyph even where the reader has no Chinese font.
    """
    css = _CSS.replace("FONTS", _FONTS)
    if language == "zh" and text:
        css = _embedded_font(text) + css.replace(_FONTS, f'"seglab CJK", {_FONTS}', 1)
    return css


def _embedded_font(text: str) -> str:
    """An @font-face rule holding the Chinese font, subset to the characters of ``text``."""
    path = figures.cjk_font_path()
    number = figures.cjk_font_number(path, figures.cjk_font())
    chars = "".join(sorted({c for c in text if ord(c) > 0x2000})) + "".join(chr(c) for c in range(0x20, 0x7F))
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    with open(path, "rb") as fh:
        font = TTFont(fh, fontNumber=number, lazy=True)
        sub = subset.Subsetter(options)
        sub.populate(text=chars)
        sub.subset(font)
        out = io.BytesIO()
        font.save(out)
        kind = "opentype" if "CFF " in font else "truetype"
    data = base64.b64encode(out.getvalue()).decode("ascii")
    return f'@font-face {{ font-family: "seglab CJK"; src: url(data:font/otf;base64,{data}) format("{kind}"); }}\n'
