"""Personas: statistics checked against independent calculations, names, narratives, actions.

The synthetic base below plants four groups with known traits, so the tests
need nothing from the rest of the pipeline. ``synthetic_run`` is shared with
test_figures.py and test_sections.py.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from seglab import i18n
from seglab.config import config_from_dict
from seglab.demo.engine import VALUE_LABELS
from seglab.errors import ParamsError
from seglab.features import value_risk as targeting
from seglab.report import actions
from seglab.report.personas import build_personas
from seglab.report.profiles import profile_matrix

PLANTED = {
    # segment id: (name, size, age range, interest, channel, orders, order value, returns, recency range)
    3: ("runners", 220, (18, 28), "running", "app", 12, 40.0, 0.1, (1, 60)),
    0: ("hikers", 180, (40, 55), "hiking", "store", 2, 600.0, 0.1, (30, 200)),
    1: ("bargains", 200, (25, 45), "deals", "web", 4, 60.0, 3.0, (10, 150)),
    2: ("lapsed", 160, (50, 70), "fitness", "store", 3, 150.0, 0.2, (460, 700)),
}
INTERESTS = ["running", "hiking", "deals", "fitness", "fashion"]
CHANNELS = ["app", "store", "web"]


def synthetic_run(seed: int = 7, *, transactions: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A features table and assignments with four planted segments (and PII to keep out)."""
    rng = np.random.default_rng(seed)
    frames = []
    for seg, (_, n, (lo, hi), interest, channel, orders, value, returns, (r_lo, r_hi)) in PLANTED.items():
        pick = lambda main, pool: np.where(rng.random(n) < 0.75, main, rng.choice(pool, n))  # noqa: E731
        frame = pd.DataFrame({
            "segment": seg,
            "age": rng.uniform(lo, hi, n).round(),
            "income": rng.gamma(4, 30 if seg != 0 else 50, n).round(1),
            "gender": rng.choice(["male", "female"], n),
            "city": rng.choice(["Shanghai", "Beijing", "Chengdu"], n),
            "interest": pick(interest, INTERESTS),
            "channel": pick(channel, CHANNELS),
        })
        if transactions:
            freq = rng.poisson(orders, n) + 1
            aov = rng.gamma(5, value / 5, n)
            frame["frequency"] = freq
            frame["aov"] = aov
            frame["monetary"] = freq * aov
            frame["recency"] = rng.uniform(r_lo, r_hi, n).round()
            frame["n_returns"] = rng.poisson(returns, n)
            frame["tenure_days"] = frame["recency"] + rng.uniform(100, 900, n).round()
            frame["r_score"] = 3
            frame["rfm_segment"] = np.where(frame["recency"] > 365, "Lost", np.where(freq > 8, "Champions", "Promising"))
            frame["lifecycle"] = np.where(frame["recency"] > 365, "churned", np.where(frame["recency"] > 180, "dormant", "active"))
        frames.append(frame)
    df = pd.concat(frames, ignore_index=True)
    df = df.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    n = len(df)
    df.insert(0, "customer_id", [f"C{i:05d}" for i in range(n)])
    df["email"] = [f"person{i}@example.com" for i in range(n)]
    df["email_hash"] = [f"{(i * 2654435761) % 2**32:08x}" for i in range(n)]
    df.loc[df.index[:6], "city"] = "Lhasa"  # a tiny cell that must not be read as a trait
    if transactions:
        df["churn_risk"] = np.clip((df["recency"] - 90) / 365, 0, 1)
        df["value_tier"] = pd.qcut(df["monetary"].rank(method="first"), [0, 0.5, 0.8, 1.0], labels=["low", "mid", "high"]).astype(str)
        df["risk_tier"] = np.where(df["churn_risk"] >= 0.7, "high", np.where(df["churn_risk"] >= 0.3, "medium", "low"))
        df["value_risk_cell"] = [targeting.cell_key(v, r) for v, r in zip(df["value_tier"], df["risk_tier"])]
    assignments = pd.DataFrame({"customer_id": df["customer_id"], "segment": df["segment"],
                                "segment_name": "Segment " + df["segment"].astype(str)})
    features = df.drop(columns="segment")
    return features, assignments


