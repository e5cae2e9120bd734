"""A base that makes the BG/NBD purchase model degenerate (``--scenario lapsed_base``): a
wholesaler's accounts that order steadily and never leave, and a few repeat buyers who
ordered two or three times in a few weeks early on and never again.

Nobody in the steady majority drops out, so the BG/NBD likelihood is highest where the
chance of leaving after a purchase is nil: its drop-out parameters run to the bounds of the
search (as on a real retail log, a ≈ 1e-6 and b ≈ 25,000), and such a fit calls a customer
who last ordered a year and a half ago "still active". The planted group ``lapsed_repeat``
(customers_truth.csv) is what a run must not rate low risk: the fit fails its health checks
(:mod:`seglab.features.model_health`) and churn risk falls back to the recency rule.
Not committed as a data set: tests generate it.
"""

from __future__ import annotations

from seglab.demo.cases import GENDER_SPELLINGS, CaseGroup, CaseSpec
from seglab.demo.engine import IMPOSSIBLE_AGES

_CITIES = {"Beijing": 2.0, "Shanghai": 2.0, "Guangzhou": 1.0, "Chengdu": 1.0}
_TRADE = {"restaurant": 0.4, "grocer": 0.35, "hotel": 0.25}

SPEC = CaseSpec(
    name="lapsed_base",
    customer_columns=("customer_id", "name", "email", "phone", "gender", "age", "city", "trade", "signup_date"),
    missing=("age",), impossible={"age": IMPOSSIBLE_AGES}, variants={"gender": GENDER_SPELLINGS},
    groups=(
        CaseGroup("steady", 0.95, numbers={"age": ("int", 30, 60)}, categories={"city": _CITIES, "trade": _TRADE},
                  orders_per_year=2.0, order_amount=200, returns=0.01, new_share=0.3, starts=(0.0, 0.5), tenure=3),
        CaseGroup("lapsed_repeat", 0.05, numbers={"age": ("int", 25, 50)}, categories={"city": _CITIES, "trade": _TRADE},
                  orders_per_year=40.0, order_amount=150, returns=0.0, new_share=1.0, starts=(0.0, 0.25),
                  lifetime=(20, 45)),
    ),
)
