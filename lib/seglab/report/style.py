"""The report's look: the stylesheets under ``templates/static``, with the Chinese font
embedded (cut to the characters a page uses) where a page has Chinese text."""

from __future__ import annotations

import base64
import io
import logging
import re
from functools import lru_cache
from importlib import resources

from fontTools import subset
from fontTools.ttLib import TTFont

from seglab.errors import SeglabError
from seglab.report import figures

log = logging.getLogger("seglab")

# Characters that need a CJK font: ideographs, kana, hangul, CJK punctuation, full-width forms.
CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")


@lru_cache(maxsize=None)
def stylesheet(name: str) -> str:
    """A stylesheet of ``report/templates/static`` (``report.css``, ``runs_index.css``)."""
    return resources.files("seglab.report").joinpath("templates", "static", name).read_text(encoding="utf-8")


def has_cjk(text: str) -> bool:
    """Whether ``text`` has characters that Latin fonts lack (Chinese, Japanese, Korean)."""
    return CJK.search(str(text)) is not None


def report_css(language: str = "en", text: str = "") -> str:
    """The report's stylesheet: screen and print (A4, clean page breaks).

    When the page's ``text`` has Chinese characters (a zh report, or Chinese
    values in an English one) it also embeds the Chinese font cut down to the
    characters the page uses (tens of kilobytes), so the page and its PDF show
    every glyph even where the reader has no Chinese font.
    """
    css = stylesheet("report.css")
    if language == "zh" and text:
        return _embedded_font(text) + css
    if has_cjk(text):
        try:
            return _embedded_font(text) + css
        except SeglabError:
            # An English page without a Chinese font on this machine: readers' own fonts show the values.
            log.warning("the page has Chinese characters but no Chinese font was found to embed; "
                        "install fonts-noto-cjk or set %s", figures.FONT_ENV)
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