def make_cfg(tmp_path, **overrides):
    """A validated RunConfig for the synthetic base."""
    raw = {"run_name": "synthetic", "title": "Synthetic", "client": "Test Co.",
           "data": {"customers": "customers.csv"},
           "columns": {"pii": ["email", "name"], "numeric": ["age", "income"],
                       "categorical": ["gender", "city", "interest", "channel"]},
           "personas": {"min_count": 20}}
    for key, value in overrides.items():
        node = raw
        *path, last = key.split(".")
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return config_from_dict(raw, base_dir=tmp_path)


@pytest.fixture(scope="module")
def base():
    return synthetic_run()


@pytest.fixture(scope="module")
def result(base, tmp_path_factory):
    features, assignments = base
    return build_personas(features, assignments, make_cfg(tmp_path_factory.mktemp("cfg")))


def _by_id(result):
    return {s["id"]: s for s in result["segments"]}


def _frame(base):
    features, assignments = base
    return features.merge(assignments[["customer_id", "segment"]], on="customer_id")


# ------------------------------------------------------------------ numbers

def test_sizes_shares_and_revenue_match_independent_calculation(base, result):
    df = _frame(base)
    segs = _by_id(result)
    assert sorted(segs) == sorted(PLANTED)
    assert result["base"]["customers"] == len(df)
    assert result["base"]["revenue"] == pytest.approx(df["monetary"].sum(), rel=1e-6)
    for sid, s in segs.items():
        part = df[df["segment"] == sid]
        assert s["size"] == len(part)
        assert s["share"] == pytest.approx(len(part) / len(df), abs=1e-4)
        assert s["revenue_share"] == pytest.approx(part["monetary"].sum() / df["monetary"].sum(), abs=1e-4)
    assert sum(s["size"] for s in segs.values()) == len(df)


def _typical_by_hand(values: pd.Series, feature: str) -> tuple[str, object]:
    """The profile's statistic, recomputed: median unless the median cannot describe a typical customer."""
    known = values.dropna()
    top_share = known.value_counts().iloc[0] / len(known)
    if feature == "churn_risk" or known.nunique() <= 10 or top_share >= 0.25 or known.median() <= 0:
        lo, hi = np.quantile(known, [0.01, 0.99])
        return "mean", lambda x: float(np.clip(x.dropna(), lo, hi).mean())
    return "median", lambda x: float(x.dropna().median())


def test_numeric_index_is_the_typical_value_over_the_base_recomputed_by_hand(base, result):
    df = _frame(base)
    for sid, s in _by_id(result).items():
        part = df[df["segment"] == sid]
        features = {p["feature"] for p in s["profile"]["numeric"]}
        assert {"age", "income", "frequency", "aov", "monetary", "recency", "n_returns"} <= features
        assert not features & {"r_score", "email_hash", "customer_id"}
        for p in s["profile"]["numeric"]:
            statistic, typical = _typical_by_hand(df[p["feature"]].astype(float), p["feature"])
            seg, whole = typical(part[p["feature"]].astype(float)), typical(df[p["feature"]].astype(float))
            assert p["statistic"] == statistic, p["feature"]
            assert p["typical"] == pytest.approx(seg, abs=1e-3)
            assert p["base_typical"] == pytest.approx(whole, abs=1e-3)
            assert p["index"] == pytest.approx(seg / whole * 100, abs=0.051)
            assert p["mean"] == pytest.approx(part[p["feature"]].mean(), abs=1e-3)


