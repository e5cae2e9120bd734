"""Every word a client reads, in each report language, from one table per language.

The tables live in ``seglab/i18n/<language>.json`` (flat keys, ``str.format``
fields) so that a translator edits data, not code, and a test can check that
every language has every key. They hold seglab's own words only, including the
values seglab itself derives (lifecycle stages, the default RFM map's groups).

Values of the data (a city, an interest) pass through unchanged unless the run's
params label them (``columns.value_labels``, per language, often a file beside the
data): :func:`value_labels` makes those labels the ones :func:`value_label` reads
while a run's text is written, as a locale would (a context variable, so runs in
other threads or one after another never see each other's labels).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from contextvars import ContextVar
from functools import lru_cache
from importlib import resources

from seglab import numbers
from seglab.i18n.headers import humanise, slug

#: The report languages: one per table file, so a new language is a new ``<code>.json``.
LANGUAGES = tuple(sorted(p.name.removesuffix(".json") for p in resources.files("seglab").joinpath("i18n").iterdir()
                         if p.name.endswith(".json")))


@lru_cache(maxsize=None)
def table(language: str) -> dict[str, str]:
    """The whole string table of one language (read once, then cached)."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}; got {language!r}")
    text = resources.files("seglab").joinpath("i18n", f"{language}.json").read_text(encoding="utf-8")
    return json.loads(text)


def has(key: str, language: str) -> bool:
    """Whether ``key`` is translated in ``language``."""
    return key in table(language)


def t(key: str, language: str, /, **fields) -> str:
    """The text of ``key`` in ``language`` with ``fields`` filled in.

    Raises ``KeyError`` naming the key and language: a missing key is a bug in
    seglab, never something a user can fix.
    """
    try:
        text = table(language)[key]
    except KeyError:
        raise KeyError(f"no {language!r} text for i18n key {key!r}") from None
    return text.format(**fields) if fields else text


def get(key: str, language: str, default: str) -> str:
    """The text of ``key``, or ``default`` (a name from the data) when the table has none."""
    return t(key, language) if has(key, language) else default


def feature_label(feature: str, language: str) -> str:
    """Client-facing name of a column.

    The params' ``columns.labels`` first (:func:`value_labels`), then seglab's own
    word for the column or for its header in words ("Annual Income (k$)" reads
    as the table's ``annual_income``), else the header in words
    (:func:`seglab.i18n.headers.humanise`).
    """
    own = _COLUMN_LABELS.get().get(str(feature).casefold())
    if own:
        return own
    for key in (f"feature_{feature}", f"feature_{slug(feature)}"):
        if has(key, language):
            return t(key, language)
    return humanise(feature)


@lru_cache(maxsize=None)
def _values(language: str) -> dict[str, str]:
    """The ``value_*`` entries keyed case-insensitively (data may arrive as "Shanghai" or "shanghai")."""
    return {k.casefold(): v for k, v in table(language).items() if k.startswith("value_")}


_DATA_LABELS: ContextVar[Mapping] = ContextVar("seglab_value_labels", default={})
_COLUMN_LABELS: ContextVar[Mapping] = ContextVar("seglab_column_labels", default={})


@contextlib.contextmanager
def value_labels(labels: Mapping[str, Mapping] | None, columns: Mapping[str, str] | None = None):
    """Within the block, :func:`value_label` and :func:`feature_label` read the data's own labels first.

    Parameters
    ----------
    labels : mapping
        ``{column: {value: label}}`` for the report's language (one language of the
        params' ``columns.value_labels``).
    columns : mapping, optional
        ``{column: label}`` for the report's language (the params' ``columns.labels``).
    """
    folded = {str(col): {str(v).casefold(): str(text) for v, text in (values or {}).items()}
              for col, values in (labels or {}).items()}
    token = _DATA_LABELS.set(folded)
    col_token = _COLUMN_LABELS.set({str(c).casefold(): str(text) for c, text in (columns or {}).items()})
    try:
        yield
    finally:
        _DATA_LABELS.reset(token)
        _COLUMN_LABELS.reset(col_token)


def value_label(feature: str, value, language: str) -> str:
    """Client-facing text of a category value: the data's label (:func:`value_labels`), else
    seglab's own word for a value it derives, else the value as written."""
    own = _DATA_LABELS.get().get(str(feature))
    if own and str(value).casefold() in own:
        return own[str(value).casefold()]
    values = _values(language)
    for key in (f"value_{feature}_{value}", f"value_{value}"):
        if key.casefold() in values:
            return values[key.casefold()]
    return str(value)


def category_label(feature: str, value, language: str) -> str:
    """A category as a row label: "interest: running" / "兴趣：跑步"."""
    return t("category_label", language, label=feature_label(feature, language), value=value_label(feature, value, language))


def join(items, language: str) -> str:
    """``a, b and c`` / ``a、b和c``."""
    items = [str(i) for i in items]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return t("list_join", language, head=t("list_sep", language).join(items[:-1]), last=items[-1])


# ------------------------------------------------------------------ numbers
# Numbers are written by seglab.numbers (one rounding rule for text, tables and
# charts); these names stay here so that text code can format with the words.
number = numbers.number
integer = numbers.integer
percent = numbers.percent
