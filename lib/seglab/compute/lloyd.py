"""The final k-prototypes fit's passes as tasks on a Dask cluster (no dask-ml).

Each pass of :func:`seglab.segment.kprototypes.KPrototypes.fit` over buckets of customers is a
map (one task per bucket: assign, count the per-cluster statistics) and a reduce on the driver
(add the statistics in bucket order, update the prototypes).  The buckets and the order of
adding are those of the local engine, so the centres, modes, cost and labels are the same.
The buckets' data and labels stay on the workers between passes; only the prototypes go out
and the statistics come back.
"""

from __future__ import annotations

import contextlib
import operator

import numpy as np

from seglab.compute import cluster
from seglab.segment.kprototypes import bucket_pass, combine_passes

__all__ = ["DaskPasses", "passes_for"]


def _step(part, labels, layout, proto):
    labels = labels.copy()
    return labels, bucket_pass(part, layout, proto, labels)


class DaskPasses:
    """Runner of bucketed passes on the cluster of ``dask_client`` (see ``BucketPasses``)."""

    def __init__(self, dask_client, data, layout, buckets):
        self.client, self.layout = dask_client, layout
        self.rows = [np.asarray(b, dtype=np.intp) for b in buckets]
        self.p = data.p
        self.parts = dask_client.scatter([data.subset(rows) for rows in self.rows])
        self.current = dask_client.scatter([np.full(len(rows), -1, dtype=np.intp) for rows in self.rows])

    def __call__(self, proto):
        steps = [self.client.submit(_step, part, lab, self.layout, proto, pure=False)
                 for part, lab in zip(self.parts, self.current)]
        self.current = [self.client.submit(operator.itemgetter(0), s) for s in steps]
        results = self.client.gather([self.client.submit(operator.itemgetter(1), s) for s in steps])
        return combine_passes(results, proto.k, self.p, self.layout)

    def labels(self, n):
        """Labels of all rows (of the last pass), in row order."""
        out = np.full(n, -1, dtype=np.intp)
        for rows, lab in zip(self.rows, self.client.gather(self.current)):
            out[rows] = lab
        return out


@contextlib.contextmanager
def passes_for(compute):
    """The ``passes`` argument of ``fit_segmentation`` for ``compute``: None (this process) or the cluster's."""
    if compute.engine != "dask":
        yield None
        return
    with cluster.client(compute) as dask_client:
        yield lambda data, layout, buckets: DaskPasses(dask_client, data, layout, buckets)
