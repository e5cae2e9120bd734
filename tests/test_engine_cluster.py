"""The Dask engine gives what the local engine gives: on hostile lines and on whole runs.

Marked ``cluster``: these start a LocalCluster of two worker processes (one per session).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from seglab.compute import cluster, dask_engine, duck
from seglab.compute.lloyd import DaskPasses
from seglab.config import ComputeConfig, config_from_dict, load_config
from seglab.features import aggregates, clv
from seglab.pipeline.stages import STAGE_FUNCTIONS
from seglab.segment import fit
from seglab.segment.kprototypes import KPrototypes
from test_engine import assert_same_aggregates, hostile_lines

pytestmark = pytest.mark.cluster


@pytest.mark.parametrize("orders", ["some", "none"])
def test_dask_aggregates_equal_the_reference_whatever_the_partitioning(tmp_path, dask_client, orders):
    customers, lines, as_of = hostile_lines(seed=7, orders=orders)
    path = tmp_path / "lines.parquet"
    lines.to_parquet(path, index=False, row_group_size=700)  # nine partitions of whole row groups
    ref = aggregates.from_arrays(clv.TransactionArrays.from_frame(lines, customers["customer_id"], orders=True),
                                 as_of, horizon_days=180)
    for buckets, per_partition in ((1, 10**9), (5, 700), (16, 1400)):
        got = dask_engine.aggregates(dask_client, path, customers["customer_id"], as_of=as_of, horizon_days=180,
                                     partitions=buckets, lines_per_partition=per_partition)
        assert_same_aggregates(ref, got)
    assert_same_aggregates(ref, duck.local_aggregates(path, customers["customer_id"], as_of=as_of, horizon_days=180))


# demo_shift reads data made on demand (seglab demo-data --scenario retail_shift), absent from a clone;
# its lines come from the same generator and code path as the demo's.
PARAMS = sorted(p for p in (ROOT / "params").glob("*.yaml") if p.stem != "demo_shift")


@pytest.mark.slow
@pytest.mark.parametrize("params", PARAMS, ids=[p.stem for p in PARAMS])
def test_local_and_dask_runs_give_identical_features_and_assignments(tmp_path, dask_client, params):
    """The demo and every case study: features.parquet and assignments bit for bit, row accounting kept."""
    base = load_config(params)
    if base.data.transactions is None:
        pytest.skip(f"{params.name} has no transactions: nothing for an engine to aggregate")
    folders = {}
    for engine in ("local", "dask"):
        cfg = base.model_copy(update={"compute": ComputeConfig(engine=engine)})
        folder = folders[engine] = tmp_path / engine
        folder.mkdir()
        with cluster.use_client(dask_client):
            for stage in ("clean", "features", "segment"):
                STAGE_FUNCTIONS[stage](cfg, folder)
    quality = json.loads((folders["local"] / "quality.json").read_text())
    tx = quality["sources"]["transactions"]
    assert tx["rows_in"] == tx["rows_clean"] + tx["duplicates_merged"] + tx["rows_quarantined"]
    local, dask = (pd.read_parquet(folders[e] / "features.parquet") for e in ("local", "dask"))
    pd.testing.assert_frame_equal(local, dask, check_exact=True)
    assert (folders["local"] / "features.json").read_text() == (folders["dask"] / "features.json").read_text()
    for name in ("assignments.parquet", "assignments.csv"):
        assert (folders["local"] / name).read_bytes() == (folders["dask"] / name).read_bytes(), name


def _mixed(n, seed=0):
    rng = np.random.default_rng(seed)
    centre = rng.integers(0, 4, n)
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)],
                         "recency": rng.normal(centre * 40.0, 15.0), "monetary": rng.gamma(2.0, 50.0 * (1 + centre)),
                         "frequency": rng.poisson(1 + centre).astype(float),
                         "channel": np.where(rng.random(n) < 0.8, np.array(["web", "shop", "app", "phone"])[centre],
                                             "web"), "tier": rng.choice(["a", "b", "c"], n)})


def test_distributed_lloyd_passes_equal_the_local_ones(dask_client):
    frame = _mixed(30_000)
    X = frame[["recency", "monetary", "frequency", "channel", "tier"]]
    init = [np.array([[0, 50, 1], [40, 100, 2], [80, 150, 3], [120, 200, 4]], float),
            np.array([["web", "a"], ["shop", "b"], ["app", "c"], ["phone", "a"]], dtype=object)]
    buckets = [np.arange(0, 30_000, 3), np.arange(1, 30_000, 3), np.arange(2, 30_000, 3)]
    here = KPrototypes(n_clusters=4, init=init, n_init=1).fit(X, categorical=[3, 4], buckets=buckets)
    there = KPrototypes(n_clusters=4, init=init, n_init=1).fit(
        X, categorical=[3, 4], buckets=buckets, passes=lambda d, lay, b: DaskPasses(dask_client, d, lay, b))
    np.testing.assert_array_equal(here.cluster_centroids_, there.cluster_centroids_)
    np.testing.assert_array_equal(here.cluster_modes_, there.cluster_modes_)
    np.testing.assert_array_equal(here.labels_, there.labels_)
    assert here.cost_ == there.cost_ and here.n_iter_ == there.n_iter_ > 1


def test_a_sampled_k_prototypes_fit_is_the_same_on_the_cluster(dask_client, monkeypatch, tmp_path):
    monkeypatch.setattr(fit, "MINIBATCH_THRESHOLD", 20_000)
    monkeypatch.setattr(fit, "LLOYD_BUCKET_ROWS", 15_000)
    frame = _mixed(50_000, seed=1)
    cfg = config_from_dict({"run_name": "t", "data": {"customers": "c.csv"},
                            "columns": {"numeric": ["recency", "monetary", "frequency"], "categorical": ["channel", "tier"]},
                            "segmentation": {"method": "kprototypes", "k": 4, "stability_runs": 0, "n_init": 1,
                                             "features": ["recency", "monetary", "frequency", "channel", "tier"]}},
                           base_dir=tmp_path)
    here = fit.fit_segmentation(frame, cfg, progress=False)
    there = fit.fit_segmentation(frame, cfg, progress=False,
                                 passes=lambda d, lay, b: DaskPasses(dask_client, d, lay, b))
    np.testing.assert_array_equal(here.labels, there.labels)
    assert here.report["quality"]["cost"] == there.report["quality"]["cost"]
    assert here.report["search_sample"] == 20_000
