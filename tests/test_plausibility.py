"""Plausibility by default, ambiguous dates, explained blanks and the value accounting (issue 11
points 4, 7 and 8): generated data planting each pattern, counts checked against an independent
calculation."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from seglab.clean import plausibility
from seglab.clean.missing import explained_by_zero
from seglab.clean.stage import clean_stage
from seglab.config import config_from_dict
from seglab.errors import ParamsError

SHARED = Path(__file__).parents[2] / "shared" / "data"


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("SEGLAB_SECRET", "test-key")


def clean(tmp_path, customers: pd.DataFrame, transactions: pd.DataFrame | None = None, *, columns=None,
          cleaning=None, data=None):
    """Clean generated tables; returns (quality, clean customers, repairs, quarantine, clean lines)."""
    customers.to_csv(tmp_path / "customers.csv", index=False)
    sources = {"customers": "customers.csv"}
    if transactions is not None:
        transactions.to_csv(tmp_path / "transactions.csv", index=False)
        sources["transactions"] = "transactions.csv"
    raw = {"run_name": "t", "data": {**sources, **(data or {})}, "columns": columns or {},
           "cleaning": cleaning or {}}
    cfg = config_from_dict(raw, base_dir=tmp_path)
    out = tmp_path / "run"
    q = clean_stage(cfg, out)
    read = lambda name: pd.read_csv(out / name, dtype=str, keep_default_na=False)  # noqa: E731
    lines = pd.read_parquet(out / "transactions_clean.parquet") if transactions is not None else None
    return q, pd.read_parquet(out / "customers_clean.parquet"), read("repairs.csv"), read("quarantine.csv"), lines


def findings(q) -> dict:
    return {(f["source"], f["column"], f["check"]): f for f in q["plausibility"]["findings"]}


def far_out(values, *, log=True) -> tuple[float, float]:
    """Tukey's far-out fences (3 x IQR), computed here independently of seglab."""
    y = np.log(values) if log else np.asarray(values, float)
    q1, q3 = np.percentile(y, [25, 75])
    lo, hi = q1 - 3 * (q3 - q1), q3 + 3 * (q3 - q1)
    return (np.exp(lo), np.exp(hi)) if log else (lo, hi)


def people(n=600, seed=1):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "customer_id": [f"C{i:04d}" for i in range(n)],
        "age": rng.integers(18, 80, n).astype(float),
        "income": np.round(rng.lognormal(np.log(120), 0.6, n), 1),  # a real heavy tail
        "signup_date": (np.datetime64("2015-01-01") + rng.integers(0, 3500, n).astype("timedelta64[D]")).astype(str),
    })


COLUMNS = {"numeric": ["age", "income"], "dates": ["signup_date"]}


# ------------------------------------------------------------------ detection

def test_a_lognormal_heavy_tail_survives_and_planted_outliers_are_found():
    rng = np.random.default_rng(3)
    values = rng.lognormal(np.log(8500), 1.0, 5000)  # the wholesale file's scale: max about 30x the median
    planted = np.array([8500 * 1000, 8500 * 3000])
    fence = plausibility.outlier_fence(np.concatenate([values, planted]))
    lo, hi = far_out(np.concatenate([values, planted]))
    assert fence.scale == "log" and fence.low is None and values.max() < hi
    assert fence.high == pytest.approx(values.max())  # cut off by a gap, below the far-out fence
    assert (values > fence.high).sum() == 0 and (planted > fence.high).all()
    fence = plausibility.outlier_fence(np.concatenate([values, [hi * 1.5]]))  # beyond the fence, no gap
    assert fence.high == pytest.approx(far_out(np.concatenate([values, [hi * 1.5]]))[1])


def test_a_symmetric_column_is_fenced_on_its_own_scale_on_both_sides():
    rng = np.random.default_rng(4)
    score = np.concatenate([rng.uniform(1, 100, 400), [-500.0, 900.0]])
    fence = plausibility.outlier_fence(score)
    lo, hi = far_out(score, log=False)
    assert fence.scale == "linear" and (fence.low, fence.high) == pytest.approx((lo, hi))
    assert fence.below(score).sum() == 1 and fence.above(score).sum() == 1


