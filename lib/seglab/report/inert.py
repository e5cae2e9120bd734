"""Data stays inert in every HTML page seglab writes (docs/architecture.md §3).

Three layers, so that one mistake in a template or a notebook cannot run code from a
customer file when a client opens a page:

1. **Escape at the source.** Text from data or params is escaped where markup is built:
   HTML by the templates, Markdown by :func:`escape_markdown` (a notebook's
   ``display(Markdown(...))`` would otherwise pass ``<script>`` through to nbconvert).
2. **Sanitise the appendix.** nbconvert renders notebook outputs as they are;
   :func:`seglab.report.render.export_appendix` runs it with ``sanitize_html``.
3. **Forbid scripts in the browser.** Every page carries :data:`CONTENT_SECURITY_POLICY`, a
   Content-Security-Policy that allows no script, no plug-in and no request to another
   host; it also keeps the reports offline.

:func:`active_content` lists what a browser could execute in a page; the tests run it
over every HTML file of a run made from hostile data.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser


CONTENT_SECURITY_POLICY = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
                           "base-uri 'none'; form-action 'none'")

# CommonMark lets every ASCII punctuation character be escaped with a backslash; these are
# the ones that start or end Markdown syntax. <, > and & become entities, so that no
# renderer (nbconvert's mistune, JupyterLab's marked) sees a tag.
# ':' and '@' too, so that no text from data becomes an autolink (http://…, a@b.c).
_MARKDOWN_SYNTAX = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:@])")


def escape_markdown(text) -> str:
    """``text`` as literal Markdown: no tag, link, emphasis or heading can come from it."""
    escaped = _MARKDOWN_SYNTAX.sub(r"\\\1", str(text))
    # then the three characters that start markup or an entity; quotes need nothing in Markdown
    return escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def persona_markdown(segment: dict) -> str:
    """A segment's heading and narrative as Markdown, for the personas notebook."""
    persona = segment.get("persona") or {}
    return f"### {escape_markdown(segment['name'])}\n\n{escape_markdown(persona.get('narrative', ''))}"


# ------------------------------------------------------------------ sanitising

# What notebook outputs and Markdown may keep in the appendix: text structure, tables
# (pandas' own <style> block included), images embedded as data; no script, no handler,
# no frame, no form. nbconvert's own filter also drops headings, paragraphs and table
# heads, which would show the appendix as escaped markup.
SAFE_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "details", "div",
    "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins",
    "kbd", "li", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "style", "sub", "summary",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
})
_SAFE_ATTRIBUTES = {"class", "id", "title", "align", "colspan", "rowspan", "border", "alt", "width", "height",
                    "scoped", "open", "lang", "dir"}


def _attribute_allowed(tag: str, name: str, value: str) -> bool:
    if name in _SAFE_ATTRIBUTES:
        return True
    compact = re.sub(r"[\s\x00-\x1f]", "", value or "").lower()
    if tag == "img" and name == "src":
        return compact.startswith("data:image/") and not compact.startswith("data:image/svg")
    if tag == "a" and name == "href":
        return compact.startswith(("#", "http://", "https://", "mailto:"))
    return False


def sanitise_html(fragment) -> str:
    """An HTML fragment with only :data:`SAFE_TAGS` and harmless attributes left.

    Disallowed markup is shown as text (so a ``<script>`` from data reads as one), the
    nbconvert filter ``clean_html`` of the appendix export.
    """
    import bleach  # lazy: start-up time (only the appendix export needs it)

    text = fragment.decode() if isinstance(fragment, bytes) else str(fragment)
    return bleach.clean(text, tags=SAFE_TAGS, attributes=_attribute_allowed, protocols={"http", "https", "mailto", "data"},
                        strip=False, strip_comments=True)


# ------------------------------------------------------------------ the check

_ACTIVE_TAGS = {"script", "iframe", "frame", "object", "embed", "applet", "base", "form", "link", "meta"}
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "background", "poster"}


class _Finder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta":  # charset, viewport and our own policy are fine
            if (attrs.get("http-equiv") or "").lower() == "refresh":
                self.found.append("<meta http-equiv=refresh>")
            return
        if tag == "link" and (attrs.get("rel") or "").lower() not in ("stylesheet", "icon"):
            self.found.append(f"<link rel={attrs.get('rel')}>")
            return
        if tag in _ACTIVE_TAGS - {"meta", "link"}:
            self.found.append(f"<{tag}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            elif name in _URL_ATTRIBUTES and value and re.sub(r"[\s\x00-\x1f]", "", value).lower().startswith(
                    ("javascript:", "vbscript:", "data:text/html")):
                self.found.append(f"<{tag} {name}={value[:30]}>")

    handle_startendtag = handle_starttag


def active_content(page: str) -> list[str]:
    """Elements and attributes of ``page`` that a browser could execute or navigate with.

    Returns
    -------
    list of str
        e.g. ``["<script>", "<img onerror=...>"]``; empty for an inert page.
    """
    finder = _Finder()
    finder.feed(page)
    finder.close()
    return finder.found


def has_policy(page: str) -> bool:
    """True when ``page`` carries seglab's Content-Security-Policy in its head."""
    head = page.split("</head>", 1)[0]
    return CONTENT_SECURITY_POLICY in html.unescape(head)
