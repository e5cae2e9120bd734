"""Profiles no single value can swing: typical values, capped averages, rank-based effects."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from seglab.report import profiles
from seglab.report.personas import build_personas
from test_personas import make_cfg


def _orders(seed: int = 3, outlier: float | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three segments; segment 1's typical order is half everyone else's; one order can be absurd."""
    rng = np.random.default_rng(seed)
    sizes, medians = {0: 300, 1: 200, 2: 300}, {0: 120.0, 1: 55.0, 2: 110.0}
    frames = [pd.DataFrame({"segment": s, "aov": rng.lognormal(math.log(medians[s]), 0.35, n).round(2),
                            "age": rng.normal(40, 8, n).round()})
              for s, n in sizes.items()]
    df = pd.concat(frames, ignore_index=True)
    if outlier is not None:
        df.loc[0, "aov"] = outlier  # one customer of segment 0
    df.insert(0, "customer_id", [f"C{i:04d}" for i in range(len(df))])
    return df.drop(columns="segment"), df[["customer_id", "segment"]]


def _aov(result, sid):
    seg = next(s for s in result["segments"] if s["id"] == sid)
    return next(p for p in seg["profile"]["numeric"] if p["feature"] == "aov"), seg


def test_one_absurd_order_does_not_make_a_half_price_segment_look_average(tmp_path):
    cfg = make_cfg(tmp_path, **{"columns.numeric": ["aov", "age"], "columns.categorical": []})
    clean = build_personas(*_orders(), cfg)
    features, assignments = _orders(outlier=1e6)  # ~8,000 times the median order
    spoiled = build_personas(features, assignments, cfg)
    # the planted pattern: with the mean and the raw standard deviation the segment read as average
    x, seg1 = features["aov"], (assignments["segment"] == 1).to_numpy()
    assert abs(x[seg1].mean() - x.mean()) / x.std(ddof=0) < profiles.NOTABLE
    for result in (clean, spoiled):
        aov, seg = _aov(result, 1)
        assert aov["statistic"] == "median"
        assert 40 < aov["index"] < 60
        assert "Small-basket" in seg["name"] or "small-basket" in seg["name"]
        assert "close to the average customer" not in seg["persona"]["summary"]
    assert _aov(spoiled, 1)[0]["index"] == pytest.approx(_aov(clean, 1)[0]["index"], abs=2)


def test_effect_is_cliffs_delta_on_the_scale_of_a_standardised_difference():
    rng = np.random.default_rng(5)
    values = np.r_[rng.integers(0, 6, 40), rng.integers(2, 9, 25)].astype(float)  # ties on purpose
    frame = pd.DataFrame({"segment": [0] * 40 + [1] * 25, "x": values})
    profile = profiles.numeric_profile(frame, ["x"]).set_index("segment")
    a, b = values[40:], values[:40]  # segment 1 against the rest
    delta = np.mean([np.sign(u - v) for u in a for v in b])
    assert profile.loc[1, "effect"] == pytest.approx(math.sqrt(2) * norm.ppf((delta + 1) / 2), abs=1e-9)
    assert profile.loc[0, "effect"] == pytest.approx(-profile.loc[1, "effect"], abs=1e-9)


def test_the_statistic_says_which_typical_value_is_shown():
    rng = np.random.default_rng(1)
    n = 400
    frame = pd.DataFrame({
        "segment": np.repeat([0, 1], n // 2),
        "spend": rng.lognormal(5, 1, n),                      # continuous: median
        "purchases": np.where(rng.random(n) < 0.6, 1, rng.integers(2, 30, n)),  # most bought once: average
        "rating": rng.integers(1, 8, n),                      # a 1-7 scale: average
        "returns": np.where(rng.random(n) < 0.7, 0, 1),       # median 0: average
        "churn_risk": rng.random(n),                          # a probability: average
    })
    stats = profiles.numeric_profile(frame, ["spend", "purchases", "rating", "returns", "churn_risk"])
    got = stats.drop_duplicates("feature").set_index("feature")["statistic"].to_dict()
    assert got == {"spend": "median", "purchases": "mean", "rating": "mean", "returns": "mean", "churn_risk": "mean"}
    # the capped average: values beyond the base's 1st and 99th percentiles count as those percentiles
    lo, hi = np.quantile(frame["purchases"], [0.01, 0.99])
    want = np.clip(frame.loc[frame["segment"] == 1, "purchases"], lo, hi).mean()
    row = stats[(stats["feature"] == "purchases") & (stats["segment"] == 1)].iloc[0]
    assert row["typical"] == pytest.approx(want, abs=1e-4)


def test_a_number_is_never_a_trait_against_its_own_index():
    # The typical customer of the segment is just below the base's, but half of it ranks far above:
    # the effect says "higher", the index says "lower"; neither word would be true alone.
    seg = np.r_[np.linspace(8.5, 9.0, 51), np.linspace(99.0, 100.0, 49)]
    rest = np.linspace(0, 20, 100)
    frame = pd.DataFrame({"segment": [1] * 100 + [0] * 100, "x": np.r_[seg, rest]})
    num = profiles.numeric_profile(frame, ["x"])
    row = num[num["segment"] == 1].iloc[0]
    assert row["index"] < 100 and row["effect"] > profiles.NOTABLE  # the planted disagreement
    assert profiles.traits(num[num["segment"] == 1], pd.DataFrame(columns=["effect"])) == []
