"""The analyst's workbench: one params file as Python steps that show their tables and figures.

::

    from seglab.workbench import Workbench

    wb = Workbench("params/demo.yaml")
    wb.clean()                          # row accounting, problems found, what was set aside
    wb.features()                       # RFM, lifecycle, value x risk, how each feature was made
    wb.compare(k=range(4, 8))           # candidates side by side: scores and a profile per candidate
    wb.segment(k=6)                     # the chosen variant (the very fit its candidate made)
    wb.personas()                       # names, descriptions, actions
    wb.save_params("params/demo_k6.yaml")   # `seglab run` on it gives the same segments

Each step returns an object that Jupyter shows as tables and figures (``_repr_html_``) and that
holds the data for further work. Steps compute what they need: opened on a run folder (as
``seglab run`` executes the stage notebooks) a step writes that folder's artifacts; opened on a
params file alone it works in the scratch folder ``<reports>/_scratch/<run_name>/``, starts from
the latest complete run of the same params, data and seglab version when there is one, and
reuses artifacts that are already there (docs/architecture.md §1: same params, data and seed give
the same artifacts).
"""

from __future__ import annotations

import copy
import json
import logging
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from seglab import __version__, i18n, progress
from seglab.artifacts import read_assignments, stage_outputs
from seglab.config import RunConfig, config_from_dict, load_config
from seglab.errors import ParamsError, SeglabError
from seglab.io.files import file_sha256, portable_path, write_json
from seglab.pipeline import stages
from seglab.pipeline.runs import library_fingerprint, list_runs
from seglab.report import casestudy, display, figures
from seglab.report.profiles import profile_matrix
from seglab.segment.fit import SegmentationResult, fit_segmentation

log = logging.getLogger("seglab")

#: Keys of ``segmentation`` that :meth:`Workbench.segment` and :meth:`Workbench.compare` may vary.
SEGMENTATION_KEYS = tuple(k for k in RunConfig.model_fields["segmentation"].annotation.model_fields)


# ------------------------------------------------------------------ rich results

@dataclass(repr=False)
class CleanStep:
    """Stage 01's result: the row accounting of ``quality.json`` and the run folder."""

    quality: dict
    run_dir: Path
    language: str = "en"

    @property
    def accounting(self) -> pd.DataFrame:
        """Rows in, clean, merged as duplicates and set aside, per input."""
        keys = ("rows_in", "rows_clean", "duplicates_merged", "rows_quarantined")
        return pd.DataFrame({src: {k: part.get(k) for k in keys} for src, part in self.quality["sources"].items()})

    @property
    def problems(self) -> pd.DataFrame:
        """Every rule that fired, per input: repairs, merges and rows set aside."""
        frame = pd.DataFrame({src: part.get("by_rule", {}) for src, part in self.quality["sources"].items()})
        return frame.fillna(0).astype(int).sort_index()

    @property
    def values(self) -> pd.DataFrame:
        """Per column, where every missing or unusable value ended: missing + unusable = filled +
        left missing + set aside (with its record); capped counts outliers limited to their fence."""
        return pd.DataFrame(self.quality.get("values", {})).T

    @property
    def implausible(self) -> pd.DataFrame:
        """Implausible values found without ``cleaning.ranges`` and what their policy did with them."""
        findings = (self.quality.get("plausibility") or {}).get("findings", [])
        return pd.DataFrame(findings, columns=["source", "column", "check", "count", "action", "examples"])

    def quarantine(self, n: int = 10) -> pd.DataFrame:
        """The first ``n`` rows set aside, with their reasons (personal data pseudonymised)."""
        path = self.run_dir / "quarantine.csv"
        return pd.read_csv(path, dtype=str, nrows=n, keep_default_na=False) if path.exists() else pd.DataFrame()

    def __repr__(self) -> str:
        q = self.quality
        return (f"<clean: {q.get('rows_in')} customer rows in, {q.get('rows_clean')} clean, "
                f"{q.get('duplicates_merged')} merged, {q.get('rows_quarantined')} set aside>")

    def _repr_html_(self) -> str:
        blocks = [display.heading("Row accounting: rows in = clean + merged + set aside"),
                  display.table(self.accounting)]
        reasons = {rule: n for part in self.quality["sources"].values()
                   for rule, n in part.get("quarantined_by_rule", {}).items()}
        if reasons:
            counts = pd.Series(reasons).groupby(level=0).sum().sort_values(ascending=False)
            blocks.append(display.figure(lambda: figures.quarantine_reasons(counts, language=self.language),
                                         self.language, "Records set aside, by reason"))
        if len(self.problems):
            blocks += [display.heading("Problems found, by rule"), display.table(self.problems)]
        if len(self.values):
            blocks += [display.heading("Where every missing or unusable value ended (missing + unusable = filled + "
                                       "left missing + set aside)"), display.table(self.values)]
        if len(self.implausible):
            blocks += [display.heading("Implausible values (policy: cleaning.plausibility; raw values in repairs.csv)"),
                       display.table(self.implausible, index=False)]
        sample = self.quarantine()
        if len(sample):
            blocks += [display.heading("A sample of the quarantine"), display.table(sample, index=False)]
        return display.to_html(blocks)


