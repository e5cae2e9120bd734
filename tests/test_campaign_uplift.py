"""Uplift intervals against published values, scipy, and their own coverage by simulation."""

import math

import numpy as np
import pytest
from scipy import stats
from seglab.campaign.uplift import newcombe_interval, uplift, welch_interval, wilson_interval


@pytest.mark.parametrize("counts, low, high", [
    # Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10
    ((56, 70, 48, 80), 0.0524, 0.3339),
    ((9, 10, 3, 10), 0.1705, 0.8090),
    ((5, 56, 0, 29), -0.0381, 0.1926),
    ((0, 10, 0, 20), -0.1611, 0.2775),
    ((0, 10, 0, 10), -0.2775, 0.2775),
    ((10, 10, 0, 20), 0.6791, 1.0000),
    ((10, 10, 0, 10), 0.6075, 1.0000),
])
def test_newcombe_matches_the_published_table(counts, low, high):
    got = newcombe_interval(*counts)
    assert got == pytest.approx((low, high), abs=5e-5)


def test_wilson_matches_the_published_example():
    # Newcombe (1998), Statistics in Medicine 17:857-872: 81/263 -> 0.2553 to 0.3662
    assert wilson_interval(81, 263) == pytest.approx((0.2553, 0.3662), abs=5e-5)
    assert math.isnan(wilson_interval(0, 0)[0])


def test_welch_matches_scipy():
    rng = np.random.default_rng(4)
    a, b = rng.exponential(30, 900) * (rng.random(900) < 0.2), rng.exponential(25, 80) * (rng.random(80) < 0.1)
    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert welch_interval(a, b) == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert welch_interval(np.ones(5), np.ones(4)) == (0.0, 0.0)
    assert all(math.isnan(x) for x in welch_interval(np.ones(1), np.ones(4)))


def test_uplift_numbers_are_the_plain_differences():
    rt, rc = np.array([1, 0, 0, 1, 1, 0, 0, 0]), np.array([0, 0, 1, 0])
    vt, vc = rt * 100.0, rc * 40.0
    u = uplift(rt, rc, vt, vc)
    assert (u.treated, u.control, u.responders_treated, u.responders_control) == (8, 4, 3, 1)
    assert u.rate_uplift == pytest.approx(3 / 8 - 1 / 4)
    assert u.revenue_uplift == pytest.approx(300 / 8 - 40 / 4)
    assert u.rate_uplift_low < u.rate_uplift < u.rate_uplift_high
    no_revenue = uplift(rt, rc).as_dict()
    assert no_revenue["revenue_uplift"] is None and no_revenue["rate_uplift"] == pytest.approx(0.125)


def test_intervals_cover_the_true_uplift_95_percent_of_the_time():
    """A campaign-sized simulation: 10 % control, a low response rate, skewed revenue.

    Welch's interval on zero-inflated revenue covers a little less than 95 % when the
    control group has few responders (measured: 89 % with 5, 92-93 % with 15-20, 94 % with
    30 or more); measure.json flags groups below MIN_RESPONDERS for that reason.
    """
    rng = np.random.default_rng(2024)
    runs, n_t, n_c = 1000, 2250, 250
    p_t, p_c, spend = 0.16, 0.12, 80.0
    hits_rate = hits_revenue = 0
    for _ in range(runs):
        rt, rc = rng.random(n_t) < p_t, rng.random(n_c) < p_c
        vt = rt * rng.gamma(2.0, spend / 2, n_t)
        vc = rc * rng.gamma(2.0, spend / 2, n_c)
        u = uplift(rt, rc, vt, vc)
        hits_rate += u.rate_uplift_low <= p_t - p_c <= u.rate_uplift_high
        hits_revenue += u.revenue_uplift_low <= (p_t - p_c) * spend <= u.revenue_uplift_high
    # 1000 runs: the standard error of a coverage near 95 % is 0.7 points
    assert 0.93 <= hits_rate / runs <= 0.97
    assert 0.92 <= hits_revenue / runs <= 0.97
