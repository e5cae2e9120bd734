"""What `seglab validate` (run before every `seglab run`) costs, against reading the input alone.

Writes a transactions-only export of N lines (customer id, order id, date, amount, and a
free-text note column nobody declared) and times, per size: reading the file
(seglab.io.sources), the whole validation, and the personal-data scan in it. Prints
seconds and the ratio validation / reading; no assertion (the tests never time anything).

    python benchmarks/validation.py [--sizes 100000,1000000,5000000]
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from seglab.config import config_from_dict
from seglab.io.privacy import find_personal_data
from seglab.io.sources import read_source
from seglab.validation import validate


def write_export(path: Path, n: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    customers = rng.integers(0, max(10, n // 15), n)
    days = rng.integers(0, 730, n)
    frame = pd.DataFrame({
        "customer_id": [f"C{c:07d}" for c in customers],
        "order_id": [f"O{i:09d}" for i in range(n)],
        "order_date": (np.datetime64("2023-01-01") + days.astype("timedelta64[D]")).astype(str),
        "amount": np.round(rng.lognormal(4, 1, n), 2),
        "note": rng.choice(["gift", "", "express", "call back", "see ticket"], n),
    })
    frame.to_csv(path, index=False)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,1000000")
    args = ap.parse_args()
    print(f"{'lines':>10} {'read s':>8} {'validate s':>11} {'pii scan s':>11} {'validate/read':>14}")
    for n in map(int, args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            write_export(folder / "tx.csv", n)
            cfg = config_from_dict({"run_name": "bench", "data": {"transactions": "tx.csv"},
                                    "columns": {"transactions": {"customer_id": "customer_id", "date": "order_date",
                                                                 "amount": "amount", "order_id": "order_id"}},
                                    "segmentation": {"method": "kmeans", "features": ["recency", "frequency", "monetary"]},
                                    "output_dir": str(folder / "reports")}, base_dir=folder)
            t = time.perf_counter()
            table, _ = read_source(folder / "tx.csv", role="transactions")
            read = time.perf_counter() - t
            t = time.perf_counter()
            for col in table.columns:
                find_personal_data(table[col])
            scan = time.perf_counter() - t
            t = time.perf_counter()
            validate(cfg)
            whole = time.perf_counter() - t
            print(f"{n:>10,} {read:>8.2f} {whole:>11.2f} {scan:>11.2f} {whole / read:>14.1f}")


if __name__ == "__main__":
    main()
