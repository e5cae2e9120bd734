"""The value × risk nine-box: one named cell and default strategy per value and risk tier.

Reports and personas place customers and segments on this grid; the text exists in
English and Chinese so a report in either language reads the same cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from seglab.errors import did_you_mean

__all__ = ["VALUE_TIERS", "RISK_TIERS", "LANGUAGES", "PROSPECT", "Cell", "CELLS",
           "cell_key", "cell_info"]

#: Value tiers, best first.
VALUE_TIERS = ("high", "mid", "low")
#: Risk tiers, most urgent first.
RISK_TIERS = ("high", "medium", "low")
LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class Cell:
    """One cell of the grid: where it sits, how urgent it is, and what to do there.

    ``priority`` ranks where attention and budget go first (1 = first).
    ``name`` and ``strategy`` map a language code to text.
    """

    key: str
    value_tier: str | None
    risk_tier: str | None
    priority: int
    name: MappingProxyType
    strategy: MappingProxyType


def _cell(value, risk, priority, name_en, name_zh, strategy_en, strategy_zh):
    return Cell(f"{value}_value_{risk}_risk", value, risk, priority,
                MappingProxyType({"en": name_en, "zh": name_zh}),
                MappingProxyType({"en": strategy_en, "zh": strategy_zh}))


#: The nine cells in priority order (where attention and budget go first).
CELLS: tuple[Cell, ...] = (
    _cell("high", "high", 1, "Win back first", "优先挽回",
          "Act now: personal outreach from a named contact, exclusive offers, and a "
          "conversation about what went wrong.",
          "立即行动：由专属顾问一对一联系，提供专属优惠，并了解流失原因。"),
    _cell("high", "medium", 2, "Retain", "重点维系",
          "Reinforce loyalty before it slips: VIP perks, early access, proactive service "
          "check-ins.",
          "在关系松动前加固忠诚度：VIP 权益、新品优先体验、主动服务回访。"),
    _cell("high", "low", 3, "Grow", "深耕增长",
          "Raise purchase frequency and basket size: cross-sell, premium ranges, "
          "referral rewards.",
          "提升购买频次和客单价：交叉销售、高端产品线、推荐奖励。"),
    _cell("mid", "high", 4, "Reactivate", "唤醒召回",
          "Time-limited, personalised incentives and a reminder sequence to bring them "
          "back.",
          "限时个性化激励，配合提醒序列，促使其回购。"),
    _cell("mid", "medium", 5, "Nurture", "持续培育",
          "Personalised recommendations and bundles that nudge the next purchase.",
          "通过个性化推荐和组合套餐，推动下一次购买。"),
    _cell("mid", "low", 6, "Upgrade", "升级培养",
          "Upsell and membership offers that move them into the high-value tier.",
          "通过升级销售和会员计划，推动其进入高价值层级。"),
    _cell("low", "low", 7, "Develop cheaply", "低成本发展",
          "Low-cost digital engagement; test offers that could raise their value.",
          "以低成本数字化触达为主，测试能提升其价值的优惠。"),
    _cell("low", "medium", 8, "Automate", "自动化运营",
          "Automated, low-cost campaigns only; no individual effort.",
          "仅使用自动化、低成本的营销活动，不投入人工跟进。"),
    _cell("low", "high", 9, "Let go / low-cost automation", "顺其自然 / 低成本自动化",
          "Do not spend to keep them; leave them in low-cost automated flows.",
          "不为挽留投入成本，仅保留在低成本自动化流程中。"),
)

#: The cell of customers without any purchase, outside the grid.
PROSPECT = Cell("prospect", None, None, 10,
                MappingProxyType({"en": "Prospect", "zh": "潜在客户"}),
                MappingProxyType({
                    "en": "Convert: a welcome offer and onboarding that lead to a first purchase.",
                    "zh": "促成首单：通过欢迎礼遇和新客引导，推动首次购买。"}))

_BY_KEY = {cell.key: cell for cell in (*CELLS, PROSPECT)}
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
        A key from :data:`CELLS` or ``"prospect"``.
    language : {"en", "zh"}, default="en"

    Returns
    -------
    dict
        ``key``, ``value_tier``, ``risk_tier``, ``priority``, ``name``, ``strategy``.
    """
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    try:
        cell = _BY_KEY[key]
    except KeyError:
        raise ValueError(f"unknown value x risk cell {key!r}"
                         + did_you_mean(key, _BY_KEY)) from None
    return {"key": cell.key, "value_tier": cell.value_tier, "risk_tier": cell.risk_tier,
            "priority": cell.priority, "name": cell.name[language],
            "strategy": cell.strategy[language]}
