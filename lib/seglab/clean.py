"""Standardise, validate, repair and de-duplicate the inputs, accounting for every row.

Segments are only as good as the table they are cut from, and a client must be able
to check that nothing was lost on the way: every input row ends up clean, merged into
a duplicate's survivor, or in ``quarantine.csv`` with the reason, and ``quality.json``
adds them up. Parsing works on the distinct values of a column (a date column of
twenty million lines holds a few thousand dates), so it stays vectorised at scale.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from seglab import privacy, sources
from seglab.errors import DataError, ParamsError

# Every rule a row or value can meet, in plain words (the reason column of quarantine.csv).
RULES = {
    "malformed_line": "the line could not be split into the header's columns",
    "empty_row": "every cell is empty",
    "missing_id": "no customer id",
    "missing_required": "a required value is missing",
    "missing_value": "the value is missing and the column's missing-value strategy is quarantine",
    "exact_duplicate": "an identical row appears earlier in the file",
    "duplicate_id": "another record has the same customer id",
    "duplicate_key": "another record has the same de-duplication keys",
    "fuzzy_name": "another record shares a key and has a near-identical name",
    "bad_number": "not a number",
    "out_of_range": "outside the allowed range",
    "bad_date": "not a valid date",
    "future_date": "a date in the future",
    "category_variant": "a variant spelling of a category, standardised",
    "imputed": "missing, filled by the column's missing-value strategy",
    "filled_from_duplicate": "missing, taken from a merged duplicate record",
    "missing_date": "no date",
    "missing_amount": "no amount",
    "bad_amount": "the amount is not a number",
    "zero_amount": "the amount is zero",
    "negative_amount": "a negative amount on an order not marked as a return",
    "return_sign": "a return with a positive amount, made negative",
    "unknown_customer": "the customer id is not in the customer table",
    "customer_quarantined": "the customer's own record was quarantined",
}
ID_MAP_COLUMNS = ["merged_id", "survivor_id", "rule", "source", "source_row", "survivor_row", "matched_on"]
MAX_UNPARSEABLE_SHARE = 0.5  # above this, a column is mis-declared, not dirty
YEARS = (1900, 2200)  # dates outside are typing errors or placeholders (0001-01-01)
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")


# =================================================================== text

def _arrow(s: pd.Series) -> pa.ChunkedArray:
    """The column as Arrow strings (no copy for pandas' Arrow-backed str dtype)."""
    if not isinstance(s.dtype, pd.StringDtype):
        s = s.astype("str")
    arr = s.array
    if hasattr(arr, "__arrow_array__"):
        out = arr.__arrow_array__()
        return out if isinstance(out, pa.ChunkedArray) else pa.chunked_array([out])
    return pa.chunked_array([pa.array(s.to_numpy(dtype=object, na_value=None), type=pa.large_string())])


def _series(arr, index) -> pd.Series:
    return pd.Series(arr, index=index, dtype="str")


def normalise_text(s: pd.Series) -> pd.Series:
    """NFKC (full-width letters and digits to ASCII), trimmed; empty cells missing."""
    a = _arrow(s)
    if len(a) and pc.any(pc.invert(pc.string_is_ascii(a))).as_py():
        a = pc.utf8_normalize(a, "NFKC")
    a = pc.utf8_trim_whitespace(a)
    a = pc.if_else(pc.equal(a, ""), pa.scalar(None, a.type), a)
    return _series(a, s.index)


def token_set(tokens) -> list[str]:
    """Missing-value tokens as they are compared: NFKC, trimmed, lower-case."""
    return sorted({unicodedata.normalize("NFKC", str(t)).strip().lower() for t in tokens} | {""})


def missing_mask(norm: pd.Series, tokens: list[str]) -> np.ndarray:
    """True where a normalised value is missing or a token such as "N/A" or "unknown"."""
    a = _arrow(norm)
    out = np.asarray(pc.is_null(a).to_numpy(zero_copy_only=False), dtype=bool) if len(a) else np.zeros(0, bool)
    # Only values as short as the longest token can be one (ids and emails never are).
    short = np.asarray(pc.fill_null(pc.less_equal(pc.utf8_length(a), max(map(len, tokens))), False)
                       .to_numpy(zero_copy_only=False), bool) if len(a) else out
    if short.any():
        hit = pc.is_in(pc.utf8_lower(pc.filter(a, pa.array(short))), value_set=pa.array(tokens, type=a.type))
        out[short] |= np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), bool)
    return out


def _present(norm: pd.Series, tokens) -> tuple[pd.Series, np.ndarray]:
    miss = missing_mask(norm, tokens)
    return (norm.where(~miss) if miss.any() else norm), miss


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().casefold()


def normalise_ids(s: pd.Series, tokens) -> pd.Series:
    """Identifiers as text: trimmed, NFKC; ``17850.0`` written by a float export becomes
    ``17850`` when the whole column is written that way."""
    ids, _ = _present(normalise_text(s), tokens)
    a, pattern = _arrow(ids), r"^-?\d+\.0+$"
    head = pc.drop_null(a.slice(0, 5000))
    if len(head) and pc.all(pc.match_substring_regex(head, pattern)).as_py() and \
            pc.all(pc.match_substring_regex(a, pattern)).as_py() is not False:
        ids = _series(pc.replace_substring_regex(a, r"\.0+$", ""), ids.index)
    return ids


def normalise_email(norm: pd.Series) -> pd.Series:
    """Lower-case, no spaces: ``" Wang.Wei@QQ.com "`` and ``wang.wei@qq.com`` are one address."""
    return _series(pc.replace_substring_regex(pc.utf8_lower(_arrow(norm)), r"\s+", ""), norm.index)


def normalise_name(norm: pd.Series) -> pd.Series:
    """Case-folded, single-spaced, no spaces between Chinese characters (张　伟 = 张伟)."""
    a = pc.utf8_lower(_arrow(norm))
    a = pc.replace_substring_regex(a, r"\s+", " ")
    for _ in range(2):  # overlapping pairs: 张 伟 明
        a = pc.replace_substring_regex(a, r"([\x{3400}-\x{9fff}]) ([\x{3400}-\x{9fff}])", r"\1\2")
    return _series(a, norm.index)


def normalise_phone(norm: pd.Series, country: str | None = None) -> tuple[pd.Series, str | None]:
    """Digits in international form without ``+``: ``138 1234 5678``, ``+86 138-1234-5678``
    and ``0086 13812345678`` all become ``8613812345678``.

    Numbers written without ``+``/``00`` get ``country``, by default the most common
    country prefix of the column's international numbers (so no country is assumed).
    """
    codes, uniques = pd.factorize(norm, use_na_sentinel=True)
    u = pd.Series(uniques, dtype="str")
    digits = u.str.replace(r"\D", "", regex=True)
    intl = u.str.match(r"^\s*(\+|00)").fillna(False).to_numpy(bool)
    digits = digits.where(~(intl & digits.str.startswith("00")), digits.str[2:])
    national = digits.where(~digits.str.startswith("0") | intl, digits.str[1:])  # trunk prefix 0
    if country is None and intl.any() and (~intl).any():
        width = national[~intl].str.len().mode()
        if len(width):
            longer = national[intl & (national.str.len() > width.iloc[0]).to_numpy(bool)]
            prefixes = longer.str[: -int(width.iloc[0])] if len(longer) else pd.Series([], dtype="str")
            country = prefixes.mode().iloc[0] if len(prefixes.mode()) else None
    key = national.where(intl, (country or "") + national)
    key = key.where(key.str.len() >= 6)
    out = np.append(key.to_numpy(dtype=object, na_value=None), None)[codes]
    return pd.Series(out, index=norm.index, dtype="str"), country


def _pii_kind(column: str) -> str:
    name = column.casefold()
    for kind, words in (("email", ("mail", "邮箱")), ("phone", ("phone", "mobile", "tel", "手机", "电话")),
                        ("name", ("name", "姓名", "名字"))):
        if any(w in name for w in words):
            return kind
    return "text"


