"""Plausibility by default: values that no ``cleaning.ranges`` excluded but that cannot be true,
or that would dominate every analysis on their own (docs/architecture.md §3, "Plausibility").

Exports carry typing errors, unit slips and placeholders that nobody declares a range for: a
birth year of 1899, an income of 1e308, an order a thousand times the usual one, a date of
1900-01-01. Each numeric and date column is checked without params:

- **magnitude**: ``|x| >= 1e15``. No customer attribute or order reaches a quadrillion in any
  currency, and such values overflow sums to ``inf``. Never used, whatever the policy.
- **human range**: a column named as an age holds 0-120; a birth year lies between 1900 and the
  reference date.
- **outlier fence** (columns without a human range): Tukey's far-out fences, 3 x IQR beyond the
  quartiles, on the scale that makes the bulk of the column most symmetric: a log scale for skewed
  money-like columns (so real heavy tails survive; there only the high side is checked, as a small
  value is no error), the plain scale for symmetric ones. A column where most values are equal
  (0 contacts, -1 for "never") is judged by its other values. On a skewed column, the few top
  values that stand five times above all others are outliers too (a slipped decimal hides under
  wide fences). A transaction amount is also absurd beyond 1,000 times the median amount,
  whichever limit is lower.
- **dates**: placeholder dates (1900-01-01, 1970-01-01) that stand out, and dates more than
  3 x IQR before the column's lower quartile that a gap (a year, or the IQR if longer) separates
  from the rest: a business that grew slowly has a thin but unbroken early history.

The column's policy (``cleaning.plausibility``) decides what happens; see :func:`policy`.
Findings go to ``quality.json`` (``plausibility``) with counts and examples, every changed value
to ``repairs.csv`` with its raw text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from seglab.clean.ledger import Ledger

MAX_MAGNITUDE = 1e15
FENCE_IQR = 3.0        # Tukey's "far out"
MIN_VALUES = 20        # fewer values say nothing about what is usual
SAMPLE = 1_000_000     # fences of longer columns come from every k-th value
GAP_RATIO = 5.0        # a top value this many times the next is cut off from the tail
GAP_SHARE = 0.005      # ... when the values above the gap are at most this share
AMOUNT_RATIO = 1000.0  # an order this many times the median one is absurd, whatever the spread
MIN_DATE_GAP = 365     # days: an early date must be cut off from the rest by at least this
AGE_RANGE = (0.0, 120.0)
FIRST_BIRTH_YEAR = 1900
PLACEHOLDER_DAYS = tuple(np.datetime64(d, "D") for d in ("1900-01-01", "1970-01-01"))
PLACEHOLDER_EXCESS = 20  # a placeholder date stands out when this many times more common than a usual day
EXAMPLES = 3


# =================================================================== detection (pure)

@dataclass(frozen=True)
class Fence:
    """The outlier fences of one column, on the scale they were computed on."""

    scale: str               # "linear", "log" or "signed log"
    low: float | None        # None: that side is not checked
    high: float | None

    def below(self, values: np.ndarray) -> np.ndarray:
        return np.zeros(len(values), bool) if self.low is None else np.nan_to_num(values, nan=self.low) < self.low

    def above(self, values: np.ndarray) -> np.ndarray:
        return np.zeros(len(values), bool) if self.high is None else np.nan_to_num(values, nan=self.high) > self.high

    def as_dict(self) -> dict:
        return {"scale": self.scale, "low": _plain(self.low), "high": _plain(self.high)}


def absurd(values: np.ndarray) -> np.ndarray:
    """Magnitudes no value can have: 1e15 or more, or not finite (NaN is missing, not absurd)."""
    v = np.asarray(values, float)
    return ~np.isnan(v) & ~(np.abs(v) < MAX_MAGNITUDE)


def _kelly(x: np.ndarray) -> float:
    """Kelly's quantile skewness: 0 for a symmetric bulk, whatever the tails do."""
    q10, q50, q90 = np.quantile(x, [0.1, 0.5, 0.9])
    return float((q90 + q10 - 2 * q50) / (q90 - q10)) if q90 > q10 else 0.0


