"""Clustering and k selection: planted groups found, determinism, saved model, sizes, engines, RFM."""

import json
import pickle
import re
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import seglab.segment.fit as segment
from seglab.artifacts import dump_artifact, validate_artifact
from seglab.config import config_from_dict
from seglab.errors import DataError, ParamsError
from seglab.io.files import json_ready
from seglab.segment.fit import SegmentClusterer, fit_segmentation, merge_small
from seglab.segment.kchoice import choose_k
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score
from sklearn.pipeline import Pipeline
from two_kinds import two_kinds_asked_three

FEATURES = ["age", "income", "gender", "city", "channel", "recency", "frequency", "monetary"]


def make_customers(n=2000, seed=0):
    """Customers of 5 planted groups like the demo's: mixed types, skewed money columns, some gaps.

    Shares 30/25/20/15/10 %; groups differ in age, income, buying (recency,
    frequency, amounts) and in their mix of channel, city and gender.
    """
    rng = np.random.default_rng(seed)
    group = rng.choice(5, size=n, p=[0.30, 0.25, 0.20, 0.15, 0.10])
    age = rng.normal(np.array([25, 42, 36, 66, 50])[group], 4).round()
    income = np.exp(rng.normal(np.log(np.array([28e3, 110e3, 55e3, 38e3, 45e3]))[group], 0.3))
    frequency = 1.0 + rng.poisson(np.array([14, 6, 8, 3, 1.2])[group])
    monetary = frequency * np.exp(rng.normal(np.log(np.array([25, 200, 60, 90, 40]))[group], 0.4))
    recency = rng.gamma(2.0, np.array([8, 30, 20, 45, 300])[group] / 2.0).round()

    def pick(options, weights):
        cum = np.cumsum(np.asarray(weights, float) / np.sum(weights, axis=1, keepdims=True), axis=1)[group]
        return pd.Series(np.asarray(options)[(rng.random(n)[:, None] > cum).sum(axis=1)], dtype="str")

    frame = pd.DataFrame({
        "customer_id": [f"C{i:07d}" for i in range(n)],
        "age": age, "income": income,
        "gender": pick(["female", "male"], [[6, 4], [4, 6], [5.5, 4.5], [5, 5], [5, 5]]),
        "city": pick(["Shanghai", "Beijing", "Chengdu", "Wuhan", "Xi'an"],
                     [[5, 2, 1, 1, 1], [3, 4, 1, 1, 1], [1, 1, 5, 2, 1], [1, 1, 2, 5, 1], [2, 2, 2, 2, 2]]),
        "channel": pick(["app", "web", "store"], [[8, 1.5, .5], [1.5, 7, 1.5], [1, 2, 7], [.5, 1.5, 8], [3, 4, 3]]),
        "recency": recency, "frequency": frequency, "monetary": monetary,
    })
    frame.loc[rng.random(n) < 0.02, "age"] = np.nan
    frame.loc[rng.random(n) < 0.02, "channel"] = np.nan
    return frame, group


def make_cfg(seed=42, **segmentation):
    raw = {"run_name": "t", "seed": seed, "data": {"customers": "customers.csv"},
           "columns": {"numeric": ["age", "income"], "categorical": ["gender", "city", "channel"]},
           "segmentation": {"features": FEATURES, **segmentation}}
    return config_from_dict(raw, base_dir=Path("."))


@pytest.fixture(scope="module")
def customers():
    return make_customers(2000, seed=0)


@pytest.fixture(scope="module")
def fitted(customers):
    """One k: auto search per method on the planted data, shared by the tests below."""
    frame, _ = customers
    return {m: fit_segmentation(frame, make_cfg(method=m), progress=False) for m in ("kmeans", "kprototypes")}


# ------------------------------------------------------------------ finding the planted groups

@pytest.mark.parametrize("method", ["kmeans", "kprototypes"])
def test_auto_k_finds_the_five_planted_groups(fitted, customers, method):
    result = fitted[method]
    assert result.report["k"] == 5, result.report["k_reason"]
    assert adjusted_rand_score(customers[1], result.labels) >= 0.8
    assert result.names == {}


