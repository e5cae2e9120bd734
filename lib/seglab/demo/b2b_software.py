"""Case study 3, B2B software: firmographics and invoices (``--scenario b2b_software``)."""

from __future__ import annotations

import numpy as np

from seglab.demo.cases import REGION_ZH, CaseGroup, CaseSpec

#: Customers in the committed data set (data/case_studies/b2b_software).
CUSTOMERS = 2500

B2B_CITIES = {"East": ("Shanghai", "Hangzhou", "Suzhou", "Nanjing"), "North": ("Beijing", "Tianjin"),
              "South": ("Shenzhen", "Guangzhou"), "Central": ("Wuhan", "Changsha"),
              "West": ("Chengdu", "Chongqing", "Xian")}
COMPANY_SIZES = ((1000, "enterprise"), (250, "large"), (50, "medium"), (0, "small"))  # by employees


def _firm(rng, columns) -> None:
    region = columns["region"]
    city = np.empty(len(region), dtype=object)
    pick = rng.integers(0, 1 << 30, len(region))
    for name, cities in B2B_CITIES.items():
        at = region == name
        city[at] = np.asarray(cities, dtype=object)[pick[at] % len(cities)]
    columns["city"] = city
    employees = columns["employees"]
    columns["company_size"] = np.select([employees >= lo for lo, _ in COMPANY_SIZES],
                                        [name for _, name in COMPANY_SIZES], default="small").astype(object)


SPEC = CaseSpec(
    name="b2b_software", id_column="company_id", id_prefix="B", contacts="company",
    extreme_value="annual_revenue",
    order_column="invoice_id", order_prefix="INV", date_column="invoice_date",
    customer_columns=("company_id", "company_name", "contact_name", "contact_email", "contact_phone", "industry",
                      "company_size", "employees", "annual_revenue", "region", "city", "plan", "seats",
                      "signup_date"),
    derive=_firm,
    missing=("employees", "annual_revenue", "industry"),
    impossible={"employees": ("0", "-12", "-1")},
    variants={"industry": {"technology": ("IT", "信息技术"), "finance": ("金融",), "manufacturing": ("制造业",),
                           "healthcare": ("医疗",), "retail": ("零售",), "logistics": ("物流",), "education": ("教育",)},
              "region": {k: (REGION_ZH[k],) for k in B2B_CITIES}},
    groups=(
        CaseGroup("enterprise_accounts", 0.12,
                  numbers={"employees": ("logint", 2800, 0.45), "annual_revenue": ("log", 3000, 0.6),
                           "seats": ("int", 200, 1200)},
                  categories={"industry": {"finance": 0.35, "manufacturing": 0.35, "logistics": 0.15, "healthcare": 0.15},
                              "region": {"East": 0.4, "North": 0.4, "South": 0.2},
                              "plan": {"enterprise": 0.9, "pro": 0.1}},
                  orders_per_year=4.0, order_amount=150_000, returns=0.02, season="budget", new_share=0.1, tenure=4),
        CaseGroup("mid_market_tech", 0.25,
                  numbers={"employees": ("logint", 380, 0.45), "annual_revenue": ("log", 250, 0.6),
                           "seats": ("int", 30, 150)},
                  categories={"industry": {"technology": 0.55, "retail": 0.2, "finance": 0.15, "education": 0.1},
                              "region": {"East": 0.35, "South": 0.35, "North": 0.15, "West": 0.15},
                              "plan": {"pro": 0.8, "basic": 0.2}},
                  orders_per_year=6.0, order_amount=14_000, returns=0.03, new_share=0.3, tenure=2.5),
        CaseGroup("smb_monthly", 0.33,
                  numbers={"employees": ("logint", 18, 0.6), "annual_revenue": ("log", 12, 0.8),
                           "seats": ("int", 2, 12)},
                  categories={"industry": {"retail": 0.35, "education": 0.25, "technology": 0.2, "logistics": 0.2},
                              "region": {"West": 0.3, "Central": 0.3, "East": 0.2, "South": 0.2},
                              "plan": {"basic": 0.9, "pro": 0.1}},
                  orders_per_year=11.0, order_amount=800, returns=0.03, new_share=0.4, tenure=1.5),
        CaseGroup("healthcare_compliance", 0.15,
                  numbers={"employees": ("logint", 650, 0.5), "annual_revenue": ("log", 500, 0.6),
                           "seats": ("int", 40, 400)},
                  categories={"industry": {"healthcare": 0.85, "education": 0.15},
                              "region": {"North": 0.35, "Central": 0.35, "East": 0.3},
                              "plan": {"enterprise": 0.5, "pro": 0.5}},
                  orders_per_year=1.3, order_amount=85_000, returns=0.02, season="budget", new_share=0.2, tenure=3),
        CaseGroup("churned_smb", 0.15,
                  numbers={"employees": ("logint", 25, 0.6), "annual_revenue": ("log", 15, 0.8),
                           "seats": ("int", 2, 10)},
                  categories={"industry": {"retail": 0.4, "logistics": 0.3, "education": 0.3},
                              "region": {"Central": 0.4, "West": 0.4, "South": 0.2},
                              "plan": {"basic": 1.0}},
                  orders_per_year=10.0, order_amount=650, returns=0.05, new_share=0.3, tenure=1.5,
                  starts=(0.0, 0.3), stops=(0.15, 0.55)),
    ),
)
