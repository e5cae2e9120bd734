"""Case studies: the scenario generators (retail_shift and the five case studies), the
case-study analyses of seglab.casestudy, and one end-to-end run per case-study params file."""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import cli, report_of
from seglab.demo import engine as demo
from seglab.demo import generate, retail_shift, subscription
from seglab.demo.generate import generate_demo, write_demo_data
from seglab.errors import DataError
from seglab.report import casestudy
from sklearn.metrics import adjusted_rand_score

# ------------------------------------------------------------------ retail_shift

@pytest.fixture(scope="module")
def shift_pair():
    retail = generate_demo(n_customers=2_000, seed=11)
    shift = generate_demo(n_customers=2_000, seed=11, scenario="retail_shift")
    return retail, shift


def test_retail_shift_keeps_every_retail_record_and_id(shift_pair):
    retail, shift = shift_pair
    n = len(retail.customers)
    pd.testing.assert_frame_equal(shift.customers.iloc[:n], retail.customers)
    pd.testing.assert_frame_equal(shift.customers_truth.iloc[:n], retail.customers_truth)
    new_ids = set(shift.customers["customer_id"].iloc[n:])
    assert not new_ids & set(retail.customers["customer_id"]) and not new_ids & set(retail.transactions["customer_id"])
    # newcomers never share an email or phone with a retail customer (cleaning would merge them)
    for col, norm in (("email", lambda s: s.str.strip().str.lower()),
                      ("phone", lambda s: s.str.replace(r"\D", "", regex=True).str[-11:])):
        assert not set(norm(shift.customers[col].iloc[n:])) & set(norm(retail.customers[col]))


def test_retail_shift_moves_the_window_grows_young_runners_and_plants_a_new_group(shift_pair):
    retail, shift = shift_pair
    groups = shift.customers_truth.drop_duplicates("customer_id")["planted_group"].value_counts(normalize=True)
    before = retail.customers_truth.drop_duplicates("customer_id")["planted_group"].value_counts(normalize=True)
    assert before["young_runners"] < 0.28 and 0.32 <= groups["young_runners"] <= 0.38
    assert groups["family_app_shoppers"] >= 0.08 and "family_app_shoppers" not in before
    ok = shift.transactions_truth["problem"].isin(["", "return"])
    dates = pd.to_datetime(shift.transactions.loc[ok.to_numpy(), "order_date"], format="%Y-%m-%d")
    assert dates.min() >= pd.Timestamp(str(retail_shift.SHIFT_WINDOW_START))
    assert dates.max() == pd.Timestamp(retail_shift.SHIFT_AS_OF)
    # the same customers go on buying, at about their own pace
    ids = set(retail.customers["customer_id"])
    late = shift.transactions[ok.to_numpy() & (shift.transactions["order_date"] > str(demo.WINDOW_END)).to_numpy()]
    assert late["customer_id"].isin(ids).mean() > 0.5
    # every return still has its order but the few planted refunds of orders bought before the new
    # months (engine.LINE_PATTERNS), order ids stay unique
    tx = shift.transactions[shift.transactions_truth["problem"].ne("exact_duplicate").to_numpy()]
    orders = set(tx.loc[~tx["order_id"].str.startswith("C"), "order_id"])
    returns = tx[tx["order_id"].str.startswith("C")]
    assert (~returns["order_id"].str[1:].isin(orders)).sum() < 0.01 * len(returns)
    assert not tx.loc[~tx["order_id"].str.startswith("C"), "order_id"].duplicated().any()
    assert (shift.transactions_truth["order_id"] == shift.transactions["order_id"]).all()
    assert (shift.transactions_truth["source_row"] == np.arange(1, len(shift.transactions) + 1)).all()
    assert (shift.customers_truth["source_row"] == np.arange(1, len(shift.customers) + 1)).all()


def test_retail_shift_is_deterministic(shift_pair):
    _, shift = shift_pair
    again = generate_demo(n_customers=2_000, seed=11, scenario="retail_shift")
    for key in ("customers", "transactions", "customers_truth", "transactions_truth"):
        pd.testing.assert_frame_equal(getattr(again, key), getattr(shift, key))


# ------------------------------------------------------------------ case-study generators

CASES = tuple(generate.CASE_STUDY_DATA)
DATA = Path(__file__).resolve().parents[1] / "data" / "case_studies"
PARAMS = Path(__file__).resolve().parents[1] / "params"


