"""Choosing the number of segments: the tests every candidate k faces, and the reason told.

A clustering can always cut customers into more pieces; the question is how many of the
pieces are groups the data shows. Each candidate k of ``segmentation.k_range`` is fitted and
put to four tests (:data:`SELECTION_RULE`), and the reason for the chosen k is written from
the same table of scores the report shows, so it is true of that table.

Why these tests (docs/architecture.md §6). Silhouette prefers the broad split when groups
are nested (two affluent groups inside a "well-off" half), and the fall in cost keeps
rewarding cuts of a large segment along a single category (k-prototypes can always lower its
cost by splitting a big segment into its men and its women). Minimum share and bootstrap
stability do not catch such a cut: it is large and reproducible. What does catch it is a
model of what a segment is: a mixture of segments, each with its own distribution of every
feature (a diagonal Gaussian per numeric feature, a multinomial per categorical one).
Cutting a segment along one category leaves both halves with the same distributions of
everything else, so the mixture with the two halves merged describes the customers as well
with fewer parameters. The integrated completed likelihood (ICL; Biernacki, Celeux and
Govaert 2000, IEEE PAMI 22(7)) adds the uncertainty of who belongs to which half, so halves
of one round group (no gap between them) are merged too. A k with such a pair is "not
distinct". Each k is judged on its own: k-means and k-prototypes solutions are not nested, so
a small k that cuts through groups (two halves of five blobs, each half holding several) can
fail the test while a larger k that finds the groups passes it.
"""

from __future__ import annotations

import numpy as np

from seglab import i18n, numbers

#: A k is stable when refits on bootstrap resamples agree with it at least this much (mean ARI).
STABLE_ARI = 0.8
#: k ends a step of the cost curve when going from k-1 to k cut the cost at least this many
#: times more than going on to k+1.
ELBOW_RATIO = 1.5
#: In the mixture model of the distinctness test a segment's variance of a numeric feature is
#: at least this share of the whole base's variance, so that a segment of near-identical
#: values (everybody bought once) cannot make its likelihood unbounded.
VARIANCE_FLOOR = 0.1
#: Below this silhouette the data shows no substantial structure (Kaufman & Rousseeuw 1990).
WEAK_SILHOUETTE = 0.25
#: Decimals of silhouette and stability wherever a reader sees them (the table, the reason, the
#: chart's text, the summary's warnings): one figure per score, and three decimals so that a score
#: just under a threshold (stability 0.796 < 0.8) does not read as the threshold, as at two decimals.
SCORE_DIGITS = 3
#: The ways a k is chosen (``k_choice["case"]`` in segmentation.json).
K_CASES = ("rule", "best_score", "merged", "given")

SELECTION_RULE = (
    "k is the largest k in k_range that passes four tests: (1) eligible: every segment holds at least "
    "min_segment_share of the customers; (2) stable: the mean adjusted Rand index between the clustering and "
    f"refits on bootstrap resamples of the customers is at least {STABLE_ARI} (skipped when stability_runs is 0); "
    "(3) distinct: no two of its segments are better described as one (each k is judged on its own: a smaller k "
    "that cuts through groups may fail this test while a larger k that finds them passes). "
    "For every pair of segments a mixture model (a diagonal Gaussian per scaled numeric feature, with variances "
    f"of at least {VARIANCE_FLOOR:g} of the whole base's, and a multinomial per categorical feature) is fitted "
    "to the pair as two components and as one; the pair is better described as one when the one component has "
    "the better integrated completed likelihood (ICL: -2 log-likelihood + parameters x log n + 2 x the entropy "
    "of the customers' membership between the two; Biernacki, Celeux & Govaert 2000). This is what catches a "
    "large segment cut along one category, or in two halves with no gap between them: such cuts lower the cost "
    "and reproduce under resampling, but their halves are alike in everything else; (4) ends a step of the cost "
    f"curve: going from k-1 to k segments cut the cost at least {ELBOW_RATIO:g} times as much as going on to "
    "k+1 (gains as shares of the one-segment cost), or k+1 is not distinct, so that going on would only cut a "
    "segment that is not really two. If no k passes, the eligible k with the best mean of silhouette and "
    "stability (each divided by its best value in the range) is taken, ties to the smaller k, and the report "
    "says that the data shows no clear number of segments. Silhouette is measured on a seeded sample with the "
    "k-prototypes dissimilarity sqrt(squared scaled numeric distance + gamma x categorical mismatches)."
)


