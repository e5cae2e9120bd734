"""Per-customer aggregates of transaction lines in DuckDB: out of core, in whole cents.

Plain SQL in three steps, so that it runs unchanged on this machine (one DuckDB over the whole
file, spilling to disk under ``compute.memory_limit``) and inside Dask tasks (one DuckDB per
partition of lines or per bucket of customers):

1. **Projected lines** (:data:`PROJECT_SQL`): per line its customer key, day, amount in whole
   cents, return flag, order key and whether it is a zero-amount purchase.
2. **Day totals** (:data:`DAY_TOTALS_SQL`): lines per day over all customers; they add up over
   any split of the lines, and give the window's facts (as-of day, holdout period).
3. **Customer rows** (:data:`CUSTOMERS_SQL`, the per-bucket function): from the projected lines
   of some customers (all of them, or one hash bucket), per customer the window's purchase days,
   first and last purchase day, money and occasions, and the calibration and holdout periods
   of the model check: the integers of :class:`seglab.features.aggregates.CustomerAggregates`.

Customers are keyed by a 64-bit hash of their id (DuckDB's ``hash``), which also sends them to
buckets; if two ids of the customer table share a hash, the id itself is the key instead.
Order ids are keyed by their hash too (two order ids of one customer sharing one of 2**64
values is not a practical concern).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from seglab.config import parse_size
from seglab.errors import DataError
from seglab.features import clv
from seglab.features.aggregates import CustomerAggregates
from seglab.features.model_health import Holdout, holdout_window

__all__ = ["DEFAULT_MEMORY", "HASH_KEY", "ID_KEY", "connect", "memory_bytes", "project_sql", "check_lines",
           "day_totals", "arrow_of", "Window", "window_of", "customer_rows", "aggregates_from_rows",
           "customer_keys", "parquet_paths", "open_lines", "local_aggregates"]

#: DuckDB's memory when ``compute.memory_limit`` is 'auto': the aggregation spills beyond it.
DEFAULT_MEMORY = "2GB"
HASH_KEY = "hash(customer_id)"
ID_KEY = "customer_id"
_NO_DAY = -(2**40)  # a day before every line: an empty calibration period


def memory_bytes(memory_limit: str) -> int:
    """Bytes of ``compute.memory_limit`` ('auto' is :data:`DEFAULT_MEMORY`)."""
    return parse_size(DEFAULT_MEMORY if memory_limit == "auto" else memory_limit)


@contextmanager
def connect(memory_limit: str = "auto", threads: int | None = None):
    """An in-memory DuckDB limited to ``memory_limit``, spilling to a private temporary folder."""
    spill = tempfile.mkdtemp(prefix="seglab-duckdb-")
    con = duckdb.connect(config={"memory_limit": f"{memory_bytes(memory_limit) // 2**20}MiB",
                                 "temp_directory": spill, "preserve_insertion_order": False,
                                 **({"threads": int(threads)} if threads else {})})
    try:
        yield con
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def arrow_of(con, sql: str, params: dict | None = None) -> pa.Table:
    """A query's result as an Arrow table (the method's name changed across DuckDB versions)."""
    rel = con.sql(sql, params=params)
    fetch = getattr(rel, "to_arrow_table", None) or rel.fetch_arrow_table
    return fetch()


# ------------------------------------------------------------------ lines and day totals


def project_sql(lines: str, columns, key: str = HASH_KEY, buckets: int | None = None) -> str:
    """The lines as (h, day, cents, ret, o, zero); ``lines`` names a table, view or table function.

    With ``buckets``, also each line's bucket: its customer id's hash modulo ``buckets``.
    """
    columns = set(columns)
    ret = "is_return" if "is_return" in columns else "amount < 0"
    order = ("CASE WHEN order_id IS NULL THEN NULL ELSE hash(order_id) END" if "order_id" in columns
             else "NULL::UBIGINT")
    return (f"SELECT {key} AS h, CAST(CAST(date AS DATE) - DATE '1970-01-01' AS INTEGER) AS day, "
            f"CAST(round_even(amount * {clv.CENTS}, 0) AS BIGINT) AS cents, {ret} AS ret, "
            f"{order} AS o, amount = 0 AND NOT {ret} AS zero"
            + (f", CAST(hash(customer_id) % {int(buckets)} AS INTEGER) AS bucket" if buckets else "")
            + f" FROM {lines}")


CHECKS_SQL = """
SELECT count(*) AS lines, count(*) FILTER (WHERE customer_id IS NULL) AS missing_id,
       count(*) FILTER (WHERE date IS NULL) AS missing_date,
       count(*) FILTER (WHERE amount IS NULL OR NOT isfinite(amount)) AS bad_amount