@pytest.mark.parametrize("method", ["kmeans", "kprototypes"])
def test_report_records_every_score_and_the_reason(fitted, method):
    report = fitted[method].report
    json.dumps(report, allow_nan=False)  # segmentation.json is strict JSON
    assert [row["k"] for row in report["scores"]] == list(range(2, 9))
    for row in report["scores"]:
        assert {"k", "cost", "silhouette", "stability", "smallest_share", "eligible", "gain", "gain_ratio",
                "elbow", "stable", "distinct", "merge_gain", "passes", "score"} <= set(row)
        assert -1 <= row["silhouette"] <= 1 and row["stability"] <= 1
    assert report["k_reason"].startswith("k=5 is the largest number of segments that passes the four tests")
    assert "better described as one" in report["selection_rule"] and "k=5" in report["method_text"]
    assert report["k_choice"]["case"] == "rule" and report["empty_clusters"] == 0
    assert report["stability"]["k"] == 5 and len(report["stability"]["runs_ari"]) == 5
    assert report["quality"]["silhouette"] > 0.1 and 0 < report["quality"]["explained"] < 1
    assert report["gamma"]["source"] == "estimated" and report["gamma"]["rule"] == "variance_ratio"
    assert report["features"]["numeric"] == ["age", "income", "recency", "frequency", "monetary"]
    assert {"income", "monetary"} <= set(report["features"]["log_transformed"])
    assert report["seed"] == 42 and report["n_customers"] == 2000 and report["merges"] == []
    assert report["engine"] == ("seglab" if method == "kprototypes" else None)


@pytest.mark.parametrize("method", ["kmeans", "kprototypes"])
def test_segments_are_numbered_by_size(fitted, method):
    counts = np.bincount(fitted[method].labels)
    assert list(counts) == sorted(counts, reverse=True)
    assert [s["n"] for s in fitted[method].report["sizes"]] == list(counts)


# ------------------------------------------------------------------ repeatability and the saved model

def test_same_params_data_and_seed_give_identical_results(fitted, customers):
    again = fit_segmentation(customers[0], make_cfg(method="kprototypes"), progress=False)
    assert np.array_equal(again.labels, fitted["kprototypes"].labels)
    assert again.report["scores"] == fitted["kprototypes"].report["scores"]


