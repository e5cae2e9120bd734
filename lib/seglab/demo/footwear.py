"""Case study 4, sports footwear: demographics, survey answers, devices and platforms (``--scenario footwear``)."""

from __future__ import annotations

from seglab.demo.cases import GENDER_SPELLINGS, CaseGroup, CaseSpec
from seglab.demo.engine import IMPOSSIBLE_AGES

#: Customers in the committed data set (data/case_studies/footwear).
CUSTOMERS = 3000

_LIKERT = ("tech_enthusiasm", "style_importance", "durability_importance", "price_sensitivity")


def _survey(tech, style, durability, price, sd=0.7) -> dict:
    return {c: ("likert", m, sd) for c, m in zip(_LIKERT, (tech, style, durability, price))}


SPEC = CaseSpec(
    name="footwear",
    extreme_value="income", mixed_dates="signup_date",
    customer_columns=("customer_id", "name", "email", "phone", "gender", "age", "city", "income", "activity",
                      "lifestyle", "core_value", *_LIKERT, "device", "platform", "signup_date"),
    missing=("age", "income", "lifestyle"), impossible={"age": IMPOSSIBLE_AGES},
    variants={"gender": GENDER_SPELLINGS,
              "platform": {"tmall": ("Tmall", "天猫"), "jd": ("JD.com", "京东"), "wechat": ("WeChat", "微信小程序"),
                           "douyin": ("Douyin", "抖音"), "brand app": ("Brand App", "品牌App"),
                           "store": ("Store", "门店")}},
    groups=(
        CaseGroup("young_tech_runners", 0.28, male=0.6,
                  numbers={"age": ("int", 18, 30), "income": ("log", 110, 0.3), **_survey(4.5, 4.0, 2.5, 2.5)},
                  categories={"city": {"Shanghai": 3, "Shenzhen": 2.5, "Beijing": 2, "Hangzhou": 1.5},
                              "activity": {"running": 0.8, "gym": 0.2},
                              "lifestyle": {"urban active": 0.75, "fashion-forward": 0.25},
                              "core_value": {"innovation": 0.6, "style": 0.3, "comfort": 0.1},
                              "device": {"iphone": 0.7, "android": 0.25, "desktop": 0.05},
                              "platform": {"brand app": 0.5, "douyin": 0.3, "tmall": 0.2}},
                  orders_per_year=5.0, order_amount=680, returns=0.05, season="festivals", new_share=0.35),
        CaseGroup("midage_hikers", 0.22, male=0.65,
                  numbers={"age": ("int", 40, 58), "income": ("log", 240, 0.3), **_survey(2.0, 2.0, 4.7, 3.0)},
                  categories={"city": {"Chengdu": 3, "Kunming": 3, "Chongqing": 2, "Xian": 1.5},
                              "activity": {"hiking": 0.8, "walking": 0.2},
                              "lifestyle": {"outdoor adventurer": 0.85, "family-focused": 0.15},
                              "core_value": {"durability": 0.7, "comfort": 0.2, "value for money": 0.1},
                              "device": {"android": 0.45, "desktop": 0.4, "iphone": 0.15},
                              "platform": {"jd": 0.5, "store": 0.4, "tmall": 0.1}},
                  orders_per_year=2.0, order_amount=1150, returns=0.04, season="outdoor", new_share=0.2, tenure=3),
        CaseGroup("fashion_sneakerheads", 0.18, male=0.45,
                  numbers={"age": ("int", 19, 33), "income": ("log", 140, 0.3), **_survey(3.3, 4.8, 2.0, 2.2)},
                  categories={"city": {"Shanghai": 2, "Guangzhou": 2, "Hangzhou": 1.5, "Wuhan": 1.5, "Beijing": 1},
                              "activity": {"casual": 0.7, "gym": 0.3},
                              "lifestyle": {"fashion-forward": 0.85, "urban active": 0.15},
                              "core_value": {"style": 0.75, "innovation": 0.15, "comfort": 0.1},
                              "device": {"iphone": 0.65, "android": 0.35},
                              "platform": {"douyin": 0.55, "tmall": 0.35, "brand app": 0.1}},
                  orders_per_year=6.0, order_amount=850, returns=0.22, season="festivals", new_share=0.4),
        CaseGroup("value_walkers", 0.20, male=0.4,
                  numbers={"age": ("int", 45, 70), "income": ("log", 90, 0.3), **_survey(1.6, 2.2, 3.6, 4.7)},
                  categories={"city": {"Wuhan": 2, "Chongqing": 2, "Xian": 2, "Beijing": 1, "Chengdu": 1},
                              "activity": {"walking": 0.8, "casual": 0.2},
                              "lifestyle": {"family-focused": 0.6, "homebody": 0.4},
                              "core_value": {"value for money": 0.7, "comfort": 0.3},
                              "device": {"android": 0.7, "iphone": 0.2, "desktop": 0.1},
                              "platform": {"wechat": 0.6, "tmall": 0.3, "store": 0.1}},
                  orders_per_year=2.0, order_amount=320, returns=0.04, season="new_year", new_share=0.2, tenure=3),
        CaseGroup("lapsed_casuals", 0.12, male=0.5,
                  numbers={"age": ("int", 25, 55), "income": ("log", 120, 0.35), **_survey(2.8, 3.0, 3.0, 3.5, sd=1.0)},
                  categories={"city": dict.fromkeys(("Shanghai", "Beijing", "Wuhan", "Chengdu", "Guangzhou", "Xian"), 1.0),
                              "activity": {"casual": 0.5, "walking": 0.3, "running": 0.2},
                              "lifestyle": {"homebody": 0.5, "family-focused": 0.3, "urban active": 0.2},
                              "core_value": {"comfort": 0.5, "value for money": 0.3, "style": 0.2},
                              "device": {"android": 0.5, "iphone": 0.4, "desktop": 0.1},
                              "platform": {"tmall": 0.5, "jd": 0.3, "store": 0.2}},
                  orders_per_year=3.0, order_amount=400, returns=0.06, new_share=0.2,
                  starts=(0.0, 0.25), stops=(0.1, 0.45)),
    ),
)
