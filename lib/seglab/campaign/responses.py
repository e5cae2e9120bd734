"""Campaign results read like any input: every row clean, merged or set aside with its reason.

A campaign platform's export is either one row per response (a purchase, a redemption)
or one row per contacted customer with a responded flag. Both arrive here as CSV, Excel,
Parquet or a SQL query (read by :mod:`seglab.io.sources`) and become one row per customer:
responded or not, campaign revenue, first response date. Rows that cannot count are never
dropped silently (docs/architecture.md §5): exact copies are merged, and rows from customers
outside the run's audiences, rows dated before the campaign (or after its end), responses
without a usable date and unreadable values are kept in the measurement's quarantine with
their reason, and the counts add up: ``rows_in == rows_clean + duplicates_merged + rows_quarantined``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from seglab.clean.ledger import RULES, Ledger
from seglab.clean.standardise import missing_mask, normalise_ids, normalise_text, parse_dates, parse_numbers, token_set
from seglab.errors import DataError, did_you_mean
from seglab.io import sources

# Header names (folded: lower case, no spaces, _ or -) each role is recognised by.
ALIASES = {
    "customer_id": ("customerid", "customer", "custid", "clientid", "memberid", "userid", "contactid", "id",
                    "客户id", "顾客id", "会员id", "用户id", "客户编号", "会员编号"),
    "responded": ("responded", "response", "converted", "conversion", "purchased", "redeemed", "bought",
                  "responder", "success", "是否响应", "响应", "是否转化", "转化", "是否购买"),
    "revenue": ("revenue", "amount", "sales", "value", "spend", "ordervalue", "orderamount", "grandtotal",
                "收入", "金额", "销售额", "订单金额"),
    "date": ("date", "responsedate", "conversiondate", "orderdate", "purchasedate", "eventdate", "redeemdate",
             "日期", "响应日期", "订单日期", "购买日期"),
    "group": ("group", "arm", "variant", "cell", "组别", "分组"),
}
ROLES = ("customer_id", "responded", "revenue", "date")
OPTIONS = {"customer_id": "id-column", "responded": "responded-column", "revenue": "revenue-column",
           "date": "date-column", "group": "group-column"}  # seglab measure's option naming each role
MAX_UNREADABLE_SHARE = 0.5  # above this, a column is the wrong one, not a dirty one
_TRUE = {"1", "1.0", "true", "t", "yes", "y", "x", "responded", "converted", "response", "是", "已响应", "已转化", "有"}
_FALSE = {"0", "0.0", "false", "f", "no", "n", "not responded", "no response", "否", "未响应", "未转化", "无"}

def _fold_header(name) -> str:
    return re.sub(r"[\s_\-.]+", "", unicodedata.normalize("NFKC", str(name)).casefold())


def find_columns(header: list[str], given: dict[str, str | None], *, path: str, id_hint: str | None = None) -> dict:
    """The column of each role: given by the user, else recognised by its name.

    A file with neither a responded nor a revenue column is a list of responses when it
    holds nothing but ids (and dates or groups): every listed customer responded.

    Raises
    ------
    DataError
        A header names one column twice, a given column is not in the file, no id column
        is found, or neither a responded nor a revenue column among other columns.
    """
    twice = next((h for h in header if header.count(h) > 1), None)
    if twice is not None:
        raise DataError(f"{path}: column '{twice}' appears {header.count(twice)} times in the header; rename the copies")
    folded = {}
    for h in header:
        folded.setdefault(_fold_header(h), h)
    out = {}
    for role in (*ROLES, "group"):
        name = given.get(role)
        if name:
            if name not in header:
                # The header is not listed: in a file without one, it is a row of data.
                raise DataError(f"{path}: column '{name}' (--{OPTIONS[role]}) not found"
                                f"{did_you_mean(name, header) or '; give a name from the header row'}")
            out[role] = name
            continue
        aliases = ((_fold_header(id_hint),) if id_hint and role == "customer_id" else ()) + ALIASES[role]
        out[role] = next((folded[a] for a in aliases if a in folded), None)
    if out["customer_id"] is None:
        raise DataError(f"{path}: no customer id column (looked for customer_id, id, customer, ...); "
                        "name it with --id-column")
    if out["responded"] is None and out["revenue"] is None and set(header) - {v for v in out.values() if v}:
        raise DataError(f"{path}: no responded or revenue column (looked for responded, converted, revenue, "
                        "amount, ...); name one with --responded-column or --revenue-column")
    taken = [c for c in out.values() if c]
    dup = next((c for c in taken if taken.count(c) > 1), None)
    if dup:
        raise DataError(f"{path}: column '{dup}' was chosen for two roles; name each with its --*-column option")
    return out


@dataclass
class Responses:
    """One row per responding customer, and the accounting of every input row."""

    customers: pd.DataFrame  # customer_id (as in the audiences), responded, revenue, first_date, rows
    accounting: dict
    quarantine: pd.DataFrame
    columns: dict
    info: dict
    notes: list[str] = field(default_factory=list)
    group_column: pd.DataFrame | None = None  # customer_id, group as the file says, when it has one


def read_responses(source, *, audience_ids: pd.Series, start: pd.Timestamp, end: pd.Timestamp | None = None,
                   columns: dict | None = None, id_hint: str | None = None, date_format: str | None = None,
                   encoding: str = "auto", missing_tokens=(), match_id=None) -> Responses:
    """Read, clean and account for a campaign results file.

    Parameters
    ----------
    source : path-like, dict or Spec
        A file (CSV/TSV/Excel/Parquet) or ``{"sql": ..., "url": ...}``.
    audience_ids : Series of str
        Every customer id of the run's audiences, as written in ``targeting/``.
    start, end : Timestamp
        The campaign's first day; its last day (None: no end). Responses dated
        outside are set aside.
    columns : dict, optional
        ``customer_id``, ``responded``, ``revenue``, ``date``, ``group``: column names
        the user gave; the others are recognised by their names.
    id_hint : str, optional
        The run's own customer id column name, tried first.
    date_format : str, optional
        strftime format of the date column when it cannot be inferred.
    missing_tokens : iterable of str
        Texts that mean "missing" (the run's ``cleaning.missing_tokens``).
    match_id : callable, optional
        ``match_id(ids) -> Series`` of audience ids (or missing) for ids not found as
        written: e.g. raw ids hashed the way the run pseudonymised them.
    """
    raw, info = sources.read_source(source, role="responses", encoding=encoding)
    path = info["path"]
    if info["rows"] == 0:
        raise DataError(f"{path}: has a header but no rows; export the campaign results again with their rows")
    cols = find_columns(list(raw.columns), columns or {}, path=path, id_hint=id_hint)
    tokens = token_set(missing_tokens or ("", "n/a", "na", "null", "none", "nan", "-"))
    led = Ledger("responses", raw, info)
    n = led.n

    empty = np.ones(n, bool)
    for col in raw.columns:
        empty &= missing_mask(normalise_text(raw[col].astype("str").where(raw[col].notna())), tokens)
    led.quarantine([("empty_row", None, empty)])
    dup = led.alive & raw.duplicated(keep="first").to_numpy()
    if dup.any():
        first = raw.groupby(list(raw.columns), dropna=False, sort=False).ngroup().to_numpy()
        anchor = pd.Series(np.arange(n)).groupby(first).transform("min").to_numpy()
        pos = np.flatnonzero(dup)
        ids_raw = raw[cols["customer_id"]].astype("str").to_numpy(dtype=object)
        led.merge(pos, ids_raw[pos], ids_raw[anchor[pos]], "exact_duplicate", "all columns", anchor[pos])

    ids = normalise_ids(raw[cols["customer_id"]].astype("str").where(raw[cols["customer_id"]].notna()), tokens)
    led.missing[cols["customer_id"]] += int(ids.isna().sum())

    flag = np.ones(n, bool)  # a list of responses (no responded or revenue column): every row is one
    bad_flag = np.zeros(n, bool)
    if cols["responded"]:
        flag, bad_flag, missing_flag = _flags(raw[cols["responded"]], tokens)
        _check_share(bad_flag & led.alive, ~missing_flag & led.alive, path, cols["responded"],
                     "yes/no, true/false or 1/0", "name the right column with --responded-column")
        led.missing[cols["responded"]] += int(missing_flag.sum())
    revenue = np.zeros(n)
    bad_revenue = np.zeros(n, bool)
    if cols["revenue"]:
        parsed = parse_numbers(raw[cols["revenue"]], tokens)
        _check_share(parsed.invalid & led.alive, ~parsed.missing & led.alive, path, cols["revenue"], "numbers",
                     "name the right column with --revenue-column")
        revenue = np.nan_to_num(parsed.values, nan=0.0)
        bad_revenue = parsed.invalid
        missing_revenue = parsed.missing
        led.missing[cols["revenue"]] += int(missing_revenue.sum())
        if not cols["responded"]:
            flag = revenue > 0
        elif missing_flag.any():  # no flag written: a row with revenue responded
            flag = np.where(missing_flag, revenue > 0, flag)
    elif cols["responded"]:
        flag = np.where(missing_flag, False, flag)

    dates = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    bad_date = missing_date = np.zeros(n, bool)
    if cols["date"]:
        parsed = parse_dates(raw[cols["date"]], tokens, date_format)
        _check_share(parsed.invalid & led.alive, ~parsed.missing & led.alive, path, cols["date"], "dates",
                     "give their format with --date-format (e.g. '%d/%m/%Y') or name the column with --date-column")
        dates, bad_date, missing_date = parsed.values, parsed.invalid, parsed.missing
        led.missing[cols["date"]] += int(missing_date.sum())
        info["date_order"] = parsed.info
    before = flag & (dates < start.to_datetime64())
    after = flag & (dates > end.to_datetime64()) if end is not None else np.zeros(n, bool)

    known = _match(ids, audience_ids, match_id)
    led.quarantine([
        ("missing_id", cols["customer_id"], ids.isna().to_numpy()),
        ("bad_flag", cols["responded"], bad_flag),
        ("bad_amount", cols["revenue"], bad_revenue),
        ("bad_date", cols["date"], bad_date & flag),
        ("missing_response_date", cols["date"], missing_date & flag),
        ("before_campaign", cols["date"], before),
        ("after_campaign", cols["date"], after),
        ("revenue_without_response", cols["revenue"], ~flag & (revenue != 0)),
        ("not_in_audience", cols["customer_id"], known.isna().to_numpy() & ids.notna().to_numpy()),
    ])
    for col, mask in ((cols["responded"], bad_flag), (cols["revenue"], bad_revenue), (cols["date"], bad_date)):
        if col:
            led.invalid[col] += int((mask & led.alive).sum())
    alive = led.alive
    if not alive.any():
        top = led.quarantined_by_rule.most_common(1)
        why = f" (most often: {RULES[top[0][0]]})" if top else ""
        raise DataError(f"{path}: no row can be measured{why}; check the ids, the dates (--start) and the columns")

    frame = pd.DataFrame({"customer_id": known[alive].to_numpy(), "responded": flag[alive],
                          "revenue": np.where(flag, revenue, 0.0)[alive], "date": dates[alive]})
    frame["response_date"] = frame["date"].where(frame["responded"])
    per = frame.groupby("customer_id", sort=True).agg(
        responded=("responded", "any"), revenue=("revenue", "sum"), first_date=("response_date", "min"),
        rows=("responded", "size"))
    per = per.reset_index()
    notes = []
    listed = not cols["responded"] and not cols["revenue"]
    if listed:
        notes.append("the file has neither a responded nor a revenue column: every listed customer responded")
    several = int((frame[frame["responded"]].groupby("customer_id").size() > 1).sum())
    if several:
        notes.append(f"{several} customers have several response rows: their revenue is summed")
    info.update(customers_with_several_rows=several, responses_only=listed)
    group = None
    if cols.get("group"):
        group = pd.DataFrame({"customer_id": known[alive].to_numpy(),
                              "group": raw[cols["group"]][alive].astype("str").str.strip().str.casefold().to_numpy()})
    quarantine = led.quarantine_frame(lambda column, values: values)
    keep = ["source", "source_row", "rule", "column", "reason", *[c for c in cols.values() if c]]
    quarantine = quarantine[[c for c in dict.fromkeys(keep) if c in quarantine.columns]]
    return Responses(per, led.accounting(), quarantine, cols, info, notes, group)


def _flags(s: pd.Series, tokens) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(value, unreadable, missing)`` of a responded column."""
    if pd.api.types.is_bool_dtype(s):
        values = s.to_numpy(dtype=object)
        missing = pd.isna(values)
        return np.where(missing, False, values).astype(bool), np.zeros(len(s), bool), missing
    text = normalise_text(s.astype("str").where(s.notna()))
    missing = missing_mask(text, [t for t in tokens if t not in _FALSE | _TRUE])
    folded = text.str.casefold().to_numpy(dtype=object, na_value=None)
    is_true = np.array([v in _TRUE for v in folded], bool)
    is_false = np.array([v in _FALSE for v in folded], bool)
    return is_true, ~missing & ~is_true & ~is_false, missing


def _check_share(bad: np.ndarray, present: np.ndarray, path, col, what, todo) -> None:
    n_bad, n_present = int(bad.sum()), int(present.sum())
    if n_present and n_bad > MAX_UNREADABLE_SHARE * n_present:
        raise DataError(f"{path}: column '{col}': {n_bad} of {n_present} values are not {what}; {todo}")


def _match(ids: pd.Series, audience_ids: pd.Series, match_id) -> pd.Series:
    """Each id as written in the audiences, or missing when it is in none."""
    known = pa.array(pd.unique(audience_ids.astype("str").to_numpy(dtype=object)), type=pa.large_string())
    out = ids.where(_isin(ids, known))
    rest = out.isna() & ids.notna()
    if rest.any():  # a spreadsheet wrote the number 17850 as 17850.0
        alt = ids[rest].str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)
        out[rest] = alt.where(_isin(alt, known))
    if match_id is not None:
        rest = out.isna() & ids.notna()
        if rest.any():
            alt = match_id(ids[rest])
            out[rest] = alt.where(_isin(alt, known))
    return out


def _isin(values: pd.Series, known: pa.Array) -> np.ndarray:
    """``values.isin(known)`` in Arrow (pandas' Arrow strings test membership one value at a time)."""
    arr = pa.array(values.to_numpy(dtype=object, na_value=None), type=pa.large_string())
    hit = pc.is_in(arr, value_set=known)
    return np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), bool)
