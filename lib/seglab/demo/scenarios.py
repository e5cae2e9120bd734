"""Demo scenarios beyond the retail demo: a six-month shift of it for re-segmentation tests, and
the five case studies' data sets, each with planted groups, planted problems and truth files.

Every scenario is a generator ``(rng, n_customers, transactions_per_customer) -> DemoData``
registered in :data:`seglab.demo.generate.SCENARIOS` (``seglab demo-data --scenario NAME``). They are
vectorised and deterministic like the retail demo: the same seed gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

import seglab.demo.engine as demo
from seglab.demo.engine import (
    CUSTOMER_PROBLEMS,
    RETAIL_GROUPS,
    TRANSACTION_PROBLEMS,
    WINDOW_END,
    WINDOW_START,
    DemoData,
    PlantedGroup,
    _count,
    _customer_table,
    _dates,
    _join,
    _lines,
    _normalised,
    _orders,
    _pad,
    _people,
    _records,
    _split_duplicates,
    _text,
    _transaction_table,
)

# ================================================================================================
# retail_shift: the retail demo six months later
# ================================================================================================
#
# How "the same people" is kept: the generator first draws the retail demo with the very same
# random stream (so every retail record, id, problem and truth row is identical), then draws
# the six months after it from where that stream stopped. The new export's window is the
# retail window moved by SHIFT_DAYS: lines of the first six months drop out (with the returns
# of their orders), every retail record still buying goes on at its own observed pace (a
# Gamma-Poisson posterior of its rate, its median order amount), and new customers join — more
# young runners and a new group, family app shoppers — with ids continuing after the retail
# ids. New records and lines get the retail shares of planted problems. The six months are
# drawn on the retail engine's day axis (its last SHIFT_DAYS days) and moved by SHIFT_DAYS,
# so the engine's helpers serve unchanged.

SHIFT_DAYS = 184  # 2023-07-01 -> 2024-01-01: the window becomes 2024-01-01 .. 2026-12-31
SHIFT_WINDOW_START = WINDOW_START + SHIFT_DAYS
SHIFT_WINDOW_END = WINDOW_END + SHIFT_DAYS
SHIFT_AS_OF = str(SHIFT_WINDOW_END)  # runs of this data need data.as_of: 2026-12-31

FAMILY_APP_SHOPPERS = PlantedGroup(
    "family_app_shoppers", 0.10, age=(30, 40), income=200, male=0.25,
    cities={"Hangzhou": 4, "Shanghai": 1, "Beijing": 1},
    channel={"app": 0.9, "web": 0.07, "store": 0.03},
    tier={"basic": 0.3, "silver": 0.6, "gold": 0.1},
    occupation={"office worker": 0.4, "teacher": 0.25, "engineer": 0.2, "manager": 0.15},
    interest={"kids": 0.75, "fashion": 0.25},
    orders_per_year=8.0, order_amount=450, returns=0.08, tenure=1.0, new_share=1.0,
)
SHIFT_TARGET_SHARES = {"young_runners": 0.35, "family_app_shoppers": 0.10}
_PRIOR_SHAPE = 6.0  # the retail engine's spread of people's rates around their group's: Gamma(6, 1/6)


def _retail_shift(rng, n_customers, transactions_per_customer) -> DemoData:
    """The retail demo six months later: same customers and ids, young runners grown to ~35 %
    through new customers, and a new planted group, family app shoppers (~10 %).

    ``n_customers`` is the size of the retail base (``--customers N`` gives the retail set of
    that size plus the newcomers).
    """
    base = demo._retail(rng, n_customers, transactions_per_customer)
    rate_scale = transactions_per_customer / demo._CALIBRATED_TRANSACTIONS
    groups = (*RETAIL_GROUPS, FAMILY_APP_SHOPPERS)
    index = {g.name: i for i, g in enumerate(groups)}
    first_new_day = demo._WINDOW_DAYS - SHIFT_DAYS  # on the engine's axis; shifted afterwards

    # Newcomers: enough young runners and family shoppers to reach the target shares.
    base_share = (base.customers_truth.drop_duplicates("customer_id")["planted_group"]
                  .value_counts().get("young_runners", 0)) / n_customers
    total = n_customers * (1 - base_share) / (1 - sum(SHIFT_TARGET_SHARES.values()))
    n_young = max(1, round(SHIFT_TARGET_SHARES["young_runners"] * total - base_share * n_customers))
    n_family = max(1, round(SHIFT_TARGET_SHARES["family_app_shoppers"] * total))
    new_groups = (RETAIL_GROUPS[0], FAMILY_APP_SHOPPERS)
    n_new = n_young + n_family
    n_dup = _count(CUSTOMER_PROBLEMS["duplicate"], n_new)
    people = _people(rng, _with_shares(new_groups, [n_young, n_family]), n_new - n_dup)
    n_people = len(people["group"])
    # They sign up during the first five of the six months and buy until its end.
    signup = first_new_day + rng.integers(0, SHIFT_DAYS - 30, n_people)
    people["signup"] = signup
    people["active_from"] = np.minimum(signup + rng.integers(0, 8, n_people), demo._WINDOW_DAYS - 1)
    people["active_to"] = np.full(n_people, demo._WINDOW_DAYS - 1)
    orders = _orders(rng, new_groups, people, rate_scale)
    dup_of, dup_signup, record = _split_duplicates(rng, people, orders, n_dup)
    signups = np.concatenate([people["signup"], dup_signup])
    rank = np.empty(len(signups), dtype=np.int64)
    rank[np.argsort(signups, kind="stable")] = np.arange(len(signups))

    first_id = _max_id_number(base) + 1
    width = max(6, len(str(first_id + n_new)))
    new_ids = _join("C", _pad(np.arange(first_id, first_id + n_new), width))
    records = _records(rng, people, dup_of)
    _avoid_contacts(rng, records, dup_of, n_people, base.customers)
    first = demo._day(demo._SIGNUP_START)
    records["signup_date"] = _text(_dates(signups - first, demo._SIGNUP_START, demo._WINDOW_DAYS - first))
    customers, customers_truth = _customer_table(rng, new_groups, people, records, dup_of, rank, new_ids)
    customers["signup_date"] = _shift_dates(customers["signup_date"])
    customers_truth["source_row"] += len(base.customers)

    # Lines: the retail records still buying, then the newcomers, on one day axis.
    cont = _continuing(rng, base, groups, index, rate_scale, first_new_day)
    n_cont = len(cont["ids"])
    new_group_index = np.array([index[g.name] for g in new_groups])[people["group"]]
    owner_group = np.concatenate([cont["group"], new_group_index])
    day = np.concatenate([cont["day"], orders["day"]]).astype(np.int16)
    by_day = np.argsort(day, kind="stable")
    merged = {
        "owner": np.concatenate([cont["owner"], n_cont + orders["owner"]])[by_day],
        "day": day[by_day],
        "amount": np.concatenate([cont["amount"], orders["amount"]])[by_day],
    }
    id_number = np.concatenate([cont["owner"], n_cont + rank[record]])[by_day]
    n_known = n_cont + n_new
    n_unknown = _count(TRANSACTION_PROBLEMS["unknown_customer"], n_known)
    n_ghost = max(1, n_unknown // 3)
    ghosts = _join("C", _pad(np.arange(first_id + n_new, first_id + n_new + n_ghost), width))
    ids = pa.concat_arrays([pa.array(cont["ids"], pa.string()), new_ids.cast(pa.string()),
                            ghosts.cast(pa.string())])
    lines = _lines(rng, groups, {"group": owner_group}, merged, id_number, n_known, n_ghost, n_unknown)
    new_tx, new_tx_truth = _transaction_table(rng, lines, ids)
    new_tx["order_date"] = _shift_dates(new_tx["order_date"])
    offset = _max_order_number(base.transactions)
    new_tx["order_id"] = new_tx_truth["order_id"] = _renumber_orders(new_tx["order_id"], offset)

    kept_tx, kept_truth = _later_lines(base)
    transactions = pd.concat([kept_tx, new_tx], ignore_index=True)
    tx_truth = pd.concat([kept_truth, new_tx_truth], ignore_index=True)
    tx_truth["source_row"] = np.arange(1, len(tx_truth) + 1)
    return DemoData(
        pd.concat([base.customers, customers], ignore_index=True),
        transactions,
        pd.concat([base.customers_truth, customers_truth], ignore_index=True),
        tx_truth,
    )


def _with_shares(groups, counts) -> tuple[PlantedGroup, ...]:
    """The groups with their shares set to ``counts`` (drawn in these proportions)."""
    from dataclasses import replace

    total = float(sum(counts))
    return tuple(replace(g, share=c / total) for g, c in zip(groups, counts))


def _continuing(rng, base, groups, index, rate_scale, first_new_day) -> dict:
    """Orders in the six new months of every retail record that still buys.

    A record superseded by a second record of the same person, and the lapsed group, buy no
    more. Each record's yearly rate is the Gamma-Poisson posterior mean of its retail orders
    (prior: its group's rate with the engine's spread); amounts spread around its median order.
    """
    truth = base.customers_truth[base.customers_truth["problem"] != "exact_duplicate"]
    superseded = set(truth.loc[truth["problem"] == "duplicate", "duplicate_of"])
    stopped = {g.name for g in groups if g.stops is not None}
    keep = ~truth["customer_id"].isin(superseded) & ~truth["planted_group"].isin(stopped)
    records = truth.loc[keep, ["customer_id", "planted_group"]].reset_index(drop=True)

    tx = base.transactions[base.transactions_truth["problem"].eq("").to_numpy()]
    tx = tx[tx["amount"] > 0]
    day = (pd.to_datetime(tx["order_date"], format="%Y-%m-%d") - pd.Timestamp(str(WINDOW_START))).dt.days
    per = pd.DataFrame({"customer_id": tx["customer_id"].to_numpy(), "day": day.to_numpy(),
                        "amount": tx["amount"].to_numpy()}).groupby("customer_id")
    stats = pd.DataFrame({"n": per.size(), "first": per["day"].min(), "median": per["amount"].median()})
    stats = stats.reindex(records["customer_id"])
    group = records["planted_group"].map(index).to_numpy()
    prior_rate = np.array([g.orders_per_year for g in groups])[group] * rate_scale
    n_seen = stats["n"].fillna(0).to_numpy()
    years = (demo._WINDOW_DAYS - stats["first"].fillna(demo._WINDOW_DAYS).to_numpy()) / 365.25
    rate = (_PRIOR_SHAPE + n_seen) / (_PRIOR_SHAPE / prior_rate + years)
    typical = stats["median"].fillna(pd.Series(np.array([g.order_amount for g in groups])[group],
                                               index=stats.index)).to_numpy()
    counts = rng.poisson(rate * SHIFT_DAYS / 365.25)
    owner = np.repeat(np.arange(len(records)), counts)
    return {
        "ids": records["customer_id"].to_numpy(dtype=object),
        "group": group,
        "owner": owner,
        "day": first_new_day + rng.integers(0, SHIFT_DAYS, len(owner)),
        "amount": np.round(np.maximum(1.0, typical[owner] * rng.lognormal(0.0, 0.45, len(owner))), 2),
    }


def _later_lines(base) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The retail lines the moved window still holds: dated from its start (or unreadable /
    far-future problem dates), without returns whose order fell out of the window."""
    tx, truth = base.transactions, base.transactions_truth
    when = pd.to_datetime(tx["order_date"], format="%Y-%m-%d", errors="coerce")
    keep = ~(when < pd.Timestamp(str(SHIFT_WINDOW_START))).to_numpy()
    is_return = tx["order_id"].str.startswith("C").to_numpy()
    kept_orders = set(tx.loc[keep & ~is_return, "order_id"])
    keep &= ~is_return | tx["order_id"].str[1:].isin(kept_orders).to_numpy()
    return tx[keep].reset_index(drop=True), truth[keep].reset_index(drop=True)


