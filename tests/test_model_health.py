"""Model health of the lifetime-value models: the holdout check of Fader, Hardie & Lee on
CDNOW, a degenerate fit on long-lapsed repeat buyers, the overdue rule, the fallbacks."""

import json

import numpy as np
import pandas as pd
import pytest
from seglab.features import aggregates, churn, clv, model_health
from seglab.features.build import build_features
from test_clv import PUBLISHED_BGNBD, cdnow_transactions
from test_features import _simulate_bgnbd

DAY0 = pd.Timestamp("2021-01-01")


@pytest.fixture(scope="module")
def cdnow_lines():
    return cdnow_transactions()[["customer_id", "date", "amount"]].assign(is_return=False)


def test_cdnow_holdout_is_the_papers_split_and_passes(cdnow_lines):
    tx = clv.TransactionArrays.from_frame(cdnow_lines)
    bgnbd, spend = model_health.holdout_checks(aggregates.from_arrays(tx, horizon_days=365).holdout)
    # 546 days: 39 weeks of calibration to 1997-09-30, 39 weeks of holdout
    assert bgnbd["calibration_end"] == "1997-09-30" and bgnbd["holdout_days"] == 273
    assert bgnbd["customers"] == 2357
    for name, published in PUBLISHED_BGNBD.items():
        assert bgnbd["calibration_params"][name] == pytest.approx(published, rel=0.03), name

    # actual repeat purchase days in the holdout, counted with pandas, per calibration frequency
    days = cdnow_lines.drop_duplicates(["customer_id", "date"])
    cal = days[days["date"] <= "1997-09-30"].groupby("customer_id").size() - 1
    hold = days[days["date"] > "1997-09-30"].groupby("customer_id").size().reindex(cal.index, fill_value=0)
    bucket = cal.clip(upper=7).map(lambda x: "7+" if x == 7 else str(x))
    actual = hold.groupby(bucket).mean()
    # predicted with the published parameters (the closed form is checked by hand in test_clv)
    s = clv.summary_from_transactions(cdnow_lines, as_of="1997-09-30").loc[cal.index]
    predicted = pd.Series(clv.expected_purchases(PUBLISHED_BGNBD, 39, s["frequency"], s["recency"], s["T"]),
                          index=cal.index).groupby(bucket).mean()
    rows = {b["frequency"]: b for b in bgnbd["buckets"]}
    assert list(rows) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    for name, row in rows.items():
        assert row["customers"] == int((bucket == name).sum())
        assert row["actual"] == pytest.approx(actual[name], rel=1e-12)
        assert row["predicted"] == pytest.approx(predicted[name], rel=0.03)
    assert bgnbd["total"]["actual"] == hold.sum() == 1882
    assert bgnbd["total"]["predicted"] == pytest.approx(1653, abs=15)
    assert bgnbd["passed"] is True
    assert spend["passed"] is True and abs(spend["total"]["relative_error"]) < 0.1


def test_cdnow_model_is_used_with_its_evidence_in_features_json(cdnow_lines):
    customers = pd.DataFrame({"customer_id": sorted(cdnow_lines["customer_id"].unique())})
    feats, meta = build_features(customers, cdnow_lines)
    c = meta["clv"]
    assert c["used"] and c["health"]["passed"] and c["gamma_gamma"]["used"]
    assert [ch["check"] for ch in c["health"]["checks"]] == ["converged", "parameters", "holdout"]
    assert all(ch["passed"] for ch in c["health"]["checks"])
    assert meta["value_tiers"]["basis"] == "clv_predicted"
    json.dumps(meta)
    repeat = feats[feats["frequency"] > 1]
    assert set(repeat["churn_risk_basis"]) <= {"bgnbd", "overdue"}
    assert feats.loc[feats["frequency"] == 1, "p_alive"].isna().all()


# ----------------------------------------------------------------------- a degenerate fit


def _lapsed_population(seed=1, n_steady=750, n_lapsed=40, burst_gap=200, days=1460):
    """Customers who buy in bursts every ~200 days and never leave, and repeat buyers who
    bought twice 20-40 days apart in the first year and never again."""
    rng = np.random.default_rng(seed)
    ids, day = [], []
    for i in range(n_steady):
        t = rng.uniform(0, days / 4)
        while t < days:
            burst = t + np.cumsum(np.r_[0, rng.uniform(1, 30, rng.integers(0, 3))])
            ids += [f"s{i:04d}"] * len(burst)
            day += list(burst.astype(int))
            t += rng.exponential(burst_gap)
    for i in range(n_lapsed):
        t = rng.uniform(0, days / 3)
        ids += [f"l{i:04d}"] * 2
        day += [int(t), int(t + rng.uniform(20, 40))]
    tx = pd.DataFrame({"customer_id": ids, "day": day})
    tx = tx[tx["day"] < days]
    lines = pd.DataFrame({"customer_id": tx["customer_id"], "date": DAY0 + pd.to_timedelta(tx["day"], unit="D"),
                          "amount": rng.gamma(2, 30, len(tx)), "is_return": False})
    customers = pd.DataFrame({"customer_id": sorted(set(ids))})
    return customers, lines, DAY0 + pd.Timedelta(days=days - 1)


