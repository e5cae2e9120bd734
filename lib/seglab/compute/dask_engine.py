"""Per-customer aggregates on a Dask cluster, with the local engine's functions.

Map: each partition of the clean lines (Parquet row groups) is projected by
:func:`seglab.compute.duck.project_sql` in a DuckDB of its own, its customers hashed into
buckets, and its day totals counted.  The day totals of all partitions give the window's facts
on the driver.  Reduce: per bucket, the projected lines of all partitions go through the local
engine's per-bucket function :func:`seglab.compute.duck.customer_rows`.  The rows are integers,
so the result does not depend on the partitioning, the bucket count or the order of the tasks:
it equals the local engine's.
"""

from __future__ import annotations

import glob
import math
import operator
import os

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from seglab.compute import duck
from seglab.errors import DataError
from seglab.features.aggregates import CustomerAggregates

__all__ = ["LINES_PER_PARTITION", "partitions_of", "bucket_count", "aggregates"]

#: Lines per map task (whole Parquet row groups are kept together).
LINES_PER_PARTITION = 2_000_000
#: Lines per bucket when ``compute.partitions`` is 'auto' (at least two buckets per worker).
LINES_PER_BUCKET = 2_000_000
_COLUMNS = ("customer_id", "date", "amount", "is_return", "order_id")


def _files(source) -> list[str]:
    files = []
    for pattern in duck.parquet_paths(source):
        found = sorted(glob.glob(pattern, recursive=True)) if any(c in pattern for c in "*?[") else [pattern]
        files += [f for f in found if os.path.isfile(f)]
    if not files:
        raise DataError(f"{source}: no Parquet file found")
    return files


def partitions_of(source, lines_per_partition: int = LINES_PER_PARTITION) -> tuple[list[tuple[str, list[int]]], int]:
    """Map tasks as (file, row groups) of about ``lines_per_partition`` lines; and the line count."""
    parts, total = [], 0
    for path in _files(source):
        meta = pq.ParquetFile(path).metadata
        group, size = [], 0
        for i in range(meta.num_row_groups):
            rows = meta.row_group(i).num_rows
            if group and size + rows > lines_per_partition:
                parts.append((path, group))
                group, size = [], 0
            group.append(i)
            size += rows
            total += rows
        if group:
            parts.append((path, group))
    return parts, total


def bucket_count(partitions, lines: int, workers: int) -> int:
    """``compute.partitions``, or for 'auto' enough buckets for the lines and the workers."""
    if partitions != "auto":
        return int(partitions)
    return max(2 * max(workers, 1), math.ceil(lines / LINES_PER_BUCKET))


def _map(path: str, row_groups: list[int], key: str, n_buckets: int, memory_limit: str):
    """Project one partition's lines and split them into buckets; its day totals and line count."""
    file = pq.ParquetFile(path)
    names = [c for c in _COLUMNS if c in file.schema_arrow.names]
    table = file.read_row_groups(row_groups, columns=names)
    with duck.connect(memory_limit, threads=1) as con:
        con.register("part", table)
        lines = duck.check_lines(con, "part", where=path)
        projected = duck.project_sql("part", names, key)
        totals = duck.day_totals(con, projected)
        split = duck.arrow_of(con, f"{duck.project_sql('part', names, key, buckets=n_buckets)} ORDER BY bucket")
        orders = pc.count(table.column("order_id")).as_py() if "order_id" in names else 0
    bucket = split.column("bucket").to_numpy()
    bounds = bucket.searchsorted(range(n_buckets + 1))
    body = split.drop_columns(["bucket"])
    pieces = [body.slice(bounds[b], bounds[b + 1] - bounds[b]) for b in range(n_buckets)]
    return {"totals": totals, "lines": lines, "orders": orders, "pieces": pieces}


def _piece(result: dict, bucket: int) -> pa.Table:
    return result["pieces"][bucket]


def _reduce(pieces: list[pa.Table], window: duck.Window, memory_limit: str):
    """The per-bucket function of the local engine on one bucket's projected lines."""
    table = pa.concat_tables(pieces)
    with duck.connect(memory_limit, threads=1) as con:
        con.register("bucket", table)
        return duck.customer_rows(con, "SELECT * FROM bucket", window)


def aggregates(dask_client, source, customer_ids, *, as_of=None, horizon_days: float = 365,
               memory_limit: str = "auto", partitions="auto", lines_per_partition: int = LINES_PER_PARTITION,
               where: str = "transactions") -> CustomerAggregates:
    """Per-customer aggregates of clean lines in Parquet, computed on the cluster of ``dask_client``.

    The Parquet files must be readable by the workers at the same path (a local cluster, or a
    file system every worker mounts).  Same parameters and result as
    :func:`seglab.compute.duck.local_aggregates`, plus ``partitions`` (``compute.partitions``) and
    the size of the map tasks.
    """
    customer_index = pd.Index(customer_ids)
    ids = pa.array(customer_index.astype("str"), type=pa.large_string())
    with duck.connect(memory_limit) as con:
        key, keys = duck.customer_keys(con, ids)
    parts, lines = partitions_of(source, lines_per_partition)
    workers = len(dask_client.scheduler_info().get("workers", {}))
    n_buckets = bucket_count(partitions, lines, workers)
    maps = [dask_client.submit(_map, path, groups, key, n_buckets, memory_limit, pure=False)
            for path, groups in parts]
    facts = dask_client.gather([dask_client.submit(operator.itemgetter("totals", "orders"), m) for m in maps])
    window = duck.window_of(pa.concat_tables([t for t, _ in facts]), as_of, horizon_days)
    order_ids = any(n for _, n in facts)
    reduced = [dask_client.submit(_reduce, [dask_client.submit(_piece, m, b) for m in maps], window, memory_limit,
                                  pure=False)
               for b in range(n_buckets)]
    results = dask_client.gather(reduced)
    del maps, reduced
    rows = pa.concat_tables([r for r, _ in results])
    late = pa.chunked_array([c for _, lt in results for c in lt.chunks], type=rows.schema.field("h").type)
    return duck.aggregates_from_rows(rows, late, keys, customer_index, window, order_ids=order_ids, where=where)
