"""Segment customers: by the analyst's rules or bins, by the RFM map, or by clustering.

:func:`fit_segmentation` is the one entry point (stage 03). Clustering chooses
k by a documented rule from cost, silhouette and bootstrap stability, keeps
every segment above ``min_segment_share`` and numbers segments by size, so the
same params, data and seed always give the same assignments. Whatever the
method, the result carries a picklable model whose ``predict`` segments new
customers (``seglab assign``) exactly as the training customers.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin, clone
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from seglab import progress as progress_bars
from seglab.errors import DataError, ParamsError
from seglab.features.build import rfm_rules
from seglab.segment.kchoice import (
    SELECTION_RULE,
    choose_k,
    k_reason_text,
    segmentation_warnings,
    separation,
    warning_text,
)
from seglab.segment.kprototypes import KPrototypes
from seglab.segment.preprocess import (
    GAMMA_RULES,
    MixedPreprocessor,
    mixed_sq_distances,
    select_features,
)
from seglab.segment.outside import outside_mask, with_outside_group
from seglab.segment.rules import fit_rules

#: Above this many customers the k search runs on a seeded sample of this size
#: (exact fits, as for smaller bases), and the chosen k is then fitted to all
#: customers from the sample's solution: k-means by MiniBatchKMeans (batches of
#: :data:`MINIBATCH_SIZE`), k-prototypes by one run. Full Lloyd passes over a
#: million rows for every k and every stability refit would take minutes; a
#: sample of 100,000 already pins down the segments of a base that size.
MINIBATCH_THRESHOLD = 100_000
MINIBATCH_SIZE = 4096
#: Customers per bucket of the final k-prototypes fit's passes (seglab.compute: a task each).
LLOYD_BUCKET_ROWS = 500_000

#: Rows whose ``rfm_segment`` is missing (customers without purchases) form this segment.
NO_PURCHASE = "No purchases"

@dataclass
class SegmentationResult:
    """What stage 03 saves: one label per customer, names, the model and the report.

    Attributes
    ----------
    labels : ndarray of int
        Segment of each row of the feature table, in row order.
    names : dict of int to str
        Segment names for rules, bins and the RFM map; empty for clusters
        (the personas stage names them).
    model : estimator
        A fitted scikit-learn estimator with ``predict(features_df) -> ndarray of int``:
        a :class:`~sklearn.pipeline.Pipeline` (:func:`segment_pipeline`) for clusterings,
        :class:`RfmSegmenter` or the rule and bin segmenters otherwise. It clones and pickles.
    report : dict
        JSON-serialisable account of the method, written to segmentation.json.
    """

    labels: np.ndarray
    names: dict[int, str]
    model: object
    report: dict = field(default_factory=dict)


def fit_segmentation(features: pd.DataFrame, cfg, *, progress: bool = True, passes=None) -> SegmentationResult:
    """Segment the customers of a feature table as ``cfg.segmentation`` says.

    Parameters
    ----------
    features : DataFrame
        One row per customer (``seglab.features.build_features``).
    cfg : RunConfig
        Validated params; ``cfg.segmentation`` chooses the method and
        ``cfg.seed`` seeds everything random.
    progress : bool, default=True
        Show a progress bar over the k search (:mod:`seglab.progress`: one line in Jupyter, tqdm on
        stderr elsewhere; ``TQDM_DISABLE`` silences it).
    passes : callable, optional
        Runner of the final k-prototypes fit's passes over buckets of customers (see
        :meth:`seglab.segment.kprototypes.KPrototypes.fit`); default in this process.

    Returns
    -------
    SegmentationResult

    Raises
    ------
    ParamsError
        Unknown feature or rule column, unsafe rule, inconsistent method params.
    DataError
        Too few customers for k, or a column the method needs is missing.

    Notes
    -----
    The report (segmentation.json) holds for every method ``method``, ``k``
    (segments with customers), ``k_reason``, ``features``, ``sizes`` (per
    segment: ``segment``, ``name``, ``n``, ``share``), ``smallest_share``,
    ``below_min_share``, ``seed``, ``n_customers`` and ``seconds``; rules add
    ``rules`` and ``default_segment``, bins ``bins`` (and ``crosstab`` for two).
    Clusterings add ``engine``, ``estimator``, ``gamma`` (value, source, rule),
    ``k_fitted`` (before merges), ``k_requested``, ``k_range``,
    ``selection_rule``, ``scores`` (one row per k: cost, gain, gain_ratio,
    silhouette, stability, smallest_share, eligible, stable, distinct, merge_gain,
    elbow, passes, score; see :mod:`seglab.segment.kchoice`),
    ``k_choice`` (the facts the reason is told from), ``search_sample``,
    ``stability`` (of the chosen k, with each run's ARI), ``quality`` (silhouette,
    cost, explained share), ``merges``, ``empty_clusters``, ``notes``, ``warnings``
    (weak separation, instability, no clear k, fewer segments than asked; see
    :func:`seglab.segment.kchoice.segmentation_warnings`) and ``method_text``, the
    method section's paragraph.  Customers whose returns cancel their purchases
    are segmented apart (:mod:`seglab.segment.outside`): the report then has
    ``outside_segmentation``.
    """
    seg = cfg.segmentation
    if len(features) == 0:
        raise DataError("the feature table has no customers to segment")
    outside = outside_mask(features, seg.method)
    if outside.any():  # customers whose returns cancel their purchases: their own group
        return with_outside_group(features, outside, cfg, lambda part: fit_segmentation(part, cfg, progress=progress))
    started = time.perf_counter()
    if seg.method == "rules":
        model = fit_rules(features, seg)
        labels = model.predict(features)
        names = dict(model.names_)
        report = {"method": "rules", **model.describe(labels)}
    elif seg.method == "rfm":
        model = RfmSegmenter([r["name"] for r in rfm_rules(cfg.features.rfm_map)]).fit(features)
        labels = model.predict(features)
        names = dict(model.names_)
        report = {"method": "rfm", **model.describe(labels)}
    else:
        return _fit_clusters(features, cfg, progress=progress, started=started, passes=passes)
    report["k"] = int((np.bincount(labels) > 0).sum())
    report.update(_sizes_report(labels, names, seg.min_segment_share))
    report.update(seed=cfg.seed, n_customers=int(len(features)), seconds=round(time.perf_counter() - started, 3))
    return SegmentationResult(labels=labels.astype(np.int64), names=names, model=model, report=_jsonable(report))


# ======================================================================= RFM

class RfmSegmenter(BaseEstimator):
    """Segments are the named RFM map groups of the ``rfm_segment`` feature.

    Group ``i`` is the ``i``-th rule of the RFM map (Champions first with the
    default map), and customers without purchases (no RFM group) come last,
    as :data:`NO_PURCHASE`. The numbering follows the params, not the data, so
    a group keeps its number across runs and new customers can fall in a group
    that no training customer was in.

    Parameters
    ----------
    groups : list of str
        The RFM map's group names, in the map's order.

    Attributes
    ----------
    names_ : dict of int to str
    """

    column = "rfm_segment"

    def __init__(self, groups):
        self.groups = groups

    def fit(self, features: pd.DataFrame, y=None):
        """Number the RFM map's groups; checks that the features carry them."""
        self.names_ = dict(enumerate([*self.groups, NO_PURCHASE]))
        self._codes(features)
        return self

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """The segment of each customer; a group name not in the RFM map is a DataError."""
        check_is_fitted(self, "names_")
        return self._codes(features)

    def describe(self, labels) -> dict:
        """The method's part of segmentation.json."""
        return {"engine": None, "features": {"numeric": [], "categorical": [self.column]},
                "k_reason": "one segment per group of the RFM map (rfm_segment), numbered in the map's order; "
                            f"customers without purchases form '{NO_PURCHASE}'"}

    def _codes(self, features) -> np.ndarray:
        if self.column not in features.columns:
            raise DataError("segmentation.method 'rfm' needs the rfm_segment feature, which is computed from "
                            "transactions; give data.transactions or choose another method")
        values = features[self.column].astype(object).where(features[self.column].notna(), NO_PURCHASE)
        codes = values.map({name: i for i, name in self.names_.items()})
        if codes.isna().any():
            unknown = sorted(map(str, values[codes.isna()].unique()))
            raise DataError(f"rfm_segment value '{unknown[0]}' is not a group of the RFM map "
                            f"({', '.join(self.groups)}); refit with the features' RFM map")
        return codes.to_numpy(dtype=np.int64)


