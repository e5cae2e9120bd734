"""Wall time of the demo run and seconds per stage (target: under 60 s on 2 cores).

    python benchmarks/run_demo.py [--no-notebooks] [--set key=value ...]

Runs ``params/demo.yaml`` into a temporary reports root through the same code
path as ``seglab run`` and prints the manifest's stage timings.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from seglab.config import load_config
from seglab.pipeline.execute import execute

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 60.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-notebooks", action="store_true", help="call the stages directly")
    ap.add_argument("--set", dest="overrides", action="append", default=[])
    args = ap.parse_args()
    cfg = load_config(ROOT / "params" / "demo.yaml", args.overrides)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        folder = execute(cfg, out=Path(tmp), notebooks=not args.no_notebooks, progress=False)
        wall = time.perf_counter() - t0
        manifest = json.loads((folder / "manifest.json").read_text())
    print(f"demo run ({'direct' if args.no_notebooks else 'papermill notebooks'}), k = {manifest['summary'].get('k')}")
    for stage, secs in manifest["stages"].items():
        print(f"  {stage:<10} {secs:7.2f} s")
    print(f"  {'wall':<10} {wall:7.2f} s   target {TARGET_SECONDS:.0f} s   ratio {wall / TARGET_SECONDS:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
