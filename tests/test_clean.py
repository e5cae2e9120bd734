"""Cleaning: parsers, rules, missing values, de-duplication, returns, accounting, the demo's truth."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from seglab.artifacts import DateOrder
from seglab.clean.stage import clean_stage
from seglab.clean.standardise import (
    normalise_categories,
    normalise_phone,
    parse_dates,
    parse_numbers,
    token_set,
)
from seglab.config import config_from_dict, load_config
from seglab.errors import DataError
from seglab.validation import validate

ROOT = Path(__file__).parents[1]
TOKENS = token_set(["", "unknown", "n/a", "na", "-", "null", "none", "nan", "未知"])
HEADER = "customer_id,name,email,phone,gender,age,income,city,signup_date\n"


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("SEGLAB_SECRET", "test-key")


def run(tmp_path, customers=None, transactions=None, **sections):
    """Write the inputs, clean them, return (quality, run folder)."""
    data = {}
    if customers is not None:
        (tmp_path / "customers.csv").write_text(customers, encoding="utf-8")
        data["customers"] = "customers.csv"
    if transactions is not None:
        (tmp_path / "transactions.csv").write_text(transactions, encoding="utf-8")
        data["transactions"] = "transactions.csv"
    raw = {"run_name": "t", "data": {**data, **sections.pop("data", {})},
           "columns": {"pii": ["name", "email", "phone"], "numeric": ["age", "income"],
                       "categorical": ["gender", "city"], "dates": ["signup_date"],
                       "transactions": {"customer_id": "customer_id", "date": "order_date", "amount": "amount",
                                        "order_id": "order_id"}},
           "cleaning": {"dedupe_on": ["email", "phone"]}}
    for key, value in sections.items():
        raw.setdefault(key, {}).update(value)
    cfg = config_from_dict(raw, base_dir=tmp_path)
    out = tmp_path / "run"
    validate(cfg, check_output=False, fitting=False)  # what seglab run does first
    return clean_stage(cfg, out), out


def balanced(q):
    for part in [q, *q["sources"].values()]:
        assert part["rows_in"] == part["rows_clean"] + part["duplicates_merged"] + part["rows_quarantined"]


# ---------------------------------------------------------------- parsers

def dates(values, fmt=None):
    p = parse_dates(pd.Series(values, dtype="str"), TOKENS, fmt)
    return [None if pd.isna(v) else str(pd.Timestamp(v))[:16] for v in p.values], p


def test_dates_in_the_formats_real_exports_use():
    got, p = dates(["2024-01-05", "2024/1/5", "05.01.2024", "05-01-2024 14:30", "2024年1月5日", "45296", "20240105",
                    "5 Jan 2024", "", "N/A"])
    assert got[:8] == ["2024-01-05 00:00"] * 3 + ["2024-01-05 14:30"] + ["2024-01-05 00:00"] * 4
    assert got[8:] == [None, None] and p.missing[8:].all() and not p.invalid.any()


@pytest.mark.parametrize("values, order, expected", [
    (["05/01/2024", "13/02/2024"], "day first", "2024-01-05"),
    (["05/01/2024", "02/13/2024"], "month first", "2024-05-01"),
])
def test_day_or_month_first_is_decided_by_the_whole_column(values, order, expected):
    got, p = dates(values)
    assert p.info["order"] == order and got[0].startswith(expected)
    assert "can only be read" in p.info["basis"]


def test_ambiguous_column_is_read_one_way_and_says_so():
    got, p = dates(["01/02/2024", "03/04/2024"])
    assert p.info["order"] == "day first" and "assumed" in p.info["basis"]
    assert got == ["2024-02-01 00:00", "2024-04-03 00:00"]


def test_impossible_dates_and_an_explicit_format():
    got, p = dates(["2024-02-30", "not a date", "0001-01-01", "2024-13-45"])
    assert got == [None] * 4 and p.invalid.all()
    got, _ = dates(["01/02/2024"], fmt="%m/%d/%Y")
    assert got == ["2024-01-02 00:00"]


def test_numbers_with_currency_signs_and_separators():
    p = parse_numbers(pd.Series(["¥1,234.50", "$2,000", "１２３", "(12.00)", "3 400,25", "abc", "N/A", "1e999"],
                                dtype="str"), TOKENS)
    assert p.values[:5].tolist() == [1234.5, 2000.0, 123.0, -12.0, 3400.25]
    assert p.invalid.tolist() == [False] * 5 + [True, False, True] and p.missing[6]


def test_decimal_comma_column():
    p = parse_numbers(pd.Series(["1.234,50 €", "999,00", "12.345", "7,5"], dtype="str"), TOKENS)
    assert p.values.tolist() == [1234.5, 999.0, 12345.0, 7.5]


def test_category_variants_are_mapped_and_flagged_but_usual_spellings_are_not():
    raw = pd.Series(["male", "male", "Male", " male ", "M", "男", "female", "F", "unknown", ""], dtype="str")
    values, missing, variant = normalise_categories(raw, {"m": "male", "男": "male", "f": "female"}, TOKENS)
    assert values.tolist()[:8] == ["male"] * 6 + ["female"] * 2
    assert variant.tolist() == [False, False, True, True, True, True, False, True, False, False]
    assert missing.tolist()[-2:] == [True, True]
    # a column written "Shanghai" throughout is standardised without a single repair
    _, _, variant = normalise_categories(pd.Series(["Shanghai", "Beijing", "Shanghai"], dtype="str"), {}, TOKENS)
    assert not variant.any()


def test_phones_with_country_prefixes_become_one_number():
    phones = pd.Series(["138 1234 5678", "+86 138-1234-5678", "0086 13812345678", "13812345678", "123"], dtype="str")
    key, country = normalise_phone(phones)
    assert country == "86" and key.tolist()[:4] == ["8613812345678"] * 4 and pd.isna(key.iloc[4])


# ---------------------------------------------------------------- rules and repair

def test_rules_from_params_and_built_in_checks(tmp_path):
    customers = HEADER + (
        "C1,A,a@x.com,13800000001,M,34,100,Shanghai,2020-01-01\n"
        "C2,B,b@x.com,13800000002,female,150,-5,shanghai,2090-01-01\n"
        "C3,C,c@x.com,13800000003,female,N/A,200,-,not a date\n"
        "C4,D,d@x.com,13800000004,male,40,300,Beijing,2021-05-05\n")
    q, out = run(tmp_path, customers, cleaning={"ranges": {"age": [16, 100], "income": [0, None]},
                                                "categories": {"gender": {"m": "male"}}})
    table = pd.read_parquet(out / "customers_clean.parquet")
    assert table["gender"].tolist() == ["male", "female", "female", "male"]
    assert table.loc[1, "age"] == 37.0 and table.loc[1, "income"] == 200.0  # medians of the valid values
    assert pd.isna(table.loc[1, "signup_date"]) and pd.isna(table.loc[2, "signup_date"])
    assert q["invalid"] == {"age": 1, "income": 1, "signup_date": 2}
    assert q["by_rule"]["future_date"] == 1 and q["by_rule"]["bad_date"] == 1 and q["by_rule"]["out_of_range"] == 2
    assert q["missing"]["age"] == 1 and q["missing"]["city"] == 1
    assert q["imputed"] == {"age": 2, "income": 1, "city": 1}
    assert q["repaired"] == {"gender": 1, "city": 1}  # "Shanghai" beside "shanghai": a variant spelling
    repairs = pd.read_csv(out / "repairs.csv", dtype=str)
    assert set(repairs["rule"]) == {"category_variant", "out_of_range", "future_date", "bad_date", "imputed"}
    balanced(q)


def test_missing_strategies_per_type_and_per_column(tmp_path):
    customers = HEADER + (
        "C1,A,a@x.com,1,male,30,,Shanghai,2020-01-01\n"
        "C2,B,b@x.com,2,,,100,,2020-01-02\n"
        "C3,C,c@x.com,3,female,50,300,Beijing,\n")
    q, out = run(tmp_path, customers, cleaning={"required": ["email"], "missing": {
        "numeric": "mean", "categorical": "quarantine",
        "columns": {"income": {"strategy": "constant", "value": 0}}}})
    table = pd.read_parquet(out / "customers_clean.parquet")
    assert table["customer_id"].tolist() == ["C1", "C3"]  # C2 lacks gender and city: quarantined
    assert table["income"].tolist() == [0.0, 300.0] and pd.isna(table.loc[1, "signup_date"])  # dates: keep
    quarantine = pd.read_csv(out / "quarantine.csv", dtype=str)
    assert quarantine["source_row"].tolist() == ["2"] and quarantine["rule"].tolist() == ["missing_value"]
    assert "gender" in quarantine["reason"][0] and "city" in quarantine["reason"][0]
    assert q["imputation"]["income"] == {"strategy": "constant", "value": 0.0}
    balanced(q)


def test_age_is_derived_from_birth_dates(tmp_path):
    customers = "customer_id,birth\nA,1990-06-30\nB,1990-07-01\nC,2031-01-01\nD,\n"
    q, out = run(tmp_path, customers, data={"as_of": "2024-06-30"},
                 columns={"pii": [], "numeric": [], "categorical": [], "dates": [], "birth_date": "birth"},
                 cleaning={"dedupe_on": [], "ranges": {"age": [16, 100]}})
    ages = pd.read_parquet(out / "customers_clean.parquet")["age"].tolist()
    assert ages[:2] == [34.0, 33.0] and ages[2] == ages[3] == 33.5  # future birth: invalid, then median
    assert q["by_rule"]["future_date"] == 1


# ---------------------------------------------------------------- de-duplication

DUPES = HEADER + (
    "C1,王伟,wang.wei@qq.com,138 1234 5678,male,,120,Shanghai,2020-01-01\n"
    "C2,王　伟, WANG.WEI@QQ.COM ,+86 138-1234-5678,male,41,,Shanghai,2023-01-01\n"
    "C3,李娜,lina@163.com,13900000000,female,30,80,Beijing,2021-01-01\n"
    "C3,李娜,lina@163.com,13900000000,female,30,80,Beijing,2021-01-01\n"
    "C4,Lina Li,lina@163.com,0086 13900000000,female,31,85,beijing,2022-01-01\n"
    "C5,Zhang Min,z@x.com,13700000000,female,28,60,Chengdu,2021-03-03\n")
DUPES_TX = ("customer_id,order_id,order_date,amount\nC1,O1,2024-01-01,10\nC2,O2,2024-01-02,20\n"
            "C4,O3,2024-01-03,30\nC5,O4,2024-01-04,40\nC9,O5,2024-01-05,50\n")


def test_duplicates_merge_into_the_most_complete_record(tmp_path):
    q, out = run(tmp_path, DUPES, DUPES_TX)
    table = pd.read_parquet(out / "customers_clean.parquet")
    id_map = pd.read_csv(out / "id_map.csv", dtype=str)
    # C1 and C2 tie on completeness: the more recent (C2) survives and takes C1's income
    assert table["customer_id"].tolist() == ["C2", "C4", "C5"]
    assert table.loc[0, "income"] == 120.0 and table.loc[0, "age"] == 41.0
    merged = dict(zip(id_map["merged_id"] + "/" + id_map["source_row"], id_map["survivor_id"] + ":" + id_map["rule"]))
    assert merged == {"C1/1": "C2:duplicate_key", "C3/4": "C3:exact_duplicate", "C3/3": "C4:duplicate_key"}
    tx = pd.read_parquet(out / "transactions_clean.parquet")
    assert tx["customer_id"].tolist() == ["C2", "C2", "C4", "C5"]  # C1's order follows its survivor
    assert q["duplicates_merged"] == 3 and q["rows_clean"] == 3
    assert q["sources"]["transactions"]["quarantined_by_rule"] == {"unknown_customer": 1}
    assert q["imputed"] == {"income": 1} and not q["repaired"]  # filled from the merged duplicate: a fill
    balanced(q)


def test_placeholder_keys_link_nobody(tmp_path):
    rows = "".join(f"C{i},N{i},n{i}@x.com,00000000000,male,30,10,Shanghai,2020-01-01\n" for i in range(12))
    q, out = run(tmp_path, HEADER + rows, cleaning={"dedupe_on": ["phone"]})
    assert q["rows_clean"] == 12 and q["placeholder_keys"] == {"phone": 1}


def test_fuzzy_names_merge_records_sharing_one_key(tmp_path):
    customers = HEADER + (
        "C1,David Wang,david@x.com,13800000001,male,30,10,Shanghai,2020-01-01\n"
        "C2,Ｄａｖｉｄ  Wang,david.wang@y.com,13800000001,male,30,10,Shanghai,2021-01-01\n"
        "C3,Emily Wang,emily@x.com,13800000001,female,29,20,Shanghai,2021-01-01\n")
    q, _ = run(tmp_path, customers)
    assert q["duplicates_merged"] == 0  # emails differ: not the same on every key
    q, out = run(tmp_path, customers, cleaning={"fuzzy_names": True})
    id_map = pd.read_csv(out / "id_map.csv", dtype=str)
    assert id_map[["merged_id", "survivor_id", "rule"]].values.tolist() == [["C1", "C2", "fuzzy_name"]]


# ---------------------------------------------------------------- transactions

def test_returns_cancellations_and_bad_lines(tmp_path):
    tx = ("customer_id,order_id,order_date,amount\n"
          "C5,O1,2024-01-01,10\nC5,CO1,2024-01-09,-10\nC5,CO2,2024-01-09,4\nC5,O3,2024-01-10,-3\n"
          "C5,O4,2024-01-11,0\nC5,O5,2099-01-01,5\nC5,O6,2024-01-12,ten\nC5,O1,2024-01-01,10\n")
    q, out = run(tmp_path, DUPES, tx)
    t = pd.read_parquet(out / "transactions_clean.parquet")
    # the zero-amount line O4 is a purchase (a free sample, a 100 % voucher) by default
    assert t["amount"].tolist() == [10.0, -10.0, -4.0, 0.0] and t["is_return"].tolist() == [False, True, True, False]
    assert t.dtypes.astype(str).to_dict() == {"customer_id": "str", "order_id": "str", "date": "datetime64[ns]",
                                              "amount": "float64", "is_return": "bool"}
    s = q["sources"]["transactions"]
    assert s["quarantined_by_rule"] == {"negative_amount": 1, "future_date": 1, "bad_amount": 1}
    assert s["merged_by_rule"] == {"exact_duplicate": 1} and s["returns"] == 2 and s["zero_amount_purchases"] == 1
    assert q["as_of"] == "2024-01-11"
    balanced(q)
    # cleaning.zero_amount: quarantine sets it aside instead
    q, out = run(tmp_path, DUPES, tx, cleaning={"zero_amount": "quarantine"})
    s = q["sources"]["transactions"]
    assert s["quarantined_by_rule"] == {"negative_amount": 1, "zero_amount": 1, "future_date": 1, "bad_amount": 1}
    assert s["zero_amount_purchases"] == 0 and q["as_of"] == "2024-01-09"
    balanced(q)


def test_quantity_times_unit_price_and_negative_quantities(tmp_path):
    tx = "customer_id,order_date,qty,price\nC5,2024-01-01,2,5.5\nC5,2024-01-02,-1,5.5\n"
    q, out = run(tmp_path, DUPES, tx, columns={"transactions": {
        "customer_id": "customer_id", "date": "order_date", "amount": None, "order_id": None,
        "quantity": "qty", "unit_price": "price"}})
    t = pd.read_parquet(out / "transactions_clean.parquet")
    assert t["amount"].tolist() == [11.0, -5.5] and t["is_return"].tolist() == [False, True]
    assert "order_id" not in t


def test_customers_derived_from_transactions(tmp_path):
    tx = ("customer_id,order_id,order_date,amount,gender\n"
          "A,O1,2024-01-01,10,male\nB,O2,2024-01-02,20,F\nA,O3,2024-02-01,5,M\n,O4,2024-02-02,5,M\n")
    q, out = run(tmp_path, None, tx, columns={"pii": [], "numeric": [], "categorical": ["gender"], "dates": []},
                 cleaning={"dedupe_on": [], "categories": {"gender": {"m": "male", "f": "female"}}})
    table = pd.read_parquet(out / "customers_clean.parquet")
    assert table.sort_values("customer_id")[["customer_id", "gender"]].values.tolist() == [["A", "male"], ["B", "female"]]
    assert q["derived_from_transactions"] and q["rows_in"] == 2 and "customers" not in q["sources"]
    assert q["sources"]["transactions"]["quarantined_by_rule"] == {"missing_id": 1}
    balanced(q)


def test_row_number_ids_for_files_without_one(tmp_path):
    customers = "age;job\n30;admin\n40;unknown\n"
    q, out = run(tmp_path, customers, columns={"customer_id": None, "pii": [], "numeric": ["age"],
                                               "categorical": ["job"], "dates": []}, cleaning={"dedupe_on": []})
    table = pd.read_parquet(out / "customers_clean.parquet")
    assert table["customer_id"].tolist() == ["1", "2"] and table["job"].tolist() == ["admin", "admin"]


def test_unusable_columns_stop_with_one_line(tmp_path):
    bad = HEADER + "C1,A,a@x.com,1,male,30,lots,Shanghai,2020-01-01\nC2,B,b@x.com,2,male,30,many,Shanghai,2020-01-01\n"
    with pytest.raises(DataError, match=r"customers.csv: column 'income': 2 of 2 values are not numbers") as err:
        run(tmp_path, bad)
    assert "\n" not in str(err.value)


# ---------------------------------------------------------------- the demo

# The smoke set (the demo at 400 customers, every planted problem in it) in the fast tier; the demo is slow.
@pytest.fixture(scope="module", params=["smoke", pytest.param("demo", marks=pytest.mark.slow)])
def demo_clean(request, tmp_path_factory):
    truth = ROOT / "data" / request.param / "truth"
    if not (truth / "customers_truth.csv").exists():
        pytest.skip(f"data/{request.param}/ not generated (seglab demo-data --out data/{request.param})")
    out = tmp_path_factory.mktemp(f"{request.param}-clean")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEGLAB_SECRET", "test-key")
        quality = clean_stage(load_config(ROOT / "params" / f"{request.param}.yaml"), out)
    return quality, out, truth


def _rows(frame, source, **where):
    sub = frame[frame["source"] == source]
    for key, values in where.items():
        sub = sub[sub[key].isin(values if isinstance(values, (list, tuple)) else [values])]
    return set(sub["source_row"].astype(int))


# How each planted problem shows in the artifacts (found = the row is where it should be).
CUSTOMER_FINDINGS = {
    "exact_duplicate": ("id_map", {"rule": "exact_duplicate"}),
    "missing_age": ("repairs", {"column": "age", "rule": "imputed"}),
    "missing_income": ("repairs", {"column": "income", "rule": "imputed"}),
    "missing_city": ("repairs", {"column": "city", "rule": "imputed"}),
    "missing_gender": ("repairs", {"column": "gender", "rule": "imputed"}),
    "impossible_age": ("repairs", {"column": "age", "rule": "out_of_range"}),
    "future_date": ("repairs", {"column": "signup_date", "rule": "future_date"}),
    "bad_date": ("repairs", {"column": "signup_date", "rule": "bad_date"}),
    "category_variant": ("repairs", {"column": "gender", "rule": "category_variant"}),
    # implausible values planted by seglab.demo.implausible, caught with no range written for them
    "extreme_value": ("repairs", {"column": "income", "rule": "outlier_capped"}),
    "placeholder_date": ("repairs", {"column": "signup_date", "rule": "placeholder_date"}),
}
TRANSACTION_FINDINGS = {
    "bad_amount": ("quarantine", {"rule": ["negative_amount", "bad_amount"]}),
    "future_date": ("quarantine", {"rule": "future_date"}),
    "bad_date": ("quarantine", {"rule": "bad_date"}),
    "unknown_customer": ("quarantine", {"rule": "unknown_customer"}),
    "exact_duplicate": ("id_map", {"rule": "exact_duplicate"}),
    "absurd_amount": ("repairs", {"column": "amount", "rule": "outlier_capped"}),
    "placeholder_date": ("quarantine", {"column": "order_date", "rule": "placeholder_date"}),
}


def test_demo_cleaning_finds_the_planted_problems_and_flags_no_clean_row(demo_clean):
    quality, out, truth_dir = demo_clean
    art = {name: pd.read_csv(out / f"{name}.csv", dtype=str, keep_default_na=False)
           for name in ("quarantine", "id_map", "repairs")}
    ct = pd.read_csv(truth_dir / "customers_truth.csv", dtype=str, keep_default_na=False)
    tt = pd.read_csv(truth_dir / "transactions_truth.csv", dtype=str, keep_default_na=False)
    found = planted = 0
    for truth, source, findings in ((ct, "customers", CUSTOMER_FINDINGS), (tt, "transactions", TRANSACTION_FINDINGS)):
        for problem, (artifact, where) in findings.items():
            rows = truth.loc[truth["problem"] == problem, "source_row"].astype(int)
            hit = rows.isin(_rows(art[artifact], source, **where)).sum()
            assert hit >= 0.99 * len(rows) and len(rows), f"{source} {problem}: {hit}/{len(rows)}"
            found, planted = found + hit, planted + len(rows)
    # planted duplicates: the record and the one it duplicates end with one survivor
    cmap = art["id_map"][art["id_map"]["source"] == "customers"]
    survivor = dict(zip(cmap["merged_id"], cmap["survivor_id"]))
    dups = ct[ct["problem"] == "duplicate"]
    same = sum(survivor.get(a, a) == survivor.get(b, b) for a, b in zip(dups["customer_id"], dups["duplicate_of"]))
    assert same >= 0.99 * len(dups)
    # clean rows (not part of a planted duplicate pair) that got flagged anywhere
    in_pair = set(ct["duplicate_of"]) - {""}
    for truth, source, clean in ((ct, "customers", (ct["problem"] == "") & ~ct["customer_id"].isin(in_pair)),
                                 # a free purchase (amount 0) is a purchase, not a problem
                                 (tt, "transactions", tt["problem"].isin(["", "return", "free_purchase"]))):
        flagged = set().union(*(_rows(a, source) for a in art.values()))
        false_flags = truth.loc[clean, "source_row"].astype(int).isin(flagged).sum()
        assert false_flags == 0, f"{source}: {false_flags} of {clean.sum()} clean rows flagged"
    tx = pd.read_parquet(out / "transactions_clean.parquet")
    assert tx["is_return"].sum() == (tt["problem"] == "return").sum()
    assert set(tx["customer_id"]) <= set(pd.read_parquet(out / "customers_clean.parquet")["customer_id"])
    balanced(quality)


def test_demo_quality_json_layout(demo_clean):
    quality, out, _ = demo_clean
    assert json.loads((out / "quality.json").read_text(encoding="utf-8")) == quality
    for key in ("rows_in", "rows_clean", "duplicates_merged", "rows_quarantined", "by_rule", "imputed", "missing",
                "repaired", "sources"):
        assert key in quality
    assert set(quality["sources"]) == {"customers", "transactions"}
    assert {k: quality[k] for k in ("rows_in", "rows_clean")} == \
        {k: quality["sources"]["customers"][k] for k in ("rows_in", "rows_clean")}
    table = pd.read_parquet(out / "customers_clean.parquet")
    assert table["customer_id"].is_unique and len(table) == quality["rows_clean"]
    assert str(table["signup_date"].dtype) == "datetime64[ns]" and table["age"].dtype == np.float64
    assert set(table["gender"].dropna()) == {"male", "female"}


@pytest.mark.parametrize("cleaning, message", [
    ({"ranges": {"city": [0, 1]}}, "cleaning.ranges.city: 'city' is not declared under columns.numeric"),
    ({"ranges": {"age": [90, 10]}}, "the low end 90.0 is above the high end 10.0"),
    ({"categories": {"age": {"x": "y"}}}, "cleaning.categories.age"),
    ({"missing": {"columns": {"email": "median"}}}, "cleaning.missing.columns.email"),
])
def test_rules_naming_the_wrong_kind_of_column_are_params_errors(tmp_path, cleaning, message):
    from seglab.errors import ParamsError

    with pytest.raises(ParamsError, match=message):
        run(tmp_path, HEADER + "C1,A,a@x.com,1,male,30,10,Shanghai,2020-01-01\n", cleaning=cleaning)


def test_required_and_key_columns_need_not_be_declared_otherwise(tmp_path):
    customers = "customer_id,card,note\nA,123,x\nB,123,y\nC,,z\nD,9,\n"
    q, out = run(tmp_path, customers, columns={"pii": [], "numeric": [], "categorical": [], "dates": []},
                 cleaning={"dedupe_on": ["card"], "required": ["note"]})
    assert q["merged_by_rule"] == {"duplicate_key": 1} and q["quarantined_by_rule"] == {"missing_required": 1}
    assert pd.read_parquet(out / "customers_clean.parquet")["customer_id"].tolist() == ["B", "C"]


def test_lines_of_a_quarantined_survivor_and_its_merged_records_are_quarantined(tmp_path):
    customers = HEADER + ("C1,A,a@x.com,13800000001,male,30,10,,2020-01-01\n"
                          "C2,A,a@x.com,13800000001,male,30,10,,2020-01-02\n"  # same person: merges into C2, no city
                          "C3,B,b@x.com,2,male,40,20,Beijing,2020-01-03\n")
    tx = "customer_id,order_id,order_date,amount\nC1,O1,2024-01-01,5\nC2,O2,2024-01-02,6\nC3,O3,2024-01-03,7\n"
    q, out = run(tmp_path, customers, tx, cleaning={"missing": {"categorical": "quarantine"}})
    assert q["rows_clean"] == 1 and q["duplicates_merged"] == 1 and q["rows_quarantined"] == 1
    s = q["sources"]["transactions"]
    assert s["quarantined_by_rule"] == {"customer_quarantined": 2} and s["rows_clean"] == 1
    assert pd.read_parquet(out / "transactions_clean.parquet")["customer_id"].tolist() == ["C3"]


def test_an_assumed_date_order_is_part_of_the_quality_contract():
    """Dates no value decides (03/04/2024 only) are read day first and say so; quality.json
    accepts the note (a random export found it refused as an unknown field)."""
    p = parse_dates(pd.Series(["03/04/2024", "05/06/2023", "01/02/2022"], dtype="str"), TOKENS)
    assert p.info["assumed"] is True and p.info["order"] == "day first"
    assert DateOrder.model_validate(p.info).assumed is True