FROM {lines}
"""

#: Per day over all customers, from projected lines: small, and it adds up over partitions.
DAY_TOTALS_SQL = """
SELECT day, count(*) AS lines, count(*) FILTER (WHERE NOT ret) AS buy_lines,
       count(*) FILTER (WHERE zero) AS zero_buys
FROM ({projected}) GROUP BY day ORDER BY day
"""


def check_lines(con, lines: str, where: str = "transactions") -> int:
    """The number of lines; a DataError for lines the features cannot use (cleaning lets none through)."""
    checks = {k: int(v[0]) for k, v in con.sql(CHECKS_SQL.format(lines=lines)).fetchnumpy().items()}
    for col, what in (("missing_id", "customer_id: missing values"), ("missing_date", "date: missing dates"),
                      ("bad_amount", "amount: missing or infinite values")):
        if checks[col]:
            raise DataError(f"{where}: transactions.{what} in {checks[col]} lines; drop or repair those lines "
                            "before computing features")
    return checks["lines"]


def day_totals(con, projected: str) -> pa.Table:
    """Lines, purchase lines and zero-amount purchase lines per day of the projected lines."""
    return arrow_of(con, DAY_TOTALS_SQL.format(projected=projected))


# ------------------------------------------------------------------ the window's facts


@dataclass(frozen=True)
class Window:
    """The window's facts from the per-day totals of all lines (mergeable over partitions)."""

    as_of_day: int | None
    lines_total: int
    lines_used: int
    first_day: int | None
    last_day: int | None
    zero_amount_purchases: int
    holdout: Holdout  # cal_end, days and reason only; the per-customer parts come later


def window_of(totals: pa.Table | pd.DataFrame, as_of, horizon_days: float) -> Window:
    """The window's end, line counts and holdout period from per-day totals.

    ``totals`` may hold several rows per day (totals of several partitions): they add up.
    """
    t = totals.to_pandas() if isinstance(totals, pa.Table) else totals
    t = t.groupby("day", sort=True)[["lines", "buy_lines", "zero_buys"]].sum()
    day = t.index.to_numpy(dtype=np.int64)
    if len(day) == 0:
        as_of_day = None if as_of is None else clv.parse_as_of(as_of)
        return Window(as_of_day, 0, 0, None, None, 0, Holdout(None, 0, "no purchases"))
    as_of_day = int(day.max()) if as_of is None else clv.parse_as_of(as_of)
    inside = day <= as_of_day
    bought = inside & (t["buy_lines"].to_numpy() > 0)
    if bought.any():
        cal_end, days, reason = holdout_window(int(day[bought].min()), as_of_day, horizon_days)
    else:
        cal_end, days, reason = None, 0, "no purchases"
    return Window(as_of_day=as_of_day, lines_total=int(t["lines"].sum()),
                  lines_used=int(t["lines"].to_numpy()[inside].sum()),
                  first_day=int(day.min()), last_day=int(day.max()),
                  zero_amount_purchases=int(t["zero_buys"].to_numpy()[inside].sum()),
                  holdout=Holdout(cal_end, days, reason))


# ------------------------------------------------------------------ level 2: customers


#: The per-bucket function: projected lines of some customers -> one row per customer.
CUSTOMERS_SQL = """
WITH p AS (SELECT * FROM ({projected}) WHERE day <= $as_of),
d AS (
  SELECT h, day,
    CAST(coalesce(sum(cents) FILTER (WHERE NOT ret), 0) AS BIGINT) AS buy_cents,
    CAST(coalesce(sum(cents) FILTER (WHERE ret), 0) AS BIGINT) AS ret_cents,
    bool_or(NOT ret) AS buy, bool_or(ret) AS back,
    bool_or(NOT ret AND o IS NULL) AS buy_loose, bool_or(ret AND o IS NULL) AS ret_loose
  FROM p GROUP BY h, day),
per AS (
  SELECT h,
    count(*) FILTER (WHERE buy) AS n_days,
    min(day) FILTER (WHERE buy) AS first_day,
    max(day) FILTER (WHERE buy) AS last_day,
    CAST(sum(buy_cents) AS BIGINT) AS gross,
    arg_min(buy_cents, day) FILTER (WHERE buy) AS gross_first,
    CAST(sum(ret_cents) AS BIGINT) AS returned,
    count(*) FILTER (WHERE buy_loose) AS loose_buy_days,
    count(*) FILTER (WHERE back) AS ret_days,
    count(*) FILTER (WHERE ret_loose) AS loose_ret_days,
    count(*) FILTER (WHERE buy AND day <= $cal) AS c_n_days,
    min(day) FILTER (WHERE buy AND day <= $cal) AS c_first_day,
    max(day) FILTER (WHERE buy AND day <= $cal) AS c_last_day,
    CAST(coalesce(sum(buy_cents) FILTER (WHERE day <= $cal), 0) AS BIGINT) AS c_gross,
    arg_min(buy_cents, day) FILTER (WHERE buy AND day <= $cal) AS c_gross_first,
    CAST(coalesce(sum(ret_cents) FILTER (WHERE day <= $cal), 0) AS BIGINT) AS c_returned,
    count(*) FILTER (WHERE buy AND day > $cal) AS h_n_days,
    CAST(coalesce(sum(buy_cents + ret_cents) FILTER (WHERE day > $cal), 0) AS BIGINT) AS h_net
  FROM d GROUP BY h),
occ AS (
  SELECT h, count(*) FILTER (WHERE NOT ret) AS buy_orders, count(*) FILTER (WHERE ret) AS ret_orders
  FROM (SELECT DISTINCT h, o, ret FROM p WHERE o IS NOT NULL) GROUP BY h)
SELECT per.*, coalesce(occ.buy_orders, 0) AS buy_orders, coalesce(occ.ret_orders, 0) AS ret_orders
FROM per LEFT JOIN occ USING (h)
"""

#: Integer columns of a customer row and their value for a customer without lines.
ROW_DEFAULTS = {"n_days": 0, "first_day": -1, "last_day": -1, "gross": 0, "gross_first": 0, "returned": 0,
                "loose_buy_days": 0, "ret_days": 0, "loose_ret_days": 0, "c_n_days": 0, "c_first_day": -1,
                "c_last_day": -1, "c_gross": 0, "c_gross_first": 0, "c_returned": 0, "h_n_days": 0, "h_net": 0,
                "buy_orders": 0, "ret_orders": 0}


LATE_SQL = "SELECT DISTINCT h FROM ({projected}) WHERE day > $as_of"


def customer_rows(con, projected: str, window: Window) -> tuple[pa.Table, pa.Array]:
    """The per-bucket function: one row per customer of the projected lines ``projected`` (a
    relation or subquery) with the columns of :data:`ROW_DEFAULTS` (customers without a line in
    the window are absent), and the keys of customers with lines after the window."""
    as_of = _NO_DAY if window.as_of_day is None else window.as_of_day
    cal = _NO_DAY if window.holdout.cal_end is None else window.holdout.cal_end
    rows = arrow_of(con, CUSTOMERS_SQL.format(projected=projected), {"as_of": as_of, "cal": cal})
    late = arrow_of(con, LATE_SQL.format(projected=projected), {"as_of": as_of}).column("h")
    return rows, late


def customer_keys(con, ids: pa.Array) -> tuple[str, np.ndarray | pa.Array]:
    """The key expression and each customer's key, in the customer table's order.

    The 64-bit hash of the id, unless two ids of the table share one: then the id itself.
    """
    table = pa.table({"customer_id": ids})
    con.register("_seglab_ids", table)
    try:
        hashed = con.sql(f"SELECT {HASH_KEY} AS h FROM _seglab_ids").fetchnumpy()["h"]
    finally:
        con.unregister("_seglab_ids")
    hashed = np.asarray(hashed, dtype=np.uint64)
    if len(np.unique(hashed)) == len(hashed):
        return HASH_KEY, hashed
    return ID_KEY, ids


def _positions(keys, wanted) -> tuple[np.ndarray, np.ndarray]:
    """Position of each wanted key among the customer keys, and whether it is there."""
    if isinstance(keys, np.ndarray):
        wanted = np.asarray(wanted.to_numpy(zero_copy_only=False), dtype=np.uint64)
        n = len(keys)
        if n == 0:
            return np.zeros(len(wanted), np.int64), np.zeros(len(wanted), bool)
        sorter = np.argsort(keys, kind="stable")
        at = np.minimum(np.searchsorted(keys, wanted, sorter=sorter), n - 1)
        return sorter[at], keys[sorter[at]] == wanted
    pos = pd.Index(pa.array(keys).to_pandas()).get_indexer(wanted.to_pandas())
    return pos, pos >= 0


