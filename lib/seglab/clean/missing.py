"""Missing values: filled by the column's strategy, unless another column explains them.

A blank is not always unknown. In a subscription export every blank ``total_charges`` belongs to
a customer whose ``tenure`` is 0: nothing was charged yet, so the truth is 0, and the column's
median would invent money. :func:`explained_by_zero` finds such a column; the blanks are then
filled with 0 under a stated rule (``quality.json`` ``imputation``), unless the params give the
column a strategy of their own. Every fill is in ``repairs.csv``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from seglab.clean.ledger import Ledger
from seglab.clean.standardise import fold_text

#: The share of rows with the explaining column at 0 among rows whose value is present must
#: be at most this (0 is what marks the blanks, not a common value) ...
EXPLAINING_ZERO_SHARE = 0.01
#: ... and the blanks must be unlikely to all sit on a 0 by chance: share ** blanks below this.
CHANCE = 1e-3
#: The value must grow with the explaining column (Spearman rank correlation at least this),
#: so that at 0 it is 0.
MIN_RANK_CORRELATION = 0.5


def explained_by_zero(target: pd.Series, blank: np.ndarray, others: dict[str, pd.Series],
                      rows: np.ndarray) -> dict | None:
    """The column whose value 0 explains every blank of ``target``, or None.

    Parameters
    ----------
    target : Series of float
        The column with blanks.
    blank : bool array
        Cells of ``target`` missing as written.
    others : dict of name -> Series of float
        Candidate explaining columns (same rows).
    rows : bool array
        The rows to judge (those still in the analysis).

    Returns
    -------
    dict or None
        ``{"column", "blanks", "share_zero_elsewhere", "rank_correlation"}`` of the best candidate.
    """
    blank = np.asarray(blank, bool) & rows
    if not blank.any():
        return None
    x = pd.to_numeric(target, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    present = rows & ~np.isnan(x)
    if present.sum() < 10 or (x[present] < 0).any():
        return None
    best = None
    for name, series in others.items():
        y = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        if not (y[blank] == 0).all():
            continue
        both = present & ~np.isnan(y)
        if both.sum() < 10:
            continue
        share = float((y[both] == 0).mean())
        if share > EXPLAINING_ZERO_SHARE or share ** int(blank.sum()) > CHANCE:
            continue
        zero_rows = both & (y == 0)
        if zero_rows.any() and np.median(x[zero_rows]) != 0:
            continue  # where the value is known at 0, it is not 0: the blanks are something else
        rho = pd.Series(x[both]).corr(pd.Series(y[both]), method="spearman")
        if not rho >= MIN_RANK_CORRELATION:
            continue
        if best is None or rho > best["rank_correlation"]:
            best = {"column": name, "blanks": int(blank.sum()), "share_zero_elsewhere": round(share, 4),
                    "rank_correlation": round(float(rho), 3)}
    return best


def _strategy(cfg, col: str, kind: str):
    m = cfg.cleaning.missing
    spec = m.columns.get(col, getattr(m, kind))
    if isinstance(spec, str):
        return spec, None
    return spec.strategy, spec.value


def impute(cfg, led: Ledger, work: pd.DataFrame) -> None:
    """Fill or quarantine what is still missing, per column or per column type.

    A numeric column without a strategy of its own whose blanks are all explained by
    another numeric column being 0 is filled with 0 (rule ``explained_zero``).
    """
    c = cfg.columns
    kinds = [(col, "numeric") for col in c.numeric] + [(col, "categorical") for col in c.categorical] + \
            [(col, "dates") for col in c.dates]
    if c.birth_date and "age" not in c.numeric:
        kinds.append(("age", "numeric"))
    led.extra["imputation"] = {}
    numeric = {col: work[col] for col, kind in kinds if kind == "numeric" and col in work}
    quarantine = []
    for col, kind in kinds:
        if col not in work:
            continue
        strategy, value = _strategy(cfg, col, kind)
        miss = work[col].isna().to_numpy() & led.alive
        if kind == "numeric" and col not in cfg.cleaning.missing.columns and strategy != "keep" and miss.any():
            gaps = led.gaps.get(col)
            blank = gaps["missing"] if gaps else miss
            why = explained_by_zero(work[col], blank, {k: v for k, v in numeric.items() if k != col}, led.alive)
            if why:
                zero = np.flatnonzero(blank & miss)
                work.loc[zero, col] = 0.0
                led.repair(zero, col, "explained_zero", led.raw_text(col, zero), 0.0)
                led.extra["imputation"][col] = {"strategy": "zero", "value": 0.0, "explained_by": why["column"],
                                                "count": int(len(zero)), **why}
                miss = work[col].isna().to_numpy() & led.alive  # unusable values still take the strategy
        if strategy == "quarantine":
            quarantine.append(("missing_value", col, miss))
            continue
        if strategy == "keep" or not miss.any():
            continue
        live = work[col][led.alive].dropna()
        if strategy == "constant":
            fill = value
        elif strategy == "zero":
            fill = 0.0
        elif not len(live):
            continue
        elif strategy in ("median", "mean") and kind != "categorical":
            fill = live.median() if strategy == "median" else live.mean()
        else:  # mode; also median/mean asked of a categorical column
            counts = live.value_counts()
            fill = sorted(counts[counts == counts.max()].index)[0]
        pos = np.flatnonzero(miss)
        old = led.raw_text(col, pos)
        if kind == "dates":
            fill = pd.Timestamp(fill)
        elif kind == "numeric":
            fill = float(fill)
        else:
            fill = fold_text(str(fill))
        work.loc[pos, col] = fill
        led.repair(pos, col, "imputed", old, fill)
        shown = fill.date().isoformat() if isinstance(fill, pd.Timestamp) else fill
        entry = {"strategy": strategy, "value": shown}
        if col in led.extra["imputation"]:  # blanks explained by a zero, unusable values by the strategy
            led.extra["imputation"][col]["others"] = {**entry, "count": int(len(pos))}
        else:
            led.extra["imputation"][col] = entry
    led.quarantine(quarantine)
