"""Actions derived from each segment's own data (seglab.report.actions), checked by hand.

A planted base where segments differ in lapsing share, value, channel and traits:
the objective follows the lifecycle mix and the tiers (no loyalty message for a
segment 30 % or more lapsing or at high risk), the channel is the segment's most
common value of the channel-like column, two segments never share a message and
offer unless their cell and traits agree, and the money, test design and
opportunity equal an independent calculation.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from seglab.campaign.audiences import detectable_uplift
from seglab.config import config_from_dict
from seglab.features import value_risk as targeting
from seglab.numbers import money
from seglab.report import actions
from seglab.report.personas import build_personas

LOYALTY = ("loyalty", "thank", "忠诚", "感谢")


def planted(seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Four segments: loyal high value (app), 40 % lapsing mid value (platform: wechat),
    churned low value, and a twin of the first that differs only in its city."""
    rng = np.random.default_rng(seed)
    spec = {  # segment: (n, lapsing share, aov, platform, city, interest)
        0: (300, 0.05, 400.0, "app", "Shanghai", "running"),
        1: (250, 0.40, 150.0, "wechat", "Chengdu", "hiking"),
        2: (200, 0.95, 30.0, "store", "Harbin", "deals"),
        3: (150, 0.05, 400.0, "app", "Beijing", "running"),
    }
    frames = []
    for seg, (n, lapsing, aov, platform, city, interest) in spec.items():
        lapsed = rng.random(n) < lapsing
        recency = np.where(lapsed, rng.uniform(200, 700, n), rng.uniform(1, 90, n)).round()
        freq = rng.poisson(6, n) + 1
        frame = pd.DataFrame({
            "segment": seg, "age": rng.uniform(20, 60, n).round(),
            "platform": np.where(rng.random(n) < 0.7, platform, rng.choice(["app", "wechat", "store", "web"], n)),
            "city": np.where(rng.random(n) < 0.8, city, rng.choice(["Shanghai", "Chengdu", "Harbin", "Beijing"], n)),
            "interest": np.where(rng.random(n) < 0.7, interest, rng.choice(["running", "hiking", "deals"], n)),
            "frequency": freq, "aov": rng.gamma(5, aov / 5, n), "recency": recency,
            "tenure_days": recency + rng.uniform(50, 900, n).round(),
            "lifecycle": np.where(recency > 365, "churned", np.where(recency > 180, "dormant", "active")),
        })
        frame["monetary"] = frame["frequency"] * frame["aov"]
        frame["purchase_rate"] = frame["frequency"] / (np.fmax(frame["tenure_days"], 91) / 365.25)
        frame["churn_risk"] = np.clip((frame["recency"] - 60) / 400, 0, 1)
        frames.append(frame)
    df = pd.concat(frames, ignore_index=True)
    df.insert(0, "customer_id", [f"C{i:05d}" for i in range(len(df))])
    df["value_tier"] = pd.qcut(df["monetary"].rank(method="first"), [0, 0.5, 0.8, 1.0],
                               labels=["low", "mid", "high"]).astype(str)
    df["risk_tier"] = np.where(df["churn_risk"] >= 0.7, "high", np.where(df["churn_risk"] >= 0.3, "medium", "low"))
    df["value_risk_cell"] = [targeting.cell_key(v, r) for v, r in zip(df["value_tier"], df["risk_tier"])]
    assignments = pd.DataFrame({"customer_id": df["customer_id"], "segment": df["segment"]})
    return df.drop(columns="segment"), assignments


def cfg_for(tmp_path, **report):
    return config_from_dict({"run_name": "t", "title": "T", "client": "C", "data": {"customers": "c.csv"},
                             "columns": {"numeric": ["age"], "categorical": ["platform", "city", "interest"]},
                             "personas": {"min_count": 20}, "targeting": {"control_share": 0.2},
                             "features": {"clv_horizon_days": 365}, "report": report}, base_dir=tmp_path)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    features, assignments = planted()
    cfg = cfg_for(tmp_path_factory.mktemp("cfg"), currency="EUR")
    return features, assignments, build_personas(features, assignments, cfg)


def _segs(result):
    return {s["id"]: s for s in result["segments"]}