@dataclass(repr=False)
class FeaturesStep:
    """Stage 02's result: one row per customer, and how each feature was made (``features.json``)."""

    table: pd.DataFrame
    meta: dict
    language: str = "en"

    @property
    def summary(self) -> pd.DataFrame:
        """Count, mean, spread and quartiles of every numeric feature."""
        return self.table.describe().T

    def counts(self, column: str) -> pd.Series:
        """Customers per value of a feature (RFM segment, lifecycle stage, value x risk cell ...)."""
        return self.table[column].value_counts().rename_axis(column).rename("customers")

    @property
    def definitions(self) -> pd.DataFrame:
        """What each feature means, as features.json records it."""
        defs = self.meta.get("definitions") or {}
        return pd.DataFrame({"definition": defs}) if isinstance(defs, dict) else pd.DataFrame()

    def __repr__(self) -> str:
        return f"<features: {len(self.table)} customers x {self.table.shape[1]} columns>"

    def _repr_html_(self) -> str:
        blocks = [display.heading(f"{len(self.table):,} customers, {self.table.shape[1]} features"),
                  display.table(self.summary.round(2))]
        cats = [c for c in ("rfm_segment", "lifecycle", "buyer_type", "value_tier", "value_risk_cell")
                if c in self.table]
        if cats:
            blocks.append(display.figure(lambda: _count_bars(self.table, cats, self.language), self.language,
                                         "Customers per " + ", ".join(cats)))
        if "value_risk_cell" in self.table and "value_tier" in self.table and "risk_tier" in self.table:
            grid = pd.crosstab(self.table["value_tier"], self.table["risk_tier"])
            blocks += [display.heading("Customers on the value x risk grid"), display.table(grid)]
        clv = self.meta.get("clv") or {}
        if clv:
            flat = {k: v for k, v in clv.items() if not isinstance(v, (dict, list))}
            blocks += [display.heading("Lifetime value model"), display.table(pd.DataFrame({"value": flat}))]
        for key, title in (("rfm", "RFM scores: edges and the named map"), ("lifecycle", "Lifecycle thresholds")):
            meta = self.meta.get(key)
            if isinstance(meta, dict):
                flat = {k: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v
                        for k, v in meta.items()}
                blocks += [display.heading(title), display.table(pd.DataFrame({"value": flat}))]
        if len(self.definitions):
            blocks += [display.heading("How the features were made"), display.table(self.definitions)]
        return display.to_html(blocks)


