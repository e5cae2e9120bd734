"""BG/NBD and Gamma-Gamma: published CDNOW fits, the paper's closed forms by hand, recovery."""

import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import approx_fprime
from seglab.errors import DataError
from seglab.features import clv

# Fader, Hardie & Lee (2005a), CDNOW 1/10 sample, 2357 customers, 39-week calibration
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_BGNBD_LL = -9582.4
# Fader, Hardie & Lee (2005b) / Hardie's Gamma-Gamma note: the same 2357 customers' 39-week
# calibration period, fitted on the 946 with a repeat purchase (mean repeat-day spend)
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "v": 15.44}


def _cdnow_dir() -> Path:
    # the data ships with the (unmaintained) lifetimes package; read it without importing it
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("CDNOW sample not available: the 'lifetimes' package (which ships it) "
                    "is not installed; pip install lifetimes==0.11.3")
    folder = Path(spec.submodule_search_locations[0]) / "datasets"
    if not (folder / "CDNOW_sample.txt").exists():
        pytest.skip(f"CDNOW sample not found at {folder / 'CDNOW_sample.txt'}")
    return folder


def cdnow_transactions() -> pd.DataFrame:
    """The CDNOW sample's lines: customer_id, date, amount (and the source's other columns)."""
    raw = pd.read_csv(_cdnow_dir() / "CDNOW_sample.txt", sep=r"\s+", header=None,
                      names=["master_id", "customer_id", "date", "cds", "amount"],
                      dtype={"customer_id": str, "date": str})
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    return raw


@pytest.fixture(scope="module")
def cdnow_summary():
    return clv.summary_from_transactions(cdnow_transactions(), as_of="1997-09-30", time_unit="weeks")


def test_cdnow_summary_matches_the_published_calibration_data(cdnow_summary):
    assert len(cdnow_summary) == 2357
    assert (cdnow_summary["frequency"] > 0).sum() == 946
    path = _cdnow_dir() / "cdnow_customers_summary_with_transactions.csv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    ref = pd.read_csv(path)
    ref.index = ref["ID"].astype(str).str.zfill(4)
    ours = cdnow_summary.loc[ref.index]
    np.testing.assert_array_equal(ours["frequency"], ref["x"])
    np.testing.assert_allclose(ours["recency"], ref["t_x"], atol=0.006)  # ref rounded to 0.01
    np.testing.assert_allclose(ours["T"], ref["T"], atol=0.006)
    np.testing.assert_allclose(ours["monetary_value"], ref["zbar"], atol=0.006)


def test_cdnow_bgnbd_fit_reproduces_the_paper(cdnow_summary):
    s = cdnow_summary
    fit = clv.fit_bgnbd(s["frequency"], s["recency"], s["T"])
    assert fit.converged and fit.n_repeat_buyers == 946 and fit.at_bounds == []
    for name, published in PUBLISHED_BGNBD.items():
        assert fit.params[name] == pytest.approx(published, rel=0.03), name
    assert fit.log_likelihood == pytest.approx(PUBLISHED_BGNBD_LL, abs=0.1)


def test_cdnow_gamma_gamma_fit_reproduces_the_paper(cdnow_summary):
    s = cdnow_summary
    fit = clv.fit_gamma_gamma(s["frequency"], s["monetary_value"])
    assert fit.converged and fit.n_customers == 946
    for name, published in PUBLISHED_GG.items():
        assert fit.params[name] == pytest.approx(published, rel=0.03), name


# ----------------------------------------------------------------------- the closed forms


def _hyp2f1_series(a, b, c, z):
    """Gauss's series, summed term by term."""
    term, total, k = 1.0, 1.0, 0
    while abs(term) > 1e-17 * abs(total):
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
        k += 1
    return total


