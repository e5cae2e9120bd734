"""The value × risk grid from customers, not averages: the cell most customers are in, the spread,
the top value tier for the segments that carry the revenue, and the tier cut-offs in the report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from seglab import numbers
from seglab.features import value_risk as targeting
from seglab.report import placement
from seglab.report.personas import build_personas
from seglab.report.sections import load_report_data, render_section
from test_personas import make_cfg
from test_sections import visible_text, write_run

RISK_CUTS = {"medium": 0.3, "high": 0.7}


def _tiers(df: pd.DataFrame) -> pd.DataFrame:
    """Value and risk tiers cut at customer level, as seglab.features.build cuts them."""
    buyer = df["monetary"] > 0
    mid, high = np.quantile(df.loc[buyer, "monetary"], [0.5, 0.8])
    df["value_tier"] = np.where(df["monetary"] > high, "high", np.where(df["monetary"] > mid, "mid", "low"))
    df["risk_tier"] = np.where(df["churn_risk"] >= RISK_CUTS["high"], "high",
                               np.where(df["churn_risk"] >= RISK_CUTS["medium"], "medium", "low"))
    df["value_risk_cell"] = [targeting.cell_key(v, r) for v, r in zip(df["value_tier"], df["risk_tier"])]
    df.loc[~buyer, ["value_tier", "risk_tier"]] = ["low", None]
    df.loc[~buyer, "value_risk_cell"] = targeting.PROSPECT.key
    return df


def _base(seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Segment 0: a third of the customers and most of the revenue, carried by a fifth of them."""
    rng = np.random.default_rng(seed)
    plan = {0: (340, 150.0), 1: (330, 300.0), 2: (330, 220.0)}
    parts = []
    for sid, (n, median) in plan.items():
        spend = rng.lognormal(np.log(median), 0.5, n)
        if sid == 0:
            whales = rng.random(n) < 0.15
            spend[whales] = rng.lognormal(np.log(9000), 0.3, whales.sum())
        parts.append(pd.DataFrame({"segment": sid, "monetary": spend.round(2), "frequency": rng.integers(1, 20, n),
                                   "churn_risk": rng.beta(2, 5, n), "age": rng.normal(40, 10, n).round()}))
    df = pd.concat(parts, ignore_index=True)
    df.insert(0, "customer_id", [f"C{i:05d}" for i in range(len(df))])
    df = _tiers(df)
    return df.drop(columns="segment"), df[["customer_id", "segment"]]


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    features, assignments = _base()
    cfg = make_cfg(tmp_path_factory.mktemp("cfg"), **{"columns.numeric": ["age"], "columns.categorical": []})
    return features, assignments, {s["id"]: s for s in build_personas(features, assignments, cfg)["segments"]}


def test_a_segment_with_most_of_the_revenue_is_in_the_top_value_tier(planted):
    features, assignments, segs = planted
    df = features.merge(assignments, on="customer_id")
    part = df[df["segment"] == 0]
    revenue_share = part["monetary"].sum() / df["monetary"].sum()
    modal = part["value_risk_cell"].value_counts().idxmax()
    # the planted pattern: most of the revenue, but most customers outside the top tier
    assert revenue_share >= 0.4 and not modal.startswith("high_value")
    vr = segs[0]["value_risk"]
    assert vr["value_tier"] == "high" and vr["basis"] == "top_revenue"
    # at the risk most of its high-value customers have
    want = part.loc[part["value_tier"] == "high", "risk_tier"].value_counts().idxmax()
    assert vr["risk_tier"] == want
    assert vr["cell_share"] == pytest.approx((part["value_risk_cell"] == vr["cell"]).mean(), abs=1e-4)
    assert vr["spread"][0]["cell"] == modal
    # the others stay where most of their customers are
    for sid in (1, 2):
        other = df[df["segment"] == sid]
        assert segs[sid]["value_risk"]["cell"] == other["value_risk_cell"].value_counts().idxmax()
        assert segs[sid]["value_risk"]["basis"] == "most_customers"


