"""The retail demo six months later, for re-segmentation tests (``--scenario retail_shift``).

How "the same people" is kept: the generator first draws the retail demo with the very same
random stream (so every retail record, id, problem and truth row is identical), then draws
the six months after it from where that stream stopped. The new export's window is the
retail window moved by SHIFT_DAYS: lines of the first six months drop out (with the returns
of their orders), every retail record still buying goes on at its own observed pace (a
Gamma-Poisson posterior of its rate, its median order amount), and new customers join — more
young runners and a new group, family app shoppers — with ids continuing after the retail
ids. New records and lines get the retail shares of planted problems. The six months are
drawn on the retail engine's day axis (its last SHIFT_DAYS days) and moved by SHIFT_DAYS,
so the engine's helpers serve unchanged.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pyarrow as pa

from seglab.demo import retail
from seglab.demo.engine import (
    CALIBRATED_TRANSACTIONS,
    CUSTOMER_PROBLEMS,
    SIGNUP_START,
    TRANSACTION_PROBLEMS,
    WINDOW_DAYS,
    WINDOW_END,
    WINDOW_START,
    DemoData,
    PlantedGroup,
    count_of,
    customer_table,
    date_texts,
    day_of,
    draw_lines,
    draw_orders,
    draw_people,
    draw_records,
    join_text,
    pandas_text,
    split_duplicates,
    transaction_table,
    zero_pad,
)
from seglab.demo.retail import RETAIL_GROUPS

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


def generate(rng, n_customers, transactions_per_customer) -> DemoData:
    """The retail demo six months later: same customers and ids, young runners grown to ~35 %
    through new customers, and a new planted group, family app shoppers (~10 %).

    ``n_customers`` is the size of the retail base (``--customers N`` gives the retail set of
    that size plus the newcomers).
    """
    base = retail.generate(rng, n_customers, transactions_per_customer)
    rate_scale = transactions_per_customer / CALIBRATED_TRANSACTIONS
    groups = (*RETAIL_GROUPS, FAMILY_APP_SHOPPERS)
    index = {g.name: i for i, g in enumerate(groups)}
    first_new_day = WINDOW_DAYS - SHIFT_DAYS  # on the engine's axis; shifted afterwards

    # Newcomers: enough young runners and family shoppers to reach the target shares.
    base_share = (base.customers_truth.drop_duplicates("customer_id")["planted_group"]
                  .value_counts().get("young_runners", 0)) / n_customers
    total = n_customers * (1 - base_share) / (1 - sum(SHIFT_TARGET_SHARES.values()))
    n_young = max(1, round(SHIFT_TARGET_SHARES["young_runners"] * total - base_share * n_customers))
    n_family = max(1, round(SHIFT_TARGET_SHARES["family_app_shoppers"] * total))
    new_groups = (RETAIL_GROUPS[0], FAMILY_APP_SHOPPERS)
    n_new = n_young + n_family
    n_dup = count_of(CUSTOMER_PROBLEMS["duplicate"], n_new)
    people = draw_people(rng, _with_shares(new_groups, [n_young, n_family]), n_new - n_dup)
    n_people = len(people["group"])
    # They sign up during the first five of the six months and buy until its end.
    signup = first_new_day + rng.integers(0, SHIFT_DAYS - 30, n_people)
    people["signup"] = signup
    people["active_from"] = np.minimum(signup + rng.integers(0, 8, n_people), WINDOW_DAYS - 1)
    people["active_to"] = np.full(n_people, WINDOW_DAYS - 1)
    orders = draw_orders(rng, new_groups, people, rate_scale)
    dup_of, dup_signup, record = split_duplicates(rng, people, orders, n_dup)
    signups = np.concatenate([people["signup"], dup_signup])
    rank = np.empty(len(signups), dtype=np.int64)
    rank[np.argsort(signups, kind="stable")] = np.arange(len(signups))

    first_id = _max_id_number(base) + 1
    width = max(6, len(str(first_id + n_new)))
    new_ids = join_text("C", zero_pad(np.arange(first_id, first_id + n_new), width))
    records = draw_records(rng, people, dup_of)
    _avoid_contacts(rng, records, dup_of, n_people, base.customers)
    first = day_of(SIGNUP_START)
    records["signup_date"] = pandas_text(date_texts(signups - first, SIGNUP_START, WINDOW_DAYS - first))
    customers, customers_truth = customer_table(rng, new_groups, people, records, dup_of, rank, new_ids)
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
    n_unknown = count_of(TRANSACTION_PROBLEMS["unknown_customer"], n_known)
    n_ghost = max(1, n_unknown // 3)
    ghosts = join_text("C", zero_pad(np.arange(first_id + n_new, first_id + n_new + n_ghost), width))
    ids = pa.concat_arrays([pa.array(cont["ids"], pa.string()), new_ids.cast(pa.string()),
                            ghosts.cast(pa.string())])
    lines = draw_lines(rng, groups, {"group": owner_group}, merged, id_number, n_known, n_ghost, n_unknown)
    new_tx, new_tx_truth = transaction_table(rng, lines, ids)
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
        base.value_labels,
    )


def _with_shares(groups, counts) -> tuple[PlantedGroup, ...]:
    """The groups with their shares set to ``counts`` (drawn in these proportions)."""
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
    years = (WINDOW_DAYS - stats["first"].fillna(WINDOW_DAYS).to_numpy()) / 365.25
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
    return pd.Series(pandas_text(out), index=values.index)


def _max_id_number(base) -> int:
    ids = pd.concat([base.customers["customer_id"], base.transactions["customer_id"]])
    return int(ids.str.slice(1).astype("int64").max())


def _max_order_number(transactions) -> int:
    return int(transactions["order_id"].str.extract(r"O(\d+)$")[0].astype("int64").max())


def _renumber_orders(order_id: pd.Series, offset: int) -> pd.Series:
    parts = order_id.str.extract(r"^(C?)O(\d+)$")
    number = parts[1].astype("int64") + offset
    width = max(7, len(str(int(number.max()))))
    return pd.Series(pandas_text((parts[0] + "O" + number.astype(str).str.zfill(width)).to_numpy()),
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