def _count_bars(table: pd.DataFrame, columns: list[str], language: str):
    import matplotlib.pyplot as plt  # lazy: only when a figure is drawn

    fig, axes = plt.subplots(1, len(columns), figsize=(figures.FIGURE_WIDTH * 1.4, 2.8), squeeze=False)
    for ax, col in zip(axes[0], columns):
        counts = table[col].value_counts().sort_values()
        ax.barh([figures.wrap(str(v), 18) for v in counts.index], counts.to_numpy(), color=figures.NEUTRAL)
        ax.set_title(i18n.feature_label(col, language), fontsize="medium")
        ax.tick_params(axis="y", labelsize="x-small")
    fig.tight_layout()
    return axes[0][0]


@dataclass(repr=False)
class Candidate:
    """One fitted variant of the segmentation: its features, k, labels and scores."""

    name: str
    k: int
    features: list[str]
    result: SegmentationResult
    overrides: dict

    @property
    def scores(self) -> dict:
        """k, feature set, cost explained, silhouette, stability and smallest share."""
        rep = self.result.report
        row = (rep.get("scores") or [{}])[0]
        quality = rep.get("quality") or {}
        return {"features": self.name, "k": self.k, "segments": rep.get("k"), "explained": quality.get("explained"),
                "silhouette": row.get("silhouette"), "stability": row.get("stability"),
                "smallest_share": rep.get("smallest_share"), "eligible": bool(row.get("eligible", True)),
                "cost": row.get("cost")}

    def __repr__(self) -> str:
        return f"<candidate k={self.k} on {self.name}>"

    def assignments(self, table: pd.DataFrame) -> pd.DataFrame:
        """The candidate's segment per customer, in the shape of assignments.csv."""
        return pd.DataFrame({"customer_id": table["customer_id"].astype(str), "segment": self.result.labels,
                             "segment_name": [f"Segment {int(s)}" for s in self.result.labels]})


@dataclass(repr=False)
class Comparison:
    """Candidates side by side (:meth:`Workbench.compare`): scores, a chart and a profile per candidate."""

    candidates: list[Candidate]
    table: pd.DataFrame
    cfg: RunConfig
    chosen: tuple | None = None

    @property
    def scores(self) -> pd.DataFrame:
        """One row per candidate (k, feature set, cost explained, silhouette, stability, smallest share)."""
        return pd.DataFrame([c.scores for c in self.candidates])

    def candidate(self, k: int, features: str | None = None) -> Candidate:
        """The candidate with ``k`` segments (and the named feature set when several were compared)."""
        found = [c for c in self.candidates if c.k == k and (features is None or c.name == features)]
        if not found:
            have = ", ".join(f"k={c.k} ({c.name})" for c in self.candidates)
            which = f"k={k}" + (f" and features {features!r}" if features else "")
            raise SeglabError(f"no candidate with {which}; have {have}")
        return found[0]

    def heatmap(self, k: int, features: str | None = None, ax=None):
        """How the candidate's segments differ from all customers (as the report's profile heatmap)."""
        cand = self.candidate(k, features)
        cfg = self.cfg.model_copy(update={"segmentation": self.cfg.segmentation.model_copy(update=cand.overrides)})
        matrix, mask = profile_matrix(self.table, cand.assignments(self.table), cfg, language=cfg.language)
        palette = figures.segment_palette(sorted(set(int(s) for s in cand.result.labels)))
        title = i18n.t("fig_candidate_heatmap", cfg.language, k=k, features=cand.name)
        return figures.profile_heatmap(matrix, palette=palette, mask=mask, language=cfg.language, title=title, ax=ax)

    def __repr__(self) -> str:
        return "<comparison of " + ", ".join(f"k={c.k} ({c.name})" for c in self.candidates) + ">"

    def chart(self):
        """The three score panels (:func:`seglab.report.figures.k_candidates`)."""
        return figures.k_candidates(self.scores, chosen=self.chosen, language=self.cfg.language)

    def _repr_html_(self) -> str:
        lang = self.cfg.language
        scores = self.scores.drop(columns=["cost"]).round(3)
        blocks = [display.heading("Candidates"), display.table(scores, index=False),
                  display.figure(self.chart, lang, "Cost explained, silhouette and stability per candidate")]
        for c in self.candidates:
            blocks.append(display.figure(lambda c=c: self.heatmap(c.k, c.name), lang,
                                         f"Profile of the segments of k={c.k}, {c.name}"))
        blocks += [display.paragraph("Choose one with", code="wb.segment(k=..., features=...)"),
                   display.paragraph("then write the params that reproduce it with", code="wb.save_params(path)")]
        return display.to_html(blocks)