# ======================================================================= clusters

class SegmentClusterer(ClusterMixin, BaseEstimator):
    """A clusterer and the map from its clusters to segment numbers: the last step of a
    clustering segmentation's :class:`~sklearn.pipeline.Pipeline` (see :func:`segment_pipeline`).

    Clusters merged for ``min_segment_share`` share a segment number, and numbers follow
    descending training size, so the map is part of the model: ``predict`` gives segments.

    Parameters
    ----------
    estimator : KMeans, MiniBatchKMeans or KPrototypes
        The clusterer (a template: :meth:`fit` fits a clone of it).
    label_map : array-like of int, optional
        Segment of each cluster; the identity when None.
    categorical : list of int, optional
        Columns of the model matrix holding category codes (k-prototypes); None for k-means.

    Attributes
    ----------
    estimator_ : fitted clusterer
    label_map_ : ndarray of int
    labels_ : ndarray of int
        Segments of the training rows.
    """

    def __init__(self, estimator=None, label_map=None, categorical=None):
        self.estimator = estimator
        self.label_map = label_map
        self.categorical = categorical

    def fit(self, X, y=None):
        """Fit a clone of ``estimator`` to the model matrix ``X`` and map its clusters."""
        if self.estimator is None:
            raise ValueError("SegmentClusterer needs an estimator (KMeans, MiniBatchKMeans or KPrototypes)")
        self._set_fitted(clone(self.estimator).fit(X, **self._fit_kwargs()))
        self.labels_ = self.label_map_[self._clusters(X)]
        return self

    def predict(self, X) -> np.ndarray:
        """Segment of each row of the model matrix ``X``."""
        check_is_fitted(self, "estimator_")
        return self.label_map_[self._clusters(X)]

    @classmethod
    def from_fitted(cls, estimator, label_map, categorical=None) -> "SegmentClusterer":
        """The step for a clusterer fitted elsewhere (the k search), as if :meth:`fit` had fitted it."""
        step = cls(clone(estimator), label_map=np.asarray(label_map, dtype=np.int64), categorical=categorical)
        step._set_fitted(estimator)
        return step

    def _set_fitted(self, estimator) -> None:
        k = int(getattr(estimator, "n_clusters", 0)) or len(np.unique(estimator.labels_))
        label_map = np.arange(k) if self.label_map is None else np.asarray(self.label_map, dtype=np.int64)
        if len(label_map) != k:
            raise ValueError(f"label_map has {len(label_map)} entries for {k} clusters")
        self.estimator_, self.label_map_ = estimator, label_map

    def _fit_kwargs(self) -> dict:
        return {} if self.categorical is None else {"categorical": list(self.categorical)}

    def _clusters(self, X) -> np.ndarray:
        return np.asarray(self.estimator_.predict(X, **self._fit_kwargs()), dtype=np.int64)