@pytest.mark.parametrize("method", ["kmeans", "kprototypes"])
def test_model_predicts_the_training_labels_also_after_joblib(fitted, customers, method, tmp_path):
    result = fitted[method]
    assert isinstance(result.model, Pipeline) and isinstance(result.model[-1], SegmentClusterer)
    assert np.array_equal(result.model.predict(customers[0]), result.labels)
    joblib.dump(result.model, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    assert np.array_equal(loaded.predict(customers[0]), result.labels)
    # Row order does not matter, and new customers with gaps and unseen categories get a segment.
    shuffled = customers[0].sample(frac=1, random_state=1)
    assert np.array_equal(loaded.predict(shuffled), result.labels[shuffled.index])
    new = customers[0].head(3).assign(age=np.nan, channel=["fax", None, "app"], monetary=[np.nan, 1e9, -4.0])
    labels = loaded.predict(new)
    assert labels.dtype.kind == "i" and ((labels >= 0) & (labels < 5)).all()


@pytest.mark.parametrize("method", ["kmeans", "kprototypes"])
def test_the_report_fits_the_segmentation_json_model(fitted, method):
    report = fitted[method].report
    assert dump_artifact(validate_artifact("segmentation.json", report)) == json_ready(report)


@pytest.mark.parametrize("method", ["kmeans", "kprototypes"])
def test_the_model_is_a_scikit_learn_estimator_that_clones_and_refits(fitted, customers, method):
    model = fitted[method].model
    params = model.get_params()
    assert params["segments__label_map"].tolist() == model[-1].label_map_.tolist()
    assert params["prepare__numeric"] == fitted[method].report["features"]["numeric"]
    twin = clone(model)  # unfitted, same parameters
    assert twin is not model and not hasattr(twin[-1], "estimator_") and not hasattr(twin[0], "gamma_")
    assert twin.get_params()["segments__estimator__n_clusters"] == len(model[-1].label_map_)
    with pytest.raises(NotFittedError):
        twin.predict(customers[0])
    # Refitted on the same customers with the same seed, the clone finds the same segments.
    refit = twin.fit(customers[0]).predict(customers[0])
    assert adjusted_rand_score(refit, fitted[method].labels) > 0.9
    # The fitted model pickles with its segment map.
    again = pickle.loads(pickle.dumps(model))
    assert np.array_equal(again.predict(customers[0]), fitted[method].labels)


def test_segment_clusterer_maps_clusters_to_segments():
    X = np.array([[0.0], [0.1], [5.0], [5.1], [9.0], [9.2]])
    step = SegmentClusterer(KMeans(n_clusters=3, n_init=1, random_state=0), label_map=[0, 0, 0]).fit(X)
    assert step.labels_.tolist() == [0] * 6 and step.predict(X).tolist() == [0] * 6
    plain = SegmentClusterer(KMeans(n_clusters=3, n_init=1, random_state=0)).fit(X)
    assert sorted(set(plain.labels_.tolist())) == [0, 1, 2] and plain.fit_predict(X).tolist() == plain.labels_.tolist()
    with pytest.raises(ValueError, match="label_map has 2 entries for 3 clusters"):
        SegmentClusterer(KMeans(n_clusters=3, n_init=1, random_state=0), label_map=[0, 1]).fit(X)


def test_given_k_is_used_and_still_scored(customers):
    result = fit_segmentation(customers[0], make_cfg(method="kmeans", k=4), progress=False)
    report = result.report
    assert report["k"] == 4 and len(np.unique(result.labels)) == 4
    assert [row["k"] for row in report["scores"]] == [4]
    assert report["stability"]["mean_ari"] is not None and report["quality"]["silhouette"] is not None
    assert report["k_reason"] == "k=4 was given in segmentation.k." and report["selection_rule"] is None


# ------------------------------------------------------------------ min_segment_share

def test_auto_k_skips_k_that_break_the_minimum_share(customers):
    # The smallest planted group holds ~10%: with a 12% floor, 5 segments are not allowed.
    result = fit_segmentation(customers[0], make_cfg(method="kmeans", min_segment_share=0.12), progress=False)
    report = result.report
    assert report["k"] < 5 and report["merges"] == []
    assert np.bincount(result.labels).min() / len(result.labels) >= 0.12
    assert not next(r for r in report["scores"] if r["k"] == 5)["eligible"]
    assert (5, "eligible", False) in _claims(report["k_reason"])  # "k=4, 5, ...: a segment below min_segment_share"


def test_given_k_merges_small_clusters_into_their_nearest(customers):
    result = fit_segmentation(customers[0], make_cfg(method="kmeans", k=7, min_segment_share=0.12), progress=False)
    report = result.report
    assert report["k_fitted"] == 7 and report["k"] == 7 - len(report["merges"]) and report["merges"]
    shares = np.bincount(result.labels) / len(result.labels)
    assert shares.min() >= 0.12 and len(shares) == report["k"]
    for merge in report["merges"]:
        assert merge["share"] < 0.12 and 0 <= merge["into_segment"] < report["k"]
        assert "below min_segment_share" in report["method_text"]
    assert np.array_equal(result.model.predict(customers[0]), result.labels)


def test_merge_small_by_hand():
    num = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [9.0]])
    cat = np.zeros((6, 1), dtype=np.int64)
    labels = np.array([0, 0, 0, 1, 1, 2])
    groups, merges, empty = merge_small(labels, num, cat, gamma=1.0, min_share=0.2)
    # Cluster 2 (1/6 < 0.2) sits nearest to cluster 1.
    assert groups.tolist() == [0, 1, 1] and [(m["cluster"], m["into"]) for m in merges] == [(2, 1)] and empty == 0
    assert merge_small(labels, num, cat, gamma=1.0, min_share=0.0)[1] == []
    # A fourth cluster nobody is nearest to is folded into the largest group, not reported as a merge.
    groups, merges, empty = merge_small(labels, num, cat, gamma=1.0, min_share=0.0, k=4)
    assert groups.tolist() == [0, 1, 2, 0] and merges == [] and empty == 1


