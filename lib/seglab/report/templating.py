"""The one way seglab writes HTML: Jinja2 templates with autoescaping on.

Every page (the client report, the comparison page, the runs index) and every
report section is a template under ``report/templates``; anything that comes
from data is escaped by Jinja2, never by hand. Python builds the facts to show
(numbers already formatted, figures already drawn); templates decide the markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from seglab.report.inert import CONTENT_SECURITY_POLICY

__all__ = ["Figure", "Link", "Markup", "Table", "render"]

ENV = Environment(
    loader=PackageLoader("seglab.report", "templates"),
    # The templates are named *.html.j2; strings rendered from code are HTML too.
    autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=True, default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
# Every page forbids scripts, plug-ins and requests to other hosts (seglab.report.inert).
ENV.globals["content_security_policy"] = CONTENT_SECURITY_POLICY


@dataclass(frozen=True)
class Link:
    """A segment as a table cell or list item: its colour swatch and a link to its card."""

    text: str
    href: str | None = None
    colour: str | None = None


@dataclass(frozen=True)
class Figure:
    """An inline PNG (``src`` is a data: URI) with the alt text a screen reader reads."""

    src: str
    alt: str
    cls: str = "figure"


@dataclass
class Table:
    """A table: cells are text (escaped) or :class:`Link`; ``numeric`` columns align right.

    ``footer`` rows (e.g. a total) are set apart in ``<tfoot>``.
    """

    header: list
    rows: list
    numeric: frozenset = frozenset()
    cls: str = ""
    footer: list = field(default_factory=list)


def render(template: str, /, **context) -> Markup:
    """Render one template; the result is markup that other templates insert as it is."""
    return Markup(ENV.get_template(template).render(**context))
