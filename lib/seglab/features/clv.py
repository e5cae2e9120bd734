"""Customer lifetime value: the BG/NBD purchase model and the Gamma-Gamma spend model.

Our own maximum-likelihood implementation of Fader, Hardie & Lee (2005a, "Counting
your customers the easy way", BG/NBD) and (2005b, "RFM and CLV", Gamma-Gamma), plus the
vectorised transaction arrays and purchase-day summary the models (and
:mod:`seglab.features`) are built on.  A purchase occasion here is a calendar day with
a purchase line, as in the literature.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import optimize, special
from threadpoolctl import threadpool_limits

from seglab.errors import DataError

__all__ = [
    "TIME_UNITS",
    "MIN_REPEAT_BUYERS",
    "PARAM_BOUNDS",
    "TransactionArrays",
    "parse_as_of",
    "PurchaseDays",
    "distinct_pairs",
    "CENTS",
    "to_cents",
    "from_cents",
    "sum_cents",
    "BGNBDFit",
    "GammaGammaFit",
    "summary_from_transactions",
    "fit_bgnbd",
    "expected_purchases",
    "p_alive",
    "fit_gamma_gamma",
    "expected_avg_spend",
]

#: Length of one model time unit in days.
TIME_UNITS = {"days": 1.0, "weeks": 7.0}

#: Fewer customers with a repeat purchase than this and a fit is not attempted.
MIN_REPEAT_BUYERS = 20

#: The search box of every model parameter: a fit that ends on it (or near it, see
#: :mod:`seglab.features.model_health`) describes a degenerate population.
PARAM_BOUNDS = (1e-6, 1e6)
_LOG_BOUND = (np.log(PARAM_BOUNDS[0]), np.log(PARAM_BOUNDS[1]))


# --------------------------------------------------------------------------- arrays


@dataclass(frozen=True)
class TransactionArrays:
    """A transaction table as flat numpy arrays keyed by integer customer codes.

    Attributes
    ----------
    customer_ids : pandas.Index
        ``customer_ids[code]`` is the id behind a code.
    code : ndarray of int
        Customer code of each line.
    day : ndarray of int64
        Day of each line, as days since 1970-01-01 (time of day dropped).
    amount : ndarray of float64
        Line amount, negative for returns.
    is_return : ndarray of bool
        The line is a cancellation or refund.
    order : ndarray of int64 or None
        Order code of each line, -1 where the order id is missing; ``None`` when
        the table has no usable ``order_id`` column.
    """

    customer_ids: pd.Index
    code: np.ndarray
    day: np.ndarray
    amount: np.ndarray
    is_return: np.ndarray
    order: np.ndarray | None = None

    @property
    def n_customers(self) -> int:
        return len(self.customer_ids)

    @classmethod
    def from_frame(cls, transactions: pd.DataFrame, customer_ids=None, *,
                   orders: bool = False) -> "TransactionArrays":
        """Validate a transaction table and convert it to arrays.

        Parameters
        ----------
        transactions : DataFrame
            Columns ``customer_id``, ``date`` (datetime64), ``amount`` (numeric) and
            optionally ``is_return`` (bool; default ``amount < 0``) and ``order_id``.
        customer_ids : array-like, optional
            The customers codes refer to; every transaction's id must be among them.
            Default: the distinct ids of the transactions, sorted.
        orders : bool, default=False
            Also factorise ``order_id`` (costly on large tables; only RFM needs it).
        """
        if not isinstance(transactions, pd.DataFrame):
            raise DataError(f"transactions must be a DataFrame, got {type(transactions).__name__}")
        missing = [c for c in ("customer_id", "date", "amount") if c not in transactions.columns]
        if missing:
            raise DataError(f"transactions: missing column(s) {missing}; "
                            f"found {list(transactions.columns)}")
        ids = transactions["customer_id"]
        if ids.isna().any():
            raise DataError(f"transactions.customer_id: {int(ids.isna().sum())} missing values; "
                            "drop or repair those lines before computing features")
        day = _days(transactions["date"], "transactions.date")
        amount = _amounts(transactions["amount"])
        if "is_return" in transactions.columns:
            flag = transactions["is_return"]
            if flag.isna().any() or not pd.api.types.is_bool_dtype(flag.dtype):
                raise DataError("transactions.is_return must be boolean without missing values, "
                                f"got dtype {flag.dtype}")
            is_return = flag.to_numpy(dtype=bool)
        else:
            is_return = amount < 0

        # order ids are factorised on a second core while customer ids are looked up
        # (both are hash passes over strings in pyarrow/pandas C code, outside the GIL)
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = (pool.submit(_order_codes, transactions["order_id"])
                       if orders and "order_id" in transactions.columns else None)
            if customer_ids is None:
                code, uniques = pd.factorize(ids, sort=True)
                customer_ids = pd.Index(uniques)
            else:
                customer_ids = pd.Index(customer_ids)
                code = _codes_in(ids, customer_ids)
            order = None if pending is None else pending.result()
        unknown = code < 0
        if unknown.any():
            examples = pd.unique(ids.iloc[np.flatnonzero(unknown)[:1000]])[:5].tolist()
            raise DataError(f"transactions: {int(unknown.sum())} lines refer to customer ids "
                            f"not in the customer table, e.g. {examples}")
        code = code.astype(np.int32 if len(customer_ids) < 2**31 else np.int64, copy=False)
        return cls(customer_ids, code, day, amount, is_return, order)

    def as_of_day(self, as_of=None) -> int | None:
        """``as_of`` as days since 1970-01-01; default the last line's day (None if no lines)."""
        if as_of is None:
            return int(self.day.max()) if len(self.day) else None
        return parse_as_of(as_of)

    def up_to(self, last_day: int) -> "TransactionArrays":
        """The lines dated on or before ``last_day`` (days since 1970-01-01)."""
        return self.within(None, last_day)

    def within(self, after_day: int | None, last_day: int) -> "TransactionArrays":
        """The lines dated after ``after_day`` (None: from the start) and on or before
        ``last_day``, for the same customers (days since 1970-01-01)."""
        keep = self.day <= last_day
        if after_day is not None:
            keep &= self.day > after_day
        if keep.all():
            return self
        return TransactionArrays(self.customer_ids, self.code[keep], self.day[keep],
                                 self.amount[keep], self.is_return[keep],
                                 None if self.order is None else self.order[keep])