# ------------------------------------------------------------------ the selection rule

def _row(k, cost, sil=0.3, stab=0.95, share=0.1, distinct=True):
    return {"k": k, "cost": cost, "silhouette": sil, "stability": stab, "smallest_share": share,
            "eligible": share >= 0.05, "distinct": distinct}


def test_choose_k_takes_the_largest_k_that_passes_every_test():
    rows = [_row(2, 70), _row(3, 50), _row(4, 44), _row(5, 38), _row(6, 37, distinct=False)]
    k, reason, facts = choose_k(rows, 0.05, total_cost=100, costs={7: 36.5})
    # Gains: .30 .20 .06 .06 .01 .005 -> steps at 3 (.20/.06) and 5 (6 is not distinct).
    assert k == 5 and facts["case"] == "rule" and "cut the cost by 6.0%" in reason
    assert [r["elbow"] for r in rows] == [False, True, False, True, True]
    assert [r["passes"] for r in rows] == [False, True, False, True, False]
    assert "going on to 6 segments would only cut a segment that is not really two" in reason
    rows[3]["stability"] = 0.5  # an unstable 5 is not chosen
    assert choose_k(rows, 0.05, total_cost=100, costs={7: 36.5})[0] == 3


def test_a_smaller_k_that_is_not_distinct_does_not_stop_a_larger_k_that_passes():
    # k=2 and k=4 cut through groups (not distinct); k=5 finds them and passes every test.
    rows = [_row(2, 70, distinct=False), _row(3, 50), _row(4, 46, distinct=False), _row(5, 38), _row(6, 37.5)]
    k, reason, facts = choose_k(rows, 0.05, total_cost=100, costs={7: 36.9})
    assert k == 5 and facts["case"] == "rule" and [r["passes"] for r in rows] == [False, True, False, True, False]
    assert "k=6: no step in the cost curve" in reason and "beyond" not in reason


def test_choose_k_without_stability_runs_uses_the_other_tests():
    rows = [_row(2, 70, stab=None), _row(3, 50, stab=None), _row(4, 44, stab=None), _row(5, 38, stab=None)]
    k, reason, _ = choose_k(rows, 0.05, total_cost=100, costs={6: 37})
    assert k == 5 and "stability was not measured" in reason and "bootstrap" not in reason


def test_choose_k_falls_back_to_silhouette_and_stability_without_a_step():
    rows = [_row(2, 80, sil=0.20), _row(3, 65, sil=0.25), _row(4, 53, sil=0.22), _row(5, 43, sil=0.21)]
    k, reason, facts = choose_k(rows, 0.05, total_cost=100, costs={6: 35})
    assert k == 3 and facts["case"] == "best_score" and "no clear number of segments" in reason
    assert "k=2, 3, 4, 5: no step in the cost curve" in reason
    assert all(0 <= r["score"] <= 1 for r in rows)


def test_choose_k_when_no_k_keeps_the_minimum_share():
    rows = [_row(2, 70, share=0.01), _row(3, 50, share=0.02)]
    k, reason, _ = choose_k(rows, 0.05, total_cost=100, costs={})
    assert k in (2, 3) and "were merged into their nearest" in reason


# What each failed test is called in the reason, and the flag of the scores table it must match.
FAILED_TEST = {"a segment below min_segment_share": ("eligible", False), "not stable": ("stable", False),
               "two segments better described as one": ("distinct", False), "no step in the cost curve": ("elbow", False)}


def _claims(reason):
    """(k, flag, value) for every "k=a, b: <failed test>" clause of a reason."""
    out = []
    for ks, phrase in re.findall(r"k=([\d, ]+): ([^;.(]+)", reason):
        flag = next(v for key, v in FAILED_TEST.items() if phrase.startswith(key))
        out += [(int(k), *flag) for k in ks.split(",")]
    return out


