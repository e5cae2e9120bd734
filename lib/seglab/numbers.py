"""Every number a client reads, rounded once and written one way.

Text, tables, charts and alt text all format through these functions, so one
quantity reads the same wherever it appears. Rounding is half away from zero
(207.5 → 208, as people round, where Python's ``round`` would give 208 but
``round(206.5)`` 206), on the value as stored — never on an already rounded
value (207.46 → 207.5 → 208 is the double rounding this module exists to stop).
Shares of a whole that are shown side by side are rounded together
(:func:`percents`) so that they add up to 100 %.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["integer", "money", "number", "percent", "percents", "rounded", "stored"]

#: Symbols of common ISO currency codes, written before the amount.
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CNY": "¥", "RMB": "¥", "JPY": "¥", "INR": "₹", "KRW": "₩",
           "HKD": "HK$", "AUD": "A$", "CAD": "C$", "SGD": "S$", "NZD": "NZ$", "BRL": "R$", "TWD": "NT$"}
#: How Chinese text names a currency after the amount (1,234元, 56美元).
ZH_UNITS = {"CNY": "元", "RMB": "元", "¥": "元", "USD": "美元", "$": "美元", "EUR": "欧元", "€": "欧元",
            "GBP": "英镑", "£": "英镑", "JPY": "日元", "HKD": "港元", "HK$": "港元", "TWD": "新台币"}


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x)))


def rounded(x, digits: int = 0) -> float:
    """``x`` rounded half away from zero to ``digits`` decimals (the one rounding rule)."""
    step = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(float(x))).quantize(step, rounding=ROUND_HALF_UP))


def stored(x, digits: int = 4):
    """A value as the run's JSON files keep it: rounded, with NaN and infinity as null."""
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else rounded(x, digits)


def number(x, digits: int | None = None) -> str:
    """A number as a client reads it: thousands separators, sensible decimals.

    ``digits`` fixes the decimals; by default large numbers get none, numbers
    below 100 one and numbers below 1 two, with trailing zeros dropped.
    Missing values are shown as "–".
    """
    if _missing(x):
        return "–"
    x = float(x)
    if digits is None:
        ax = abs(x)
        digits = 0 if ax >= 100 else 1 if ax >= 1 else 2
    text = f"{rounded(x, digits):,.{digits}f}"
    if digits and "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def integer(x) -> str:
    """A count or an index with thousands separators."""
    if _missing(x):
        return "–"
    text = f"{int(rounded(x)):,}"
    return text


def percent(share, digits: int = 0) -> str:
    """A share (0–1) as a percentage; "<1%" rather than a misleading "0%"."""
    if _missing(share):
        return "–"
    pct = 100.0 * float(share)
    if 0 < pct < 0.5 and digits == 0:
        return "<1%"
    value = rounded(pct, digits)
    return f"{0.0 if value == 0 else value:.{digits}f}%"


def percents(shares) -> list[str]:
    """Shares of one whole as whole percentages that add up to 100 (largest remainder).

    Each share gets its rounded-down percentage; the points still missing to
    100 go to the largest remainders (ties to the larger share, then the
    earlier one). A positive share that ends at 0 reads "<1%". Missing shares
    read "–"; when the shares do not make a whole (a negative share, or a sum
    away from 1) each is rounded on its own.
    """
    values = [None if _missing(s) else float(s) for s in shares]
    known = [v for v in values if v is not None]
    if not known or min(known) < 0 or abs(sum(known) - 1) > 1e-3:
        return [percent(v) for v in values]
    scaled = [100 * v / sum(known) for v in known]
    floors = [math.floor(v + 1e-9) for v in scaled]
    order = sorted(range(len(scaled)), key=lambda i: (-round(scaled[i] - floors[i], 9), -scaled[i], i))
    for i in order[: 100 - sum(floors)]:
        floors[i] += 1
    whole = iter(floors)
    out = []
    for v in values:
        if v is None:
            out.append("–")
            continue
        pct = next(whole)
        out.append("<1%" if pct == 0 and v > 0 else f"{pct}%")
    return out


def money(x, currency: str | None = None, language: str = "en") -> str:
    """An amount of money as a client reads it: ``€1,234``, ``1,234元``, ``1,234 CHF``.

    Whole units from 100 up, cents below. ``currency`` is ``report.currency`` (an
    ISO code or a symbol); without one the amount is a plain number. Chinese puts
    the currency's name after the amount for the currencies it names (元, 美元);
    elsewhere a known code becomes its symbol before the amount, an unknown code
    follows it.
    """
    if _missing(x):
        return "–"
    x = float(x)
    digits = 0 if abs(rounded(x, 2)) >= 100 or rounded(x, 2) == 0 else 2
    amount = f"{abs(rounded(x, digits)):,.{digits}f}"
    sign = "-" if rounded(x, digits) < 0 else ""
    if not currency:
        return sign + amount
    code = currency.strip()
    unit = ZH_UNITS.get(code.upper(), ZH_UNITS.get(code)) if language == "zh" else None
    if unit:
        return f"{sign}{amount}{unit}"
    symbol = SYMBOLS.get(code.upper()) if code.isalpha() else code
    if symbol is None:
        return f"{sign}{amount} {code.upper()}"
    return f"{sign}{symbol}{amount}"
