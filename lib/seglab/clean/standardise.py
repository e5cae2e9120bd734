"""Parse and normalise values as real exports write them (text, ids, personal data, categories, numbers, dates):
pure functions that work on a column's distinct values (twenty million dates hold a few thousand), so they scale."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

YEARS = (1900, 2200)  # dates outside are typing errors or placeholders (0001-01-01)
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")


# =================================================================== text

def arrow_strings(s: pd.Series) -> pa.ChunkedArray:
    """The column as Arrow strings (no copy for pandas' Arrow-backed str dtype)."""
    if not isinstance(s.dtype, pd.StringDtype):
        s = s.astype("str")
    arr = s.array
    if hasattr(arr, "__arrow_array__"):
        out = arr.__arrow_array__()
        return out if isinstance(out, pa.ChunkedArray) else pa.chunked_array([out])
    return pa.chunked_array([pa.array(s.to_numpy(dtype=object, na_value=None), type=pa.large_string())])


def string_series(arr, index) -> pd.Series:
    """Arrow or numpy strings back as a pandas text column on ``index``."""
    return pd.Series(arr, index=index, dtype="str")


def normalise_text(s: pd.Series) -> pd.Series:
    """NFKC (full-width letters and digits to ASCII), trimmed; empty cells missing."""
    a = arrow_strings(s)
    if len(a) and pc.any(pc.invert(pc.string_is_ascii(a))).as_py():
        a = pc.utf8_normalize(a, "NFKC")
    a = pc.utf8_trim_whitespace(a)
    a = pc.if_else(pc.equal(a, ""), pa.scalar(None, a.type), a)
    return string_series(a, s.index)


def token_set(tokens) -> list[str]:
    """Missing-value tokens as they are compared: NFKC, trimmed, lower-case."""
    return sorted({unicodedata.normalize("NFKC", str(t)).strip().lower() for t in tokens} | {""})


def missing_mask(norm: pd.Series, tokens: list[str]) -> np.ndarray:
    """True where a normalised value is missing or a token such as "N/A" or "unknown"."""
    a = arrow_strings(norm)
    out = np.asarray(pc.is_null(a).to_numpy(zero_copy_only=False), dtype=bool) if len(a) else np.zeros(0, bool)
    # Only values as short as the longest token can be one (ids and emails never are).
    short = np.asarray(pc.fill_null(pc.less_equal(pc.utf8_length(a), max(map(len, tokens))), False)
                       .to_numpy(zero_copy_only=False), bool) if len(a) else out
    if short.any():
        hit = pc.is_in(pc.utf8_lower(pc.filter(a, pa.array(short))), value_set=pa.array(tokens, type=a.type))
        out[short] |= np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), bool)
    return out


def mask_missing(norm: pd.Series, tokens) -> tuple[pd.Series, np.ndarray]:
    """Normalised text with its missing-value tokens (``N/A``, ``unknown``…) made NA, and where they were."""
    miss = missing_mask(norm, tokens)
    return (norm.where(~miss) if miss.any() else norm), miss