def segment_pipeline(preprocessor: MixedPreprocessor, estimator, label_map, categorical=None) -> Pipeline:
    """The fitted segmentation model: ``prepare`` (the preprocessing, which writes the model
    matrix) then ``segments`` (:class:`SegmentClusterer`). A scikit-learn Pipeline: it
    predicts segments from a feature table, clones (unfitted, same parameters) and pickles."""
    return Pipeline([("prepare", preprocessor),
                     ("segments", SegmentClusterer.from_fitted(estimator, label_map, categorical))])


def kprototypes_class(engine: str):
    """The k-prototypes estimator class of an engine, and a note when it had to fall back.

    ``seglab`` is :class:`seglab.kprototypes.KPrototypes` (vectorised, the
    default); ``kmodes`` is :class:`kmodes.kprototypes.KPrototypes`, the
    reference implementation (pure Python loops: fine for a few thousand
    customers, slow beyond). Both share kmodes' API.
    """
    if engine == "kmodes":
        from kmodes.kprototypes import (
            KPrototypes as KModesPrototypes,  # lazy: optional reference engine
        )

        return KModesPrototypes, None
    if engine != "seglab":
        raise ParamsError(f"segmentation.engine: must be 'seglab' or 'kmodes', got {engine!r}")
    return KPrototypes, None