def test_categories_listed_are_exactly_the_over_represented_ones_with_enough_customers(base, result):
    df = _frame(base)
    min_count, min_lift = result["base"]["min_count"], result["base"]["min_lift"]
    for sid, s in _by_id(result).items():
        part = df[df["segment"] == sid]
        expected = set()
        for col in ("gender", "city", "interest", "channel"):
            for value in df[col].dropna().unique():
                share, base_share = (part[col] == value).mean(), (df[col] == value).mean()
                count = int((part[col] == value).sum())
                if count >= min_count and share / base_share >= min_lift:
                    expected.add((col, value))
        listed = {(c["feature"], c["value"]) for c in s["profile"]["categorical"]}
        assert listed == expected
        for c in s["profile"]["categorical"]:
            hit = part[c["feature"]] == c["value"]
            assert c["count"] == int(hit.sum())
            assert c["share"] == pytest.approx(hit.mean(), abs=1e-4)
            assert c["base_share"] == pytest.approx((df[c["feature"]] == c["value"]).mean(), abs=1e-4)
            assert c["lift"] == pytest.approx(hit.mean() / (df[c["feature"]] == c["value"]).mean(), abs=0.006)


def test_small_cells_are_not_read_as_traits(result):
    # Lhasa: 6 customers, lift far above 1 wherever they fall, but below min_count.
    for s in result["segments"]:
        assert all(c["value"] != "Lhasa" for c in s["profile"]["categorical"])
        assert "Lhasa" not in json.dumps(s["persona"], ensure_ascii=False)


def test_mixes_sum_to_one_and_match_the_data(base, result):
    df = _frame(base)
    for sid, s in _by_id(result).items():
        part = df[df["segment"] == sid]
        for key, col in (("lifecycle_mix", "lifecycle"), ("rfm_mix", "rfm_segment")):
            assert sum(s[key].values()) == pytest.approx(1, abs=1e-3)
            for value, share in s[key].items():
                assert share == pytest.approx((part[col] == value).mean(), abs=1e-4)


# ------------------------------------------------------------------ names and text

def test_names_are_unique_and_name_the_planted_traits(result):
    segs = _by_id(result)
    names = [s["name"] for s in segs.values()]
    assert len({n.casefold() for n in names}) == len(names)
    assert re.search(r"young", segs[3]["name"], re.I) and "running" in segs[3]["name"]
    assert "hiking" in segs[0]["name"] or "store" in segs[0]["name"]
    assert re.search(r"lapsed", segs[2]["name"], re.I)


@pytest.mark.parametrize("sid, words", [
    (3, ["running", "app", "age", "younger|well below|below"]),
    (0, ["hiking", "store", "average order", "well above|above"]),
    (1, ["deals", "web", "returned", "good prices"]),
    (2, ["months", "churned"]),
])
def test_narrative_names_each_planted_group_recognisably(result, sid, words):
    persona = _by_id(result)[sid]["persona"]
    text = persona["narrative"]
    for word in words:
        assert re.search(word, text), (word, text)
    assert set(persona) >= {"who", "needs", "behaviour", "narrative", "summary"}
    assert persona["summary"].startswith(_by_id(result)[sid]["name"])


def test_lapsed_group_reads_as_over_a_year_without_purchase(base, result):
    df = _frame(base)
    months = df.loc[df["segment"] == 2, "recency"].mean() / 30.44
    assert f"about {round(months)} months" in _by_id(result)[2]["persona"]["behaviour"]


def test_no_personal_data_in_segments_json(base, result):
    features, _ = base
    dumped = json.dumps(result, ensure_ascii=False)
    assert "email" not in dumped
    for value in list(features["email"].head(50)) + list(features["email_hash"].head(50)) + list(features["customer_id"].head(50)):
        assert value not in dumped


def test_analyst_names_and_notes_override(base, tmp_path):
    features, assignments = base
    cfg = make_cfg(tmp_path, **{"personas.names": {0: "Trail walkers"}, "personas.notes": {0: "Check the Chengdu stores."}})
    segs = _by_id(build_personas(features, assignments, cfg))
    assert segs[0]["name"] == "Trail walkers"
    assert segs[0]["notes"] == "Check the Chengdu stores."
    assert segs[0]["persona"]["summary"].startswith("Trail walkers")
    assert segs[1]["notes"] is None


def test_analyst_names_must_be_unique_and_exist(base, tmp_path):
    features, assignments = base
    with pytest.raises(ParamsError, match="both named"):
        build_personas(features, assignments, make_cfg(tmp_path, **{"personas.names": {0: "A", 1: "a"}}))
    with pytest.raises(ParamsError, match="no segment 9"):
        build_personas(features, assignments, make_cfg(tmp_path, **{"personas.names": {9: "Ghost"}}))