def parse_as_of(as_of) -> int:
    """A given as-of date as days since 1970-01-01 (a DataError when it is no date)."""
    try:
        stamp = pd.Timestamp(as_of)
    except (TypeError, ValueError):
        stamp = pd.NaT
    if stamp is pd.NaT:
        raise DataError(f"as_of must be a date such as '2024-12-31', got {as_of!r}")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return int(np.datetime64(stamp, "D").astype(np.int64))


def _order_codes(order_id: pd.Series) -> np.ndarray | None:
    """Order code per line (-1 where missing); None if no line has an order id."""
    order_code, _ = pd.factorize(order_id, use_na_sentinel=True)
    return order_code.astype(np.int64, copy=False) if (order_code >= 0).any() else None


def _days(dates: pd.Series, name: str) -> np.ndarray:
    if not pd.api.types.is_datetime64_any_dtype(dates.dtype):
        raise DataError(f"{name} must be datetime64, got dtype {dates.dtype}; "
                        "parse the dates during cleaning")
    if dates.isna().any():
        raise DataError(f"{name}: {int(dates.isna().sum())} missing dates; "
                        "drop or repair those lines before computing features")
    if getattr(dates.dtype, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)  # the calendar day where the line happened
    return dates.to_numpy().astype("datetime64[D]").astype(np.int64)


def _amounts(amount: pd.Series) -> np.ndarray:
    if not pd.api.types.is_numeric_dtype(amount.dtype) or pd.api.types.is_bool_dtype(amount.dtype):
        raise DataError(f"transactions.amount must be numeric, got dtype {amount.dtype}")
    values = amount.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        raise DataError(f"transactions.amount: {int(bad.sum())} missing or infinite values; "
                        "drop or repair those lines before computing features")
    return values


