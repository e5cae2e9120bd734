"""Hot loops of k-prototypes (assignment, updates, initialisation), apart from the API in kprototypes.py."""

import numpy as np

# Like kmodes: how often 'cao'/'huang' redraw their random numeric part when the
# first assignment leaves a cluster empty, before empty clusters are reseeded.
_MAX_INIT_TRIES = 20


# --------------------------------------------------------------------------
# Prototypes and per-cluster counts of a pass
# --------------------------------------------------------------------------


class Prototypes:
    """Centroids in the form the assignment pass multiplies and gathers."""

    __slots__ = ("wt", "tables", "k")

    def __init__(self, centers, modes, layout, gamma):
        self.k = centers.shape[0]
        self.wt = np.empty((self.k, centers.shape[1] + 1), dtype=np.float64)
        self.wt[:, :-1] = -2.0 * centers
        self.wt[:, -1] = np.einsum("ij,ij->i", centers, centers)
        self.tables = layout.mismatch_tables(modes, gamma)


class _Stats:
    """Per-cluster sums, member counts and composite-code counts of a pass."""

    __slots__ = ("sums", "counts", "cat_counts", "_cat_from")

    def __init__(self, k, p, layout):
        self.sums = np.zeros((k, p), dtype=np.float64)
        self.counts = np.zeros(k, dtype=np.int64)
        self.cat_counts = [np.zeros(k * digits.shape[0], dtype=np.int64) for *_, digits in layout.groups]
        self._cat_from = [0] * len(self.cat_counts)

    def add(self, data, labels, lo, hi):
        """Count rows ``lo:hi``, whose labels are final for this pass."""
        k, p = self.sums.shape
        lab = labels[lo:hi]
        self.counts += np.bincount(lab, minlength=k)
        for j in range(p):
            self.sums[:, j] += np.bincount(lab, weights=data.xa[lo:hi, j], minlength=k)
        # Composite-code counts have k * combos bins: count once at least that
        # many rows are pending, so a high-cardinality column stays linear.
        for g, acc in enumerate(self.cat_counts):
            start = self._cat_from[g]
            if hi - start >= acc.size or hi == data.n:
                combos = acc.size // k
                acc += np.bincount(labels[start:hi] * combos + data.codes[g][start:hi], minlength=acc.size)
                self._cat_from[g] = hi

    def shift(self, data, rows, old, new):
        """Account for ``rows`` moving from clusters ``old`` to ``new``."""
        k = self.counts.size
        self.counts += np.bincount(new, minlength=k) - np.bincount(old, minlength=k)
        for j in range(self.sums.shape[1]):
            x = data.xa[rows, j]
            self.sums[:, j] += np.bincount(new, weights=x, minlength=k) - np.bincount(old, weights=x, minlength=k)
        for g, acc in enumerate(self.cat_counts):
            combos = acc.size // k
            code = data.codes[g][rows]
            np.add.at(acc, new * combos + code, 1)
            np.subtract.at(acc, old * combos + code, 1)

    def move(self, data, i, old, new):
        """Account for row ``i`` moving from cluster ``old`` to ``new``."""
        k = self.counts.size
        x = data.xa[i, : data.p]
        self.sums[old] -= x
        self.sums[new] += x
        self.counts[old] -= 1
        self.counts[new] += 1
        for g, acc in enumerate(self.cat_counts):
            combos = acc.size // k
            acc[old * combos + data.codes[g][i]] -= 1
            acc[new * combos + data.codes[g][i]] += 1


# --------------------------------------------------------------------------
# Hot loop (private workers: inputs are clean and encoded)
# --------------------------------------------------------------------------


class _Run:
    __slots__ = ("centers", "modes", "labels", "cost", "n_iter")

    def __init__(self, centers, modes, labels, cost, n_iter):
        self.centers, self.modes, self.labels, self.cost, self.n_iter = centers, modes, labels, cost, n_iter


