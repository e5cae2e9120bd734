"""Tests of the demo-data generator: repeatable, shaped as documented, and planting exactly
the groups and data problems its truth files claim."""

import csv
import hashlib
import pathlib

import numpy as np
import pandas as pd
import pytest
from seglab.demo import engine as demo
from seglab.demo import implausible
from seglab.demo.retail import RETAIL_GROUPS
from seglab.demo.generate import generate_demo, write_demo_data
from seglab.errors import SeglabError
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.metrics import adjusted_rand_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, RobustScaler

COMMITTED = pathlib.Path(__file__).resolve().parents[1] / "data" / "demo"
# the retail demo plants every implausible value but mixed date orders (a case study has those)
CUSTOMER_LABELS = set(demo.CUSTOMER_PROBLEMS) | {"extreme_value", "placeholder_date"}
TRANSACTION_LABELS = set(demo.TRANSACTION_PROBLEMS) | {"return", "free_purchase", *implausible.TRANSACTION_LABELS}
GROUP_SHARES = {g.name: g.share for g in RETAIL_GROUPS}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The default demo set, freshly written, and read back as text like a user would."""
    paths = write_demo_data(tmp_path_factory.mktemp("demo"))
    frames = {k: pd.read_csv(p, dtype=str, keep_default_na=False) for k, p in paths.items()}
    return paths, frames


@pytest.fixture(scope="module")
def small():
    return generate_demo(n_customers=1_000, seed=7)


def test_same_seed_gives_same_data_and_another_seed_does_not():
    a, b = (generate_demo(n_customers=300, seed=3) for _ in range(2))
    for key in ("customers", "transactions", "customers_truth", "transactions_truth"):
        pd.testing.assert_frame_equal(getattr(a, key), getattr(b, key))
    c = generate_demo(n_customers=300, seed=4)
    assert not a.customers.equals(c.customers)


def test_committed_demo_set_equals_a_fresh_generation(written):
    paths, _ = written
    for fresh in paths.values():
        committed = COMMITTED / fresh.relative_to(paths["customers"].parent)
        assert committed.exists(), f"{committed} is missing: run `seglab demo-data --out data/demo`"
        assert _sha256(committed) == _sha256(fresh), (
            f"{committed} differs from a fresh generation: run `seglab demo-data --out data/demo`"
        )


def test_committed_smoke_set_equals_a_fresh_generation(tmp_path):
    """data/smoke/ (params/smoke.yaml, the fast test tier) is the demo at 400 customers."""
    smoke = COMMITTED.parent / "smoke"
    paths = write_demo_data(tmp_path, n_customers=400, seed=42)
    for fresh in paths.values():
        committed = smoke / fresh.relative_to(tmp_path)
        assert _sha256(committed) == _sha256(fresh), (
            f"{committed} differs: run `seglab demo-data --customers 400 --seed 42 --out data/smoke`")


def test_columns_and_sizes(written):
    _, f = written
    assert tuple(f["customers"].columns) == demo.CUSTOMER_COLUMNS
    assert tuple(f["transactions"].columns) == demo.TRANSACTION_COLUMNS
    assert tuple(f["customers_truth"].columns) == demo.CUSTOMER_TRUTH_COLUMNS
    assert tuple(f["transactions_truth"].columns) == demo.TRANSACTION_TRUTH_COLUMNS
    assert f["customers"]["customer_id"].nunique() == 10_000
    assert len(f["customers_truth"]) == len(f["customers"])
    assert len(f["transactions_truth"]) == len(f["transactions"])
    assert 13 <= len(f["transactions"]) / 10_000 <= 17
    assert f["customers"]["customer_id"].str.fullmatch(r"C\d{6}").all()
    assert f["transactions"]["order_id"].str.fullmatch(r"C?O\d{7}").all()


def test_transactions_per_customer_scales_the_volume():
    data = generate_demo(n_customers=1_000, seed=1, transactions_per_customer=20)
    assert 17 <= len(data.transactions) / 1_000 <= 23


def test_planted_shares_are_roughly_as_specified(written):
    _, f = written
    truth = f["customers_truth"]
    shares = truth["planted_group"].value_counts(normalize=True)
    for name, share in GROUP_SHARES.items():
        assert shares[name] == pytest.approx(share, abs=0.02)
    planted_problems = (("customers_truth", demo.CUSTOMER_PROBLEMS),
                        ("transactions_truth", demo.TRANSACTION_PROBLEMS))
    for table, planted in planted_problems:
        counts = f[table]["problem"].value_counts()
        for label, share in planted.items():
            assert counts[label] / len(f[table]) == pytest.approx(share, rel=0.25), label
    assert 0.03 <= (f["transactions_truth"]["problem"] == "return").mean() <= 0.12


def test_every_problem_label_appears_even_in_a_small_set(small):
    assert set(small.customers_truth["problem"]) - {""} == CUSTOMER_LABELS
    assert set(small.transactions_truth["problem"]) - {""} == TRANSACTION_LABELS


def test_truth_source_row_is_the_csv_data_line(written):
    paths, f = written
    for table, truth, key in (("customers", "customers_truth", 0),
                              ("transactions", "transactions_truth", 1)):
        with open(paths[table], encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))[1:]
        t = f[truth]
        assert t["source_row"].astype(int).tolist() == list(range(1, len(rows) + 1))
        assert [r[key] for r in rows] == t.iloc[:, 1].tolist()


def test_customer_problems_are_what_the_truth_says(written):
    _, f = written
    c, t = f["customers"], f["customers_truth"]
    label = t["problem"]
    clean = c[label == ""]
    assert clean["gender"].isin(["male", "female"]).all()
    assert clean["age"].astype(int).between(18, 100).all()
    assert clean["income"].astype(float).gt(0).all()
    assert clean["city"].map(demo.CITY_REGION).eq(clean["region"]).all()
    assert pd.to_datetime(clean["signup_date"], format="%Y-%m-%d").le("2026-06-30").all()
    assert c.loc[label == "missing_age", "age"].isin(["", "N/A"]).all()
    assert c.loc[label == "missing_income", "income"].isin(["", "N/A"]).all()
    assert c.loc[label == "missing_city", "city"].isin(["", "N/A", "unknown"]).all()
    assert c.loc[label == "missing_gender", "gender"].isin(["", "N/A", "unknown"]).all()
    ages = c.loc[label == "impossible_age", "age"].astype(int)
    assert ((ages <= 0) | (ages > 120)).all()
    signup = pd.to_datetime(c["signup_date"], format="%Y-%m-%d", errors="coerce")
    assert signup[label == "future_date"].gt("2060-01-01").all()
    assert signup[label == "bad_date"].isna().all()
    variants = c.loc[label == "category_variant", "gender"]
    assert not variants.isin(["male", "female"]).any()
    assert variants.str.strip().str.lower().isin(["m", "male", "男", "f", "female", "女"]).all()
    copies = np.flatnonzero(label == "exact_duplicate")
    assert (c.iloc[copies].to_numpy() == c.iloc[copies - 1].to_numpy()).all()


def test_duplicates_are_the_same_person_written_differently(written):
    _, f = written
    c, t = f["customers"], f["customers_truth"]
    by_id = c.drop_duplicates("customer_id").set_index("customer_id")
    dups = t[t["problem"] == "duplicate"]
    survivors = by_id.loc[dups["duplicate_of"]]
    twins = by_id.loc[dups["customer_id"]]
    email = lambda s: s.str.strip().str.lower()  # noqa: E731
    phone = lambda s: s.str.replace(r"\D", "", regex=True).str[-11:]  # noqa: E731
    for column, same in (("email", email), ("phone", phone)):
        assert (same(survivors[column]).to_numpy() == same(twins[column]).to_numpy()).all()
        assert (survivors[column].to_numpy() != twins[column].to_numpy()).all()
    assert (survivors.index < twins.index).all()  # the survivor signed up first
    assert t.set_index("customer_id").loc[dups["duplicate_of"], "problem"].eq("").all()
    # Distinct people never share a normalised email or phone.
    assert email(c[t["problem"].isin(["", "category_variant"]).to_numpy()]["email"]).is_unique
    # Both records of a person have transactions of their own.
    buyers = set(f["transactions"]["customer_id"])
    assert set(dups["customer_id"]) <= buyers and set(dups["duplicate_of"]) <= buyers


def test_transaction_problems_are_what_the_truth_says(written):
    _, f = written
    tx, label = f["transactions"], f["transactions_truth"]["problem"]
    amount = tx["amount"].astype(float)
    date = pd.to_datetime(tx["order_date"], format="%Y-%m-%d", errors="coerce")
    known = tx["customer_id"].isin(set(f["customers"]["customer_id"]))
    clean = label == ""
    assert amount[clean].gt(0).all() and known[clean].all()
    assert date[clean].between("2023-07-01", "2026-06-30").all()
    assert date[clean].is_monotonic_increasing
    assert tx.loc[clean, "order_id"].is_unique
    assert tx.loc[clean, "order_id"].str.startswith("O").all()
    assert amount[label == "bad_amount"].lt(0).all()  # an amount of 0 is a free purchase, not an error
    assert amount[label == "free_purchase"].eq(0).all()
    assert date[label == "future_date"].gt("2060-01-01").all()
    assert date[label == "bad_date"].isna().all()
    assert not known[label == "unknown_customer"].any()
    copies = np.flatnonzero(label == "exact_duplicate")
    assert (tx.iloc[copies].to_numpy() == tx.iloc[copies - 1].to_numpy()).all()

    returns = tx[label == "return"].assign(amount=amount, date=date)
    orders = tx[label != "return"].drop_duplicates("order_id").assign(amount=amount, date=date)
    # a refund of an order bought before the export: the customer's only line (returns only)
    unlisted = ~returns["order_id"].str[1:].isin(orders["order_id"])
    lines_per_customer = tx["customer_id"].value_counts()
    assert unlisted.sum() >= 1 and (lines_per_customer[returns.loc[unlisted, "customer_id"]] == 1).all()
    returns = returns[~unlisted]
    orders = orders.set_index("order_id").loc[returns["order_id"].str[1:]]
    assert returns["order_id"].str.fullmatch(r"CO\d+").all()
    assert (returns["customer_id"].to_numpy() == orders["customer_id"].to_numpy()).all()
    assert (returns["date"].to_numpy() > orders["date"].to_numpy()).all()
    assert (returns["amount"].to_numpy() < 0).all()
    assert (-returns["amount"].to_numpy() <= orders["amount"].to_numpy()).all()


def test_free_purchases_and_returns_only_customers_are_planted(written):
    _, f = written
    tx, label = f["transactions"], f["transactions_truth"]["problem"]
    kinds = label.groupby(tx["customer_id"]).agg(lambda s: frozenset(s))
    n_customers = len(f["customers"])
    only_free = (kinds == frozenset({"free_purchase"})).sum()  # CDNOW has 8 in 2,357
    returns_only = (kinds == frozenset({"return"})).sum()
    assert 0.001 * n_customers <= only_free <= 0.01 * n_customers
    assert 0.001 * n_customers <= returns_only <= 0.01 * n_customers
    assert 0.001 <= (label == "free_purchase").mean() <= 0.005


def test_lapsed_customers_stopped_buying(written):
    _, f = written
    t = f["customers_truth"]
    lapsed = set(t.loc[t["planted_group"] == "lapsed", "customer_id"])
    tx = f["transactions"]
    date = pd.to_datetime(tx["order_date"], format="%Y-%m-%d", errors="coerce")
    recent = tx[(date > "2025-03-31") & (date <= "2026-06-30")]
    assert not recent["customer_id"].isin(lapsed).any()


def test_planted_groups_are_recoverable_by_a_simple_kmeans(written):
    _, f = written
    c, ct = f["customers"], f["customers_truth"]
    tt = f["transactions_truth"]
    person = ct["duplicate_of"].where(ct["problem"] == "duplicate", ct["customer_id"])
    tx = f["transactions"][tt["problem"].isin(["", "return", "free_purchase"])]
    tx = tx.assign(
        person=tx["customer_id"].map(dict(zip(ct["customer_id"], person))),
        date=pd.to_datetime(tx["order_date"]),
        amount=tx["amount"].astype(float),
    )
    orders = tx[tx["order_id"].str.startswith("O")].groupby("person")
    rfm = pd.DataFrame({
        "recency": (tx["date"].max() - orders["date"].max()).dt.days,
        "frequency": orders.size(),
        "monetary": tx.groupby("person")["amount"].sum().clip(lower=0),
    }).dropna()  # people with only a refund in the file have no order to measure
    clean = ct["problem"] == ""
    X = c[clean].set_index("customer_id")[["age", "income", "gender", "city"]]
    X = X.astype({"age": float, "income": float}).join(rfm, how="inner")
    truth = ct[clean].set_index("customer_id").loc[X.index, "planted_group"]
    features = ColumnTransformer([
        ("numeric", RobustScaler(), ["age", "income", "recency"]),
        ("counts", make_pipeline(FunctionTransformer(np.log1p), RobustScaler()),
         ["frequency", "monetary"]),
        ("categories", OneHotEncoder(), ["gender", "city"]),
    ])
    labels = KMeans(n_clusters=5, n_init=4, random_state=0).fit_predict(features.fit_transform(X))
    assert adjusted_rand_score(truth, labels) >= 0.8


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n_customers": 5}, "n_customers must be an int >= 100; got 5"),
    ({"n_customers": 1.5e3}, "n_customers must be an int"),
    ({"seed": -1}, "seed must be an int >= 0; got -1"),
    ({"scenario": "retial"},
     r"unknown scenario 'retial'; did you mean 'retail'\?; choose one of: retail"),
    ({"transactions_per_customer": 0}, "transactions_per_customer must be in"),
])
def test_bad_arguments_are_user_errors(kwargs, match):
    with pytest.raises(SeglabError, match=match):
        generate_demo(**kwargs)


def _sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()