def _by_hand(params, t, x, tx, T):
    """P(alive) (eq. 13) and E[Y(t)] (eq. 10) of Fader, Hardie & Lee (2005a), as printed."""
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    dropped = (a / (b + x - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x) if x > 0 else 0.0
    alive = 1 / (1 + dropped)
    hyp = _hyp2f1_series(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    expected = ((a + b + x - 1) / (a - 1)
                * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)) * alive
    return alive, expected


CASES = [(0, 0.0, 38.86), (1, 1.71, 38.86), (2, 30.43, 38.86), (7, 35.0, 38.86),
         (25, 38.5, 39.0), (3, 5.0, 20.0)]


@pytest.mark.parametrize("params", [PUBLISHED_BGNBD, {"r": 2.0, "alpha": 10.0, "a": 1.7, "b": 4.0}])
def test_p_alive_and_expected_purchases_match_the_paper_formulas(params):
    x, tx, T = (np.array(col, dtype=float) for col in zip(*CASES))
    for t in (1.0, 39.0, 52.0):
        alive = clv.p_alive(params, x, tx, T)
        expected = clv.expected_purchases(params, t, x, tx, T)
        for i, case in enumerate(CASES):
            hand_alive, hand_expected = _by_hand(params, t, *case)
            assert alive[i] == pytest.approx(hand_alive, rel=1e-10)
            assert expected[i] == pytest.approx(hand_expected, rel=1e-8)


def test_closed_form_edge_cases():
    assert clv.p_alive(PUBLISHED_BGNBD, [0], [0], [100])[0] == 1.0  # no repeat: cannot drop out
    assert clv.expected_purchases(PUBLISHED_BGNBD, 0, [3], [10], [20])[0] == pytest.approx(0)
    # a == 1 is a removable singularity of eq. 10
    near = [clv.expected_purchases({**PUBLISHED_BGNBD, "a": a}, 39, [2], [30], [39])[0]
            for a in (1 - 1e-5, 1.0, 1 + 1e-5)]
    assert near[1] == pytest.approx(near[0], rel=1e-4) and near[1] == pytest.approx(near[2], rel=1e-4)


def test_expected_avg_spend_is_the_papers_weighted_mean():
    p, q, v = 6.25, 3.74, 15.44
    x, m = np.array([0, 1, 4]), np.array([0.0, 30.0, 12.5])
    got = clv.expected_avg_spend({"p": p, "q": q, "v": v}, x, m)
    population = p * v / (q - 1)
    for i in range(3):
        weight = p * x[i] / (p * x[i] + q - 1)
        assert got[i] == pytest.approx((1 - weight) * population + weight * m[i])
    with pytest.raises(ValueError, match="q=0.9"):
        clv.expected_avg_spend({"p": 1, "q": 0.9, "v": 1}, x, m)


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 8, 400).astype(float)
    T = rng.uniform(1, 50, 400)
    tx = np.where(x > 0, T * rng.random(400), 0.0)
    data = clv._bgnbd_data(x, tx, T)
    theta = np.log([0.7, 5.0, 0.8, 2.5])
    grad = clv._bgnbd_loglik(theta, data)[1]
    numeric = approx_fprime(theta, lambda t: clv._bgnbd_loglik(t, data, False), 1e-7)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-3)
    m = rng.gamma(3.0, 10.0, 400)
    data = clv._gg_data(x + 1, m)
    theta = np.log([3.0, 4.0, 20.0])
    grad = clv._gg_loglik(theta, data)[1]
    numeric = approx_fprime(theta, lambda t: clv._gg_loglik(t, data, False), 1e-7)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-3)


def test_gamma_gamma_recovers_known_parameters():
    rng = np.random.default_rng(7)
    p, q, v, n = 6.0, 4.0, 15.0, 20_000
    nu = rng.gamma(q, 1 / v, n)  # each customer's spend rate
    x = rng.integers(1, 10, n)
    mean_spend = rng.gamma(p * x, 1 / nu) / x  # the mean of x Gamma(p, nu) spends
    fit = clv.fit_gamma_gamma(x, mean_spend)
    assert fit.converged
    assert fit.q == pytest.approx(q, rel=0.05)
    assert fit.p == pytest.approx(p, rel=0.15) and fit.v == pytest.approx(v, rel=0.15)
    assert fit.p * fit.v / (fit.q - 1) == pytest.approx(p * v / (q - 1), rel=0.03)


# ----------------------------------------------------------------------- the summary


def _tx(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount", "is_return"])
    frame["date"] = pd.to_datetime(frame["date"], format="ISO8601")
    return frame


def test_summary_merges_days_ignores_later_lines_and_spreads_returns():
    tx = _tx([
        ("a", "2024-01-01 09:00", 10.0, False),
        ("a", "2024-01-01 18:00", 5.0, False),   # same day: one occasion
        ("a", "2024-01-08", 20.0, False),
        ("a", "2024-01-15", 40.0, False),
        ("a", "2024-01-20", -15.0, True),        # 15 of 75 returned: keep 80 %
        ("a", "2024-03-01", 99.0, False),        # after as_of
        ("b", "2024-01-22", 7.0, False),
    ])
    s = clv.summary_from_transactions(tx, as_of="2024-01-29", time_unit="days")
    assert s.loc["a"].to_dict() == pytest.approx(
        {"frequency": 2, "recency": 14, "T": 28, "monetary_value": (20 + 40) / 2 * 0.8})
    assert s.loc["b"].to_dict() == pytest.approx(
        {"frequency": 0, "recency": 0, "T": 7, "monetary_value": 0})
    weeks = clv.summary_from_transactions(tx, as_of="2024-01-29")
    assert weeks.loc["a", "T"] == pytest.approx(4.0)
    assert clv.summary_from_transactions(tx).loc["a", "frequency"] == 3  # default as_of: last line


def test_inputs_are_validated_with_clear_errors():
    tx = _tx([("a", "2024-01-01", 10.0, False)])
    with pytest.raises(DataError, match="missing column.*'amount'"):
        clv.summary_from_transactions(tx.drop(columns="amount"))
    with pytest.raises(DataError, match="date must be datetime64"):
        clv.summary_from_transactions(tx.assign(date="2024-01-01"))
    with pytest.raises(DataError, match="amount: 1 missing"):
        clv.summary_from_transactions(tx.assign(amount=np.nan))
    with pytest.raises(DataError, match="as_of must be a date"):
        clv.summary_from_transactions(tx, as_of="soon")
    with pytest.raises(ValueError, match="time_unit"):
        clv.summary_from_transactions(tx, time_unit="months")
    with pytest.raises(DataError, match="recency must lie in"):
        clv.fit_bgnbd([1, 0], [5, 0], [4, 3])
    with pytest.raises(DataError, match="whole number"):
        clv.fit_bgnbd([1.5], [1], [2])
    with pytest.raises(DataError, match="at least 20 customers with a repeat purchase, got 1"):
        clv.fit_bgnbd([1, 0], [1, 0], [2, 2])
    with pytest.raises(ValueError, match="r, alpha, a, b"):
        clv.p_alive({"r": 1}, [0], [0], [1])
    assert math.isclose(clv.TIME_UNITS["weeks"], 7)