@dataclass(repr=False)
class SegmentStep:
    """Stage 03's result: the fitted segmentation, its report (``segmentation.json``) and assignments."""

    report: dict
    assignments: pd.DataFrame
    table: pd.DataFrame
    cfg: RunConfig

    @property
    def sizes(self) -> pd.DataFrame:
        """Customers and share per segment."""
        counts = self.assignments["segment"].value_counts().sort_index()
        return pd.DataFrame({"customers": counts, "share": (counts / counts.sum()).round(4)}).rename_axis("segment")

    @property
    def scores(self) -> pd.DataFrame:
        """The k search: cost, silhouette, stability and the rule's tests per k."""
        return pd.DataFrame(self.report.get("scores") or [])

    def __repr__(self) -> str:
        return f"<segmentation: {self.report.get('method')}, k={self.report.get('k')}>"

    def heatmap(self, ax=None):
        """How each segment differs from all customers (index 100 = the whole base)."""
        matrix, mask = profile_matrix(self.table, self.assignments, self.cfg, language=self.cfg.language)
        palette = figures.segment_palette(sorted(self.assignments["segment"].unique()))
        return figures.profile_heatmap(matrix, palette=palette, mask=mask, language=self.cfg.language, ax=ax)

    def _repr_html_(self) -> str:
        lang = self.cfg.language
        rep = self.report
        blocks = [display.paragraph(rep.get("k_reason", ""), lead=f"{rep.get('method')}, k = {rep.get('k')}.")]
        scores = self.scores
        total = (rep.get("quality") or {}).get("cost_one_segment")
        if len(scores) > 1 and total:
            panels = scores.assign(features=rep.get("method"), explained=1 - scores["cost"] / total)
            chosen = (rep.get("k_fitted"), rep.get("method"))
            title = i18n.t("fig_k_title", lang)
            blocks.append(display.figure(
                lambda: figures.k_candidates(panels, chosen=chosen, language=lang, title=title), lang,
                "Cost explained, silhouette and stability per number of segments"))
        if len(scores):
            shown = [c for c in ("k", "cost", "gain", "silhouette", "stability", "smallest_share", "eligible", "stable",
                                 "elbow") if c in scores]
            blocks += [display.heading("Scores per k"), display.table(scores[shown].round(3), index=False)]
        sizes = self.sizes
        names = self.assignments.drop_duplicates("segment").set_index("segment")["segment_name"]
        shown = pd.DataFrame({"id": sizes.index, "name": [str(names.get(i, f"Segment {i}")) for i in sizes.index],
                              "share": sizes["share"].to_numpy()})
        palette = figures.segment_palette(list(sizes.index))
        blocks += [display.heading("Segment sizes"), display.table(sizes),
                   display.figure(lambda: figures.segment_sizes(shown, palette=palette, language=lang), lang,
                                  "Share of customers per segment")]
        if rep.get("method") in ("kmeans", "kprototypes"):
            blocks.append(display.figure(self.heatmap, lang, "Profile of each segment against all customers"))
        return display.to_html(blocks)


