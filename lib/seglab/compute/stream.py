"""Segment every customer of a features file in batches, writing the assignments as they come.

Memory stays at one batch whatever the number of customers: the features are read with
``pyarrow.parquet.ParquetFile.iter_batches`` and each batch's assignments appended to a Parquet
file.  On a Dask cluster the row groups are the tasks, and the driver writes their results in
row-group order, so the file is the same either way.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["BATCH_ROWS", "assign_batch", "stream_assignments"]

#: Customers per batch: about 100 MB of features for a wide table.
BATCH_ROWS = 250_000


def assign_batch(model, batch: pa.RecordBatch | pa.Table, extras=()) -> pa.Table:
    """``customer_id``, ``segment`` (``model.predict``) and the ``extras`` columns of one batch."""
    frame = batch.to_pandas()
    labels = np.asarray(model.predict(frame), dtype=np.int64)
    columns = {"customer_id": pa.array(frame["customer_id"].astype(str), type=pa.string()),
               "segment": pa.array(labels)}
    for col in extras:
        if col in frame.columns:
            columns[col] = pa.array(frame[col].astype(object).where(frame[col].notna(), None), type=pa.string())
    return pa.table(columns)


def _row_groups(features: Path, model, extras, groups) -> pa.Table:
    file = pq.ParquetFile(features)
    return assign_batch(model, file.read_row_groups(groups), extras)


def stream_assignments(model, features: Path, out: Path, *, extras=(), batch_rows: int = BATCH_ROWS,
                       dask_client=None) -> int:
    """Write ``out`` (Parquet): each customer of ``features`` with its segment; returns the count.

    Parameters
    ----------
    model : object with ``predict(DataFrame)``
        The fitted segmentation model (model.joblib).
    features : path
        features.parquet.
    extras : sequence of str
        Feature columns copied beside the segment (text).
    dask_client : distributed.Client, optional
        Assign the row groups as tasks on its cluster (the workers read ``features``).
    """
    features, out = Path(features), Path(out)
    writer, count = None, 0
    try:
        if dask_client is None:
            batches = (assign_batch(model, b, extras)
                       for b in pq.ParquetFile(features).iter_batches(batch_size=batch_rows))
        else:
            remote = dask_client.scatter(model, broadcast=True)
            groups = range(pq.ParquetFile(features).metadata.num_row_groups)
            futures = [dask_client.submit(_row_groups, features, remote, tuple(extras), [g], pure=False)
                       for g in groups]
            batches = (f.result() for f in futures)
        for table in batches:
            if writer is None:
                writer = pq.ParquetWriter(out, table.schema)
            writer.write_table(table)
            count += table.num_rows
    finally:
        if writer is not None:
            writer.close()
    return count