def outlier_fence(values: np.ndarray, *, magnitudes: bool = False) -> Fence | None:
    """Far-out fences of a column, or None when it has too few distinct values to say.

    Parameters
    ----------
    values : array of float
        The column's usable values (NaN and absurd magnitudes are left out).
    magnitudes : bool
        Judge the size of each value on the log scale, high side only: transaction
        amounts, where returns are negative and a small line is no error.
    """
    full = np.asarray(values, float)
    v = full[:: -(-len(full) // SAMPLE)] if len(full) > SAMPLE else full  # quartiles of every k-th value
    v = v[np.isfinite(v) & (np.abs(v) < MAX_MAGNITUDE)]
    if magnitudes:
        v = np.abs(v[v != 0])
        fence = _fence(v, "log", 1.0) if len(v) >= MIN_VALUES else None
        if fence is not None:
            ratio_limit = float(np.nextafter(AMOUNT_RATIO * float(np.median(v)), 0))  # 1,000 times and more
            fence = Fence("log", None, min(fence.high, ratio_limit))
        return fence
    if len(v) < MIN_VALUES:
        return None
    core = v
    q1, q3 = np.quantile(v, [0.25, 0.75])
    middle = float(np.median(v))
    if q1 == q3:  # most values equal: the rest tell what is usual for the others
        core = v[v != middle]
        if len(core) < MIN_VALUES:
            return None
    ref = float(np.median(np.abs(core))) or float(np.mean(np.abs(core)))
    scales = ["linear", "log" if core.min() > 0 else "signed log"]
    scale = min(scales, key=lambda s: abs(_kelly(_to_scale(core, s, ref))))
    fence = _fence(core, scale, ref)
    if fence is None:
        return None
    # the usual value of a mostly-constant column is never an outlier
    low = None if fence.low is None else min(fence.low, middle)
    high = None if fence.high is None else max(fence.high, middle)
    if scale != "linear":  # a skewed column's fences are wide: a decimal slip above its top hides below them
        gap = _gap_limit(full[np.isfinite(full) & (np.abs(full) < MAX_MAGNITUDE)])
        if gap is not None:
            high = min(high, max(gap, middle))
    return Fence(fence.scale, low, high)


def _gap_limit(v: np.ndarray) -> float | None:
    """The largest value below a gap of :data:`GAP_RATIO` times that cuts off a few top values
    (at most :data:`GAP_SHARE` of them, and at least three may be cut off), or None.

    Real tails thin out gradually: in every numeric column of the public sample files the
    largest value is at most 2.9 times the next, and under a lognormal tail a five-fold gap at
    the top is a one-in-a-thousand event. A value five times every other one is a slipped
    decimal or a sentinel (99999). Under a Pareto tail as heavy as firm sizes (alpha near 1) a
    gap this size happens by chance in about one column in five: the finding is listed in the
    report, and ``cleaning.plausibility.columns.<col>: ignore`` keeps such a column as it is.
    """
    v = v[v > 0]
    k = max(3, int(GAP_SHARE * len(v)))
    if len(v) < MIN_VALUES or k >= len(v):
        return None
    top = np.sort(np.partition(v, len(v) - k - 1)[len(v) - k - 1:])  # the k + 1 largest, ascending
    cut = np.flatnonzero(top[1:] >= GAP_RATIO * top[:-1])
    return float(top[cut[0]]) if len(cut) else None


def _to_scale(x: np.ndarray, scale: str, ref: float) -> np.ndarray:
    if scale == "log":
        return np.log(x)
    if scale == "signed log":  # log-like beyond ref on both sides, linear around 0
        return np.arcsinh(x / ref)
    return x


def _from_scale(y: float, scale: str, ref: float) -> float:
    if scale == "log":
        return float(np.exp(y))
    if scale == "signed log":
        return float(ref * np.sinh(y))
    return float(y)


def _fence(core: np.ndarray, scale: str, ref: float) -> Fence | None:
    y = _to_scale(core, scale, ref)
    q1, q3 = np.quantile(y, [0.25, 0.75])
    iqr = q3 - q1
    if not iqr > 0:
        return None
    low = None if scale == "log" else _from_scale(q1 - FENCE_IQR * iqr, scale, ref)
    return Fence(scale, low, _from_scale(q3 + FENCE_IQR * iqr, scale, ref))


#: Words that may stand beside "age" or "birth year" in the name of a column about a person
#: ("customer_age", "Age (years)"); any other ("account_age_days", "car_age") means another quantity.
_PERSON_WORDS = {"customer", "client", "person", "user", "member", "buyer", "contact", "respondent", "holder",
                 "years", "year", "yrs", "in", "of", "the", "at", "current"}
#: Above this share of values outside the range, the column does not hold what its name says.
NOT_THE_QUANTITY = 0.2


def human_range(column: str, as_of: pd.Timestamp) -> tuple[str, float, float] | None:
    """The range a column's quantity can take when its name says it holds one:
    ``("age", 0, 120)`` or ``("birth year", 1900, <reference year>)``."""
    words = set(re.findall(r"[a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", column).casefold()))
    if "年龄" in column or ("age" in words and words - {"age"} <= _PERSON_WORDS):
        return ("age", *AGE_RANGE)
    if "出生年" in column or (words & {"yob", "birthyear"} or {"birth", "year"} <= words) and \
            words - {"yob", "birthyear", "birth"} <= _PERSON_WORDS:
        return ("birth year", float(FIRST_BIRTH_YEAR), float(as_of.year))
    return None


@dataclass(frozen=True)
class DateCheck:
    """Implausible dates of one column."""

    placeholder: np.ndarray
    early: np.ndarray
    earliest: np.datetime64 | None   # the first date after the gap (None: no date is early)


def check_dates(values: np.ndarray, usable: np.ndarray) -> DateCheck:
    """Placeholder dates that stand out, and dates far before the bulk of the column.

    A date is early when it lies more than 3 x IQR before the lower quartile and a gap of
    :data:`MIN_DATE_GAP` days (or the IQR, if longer) separates it from every later date.
    A placeholder date is one of :data:`PLACEHOLDER_DAYS` that is itself more than 3 x IQR
    before the lower quartile or is at least :data:`PLACEHOLDER_EXCESS` times as common as a
    usual day of the column (one customer born on 1 January 1970 is plausible; forty are a
    default value). Works on the count of each day, so twenty million dates take a moment.
    """
    days = np.asarray(values).astype("datetime64[D]").astype(np.int64)
    ok = np.asarray(usable, bool) & ~np.isnat(np.asarray(values))
    none = DateCheck(np.zeros(len(days), bool), np.zeros(len(days), bool), None)
    if not ok.any():
        return none
    kept = days[ok]
    first = int(kept.min())
    counts = np.bincount(kept - first)
    del kept
    marks = [int(d.astype(np.int64)) - first for d in PLACEHOLDER_DAYS]
    marks = [m for m in marks if 0 <= m < len(counts) and counts[m]]
    rest = counts.copy()
    rest[marks] = 0
    n = int(rest.sum())
    if n < MIN_VALUES:  # (almost) nothing but placeholders: a repeated one is still a placeholder
        flagged = [m for m in marks if counts[m] >= 3 and counts[m] > n]
        return DateCheck(_days_in(days, ok, flagged, first), none.early, None) if flagged else none
    cum = np.cumsum(rest)
    q05, q1, q3, q95 = (int(np.searchsorted(cum, q * n)) for q in (0.05, 0.25, 0.75, 0.95))
    iqr = q3 - q1
    if not iqr > 0:
        return none
    fence = q1 - FENCE_IQR * iqr
    distinct = np.flatnonzero(rest)
    head = distinct[: np.searchsorted(distinct, fence, side="left") + 1]  # below the fence, and one more
    gaps = np.flatnonzero(np.diff(head) >= max(MIN_DATE_GAP, iqr))
    earliest = int(head[gaps[-1] + 1]) if len(gaps) else None
    usual_per_day = n / max(1, q95 - q05)
    flagged = [m for m in marks if m < fence or (counts[m] >= 3 and counts[m] >= PLACEHOLDER_EXCESS * usual_per_day)]
    placeholder = _days_in(days, ok, flagged, first)
    early = (ok & (days < earliest + first) & ~placeholder) if earliest is not None else none.early
    return DateCheck(placeholder, early, np.datetime64(earliest + first, "D") if earliest is not None else None)


def _days_in(days: np.ndarray, ok: np.ndarray, offsets, first: int) -> np.ndarray:
    out = np.zeros(len(days), bool)
    for m in offsets:
        out |= ok & (days == m + first)
    return out


# =================================================================== policy and application

def policy(cfg, column: str) -> str:
    """The column's policy: ``flag`` (default), ``cap``, ``quarantine`` or ``ignore``.

    flag
        Outliers are reported and capped at the fence in the clean table, so that no
        analysis (clustering, profiles, revenue) is swung by them; impossible values (an
        age of 150, a placeholder date) are unusable and treated as missing.
    cap
        As flag, but impossible numbers are set to the nearest plausible value.
    quarantine
        The record (customers) or line (transactions) is set aside.
    ignore
        No check; a magnitude of 1e15 or more is still never used.

    The raw value of every changed cell stays in ``repairs.csv``.
    """
    p = cfg.cleaning.plausibility
    return p.columns.get(column, p.default)


class Findings:
    """What the checks found in one source, for ``quality.json``."""

    def __init__(self, led: Ledger):
        self.led = led
        self.checked: dict[str, dict] = {}
        self.found: list[dict] = []

    def column(self, column: str, **info) -> None:
        self.checked.setdefault(column, {}).update({k: _plain(v) for k, v in info.items()})

    def add(self, column: str, check: str, pos: np.ndarray, action: str, examples, **info) -> None:
        if not len(pos):
            return
        self.found.append({"column": column, "check": check, "count": int(len(pos)), "action": action,
                           "examples": list(examples), **{k: _plain(v) for k, v in info.items()}})

    def save(self) -> None:
        self.led.extra["plausibility"] = {"checked": self.checked, "findings": self.found}


def check_customer_numbers(cfg, led: Ledger, work: pd.DataFrame, columns, *, as_of: pd.Timestamp,
                           findings: Findings, personal=()) -> None:
    """Check the customer table's numeric columns in place (``work`` aligned with ``led.raw``).

    ``personal`` names columns whose values are never shown as examples.
    """
    quarantine = []
    for col in columns:
        if col not in work:
            continue
        p = policy(cfg, col)
        values = pd.to_numeric(work[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan).copy()
        findings.column(col, policy=p)
        show = col not in personal

        pos = np.flatnonzero(absurd(values) & led.alive)
        findings.add(col, "absurd_magnitude", pos, _action(p, impossible=True, capped=False),
                     _examples(led, col, pos, values, show), limit=MAX_MAGNITUDE)
        if p == "quarantine":
            quarantine.append(("absurd_magnitude", col, _mask(pos, led.n)))
        else:
            led.flag_invalid(pos, col, "absurd_magnitude", _old(led, col, pos, values))
            values[pos] = np.nan
        if p == "ignore":
            work[col] = values
            continue
        usable = led.alive & ~np.isnan(values) & ~_mask(pos, led.n)

        meaning = human_range(col, as_of)
        if meaning:
            name, lo, hi = meaning
            outside = usable & ((values < lo) | (values > hi))
            if outside.sum() > NOT_THE_QUANTITY * max(1, usable.sum()):
                findings.column(col, range_not_applied=f"{int(outside.sum())} of {int(usable.sum())} values are "
                                                      f"outside {lo:g}-{hi:g}, so they are not {name}s")
                meaning = None
        if meaning:  # a known range: an old customer is no statistical outlier
            findings.column(col, range=[lo, hi], means=name)
            pos = np.flatnonzero(outside)
            old = _old(led, col, pos, values)
            examples = _examples(led, col, pos, values, show)
            if p == "quarantine":
                quarantine.append(("implausible_value", col, _mask(pos, led.n)))
            elif p == "cap":
                values[pos] = np.clip(values[pos], lo, hi)
                led.repair(pos, col, "implausible_capped", old, values[pos])
            else:
                led.flag_invalid(pos, col, "implausible_value", old)
                values[pos] = np.nan
            findings.add(col, "implausible_value", pos, _action(p, impossible=True, capped=p == "cap"), examples,
                         range=[lo, hi], means=name)
            usable &= ~_mask(pos, led.n)

        fence = None if meaning else outlier_fence(values[usable])
        if fence is not None:
            findings.column(col, fence=fence.as_dict())
            for side, mask, limit in (("outlier_high", fence.above(values), fence.high),
                                      ("outlier_low", fence.below(values), fence.low)):
                pos = np.flatnonzero(usable & mask)
                examples = _examples(led, col, pos, values, show)
                if p == "quarantine":
                    quarantine.append(("outlier", col, _mask(pos, led.n)))
                elif len(pos):
                    old = _old(led, col, pos, values)
                    values[pos] = limit
                    led.repair(pos, col, "outlier_capped", old, values[pos])
                findings.add(col, side, pos, _action(p, impossible=False, capped=True), examples, limit=limit)
        work[col] = values
    led.quarantine(quarantine)


def check_customer_dates(cfg, led: Ledger, work: pd.DataFrame, columns, *, findings: Findings,
                         personal=()) -> None:
    """Placeholder and far-too-early dates of the customer table's date columns, in place."""
    quarantine = []
    for col in columns:
        if col not in work:
            continue
        p = policy(cfg, col)
        findings.column(col, policy=p)
        if p == "ignore":
            continue
        values = work[col].to_numpy(dtype="datetime64[ns]").copy()
        found = check_dates(values, led.alive)
        if found.earliest is not None:
            findings.column(col, earliest=str(found.earliest))
        for rule, mask in (("placeholder_date", found.placeholder), ("early_date", found.early)):
            pos = np.flatnonzero(mask)
            show = col not in personal or rule == "placeholder_date"
            findings.add(col, rule, pos, _action(p, impossible=True, capped=False),
                         _date_examples(values, pos, show), earliest=found.earliest if rule == "early_date" else None)
            if p == "quarantine":
                quarantine.append((rule, col, mask))
            else:
                led.flag_invalid(pos, col, rule, led.raw_text(col, pos))
                values[pos] = np.datetime64("NaT")
        work[col] = values
    led.quarantine(quarantine)


def check_lines(cfg, led: Ledger, frame: pd.DataFrame, *, amount_column: str, date_column: str,
                findings: Findings) -> None:
    """Check transaction dates and amounts in place; unusable lines are quarantined."""
    p = policy(cfg, date_column)
    findings.column(date_column, policy=p)
    if p != "ignore":
        values = frame["date"].to_numpy(dtype="datetime64[ns]")
        found = check_dates(values, led.alive)
        if found.earliest is not None:
            findings.column(date_column, earliest=str(found.earliest))
        for rule, mask in (("placeholder_date", found.placeholder), ("early_date", found.early)):
            pos = np.flatnonzero(mask)
            findings.add(date_column, rule, pos, "quarantined", _date_examples(values, pos, True),
                         earliest=found.earliest if rule == "early_date" else None)
            led.quarantine([(rule, date_column, mask)])
            led.invalid[date_column] += len(pos)

    amount = frame["amount"].to_numpy(dtype=float).copy()
    p = policy(cfg, amount_column)
    findings.column(amount_column, policy=p)
    pos = np.flatnonzero(absurd(amount) & led.alive)
    findings.add(amount_column, "absurd_magnitude", pos, "quarantined", _examples(led, amount_column, pos, amount, True),
                 limit=MAX_MAGNITUDE)
    led.quarantine([("absurd_magnitude", amount_column, _mask(pos, led.n))])
    if p != "ignore":
        fence = outlier_fence(amount[led.alive], magnitudes=True)
        if fence is not None:
            findings.column(amount_column, fence=fence.as_dict())
            pos = np.flatnonzero(led.alive & fence.above(np.abs(amount)))
            examples = _examples(led, amount_column, pos, np.abs(amount), True)
            if p == "quarantine":
                led.quarantine([("outlier", amount_column, _mask(pos, led.n))])
            elif len(pos):
                old = _old(led, amount_column, pos, amount)
                amount[pos] = np.sign(amount[pos]) * fence.high
                led.repair(pos, amount_column, "outlier_capped", old, amount[pos])
            findings.add(amount_column, "outlier_high", pos, _action(p, impossible=False, capped=True), examples,
                         limit=fence.high)
    frame["amount"] = amount


# =================================================================== helpers

def _action(p: str, *, impossible: bool, capped: bool) -> str:
    if p == "quarantine":
        return "quarantined"
    if capped:
        return "capped"
    return "set_missing" if impossible else "kept"


def _mask(pos: np.ndarray, n: int) -> np.ndarray:
    m = np.zeros(n, bool)
    m[pos] = True
    return m


def _old(led: Ledger, col: str, pos: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The raw text of changed cells (the computed value where the column is derived)."""
    raw = led.raw_text(col, pos) if col in led.raw else np.full(len(pos), None, dtype=object)
    return np.where(pd.isna(raw), values[pos].astype(object), raw)


def _examples(led: Ledger, col: str, pos: np.ndarray, values: np.ndarray, show: bool) -> list[str]:
    """Up to :data:`EXAMPLES` distinct raw texts of the flagged values, the most extreme first."""
    if not show or not len(pos):
        return []
    order = pos[np.argsort(-np.nan_to_num(np.abs(values[pos]), nan=np.inf), kind="stable")]
    texts = _old(led, col, order, values)
    return [str(t)[:40] for t in dict.fromkeys(texts)][:EXAMPLES]


def _date_examples(values: np.ndarray, pos: np.ndarray, show: bool) -> list[str]:
    if not show or not len(pos):
        return []
    days = np.sort(np.asarray(values)[pos].astype("datetime64[D]"))
    return [str(d) for d in dict.fromkeys(days.tolist())][:EXAMPLES]


def _plain(value):
    """JSON-ready: numpy scalars as Python numbers, dates as ISO text, non-finite as None."""
    if value is None:
        return None
    if isinstance(value, np.datetime64):
        return str(value.astype("datetime64[D]"))
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value