# ----------------------------------------------------------------- distinctness

def separation(num: np.ndarray, cat: np.ndarray, labels: np.ndarray) -> dict:
    """The least distinct pair of segments of a clustering, by the ICL merge test.

    Parameters
    ----------
    num : ndarray of shape (n, p)
        Scaled numeric features (as the clustering saw them).
    cat : ndarray of shape (n, q)
        Category codes; -1 (unseen or missing) contributes nothing.
    labels : ndarray of int
        Segment of each row.

    Returns
    -------
    dict
        ``distinct`` (no pair is better described as one), ``pair`` (the two segments whose
        merge helps most, or hurts least) and ``merge_gain``: the fall in ICL from merging
        them, per customer of the pair (> 0: better as one).
    """
    n = len(labels)
    floor = VARIANCE_FLOOR * num.var(axis=0) if num.shape[1] else np.zeros(0)
    floor = np.where(floor > 0, floor, 1e-12)
    levels = [int(cat[:, j].max()) + 1 if len(cat) else 0 for j in range(cat.shape[1])]
    extra_params = 1 + 2 * num.shape[1] + sum(max(m - 1, 0) for m in levels)
    segments = [s for s in np.unique(labels)]
    parts = {s: _component(num[labels == s], cat[labels == s], floor, levels) for s in segments}
    best = None
    for i, a in enumerate(segments):
        for b in segments[i + 1:]:
            pair = (labels == a) | (labels == b)
            n_a, n_b = int((labels == a).sum()), int((labels == b).sum())
            x_num, x_cat, own_a = num[pair], cat[pair], labels[pair] == a
            log_a = np.log(n_a / (n_a + n_b)) + _log_density(x_num, x_cat, parts[a])
            log_b = np.log(n_b / (n_a + n_b)) + _log_density(x_num, x_cat, parts[b])
            both = np.logaddexp(log_a, log_b)
            tau = np.exp(log_a - both)
            entropy = float(-(_xlogx(tau) + _xlogx(1.0 - tau)).sum())
            split = float(np.where(own_a, log_a, log_b).sum())
            merged = float(_log_density(x_num, x_cat, _component(x_num, x_cat, floor, levels)).sum())
            gain = (-2.0 * (split - merged) + extra_params * np.log(n) + 2.0 * entropy) / (n_a + n_b)
            if best is None or gain > best[0]:
                best = (gain, int(a), int(b))
    if best is None:
        return {"distinct": True, "pair": None, "merge_gain": None}
    return {"distinct": bool(best[0] <= 0), "pair": [best[1], best[2]], "merge_gain": float(best[0])}


def _component(num, cat, floor, levels):
    """Fitted parameters of one mixture component: means, variances, category shares."""
    mean = num.mean(axis=0) if len(num) else np.zeros(num.shape[1])
    var = np.maximum(num.var(axis=0), floor) if len(num) else floor
    shares = []
    for j, m in enumerate(levels):
        codes = cat[:, j][cat[:, j] >= 0]
        counts = np.bincount(codes, minlength=m).astype(np.float64)
        shares.append(counts / counts.sum() if counts.sum() else np.full(m, 1.0 / max(m, 1)))
    return mean, var, shares


def _log_density(num, cat, component) -> np.ndarray:
    mean, var, shares = component
    out = -0.5 * (np.log(2.0 * np.pi * var).sum() + (((num - mean) ** 2) / var).sum(axis=1))
    with np.errstate(divide="ignore"):
        for j, p in enumerate(shares):
            codes = cat[:, j]
            out = out + np.where(codes >= 0, np.log(p[np.maximum(codes, 0)]), 0.0)
    return out


def _xlogx(p) -> np.ndarray:
    return np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)


# ----------------------------------------------------------------- the choice

