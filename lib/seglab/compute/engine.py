"""The engine a run's params choose, behind one call per kind of work (docs/architecture.md §7)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from seglab.compute import cluster, dask_engine, duck
from seglab.features.aggregates import CustomerAggregates

__all__ = ["customer_aggregates"]


def customer_aggregates(cfg, lines: Path, customer_ids: pd.Series) -> CustomerAggregates:
    """Per-customer aggregates of the clean lines ``lines`` (Parquet), by ``cfg.compute.engine``.

    ``engine: local`` aggregates in one DuckDB on this machine, out of core under
    ``compute.memory_limit``; ``engine: dask`` runs the same per-bucket query on the cluster.
    Both give the same integers, so the same features.
    """
    c = cfg.compute
    kw = {"as_of": cfg.data.as_of, "horizon_days": cfg.features.clv_horizon_days,
          "memory_limit": c.memory_limit, "where": str(lines)}
    if c.engine == "local":
        return duck.local_aggregates(lines, customer_ids, **kw)
    with cluster.client(c) as dask_client:
        return dask_engine.aggregates(dask_client, lines, customer_ids, partitions=c.partitions, **kw)
