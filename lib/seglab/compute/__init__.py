"""Where a run's heavy work happens: out of core on this machine (DuckDB, NumPy) or on a Dask cluster.

``compute:`` in the params chooses the engine (docs/architecture.md §7).  Both engines run
the same per-bucket functions over customers hashed into buckets, so they give the same
features and assignments.
"""