@pytest.fixture(scope="module")
def generated():
    """Each case study's committed data set, generated afresh in memory."""
    return {name: generate_demo(n_customers=n, seed=generate.CASE_STUDY_SEED, scenario=name)
            for name, n in generate.CASE_STUDY_DATA.items()}


@pytest.mark.parametrize("name", CASES)
def test_committed_case_data_equals_a_fresh_generation(name, tmp_path):
    n = generate.CASE_STUDY_DATA[name]
    paths = write_demo_data(tmp_path, n_customers=n, seed=generate.CASE_STUDY_SEED, scenario=name)
    for key, fresh in paths.items():
        committed = DATA / name / fresh.relative_to(tmp_path)
        assert committed.read_bytes() == fresh.read_bytes(), (
            f"{committed} differs: run `seglab demo-data --scenario {name} --customers {n} "
            f"--seed {generate.CASE_STUDY_SEED} --out data/case_studies/{name}`")
    size = sum(p.stat().st_size for p in (DATA / name).rglob("*") if p.is_file())
    assert size < 3_000_000, f"{name}: {size} bytes"


@pytest.mark.parametrize("name", CASES)
def test_case_data_has_its_columns_groups_and_problems(name, generated):
    spec, data = generate.CASE_SPECS[name], generated[name]
    n = generate.CASE_STUDY_DATA[name]
    assert tuple(data.customers.columns) == spec.customer_columns
    assert tuple(data.transactions.columns) == spec.transaction_columns
    assert tuple(data.customers_truth.columns) == demo.CUSTOMER_TRUTH_COLUMNS
    assert tuple(data.transactions_truth.columns) == demo.TRANSACTION_TRUTH_COLUMNS
    ids = data.customers[spec.id_column]
    assert ids.nunique() == n and (data.customers_truth["customer_id"] == ids).all()
    assert (data.transactions_truth["order_id"] == data.transactions[spec.order_column]).all()
    # planted groups at about their shares
    shares = data.customers_truth.drop_duplicates("customer_id")["planted_group"].value_counts(normalize=True)
    total = sum(g.share for g in spec.groups)
    for g in spec.groups:
        assert abs(shares[g.name] - g.share / total) < 0.04, g.name
    # every planted problem present, in its count
    counts = data.customers_truth["problem"].value_counts()
    for label, share in spec.customer_problems().items():
        assert counts.get(label, 0) == demo.count_of(share, n), label
    lines = data.transactions_truth["problem"].value_counts()
    assert set(demo.TRANSACTION_PROBLEMS) | {"return"} <= set(lines.index)
    # a duplicate keeps its survivor's email and phone (written differently), so cleaning can merge them
    email = [c for c in spec.customer_columns if c.endswith("email")][0]
    dup = data.customers_truth["problem"].eq("duplicate").to_numpy()
    by_id = data.customers.drop_duplicates(spec.id_column).set_index(spec.id_column)[email]
    survivor = data.customers_truth.loc[dup, "duplicate_of"].map(by_id)
    assert (data.customers.loc[dup, email].str.strip().str.lower().to_numpy() == survivor.str.lower().to_numpy()).all()


def test_case_generators_are_deterministic():
    for name in CASES:
        a, b = (generate_demo(n_customers=300, seed=5, scenario=name) for _ in range(2))
        for key in ("customers", "transactions", "customers_truth", "transactions_truth"):
            pd.testing.assert_frame_equal(getattr(a, key), getattr(b, key))
        c = generate_demo(n_customers=300, seed=6, scenario=name)
        assert not a.customers.equals(c.customers)


def test_retail_chain_plants_seasons_by_climate(generated):
    data = generated["retail_chain"]
    ok = data.transactions_truth["problem"].eq("").to_numpy()
    tx = data.transactions[ok]
    climate = data.customers.drop_duplicates("customer_id").set_index("customer_id")["climate"]
    frame = pd.DataFrame({"climate": tx["customer_id"].map(climate).to_numpy(),
                          "month": pd.to_datetime(tx["order_date"]).dt.month.to_numpy(),
                          "amount": tx["amount"].to_numpy()})
    table = casestudy.seasonality_table(
        frame.assign(customer_id=range(len(frame)), date=pd.to_datetime(tx["order_date"]).to_numpy()),
        frame.assign(customer_id=range(len(frame))), by="climate")
    assert table.loc[["Dec", "Jan"], "mountain"].min() > 180 and table.loc[["Jun", "Jul"], "mountain"].max() < 40
    assert table.loc[["Jun", "Jul"], "tropical"].min() > 150 and table.loc["Jan", "tropical"] < 60