def choose_k(rows: list[dict], min_share: float, *, total_cost: float, costs: dict[int, float]) -> tuple[int, str, dict]:
    """Pick k from the scored candidates by :data:`SELECTION_RULE`.

    Parameters
    ----------
    rows : list of dict
        One per candidate k, ascending: ``k``, ``cost``, ``silhouette``, ``stability``,
        ``eligible`` and ``distinct`` (None when not tested). Each gains ``gain``,
        ``gain_ratio``, ``stable``, ``elbow``, ``passes`` and ``score``.
    min_share : float
        ``min_segment_share``, for the reason.
    total_cost : float
        Cost of one segment (k=1): gains are shares of it.
    costs : dict of int to float
        Costs of k outside ``rows`` that the step test needs (k_low-1 and k_high+1, when
        there are enough customers to fit them).

    Returns
    -------
    k : int
    reason : str
        In English (the report tells it in its language from the facts).
    facts : dict
        ``case`` and the fields of the reason, for :func:`k_reason_text`.

    When no k is eligible, the best-scored k is taken and its clusters below the share are
    merged afterwards (``seglab.segment.fit.merge_small``); the reason says so.
    """
    rows = sorted(rows, key=lambda r: r["k"])
    cost = {**costs, **{r["k"]: r["cost"] for r in rows}}
    cost.setdefault(1, total_cost)
    gain = {k: (cost[k - 1] - cost[k]) / total_cost for k in cost if k - 1 in cost and total_cost > 0}
    distinct_next = {r["k"] - 1: r.get("distinct") for r in rows}
    for r in rows:
        k = r["k"]
        g, g_next = gain.get(k), gain.get(k + 1)
        r["gain"] = g
        if g is None or g_next is None:
            r["gain_ratio"] = None
        else:
            r["gain_ratio"] = g / g_next if g_next > 0 else (float("inf") if g > 0 else None)
        last_distinct = distinct_next.get(k) is False
        r["elbow"] = bool(g is not None and g > 0 and (last_distinct or (r["gain_ratio"] is not None
                                                                         and r["gain_ratio"] >= ELBOW_RATIO)))
        r["stable"] = bool(r["stability"] is None or r["stability"] >= STABLE_ARI)
        r["passes"] = bool(r["eligible"] and r["stable"] and r.get("distinct") is not False and r["elbow"])
    _scores(rows)

    eligible = [r for r in rows if r["eligible"]]
    passing = [r for r in rows if r["passes"]]
    facts = {"min_share": f"{min_share:g}"}
    if passing:
        row = max(passing, key=lambda r: r["k"])
        nxt = next((r for r in rows if r["k"] == row["k"] + 1), None)
        case = "rule"
        facts.update(k=row["k"], k_prev=row["k"] - 1, k_next=row["k"] + 1, gain=_pct(row["gain"]),
                     next_gain=_pct(gain.get(row["k"] + 1)), stability=_fmt(row["stability"]),
                     next_not_distinct=bool(nxt is not None and nxt.get("distinct") is False),
                     larger=[_failure(r) for r in rows if r["k"] > row["k"]])
    else:
        pool = eligible or rows
        top = max(r["score"] for r in pool)
        row = min((r for r in pool if r["score"] >= top - 1e-9), key=lambda r: r["k"])
        case = "merged" if not eligible else "best_score"
        facts.update(k=row["k"], silhouette=_fmt(row["silhouette"]), stability=_fmt(row["stability"]),
                     failures=[_failure(r) for r in rows])
    facts["excluded"] = _klist([r["k"] for r in rows if not r["eligible"]])
    return row["k"], k_reason_text(case, facts, "en"), {"case": case, **facts}


def _scores(rows) -> None:
    """``score``: mean of silhouette and stability, each divided by its best value over all rows."""
    best_sil = max([r["silhouette"] for r in rows if r["silhouette"] is not None] or [0.0])
    best_stab = max([r["stability"] for r in rows if r["stability"] is not None] or [0.0])
    for r in rows:
        parts = []
        if r["silhouette"] is not None and best_sil > 0:
            parts.append(max(r["silhouette"], 0.0) / best_sil)
        if r["stability"] is not None and best_stab > 0:
            parts.append(max(r["stability"], 0.0) / best_stab)
        r["score"] = float(np.mean(parts)) if parts else 0.0


def _failure(row) -> dict:
    """The first test a k fails, in the rule's order: what the reason says about it."""
    if not row["eligible"]:
        test = "share"
    elif not row["stable"]:
        test = "stable"
    elif row.get("distinct") is False:
        test = "distinct"
    elif not row["elbow"]:
        test = "step"
    else:
        test = "passes"
    return {"k": int(row["k"]), "test": test, "stability": _fmt(row["stability"])}