@pytest.fixture(scope="module")
def lapsed_run():
    customers, lines, as_of = _lapsed_population()
    feats, meta = build_features(customers, lines, as_of=as_of)
    return customers, lines, as_of, feats, meta


def test_long_lapsed_repeat_buyers_make_bgnbd_degenerate_and_it_is_not_used(lapsed_run):
    customers, lines, as_of, feats, meta = lapsed_run
    c = meta["clv"]
    lo, hi = clv.PARAM_BOUNDS
    near = [k for k, v in c["params"].items() if v <= lo * model_health.NEAR_BOUND or v >= hi / model_health.NEAR_BOUND]
    assert near, c["params"]  # the optimum is degenerate ...
    assert c["fitted"] and not c["used"]  # ... so it is fitted but not used
    assert not c["health"]["passed"]
    parameters = next(ch for ch in c["health"]["checks"] if ch["check"] == "parameters")
    assert parameters["passed"] is False and "bounds of the search" in parameters["detail"]
    assert "BG/NBD failed its checks" in c["reason"] and "recency" in c["fallback"]
    assert feats[["expected_purchases", "p_alive", "clv_predicted"]].isna().all().all()
    assert meta["value_tiers"]["basis"] == "clv_historical"
    assert set(feats["churn_risk_basis"].dropna()) <= {"recency", "overdue"}


def test_fallback_risk_is_the_recency_rule_recomputed_by_hand(lapsed_run):
    customers, lines, as_of, feats, meta = lapsed_run
    thresholds = meta["lifecycle"]
    last = lines.groupby("customer_id")["date"].max()
    recency = (as_of - last).dt.days.reindex(feats["customer_id"]).to_numpy()
    by_hand = np.clip((recency - thresholds["active_days"]) / (thresholds["churned_days"] - thresholds["active_days"]), 0, 1)
    rule = feats["churn_risk_basis"].to_numpy() == "recency"
    np.testing.assert_allclose(feats["churn_risk"].to_numpy()[rule], by_hand[rule])
    overdue = feats["churn_risk_basis"].to_numpy() == "overdue"
    assert (feats["churn_risk"].to_numpy()[overdue] == 1 - churn.OVERDUE_MAX_ALIVE).all()
    assert (by_hand[overdue] < 1 - churn.OVERDUE_MAX_ALIVE).all()  # the rule only ever raises risk


def test_lapsed_buyers_are_never_rated_low_risk(lapsed_run):
    customers, lines, as_of, feats, meta = lapsed_run
    lapsed = feats[feats["customer_id"].str.startswith("l")]
    assert len(lapsed) == 40
    assert (lapsed["churn_risk"] >= 0.5).all() and (lapsed["risk_tier"] != "low").all()


# ----------------------------------------------------------------------- the overdue rule


def test_a_customer_far_past_their_usual_gap_is_never_likely_still_active():
    customers, lines, as_of = _simulate_bgnbd(600, seed=7, days=720)
    # planted: bought every 30 days four times, last purchase 300 days before as_of
    planted = [f"o{i}" for i in range(5)]
    days = as_of - pd.to_timedelta([390, 360, 330, 300], unit="D")
    lines = pd.concat([lines, pd.DataFrame({"customer_id": np.repeat(planted, 4), "date": np.tile(days, 5),
                                            "amount": 25.0, "is_return": False})], ignore_index=True)
    customers = pd.concat([customers, pd.DataFrame({"customer_id": planted})], ignore_index=True)
    feats, meta = build_features(customers, lines, as_of=as_of)
    assert meta["clv"]["used"], meta["clv"]["reason"]
    f = feats.set_index("customer_id")

    # the usual gap and the time since the last purchase, by hand
    days = lines.drop_duplicates(["customer_id", "date"]).groupby("customer_id")["date"]
    n_days, first, last = days.size(), days.min(), days.max()
    gap = ((last - first).dt.days / (n_days - 1)).where(n_days >= 2)
    recency = (as_of - last).dt.days
    median = gap.median()
    overdue = (recency > churn.OVERDUE_MULTIPLE * gap) & (recency > median)
    assert overdue[planted].all() and recency[planted].eq(300).all() and gap[planted].eq(30).all()
    assert meta["clv"]["churn_risk"]["overdue_customers"] == int(overdue.sum())
    assert meta["clv"]["churn_risk"]["median_usual_gap_days"] == pytest.approx(median)
    od = f.loc[overdue[overdue].index]
    assert (od["p_alive"] <= churn.OVERDUE_MAX_ALIVE + 1e-12).all()
    assert (od["churn_risk"] >= 1 - churn.OVERDUE_MAX_ALIVE - 1e-12).all()
    assert (od["risk_tier"] != "low").all()
    np.testing.assert_allclose(od["churn_risk"], 1 - od["p_alive"])
    # the rule changes only the customers it names, and only upwards
    raised = f["churn_risk_basis"] == "overdue"
    assert raised.sum() and set(f.index[raised]) <= set(overdue[overdue].index)
    np.testing.assert_allclose(f.loc[raised, "clv_predicted"],
                               f.loc[raised, "expected_purchases"] * f.loc[raised, "expected_avg_spend"])


