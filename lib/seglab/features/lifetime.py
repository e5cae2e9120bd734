"""Lifetime value and churn risk per customer: fit the models, check them, use them or fall back.

BG/NBD (purchases) and Gamma-Gamma (spend per purchase) are fitted to the window's
purchase days, checked by :mod:`seglab.features.model_health`, and used only when they
pass.  Whatever the models say, churn risk then follows the rules of
:mod:`seglab.features.churn`, so every customer has one risk with a stated basis.  The
record written to ``features.json`` says which model was used, why, and holds the data of
the report's predicted-against-actual figure.
"""

from __future__ import annotations

import numpy as np

from seglab.errors import DataError
from seglab.features import churn, clv, model_health

__all__ = ["COLUMNS", "lifetime_value"]

#: The per-customer outputs, in the order of the feature table.
COLUMNS = ("expected_purchases", "p_alive", "churn_risk", "expected_avg_spend", "clv_predicted")

_NO_BGNBD = ("churn_risk from recency against the lifecycle thresholds (and the overdue rule) "
             "for every buyer; no expected_purchases, p_alive or clv_predicted; value tiers by "
             "clv_historical")
_NO_GAMMA_GAMMA = "expected_avg_spend = the customer's own net spend per purchase day"


def _spend(days, buyer, summary, holdout, out, meta) -> None:
    """Expected spend per purchase day: Gamma-Gamma when healthy, else the customer's own."""
    x, m = summary["frequency"], summary["monetary_value"]
    out["expected_avg_spend"][buyer] = (days.gross + days.returned)[buyer] / days.n_days[buyer]
    record = meta["gamma_gamma"]
    try:
        gg = clv.fit_gamma_gamma(x, m)
    except DataError as err:
        record.update(reason=str(err), fallback=_NO_GAMMA_GAMMA)
        return
    health = model_health.health(gg, holdout)
    use = (x > 0) & (m > 0)
    varies = use.sum() > 2 and np.ptp(x[use]) > 0 and np.ptp(m[use]) > 0
    record.update(fitted=True, **gg.params, **gg.diagnostics(), health=health,
                  population_mean_spend=gg.p * gg.v / (gg.q - 1) if gg.q > 1 else None,
                  # the model assumes spend independent of frequency: worth a look if far from 0
                  corr_frequency_monetary=float(np.corrcoef(x[use], m[use])[0, 1]) if varies else None)
    if not health["passed"]:
        record.update(reason=f"Gamma-Gamma failed its checks: {health['reason']}", fallback=_NO_GAMMA_GAMMA)
        return
    out["expected_avg_spend"][buyer] = clv.expected_avg_spend(gg, x, m)
    record["used"] = True


def _purchases(summary, horizon_days, holdout, out, buyer, meta) -> np.ndarray | None:
    """BG/NBD P(alive) and expected purchases when healthy; the repeat buyers' P(alive) or None."""
    x, t_x, T = summary["frequency"], summary["recency"], summary["T"]
    try:
        fit = clv.fit_bgnbd(x, t_x, T)
    except DataError as err:
        meta.update(reason=str(err), fallback=_NO_BGNBD)
        return None
    health = model_health.health(fit, holdout)
    meta.update(fitted=True, params=fit.params, fit=fit.diagnostics(), health=health)
    if not health["passed"]:
        meta.update(reason=f"BG/NBD failed its checks: {health['reason']}", fallback=_NO_BGNBD)
        return None
    expected = clv.expected_purchases(fit, horizon_days / clv.TIME_UNITS["weeks"], x, t_x, T)
    alive = clv.p_alive(fit, x, t_x, T)
    if not (np.isfinite(expected).all() and np.isfinite(alive).all()):
        meta.update(reason="BG/NBD predictions are not finite for some customers", fallback=_NO_BGNBD)
        return None
    out["expected_purchases"][buyer] = expected
    # BG/NBD lets customers drop out only after a repeat purchase: its P(alive) of a one-time
    # buyer is 1 however long ago they bought, which is no estimate, so it is left missing
    out["p_alive"][buyer] = np.where(x > 0, alive, np.nan)
    meta.update(used=True, reason=None)
    return alive