def k_reason_text(case: str, facts: dict, language: str) -> str:
    """The reason for k in words, from the facts :func:`choose_k` recorded (one text table per language)."""
    def t(key, **extra):
        return i18n.t(key, language, **{**facts, **extra})

    if case == "given":
        return t("k_reason_given")
    if case == "merged":
        return t("k_reason_merged")
    if case == "rule":
        step = t("k_reason_step_last") if facts.get("next_not_distinct") else (
            t("k_reason_step_next") if facts.get("next_gain") else t("k_reason_step"))
        stable = t("k_reason_stable") if facts.get("stability") not in (None, "", "n/a") else t("k_reason_no_stability")
        # The share as the table beside the reason shows it (a percent), not as the params spell it.
        text = t("k_reason_rule", stable=stable, step=step, min_share=i18n.percent(float(facts["min_share"])))
        larger = _failure_list(facts.get("larger") or [], language)
        return text + (t("k_reason_larger", items=larger) if larger else "")
    failures = _failure_list(facts.get("failures") or [], language)
    return t("k_reason_best_score", items=failures or "–")


def _failure_list(failures: list[dict], language: str) -> str:
    """"k=6 is not stable (0.77); k=7 has two segments better described as one; ..." grouped by test."""
    groups: dict[str, list[dict]] = {}
    for f in failures:
        if f["test"] != "passes":
            groups.setdefault(f["test"], []).append(f)
    parts = []
    for test in sorted(groups, key=lambda name: groups[name][0]["k"]):
        items = groups[test]
        ks = _klist([f["k"] for f in items])
        extra = {"stabilities": ", ".join(f["stability"] for f in items)} if test == "stable" else {}
        parts.append(i18n.t(f"k_fails_{test}", language, ks=ks, **extra))
    return i18n.t("clause_sep", language).join(parts)


# ----------------------------------------------------------------- warnings

def segmentation_warnings(report: dict) -> list[dict]:
    """What a reader must be told before trusting the segments (segmentation.json ``warnings``).

    ``weak_separation`` (silhouette below :data:`WEAK_SILHOUETTE`), ``unstable`` (bootstrap
    ARI below :data:`STABLE_ARI`), ``no_clear_k`` (no k passed the rule) and ``collapsed``
    (fewer segments with customers than were asked for or fitted). Scores are kept as
    measured, so that the report rounds them once, as everywhere else it shows them.
    """
    out = []
    sil = (report.get("quality") or {}).get("silhouette")
    if sil is not None and sil < WEAK_SILHOUETTE:
        out.append({"code": "weak_separation", "silhouette": float(sil), "threshold": WEAK_SILHOUETTE})
    ari = (report.get("stability") or {}).get("mean_ari")
    if ari is not None and ari < STABLE_ARI:
        out.append({"code": "unstable", "stability": float(ari), "threshold": STABLE_ARI})
    case = (report.get("k_choice") or {}).get("case")
    if case in ("best_score", "merged"):
        out.append({"code": "no_clear_k", "k": report.get("k_fitted")})
    given = isinstance(report.get("k_requested"), int) and not isinstance(report.get("k_requested"), bool)
    asked = report["k_requested"] if given else report.get("k_fitted")
    found = report.get("k")
    if asked is not None and found is not None and found < asked and (given or report.get("empty_clusters")):
        out.append({"code": "collapsed", "given": given, "asked": int(asked), "found": int(found),
                    "empty": int(report.get("empty_clusters") or 0), "merged": len(report.get("merges") or [])})
    return out


def warning_text(warning: dict, language: str) -> str:
    """One warning of :func:`segmentation_warnings` in words."""
    w = dict(warning)
    if w["code"] == "collapsed":
        causes = []
        if w.get("empty"):
            causes.append(i18n.t("warn_collapsed_empty", language, n=w["empty"]))
        if w.get("merged"):
            causes.append(i18n.t("warn_collapsed_merged", language, n=w["merged"]))
        w["causes"] = i18n.t("clause_sep", language).join(causes) or "–"
    for key in ("silhouette", "stability", "threshold"):
        if key in w:
            w[key] = numbers.number(w[key], SCORE_DIGITS)
    key = "warn_collapsed_fitted" if w["code"] == "collapsed" and not w.get("given") else f"warn_{w['code']}"
    return i18n.t(key, language, **w)


def _pct(v) -> str:
    return "" if v is None else f"{v:.1%}"


def _fmt(v) -> str:
    return "n/a" if v is None else numbers.number(v, SCORE_DIGITS)


def _klist(ks) -> str:
    return ", ".join(map(str, ks))
