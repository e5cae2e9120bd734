"""Beyond one machine: the engines' figures against the targets of issue 14.

    python benchmarks/scale_out.py [--lines 20000000] [--customers 1000000]
                                   [--assign 1000000,5000000,10000000] [--skip dask,assign,lloyd]

Each measurement runs in a child process; the figures are its wall seconds, the CPU seconds of
its whole process tree (workers included) and the peak of the tree's summed resident memory,
sampled every 0.1 s.  Printed with the target and the ratio:

- aggregation of the clean lines per customer: the in-memory reference (pandas + NumPy), the
  local engine (DuckDB, compute.memory_limit auto and 300MB) and the Dask engine on a
  LocalCluster of two worker processes (target: at most 5 x DuckDB's CPU seconds, 3 GB);
- streaming assignment of N customers (target: 10M in at most 15 s at 0.5 GB, flat in N);
- distributed Lloyd passes (target: at most 100 ms per iteration beyond the kernel's own time).

The whole run at 1M customers / 20M lines is benchmarks/scale_run.py.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "lib"


# ------------------------------------------------------------------ data


def write_lines(path: Path, n_customers: int, n_lines: int, seed: int = 0) -> None:
    """Clean lines as the clean stage writes them, in row groups of a million."""
    rng = np.random.default_rng(seed)
    writer = None
    ids = np.array([f"C{i:09d}" for i in range(n_customers)], dtype=object)
    pq.write_table(pa.table({"customer_id": ids}), path.with_name("customers.parquet"))
    step = 1_000_000
    for lo in range(0, n_lines, step):
        m = min(step, n_lines - lo)
        who = rng.integers(0, n_customers, m)
        day = rng.integers(19000, 19000 + 1000, m).astype("datetime64[D]").astype("datetime64[ns]")
        amount = np.round(rng.gamma(2.0, 25.0, m), 2)
        ret = rng.random(m) < 0.05
        amount[ret] *= -1
        order = np.char.add("O", (lo + np.arange(m) // 3).astype(str)).astype(object)
        table = pa.table({"customer_id": ids[who], "order_id": order, "date": day, "amount": amount,
                          "is_return": ret})
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()


# ------------------------------------------------------------------ measuring a child


def _tree_rss(pid: int) -> int:
    """Summed resident memory (bytes) of ``pid`` and all its descendants."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError):
            pass
        todo += children.get(p, [])
    return total


def measure(code: str) -> dict:
    """Run ``code`` in a child Python; its wall and tree CPU seconds, tree peak memory and what it printed."""
    env = {**os.environ, "PYTHONPATH": str(LIB)}
    before = os.times()
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    peak = 0
    stop = threading.Event()

    def sample():
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    stop.set()
    sampler.join()
    wall = time.perf_counter() - t0
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    if proc.returncode != 0:
        raise RuntimeError(err[-3000:])
    lines = [ln for ln in out.strip().splitlines() if ln.startswith("{")]
    return {"wall": wall, "cpu": cpu, "peak_gb": peak / 1e9, **(json.loads(lines[-1]) if lines else {})}


def row(name: str, m: dict, target: str = "", ratio: float | None = None) -> None:
    r = "" if ratio is None else f"ratio {ratio:5.2f}"
    print(f"  {name:<44} wall {m['wall']:7.1f} s  cpu {m['cpu']:7.1f} s  peak {m['peak_gb']:5.2f} GB  {target:<28} {r}")


# ------------------------------------------------------------------ the benchmarks


