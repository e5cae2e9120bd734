"""Comparing two runs of one segmentation: matched segments, migration, emergence.

Segmentations are re-run regularly; what a client wants to know is which
segments are the same groups as last time, how customers moved between them,
and which segments are new or gone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from seglab.artifacts import write_artifact
from seglab.errors import SeglabError
from seglab.io.files import write_text
from seglab.pipeline.runs import list_runs
from seglab.report.compare import render_comparison

# Two segments are "the same group" when their profiles are closer than this:
# the root-mean-square difference of standardised numeric means and of
# category shares (each share difference counts as one standardised unit).
MATCH_THRESHOLD = 0.5


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
        assignments = pd.read_csv(path / "assignments.csv", dtype={"customer_id": str})
        segments = json.loads((path / "segments.json").read_text(encoding="utf-8"))["segments"]
        return cls(path, manifest.get("run_id", path.name), features, assignments, segments)


def profile_matrix(runs: list[RunArtifacts], reference: RunArtifacts) -> list[pd.DataFrame]:
    """One profile row per segment and run, on scales shared by all runs.

    Numeric features are standardised with the reference run's base mean and
    standard deviation; each categorical column contributes its value shares.
    """
    feats = [r.features.merge(r.assignments[["customer_id", "segment"]], on="customer_id") for r in runs]
    common = set.intersection(*(set(f.columns) for f in feats)) - {"customer_id", "segment"}
    ref = reference.features
    numeric = sorted(c for c in common if pd.api.types.is_numeric_dtype(ref[c]) and ref[c].nunique() > 2
                     and not c.endswith("_score"))
    categorical = sorted(c for c in common if not pd.api.types.is_numeric_dtype(ref[c])
                         and not pd.api.types.is_datetime64_any_dtype(ref[c]) and ref[c].nunique() <= 30)
    mu, sd = ref[numeric].mean(), ref[numeric].std().replace(0, 1)
    out = []
    for f in feats:
        parts = [((f[numeric] - mu) / sd).groupby(f["segment"]).mean()]
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
    return {
        "run_a": a.run_id, "run_b": b.run_id,
        "match_rule": (f"profiles (standardised numeric means and category shares) matched one-to-one by the "
                       f"Hungarian method; a pair counts as the same segment when its RMS profile distance "
                       f"is at most {threshold}"),
        "threshold": threshold,
        "customers": {"a": len(a.assignments), "b": len(b.assignments), "in_both": len(both),
                      "only_a": len(a.assignments) - len(both), "only_b": len(b.assignments) - len(both)},
        "matches": changes,
        "emerged": [{"segment": s, "name": names_b[s], "size": seg_b[s].get("size"), "share": seg_b[s].get("share")}
                    for s in sorted(seg_b) if s not in matched_b],
        "vanished": [{"segment": s, "name": names_a[s], "size": seg_a[s].get("size"), "share": seg_a[s].get("share")}
                     for s in sorted(seg_a) if s not in matched_a],
        "migration": {"rows": [int(i) for i in counts.index], "columns": [int(c) for c in counts.columns],
                      "counts": counts.to_numpy().tolist(), "shares": shares.round(4).to_numpy().tolist()},
        "distances": dist.round(4).to_numpy().tolist(),
    }


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


def inherited_names(previous: Path, run_dir: Path) -> dict[int, str]:
    """Names of the previous run's segments for the segments of this run that match them."""
    result = compare(previous, run_dir, b_finished=False)
    return {m["segment_b"]: m["name_a"] for m in result["matches"]}


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
