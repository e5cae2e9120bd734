"""What notebooks display: a workbench step or a case study's findings as HTML blocks.

Python decides what to show (a heading, a sentence, a table, a figure, bullet points);
the template ``notebook.html.j2`` decides the markup and escapes every text, as the
report's templates do (:mod:`seglab.report.templating`). Tables are rendered by pandas
with its own escaping; figures are embedded PNGs, so a notebook's output opens offline.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import pandas as pd

from seglab.report import figures
from seglab.report.templating import Figure, Markup, render


@dataclass(frozen=True)
class Block:
    """One piece of a display; ``kind`` says which fields it uses."""

    kind: str
    text: str = ""
    lead: str = ""
    code: str = ""
    markup: Markup | None = None
    figure: Figure | None = None
    items: tuple = ()


def heading(text: str) -> Block:
    return Block("heading", text=str(text))


def paragraph(text: str, *, lead: str = "", code: str = "") -> Block:
    """A sentence, with an optional bold lead and a code snippet after it."""
    return Block("paragraph", text=str(text), lead=str(lead), code=str(code))


def table(frame: pd.DataFrame, **to_html) -> Block:
    """A DataFrame as a table; pandas escapes every cell and label."""
    html = frame.to_html(escape=True, border=0, classes="dataframe seglab", **to_html)
    return Block("table", markup=Markup(html))  # pandas escaped every cell (escape=True)


def figure(draw, language: str, alt: str) -> Block:
    """Call ``draw()`` in the seglab style and embed what it drew as an inline PNG."""
    with figures.figure_context(language):
        drawn = draw()
        ax = drawn[0] if isinstance(drawn, (list, tuple)) or hasattr(drawn, "shape") else drawn
        buf = io.BytesIO()
        ax.figure.savefig(buf, format="png", metadata={"Software": None})
        figures.close(ax)
    return Block("figure", figure=Figure("data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii"),
                                         alt))


def items(points) -> Block:
    """Bullet points, each ``(lead, text)`` (the lead in bold) or plain text."""
    pairs = tuple((str(p[0]), str(p[1])) if isinstance(p, tuple) else ("", str(p)) for p in points)
    return Block("items", items=pairs)


def to_html(blocks) -> str:
    """The blocks as one HTML fragment (what ``_repr_html_`` returns)."""
    return str(render("notebook.html.j2", blocks=[b for b in blocks if b is not None]))
