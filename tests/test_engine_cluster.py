"""The Dask engine gives what the local engine gives: on hostile lines and on whole runs.

Marked ``cluster``: these start a LocalCluster of two worker processes (one per session).
"""

from __future__ import annotations

import pytest

from seglab.compute import dask_engine, duck
from seglab.features import aggregates, clv
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