@dataclass(repr=False)
class PersonasStep:
    """Stage 04's result: ``segments.json`` (profiles, names, personas, actions)."""

    segments: dict
    language: str = "en"

    def __repr__(self) -> str:
        return "<personas: " + "; ".join(str(s.get("name")) for s in self.segments["segments"]) + ">"

    @property
    def table(self) -> pd.DataFrame:
        """Name, size and shares of every segment."""
        return pd.DataFrame([{k: s.get(k) for k in ("id", "name", "size", "share", "revenue_share")}
                             for s in self.segments["segments"]]).set_index("id")

    def _repr_html_(self) -> str:
        segs = self.segments["segments"]
        palette = figures.segment_palette([s["id"] for s in segs])
        sizes = pd.DataFrame([{k: s.get(k) for k in ("id", "name", "share", "revenue_share")} for s in segs])
        blocks = [display.table(self.table),
                  display.figure(lambda: figures.segment_sizes(sizes, palette=palette, language=self.language),
                                 self.language, "Share of customers and revenue per segment")]
        if all(s.get("value_risk") for s in segs):
            grid = pd.DataFrame([{"id": s["id"], "share": s["share"], "value_score": s["value_risk"]["value_score"],
                                  "risk_score": s["value_risk"]["risk_score"]} for s in segs])
            names = {s["id"]: s["name"] for s in segs}
            blocks.append(display.figure(lambda: figures.segment_legend(
                figures.value_risk_grid(grid, palette=palette, language=self.language), palette=palette, names=names),
                self.language, "Segments on the value x risk grid"))
        for s in segs:
            blocks += persona_blocks(s)
        return display.to_html(blocks)


def persona_blocks(segment: dict) -> list:
    """One persona for the notebook: name, shares, description and actions (shown as text)."""
    persona = segment.get("persona") or {}
    share = f"{segment.get('share', 0):.1%} of customers"
    if segment.get("revenue_share") is not None:
        share += f", {segment['revenue_share']:.1%} of revenue"
    blocks = [display.heading(segment.get("name")), display.paragraph(share)]
    blocks += [display.paragraph(persona[key]) for key in ("narrative", "who", "needs", "behaviour")
               if persona.get(key)]
    actions = [a.get("offer") or a.get("action") for a in segment.get("actions") or [] if isinstance(a, dict)]
    if any(actions):
        blocks.append(display.items([a for a in actions if a]))
    if segment.get("notes"):
        blocks.append(display.paragraph(segment["notes"], lead="Note:"))
    return blocks


# ------------------------------------------------------------------ the workbench