def _codes_in(values: pd.Series, index: pd.Index) -> np.ndarray:
    """Position of each value in ``index`` (-1 if absent), fast for string columns."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cat_pos = index.get_indexer(values.cat.categories)
        return np.append(cat_pos, -1)[values.cat.codes.to_numpy()]
    # pyarrow's hash lookup is ~4x faster than Index.get_indexer on strings
    try:  # zero-copy for arrow-backed strings (pandas' default "str" dtype)
        needles = pa.array(values, from_pandas=True)
        haystack = pa.array(index, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return index.get_indexer(values)
    strings = (pa.types.is_string, pa.types.is_large_string)
    if any(f(needles.type) for f in strings) and any(f(haystack.type) for f in strings):
        found = pc.index_in(needles, value_set=haystack.cast(needles.type))
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return index.get_indexer(values)


def distinct_pairs(code: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``(code, key)`` pairs of two integer arrays, sorted by code then key.

    One sort of a packed int64 (``code * span + key``), which on 20 million lines is
    several times faster than ``np.unique`` or a pandas groupby on two columns.
    """
    code = np.asarray(code, dtype=np.int64)
    key = np.asarray(key, dtype=np.int64)
    if len(code) == 0:
        return code, key
    k0 = int(key.min())
    span = int(key.max()) - k0 + 1
    if (int(code.max()) + 1) * span < 2**62:
        packed = np.sort(code * span + (key - k0))
        packed = packed[np.r_[True, packed[1:] != packed[:-1]]]
        pair_code, pair_key = np.divmod(packed, span)
        return pair_code, pair_key + k0
    order = np.lexsort((key, code))
    code, key = code[order], key[order]
    new = np.r_[True, (code[1:] != code[:-1]) | (key[1:] != key[:-1])]
    return code[new], key[new]


#: Money is summed in whole cents: integers add up exactly in any order, so every engine
#: (NumPy here, DuckDB and Dask in seglab.compute) and any partitioning gives the same totals.
CENTS = 100


def to_cents(amount) -> np.ndarray:
    """Amounts rounded to whole cents (half to even), as int64."""
    return np.rint(np.asarray(amount, dtype=np.float64) * CENTS).astype(np.int64)


def from_cents(cents) -> np.ndarray:
    """Whole cents back to amounts (float64)."""
    return np.asarray(cents, dtype=np.int64).astype(np.float64) / CENTS


def sum_cents(code: np.ndarray, cents: np.ndarray, n: int) -> np.ndarray:
    """Exact int64 sum of ``cents`` per code ``0..n-1``.

    Float bincount is exact while every partial sum stays below 2**53 cents (90 trillion
    in money), which the absolute total bounds; beyond it an integer reduction is used.
    """
    code = np.asarray(code, dtype=np.int64)
    cents = np.asarray(cents, dtype=np.int64)
    bound = float(np.abs(cents).sum(dtype=np.float64)) if len(cents) else 0.0
    if bound < 2.0**53:
        return np.bincount(code, weights=cents.astype(np.float64), minlength=n).astype(np.int64)
    if bound >= 2.0**63:
        raise DataError("transactions.amount: the amounts add up beyond what 64-bit sums can hold "
                        "(9.2e16); check the amount column's unit")
    order = np.argsort(code, kind="stable")
    code_s = code[order]
    starts = np.flatnonzero(np.r_[True, code_s[1:] != code_s[:-1]])
    out = np.zeros(n, dtype=np.int64)
    out[code_s[starts]] = np.add.reduceat(cents[order], starts)
    return out


