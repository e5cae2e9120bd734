"""The out-of-core engines compute the same per-customer aggregates as the in-memory reference.

DuckDB (engine local) is checked here on hand-made hostile lines; the Dask engine and whole
runs are checked in tests/test_engine_cluster.py.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from seglab.compute import duck
from seglab.config import load_config
from seglab.errors import DataError
from seglab.features import aggregates, clv
from seglab.features.build import build_features, features_from_aggregates
from seglab.pipeline.stages import STAGE_FUNCTIONS
from seglab.segment.fit import lloyd_buckets, sample_rows
from seglab.segment.kprototypes import KPrototypes


def hostile_lines(seed: int = 0, n_customers: int = 300, n_lines: int = 6000, *, orders: str = "some") -> tuple:
    """Lines that exercise every rule: returns, order ids missing or spanning days, zero and
    sub-cent amounts, several lines a day, customers without lines or only after the as-of date."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"c{i:04d}" for i in range(n_customers)], dtype=object)
    who = rng.integers(0, n_customers - 20, n_lines)  # the last 20 customers have no line
    day0 = pd.Timestamp("2022-01-01")
    day = rng.integers(0, 900, n_lines)
    amount = np.round(rng.gamma(2.0, 30.0, n_lines), 2)
    amount[rng.random(n_lines) < 0.03] = 0.0                       # free samples
    amount[rng.random(n_lines) < 0.02] += 0.004                    # sub-cent amounts
    is_return = rng.random(n_lines) < 0.08
    amount[is_return] *= -1
    frame = pd.DataFrame({"customer_id": ids[who],
                          "date": day0 + pd.to_timedelta(day, unit="D") + pd.to_timedelta(rng.integers(0, 86400, n_lines), unit="s"),
                          "amount": amount, "is_return": is_return})
    if orders != "none":
        order = np.array([f"o{o}" for o in rng.integers(0, n_lines // 3, n_lines)], dtype=object)
        if orders == "some":
            order[rng.random(n_lines) < 0.2] = None
        else:  # "null": the column exists but holds no id
            order[:] = None
        frame["order_id"] = pd.array(order, dtype="str")
    late = who >= n_customers - 40  # customers 260..279 buy only after the as-of date below
    frame.loc[late, "date"] = day0 + pd.Timedelta(days=950)
    return pd.DataFrame({"customer_id": ids}), frame, day0 + pd.Timedelta(days=899)


def assert_same_aggregates(a: aggregates.CustomerAggregates, b: aggregates.CustomerAggregates) -> None:
    """Every field equal: integers exactly, money bit for bit."""
    assert list(a.customer_ids.astype(str)) == list(b.customer_ids.astype(str))
    for field in dataclasses.fields(a):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if field.name == "customer_ids":
            continue
        if isinstance(x, clv.PurchaseDays):
            for f in dataclasses.fields(x):
                np.testing.assert_array_equal(getattr(x, f.name), getattr(y, f.name), err_msg=f"{field.name}.{f.name}")
        elif field.name == "holdout":
            assert (x.cal_end, x.days, x.reason) == (y.cal_end, y.days, y.reason)
            if x.cal_end is not None:
                for f in dataclasses.fields(x.calibration):
                    np.testing.assert_array_equal(getattr(x.calibration, f.name), getattr(y.calibration, f.name),
                                                  err_msg=f"calibration.{f.name}")
                np.testing.assert_array_equal(x.hold_n_days, y.hold_n_days)
                np.testing.assert_array_equal(x.hold_net, y.hold_net)
        elif isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=field.name)
        else:
            assert x == y, field.name


def _duck(tmp_path, customers, lines, **kw):
    path = tmp_path / "lines.parquet"
    lines.to_parquet(path, index=False)
    return duck.local_aggregates(path, customers["customer_id"], **kw)


@pytest.mark.parametrize("orders", ["some", "none", "null"])
@pytest.mark.parametrize("given_as_of", [True, False])
def test_duckdb_aggregates_equal_the_reference(tmp_path, orders, given_as_of):
    customers, lines, as_of = hostile_lines(orders=orders)
    as_of = as_of if given_as_of else None
    ref = aggregates.from_arrays(clv.TransactionArrays.from_frame(lines, customers["customer_id"], orders=True),
                                 as_of, horizon_days=180)
    got = _duck(tmp_path, customers, lines, as_of=as_of, horizon_days=180, memory_limit="256MB")
    assert_same_aggregates(ref, got)
    assert ref.holdout.cal_end is not None and ref.order_ids == (orders == "some")


def test_features_from_duckdb_aggregates_equal_build_features(tmp_path):
    customers, lines, as_of = hostile_lines(seed=3)
    ref, ref_meta = build_features(customers, lines, as_of=as_of, clv_horizon_days=180)
    agg = _duck(tmp_path, customers, lines, as_of=as_of, horizon_days=180)
    got, meta = features_from_aggregates(customers, agg, as_of_given=True, clv_horizon_days=180)
    pd.testing.assert_frame_equal(ref, got, check_exact=True)
    assert meta == ref_meta


def test_a_hive_partitioned_folder_reads_as_one_table(tmp_path):
    customers, lines, as_of = hostile_lines(seed=4, orders="none")
    folder = tmp_path / "lines"
    lines.assign(year=lines["date"].dt.year).to_parquet(folder, partition_cols=["year"], index=False)
    ref = aggregates.from_arrays(clv.TransactionArrays.from_frame(lines, customers["customer_id"], orders=True),
                                 as_of, horizon_days=365)
    assert_same_aggregates(ref, duck.local_aggregates(folder, customers["customer_id"], as_of=as_of))


def test_sums_are_exact_cents_whatever_the_order(tmp_path):
    # 0.1 + 0.2 != 0.3 in floating point; in cents it is, in any order
    customers = pd.DataFrame({"customer_id": ["a"]})
    lines = pd.DataFrame({"customer_id": "a", "date": pd.Timestamp("2024-01-01"), "amount": [0.1, 0.2, -0.3, 1e9 + 0.01],
                          "is_return": [False, False, True, False]})
    for frame in (lines, lines.iloc[::-1]):
        agg = _duck(tmp_path, customers, frame)
        assert agg.days.gross[0] == 1000000000.31 and agg.days.returned[0] == -0.3
        assert aggregates.from_arrays(clv.TransactionArrays.from_frame(frame)).days.gross[0] == 1000000000.31


def test_unknown_customers_and_unusable_lines_are_data_errors(tmp_path):
    customers, lines, _ = hostile_lines(seed=5, n_lines=500)
    with pytest.raises(DataError, match="not in the customer table"):
        _duck(tmp_path, customers.iloc[:100], lines)
    bad = lines.copy()
    bad.loc[3, "amount"] = np.inf
    with pytest.raises(DataError, match="infinite"):
        _duck(tmp_path, customers, bad)


def test_colliding_hashes_fall_back_to_the_ids(tmp_path, monkeypatch):
    customers, lines, as_of = hostile_lines(seed=6, n_lines=800)
    real = duck.customer_keys
    monkeypatch.setattr(duck, "customer_keys", lambda con, ids: (duck.ID_KEY, ids))
    got = _duck(tmp_path, customers, lines, as_of=as_of)
    monkeypatch.setattr(duck, "customer_keys", real)
    assert_same_aggregates(_duck(tmp_path, customers, lines, as_of=as_of), got)


def test_the_manifest_records_the_engine(tmp_path):
    from seglab.artifacts import ComputeRecord
    from seglab.compute import cluster
    from seglab.config import ComputeConfig

    record = ComputeRecord.model_validate(cluster.describe(ComputeConfig()))
    assert record.engine == "local" and record.versions["duckdb"] and record.workers == 1


def test_the_k_search_sample_depends_on_the_ids_not_their_order():
    ids = pd.Series([f"c{i}" for i in range(5000)])
    picked = set(ids[sample_rows(ids, 700, seed=3)])
    shuffled = ids.sample(frac=1, random_state=1).reset_index(drop=True)
    assert set(shuffled[sample_rows(shuffled, 700, seed=3)]) == picked and len(picked) == 700
    assert set(ids[sample_rows(ids, 700, seed=4)]) != picked
    buckets = lloyd_buckets(ids)
    assert sorted(np.concatenate(buckets)) == list(range(5000))


def test_bucketed_passes_give_the_fit_of_all_rows_at_once():
    """The final fit's passes over buckets (the map/reduce a cluster runs) reach the plain fit's solution."""
    rng = np.random.default_rng(5)
    n = 6000
    centre = rng.integers(0, 3, n)
    X = pd.DataFrame({"spend": rng.normal(centre * 5.0, 1.5), "visits": rng.normal(centre * 2.0, 1.0),
                      "channel": np.where(rng.random(n) < 0.7, np.array(["web", "shop", "app"])[centre], "web")})
    init = [np.array([[1.0, 1.0], [4.0, 1.5], [9.0, 3.0]]), np.array([["web"], ["web"], ["app"]], dtype=object)]
    plain = KPrototypes(n_clusters=3, init=init, n_init=1).fit(X, categorical=[2])
    buckets = lloyd_buckets(pd.Series([f"c{i}" for i in range(n)]))
    assert len(buckets) == 1  # small base: one bucket; split it in three by hand
    buckets = [buckets[0][b::3] for b in range(3)]
    bucketed = KPrototypes(n_clusters=3, init=init, n_init=1).fit(X, categorical=[2], buckets=buckets)
    np.testing.assert_array_equal(plain.labels_, bucketed.labels_)
    np.testing.assert_allclose(plain.cluster_centroids_, bucketed.cluster_centroids_, rtol=1e-12)
    np.testing.assert_array_equal(plain.cluster_modes_, bucketed.cluster_modes_)
    assert bucketed.cost_ == pytest.approx(plain.cost_, rel=1e-12) and bucketed.n_iter_ == plain.n_iter_ > 1
    with pytest.raises(ValueError, match="explicit init"):
        KPrototypes(n_clusters=3, n_init=1).fit(X, categorical=[2], buckets=buckets)


@pytest.mark.slow
def test_transactions_split_over_a_hive_folder_give_the_features_of_one_file(tmp_path):
    """The demo's lines as three CSV files under key=value folders: the same clean rows and features."""
    whole = (ROOT / "data" / "demo" / "transactions.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    header, body = whole[0], whole[1:]
    third = len(body) // 3 + 1
    for i in range(3):
        folder = tmp_path / "lines" / f"batch={i}"
        folder.mkdir(parents=True)
        (folder / "part-0.csv").write_text(header + "".join(body[i * third:(i + 1) * third]), encoding="utf-8")
    folders = {}
    for name, transactions in (("file", ROOT / "data" / "demo" / "transactions.csv"), ("folder", tmp_path / "lines")):
        cfg = load_config(ROOT / "params" / "demo.yaml", [f"data.transactions={transactions}"])
        folders[name] = tmp_path / name
        folders[name].mkdir()
        for stage in ("clean", "features"):
            STAGE_FUNCTIONS[stage](cfg, folders[name])
    one, many = (json.loads((folders[n] / "quality.json").read_text())["sources"]["transactions"] for n in folders)
    assert {k: many[k] for k in ("rows_in", "rows_clean", "rows_quarantined")} == \
           {k: one[k] for k in ("rows_in", "rows_clean", "rows_quarantined")}
    pd.testing.assert_frame_equal(pd.read_parquet(folders["file"] / "features.parquet"),
                                  pd.read_parquet(folders["folder"] / "features.parquet"), check_exact=True)
