"""Case study 1, a retail chain: geography, climate and seasonality (``--scenario retail_chain``)."""

from __future__ import annotations

import numpy as np

from seglab.demo.cases import GENDER_SPELLINGS, REGION_ZH, CaseGroup, CaseSpec
from seglab.demo.engine import IMPOSSIBLE_AGES

#: Customers in the committed data set (data/case_studies/retail_chain).
CUSTOMERS = 3000

CHAIN_CITIES = {  # city: (region, climate)
    "Zhangjiakou": ("North", "mountain"), "Jilin": ("Northeast", "mountain"), "Urumqi": ("Northwest", "mountain"),
    "Harbin": ("Northeast", "cold"), "Changchun": ("Northeast", "cold"), "Shenyang": ("Northeast", "cold"),
    "Beijing": ("North", "temperate"), "Tianjin": ("North", "temperate"), "Xian": ("Northwest", "temperate"),
    "Shanghai": ("East", "subtropical"), "Hangzhou": ("East", "subtropical"), "Wuhan": ("Central", "subtropical"),
    "Chengdu": ("Southwest", "subtropical"),
    "Guangzhou": ("South", "tropical"), "Shenzhen": ("South", "tropical"), "Haikou": ("South", "tropical"),
}


def _chain_places(rng, columns) -> None:
    city = columns["city"]
    columns["region"] = np.array([CHAIN_CITIES[c][0] for c in city], dtype=object)
    columns["climate"] = np.array([CHAIN_CITIES[c][1] for c in city], dtype=object)


SPEC = CaseSpec(
    name="retail_chain",
    customer_columns=("customer_id", "name", "email", "phone", "gender", "age", "city", "region", "climate",
                      "store_format", "loyalty_member", "signup_date"),
    derive=_chain_places, season_by="climate",
    missing=("age", "city", "gender"), impossible={"age": IMPOSSIBLE_AGES},
    variants={"gender": GENDER_SPELLINGS, "region": {k: (v,) for k, v in REGION_ZH.items()}},
    groups=(
        CaseGroup("alpine_skiers", 0.18, male=0.6, numbers={"age": ("int", 24, 45)},
                  categories={"city": {"Zhangjiakou": 3, "Jilin": 3, "Urumqi": 2, "Harbin": 1, "Beijing": 0.5},
                              "store_format": {"flagship": 0.6, "mall": 0.3, "online": 0.1},
                              "loyalty_member": {"yes": 0.65, "no": 0.35}},
                  orders_per_year=2.5, order_amount=1500, returns=0.04, season="winter", new_share=0.2, tenure=3),
        CaseGroup("urban_everyday_shoppers", 0.28, male=0.45, numbers={"age": ("int", 20, 38)},
                  categories={"city": {"Shanghai": 3, "Beijing": 2.5, "Hangzhou": 2, "Wuhan": 1.5, "Tianjin": 1, "Xian": 1},
                              "store_format": {"mall": 0.5, "online": 0.45, "flagship": 0.05},
                              "loyalty_member": {"yes": 0.5, "no": 0.5}},
                  orders_per_year=9.0, order_amount=160, returns=0.08, season="festivals", new_share=0.35, tenure=1.5),
        CaseGroup("southern_water_sports", 0.17, male=0.55, numbers={"age": ("int", 18, 35)},
                  categories={"city": {"Guangzhou": 3, "Shenzhen": 3, "Haikou": 2, "Chengdu": 0.5},
                              "store_format": {"mall": 0.5, "online": 0.3, "flagship": 0.2},
                              "loyalty_member": {"yes": 0.3, "no": 0.7}},
                  orders_per_year=4.0, order_amount=420, returns=0.05, season="summer", new_share=0.3, tenure=2),
        CaseGroup("family_outdoor", 0.21, male=0.5, numbers={"age": ("int", 35, 52)},
                  categories={"city": dict.fromkeys(CHAIN_CITIES, 1.0),
                              "store_format": {"flagship": 0.35, "mall": 0.45, "outlet": 0.2},
                              "loyalty_member": {"yes": 0.7, "no": 0.3}},
                  orders_per_year=3.0, order_amount=650, returns=0.04, new_share=0.15, tenure=4,
                  season={"mountain": "winter", "cold": "winter", "temperate": "outdoor", "subtropical": "summer",
                          "tropical": "summer"}),
        CaseGroup("lapsed_outlet_bargainers", 0.16, male=0.45, numbers={"age": ("int", 45, 68)},
                  categories={"city": {"Harbin": 2, "Changchun": 2, "Shenyang": 2, "Tianjin": 1.5, "Wuhan": 1.5},
                              "store_format": {"outlet": 0.8, "mall": 0.2},
                              "loyalty_member": {"yes": 0.25, "no": 0.75}},
                  orders_per_year=4.0, order_amount=110, returns=0.06, new_share=0.05, tenure=3,
                  starts=(0.0, 0.1), stops=(0.15, 0.45)),
    ),
)