def test_a_value_five_times_every_other_is_cut_off_from_a_heavy_tail():
    rng = np.random.default_rng(8)
    values = rng.lognormal(np.log(5000), 1.2, 2000)
    assert plausibility.outlier_fence(values).high > values.max()  # a heavy tail, nothing cut off
    slipped = np.r_[values, values.max() * 6]
    assert plausibility.outlier_fence(slipped).high == pytest.approx(values.max())
    sentinels = np.r_[values, [values.max() * 20] * 4]  # 99999-style sentinels, a few of them
    assert plausibility.outlier_fence(sentinels).high == pytest.approx(values.max())
    many = np.r_[values, values.max() * 6 * np.ones(40)]  # 2 %: a group of its own, not a slip
    assert plausibility.outlier_fence(many).high > values.max() * 6


def test_a_mostly_constant_column_is_judged_by_its_other_values():
    rng = np.random.default_rng(5)
    previous = np.concatenate([np.zeros(800), rng.integers(1, 8, 150), [25.0]])  # bank.csv's "previous"
    fence = plausibility.outlier_fence(previous)
    assert fence.below(previous).sum() == 0 and fence.above(previous).sum() <= 1
    assert plausibility.outlier_fence(np.r_[np.zeros(500), 1, 2, 3]) is None  # too little to say


def test_negative_balances_and_a_long_tail_are_not_outliers():
    rng = np.random.default_rng(6)
    balance = np.concatenate([rng.lognormal(np.log(900), 1.2, 3000), -rng.lognormal(np.log(300), 1.0, 300)])
    fence = plausibility.outlier_fence(balance)
    assert fence.scale == "signed log"
    assert fence.below(balance).sum() + fence.above(balance).sum() <= 0.001 * len(balance)


@pytest.mark.parametrize("name, kind", [("age", "age"), ("Age", "age"), ("customer_age", "age"), ("ageYears", "age"),
                                        ("年龄", "age"), ("birth_year", "birth year"), ("YearOfBirth", "birth year"),
                                        ("page_views", None), ("average_spend", None), ("agency", None),
                                        ("account_age_days", None), ("car_age", None), ("age_months", None)])
def test_human_ranges_come_from_the_column_name(name, kind):
    found = plausibility.human_range(name, pd.Timestamp("2025-06-30"))
    assert (found[0] if found else None) == kind
    if kind == "birth year":
        assert found[1:] == (1900, 2025)


def test_placeholder_dates_stand_out_and_one_real_new_year_birthday_does_not():
    rng = np.random.default_rng(7)
    days = np.datetime64("1960-01-01") + rng.integers(0, 40 * 365, 3000).astype("timedelta64[D]")
    births = np.concatenate([days, np.array(["1970-01-01"] * 12 + ["1900-01-01"], dtype="datetime64[D]")])
    found = plausibility.check_dates(births.astype("datetime64[ns]"), np.ones(len(births), bool))
    assert found.placeholder.sum() == 13 + (days == np.datetime64("1970-01-01")).sum()  # a real one cannot be told apart
    lone = np.concatenate([days, np.array(["1970-01-01"], dtype="datetime64[D]")])
    found = plausibility.check_dates(lone.astype("datetime64[ns]"), np.ones(len(lone), bool))
    assert found.placeholder.sum() == 0 and found.early.sum() == 0


def test_a_column_of_only_placeholder_dates_is_flagged():
    days = np.array(["1970-01-01"] * 50 + ["2021-03-04"] * 2, dtype="datetime64[D]").astype("datetime64[ns]")
    assert plausibility.check_dates(days, np.ones(len(days), bool)).placeholder.sum() == 50


# ------------------------------------------------------------------ the clean stage

def test_a_column_named_age_that_holds_something_else_keeps_its_values(tmp_path):
    c = people()
    c["age"] = np.random.default_rng(2).integers(1950, 2005, len(c)).astype(float)  # birth years, misnamed
    q, table, *_ = clean(tmp_path, c, columns=COLUMNS)
    assert table["age"].notna().all() and not [f for f in q["plausibility"]["findings"] if f["column"] == "age"]
    assert "so they are not ages" in q["plausibility"]["checked"]["customers"]["age"]["range_not_applied"]


