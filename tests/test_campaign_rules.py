"""Portable segment rules: the tree finds planted rules, and its SQL gives exactly the Python
rule_segment in SQLite, DuckDB and PostgreSQL, missing values, quotes and odd names included."""

import json
import math
import sqlite3

import numpy as np
import pandas as pd
import pytest
from seglab import i18n
from seglab.campaign.rules import (
    Condition,
    SegmentRules,
    _threshold,
    condition_text,
    fit_rules,
    leaf_text,
    quote_identifier,
    quote_text,
    to_sql,
)


def planted(n=3000, seed=1) -> tuple[pd.DataFrame, np.ndarray]:
    """Customers whose segment is a known rule of age, city and spend, plus noise columns."""
    rng = np.random.default_rng(seed)
    f = pd.DataFrame({
        "customer_id": [f"C{i:05d}" for i in range(n)],
        "age": rng.integers(18, 80, n).astype(float),
        "city": rng.choice(["shanghai", "chengdu", "harbin"], n),
        "monetary": np.round(rng.lognormal(6, 1, n), 2),
        "noise": rng.normal(0, 1, n),
    })
    seg = np.where(f["age"] <= 30, 0, np.where(f["city"] == "chengdu", 1, np.where(f["monetary"] > 800, 2, 3)))
    return f, seg


def test_planted_rules_are_found_exactly():
    f, seg = planted()
    rules = fit_rules(f, seg, model_features={"numeric": ["age", "monetary", "noise"], "categorical": ["city"]})
    assert rules.agreement == 1.0 and rules.depth == 3
    assert (rules.apply(f) == seg).all()
    used = {c.column for leaf in rules.leaves for c in leaf.conditions}
    assert used == {"age", "city", "monetary"}  # never the noise
    young = [leaf for leaf in rules.leaves if leaf.segment == 0]
    assert len(young) == 1 and [c.sql() for c in young[0].conditions] == ['"age" <= 30']
    assert leaf_text(young[0]) == "age ≤ 30"
    for s in rules.segments:
        assert s["precision"] == s["recall"] == 1.0


def test_depth_is_the_smallest_the_data_supports():
    f, _ = planted()
    seg = (f["age"] > 50).astype(int).to_numpy()
    rules = fit_rules(f, seg, model_features={"numeric": ["age", "monetary"], "categorical": ["city"]})
    assert rules.depth == 1 and rules.agreement == 1.0
    assert [leaf_text(lf) for lf in rules.leaves] == ["age ≤ 50", "age > 50"]
    assert {r["depth"] for r in rules.cv} == {1, 2, 3}


def test_precision_and_recall_match_an_independent_count():
    f, seg = planted(seed=3)
    noisy = seg.copy()
    flip = np.random.default_rng(0).random(len(seg)) < 0.15
    noisy[flip] = np.random.default_rng(1).integers(0, 4, flip.sum())
    rules = fit_rules(f, noisy, model_features={"numeric": ["age", "monetary"], "categorical": ["city"]}, seed=7)
    got = rules.apply(f)
    assert rules.agreement == pytest.approx((got == noisy).mean(), abs=1e-4)
    table = pd.crosstab(pd.Series(noisy, name="model"), pd.Series(got, name="rule"))
    for s in rules.segments:
        sid = s["segment"]
        both = table.loc[sid, sid] if sid in table.columns else 0
        assert s["precision"] == pytest.approx(both / table[sid].sum(), abs=1e-4)
        assert s["recall"] == pytest.approx(both / table.loc[sid].sum(), abs=1e-4)
    # each leaf's counts add up to every customer
    assert sum(lf.customers for lf in rules.leaves) == len(f)


def test_one_segment_or_no_usable_column_gives_one_rule():
    f, _ = planted(n=200)
    rules = fit_rules(f, np.zeros(len(f), int), model_features={"numeric": ["age"]})
    assert rules.agreement == 1.0 and len(rules.leaves) == 1 and not rules.leaves[0].conditions
    assert "0 AS rule_segment" in to_sql(rules)
    only_dates = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "d": pd.to_datetime(["2024-01-01"] * 4)})
    rules = fit_rules(only_dates, np.array([0, 1, 1, 1]), model_features={"numeric": ["d"]})
    assert rules.notes == ["no column the rules could use"] and (rules.apply(only_dates) == 1).all()


