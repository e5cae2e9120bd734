"""The value × risk nine-box: one named cell and default strategy per value and risk tier.

Reports and personas place customers and segments on this grid. The cells' names and
strategies are text of the language tables (seglab.i18n), like every client-facing word.
"""

from __future__ import annotations

from dataclasses import dataclass

from seglab import i18n
from seglab.errors import did_you_mean

__all__ = ["VALUE_TIERS", "RISK_TIERS", "PROSPECT", "RETURNS", "Cell", "CELLS", "cell_key", "cell_info"]

#: Value tiers, best first.
VALUE_TIERS = ("high", "mid", "low")
#: Risk tiers, most urgent first.
RISK_TIERS = ("high", "medium", "low")


@dataclass(frozen=True)
class Cell:
    """One cell of the grid: where it sits and how urgent it is.

    ``priority`` ranks where attention and budget go first (1 = first). Its name and
    default strategy are text in the language tables (``cell_<key>_name``,
    ``cell_<key>_strategy``), read by :func:`cell_info`.
    """

    key: str
    value_tier: str | None
    risk_tier: str | None
    priority: int


#: The nine cells in priority order (where attention and budget go first).
CELLS: tuple[Cell, ...] = tuple(
    Cell(f"{value}_value_{risk}_risk", value, risk, priority)
    for priority, (value, risk) in enumerate(
        (("high", "high"), ("high", "medium"), ("high", "low"), ("mid", "high"), ("mid", "medium"),
         ("mid", "low"), ("low", "low"), ("low", "medium"), ("low", "high")), start=1)
)

#: The cell of customers without any purchase, outside the grid.
PROSPECT = Cell("prospect", None, None, 10)

#: The cell of customers whose returns cancel their purchases (only returns, or net spend at
#: or below zero), outside the grid: not prospects to welcome, not buyers to reward.
RETURNS = Cell("returns", None, None, 11)

_BY_KEY = {cell.key: cell for cell in (*CELLS, PROSPECT, RETURNS)}
_BY_TIERS = {(cell.value_tier, cell.risk_tier): cell.key for cell in CELLS}


def cell_key(value_tier: str, risk_tier: str) -> str:
    """The key of the grid cell for a value tier and a risk tier.

    Parameters
    ----------
    value_tier : {"high", "mid", "low"}
    risk_tier : {"high", "medium", "low"}

    Returns
    -------
    str
        For example ``"high_value_high_risk"``.
    """
    if value_tier not in VALUE_TIERS:
        raise ValueError(f"value_tier must be one of {VALUE_TIERS}, got {value_tier!r}"
                         + did_you_mean(value_tier, VALUE_TIERS))
    if risk_tier not in RISK_TIERS:
        raise ValueError(f"risk_tier must be one of {RISK_TIERS}, got {risk_tier!r}"
                         + did_you_mean(risk_tier, RISK_TIERS))
    return _BY_TIERS[(value_tier, risk_tier)]


def cell_info(key: str, language: str = "en") -> dict:
    """What a cell means, in one language.

    Parameters
    ----------
    key : str
        A key from :data:`CELLS`, ``"prospect"`` or ``"returns"``.
    language : {"en", "zh"}, default="en"

    Returns
    -------
    dict
        ``key``, ``value_tier``, ``risk_tier``, ``priority``, ``name``, ``strategy``.
    """
    try:
        cell = _BY_KEY[key]
    except KeyError:
        raise ValueError(f"unknown value x risk cell {key!r}"
                         + did_you_mean(key, _BY_KEY)) from None
    return {"key": cell.key, "value_tier": cell.value_tier, "risk_tier": cell.risk_tier,
            "priority": cell.priority, "name": i18n.t(f"cell_{key}_name", language),
            "strategy": i18n.t(f"cell_{key}_strategy", language)}