@pytest.mark.parametrize("case", ["rule", "unstable_tail", "split", "no_step", "small"])
def test_the_reason_is_true_of_the_scores_table(case):
    """Every claim of the reason, for several outcomes, is checked against the table beside it."""
    rows = {
        "rule": [_row(2, 70), _row(3, 50), _row(4, 44), _row(5, 38), _row(6, 37), _row(7, 36.4)],
        "unstable_tail": [_row(2, 70), _row(3, 50), _row(4, 44, stab=0.6), _row(5, 38, stab=0.7), _row(6, 37)],
        "split": [_row(2, 70), _row(3, 50), _row(4, 44), _row(5, 38, distinct=False), _row(6, 30)],
        "no_step": [_row(2, 80, sil=0.2), _row(3, 65, sil=0.25), _row(4, 53, sil=0.22), _row(5, 43, sil=0.21)],
        "small": [_row(2, 70), _row(3, 50), _row(4, 44, share=0.02), _row(5, 38), _row(6, 37, share=0.01)],
    }[case]
    k, reason, facts = choose_k(rows, 0.05, total_cost=100, costs={rows[-1]["k"] + 1: rows[-1]["cost"] - 0.5})
    table = {r["k"]: r for r in rows}
    chosen = table[k]
    if facts["case"] == "rule":
        assert reason.startswith(f"k={k} is the largest number of segments that passes")
        assert all(chosen[f] for f in ("eligible", "stable", "distinct", "elbow", "passes"))
        assert not any(r["passes"] for r in rows if r["k"] > k)
        larger = [c for c in _claims(reason) if c[0] > k]
        assert sorted(c[0] for c in larger) == [r["k"] for r in rows if r["k"] > k]  # every larger k accounted for
        gain = re.search(r"cut the cost by ([\d.]+)%", reason).group(1)
        assert f"{chosen['gain']:.1%}" == f"{gain}%"
    else:
        assert not any(r["passes"] for r in rows)
        assert sorted(c[0] for c in _claims(reason)) == [r["k"] for r in rows]
    for k_claim, flag, value in _claims(reason):
        assert table[k_claim][flag] is value, (k_claim, flag, reason)


# ------------------------------------------------------------------ engines and scale

def test_kmodes_and_seglab_engines_agree(customers):
    frame, truth = customers[0].head(500), customers[1][:500]
    labels = {}
    for engine in ("seglab", "kmodes"):
        result = fit_segmentation(frame, make_cfg(method="kprototypes", engine=engine, k=5, n_init=2,
                                                  stability_runs=0), progress=False)
        assert result.report["engine"] == engine
        assert adjusted_rand_score(truth, result.labels) >= 0.75
        labels[engine] = result.labels
    assert adjusted_rand_score(labels["seglab"], labels["kmodes"]) >= 0.9


@pytest.mark.parametrize("method", ["kmeans", "kprototypes"])
def test_large_bases_search_a_sample_then_fit_all(monkeypatch, method):
    monkeypatch.setattr(segment, "MINIBATCH_THRESHOLD", 1500)
    frame, truth = make_customers(3000, seed=1)
    result = fit_segmentation(frame, make_cfg(method=method, k_range=[4, 6], stability_runs=2), progress=False)
    report = result.report
    assert report["search_sample"] == 1500 and report["k"] == 5
    if method == "kmeans":
        assert report["estimator"] == "sklearn.MiniBatchKMeans"
    assert adjusted_rand_score(truth, result.labels) >= 0.8
    assert np.array_equal(result.model.predict(frame), result.labels)


def test_progress_bar_goes_to_stderr_and_can_be_disabled(customers, capsys):
    frame = customers[0].head(300)
    fit_segmentation(frame, make_cfg(method="kmeans", k_range=[2, 3], stability_runs=1), progress=True)
    assert "k search" in capsys.readouterr().err
    fit_segmentation(frame, make_cfg(method="kmeans", k_range=[2, 3], stability_runs=1), progress=False)
    assert capsys.readouterr().err == ""


# ------------------------------------------------------------------ feature sets and errors