def aggregation(work: Path, skip: set) -> None:
    lines, customers = work / "lines.parquet", work / "customers.parquet"
    print("per-customer aggregation of the clean lines")
    ids = f"pd.read_parquet({str(customers)!r})['customer_id']"
    ref = measure(f"""
        import pandas as pd
        from seglab.features import aggregates, clv
        tx = pd.read_parquet({str(lines)!r})
        agg = aggregates.from_arrays(clv.TransactionArrays.from_frame(tx, {ids}, orders=True))
    """)
    row("in memory (pandas + NumPy, the reference)", ref)
    duck = {}
    for limit in ("auto", "300MB"):
        duck[limit] = measure(f"""
            import pandas as pd
            from seglab.compute import duck
            duck.local_aggregates({str(lines)!r}, {ids}, memory_limit={limit!r})
        """)
        row(f"local engine, DuckDB, memory_limit {limit}", duck[limit], "vs in memory (cpu)",
            duck[limit]["cpu"] / ref["cpu"])
    if "dask" in skip:
        return
    m = measure(f"""
        import logging, time, pandas as pd
        from distributed import Client, LocalCluster
        from seglab.compute import dask_engine
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            dask_engine.aggregates(client, {str(lines)!r}, {ids})
    """)
    row("dask engine, LocalCluster(2)", m, "<= 5 x DuckDB cpu, <= 3 GB", m["cpu"] / duck["auto"]["cpu"])