def _fit_clusters(features, cfg, *, progress, started, passes=None) -> SegmentationResult:
    seg = cfg.segmentation
    numeric, categorical = select_features(features, seg.features,
                                           declared=[*cfg.columns.numeric, *cfg.columns.categorical],
                                           id_columns=("customer_id", cfg.columns.customer_id))
    method = seg.method
    pre = MixedPreprocessor(numeric, categorical, log_transform=seg.log_transform, gamma=seg.gamma,
                            gamma_rule=seg.gamma_rule, encoding="onehot" if method == "kmeans" else "codes")
    pre.fit(features)
    num, cat = pre.transform_parts(features)
    n = len(features)
    notes = []

    if method == "kprototypes" and not categorical:
        design = {"method": "kmeans"}
        notes.append("no categorical feature: k-prototypes reduces to k-means, so k-means was used")
    else:
        design = {"method": method, "pad_numeric": method == "kprototypes" and not numeric}
        if design["pad_numeric"]:
            notes.append("no numeric feature: k-prototypes on the categorical features alone (k-modes)")
    engine_cls, note = (kprototypes_class(seg.engine) if design["method"] == "kprototypes" else (None, None))
    if note:
        notes.append(note)
    X = pre.model_matrix(num, cat)
    if design["method"] == "kprototypes":
        design["categorical"] = list(range(X.shape[1] - cat.shape[1], X.shape[1]))
    ks = _candidate_ks(seg, n)

    # Above MINIBATCH_THRESHOLD customers the k search runs on a seeded sample of that size.
    sampled = n > MINIBATCH_THRESHOLD
    ids = features["customer_id"] if "customer_id" in features.columns else pd.Series(np.arange(n))
    rows_idx = sample_rows(ids, MINIBATCH_THRESHOLD, cfg.seed) if sampled else np.arange(n)
    search = _KSearch(X[rows_idx], num[rows_idx], cat[rows_idx], pre.gamma_, design, engine_cls, seg, seed=cfg.seed)
    rows, costs = [], {}
    # Costs outside the range that the step test needs: the neighbours k_low-1 and k_high+1
    # of the range's ends (k=1 is the one-segment cost itself).
    neighbours = (sorted({k for k in (ks[0] - 1, ks[-1] + 1) if 2 <= k < search.n} - set(ks))
                  if seg.k == "auto" else [])
    steps = [(k, True) for k in ks] + [(k, False) for k in neighbours]
    # Single-threaded: many small fits run faster so, and never stall on a busy machine.
    with threadpool_limits(limits=1):
        for k, full in progress_bars.bar(steps, desc="k search", unit="k", progress=progress):
            if full:
                rows.append(search.evaluate(k))
            else:
                costs[k] = search.cost_only(k)
    if seg.k == "auto":
        chosen, reason, k_choice = choose_k(rows, seg.min_segment_share, total_cost=search.total_cost, costs=costs)
    else:
        k_choice = {"case": "given", "k": seg.k}
        chosen, reason = seg.k, k_reason_text("given", k_choice, "en")
    estimator = (search.refit_all(chosen, X, lloyd_buckets(ids), passes) if sampled
                 else search.fits[chosen]["estimator"])
    raw = _predict_raw(estimator, X, design)
    # A fit that collapses (fewer clusters hold customers than were fitted) folds its empty clusters
    # away; segmentation.json "warnings" and the report's summary say so.
    groups, merges, empty = merge_small(raw, num, cat, pre.gamma_, seg.min_segment_share, k=chosen)
    label_map = _size_order(groups, raw)
    for m in merges:
        m["into_segment"] = int(label_map[m["into"]])
    label_map = _cover_empty_clusters(label_map, raw, estimator, design.get("categorical"), pre.gamma_)
    model = segment_pipeline(pre, estimator, label_map, categorical=design.get("categorical"))
    labels = label_map[raw]  # what model.predict(features) returns: same preprocessing, same estimator

    report = _cluster_report(cfg, pre, design, search, rows, chosen, reason, estimator, labels[rows_idx],
                             sampled=sampled, total_cost=_total_cost(X, num, cat, pre.gamma_, design) if sampled
                             else search.total_cost, k=int(len(np.unique(labels))), merges=merges, notes=notes)
    report.update(_sizes_report(labels, {}, seg.min_segment_share))
    report.update(seed=cfg.seed, n_customers=int(n), seconds=round(time.perf_counter() - started, 3))
    report["k_choice"] = k_choice
    report["empty_clusters"] = empty
    report["warnings"] = segmentation_warnings(report)
    report["method_text"] = method_text(report)
    return SegmentationResult(labels=labels, names={}, model=model, report=_jsonable(report))