def test_customer_columns_without_ranges(tmp_path):
    c = people()
    c.loc[[0, 1, 2], "age"] = [150, -3, 999]
    c.loc[[3, 4], "income"] = [1e308, 1e20]
    c.loc[5, "income"] = 120 * 2000  # two thousand times the median
    c.loc[[6, 7], "signup_date"] = ["1900-01-01", "1985-03-02"]
    c.loc[8:12, "signup_date"] = "1970-01-01"
    q, table, repairs, _, _ = clean(tmp_path, c, columns=COLUMNS)
    f = findings(q)
    assert f[("customers", "age", "implausible_value")]["count"] == 3
    assert f[("customers", "income", "absurd_magnitude")]["count"] == 2
    assert f[("customers", "income", "absurd_magnitude")]["examples"] == ["1e+308", "1e+20"]
    # the fence is the independent far-out fence of the usable incomes (absurd ones left out)
    usable = c["income"].drop([3, 4]).to_numpy()
    _, hi = far_out(usable)
    high = f[("customers", "income", "outlier_high")]
    assert high["count"] == int((usable > hi).sum()) == 1
    limit = min(hi, c["income"].drop([3, 4, 5]).max())  # 2,000 times the median: cut off by a gap too
    assert high["limit"] == pytest.approx(limit)
    assert table.loc[5, "income"] == pytest.approx(limit)  # capped for every analysis ...
    capped = repairs[repairs["rule"] == "outlier_capped"]
    assert capped["old"].tolist() == ["240000.0"]  # ... the raw value auditable
    assert f[("customers", "signup_date", "placeholder_date")]["count"] == 6
    assert f[("customers", "signup_date", "early_date")]["count"] == 1
    assert table.loc[[6, 7, 8], "signup_date"].isna().all()
    assert table["age"].between(0, 120).all() and np.isfinite(table["income"]).all()
    assert q["capped"] == {"income": 1} and q["invalid"]["age"] == 3


def test_policies_per_column(tmp_path):
    c = people()
    c.loc[[0, 1], "age"] = [150, 999]
    c.loc[2, "income"] = 120 * 2000
    q, table, _, quarantine, _ = clean(tmp_path, c, columns=COLUMNS, cleaning={
        "plausibility": {"default": "cap", "columns": {"income": "quarantine", "signup_date": "ignore"}}})
    assert table.loc[[0, 1], "age"].tolist() == [120.0, 120.0]  # cap: the nearest plausible value
    assert quarantine["rule"].tolist() == ["outlier"] and quarantine["customer_id"].tolist() == ["C0002"]
    assert q["rows_quarantined"] == 1
    c.loc[3, "income"] = 1e308
    q, table, _, _, _ = clean(tmp_path, c, columns=COLUMNS, cleaning={"plausibility": {"default": "ignore"}})
    assert table.loc[0, "age"] == 150 and table.loc[2, "income"] == 240000  # ignore: not checked ...
    assert findings(q)[("customers", "income", "absurd_magnitude")]["count"] == 1  # ... but 1e308 is never used
    assert table["income"].max() < 1e15


def test_explicit_ranges_come_first(tmp_path):
    c = people()
    c.loc[0, "age"] = 150
    q, _, repairs, _, _ = clean(tmp_path, c, columns=COLUMNS, cleaning={"ranges": {"age": [16, 100]}})
    assert repairs.loc[repairs["column"] == "age", "rule"].tolist()[0] == "out_of_range"
    assert ("customers", "age", "implausible_value") not in findings(q)


def orders(customers, n=4000, seed=2):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "customer_id": rng.choice(customers["customer_id"], n),
        "order_id": [f"O{i:05d}" for i in range(n)],
        "order_date": (np.datetime64("2022-01-01") + rng.integers(0, 900, n).astype("timedelta64[D]")).astype(str),
        "amount": np.round(rng.lognormal(np.log(60), 0.9, n), 2),
    })