def aggregates_from_rows(rows: pa.Table, late, keys, customer_ids: pd.Index, window: Window, *,
                         order_ids: bool, where: str = "transactions") -> CustomerAggregates:
    """Assemble the customer rows and late keys of every bucket (:func:`customer_rows`, in any
    order) into arrays in customer order."""
    n = len(customer_ids)
    pos, found = _positions(keys, rows.column("h"))
    unknown = int((~found).sum()) + int((~_positions(keys, late)[1]).sum())
    if unknown:
        raise DataError(f"{where}: lines of {unknown} customer ids that are not in the customer table; every "
                        "line must name a customer of the customer table")
    col = {}
    for name, default in ROW_DEFAULTS.items():
        out = np.full(n, default, dtype=np.int64)
        out[pos] = pc.fill_null(rows.column(name).cast(pa.int64()), default).to_numpy()
        col[name] = out
    days = clv.PurchaseDays.from_cents(col["n_days"], col["first_day"], col["last_day"], col["gross"],
                                       col["gross_first"], col["returned"])
    h = window.holdout
    if h.cal_end is not None:
        h = Holdout(h.cal_end, h.days, h.reason,
                    calibration=clv.PurchaseDays.from_cents(col["c_n_days"], col["c_first_day"], col["c_last_day"],
                                                            col["c_gross"], col["c_gross_first"], col["c_returned"]),
                    hold_n_days=col["h_n_days"], hold_net=clv.from_cents(col["h_net"]))
    frequency = col["buy_orders"] + col["loose_buy_days"] if order_ids else days.n_days.copy()
    n_returns = col["ret_orders"] + col["loose_ret_days"] if order_ids else col["ret_days"]
    return CustomerAggregates(customer_ids=customer_ids, days=days, frequency=frequency, n_returns=n_returns,
                              holdout=h, as_of_day=window.as_of_day, lines_total=window.lines_total,
                              lines_used=window.lines_used, first_day=window.first_day, last_day=window.last_day,
                              order_ids=order_ids, zero_amount_purchases=window.zero_amount_purchases)


# ------------------------------------------------------------------ the local engine


def parquet_paths(source) -> list[str]:
    """Paths DuckDB reads as one table: files, globs, and folders (hive-partitioned or not)."""
    paths = [str(p) for p in (source if isinstance(source, (list, tuple)) else [source])]
    return [os.path.join(p, "**", "*.parquet") if os.path.isdir(p) else p for p in paths]


def open_lines(con, source, where: str) -> set[str]:
    """View ``lines`` over Parquet ``source``; returns its (lower-case) column names."""
    try:
        con.read_parquet(parquet_paths(source), hive_partitioning=True, union_by_name=True).create_view("lines")
    except duckdb.Error as exc:
        raise DataError(f"{where}: cannot be read as Parquet ({str(exc).splitlines()[0]})") from None
    columns = {c.lower() for c in con.sql("SELECT * FROM lines LIMIT 0").columns}
    missing = {"customer_id", "date", "amount"} - columns
    if missing:
        raise DataError(f"{where}: missing column(s) {sorted(missing)}")
    return columns


def local_aggregates(source, customer_ids, *, as_of=None, horizon_days: float = 365,
                     memory_limit: str = "auto", where: str = "transactions") -> CustomerAggregates:
    """Per-customer aggregates of clean lines in Parquet, out of core in one DuckDB.

    Parameters
    ----------
    source : path, glob or list of them
        Parquet with ``customer_id``, ``date``, ``amount`` and optionally ``is_return`` and
        ``order_id`` (``transactions_clean.parquet``).
    customer_ids : array-like
        The customer table's ids, in its order; the aggregates follow it.
    as_of, horizon_days
        As in :func:`seglab.features.aggregates.from_arrays`.
    memory_limit : str
        ``compute.memory_limit``: DuckDB spills to disk beyond it.
    """
    customer_index = pd.Index(customer_ids)
    ids = pa.array(customer_index.astype("str"), type=pa.large_string())
    with connect(memory_limit) as con:
        columns = open_lines(con, source, where)
        check_lines(con, "lines", where)
        key, keys = customer_keys(con, ids)
        projected = project_sql("lines", columns, key)
        window = window_of(day_totals(con, projected), as_of, horizon_days)
        order_ids = "order_id" in columns and bool(
            con.sql("SELECT count(order_id) FROM lines").fetchall()[0][0])
        rows, late = customer_rows(con, projected, window)
    return aggregates_from_rows(rows, late, keys, customer_index, window, order_ids=order_ids, where=where)
