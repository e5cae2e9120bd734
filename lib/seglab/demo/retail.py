"""The retail demo (``--scenario retail``, the default): a sports and outdoor retailer's CRM
export with five planted customer groups and every planted problem of the engine."""

from __future__ import annotations

from seglab.demo import implausible
from seglab.demo.engine import (
    CALIBRATED_TRANSACTIONS,
    DemoData,
    PlantedGroup,
    generate_groups,
)

RETAIL_GROUPS = (
    PlantedGroup(
        "young_runners", 0.25, age=(18, 28), income=65, male=0.65,
        cities={"Shanghai": 3, "Shenzhen": 2.5, "Guangzhou": 2, "Hangzhou": 1.5},
        channel={"app": 0.75, "web": 0.15, "store": 0.10},
        tier={"basic": 0.6, "silver": 0.3, "gold": 0.1},
        occupation={"student": 0.45, "office worker": 0.35, "engineer": 0.15,
                    "self-employed": 0.05},
        interest={"running": 0.7, "fitness": 0.15, "fashion": 0.1, "outdoor": 0.05},
        orders_per_year=11.0, order_amount=140, returns=0.03, tenure=1.2, new_share=0.3,
    ),
    PlantedGroup(
        "midage_hikers", 0.20, age=(40, 55), income=180, male=0.65,
        cities={"Chengdu": 4, "Kunming": 3, "Chongqing": 1.5},
        channel={"store": 0.65, "web": 0.2, "app": 0.15},
        tier={"basic": 0.35, "silver": 0.45, "gold": 0.2},
        occupation={"engineer": 0.25, "teacher": 0.2, "manager": 0.25, "self-employed": 0.2,
                    "office worker": 0.1},
        interest={"hiking": 0.55, "outdoor": 0.3, "fitness": 0.1, "running": 0.05},
        orders_per_year=2.0, order_amount=1800, returns=0.05, tenure=3.0, new_share=0.25,
    ),
    PlantedGroup(
        "bargain_hunters", 0.20, age=(25, 45), income=110, male=0.2,
        cities={"Nanjing": 3, "Tianjin": 3, "Chongqing": 2, "Guangzhou": 1.5, "Shenyang": 1.5},
        channel={"web": 0.7, "app": 0.2, "store": 0.1},
        tier={"basic": 0.7, "silver": 0.25, "gold": 0.05},
        occupation={"office worker": 0.45, "self-employed": 0.15, "student": 0.1, "teacher": 0.15,
                    "engineer": 0.15},
        interest={"deals": 0.55, "fashion": 0.35, "fitness": 0.1},
        orders_per_year=3.0, order_amount=90, returns=0.4, tenure=2.0, new_share=0.3,
    ),
    PlantedGroup(
        "high_value_loyalists", 0.15, age=(35, 50), income=450, male=0.55,
        cities={"Beijing": 3, "Shanghai": 3, "Shenzhen": 1.5, "Hangzhou": 1, "Guangzhou": 1},
        channel={"app": 0.4, "store": 0.35, "web": 0.25},
        tier={"gold": 0.75, "silver": 0.2, "basic": 0.05},
        occupation={"manager": 0.5, "engineer": 0.2, "self-employed": 0.25, "office worker": 0.05},
        interest={"fitness": 0.3, "outdoor": 0.25, "running": 0.25, "fashion": 0.2},
        orders_per_year=8.0, order_amount=1100, returns=0.04, tenure=4.0, new_share=0.1,
    ),
    PlantedGroup(
        "lapsed", 0.20, age=(52, 72), income=140, male=0.45,
        cities={"Harbin": 3, "Shenyang": 2.5, "Beijing": 1.5, "Tianjin": 1.5},
        channel={"store": 0.45, "web": 0.35, "app": 0.2},
        tier={"basic": 0.5, "silver": 0.4, "gold": 0.1},
        occupation={"retired": 0.45, "teacher": 0.2, "office worker": 0.15, "self-employed": 0.2},
        interest={"deals": 0.25, "fashion": 0.2, "fitness": 0.2, "hiking": 0.2, "outdoor": 0.15},
        orders_per_year=5.0, order_amount=350, returns=0.06, tenure=3.0, new_share=0.1,
        stops=("2023-10-01", "2024-08-31"),  # nothing in the window's last 22 months
    ),
)


#: The implausible values planted in the retail demo: an income ten times the largest, besides
#: the placeholder dates and absurd orders every data set gets.
IMPLAUSIBLE = implausible.Implausible(money="income")


def generate(rng, n_customers, transactions_per_customer) -> DemoData:
    """A sports and outdoor retailer: the five retail groups, every planted problem of the
    engine and the implausible values of :mod:`seglab.demo.implausible`."""
    rate_scale = transactions_per_customer / CALIBRATED_TRANSACTIONS
    data = generate_groups(rng, RETAIL_GROUPS, n_customers, rate_scale)
    return implausible.plant(rng.spawn(1)[0], data, IMPLAUSIBLE)
