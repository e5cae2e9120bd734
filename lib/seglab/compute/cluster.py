"""The Dask cluster of a run: start a local one, or join a running one, and say what it was.

``compute.scheduler`` names it: null starts a local cluster of one worker process per core,
``local:N`` one of N worker processes, and ``tcp://host:8786`` joins a running scheduler
(started by ``dask scheduler``, dask-jobqueue, dask-kubernetes, ...; see the README).  A run
starts its cluster once (:func:`run_cluster`) and publishes the scheduler's address in
:data:`ENV_SCHEDULER`, so the stages, in this process or in the notebook kernel, join the same
cluster (:func:`client`) rather than starting their own.
"""

from __future__ import annotations

import contextlib
import logging
import os
from importlib import metadata

from seglab.compute.duck import memory_bytes
from seglab.errors import ParamsError

__all__ = ["ENV_SCHEDULER", "CONNECT_TIMEOUT", "use_client", "run_cluster", "client", "describe", "versions"]

#: The scheduler address of the run's cluster, for the stages (and their notebook kernel).
ENV_SCHEDULER = "SEGLAB_DASK_SCHEDULER"
#: Seconds to wait for a scheduler that ``compute.scheduler`` names.
CONNECT_TIMEOUT = 20
#: Packages whose versions decide the numbers: they must be the same on the workers.
DECIDING = ("duckdb", "numpy", "pandas", "pyarrow", "scipy", "scikit-learn")

log = logging.getLogger("seglab")

_given = []  # the Client handed over by use_client, innermost last


@contextlib.contextmanager
def use_client(dask_client):
    """Run the engine's work on an existing Client while the block lasts.

    For clusters reached from Python rather than by a ``tcp://`` address, such as a dask-gateway
    cluster (TLS through the gateway's proxy): runs made in this process with
    ``execute(cfg, notebooks=False)`` and ``compute.engine: dask`` use it; it is not closed.
    """
    _given.append(dask_client)
    try:
        yield dask_client
    finally:
        _given.pop()


def _local_workers(scheduler: str | None) -> int:
    if scheduler is None:
        return max(1, os.cpu_count() or 1)
    return int(scheduler.split(":", 1)[1])


def _start(compute):
    """A Client of a new local cluster or of the scheduler ``compute.scheduler`` names."""
    import dask  # lazy: start-up time; only engine dask needs it
    from distributed import Client, LocalCluster  # lazy: start-up time; only engine dask needs it

    # identifiers stay Python strings on the workers (dask would make them string[pyarrow])
    dask.config.set({"dataframe.convert-string": False})
    scheduler = compute.scheduler
    if scheduler is not None and not scheduler.startswith("local:"):
        try:
            return Client(scheduler, timeout=f"{CONNECT_TIMEOUT}s"), None
        except (OSError, TimeoutError) as exc:
            raise ParamsError(f"compute.scheduler: no Dask scheduler answered at {scheduler} within "
                              f"{CONNECT_TIMEOUT} s ({exc}); start one (`dask scheduler`) or fix the address") from None
    n = _local_workers(scheduler)
    limit = memory_bytes(compute.memory_limit) if compute.memory_limit != "auto" else "auto"
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, memory_limit=limit,
                           dashboard_address=None, silence_logs=logging.ERROR)
    return Client(cluster), cluster


@contextlib.contextmanager
def run_cluster(compute):
    """The run's cluster, published in :data:`ENV_SCHEDULER` while the run lasts (None for engine local)."""
    if compute.engine != "dask":
        yield None
        return
    if _given:
        yield _given[-1]
        return
    dask_client, cluster = _start(compute)
    before = os.environ.get(ENV_SCHEDULER)
    os.environ[ENV_SCHEDULER] = dask_client.scheduler.address
    try:
        yield dask_client
    finally:
        if before is None:
            os.environ.pop(ENV_SCHEDULER, None)
        else:
            os.environ[ENV_SCHEDULER] = before
        dask_client.close()
        if cluster is not None:
            cluster.close()


@contextlib.contextmanager
def client(compute):
    """A Client for one stage: of the run's cluster when there is one, else of a cluster of its own."""
    address = os.environ.get(ENV_SCHEDULER)
    if _given:
        yield _given[-1]
        return
    if address:
        from distributed import Client  # lazy: start-up time; only engine dask needs it

        dask_client = Client(address, timeout=f"{CONNECT_TIMEOUT}s")
        try:
            yield dask_client
        finally:
            dask_client.close()
        return
    with run_cluster(compute) as dask_client:
        yield dask_client


def versions() -> dict[str, str | None]:
    """Versions of the engines' packages in this process."""
    out = {}
    for name in ("duckdb", "dask", "distributed"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def describe(compute, dask_client=None) -> dict:
    """What the manifest records: engine, scheduler, workers, memory and versions (workers' too)."""
    out = {"engine": compute.engine, "scheduler": compute.scheduler, "memory_limit": compute.memory_limit,
           "partitions": compute.partitions, "versions": versions()}
    if dask_client is None:
        out.update(workers=1, threads=os.cpu_count())
        return out
    info = dask_client.scheduler_info()
    workers = info.get("workers", {})
    out.update(scheduler_address=info.get("address"), workers=len(workers),
               threads=sum(w.get("nthreads", 0) for w in workers.values()),
               worker_memory=sorted({int(w.get("memory_limit") or 0) for w in workers.values()}))
    found = dask_client.run(_package_versions)
    differ = sorted({name for vs in found.values() for name, v in vs.items()
                     if v != _package_versions().get(name)})
    out["worker_versions"] = next(iter(found.values()), {})
    if differ:
        out["version_mismatch"] = differ
        log.warning("Dask workers run other versions of %s than this process: results may differ", differ)
    return out


def _package_versions() -> dict[str, str | None]:
    out = {}
    for name in DECIDING + ("dask", "distributed"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out
