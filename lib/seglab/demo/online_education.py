"""Case study 2, online education: learners, completion and enrolments (``--scenario online_education``)."""

from __future__ import annotations

import numpy as np

from seglab.demo.cases import GENDER_SPELLINGS, CaseGroup, CaseSpec
from seglab.demo.engine import IMPOSSIBLE_AGES

#: Customers in the committed data set (data/case_studies/online_education).
CUSTOMERS = 3000

def _completion(rng, columns) -> None:
    enrolled = columns["courses_enrolled"]
    done = np.minimum(enrolled, np.rint(enrolled * columns["completion_rate"])).astype(np.int64)
    columns["courses_completed"] = done
    columns["completion_rate"] = np.round(done / enrolled, 2)


SPEC = CaseSpec(
    name="online_education", id_column="learner_id", id_prefix="L",
    order_column="payment_id", order_prefix="P", date_column="payment_date",
    customer_columns=("learner_id", "name", "email", "phone", "gender", "age", "occupation", "education",
                      "city_tier", "learning_interest", "device", "courses_enrolled", "courses_completed",
                      "completion_rate", "weekly_minutes", "signup_date"),
    derive=_completion, decimals={"completion_rate": 2},
    missing=("age", "occupation", "weekly_minutes"),
    impossible={"age": IMPOSSIBLE_AGES, "weekly_minutes": ("-30", "20000", "99999")},
    variants={"gender": GENDER_SPELLINGS,
              "education": {"bachelor": ("Bachelor's", "本科"), "master": ("Master's", "硕士"),
                            "high school": ("高中",), "college": ("大专",), "phd": ("PhD", "博士")}},
    groups=(
        CaseGroup("career_switchers", 0.22, male=0.55,
                  numbers={"age": ("int", 24, 34), "courses_enrolled": ("int", 3, 7),
                           "completion_rate": ("float", 0.65, 0.95), "weekly_minutes": ("int", 240, 480)},
                  categories={"occupation": {"office worker": 0.45, "unemployed": 0.25, "engineer": 0.15, "designer": 0.15},
                              "education": {"bachelor": 0.7, "master": 0.2, "college": 0.1},
                              "city_tier": {"tier 1": 0.55, "tier 2": 0.35, "tier 3": 0.1},
                              "learning_interest": {"programming": 0.5, "data science": 0.4, "arts & design": 0.1},
                              "device": {"desktop": 0.7, "mobile": 0.2, "tablet": 0.1}},
                  orders_per_year=2.5, order_amount=2600, returns=0.05, new_share=0.4),
        CaseGroup("exam_preppers", 0.26, male=0.45,
                  numbers={"age": ("int", 18, 23), "courses_enrolled": ("int", 2, 5),
                           "completion_rate": ("float", 0.35, 0.7), "weekly_minutes": ("int", 120, 300)},
                  categories={"occupation": {"student": 0.95, "unemployed": 0.05},
                              "education": {"high school": 0.4, "college": 0.2, "bachelor": 0.4},
                              "city_tier": {"tier 2": 0.45, "tier 3": 0.35, "tier 1": 0.2},
                              "learning_interest": {"exam prep": 0.6, "languages": 0.4},
                              "device": {"mobile": 0.75, "tablet": 0.15, "desktop": 0.1}},
                  orders_per_year=3.0, order_amount=420, returns=0.06, season="exams", new_share=0.5),
        CaseGroup("corporate_upskillers", 0.18, male=0.6,
                  numbers={"age": ("int", 30, 46), "courses_enrolled": ("int", 2, 5),
                           "completion_rate": ("float", 0.55, 0.85), "weekly_minutes": ("int", 60, 150)},
                  categories={"occupation": {"manager": 0.45, "engineer": 0.35, "marketer": 0.2},
                              "education": {"bachelor": 0.5, "master": 0.45, "phd": 0.05},
                              "city_tier": {"tier 1": 0.75, "tier 2": 0.25},
                              "learning_interest": {"business": 0.5, "data science": 0.3, "programming": 0.2},
                              "device": {"desktop": 0.55, "tablet": 0.3, "mobile": 0.15}},
                  orders_per_year=2.0, order_amount=1800, returns=0.02, season="budget", new_share=0.3),
        CaseGroup("casual_hobbyists", 0.20, male=0.4,
                  numbers={"age": ("int", 40, 66), "courses_enrolled": ("int", 4, 10),
                           "completion_rate": ("float", 0.05, 0.3), "weekly_minutes": ("int", 20, 90)},
                  categories={"occupation": {"retired": 0.4, "teacher": 0.25, "office worker": 0.2, "manager": 0.15},
                              "education": {"college": 0.35, "bachelor": 0.4, "high school": 0.25},
                              "city_tier": {"tier 2": 0.4, "tier 1": 0.3, "tier 3": 0.3},
                              "learning_interest": {"arts & design": 0.4, "languages": 0.3, "wellness": 0.3},
                              "device": {"tablet": 0.45, "mobile": 0.4, "desktop": 0.15}},
                  orders_per_year=5.0, order_amount=99, returns=0.03, new_share=0.3),
        CaseGroup("trial_dropouts", 0.14, male=0.5,
                  numbers={"age": ("int", 19, 40), "courses_enrolled": ("int", 1, 2),
                           "completion_rate": ("float", 0.0, 0.12), "weekly_minutes": ("int", 0, 25)},
                  categories={"occupation": {"office worker": 0.35, "student": 0.35, "unemployed": 0.15, "engineer": 0.15},
                              "education": {"bachelor": 0.5, "college": 0.3, "high school": 0.2},
                              "city_tier": {"tier 3": 0.45, "tier 2": 0.35, "tier 1": 0.2},
                              "learning_interest": {"programming": 0.3, "languages": 0.3, "exam prep": 0.2, "business": 0.2},
                              "device": {"mobile": 0.7, "desktop": 0.3}},
                  orders_per_year=1.5, order_amount=199, returns=0.12, new_share=0.5,
                  starts=(0.0, 0.35), stops=(0.1, 0.5)),
    ),
)