def lifetime_value(days: clv.PurchaseDays, holdout: model_health.Holdout, as_of_day, horizon_days: float,
                   thresholds: dict, recency: np.ndarray, buyer: np.ndarray):
    """Expected purchases, P(alive), churn risk and its basis, expected spend and predicted
    value per customer, with the ``clv`` record of ``features.json``.

    Parameters
    ----------
    days : PurchaseDays
        The window's per-customer purchase days.
    holdout : Holdout
        The calibration and holdout aggregates of the model check.
    as_of_day : int or None
        End of the window (days since 1970-01-01).
    horizon_days : float
        Horizon of ``expected_purchases`` and ``clv_predicted``.
    thresholds : dict
        Lifecycle ``active_days`` and ``churned_days`` (the recency and overdue rules).
    recency : ndarray
        Days since the last purchase (NaN without one).
    buyer : ndarray of bool
        Customers with a purchase day in the window.

    Returns
    -------
    columns : dict of ndarray
        :data:`COLUMNS`, NaN for customers without a purchase (and where no model is used).
    basis : ndarray of object
        ``churn_risk_basis`` (one of :data:`seglab.features.churn.BASES`, None without a purchase).
    meta : dict
        Which models were fitted and used, why, their health checks and parameters.
    """
    n = len(buyer)
    out = {k: np.full(n, np.nan) for k in COLUMNS}
    basis = np.where(buyer, "recency", None).astype(object)
    meta = {"model": "bgnbd", "fitted": False, "used": False, "params": None, "time_unit": "weeks",
            "horizon_days": float(horizon_days), "horizon": horizon_days / clv.TIME_UNITS["weeks"],
            "discount_rate": 0.0, "purchase_occasion": "calendar day with a purchase line",
            "health_rule": model_health.HOLDOUT_RULE,
            "gamma_gamma": {"fitted": False, "used": False, "p": None, "q": None, "v": None},
            "churn_risk": {"bases": list(churn.BASES), "recency_rule": churn.RECENCY_RULE,
                           "overdue_rule": churn.OVERDUE_RULE, "overdue_multiple": churn.OVERDUE_MULTIPLE,
                           "overdue_max_alive": churn.OVERDUE_MAX_ALIVE}}
    out["churn_risk"][buyer] = churn.recency_risk(recency[buyer], thresholds)
    if not buyer.any():
        meta.update(reason="no customer has a purchase in the window", fallback="none needed")
        meta["churn_risk"]["basis_counts"] = {}
        return out, basis, meta

    summary = {k: v[buyer] for k, v in days.summary(as_of_day, "weeks").items()}
    holdout_bgnbd, holdout_spend = model_health.holdout_checks(holdout)
    _spend(days, buyer, summary, holdout_spend, out, meta)
    alive = _purchases(summary, horizon_days, holdout_bgnbd, out, buyer, meta)
    if alive is not None:
        repeat = np.flatnonzero(buyer)[summary["frequency"] > 0]
        out["churn_risk"][repeat] = 1 - alive[summary["frequency"] > 0]
        basis[repeat] = "bgnbd"

    overdue, median_gap = churn.is_overdue(days.n_days, days.first_day, days.last_day, recency)
    overdue &= buyer
    floor = 1 - churn.OVERDUE_MAX_ALIVE
    raise_risk = overdue & (out["churn_risk"] < floor)
    out["churn_risk"][raise_risk] = floor
    basis[raise_risk] = "overdue"
    if alive is not None:  # the model's P(alive) and expected purchases obey the rule too
        capped = raise_risk & (out["p_alive"] > churn.OVERDUE_MAX_ALIVE)
        out["expected_purchases"][capped] *= churn.OVERDUE_MAX_ALIVE / out["p_alive"][capped]
        out["p_alive"][capped] = churn.OVERDUE_MAX_ALIVE
        out["clv_predicted"][buyer] = out["expected_purchases"][buyer] * out["expected_avg_spend"][buyer]
    values, counts = np.unique(basis[buyer].astype(str), return_counts=True)
    meta["churn_risk"].update(basis_counts={str(v): int(c) for v, c in zip(values, counts)},
                              overdue_customers=int(overdue.sum()),
                              median_usual_gap_days=median_gap)
    return out, basis, meta