def test_transaction_amounts_and_dates(tmp_path):
    c = people(200)
    t = orders(c)
    median = float(t["amount"].median())
    t.loc[0, "amount"] = round(median * 1000, 2)   # a single order a thousand times the median
    t.loc[[1, 2], "amount"] = [1e308, 1e308]
    t.loc[[3, 4], "order_date"] = ["1900-01-01", "1970-01-01"]
    t.loc[5, "order_date"] = "2005-06-01"
    q, _, repairs, quarantine, lines = clean(tmp_path, c, t, columns={"numeric": ["age"]})
    f = findings(q)
    usable = np.abs(t["amount"].drop([1, 2, 3, 4, 5]).to_numpy())
    _, hi = far_out(usable)
    assert f[("transactions", "amount", "outlier_high")]["count"] == int((usable > hi).sum()) >= 1
    assert f[("transactions", "amount", "absurd_magnitude")]["count"] == 2
    assert f[("transactions", "order_date", "placeholder_date")]["count"] == 2
    assert f[("transactions", "order_date", "early_date")]["count"] == 1
    assert set(quarantine["rule"]) == {"absurd_magnitude", "placeholder_date", "early_date"}
    assert lines["amount"].max() == pytest.approx(hi) and lines["date"].min() >= pd.Timestamp("2022-01-01")
    assert repairs.loc[repairs["rule"] == "outlier_capped", "old"].iloc[0] == str(t.loc[0, "amount"])
    s = q["sources"]["transactions"]
    assert s["rows_in"] == s["rows_clean"] + s["duplicates_merged"] + s["rows_quarantined"]


def test_an_order_a_thousand_times_the_median_is_absurd_however_wide_the_spread():
    rng = np.random.default_rng(10)
    amounts = rng.lognormal(np.log(150), 1.6, 5000)  # so wide that the far-out fence lies far above
    median = np.median(np.r_[amounts, np.inf])  # the median with the planted order among the lines
    planted = np.r_[amounts, median * 1000]
    fence = plausibility.outlier_fence(planted, magnitudes=True)
    assert far_out(np.abs(planted))[1] > median * 1000
    assert fence.above(planted).sum() == 1 + (amounts >= median * 1000).sum()


def test_real_heavy_tails_of_orders_are_not_flagged(tmp_path):
    c = people(300)
    t = orders(c, 6000)
    t["amount"] = np.round(np.random.default_rng(9).lognormal(np.log(150), 1.1, len(t)), 2)  # superstore-like
    q, *_ = clean(tmp_path, c, t, columns={"numeric": ["age"]})
    assert not [f for f in q["plausibility"]["findings"] if f["source"] == "transactions"]


# ------------------------------------------------------------------ ambiguity

def test_mixed_date_orders_set_the_ambiguous_values_aside(tmp_path):
    c = people(300)
    rng = np.random.default_rng(11)
    day, month = rng.integers(1, 29, 300), rng.integers(1, 13, 300)
    day_first = np.arange(300) < 150  # two systems: one writes 31/01/2024, the other 01/31/2024
    c["signup_date"] = [f"{d:02d}/{m:02d}/2020" if df else f"{m:02d}/{d:02d}/2020"
                        for d, m, df in zip(day, month, day_first)]
    ambiguous = (day <= 12) & (day != month)
    q, table, repairs, _, _ = clean(tmp_path, c, columns=COLUMNS)
    assert q["date_order"]["signup_date"]["order"] == "mixed"
    assert q["date_order"]["signup_date"]["ambiguous"] == int(ambiguous.sum())
    assert (repairs["rule"] == "ambiguous_date").sum() == int(ambiguous.sum())
    read = pd.to_datetime(table["signup_date"])
    expected = pd.to_datetime([f"2020-{m:02d}-{d:02d}" for d, m in zip(day, month)])
    assert (read[~ambiguous] == expected[~ambiguous]).all() and read[ambiguous].isna().all()
    # an explicit format reads them all, the stated way
    q, table, _, _, _ = clean(tmp_path, c, columns=COLUMNS, cleaning={"date_formats": {"signup_date": "%d/%m/%Y"}})
    assert q["date_order"]["signup_date"]["order"] == "format"


def test_ambiguous_transaction_dates_are_quarantined(tmp_path):
    c = people(100)
    t = orders(c, 400)
    t["order_date"] = ["13/02/2023", "02/14/2023", "03/04/2023"] * 133 + ["05/05/2023"]
    q, _, _, quarantine, lines = clean(tmp_path, c, t, columns={"numeric": ["age"]})
    assert (quarantine["rule"] == "ambiguous_date").sum() == 133
    assert len(lines) == 267 and q["sources"]["transactions"]["quarantined_by_rule"]["ambiguous_date"] == 133