@dataclass(frozen=True)
class PurchaseDays:
    """Per-customer purchase-day aggregates (arrays indexed by customer code).

    ``first_day``/``last_day`` are days since 1970-01-01 and -1 for customers
    without purchase lines.  ``gross`` sums purchase lines, ``gross_first_day`` the
    purchase lines of the first purchase day, ``returned`` the (negative) return lines.
    """

    n_days: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    gross: np.ndarray
    gross_first_day: np.ndarray
    returned: np.ndarray

    @classmethod
    def from_arrays(cls, tx: TransactionArrays) -> "PurchaseDays":
        """Aggregate the purchase lines of ``tx`` per customer and day (one sort)."""
        return cls.from_lines(tx.code, tx.day, to_cents(tx.amount), tx.is_return, tx.n_customers)

    @classmethod
    def from_lines(cls, code, day, cents, is_return, n: int) -> "PurchaseDays":
        """Aggregate lines given as customer codes, days, amounts in cents and return flags."""
        buy = ~is_return
        code_b, day_b, cents_b = code[buy], day[buy], cents[buy]
        first = np.full(n, -1, dtype=np.int64)
        last = np.full(n, -1, dtype=np.int64)
        n_days = np.zeros(n, dtype=np.int64)
        if len(code_b):
            key_code, key_day = distinct_pairs(code_b, day_b)
            n_days = np.bincount(key_code, minlength=n)
            starts = np.flatnonzero(np.r_[True, key_code[1:] != key_code[:-1]])
            ends = np.r_[starts[1:] - 1, len(key_code) - 1]
            first[key_code[starts]] = key_day[starts]
            last[key_code[ends]] = key_day[ends]
        on_first = day_b == first[code_b]
        return cls.from_cents(n_days, first, last, sum_cents(code_b, cents_b, n),
                              sum_cents(code_b[on_first], cents_b[on_first], n),
                              sum_cents(code[is_return], cents[is_return], n))

    @classmethod
    def from_cents(cls, n_days, first_day, last_day, gross_cents, gross_first_day_cents,
                   returned_cents) -> "PurchaseDays":
        """From per-customer counts, days and whole-cent sums, as every engine computes them."""
        return cls(n_days=np.asarray(n_days, dtype=np.int64),
                   first_day=np.asarray(first_day, dtype=np.int64),
                   last_day=np.asarray(last_day, dtype=np.int64),
                   gross=from_cents(gross_cents), gross_first_day=from_cents(gross_first_day_cents),
                   returned=from_cents(returned_cents))

    def summary(self, as_of_day: int, time_unit: str = "weeks") -> dict[str, np.ndarray]:
        """The models' inputs per customer code: ``frequency`` (repeat purchase days),
        ``recency`` (first to last purchase), ``T`` (first purchase to as-of), both in
        ``time_unit``, and ``monetary_value``: the mean purchase-day spend of repeat
        days, scaled by the customer's share of purchases not returned (returns cannot
        be tied to a day, so they are spread over all days).  Customers without a
        purchase get NaN everywhere.
        """
        unit = _time_unit(time_unit)
        buyer = self.n_days > 0
        frequency = np.where(buyer, self.n_days - 1, np.nan)
        recency = np.where(buyer, (self.last_day - self.first_day) / unit, np.nan)
        T = np.where(buyer, (as_of_day - self.first_day) / unit, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            kept = np.where(self.gross > 0, np.clip(1 + self.returned / self.gross, 0, 1), 0.0)
            monetary = np.where(frequency > 0,
                                (self.gross - self.gross_first_day) / frequency * kept,
                                0.0)
        monetary[~buyer] = np.nan
        return {"frequency": frequency, "recency": recency, "T": T, "monetary_value": monetary}


def _time_unit(time_unit: str) -> float:
    try:
        return TIME_UNITS[time_unit]
    except KeyError:
        raise ValueError(f"time_unit must be one of {sorted(TIME_UNITS)}, got {time_unit!r}") from None


def summary_from_transactions(transactions: pd.DataFrame, as_of=None,
                              time_unit: str = "weeks") -> pd.DataFrame:
    """Per-customer frequency / recency / T / monetary value, as the models expect.

    Parameters
    ----------
    transactions : DataFrame
        ``customer_id``, ``date``, ``amount``, optionally ``is_return``.
    as_of : date-like, optional
        End of the observation period; later lines are ignored.  Default: the last
        transaction date.
    time_unit : {"weeks", "days"}, default="weeks"

    Returns
    -------
    DataFrame
        Indexed by ``customer_id`` (customers with at least one purchase day on or
        before ``as_of``): ``frequency`` = repeat purchase days, ``recency`` = first to
        last purchase, ``T`` = first purchase to ``as_of``, ``monetary_value`` = mean
        spend per repeat purchase day (0 without repeats), net of returns.
    """
    tx = TransactionArrays.from_frame(transactions)
    as_of_day = tx.as_of_day(as_of)
    if as_of_day is None:
        raise DataError("transactions: no lines, so there is no default as-of date; give as_of")
    days = PurchaseDays.from_arrays(tx.up_to(as_of_day))
    summary = pd.DataFrame(days.summary(as_of_day, time_unit),
                           index=tx.customer_ids.rename("customer_id"))
    summary = summary[days.n_days > 0]
    return summary.astype({"frequency": np.int64})


# --------------------------------------------------------------------------- BG/NBD


@dataclass(frozen=True)
class _Fit:
    """What every fitted model reports besides its parameters.

    ``at_bounds`` names parameters that ended on the search box :data:`PARAM_BOUNDS`: e.g.
    BG/NBD's ``a`` there means the data show no drop-out at all.
    """

    PARAMS: ClassVar[tuple[str, ...]] = ()
    log_likelihood: float
    converged: bool
    n_iter: int
    message: str
    at_bounds: list
    n_customers: int

    @property
    def params(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in self.PARAMS}

    def diagnostics(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k not in self.PARAMS}


@dataclass(frozen=True)
class BGNBDFit(_Fit):
    """Fitted BG/NBD parameters (``alpha`` in the time unit of the data) and diagnostics."""

    PARAMS: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    r: float
    alpha: float
    a: float
    b: float
    n_repeat_buyers: int


def _check_rft(frequency, recency, T):
    x = np.asarray(frequency, dtype=np.float64)
    tx = np.asarray(recency, dtype=np.float64)
    T = np.asarray(T, dtype=np.float64)
    if not x.shape == tx.shape == T.shape or x.ndim != 1:
        raise DataError(f"frequency, recency and T must be 1-d and of one length, "
                        f"got shapes {x.shape}, {tx.shape}, {T.shape}")
    if not (np.isfinite(x).all() and np.isfinite(tx).all() and np.isfinite(T).all()):
        raise DataError("frequency, recency and T must be finite (drop customers without purchases)")
    if (x < 0).any() or (x != np.round(x)).any():
        raise DataError("frequency must be a non-negative whole number of repeat purchases")
    if (tx < 0).any() or (tx > T * (1 + 1e-12)).any():
        raise DataError("recency must lie in [0, T] for every customer")
    if ((x == 0) & (tx != 0)).any():
        raise DataError("recency must be 0 for customers without repeat purchases")
    return x, tx, T


def _unique_rows(*columns):
    """Distinct rows of the given equal-length columns and how often each occurs."""
    order = np.lexsort(columns[::-1])
    sorted_cols = [c[order] for c in columns]
    change = np.zeros(len(order), dtype=bool)
    change[:1] = True
    for c in sorted_cols:
        change[1:] |= c[1:] != c[:-1]
    starts = np.flatnonzero(change)
    counts = np.diff(np.r_[starts, len(order)])
    return [c[starts] for c in sorted_cols], counts.astype(np.float64)


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Dot product without BLAS (see :func:`_one_blas_thread`)."""
    return float(np.einsum("i,i->", a, b))


def _by_value(x, w):
    """Distinct values of ``x``, each row's index into them, and the weight per value."""
    values, index = np.unique(x, return_inverse=True)
    return values, index, np.bincount(index, weights=w, minlength=len(values))


def _bgnbd_data(x, tx, T):
    """Compressed inputs for repeated likelihood evaluations.

    Rows with equal (x, t_x, T) are merged into weights; the terms that depend on x
    alone are summed per distinct x; one-time buyers (x = 0) are kept apart because
    their likelihood has no drop-out term.
    """
    (x, tx, T), w = _unique_rows(x, tx, T)
    once = x == 0
    xs, _, wx = _by_value(x, w)
    rep_xs, rep_index, _ = _by_value(x[~once], w[~once])
    return {"xs": xs, "wx": wx, "T0": T[once], "w0": w[once],
            "x1": x[~once], "tx1": tx[~once], "T1": T[~once], "w1": w[~once],
            "rep_xs": rep_xs, "rep_index": rep_index, "weight": float(w.sum())}


def _bgnbd_loglik(theta, d, with_grad=True):
    """Weighted BG/NBD log-likelihood and its gradient in log-parameters.

    Per customer (Fader, Hardie & Lee 2005a, eq. 6):
    ``ln Γ(r+x) - ln Γ(r) + r ln α + ln B(a, b+x) - ln B(a, b)
    + ln[(α+T)^-(r+x) + 1{x>0} a/(b+x-1) (α+t_x)^-(r+x)]``.
    """
    r, alpha, a, b = np.exp(theta)
    xs, wx, W = d["xs"], d["wx"], d["weight"]
    x1, w1 = d["x1"], d["w1"]
    total = (_dot(wx, special.gammaln(r + xs) + special.gammaln(b + xs)
                  - special.gammaln(a + b + xs))
             + W * (r * np.log(alpha) - special.gammaln(r) + special.gammaln(a + b)
                    - special.gammaln(b)))
    log_T0 = np.log(alpha + d["T0"])
    total -= r * _dot(d["w0"], log_T0)
    log_T1, log_t1 = np.log(alpha + d["T1"]), np.log(alpha + d["tx1"])
    log_b1 = np.log(b + d["rep_xs"] - 1)[d["rep_index"]]
    u = -(r + x1) * log_T1  # log of the "still alive" term
    diff = np.log(a) - log_b1 - (r + x1) * log_t1 - u  # log odds of the "dropped out" term
    total += _dot(w1, u + np.logaddexp(0, diff))
    if not with_grad:
        return float(total)
    w4 = special.expit(diff)  # share of the dropped-out term
    w3 = 1 - w4
    psi_ab = special.digamma(a + b)
    psi_abx = _dot(wx, special.digamma(a + b + xs))
    d_r = (_dot(wx, special.digamma(r + xs)) + W * (np.log(alpha) - special.digamma(r))
           - _dot(d["w0"], log_T0) - _dot(w1, w3 * log_T1 + w4 * log_t1))
    d_alpha = (W * r / alpha - r * _dot(d["w0"], 1 / (alpha + d["T0"]))
               - _dot(w1, (r + x1) * (w3 / (alpha + d["T1"]) + w4 / (alpha + d["tx1"]))))
    d_a = W * psi_ab - psi_abx + _dot(w1, w4) / a
    d_b = (W * (psi_ab - special.digamma(b)) + _dot(wx, special.digamma(b + xs)) - psi_abx
           - _dot(w1, w4 * np.exp(-log_b1)))
    return float(total), np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])


