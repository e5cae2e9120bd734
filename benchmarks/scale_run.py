"""The whole run at scale: 1,000,000 customers and 20,000,000 transaction lines.

    python benchmarks/scale_run.py [--customers 1000000] [--per-customer 20] [--keep DIR]
                                   [--compute engine=dask scheduler=local:2]

Generates the data with the demo generator (written as Parquet, the format a
large export would come in), then runs ``seglab run --no-notebooks`` on it in
a child process and prints wall time per stage, the child's CPU seconds and its peak memory
(the largest single process: with engine dask the workers are separate processes).
Targets (issue 14, local engine): under 60 seconds and under 3 GB.
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
import yaml

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 60.0
TARGET_GB = 3.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--per-customer", type=float, default=20.0, help="transaction lines per customer")
    ap.add_argument("--keep", type=Path, help="write data and reports here instead of a temporary folder "
                                              "(and reuse the data already there)")
    ap.add_argument("--compute", nargs="*", default=[], metavar="KEY=VALUE",
                    help="compute: settings, e.g. engine=dask scheduler=local:2")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory() if args.keep is None else None
    work = Path(tmp.name) if tmp else args.keep
    work.mkdir(parents=True, exist_ok=True)

    from seglab.demo.generate import generate_demo

    t0 = time.perf_counter()
    if (work / "transactions.parquet").exists() and args.keep is not None:  # the data of an earlier --keep
        n_tx = pq.ParquetFile(work / "transactions.parquet").metadata.num_rows
        print(f"reusing {work}: {n_tx:,} lines")
    else:
        data = generate_demo(n_customers=args.customers, transactions_per_customer=args.per_customer)
        data.customers.to_parquet(work / "customers.parquet", index=False)
        data.transactions.to_parquet(work / "transactions.parquet", index=False)
        n_tx = len(data.transactions)
        del data
        print(f"generated {args.customers:,} customers and {n_tx:,} lines in {time.perf_counter() - t0:.1f} s")

    params = yaml.safe_load((ROOT / "params" / "demo.yaml").read_text(encoding="utf-8"))
    params["run_name"] = "scale"
    params["data"]["customers"] = str(work / "customers.parquet")
    params["data"]["transactions"] = str(work / "transactions.parquet")
    params["columns"]["value_labels"] = str((ROOT / "params" / params["columns"]["value_labels"]).resolve())
    params["compute"] = {**params.get("compute", {}), **dict(kv.split("=", 1) for kv in args.compute)}
    params["report"] = {**params.get("report", {}), "pdf": False}
    (work / "scale.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")

    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "seglab.cli", "run", str(work / "scale.yaml"), "--out",
                           str(work / "reports"), "--no-notebooks", "--quiet"], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_gb, cpu = usage.ru_maxrss / 1024 ** 2, usage.ru_utime + usage.ru_stime
    if proc.returncode != 0:
        print(proc.stderr[-3000:])
        return 1
    run_dir = Path(proc.stdout.strip().splitlines()[-1]).parent
    manifest = json.loads((run_dir / "manifest.json").read_text())
    print(f"run {run_dir} — k = {manifest['summary'].get('k')}, customers = {manifest['summary'].get('customers'):,}, "
          f"engine {params['compute'].get('engine', 'local')}")
    for stage, secs in manifest["stages"].items():
        print(f"  {stage:<10} {secs:8.1f} s")
    print(f"  {'wall':<10} {wall:8.1f} s   target {TARGET_SECONDS:.0f} s   ratio {wall / TARGET_SECONDS:.2f}")
    print(f"  {'cpu':<10} {cpu:8.1f} s   (user + system of the run; a loaded machine stretches the wall time, not this)")
    print(f"  {'peak RSS':<10} {peak_gb:8.2f} GB  target {TARGET_GB:.0f} GB    ratio {peak_gb / TARGET_GB:.2f}")
    if tmp:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