def test_a_few_dates_written_the_other_way_are_errors_not_a_mixed_column(tmp_path):
    c = people(300)
    c["signup_date"] = ["25/03/2021"] * 150 + ["04/05/2021"] * 149 + ["03/25/2021"]
    q, table, _, _, _ = clean(tmp_path, c, columns=COLUMNS)
    assert q["date_order"]["signup_date"]["order"] == "day first"
    assert (pd.to_datetime(table["signup_date"]) == pd.Timestamp("2021-05-04")).sum() == 149


# ------------------------------------------------------------------ explained blanks

def subscriptions(n=500, seed=12):
    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 72, n).astype(float)
    tenure[:11] = 0
    monthly = np.round(rng.uniform(20, 110, n), 2)
    total = np.round(tenure * monthly * rng.uniform(0.95, 1.05, n), 2)
    frame = pd.DataFrame({"customer_id": [f"S{i:04d}" for i in range(n)], "tenure": tenure,
                          "monthly_charges": monthly, "total_charges": total.astype(object)})
    frame.loc[:10, "total_charges"] = " "  # the export writes a blank where nothing was charged yet
    frame.loc[100, "total_charges"] = ""   # one blank that nothing explains ...
    frame.loc[100, "tenure"] = 0           # ... except that it too has tenure 0
    return frame


def test_blanks_explained_by_a_zero_are_filled_with_zero(tmp_path):
    s = subscriptions()
    q, table, repairs, _, _ = clean(tmp_path, s, columns={"numeric": ["tenure", "monthly_charges", "total_charges"]})
    explained = q["imputation"]["total_charges"]
    assert explained["strategy"] == "zero" and explained["explained_by"] == "tenure" and explained["count"] == 12
    assert (table.loc[s["tenure"] == 0, "total_charges"] == 0).all()
    assert (repairs["rule"] == "explained_zero").sum() == 12


def test_a_common_zero_explains_nothing(tmp_path):
    s = subscriptions()
    s.loc[200:400, "tenure"] = 0  # 0 is common: the blanks sitting on it says nothing
    q, table, _, _, _ = clean(tmp_path, s, columns={"numeric": ["tenure", "monthly_charges", "total_charges"]})
    assert q["imputation"]["total_charges"]["strategy"] == "median"


def test_explained_by_zero_needs_the_value_to_grow_with_the_other_column():
    rng = np.random.default_rng(13)
    x = pd.Series(rng.uniform(0, 100, 300))
    y = pd.Series(rng.uniform(1, 50, 300))
    blank = np.zeros(300, bool)
    blank[:5] = True
    x[:5], y[:5] = np.nan, 0.0
    assert explained_by_zero(x, blank, {"y": y}, np.ones(300, bool)) is None  # unrelated columns
    x[5:] = y[5:] * 3
    assert explained_by_zero(x, blank, {"y": y}, np.ones(300, bool))["column"] == "y"


def test_the_zero_strategy_is_available(tmp_path):
    s = subscriptions().astype({"monthly_charges": object})
    s.loc[300, "monthly_charges"] = ""
    q, table, _, _, _ = clean(tmp_path, s, columns={"numeric": ["tenure", "monthly_charges", "total_charges"]},
                              cleaning={"missing": {"columns": {"monthly_charges": "zero", "total_charges": "median"}}})
    assert table.loc[300, "monthly_charges"] == 0 and q["imputation"]["monthly_charges"]["strategy"] == "zero"
    assert q["imputation"]["total_charges"]["strategy"] == "median"  # the params' own strategy wins


@pytest.mark.parametrize("cleaning, message", [
    ({"missing": {"columns": {"city": "zero"}}}, "strategy zero fills numbers"),
    ({"missing": {"categorical": "zero"}}, "cleaning.missing.categorical"),
    ({"missing": {"columns": {"age": {"strategy": "constant", "value": "old"}}}}, "is not a number"),
    ({"missing": {"columns": {"age": {"strategy": "constant"}}}}, "needs a value"),
    ({"plausibility": {"columns": {"city": "cap"}}}, "cleaning.plausibility.columns.city"),
    ({"plausibility": {"default": "drop"}}, "cleaning.plausibility.default"),
])
def test_params_mistakes_are_found_before_any_data_is_read(tmp_path, cleaning, message):
    raw = {"run_name": "t", "data": {"customers": "c.csv"},
           "columns": {"numeric": ["age"], "categorical": ["city"]}, "cleaning": cleaning}
    with pytest.raises(ParamsError, match=message):
        config_from_dict(raw, base_dir=tmp_path)


