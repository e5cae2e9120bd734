"""The final k-prototypes fit's passes as tasks on a Dask cluster (no dask-ml).

Each pass of :func:`seglab.segment.kprototypes.KPrototypes.fit` over buckets of customers is a
map (one task per bucket: assign, count the per-cluster statistics) and a reduce on the driver
(add the statistics in bucket order, update the prototypes).  The buckets and the order of
adding are those of the local engine, so the centres, modes, cost and labels are the same.
The buckets' data and labels stay on the workers between passes (one actor per bucket); only
the prototypes go out and the statistics come back.
"""

from __future__ import annotations

import contextlib

import numpy as np

from seglab.compute import cluster
from seglab.segment.kprototypes import bucket_pass, combine_passes

__all__ = ["DaskPasses", "passes_for"]


class _Bucket:
    """One bucket's rows and their labels, kept on a worker between passes (a Dask actor).

    An actor's method call goes straight to its worker, not through the scheduler's task
    graph: a pass costs one round trip per bucket.
    """

    def __init__(self, part):
        self.part = part
        self.labels = np.full(part.n, -1, dtype=np.intp)

    def step(self, layout, proto):
        """One pass over the bucket: its statistics, cost and moves; keeps the new labels."""
        return bucket_pass(self.part, layout, proto, self.labels)

    def current(self):
        """The labels of the last pass."""
        return self.labels


class DaskPasses:
    """Runner of bucketed passes on the cluster of ``dask_client`` (see ``BucketPasses``).

    Each bucket's rows go to a worker once; every pass sends the prototypes to the buckets'
    actors and adds the statistics they return in bucket order. A worker lost during the fit
    loses its buckets: the fit fails with Dask's error rather than giving other numbers.
    """

    def __init__(self, dask_client, data, layout, buckets):
        self.layout, self.p = layout, data.p
        self.rows = [np.asarray(b, dtype=np.intp) for b in buckets]
        parts = dask_client.scatter([data.subset(rows) for rows in self.rows])
        self.actors = [f.result() for f in [dask_client.submit(_Bucket, part, actor=True) for part in parts]]

    def __call__(self, proto):
        calls = [actor.step(self.layout, proto) for actor in self.actors]  # all buckets at once
        return combine_passes([c.result() for c in calls], proto.k, self.p, self.layout)

    def labels(self, n):
        """Labels of all rows (of the last pass), in row order."""
        out = np.full(n, -1, dtype=np.intp)
        for rows, actor in zip(self.rows, self.actors):
            out[rows] = actor.current().result()
        return out


@contextlib.contextmanager
def passes_for(compute):
    """The ``passes`` argument of ``fit_segmentation`` for ``compute``: None (this process) or the cluster's."""
    if compute.engine != "dask":
        yield None
        return
    with cluster.client(compute) as dask_client:
        yield lambda data, layout, buckets: DaskPasses(dask_client, data, layout, buckets)