def _cluster_report(cfg, pre, design, search, rows, chosen, reason, estimator, search_labels, *, sampled,
                    total_cost, k, merges, notes) -> dict:
    """segmentation.json of a clustering, but for sizes and timing (layout: :func:`fit_segmentation`)."""
    seg = cfg.segmentation
    chosen_row = next(r for r in rows if r["k"] == chosen)
    cost = _cost(estimator)
    return {
        "method": seg.method,
        "engine": seg.engine if design["method"] == "kprototypes" else None,
        "estimator": _estimator_name(estimator),
        "features": pre.describe(),
        "gamma": ({"value": pre.gamma_, "source": "params (segmentation.gamma)"} if seg.gamma is not None else
                  {"value": pre.gamma_, "source": "estimated", "rule": seg.gamma_rule,
                   "rule_text": GAMMA_RULES[seg.gamma_rule]}),
        "k": k,
        "k_fitted": int(chosen),
        "k_requested": seg.k,
        "k_range": list(seg.k_range) if seg.k == "auto" else None,
        "k_reason": reason,
        "selection_rule": SELECTION_RULE if seg.k == "auto" else None,
        "scores": rows,
        "search_sample": int(search.n) if sampled else None,
        "stability": {"k": int(chosen), "mean_ari": chosen_row["stability"],
                      "runs_ari": search.fits[chosen]["stability_runs"], "runs": seg.stability_runs,
                      "resample_size": search.boot_size,
                      "method": "adjusted Rand index between the clustering of the searched customers and refits "
                                "on bootstrap resamples of them, each predicting all of them"},
        "quality": {"silhouette": search.silhouette(search_labels), "silhouette_sample": int(len(search.sil_index)),
                    "cost": cost, "cost_one_segment": total_cost,
                    "explained": 1.0 - cost / total_cost if total_cost > 0 else None},
        "merges": merges,
        "min_segment_share": seg.min_segment_share,
        "notes": notes,
    }


def sample_rows(ids: pd.Series, size: int, seed: int) -> np.ndarray:
    """Positions of the ``size`` customers with the smallest seeded hash of their id, in table order.

    Which customers are sampled depends on the seed and the ids alone, not on the row order or
    on how the table is partitioned, so every engine searches k on the same customers.
    """
    key = hashlib.blake2b(f"seglab-k-search:{seed}".encode(), digest_size=8).hexdigest()
    h = pd.util.hash_array(np.asarray(ids.astype(str), dtype=object), hash_key=key, categorize=False)
    return np.sort(np.argsort(h, kind="stable")[:size])