def _one_blas_thread():
    """Single-threaded BLAS for the optimiser's tiny vector operations.

    L-BFGS-B calls BLAS on 3-4 element vectors; OpenBLAS threads that spin and wait
    make each call ~100x slower on a busy two-core machine.
    """
    return threadpool_limits(limits=1, user_api="blas")


def _maximise(loglik, names, starts, data) -> tuple[dict, dict]:
    """L-BFGS-B on the mean log-likelihood from each start; the best result wins.

    Returns the parameters by name and the diagnostics of :class:`_Fit`.
    """
    weight_sum = data["weight"]

    def objective(theta):
        value, grad = loglik(theta, data)
        return -value / weight_sum, -grad / weight_sum

    best = None
    for start in starts:
        with _one_blas_thread(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            res = optimize.minimize(objective, np.log(start), jac=True, method="L-BFGS-B",
                                    bounds=[_LOG_BOUND] * len(start),
                                    options={"maxiter": 1000, "ftol": 1e-13, "gtol": 1e-8})
        if not np.isfinite(res.fun):
            continue
        # L-BFGS-B may stop on a line-search failure at the optimum: accept a tiny gradient
        converged = bool(res.success) or float(np.max(np.abs(res.jac))) < 1e-5
        if best is None or (converged, -res.fun) > (best[1], -best[0].fun):
            best = (res, converged)
        if converged:
            break
    if best is None:
        raise DataError("the likelihood is not finite at any starting point; check the inputs")
    res, converged = best
    at_bound = np.isclose(res.x, _LOG_BOUND[0]) | np.isclose(res.x, _LOG_BOUND[1])
    params = {name: float(value) for name, value in zip(names, np.exp(res.x))}
    return params, {"log_likelihood": float(-res.fun * weight_sum), "converged": converged,
                    "n_iter": int(res.nit), "message": str(res.message),
                    "at_bounds": [name for name, hit in zip(names, at_bound) if hit]}


def fit_bgnbd(frequency, recency, T, *, min_repeat_buyers: int = MIN_REPEAT_BUYERS) -> BGNBDFit:
    """Fit the BG/NBD model by maximum likelihood.

    Parameters
    ----------
    frequency, recency, T : array-like
        Per customer: repeat purchases, time of last purchase and length of the
        observation period, both measured from the first purchase (see
        :func:`summary_from_transactions`).  The time unit of ``recency`` and ``T``
        is the unit of the fitted rates (``alpha``).
    min_repeat_buyers : int, default=20
        Refuse to fit on fewer customers with a repeat purchase: the drop-out
        parameters ``a``, ``b`` would be guesswork.

    Returns
    -------
    BGNBDFit
        ``r``, ``alpha`` (purchase-rate Gamma), ``a``, ``b`` (drop-out Beta), the
        total log-likelihood and whether the optimiser converged.
    """
    x, tx, T = _check_rft(frequency, recency, T)
    n_repeat = int((x > 0).sum())
    if n_repeat < min_repeat_buyers:
        raise DataError(f"BG/NBD needs at least {min_repeat_buyers} customers with a repeat "
                        f"purchase, got {n_repeat}")
    data = _bgnbd_data(x, tx, T)
    rate = max(x.mean(), 1e-3) / max(T.mean(), 1e-3)  # pooled repeat purchases per unit time
    starts = [(1.0, 1.0 / rate, 1.0, 1.0), (0.5, 0.5 / rate, 0.5, 2.0), (1.0, 1.0, 1.0, 1.0)]
    params, diagnostics = _maximise(_bgnbd_loglik, BGNBDFit.PARAMS, starts, data)
    return BGNBDFit(**params, **diagnostics, n_customers=len(x), n_repeat_buyers=n_repeat)


def _bgnbd_params(params):
    p = params.params if isinstance(params, BGNBDFit) else params
    try:
        values = tuple(float(p[k]) for k in ("r", "alpha", "a", "b"))
    except (KeyError, TypeError):
        raise ValueError(f"BG/NBD params must be a BGNBDFit or a dict with r, alpha, a, b; "
                         f"got {params!r}") from None
    if not all(np.isfinite(v) and v > 0 for v in values):
        raise ValueError(f"BG/NBD params must be positive, got {p!r}")
    return values


def _log_odds_dead(r, alpha, a, b, x, tx, T):
    """log of a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x): the odds of having dropped out."""
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = (np.log(a) - np.log(b + x - 1)
                + (r + x) * (np.log(alpha + T) - np.log(alpha + tx)))
    return np.where(x > 0, odds, -np.inf)


def p_alive(params, frequency, recency, T) -> np.ndarray:
    """Probability that each customer is still active at the end of the period.

    Eq. (13) of Fader, Hardie & Lee (2005a).  By the model's construction a customer
    can only drop out right after a repeat purchase, so it is exactly 1 for customers
    without repeat purchases, however long ago they bought.
    """
    r, alpha, a, b = _bgnbd_params(params)
    x, tx, T = _check_rft(frequency, recency, T)
    return special.expit(-_log_odds_dead(r, alpha, a, b, x, tx, T))


def expected_purchases(params, t, frequency, recency, T) -> np.ndarray:
    """Expected number of purchases in the next ``t`` time units, given each history.

    Eq. (10) of Fader, Hardie & Lee (2005a).  The Gauss hypergeometric term is taken
    through Euler's transformation, ``(1-z)^(r+x) 2F1(r+x, b+x; c; z) = (1-z)^(a-1)
    2F1(c-r-x, c-b-x; c; z)`` with ``c = a+b+x-1``, which keeps it finite for heavy
    buyers over long horizons.  Where a degenerate fit (parameters at the search bounds)
    still overflows it, the result is NaN: callers check before use.
    """
    r, alpha, a, b = _bgnbd_params(params)
    x, tx, T = _check_rft(frequency, recency, T)
    t = float(t)
    if not (np.isfinite(t) and t >= 0):
        raise ValueError(f"t must be a non-negative number of time units, got {t!r}")
    if abs(a - 1) < 1e-7:  # the closed form is 0/0 at a == 1; its limit is smooth
        a = 1 + 1e-7
    z = t / (alpha + T + t)
    with np.errstate(invalid="ignore", over="ignore"):  # NaN where a degenerate fit breaks the form
        hyp = special.hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
        alive_part = (a + b + x - 1) / (a - 1) * (1 - np.exp((a - 1) * np.log1p(-z)) * hyp)
    return alive_part * special.expit(-_log_odds_dead(r, alpha, a, b, x, tx, T))


# --------------------------------------------------------------------------- Gamma-Gamma


@dataclass(frozen=True)
class GammaGammaFit(_Fit):
    """Fitted Gamma-Gamma spend parameters and diagnostics."""

    PARAMS: ClassVar[tuple[str, ...]] = ("p", "q", "v")
    p: float
    q: float
    v: float


def _check_spenders(frequency, monetary_value):
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary_value, dtype=np.float64)
    if x.shape != m.shape or x.ndim != 1:
        raise DataError(f"frequency and monetary_value must be 1-d and of one length, "
                        f"got shapes {x.shape}, {m.shape}")
    if not (np.isfinite(x).all() and np.isfinite(m).all()):
        raise DataError("frequency and monetary_value must be finite")
    if (x < 0).any() or (x != np.round(x)).any():
        raise DataError("frequency must be a non-negative whole number of repeat purchases")
    return x, m


