"""The distinctness test of the k choice and the warnings a reader gets before trusting segments."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from seglab.config import config_from_dict
from seglab.segment.fit import fit_segmentation
from seglab.segment.kchoice import segmentation_warnings, separation, warning_text
from sklearn.metrics import adjusted_rand_score


def _blob(rng, n, centre, sd=1.0):
    return rng.normal(centre, sd, size=(n, len(centre)))


def test_two_separate_groups_are_distinct():
    rng = np.random.default_rng(0)
    num = np.vstack([_blob(rng, 400, [0, 0]), _blob(rng, 300, [6, 1])])
    cat = rng.integers(0, 3, size=(700, 1))
    result = separation(num, cat, np.repeat([0, 1], [400, 300]))
    assert result["distinct"] and result["merge_gain"] < 0 and result["pair"] == [0, 1]


def test_a_group_cut_along_one_category_is_not_distinct():
    # One group; its men and women buy alike. k-prototypes lowers its cost by cutting them
    # apart, and the cut is perfectly reproducible, but it is one group.
    rng = np.random.default_rng(1)
    num = _blob(rng, 2000, [0, 0, 0])
    gender = (rng.random(2000) < 0.4).astype(np.int64)
    cat = np.column_stack([gender, rng.integers(0, 4, 2000)])
    result = separation(num, cat, gender)
    assert not result["distinct"] and result["merge_gain"] > 0


def test_halves_of_one_round_group_are_not_distinct():
    rng = np.random.default_rng(2)
    num = _blob(rng, 1500, [0, 0])
    labels = (num[:, 0] > 0).astype(np.int64)
    assert not separation(num, np.zeros((1500, 0), np.int64), labels)["distinct"]


def test_a_small_group_beside_a_large_one_is_distinct_and_the_least_separated_pair_is_named():
    # A tenth of the customers differ from the large group in two features and a category:
    # a real group (as the family shoppers in the retail_shift scenario), however small.
    rng = np.random.default_rng(3)
    num = np.vstack([_blob(rng, 1800, [0, 0]), _blob(rng, 200, [2.5, 2.0], sd=0.7), _blob(rng, 1000, [8, -4])])
    cat = np.concatenate([rng.choice(3, 1800, p=[0.6, 0.3, 0.1]), rng.choice(3, 200, p=[0.1, 0.1, 0.8]),
                          rng.choice(3, 1000)])[:, None]
    labels = np.repeat([0, 1, 2], [1800, 200, 1000])
    result = separation(num, cat, labels)
    assert result["distinct"] and result["pair"] == [0, 1]
    # ... and cutting the large group in two along a coin toss is not.
    cut = labels.copy()
    cut[(labels == 0) & (rng.random(len(labels)) < 0.5)] = 3
    assert not separation(num, cat, cut)["distinct"]


def test_unseen_categories_and_constant_features_do_not_break_the_test():
    rng = np.random.default_rng(4)
    num = np.column_stack([np.r_[rng.normal(0, 1, 100), rng.normal(9, 1, 100)], np.ones(200)])
    cat = np.where(rng.random((200, 1)) < 0.1, -1, rng.integers(0, 2, (200, 1)))
    result = separation(num, cat, np.repeat([0, 1], 100))
    assert result["distinct"] and np.isfinite(result["merge_gain"])


# ------------------------------------------------------------------ warnings

def test_warnings_name_weak_separation_instability_and_no_clear_k():
    report = {"quality": {"silhouette": 0.183}, "stability": {"mean_ari": 0.16}, "k_choice": {"case": "best_score"},
              "k_requested": "auto", "k_fitted": 2, "k": 2, "merges": [], "empty_clusters": 0}
    codes = [w["code"] for w in segmentation_warnings(report)]
    assert codes == ["weak_separation", "unstable", "no_clear_k"]
    texts = [warning_text(w, "en") for w in segmentation_warnings(report)]
    assert "silhouette 0.18" in texts[0] and "0.16" in texts[1] and "2 segments" in texts[2]
    assert all(warning_text(w, "zh") for w in segmentation_warnings(report))
    clean = {"quality": {"silhouette": 0.31}, "stability": {"mean_ari": 0.95}, "k_choice": {"case": "rule"},
             "k_requested": "auto", "k_fitted": 5, "k": 5}
    assert segmentation_warnings(clean) == []


def _cfg(**segmentation):
    raw = {"run_name": "t", "data": {"customers": "customers.csv"}, "columns": {"numeric": ["x", "y"]},
           "segmentation": {"method": "kmeans", "features": ["x", "y"], **segmentation}}
    return config_from_dict(raw, base_dir=Path("."))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_requested_k_that_collapses_is_said():
    # Two kinds of customer only: three segments cannot all hold someone.
    frame = pd.DataFrame({"customer_id": [f"C{i}" for i in range(60)],
                          "x": np.repeat([1.0, 5.0], 30), "y": np.repeat([2.0, 7.0], 30)})
    result = fit_segmentation(frame, _cfg(k=3, stability_runs=2, min_segment_share=0.0), progress=False)
    report = result.report
    assert report["k_requested"] == 3 and report["k"] == 2 == len(np.unique(result.labels))
    assert report["empty_clusters"] == 1 and [s["n"] for s in report["sizes"]] == [30, 30]
    collapsed = next(w for w in report["warnings"] if w["code"] == "collapsed")
    assert (collapsed["asked"], collapsed["found"], collapsed["empty"]) == (3, 2, 1)
    text = warning_text(collapsed, "en")
    assert text.startswith("3 segments were asked for (segmentation.k), but only 2 hold customers")
    assert "1 came out empty" in text and "Warning: 3 segments were asked for" in report["method_text"]
    assert np.array_equal(result.model.predict(frame), result.labels)


def test_a_requested_k_reduced_by_the_minimum_share_is_said():
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"customer_id": [f"C{i}" for i in range(400)],
                          "x": np.r_[rng.normal(0, 1, 380), rng.normal(12, 1, 20)],
                          "y": np.r_[rng.normal(0, 1, 380), rng.normal(12, 1, 20)]})
    report = fit_segmentation(frame, _cfg(k=2, stability_runs=0, min_segment_share=0.1), progress=False).report
    collapsed = next(w for w in report["warnings"] if w["code"] == "collapsed")
    assert (collapsed["asked"], collapsed["found"], collapsed["merged"]) == (2, 1, 1)
    assert "1 held fewer customers than the minimum segment share" in warning_text(collapsed, "en")


def test_a_warning_rounds_the_measured_score_once_as_the_method_section_does():
    # Stored as measured and rounded once, by the rule and to the decimals of the method section's
    # table and reason: 0.7455 reads 0.746 (not 0.745 from a float's rounding of a rounded value),
    # and 0.7961 reads 0.796, not 0.8, the threshold it is below.
    report = {"quality": {"silhouette": 0.2449}, "stability": {"mean_ari": 0.7455}, "k_choice": {"case": "rule"},
              "k_requested": "auto", "k_fitted": 5, "k": 5}
    stability = next(w for w in segmentation_warnings(report) if w["code"] == "unstable")
    assert stability["stability"] == 0.7455 and "customers 0.746, below 0.8" in warning_text(stability, "en")
    report["stability"]["mean_ari"] = 0.7961
    stability = next(w for w in segmentation_warnings(report) if w["code"] == "unstable")
    assert "customers 0.796, below 0.8" in warning_text(stability, "en")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_five_groups_are_found_by_the_rule_although_two_segments_cut_through_them():
    # A large middle group and four corners, as Mall_Customers' income and spending score: k=2
    # halves them (each half holds several groups, not distinct), k=5 finds them.
    rng = np.random.default_rng(0)
    centres, sizes = np.array([[0, 0], [-3, 3], [3, 3], [-3, -3], [3, -3]], float), [160, 60, 60, 60, 60]
    points = np.vstack([rng.normal(c, 0.8, size=(n, 2)) for c, n in zip(centres, sizes)])
    frame = pd.DataFrame({"customer_id": [f"C{i}" for i in range(len(points))], "x": points[:, 0], "y": points[:, 1]})
    report = fit_segmentation(frame, _cfg(k="auto", k_range=[2, 8]), progress=False)
    rows = {r["k"]: r for r in report.report["scores"]}
    assert rows[2]["distinct"] is False and rows[5]["passes"]
    assert report.report["k"] == 5 and report.report["k_choice"]["case"] == "rule"
    assert adjusted_rand_score(np.repeat(np.arange(5), sizes), report.labels) > 0.9
    assert [w["code"] for w in report.report["warnings"]] == []


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_mall_customers_income_and_spending_give_the_five_published_groups(shared_data):
    # The public Mall_Customers file: income and spending score show five groups (the figure every
    # tutorial of this file arrives at); the rule must find them and say so, not fall back.
    mall = pd.read_csv(shared_data / "Mall_Customers.csv", dtype={"CustomerID": str})
    frame = pd.DataFrame({"customer_id": mall["CustomerID"], "x": mall["Annual Income (k$)"].astype(float),
                          "y": mall["Spending Score (1-100)"].astype(float)})
    report = fit_segmentation(frame, _cfg(k="auto", k_range=[2, 8]), progress=False).report
    assert report["k"] == 5 and report["k_choice"]["case"] == "rule", report["k_reason"]
    assert report["warnings"] == [] and report["quality"]["silhouette"] > 0.5