def fold_text(text: str) -> str:
    """One key per spelling of a word: NFKC, single spaces, trimmed, case-folded."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().casefold()


def normalise_ids(s: pd.Series, tokens) -> pd.Series:
    """Identifiers as text: trimmed, NFKC; ``17850.0`` written by a float export becomes
    ``17850`` when the whole column is written that way."""
    ids, _ = mask_missing(normalise_text(s), tokens)
    a, pattern = arrow_strings(ids), r"^-?\d+\.0+$"
    head = pc.drop_null(a.slice(0, 5000))
    if len(head) and pc.all(pc.match_substring_regex(head, pattern)).as_py() and \
            pc.all(pc.match_substring_regex(a, pattern)).as_py() is not False:
        ids = string_series(pc.replace_substring_regex(a, r"\.0+$", ""), ids.index)
    return ids


def normalise_email(norm: pd.Series) -> pd.Series:
    """Lower-case, no spaces: ``" Wang.Wei@QQ.com "`` and ``wang.wei@qq.com`` are one address."""
    return string_series(pc.replace_substring_regex(pc.utf8_lower(arrow_strings(norm)), r"\s+", ""), norm.index)


def normalise_name(norm: pd.Series) -> pd.Series:
    """Case-folded, single-spaced, no spaces between Chinese characters (张　伟 = 张伟)."""
    a = pc.utf8_lower(arrow_strings(norm))
    a = pc.replace_substring_regex(a, r"\s+", " ")
    for _ in range(2):  # overlapping pairs: 张 伟 明
        a = pc.replace_substring_regex(a, r"([\x{3400}-\x{9fff}]) ([\x{3400}-\x{9fff}])", r"\1\2")
    return string_series(a, norm.index)


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


def pii_kind(column: str) -> str:
    """``email``, ``phone``, ``name`` or ``text``: what a personal-data column holds, by its name."""
    name = column.casefold()
    for kind, words in (("email", ("mail", "邮箱")), ("phone", ("phone", "mobile", "tel", "手机", "电话")),
                        ("name", ("name", "姓名", "名字"))):
        if any(w in name for w in words):
            return kind
    return "text"


def normalise_pii(norm: pd.Series, column: str, country: str | None = None) -> tuple[pd.Series, str | None]:
    """The matching form of a personal-data column, by what its name says it holds."""
    kind = pii_kind(column)
    if kind == "email":
        email = normalise_email(norm)
        return email.where(email.str.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+").fillna(False)), None
    if kind == "phone":
        return normalise_phone(norm, country)
    a = pc.replace_substring_regex(pc.utf8_lower(arrow_strings(norm)), r"\s+", " ")
    return (normalise_name(norm) if kind == "name" else string_series(a, norm.index)), None


def normalise_pii_text(norm: pd.Series) -> pd.Series:
    """The hashed form of a personal value that is no valid key: lower-case, single-spaced."""
    return string_series(pc.replace_substring_regex(pc.utf8_lower(arrow_strings(norm)), r"\s+", " "), norm.index)


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
    fmap = {fold_text(str(k)): fold_text(str(v)) for k, v in (mapping or {}).items()}
    tokset = set(tokens)
    folded = [fold_text(str(u)) for u in uniques]
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
    """One parsed column: values, and which cells were missing or could not be used.

    ``why`` names the invalid cells that have a more precise reason than "not a value of
    this kind" (rule name -> mask, each a subset of ``invalid``): ``ambiguous_date`` and
    ``implausible_date``.
    """

    values: np.ndarray
    missing: np.ndarray
    invalid: np.ndarray
    info: dict = field(default_factory=dict)
    why: dict = field(default_factory=dict)


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
    a = pc.utf8_trim_whitespace(arrow_strings(s))
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
        codes, uniques = pd.factorize(string_series(pc.filter(a, pa.array(rest)), None), use_na_sentinel=True)
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
    why = {}
    if fmt:
        parsed = pd.to_datetime(u, format=fmt, errors="coerce")
        info = {"order": "format", "format": fmt}
    else:
        parsed, info, why = _parse_date_texts(u, np.bincount(codes[codes >= 0], minlength=len(u)))
    values = np.array(parsed.to_numpy(dtype="datetime64[ns]"), copy=True) if len(parsed) else np.array([], "datetime64[ns]")
    years = values.astype("datetime64[Y]").astype(float) + 1970
    bad_year = ~np.isnat(values) & ((years < YEARS[0]) | (years > YEARS[1]))
    values[bad_year] = np.datetime64("NaT")
    if bad_year.any():
        why["implausible_date"] = why.get("implausible_date", np.zeros(len(u), bool)) | bad_year
    u_invalid = ~u_missing & np.isnat(values)
    pick = lambda arr, fill: np.append(arr, np.array([fill], dtype=arr.dtype))[codes]  # noqa: E731
    why = {rule: pick(mask & u_invalid, False) for rule, mask in why.items() if (mask & u_invalid).any()}
    if "ambiguous" in info:
        info["ambiguous"] = int(why["ambiguous_date"].sum()) if "ambiguous_date" in why else 0
    return Parsed(pick(values, np.datetime64("NaT", "ns")), pick(u_missing, True), pick(u_invalid, False), info, why)


#: A column is read as mixing both orders when the values that can only be read the
#: less common way are at least this share of the decisive values (and at least two):
#: below it they are typing errors, above it the ambiguous values cannot be trusted.
MIXED_ORDER_SHARE = 0.02


def _parse_date_texts(u: pd.Series, counts: np.ndarray) -> tuple[pd.Series, dict, dict]:
    """Dates from distinct texts ``u`` (each found ``counts`` times): values, how the column
    was read (``info``), and the invalid values with a reason of their own (``why``, as in
    :class:`Parsed`)."""
    out = pd.Series(pd.NaT, index=u.index, dtype="datetime64[ns]")
    why = {}
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
        return out, info, why
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
        weight = counts[u.index.get_indexer(ambiguous.index)]
        day_first, month_first = int(weight[(first > 12).to_numpy()].sum()), int(weight[(second > 12).to_numpy()].sum())
        minority = min(day_first, month_first)
        mixed = minority >= max(2, MIXED_ORDER_SHARE * (day_first + month_first))
        if mixed:
            # Each value is read the only way it can be; the ones that read both ways are set aside.
            two_ways = ((first <= 12) & (second <= 12) & (first != second)).to_numpy(bool)
            why["ambiguous_date"] = np.zeros(len(u), bool)
            why["ambiguous_date"][u.index.get_indexer(ambiguous.index[two_ways])] = True
            order = "mixed"
            basis = (f"{day_first} value(s) can only be read day first and {month_first} only month first; "
                     f"each is read the only way it can be, and the {int(weight[two_ways].sum())} that can be "
                     "read both ways are not used (set cleaning.date_formats if one order is right)")
            ambiguous = ambiguous[~two_ways]
            first, second = first[~two_ways], second[~two_ways]
            day_first_rows = (first > 12) | ((first <= 12) & (second <= 12))
        elif day_first or month_first:
            order = "day first" if day_first >= month_first else "month first"
            basis = f"{max(day_first, month_first)} value(s) can only be read {order}"
            if minority:
                basis += f", {minority} only the other way (read as invalid)"
        else:
            dotted = (ambiguous["sep"] == ".").all()
            order = "day first"
            basis = "dotted dates are day first" if dotted else \
                "no value decides; day first assumed (set cleaning.date_formats to be sure)"
            assumed = not dotted
        if not mixed:
            day_first_rows = pd.Series(order == "day first", index=ambiguous.index)
        year = ambiguous["c"].astype(int)
        pivot = dt.date.today().year % 100
        year = year.where(ambiguous["c"].str.len() == 4, np.where(year <= pivot, 2000 + year, 1900 + year))
        day, month = first.where(day_first_rows, second), second.where(day_first_rows, first)
        parts["dm_y"] = ambiguous.assign(a=year, b=month, c=day)
        info = {"order": order, "basis": basis}
        if not (mixed or day_first or month_first) and assumed:
            info["assumed"] = True
        if mixed:
            info["ambiguous"] = int(why["ambiguous_date"].sum())
    for found in parts.values():
        if len(found):
            dates, outside = _assemble(found)
            out[found.index] = dates
            if outside.any():
                why.setdefault("implausible_date", np.zeros(len(u), bool))
                why["implausible_date"][u.index.get_indexer(found.index[outside])] = True
    # Excel serial numbers and dates with month names, among what is left
    serial = pd.to_numeric(rest.where(rest.str.fullmatch(r"\d{5}(\.\d+)?").fillna(False)), errors="coerce")
    serial = serial[(serial >= 20000) & (serial < 80000)]
    if len(serial):
        out[serial.index] = (_EXCEL_EPOCH + (serial.to_numpy() * 86400).astype("timedelta64[s]")).astype("datetime64[ns]")
    named = rest.drop(serial.index)
    # A month name alone ("oct") is no date: a date with a month name also has a day or a year.
    named = named[named.str.contains(_MONTH_NAMES, regex=True).fillna(False) & named.str.contains(r"\d").fillna(False)]
    if len(named):
        dayfirst = info.get("order") == "day first"
        try:
            with_names = pd.to_datetime(named, format="mixed", dayfirst=dayfirst, errors="coerce").astype("datetime64[ns]")
        except (ValueError, OverflowError):  # a year outside what datetime64[ns] holds: value by value
            with_names = pd.Series([_named_date(v, dayfirst) for v in named], index=named.index, dtype="datetime64[ns]")
        out[named.index] = with_names
    return out, info, why


def _named_date(text: str, dayfirst: bool):
    """One date written with a month name ("5 Jan 2024"); NaT when it is none or outside :data:`YEARS`."""
    try:
        value = pd.to_datetime(text, dayfirst=dayfirst)
    except (ValueError, OverflowError):  # OutOfBoundsDatetime is a ValueError
        return pd.NaT
    return value if YEARS[0] <= value.year <= YEARS[1] else pd.NaT


def _assemble(found: pd.DataFrame) -> tuple[pd.Series, np.ndarray]:
    """Dates from their parts; impossible ones (31 February) become NaT. Also returns which
    rows hold a year outside :data:`YEARS` (placeholders such as 9999-12-31, typing errors)."""
    hour = pd.to_numeric(found["H"], errors="coerce").fillna(0)
    pm = found["P"].str.lower().eq("pm").fillna(False).to_numpy(bool)
    hour = np.where(pm & (hour < 12), hour + 12, hour)
    frame = pd.DataFrame({
        "year": pd.to_numeric(found["a"]), "month": pd.to_numeric(found["b"]), "day": pd.to_numeric(found["c"]),
        "hour": hour, "minute": pd.to_numeric(found["M"], errors="coerce").fillna(0),
        "second": pd.to_numeric(found["S"], errors="coerce").fillna(0),
    }, index=found.index)
    outside = (frame["year"] < YEARS[0]) | (frame["year"] > YEARS[1])
    bad = outside | (frame["hour"] > 23) | (frame["minute"] > 59) | (frame["second"] > 59)
    frame = frame[~bad]
    out = pd.Series(pd.NaT, index=found.index, dtype="datetime64[ns]")
    if len(frame):
        out[frame.index] = pd.to_datetime(frame, errors="coerce").astype("datetime64[ns]")
    return out, outside.to_numpy(bool)
