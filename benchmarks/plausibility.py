"""The plausibility checks of the clean stage on a 20-million-line transaction column.

    python benchmarks/plausibility.py [--lines 20000000]

Prints the seconds of each check (absurd magnitudes, the amount fence, the date checks) and
their share of the 5-minute budget of the whole 20-million-line run (benchmarks/scale_run.py).
Target: under 2 % of that budget together.
"""

import argparse
import time

import numpy as np

from seglab.clean import plausibility

BUDGET_SECONDS = 300.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=20_000_000)
    n = ap.parse_args().lines
    rng = np.random.default_rng(0)
    amount = rng.lognormal(5, 1, n)
    amount[:3] = [1e308, 1e20, 5e6]
    days = (np.datetime64("2023-07-01") + rng.integers(0, 1095, n).astype("timedelta64[D]")).astype("datetime64[ns]")
    days[:2] = [np.datetime64("1900-01-01"), np.datetime64("2005-01-01")]
    alive = np.ones(n, bool)
    total = 0.0
    for name, check in (("absurd magnitudes", lambda: plausibility.absurd(amount)),
                        ("amount fence", lambda: plausibility.outlier_fence(amount, magnitudes=True)),
                        ("dates", lambda: plausibility.check_dates(days, alive))):
        t0 = time.perf_counter()
        check()
        seconds = time.perf_counter() - t0
        total += seconds
        print(f"{name:<20} {seconds:6.2f} s")
    share = total / BUDGET_SECONDS
    print(f"{'together':<20} {total:6.2f} s = {share:.1%} of the {BUDGET_SECONDS:.0f} s run budget "
          f"({'within' if share < 0.02 else 'over'} the 2 % target)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