def test_generated_name_is_disambiguated_when_an_analyst_name_takes_it(base, result, tmp_path):
    features, assignments = base
    taken = _by_id(result)[3]["name"]
    segs = _by_id(build_personas(features, assignments, make_cfg(tmp_path, **{"personas.names": {0: taken}})))
    assert segs[0]["name"] == taken
    assert segs[3]["name"] != taken
    names = [s["name"].casefold() for s in segs.values()]
    assert len(set(names)) == len(names)


def test_identical_segments_still_get_unique_names(tmp_path):
    features, assignments = synthetic_run()
    # Split the runners in two halves: same traits, two segments.
    runners = assignments.index[assignments["segment"] == 3]
    assignments = assignments.copy()
    assignments.loc[runners[::2], "segment"] = 7
    segs = build_personas(features, assignments, make_cfg(tmp_path))["segments"]
    names = [s["name"].casefold() for s in segs]
    assert len(set(names)) == len(names)


def test_rules_method_keeps_the_analysts_rule_names(base, tmp_path):
    features, assignments = base
    assignments = assignments.assign(segment_name=assignments["segment"].map({0: "Hikers", 1: "Deal seekers", 2: "Gone", 3: "Runners"}))
    cfg = make_cfg(tmp_path, **{"segmentation.method": "rules"})
    assert {s["name"] for s in build_personas(features, assignments, cfg)["segments"]} == {"Hikers", "Deal seekers", "Gone", "Runners"}


# ------------------------------------------------------------------ placement and actions

def test_value_risk_cell_is_where_most_customers_are_recomputed_by_hand(base, result):
    df = _frame(base)
    for sid, s in _by_id(result).items():
        part = df[df["segment"] == sid]
        vr = s["value_risk"]
        shares = part["value_risk_cell"].value_counts(normalize=True)
        revenue = part.groupby("value_risk_cell")["monetary"].sum() / part["monetary"].sum()
        assert vr["cell"] == shares.idxmax()
        assert vr["cell_share"] == pytest.approx(shares.max(), abs=1e-4)
        assert vr["cell_revenue_share"] == pytest.approx(revenue[vr["cell"]], abs=1e-4)
        assert vr["majority"] == (shares.max() >= 0.5)
        assert {c["cell"]: c["share"] for c in vr["spread"]} == pytest.approx(shares.to_dict(), abs=1e-4)
        assert sum(c["share"] for c in vr["spread"]) == pytest.approx(1, abs=1e-3)
        info = targeting.cell_info(vr["cell"], "en")
        assert (vr["value_tier"], vr["risk_tier"]) == (info["value_tier"], info["risk_tier"])
        assert (vr["name"], vr["priority"]) == (info["name"], info["priority"])
    assert _by_id(result)[2]["value_risk"]["risk_tier"] == "high"
    assert _by_id(result)[0]["value_risk"]["value_tier"] == "high"


def test_actions_follow_cell_and_traits(result):
    segs = _by_id(result)
    for s in segs.values():
        assert s["actions"], s["name"]
        for a in s["actions"]:
            assert {"objective", "channel", "offer", "message", "kpi", "test", "opportunity", "priority"} <= set(a)
            assert a["priority"] == s["value_risk"]["priority"]
            assert a["objective"] == actions.objective(s)
    assert segs[3]["actions"][0]["channel"] == "app"
    assert segs[0]["actions"][0]["channel"] == "store"
    assert "discount" in segs[1]["actions"][0]["offer"]
    # The lapsed group (recency over a year) is won back, never thanked.
    assert segs[2]["actions"][0]["objective"].startswith("win_back")
    assert "loyalty" not in segs[2]["actions"][0]["message"]


def test_without_transactions_there_is_no_value_risk_and_no_invented_behaviour(tmp_path):
    features, assignments = synthetic_run(transactions=False)
    result = build_personas(features, assignments, make_cfg(tmp_path))
    for s in result["segments"]:
        assert s["revenue_share"] is None and s["value_risk"] is None
        assert s["rfm_mix"] is None and s["lifecycle_mix"] is None
        assert s["actions"][0]["priority"] is None
        assert "no purchase history" in s["persona"]["behaviour"]
    assert result["base"]["revenue"] is None