def test_subscription_bills_each_plan_at_its_price(generated):
    data = generated["subscription"]
    ok = data.transactions_truth["problem"].eq("").to_numpy()
    plan = data.customers.drop_duplicates("customer_id").set_index("customer_id")["plan"]
    lines = data.transactions[ok].assign(plan=lambda t: t["customer_id"].map(plan))
    for name, (price, _) in subscription.PLANS.items():  # pay-per-view purchases come on top
        assert lines.loc[lines["plan"] == name, "amount"].round(2).mode().iat[0] == price


# ------------------------------------------------------------------ casestudy.py

@pytest.fixture
def people():
    rng = np.random.default_rng(0)
    n = 600
    seg = np.repeat(["A", "B", "C"], n // 3)
    return pd.DataFrame({
        "customer_id": [f"C{i:04d}" for i in range(n)],
        "segment_name": seg,
        "region": np.where(seg == "A", "north", rng.choice(["south", "east"], n)),
        "platform": np.select([seg == "A", seg == "B"], ["app", "tmall"], "wechat"),
        "monetary": np.where(seg == "C", 5000.0, 100.0) + rng.random(n),
        "churn_risk": np.where(seg == "C", 0.9, 0.1),
        "recency": np.where(seg == "C", 200.0, 10.0),
        "plan": np.where(np.arange(n) % 10 == 0, "annual", "monthly"),
    })


def test_crosstab_counts_shares_and_sums(people):
    counts = casestudy.crosstab(people, rows="region", columns="segment_name", margins=True)
    assert counts.loc["north", "A"] == 200 and counts.loc["All", "All"] == 600
    shares = casestudy.crosstab(people, rows="region", columns="segment_name", normalize="columns")
    np.testing.assert_allclose(shares.sum(), 1.0)
    sums = casestudy.crosstab(people, rows="segment_name", columns="plan", values="monetary")
    assert sums.to_numpy().sum() == pytest.approx(people["monetary"].sum())
    with pytest.raises(DataError, match="no column 'city'"):
        casestudy.crosstab(people, rows="city", columns="segment_name")
    with pytest.raises(ValueError, match="normalize"):
        casestudy.crosstab(people, rows="region", columns="plan", values="monetary", aggfunc="mean", normalize=True)
    ax = casestudy.crosstab_heatmap(shares, title="Region by segment")
    assert ax.get_title() == "Region by segment"


def test_seasonality_index_is_100_on_average_and_finds_the_peak():
    days = pd.date_range("2024-07-01", "2026-06-30", freq="D")
    winter = days.month.isin([12, 1, 2])
    tx = pd.DataFrame({"customer_id": np.where(np.arange(len(days)) % 2 == 0, "a", "b"), "date": days,
                       "amount": 1.0, "is_return": False})
    tx.loc[winter & (tx["customer_id"] == "a").to_numpy(), "amount"] = 5.0  # a sells 5x in winter
    tx = pd.concat([tx, tx.assign(amount=-1.0, is_return=True)])  # returns are left out
    customers = pd.DataFrame({"customer_id": ["a", "b"], "climate": ["cold", "tropical"]})
    table = casestudy.seasonality_table(tx, customers, by="climate")
    assert list(table.index) == list(casestudy.MONTHS)
    np.testing.assert_allclose(table.mean(), 100, atol=0.1)
    assert table["cold"].idxmax() in ("Dec", "Jan") and table.loc["Jan", "cold"] > 250
    assert table["tropical"].max() < 110  # flat
    ax = casestudy.seasonality_plot(table)
    assert len(ax.get_lines()) >= 2
    with pytest.raises(DataError, match="no column 'region'"):
        casestudy.seasonality_table(tx, customers, by="region")


def test_agreement_is_label_free():
    a = pd.Series(list("xxyyzz") * 50, name="rules")
    renamed = a.map({"x": 3, "y": 1, "z": 2}).rename("clusters")
    scores = casestudy.agreement_scores(a, renamed).iloc[0]
    assert scores["adjusted_rand"] == 1.0 and scores["matched_share"] == 1.0
    table = casestudy.agreement_table(a, renamed)
    assert table.shape == (3, 3) and (table.to_numpy() > 0).sum() == 3 and table.index.name == "rules"
    rng = np.random.default_rng(1)
    unrelated = pd.Series(rng.integers(0, 3, len(a)))
    assert abs(casestudy.agreement_scores(a, unrelated).iloc[0]["adjusted_rand"]) < 0.05
    with pytest.raises(ValueError, match="same customers"):
        casestudy.agreement_scores(a, unrelated[:10])


def test_leaders_and_playbook(people):
    leaders = casestudy.segment_leaders(people, columns=["platform", "region"])
    assert leaders.loc["A", "platform"] == "app" and leaders.loc["A", "region"] == "north"
    assert leaders.loc["B", "platform_share"] == 1.0 and leaders.loc["B", "platform_lift"] == pytest.approx(3.0)
    plays = casestudy.playbook(leaders, column="platform", plays={"App": "push", "tmall": "flagship store"},
                               name="channel")
    assert plays.loc["A", "channel"] == "push" and plays.loc["B", "channel"] == "flagship store"
    assert plays.loc["C", "channel"] == "(no play defined)"


def test_retention_counts_only_observable_months():
    # Ten monthly payers from Jan 2025 who stop after 3 months, ten who stay; one customer since the start.
    rows = [("old", d) for d in pd.date_range("2024-12-01", "2025-12-01", freq="MS")]
    for i in range(20):
        months = 3 if i < 10 else 12
        rows += [(f"c{i}", d) for d in pd.date_range("2025-01-10", periods=months, freq="30D")]
    rows += [("late", pd.Timestamp("2025-11-20")), ("late", pd.Timestamp("2025-12-20"))]
    tx = pd.DataFrame(rows, columns=["customer_id", "date"]).assign(amount=10.0)
    groups = pd.Series({f"c{i}": "short" if i < 10 else "long" for i in range(20)} | {"late": "long"})
    curve = casestudy.retention_curve(tx, groups=groups, periods=6)
    short = curve[curve["group"] == "short"].set_index("month")["retained"]
    assert short[0] == 1.0 and short[2] == 1.0 and short[3] == 0.0
    long = curve[curve["group"] == "long"].set_index("month")
    assert long.loc[1, "retained"] == 1.0 and long.loc[1, "customers"] == 11 and long.loc[2, "customers"] == 10
    assert "old" not in set(curve["group"]) and curve["customers"].max() == 11  # 'old' is left-censored
    table = casestudy.retention_table(tx, periods=6)
    assert table.loc["2025Q1", "customers"] == 20 and table.loc["2025Q1", 3] == 0.5
    assert np.isnan(table.loc["2025Q4", 2])
    assert casestudy.retention_plot(curve).get_ylabel() == "share still buying"


def test_win_back_picks_valuable_customers_at_risk(people):
    targets = casestudy.win_back_targets(people, top_value_share=0.4, exclude={"plan": ["annual"]})
    assert set(targets["segment_name"]) == {"C"}  # A and B are in the top 40 % too, but not at risk
    assert len(targets) == ((people["segment_name"] == "C") & (people["plan"] != "annual")).sum()
    assert targets["monetary"].is_monotonic_decreasing
    summary = casestudy.win_back_summary(targets, people)
    assert summary.loc["C", "targets"] == len(targets) and summary.loc["All", "targets"] == len(targets)
    with pytest.raises(ValueError, match="top_value_share"):
        casestudy.win_back_targets(people, top_value_share=0)


# ------------------------------------------------------------------ end to end, one run per params file

MIN_ARI = {"retail_chain": 0.45, "online_education": 0.6, "footwear": 0.6, "subscription": 0.45}


@pytest.fixture(scope="session")
def case_runs(reports_root):
    """One `seglab run --no-notebooks` per case-study params file, made on first use.

    Written under the session's reports root, where the case-study notebooks under nbval find them.
    """
    done = {}

    def run(name):
        if name not in done:
            done[name] = report_of(cli("run", PARAMS / f"case_{name}.yaml", "--out", reports_root, "--no-notebooks",
                                       "--quiet"))
        return done[name]

    return run


@pytest.mark.parametrize("name", CASES)
def test_case_study_run_end_to_end(name, case_runs):
    run = case_runs(name)
    params = yaml.safe_load((PARAMS / f"case_{name}.yaml").read_text(encoding="utf-8"))
    assert run.parent.name == params["run_name"] == f"case_{name}"
    for item in ("report.html", "manifest.json", "quality.json", "assignments.csv", "segments.json",
                 "segmentation.json", "features.json", "model.joblib"):
        assert (run / item).is_file(), item
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["error"] is None
    objectives = params["report"]["objectives"]
    assert all(word in objectives for word in ("Specific", "Measurable", "Achievable", "Relevant", "Time-bound"))

    seg = json.loads((run / "segmentation.json").read_text())
    segments = json.loads((run / "segments.json").read_text())["segments"]
    names = [s["name"] for s in segments]
    found = [s for s in segments if s["kind"] == "segment"]  # not the group whose returns cancel their purchases
    assert seg["method"] == params["segmentation"]["method"] and seg["k"] == len(found)
    assert len(segments) - len(found) == (1 if seg.get("outside_segmentation") else 0)
    if seg["method"] == "rules":
        assert names == [r["name"] for r in params["segmentation"]["rules"]] + [params["segmentation"]["default_segment"]]
    else:
        low, high = params["segmentation"]["k_range"]
        assert low <= seg["k"] <= high
    assert all(n.strip() for n in names) and len(set(names)) == len(names)

    quality = json.loads((run / "quality.json").read_text())
    for part in [quality, *quality["sources"].values()]:
        assert part["rows_in"] == part["rows_clean"] + part["duplicates_merged"] + part["rows_quarantined"]
    truth = pd.read_csv(DATA / name / "truth" / "customers_truth.csv", dtype=str, keep_default_na=False)
    planted = truth["problem"].isin(["duplicate", "exact_duplicate"]).sum()
    assert quality["sources"]["customers"]["rows_in"] == len(truth)
    assert quality["sources"]["customers"]["duplicates_merged"] == planted

    assignments = pd.read_csv(run / "assignments.csv", dtype={"customer_id": str})
    assert len(assignments) == quality["rows_clean"] and set(assignments["segment_name"]) == set(names)
    if name in MIN_ARI:  # the clusters find the planted groups
        firsts = truth[truth["problem"] != "duplicate"].drop_duplicates("customer_id")
        both = assignments.merge(firsts, on="customer_id")
        assert adjusted_rand_score(both["planted_group"], both["segment"]) >= MIN_ARI[name]


def test_b2b_rules_compared_with_clusters(case_runs):
    from seglab.pipeline.stages import load_run_config

    run = case_runs("b2b_software")
    customers = casestudy.customer_table(run)
    cfg = load_run_config(run)
    columns = ["industry", "employees", "annual_revenue", "region", "plan", "seats", "recency", "frequency", "monetary"]
    clusters = casestudy.cluster_labels(customers, cfg, method="kprototypes", columns=columns)  # as in the notebook
    assert clusters.str.fullmatch(r"Cluster \d").all() and clusters.nunique() >= 3
    scores = casestudy.agreement_scores(customers["segment_name"], clusters).iloc[0]
    assert 0.2 < scores["adjusted_rand"] < 0.95  # related, not the same: what the case study discusses
    table = casestudy.agreement_table(customers["segment_name"].rename("tier"), clusters)
    assert table.to_numpy().sum() == len(customers)


def test_findings_show_computed_text_as_text():
    points = casestudy.Findings([("Seasons <b>differ</b>.", "north: peak Dec & Jan <script>alert(1)</script>")])
    page = points._repr_html_()
    assert "<ul><li><b>Seasons &lt;b&gt;differ&lt;/b&gt;.</b>" in page and "<script" not in page
    assert "&amp; Jan" in page and repr(points).startswith("* Seasons")
    assert casestudy.share_text(0.374) == "37 %" and casestudy.share_text(0.0042) == "0.4 %"
    assert casestudy.names_text(["a"]) == "a" and casestudy.names_text(["a", "b", "c"]) == "a, b and c"


def test_case_study_findings_are_computed_not_written():
    """No number in a Findings cell's prose: every one comes from the run's data."""
    import nbformat

    for path in sorted((Path(__file__).parents[1] / "notebooks" / "case_studies").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        at = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and "Findings" in c.source)
        assert "casestudy.Findings(" in nb.cells[at + 1].source, path.name
        prose = [c.source for c in nb.cells[at:] if c.cell_type == "markdown"]
        assert not any(re.search(r"\d+(\.\d+)? ?%|\b\d{2,}\b", p) for p in prose), path.name