def test_lapsing_or_high_risk_segments_are_never_thanked(run):
    features, assignments, result = run
    frame = features.assign(segment=assignments["segment"].to_numpy())
    for s in result["segments"]:
        part = frame[frame["segment"] == s["id"]]
        lapsing = part["lifecycle"].isin(["dormant", "churned"]).mean()
        a = s["actions"][0]
        if lapsing >= 0.30 or s["value_risk"]["risk_tier"] == "high":
            assert not any(w in a["message"].lower() for w in LOYALTY), (s["name"], a["message"])
            assert a["objective"] in {"save", "win_back", "win_back_low_cost", "retain", "retain_low_cost"}
    segs = _segs(result)
    assert segs[2]["actions"][0]["objective"].startswith("win_back")
    assert segs[1]["actions"][0]["objective"].startswith(("retain", "win_back", "save"))


@pytest.mark.parametrize("mix, vr, expected", [
    ({"active": 0.75, "dormant": 0.25}, {"cell": "high_value_low_risk", "value_tier": "high", "risk_tier": "low"}, "reward"),
    ({"active": 0.70, "dormant": 0.20, "churned": 0.10}, {"cell": "high_value_low_risk", "value_tier": "high",
                                                          "risk_tier": "low"}, "retain"),
    ({"active": 0.45, "churned": 0.55}, {"cell": "mid_value_low_risk", "value_tier": "mid", "risk_tier": "low"}, "win_back"),
    ({"active": 0.9, "churned": 0.1}, {"cell": "high_value_high_risk", "value_tier": "high", "risk_tier": "high"}, "save"),
    ({"active": 0.9, "churned": 0.1}, {"cell": "low_value_medium_risk", "value_tier": "low", "risk_tier": "medium"},
     "retain_low_cost"),
    ({"prospect": 1.0}, {"cell": "prospect", "value_tier": None, "risk_tier": None}, "convert"),
    (None, None, "engage"),
])
def test_objective_rules(mix, vr, expected):
    assert actions.objective({"lifecycle_mix": mix, "value_risk": vr}) == expected


def test_channel_is_the_segments_most_common_platform_with_its_share(run):
    features, assignments, result = run
    assert result["base"]["channel_column"] == "platform"
    frame = features.assign(segment=assignments["segment"].to_numpy())
    for s in result["segments"]:
        part = frame[frame["segment"] == s["id"]]
        top = part["platform"].value_counts()
        a = s["actions"][0]
        assert a["channel"] == top.index[0] and a["channel_column"] == "platform"
        assert a["channel_share"] == pytest.approx(top.iloc[0] / len(part), abs=1e-4)
        assert a["channel_base_share"] == pytest.approx((frame["platform"] == top.index[0]).mean(), abs=1e-4)
        assert "usual channels" not in a["channel"]
    assert _segs(result)[1]["actions"][0]["channel"] == "wechat"


def test_channel_like_column_is_found_by_name():
    frame = pd.DataFrame({"city": ["a"], "Device Type": ["ios"], "channel": ["web"]})
    assert actions.channel_column(frame, ["city", "Device Type", "channel"]) == "channel"
    assert actions.channel_column(frame, ["city", "Device Type"]) == "Device Type"
    assert actions.channel_column(frame, ["city"]) is None


def test_segments_differing_in_traits_never_share_message_and_offer(run):
    _, _, result = run
    seen = {}
    for s in result["segments"]:
        a = s["actions"][0]
        key = (a["message"], a["offer"])
        assert key not in seen, (s["name"], seen.get(key))
        seen[key] = s["name"]


