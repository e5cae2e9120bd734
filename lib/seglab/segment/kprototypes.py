"""Vectorised k-prototypes for mixed numeric/categorical customer data.

kmodes' ``KPrototypes`` moves customers one at a time in Python (about 23 µs per
customer per iteration), which makes bases of 10^5-10^6 customers take hours.
This module minimises the same Huang cost with batch (Lloyd) updates in NumPy,
over bounded-memory chunks, so such bases cluster in seconds. Here is the
scikit-learn API (validation, encoding); the hot loops are in ``_kprototypes_kernel``.
"""

import numbers
import warnings

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted, validate_data
from threadpoolctl import ThreadpoolController

from seglab.segment._kprototypes_kernel import (
    Prototypes,
    assign_pass,
    bucket_pass,
    bucketed_lloyd,
    init_cao_modes,
    init_huang_modes,  # noqa: F401  (tests compare it with kmodes' init_huang)
    kprototypes_single,
    merge_stats,
    prototype_distances,
)

__all__ = ["KPrototypes", "BucketPasses", "bucket_pass", "combine_passes", "k_prototypes"]

# Rows per chunk of the assignment pass (for up to 8 clusters; fewer rows for
# more clusters): the (n_clusters, rows) distance block and the chunk of data
# stay in cache, memory stays bounded at any n_samples. Measured at 1M rows:
# 16k rows 33 ns/row per pass, 64k rows 39 ns/row. Each _Data carries it to
# the kernel.
_CHUNK_ROWS = 16384
# Categorical columns are packed into composite codes whose mismatch table has
# at most this many entries (fits in L1/L2), so one gather scores several columns.
_MAX_COMBOS = 4096
_INIT_METHODS = ("cao", "huang", "random", "k-means++")
_THREADPOOLS = []  # a ThreadpoolController, created on first fit (library discovery is slow)


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