def test_gamma_from_params_and_single_kind_feature_sets(customers):
    frame = customers[0].head(400)
    given = fit_segmentation(frame, make_cfg(method="kprototypes", k=3, gamma=2.0, stability_runs=0), progress=False)
    assert given.report["gamma"] == {"value": 2.0, "source": "params (segmentation.gamma)"}
    numeric = fit_segmentation(frame, make_cfg(method="kprototypes", k=3, features=["age", "income"],
                                               stability_runs=0), progress=False)
    assert numeric.report["estimator"] == "sklearn.KMeans" and "reduces to k-means" in numeric.report["notes"][0]
    categorical = fit_segmentation(frame, make_cfg(method="kprototypes", k=3, features=["city", "channel"],
                                                   stability_runs=0), progress=False)
    assert len(np.unique(categorical.labels)) == 3
    assert np.array_equal(categorical.model.predict(frame), categorical.labels)


def test_unknown_feature_names_the_key_and_a_close_match(customers):
    with pytest.raises(ParamsError, match="segmentation.features: unknown column 'incom'; did you mean 'income'"):
        fit_segmentation(customers[0], make_cfg(method="kmeans", features=["age", "incom"]), progress=False)


def test_fewer_customers_than_k_says_both_numbers(customers):
    frame = customers[0].head(4)
    with pytest.raises(DataError, match="n_customers=4 should be > k=5"):
        fit_segmentation(frame, make_cfg(method="kmeans", k=5), progress=False)
    with pytest.raises(DataError, match=r"n_customers=4 should be > k=4 \(the low end of segmentation.k_range\)"):
        fit_segmentation(frame, make_cfg(method="kprototypes", k_range=[4, 8]), progress=False)


# ------------------------------------------------------------------ RFM map

def test_rfm_groups_numbered_in_map_order(tmp_path):
    frame = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "e"],
                          "rfm_segment": ["Lost", "Champions", None, "Champions", "At Risk"]})
    result = fit_segmentation(frame, make_cfg(method="rfm"), progress=False)
    assert dump_artifact(validate_artifact("segmentation.json", result.report)) == json_ready(result.report)
    names = result.names
    assert names[0] == "Champions" and names[max(names)] == segment.NO_PURCHASE
    codes = {v: k for k, v in names.items()}
    assert result.labels.tolist() == [codes["Lost"], 0, codes[segment.NO_PURCHASE], 0, codes["At Risk"]]
    assert result.report["k"] == 4 and result.report["method"] == "rfm"
    joblib.dump(result.model, tmp_path / "m.joblib")
    loaded = joblib.load(tmp_path / "m.joblib")
    # A group no training customer was in still has its number.
    assert loaded.predict(pd.DataFrame({"rfm_segment": ["Hibernating"]})).tolist() == [codes["Hibernating"]]
    with pytest.raises(DataError, match="'Superstars' is not a group of the RFM map"):
        loaded.predict(pd.DataFrame({"rfm_segment": ["Superstars"]}))


def test_rfm_without_transactions_is_a_data_error(customers):
    with pytest.raises(DataError, match="needs the rfm_segment feature"):
        fit_segmentation(customers[0], make_cfg(method="rfm"), progress=False)


@pytest.mark.parametrize(("method", "engine"), [("kmeans", "seglab"), ("kprototypes", "seglab")])
def test_a_collapsed_k_still_gives_every_cluster_a_segment(tmp_path, method, engine):
    """Two kinds of customers and k=3: a prototype holds nobody, yet a new customer may be nearest to it."""
    frame, cfg = two_kinds_asked_three(tmp_path, method, engine=engine)
    result = fit_segmentation(frame, cfg, progress=False)
    step = result.model[-1]
    assert len(step.label_map_) == step.estimator_.n_clusters == 3
    held = set(result.labels.tolist())
    assert set(step.label_map_.tolist()) == held
    rng = np.random.default_rng(0)
    new = pd.DataFrame({"customer_id": [f"N{i}" for i in range(200)], "age": rng.uniform(0, 100, 200),
                        "income": rng.uniform(0, 900, 200), "city": rng.choice(["a", "b", "c"], 200)})
    assert set(result.model.predict(new).tolist()) <= held