# ----------------------------------------------------------------------- the checks one by one


def _fit(**params):
    base = {"log_likelihood": -1.0, "converged": True, "n_iter": 5, "message": "ok", "at_bounds": [],
            "n_customers": 100}
    if "p" in params:
        return clv.GammaGammaFit(**base, **params)
    return clv.BGNBDFit(**base, **params, n_repeat_buyers=50)


def test_parameter_checks_name_what_is_wrong():
    assert model_health.fit_problems(_fit(r=0.243, alpha=4.414, a=0.793, b=2.426)) == []
    # the degenerate fit seen on a real retail log: a ~ 1e-5, b ~ 1,225
    problems = model_health.fit_problems(_fit(r=1.2, alpha=30.0, a=1e-5, b=1225.0))
    assert len(problems) == 2
    assert "a = 1e-05 at or near the bounds" in problems[0]
    assert "a/(a+b) = 8.2e-09" in problems[1]
    # implausible without touching a bound: the online-education case's a = 0.00475, b = 46.5
    problems = model_health.fit_problems(_fit(r=1.4, alpha=27.4, a=0.00475, b=46.5))
    assert len(problems) == 1 and "a/(a+b) = 0.0001" in problems[0]
    assert "q = 0.919 <= 1" in model_health.fit_problems(_fit(p=2.0, q=0.919, v=10.0))[0]
    assert "p = 1e+06 at or near" in model_health.fit_problems(_fit(p=1e6, q=3.0, v=10.0))[0]


def test_health_fails_on_non_convergence_and_on_a_failed_holdout_not_on_a_missing_one():
    good = _fit(r=0.243, alpha=4.414, a=0.793, b=2.426)
    assert model_health.health(good, {"passed": None, "reason": "too short"})["passed"]
    failed = model_health.health(good, {"passed": False, "reason": "off by 40 %"})
    assert not failed["passed"] and failed["reason"] == "holdout: off by 40 %"
    stuck = clv.BGNBDFit(log_likelihood=-1.0, converged=False, n_iter=1000, message="ABNORMAL",
                         at_bounds=[], n_customers=100, r=0.243, alpha=4.414, a=0.793, b=2.426,
                         n_repeat_buyers=50)
    result = model_health.health(stuck, {"passed": True})
    assert not result["passed"] and result["reason"] == "converged: ABNORMAL"


def test_holdout_window_and_short_histories():
    day = int(np.datetime64("1997-01-01", "D").astype(int))
    end = day + 545
    assert model_health.holdout_window(day, end, 365) == (end - 273, 273, "")
    assert model_health.holdout_window(day, day + 3000, 365)[:2] == (day + 3000 - 365, 365)
    cal_end, days, why = model_health.holdout_window(day, day + 40, 365)
    assert cal_end is None and "41 days" in why
    lines = pd.DataFrame({"customer_id": ["a", "a", "b"], "date": pd.to_datetime(["2024-01-01", "2024-01-20", "2024-01-05"]),
                          "amount": 1.0, "is_return": False})
    tx = clv.TransactionArrays.from_frame(lines)
    bgnbd, spend = model_health.holdout_checks(aggregates.from_arrays(tx, horizon_days=365).holdout)
    assert bgnbd["passed"] is None and spend["passed"] is None and "too few" in bgnbd["reason"]


def test_a_bucket_far_from_its_actual_mean_fails_the_holdout():
    x = np.repeat([0, 1, 2], 100)
    actual = np.repeat([0.2, 1.0, 2.0], 100).astype(float)
    fine = model_health._buckets(x, actual * 1.1, actual)
    assert all(b["within"] for b in fine)
    off = model_health._buckets(x, np.where(x == 1, 2.0, actual), actual)
    assert [b["within"] for b in off] == [True, False, True]
    small = model_health._buckets(np.zeros(10), np.full(10, 5.0), np.zeros(10))
    assert small[0]["judged"] is False and small[0]["within"] is None