def normalise_pii(norm: pd.Series, column: str, country: str | None = None) -> tuple[pd.Series, str | None]:
    """The matching form of a personal-data column, by what its name says it holds."""
    kind = _pii_kind(column)
    if kind == "email":
        email = normalise_email(norm)
        return email.where(email.str.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+").fillna(False)), None
    if kind == "phone":
        return normalise_phone(norm, country)
    a = pc.replace_substring_regex(pc.utf8_lower(_arrow(norm)), r"\s+", " ")
    return (normalise_name(norm) if kind == "name" else _series(a, norm.index)), None


# =================================================================== categories

def normalise_categories(raw: pd.Series, mapping: dict, tokens) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Canonical lower-case categories after the params' map.

    Returns
    -------
    values : Series of str
    missing : bool array
    variant : bool array
        Values written differently from the column's usual spelling of the same
        category (``M``, ``MALE``, ``男`` where the column says ``male``): repaired.
    """
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    fmap = {_fold(str(k)): _fold(str(v)) for k, v in (mapping or {}).items()}
    tokset = set(tokens)
    folded = [_fold(str(u)) for u in uniques]
    missing_u = np.array([f in tokset for f in folded] + [True])
    canon_u = np.array([fmap.get(f, f) for f in folded] + [None], dtype=object)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    usual: dict = {}
    is_canon = np.array([uniques[i] == canon_u[i] for i in range(len(uniques))], bool)
    for i in np.lexsort((~is_canon, -counts)):  # most frequent first; on a tie the canonical spelling
        if not missing_u[i]:
            usual.setdefault(canon_u[i], uniques[i])
    variant_u = np.array([not missing_u[i] and uniques[i] != usual[canon_u[i]] and uniques[i] != canon_u[i]
                          for i in range(len(uniques))] + [False])
    canon_u[missing_u] = None
    return (pd.Series(canon_u[codes], index=raw.index, dtype="str"), missing_u[codes], variant_u[codes])


# =================================================================== numbers

@dataclass
class Parsed:
    """One parsed column: values, and which cells were missing or could not be used."""

    values: np.ndarray
    missing: np.ndarray
    invalid: np.ndarray
    info: dict = field(default_factory=dict)


_CURRENCY = r"(?i)(rmb|cny|usd|eur|gbp|jpy|hkd|元|[¥$€£₩₹])"


def parse_numbers(s: pd.Series, tokens) -> Parsed:
    """Numbers as written in exports: ``¥1,234.50``, ``1.234,50 €``, ``(12.00)``, ``１２３``.

    Plain numbers take Arrow's fast cast; the rest are parsed per distinct value,
    with the decimal mark inferred from the whole column (``1.234`` in a column that
    also holds ``1.234,50`` is one thousand two hundred and thirty-four).
    """
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        values = s.to_numpy(dtype=float, na_value=np.nan)
        return Parsed(np.where(np.isinf(values), np.nan, values), np.isnan(values), np.isinf(values))
    a = pc.utf8_trim_whitespace(_arrow(s))
    a = pc.if_else(pc.equal(a, ""), pa.scalar(None, a.type), a)
    null = np.asarray(pc.is_null(a).to_numpy(zero_copy_only=False), bool)
    try:  # the usual case: every value a plain number
        values = np.asarray(pc.cast(a, pa.float64()).to_numpy(zero_copy_only=False), float)
        if not np.isnan(values[~null]).any():
            return Parsed(np.where(np.isinf(values), np.nan, values), null, np.isinf(values))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    plain = pc.fill_null(pc.match_substring_regex(a, _PLAIN_NUMBER), False)
    is_plain = np.asarray(plain.to_numpy(zero_copy_only=False), bool)
    values = np.full(len(a), np.nan)
    if is_plain.any():
        values[is_plain] = np.asarray(pc.cast(pc.filter(a, plain), pa.float64()).to_numpy(zero_copy_only=False), float)
    missing, invalid, info = null.copy(), np.zeros(len(a), bool), {}
    rest = ~is_plain & ~null
    if rest.any():
        codes, uniques = pd.factorize(_series(pc.filter(a, pa.array(rest)), None), use_na_sentinel=True)
        u_norm = normalise_text(pd.Series(uniques, dtype="str"))
        u_missing = missing_mask(u_norm, tokens)
        u_values, reformatted, decimal_comma = _parse_number_texts(u_norm.where(~u_missing))
        values[rest] = u_values[codes]
        missing[rest] = u_missing[codes]
        invalid[rest] = ~u_missing[codes] & ~np.isfinite(u_values[codes])
        info["reformatted"] = int(reformatted[codes].sum())
        if decimal_comma:  # plain "1.234" was read as 1.234; in this column it is 1234
            grouped = np.asarray(pc.fill_null(pc.match_substring_regex(a, r"^[-+]?\d{1,3}\.\d{3}$"), False)
                                 .to_numpy(zero_copy_only=False), bool)
            values[grouped] *= 1000
    invalid |= np.isinf(values)
    values[~np.isfinite(values)] = np.nan
    return Parsed(values, missing, invalid, info)


_PLAIN_NUMBER = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"


# A number under each convention: groups of three after the thousands mark, then decimals.
_DOT_DECIMAL = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_COMMA_DECIMAL = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?|,\d+"


def _parse_number_texts(u: pd.Series) -> tuple[np.ndarray, np.ndarray, bool]:
    """Parse what the fast path could not: values (NaN: not a number), which values
    needed reformatting, and whether the column writes decimals with a comma."""
    plain = np.array(pd.to_numeric(u, errors="coerce").to_numpy(dtype=float, na_value=np.nan), copy=True)
    rest = u[np.isnan(plain) & u.notna().to_numpy()]
    reformatted = np.zeros(len(u), bool)
    if not len(rest):
        return plain, reformatted, False
    t = rest.str.strip()
    negative = t.str.fullmatch(r"\(.*\)|-.*|.*-").fillna(False).to_numpy(bool)
    t = t.str.replace(r"[()]", "", regex=True).str.replace(_CURRENCY, "", regex=True)
    t = t.str.replace(r"(?<=\d)[\s'\u00a0\u202f](?=\d)", "", regex=True).str.strip().str.strip("+-").str.strip()
    exponent = t.str.fullmatch(r"\d+(?:\.\d+)?[eE][-+]?\d+").fillna(False).to_numpy(bool)
    dot = t.str.fullmatch(_DOT_DECIMAL).fillna(False).to_numpy(bool)
    comma = t.str.fullmatch(_COMMA_DECIMAL).fillna(False).to_numpy(bool)
    # The column's decimal mark: from the values that can only be read one way.
    decimal_comma = int((comma & ~dot).sum()) > int((dot & ~comma).sum())
    as_dot = t.str.replace(",", "", regex=False)
    as_comma = t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    first, second = (as_comma, as_dot) if decimal_comma else (as_dot, as_comma)
    ok_first, ok_second = (comma, dot) if decimal_comma else (dot, comma)
    text = first.where(ok_first, second.where(ok_second & ~ok_first, t.where(exponent)))
    parsed = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    parsed = np.where(negative, -parsed, parsed)
    where = np.flatnonzero(np.isnan(plain) & u.notna().to_numpy())
    plain[where] = parsed
    reformatted[where] = np.isfinite(parsed)
    return plain, reformatted, decimal_comma


# =================================================================== dates

_TIME = (r"(?:[ T]+(?P<H>\d{1,2})[:时](?P<M>\d{1,2})(?:[:分](?P<S>\d{1,2})(?:[.,]\d+)?)?秒?\s*(?P<P>[AaPp][Mm])?)?"
         r"\s*(?:Z|[+-]\d{2}:?\d{2})?")
DATE_SHAPES = {  # name -> pattern with groups a, b, c (year-first shapes: a = year)
    "ymd": r"(?P<a>\d{4})[-/.](?P<b>\d{1,2})[-/.](?P<c>\d{1,2})",
    "zh": r"(?P<a>\d{4})\s*年\s*(?P<b>\d{1,2})\s*月\s*(?P<c>\d{1,2})\s*[日号]?",
    "compact": r"(?P<a>\d{4})(?P<b>\d{2})(?P<c>\d{2})",
    "dm_y": r"(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})[-/.](?P<c>\d{4}|\d{2})",
}
_MONTH_NAMES = r"(?i)\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\b"


def parse_dates(s: pd.Series, tokens, fmt: str | None = None) -> Parsed:
    """Dates as real exports write them, one interpretation for the whole column.

    ``2024-01-05``, ``2024/1/5``, ``05.01.2024``, ``05-01-2024 14:30``, ``2024年1月5日``,
    ``20240105``, ``5 Jan 2024`` and Excel serial numbers (``45296``). Whether
    ``05/01/2024`` is the 5th of January or the 1st of May is decided once per column,
    from the values that can only be read one way (a first part above 12 means
    day first); ``fmt`` (strftime) overrides everything.

    Returns
    -------
    Parsed
        ``values`` datetime64[ns]; ``info["order"]`` says how ambiguous dates were read
        and why.
    """
    if pd.api.types.is_datetime64_any_dtype(s):
        values = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        values = values.to_numpy(dtype="datetime64[ns]")
        return Parsed(values, np.isnat(values), np.zeros(len(s), bool), {"order": "typed"})
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    u = normalise_text(pd.Series(uniques, dtype="str"))
    u_missing = missing_mask(u, tokens)
    u = u.where(~u_missing)
    if fmt:
        parsed = pd.to_datetime(u, format=fmt, errors="coerce")
        info = {"order": "format", "format": fmt}
    else:
        parsed, info = _parse_date_texts(u)
    values = np.array(parsed.to_numpy(dtype="datetime64[ns]"), copy=True) if len(parsed) else np.array([], "datetime64[ns]")
    years = values.astype("datetime64[Y]").astype(float) + 1970
    bad_year = ~np.isnat(values) & ((years < YEARS[0]) | (years > YEARS[1]))
    values[bad_year] = np.datetime64("NaT")
    u_invalid = ~u_missing & np.isnat(values)
    pick = lambda arr, fill: np.append(arr, np.array([fill], dtype=arr.dtype))[codes]  # noqa: E731
    return Parsed(pick(values, np.datetime64("NaT", "ns")), pick(u_missing, True), pick(u_invalid, False), info)


def _parse_date_texts(u: pd.Series) -> tuple[pd.Series, dict]:
    out = pd.Series(pd.NaT, index=u.index, dtype="datetime64[ns]")
    todo = np.array(u.notna(), dtype=bool)
    try:  # the common case, in C: ISO dates and times, year first
        fast = pd.to_datetime(u.where(todo), format="ISO8601", errors="coerce")
        fast = fast.dt.tz_localize(None) if fast.dt.tz is not None else fast
        out[:] = fast.astype("datetime64[ns]")
    except (ValueError, TypeError, OverflowError):
        pass
    todo &= np.array(out.isna(), dtype=bool)
    info = {"order": "year first"}
    if not todo.any():
        return out, info
    rest = u[todo]
    parts = {}
    for name, pattern in DATE_SHAPES.items():
        found = rest.str.extract(f"^{pattern}{_TIME}$")
        found = found[found["a"].notna()]
        parts[name] = found
        rest = rest.drop(found.index)
    ambiguous = parts.pop("dm_y")
    if len(ambiguous):
        first, second = ambiguous["a"].astype(int), ambiguous["b"].astype(int)
        day_first, month_first = int((first > 12).sum()), int((second > 12).sum())
        if day_first or month_first:
            order = "day first" if day_first >= month_first else "month first"
            basis = f"{max(day_first, month_first)} value(s) can only be read {order}"
            if day_first and month_first:
                basis += f", {min(day_first, month_first)} only the other way (read as invalid)"
        else:
            dotted = (ambiguous["sep"] == ".").all()
            order = "day first"
            basis = "dotted dates are day first" if dotted else \
                "no value decides; day first assumed (set cleaning.date_formats to be sure)"
        year = ambiguous["c"].astype(int)
        pivot = dt.date.today().year % 100
        year = year.where(ambiguous["c"].str.len() == 4, np.where(year <= pivot, 2000 + year, 1900 + year))
        day, month = (first, second) if order == "day first" else (second, first)
        parts["dm_y"] = ambiguous.assign(a=year, b=month, c=day)
        info = {"order": order, "basis": basis}
    for found in parts.values():
        if len(found):
            out[found.index] = _assemble(found)
    # Excel serial numbers and dates with month names, among what is left
    serial = pd.to_numeric(rest.where(rest.str.fullmatch(r"\d{5}(\.\d+)?").fillna(False)), errors="coerce")
    serial = serial[(serial >= 20000) & (serial < 80000)]
    if len(serial):
        out[serial.index] = (_EXCEL_EPOCH + (serial.to_numpy() * 86400).astype("timedelta64[s]")).astype("datetime64[ns]")
    named = rest.drop(serial.index)
    named = named[named.str.contains(_MONTH_NAMES, regex=True).fillna(False)]
    if len(named):
        with_names = pd.to_datetime(named, format="mixed", dayfirst=info.get("order") == "day first", errors="coerce")
        out[named.index] = with_names.astype("datetime64[ns]")
    return out, info


def _assemble(found: pd.DataFrame) -> pd.Series:
    """Dates from their parts; impossible ones (31 February) become NaT."""
    hour = pd.to_numeric(found["H"], errors="coerce").fillna(0)
    pm = found["P"].str.lower().eq("pm").fillna(False).to_numpy(bool)
    hour = np.where(pm & (hour < 12), hour + 12, hour)
    frame = pd.DataFrame({
        "year": pd.to_numeric(found["a"]), "month": pd.to_numeric(found["b"]), "day": pd.to_numeric(found["c"]),
        "hour": hour, "minute": pd.to_numeric(found["M"], errors="coerce").fillna(0),
        "second": pd.to_numeric(found["S"], errors="coerce").fillna(0),
    }, index=found.index)
    bad = ((frame["year"] < YEARS[0]) | (frame["year"] > YEARS[1]) | (frame["hour"] > 23)
           | (frame["minute"] > 59) | (frame["second"] > 59))
    frame = frame[~bad]
    out = pd.Series(pd.NaT, index=found.index, dtype="datetime64[ns]")
    if len(frame):
        out[frame.index] = pd.to_datetime(frame, errors="coerce").astype("datetime64[ns]")
    return out


# =================================================================== the ledger

class Ledger:
    """What happened to every row of one input: kept, merged, repaired or quarantined.

    Rows are addressed by position in the raw table; ``rows`` holds their 1-based
    data row numbers in the source file.
    """

    def __init__(self, source: str, raw: pd.DataFrame, info: dict):
        self.source = source
        self.raw = raw.reset_index(drop=True)
        self.info = info
        self.n = len(self.raw)
        self.rows = np.asarray(info.get("row_numbers", np.arange(1, self.n + 1)), dtype=np.int64)
        self.malformed = list(info.get("malformed", []))
        self.alive = np.ones(self.n, bool)
        self.merged = np.zeros(self.n, bool)
        self.q_event = np.full(self.n, -1, np.int32)
        self.events: list[tuple[np.ndarray, str, str | None]] = []
        self.by_rule, self.quarantined_by_rule, self.merged_by_rule = Counter(), Counter(), Counter()
        self.missing, self.invalid, self.imputed, self.repaired = Counter(), Counter(), Counter(), Counter()
        self.repairs: list[pd.DataFrame] = []
        self.id_map: list[pd.DataFrame] = []
        self.notes: list[str] = []
        self.extra: dict = {}
        if self.malformed:
            self.by_rule["malformed_line"] = self.quarantined_by_rule["malformed_line"] = len(self.malformed)

    def quarantine(self, checks) -> None:
        """Take rows out, each under the first rule it meets; every rule met is a reason.

        ``checks`` is a sequence of ``(rule, column, mask)`` over all rows.
        """
        alive0 = self.alive.copy()
        for rule, column, mask in checks:
            pos = np.flatnonzero(np.asarray(mask, bool) & alive0)
            if not len(pos):
                continue
            self.by_rule[rule] += len(pos)
            self.events.append((pos, rule, column))
            new = pos[self.alive[pos]]
            self.q_event[new] = len(self.events) - 1
            self.alive[new] = False
            self.quarantined_by_rule[rule] += len(new)

    def merge(self, pos: np.ndarray, merged_id, survivor_id, rule, matched_on, survivor_pos) -> None:
        """Rows absorbed by a surviving row (``rule`` says why they are the same), for ``id_map.csv``."""
        if not len(pos):
            return
        self.alive[pos] = False
        self.merged[pos] = True
        rules = pd.Series(rule, index=range(len(pos))) if isinstance(rule, str) else pd.Series(np.asarray(rule))
        for r, k in rules.value_counts().items():
            self.by_rule[r] += int(k)
            self.merged_by_rule[r] += int(k)
        self.id_map.append(pd.DataFrame({
            "merged_id": np.asarray(merged_id, dtype=object), "survivor_id": np.asarray(survivor_id, dtype=object),
            "rule": rules.to_numpy(dtype=object), "source": self.source, "source_row": self.rows[pos],
            "survivor_row": self.rows[survivor_pos],
            "matched_on": np.broadcast_to(np.asarray(matched_on, dtype=object), (len(pos),)),
        }))

    def log(self, pos: np.ndarray, column: str, rule: str, old, new) -> None:
        """A changed value in a kept row, for ``repairs.csv``."""
        if not len(pos):
            return
        self.by_rule[rule] += len(pos)
        self.repairs.append(pd.DataFrame({
            "source": self.source, "source_row": self.rows[pos], "column": column, "rule": rule,
            "old": _texts(old, len(pos)), "new": _texts(new, len(pos)),
        }))

    def repair(self, pos: np.ndarray, column: str, rule: str, old, new) -> None:
        """Values repaired (or imputed) in kept rows."""
        self.log(pos, column, rule, old, new)
        if len(pos):
            (self.imputed if rule == "imputed" else self.repaired)[column] += len(pos)

    def flag_invalid(self, pos: np.ndarray, column: str, rule: str, old) -> None:
        """Values unusable as written: counted, logged, then treated as missing."""
        self.log(pos, column, rule, old, None)
        if len(pos):
            self.invalid[column] += len(pos)

    def raw_text(self, column: str, pos) -> np.ndarray:
        if column not in self.raw:
            return np.full(len(pos), None)
        return self.raw[column].iloc[pos].to_numpy(dtype=object, na_value=None)

    # ---- outputs

    def accounting(self) -> dict:
        rows_in = self.n + len(self.malformed)
        quarantined = int((~self.alive & ~self.merged).sum()) + len(self.malformed)
        out = {
            "rows_in": rows_in, "rows_clean": int(self.alive.sum()), "duplicates_merged": int(self.merged.sum()),
            "rows_quarantined": quarantined,
            "by_rule": dict(sorted(self.by_rule.items())),
            "quarantined_by_rule": dict(sorted(self.quarantined_by_rule.items())),
            "merged_by_rule": dict(sorted(self.merged_by_rule.items())),
            "missing": dict(self.missing), "invalid": dict(self.invalid),
            "imputed": dict(self.imputed), "repaired": dict(self.repaired),
        }
        if out["rows_in"] != out["rows_clean"] + out["duplicates_merged"] + out["rows_quarantined"]:
            raise RuntimeError(f"{self.source}: row accounting does not add up: {out}")  # a bug, not bad data
        return out

    def quarantine_frame(self, hash_value) -> pd.DataFrame:
        """One line per quarantined row: where it came from, why, and its values."""
        pos = np.flatnonzero(~self.alive & ~self.merged)
        reasons: dict[int, list[str]] = {}
        for epos, rule, column in self.events:
            hit = epos[~self.alive[epos] & ~self.merged[epos]]
            for p in hit.tolist():
                reasons.setdefault(p, []).append(_reason(rule, column))
        first = [self.events[e] for e in self.q_event[pos]]
        frame = pd.DataFrame({
            "source": self.source, "source_row": self.rows[pos],
            "rule": [e[1] for e in first], "column": [e[2] or "" for e in first],
            "reason": ["; ".join(dict.fromkeys(reasons.get(p, []))) for p in pos.tolist()],
        })
        values = self.raw.iloc[pos].reset_index(drop=True)
        for col in values.columns:
            values[col] = hash_value(col, values[col])
        frame = pd.concat([frame, values], axis=1)
        if self.malformed:
            bad = pd.DataFrame({"source": self.source, "source_row": [r for r, _ in self.malformed],
                                "rule": "malformed_line", "column": "",
                                "reason": [m for _, m in self.malformed]})
            frame = pd.concat([frame, bad], ignore_index=True)
        return frame.sort_values("source_row", kind="stable")


def _texts(values, n) -> np.ndarray:
    if values is None:
        return np.full(n, "", dtype=object)
    arr = np.asarray(values, dtype=object) if not np.isscalar(values) else np.full(n, values, dtype=object)
    out = np.empty(len(arr), dtype=object)
    for i, v in enumerate(arr):  # only the logged subset
        out[i] = "" if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT else \
            (str(v)[:10] if isinstance(v, (pd.Timestamp, np.datetime64)) and str(v).endswith("00:00:00") else str(v))
    return out


def _reason(rule: str, column: str | None) -> str:
    return f"{column}: {RULES[rule]}" if column else RULES[rule]


# =================================================================== customers

@dataclass
class Customers:
    """The cleaned customer table and what happened on the way."""

    table: pd.DataFrame  # one row per surviving customer (PII still in matching form)
    ledger: Ledger
    merged_to: dict  # merged id -> survivor id
    quarantined_ids: set
    info: dict


def _tokens(cfg):
    return token_set(cfg.cleaning.missing_tokens)


def clean_customers(cfg, raw: pd.DataFrame, info: dict, *, as_of: pd.Timestamp, future_after: pd.Timestamp,
                    id_column: str | None = None, source: str = "customers") -> Customers:
    """Standardise, validate, de-duplicate and impute the customer table.

    Parameters
    ----------
    cfg : RunConfig
    raw, info : from :func:`seglab.sources.read_source`
    as_of : Timestamp
        Reference date for ages derived from birth dates.
    future_after : Timestamp
        Dates after this are impossible (``data.as_of``, else today).
    id_column : str, optional
        Overrides ``columns.customer_id`` (a table derived from transactions).
    """
    cols, rules = cfg.columns, cfg.cleaning
    id_col = id_column or cols.customer_id
    tokens = _tokens(cfg)
    led = Ledger(source, raw, info)
    path = info.get("path", source)
    led.quarantine([("empty_row", None, _empty_rows(led.raw, tokens))])
    _merge_exact(led, id_col)

    work = pd.DataFrame(index=led.raw.index)
    if id_col:
        ids = normalise_ids(led.raw[id_col], tokens)
        led.missing[id_col] += int(ids.isna().sum())
    else:
        ids = pd.Series(led.rows.astype(str), index=led.raw.index, dtype="str")
    work["customer_id"] = ids
    led.quarantine([("missing_id", id_col, ids.isna().to_numpy())])

    match_keys, hash_inputs = {}, {}
    for col in cols.pii:
        norm, miss = _present(normalise_text(led.raw[col]), tokens)
        led.missing[col] += int(miss.sum())
        key, country = normalise_pii(norm, col, rules.phone_country_code)
        if country:
            led.extra.setdefault("phone_country_code", {})[col] = country
        match_keys[col] = key
        hash_inputs[col] = key.fillna(normalise_pii_text(norm))
    for col in cols.numeric:
        if col == "age" and cols.birth_date and col not in led.raw:
            continue
        parsed = parse_numbers(led.raw[col], tokens)
        _check_parsed(parsed, path, col, "numbers", "declare it under columns.categorical or fix the values")
        led.missing[col] += int(parsed.missing.sum())
        if parsed.info.get("reformatted"):
            led.extra.setdefault("reformatted_numbers", {})[col] = parsed.info["reformatted"]
        bad = np.flatnonzero(parsed.invalid & led.alive)
        led.flag_invalid(bad, col, "bad_number", led.raw_text(col, bad))
        work[col] = parsed.values
    for col in cols.categorical:
        values, miss, variant = normalise_categories(led.raw[col], rules.categories.get(col, {}), tokens)
        led.missing[col] += int(miss.sum())
        pos = np.flatnonzero(variant & led.alive)
        led.repair(pos, col, "category_variant", led.raw_text(col, pos), values.to_numpy(dtype=object)[pos])
        work[col] = values
        if col in rules.categories:
            known = {_fold(str(v)) for v in rules.categories[col].values()} | {_fold(str(k)) for k in rules.categories[col]}
            other = values[led.alive & ~miss & ~values.isin(list(known)).to_numpy()]
            if len(other):
                top = other.value_counts().head(10)
                led.extra.setdefault("unmapped_categories", {})[col] = {str(k): int(v) for k, v in top.items()}
    date_info = {}
    for col in list(cols.dates) + ([cols.birth_date] if cols.birth_date else []):
        parsed = parse_dates(led.raw[col], tokens, rules.date_formats.get(col))
        _check_parsed(parsed, path, col, "dates", f"set cleaning.date_formats.{col} (e.g. '%d/%m/%Y') or fix the values")
        date_info[col] = parsed.info
        led.missing[col] += int(parsed.missing.sum())
        bad = np.flatnonzero(parsed.invalid & led.alive)
        led.flag_invalid(bad, col, "bad_date", led.raw_text(col, bad))
        values = parsed.values.copy()
        future = np.flatnonzero((values > future_after.to_datetime64()) & led.alive)
        led.flag_invalid(future, col, "future_date", led.raw_text(col, future))
        values[future] = np.datetime64("NaT")
        work[col] = values
    if cols.birth_date:
        work["age"] = _age(work[cols.birth_date], as_of).where(work[cols.birth_date].notna(),
                                                               work["age"] if "age" in work else np.nan)
    for col, (lo, hi) in rules.ranges.items():
        if col not in work:
            continue
        v = pd.to_numeric(work[col], errors="coerce") if not pd.api.types.is_datetime64_any_dtype(work[col]) else None
        if v is None:
            continue
        out = ((v < lo) if lo is not None else False) | ((v > hi) if hi is not None else False)
        pos = np.flatnonzero(np.asarray(out, bool) & led.alive)
        old = led.raw_text(col, pos) if col in led.raw else work[col].to_numpy()[pos]
        led.flag_invalid(pos, col, "out_of_range", old)
        work.loc[pos, col] = np.nan
    for col in list(cols.numeric) + list(cols.categorical) + list(cols.dates):
        if col in work and led.alive.any() and work[col][led.alive].isna().all():
            raise DataError(f"{path}: column '{col}' has no usable value in any row; fill it or remove it from the params")
    checks = []
    for col in rules.required:
        values = match_keys.get(col, work.get(col))
        missing = values.isna().to_numpy() if values is not None else missing_mask(normalise_text(led.raw[col]), tokens)
        checks.append(("missing_required", col, missing))
    led.quarantine(checks)

    for col in rules.dedupe_on:  # keys that are not personal data match on their folded text
        if col not in match_keys:
            norm, _ = _present(normalise_text(led.raw[col]), tokens)
            match_keys[col] = normalise_pii_text(norm)
    for col, key in match_keys.items():
        work[f"__key_{col}"] = key
        if col in hash_inputs:
            work[f"__pii_{col}"] = hash_inputs[col]
    merged_to = _dedupe(cfg, led, work)
    _impute(cfg, led, work)
    table = work[led.alive]
    if table.empty:
        top = led.quarantined_by_rule.most_common(1)
        why = f" (most often: {RULES[top[0][0]]})" if top else ""
        raise DataError(f"{path}: no usable customer rows{why}; fix the file or the cleaning rules in the params")
    kept = set(table["customer_id"])
    # a record merged into a survivor that was then quarantined goes with it
    gone = set(work["customer_id"][~led.alive & ~led.merged].dropna()) | {m for m, s in merged_to.items() if s not in kept}
    merged_to = {m: s for m, s in merged_to.items() if s in kept}
    info = {"date_order": date_info, **info}
    return Customers(table.reset_index(drop=True), led, merged_to, gone - kept, info)


def normalise_pii_text(norm: pd.Series) -> pd.Series:
    """The hashed form of a personal value that is no valid key: lower-case, single-spaced."""
    return _series(pc.replace_substring_regex(pc.utf8_lower(_arrow(norm)), r"\s+", " "), norm.index)


def _check_parsed(parsed: Parsed, path, col, what, todo) -> None:
    present = int((~parsed.missing).sum())
    bad = int(parsed.invalid.sum())
    if present and bad > MAX_UNPARSEABLE_SHARE * present:
        raise DataError(f"{path}: column '{col}': {bad} of {present} values are not {what}; {todo}")


def _empty_rows(raw: pd.DataFrame, tokens) -> np.ndarray:
    if raw.shape[1] == 0:
        return np.ones(len(raw), bool)
    empty = np.ones(len(raw), bool)
    for col in raw.columns:
        a = pc.utf8_trim_whitespace(_arrow(raw[col]))
        empty &= np.asarray(pc.or_kleene(pc.is_null(a), pc.equal(a, "")).to_numpy(zero_copy_only=False), bool)
        if not empty.any():
            break
    return empty


def _merge_exact(led: Ledger, id_col: str | None) -> None:
    """Identical rows: the later copies merge into the first.

    A cheap fingerprint per row finds the candidates (a collision only adds a
    candidate), and the few candidates are compared whole; hashing whole rows of
    twenty million lines with pandas would take a minute.
    """
    alive = np.flatnonzero(led.alive)
    if len(alive) < 2:
        return
    prints = _row_fingerprints(led.raw)[alive]
    cand = alive[pd.Series(prints).duplicated(keep=False).to_numpy()]
    if len(cand) < 2:
        return
    sub = led.raw.iloc[cand]
    dup = sub.duplicated(keep="first").to_numpy()
    if not dup.any():
        return
    group = sub.groupby(list(sub.columns), dropna=False, sort=False).ngroup().to_numpy()
    first = pd.Series(cand).groupby(group).transform("min").to_numpy()
    pos, anchors = cand[dup], first[dup]
    ids = led.raw[id_col].to_numpy(dtype=object, na_value=None) if id_col else led.rows.astype(str)
    led.merge(pos, ids[pos], ids[anchors], "exact_duplicate", "all columns", anchors)


_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2**64 - 1], dtype=np.uint64)


def _row_fingerprints(raw: pd.DataFrame) -> np.ndarray:
    """A 64-bit fingerprint per row: equal rows always get equal ones."""
    h = np.zeros(len(raw), np.uint64)
    for col in raw.columns:
        s = raw[col]
        if isinstance(s.dtype, pd.StringDtype) or s.dtype == object:
            arr = _arrow(s)
            part = np.concatenate([_string_prints(c) for c in arr.chunks]) if arr.num_chunks else np.zeros(0, np.uint64)
        else:
            part = pd.util.hash_array(s.to_numpy())
        h = h * np.uint64(0x100000001B3) ^ part
    return h


def _string_prints(chunk: pa.Array) -> np.ndarray:
    """Length, first and last 8 bytes of each string, mixed: read straight from Arrow's buffers."""
    from numpy.lib.stride_tricks import as_strided

    n = len(chunk)
    if n == 0:
        return np.zeros(0, np.uint64)
    validity, offsets_buf, data_buf = chunk.buffers()[:3]
    width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    offsets = np.frombuffer(offsets_buf, dtype=width)[chunk.offset: chunk.offset + n + 1].astype(np.int64)
    data = np.frombuffer(data_buf, dtype=np.uint8)[: offsets[-1]] if data_buf is not None else np.zeros(0, np.uint8)
    padded = np.concatenate([data, np.zeros(8, np.uint8)])
    words = as_strided(padded, shape=(len(padded) - 7, 8), strides=(1, 1))
    start, length = offsets[:-1], np.diff(offsets)
    mask = _MASKS[np.minimum(length, 8)]
    first = words[start].copy().view("<u8").ravel() & mask
    last = words[np.maximum(offsets[1:] - 8, start)].copy().view("<u8").ravel() & mask
    h = (first * np.uint64(0x9E3779B97F4A7C15)) ^ (last * np.uint64(0xC2B2AE3D27D4EB4F)) ^ \
        (length.astype(np.uint64) * np.uint64(0x165667B19E3779F9))
    if chunk.null_count:
        h[~np.asarray(chunk.is_valid().to_numpy(zero_copy_only=False), bool)] = np.uint64(0xDEADBEEFCAFEF00D)
    return h


def _age(birth: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    b = pd.to_datetime(birth)
    years = as_of.year - b.dt.year
    before = (b.dt.month > as_of.month) | ((b.dt.month == as_of.month) & (b.dt.day > as_of.day))
    return (years - before.astype(int)).astype(float)


# =================================================================== de-duplication

def _dedupe(cfg, led: Ledger, work: pd.DataFrame) -> dict:
    """Merge records of one customer; returns merged id -> survivor id.

    Records are one customer when they have the same id, or are equal on every
    ``dedupe_on`` key after normalisation, or (``fuzzy_names``) share one key and have
    names scoring at least ``fuzzy_threshold`` (rapidfuzz ``token_sort_ratio``). Key
    values shared by more than ``dedupe_max_block`` records are placeholders and link
    nobody. The survivor is the most complete record, then the most recent.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rules = cfg.cleaning
    pos = np.flatnonzero(led.alive)
    n = len(pos)
    if n < 2:
        return {}
    sub = work.iloc[pos].reset_index(drop=True)
    edges = [_block_edges(pd.factorize(sub["customer_id"])[0], None)]
    keys = list(rules.dedupe_on)
    key_codes = {c: pd.factorize(sub[f"__key_{c}"])[0] for c in keys}
    placeholders = {}
    if keys:
        frame = pd.DataFrame(key_codes)
        whole = np.array(frame.groupby(keys, sort=False).ngroup(), dtype=np.int64)
        whole[(frame < 0).any(axis=1).to_numpy()] = -1
        edges.append(_block_edges(whole, rules.dedupe_max_block, placeholders, "+".join(keys)))
    fuzzy_edges = None
    if rules.fuzzy_names and keys:
        names = _name_series(cfg, sub, led.info.get("path"))
        fuzzy_edges = _fuzzy_edges(key_codes, names, rules, placeholders)
        edges.append(fuzzy_edges)
    if placeholders:
        led.extra["placeholder_keys"] = placeholders
    i = np.concatenate([e[0] for e in edges])
    j = np.concatenate([e[1] for e in edges])
    if not len(i):
        return {}
    _, comp = connected_components(coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n)), directed=False)
    sizes = np.bincount(comp)
    multi = sizes[comp] > 1
    if not multi.any():
        return {}
    completeness = _completeness(cfg, sub)
    recency = _recency(cfg, sub)
    order = np.lexsort((-np.arange(n), -recency, -completeness, comp))
    survivor = np.empty(sizes.shape[0], np.int64)
    first_in_comp = np.r_[True, comp[order][1:] != comp[order][:-1]]
    survivor[comp[order][first_in_comp]] = order[first_in_comp]
    surv_of = survivor[comp]
    merged = np.flatnonzero(multi & (surv_of != np.arange(n)))
    _coalesce(led, work, sub, pos, comp, order, multi)
    ids = sub["customer_id"].to_numpy(dtype=object)
    same_id = ids[merged] == ids[surv_of[merged]]
    same_keys = np.ones(len(merged), bool) if keys else np.zeros(len(merged), bool)
    for c in keys:
        same_keys &= (key_codes[c][merged] == key_codes[c][surv_of[merged]]) & (key_codes[c][merged] >= 0)
    linked = "fuzzy_name" if fuzzy_edges is not None else "duplicate_key"  # directly or through another record
    rule = np.where(same_id, "duplicate_id", np.where(same_keys, "duplicate_key", linked))
    matched = np.where(same_id, "customer_id", np.where(same_keys, "+".join(keys), "shared key and similar name"))
    led.merge(pos[merged], ids[merged], ids[surv_of[merged]], rule, matched, pos[surv_of[merged]])
    return {m: s for m, s in zip(ids[merged], ids[surv_of[merged]]) if m != s}


def _block_edges(codes: np.ndarray, max_block, placeholders=None, label="") -> tuple[np.ndarray, np.ndarray]:
    """Link every member of a block of equal codes to the block's first member."""
    ok = codes >= 0
    if max_block is not None and ok.any():
        counts = np.bincount(codes[ok])
        big = counts > max_block
        if big.any():
            if placeholders is not None:
                placeholders[label] = int(big.sum())
            ok &= ~big[np.maximum(codes, 0)]
    idx = np.flatnonzero(ok)
    if not len(idx):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    first = pd.Series(idx).groupby(codes[idx]).transform("min").to_numpy()
    keep = first != idx
    return idx[keep], first[keep]


def _name_series(cfg, sub: pd.DataFrame, path) -> pd.Series:
    name = cfg.cleaning.name_column or next((c for c in cfg.columns.pii if _pii_kind(c) == "name"), None)
    if name is None or f"__key_{name}" not in sub:
        raise DataError(f"{path}: cleaning.fuzzy_names needs a name column; set cleaning.name_column to a pii column")
    return sub[f"__key_{name}"]


def _fuzzy_edges(key_codes: dict, names: pd.Series, rules, placeholders) -> tuple[np.ndarray, np.ndarray]:
    """Pairs sharing one key whose names are near-identical (all pairs within each block)."""
    from rapidfuzz import fuzz, process

    left, right = [], []
    for col, codes in key_codes.items():
        ok = codes >= 0
        counts = np.bincount(codes[ok]) if ok.any() else np.zeros(0, int)
        ok &= (counts[np.maximum(codes, 0)] <= rules.dedupe_max_block) if len(counts) else ok
        idx = np.flatnonzero(ok)
        idx = idx[np.argsort(codes[idx], kind="stable")]
        c = codes[idx]
        for k in range(1, rules.dedupe_max_block):
            same = c[k:] == c[:-k]
            left.append(idx[:-k][same])
            right.append(idx[k:][same])
    i, j = (np.concatenate(x) if x else np.zeros(0, np.int64) for x in (left, right))
    text = names.to_numpy(dtype=object, na_value=None)
    has = np.array([text[a] is not None and text[b] is not None for a, b in zip(i, j)], bool) if len(i) else np.zeros(0, bool)
    i, j = i[has], j[has]
    if not len(i):
        return i, j
    scores = process.cpdist(list(text[i]), list(text[j]), scorer=fuzz.token_sort_ratio, workers=1)
    keep = scores >= rules.fuzzy_threshold
    return i[keep], j[keep]


def _declared(cfg) -> list[str]:
    c = cfg.columns
    return list(dict.fromkeys([*c.numeric, *c.categorical, *c.dates, *([c.birth_date] if c.birth_date else [])]))


def _completeness(cfg, sub: pd.DataFrame) -> np.ndarray:
    cols = [c for c in _declared(cfg) if c in sub] + [f"__pii_{c}" for c in cfg.columns.pii if f"__pii_{c}" in sub]
    return sub[cols].notna().sum(axis=1).to_numpy() if cols else np.zeros(len(sub))


def _recency(cfg, sub: pd.DataFrame) -> np.ndarray:
    date = next((c for c in cfg.columns.dates if c in sub), None)
    if date is None:
        return np.zeros(len(sub))
    v = sub[date].to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(float)
    v[np.isnat(sub[date].to_numpy(dtype="datetime64[ns]"))] = -np.inf
    return v


def _coalesce(led, work, sub, pos, comp, order, multi) -> None:
    """Fill a survivor's gaps from its merged records, best record first."""
    cols = [c for c in work.columns if c != "customer_id"]
    members = order[multi[order]]
    ranked = sub.iloc[members]
    best = ranked[cols].groupby(comp[members], sort=False).first()
    surv_rows = members[np.r_[True, comp[members][1:] != comp[members][:-1]]]
    for col in cols:
        current = sub[col].to_numpy()[surv_rows]
        fill = best.loc[comp[surv_rows], col].to_numpy()
        gap = pd.isna(current) & ~pd.isna(fill)
        if not gap.any():
            continue
        where = pos[surv_rows[gap]]
        work.loc[where, col] = fill[gap]
        if not col.startswith("__key_"):
            name = col.removeprefix("__pii_")
            shown = "(personal data)" if col.startswith("__pii_") else fill[gap]
            old = "" if col.startswith("__pii_") else led.raw_text(name, where)
            led.repair(where, name, "filled_from_duplicate", old, shown)


# =================================================================== missing values

def _strategy(cfg, col: str, kind: str):
    m = cfg.cleaning.missing
    spec = m.columns.get(col, getattr(m, kind))
    if isinstance(spec, str):
        return spec, None
    return spec.strategy, spec.value


def _impute(cfg, led: Ledger, work: pd.DataFrame) -> None:
    """Fill or quarantine what is still missing, per column or per column type."""
    c = cfg.columns
    kinds = [(col, "numeric") for col in c.numeric] + [(col, "categorical") for col in c.categorical] + \
            [(col, "dates") for col in c.dates]
    if c.birth_date and "age" not in c.numeric:
        kinds.append(("age", "numeric"))
    led.extra["imputation"] = {}
    quarantine = []
    for col, kind in kinds:
        if col not in work:
            continue
        strategy, value = _strategy(cfg, col, kind)
        miss = work[col].isna().to_numpy() & led.alive
        if strategy == "quarantine":
            quarantine.append(("missing_value", col, miss))
            continue
        if strategy == "keep" or not miss.any():
            continue
        live = work[col][led.alive].dropna()
        if strategy == "constant":
            if value is None:
                raise DataError(f"cleaning.missing: '{col}' uses strategy constant without a value; "
                                f"write missing.columns.{col}: {{strategy: constant, value: ...}}")
            fill = value
        elif not len(live):
            continue
        elif strategy in ("median", "mean") and kind != "categorical":
            fill = live.median() if strategy == "median" else live.mean()
        else:  # mode; also median/mean asked of a categorical column
            counts = live.value_counts()
            fill = sorted(counts[counts == counts.max()].index)[0]
        pos = np.flatnonzero(miss)
        old = led.raw_text(col, pos)
        if kind == "dates":
            fill = pd.Timestamp(fill)
        elif kind == "numeric":
            try:
                fill = float(fill)
            except (TypeError, ValueError):
                raise DataError(f"cleaning.missing.columns.{col}: the constant {value!r} is not a number") from None
        else:
            fill = _fold(str(fill))
        work.loc[pos, col] = fill
        led.repair(pos, col, "imputed", old, fill)
        shown = fill.date().isoformat() if isinstance(fill, pd.Timestamp) else fill
        led.extra["imputation"][col] = {"strategy": strategy, "value": shown}
    led.quarantine(quarantine)


# =================================================================== transactions

@dataclass
class Lines:
    """Transaction lines after the line-level checks (customer ids not yet resolved)."""

    frame: pd.DataFrame  # customer_id, order_id?, date, amount, is_return, aligned with the ledger
    ledger: Ledger
    as_of: pd.Timestamp | None


def clean_lines(cfg, raw: pd.DataFrame, info: dict, *, future_after: pd.Timestamp) -> Lines:
    """Check each transaction line on its own: id, date, amount, returns, exact copies."""
    tx, rules = cfg.columns.transactions, cfg.cleaning
    tokens = _tokens(cfg)
    led = Ledger("transactions", raw, info)
    path = info.get("path", "transactions")
    led.quarantine([("empty_row", None, _empty_rows(led.raw, tokens))])
    _merge_exact(led, tx.customer_id)
    frame = pd.DataFrame(index=led.raw.index)
    frame["customer_id"] = normalise_ids(led.raw[tx.customer_id], tokens)
    led.missing[tx.customer_id] += int(frame["customer_id"].isna().sum())
    dates = parse_dates(led.raw[tx.date], tokens, rules.date_formats.get(tx.date))
    _check_parsed(dates, path, tx.date, "dates", f"set cleaning.date_formats.{tx.date} (e.g. '%d/%m/%Y') or fix the values")
    led.missing[tx.date] += int(dates.missing.sum())
    led.extra["date_order"] = {tx.date: dates.info}
    future = dates.values > future_after.to_datetime64()
    amount, bad_amount, missing_amount, qty_negative = _amounts(cfg, led, tokens, path)
    cancelled = np.zeros(led.n, bool)
    if tx.order_id:
        frame["order_id"] = normalise_ids(led.raw[tx.order_id], tokens)
        cancelled = np.array(frame["order_id"].str.startswith(rules.cancel_prefix).fillna(False), dtype=bool)
        if cancelled.mean() > 0.5:
            led.notes.append(f"most order ids start with '{rules.cancel_prefix}', so it is not read as a cancellation mark")
            cancelled[:] = False
    is_return = cancelled | qty_negative | ((amount < 0) & ~bool(tx.order_id))
    led.quarantine([
        ("missing_id", tx.customer_id, frame["customer_id"].isna().to_numpy()),
        ("missing_date", tx.date, dates.missing),
        ("bad_date", tx.date, dates.invalid),
        ("future_date", tx.date, future),
        ("missing_amount", tx.amount or tx.quantity, missing_amount),
        ("bad_amount", tx.amount or tx.quantity, bad_amount),
        ("zero_amount", tx.amount or tx.quantity, amount == 0),
        ("negative_amount", tx.amount or tx.quantity, (amount < 0) & ~is_return),
    ])
    for col, mask in ((tx.date, dates.invalid | future), (tx.amount or tx.quantity, bad_amount)):
        led.invalid[col] += int(mask.sum())
    flip = np.flatnonzero(is_return & (amount > 0) & led.alive)
    if len(flip):
        led.repair(flip, tx.amount or tx.quantity, "return_sign", amount[flip], -amount[flip])
        amount[flip] = -amount[flip]
    frame["date"] = dates.values
    frame["amount"] = amount
    frame["is_return"] = is_return
    led.extra["returns"] = int((is_return & led.alive).sum())
    valid = frame["date"][led.alive]
    return Lines(frame, led, pd.Timestamp(valid.max()) if valid.notna().any() else None)


def _amounts(cfg, led: Ledger, tokens, path):
    tx = cfg.columns.transactions
    qty_negative = np.zeros(led.n, bool)
    if tx.quantity or tx.unit_price:
        q = parse_numbers(led.raw[tx.quantity], tokens)
        p = parse_numbers(led.raw[tx.unit_price], tokens)
        for col, parsed in ((tx.quantity, q), (tx.unit_price, p)):
            _check_parsed(parsed, path, col, "numbers", "fix the values or the column names under columns.transactions")
            led.missing[col] += int(parsed.missing.sum())
        amount = q.values * p.values
        qty_negative = q.values < 0
        return amount, q.invalid | p.invalid, q.missing | p.missing, qty_negative
    a = parse_numbers(led.raw[tx.amount], tokens)
    _check_parsed(a, path, tx.amount, "numbers", "fix the values or columns.transactions.amount")
    led.missing[tx.amount] += int(a.missing.sum())
    return a.values.copy(), a.invalid, a.missing, qty_negative


def resolve_customers(lines: Lines, customers: Customers | None) -> pa.Table:
    """Map merged ids to survivors; lines of unknown or quarantined customers go to quarantine.

    Returns the clean lines as an Arrow table in the schema of ``transactions_clean.parquet``
    (Arrow filters twenty million rows several times faster than pandas).
    """
    led, frame = lines.ledger, lines.frame
    ids = frame["customer_id"]
    column = lines_id_column(led)
    if customers is not None:
        # One hash lookup per line: every known id (survivor, merged, quarantined) -> what it becomes.
        survivors = customers.table["customer_id"].astype("str").to_numpy(dtype=object)
        merged = list(customers.merged_to)
        gone_ids = sorted(customers.quarantined_ids - set(customers.merged_to))
        names = np.concatenate([survivors, np.array(merged, dtype=object), np.array(gone_ids, dtype=object)])
        target = np.concatenate([survivors, np.array([customers.merged_to[m] for m in merged], dtype=object)])
        a = _arrow(ids)
        where = pc.index_in(a, value_set=pa.array(names, type=a.type))
        found = np.asarray(pc.is_valid(where).to_numpy(zero_copy_only=False), bool)
        index = np.asarray(pc.fill_null(where, -1).to_numpy(zero_copy_only=False), np.int64)
        known = found & (index < len(target))
        gone = found & ~known
        live = led.alive & ids.notna().to_numpy()
        if live.any() and not (known & live).any():
            sample = ids[live].iloc[0]
            raise DataError(f"{led.info.get('path')}: column '{column}': no line names a customer of the "
                            f"customer table (e.g. '{sample}'); check that both files use the same ids")
        led.quarantine([("customer_quarantined", column, gone), ("unknown_customer", column, ~found)])
        if merged:  # unknown lines are quarantined: whatever id they get here is never used
            ids = _series(pa.array(target, type=a.type).take(pa.array(np.where(known, index, 0))), ids.index)
    columns = {"customer_id": _arrow(ids)}
    if "order_id" in frame:
        columns["order_id"] = _arrow(frame["order_id"])
    columns.update(date=pa.array(frame["date"].to_numpy(dtype="datetime64[ns]")),
                   amount=pa.array(frame["amount"].to_numpy(dtype=float)),
                   is_return=pa.array(frame["is_return"].to_numpy(dtype=bool)))
    return pa.table(columns).filter(pa.array(led.alive))


def lines_id_column(led: Ledger) -> str:
    return led.extra.get("id_column", "customer_id")


def derive_customer_raw(cfg, lines: Lines) -> tuple[pd.DataFrame, dict]:
    """A customer table made from transactions: one row per customer id, with declared
    customer attributes taken from the customer's latest valid line."""
    led, frame = lines.ledger, lines.frame
    ok = led.alive & frame["customer_id"].notna().to_numpy()
    sub = frame[ok]
    latest = sub.sort_values("date", kind="stable").groupby("customer_id", sort=False).tail(1).index
    raw = led.raw.loc[latest].copy()
    raw[cfg.columns.transactions.customer_id] = frame.loc[latest, "customer_id"]
    info = {"path": led.info.get("path"), "row_numbers": led.rows[latest.to_numpy()], "malformed": []}
    return raw.reset_index(drop=True), info


# =================================================================== the stage

def check_rules(cfg) -> None:
    """Cleaning rules must name columns of the right kind; a params error before any data is read."""
    c, k = cfg.columns, cfg.cleaning
    kinds = {"numeric": set(c.numeric) | ({"age"} if c.birth_date else set()), "categorical": set(c.categorical),
             "dates": set(c.dates) | {c.birth_date, c.transactions.date} - {None}}
    for key, kind in (("ranges", "numeric"), ("categories", "categorical"), ("date_formats", "dates")):
        for col in getattr(k, key):
            if col not in kinds[kind]:
                raise ParamsError(f"cleaning.{key}.{col}: '{col}' is not declared under columns.{kind}; declare it there")
    for col, (lo, hi) in k.ranges.items():
        if lo is not None and hi is not None and lo > hi:
            raise ParamsError(f"cleaning.ranges.{col}: the low end {lo} is above the high end {hi}")
    for col in k.missing.columns:
        if not any(col in cols for cols in kinds.values()):
            raise ParamsError(f"cleaning.missing.columns.{col}: '{col}' is not a declared numeric, categorical or date column")


def clean_stage(cfg, run_dir: Path) -> dict:
    """Read the inputs, clean them, pseudonymise personal data and write the artifacts.

    Writes into ``run_dir``: ``customers_clean.parquet``, ``transactions_clean.parquet``
    (when there are transactions), ``quality.json``, ``quarantine.csv``, ``id_map.csv``
    and ``repairs.csv`` (every value changed, with its rule).

    Returns
    -------
    dict
        The content of ``quality.json``.
    """
    run_dir = Path(run_dir)
    check_rules(cfg)
    today = pd.Timestamp(dt.date.today())
    future_after = pd.Timestamp(cfg.data.as_of) if cfg.data.as_of else today
    if cfg.data.transactions is not None and not cfg.columns.customer_id and cfg.data.customers is not None:
        raise DataError("columns.customer_id: transactions need a customer id column in the customer table; "
                        "name it instead of null")
    inputs = {}
    for role in ("customers", "transactions"):
        src = getattr(cfg.data, role)
        if src is None:
            continue
        raw, info = sources.read_source(src, role=role, encoding=cfg.data.encoding,
                                        id_columns=sources.id_columns(cfg, role),
                                        columns=[c for c, _ in sources.declared_columns(cfg, role)], as_text=False)
        sources.check_columns(cfg, role, info)
        if info["rows"] == 0:
            raise DataError(f"{info['path']}: has a header but no data rows; export the {role} again with its rows")
        inputs[role] = (raw, info)

    lines = None
    if "transactions" in inputs:
        lines = clean_lines(cfg, *inputs["transactions"], future_after=future_after)
        lines.ledger.extra["id_column"] = cfg.columns.transactions.customer_id
    as_of = pd.Timestamp(cfg.data.as_of) if cfg.data.as_of else (lines.as_of if lines and lines.as_of is not None else today)
    derived = "customers" not in inputs
    if derived:
        raw, info = derive_customer_raw(cfg, lines)
        if raw.empty:
            top = lines.ledger.quarantined_by_rule.most_common(1)
            why = f" (most often: {RULES[top[0][0]]})" if top else ""
            raise DataError(f"{lines.ledger.info.get('path')}: no usable transaction line{why}, so no customer; "
                            "fix the file or columns.transactions")
        customers = clean_customers(cfg, raw, info, as_of=as_of, future_after=future_after,
                                    id_column=cfg.columns.transactions.customer_id)
    else:
        customers = clean_customers(cfg, *inputs["customers"], as_of=as_of, future_after=future_after)
    tx_table = resolve_customers(lines, customers) if lines is not None else None

    key = privacy.get_secret(cfg) if cfg.columns.pii else b""
    hash_value = _hasher(cfg, key)
    ledgers = ([customers.ledger] if not derived else []) + ([lines.ledger] if lines else [])
    _write_outputs(cfg, run_dir, customers, tx_table, ledgers, key, hash_value)
    quality = _quality(cfg, customers, lines, derived, as_of, future_after)
    (run_dir / "quality.json").write_text(json.dumps(quality, indent=2, ensure_ascii=False, default=_plain), encoding="utf-8")
    return quality


def _hasher(cfg, key: bytes):
    pii = set(cfg.columns.pii)
    tokens = _tokens(cfg)

    def hash_value(column: str, values: pd.Series) -> pd.Series:
        if column not in pii:
            return values
        norm, _ = _present(normalise_text(values.astype("str")), tokens)
        matching, _ = normalise_pii(norm, column, cfg.cleaning.phone_country_code)
        return privacy.pseudonymise(matching.fillna(normalise_pii_text(norm)), key)

    return hash_value


def _write_outputs(cfg, run_dir, customers: Customers, tx_table, ledgers, key, hash_value) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    c = cfg.columns
    table = customers.table
    out = pd.DataFrame({"customer_id": table["customer_id"].astype("str")})
    for col in c.pii:
        if f"__pii_{col}" in table:
            out[col] = privacy.pseudonymise(table[f"__pii_{col}"], key)
    for col in c.numeric:
        if col in table:
            out[col] = pd.to_numeric(table[col]).astype("float64")
    for col in c.categorical:
        if col in table:
            out[col] = table[col].astype("str")
    for col in c.dates:
        if col in table:
            out[col] = pd.to_datetime(table[col]).astype("datetime64[ns]")
    if c.birth_date and "age" not in out:
        out["age"] = pd.to_numeric(table["age"]).astype("float64")
    out.to_parquet(run_dir / "customers_clean.parquet", index=False)
    if tx_table is not None:
        import pyarrow.parquet as pq

        pq.write_table(tx_table, run_dir / "transactions_clean.parquet")
    quarantine = [led.quarantine_frame(hash_value) for led in ledgers]
    q_cols = ["source", "source_row", "rule", "column", "reason"]
    q = pd.concat(quarantine, ignore_index=True) if quarantine else pd.DataFrame(columns=q_cols)
    q.to_csv(run_dir / "quarantine.csv", index=False, encoding="utf-8")
    maps = [m for led in ledgers for m in led.id_map]
    id_map = pd.concat(maps, ignore_index=True) if maps else pd.DataFrame(columns=ID_MAP_COLUMNS)
    id_map = id_map.reindex(columns=ID_MAP_COLUMNS)
    id_map.to_csv(run_dir / "id_map.csv", index=False, encoding="utf-8")
    repairs = [r for led in ledgers for r in led.repairs]
    rep = pd.concat(repairs, ignore_index=True) if repairs else pd.DataFrame(
        columns=["source", "source_row", "column", "rule", "old", "new"])
    if len(rep):
        for col in set(c.pii) & set(rep["column"]):
            is_col = rep["column"] == col
            rep.loc[is_col, "old"] = hash_value(col, rep.loc[is_col, "old"].astype("str")).fillna("").to_numpy()
    rep.to_csv(run_dir / "repairs.csv", index=False, encoding="utf-8")


def _quality(cfg, customers: Customers, lines: Lines | None, derived: bool, as_of, future_after) -> dict:
    cust = customers.ledger.accounting()
    extra = {k: v for k, v in customers.ledger.extra.items()}
    top = {**cust, **extra, "notes": customers.ledger.notes, "date_order": customers.info.get("date_order", {}),
           "derived_from_transactions": derived,
           "as_of": as_of.date().isoformat() if as_of is not None else None,
           "future_after": future_after.date().isoformat()}
    sources_out = {}
    if not derived:
        sources_out["customers"] = {**cust, **_source_info(customers.ledger.info)}
    if lines is not None:
        led = lines.ledger
        sources_out["transactions"] = {**led.accounting(), "returns": led.extra.get("returns", 0),
                                       "date_order": led.extra.get("date_order", {}), "notes": led.notes,
                                       **_source_info(led.info)}
    top["sources"] = sources_out
    return json.loads(json.dumps(top, default=_plain, ensure_ascii=False))


def _source_info(info: dict) -> dict:
    return {k: info.get(k) for k in ("path", "format", "encoding", "delimiter", "header_row")}


def _plain(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (pd.Timestamp, dt.date)):
        return value.isoformat()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
