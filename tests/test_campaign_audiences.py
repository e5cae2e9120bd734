"""Audiences: an exact, seeded, stable control group per segment, and a campaign plan whose
numbers are counts and sums anyone can redo."""

import numpy as np
import pandas as pd
import pytest
from seglab.campaign.audiences import (
    CONTROL,
    TREATMENT,
    assign_groups,
    campaign_plan,
    control_size,
    default_kpi,
    detectable_uplift,
    segment_value,
)


def customers(n=5000, seed=0):
    rng = np.random.default_rng(seed)
    return pd.Series([f"C{i:06d}" for i in range(n)]), pd.Series(rng.choice([0, 1, 2, 3], n, p=[0.5, 0.3, 0.15, 0.05]))


@pytest.mark.parametrize("share", [0.1, 0.25, 0.0, 0.5])
def test_each_segment_holds_back_its_own_share(share):
    ids, segs = customers()
    groups = assign_groups(ids, segs, share, seed=42)
    for sid, n in segs.value_counts().items():
        held = int((groups[segs.to_numpy() == sid] == CONTROL).sum())
        assert held == control_size(n, share) == int(np.floor(share * n + 0.5))
    assert set(groups) <= {TREATMENT, CONTROL}


def test_control_size_rounds_half_up():
    assert [control_size(n, 0.1) for n in (4, 5, 15, 25, 0)] == [0, 1, 2, 3, 0]


def test_the_split_is_seeded_and_stable():
    ids, segs = customers()
    a = assign_groups(ids, segs, 0.1, seed=42)
    assert (a == assign_groups(ids, segs, 0.1, seed=42)).all()
    assert (a != assign_groups(ids, segs, 0.1, seed=43)).any()
    # Input order does not matter: the rank comes from the seed and the id alone.
    order = np.random.default_rng(1).permutation(len(ids))
    shuffled = assign_groups(ids[order].reset_index(drop=True), segs[order].reset_index(drop=True), 0.1, seed=42)
    assert (shuffled == a[order]).all()
    # Customers leaving another segment do not move anyone in this one.
    keep = (segs != 1).to_numpy() | (np.arange(len(ids)) % 2 == 0)
    fewer = assign_groups(ids[keep].reset_index(drop=True), segs[keep].reset_index(drop=True), 0.1, seed=42)
    zero = (segs[keep] == 0).to_numpy()
    assert (fewer[zero] == a[keep][zero]).all()


def test_control_is_not_the_first_customers():
    ids, segs = customers()
    groups = assign_groups(ids, segs, 0.1, seed=42)
    positions = np.flatnonzero(groups == CONTROL)
    assert 0.4 < positions.mean() / len(ids) < 0.6  # spread over the file, not its head


SEGMENTS = [
    {"id": 0, "name": "Loyal", "value_risk": {"cell": "high_value_low_risk", "risk_tier": "low"},
     "actions": [{"channel": "app", "offer": "Cross-sell", "message": "Thanks", "priority": 2, "kpi": "basket size"}]},
    {"id": 1, "name": "Lapsing", "value_risk": {"cell": "mid_value_high_risk", "risk_tier": "high"},
     "actions": [{"channel": "email", "offer": "Win-back voucher", "message": "We miss you", "priority": 1}]},
    {"id": 2, "name": "New", "value_risk": {"cell": "prospect", "risk_tier": None}},
    {"id": 3, "name": "Other"},
]


def test_the_plan_counts_and_sums_what_the_audiences_hold():
    ids, segs = customers()
    groups = pd.DataFrame({"customer_id": ids, "segment": segs, "group": assign_groups(ids, segs, 0.1, seed=7)})
    rng = np.random.default_rng(3)
    features = pd.DataFrame({"customer_id": ids, "clv_predicted": rng.gamma(2, 300, len(ids)), "monetary": 1.0})
    value, basis = segment_value(features, 365)
    assert basis == "value_basis_predicted"
    plan = campaign_plan(SEGMENTS, groups, value, basis, horizon_days=365, language="en").set_index("segment")
    for sid in range(4):
        mine = groups["segment"] == sid
        treated = mine & (groups["group"] == TREATMENT)
        assert plan.loc[sid, "audience"] == mine.sum()
        assert plan.loc[sid, "treatment"] == treated.sum()
        assert plan.loc[sid, "control"] == (mine & (groups["group"] == CONTROL)).sum()
        assert plan.loc[sid, "expected_value"] == pytest.approx(features.loc[treated, "clv_predicted"].sum(), abs=0.01)
    assert plan.loc[0, "kpi"] == "basket size"  # given by the segment's action
    assert plan.loc[1, "kpi"].startswith("reactivation")  # from the grid
    assert plan.loc[2, "kpi"].startswith("first-purchase")
    assert plan.loc[3, "action"] == "the standard offer" and plan.loc[3, "kpi"].startswith("response rate")
    assert "365 days" in plan.loc[0, "value_basis"]
    assert plan.loc[1, "audience_file"] == "targeting/audience_segment_1.csv"


def test_value_degrades_without_clv_or_transactions():
    ids = pd.Series(["a", "b"])
    value, basis = segment_value(pd.DataFrame({"customer_id": ids, "clv_predicted": np.nan, "monetary": [5.0, 7.0]}), 365)
    assert basis == "value_basis_history" and value.tolist() == [5.0, 7.0]
    value, basis = segment_value(pd.DataFrame({"customer_id": ids, "age": [30, 40]}), 365)
    assert value is None and basis == "value_basis_none"
    assert default_kpi({}, "zh") == "响应率（处理组对比对照组）"


def test_detectable_uplift_has_the_stated_power():
    # The textbook case: 392 per group detect 50 % -> 60 % with 80 % power at 5 % two-sided.
    assert detectable_uplift(392, 392, 0.5) == pytest.approx(0.100, abs=0.002)
    assert detectable_uplift(100, 0, 0.1) is None
    # Simulated: at the detectable uplift a two-sided z test rejects about 80 % of the time.
    rng = np.random.default_rng(5)
    n_t, n_c, p = 1800, 200, 0.08
    d = detectable_uplift(n_t, n_c, p)
    xt, xc = rng.binomial(n_t, p + d, 4000), rng.binomial(n_c, p, 4000)
    pt, pc = xt / n_t, xc / n_c
    pooled = (xt + xc) / (n_t + n_c)
    z = (pt - pc) / np.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_c))
    assert 0.74 <= (np.abs(z) > 1.96).mean() <= 0.86


def test_the_plan_lists_the_most_urgent_action_first():
    ids, segs = customers()
    groups = pd.DataFrame({"customer_id": ids, "segment": segs, "group": assign_groups(ids, segs, 0.1, seed=7)})
    plan = campaign_plan(SEGMENTS, groups, None, "value_basis_none", horizon_days=365, language="en")
    assert plan["segment"].tolist() == [1, 0, 2, 3]  # priorities 1, 2, then none
    assert plan["expected_value"].isna().all() and plan["detectable_uplift"].notna().all()
