"""The demo and the case studies plant the problems of issue 11 — implausible values
(:mod:`seglab.demo.implausible`: an extreme money value, 1900-01-01 sign-ups and orders,
absurd orders, a date column of mixed day/month orders) and the engine's free purchases and
returns-only customers — with truth files; each run finds and handles every one of them
exactly where the truth says, with no ``cleaning.ranges`` written for them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, cli, report_of
from seglab.clean.stage import clean_stage
from seglab.config import load_config
from seglab.demo import footwear, implausible
from seglab.demo.b2b_software import SPEC as B2B
from seglab.demo.engine import WINDOW_END
from seglab.demo.generate import CASE_STUDY_DATA, write_demo_data
from seglab.demo.retail import IMPLAUSIBLE as RETAIL

#: name -> (params, data folder, the column that gets an extreme value, the mixed-order column)
CASES = {
    "smoke": ("smoke.yaml", "smoke", RETAIL.money, None),
    "demo": ("demo.yaml", "demo", RETAIL.money, None),
    **{name: (f"case_{name}.yaml", f"case_studies/{name}", None, None) for name in CASE_STUDY_DATA},
    "b2b_software": ("case_b2b_software.yaml", "case_studies/b2b_software", B2B.extreme_value, None),
    "footwear": ("case_footwear.yaml", "case_studies/footwear", footwear.SPEC.extreme_value, footwear.SPEC.mixed_dates),
}
# The smoke data stands for the demo in the fast tier; the others' clean stages take a few seconds.
CLEAN_CASES = [pytest.param(n, marks=pytest.mark.slow) if n == "demo" else n for n in sorted(CASES)]


def _truth(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return tuple(pd.read_csv(folder / "truth" / name, dtype=str, keep_default_na=False)
                 for name in ("customers_truth.csv", "transactions_truth.csv"))


def _rows(frame: pd.DataFrame, source: str, column: str, rule: str) -> set[int]:
    sub = frame[(frame["source"] == source) & (frame["column"] == column) & (frame["rule"] == rule)]
    return set(sub["source_row"].astype(int))


def _planted(truth: pd.DataFrame, label: str) -> set[int]:
    return set(truth.loc[truth["problem"] == label, "source_row"].astype(int))


@pytest.fixture(scope="module", params=CLEAN_CASES)
def cleaned(request, tmp_path_factory):
    name = request.param
    params, data, money, mixed = CASES[name]
    out = tmp_path_factory.mktemp(f"planted-{name}")
    cfg = load_config(ROOT / "params" / params)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEGLAB_SECRET", "test-key")
        quality = clean_stage(cfg, out)
    arts = {a: pd.read_csv(out / f"{a}.csv", dtype=str, keep_default_na=False) for a in ("quarantine", "repairs")}
    return SimpleNamespace(name=name, cfg=cfg, quality=quality, out=out, arts=arts, folder=ROOT / "data" / data,
                           money=money, mixed=mixed)


def test_every_planted_implausible_value_is_found_where_the_truth_says(cleaned):
    c = cleaned
    name, cfg, quality, arts, folder, money, mixed = c.name, c.cfg, c.quality, c.arts, c.folder, c.money, c.mixed
    ct, tt = _truth(folder)
    tx = cfg.columns.transactions
    signup = "signup_date"
    assert not cfg.cleaning.ranges.get(signup)
    expected = [  # (truth, source, label, artifact, column, rule)
        (ct, "customers", "placeholder_date", "repairs", signup, "placeholder_date"),
        (tt, "transactions", "placeholder_date", "quarantine", tx.date, "placeholder_date"),
        (tt, "transactions", "absurd_amount", "repairs", tx.amount, "outlier_capped"),
    ]
    if money:
        expected.append((ct, "customers", "extreme_value", "repairs", money, "outlier_capped"))
    if mixed:
        expected.append((ct, "customers", "ambiguous_date", "repairs", mixed, "ambiguous_date"))
    for truth, source, label, artifact, column, rule in expected:
        planted = _planted(truth, label)
        assert planted, f"{name}: no {label} planted"
        # exactly the planted rows: none missed, and no real value taken for one
        assert _rows(arts[artifact], source, column, rule) == planted, (name, label)
    findings = {(f["source"], f["column"], f["check"]): f for f in quality["plausibility"]["findings"]}
    assert findings[("transactions", tx.amount, "outlier_high")]["count"] == len(_planted(tt, "absurd_amount"))
    assert findings[("customers", signup, "placeholder_date")]["count"] == len(_planted(ct, "placeholder_date"))
    assert findings[("transactions", tx.date, "placeholder_date")]["examples"] == [implausible.PLACEHOLDER]
    if money:
        extreme = findings[("customers", money, "outlier_high")]
        assert extreme["count"] == 1 and extreme["action"] == "capped"
        raw = pd.read_csv(folder / "customers.csv", dtype=str, keep_default_na=False)
        others = pd.to_numeric(raw[money], errors="coerce").drop(index=next(iter(_planted(ct, "extreme_value"))) - 1)
        assert extreme["limit"] == pytest.approx(others.max())  # capped at the largest real value, not lower
    # a customer keeps every other value of the planted row, and no other problem is raised on it
    capped = pd.read_parquet(c.out / "transactions_clean.parquet")["amount"]
    assert capped.max() <= findings[("transactions", tx.amount, "outlier_high")]["limit"] + 0.01


def test_mixed_date_orders_are_read_the_only_way_they_can_be(cleaned):
    name, cfg, quality, out, folder, mixed = (cleaned.name, cleaned.cfg, cleaned.quality, cleaned.out, cleaned.folder,
                                             cleaned.mixed)
    if not mixed:
        pytest.skip(f"{name} has no mixed-order date column")
    ct, _ = _truth(folder)
    order = quality["date_order"][mixed]
    assert order["order"] == "mixed" and order["ambiguous"] == len(_planted(ct, "ambiguous_date"))
    raw = pd.read_csv(folder / "customers.csv", dtype=str, keep_default_na=False)
    clean = pd.read_parquet(out / "customers_clean.parquet").set_index(cfg.columns.customer_id)[mixed]
    for label, fmt in (("day_first_date", "%d/%m/%Y"), ("month_first_date", "%m/%d/%Y")):
        rows = np.array(sorted(_planted(ct, label))) - 1
        assert len(rows), label
        written = raw.iloc[rows]
        want = pd.to_datetime(written[mixed], format=fmt).to_numpy()
        got = clean.reindex(written[cfg.columns.customer_id]).to_numpy()
        kept = ~pd.isna(got)  # a planted duplicate's survivor may hold another record's date
        assert kept.mean() > 0.9 and (got[kept] == want[kept]).all(), label


def test_free_purchases_are_kept_as_purchases(cleaned):
    _, tt = _truth(cleaned.folder)
    free = _planted(tt, "free_purchase")
    quarantine = cleaned.arts["quarantine"]
    assert free and not free & set(quarantine.loc[quarantine["source"] == "transactions", "source_row"].astype(int))
    assert cleaned.quality["sources"]["transactions"]["zero_amount_purchases"] == len(free)


# ----------------------------------------------------------------------- end to end


def _lines_by_customer(folder: Path, cfg) -> pd.DataFrame:
    """Per customer of the raw export: the set of truth labels of their lines."""
    _, tt = _truth(folder)
    tx = pd.read_csv(folder / "transactions.csv", dtype=str, keep_default_na=False)
    return tt["problem"].groupby(tx[cfg.columns.transactions.customer_id]).agg(frozenset)


def test_the_smoke_run_handles_free_buyers_and_returns_only_customers(smoke_run):
    cfg = load_config(smoke_run / "params.yaml")
    kinds = _lines_by_customer(ROOT / "data" / "smoke", cfg)
    ct, _ = _truth(ROOT / "data" / "smoke")
    # customers with no planted problem of their own and no second record
    single = ct.loc[(ct["problem"] == "") & ~ct["customer_id"].isin(set(ct["duplicate_of"])), "customer_id"]
    kinds = kinds[kinds.index.isin(single)]
    features = pd.read_parquet(smoke_run / "features.parquet").set_index("customer_id")
    assignments = pd.read_csv(smoke_run / "assignments.csv", dtype={"customer_id": str}).set_index("customer_id")
    segmentation = json.loads((smoke_run / "segmentation.json").read_text(encoding="utf-8"))
    segments = json.loads((smoke_run / "segments.json").read_text(encoding="utf-8"))["segments"]
    in_base = kinds.index.intersection(features.index)

    free_only = in_base[(kinds[in_base] == frozenset({"free_purchase"})).to_numpy()]
    assert len(free_only)
    f = features.loc[free_only]
    assert (f["frequency"] >= 1).all() and (f["monetary"] == 0).all() and not f["lifecycle"].eq("prospect").any()

    returns_only = in_base[(kinds[in_base] == frozenset({"return"})).to_numpy()]
    group = segmentation["outside_segmentation"]
    assert (features.loc[returns_only, "lifecycle"] == "returns_only").all()
    assert (features.loc[returns_only, "value_risk_cell"] == "returns").all()
    assert (assignments.loc[returns_only, "segment"] == group["segment"]).all()
    assert group["by_state"].get("returns_only", 0) == len(returns_only)
    returns = next(s for s in segments if s["kind"] == "returns")
    assert returns["id"] == group["segment"] and returns["net_spend"] <= 0 and returns["revenue_share"] == 0
    assert all(s["revenue_share"] >= 0 for s in segments)
    assert not features["lifecycle"].eq("prospect").any() or \
        features.loc[features["lifecycle"].eq("prospect"), "frequency"].eq(0).all()


def test_the_smoke_run_reports_the_planted_values(smoke_run):
    quality = json.loads((smoke_run / "quality.json").read_text(encoding="utf-8"))
    ct, tt = _truth(ROOT / "data" / "smoke")
    found = {(f["source"], f["column"], f["check"]): f["count"] for f in quality["plausibility"]["findings"]}
    assert found[("customers", "income", "outlier_high")] == len(_planted(ct, "extreme_value")) == 1
    assert found[("customers", "signup_date", "placeholder_date")] == len(_planted(ct, "placeholder_date"))
    assert found[("transactions", "order_date", "placeholder_date")] == len(_planted(tt, "placeholder_date"))
    assert found[("transactions", "amount", "outlier_high")] == len(_planted(tt, "absurd_amount"))
    # the absurd orders reach neither the customers' spend nor the revenue
    features = pd.read_parquet(smoke_run / "features.parquet")
    raw = pd.read_csv(ROOT / "data" / "smoke" / "transactions.csv", dtype={"customer_id": str})
    absurd = raw.loc[(tt["problem"] == "absurd_amount").to_numpy()]
    assert (features.set_index("customer_id").loc[absurd["customer_id"], "monetary"] < absurd["amount"].to_numpy()).all()
    html = (smoke_run / "report.html").read_text(encoding="utf-8")
    assert implausible.PLACEHOLDER in html  # the data-quality section shows the examples


# ----------------------------------------------------------------------- a base that degenerates BG/NBD


@pytest.fixture(scope="module")
def lapsed_base_run(tmp_path_factory):
    """A run on the lapsed_base scenario (steady accounts that never leave, a few lapsed repeat buyers)."""
    folder = tmp_path_factory.mktemp("lapsed-base")
    write_demo_data(folder / "data", n_customers=1000, seed=3, scenario="lapsed_base")
    params = {
        "run_name": "lapsed_base", "language": "en", "seed": 3,
        "data": {"customers": "data/customers.csv", "transactions": "data/transactions.csv", "as_of": str(WINDOW_END)},
        "columns": {"customer_id": "customer_id", "pii": ["name", "email", "phone"], "numeric": ["age"],
                    "categorical": ["gender", "city", "trade"], "dates": ["signup_date"],
                    "transactions": {"customer_id": "customer_id", "date": "order_date", "amount": "amount",
                                     "order_id": "order_id"}},
        "cleaning": {"dedupe_on": ["email", "phone"]},
        "segmentation": {"method": "kmeans", "features": ["recency", "frequency", "monetary"], "k": 3},
        "report": {"pdf": False},
    }
    (folder / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    run = report_of(cli("run", folder / "params.yaml", "--out", folder / "reports", "--no-notebooks", "--quiet"))
    return folder, run


def test_a_lapsed_base_makes_bgnbd_degenerate_and_the_run_does_not_use_it(lapsed_base_run):
    folder, run = lapsed_base_run
    meta = json.loads((run / "features.json").read_text(encoding="utf-8"))["clv"]
    assert meta["fitted"] and not meta["used"]
    parameters = next(c for c in meta["health"]["checks"] if c["check"] == "parameters")
    assert parameters["passed"] is False and "bounds of the search" in parameters["detail"]
    features = pd.read_parquet(run / "features.parquet").set_index("customer_id")
    assert features["p_alive"].isna().all() and set(features["churn_risk_basis"].dropna()) <= {"recency", "overdue"}
    # the planted lapsed repeat buyers (truth) are never rated low risk, and their risk is the recency rule's
    truth = pd.read_csv(folder / "data" / "truth" / "customers_truth.csv", dtype=str, keep_default_na=False)
    lapsed = truth.loc[(truth["planted_group"] == "lapsed_repeat") & (truth["problem"] == ""), "customer_id"]
    f = features.loc[features.index.intersection(lapsed)]
    assert len(f) >= 0.8 * len(lapsed) and (f["frequency"] >= 2).mean() > 0.5
    thresholds = json.loads((run / "features.json").read_text(encoding="utf-8"))["lifecycle"]
    by_hand = np.clip((f["recency"] - thresholds["active_days"])
                      / (thresholds["churned_days"] - thresholds["active_days"]), 0, 1)
    recency_rule = f["churn_risk_basis"] == "recency"
    np.testing.assert_allclose(f.loc[recency_rule, "churn_risk"], by_hand[recency_rule])
    assert (f["churn_risk"] >= 0.5).all() and not f["risk_tier"].eq("low").any()
    # the report says which model was used and why
    text = " ".join(re.sub(r"<[^>]+>", " ", (run / "report.html").read_text(encoding="utf-8")).split())
    assert "BG/NBD purchase model was not used: its estimates are degenerate" in text
    assert "Churn risk therefore comes from the time since the last purchase" in text
