"""Finite but absurd numbers (1e308, 1e20) never overflow into ``inf``, ``NaN`` or a collapsed k.

Issue 13 point 4: 1e308 in a numeric column or an amount gave ``inf`` monetary and lifetime value,
revenue shares of 0 and "below the inf of all customers", and k=3 collapsed to one segment, all
with exit 0. One full (notebook-free) run of a small generated data set with those values planted; and a
requested k that collapses is said, not reported as k segments.
"""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from seglab.config import load_config
from seglab.demo.generate import write_demo_data
from seglab.pipeline.execute import execute
from seglab.segment.fit import fit_segmentation
from two_kinds import two_kinds_asked_three

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def absurd_run(tmp_path_factory):
    """A run on 300 generated customers with 1e308 and 1e20 planted in a column and in amounts."""
    base = tmp_path_factory.mktemp("absurd")
    paths = write_demo_data(base / "data", n_customers=300, seed=7, transactions_per_customer=8)
    customers = pd.read_csv(paths["customers"], dtype=str, keep_default_na=False)
    customers.loc[4, "income"] = "1e308"
    customers.loc[9, "income"] = "1e308"
    customers.loc[12, "age"] = "1e20"
    customers.to_csv(paths["customers"], index=False)
    lines = pd.read_csv(paths["transactions"], dtype=str, keep_default_na=False)
    ordinary = lines.index[(lines["order_id"].str.startswith("O")) & (lines["amount"].str.match(r"^\d+\.\d+$"))]
    one_customer = lines.loc[ordinary, "customer_id"].value_counts().index[0]
    twice = lines.index[(lines["customer_id"] == one_customer) & lines.index.isin(ordinary)][:2]
    lines.loc[twice, "amount"] = "1e308"  # two of them: their sum overflowed to inf
    lines.loc[ordinary[5], "amount"] = "1e20"
    lines.to_csv(paths["transactions"], index=False)
    params = yaml.safe_load((ROOT / "params" / "demo.yaml").read_text(encoding="utf-8"))
    params["data"] = {"customers": str(paths["customers"]), "transactions": str(paths["transactions"])}
    params["columns"]["value_labels"] = str(paths["value_labels"])
    params["cleaning"].pop("ranges")  # plausibility by default, without any range from the analyst
    params["segmentation"].update(k=3, stability_runs=2, n_init=2)
    params["report"]["pdf"] = False
    (base / "absurd.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEGLAB_SECRET", "test-key")
        folder = execute(load_config(base / "absurd.yaml"), out=base / "reports", notebooks=False, progress=False)
    return folder, one_customer


@pytest.mark.slow
def test_no_inf_or_nan_reaches_any_output(absurd_run):
    folder, _ = absurd_run
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".parquet":
            table = pd.read_parquet(path).select_dtypes("number")
            assert np.isfinite(table.to_numpy(dtype=float)[table.notna().to_numpy()]).all(), path.name
        elif path.suffix == ".json":
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"\b(NaN|-?Infinity)\b", text), path.name
        elif path.suffix in (".csv", ".html"):
            text = re.sub(r"data:image/png;base64,[^\"']+", "", path.read_text(encoding="utf-8"))
            assert not re.search(r"(?<![\w.])(-?inf|-?infinity|nan|∞)(?![\w])", text, re.I), path.name
        elif path.suffix == ".xlsx":
            for sheet in pd.read_excel(path, sheet_name=None).values():
                numbers = sheet.select_dtypes("number").to_numpy(dtype=float)
                assert not np.isinf(numbers).any(), path.name


@pytest.mark.slow
def test_the_requested_k_survives_and_revenue_is_finite(absurd_run):
    folder, _ = absurd_run
    segments = json.loads((folder / "segments.json").read_text(encoding="utf-8"))["segments"]
    # k=3 clusters, besides the group of customers whose returns cancel their purchases
    assert len([s for s in segments if s["kind"] == "segment"]) == 3
    shares = [s["revenue_share"] for s in segments]
    assert all(isinstance(x, float) and 0 <= x <= 1 for x in shares) and abs(sum(shares) - 1) < 1e-9


@pytest.mark.slow
def test_absurd_values_are_flagged_and_kept_out_of_the_analysis(absurd_run):
    folder, one_customer = absurd_run
    quality = json.loads((folder / "quality.json").read_text(encoding="utf-8"))
    found = {(f["source"], f["column"], f["check"]): f["count"] for f in quality["plausibility"]["findings"]}
    assert found[("customers", "income", "absurd_magnitude")] == 2
    assert found[("customers", "age", "absurd_magnitude")] == 1
    assert found[("transactions", "amount", "absurd_magnitude")] == 3
    features = pd.read_parquet(folder / "features.parquet")
    assert features["income"].max() < 1e4 and features["monetary"].max() < 1e6
    # the raw values stay auditable: the customers' in repairs.csv, the unusable lines in quarantine.csv
    repairs = pd.read_csv(folder / "repairs.csv", dtype=str)
    flagged = repairs[repairs["rule"] == "absurd_magnitude"]
    assert sorted(zip(flagged["column"], flagged["old"])) == [("age", "1e20"), ("income", "1e308"), ("income", "1e308")]
    quarantine = pd.read_csv(folder / "quarantine.csv", dtype=str)
    lines = quarantine[quarantine["source"] == "transactions"]
    assert set(lines.loc[lines["rule"] == "absurd_magnitude", "amount"]) == {"1e308", "1e20"}


@pytest.mark.parametrize("method", ["kmeans", "kprototypes"])
def test_a_requested_k_that_collapses_is_said(tmp_path, method):
    """Customers of two kinds only: k=3 cannot give three segments, and the report must not claim it."""
    frame, cfg = two_kinds_asked_three(tmp_path, method)
    report = fit_segmentation(frame, cfg, progress=False).report
    assert report["k"] == 2 and len(report["sizes"]) == 2
    collapsed = next(w for w in report["warnings"] if w["code"] == "collapsed")
    assert (collapsed["asked"], collapsed["found"], collapsed["empty"]) == (3, 2, 1)
    assert "3 segments were asked for (segmentation.k), but only 2 hold customers" in report["method_text"]
