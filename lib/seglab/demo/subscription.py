"""Case study 5, a subscription service: sign-ups and monthly payments (``--scenario subscription``)."""

from __future__ import annotations

from seglab.demo.cases import GENDER_SPELLINGS, CaseGroup, CaseSpec
from seglab.demo.engine import IMPOSSIBLE_AGES

#: Customers in the committed data set (data/case_studies/subscription).
CUSTOMERS = 2500

PLANS = {"basic monthly": (28.0, 30.4), "premium monthly": (58.0, 30.4), "annual": (498.0, 365.25)}
_SUB_CITIES = {"Shanghai": 2, "Beijing": 2, "Shenzhen": 1.5, "Guangzhou": 1.5, "Hangzhou": 1, "Chengdu": 1, "Wuhan": 1}

SPEC = CaseSpec(
    name="subscription", order_column="payment_id", order_prefix="P", date_column="payment_date",
    customer_columns=("customer_id", "name", "email", "phone", "gender", "age", "city", "plan",
                      "acquisition_channel", "payment_method", "signup_date"),
    billing=("plan", PLANS),
    missing=("age", "acquisition_channel"), impossible={"age": IMPOSSIBLE_AGES},
    variants={"gender": GENDER_SPELLINGS,
              "plan": {"premium monthly": ("Premium", "高级月卡"), "basic monthly": ("Basic", "基础月卡"),
                       "annual": ("Annual", "年卡")}},
    groups=(
        CaseGroup("loyal_premium", 0.22, numbers={"age": ("int", 30, 50)},
                  categories={"city": _SUB_CITIES, "plan": {"premium monthly": 0.85, "annual": 0.15},
                              "acquisition_channel": {"referral": 0.45, "search": 0.35, "app store": 0.2},
                              "payment_method": {"alipay": 0.5, "wechat pay": 0.3, "credit card": 0.2}},
                  orders_per_year=6.0, order_amount=15, returns=0.01, new_share=0.1, tenure=3),
        CaseGroup("steady_basic", 0.24, numbers={"age": ("int", 22, 45)},
                  categories={"city": _SUB_CITIES, "plan": {"basic monthly": 1.0},
                              "acquisition_channel": {"app store": 0.4, "social ads": 0.3, "search": 0.3},
                              "payment_method": {"wechat pay": 0.6, "alipay": 0.4}},
                  orders_per_year=1.5, order_amount=12, returns=0.01, new_share=0.35, starts=(0.0, 0.7), tenure=1.5),
        CaseGroup("new_trialists", 0.14, numbers={"age": ("int", 18, 35)},
                  categories={"city": _SUB_CITIES, "plan": {"basic monthly": 0.7, "premium monthly": 0.3},
                              "acquisition_channel": {"social ads": 0.6, "app store": 0.3, "partner": 0.1},
                              "payment_method": {"wechat pay": 0.7, "alipay": 0.3}},
                  orders_per_year=4.0, order_amount=12, returns=0.03, new_share=1.0, starts=(0.86, 0.97)),
        CaseGroup("at_risk_high_value", 0.14, numbers={"age": ("int", 30, 55)},
                  categories={"city": _SUB_CITIES, "plan": {"premium monthly": 0.85, "annual": 0.15},
                              "acquisition_channel": {"search": 0.4, "referral": 0.3, "partner": 0.3},
                              "payment_method": {"credit card": 0.5, "alipay": 0.5}},
                  orders_per_year=5.0, order_amount=15, returns=0.01, new_share=0.2, starts=(0.0, 0.4), tenure=2.5,
                  stops=(0.8, 0.9)),
        CaseGroup("churned_early", 0.26, numbers={"age": ("int", 18, 40)},
                  categories={"city": _SUB_CITIES, "plan": {"basic monthly": 0.8, "premium monthly": 0.2},
                              "acquisition_channel": {"social ads": 0.5, "partner": 0.3, "app store": 0.2},
                              "payment_method": {"wechat pay": 0.6, "alipay": 0.4}},
                  orders_per_year=1.0, order_amount=10, returns=0.04, new_share=1.0, starts=(0.0, 0.7),
                  lifetime=(20, 160)),
    ),
)