def assignment(work: Path, sizes: list[int]) -> None:
    print("streaming assignment (k-prototypes model, 4 numeric + 2 categorical features)")
    model = work / "model.joblib"
    subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import joblib, numpy as np, pandas as pd
        from seglab.config import config_from_dict
        from seglab.segment.fit import fit_segmentation
        from pathlib import Path
        rng = np.random.default_rng(1)
        n = 20000
        f = pd.DataFrame({{"customer_id": [f"C{{i}}" for i in range(n)], "recency": rng.gamma(2, 60, n),
                           "frequency": rng.poisson(4, n).astype(float), "monetary": rng.gamma(2, 300, n),
                           "tenure_days": rng.gamma(3, 200, n), "lifecycle": rng.choice(["new", "active", "dormant"], n),
                           "value_tier": rng.choice(["low", "mid", "high"], n)}})
        cfg = config_from_dict({{"run_name": "b", "data": {{"customers": "c.csv"}},
                                 "segmentation": {{"method": "kprototypes", "k": 5, "stability_runs": 0, "n_init": 1,
                                                   "features": list(f.columns[1:])}}}}, base_dir=Path("."))
        joblib.dump(fit_segmentation(f, cfg, progress=False).model, {str(model)!r})
    """)], env={**os.environ, "PYTHONPATH": str(LIB)}, check=True)
    first = None
    for n in sizes:
        feats = work / f"features_{n}.parquet"
        rng = np.random.default_rng(2)
        writer = None
        for lo in range(0, n, 1_000_000):
            m = min(1_000_000, n - lo)
            t = pa.table({"customer_id": np.char.add("C", np.arange(lo, lo + m).astype(str)).astype(object),
                          "recency": rng.gamma(2, 60, m), "frequency": rng.poisson(4, m).astype(float),
                          "monetary": rng.gamma(2, 300, m), "tenure_days": rng.gamma(3, 200, m),
                          "lifecycle": rng.choice(["new", "active", "dormant"], m).astype(object),
                          "value_tier": rng.choice(["low", "mid", "high"], m).astype(object)})
            writer = writer or pq.ParquetWriter(feats, t.schema)
            writer.write_table(t)
        writer.close()
        m = measure(f"""
            import json, time, joblib
            from seglab.compute.stream import stream_assignments
            model = joblib.load({str(model)!r})
            t = time.perf_counter()
            n = stream_assignments(model, {str(feats)!r}, {str(work / 'assignments.parquet')!r})
            print(json.dumps({{"assign_s": time.perf_counter() - t, "n": n}}))
        """)
        first = first or m
        scaled = m["assign_s"] * 10_000_000 / n
        row(f"{n:>11,} customers (assigning {m['assign_s']:.1f} s)", m, "10M <= 15 s, <= 0.5 GB", scaled / 15)
        feats.unlink()
    if first is not None and len(sizes) > 1:
        print(f"  peak memory from {sizes[0]:,} to {sizes[-1]:,} customers: {first['peak_gb']:.2f} -> "
              f"{m['peak_gb']:.2f} GB (flat is the target)")


def lloyd(work: Path, n: int) -> None:
    print(f"distributed Lloyd passes of the final k-prototypes fit ({n:,} customers, k = 6, 4 numeric + 2 categorical)")
    m = measure(f"""
        import json, logging, time
        import numpy as np, pandas as pd
        from distributed import Client, LocalCluster
        from seglab.compute.lloyd import DaskPasses
        from seglab.segment.fit import lloyd_buckets
        from seglab.segment.kprototypes import BucketPasses, KPrototypes

        rng = np.random.default_rng(3)
        n = {n}
        c = rng.integers(0, 6, n)
        X = pd.DataFrame({{"recency": rng.gamma(2 + c, 30), "frequency": rng.poisson(1 + c).astype(float),
                           "monetary": rng.gamma(2, 50 * (1 + c)), "tenure": rng.gamma(3, 100 + 20 * c),
                           "lifecycle": np.array(list("abcdef"))[c], "tier": rng.choice(list("xyz"), n)}})
        init = [X.iloc[:6, :4].to_numpy(float), X.iloc[:6, 4:].to_numpy(object)]
        buckets = lloyd_buckets(pd.Series(np.char.add("C", np.arange(n).astype(str))))

        class Timed:
            def __init__(self, runner):
                self.runner, self.seconds = runner, []
            def __call__(self, proto):
                t = time.perf_counter()
                out = self.runner(proto)
                self.seconds.append(time.perf_counter() - t)
                return out
            def labels(self, n):
                return self.runner.labels(n)

        def fit(make):
            timed = []
            def passes(d, lay, b):
                timed.append(Timed(make(d, lay, b)))
                return timed[0]
            est = KPrototypes(n_clusters=6, init=init, n_init=1, max_iter=8, tol=0).fit(
                X, categorical=[4, 5], buckets=buckets, passes=passes)
            return est, timed[0].seconds

        out = {{"buckets": len(buckets)}}
        here, secs = fit(BucketPasses)
        out["local"] = float(np.median(secs))
        for workers in (1, 2):
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                              silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
                there, secs = fit(lambda d, lay, b: DaskPasses(client, d, lay, b))
            out[f"dask{{workers}}"] = float(np.median(secs))
            out[f"same{{workers}}"] = bool(there.cost_ == here.cost_ and (there.labels_ == here.labels_).all()
                                           and (there.cluster_centroids_ == here.cluster_centroids_).all())
        out["iterations"] = int(here.n_iter_)
        print(json.dumps(out))
    """)
    print(f"  {m['buckets']} buckets, {m['iterations']} iterations; median seconds per pass: in this process "
          f"{m['local']:.3f}, LocalCluster(1) {m['dask1']:.3f}, LocalCluster(2) {m['dask2']:.3f}")
    overhead = m["dask1"] - m["local"]
    print(f"  overhead per iteration (LocalCluster(1) - in process): {overhead * 1000:.0f} ms   target <= 100 ms   "
          f"ratio {overhead / 0.1:5.2f}")
    print(f"  identical centres, cost and labels: 1 worker {m['same1']}, 2 workers {m['same2']}")
    row("whole measurement (3 fits)", m)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=20_000_000)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--assign", default="1000000,5000000,10000000", help="customer counts for streaming assignment")
    ap.add_argument("--lloyd", type=int, default=2_000_000, help="customers of the distributed Lloyd benchmark")
    ap.add_argument("--skip", default="", help="comma-separated: aggregation, dask, assign, lloyd")
    ap.add_argument("--keep", type=Path, help="keep the generated data here")
    args = ap.parse_args()
    skip = {s for s in args.skip.split(",") if s}
    tmp = tempfile.TemporaryDirectory() if args.keep is None else None
    work = Path(tmp.name) if tmp else args.keep
    work.mkdir(parents=True, exist_ok=True)
    print(f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if "aggregation" not in skip:
        t = time.perf_counter()
        if not (work / "lines.parquet").exists():
            write_lines(work / "lines.parquet", args.customers, args.lines)
        print(f"{args.lines:,} lines of {args.customers:,} customers ({time.perf_counter() - t:.0f} s to write)")
        aggregation(work, skip)
    if "assign" not in skip:
        assignment(work, [int(s) for s in args.assign.split(",")])
    if "lloyd" not in skip:
        lloyd(work, args.lloyd)
    if tmp:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
