"""Implausible values planted in a generated export, as real exports hold them: the values the
clean stage must catch with no ``cleaning.ranges`` written (issue 11, points 4 and 7).

Planted on clean rows only (no other planted problem, not part of a planted duplicate pair),
one truth label per row, with a random stream of their own so that the rest of a data set is
drawn as before:

customers
    - ``extreme_value``: one value of a money-like column ten times the column's largest (a
      slipped decimal point); the far-out gap rule catches it and caps it for the analysis.
    - ``placeholder_date``: sign-up dates of 1900-01-01, a system's default; set to unknown.
    - mixed date orders, where a spec names a column: a share of the column written by other
      systems as ``dd/mm/yyyy`` and ``mm/dd/yyyy``. ``day_first_date`` and
      ``month_first_date`` values can be read one way only and are read right;
      ``ambiguous_date`` values read both ways and are set aside as unknown.

transactions
    - ``absurd_amount``: orders at 1,000 to 3,000 times the median order (a price typed in
      cents, a test order); capped at the amount's fence for the analysis.
    - ``placeholder_date``: orders dated 1900-01-01; quarantined.

Free purchases and customers with only returns are planted by the engine
(:data:`seglab.demo.engine.LINE_PATTERNS`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from seglab.demo.engine import DemoData, count_of, pandas_text

__all__ = ["CUSTOMER_LABELS", "PLACEHOLDER", "SHARES", "TRANSACTION_LABELS", "Implausible", "plant"]

#: Shares of rows (customer records or transaction lines) that get each planted value.
SHARES = {"placeholder_date": 0.002, "mixed_dates": 0.04, "absurd_amount": 0.0001, "line_placeholder_date": 0.0001}
#: Of the mixed-order dates, the share written month first (the rest day first).
MONTH_FIRST = 0.25
#: A value of the money-like column this many times the column's largest.
EXTREME_FACTOR = 10.0
#: Absurd orders are this many times the median order (uniform between the two).
ABSURD_FACTOR = (1000.0, 3000.0)
PLACEHOLDER = "1900-01-01"
CUSTOMER_LABELS = ("extreme_value", "placeholder_date", "day_first_date", "month_first_date", "ambiguous_date")
TRANSACTION_LABELS = ("absurd_amount", "placeholder_date")


@dataclass(frozen=True)
class Implausible:
    """What a data set gets planted: ``money`` names the customer column of money-like values
    that gets one extreme value (None: none), ``mixed_dates`` the customer date column partly
    written in both day/month orders (None: none), ``signup`` the column of sign-up dates that
    gets placeholder dates, ``id_column``, ``date_column`` and ``amount_column`` those of the
    tables."""

    money: str | None = None
    mixed_dates: str | None = None
    signup: str = "signup_date"
    id_column: str = "customer_id"
    date_column: str = "order_date"
    amount_column: str = "amount"


def plant(rng: np.random.Generator, data: DemoData, spec: Implausible) -> DemoData:
    """``data`` with the implausible values of ``spec`` planted and labelled in its truth."""
    customers, ct = data.customers.copy(), data.customers_truth.copy()
    transactions, tt = data.transactions.copy(), data.transactions_truth.copy()
    problem = ct["problem"].to_numpy(dtype=object).copy()
    survivors = set(ct["duplicate_of"]) - {""}
    free = np.flatnonzero((problem == "") & ~ct["customer_id"].isin(survivors).to_numpy()
                          & ~ct["customer_id"].duplicated(keep=False).to_numpy())
    rng.shuffle(free)
    taken = 0

    def take(n):
        nonlocal taken
        rows = np.sort(free[taken:taken + n])
        taken += n
        return rows

    if spec.money is not None:
        values = pd.to_numeric(customers[spec.money], errors="coerce")
        row = take(1)
        decimals = 1 if customers[spec.money].str.contains(".", regex=False).any() else 0
        customers.loc[row, spec.money] = f"{values.max() * EXTREME_FACTOR:.{decimals}f}"
        problem[row] = "extreme_value"
    row = take(count_of(SHARES["placeholder_date"], len(customers)))
    customers.loc[row, spec.signup] = PLACEHOLDER
    problem[row] = "placeholder_date"
    if spec.mixed_dates is not None:
        _mix_orders(rng, customers, problem, take, spec.mixed_dates)
    ct["problem"] = pandas_text(problem.astype(str))

    label = tt["problem"].to_numpy(dtype=object).copy()
    amount = transactions[spec.amount_column].to_numpy(dtype=float).copy()
    order = tt["order_id"]  # the truth mirrors the order column, whatever the export calls it
    returned = set(order[order.str.startswith("C")].str[1:])
    lines = transactions[spec.id_column].map(transactions[spec.id_column].value_counts())
    ok = np.flatnonzero((label == "") & (amount > 0) & ~order.str.startswith("C").to_numpy()
                        & ~order.isin(returned).to_numpy() & (lines >= 3).to_numpy())
    median = float(np.median(amount[(label == "") & (amount > 0)]))
    n_absurd = count_of(SHARES["absurd_amount"], len(transactions))
    n_placeholder = count_of(SHARES["line_placeholder_date"], len(transactions))
    picked = rng.choice(ok, size=n_absurd + n_placeholder, replace=False)
    absurd, placeholder = np.sort(picked[:n_absurd]), np.sort(picked[n_absurd:])
    amount[absurd] = np.round(median * rng.uniform(*ABSURD_FACTOR, len(absurd)), 2)
    label[absurd] = "absurd_amount"
    transactions[spec.amount_column] = amount
    dates = transactions[spec.date_column].to_numpy(dtype=object).copy()
    dates[placeholder] = PLACEHOLDER
    label[placeholder] = "placeholder_date"
    transactions[spec.date_column] = pandas_text(dates.astype(str))
    tt["problem"] = pandas_text(label.astype(str))
    return replace(data, customers=customers, customers_truth=ct, transactions=transactions, transactions_truth=tt)


def _mix_orders(rng, customers, problem, take, column) -> None:
    """Write a share of ``column``'s ISO dates as ``dd/mm/yyyy`` or ``mm/dd/yyyy`` (dates whose
    day equals their month read the same both ways and are left as they are)."""
    rows = take(count_of(SHARES["mixed_dates"], len(customers)))
    iso = pd.to_datetime(customers.loc[rows, column], format="%Y-%m-%d", errors="coerce")
    keep = (iso.notna() & (iso.dt.day != iso.dt.month)).to_numpy()
    rows, iso = rows[keep], iso[keep]
    month_first = rng.random(len(rows)) < MONTH_FIRST
    customers.loc[rows, column] = np.where(month_first, iso.dt.strftime("%m/%d/%Y"), iso.dt.strftime("%d/%m/%Y"))
    decisive = (iso.dt.day > 12).to_numpy()
    problem[rows] = np.where(~decisive, "ambiguous_date", np.where(month_first, "month_first_date", "day_first_date"))