def _gg_data(x, m):
    """Compressed Gamma-Gamma inputs: merged duplicate rows, x-only terms per distinct x."""
    (x, m), w = _unique_rows(x, m)
    xs, index, wx = _by_value(x, w)
    return {"xs": xs, "wx": wx, "index": index, "x": x, "xm": x * m, "w": w,
            "sum_log_m": _dot(w, np.log(m)),
            "x_log_xm": _dot(w, x * np.log(x * m)), "weight": float(w.sum())}


def _gg_loglik(theta, d, with_grad=True):
    """Weighted Gamma-Gamma log-likelihood of mean spends and its log-parameter gradient.

    Per customer (Fader, Hardie & Lee 2005b; Hardie's note on the model):
    ``ln Γ(px+q) - ln Γ(px) - ln Γ(q) + q ln v + (px-1) ln m + px ln x - (px+q) ln(xm+v)``.
    """
    p, q, v = np.exp(theta)
    xs, wx, w, W = d["xs"], d["wx"], d["w"], d["weight"]
    pxs = p * xs
    log_xm_v = np.log(d["xm"] + v)
    pxq = p * d["x"] + q
    total = (_dot(wx, special.gammaln(pxs + q) - special.gammaln(pxs))
             + W * (q * np.log(v) - special.gammaln(q)) + p * d["x_log_xm"] - d["sum_log_m"]
             - _dot(w, pxq * log_xm_v))
    if not with_grad:
        return float(total)
    psi = special.digamma(pxs + q)
    d_p = (_dot(wx, xs * (psi - special.digamma(pxs))) + d["x_log_xm"]
           - _dot(w, d["x"] * log_xm_v))
    d_q = _dot(wx, psi) + W * (np.log(v) - special.digamma(q)) - _dot(w, log_xm_v)
    d_v = W * q / v - _dot(w, pxq / (d["xm"] + v))
    return float(total), np.array([d_p * p, d_q * q, d_v * v])