class Workbench:
    """An analyst's session on one params file; each stage is a step that shows its results.

    Parameters
    ----------
    params : path-like
        The params file (``params/<run>.yaml``).
    run_dir : path-like, optional
        A run folder: ``seglab run`` passes the folder it is filling, and each step writes
        that folder's artifacts. None (the default in a notebook): the scratch folder
        ``<reports>/_scratch/<run_name>/``.
    progress : bool, default=True
        Show a progress bar for long steps (one line per step in Jupyter).
    """

    def __init__(self, params="params/demo.yaml", run_dir=None, *, progress: bool = True):
        self.params_path = Path(params)
        self.progress = progress
        self.overrides: dict[str, object] = {}
        self._candidates: dict[str, Candidate] = {}
        if run_dir is not None and (Path(run_dir) / "params.yaml").exists() and not _is_scratch(Path(run_dir)):
            self.run_dir = Path(run_dir)
            self.cfg = stages.load_run_config(self.run_dir)
            self.scratch = False
        else:
            self.cfg, self.run_dir = stages.open_stage("clean", self.params_path, run_dir)
            self.scratch = True
            _start_from_latest_run(self.cfg, self.run_dir)
        figures.use_language(self.cfg.language)

    def __repr__(self) -> str:
        where = "scratch" if self.scratch else "run"
        return f"Workbench({str(self.params_path)!r}, {where} folder {str(self.run_dir)!r})"

    # -------------------------------------------------------------- steps

    def clean(self, *, refresh: bool = False) -> CleanStep:
        """Stage 01: load, repair, de-duplicate and quarantine; the row accounting."""
        if refresh or not self._has("clean"):
            stages.clean(self.cfg, self.run_dir)
            self._drop_after("clean")
        quality = json.loads((self.run_dir / "quality.json").read_text(encoding="utf-8"))
        return CleanStep(quality, self.run_dir, self.cfg.language)

    def features(self, *, refresh: bool = False) -> FeaturesStep:
        """Stage 02: one row per customer (RFM, lifecycle, lifetime value, churn risk, tiers)."""
        self._need("clean")
        if refresh or not self._has("features"):
            stages.features(self.cfg, self.run_dir)
            self._drop_after("features")
        table = pd.read_parquet(self.run_dir / "features.parquet")
        meta = json.loads((self.run_dir / "features.json").read_text(encoding="utf-8"))
        return FeaturesStep(table, meta, self.cfg.language)

    def compare(self, k: Iterable[int] | int | None = None, features: Mapping[str, list] | list | None = None,
                **overrides) -> Comparison:
        """Fit several candidate segmentations and show them side by side.

        Parameters
        ----------
        k : int or iterable of int, optional
            The numbers of segments to try; default: the params' ``k_range``.
        features : list, or mapping of name to list, optional
            One feature set, or several named ones (e.g. ``{"behaviour": [...], "profile":
            [...]}``); default: the params' features.
        **overrides
            Other ``segmentation`` keys for every candidate (``method``, ``gamma`` ...).

        Each candidate is the fit ``wb.segment(k=..., features=...)`` and ``seglab run`` make
        for it (every random choice is seeded by the seed and k), so choosing one refits nothing.
        """
        self._need("features")
        table = pd.read_parquet(self.run_dir / "features.parquet")
        seg = self.cfg.segmentation
        ks = list(range(seg.k_range[0], seg.k_range[1] + 1)) if k is None else [k] if isinstance(k, int) else list(k)
        if features is None:
            sets = {"params' features" if seg.features else "default features": list(seg.features)}
        elif isinstance(features, Mapping):
            sets = {str(name): list(cols) for name, cols in features.items()}
        else:
            sets = {"features": list(features)}
        if not ks or not sets:
            raise ParamsError("compare: give at least one k and one feature set")
        plan = [(name, cols, kk) for name, cols in sets.items() for kk in ks]
        candidates = []
        for name, cols, kk in progress.bar(plan, desc="candidates", unit="fit", progress=self.progress):
            candidates.append(self._candidate(table, name, cols, kk, overrides))
        chosen = None
        current = self.cfg.segmentation
        for c in candidates:
            if c.k == current.k and c.features == list(current.features):
                chosen = (c.k, c.name)
        return Comparison(candidates, table, self.cfg, chosen)

    def segment(self, *, refresh: bool = False, **overrides) -> SegmentStep:
        """Stage 03: fit the segmentation, with ``segmentation`` keys overridden (``k=6``, ``features=[...]``).

        Overrides apply to this session from here on (personas and report follow them) and
        :meth:`save_params` writes them; a run folder keeps the params it was made with.
        """
        self._need("features")
        if overrides:
            self._override({f"segmentation.{key}": value for key, value in overrides.items()})
        if refresh or overrides or not self._has("segment"):
            table = pd.read_parquet(self.run_dir / "features.parquet")
            cached = self._candidates.get(_variant_key(self.cfg.segmentation))
            result = cached.result if cached is not None else fit_segmentation(table, self.cfg, progress=self.progress)
            stages.segment(self.cfg, self.run_dir, result=result)
            self._drop_after("segment")
        table = pd.read_parquet(self.run_dir / "features.parquet")
        report = json.loads((self.run_dir / "segmentation.json").read_text(encoding="utf-8"))
        return SegmentStep(report, read_assignments(self.run_dir), table, self.cfg)

    def personas(self, *, refresh: bool = False) -> PersonasStep:
        """Stage 04: profile, name and describe each segment; recommend actions."""
        self._need("segment")
        if refresh or not self._has("personas"):
            stages.personas(self.cfg, self.run_dir)
            self._drop_after("personas")
        segments = json.loads((self.run_dir / "segments.json").read_text(encoding="utf-8"))
        return PersonasStep(segments, self.cfg.language)

    def report(self, *, refresh: bool = False) -> Path:
        """Stage 05 without the notebooks: report.html (and the workbook) from the artifacts."""
        self._need("personas")
        path = self.run_dir / "report.html"
        if refresh or not path.exists():
            path = stages.report(self.cfg, self.run_dir)
        return path

    # -------------------------------------------------------------- tables for analyses

    def customers(self) -> pd.DataFrame:
        """One row per customer: every feature with its segment and segment name."""
        self._need("personas")
        return casestudy.customer_table(self.run_dir)

    def transactions(self) -> pd.DataFrame:
        """The clean transaction lines (``customer_id``, ``date``, ``amount``, ``is_return``)."""
        self._need("clean")
        return casestudy.transaction_table(self.run_dir)

    def segments(self) -> list[dict]:
        """The personas of ``segments.json``, one dict per segment."""
        return self.personas().segments["segments"]

    # -------------------------------------------------------------- params

    def save_params(self, path, *, force: bool = False) -> Path:
        """Write the params file that reproduces this session's variant (its overrides applied).

        Paths in it are relative to the new file's folder, so ``seglab run PATH`` fits the same
        segments from the same data. Returns the path.
        """
        path = Path(path)
        if path.exists() and not force:
            raise ParamsError(f"{path}: exists already; choose another name or pass force=True")
        raw = yaml.safe_load(self.params_path.read_text(encoding="utf-8")) or {}
        for key, value in self.overrides.items():
            _set_dotted(raw, key, value)
        _rebase_paths(raw, self.params_path.resolve().parent, path.resolve().parent)
        changed = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in self.overrides.items()) or "none"
        header = (f"# Saved by seglab.Workbench from {self.params_path.name} (seglab {__version__}).\n"
                  f"# Changed: {changed}.\n")
        text = header + yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, width=100, default_flow_style=None)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        load_config(path)  # the file must load as written
        return path

    # -------------------------------------------------------------- internals

    def _has(self, stage: str) -> bool:
        return all((self.run_dir / name).exists() for name in stage_outputs(stage))

    def _need(self, stage: str) -> None:
        """Make sure the artifacts of ``stage`` and every stage before it exist."""
        for earlier in stages.STAGES[: stages.STAGES.index(stage) + 1]:
            if not self._has(earlier):
                getattr(self, earlier)()

    def _drop_after(self, stage: str) -> None:
        """Artifacts of later stages were made from the ones just replaced: remove them."""
        for later in stages.STAGES[stages.STAGES.index(stage) + 1:]:
            for name in stage_outputs(later, always=False):
                for path in self.run_dir.glob(name):  # patterns such as targeting/audience_segment_*.csv
                    path.unlink(missing_ok=True)

    def _override(self, changes: dict) -> None:
        if not self.scratch:
            raise SeglabError(f"{self.run_dir} is a run folder and keeps the params it was made with; open "
                              f"Workbench({str(self.params_path)!r}) for a scratch session to try variants")
        raw = json.loads(self.cfg.model_dump_json(exclude={"source_path"}))
        for key, value in changes.items():
            _set_dotted(raw, key, value)
        cfg = config_from_dict(raw, base_dir=self.params_path.resolve().parent, source=self.params_path)
        self.cfg = cfg.model_copy(update={"output_dir": self.cfg.output_dir})
        self.overrides.update(changes)
        # The scratch folder now holds the artifacts of these params: its key says so, and a notebook
        # opened on the params file alone sees the difference and starts afresh.
        (self.run_dir / "params.yaml").write_text(self.cfg.to_yaml(), encoding="utf-8")
        write_json(self.run_dir / stages.SCRATCH_KEY, stages.scratch_key(self.cfg))

    def _candidate(self, table, name, cols, k, overrides) -> Candidate:
        changes = {"k": int(k), "features": cols, **overrides}
        seg = self.cfg.segmentation.model_copy(update=changes)
        seg = type(seg).model_validate(seg.model_dump())  # checked as a params file would be
        key = _variant_key(seg)
        if key not in self._candidates:
            cfg = self.cfg.model_copy(update={"segmentation": seg})
            result = fit_segmentation(table, cfg, progress=False)
            self._candidates[key] = Candidate(name, int(k), list(cols), result, changes)
        cand = self._candidates[key]
        return Candidate(name, cand.k, cand.features, cand.result, changes)