def test_twice_the_average_revenue_per_customer_is_top_tier():
    part = pd.DataFrame({"value_tier": ["mid"] * 6 + ["high"] * 4, "risk_tier": ["low"] * 6 + ["medium"] * 4,
                         "value_risk_cell": ["mid_value_low_risk"] * 6 + ["high_value_medium_risk"] * 4,
                         "monetary": [100.0] * 6 + [5000.0] * 4})
    vr = placement.place(part, share=0.1, revenue_share=0.25, language="en")
    assert (vr["cell"], vr["basis"]) == ("high_value_medium_risk", "top_value_per_customer")
    assert vr["revenue_per_customer_multiple"] == 2.5 and vr["cell_share"] == 0.4 and not vr["majority"]
    below = placement.place(part, share=0.2, revenue_share=0.25, language="en")
    assert (below["cell"], below["basis"]) == ("mid_value_low_risk", "most_customers")


def test_a_segment_of_prospects_counts_every_customer_in_its_cell_share():
    # 1,682 customers, 1,624 without a purchase: 97 %, not "3 % of the 58 buyers"
    part = pd.DataFrame({"value_tier": ["low"] * 1682, "risk_tier": [None] * 1624 + ["medium"] * 2 + ["low"] * 56,
                         "value_risk_cell": (["prospect"] * 1624 + ["low_value_medium_risk"] * 2
                                             + ["low_value_low_risk"] * 56),
                         "monetary": [0.0] * 1624 + [50.0] * 58})
    vr = placement.place(part, share=0.12, revenue_share=0.001, language="en")
    assert vr["cell"] == "prospect" and vr["cell_share"] == pytest.approx(1624 / 1682, abs=1e-4)
    assert vr["value_score"] is None and vr["priority"] == targeting.PROSPECT.priority


@pytest.fixture(scope="module")
def grid_section(tmp_path_factory, planted):
    features, assignments, _ = planted
    columns = {"columns.numeric": ["age"], "columns.categorical": []}
    folder = write_run(tmp_path_factory.mktemp("grid") / "run", **columns)
    cfg = make_cfg(folder, **columns)
    features.to_parquet(folder / "features.parquet", index=False)
    assignments.to_csv(folder / "assignments.csv", index=False)
    (folder / "segments.json").write_text(json.dumps(build_personas(features, assignments, cfg)), encoding="utf-8")
    meta = {"as_of": "2024-12-31", "transactions": True, "clv": {"horizon_days": 365},
            "value_tiers": {"basis": "clv_predicted", "shares": {"high": 0.2, "mid": 0.3},
                            "thresholds": {"mid": 1179.52, "high": 4678.63}},
            "risk_tiers": {"basis": "churn_risk", "thresholds": RISK_CUTS}}
    (folder / "features.json").write_text(json.dumps(meta), encoding="utf-8")
    data = load_report_data(folder)
    return data, render_section("value_risk", data, "en")


def test_the_report_states_the_tier_cut_offs_in_money_and_probability(grid_section):
    _, html = grid_section
    text = visible_text(html)
    assert "above 4,679" in text and "above 1,180" in text and "top 20%" in text and "next 30%" in text
    assert "over the next 365 days" in text
    assert "high risk from 70%" in text and "medium risk from 30%" in text


def test_the_report_shows_the_spread_of_segments_split_over_cells(grid_section):
    data, html = grid_section
    text = visible_text(html)
    split = [s for s in data.segment_list if not s["value_risk"]["majority"]]
    assert split, "the synthetic base plants at least one segment spread over cells"
    for s in split:
        assert f'{s["name"]} ({numbers.percent(s["value_risk"]["cell_share"])} in {s["value_risk"]["name"]})' in text
    table = html[html.index('class="spread"'):]
    assert table.count("●") == len(data.segment_list)