class KPrototypes(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """k-prototypes clustering of mixed numeric and categorical data.

    Minimises Huang's cost, the sum over customers of the squared Euclidean
    distance to their cluster's numeric centroid plus ``gamma`` times the
    number of categorical columns that differ from the cluster's modes: the
    same cost kmodes' ``KPrototypes`` reports as ``cost_``. Iterations are
    batch (Lloyd) updates: assign every customer, then recompute numeric
    means and categorical modes by counting.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters, at least 2.
    init : {'cao', 'huang', 'random', 'k-means++'} or list of two arrays, default='cao'
        Initial centroids (names are case-insensitive, so kmodes' ``'Cao'``
        works too).

        - ``'cao'``: categorical modes by Cao et al.'s density method, the
          same rows kmodes picks; numeric centroids drawn as
          ``mean + randn * std`` from the same random stream as kmodes, so
          kmodes and seglab start identically for the same ``random_state``.
        - ``'huang'``: kmodes' Huang draw (frequency sampling, then nearest
          distinct row); numeric part as for ``'cao'``.
        - ``'random'``: ``n_clusters`` distinct rows.
        - ``'k-means++'``: greedy k-means++ seeding under the mixed distance.
        - ``[numeric, categorical]`` (a list or tuple, kmodes' form):
          explicit starting centroids of shapes ``(n_clusters, n_numeric)``
          and ``(n_clusters, n_categorical)``, the categorical part in
          original category values (kmodes takes its internal codes; the two
          coincide when categories are the integers ``0..m-1``). An ndarray
          of shape ``(n_clusters, n_features)`` in the column order of ``X``
          is accepted too. Only one initialisation is then run.

        For 'cao' and 'huang', as in kmodes, a start that leaves a cluster
        empty is redrawn (up to 20 times) before empty clusters are reseeded.
    n_init : int, default=4
        Number of initialisations; the run with the lowest cost is kept.
    max_iter : int, default=100
        Maximum number of assignment/update iterations per run.
    tol : float, default=1e-5
        A run stops when an iteration moves no customer, or lowers the cost
        by no more than ``tol`` times the previous cost. ``tol=0`` is kmodes'
        rule (stop when the cost stops decreasing); the default cuts off long
        tails where a few hundred customers per iteration drift between two
        clusters for a gain of about 1e-6 of the cost each time.
    gamma : float or None, default=None
        Weight of one categorical mismatch against squared numeric distance
        (0 ignores the categorical columns when assigning, as in kmodes).
        None estimates it by Huang's rule as kmodes does: half the mean of
        the numeric columns' standard deviations (``ddof=0``); 1.0 when there
        are no numeric columns. The value used is ``gamma_``.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisations (one seed per run, drawn as kmodes does).
    n_jobs : int or None, default=None
        Runs the ``n_init`` initialisations in this many threads (the hot
        loop is NumPy calls that release the GIL; threads need no copies of
        the data). None means 1, -1 all cores.

    Attributes
    ----------
    cluster_centroids_ : ndarray of shape (n_clusters, n_numeric)
        Numeric centroids (cluster means), in the units of ``X``. Unlike
        kmodes' attribute of the same name, this holds the numeric part only;
        ``np.hstack([cluster_centroids_, cluster_modes_])`` gives kmodes'
        combined layout.
    cluster_modes_ : ndarray of shape (n_clusters, n_categorical)
        Categorical modes, in original category values (object dtype unless
        all categorical columns share one dtype). Ties go to the category
        that sorts first (for a pandas categorical, first in its dtype's
        order).
    labels_ : ndarray of shape (n_samples,), dtype int64
        Cluster of each training customer; equals ``predict`` on the
        training data.
    cost_ : float
        Huang cost of ``labels_`` against the final centroids.
    n_iter_ : int
        Iterations of the best run after the initial assignment (kmodes
        counts the same way).
    gamma_ : float
        Weight used for categorical mismatches.
    categories_ : list of ndarray
        Sorted categories seen in fit, one array per categorical column.
    categorical_ : ndarray of int
        Positions in ``X`` of the categorical columns.
    n_features_in_ : int
        Number of columns of ``X``.
    feature_names_in_ : ndarray of str
        Column names, when ``X`` was a DataFrame with string column names.

    Notes
    -----
    Categorical columns are found by dtype in a DataFrame (object, string,
    category and bool columns) unless ``categorical`` names them; a 2-D
    array is numeric except the columns ``categorical`` lists, as in kmodes'
    ``fit(X, categorical=[...])``. Missing values are rejected (impute first).
    A category not seen in fit counts as a mismatch with every mode.

    From the same start, these batch updates and kmodes' one-customer-at-a-
    time moves usually end at the same clustering; on heavily overlapping
    data they can end in different local optima, either one lower, with
    equal costs on average.

    A cluster left empty during iteration is reseeded with the customer
    farthest from its centroid (taken from a cluster with more than one
    member); kmodes moves a random member of the largest cluster instead.
    """

    def __init__(
        self,
        n_clusters=8,
        *,
        init="cao",
        n_init=4,
        max_iter=100,
        tol=1e-5,
        gamma=None,
        random_state=None,
        n_jobs=None,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.gamma = gamma
        self.random_state = random_state
        self.n_jobs = n_jobs

    # -- fitting ---------------------------------------------------------

    def fit(self, X, y=None, categorical=None, buckets=None, passes=None):
        """Cluster ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Customers. Numeric columns must be finite; categorical columns
            may hold any hashable values, without missing values.
        y : None
            Ignored.
        categorical : int, str or sequence of them, default=None
            Categorical columns: positions (arrays and DataFrames) or names
            (DataFrames). None means by dtype for a DataFrame and none for an
            array.
        buckets : list of arrays of row positions, optional
            With an explicit ``init``: run the iterations as passes over these buckets of rows,
            their statistics added in this order (:class:`BucketPasses`), so that the result
            does not depend on where the passes run.
        passes : callable, optional
            ``passes(data, layout, buckets)`` gives the runner of those passes; default
            :class:`BucketPasses` (in this process). ``seglab.compute.lloyd`` runs them on a
            Dask cluster.

        Returns
        -------
        self : KPrototypes
        """
        self._check_params()
        cat_pos, xnum, cat_values = self._split_input(X, categorical, reset=True)
        n_samples = xnum.shape[0]
        if n_samples < self.n_clusters:
            raise ValueError(f"n_samples={n_samples} should be >= n_clusters={self.n_clusters}.")

        codes, categories = [], []
        for values, pos in zip(cat_values, cat_pos):
            col_codes, col_categories = _factorize(values, self._column_name(pos))
            codes.append(col_codes)
            categories.append(col_categories)
        self.categorical_ = cat_pos
        self.categories_ = categories
        self._num_pos = np.setdiff1d(np.arange(self.n_features_in_), cat_pos)
        self._layout = _CatLayout([len(c) for c in categories])
        # mean/std exactly as kmodes computes them (gamma and the numeric start).
        mean, std = (xnum.mean(axis=0), xnum.std(axis=0)) if xnum.shape[1] else (np.zeros(0), None)
        self._num_mean = mean
        if self.gamma is not None:
            self.gamma_ = float(self.gamma)
        elif xnum.shape[1]:
            self.gamma_ = float(0.5 * np.mean(std))
            if self.gamma_ == 0.0 and cat_pos.size:
                warnings.warn(
                    "gamma estimated as 0 because every numeric column is constant: the categorical "
                    "columns will not affect the clustering. Pass gamma= to weight them.",
                    UserWarning,
                    stacklevel=2,
                )
        else:
            self.gamma_ = 1.0

        data = _Data.build(xnum, mean, self._layout.composite(codes))
        del xnum, codes, cat_values  # the encoded copy is all the runs need
        init, n_init = self._resolve_init(data.p)
        random_state = check_random_state(self.random_state)
        seeds = random_state.randint(np.iinfo(np.int32).max, size=n_init)
        cao_modes = None
        if isinstance(init, str) and init == "cao":
            cao_modes = init_cao_modes(data, self._layout, self.n_clusters)
        stats = (mean, std) if data.p else None

        if buckets is not None:
            if not isinstance(init, tuple):
                raise ValueError("buckets need an explicit init (centroids and modes)")
            runner = (passes or BucketPasses)(data, self._layout, buckets)
            centers, modes, cost, n_iter = bucketed_lloyd(runner, self._layout, *init, self.gamma_,
                                                          self.max_iter, self.tol)
            labels = runner.labels(data.n)
        else:
            # One BLAS thread per run: the matmuls are tiny and runs share the cores.
            with _blas_controller().limit(limits=1, user_api="blas"):
                runs = Parallel(n_jobs=self.n_jobs, prefer="threads")(
                    delayed(kprototypes_single)(
                        data, self._layout, self.n_clusters, init, cao_modes, stats,
                        self.gamma_, self.max_iter, self.tol, seed,
                    )
                    for seed in seeds
                )
            run = runs[min(range(len(runs)), key=lambda i: runs[i].cost)]
            centers, modes, labels, cost, n_iter = run.centers, run.modes, run.labels, run.cost, run.n_iter

        self._centers = centers
        self._modes = modes
        self.labels_ = labels
        self.cost_ = float(cost)
        self.n_iter_ = n_iter
        self.cluster_centroids_ = centers + self._num_mean
        self.cluster_modes_ = _decode_modes(modes, categories)
        self._n_features_out = self.n_clusters
        n_distinct = int(np.count_nonzero(np.bincount(labels, minlength=self.n_clusters)))
        if n_distinct < self.n_clusters:
            warnings.warn(
                f"Number of distinct clusters ({n_distinct}) found smaller than "
                f"n_clusters ({self.n_clusters}). Possibly due to duplicate points in X.",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def fit_predict(self, X, y=None, categorical=None):
        """Fit and return ``labels_``; see :meth:`fit`."""
        return self.fit(X, categorical=categorical).labels_

    def fit_transform(self, X, y=None, categorical=None):
        """Fit and return the mixed distances of ``X``; see :meth:`transform`."""
        return self.fit(X, categorical=categorical).transform(X)

    # -- using a fitted model ----------------------------------------------

    def predict(self, X, categorical=None):
        """Nearest cluster of each customer under the mixed distance.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Same columns as in fit.
        categorical : ignored unless given, then must match fit
            Accepted so calls written for kmodes keep working.

        Returns
        -------
        labels : ndarray of shape (n_samples,), dtype int64
        """
        check_is_fitted(self)
        data = self._encode_new(X, categorical)
        labels = np.empty(data.n, dtype=np.intp)
        assign_pass(data, Prototypes(self._centers, self._modes, self._layout, self.gamma_), labels)
        return labels

    def transform(self, X, categorical=None):
        """Mixed distance of each customer to each cluster.

        The distance is the one the cost sums: squared Euclidean distance to
        the numeric centroid plus ``gamma_`` times the number of mismatching
        categorical columns (unseen categories mismatch).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Same columns as in fit.
        categorical : ignored unless given, then must match fit

        Returns
        -------
        distances : ndarray of shape (n_samples, n_clusters)
        """
        check_is_fitted(self)
        data = self._encode_new(X, categorical)
        return prototype_distances(data, Prototypes(self._centers, self._modes, self._layout, self.gamma_))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Categorical columns come through a DataFrame or categorical=; an
        # array without categorical= is numeric, so not 'string' input.
        tags.input_tags.categorical = True
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        return tags

    # -- validation and encoding -------------------------------------------

    def _check_params(self):
        _check_int("n_clusters", self.n_clusters, 2)
        _check_int("n_init", self.n_init, 1)
        _check_int("max_iter", self.max_iter, 1)
        _check_real("tol", self.tol, 0.0, closed_low=True)
        if self.gamma is not None:
            _check_real("gamma", self.gamma, 0.0, closed_low=True, allow_none=True)
        if isinstance(self.init, str):
            if self.init.lower() not in _INIT_METHODS:
                raise ValueError(
                    f"The 'init' parameter of KPrototypes must be a str among "
                    f"{{{', '.join(repr(m) for m in _INIT_METHODS)}}} or a list of two "
                    f"arrays [numeric, categorical]. Got {self.init!r} instead."
                )
        elif not isinstance(self.init, (list, tuple, np.ndarray)):
            raise TypeError(
                "The 'init' parameter of KPrototypes must be a str among "
                f"{{{', '.join(repr(m) for m in _INIT_METHODS)}}} or a list of two arrays "
                f"[numeric, categorical]. Got {self.init!r} instead."
            )
        if self.n_jobs is not None and (
            not isinstance(self.n_jobs, numbers.Integral) or isinstance(self.n_jobs, bool) or self.n_jobs == 0
        ):
            raise ValueError(
                f"The 'n_jobs' parameter of KPrototypes must be None or a non-zero int. Got {self.n_jobs!r} instead."
            )
        if not (self.random_state is None or isinstance(self.random_state, (numbers.Integral, np.random.RandomState))):
            raise ValueError(
                "The 'random_state' parameter of KPrototypes must be None, an int or a "
                f"numpy RandomState. Got {self.random_state!r} instead."
            )

    def _resolve_init(self, n_numeric):
        """Return (init, n_init): a method name, or explicit (centers, modes)."""
        if isinstance(self.init, str):
            return self.init.lower(), self.n_init
        centers, modes = self._explicit_init(n_numeric)
        if self.n_init != 1:
            warnings.warn(
                f"Explicit initial centroids passed: performing only one init in KPrototypes "
                f"instead of n_init={self.n_init}.",
                RuntimeWarning,
                stacklevel=3,
            )
        return (centers, modes), 1

    def _explicit_init(self, n_numeric):
        k, n_cat = self.n_clusters, len(self.categories_)
        init = self.init
        if isinstance(init, (list, tuple)):  # kmodes' [numeric, categorical]
            if len(init) != 2:
                raise ValueError(
                    "The 'init' parameter of KPrototypes must be a list of two arrays [numeric, categorical] "
                    f"when given as a list. Got a list of length {len(init)} instead."
                )
            num = np.asarray(init[0], dtype=np.float64)
            cat = np.asarray(init[1], dtype=object) if init[1] is not None else np.empty((k, 0), dtype=object)
            if num.ndim == 1:  # kmodes accepts one numeric column as a vector
                num = num[:, None]
            if cat.ndim == 1:
                cat = cat[:, None]
        else:
            full = np.asarray(init, dtype=object)
            if full.ndim != 2 or full.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"The 'init' array of KPrototypes must have shape (n_clusters, n_features)="
                    f"({k}, {self.n_features_in_}). Got shape {full.shape} instead."
                )
            num, cat = full[:, self._num_pos].astype(np.float64), full[:, self.categorical_]
        if num.shape != (k, n_numeric):
            raise ValueError(
                f"init[0] (numeric centroids) has shape {num.shape}; "
                f"expected (n_clusters, n_numeric)=({k}, {n_numeric})."
            )
        if cat.shape != (k, n_cat):
            raise ValueError(
                f"init[1] (categorical modes) has shape {cat.shape}; "
                f"expected (n_clusters, n_categorical)=({k}, {n_cat})."
            )
        if not np.isfinite(num).all():
            raise ValueError("init[0] (numeric centroids) contains NaN or infinity.")
        modes = np.empty((k, n_cat), dtype=np.intp)
        for j, cats in enumerate(self.categories_):
            idx = pd.Index(cats).get_indexer(pd.Index(cat[:, j]))
            if (idx < 0).any():
                bad = cat[np.flatnonzero(idx < 0)[0], j]
                raise ValueError(
                    f"init[1] holds {bad!r} for categorical column {self._column_name(self.categorical_[j])!r}, "
                    "which is not a category of the training data."
                )
            modes[:, j] = idx
        return num - self._num_mean, modes

    def _column_name(self, pos):
        names = getattr(self, "feature_names_in_", None)
        return str(names[pos]) if names is not None else f"column {pos}"

    def _split_input(self, X, categorical, reset):
        """Validate X; return (categorical positions, numeric float64 block, categorical columns)."""
        if sparse.issparse(X):
            raise TypeError("KPrototypes does not support sparse input; pass a dense array or a DataFrame.")
        if isinstance(X, pd.DataFrame):
            if X.shape[0] == 0:
                raise ValueError(f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is required.")
            validate_data(self, X, reset=reset, skip_check_array=True)
            cat_pos = self._frame_categorical(X, categorical) if reset else self.categorical_
            num_pos = np.setdiff1d(np.arange(X.shape[1]), cat_pos)
            xnum = np.empty((X.shape[0], num_pos.size), dtype=np.float64)
            for out_j, pos in enumerate(num_pos):
                col = X.iloc[:, pos]
                if not pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_complex_dtype(col.dtype):
                    raise ValueError(
                        f"Column {X.columns[pos]!r} has dtype {col.dtype} but is not categorical; "
                        "convert it to numbers or list it in categorical=."
                    )
                xnum[:, out_j] = col.to_numpy(dtype=np.float64, na_value=np.nan)
            cat_values = [X.iloc[:, pos] for pos in cat_pos]
            names = [str(c) for c in X.columns]
        else:
            X = check_array(X, dtype=None, ensure_all_finite=False, estimator=self)
            validate_data(self, X, reset=reset, skip_check_array=True)
            if reset:
                cat_pos = _array_categorical(categorical, X.shape[1])
            else:
                cat_pos = self.categorical_
            num_pos = np.setdiff1d(np.arange(X.shape[1]), cat_pos)
            xnum = X[:, num_pos]
            if xnum.dtype != np.float64:
                try:
                    xnum = xnum.astype(np.float64)
                except (TypeError, ValueError) as exc:
                    raise type(exc)(
                        f"Numeric columns of X must hold numbers ({exc}); list categorical columns in categorical=."
                    ) from exc
            cat_values = [X[:, pos] for pos in cat_pos]
            names = [f"column {pos}" for pos in range(X.shape[1])]
        if not reset and categorical is not None:
            given = (
                self._frame_categorical(X, categorical) if isinstance(X, pd.DataFrame)
                else _array_categorical(categorical, X.shape[1])
            )
            if not np.array_equal(given, self.categorical_):
                raise ValueError(
                    f"categorical={categorical!r} differs from the categorical columns seen in fit "
                    f"(positions {self.categorical_.tolist()})."
                )
        finite = np.isfinite(xnum).all(axis=0)
        if not finite.all():
            bad = names[num_pos[np.flatnonzero(~finite)[0]]]
            raise ValueError(
                f"Input contains NaN or infinity in numeric column {bad!r}; "
                "impute or drop missing values before clustering."
            )
        return cat_pos, np.ascontiguousarray(xnum), cat_values

    @staticmethod
    def _frame_categorical(X, categorical):
        columns = list(X.columns)
        if categorical is None:
            cat_pos = []
            for pos, dtype in enumerate(X.dtypes):
                if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
                    if not (
                        isinstance(dtype, pd.CategoricalDtype)
                        or pd.api.types.is_bool_dtype(dtype)
                        or pd.api.types.is_object_dtype(dtype)
                        or pd.api.types.is_string_dtype(dtype)
                    ):
                        raise ValueError(
                            f"Column {columns[pos]!r} has dtype {dtype}, which is neither numeric nor "
                            "categorical; convert it or pass categorical= explicitly."
                        )
                    cat_pos.append(pos)
            return np.asarray(cat_pos, dtype=np.intp)
        items = [categorical] if np.isscalar(categorical) else list(categorical)
        cat_pos = []
        for item in items:
            if item in columns:
                cat_pos.append(columns.index(item))
            elif isinstance(item, numbers.Integral) and not isinstance(item, bool) and 0 <= item < len(columns):
                cat_pos.append(int(item))
            else:
                raise ValueError(f"categorical names {item!r}, which is not a column of X.")
        return np.unique(np.asarray(cat_pos, dtype=np.intp))

    def _encode_new(self, X, categorical):
        """Encode data for predict/transform with the fitted columns and categories."""
        _, xnum, cat_values = self._split_input(X, categorical, reset=False)
        codes = []
        for j, values in enumerate(cat_values):
            name = self._column_name(self.categorical_[j])
            if pd.isna(values).any():
                raise ValueError(f"Input contains missing values in categorical column {name!r}; impute them first.")
            idx = pd.Index(self.categories_[j]).get_indexer(values)
            idx[idx < 0] = len(self.categories_[j])  # unseen: the sentinel code, never a mode
            codes.append(idx.astype(np.intp, copy=False))
        return _Data.build(xnum, self._num_mean, self._layout.composite(codes))


def k_prototypes(X, n_clusters, *, categorical=None, init="cao", n_init=4, max_iter=100,
                 tol=1e-5, gamma=None, random_state=None, n_jobs=None):
    """Cluster mixed data with k-prototypes; functional form of :class:`KPrototypes`.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_features)
        Customers; see :meth:`KPrototypes.fit`.
    n_clusters : int
        Number of clusters, at least 2.
    categorical : int, str or sequence of them, default=None
        Categorical columns; see :meth:`KPrototypes.fit`.
    init, n_init, max_iter, tol, gamma, random_state, n_jobs
        As for :class:`KPrototypes`.

    Returns
    -------
    centroids : ndarray of shape (n_clusters, n_numeric)
    modes : ndarray of shape (n_clusters, n_categorical)
    labels : ndarray of shape (n_samples,)
    cost : float
    """
    est = KPrototypes(
        n_clusters, init=init, n_init=n_init, max_iter=max_iter, tol=tol, gamma=gamma,
        random_state=random_state, n_jobs=n_jobs,
    ).fit(X, categorical=categorical)
    return est.cluster_centroids_, est.cluster_modes_, est.labels_, est.cost_


# --------------------------------------------------------------------------
# Parameter and column helpers
# --------------------------------------------------------------------------


def _blas_controller():
    if not _THREADPOOLS:
        _THREADPOOLS.append(ThreadpoolController())
    return _THREADPOOLS[0]


def _check_int(name, value, low):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
        raise ValueError(
            f"The '{name}' parameter of KPrototypes must be an int in the range [{low}, inf). Got {value!r} instead."
        )


def _check_real(name, value, low, closed_low, allow_none=False):
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
    ok = ok and (value >= low if closed_low else value > low)
    if not ok:
        bracket = "[" if closed_low else "("
        extra = " or None" if allow_none else ""
        raise ValueError(
            f"The '{name}' parameter of KPrototypes must be a float in the range {bracket}{low}, inf){extra}. "
            f"Got {value!r} instead."
        )


def _array_categorical(categorical, n_features):
    """Positions of categorical columns of an array, as kmodes' ``categorical=``."""
    if categorical is None:
        return np.zeros(0, dtype=np.intp)
    items = [categorical] if np.isscalar(categorical) else list(categorical)
    for item in items:
        if not isinstance(item, numbers.Integral) or isinstance(item, bool) or not 0 <= item < n_features:
            raise ValueError(
                f"categorical must hold column positions in [0, {n_features - 1}] for an array input; "
                f"got {item!r}. Column names need a DataFrame."
            )
    return np.unique(np.asarray(items, dtype=np.intp))


def _factorize(values, name):
    """Integer codes in sorted-category order (kmodes' encoding) and the categories."""
    codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
    if (codes < 0).any():
        raise ValueError(f"Input contains missing values in categorical column {name!r}; impute them first.")
    return codes.astype(np.intp, copy=False), np.asarray(uniques)


def _decode_modes(modes, categories):
    k = modes.shape[0]
    columns = [cats[modes[:, j]] for j, cats in enumerate(categories)]
    dtypes = {c.dtype for c in columns}
    dtype = dtypes.pop() if len(dtypes) == 1 else object
    out = np.empty((k, len(columns)), dtype=dtype)
    for j, col in enumerate(columns):
        out[:, j] = col
    return out


# --------------------------------------------------------------------------
# Encoded data: the layout the hot loop works on
# --------------------------------------------------------------------------


class _CatLayout:
    """Packs categorical codes into composite codes, a few columns per code.

    Each column gets radix ``n_categories + 1``; the extra code stands for a
    category unseen in fit and never equals a mode.
    """

    def __init__(self, n_categories):
        self.n_categories = list(n_categories)
        self.groups = []  # (column indices, radices, multipliers, digits of each combo)
        cols, prod = [], 1
        for j, n_cat in enumerate(self.n_categories):
            if cols and prod * (n_cat + 1) > _MAX_COMBOS:
                self._add_group(cols)
                cols, prod = [], 1
            cols.append(j)
            prod *= n_cat + 1
        if cols:
            self._add_group(cols)

    def _add_group(self, cols):
        radices = np.array([self.n_categories[j] + 1 for j in cols], dtype=np.intp)
        mults = np.ones_like(radices)
        mults[:-1] = np.cumprod(radices[::-1])[::-1][1:]
        digits = np.indices(tuple(radices)).reshape(len(cols), -1).T
        self.groups.append((np.asarray(cols), radices, mults, np.ascontiguousarray(digits)))

    def composite(self, codes):
        """Per group, composite codes of the rows from per-column codes."""
        out = []
        for cols, _, mults, _ in self.groups:
            code = codes[cols[0]] * mults[0]
            for j, mult in zip(cols[1:], mults[1:]):
                code += codes[j] * mult
            out.append(code)
        return out

    def column_codes(self, composite, j):
        """Codes of categorical column ``j`` recovered from composite codes."""
        for g, (cols, radices, mults, _) in enumerate(self.groups):
            hit = np.flatnonzero(cols == j)
            if hit.size:
                t = hit[0]
                return (composite[g] // mults[t]) % radices[t]
        raise IndexError(j)

    def row_codes(self, composite, rows):
        """Categorical codes (rows, n_categorical) of some rows."""
        out = np.empty((len(rows), len(self.n_categories)), dtype=np.intp)
        for g, (cols, radices, mults, _) in enumerate(self.groups):
            code = composite[g][rows]
            out[:, cols] = (code[:, None] // mults) % radices
        return out

    def mismatch_tables(self, modes, weight):
        """Per group, ``weight`` x number of mismatching columns, shape (k, combos)."""
        tables = []
        for cols, _, _, digits in self.groups:
            counts = (digits[None, :, :] != modes[:, None, cols]).sum(axis=2)
            tables.append(np.ascontiguousarray(weight * counts, dtype=np.float64))
        return tables


class BucketPasses:
    """Assignment passes over buckets of rows in this process; statistics added in bucket order.

    The local runner of :func:`bucketed_lloyd`; ``seglab.compute.lloyd.DaskPasses`` is the
    same on a cluster. Each bucket keeps its rows in the order given.
    """

    def __init__(self, data, layout, buckets):
        self.layout = layout
        self.rows = [np.asarray(b, dtype=np.intp) for b in buckets]
        self.parts = [data.subset(rows) for rows in self.rows]
        self.current = [np.full(len(rows), -1, dtype=np.intp) for rows in self.rows]

    def __call__(self, proto):
        results = [bucket_pass(part, self.layout, proto, lab) for part, lab in zip(self.parts, self.current)]
        return combine_passes(results, proto.k, self.parts[0].p if self.parts else 0, self.layout)

    def labels(self, n):
        """Labels of all rows (of the last pass), in row order."""
        out = np.full(n, -1, dtype=np.intp)
        for rows, lab in zip(self.rows, self.current):
            out[rows] = lab
        return out


def combine_passes(results, k, p, layout):
    """One pass's (statistics, cost, moves) from the buckets' results, in bucket order."""
    stats = merge_stats([r[0] for r in results], k, p, layout)
    return stats, float(sum(r[1] for r in results)), int(sum(r[2] for r in results))


class _Data:
    """Training or prediction data encoded for the assignment pass."""

    __slots__ = ("xa", "codes", "n", "p", "sqnorm_sum", "chunk_rows")

    @classmethod
    def build(cls, xnum, mean, codes):
        self = cls()
        self.n, self.p = xnum.shape
        # Centred numeric columns (accurate expanded distances) plus a column
        # of ones that carries |c|^2 through the matmul; column-major so each
        # column is contiguous for bincount.
        self.xa = np.empty((self.n, self.p + 1), dtype=np.float64, order="F")
        np.subtract(xnum, mean, out=self.xa[:, : self.p])
        self.xa[:, self.p] = 1.0
        self.sqnorm_sum = float(np.einsum("ij,ij->", self.xa[:, : self.p], self.xa[:, : self.p]))
        self.codes = codes
        self.chunk_rows = _CHUNK_ROWS
        return self

    def subset(self, rows):
        """The given rows, in that order (a bucket of :class:`BucketPasses`)."""
        part = type(self)()
        part.n, part.p = len(rows), self.p
        part.xa = np.asfortranarray(self.xa[rows])
        part.sqnorm_sum = float(np.einsum("ij,ij->", part.xa[:, : self.p], part.xa[:, : self.p]))
        part.codes = [c[rows] for c in self.codes]
        part.chunk_rows = self.chunk_rows
        return part