def test_seglab_labels_are_replaced_by_the_columns_they_come_from():
    f, seg = planted()
    f["rfm_segment"] = np.where(seg == 0, "Champions", "Lost")
    f["recency"], f["frequency"] = f["age"], 1
    rules = fit_rules(f, seg, model_features={"numeric": [], "categorical": ["rfm_segment"]})
    assert "rfm_segment" not in rules.columns and {"recency", "frequency", "monetary"} <= set(rules.columns)


@pytest.mark.parametrize("values, cut, expected", [
    ([27.0, 28.0], 27.5, "27"),
    ([1234.56, 1300.2], 1267.38, "1300"),
    ([0.1, 0.2], 0.15, "0.1"),
    ([-5.25, -1.0], -3.1, "-5"),
    ([0.35, 0.7], 0.52, "0.4"),
    ([99999.0, 100001.0], 100000.0, "100000"),
    ([0.0, 1.0], 0.5, "0"),
])
def test_thresholds_are_the_shortest_decimal_that_splits_the_data(values, cut, expected):
    arr = np.array(values)
    got = _threshold(arr, cut)
    assert got == expected
    below = arr[arr.astype(np.float32).astype(float) <= cut]
    above = arr[arr.astype(np.float32).astype(float) > cut]
    assert (below <= float(got)).all() and (above > float(got)).all()


def test_adjacent_doubles_keep_their_split():
    lo = 0.1 + 0.2
    hi = np.nextafter(lo, 1)
    got = _threshold(np.array([lo, hi]), lo)
    assert lo <= float(got) < hi


def test_quoting():
    assert quote_identifier('we"ird name') == '"we""ird name"'
    assert quote_text("O'Brien") == "'O''Brien'"
    assert quote_text("a\\b") == "'a\\b'"  # no backslash escapes in standard SQL


def test_round_trip_through_json():
    f, seg = planted(seed=5)
    rules = fit_rules(f, seg, model_features={"numeric": ["age", "monetary"], "categorical": ["city"]})
    again = SegmentRules.from_dict(json.loads(json.dumps(rules.as_dict())))
    assert (again.apply(f) == rules.apply(f)).all() and to_sql(again) == to_sql(rules)


def test_readable_text_in_both_languages():
    c = Condition("income", "numeric", low="100", high="294.7")
    assert condition_text(c) == "100 < income ≤ 294.7"
    assert condition_text(Condition("monetary", "numeric", low="12500", missing=True)) == "total spend > 12,500 (or unknown)"
    assert condition_text(Condition("monetary", "numeric", low="12500", missing=True), missing_seen=False) == \
        "total spend > 12,500"
    assert condition_text(Condition("city", "category", excludes=("harbin", "chengdu", "xi'an"), missing=True)) == \
        "city is not harbin, chengdu or xi'an"
    with i18n.value_labels({"interest": {"running": "跑步"}}):  # the data's labels (columns.value_labels)
        assert condition_text(Condition("interest", "category", equals="running"), "zh") == "兴趣为跑步"
    assert condition_text(Condition("interest", "category", equals="running"), "zh") == "兴趣为running"


# ---------------------------------------------------------------- SQL portability

def hostile() -> tuple[pd.DataFrame, np.ndarray]:
    """Missing values everywhere, quotes and CJK in categories, names that need quoting,
    thresholds with many decimals, an integer column and negative numbers."""
    rng = np.random.default_rng(11)
    n = 2500
    f = pd.DataFrame({
        "customer_id": pd.array([f"{i:06d}" for i in range(n)], dtype="str"),
        "Annual Income (k$)": np.round(rng.normal(80, 30, n), 3),
        'we"ird': rng.choice(["O'Brien", "上海", "a\\b", "plain", "--x"], n),
        "balance": rng.normal(0, 1000, n),
        "visits": rng.integers(0, 40, n),
        "tiny": rng.random(n) / 1e6,
        "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D"),
    })
    seg = np.select([f["Annual Income (k$)"] > 100, f['we"ird'].isin(["O'Brien", "上海"]), f["balance"] < -200,
                     f["tiny"] > 5e-7], [0, 1, 2, 3], 4)
    f.loc[rng.random(n) < 0.08, "Annual Income (k$)"] = np.nan
    f.loc[rng.random(n) < 0.05, "balance"] = np.nan
    f["balance"] = f["balance"].astype("float64")
    cat = f['we"ird'].astype(object)
    cat[rng.random(n) < 0.06] = None
    f['we"ird'] = pd.array(cat, dtype="str")
    return f, seg


MODEL_FEATURES = {"numeric": ["Annual Income (k$)", "balance", "visits", "tiny"], "categorical": ['we"ird']}


@pytest.fixture(scope="module")
def hostile_rules(tmp_path_factory):
    f, seg = hostile()
    rules = fit_rules(f, seg, model_features=MODEL_FEATURES, seed=3)
    path = tmp_path_factory.mktemp("rules") / "features.parquet"
    f.to_parquet(path, index=False)
    expected = pd.DataFrame({"customer_id": f["customer_id"].astype(str), "expected": rules.apply(f)})
    assert (expected["expected"] >= 0).all(), "the leaves must give every customer a segment"
    uses_missing = any(c.missing for lf in rules.leaves for c in lf.conditions)
    assert uses_missing, "the hostile data should exercise the IS NULL branches"
    return rules, path, expected


def _same(result: pd.DataFrame, expected: pd.DataFrame) -> None:
    result = result.rename(columns=str.lower)
    assert list(result.columns) == ["customer_id", "rule_segment"]
    merged = expected.merge(result.assign(customer_id=result["customer_id"].astype(str)), on="customer_id",
                            how="outer", validate="1:1")
    assert len(merged) == len(expected)
    assert (merged["rule_segment"].astype(int) == merged["expected"]).all()


def test_sql_gives_rule_segment_in_sqlite(hostile_rules):
    rules, path, expected = hostile_rules
    con = sqlite3.connect(":memory:")
    pd.read_parquet(path).to_sql("features", con, index=False)
    _same(pd.read_sql(to_sql(rules), con), expected)


def test_sql_gives_rule_segment_in_duckdb(hostile_rules):
    duckdb = pytest.importorskip("duckdb")
    rules, path, expected = hostile_rules
    con = duckdb.connect()
    con.execute(f"CREATE TABLE features AS SELECT * FROM read_parquet('{path}')")
    _same(con.execute(to_sql(rules)).df(), expected)


def test_sql_gives_rule_segment_in_postgresql(hostile_rules, postgres):
    import sqlalchemy as sa

    rules, path, expected = hostile_rules
    engine = sa.create_engine(postgres)
    try:
        pd.read_parquet(path).to_sql("features", engine, index=False, if_exists="replace")
        with engine.connect() as con:
            _same(pd.read_sql(sa.text(to_sql(rules)), con), expected)
    finally:
        engine.dispose()


def test_names_in_comments_cannot_end_the_comment():
    f, seg = planted(n=400)
    rules = fit_rules(f, seg, model_features={"numeric": ["age", "monetary"], "categorical": ["city"]})
    sql = to_sql(rules, names={0: "evil\nDROP TABLE features; --", 1: "ok"})
    assert "\nDROP" not in sql and "evil DROP TABLE" in sql
    con = sqlite3.connect(":memory:")
    f.to_sql("features", con, index=False)
    assert len(pd.read_sql(sql, con)) == len(f)


def test_agreement_is_nan_safe():
    rules = SegmentRules.from_dict({"leaves": [{"segment": 0, "conditions": []}], "depth": 0})
    assert math.isnan(rules.agreement)


@pytest.mark.parametrize("criterion", ["gini", "entropy"])
def test_a_shallower_tree_is_the_top_of_the_deeper_one(criterion):
    """Cross-validation scores depths 1-3 from one depth-3 tree: its top levels must predict
    exactly what a tree grown to the smaller depth predicts, missing values included."""
    from seglab.campaign.rules import _predict_at_depth
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 5))
    x[rng.random(x.shape) < 0.05] = np.nan
    y = (x[:, 0] > 0).astype(int) + 2 * (np.nan_to_num(x[:, 1]) > 0.5) + (np.nan_to_num(x[:, 2]) > 1)
    deep = DecisionTreeClassifier(max_depth=3, criterion=criterion, min_samples_leaf=20, random_state=1).fit(x, y)
    for depth in (1, 2, 3):
        shallow = DecisionTreeClassifier(max_depth=depth, criterion=criterion, min_samples_leaf=20,
                                         random_state=1).fit(x, y)
        assert (_predict_at_depth(deep, x, depth) == shallow.predict(x)).all()
