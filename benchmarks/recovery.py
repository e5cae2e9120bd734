"""How well k=auto recovers the planted groups: k chosen and ARI against the truth, per scenario.

    python benchmarks/recovery.py [demo retail_shift retail_chain online_education footwear subscription]

Runs each scenario's params (``params/demo.yaml``, ``params/demo_shift.yaml`` on freshly
generated six-months-later data, ``params/case_<name>.yaml``) with ``--no-notebooks`` into a
temporary reports root and prints, per scenario, the k chosen, how it was chosen, silhouette,
stability and the adjusted Rand index between the segments and the planted groups of the
truth file. The targets (issue 11): demo k=5 and ARI >= 0.8, retail_shift ARI >= 0.8 with the
new group emerged, and no case study worse than before. Run one at a time: each run uses both cores.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from sklearn.metrics import adjusted_rand_score

from seglab.config import load_config
from seglab.demo.generate import write_demo_data
from seglab.demo.retail_shift import SHIFT_AS_OF
from seglab.pipeline.execute import execute

ROOT = Path(__file__).resolve().parents[1]
CASES = ("retail_chain", "online_education", "footwear", "subscription")
TARGET_ARI = 0.8


def planted_ari(run: Path, truth_path: Path) -> float:
    """ARI between the run's segments and the planted groups (the first row of each customer)."""
    truth = pd.read_csv(truth_path, dtype=str, keep_default_na=False)
    truth = truth[truth["problem"] != "duplicate"].drop_duplicates("customer_id")
    assignments = pd.read_csv(run / "assignments.csv", dtype={"customer_id": str})
    both = assignments.merge(truth[["customer_id", "planted_group"]], on="customer_id")
    return float(adjusted_rand_score(both["planted_group"], both["segment"]))


def run(params: Path, out: Path, overrides=()) -> Path:
    return execute(load_config(params, list(overrides)), out=out, notebooks=False, progress=False)


def describe(name: str, folder: Path, truth: Path, seconds: float) -> str:
    seg = json.loads((folder / "segmentation.json").read_text())
    line = (f"{name:<17} k={seg['k']:<2} ({(seg.get('k_choice') or {}).get('case', '-'):<10}) "
            f"silhouette {seg['quality'].get('silhouette') or float('nan'):.3f}  "
            f"stability {(seg.get('stability') or {}).get('mean_ari') or float('nan'):.3f}  "
            f"ARI {planted_ari(folder, truth):.3f}  ({seconds:.0f} s)")
    compare = folder / "compare.json"
    if compare.is_file():
        result = json.loads(compare.read_text())
        line += (f"\n{'':<17} emerged {[e['name'] for e in result['emerged']]}  merged "
                 f"{[m['name_b'] for m in result.get('merged', [])]}  vanished {[v['segment'] for v in result['vanished']]}")
    return line


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenarios", nargs="*", default=["demo", "retail_shift", *CASES])
    ap.add_argument("--keep", type=Path, help="write the runs under this folder and keep them")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.keep:
            tmp = args.keep
        out = Path(tmp) / "reports"
        for name in args.scenarios:
            t0 = time.perf_counter()
            if name == "demo":
                folder = run(ROOT / "params" / "demo.yaml", out)
                truth = ROOT / "data/demo/truth/customers_truth.csv"
            elif name == "retail_shift":
                if not list((out / "demo").glob("*/segmentation.json")):
                    print(describe("demo", run(ROOT / "params" / "demo.yaml", out),
                                   ROOT / "data/demo/truth/customers_truth.csv", time.perf_counter() - t0))
                    t0 = time.perf_counter()
                paths = write_demo_data(Path(tmp) / "retail_shift", scenario="retail_shift")
                folder = run(ROOT / "params" / "demo_shift.yaml", out, [
                    f"data.customers={paths['customers']}", f"data.transactions={paths['transactions']}",
                    f"data.as_of={SHIFT_AS_OF}"])
                truth = paths["customers_truth"]
            elif name in CASES:
                folder = run(ROOT / "params" / f"case_{name}.yaml", out)
                truth = ROOT / "data/case_studies" / name / "truth" / "customers_truth.csv"
            else:
                print(f"unknown scenario {name!r}", file=sys.stderr)
                return 2
            print(describe(name, folder, truth, time.perf_counter() - t0), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