# ------------------------------------------------------------------ Chinese

def _strip_data_values(text: str, values) -> str:
    for v in sorted({str(v) for v in values}, key=len, reverse=True):
        text = text.replace(v, " ")
    return text


def test_chinese_personas_have_no_english_interface_text(base, tmp_path):
    features, assignments = base
    labels = {"zh": {"interest": VALUE_LABELS["zh"]["interest"], "channel": VALUE_LABELS["zh"]["channel"],
                     "gender": VALUE_LABELS["zh"]["gender"], "city": VALUE_LABELS["zh"]["city"]}}
    result = build_personas(features, assignments, make_cfg(tmp_path, language="zh",
                                                            **{"columns.value_labels": labels}))
    values = set()
    for col in ("gender", "city", "interest", "channel", "rfm_segment", "lifecycle"):
        values |= set(features[col].astype(str).unique())
    for s in result["segments"]:
        texts = [s["name"], *s["persona"].values(), *(a[k] for a in s["actions"] for k in ("channel", "offer", "message"))]
        for text in texts:
            leftover = re.findall(r"[A-Za-z]{2,}", _strip_data_values(text, values))
            assert not leftover, (leftover, text)
    names = [s["name"] for s in result["segments"]]
    assert len(set(names)) == len(names)
    assert any("跑步" in n for n in names)


def test_every_language_has_every_interface_key():
    en = {k for k in i18n.table("en") if not k.startswith("value_")}
    zh = {k for k in i18n.table("zh") if not k.startswith("value_")}
    assert en == zh
    # rule_other: the Chinese text leaves out the rule's (English) id.
    for key in en - {"rule_other"}:
        assert set(re.findall(r"{(\w+)}", i18n.table("en")[key])) == set(re.findall(r"{(\w+)}", i18n.table("zh")[key])), key


def test_profile_matrix_masks_small_cells(base, tmp_path):
    features, assignments = base
    cfg = make_cfg(tmp_path)
    matrix, mask = profile_matrix(features, assignments, cfg)
    assert sorted(matrix.columns) == sorted(PLANTED)
    assert "age" in matrix.index and "interest: running" in matrix.index
    df = _frame(base)
    share = (df.loc[df["segment"] == 3, "interest"] == "running").mean() / (df["interest"] == "running").mean()
    assert matrix.loc["interest: running", 3] == pytest.approx(100 * share, abs=0.051)
    assert mask.shape == matrix.shape


def test_lapsed_leads_a_name_only_when_most_of_the_segment_has_lapsed(base, tmp_path):
    features, assignments = base
    features = features.copy()
    hikers = assignments["segment"].to_numpy() == 0
    # Hikers last bought later than most, yet all within the active window: late, not lapsed.
    features.loc[hikers, "recency"] = np.random.default_rng(2).uniform(150, 179, hikers.sum()).round()
    features.loc[hikers, "lifecycle"] = "active"
    segs = _by_id(build_personas(features, assignments, make_cfg(tmp_path)))
    recency = next(p for p in segs[0]["profile"]["numeric"] if p["feature"] == "recency")
    assert recency["index"] > 125  # the planted pattern: a clearly later last purchase
    assert "lapsed" not in segs[0]["name"].lower()
    assert "lapsed" in segs[2]["name"].lower()  # 100 % churned


def test_a_run_without_attributes_does_not_call_customers_average(base, tmp_path):
    features, assignments = base
    behaviour = features[["customer_id", "frequency", "aov", "monetary", "recency", "n_returns", "tenure_days",
                          "rfm_segment", "lifecycle", "churn_risk", "value_tier", "risk_tier", "value_risk_cell"]]
    cfg = make_cfg(tmp_path, **{"columns.numeric": [], "columns.categorical": []})
    for s in build_personas(behaviour, assignments, cfg)["segments"]:
        assert "close to the average customer" not in s["persona"]["who"]
        assert i18n.t("who_no_attributes", "en") in s["persona"]["who"]
