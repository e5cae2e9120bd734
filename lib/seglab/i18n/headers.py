"""Column headers as words a client reads: "Annual Income (k$)" → "annual income", "MntWines" → "spend on wines".

Exports name columns for machines (CamelCase, snake_case, units and scales in
brackets, abbreviations). A report names them in words: the unit or scale is
dropped (it is a property of the numbers, not of the thing), words are split and
lower-cased (acronyms stay), and the abbreviations common in CRM exports are
spelled out. :func:`slug` gives the key under which the string tables may hold a
translation ("Annual Income (k$)" → ``annual_income`` → 年收入).
"""

from __future__ import annotations

import re

__all__ = ["humanise", "slug"]

# Units, scales and notes in brackets: "(k$)", "(1-100)", "[cm]", "（元）".
_BRACKETS = re.compile(r"\s*[\(\[（【][^\)\]）】]*[\)\]）】]\s*")
# "MntWines" → "Mnt Wines"; "customerID" → "customer ID"; "NumWebPurchases" → "Num Web Purchases".
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[_\.\-/\s]+")
# Abbreviations that open a header and become a phrase around the rest.
_PREFIXES = {"mnt": "spend on", "amt": "amount of", "num": "number of", "nb": "number of", "cnt": "number of",
             "n": "number of", "pct": "share of", "perc": "share of", "avg": "average", "tot": "total"}
# Abbreviations and known misspellings of single words.
_WORDS = {"avg": "average", "qty": "quantity", "yr": "year", "yrs": "years", "dt": "date", "cust": "customer",
          "acct": "account", "amt": "amount", "rev": "revenue", "freq": "frequency", "addr": "address",
          "tel": "phone", "dob": "birth date", "no": "number", "num": "number", "pct": "percent",
          "mnt": "spend", "mins": "minutes", "min": "minimum", "max": "maximum", "hh": "household",
          "delicassen": "delicatessen", "kidhome": "children at home", "teenhome": "teenagers at home",
          "dt_customer": "customer since", "detergents_paper": "detergents and paper", "cmp": "campaign",
          "pdays": "days since last contact"}


def humanise(header: str) -> str:
    """A column header in plain words (lower case, acronyms kept); non-Latin headers pass unchanged.

    Examples
    --------
    >>> humanise("Annual Income (k$)"), humanise("MntWines"), humanise("Spending Score (1-100)")
    ('annual income', 'spend on wines', 'spending score')
    """
    text = str(header)
    stripped = _BRACKETS.sub(" ", text).strip() or text
    if not stripped.isascii():
        return stripped
    if stripped.casefold() in _WORDS:
        return _WORDS[stripped.casefold()]
    words = [w for w in _SEPARATORS.split(_CAMEL.sub(" ", stripped)) if w]
    if not words:
        return text
    out = []
    for i, word in enumerate(words):
        low = word.casefold()
        if i == 0 and low in _PREFIXES and len(words) > 1:
            out.append(_PREFIXES[low])
        elif low in _WORDS:
            out.append(_WORDS[low])
        elif len(word) > 1 and word.isupper() and low != "id":
            out.append(word)  # an acronym: GDP, CLV, VIP
        elif low == "id":
            out.append("ID")
        else:
            out.append(low)
    return " ".join(out)


def slug(header: str) -> str:
    """The string-table key of a header: its humanised words joined by ``_`` ("annual_income")."""
    return re.sub(r"\s+", "_", humanise(header).casefold())