def _shift_dates(values: pd.Series) -> pd.Series:
    """ISO dates moved by SHIFT_DAYS; broken and far-future dates (planted problems) unchanged."""
    when = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    real = (when.dt.year < 2050).to_numpy()
    out = values.to_numpy(dtype=object).copy()
    out[real] = (when[real] + pd.Timedelta(days=SHIFT_DAYS)).dt.strftime("%Y-%m-%d").to_numpy()
    return pd.Series(_text(out), index=values.index)


def _max_id_number(base) -> int:
    ids = pd.concat([base.customers["customer_id"], base.transactions["customer_id"]])
    return int(ids.str.slice(1).astype("int64").max())


def _max_order_number(transactions) -> int:
    return int(transactions["order_id"].str.extract(r"O(\d+)$")[0].astype("int64").max())


def _renumber_orders(order_id: pd.Series, offset: int) -> pd.Series:
    parts = order_id.str.extract(r"^(C?)O(\d+)$")
    number = parts[1].astype("int64") + offset
    width = max(7, len(str(int(number.max()))))
    return pd.Series(_text((parts[0] + "O" + number.astype(str).str.zfill(width)).to_numpy()),
                     index=order_id.index)


def _avoid_contacts(rng, records, dup_of, n_people, existing) -> None:
    """Newcomers must not share an email or a phone with an existing customer, or cleaning would
    rightly merge them: give such a person (and their second record) another one."""
    taken_email = set(existing["email"].str.strip().str.lower())
    taken_phone = set(existing["phone"].str.replace(r"\D", "", regex=True).str[-11:])
    person_of = np.concatenate([np.arange(n_people), dup_of])
    while True:
        email = records["email"].iloc[:n_people].str.strip().str.lower()
        phone = records["phone"].iloc[:n_people].str.replace(r"\D", "", regex=True).str[-11:]
        bad_email = (email.isin(taken_email) | email.duplicated()).to_numpy()
        bad_phone = (phone.isin(taken_phone) | phone.duplicated()).to_numpy()
        if not (bad_email.any() or bad_phone.any()):
            return
        digits = pd.Series(rng.integers(10, 100, n_people).astype(str))
        rows = np.flatnonzero(bad_email[person_of])
        records.loc[rows, "email"] = [
            e.replace("@", d + "@", 1) for e, d in zip(records["email"].iloc[rows], digits.iloc[person_of[rows]])]
        tail = pd.Series(rng.integers(0, 10_000, n_people).astype(str)).str.zfill(4)
        rows = np.flatnonzero(bad_phone[person_of])
        records.loc[rows, "phone"] = [
            p[:-4] + t for p, t in zip(records["phone"].iloc[rows], tail.iloc[person_of[rows]])]


# ================================================================================================
# The case-study engine
# ================================================================================================
#
# A case study is a :class:`CaseSpec`: its own customer columns, planted groups that differ in
# those columns and in how they buy (rate, amount, season, when they start and stop, or regular
# billing), and the columns that get which planted problems. Lines are drawn on the retail
# engine's day axis (case windows end where the retail window ends), so its line, return and
# problem machinery (``_lines``, ``_transaction_table``) serves unchanged.

CASE_WINDOW_START = np.datetime64("2024-07-01", "D")  # two years, ending with the retail window
CASE_AS_OF = str(WINDOW_END)  # the params of every case study set data.as_of to it
_EARLIEST_SIGNUP = np.datetime64("2016-01-01", "D")

