"""Churn risk: one measure per customer, and the rule that gave it.

``churn_risk`` is the estimated chance that a customer has stopped buying.  It comes from
one of three rules, recorded per customer as ``churn_risk_basis``:

- ``bgnbd``: 1 - P(alive) of a BG/NBD model that passed its health checks
  (:mod:`seglab.features.model_health`), for customers with a repeat purchase day;
- ``recency``: time since the last purchase against the lifecycle thresholds, for
  one-time buyers (whom BG/NBD cannot see drop out) and for everybody when no model is used;
- ``overdue``: a repeat buyer far past their own usual gap between purchases is at risk
  whatever the model says (see :data:`OVERDUE_RULE`).

The report shows only ``churn_risk``: P(alive) stays in ``features.parquet`` for analysts,
because "36 % still active" beside "92 % churn risk" reads as a contradiction.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BASES", "OVERDUE_MULTIPLE", "OVERDUE_MAX_ALIVE", "RECENCY_RULE", "OVERDUE_RULE",
           "recency_risk", "usual_gap", "is_overdue"]

#: Every value of ``churn_risk_basis``.
BASES = ("bgnbd", "recency", "overdue")

#: A repeat buyer is overdue beyond this many usual gaps since the last purchase ...
OVERDUE_MULTIPLE = 3
#: ... and then has at most this chance of still buying (churn risk at least 1 minus it).
OVERDUE_MAX_ALIVE = 0.5

RECENCY_RULE = ("0 up to active_days since the last purchase, rising linearly to 1 at "
                "churned_days (the lifecycle thresholds)")
OVERDUE_RULE = (
    f"a repeat buyer whose time since the last purchase is more than {OVERDUE_MULTIPLE} times "
    "their usual gap (first to last purchase day over the repeat purchase days) and longer "
    "than the median usual gap of all repeat buyers is overdue: their chance of still buying "
    f"is at most {OVERDUE_MAX_ALIVE:g} and their churn risk at least {1 - OVERDUE_MAX_ALIVE:g}, "
    "whatever the model says, so an overdue customer is never rated low risk"
)


def recency_risk(recency, thresholds) -> np.ndarray:
    """0 within ``active_days`` of the last purchase, rising linearly to 1 at ``churned_days``."""
    active, churned = thresholds["active_days"], thresholds["churned_days"]
    return np.clip((np.asarray(recency, dtype=np.float64) - active) / (churned - active), 0.0, 1.0)


def usual_gap(n_days, first_day, last_day) -> np.ndarray:
    """Mean days between purchase days; NaN for customers with fewer than two."""
    n_days = np.asarray(n_days, dtype=np.float64)
    span = np.asarray(last_day, dtype=np.float64) - np.asarray(first_day, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n_days >= 2, span / (n_days - 1), np.nan)


def is_overdue(n_days, first_day, last_day, recency) -> tuple[np.ndarray, float | None]:
    """Which customers are overdue (:data:`OVERDUE_RULE`), and the median usual gap used.

    The median gap keeps two purchases on consecutive days from making a customer
    "overdue" a few days later: the silence must also be long for the base as a whole.
    The cap is a guard, not a model: on the CDNOW sample, a third of the repeat buyers
    more than three gaps overdue at the end of the paper's calibration period bought
    again in the 39 weeks that followed, so a lower cap would contradict real data.
    """
    gap = usual_gap(n_days, first_day, last_day)
    known = np.isfinite(gap)
    if not known.any():
        return np.zeros(len(gap), bool), None
    median = float(np.median(gap[known]))
    recency = np.asarray(recency, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return known & (recency > OVERDUE_MULTIPLE * gap) & (recency > median), median
