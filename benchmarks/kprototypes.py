"""Benchmark seglab's vectorised k-prototypes against kmodes' from identical starts.

Both engines get the same data, the same gamma and the same initial centroids
(n_init=1), so the cost ratio compares the algorithms, not the seeds. Above
50k rows kmodes is timed for a few iterations and its full fit extrapolated
(its cost is then not known; pass --full-kmodes to run it to the end). The
last row times seglab alone at 1M customers x 12 features, k=6, n_init=4,
initialisation included.

    python benchmarks/kprototypes.py [--quick] [--full-kmodes] [--sizes 10000,50000] [--jobs N]
"""

import argparse
import time
import warnings

import numpy as np
from seglab.segment.kprototypes import KPrototypes

N_NUMERIC, N_CATEGORICAL, K = 6, 6, 6
CARDINALITIES = (3, 4, 5, 6, 8, 12)


def make_customers(n, seed=0):
    """Gaussian blobs in 6 numeric columns + 6 categorical columns leaning to the blob.

    Categorical values are the integer codes 0..m-1, so kmodes' internal codes
    equal the values and one explicit start serves both engines.
    """
    rng = np.random.default_rng(seed)
    segment = rng.integers(0, K, n)
    centers = rng.normal(0.0, 2.0, (K, N_NUMERIC))
    numeric = centers[segment] + rng.normal(0.0, 1.0, (n, N_NUMERIC))
    categorical = np.empty((n, N_CATEGORICAL))
    for j, m in enumerate(CARDINALITIES):
        preferred = rng.integers(0, m, K)
        categorical[:, j] = np.where(rng.random(n) < 0.6, preferred[segment], rng.integers(0, m, n))
    X = np.hstack([numeric, categorical])
    return X, list(range(N_NUMERIC, N_NUMERIC + N_CATEGORICAL))


def huang_gamma(X):
    return 0.5 * float(np.mean(X[:, :N_NUMERIC].std(axis=0)))


def random_start(X, seed):
    rows = np.random.default_rng(seed).choice(len(X), K, replace=False)
    return X[rows, :N_NUMERIC].copy(), X[rows, N_NUMERIC:].astype(int)


def time_seglab(X, cat, gamma, start, n_jobs):
    model = KPrototypes(K, init=[start[0], start[1]], n_init=1, gamma=gamma, n_jobs=n_jobs)
    t0 = time.perf_counter()
    model.fit(X, categorical=cat)
    seconds = time.perf_counter() - t0
    return seconds, model.n_iter_, model.cost_


def time_kmodes(X, cat, gamma, start, max_iter=100):
    from kmodes.kprototypes import KPrototypes as KModesKPrototypes

    model = KModesKPrototypes(K, init=[start[0].copy(), start[1].copy()], n_init=1, gamma=gamma, max_iter=max_iter)
    t0 = time.perf_counter()
    model.fit(X, categorical=cat)
    return time.perf_counter() - t0, model.n_iter_, model.cost_


def kmodes_per_iteration(X, cat, gamma, start):
    """kmodes' seconds per iteration and fixed cost, from fits of 1 and 3 iterations."""
    t1, it1, _ = time_kmodes(X, cat, gamma, start, max_iter=1)
    t3, it3, _ = time_kmodes(X, cat, gamma, start, max_iter=3)
    per_iter = (t3 - t1) / max(it3 - it1, 1)
    return per_iter, t1 - it1 * per_iter


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="no 200k comparison and no 1M row")
    parser.add_argument("--full-kmodes", action="store_true", help="run kmodes to the end above 50k rows too")
    parser.add_argument("--jobs", type=int, default=2, help="n_jobs for the 1M run (default 2)")
    parser.add_argument("--sizes", help="comma-separated row counts to compare (default 10000,50000,200000)")
    args = parser.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)

    if args.sizes:
        sizes = [int(v) for v in args.sizes.split(",")]
    else:
        sizes = [10_000, 50_000] if args.quick else [10_000, 50_000, 200_000]
    header = (
        f"{'rows':>9} {'kmodes s/fit':>13} {'s/iter':>8} {'iters':>5} | "
        f"{'seglab s/fit':>12} {'s/iter':>8} {'iters':>5} | {'speed-up':>8} {'per iter':>8} | {'cost ratio':>10}"
    )
    print(f"k={K}, {N_NUMERIC} numeric + {N_CATEGORICAL} categorical columns, same data/gamma/start, n_init=1")
    print(header)
    print("-" * len(header))
    warm_X, warm_cat = make_customers(2_000)
    time_seglab(warm_X, warm_cat, huang_gamma(warm_X), random_start(warm_X, 1), n_jobs=1)  # first-call imports
    kmodes_iters = None
    for n in sizes:
        X, cat = make_customers(n, seed=n)
        gamma, start = huang_gamma(X), random_start(X, seed=1)
        s_fit, s_it, s_cost = time_seglab(X, cat, gamma, start, n_jobs=1)
        s_per_iter = s_fit / (s_it + 1)  # whole fit over its passes (initial assignment included)
        k_per_iter, fixed = kmodes_per_iteration(X, cat, gamma, start)
        if n <= 50_000 or args.full_kmodes:
            k_fit, k_it, k_cost = time_kmodes(X, cat, gamma, start)
            kmodes_iters = k_it
            mark, ratio = " ", f"{s_cost / k_cost:10.5f}"
        else:
            # Conservative: the fewer of kmodes' iterations at the largest size it ran and seglab's here.
            k_it = min(kmodes_iters or s_it, s_it)
            k_fit = fixed + k_per_iter * k_it
            mark, ratio = "*", f"{'n/a*':>10}"
        print(
            f"{n:>9,} {k_fit:12.2f}{mark} {k_per_iter:8.3f} {k_it:5d} | {s_fit:12.3f} {s_per_iter:8.4f} {s_it:5d} | "
            f"{k_fit / s_fit:7.0f}x {k_per_iter / s_per_iter:7.0f}x | {ratio}"
        )
    if any(n > 50_000 for n in sizes) and not args.full_kmodes:
        print("* kmodes extrapolated: fixed cost + s/iter x min(its iterations at the largest size it ran, "
              "seglab's iterations); cost unknown without --full-kmodes")

    if not args.quick and not args.sizes:
        n = 1_000_000
        X, cat = make_customers(n, seed=n)
        print(f"\nseglab alone: {n:,} rows x {X.shape[1]} features, k={K}, n_init=4, init='cao' (init included)")
        for n_jobs in sorted({1, args.jobs}):
            model = KPrototypes(K, n_init=4, random_state=0, n_jobs=n_jobs)
            t0 = time.perf_counter()
            model.fit(X, categorical=cat)
            seconds = time.perf_counter() - t0
            print(f"  n_jobs={n_jobs}: {seconds:6.2f} s  (best run: {model.n_iter_} iterations, cost {model.cost_:,.1f})")


if __name__ == "__main__":
    main()