def _variant_key(seg) -> str:
    """What decides a fit: every segmentation key (the seed and features table are the session's)."""
    return json.dumps(seg.model_dump(mode="json"), sort_keys=True)


def _set_dotted(raw: dict, key: str, value) -> None:
    node = raw
    *parents, last = key.split(".")
    for part in parents:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[last] = copy.deepcopy(value)


_PATH_KEYS = (("data", "customers"), ("data", "transactions"), ("columns", "value_labels"), ("output_dir",))


def _rebase_paths(raw: dict, old: Path, new: Path) -> None:
    """Relative paths of a params file written elsewhere: still pointing at the same files."""
    def rebase(p: str) -> str:
        return p if Path(p).expanduser().is_absolute() else portable_path(old / p, new)

    for keys in _PATH_KEYS:
        node = raw
        for part in keys[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict) or node.get(keys[-1]) is None:
            continue
        value = node[keys[-1]]
        if isinstance(value, str):
            node[keys[-1]] = rebase(value)
        elif isinstance(value, dict) and isinstance(value.get("path"), str):
            value["path"] = rebase(value["path"])
        elif isinstance(value, dict) and str(value.get("url", "")).startswith("sqlite:///") \
                and not str(value["url"]).startswith("sqlite:////"):
            value["url"] = "sqlite:///" + rebase(value["url"][len("sqlite:///"):])


