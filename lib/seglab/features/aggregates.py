"""Per-customer aggregates of the transaction lines: everything the features need, nothing per line.

The customer features (RFM, lifecycle, lifetime value and its holdout check) are functions of
a few numbers per customer: purchase days, first and last purchase day, whole-cent sums of
purchases and returns, distinct purchase and return occasions, over the window up to the
as-of date, over the calibration period of the model check and over its holdout.  This module
defines them (:class:`CustomerAggregates`) and computes them from lines held in memory with
NumPy (:func:`from_arrays`, the reference).  The out-of-core engines of :mod:`seglab.compute`
(DuckDB on this machine, Dask on a cluster) compute the same integers from files of any size,
and :func:`seglab.features.build.features_from_aggregates` does the maths on them, so every
engine gives the same features (docs/architecture.md §7).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from seglab.features import clv
from seglab.features.model_health import Holdout, holdout_window

__all__ = ["CustomerAggregates", "from_arrays", "occasions"]


@dataclass(frozen=True)
class CustomerAggregates:
    """Per-customer aggregates (arrays in the order of ``customer_ids``) and the window's facts.

    Attributes
    ----------
    customer_ids : pandas.Index
    days : PurchaseDays
        Purchase days, first and last purchase day and money of the window (lines dated on
        or before ``as_of_day``).
    frequency, n_returns : ndarray of int64
        Distinct purchase and return occasions: order ids, and calendar days for lines
        without one (purchase days when the lines have no order ids at all).
    holdout : Holdout
    as_of_day : int or None
        End of the window, days since 1970-01-01 (None without any line).
    lines_total, lines_used : int
        All lines, and those in the window.
    first_day, last_day : int or None
        Dates of the first and last line of all lines.
    order_ids : bool
        The lines carry order ids.
    zero_amount_purchases : int
        Purchase lines of amount 0 in the window (free samples, 100 % vouchers).
    """

    customer_ids: pd.Index
    days: clv.PurchaseDays
    frequency: np.ndarray
    n_returns: np.ndarray
    holdout: Holdout
    as_of_day: int | None
    lines_total: int
    lines_used: int
    first_day: int | None
    last_day: int | None
    order_ids: bool
    zero_amount_purchases: int

    @property
    def n_customers(self) -> int:
        return len(self.customer_ids)


def occasions(code: np.ndarray, day: np.ndarray, order: np.ndarray | None, n: int) -> np.ndarray:
    """Distinct occasions per customer code: order codes (>= 0), else calendar days."""
    if order is None:
        key = day
    else:
        if len(order) == 0:
            return np.zeros(n, dtype=np.int64)
        key = np.where(order >= 0, order, int(order.max()) + 1 + (day - int(day.min())))
    pair_code, _ = clv.distinct_pairs(code, key)
    return np.bincount(pair_code, minlength=n).astype(np.int64)


def _holdout(code, day, cents, is_return, n, as_of_day, horizon_days) -> Holdout:
    purchases = day[~is_return]
    if as_of_day is None or len(purchases) == 0:
        return Holdout(None, 0, "no purchases")
    cal_end, days, reason = holdout_window(int(purchases.min()), as_of_day, horizon_days)
    if cal_end is None:
        return Holdout(None, days, reason)
    cal = day <= cal_end
    hold = ~cal
    held = clv.PurchaseDays.from_lines(code[hold], day[hold], cents[hold], is_return[hold], n)
    return Holdout(cal_end, days, reason,
                   calibration=clv.PurchaseDays.from_lines(code[cal], day[cal], cents[cal], is_return[cal], n),
                   hold_n_days=held.n_days,
                   hold_net=clv.from_cents(clv.sum_cents(code[hold], cents[hold], n)))


def from_arrays(tx_all: clv.TransactionArrays, as_of=None, *, horizon_days: float = 365) -> CustomerAggregates:
    """The aggregates of lines held in memory (the reference every engine is checked against).

    Parameters
    ----------
    tx_all : TransactionArrays
        Every line, with order codes when the table has order ids.
    as_of : date-like, optional
        End of the window; default the last line's date.
    horizon_days : float, default=365
        The CLV horizon, which bounds the holdout period.
    """
    n = tx_all.n_customers
    as_of_day = tx_all.as_of_day(as_of)
    tx = tx_all if as_of_day is None else tx_all.up_to(as_of_day)
    cents = clv.to_cents(tx.amount)
    days = clv.PurchaseDays.from_lines(tx.code, tx.day, cents, tx.is_return, n)
    buy, ret = ~tx.is_return, tx.is_return
    order = tx.order
    frequency = (days.n_days.copy() if order is None
                 else occasions(tx.code[buy], tx.day[buy], order[buy], n))
    n_returns = (occasions(tx.code[ret], tx.day[ret], None if order is None else order[ret], n)
                 if ret.any() else np.zeros(n, np.int64))
    return CustomerAggregates(
        customer_ids=tx_all.customer_ids, days=days, frequency=frequency, n_returns=n_returns,
        holdout=_holdout(tx.code, tx.day, cents, tx.is_return, n, as_of_day, horizon_days),
        as_of_day=as_of_day, lines_total=int(len(tx_all.day)), lines_used=int(len(tx.day)),
        first_day=int(tx_all.day.min()) if len(tx_all.day) else None,
        last_day=int(tx_all.day.max()) if len(tx_all.day) else None,
        order_ids=order is not None,
        zero_amount_purchases=int(((tx.amount == 0) & buy).sum()))