#: Monthly weights (January .. December) of when a group buys.
SEASONS = {
    "flat": (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1),
    "winter": (3.2, 2.4, 0.9, 0.25, 0.15, 0.15, 0.15, 0.2, 0.4, 1.2, 3.0, 3.8),  # ski season
    "summer": (0.4, 0.4, 0.7, 1.1, 1.8, 2.5, 2.8, 2.3, 1.1, 0.6, 0.4, 0.4),
    "outdoor": (0.5, 0.6, 1.3, 1.9, 1.6, 0.9, 0.7, 0.8, 1.6, 1.9, 0.8, 0.5),  # spring and autumn
    "festivals": (0.9, 0.6, 0.9, 0.9, 1.1, 2.3, 0.9, 0.9, 0.9, 1.0, 2.8, 1.3),  # 618 and 11.11
    "new_year": (2.2, 1.9, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.7, 0.8, 1.1, 2.4),
    "exams": (0.5, 0.8, 1.9, 2.1, 1.4, 0.5, 0.4, 0.8, 1.7, 1.9, 1.3, 0.5),
    "budget": (1.7, 0.6, 1.5, 0.7, 0.7, 1.6, 0.6, 0.6, 1.5, 0.7, 0.9, 2.6),  # quarter and year ends
}
MISSING_SHARE, IMPOSSIBLE_SHARE = 0.015, 0.005
SKIPPED_PAYMENTS = 0.06  # subscriptions: share of monthly payments not made (paused months)


@dataclass(frozen=True)
class CaseGroup:
    """A planted group of a case study.

    ``numbers`` maps a numeric column to how it is drawn: ``("int", low, high)`` (a bell between
    the two), ``("log", median, sigma)`` (skewed money-like values; ``"logint"`` rounded to whole
    numbers, e.g. employees), ``("likert", mean, sd)`` (survey answers 1-5) or
    ``("float", low, high)``. ``categories`` maps a categorical column to
    weights over its values. Buying: ``orders_per_year`` at ``order_amount`` (median), in the
    months of ``season`` (a key of :data:`SEASONS`, or a mapping from the value of the spec's
    ``season_by`` column to such a key). ``new_share`` first buy inside the window, starting in
    the ``starts`` fractions of it; the others have been customers for ``tenure`` years on
    average. ``stops`` (fractions of the window) or ``lifetime`` (days after the start) bound
    the last purchase; otherwise the group buys to the window's end.
    """

    name: str
    share: float
    numbers: dict = field(default_factory=dict)
    categories: dict = field(default_factory=dict)
    male: float = 0.5
    orders_per_year: float = 4.0
    order_amount: float = 100.0
    returns: float = 0.03
    season: str | dict = "flat"
    new_share: float = 0.2
    starts: tuple = (0.0, 0.75)
    tenure: float = 2.0
    stops: tuple | None = None
    lifetime: tuple | None = None


@dataclass(frozen=True)
class CaseSpec:
    """One case study's data: its columns, planted groups and planted problems.

    ``contacts`` is ``person`` (name, email, phone) or ``company`` (company_name, contact_name,
    contact_email, contact_phone). ``derive(rng, columns)`` adds columns computed from drawn ones
    (region from city). ``missing`` columns get empty cells, ``impossible`` maps a column to
    impossible values, ``variants`` maps a column to other spellings of its values (the params
    map them back). ``billing`` = (column, {value: (price, days between payments)}) makes
    payments regular, as in a subscription (the groups' Poisson orders then come on top, as
    pay-per-view purchases). ``decimals`` formats floats. The window runs from ``window_start``
    to the retail demo's last day, whose engine draws the lines.
    """

    name: str
    groups: tuple
    customer_columns: tuple
    id_column: str = "customer_id"
    id_prefix: str = "C"
    order_column: str = "order_id"
    order_prefix: str = "O"
    date_column: str = "order_date"
    contacts: str = "person"
    derive: object = None
    season_by: str | None = None
    missing: tuple = ()
    impossible: dict = field(default_factory=dict)
    variants: dict = field(default_factory=dict)
    billing: tuple | None = None
    decimals: dict = field(default_factory=dict)
    window_start: np.datetime64 = CASE_WINDOW_START

    @property
    def transaction_columns(self) -> tuple:
        return (self.id_column, self.order_column, self.date_column, "amount")

    def customer_problems(self) -> dict[str, float]:
        """Planted problems as shares of customer records, as in the retail demo."""
        shares = {"duplicate": CUSTOMER_PROBLEMS["duplicate"], "exact_duplicate": CUSTOMER_PROBLEMS["exact_duplicate"]}
        shares |= {f"missing_{c}": MISSING_SHARE for c in self.missing}
        shares |= {f"impossible_{c}": IMPOSSIBLE_SHARE for c in self.impossible}
        shares |= {k: CUSTOMER_PROBLEMS[k] for k in ("future_date", "bad_date")}
        if self.variants:
            shares["category_variant"] = 0.05
        return shares


