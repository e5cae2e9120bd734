"""The case-study engine: a case study is a :class:`CaseSpec` (one module per case study,
:mod:`seglab.demo.retail_chain` … :mod:`seglab.demo.subscription`).

A spec gives its own customer columns, planted groups that differ in those columns and in how
they buy (rate, amount, season, when they start and stop, or regular billing), and the
columns that get which planted problems. Lines are drawn on the retail engine's day axis
(case windows end where the retail window ends), so its line, return and problem machinery
(:func:`~seglab.demo.engine.draw_lines`, :func:`~seglab.demo.engine.transaction_table`)
serves unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from seglab.demo import implausible
from seglab.demo.engine import (
    BAD_DATES,
    CALIBRATED_TRANSACTIONS,
    CUSTOMER_PROBLEMS,
    MISSING_NUMBER,
    MISSING_TEXT,
    TRANSACTION_PROBLEMS,
    WINDOW_DAYS,
    WINDOW_END,
    WINDOW_START,
    DemoData,
    arrow_text,
    count_of,
    date_texts,
    draw_codes,
    draw_contacts,
    draw_lines,
    future_dates,
    join_text,
    normalised,
    pandas_text,
    phone_texts,
    plant_labels,
    repeated,
    split_duplicates,
    transaction_table,
    with_copies,
    zero_pad,
)

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
    to the retail demo's last day, whose engine draws the lines. ``extreme_value`` names a
    money-like column that gets one value ten times its largest, ``mixed_dates`` a date column
    partly written in both day/month orders (:mod:`seglab.demo.implausible`, which also plants
    placeholder dates and absurd orders in every case study).
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
    extreme_value: str | None = None
    mixed_dates: str | None = None

    @property
    def transaction_columns(self) -> tuple:
        return (self.id_column, self.order_column, self.date_column, "amount")

    def customer_problems(self) -> dict[str, float]:
        """Planted problems as shares of customer records, as in the retail """
        shares = {"duplicate": CUSTOMER_PROBLEMS["duplicate"], "exact_duplicate": CUSTOMER_PROBLEMS["exact_duplicate"]}
        shares |= {f"missing_{c}": MISSING_SHARE for c in self.missing}
        shares |= {f"impossible_{c}": IMPOSSIBLE_SHARE for c in self.impossible}
        shares |= {k: CUSTOMER_PROBLEMS[k] for k in ("future_date", "bad_date")}
        if self.variants:
            shares["category_variant"] = 0.05
        return shares


def generate_case(rng, spec: CaseSpec, n_customers: int, transactions_per_customer: float) -> DemoData:
    """Draw a case study's customers and lines, plant its problems and write the truth."""
    rate_scale = transactions_per_customer / CALIBRATED_TRANSACTIONS
    groups = spec.groups
    n_days = int((WINDOW_END - spec.window_start).astype(np.int64)) + 1
    axis = int((spec.window_start - WINDOW_START).astype(np.int64))  # case day 0 on the engine's axis
    n_dup = count_of(CUSTOMER_PROBLEMS["duplicate"], n_customers)
    n = n_customers - n_dup
    group = rng.choice(len(groups), size=n, p=normalised([g.share for g in groups]))
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
    dup_of, dup_signup, record = split_duplicates(rng, {"group": group}, orders, n_dup)
    signup = np.concatenate([period["signup"] + axis, dup_signup])
    rank = np.empty(len(signup), dtype=np.int64)
    rank[np.argsort(signup, kind="stable")] = np.arange(len(signup))
    n_unknown = count_of(TRANSACTION_PROBLEMS["unknown_customer"], len(signup))
    n_ghost = max(1, n_unknown // 3)
    width = max(6, len(str(n_customers + n_ghost)))
    ids = join_text(spec.id_prefix, zero_pad(np.arange(1, n_customers + n_ghost + 1), width))

    records = _case_records(rng, spec, columns, male, dup_of)
    first = int((_EARLIEST_SIGNUP - WINDOW_START).astype(np.int64))
    records["signup_date"] = pandas_text(date_texts(signup - first, _EARLIEST_SIGNUP, WINDOW_DAYS - first))
    customers, customers_truth = _case_customer_table(rng, spec, group, records, dup_of, rank, ids)
    lines = draw_lines(rng, groups, {"group": group}, orders, rank[record], n_customers, n_ghost, n_unknown)
    transactions, transactions_truth = transaction_table(rng, lines, ids)
    if spec.order_prefix != "O":
        transactions["order_id"] = transactions_truth["order_id"] = pandas_text(
            transactions["order_id"].str.replace(r"^(C?)O", r"\g<1>" + spec.order_prefix, regex=True).to_numpy())
    transactions.columns = list(spec.transaction_columns)
    planted = implausible.Implausible(money=spec.extreme_value, mixed_dates=spec.mixed_dates, id_column=spec.id_column,
                                      date_column=spec.date_column)
    return implausible.plant(rng.spawn(1)[0], DemoData(customers, transactions, customers_truth, transactions_truth),
                             planted)


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
            out[col] = np.asarray(vocab, dtype=object)[draw_codes(rng, group, table)]
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
    contacts = draw_contacts(rng, male, np.asarray(age, dtype=np.int64))
    local, domain = contacts["local"], contacts["domain"]
    if spec.contacts == "company":
        domain, words = _company_domains(rng, n)
        while (taken := repeated(pc.utf8_lower(join_text(local, "@", domain)))).any():
            local = pc.if_else(pa.array(taken), join_text(local, arrow_text(rng.integers(1, 100, n))), local)
        names = {"company_name": _company_names(rng, columns, words), "contact_name": contacts["name"],
                 "contact_email": join_text(local, "@", domain), "contact_phone": phone_texts(contacts["phone"], contacts["format"])}
    else:
        names = {"name": contacts["name"], "email": join_text(local, "@", domain),
                 "phone": phone_texts(contacts["phone"], contacts["format"])}
    for col, values in names.items():
        table[col] = values.to_numpy(zero_copy_only=False).astype(object)
    persons = pd.DataFrame({c: pandas_text(table[c]) for c in spec.customer_columns if c in table})

    # The same person written differently: email case or spacing, phone format, name spacing.
    n_dup = len(dup_of)
    dups = persons.iloc[dup_of].reset_index(drop=True)
    email_col, phone_col = ("contact_email", "contact_phone") if spec.contacts == "company" else ("email", "phone")
    email = dups[email_col].to_numpy(dtype=object)
    how = rng.integers(0, 3, n_dup)
    dups[email_col] = pandas_text(np.where(how == 0, np.char.upper(email.astype(str)),
                                     np.where(how == 1, " " + email, email + "  ")).astype(object))
    other = (contacts["format"][dup_of] + rng.integers(1, 4, n_dup)) % 4
    dups[phone_col] = pandas_text(phone_texts(contacts["phone"][dup_of], other))
    name_col = "company_name" if spec.contacts == "company" else "name"
    name = dups[name_col]
    dups[name_col] = pandas_text(np.where(rng.random(n_dup) < 0.5, name.str.upper(), name.str.replace(" ", "  ")).astype(object))
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
    id_text, problem, duplicate_of, rows = plant_labels(rng, n_people, n, ids, rank, dup_of,
                                                               spec.customer_problems())

    def put(col, where, values):
        picked = rng.integers(0, len(values), len(where))
        records.loc[where, col] = np.asarray(values, dtype=object)[picked]

    for col in spec.missing:
        numeric = col in spec.groups[0].numbers
        put(col, rows[f"missing_{col}"], MISSING_NUMBER if numeric else MISSING_TEXT)
    for col, values in spec.impossible.items():
        put(col, rows[f"impossible_{col}"], values)
    put("signup_date", rows["bad_date"], BAD_DATES)
    future = rows["future_date"]
    records.loc[future, "signup_date"] = future_dates(rng, records.loc[future, "signup_date"].to_numpy())
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

    line, is_copy = with_copies(np.argsort(rank), rows["exact_duplicate"])
    customers = records.iloc[line].reset_index(drop=True)
    customers.insert(0, spec.id_column, pandas_text(id_text[rank[line]]))
    customers = customers[list(spec.customer_columns)]
    person = np.concatenate([np.arange(n_people), dup_of])[line]
    group_names = np.array([g.name for g in spec.groups], dtype=object)
    truth = pd.DataFrame({
        "source_row": np.arange(1, len(line) + 1),
        "customer_id": customers[spec.id_column],
        "planted_group": pandas_text(group_names[group[person]]),
        "problem": pandas_text(np.where(is_copy, "exact_duplicate", problem[line])),
        "duplicate_of": pandas_text(np.where(is_copy, id_text[rank[line]], duplicate_of[line])),
    })
    return customers, truth


#: Other spellings of gender that case-study exports use (the params map them back).
GENDER_SPELLINGS = {"female": ("F", "Female", "女"), "male": ("M", "Male", "男")}
#: Regions written in Chinese, another spelling of the region the params map back.
REGION_ZH = {"North": "华北", "Northeast": "东北", "Northwest": "西北", "East": "华东", "Central": "华中",
              "Southwest": "西南", "South": "华南", "West": "西部"}


def generator(spec: CaseSpec):
    """The ``(rng, n_customers, transactions_per_customer) -> DemoData`` generator of a spec."""

    def generate(rng, n_customers, transactions_per_customer) -> DemoData:
        return generate_case(rng, spec, n_customers, transactions_per_customer)

    generate.__name__ = spec.name
    generate.__doc__ = f"The {spec.name.replace('_', ' ')} case study (seglab.demo.{spec.name})."
    return generate