def assign_pass(data, proto, labels, stats=None, incremental=False):
    """Assign every row to its nearest prototype, chunk by chunk.

    ``labels`` holds the previous labels and receives the new ones. Returns
    the cost of the new labels and the number of rows whose label changed.
    ``stats`` (when given) receives the counts of the new labels: counted
    from scratch, or, if ``incremental``, updated from the rows that moved
    (``stats`` must then hold the counts of the previous labels).
    """
    n, k = data.n, proto.k
    m = min(n, max(1, data.chunk_rows * 8 // max(k, 8)))
    lab_dtype = np.int8 if k <= 127 else np.int32
    dist = np.empty((k, m))
    gathered = np.empty((k, m))
    best = np.empty(m)
    less = np.empty(m, dtype=bool)
    lab = np.empty(m, dtype=lab_dtype)
    cand = np.empty(m, dtype=lab_dtype)
    cost, moves = data.sqnorm_sum, 0
    moved = []  # (rows, old labels, new labels) per chunk, for an incremental update
    for lo in range(0, n, m):
        hi = min(lo + m, n)
        r = hi - lo
        d, b, lt, lb, cd = dist[:, :r], best[:r], less[:r], lab[:r], cand[:r]
        np.matmul(proto.wt, data.xa[lo:hi].T, out=d)
        for table, code in zip(proto.tables, data.codes):
            g = gathered[:, :r]
            np.take(table, code[lo:hi], axis=1, out=g, mode="clip")  # 'raise' would buffer out
            d += g
        # Running argmin over the k rows; strict '<' keeps the lowest index on ties.
        np.copyto(b, d[0])
        lb.fill(0)
        for c in range(1, k):
            np.less(d[c], b, out=lt)
            np.minimum(b, d[c], out=b)
            np.multiply(lt.view(np.int8), lab_dtype(c), out=cd)
            np.maximum(lb, cd, out=lb)
        cost += float(b.sum())
        old = labels[lo:hi]
        if incremental:
            rows = np.flatnonzero(old != lb)
            moves += rows.size
            if rows.size:
                moved.append((rows + lo, old[rows], lb[rows].astype(np.intp)))
        else:
            moves += int(np.count_nonzero(old != lb))
        old[:] = lb
        if stats is not None and not incremental:
            stats.add(data, labels, lo, hi)
    if stats is not None and incremental and moved:
        stats.shift(data, *(np.concatenate(parts) for parts in zip(*moved)))
    return max(cost, 0.0), moves


def prototype_distances(data, proto):
    """Mixed distance of every row to every prototype, shape (n, k)."""
    n, k = data.n, proto.k
    out = np.empty((n, k))
    m = min(data.chunk_rows, n)
    gathered = np.empty((k, m))
    for lo in range(0, n, m):
        hi = min(lo + m, n)
        d = out[lo:hi].T
        np.matmul(proto.wt, data.xa[lo:hi].T, out=d)
        for table, code in zip(proto.tables, data.codes):
            g = gathered[:, : hi - lo]
            np.take(table, code[lo:hi], axis=1, out=g, mode="clip")
            d += g
        x = data.xa[lo:hi, : data.p]
        d += np.einsum("ij,ij->i", x, x)
    np.maximum(out, 0.0, out=out)
    return out


def _own_distances(data, proto, labels):
    """Mixed distance of every row to its own cluster's prototype."""
    out = np.empty(data.n)
    for lo in range(0, data.n, data.chunk_rows):
        hi = min(lo + data.chunk_rows, data.n)
        lab = labels[lo:hi]
        x = data.xa[lo:hi]
        d = np.einsum("ij,ij->i", x, proto.wt[lab])
        for table, code in zip(proto.tables, data.codes):
            d += table[lab, code[lo:hi]]
        xn = x[:, : data.p]
        out[lo:hi] = d + np.einsum("ij,ij->i", xn, xn)
    return out


def _update(stats, layout, centers, modes):
    """New centroids (means) and modes (most frequent code, lowest on ties)."""
    filled = stats.counts > 0
    centers = centers.copy()
    centers[filled] = stats.sums[filled] / stats.counts[filled, None]
    modes = modes.copy()
    k = centers.shape[0]
    for (cols, radices, _, _), acc in zip(layout.groups, stats.cat_counts):
        counts = acc.reshape((k,) + tuple(radices))
        for t, j in enumerate(cols):
            axes = tuple(1 + s for s in range(len(cols)) if s != t)
            per_col = counts.sum(axis=axes) if axes else counts
            modes[filled, j] = per_col[filled, :-1].argmax(axis=1)
    return centers, modes


def _relocate_empty(data, proto, labels, stats):
    """Give each empty cluster the row farthest from its own centroid.

    Rows are taken only from clusters with more than one member, so no new
    empty cluster appears. Returns True if every empty cluster got a row.
    """
    empty = np.flatnonzero(stats.counts == 0)
    far = np.argsort(-_own_distances(data, proto, labels), kind="stable")
    pos = 0
    for cluster in empty:
        while pos < far.size and stats.counts[labels[far[pos]]] <= 1:
            pos += 1
        if pos == far.size:
            return False
        i = far[pos]
        stats.move(data, i, labels[i], cluster)
        labels[i] = cluster
        pos += 1
    return True


def _lloyd(data, layout, centers, modes, gamma, max_iter, tol, labels, first=None):
    """Batch k-prototypes iterations from the given start.

    ``first`` is an already computed initial pass ``(cost, stats)`` for these
    centroids. Returns a :class:`_Run` whose labels and cost belong to its
    centroids.
    """
    k = centers.shape[0]
    prev_cost = np.inf
    moves = data.n
    for it in range(max_iter + 1):
        proto = Prototypes(centers, modes, layout, gamma)
        if it == 0 and first is not None:
            cost, stats = first
        elif it == 0 or moves > data.n // 4:
            stats = _Stats(k, data.p, layout)
            cost, moves = assign_pass(data, proto, labels, stats)
        else:  # few customers move late on: update the counts from them only
            cost, moves = assign_pass(data, proto, labels, stats, incremental=True)
        if it > 0 and (moves == 0 or prev_cost - cost <= tol * prev_cost):
            break
        if it == max_iter:
            break
        if (stats.counts == 0).any():
            _relocate_empty(data, proto, labels, stats)
        centers, modes = _update(stats, layout, centers, modes)
        prev_cost = cost
    return _Run(centers, modes, labels, cost, it)


def bucket_pass(data, layout, proto, labels):
    """One assignment pass over one bucket of rows: its statistics, cost and moves.

    ``labels`` (the bucket's previous labels) receives the new ones. Statistics of buckets
    add up (:func:`merge_stats`), so a pass over all rows can run as a map over buckets.
    """
    stats = _Stats(proto.k, data.p, layout)
    cost, moves = assign_pass(data, proto, labels, stats)
    return stats, cost, moves


def merge_stats(parts, k, p, layout):
    """The sum of the buckets' statistics, in the order given (a fixed order: fixed float sums)."""
    total = _Stats(k, p, layout)
    for part in parts:
        total.sums += part.sums
        total.counts += part.counts
        for acc, add in zip(total.cat_counts, part.cat_counts):
            acc += add
    return total


def bucketed_lloyd(run_pass, layout, centers, modes, gamma, max_iter, tol):
    """Batch k-prototypes iterations whose passes are ``run_pass(prototypes) -> (stats, cost, moves)``.

    The same loop as :func:`_lloyd` but for the two shortcuts that need every row at hand
    (incremental counts, relocating empty clusters), so that a pass can be a map over buckets
    of rows, in this process or on a cluster. Returns the centroids, modes, cost and iterations;
    the labels of the last pass belong to the returned centroids.
    """
    prev_cost = np.inf
    cost, it = np.inf, 0
    for it in range(max_iter + 1):
        stats, cost, moves = run_pass(Prototypes(centers, modes, layout, gamma))
        if it > 0 and (moves == 0 or prev_cost - cost <= tol * prev_cost):
            break
        if it == max_iter:
            break
        centers, modes = _update(stats, layout, centers, modes)
        prev_cost = cost
    return centers, modes, cost, it


def kprototypes_single(data, layout, k, init, cao_modes, num_stats, gamma, max_iter, tol, seed):
    """One initialisation and its iterations (the unit ``n_init`` runs in parallel)."""
    rs = np.random.RandomState(seed)
    labels = np.full(data.n, -1, dtype=np.intp)
    first = None
    if isinstance(init, tuple):
        centers, modes = init
    elif init in ("cao", "huang"):
        for _ in range(_MAX_INIT_TRIES):
            modes = cao_modes if init == "cao" else init_huang_modes(data, layout, k, rs)
            centers = _kmodes_numeric_start(num_stats, k, data.p, rs)
            stats = _Stats(k, data.p, layout)
            cost, _ = assign_pass(data, Prototypes(centers, modes, layout, gamma), labels, stats)
            first = (cost, stats)
            if (stats.counts > 0).all():
                break
    elif init == "random":
        rows = rs.choice(data.n, k, replace=False)
        centers, modes = data.xa[rows, : data.p].copy(), layout.row_codes(data.codes, rows)
    else:
        centers, modes = _init_kmeanspp(data, layout, k, gamma, rs)
    return _lloyd(data, layout, centers, modes, gamma, max_iter, tol, labels, first)


# --------------------------------------------------------------------------
# Initialisation
# --------------------------------------------------------------------------


def _kmodes_numeric_start(num_stats, k, p, rs):
    """kmodes' numeric start ``mean + randn(k, p) * std``, returned centred."""
    if num_stats is None:
        return np.zeros((k, 0))
    mean, std = num_stats
    return (mean + rs.randn(k, p) * std) - mean


def _mismatch_to_row(data, layout, row_codes):
    """Number of categorical mismatches (int64) of every row with one code row."""
    total = np.zeros(data.n, dtype=np.int64)
    for (cols, _, _, digits), code in zip(layout.groups, data.codes):
        table = (digits != row_codes[cols]).sum(axis=1).astype(np.int64)
        total += table[code]
    return total


def init_cao_modes(data, layout, k):
    """Cao et al.'s density-based modes, picking the same rows as kmodes' ``init_cao``."""
    q = len(layout.n_categories)
    if q == 0:
        return np.zeros((k, 0), dtype=np.intp)
    n = data.n
    dens = np.zeros(n)
    for j in range(q):  # same order of float operations as kmodes
        col = layout.column_codes(data.codes, j)
        freq = np.bincount(col, minlength=layout.n_categories[j] + 1)
        dens += (freq / float(n) / float(q))[col]
    modes = np.empty((k, q), dtype=np.intp)
    modes[0] = layout.row_codes(data.codes, [int(np.argmax(dens))])[0]
    nearest = np.full(n, np.inf)
    for ik in range(1, k):
        np.minimum(nearest, _mismatch_to_row(data, layout, modes[ik - 1]) * dens, out=nearest)
        modes[ik] = layout.row_codes(data.codes, [int(np.argmax(nearest))])[0]
    return modes


def init_huang_modes(data, layout, k, rs):
    """kmodes' ``init_huang``: same random draws, same rows."""
    q = len(layout.n_categories)
    modes = np.empty((k, q), dtype=np.intp)
    if q == 0:
        return modes
    for j in range(q):
        col = layout.column_codes(data.codes, j)
        cum = np.cumsum(np.bincount(col, minlength=layout.n_categories[j]))
        # kmodes draws rs.choice(sorted(column), k): index draws, then the value at each index.
        idx = rs.choice(data.n, k)
        modes[:, j] = np.searchsorted(cum, idx, side="right")
    block = 1024
    for ik in range(k):
        order = np.argsort(_mismatch_to_row(data, layout, modes[ik]))
        chosen = order[-1]
        for lo in range(0, data.n, block):
            rows = order[lo : lo + block]
            codes = layout.row_codes(data.codes, rows)
            taken = (codes[:, None, :] == modes[None, :, :]).all(axis=2).any(axis=1)
            free = np.flatnonzero(~taken)
            if free.size:
                chosen = rows[free[0]]
                break
        modes[ik] = layout.row_codes(data.codes, [chosen])[0]
    return modes


def _init_kmeanspp(data, layout, k, gamma, rs):
    """Greedy k-means++ seeding under the mixed distance."""
    n, p = data.n, data.p
    x = data.xa[:, :p]
    trials = 2 + int(np.log(k))

    def dist_to(i):
        d = np.zeros(n)
        for j in range(p):
            d += (x[:, j] - x[i, j]) ** 2
        if layout.groups:
            d += gamma * _mismatch_to_row(data, layout, layout.row_codes(data.codes, [i])[0])
        return d

    rows = [rs.randint(n)]
    closest = dist_to(rows[0])
    pot = closest.sum()
    for _ in range(1, k):
        cum = np.cumsum(closest)
        cands = np.minimum(np.searchsorted(cum, rs.uniform(size=trials) * pot), n - 1)
        best = None
        for c in cands:
            d = np.minimum(closest, dist_to(c))
            s = d.sum()
            if best is None or s < best[0]:
                best = (s, c, d)
        pot, row, closest = best
        rows.append(int(row))
    rows = np.asarray(rows)
    return x[rows].copy(), layout.row_codes(data.codes, rows)