def generate_case(rng, spec: CaseSpec, n_customers: int, transactions_per_customer: float) -> DemoData:
    """Draw a case study's customers and lines, plant its problems and write the truth."""
    rate_scale = transactions_per_customer / demo._CALIBRATED_TRANSACTIONS
    groups = spec.groups
    n_days = int((WINDOW_END - spec.window_start).astype(np.int64)) + 1
    axis = int((spec.window_start - WINDOW_START).astype(np.int64))  # case day 0 on the engine's axis
    n_dup = _count(CUSTOMER_PROBLEMS["duplicate"], n_customers)
    n = n_customers - n_dup
    group = rng.choice(len(groups), size=n, p=_normalised([g.share for g in groups]))
    columns = _attributes(rng, spec, group)
    male = rng.random(n) < np.array([g.male for g in groups])[group]
    if "gender" in spec.customer_columns:
        columns["gender"] = np.where(male, "male", "female").astype(object)
    if spec.derive is not None:
        spec.derive(rng, columns)
    period = _periods(rng, groups, group, n_days, spec.window_start)
    orders = _case_orders(rng, spec, group, columns, period, n_days, rate_scale)
    orders["day"] = (orders["day"] + axis).astype(np.int16)
    orders["first"], orders["last"] = orders["first"] + axis, orders["last"] + axis
    dup_of, dup_signup, record = _split_duplicates(rng, {"group": group}, orders, n_dup)
    signup = np.concatenate([period["signup"] + axis, dup_signup])
    rank = np.empty(len(signup), dtype=np.int64)
    rank[np.argsort(signup, kind="stable")] = np.arange(len(signup))
    n_unknown = _count(TRANSACTION_PROBLEMS["unknown_customer"], len(signup))
    n_ghost = max(1, n_unknown // 3)
    width = max(6, len(str(n_customers + n_ghost)))
    ids = _join(spec.id_prefix, _pad(np.arange(1, n_customers + n_ghost + 1), width))

    records = _case_records(rng, spec, columns, male, dup_of)
    first = int((_EARLIEST_SIGNUP - WINDOW_START).astype(np.int64))
    records["signup_date"] = _text(_dates(signup - first, _EARLIEST_SIGNUP, demo._WINDOW_DAYS - first))
    customers, customers_truth = _case_customer_table(rng, spec, group, records, dup_of, rank, ids)
    lines = _lines(rng, groups, {"group": group}, orders, rank[record], n_customers, n_ghost, n_unknown)
    transactions, transactions_truth = _transaction_table(rng, lines, ids)
    if spec.order_prefix != "O":
        transactions["order_id"] = transactions_truth["order_id"] = _text(
            transactions["order_id"].str.replace(r"^(C?)O", r"\g<1>" + spec.order_prefix, regex=True).to_numpy())
    transactions.columns = list(spec.transaction_columns)
    return DemoData(customers, transactions, customers_truth, transactions_truth)


def _attributes(rng, spec, group) -> dict[str, np.ndarray]:
    """Each group's numbers and categories, column by column in the table's order."""
    first = spec.groups[0]
    out = {}
    for col in spec.customer_columns:
        if col in first.numbers:
            out[col] = _numbers(rng, [g.numbers[col] for g in spec.groups], group)
        elif col in first.categories:
            vocab = list(dict.fromkeys(v for g in spec.groups for v in g.categories[col]))
            table = np.array([[g.categories[col].get(v, 0.0) for v in vocab] for g in spec.groups])
            table /= table.sum(axis=1, keepdims=True)
            out[col] = np.asarray(vocab, dtype=object)[demo._draw(rng, group, table)]
    return out


def _numbers(rng, specs, group) -> np.ndarray:
    kinds = {s[0] for s in specs}
    if len(kinds) != 1:
        raise ValueError(f"one kind of number per column, got {sorted(kinds)}")
    kind = kinds.pop()
    a = np.array([s[1] for s in specs], dtype=float)[group]
    b = np.array([s[2] for s in specs], dtype=float)[group]
    if kind == "int":
        return np.rint(a + (b - a) * rng.beta(2.0, 2.0, len(group))).astype(np.int64)
    if kind == "float":
        return a + (b - a) * rng.beta(2.0, 2.0, len(group))
    if kind == "log":
        return a * rng.lognormal(0.0, 1.0, len(group)) ** b
    if kind == "logint":
        return np.maximum(1, np.rint(a * rng.lognormal(0.0, 1.0, len(group)) ** b)).astype(np.int64)
    if kind == "likert":
        return np.clip(np.rint(rng.normal(a, b)), 1, 5).astype(np.int64)
    raise ValueError(f"unknown kind of number {kind!r}")


def _periods(rng, groups, group, n_days, window_start) -> dict[str, np.ndarray]:
    """Days (from the case window's start) of each person's first and last possible purchase,
    and of their signup."""
    n = len(group)

    def per_group(attr, default=(np.nan, np.nan)):
        return np.array([getattr(g, attr) or default for g in groups], dtype=float)[group]

    is_new = rng.random(n) < per_group("new_share", 0.0)
    lo, hi = per_group("starts").T
    start = np.floor(n_days * (lo + (hi - lo) * rng.random(n))).astype(np.int64)
    active_from = np.where(is_new, start, 0)
    s0, s1 = per_group("stops").T
    stop = np.floor(n_days * (s0 + (s1 - s0) * rng.random(n)))
    l0, l1 = per_group("lifetime").T
    life = active_from + np.floor(l0 + (l1 - l0) * rng.random(n))
    active_to = np.where(np.isnan(stop), np.where(np.isnan(life), n_days - 1, life), stop)
    active_to = np.clip(active_to, active_from, n_days - 1).astype(np.int64)
    mean, most = per_group("tenure", 1.0) * 365.25, int((window_start - _EARLIEST_SIGNUP).astype(np.int64)) - 1
    tenure = -mean * np.log1p(-rng.random(n) * -np.expm1(-most / mean))
    signup = np.where(is_new, active_from - rng.integers(0, 15, n), -1 - tenure.astype(np.int64))
    return {"active_from": active_from, "active_to": active_to, "signup": signup}


def _case_orders(rng, spec, group, columns, period, n_days, rate_scale) -> dict[str, np.ndarray]:
    """Every order of every person, sorted by day (days from the case window's start)."""
    a, b = period["active_from"], period["active_to"]
    n = len(group)
    if spec.billing is not None:
        column, plans = spec.billing
        price, every = (np.array([plans[v][i] for v in columns[column]], dtype=float) for i in (0, 1))
        counts = np.floor((b - a) / every).astype(np.int64) + 1
        owner = np.repeat(np.arange(n), counts)
        k = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
        day = a[owner] + np.rint(k * every[owner]) + rng.integers(-2, 3, len(owner))
        day = np.clip(day, a[owner], b[owner]).astype(np.int64)
        amount = price[owner] * np.where(rng.random(len(owner)) < 0.05, 0.5, 1.0)  # a few half-price months
        paused = (rng.random(len(owner)) < SKIPPED_PAYMENTS) & (k > 0)  # a month paused now and then
        owner, day, amount = owner[~paused], day[~paused], amount[~paused]
        # On top of the plan: pay-per-view purchases (new films), at each person's own pace.
        extra = _poisson_orders(rng, spec, group, columns, a, b, n_days, rate_scale)
        owner, day, amount = (np.concatenate(p) for p in zip((owner, day, amount), extra))
    else:
        owner, day, amount = _poisson_orders(rng, spec, group, columns, a, b, n_days, rate_scale, at_least=1)
    amount = np.round(np.maximum(1.0, amount), 2)
    by_day = np.argsort(day, kind="stable")
    owner, day, amount = owner[by_day], day[by_day], amount[by_day]
    first = np.full(n, n_days, np.int64)
    last = np.full(n, -1, np.int64)
    np.minimum.at(first, owner, day)
    np.maximum.at(last, owner, day)
    return {"owner": owner.astype(np.int32), "day": day, "amount": amount, "first": first, "last": last}


def _poisson_orders(rng, spec, group, columns, a, b, n_days, rate_scale, at_least=0):
    """Orders at each person's own rate (their group's, spread by a Gamma(6) factor), in the
    months of their season, with amounts spread around their own typical order."""
    groups, n = spec.groups, len(group)
    span = b - a + 1
    rate = np.array([g.orders_per_year for g in groups])[group] * rate_scale * rng.gamma(6.0, 1 / 6, n)
    counts = np.maximum(at_least, rng.poisson(rate * span / 365.25))
    owner = np.repeat(np.arange(n), counts)
    day = _seasonal_days(rng, spec, group, columns, a[owner], b[owner], owner, n_days)
    typical = np.array([g.order_amount for g in groups])[group] * rng.lognormal(0.0, 0.25, n)
    return owner, day, typical[owner] * rng.lognormal(0.0, 0.4, len(owner))


def _seasonal_days(rng, spec, group, columns, lo, hi, owner, n_days) -> np.ndarray:
    """A day in [lo, hi] per order, weighted by the month weights of its owner's season."""
    names = list(SEASONS)
    month = (spec.window_start + np.arange(n_days)).astype("datetime64[M]").astype(np.int64) % 12
    cdf = np.cumsum(np.array([SEASONS[s] for s in names], dtype=float)[:, month], axis=1)
    cdf /= cdf[:, -1:]
    season = np.empty(len(group), dtype=np.int64)
    for i, g in enumerate(spec.groups):
        of = group == i
        if isinstance(g.season, dict):
            key = columns[spec.season_by][of]
            season[of] = [names.index(g.season[k]) for k in key]
        else:
            season[of] = names.index(g.season)
    s = season[owner]
    below = np.where(lo > 0, cdf[s, np.maximum(lo - 1, 0)], 0.0)
    u = below + rng.random(len(owner)) * (cdf[s, hi] - below)
    flat = (cdf + np.arange(len(names))[:, None]).ravel()
    day = np.searchsorted(flat, u + s, side="right") - s * n_days
    return np.clip(day, lo, hi).astype(np.int64)


def _case_records(rng, spec, columns, male, dup_of) -> pd.DataFrame:
    """The customer records as text: one per person, then second records written differently."""
    n = len(male)
    table = {}
    for col in spec.customer_columns:
        if col not in columns:
            continue
        v = columns[col]
        if v.dtype.kind == "f":
            table[col] = np.char.mod(f"%.{spec.decimals.get(col, 1)}f", v).astype(object)
        else:
            table[col] = v.astype(str).astype(object)
    age = columns["age"] if "age" in columns else np.full(n, 35)
    contacts = demo._contacts(rng, male, np.asarray(age, dtype=np.int64))
    local, domain = contacts["local"], contacts["domain"]
    if spec.contacts == "company":
        domain, words = _company_domains(rng, n)
        while (taken := demo._repeated(pc.utf8_lower(_join(local, "@", domain)))).any():
            local = pc.if_else(pa.array(taken), _join(local, demo._str(rng.integers(1, 100, n))), local)
        names = {"company_name": _company_names(rng, columns, words), "contact_name": contacts["name"],
                 "contact_email": _join(local, "@", domain), "contact_phone": demo._phone(contacts["phone"], contacts["format"])}
    else:
        names = {"name": contacts["name"], "email": _join(local, "@", domain),
                 "phone": demo._phone(contacts["phone"], contacts["format"])}
    for col, values in names.items():
        table[col] = values.to_numpy(zero_copy_only=False).astype(object)
    persons = pd.DataFrame({c: _text(table[c]) for c in spec.customer_columns if c in table})

    # The same person written differently: email case or spacing, phone format, name spacing.
    n_dup = len(dup_of)
    dups = persons.iloc[dup_of].reset_index(drop=True)
    email_col, phone_col = ("contact_email", "contact_phone") if spec.contacts == "company" else ("email", "phone")
    email = dups[email_col].to_numpy(dtype=object)
    how = rng.integers(0, 3, n_dup)
    dups[email_col] = _text(np.where(how == 0, np.char.upper(email.astype(str)),
                                     np.where(how == 1, " " + email, email + "  ")).astype(object))
    other = (contacts["format"][dup_of] + rng.integers(1, 4, n_dup)) % 4
    dups[phone_col] = _text(demo._phone(contacts["phone"][dup_of], other))
    name_col = "company_name" if spec.contacts == "company" else "name"
    name = dups[name_col]
    dups[name_col] = _text(np.where(rng.random(n_dup) < 0.5, name.str.upper(), name.str.replace(" ", "  ")).astype(object))
    blankable = [c for c in spec.missing if c in dups]
    if blankable:
        which = rng.integers(0, len(blankable), n_dup)
        blank = rng.random(n_dup) < 0.3
        for i, col in enumerate(blankable):
            dups.loc[blank & (which == i), col] = ""
    return pd.concat([persons, dups], ignore_index=True)


_COMPANY_WORDS = (
    "Xinda Huarui Zhongke Tianyu Jinhong Haoyun Ruixin Boya Chuangxin Dingsheng Fengtai Guanghua "
    "Hengtong Jiahe Kaiyuan Longteng Mingde Nuowei Qiming Ronghua Shengshi Taihe Weilai Xingyao "
    "Yida Zhixin Anxin Baili Chenguang Dongfang Feiyang Gaoxin Huaxia Jinqiao Kunlun Lanhai"
).split()
_INDUSTRY_NOUN = {"finance": "Financial Services", "manufacturing": "Manufacturing", "healthcare": "Medical",
                  "technology": "Technology", "retail": "Retail", "logistics": "Logistics", "education": "Education"}


def _company_domains(rng, n) -> tuple[pa.Array, np.ndarray]:
    """A web domain per company from two name words (``xindahuarui.com.cn``), and the words."""
    w = np.asarray(_COMPANY_WORDS, dtype=object)
    words = w[rng.integers(0, len(w), (n, 2))]
    return pa.array(np.char.lower((words[:, 0] + words[:, 1]).astype(str)).astype(object) + ".com.cn"), words


def _company_names(rng, columns, words) -> pa.Array:
    """``Hangzhou XindaHuarui Technology Co., Ltd.``: city, name words, industry, legal form."""
    industry = np.array([_INDUSTRY_NOUN[v] for v in columns["industry"]], dtype=object)
    suffix = np.where(rng.random(len(words)) < 0.8, " Co., Ltd.", " Group")
    return pa.array(columns["city"] + " " + words[:, 0] + words[:, 1] + " " + industry + suffix)


def _case_customer_table(rng, spec, group, records, dup_of, rank, ids):
    """Plant the spec's customer problems, order the records by id, and write the truth."""
    n_people, n = len(group), len(records)
    id_text, problem, duplicate_of, rows = demo._plant_labels(rng, n_people, n, ids, rank, dup_of,
                                                               spec.customer_problems())

    def put(col, where, values):
        picked = rng.integers(0, len(values), len(where))
        records.loc[where, col] = np.asarray(values, dtype=object)[picked]

    for col in spec.missing:
        numeric = col in spec.groups[0].numbers
        put(col, rows[f"missing_{col}"], demo._MISSING_NUMBER if numeric else demo._MISSING_TEXT)
    for col, values in spec.impossible.items():
        put(col, rows[f"impossible_{col}"], values)
    put("signup_date", rows["bad_date"], demo._BAD_DATES)
    future = rows["future_date"]
    records.loc[future, "signup_date"] = demo._future_dates(rng, records.loc[future, "signup_date"].to_numpy())
    if spec.variants:
        variant = rows["category_variant"]
        cols = list(spec.variants)
        which = np.asarray(cols, dtype=object)[rng.integers(0, len(cols), len(variant))]
        pick = rng.integers(0, 1 << 30, len(variant))
        for col in cols:
            at = variant[which == col]
            value = records.loc[at, col].to_numpy(dtype=object)
            spellings = [spec.variants[col].get(v, ()) + (v.upper(),) for v in value]
            records.loc[at, col] = [s[p % len(s)] for s, p in zip(spellings, pick[which == col])]

    line, is_copy = demo._with_copies(np.argsort(rank), rows["exact_duplicate"])
    customers = records.iloc[line].reset_index(drop=True)
    customers.insert(0, spec.id_column, _text(id_text[rank[line]]))
    customers = customers[list(spec.customer_columns)]
    person = np.concatenate([np.arange(n_people), dup_of])[line]
    group_names = np.array([g.name for g in spec.groups], dtype=object)
    truth = pd.DataFrame({
        "source_row": np.arange(1, len(line) + 1),
        "customer_id": customers[spec.id_column],
        "planted_group": _text(group_names[group[person]]),
        "problem": _text(np.where(is_copy, "exact_duplicate", problem[line])),
        "duplicate_of": _text(np.where(is_copy, id_text[rank[line]], duplicate_of[line])),
    })
    return customers, truth


# ================================================================================================
# The five case studies
# ================================================================================================

_GENDER_VARIANTS = {"female": ("F", "Female", "女"), "male": ("M", "Male", "男")}
_AGES_IMPOSSIBLE = ("0", "-3", "150", "999")

# --- 1. retail chain: geography, climate and seasonality --------------------------------------

CHAIN_CITIES = {  # city: (region, climate)
    "Zhangjiakou": ("North", "mountain"), "Jilin": ("Northeast", "mountain"), "Urumqi": ("Northwest", "mountain"),
    "Harbin": ("Northeast", "cold"), "Changchun": ("Northeast", "cold"), "Shenyang": ("Northeast", "cold"),
    "Beijing": ("North", "temperate"), "Tianjin": ("North", "temperate"), "Xian": ("Northwest", "temperate"),
    "Shanghai": ("East", "subtropical"), "Hangzhou": ("East", "subtropical"), "Wuhan": ("Central", "subtropical"),
    "Chengdu": ("Southwest", "subtropical"),
    "Guangzhou": ("South", "tropical"), "Shenzhen": ("South", "tropical"), "Haikou": ("South", "tropical"),
}
_REGION_ZH = {"North": "华北", "Northeast": "东北", "Northwest": "西北", "East": "华东", "Central": "华中",
              "Southwest": "西南", "South": "华南", "West": "西部"}


def _chain_places(rng, columns) -> None:
    city = columns["city"]
    columns["region"] = np.array([CHAIN_CITIES[c][0] for c in city], dtype=object)
    columns["climate"] = np.array([CHAIN_CITIES[c][1] for c in city], dtype=object)


RETAIL_CHAIN = CaseSpec(
    name="retail_chain",
    customer_columns=("customer_id", "name", "email", "phone", "gender", "age", "city", "region", "climate",
                      "store_format", "loyalty_member", "signup_date"),
    derive=_chain_places, season_by="climate",
    missing=("age", "city", "gender"), impossible={"age": _AGES_IMPOSSIBLE},
    variants={"gender": _GENDER_VARIANTS, "region": {k: (v,) for k, v in _REGION_ZH.items()}},
    groups=(
        CaseGroup("alpine_skiers", 0.18, male=0.6, numbers={"age": ("int", 24, 45)},
                  categories={"city": {"Zhangjiakou": 3, "Jilin": 3, "Urumqi": 2, "Harbin": 1, "Beijing": 0.5},
                              "store_format": {"flagship": 0.6, "mall": 0.3, "online": 0.1},
                              "loyalty_member": {"yes": 0.65, "no": 0.35}},
                  orders_per_year=2.5, order_amount=1500, returns=0.04, season="winter", new_share=0.2, tenure=3),
        CaseGroup("urban_everyday_shoppers", 0.28, male=0.45, numbers={"age": ("int", 20, 38)},
                  categories={"city": {"Shanghai": 3, "Beijing": 2.5, "Hangzhou": 2, "Wuhan": 1.5, "Tianjin": 1, "Xian": 1},
                              "store_format": {"mall": 0.5, "online": 0.45, "flagship": 0.05},
                              "loyalty_member": {"yes": 0.5, "no": 0.5}},
                  orders_per_year=9.0, order_amount=160, returns=0.08, season="festivals", new_share=0.35, tenure=1.5),
        CaseGroup("southern_water_sports", 0.17, male=0.55, numbers={"age": ("int", 18, 35)},
                  categories={"city": {"Guangzhou": 3, "Shenzhen": 3, "Haikou": 2, "Chengdu": 0.5},
                              "store_format": {"mall": 0.5, "online": 0.3, "flagship": 0.2},
                              "loyalty_member": {"yes": 0.3, "no": 0.7}},
                  orders_per_year=4.0, order_amount=420, returns=0.05, season="summer", new_share=0.3, tenure=2),
        CaseGroup("family_outdoor", 0.21, male=0.5, numbers={"age": ("int", 35, 52)},
                  categories={"city": dict.fromkeys(CHAIN_CITIES, 1.0),
                              "store_format": {"flagship": 0.35, "mall": 0.45, "outlet": 0.2},
                              "loyalty_member": {"yes": 0.7, "no": 0.3}},
                  orders_per_year=3.0, order_amount=650, returns=0.04, new_share=0.15, tenure=4,
                  season={"mountain": "winter", "cold": "winter", "temperate": "outdoor", "subtropical": "summer",
                          "tropical": "summer"}),
        CaseGroup("lapsed_outlet_bargainers", 0.16, male=0.45, numbers={"age": ("int", 45, 68)},
                  categories={"city": {"Harbin": 2, "Changchun": 2, "Shenyang": 2, "Tianjin": 1.5, "Wuhan": 1.5},
                              "store_format": {"outlet": 0.8, "mall": 0.2},
                              "loyalty_member": {"yes": 0.25, "no": 0.75}},
                  orders_per_year=4.0, order_amount=110, returns=0.06, new_share=0.05, tenure=3,
                  starts=(0.0, 0.1), stops=(0.15, 0.45)),
    ),
)

# --- 2. online education: learners, completion, enrolments -----------------------------------


def _completion(rng, columns) -> None:
    enrolled = columns["courses_enrolled"]
    done = np.minimum(enrolled, np.rint(enrolled * columns["completion_rate"])).astype(np.int64)
    columns["courses_completed"] = done
    columns["completion_rate"] = np.round(done / enrolled, 2)


ONLINE_EDUCATION = CaseSpec(
    name="online_education", id_column="learner_id", id_prefix="L",
    order_column="payment_id", order_prefix="P", date_column="payment_date",
    customer_columns=("learner_id", "name", "email", "phone", "gender", "age", "occupation", "education",
                      "city_tier", "learning_interest", "device", "courses_enrolled", "courses_completed",
                      "completion_rate", "weekly_minutes", "signup_date"),
    derive=_completion, decimals={"completion_rate": 2},
    missing=("age", "occupation", "weekly_minutes"),
    impossible={"age": _AGES_IMPOSSIBLE, "weekly_minutes": ("-30", "20000", "99999")},
    variants={"gender": _GENDER_VARIANTS,
              "education": {"bachelor": ("Bachelor's", "本科"), "master": ("Master's", "硕士"),
                            "high school": ("高中",), "college": ("大专",), "phd": ("PhD", "博士")}},
    groups=(
        CaseGroup("career_switchers", 0.22, male=0.55,
                  numbers={"age": ("int", 24, 34), "courses_enrolled": ("int", 3, 7),
                           "completion_rate": ("float", 0.65, 0.95), "weekly_minutes": ("int", 240, 480)},
                  categories={"occupation": {"office worker": 0.45, "unemployed": 0.25, "engineer": 0.15, "designer": 0.15},
                              "education": {"bachelor": 0.7, "master": 0.2, "college": 0.1},
                              "city_tier": {"tier 1": 0.55, "tier 2": 0.35, "tier 3": 0.1},
                              "learning_interest": {"programming": 0.5, "data science": 0.4, "arts & design": 0.1},
                              "device": {"desktop": 0.7, "mobile": 0.2, "tablet": 0.1}},
                  orders_per_year=2.5, order_amount=2600, returns=0.05, new_share=0.4),
        CaseGroup("exam_preppers", 0.26, male=0.45,
                  numbers={"age": ("int", 18, 23), "courses_enrolled": ("int", 2, 5),
                           "completion_rate": ("float", 0.35, 0.7), "weekly_minutes": ("int", 120, 300)},
                  categories={"occupation": {"student": 0.95, "unemployed": 0.05},
                              "education": {"high school": 0.4, "college": 0.2, "bachelor": 0.4},
                              "city_tier": {"tier 2": 0.45, "tier 3": 0.35, "tier 1": 0.2},
                              "learning_interest": {"exam prep": 0.6, "languages": 0.4},
                              "device": {"mobile": 0.75, "tablet": 0.15, "desktop": 0.1}},
                  orders_per_year=3.0, order_amount=420, returns=0.06, season="exams", new_share=0.5),
        CaseGroup("corporate_upskillers", 0.18, male=0.6,
                  numbers={"age": ("int", 30, 46), "courses_enrolled": ("int", 2, 5),
                           "completion_rate": ("float", 0.55, 0.85), "weekly_minutes": ("int", 60, 150)},
                  categories={"occupation": {"manager": 0.45, "engineer": 0.35, "marketer": 0.2},
                              "education": {"bachelor": 0.5, "master": 0.45, "phd": 0.05},
                              "city_tier": {"tier 1": 0.75, "tier 2": 0.25},
                              "learning_interest": {"business": 0.5, "data science": 0.3, "programming": 0.2},
                              "device": {"desktop": 0.55, "tablet": 0.3, "mobile": 0.15}},
                  orders_per_year=2.0, order_amount=1800, returns=0.02, season="budget", new_share=0.3),
        CaseGroup("casual_hobbyists", 0.20, male=0.4,
                  numbers={"age": ("int", 40, 66), "courses_enrolled": ("int", 4, 10),
                           "completion_rate": ("float", 0.05, 0.3), "weekly_minutes": ("int", 20, 90)},
                  categories={"occupation": {"retired": 0.4, "teacher": 0.25, "office worker": 0.2, "manager": 0.15},
                              "education": {"college": 0.35, "bachelor": 0.4, "high school": 0.25},
                              "city_tier": {"tier 2": 0.4, "tier 1": 0.3, "tier 3": 0.3},
                              "learning_interest": {"arts & design": 0.4, "languages": 0.3, "wellness": 0.3},
                              "device": {"tablet": 0.45, "mobile": 0.4, "desktop": 0.15}},
                  orders_per_year=5.0, order_amount=99, returns=0.03, new_share=0.3),
        CaseGroup("trial_dropouts", 0.14, male=0.5,
                  numbers={"age": ("int", 19, 40), "courses_enrolled": ("int", 1, 2),
                           "completion_rate": ("float", 0.0, 0.12), "weekly_minutes": ("int", 0, 25)},
                  categories={"occupation": {"office worker": 0.35, "student": 0.35, "unemployed": 0.15, "engineer": 0.15},
                              "education": {"bachelor": 0.5, "college": 0.3, "high school": 0.2},
                              "city_tier": {"tier 3": 0.45, "tier 2": 0.35, "tier 1": 0.2},
                              "learning_interest": {"programming": 0.3, "languages": 0.3, "exam prep": 0.2, "business": 0.2},
                              "device": {"mobile": 0.7, "desktop": 0.3}},
                  orders_per_year=1.5, order_amount=199, returns=0.12, new_share=0.5,
                  starts=(0.0, 0.35), stops=(0.1, 0.5)),
    ),
)

# --- 3. B2B software: firmographics and invoices ---------------------------------------------

B2B_CITIES = {"East": ("Shanghai", "Hangzhou", "Suzhou", "Nanjing"), "North": ("Beijing", "Tianjin"),
              "South": ("Shenzhen", "Guangzhou"), "Central": ("Wuhan", "Changsha"),
              "West": ("Chengdu", "Chongqing", "Xian")}
COMPANY_SIZES = ((1000, "enterprise"), (250, "large"), (50, "medium"), (0, "small"))  # by employees


def _firm(rng, columns) -> None:
    region = columns["region"]
    city = np.empty(len(region), dtype=object)
    pick = rng.integers(0, 1 << 30, len(region))
    for name, cities in B2B_CITIES.items():
        at = region == name
        city[at] = np.asarray(cities, dtype=object)[pick[at] % len(cities)]
    columns["city"] = city
    employees = columns["employees"]
    columns["company_size"] = np.select([employees >= lo for lo, _ in COMPANY_SIZES],
                                        [name for _, name in COMPANY_SIZES], default="small").astype(object)


B2B_SOFTWARE = CaseSpec(
    name="b2b_software", id_column="company_id", id_prefix="B", contacts="company",
    order_column="invoice_id", order_prefix="INV", date_column="invoice_date",
    customer_columns=("company_id", "company_name", "contact_name", "contact_email", "contact_phone", "industry",
                      "company_size", "employees", "annual_revenue", "region", "city", "plan", "seats",
                      "signup_date"),
    derive=_firm,
    missing=("employees", "annual_revenue", "industry"),
    impossible={"employees": ("0", "-12", "-1")},
    variants={"industry": {"technology": ("IT", "信息技术"), "finance": ("金融",), "manufacturing": ("制造业",),
                           "healthcare": ("医疗",), "retail": ("零售",), "logistics": ("物流",), "education": ("教育",)},
              "region": {k: (_REGION_ZH[k],) for k in B2B_CITIES}},
    groups=(
        CaseGroup("enterprise_accounts", 0.12,
                  numbers={"employees": ("logint", 2800, 0.45), "annual_revenue": ("log", 3000, 0.6),
                           "seats": ("int", 200, 1200)},
                  categories={"industry": {"finance": 0.35, "manufacturing": 0.35, "logistics": 0.15, "healthcare": 0.15},
                              "region": {"East": 0.4, "North": 0.4, "South": 0.2},
                              "plan": {"enterprise": 0.9, "pro": 0.1}},
                  orders_per_year=4.0, order_amount=150_000, returns=0.02, season="budget", new_share=0.1, tenure=4),
        CaseGroup("mid_market_tech", 0.25,
                  numbers={"employees": ("logint", 380, 0.45), "annual_revenue": ("log", 250, 0.6),
                           "seats": ("int", 30, 150)},
                  categories={"industry": {"technology": 0.55, "retail": 0.2, "finance": 0.15, "education": 0.1},
                              "region": {"East": 0.35, "South": 0.35, "North": 0.15, "West": 0.15},
                              "plan": {"pro": 0.8, "basic": 0.2}},
                  orders_per_year=6.0, order_amount=14_000, returns=0.03, new_share=0.3, tenure=2.5),
        CaseGroup("smb_monthly", 0.33,
                  numbers={"employees": ("logint", 18, 0.6), "annual_revenue": ("log", 12, 0.8),
                           "seats": ("int", 2, 12)},
                  categories={"industry": {"retail": 0.35, "education": 0.25, "technology": 0.2, "logistics": 0.2},
                              "region": {"West": 0.3, "Central": 0.3, "East": 0.2, "South": 0.2},
                              "plan": {"basic": 0.9, "pro": 0.1}},
                  orders_per_year=11.0, order_amount=800, returns=0.03, new_share=0.4, tenure=1.5),
        CaseGroup("healthcare_compliance", 0.15,
                  numbers={"employees": ("logint", 650, 0.5), "annual_revenue": ("log", 500, 0.6),
                           "seats": ("int", 40, 400)},
                  categories={"industry": {"healthcare": 0.85, "education": 0.15},
                              "region": {"North": 0.35, "Central": 0.35, "East": 0.3},
                              "plan": {"enterprise": 0.5, "pro": 0.5}},
                  orders_per_year=1.3, order_amount=85_000, returns=0.02, season="budget", new_share=0.2, tenure=3),
        CaseGroup("churned_smb", 0.15,
                  numbers={"employees": ("logint", 25, 0.6), "annual_revenue": ("log", 15, 0.8),
                           "seats": ("int", 2, 10)},
                  categories={"industry": {"retail": 0.4, "logistics": 0.3, "education": 0.3},
                              "region": {"Central": 0.4, "West": 0.4, "South": 0.2},
                              "plan": {"basic": 1.0}},
                  orders_per_year=10.0, order_amount=650, returns=0.05, new_share=0.3, tenure=1.5,
                  starts=(0.0, 0.3), stops=(0.15, 0.55)),
    ),
)

# --- 4. sports footwear: demographics, survey answers, devices and platforms -----------------

_LIKERT = ("tech_enthusiasm", "style_importance", "durability_importance", "price_sensitivity")


def _survey(tech, style, durability, price, sd=0.7) -> dict:
    return {c: ("likert", m, sd) for c, m in zip(_LIKERT, (tech, style, durability, price))}


FOOTWEAR = CaseSpec(
    name="footwear",
    customer_columns=("customer_id", "name", "email", "phone", "gender", "age", "city", "income", "activity",
                      "lifestyle", "core_value", *_LIKERT, "device", "platform", "signup_date"),
    missing=("age", "income", "lifestyle"), impossible={"age": _AGES_IMPOSSIBLE},
    variants={"gender": _GENDER_VARIANTS,
              "platform": {"tmall": ("Tmall", "天猫"), "jd": ("JD.com", "京东"), "wechat": ("WeChat", "微信小程序"),
                           "douyin": ("Douyin", "抖音"), "brand app": ("Brand App", "品牌App"),
                           "store": ("Store", "门店")}},
    groups=(
        CaseGroup("young_tech_runners", 0.28, male=0.6,
                  numbers={"age": ("int", 18, 30), "income": ("log", 110, 0.3), **_survey(4.5, 4.0, 2.5, 2.5)},
                  categories={"city": {"Shanghai": 3, "Shenzhen": 2.5, "Beijing": 2, "Hangzhou": 1.5},
                              "activity": {"running": 0.8, "gym": 0.2},
                              "lifestyle": {"urban active": 0.75, "fashion-forward": 0.25},
                              "core_value": {"innovation": 0.6, "style": 0.3, "comfort": 0.1},
                              "device": {"iphone": 0.7, "android": 0.25, "desktop": 0.05},
                              "platform": {"brand app": 0.5, "douyin": 0.3, "tmall": 0.2}},
                  orders_per_year=5.0, order_amount=680, returns=0.05, season="festivals", new_share=0.35),
        CaseGroup("midage_hikers", 0.22, male=0.65,
                  numbers={"age": ("int", 40, 58), "income": ("log", 240, 0.3), **_survey(2.0, 2.0, 4.7, 3.0)},
                  categories={"city": {"Chengdu": 3, "Kunming": 3, "Chongqing": 2, "Xian": 1.5},
                              "activity": {"hiking": 0.8, "walking": 0.2},
                              "lifestyle": {"outdoor adventurer": 0.85, "family-focused": 0.15},
                              "core_value": {"durability": 0.7, "comfort": 0.2, "value for money": 0.1},
                              "device": {"android": 0.45, "desktop": 0.4, "iphone": 0.15},
                              "platform": {"jd": 0.5, "store": 0.4, "tmall": 0.1}},
                  orders_per_year=2.0, order_amount=1150, returns=0.04, season="outdoor", new_share=0.2, tenure=3),
        CaseGroup("fashion_sneakerheads", 0.18, male=0.45,
                  numbers={"age": ("int", 19, 33), "income": ("log", 140, 0.3), **_survey(3.3, 4.8, 2.0, 2.2)},
                  categories={"city": {"Shanghai": 2, "Guangzhou": 2, "Hangzhou": 1.5, "Wuhan": 1.5, "Beijing": 1},
                              "activity": {"casual": 0.7, "gym": 0.3},
                              "lifestyle": {"fashion-forward": 0.85, "urban active": 0.15},
                              "core_value": {"style": 0.75, "innovation": 0.15, "comfort": 0.1},
                              "device": {"iphone": 0.65, "android": 0.35},
                              "platform": {"douyin": 0.55, "tmall": 0.35, "brand app": 0.1}},
                  orders_per_year=6.0, order_amount=850, returns=0.22, season="festivals", new_share=0.4),
        CaseGroup("value_walkers", 0.20, male=0.4,
                  numbers={"age": ("int", 45, 70), "income": ("log", 90, 0.3), **_survey(1.6, 2.2, 3.6, 4.7)},
                  categories={"city": {"Wuhan": 2, "Chongqing": 2, "Xian": 2, "Beijing": 1, "Chengdu": 1},
                              "activity": {"walking": 0.8, "casual": 0.2},
                              "lifestyle": {"family-focused": 0.6, "homebody": 0.4},
                              "core_value": {"value for money": 0.7, "comfort": 0.3},
                              "device": {"android": 0.7, "iphone": 0.2, "desktop": 0.1},
                              "platform": {"wechat": 0.6, "tmall": 0.3, "store": 0.1}},
                  orders_per_year=2.0, order_amount=320, returns=0.04, season="new_year", new_share=0.2, tenure=3),
        CaseGroup("lapsed_casuals", 0.12, male=0.5,
                  numbers={"age": ("int", 25, 55), "income": ("log", 120, 0.35), **_survey(2.8, 3.0, 3.0, 3.5, sd=1.0)},
                  categories={"city": dict.fromkeys(("Shanghai", "Beijing", "Wuhan", "Chengdu", "Guangzhou", "Xian"), 1.0),
                              "activity": {"casual": 0.5, "walking": 0.3, "running": 0.2},
                              "lifestyle": {"homebody": 0.5, "family-focused": 0.3, "urban active": 0.2},
                              "core_value": {"comfort": 0.5, "value for money": 0.3, "style": 0.2},
                              "device": {"android": 0.5, "iphone": 0.4, "desktop": 0.1},
                              "platform": {"tmall": 0.5, "jd": 0.3, "store": 0.2}},
                  orders_per_year=3.0, order_amount=400, returns=0.06, new_share=0.2,
                  starts=(0.0, 0.25), stops=(0.1, 0.45)),
    ),
)

# --- 5. subscription: sign-ups and monthly payments ------------------------------------------

PLANS = {"basic monthly": (28.0, 30.4), "premium monthly": (58.0, 30.4), "annual": (498.0, 365.25)}
_SUB_CITIES = {"Shanghai": 2, "Beijing": 2, "Shenzhen": 1.5, "Guangzhou": 1.5, "Hangzhou": 1, "Chengdu": 1, "Wuhan": 1}

SUBSCRIPTION = CaseSpec(
    name="subscription", order_column="payment_id", order_prefix="P", date_column="payment_date",
    customer_columns=("customer_id", "name", "email", "phone", "gender", "age", "city", "plan",
                      "acquisition_channel", "payment_method", "signup_date"),
    billing=("plan", PLANS),
    missing=("age", "acquisition_channel"), impossible={"age": _AGES_IMPOSSIBLE},
    variants={"gender": _GENDER_VARIANTS,
              "plan": {"premium monthly": ("Premium", "高级月卡"), "basic monthly": ("Basic", "基础月卡"),
                       "annual": ("Annual", "年卡")}},
    groups=(
        CaseGroup("loyal_premium", 0.22, numbers={"age": ("int", 30, 50)},
                  categories={"city": _SUB_CITIES, "plan": {"premium monthly": 0.85, "annual": 0.15},
                              "acquisition_channel": {"referral": 0.45, "search": 0.35, "app store": 0.2},
                              "payment_method": {"alipay": 0.5, "wechat pay": 0.3, "credit card": 0.2}},
                  orders_per_year=6.0, order_amount=15, returns=0.01, new_share=0.1, tenure=3),
        CaseGroup("steady_basic", 0.24, numbers={"age": ("int", 22, 45)},
                  categories={"city": _SUB_CITIES, "plan": {"basic monthly": 1.0},
                              "acquisition_channel": {"app store": 0.4, "social ads": 0.3, "search": 0.3},
                              "payment_method": {"wechat pay": 0.6, "alipay": 0.4}},
                  orders_per_year=1.5, order_amount=12, returns=0.01, new_share=0.35, starts=(0.0, 0.7), tenure=1.5),
        CaseGroup("new_trialists", 0.14, numbers={"age": ("int", 18, 35)},
                  categories={"city": _SUB_CITIES, "plan": {"basic monthly": 0.7, "premium monthly": 0.3},
                              "acquisition_channel": {"social ads": 0.6, "app store": 0.3, "partner": 0.1},
                              "payment_method": {"wechat pay": 0.7, "alipay": 0.3}},
                  orders_per_year=4.0, order_amount=12, returns=0.03, new_share=1.0, starts=(0.86, 0.97)),
        CaseGroup("at_risk_high_value", 0.14, numbers={"age": ("int", 30, 55)},
                  categories={"city": _SUB_CITIES, "plan": {"premium monthly": 0.85, "annual": 0.15},
                              "acquisition_channel": {"search": 0.4, "referral": 0.3, "partner": 0.3},
                              "payment_method": {"credit card": 0.5, "alipay": 0.5}},
                  orders_per_year=5.0, order_amount=15, returns=0.01, new_share=0.2, starts=(0.0, 0.4), tenure=2.5,
                  stops=(0.8, 0.9)),
        CaseGroup("churned_early", 0.26, numbers={"age": ("int", 18, 40)},
                  categories={"city": _SUB_CITIES, "plan": {"basic monthly": 0.8, "premium monthly": 0.2},
                              "acquisition_channel": {"social ads": 0.5, "partner": 0.3, "app store": 0.2},
                              "payment_method": {"wechat pay": 0.6, "alipay": 0.4}},
                  orders_per_year=1.0, order_amount=10, returns=0.04, new_share=1.0, starts=(0.0, 0.7),
                  lifetime=(20, 160)),
    ),
)

CASE_SPECS = {spec.name: spec for spec in (RETAIL_CHAIN, ONLINE_EDUCATION, B2B_SOFTWARE, FOOTWEAR, SUBSCRIPTION)}
#: How the committed case-study data sets are made:
#: ``seglab demo-data --scenario NAME --customers N --seed 7 --out data/case_studies/NAME``.
CASE_STUDY_DATA = {"retail_chain": 3000, "online_education": 3000, "b2b_software": 2500, "footwear": 3000,
                   "subscription": 2500}
CASE_STUDY_SEED = 7


def _case_generator(spec: CaseSpec):
    def generate(rng, n_customers, transactions_per_customer) -> DemoData:
        return generate_case(rng, spec, n_customers, transactions_per_customer)

    generate.__name__ = f"_{spec.name}"
    generate.__doc__ = f"The {spec.name.replace('_', ' ')} case study (see CASE_SPECS[{spec.name!r}])."
    return generate


# ================================================================================================
# registry
# ================================================================================================

SCENARIOS = {
    "retail_shift": _retail_shift,
    **{name: _case_generator(spec) for name, spec in CASE_SPECS.items()},
}