def test_money_test_design_and_opportunity_equal_a_hand_calculation(run):
    features, assignments, result = run
    frame = features.assign(segment=assignments["segment"].to_numpy())
    for s in result["segments"]:
        part = frame[frame["segment"] == s["id"]]
        m, a = s["money"], s["actions"][0]
        assert m["revenue"] == pytest.approx(part["monetary"].sum(), abs=0.01)
        yearly = part["monetary"] * 365.25 / part["tenure_days"].clip(lower=91)
        assert m["yearly_spend"] == pytest.approx(yearly.sum(), abs=0.01)
        assert m["at_risk"] == pytest.approx((yearly * part["churn_risk"]).sum(), abs=0.01)
        held = math.floor(0.2 * len(part) + 0.5)
        assert (a["test"]["control"], a["test"]["treatment"]) == (held, len(part) - held)
        gap = 365.25 / part["purchase_rate"].median()
        assert a["test"]["duration_days"] == min(182, max(28, 7 * math.ceil(2 * gap / 7)))
        assert a["test"]["detectable_uplift"] == pytest.approx(detectable_uplift(len(part) - held, held, 0.05), abs=1e-4)
        o = a["opportunity"]
        if o["kind"] == "retention":
            points = min(0.05, part["churn_risk"].mean())
            assert o["value"] == pytest.approx(points * yearly.sum(), rel=1e-3)
        else:
            assert o["kind"] == "growth" and o["value"] == pytest.approx(0.05 * yearly.sum(), rel=1e-6)
    assert result["base"]["currency"] == "EUR"
    assert sum(s["money"]["revenue"] for s in result["segments"]) == pytest.approx(result["base"]["revenue"], abs=0.05)


def test_money_is_written_in_the_report_currency():
    assert money(1234.5, "EUR") == "€1,235"
    assert money(78044236.68, "CNY", "zh") == "78,044,237元"
    assert money(-1500, "USD") == "-$1,500"
    assert money(999, "CHF") == "999 CHF"
    assert money(12.345, "$") == "$12.35"  # half away from zero, on the value as written
    assert money(None, "EUR") == "–"
    assert money(2500, None) == "2,500"


def test_currency_param_is_checked(tmp_path):
    from seglab.errors import ParamsError
    with pytest.raises(ParamsError, match="report.currency"):
        cfg_for(tmp_path, currency="euros please")
    assert cfg_for(tmp_path, currency="HK$").report.currency == "HK$"


def test_objectives_are_answered_with_the_runs_numbers(run):
    from seglab.report import answers

    features, _, result = run
    text = ("Find the groups that drive revenue and those at risk for a win-back campaign, "
            "give each its own offer, and measure the response against a control group.")
    assert answers.topics(text, has_revenue=True) == ["revenue", "risk", "offer", "measure"]
    assert answers.topics("营销方案", has_revenue=False) == ["offer"]
    found = {a["topic"]: a for a in answers.answers(text, result["segments"], result["base"], features=features,
                                                      money=lambda x: money(x, "EUR"), noun="customers",
                                                      language="en")}
    at_risk = sum(s["money"]["at_risk"] for s in result["segments"])
    assert money(at_risk, "EUR") in found["risk"]["found"]
    listed = features["value_risk_cell"].isin(["high_value_high_risk", "high_value_medium_risk"]).sum()
    assert f"holds {listed:,} customers" in found["risk"]["found"]
    lapsing = [s for s in result["segments"] if s["actions"][0]["objective"] in answers.RETENTION]
    for s in lapsing:
        assert f"audience_segment_{s['id']}.csv" in found["risk"]["do"]
    held = sum(s["actions"][0]["test"]["control"] for s in result["segments"])
    assert f"({held:,} customers in all)" in found["measure"]["found"]


def test_entry_level_memberships_are_not_a_status():
    assert actions.is_entry_tier("basic monthly") and actions.is_entry_tier("Free") and actions.is_entry_tier("普通")
    assert not actions.is_entry_tier("premium monthly") and not actions.is_entry_tier("gold")


def test_segments_sharing_every_single_trait_with_some_other_still_read_apart():
    from seglab.report.profiles import Trait

    def seg(sid, *traits):
        action = {"message": "Same.", "offer": "Same offer."}
        return {"id": sid, "value_risk": None, "actions": [action]}, list(traits)

    young, old = Trait("numeric", "age", 1.0, high=False), Trait("numeric", "age", 1.0, high=True)
    rich, poor = Trait("numeric", "income", 1.0, high=True), Trait("numeric", "income", 1.0, high=False)
    items = [seg(0, young, poor), seg(1, young, rich), seg(2, old, poor)]
    actions.make_distinct(items, "en", lambda tr: f"{tr.feature} {'high' if tr.high else 'low'}")
    offers = [entry["actions"][0]["offer"] for entry, _ in items]
    assert len(set(offers)) == 3, offers
