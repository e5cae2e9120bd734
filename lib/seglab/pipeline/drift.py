"""Comparing two runs of one segmentation: matched segments, migration, merges, splits, emergence.

Segmentations are re-run regularly; what a client wants to know is which
segments are the same groups as last time, how customers moved between them,
and which segments are new or gone. A segment whose profile is not found again
has not necessarily gone: its customers may have joined another segment
(merged, many to one) or divided between several (split, one to many). Those
transitions are read from the customers present in both runs, in the manner of
MONIC (Spiliopoulou, Ntoutsi, Theodoridis & Schult, KDD 2006): a segment is
absorbed where at least half of its customers went, split where they went in
sizeable parts to several segments, and it has vanished only when neither holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from seglab.artifacts import read_assignments, write_artifact
from seglab.errors import SeglabError
from seglab.io.files import write_text
from seglab.pipeline.runs import list_runs
from seglab.report.compare import render_comparison

# Two segments are "the same group" when their profiles are closer than this:
# the root-mean-square difference of standardised numeric means and of
# category shares (each share difference counts as one standardised unit).
MATCH_THRESHOLD = 0.5
# A segment is absorbed by (merged into) the segment that took at least this share of its
# customers present in both runs; a new segment split off one segment when at least this
# share of its returning customers came from that segment; and a segment whose customers
# are mostly new (at least this share) emerged.
ABSORB_SHARE = 0.5
# Each part of a split holds at least this share of the old segment's returning customers.
SPLIT_PART = 0.2
# Columns that say how a run measured rather than who its customers are: which churn-risk rule
# applied, and the outputs of a lifetime-value model that one run may use and the next may not
# (its health checks decide). Comparing them would make every segment look changed.
RUN_DEPENDENT = ("churn_risk_basis", "p_alive", "expected_purchases", "expected_avg_spend", "clv_predicted")


@dataclass
class RunArtifacts:
    """What a comparison reads from one finished run folder."""

    path: Path
    run_id: str
    features: pd.DataFrame
    assignments: pd.DataFrame
    segments: list[dict]

    @classmethod
    def load(cls, path, *, finished: bool = True) -> "RunArtifacts":
        """Read a run folder; ``finished=False`` accepts the run in progress itself."""
        path = Path(path)
        needed = ("manifest.json", "features.parquet", "assignments.csv", "segments.json")
        for name in needed:
            if not (path / name).exists():
                raise SeglabError(f"{path}: not a finished seglab run folder ({name} is missing)")
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        if finished and manifest.get("status") != "complete":
            raise SeglabError(f"{path}: run status is {manifest.get('status')!r}; compare complete runs only")
        features = pd.read_parquet(path / "features.parquet")
        features["customer_id"] = features["customer_id"].astype(str)
        assignments = read_assignments(path)
        segments = json.loads((path / "segments.json").read_text(encoding="utf-8"))["segments"]
        return cls(path, manifest.get("run_id", path.name), features, assignments, segments)


def profile_matrix(runs: list[RunArtifacts], reference: RunArtifacts) -> list[pd.DataFrame]:
    """One profile row per segment and run, on scales shared by all runs.

    Numeric features are standardised with the reference run's base mean and
    standard deviation, a customer without a value counting as the base average
    (so the few buyers in a segment of prospects do not speak for all of it);
    each categorical column contributes its value shares. :data:`RUN_DEPENDENT`
    columns are left out.
    """
    feats = [r.features.merge(r.assignments[["customer_id", "segment"]], on="customer_id") for r in runs]
    common = set.intersection(*(set(f.columns) for f in feats)) - {"customer_id", "segment", *RUN_DEPENDENT}
    ref = reference.features
    numeric = sorted(c for c in common if pd.api.types.is_numeric_dtype(ref[c]) and ref[c].nunique() > 2
                     and not c.endswith("_score"))
    categorical = sorted(c for c in common if not pd.api.types.is_numeric_dtype(ref[c])
                         and not pd.api.types.is_datetime64_any_dtype(ref[c]) and ref[c].nunique() <= 30)
    mu, sd = ref[numeric].mean(), ref[numeric].std().replace(0, 1)
    out = []
    for f in feats:
        parts = [((f[numeric] - mu) / sd).fillna(0.0).groupby(f["segment"]).mean()]
        for col in categorical:
            shares = pd.crosstab(f["segment"], f[col].astype("string").fillna("(missing)"), normalize="index")
            shares.columns = [f"{col}={v}" for v in shares.columns]
            parts.append(shares)
        out.append(pd.concat(parts, axis=1))
    cols = sorted(set().union(*(set(p.columns) for p in out)))
    return [p.reindex(columns=cols, fill_value=0.0).fillna(0.0) for p in out]


def match_segments(prof_a: pd.DataFrame, prof_b: pd.DataFrame, threshold: float = MATCH_THRESHOLD):
    """Optimal one-to-one matching (Hungarian) of segments by profile distance.

    Returns the matched pairs ``[(a, b, distance)]`` with distance below the
    threshold and the full distance matrix.
    """
    a, b = prof_a.to_numpy(float), prof_b.to_numpy(float)
    dist = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).mean(axis=2))
    rows, cols = linear_sum_assignment(dist)
    pairs = [(int(prof_a.index[i]), int(prof_b.index[j]), float(dist[i, j]))
             for i, j in zip(rows, cols) if dist[i, j] <= threshold]
    return pairs, pd.DataFrame(dist, index=prof_a.index, columns=prof_b.index)


def compare(run_a, run_b, threshold: float = MATCH_THRESHOLD, *, b_finished: bool = True) -> dict:
    """Everything that changed from run A to run B, as a JSON-ready dict."""
    a, b = RunArtifacts.load(run_a), RunArtifacts.load(run_b, finished=b_finished)
    prof_a, prof_b = profile_matrix([a, b], reference=a)
    pairs, dist = match_segments(prof_a, prof_b, threshold)
    # The group whose returns cancel their purchases is no segment found in data: it is the
    # same group in both runs, and no segment of the data is matched to it.
    groups_a, groups_b = (
        [int(s["id"]) for s in r.segments if s.get("kind", "segment") != "segment"] for r in (a, b))
    if groups_a or groups_b:
        found_a, found_b = ([i for i in p.index if int(i) not in g] for p, g in ((prof_a, groups_a), (prof_b, groups_b)))
        pairs = match_segments(prof_a.loc[found_a], prof_b.loc[found_b], threshold)[0]
        pairs += [(ia, ib, float(dist.loc[ia, ib])) for ia, ib in zip(groups_a, groups_b)]
    names_a = {int(s["id"]): s["name"] for s in a.segments}
    names_b = {int(s["id"]): s["name"] for s in b.segments}
    seg_a = {int(s["id"]): s for s in a.segments}
    seg_b = {int(s["id"]): s for s in b.segments}
    matched_a = {p[0] for p in pairs}
    matched_b = {p[1] for p in pairs}

    both = a.assignments[["customer_id", "segment"]].merge(
        b.assignments[["customer_id", "segment"]], on="customer_id", suffixes=("_a", "_b"))
    counts = pd.crosstab(both["segment_a"], both["segment_b"]).reindex(
        index=sorted(seg_a), columns=sorted(seg_b), fill_value=0)
    shares = counts.div(counts.sum(axis=1).replace(0, 1), axis=0)
    key_numbers = ("size", "share", "revenue_share")
    changes = []
    for ia, ib, d in pairs:
        sa, sb = seg_a[ia], seg_b[ib]
        stayed = int(counts.loc[ia, ib]) if ia in counts.index and ib in counts.columns else 0
        changes.append({
            "segment_a": ia, "segment_b": ib, "name_a": names_a[ia], "name_b": names_b[ib], "distance": round(d, 4),
            **{f"{k}_a": sa.get(k) for k in key_numbers}, **{f"{k}_b": sb.get(k) for k in key_numbers},
            "size_change": (sb.get("size") or 0) - (sa.get("size") or 0),
            "stayed": stayed,
            "retention": stayed / int(counts.loc[ia].sum()) if ia in counts.index and counts.loc[ia].sum() else None,
            "numeric_means": _mean_changes(sa, sb),
        })
    sizes_a = {s: int(seg_a[s].get("size") or (a.assignments["segment"] == s).sum()) for s in seg_a}
    sizes_b = {s: int(seg_b[s].get("size") or (b.assignments["segment"] == s).sum()) for s in seg_b}
    moves = transitions(counts, sizes_a, sizes_b, [(ia, ib) for ia, ib, _ in pairs])
    return {
        "run_a": a.run_id, "run_b": b.run_id,
        "match_rule": (f"profiles (standardised numeric means and category shares) matched one-to-one by the "
                       f"Hungarian method; a pair counts as the same segment when its RMS profile distance "
                       f"is at most {threshold}"),
        "transition_rule": TRANSITION_RULE,
        "threshold": threshold,
        "customers": {"a": len(a.assignments), "b": len(b.assignments), "in_both": len(both),
                      "only_a": len(a.assignments) - len(both), "only_b": len(b.assignments) - len(both)},
        "matches": changes,
        "merged": [{**m, "name_b": names_b[m["segment_b"]],
                    "sources": [{**f, "name": names_a[f["segment"]]} for f in m["sources"]]} for m in moves["merged"]],
        "split": [{**sp, "name_a": names_a[sp["segment_a"]],
                   "into": [{**part, "name": names_b[part["segment"]]} for part in sp["into"]]} for sp in moves["split"]],
        "continued": [{**c, "name_a": names_a[c["segment_a"]], "name_b": names_b[c["segment_b"]]}
                      for c in moves["continued"]],
        "emerged": [{"segment": s, "name": names_b[s], "size": seg_b[s].get("size"), "share": seg_b[s].get("share"),
                     "new_customers": e["new_customers"],
                     "sources": [{**f, "name": names_a[f["segment"]]} for f in e["sources"]]}
                    for e in moves["emerged"] for s in [e["segment"]]],
        "vanished": [{"segment": s, "name": names_a[s], "size": seg_a[s].get("size"), "share": seg_a[s].get("share"),
                      "why": v["why"], "still_here": v["still_here"]}
                     for v in moves["vanished"] for s in [v["segment"]]],
        "migration": {"rows": [int(i) for i in counts.index], "columns": [int(c) for c in counts.columns],
                      "counts": counts.to_numpy().tolist(), "shares": shares.round(4).to_numpy().tolist()},
        "distances": dist.round(4).to_numpy().tolist(),
    }


TRANSITION_RULE = (
    "Read from the customers present in both runs (the migration matrix). A segment of the previous run that "
    "is not matched by profile was merged into the segment that took at least "
    f"{ABSORB_SHARE:.0%} of its customers, together with the segment matched to that one, if any (many to one); "
    f"it split when no segment took {ABSORB_SHARE:.0%} but two or more took at least {SPLIT_PART:.0%} each and "
    f"together at least {ABSORB_SHARE:.0%}. A segment of this run that is not matched split off a segment of the "
    f"previous run when at least {ABSORB_SHARE:.0%} of its customers were customers before and at least "
    f"{ABSORB_SHARE:.0%} of those came from that segment. A previous segment that alone went to an unmatched "
    "segment continued there (same customers, changed profile). A segment emerged when it is none of these "
    f"(mostly new customers, or gathered from several segments), and vanished when fewer than {ABSORB_SHARE:.0%} "
    "of its customers are still customers, or they spread over segments without a merge or a split (after MONIC, "
    "Spiliopoulou et al. 2006)."
)


def transitions(counts: pd.DataFrame, sizes_a: dict[int, int], sizes_b: dict[int, int],
                pairs: list[tuple[int, int]]) -> dict:
    """Merges, splits, emergences and disappearances between two runs (:data:`TRANSITION_RULE`).

    Parameters
    ----------
    counts : DataFrame
        Customers in both runs: rows are the previous run's segments, columns this run's.
    sizes_a, sizes_b : dict of int to int
        Customers per segment in each run (all of them, not only those in both).
    pairs : list of (int, int)
        Segments matched by profile (previous, this run): the same group found again.

    Returns
    -------
    dict
        ``merged``: ``{"segment_b", "sources": [{"segment", "customers", "share"}], "survivor"}``, one
        per segment that absorbed others (``share``: of the absorbed segment's customers in both
        runs; ``survivor``: the previous segment matched to it, listed in ``sources`` too, or None);
        ``split``: ``{"segment_a", "into": [{"segment", "customers", "share"}], "survivor"}``;
        ``continued``: ``{"segment_a", "segment_b", "customers", "share"}``, a segment whose profile
        changed beyond matching but whose customers stayed together;
        ``emerged``: ``{"segment", "new_customers", "sources"}`` (``sources``: previous segments that gave
        it at least :data:`SPLIT_PART` of their customers); ``vanished``: ``{"segment", "why",
        "still_here"}`` with ``why`` ``left`` or ``spread``.
    """
    match_of_a = dict(pairs)
    match_of_b = {b: a for a, b in pairs}
    present_a = counts.sum(axis=1)
    present_b = counts.sum(axis=0)

    def out_share(a, b):
        return float(counts.loc[a, b] / present_a[a]) if present_a.get(a, 0) else 0.0

    absorbed: dict[int, list[int]] = {}
    splits: dict[int, list[int]] = {}
    vanished = []
    for a in counts.index:
        if a in match_of_a:
            continue
        still = float(present_a[a] / sizes_a[a]) if sizes_a.get(a) else 0.0
        shares = {b: out_share(a, b) for b in counts.columns}
        top = max(shares, key=shares.get) if shares else None
        parts = sorted((b for b, sh in shares.items() if sh >= SPLIT_PART), key=lambda b: -shares[b])
        if still < ABSORB_SHARE:
            vanished.append({"segment": int(a), "why": "left", "still_here": round(still, 4)})
        elif top is not None and shares[top] >= ABSORB_SHARE:
            absorbed.setdefault(int(top), []).append(int(a))
        elif len(parts) >= 2 and sum(shares[b] for b in parts) >= ABSORB_SHARE:
            splits[int(a)] = [int(b) for b in parts]
        else:
            vanished.append({"segment": int(a), "why": "spread", "still_here": round(still, 4)})

    # A previous segment that alone went to an unmatched segment continued there: treated as matched below.
    continued = {}
    for b, sources in list(absorbed.items()):
        if b not in match_of_b and len(sources) == 1:
            continued[sources[0]] = b
            match_of_a[sources[0]], match_of_b[b] = b, sources[0]
            del absorbed[b]

    emerged = []
    for b in counts.columns:
        if b in match_of_b or b in absorbed or any(b in parts for parts in splits.values()):
            continue
        returning = int(present_b[b])
        new_share = 1.0 - returning / sizes_b[b] if sizes_b.get(b) else 1.0
        sources = counts[b][counts[b] > 0]
        top = int(sources.idxmax()) if len(sources) else None
        taken = top in {a for group in absorbed.values() for a in group} or top in {v["segment"] for v in vanished}
        if (new_share <= 1.0 - ABSORB_SHARE and top is not None and not taken
                and sources[top] >= ABSORB_SHARE * returning):
            splits.setdefault(top, [match_of_a[top]] if top in match_of_a else []).append(int(b))
            continue
        gave = [int(a) for a in counts.index if out_share(a, b) >= SPLIT_PART]
        emerged.append({"segment": int(b), "new_customers": round(new_share, 4),
                        "sources": [{"segment": a, "customers": int(counts.loc[a, b]), "share": round(out_share(a, b), 4)}
                                 for a in gave]})

    merged = []
    for b, sources in sorted(absorbed.items()):
        survivor = match_of_b.get(b)
        members = ([survivor] if survivor is not None else []) + sources
        merged.append({"segment_b": int(b), "survivor": survivor,
                       "sources": [{"segment": int(a), "customers": int(counts.loc[a, b]), "share": round(out_share(a, b), 4)}
                                for a in members]})
    split = []
    for a, parts in sorted(splits.items()):
        parts = list(dict.fromkeys(parts))
        split.append({"segment_a": int(a), "survivor": match_of_a.get(a),
                      "into": [{"segment": int(b), "customers": int(counts.loc[a, b]), "share": round(out_share(a, b), 4)}
                               for b in parts]})
    continued = [{"segment_a": int(a), "segment_b": int(b), "customers": int(counts.loc[a, b]),
                  "share": round(out_share(a, b), 4)} for a, b in sorted(continued.items()) if a not in splits]
    return {"merged": merged, "split": split, "continued": continued, "emerged": emerged, "vanished": vanished}


def _mean_changes(sa: dict, sb: dict) -> list[dict]:
    ma = {p["feature"]: p["mean"] for p in (sa.get("profile") or {}).get("numeric", [])}
    mb = {p["feature"]: p["mean"] for p in (sb.get("profile") or {}).get("numeric", [])}
    return [{"feature": f, "a": ma[f], "b": mb[f]} for f in ma if f in mb]


def previous_run(cfg, run_dir: Path) -> Path | None:
    """The run that ``compare_to`` names: a folder, or ``previous`` = the latest
    complete run of the same run_name under the same reports root."""

    if not cfg.compare_to:
        return None
    if cfg.compare_to != "previous":
        path = Path(cfg.compare_to)
        if not path.is_absolute() and cfg.source_path is not None:
            path = (cfg.source_path.parent / path).resolve()
        if not (path / "segments.json").exists():
            raise SeglabError(f"compare_to: {path} is not a finished seglab run folder; give a run folder or 'previous'")
        return path
    here = Path(run_dir).resolve()
    for info in list_runs(cfg.reports_root(), cfg.run_name):
        if info.status == "complete" and info.path.resolve() != here:
            return info.path
    return None


def inherited_names(previous: Path, features: pd.DataFrame, assignments: pd.DataFrame) -> dict[int, str]:
    """Names of the previous run's segments for the segments of a run being made that match them.

    ``features`` and ``assignments`` (``customer_id``, ``segment``) are the new
    run's, in memory: the segment stage names its segments before it writes them.
    """
    a = RunArtifacts.load(previous)
    b = RunArtifacts(Path("."), "", features.assign(customer_id=features["customer_id"].astype(str)),
                     assignments.assign(customer_id=assignments["customer_id"].astype(str)), [])
    prof_a, prof_b = profile_matrix([a, b], reference=a)
    pairs, _ = match_segments(prof_a, prof_b)
    names_a = {int(s["id"]): s["name"] for s in a.segments}
    return {sb: names_a[sa] for sa, sb, _ in pairs if sa in names_a}


def write_comparison(previous: Path, run_dir: Path, language: str = "en") -> dict:
    """compare.json and compare.html of (previous → this run) inside this run's folder."""
    result = compare(previous, run_dir, b_finished=False)
    write_artifact(run_dir, "compare.json", result)
    write_text(Path(run_dir) / "compare.html", render_comparison(result, language))
    return result


def compare_runs(run_a, run_b, *, out=None) -> Path:
    """Write compare.json and compare.html (into ``out``, default run B's folder)."""
    result = compare(run_a, run_b)
    out = Path(out) if out else Path(run_b)
    out.mkdir(parents=True, exist_ok=True)
    write_artifact(out, "compare.json", result)
    page = out / "compare.html"
    write_text(page, render_comparison(result))
    return page
