"""Benchmark the campaign hand-over and measurement at scale.

Times, on synthetic customers (6 numeric, 3 categorical features, 6 segments):
fitting the portable segment rules (cross-validation on 50k, fit on up to 200k, applied
to all), the control-group split, the SQL in DuckDB against the Python rules, and reading
and measuring a campaign results file with one row per response (20 % of customers).
Prints seconds and customers per second; never asserts a time.

    python benchmarks/campaign.py [--sizes 100000,1000000]
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from seglab.campaign.audiences import assign_groups
from seglab.campaign.measure import measure_campaign
from seglab.campaign.responses import read_responses
from seglab.campaign.rules import fit_rules, to_sql

K = 6


def customers(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    seg = rng.integers(0, K, n)
    centres = rng.normal(0, 2, (K, 6))
    num = centres[seg] + rng.normal(0, 1, (n, 6))
    frame = pd.DataFrame(num, columns=[f"x{i}" for i in range(6)])
    for j, m in enumerate((3, 5, 8)):
        pref = rng.integers(0, m, K)
        frame[f"c{j}"] = pd.array(np.where(rng.random(n) < 0.6, pref[seg], rng.integers(0, m, n)).astype(str), dtype="str")
    frame.insert(0, "customer_id", pd.array([f"C{i:09d}" for i in range(n)], dtype="str"))
    return frame, seg


def timed(label: str, n: int, fn):
    t = time.perf_counter()
    out = fn()
    s = time.perf_counter() - t
    print(f"  {label:<34} {s:8.2f} s   {n / s:>12,.0f} customers/s")
    return out


def main(sizes):
    for n in sizes:
        print(f"{n:,} customers")
        frame, seg = customers(n)
        model = {"numeric": [f"x{i}" for i in range(6)], "categorical": ["c0", "c1", "c2"]}
        rules = timed("fit rules (CV + fit + measure)", n, lambda: fit_rules(frame, seg, model_features=model, seed=1))
        print(f"  {'':<34} depth {rules.depth}, agreement {rules.agreement:.3f}")
        got = timed("apply rules (Python)", n, lambda: rules.apply(frame))
        groups = timed("control-group split", n, lambda: assign_groups(frame["customer_id"], pd.Series(seg), 0.1, 42))
        try:
            import duckdb

            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "features.parquet"
                frame.to_parquet(path, index=False)
                con = duckdb.connect()
                con.execute(f"CREATE TABLE features AS SELECT * FROM read_parquet('{path}')")
                sql = timed("segment_rules.sql in DuckDB", n, lambda: con.execute(to_sql(rules)).df())
                same = (sql.sort_values("customer_id")["rule_segment"].to_numpy() == got).all()
                print(f"  {'':<34} DuckDB == Python: {same}")
        except ImportError:
            print("  (duckdb not installed: SQL not timed)")
        rng = np.random.default_rng(2)
        who = rng.random(n) < 0.2
        results = pd.DataFrame({"customer_id": frame["customer_id"][who], "converted": "yes",
                                "revenue": np.round(rng.gamma(2, 40, who.sum()), 2), "date": "2026-07-20"})
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "results.csv"
            results.to_csv(path, index=False)
            r = timed("read results (20 % responded)", n, lambda: read_responses(
                path, audience_ids=frame["customer_id"], start=pd.Timestamp("2026-07-01")))
        plan = pd.DataFrame({"customer_id": frame["customer_id"], "segment": seg, "segment_name": "s", "group": groups})
        timed("measure uplift per segment", n, lambda: measure_campaign(plan, r.customers))


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="100000,1000000")
    main([int(s) for s in p.parse_args().sizes.split(",")])