def _is_scratch(run_dir: Path) -> bool:
    return run_dir.parent.parent.name == "_scratch" or run_dir.parent.name == "_scratch"


# ------------------------------------------------------------------ starting from a finished run

def _start_from_latest_run(cfg: RunConfig, scratch: Path) -> Path | None:
    """Fill an empty scratch folder from the latest complete run of the same params, data and seglab.

    A notebook opened after ``seglab run`` then shows that run's results at once instead of
    computing them again. Only a run whose params, input files (sha256), seglab version and
    source (:func:`seglab.pipeline.runs.library_fingerprint`) are the session's is used: the same params, data and seed give the same artifacts. Returns the
    run folder used, if any.
    """
    if any((scratch / name).exists() for name in stage_outputs("clean")):
        return None
    want = _comparable(json.loads(cfg.model_dump_json(exclude={"source_path"})))
    inputs = {role: file_sha256(path) for role, path in cfg.input_paths().items() if Path(path).is_file()}
    for info in list_runs(cfg.reports_root(), cfg.run_name):
        if info.status != "complete":
            continue
        run = Path(info.path)
        try:
            manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
            params = yaml.safe_load((run / "params.yaml").read_text(encoding="utf-8"))
        except (OSError, ValueError, yaml.YAMLError):
            continue
        same_inputs = {i.get("role"): i.get("sha256") for i in manifest.get("inputs", [])} == inputs
        versions = manifest.get("versions") or {}
        if (_comparable(params) != want or not same_inputs or versions.get("seglab") != __version__
                or versions.get("seglab_source") != library_fingerprint()):
            continue  # a run of other params, data or seglab under this run name
        names = {name for stage in stages.STAGES[:-1] for name in stage_outputs(stage, always=False)}
        for name in sorted(names):
            top = name.split("/")[0]  # an artifact in a folder (targeting/...): the whole folder
            if (run / top).is_dir():
                shutil.copytree(run / top, scratch / top, dirs_exist_ok=True)
            elif (run / top).is_file():
                shutil.copy2(run / top, scratch / top)
        log.info("starting from the artifacts of run %s", run)
        return run
    return None


def _comparable(params: dict) -> dict:
    """Params as far as they decide the artifacts (where the reports go does not)."""
    return {k: v for k, v in params.items() if k not in ("output_dir",)}