def fit_gamma_gamma(frequency, monetary_value, *,
                    min_customers: int = MIN_REPEAT_BUYERS) -> GammaGammaFit:
    """Fit the Gamma-Gamma model of average spend per transaction.

    Parameters
    ----------
    frequency, monetary_value : array-like
        Per customer: repeat purchases and their mean value.  Only customers with
        ``frequency > 0`` and ``monetary_value > 0`` inform the fit; others are
        ignored (the model is for positive spends).
    min_customers : int, default=20
        Refuse to fit on fewer informative customers.

    Returns
    -------
    GammaGammaFit
        ``p`` (shape of a transaction's spend), ``q``, ``v`` (shape and scale of the
        customers' spend-rate Gamma); the population mean spend is ``p*v/(q-1)``.
    """
    x, m = _check_spenders(frequency, monetary_value)
    use = (x > 0) & (m > 0)
    n = int(use.sum())
    if n < min_customers:
        raise DataError(f"Gamma-Gamma needs at least {min_customers} customers with a repeat "
                        f"purchase of positive value, got {n}")
    data = _gg_data(x[use], m[use])
    mean = float(np.mean(m[use]))
    starts = [(2.0, 3.0, mean), (1.0, 1.5, mean), (10.0, 5.0, mean)]
    params, diagnostics = _maximise(_gg_loglik, GammaGammaFit.PARAMS, starts, data)
    return GammaGammaFit(**params, **diagnostics, n_customers=n)


def expected_avg_spend(params, frequency, monetary_value) -> np.ndarray:
    """Expected mean spend per future transaction, given each customer's history.

    ``p (v + x m) / (p x + q - 1)``: a weighted mean of the population mean
    ``p v / (q - 1)`` and the customer's own mean ``m``, the latter weighing more the
    more repeat purchases ``x`` it rests on.  Needs ``q > 1`` (a finite mean).
    """
    gg = params.params if isinstance(params, GammaGammaFit) else params
    try:
        p, q, v = (float(gg[k]) for k in ("p", "q", "v"))
    except (KeyError, TypeError):
        raise ValueError(f"Gamma-Gamma params must be a GammaGammaFit or a dict with p, q, v; "
                         f"got {params!r}") from None
    if not q > 1:
        raise ValueError(f"Gamma-Gamma q={q} <= 1: the spend distribution has no finite mean")
    x, m = _check_spenders(frequency, monetary_value)
    return p * (v + x * m) / (p * x + q - 1)
