"""Purchases and returns as customers mean them: a zero-amount line is a purchase, customers
whose returns cancel their purchases are a stated state of their own, kept out of clustering,
never prospects and never "-0 %" of revenue. Checked end to end on a small generated export
(and on the CDNOW sample, whose eight free-only customers used to vanish)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from seglab import i18n
from seglab.config import config_from_dict
from seglab.features import value_risk
from seglab.pipeline import stages
from test_clv import cdnow_transactions

AS_OF = pd.Timestamp("2025-12-31")


def _export(seed=5, n_regular=300, n_free=6, n_returns_only=8, n_net_negative=7):
    """A transactions-only export with planted free-only, returns-only and net-negative customers."""
    rng = np.random.default_rng(seed)
    rows, order = [], 0

    def line(cid, day, amount, refund_of=None):
        nonlocal order
        order += 1
        oid = f"CO{refund_of:06d}" if refund_of is not None else f"O{order:06d}"
        rows.append((cid, oid, (AS_OF - pd.Timedelta(days=int(day))).strftime("%Y-%m-%d"), round(float(amount), 2)))
        return order

    for i in range(n_regular):
        for day in rng.choice(np.arange(1, 720), size=rng.integers(1, 9), replace=False):
            line(f"R{i:04d}", day, rng.gamma(3, 20) + 1)
    for i in range(n_free):  # a free sample or a 100 % voucher was all they ever had
        for day in rng.choice(np.arange(1, 400), size=rng.integers(1, 3), replace=False):
            line(f"F{i:04d}", day, 0.0)
    for i in range(n_returns_only):  # the refund of an order bought before the export
        line(f"X{i:04d}", rng.integers(1, 300), -rng.gamma(3, 20) - 1, refund_of=900_000 + i)
    for i in range(n_net_negative):  # bought, then returned all of it (one returned a bit more)
        amount = rng.gamma(3, 20) + 1
        o = line(f"N{i:04d}", 200, amount)
        line(f"N{i:04d}", 190, -amount - (5.0 if i == 0 else 0.0), refund_of=o)
    frame = pd.DataFrame(rows, columns=["customer", "order_id", "order_date", "amount"])
    return frame.sample(frac=1, random_state=seed).reset_index(drop=True)


def _cfg(tmp_path, **cleaning):
    raw = {"run_name": "returns", "title": "Returns", "client": "Test",
           "data": {"transactions": "transactions.csv", "as_of": str(AS_OF.date())},
           "columns": {"transactions": {"customer_id": "customer", "date": "order_date", "amount": "amount",
                                        "order_id": "order_id"}},
           "cleaning": cleaning,
           "segmentation": {"method": "kmeans", "features": ["recency", "frequency", "monetary"],
                            "k": "auto", "k_range": [2, 4], "stability_runs": 2},
           "personas": {"min_count": 5}}
    return config_from_dict(raw, base_dir=tmp_path)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("returns")
    export = _export()
    export.to_csv(folder / "transactions.csv", index=False)
    cfg = _cfg(folder)
    out = folder / "run"
    for stage in ("clean", "features", "segment", "personas"):
        stages.STAGE_FUNCTIONS[stage](cfg, out)
    (out / "params.yaml").write_text(cfg.to_yaml(), encoding="utf-8")
    return export, cfg, out


def _read(out):
    features = pd.read_parquet(out / "features.parquet").set_index("customer_id")
    assignments = pd.read_csv(out / "assignments.csv", dtype={"customer_id": str}).set_index("customer_id")
    load = lambda name: json.loads((out / name).read_text(encoding="utf-8"))  # noqa: E731
    return features, assignments, load("features.json"), load("segmentation.json"), load("segments.json")


def test_free_purchases_keep_their_customers_with_recency_and_frequency(run):
    export, cfg, out = run
    features, assignments, meta, _, _ = _read(out)
    assert len(features) == export["customer"].nunique() == 321  # nobody left the base
    quality = json.loads((out / "quality.json").read_text())
    assert quality["sources"]["transactions"]["zero_amount_purchases"] == int((export["amount"] == 0).sum())
    free = export[export["customer"].str.startswith("F")]
    by_hand = free.groupby("customer").agg(last=("order_date", "max"), n=("order_date", "nunique"))
    by_hand["recency"] = (AS_OF - pd.to_datetime(by_hand["last"])).dt.days
    f = features.loc[by_hand.index]
    assert f["recency"].tolist() == by_hand["recency"].tolist()
    assert f["frequency"].tolist() == by_hand["n"].tolist() and (f["monetary"] == 0).all()
    assert set(f["buyer_type"]) <= {"first-time", "repeat"}
    assert not f["lifecycle"].isin(["prospect", "returns_only", "net_negative"]).any()
    assert set(f.index) <= set(assignments.index)


def test_returns_only_and_net_negative_are_states_of_their_own(run):
    export, cfg, out = run
    features, _, meta, _, _ = _read(out)
    net = export.groupby("customer")["amount"].sum()
    bought = export[~export["order_id"].str.startswith("C")].groupby("customer").size()
    returned = export[export["order_id"].str.startswith("C")]["customer"].unique()
    returns_only = sorted(set(returned) - set(bought.index))
    net_negative = sorted(c for c in returned if c in bought.index and net[c] <= 0)
    assert len(returns_only) == 8 and len(net_negative) == 7
    assert features.loc[returns_only, "lifecycle"].eq("returns_only").all()
    assert features.loc[returns_only, "buyer_type"].eq("returns-only").all()
    assert features.loc[net_negative, "lifecycle"].eq("net_negative").all()
    refunds = returns_only + net_negative
    assert features.loc[refunds, "value_risk_cell"].eq(value_risk.RETURNS.key).all()
    assert features.loc[refunds, "risk_tier"].isna().all()
    assert not features["value_risk_cell"].eq("prospect").any()  # every customer here has a line
    assert meta["customers"]["returns_only"] == 8 and meta["customers"]["net_negative"] == 7
    assert meta["lifecycle"]["counts"]["returns_only"] == 8
    # value tiers are cut among the other buyers only
    assert sum(meta["value_tiers"]["counts"].values()) == len(features) - len(refunds)


def test_they_are_kept_out_of_clustering_as_their_own_named_group(run):
    export, cfg, out = run
    features, assignments, _, seg, segments = _read(out)
    refunds = features.index[features["lifecycle"].isin(["returns_only", "net_negative"])]
    outside = seg["outside_segmentation"]
    assert outside["customers"] == len(refunds) == 15
    assert outside["by_state"] == {"returns_only": 8, "net_negative": 7}
    assert "kept out of the segmentation" in outside["reason"]
    group = outside["segment"]
    assert group == seg["k"]  # numbered after the segments the clustering found
    assert set(assignments.index[assignments["segment"] == group]) == set(refunds)
    sizes = {s["segment"]: s["n"] for s in seg["sizes"]}
    assert sizes[group] == 15 and sum(sizes.values()) == len(features)
    assert group not in seg["below_min_share"]
    entry = next(s for s in segments["segments"] if s["id"] == group)
    assert entry["kind"] == "returns" and entry["name"] == i18n.t("name_returns_group", "en")
    assert entry["value_risk"]["cell"] == value_risk.RETURNS.key
    assert entry["actions"][0]["message"] == i18n.t("message_returns", "en")
    assert all(s["kind"] == "segment" for s in segments["segments"] if s["id"] != group)
    # the saved model reproduces the assignments, the group included
    import joblib

    model = joblib.load(out / "model.joblib")
    table = pd.read_parquet(out / "features.parquet")
    np.testing.assert_array_equal(model.predict(table), assignments.loc[table["customer_id"], "segment"].to_numpy())


def test_revenue_shares_are_of_positive_net_revenue_and_never_negative(run):
    export, cfg, out = run
    features, assignments, _, _, segments = _read(out)
    net = export.groupby("customer")["amount"].sum()
    positive = net.clip(lower=0)
    assert segments["base"]["revenue"] == pytest.approx(positive.sum(), rel=1e-9)
    assert segments["base"]["revenue_net"] == pytest.approx(net.sum(), rel=1e-9)
    for s in segments["segments"]:
        members = assignments.index[assignments["segment"] == s["id"]]
        assert s["revenue_share"] == pytest.approx(positive[members].sum() / positive.sum(), abs=1e-4)
        assert s["revenue_share"] >= 0
    assert sum(s["revenue_share"] for s in segments["segments"]) == pytest.approx(1, abs=1e-3)
    group = next(s for s in segments["segments"] if s["kind"] == "returns")
    assert group["revenue_share"] == 0 and group["net_spend"] == pytest.approx(net[net <= 0].sum())


def test_the_report_states_the_group_and_never_shows_minus_zero(run):
    export, cfg, out = run
    stages.report(cfg, out)
    html = (out / "report.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", html)
    assert not re.search(r"[-−]0\s?%", text)
    assert i18n.t("name_returns_group", "en") in text
    assert "were kept out of the segmentation" in text
    assert "Returns cancel purchases" in text
    assert "Prospect" not in text


def test_zero_amount_quarantine_is_the_analysts_choice(tmp_path):
    export = _export(n_regular=40)
    export.to_csv(tmp_path / "transactions.csv", index=False)
    cfg = _cfg(tmp_path, zero_amount="quarantine")
    out = tmp_path / "run"
    quality = stages.clean(cfg, out)
    t = quality["sources"]["transactions"]
    assert t["quarantined_by_rule"]["zero_amount"] == int((export["amount"] == 0).sum())
    assert t["zero_amount_purchases"] == 0
    quarantine = pd.read_csv(out / "quarantine.csv", dtype=str)
    assert (quarantine["reason"].str.contains("zero") | quarantine["reason"].str.contains("amount")).any()


def test_cdnow_free_only_customers_stay_in_the_base(tmp_path):
    raw = cdnow_transactions().rename(columns={"customer_id": "customer"})
    raw["order_date"] = raw["date"].dt.strftime("%Y-%m-%d")
    raw[["customer", "order_date", "amount"]].to_csv(tmp_path / "transactions.csv", index=False)
    free_only = raw.groupby("customer")["amount"].max().loc[lambda s: s == 0]
    assert len(free_only) == 8  # the 8 customers whose only purchases were free
    cfg = config_from_dict({"run_name": "cdnow", "data": {"transactions": "transactions.csv"},
                            "columns": {"transactions": {"customer_id": "customer", "date": "order_date",
                                                         "amount": "amount"}}}, base_dir=tmp_path)
    out = tmp_path / "run"
    stages.clean(cfg, out)
    features = stages.features(cfg, out).set_index("customer_id")
    assert len(features) == raw["customer"].nunique() == 2357
    assert set(free_only.index) <= set(features.index)
    assert features.loc[free_only.index, "frequency"].ge(1).all()
    assert features.loc[free_only.index, "lifecycle"].isin(["new", "active", "dormant", "churned"]).all()
