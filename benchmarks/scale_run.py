"""The whole run at scale: 1,000,000 customers and 20,000,000 transaction lines.

    python benchmarks/scale_run.py [--customers 1000000] [--per-customer 20] [--keep DIR]

Generates the data with the demo generator (written as Parquet, the format a
large export would come in), then runs ``seglab run --no-notebooks`` on it in
a child process and prints wall time per stage and the child's peak memory.
Targets: under 5 minutes and under 6 GB.
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 300.0
TARGET_GB = 6.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--per-customer", type=float, default=20.0, help="transaction lines per customer")
    ap.add_argument("--keep", type=Path, help="write data and reports here instead of a temporary folder")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory() if args.keep is None else None
    work = Path(tmp.name) if tmp else args.keep
    work.mkdir(parents=True, exist_ok=True)

    from seglab.demo.generate import generate_demo

    t0 = time.perf_counter()
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
    params["report"] = {**params.get("report", {}), "pdf": False}
    (work / "scale.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")

    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "seglab.cli", "run", str(work / "scale.yaml"), "--out",
                           str(work / "reports"), "--no-notebooks", "--quiet"], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 ** 2
    if proc.returncode != 0:
        print(proc.stderr[-3000:])
        return 1
    run_dir = Path(proc.stdout.strip().splitlines()[-1]).parent
    manifest = json.loads((run_dir / "manifest.json").read_text())
    print(f"run {run_dir} — k = {manifest['summary'].get('k')}, customers = {manifest['summary'].get('customers'):,}")
    for stage, secs in manifest["stages"].items():
        print(f"  {stage:<10} {secs:8.1f} s")
    print(f"  {'wall':<10} {wall:8.1f} s   target {TARGET_SECONDS:.0f} s   ratio {wall / TARGET_SECONDS:.2f}")
    print(f"  {'peak RSS':<10} {peak_gb:8.2f} GB  target {TARGET_GB:.0f} GB    ratio {peak_gb / TARGET_GB:.2f}")
    if tmp:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