# ------------------------------------------------------------------ the value accounting

def test_every_missing_or_unusable_value_is_accounted_for(tmp_path):
    c = people(400)
    rng = np.random.default_rng(14)
    c["city"] = rng.choice(["Beijing", "Shanghai", ""], 400, p=[0.45, 0.45, 0.1])
    c["email"] = [f"p{i}@x.com" for i in range(400)]
    c.loc[rng.choice(400, 30, replace=False), "age"] = np.nan
    c.loc[[5, 6, 7], "age"] = [-3, 999, 150]
    c["age"] = c["age"].astype(object)
    c.loc[8, "age"] = "old"
    c.loc[20:39, "email"] = c.loc[0:19, "email"].to_numpy()  # duplicates merge away with their gaps
    c.loc[[50, 51], "income"] = np.nan
    frame = pd.concat([c, c.iloc[[60, 61]]], ignore_index=True)  # exact copies leave before values are checked
    q, table, *_ = clean(tmp_path, frame, columns={"numeric": ["age", "income"], "categorical": ["city"],
                                                   "dates": ["signup_date"], "pii": ["email"]},
                         cleaning={"dedupe_on": ["email"], "missing": {"columns": {"income": "quarantine"}}})
    assert q["values_checked"] == 400
    for col, v in q["values"].items():
        assert v["missing"] + v["unusable"] == v["filled"] + v["left_missing"] + v["set_aside"], col
    age = q["values"]["age"]
    raw_age = pd.to_numeric(c["age"], errors="coerce")
    assert age["missing"] == int(raw_age.isna().sum()) - 1 and age["unusable"] == 4  # "old" is unusable
    assert q["values"]["income"]["set_aside"] == 2 and q["rows_quarantined"] == 2


# ------------------------------------------------------------------ the real files

def real_customers(tmp_path, name, columns, **kwargs):
    if not (SHARED / name).exists():
        pytest.skip(f"real sample data not present at {SHARED}")
    cfg = config_from_dict({"run_name": "t", "data": {"customers": str(SHARED / name)},
                            "columns": {"customer_id": None, **columns}, **kwargs}, base_dir=tmp_path)
    return clean_stage(cfg, tmp_path / "run")


def test_wholesale_heavy_tails_survive_and_a_slipped_decimal_does_not(tmp_path):
    spend = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]
    q = real_customers(tmp_path, "wholesale_customers.csv", {"numeric": spend})
    assert q["plausibility"]["findings"] == []  # Fresh 112,151 against a median of 8,504 is a real client
    frame = pd.read_csv(SHARED / "wholesale_customers.csv").astype(float)
    frame.loc[10, "Fresh"] = frame["Fresh"].median() * 100  # a median client, two zeros too many: 850,400
    frame.loc[20, "Milk"] = frame["Milk"].max() * 4  # a client four times the next: kept (a real tail can)
    frame.loc[30, "Grocery"] = frame["Grocery"].max() * 3  # a big client, not cut off from the rest
    frame.to_csv(tmp_path / "planted.csv", index=False)
    cfg = config_from_dict({"run_name": "t", "data": {"customers": str(tmp_path / "planted.csv")},
                            "columns": {"customer_id": None, "numeric": spend}}, base_dir=tmp_path)
    q = clean_stage(cfg, tmp_path / "planted")
    found = {(f["column"], f["check"]): f for f in q["plausibility"]["findings"]}
    assert set(found) == {("Fresh", "outlier_high")} and found[("Fresh", "outlier_high")]["count"] == 1
    assert found[("Fresh", "outlier_high")]["limit"] == frame["Fresh"].drop(10).max()  # the largest real value


def test_bank_balances_and_campaign_counts_are_not_flagged(tmp_path):
    q = real_customers(tmp_path, "bank.csv", {"numeric": ["age", "balance", "duration", "campaign", "pdays",
                                                           "previous"]},
                       data={"customers": {"path": str(SHARED / "bank.csv"), "delimiter": ";"}})
    assert q["plausibility"]["findings"] == []
    assert q["plausibility"]["checked"]["customers"]["balance"]["fence"]["scale"] == "signed log"
