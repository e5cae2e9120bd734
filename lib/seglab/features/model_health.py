"""Model health: whether a fitted lifetime-value model may be used, with the evidence.

A BG/NBD or Gamma-Gamma fit is used only when (1) the optimiser converged, (2) no
parameter ends on or near the search box and the parameters describe a plausible
population, and (3) the same model fitted on an earlier calibration period predicts the
holdout period that followed it (the check of Fader, Hardie & Lee 2005a, §5: repeat
purchases per calibration frequency and in total).  A degenerate fit (BG/NBD's ``a`` at
1e-6 and ``b`` in the tens of thousands on a real retail log) is the optimum of a
likelihood that sees nobody ever leave; its P(alive) is 1 for a customer who last bought
three years ago, so it must not reach a report.  Every check is recorded, with the
numbers of the holdout comparison, so ``features.json`` says which model was used and why
and the report can draw predicted against actual purchases.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seglab.errors import DataError
from seglab.features import clv

__all__ = ["NEAR_BOUND", "MIN_MEAN_DROPOUT", "HOLDOUT_SHARE", "MIN_HOLDOUT_DAYS",
           "TOTAL_TOLERANCE", "BUCKET_TOLERANCE", "BUCKET_SE", "BUCKET_FLOOR",
           "MIN_BUCKET_CUSTOMERS", "TOP_BUCKET", "SPEND_TOLERANCE", "HOLDOUT_RULE",
           "Holdout", "holdout_window", "holdout_checks", "fit_problems", "health"]

#: A parameter within this factor of :data:`seglab.features.clv.PARAM_BOUNDS` is "on the bound".
NEAR_BOUND = 10.0
#: BG/NBD: a mean drop-out chance per purchase, a / (a + b), below this is implausible.
MIN_MEAN_DROPOUT = 1e-3
#: The holdout is this share of the window's days (at most the CLV horizon) ...
HOLDOUT_SHARE = 0.5
#: ... and at least this many days, or the check is not run.
MIN_HOLDOUT_DAYS = 28
#: Predicted total repeat purchases in the holdout within this share of the actual total.
TOTAL_TOLERANCE = 0.20
#: Per calibration-frequency bucket: within this share of the actual mean, or within
#: BUCKET_SE standard errors of it, or within BUCKET_FLOOR purchases per customer.
BUCKET_TOLERANCE = 0.30
BUCKET_SE = 3.0
BUCKET_FLOOR = 0.1
#: Buckets with fewer customers are shown but not judged.
MIN_BUCKET_CUSTOMERS = 30
#: Calibration frequencies from this one up share the last bucket ("7+", as in the paper).
TOP_BUCKET = 7
#: Gamma-Gamma: predicted holdout spend of the customers who bought within this share.
SPEND_TOLERANCE = 0.20

HOLDOUT_RULE = (
    f"the last {HOLDOUT_SHARE:.0%} of the window's days (at most the CLV horizon, at least "
    f"{MIN_HOLDOUT_DAYS} days) is held out; the models are fitted on the history up to the "
    "calibration date and predict, for every customer who bought by then, the repeat purchase "
    "days of the holdout (BG/NBD) and the spend per purchase day of those who bought in it "
    f"(Gamma-Gamma). BG/NBD passes when the predicted total is within {TOTAL_TOLERANCE:.0%} "
    "of the actual total and, in every group of customers by calibration purchase count "
    f"(0 to {TOP_BUCKET - 1}, {TOP_BUCKET}+) with at least {MIN_BUCKET_CUSTOMERS} customers, "
    f"the predicted mean is within {BUCKET_TOLERANCE:.0%} of the actual mean, or within "
    f"{BUCKET_SE:g} standard errors of it, or within {BUCKET_FLOOR:g} purchases; Gamma-Gamma "
    f"passes when the predicted spend is within {SPEND_TOLERANCE:.0%} of the actual spend"
)


@dataclass(frozen=True)
class Holdout:
    """The calibration and holdout periods of the check, aggregated per customer.

    ``cal_end`` (days since 1970-01-01) is None when the window is too short for a holdout
    (``reason`` says why); ``calibration`` then and ``hold_n_days``/``hold_net`` are None.
    ``calibration`` holds the purchase days up to ``cal_end``, ``hold_n_days`` and
    ``hold_net`` the purchase days and net spend after it, per customer.
    """

    cal_end: int | None
    days: int
    reason: str
    calibration: clv.PurchaseDays | None = None
    hold_n_days: np.ndarray | None = None
    hold_net: np.ndarray | None = None


def holdout_window(first_day: int, as_of_day: int, horizon_days: float) -> tuple[int | None, int, str]:
    """The calibration end (days since 1970-01-01) and holdout length in days.

    The holdout is the last :data:`HOLDOUT_SHARE` of the window's days, at most
    ``horizon_days``: on the CDNOW sample (546 days) that is the paper's split, 39
    weeks of calibration to 1997-09-30 and 39 of holdout.  Returns ``(None, days,
    reason)`` when the window is too short.
    """
    span = int(as_of_day - first_day + 1)
    days = int(min(span * HOLDOUT_SHARE, horizon_days))
    if days < MIN_HOLDOUT_DAYS:
        return None, days, (f"the data cover {span} days, too few for a holdout of at least "
                            f"{MIN_HOLDOUT_DAYS} days")
    return int(as_of_day - days), days, ""


def _not_run(reason: str, **extra) -> dict:
    return {"passed": None, "reason": reason, **extra}


def _iso(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


def _buckets(x, predicted, actual) -> list[dict]:
    """Mean predicted and actual holdout purchases per calibration frequency bucket."""
    group = np.minimum(x, TOP_BUCKET).astype(np.int64)
    rows = []
    for g in range(TOP_BUCKET + 1):
        inside = group == g
        n = int(inside.sum())
        if n == 0:
            continue
        pred, act = float(predicted[inside].mean()), float(actual[inside].mean())
        se = float(actual[inside].std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
        allowed = max(BUCKET_TOLERANCE * act, BUCKET_SE * se if np.isfinite(se) else 0.0, BUCKET_FLOOR)
        judged = n >= MIN_BUCKET_CUSTOMERS
        rows.append({"frequency": f"{g}+" if g == TOP_BUCKET else str(g), "customers": n,
                     "predicted": pred, "actual": act, "standard_error": se if np.isfinite(se) else None,
                     "allowed_difference": allowed, "judged": judged,
                     "within": bool(abs(pred - act) <= allowed) if judged else None})
    return rows


def _bgnbd_holdout(hold, x, t_x, T, days, window) -> dict:
    try:
        fit = clv.fit_bgnbd(x, t_x, T)
    except DataError as err:
        return _not_run(f"no calibration fit: {err}", **window)
    predicted = clv.expected_purchases(fit, days / clv.TIME_UNITS["weeks"], x, t_x, T)
    actual = hold.astype(np.float64)
    if not np.isfinite(predicted).all():
        return {"passed": False, **window, "calibration_params": fit.params,
                "reason": "the calibration fit's predictions are not finite"}
    total_pred, total_act = float(predicted.sum()), float(actual.sum())
    rel = (total_pred - total_act) / total_act if total_act > 0 else None
    buckets = _buckets(x, predicted, actual)
    total_ok = rel is not None and abs(rel) <= TOTAL_TOLERANCE
    off = [b["frequency"] for b in buckets if b["within"] is False]
    if rel is None:
        reason = "nobody bought again in the holdout period, so the prediction cannot be compared"
    elif not total_ok:
        reason = (f"predicted {total_pred:,.0f} repeat purchase days in the holdout against "
                  f"{total_act:,.0f} actual ({rel:+.0%}, tolerance ±{TOTAL_TOLERANCE:.0%})")
    elif off:
        reason = (f"predicted mean repeat purchases are off for customers with "
                  f"{', '.join(off)} calibration purchase(s)")
    else:
        reason = (f"predicted {total_pred:,.0f} repeat purchase days in the holdout against "
                  f"{total_act:,.0f} actual ({rel:+.0%})")
    return {"passed": bool(total_ok and not off), "reason": reason, **window,
            "calibration_params": fit.params, "calibration_converged": fit.converged,
            "total": {"predicted": total_pred, "actual": total_act, "relative_error": rel,
                      "within": bool(total_ok)},
            "buckets": buckets}


def _spend_holdout(x, m, hold_days, hold_spend, window) -> dict:
    try:
        gg = clv.fit_gamma_gamma(x, m)
    except DataError as err:
        return _not_run(f"no calibration fit: {err}", **window)
    if not gg.q > 1:
        return _not_run(f"the calibration fit has no finite mean spend (q = {gg.q:.3g})", **window)
    bought = hold_days > 0
    if not bought.any():
        return _not_run("nobody bought in the holdout period", **window)
    predicted = float((clv.expected_avg_spend(gg, x[bought], m[bought]) * hold_days[bought]).sum())
    actual = float(hold_spend[bought].sum())
    if not actual > 0:
        return _not_run("the holdout purchases have no positive net value", **window)
    rel = (predicted - actual) / actual
    return {"passed": bool(abs(rel) <= SPEND_TOLERANCE), **window,
            "reason": (f"predicted spend of {predicted:,.0f} by the {int(bought.sum()):,} customers "
                       f"who bought in the holdout against {actual:,.0f} actual ({rel:+.0%}, "
                       f"tolerance ±{SPEND_TOLERANCE:.0%})"),
            "calibration_params": gg.params,
            "total": {"predicted": predicted, "actual": actual, "relative_error": rel,
                      "customers": int(bought.sum())}}


def holdout_checks(holdout: Holdout) -> tuple[dict, dict]:
    """The calibration/holdout checks of BG/NBD and of Gamma-Gamma.

    Parameters
    ----------
    holdout : Holdout
        The periods and their per-customer aggregates (:mod:`seglab.features.aggregates`).

    Returns
    -------
    bgnbd, gamma_gamma : dict
        ``passed`` (True, False, or None when the check could not run), ``reason``, the
        window (``calibration_end``, ``holdout_days``, ``customers``) and the numbers:
        BG/NBD ``total`` and ``buckets`` (per calibration frequency: customers, mean
        predicted and actual repeat purchase days, standard error, allowed difference);
        Gamma-Gamma ``total`` spend.
    """
    if holdout.cal_end is None:
        return _not_run(holdout.reason, rule=HOLDOUT_RULE), _not_run(holdout.reason, rule=HOLDOUT_RULE)
    cal, cal_end, days = holdout.calibration, holdout.cal_end, holdout.days
    who = cal.n_days > 0
    s = {k: v[who] for k, v in cal.summary(cal_end, "weeks").items()}
    window = {"rule": HOLDOUT_RULE, "calibration_end": _iso(cal_end), "holdout_days": days,
              "customers": int(who.sum())}
    bgnbd = _bgnbd_holdout(holdout.hold_n_days[who], s["frequency"], s["recency"], s["T"], days, window)
    spend = _spend_holdout(s["frequency"], s["monetary_value"], holdout.hold_n_days[who],
                           holdout.hold_net[who], window)
    return bgnbd, spend


def fit_problems(fit) -> list[str]:
    """Why a fit's parameters cannot be trusted, in words ([] when they can).

    Parameters on or within :data:`NEAR_BOUND` of the search box; for BG/NBD a mean
    drop-out chance per purchase below :data:`MIN_MEAN_DROPOUT` (the model would call
    every repeat buyer active however long ago they bought); for Gamma-Gamma ``q <= 1``
    (spend per purchase without a finite mean).
    """
    lo, hi = clv.PARAM_BOUNDS
    problems = []
    margin = np.log(NEAR_BOUND) + 1e-9  # in logs, so that 1e-5 counts as near 1e-6
    near = {name: value for name, value in fit.params.items()
            if np.log(value) <= np.log(lo) + margin or np.log(value) >= np.log(hi) - margin}
    if near:
        listed = ", ".join(f"{name} = {value:.3g}" for name, value in near.items())
        problems.append(f"{listed} at or near the bounds of the search ({lo:g} to {hi:g}): the "
                        "fit describes a degenerate population")
    if isinstance(fit, clv.BGNBDFit):
        dropout = fit.a / (fit.a + fit.b)
        if dropout < MIN_MEAN_DROPOUT:
            problems.append(f"mean drop-out chance after a purchase a/(a+b) = {dropout:.2g} "
                            f"(a = {fit.a:.3g}, b = {fit.b:.3g}) is below {MIN_MEAN_DROPOUT:g}: "
                            "the model sees practically nobody ever stop buying, so every repeat "
                            "buyer would look active however long ago they bought")
    if isinstance(fit, clv.GammaGammaFit) and not fit.q > 1:
        problems.append(f"q = {fit.q:.3g} <= 1: spend per purchase would have no finite mean")
    return problems


def health(fit, holdout: dict) -> dict:
    """The health record of one fitted model: every check, and whether it may be used.

    A check that could not run (a holdout on too short a history) does not fail the
    model; it is recorded with its reason.
    """
    problems = fit_problems(fit)
    checks = [
        {"check": "converged", "passed": bool(fit.converged), "detail": fit.message},
        {"check": "parameters", "passed": not problems,
         "detail": "; ".join(problems) or "inside the search bounds and plausible"},
        {"check": "holdout", "passed": holdout.get("passed"), "detail": holdout.get("reason")},
    ]
    failed = [c for c in checks if c["passed"] is False]
    return {"passed": not failed, "checks": checks, "holdout": holdout,
            "reason": "; ".join(f"{c['check']}: {c['detail']}" for c in failed) or None}