def lloyd_buckets(ids: pd.Series) -> list[np.ndarray]:
    """The customers' positions in buckets of about :data:`LLOYD_BUCKET_ROWS`, by a hash of the id.

    The buckets depend on the ids alone, so the final fit's sums are added in the same order
    whether its passes run here or on a cluster.
    """
    n = len(ids)
    count = max(1, -(-n // LLOYD_BUCKET_ROWS))
    bucket = pd.util.hash_array(np.asarray(ids.astype(str), dtype=object), categorize=False) % np.uint64(count)
    return [np.flatnonzero(bucket == b) for b in range(count)]


def _candidate_ks(seg, n) -> list[int]:
    """The k values to fit; a DataError when there are too few customers."""
    if seg.k == "auto":
        lo, hi = seg.k_range
        if n <= lo:
            raise DataError(f"n_customers={n} should be > k={lo} (the low end of segmentation.k_range); "
                            "give more customers or a smaller k_range")
        return [k for k in range(lo, hi + 1) if k < n]
    if n <= seg.k:
        raise DataError(f"n_customers={n} should be > k={seg.k} (segmentation.k); give more customers or a smaller k")
    return [seg.k]


class _KSearch:
    """Fits and scores one clustering per k; keeps every fit for the final choice.

    Every random choice is seeded from ``(seed, k, run)``, so a k scores the
    same whether it is searched alone or within a range.
    """

    def __init__(self, X, num, cat, gamma, design, engine_cls, seg, *, seed):
        self.X, self.num, self.cat, self.gamma = X, num, cat, gamma
        self.design, self.engine_cls, self.seg, self.seed = design, engine_cls, seg, seed
        self.n = n = len(X)
        self.boot_size = int(min(n, seg.stability_sample))
        size = int(min(n, seg.silhouette_sample))
        rng = np.random.default_rng([seed, 1])
        self.sil_index = np.sort(rng.choice(n, size=size, replace=False)) if size < n else np.arange(n)
        self._sil_dist = None
        self.fits = {}
        self.total_cost = _total_cost(X, num, cat, gamma, design)

    @property
    def sil_dist(self):
        # Computed once, shared by every k: the same customers judge every k.
        if self._sil_dist is None:
            i = self.sil_index
            d = mixed_sq_distances(self.num[i], self.cat[i], self.num[i], self.cat[i], self.gamma)
            np.sqrt(d, out=d)
            np.fill_diagonal(d, 0.0)
            self._sil_dist = d
        return self._sil_dist

    def make(self, k, seed, n_init, init=None):
        if self.design["method"] == "kmeans":
            if init is not None:
                return MiniBatchKMeans(n_clusters=k, init=init, n_init=1, batch_size=MINIBATCH_SIZE,
                                       random_state=seed)
            return KMeans(n_clusters=k, n_init=n_init, random_state=seed)
        return self.engine_cls(n_clusters=k, gamma=self.gamma, init="Cao" if init is None else init,
                               n_init=n_init if init is None else 1, max_iter=100, random_state=seed, n_jobs=1)

    def evaluate(self, k) -> dict:
        """Fit k clusters and score them: cost, silhouette, stability, smallest share, distinctness."""
        est = _fit_raw(self.make(k, self.seed, self.seg.n_init), self.X, self.design)
        labels = np.asarray(est.labels_, dtype=np.int64)
        counts = np.bincount(labels, minlength=k)
        sil = self.silhouette(labels)
        runs = self.stability(k, labels)
        self.fits[k] = {"estimator": est, "labels": labels, "stability_runs": runs}
        smallest = float(counts.min() / self.n)
        split = separation(self.num, self.cat, labels)
        return {"k": int(k), "cost": _cost(est), "silhouette": sil,
                "stability": (float(np.mean(runs)) if runs else None),
                "smallest_share": smallest, "eligible": bool(smallest >= self.seg.min_segment_share),
                "distinct": split["distinct"], "merge_gain": split["merge_gain"]}

    def cost_only(self, k) -> float:
        """Cost of the k-cluster fit, for the elbow test at the ends of the range."""
        return _cost(_fit_raw(self.make(k, self.seed, self.seg.n_init), self.X, self.design))

    def refit_all(self, k, X, buckets, passes=None):
        """Fit all customers, starting from the searched sample's solution for ``k``.

        k-means: MiniBatchKMeans from the sample's centres; k-prototypes: one
        run from the sample's prototypes (numeric means, categorical modes), as passes over
        ``buckets`` of customers (seglab's engine; run by ``passes``, default here).
        """
        labels = self.fits[k]["labels"]
        if self.design["method"] == "kmeans":
            init = self.fits[k]["estimator"].cluster_centers_
        else:
            cat_pos = self.design["categorical"]
            num_pos = [j for j in range(self.X.shape[1]) if j not in cat_pos]
            init = [np.vstack([self.X[labels == c][:, num_pos].mean(axis=0) for c in range(k)]),
                    np.vstack([_modes(self.X[labels == c][:, cat_pos].astype(np.int64)) for c in range(k)])
                    .astype(np.float64)]
        est = self.make(k, self.seed, 1, init=init)
        if isinstance(est, KPrototypes):
            return est.fit(X, categorical=self.design["categorical"], buckets=buckets, passes=passes)
        return _fit_raw(est, X, self.design)

    def silhouette(self, labels):
        """Silhouette of ``labels`` (of the searched customers) on the seeded sample."""
        sample = labels[self.sil_index]
        if len(np.unique(sample)) < 2 or len(np.unique(sample)) >= len(sample):
            return None
        return float(silhouette_score(self.sil_dist, sample, metric="precomputed"))

    def stability(self, k, labels) -> list[float]:
        """ARI of refits on bootstrap resamples against ``labels``, one per run."""
        out = []
        for run in range(self.seg.stability_runs):
            rng = np.random.default_rng([self.seed, k, run])
            idx = rng.integers(0, self.n, size=self.boot_size)
            est = _fit_raw(self.make(k, int(rng.integers(2**31 - 1)), self.seg.n_init), self.X[idx], self.design)
            out.append(float(adjusted_rand_score(labels, _predict_raw(est, self.X, self.design))))
        return out


def merge_small(labels, num, cat, gamma, min_share, *, k=None) -> tuple[np.ndarray, list[dict], int]:
    """Fold empty clusters away and merge clusters below ``min_share`` into their nearest.

    A cluster no customer is nearest to (customers too alike to fill ``k`` clusters) is
    counted and put with the largest group, so that it is neither merged nor numbered; the
    fitted model then gives it the segment of the nearest held prototype
    (:func:`_cover_empty_clusters`), for customers predicted later.
    Then, repeatedly, the smallest cluster under the share joins the group of the cluster
    whose centre (numeric means, categorical modes) is nearest by the k-prototypes
    dissimilarity. ``groups[c]`` is the group of raw cluster ``c``.

    Returns
    -------
    groups : ndarray of int
    merges : list of dict
        One per merge of a non-empty cluster below the share.
    empty : int
        Number of empty clusters folded away.
    """
    k = int(labels.max()) + 1 if k is None else int(k)
    n = len(labels)
    counts = np.bincount(labels, minlength=k).astype(np.int64)
    groups = np.arange(k)
    empty = np.flatnonzero(counts == 0)
    if len(empty):
        groups[empty] = int(np.argmax(counts))
    merges = []
    if min_share <= 0:
        return groups, merges, int(len(empty))
    c_num = np.vstack([num[labels == c].mean(axis=0) if counts[c] else np.zeros(num.shape[1]) for c in range(k)])
    c_cat = np.vstack([_modes(cat[labels == c]) if counts[c] else np.zeros(cat.shape[1], int) for c in range(k)])
    dist = mixed_sq_distances(c_num, c_cat, c_num, c_cat, gamma)
    while len(np.unique(groups)) > 1:
        sizes = {g: int(counts[groups == g].sum()) for g in np.unique(groups)}
        small = [g for g, s in sizes.items() if s < min_share * n]
        if not small:
            break
        g = min(small, key=lambda x: (sizes[x], x))
        members = np.flatnonzero((groups == g) & (counts > 0))
        others = np.flatnonzero((groups != g) & (counts > 0))
        sub = dist[np.ix_(members, others)]
        target = int(groups[others[np.unravel_index(np.argmin(sub), sub.shape)[1]]])
        merges.append({"cluster": int(g), "into": target, "share": sizes[g] / n,
                       "reason": f"share {sizes[g] / n:.3f} < min_segment_share {min_share:g}; nearest cluster"})
        groups[groups == g] = target
    return groups, merges, int(len(empty))


def method_text(report: dict) -> str:
    """The method section's paragraph for a clustering: features, weights, k and why, quality."""
    feats = report["features"]
    name = {"kmeans": "k-means", "kprototypes": "k-prototypes"}[report["method"]]

    def listed(cols, kind):
        return f"{len(cols)} {kind} {'feature' if len(cols) == 1 else 'features'} ({', '.join(cols)})" if cols else \
            f"no {kind} feature"

    parts = [f"Customers were segmented by {name} ({report['estimator']}) on {listed(feats['numeric'], 'numeric')} "
             f"and {listed(feats['categorical'], 'categorical')}."]
    if feats["log_transformed"]:
        parts.append(f"Skewed amounts ({', '.join(feats['log_transformed'])}) were log-transformed, and numeric "
                     "features scaled by median and interquartile range.")
    g = report["gamma"]
    if feats["categorical"] and feats["numeric"]:
        how = "set in the params" if g["source"].startswith("params") else f"estimated by the {g['rule']} rule"
        parts.append(f"A categorical mismatch weighs gamma = {g['value']:.3g} against squared scaled numeric "
                     f"distance ({how}).")
    if report["search_sample"]:
        parts.append(f"The number of segments was searched on a random sample of {report['search_sample']:,} "
                     f"customers, then the model was fitted to all {report['n_customers']:,}.")
    parts.append(report["k_reason"])
    if report["selection_rule"]:
        parts.append("Rule: " + report["selection_rule"])
    st = report["stability"]
    if st["mean_ari"] is not None:
        parts.append(f"Stability of the chosen k: mean adjusted Rand index {st['mean_ari']:.3f} over "
                     f"{st['runs']} bootstrap refits.")
    q = report["quality"]
    if q["silhouette"] is not None:
        parts.append(f"Silhouette of the final segments: {q['silhouette']:.3f} (sample of "
                     f"{q['silhouette_sample']:,} customers).")
    for m in report["merges"]:
        parts.append(f"Cluster {m['cluster']} ({m['share']:.1%} of customers, below min_segment_share) was "
                     f"merged into its nearest cluster, now segment {m['into_segment']}.")
    parts.extend(n[0].upper() + n[1:] + "." for n in report["notes"])
    parts.extend("Warning: " + warning_text(w, "en") for w in report.get("warnings", []))
    return " ".join(parts)


# ----------------------------------------------------------------- workers

def _fit_raw(est, X, design):
    if design["method"] == "kprototypes":
        return est.fit(X, categorical=design["categorical"])
    return est.fit(X)


def _predict_raw(est, X, design) -> np.ndarray:
    if design["method"] == "kprototypes":
        return np.asarray(est.predict(X, categorical=design["categorical"]), dtype=np.int64)
    return np.asarray(est.predict(X), dtype=np.int64)


def _total_cost(X, num, cat, gamma, design) -> float:
    """The cost of one cluster (k=1): what a clustering's cost is compared with."""
    if design["method"] == "kmeans":
        return float(((X - X.mean(axis=0)) ** 2).sum())
    total = float(((num - num.mean(axis=0)) ** 2).sum()) if num.shape[1] else 0.0
    for j in range(cat.shape[1]):
        total += gamma * float(len(cat) - np.bincount(cat[:, j][cat[:, j] >= 0]).max())
    return total


def _cost(est) -> float:
    return float(est.inertia_) if hasattr(est, "inertia_") else float(est.cost_)


def _estimator_name(est) -> str:
    return f"{type(est).__module__.split('.')[0]}.{type(est).__name__}"


def _modes(cat) -> np.ndarray:
    out = np.zeros(cat.shape[1], dtype=np.int64)
    for j in range(cat.shape[1]):
        col = cat[:, j][cat[:, j] >= 0]
        out[j] = int(np.argmax(np.bincount(col))) if len(col) else -1
    return out


def _cover_empty_clusters(label_map, raw_labels, estimator, categorical, gamma) -> np.ndarray:
    """A segment for every cluster of the estimator, also those no customer fell in.

    When a requested k collapses, some prototypes hold no training customer, yet a new
    customer can be nearest to one of them: such a cluster takes the segment of the held
    cluster whose prototype is nearest to its own (squared numeric distance plus gamma per
    categorical mismatch, as k-prototypes measures).
    """
    k = int(estimator.n_clusters)
    held = np.bincount(raw_labels, minlength=k) > 0
    out = np.full(k, -1, dtype=np.int64)
    out[:len(label_map)] = label_map
    if held.all():
        return out
    num, cat = _prototypes(estimator, categorical)
    dist = ((num[:, None, :] - num[None, :, :]) ** 2).sum(axis=2)
    if cat is not None:
        dist = dist + gamma * (cat[:, None, :] != cat[None, :, :]).sum(axis=2)
    dist[:, ~held] = np.inf
    for c in np.flatnonzero(~held):
        out[c] = out[int(np.argmin(dist[c]))]
    return out


def _prototypes(estimator, categorical) -> tuple[np.ndarray, np.ndarray | None]:
    """Numeric centres and categorical modes of a fitted k-means or k-prototypes estimator."""
    if hasattr(estimator, "cluster_centers_"):  # k-means: centres in the model matrix
        return np.asarray(estimator.cluster_centers_, dtype=float), None
    if hasattr(estimator, "cluster_modes_"):  # seglab's KPrototypes keeps them apart
        return np.asarray(estimator.cluster_centroids_, dtype=float), np.asarray(estimator.cluster_modes_)
    full = np.asarray(estimator.cluster_centroids_, dtype=float)  # kmodes: numeric then categorical columns
    cat_pos = list(categorical or [])
    keep = [j for j in range(full.shape[1]) if j not in cat_pos]
    return full[:, keep], full[:, cat_pos]


def _size_order(groups, raw_labels) -> np.ndarray:
    """Segment number of each raw cluster: groups by descending size, ties to the lower cluster."""
    sizes = np.bincount(groups[raw_labels], minlength=len(groups))
    order = sorted(np.unique(groups), key=lambda g: (-sizes[g], g))
    rank = {g: i for i, g in enumerate(order)}
    return np.array([rank[g] for g in groups], dtype=np.int64)


def _sizes_report(labels, names, min_share) -> dict:
    n = len(labels)
    counts = np.bincount(labels, minlength=max(names, default=-1) + 1)
    sizes = [{"segment": int(s), "name": names.get(int(s)), "n": int(c), "share": float(c / n)}
             for s, c in enumerate(counts) if c or s in names]
    small = [s["segment"] for s in sizes if s["share"] < min_share]
    return {"sizes": sizes, "smallest_share": float(min(s["share"] for s in sizes if s["n"]) if n else 0.0),
            "below_min_share": small}


def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def _klist(ks) -> str:
    return ", ".join(map(str, ks))


def _jsonable(obj):
    """Plain Python values only (numpy scalars become numbers, NaN becomes None)."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return None if not np.isfinite(obj) else float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj
