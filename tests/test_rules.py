"""Rule and bin segments: safe conditions, order, default, cross-tabs, clear errors."""

from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from seglab.artifacts import dump_artifact, validate_artifact
from seglab.config import check_rule_params, config_from_dict
from seglab.errors import DataError, ParamsError
from seglab.io.files import json_ready
from seglab.segment.fit import fit_segmentation
from seglab.segment.rules import (
    BinSegmenter,
    RuleSegmenter,
    condition_columns,
    evaluate_condition,
    parse_condition,
)


def make_cfg(**segmentation):
    raw = {"run_name": "t", "data": {"customers": "customers.csv"}, "segmentation": {"method": "rules", **segmentation}}
    return config_from_dict(raw, base_dir=Path("."))


@pytest.fixture
def people():
    return pd.DataFrame({
        "customer_id": [f"C{i}" for i in range(8)],
        "age": [22.0, 25.0, 31.0, 45.0, 67.0, np.nan, 26.0, 80.0],
        "interest": pd.Series(["running", "running", "hiking", "fashion", "running", "deals", None, "hiking"],
                              dtype="str"),
        "region": pd.Series(["East", "North", "East", "West", "North", "East", "West", "West"], dtype="str"),
        "member": [True, False, True, True, False, False, True, False],
    })


def mask(text, frame):
    return evaluate_condition(parse_condition(text, where="w"), frame, where="w").tolist()


# ------------------------------------------------------------------ conditions

def test_comparisons_and_or_not_in(people):
    assert mask("age < 27 and interest == 'running'", people) == [1, 1, 0, 0, 0, 0, 0, 0]
    assert mask("interest in ['hiking', 'deals'] or age >= 67", people) == [0, 0, 1, 0, 1, 1, 0, 1]
    assert mask("not (region == 'East')", people) == [0, 1, 0, 1, 1, 0, 1, 1]
    assert mask("region not in ('East', 'West')", people) == [0, 1, 0, 0, 1, 0, 0, 0]
    assert mask("25 <= age < 45", people) == [0, 1, 1, 0, 0, 0, 1, 0]
    assert mask("age > -1 and member", people) == [1, 0, 1, 1, 0, 0, 1, 0]
    assert mask("member == False", people) == [0, 1, 0, 0, 1, 1, 0, 1]


def test_missing_values_follow_pandas_and_is_none(people):
    # A missing age satisfies no comparison but "!="; `is None` finds it.
    assert mask("age < 100", people)[5] is False
    assert mask("age != 30", people)[5] is True
    assert mask("age is None", people) == [0, 0, 0, 0, 0, 1, 0, 0]
    assert mask("interest is not None", people) == [1, 1, 1, 1, 1, 1, 0, 1]


def test_condition_columns():
    tree = parse_condition("age < 27 and (interest == 'x' or age > 60) and region in ['E']", where="w")
    assert condition_columns(tree) == ["age", "interest", "region"]


@pytest.mark.parametrize("text, what", [
    ("__import__('os').system('rm -rf /')", "function calls"),
    ("open('x')", "function calls"),
    ("age.real > 3", "attribute access"),
    ("().__class__.__bases__", "attribute access"),
    ("age[0] > 3", "indexing"),
    ("age + 1 > 30", "arithmetic"),
    ("(lambda: 1)() == 1", "function calls"),
    ("[x for x in age] == 1", "comprehensions"),
    ("__builtins__ == 1", "names starting with '__'"),
    ("age", None),  # bare names are allowed (true/false columns), checked at evaluation
])
def test_unsafe_expressions_rejected(text, what):
    if what is None:
        parse_condition(text, where="w")
        return
    with pytest.raises(ParamsError, match=what):
        parse_condition(text, where="segmentation.rules[0].when")


@pytest.mark.parametrize("text, match", [
    ("age <", "not a valid condition"),
    ("", "empty"),
    ("age in interest", "`in` needs a list"),
    ("age in [1, region]", "only literals"),
    ("age is 3", "`is` only tests for a missing value"),
    ("42", "must compare"),
    ("[1, 2]", "list may only follow `in`"),
    ("~age", "unary"),
])
def test_invalid_conditions_say_what_is_allowed(text, match):
    with pytest.raises(ParamsError, match=match):
        parse_condition(text, where="w")


def test_unsafe_rule_fails_when_params_load():
    with pytest.raises(ParamsError, match=r"segmentation\.rules\[1\]\.when: function calls cannot be used"):
        make_cfg(rules=[{"name": "a", "when": "age > 3"}, {"name": "b", "when": "eval('1') == 1"}])


def test_comparing_number_with_text_is_a_params_error(people):
    with pytest.raises(ParamsError, match="cannot evaluate"):
        mask("age < 'old'", people)


def test_non_boolean_bare_column_is_a_params_error(people):
    with pytest.raises(ParamsError, match="'region' is not true/false"):
        mask("region", people)


# ------------------------------------------------------------------ rules

def test_rules_first_match_wins_and_default_segment(people):
    cfg = make_cfg(rules=[
        {"name": "Gen Z runners", "when": "age < 27 and interest == 'running'"},
        {"name": "Hikers", "when": "interest in ['hiking']"},
        {"name": "Young", "when": "age < 30"},
    ], default_segment="Everyone else")
    result = fit_segmentation(people, cfg, progress=False)
    assert result.labels.tolist() == [0, 0, 1, 3, 3, 3, 2, 1]
    assert result.names == {0: "Gen Z runners", 1: "Hikers", 2: "Young", 3: "Everyone else"}
    rules = result.report["rules"]
    # "Young" matches 3 customers but takes only the one the earlier rules left.
    assert [(r["matched"], r["assigned"]) for r in rules] == [(2, 2), (2, 2), (3, 1)]
    assert result.report["default_segment"] == {"segment": 3, "name": "Everyone else", "assigned": 3}
    assert result.report["k"] == 4
    assert result.model.predict(people).tolist() == result.labels.tolist()


def test_rules_unknown_column_is_a_params_error_with_hint(people):
    cfg = make_cfg(rules=[{"name": "a", "when": "agee < 27"}])
    with pytest.raises(ParamsError, match=r"segmentation.rules\[0\].when: unknown column 'agee'; did you mean 'age'\?"):
        fit_segmentation(people, cfg, progress=False)


def test_rules_model_round_trip(people, tmp_path):
    model = RuleSegmenter([("Runners", "interest == 'running'"), ("Old", "age >= 60")], "Rest").fit(people)
    joblib.dump(model, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    new = pd.DataFrame({"age": [70.0, 20.0, np.nan], "interest": ["running", "golf", None]})
    assert loaded.predict(new).tolist() == [0, 2, 2]
    with pytest.raises(DataError, match="lacks column 'interest'"):
        loaded.predict(new.drop(columns="interest"))


def test_method_rules_needs_rules_or_bins_not_both():
    """Checked once, by seglab.validation (seglab validate and seglab run), not by the fit."""
    with pytest.raises(ParamsError, match="needs segmentation.rules"):
        check_rule_params(make_cfg().segmentation)
    with pytest.raises(ParamsError, match="either rules or bins"):
        check_rule_params(make_cfg(rules=[{"name": "a", "when": "age > 1"}], bins=[{"column": "age"}]).segmentation)


def test_duplicate_rule_names_rejected():
    with pytest.raises(ParamsError, match="'a' is used twice"):
        make_cfg(rules=[{"name": "a", "when": "age > 1"}, {"name": "a", "when": "age > 2"}])


# ------------------------------------------------------------------ bins

def test_bins_one_dimension_with_edges_and_labels(people):
    cfg = make_cfg(bins=[{"column": "age", "edges": [18, 27, 45, 100], "labels": ["young", "middle", "senior"]}])
    result = fit_segmentation(people, cfg, progress=False)
    # [18, 27) [27, 45) [45, 100]; the missing age gets its own bin.
    assert result.names == {0: "young", 1: "middle", 2: "senior", 3: "age missing"}
    assert result.labels.tolist() == [0, 0, 1, 2, 2, 3, 0, 2]


def test_bins_clip_values_outside_the_edges(people):
    model = BinSegmenter([{"column": "age", "edges": [30, 50, 70]}]).fit(people)
    assert model.names_[0] == "age 30 to under 50" and model.names_[1] == "age 50 to 70"
    assert model.predict(pd.DataFrame({"age": [5.0, 99.0, 50.0]})).tolist() == [0, 1, 1]


def test_bins_default_to_quartiles():
    frame = pd.DataFrame({"monetary": np.arange(1.0, 101.0)})
    model = BinSegmenter([{"column": "monetary"}]).fit(frame)
    assert np.bincount(model.predict(frame)).tolist() == [25, 25, 25, 25]


def test_bins_two_dimensions_cross_tab(people):
    cfg = make_cfg(bins=[{"column": "age", "edges": [0, 40, 120], "labels": ["under 40", "40+"]},
                         {"column": "region"}])
    result = fit_segmentation(people, cfg, progress=False)
    regions = ["region East", "region West", "region North"]  # by descending count, then name
    rows = ["under 40", "40+", "age missing"]
    assert result.names == {i * 3 + j: f"{a} × {b}" for i, a in enumerate(rows) for j, b in enumerate(regions)}
    tab = result.report["crosstab"]
    assert tab["row_labels"] == rows and tab["column_labels"] == regions
    assert tab["counts"] == [[2, 1, 1], [0, 2, 1], [1, 0, 0]]
    assert sum(map(sum, tab["counts"])) == len(people)
    cell = result.labels[0]  # 22-year-old in the East
    assert result.names[int(cell)] == "under 40 × region East"


def test_bins_unseen_or_missing_values_at_predict_go_to_the_largest_bin(people):
    model = BinSegmenter([{"column": "region"}]).fit(people)
    assert model.predict(pd.DataFrame({"region": ["South", None, "North"]})).tolist() == [0, 0, 2]


def test_bin_labels_must_fit_the_edges():
    with pytest.raises(ParamsError, match="4 edges make 3 bins, so give 3 labels"):
        make_cfg(bins=[{"column": "age", "edges": [0, 1, 2, 3], "labels": ["a", "b"]}])
    with pytest.raises(ParamsError, match="increasing"):
        make_cfg(bins=[{"column": "age", "edges": [3, 1]}])
    with pytest.raises(ParamsError, match="one or two dimensions"):
        make_cfg(bins=[{"column": c} for c in ("a", "b", "c")])


def test_bins_unknown_column(people):
    with pytest.raises(ParamsError, match=r"bins\[0\].column: unknown column 'regoin'; did you mean 'region'"):
        fit_segmentation(people, make_cfg(bins=[{"column": "regoin"}]), progress=False)


@pytest.mark.parametrize("segmentation", [
    {"rules": [{"name": "young", "when": "age < 30"}, {"name": "runners", "when": "interest == 'running'"}]},
    {"bins": [{"column": "age", "edges": [0, 40, 120], "labels": ["under 40", "40+"]}, {"column": "region"}]},
    {"bins": [{"column": "interest"}]},
])
def test_rule_and_bin_reports_fit_the_segmentation_json_model(people, segmentation):
    report = fit_segmentation(people, make_cfg(**segmentation), progress=False).report
    doc = validate_artifact("segmentation.json", report)
    assert dump_artifact(doc) == json_ready(report)
