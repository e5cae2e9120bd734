"""Treatment versus control: the difference a campaign made, with 95 % confidence intervals.

Two quantities per group of customers (docs/architecture.md §5):

- **Response rate uplift** — the difference of two proportions, with Newcombe's hybrid
  score interval (Newcombe 1998, method 10) built from the two Wilson score intervals.
  Unlike the textbook Wald interval it keeps its coverage with small groups and with rates
  near 0 % or 100 %, which campaign response rates usually are.
- **Revenue per customer uplift** — the difference of two means (customers who did not
  respond count with zero revenue), with Welch's t interval (unequal variances,
  Welch–Satterthwaite degrees of freedom): control groups are small and their variance
  differs from the treated group's.

Intervals are per group and not adjusted for the number of groups compared.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
RESPONSE_METHOD = "Newcombe hybrid score interval (Wilson score intervals of each rate)"
REVENUE_METHOD = "Welch t interval (unequal variances)"


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def wilson_interval(successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval of a proportion (no continuity correction).

    Returns ``(nan, nan)`` for an empty group.
    """
    if n <= 0:
        return math.nan, math.nan
    z = _z(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_interval(x1: int, n1: int, x0: int, n0: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Newcombe's hybrid score interval for ``x1/n1 - x0/n0`` (method 10 of Newcombe 1998)."""
    if n1 <= 0 or n0 <= 0:
        return math.nan, math.nan
    p1, p0 = x1 / n1, x0 / n0
    l1, u1 = wilson_interval(x1, n1, confidence)
    l0, u0 = wilson_interval(x0, n0, confidence)
    d = p1 - p0
    return d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)


def welch_interval(treated: np.ndarray, control: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Welch's t interval for ``mean(treated) - mean(control)``.

    Two groups without any spread (every customer spent the same) give the
    difference itself as both ends; fewer than two customers in a group give NaN.
    """
    t, c = np.asarray(treated, float), np.asarray(control, float)
    if len(t) < 2 or len(c) < 2:
        return math.nan, math.nan
    d = float(t.mean() - c.mean())
    vt, vc = t.var(ddof=1) / len(t), c.var(ddof=1) / len(c)
    se2 = vt + vc
    if se2 == 0:
        return d, d
    df = se2 ** 2 / (vt ** 2 / (len(t) - 1) + vc ** 2 / (len(c) - 1))
    half = float(stats.t.ppf(0.5 + confidence / 2, df)) * math.sqrt(se2)
    return d - half, d + half


@dataclass(frozen=True)
class Uplift:
    """Treatment versus control for one group of customers."""

    treated: int
    control: int
    responders_treated: int
    responders_control: int
    rate_treated: float
    rate_control: float
    rate_uplift: float
    rate_uplift_low: float
    rate_uplift_high: float
    revenue_treated: float  # per customer
    revenue_control: float
    revenue_uplift: float
    revenue_uplift_low: float
    revenue_uplift_high: float

    def as_dict(self) -> dict:
        """Plain numbers (NaN as None) for JSON."""
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(self).items()}


def uplift(responded_treated, responded_control, revenue_treated=None, revenue_control=None,
           confidence: float = CONFIDENCE) -> Uplift:
    """Response rate and revenue per customer, treated versus control, with intervals.

    Parameters
    ----------
    responded_treated, responded_control : array of bool
        One value per customer of each group (non-responders included).
    revenue_treated, revenue_control : array of float, optional
        Campaign revenue per customer of each group, zero for non-responders;
        without them the revenue figures are NaN.
    """
    rt, rc = np.asarray(responded_treated, bool), np.asarray(responded_control, bool)
    nt, nc = len(rt), len(rc)
    xt, xc = int(rt.sum()), int(rc.sum())
    pt = xt / nt if nt else math.nan
    pc = xc / nc if nc else math.nan
    low, high = newcombe_interval(xt, nt, xc, nc, confidence)
    if revenue_treated is None or revenue_control is None:
        mt = mc = dm = mlow = mhigh = math.nan
    else:
        vt, vc = np.asarray(revenue_treated, float), np.asarray(revenue_control, float)
        mt = float(vt.mean()) if nt else math.nan
        mc = float(vc.mean()) if nc else math.nan
        dm = mt - mc
        mlow, mhigh = welch_interval(vt, vc, confidence)
    return Uplift(nt, nc, xt, xc, pt, pc, pt - pc, low, high, mt, mc, dm, mlow, mhigh)
