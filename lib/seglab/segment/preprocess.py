"""Turn the customer feature table into what a clustering model reads.

A clustering is only as repeatable as its preprocessing, so every fitted step
(imputation, log transforms, scaling, encoding and the numeric-vs-categorical
weight gamma) lives in one picklable transformer that is saved with the model:
``seglab assign`` then treats new customers exactly as the training customers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from seglab.errors import DataError, ParamsError, did_you_mean

#: A numeric column whose sample skewness exceeds this is log-transformed under
#: ``log_transform: auto`` (money columns such as income, monetary, aov, clv).
SKEW_THRESHOLD = 1.0

#: Transaction features used by default when present (besides the declared columns).
DEFAULT_RFM = ("recency", "frequency", "monetary")

GAMMA_RULES = {
    "variance_ratio": "clustMixType's lambdaest: mean variance of the scaled numeric columns / "
                      "mean concentration (1 - sum p^2) of the categorical columns, so that on "
                      "average a numeric and a categorical variable weigh the same",
    "huang": "Huang (1997): half the mean standard deviation of the scaled numeric columns",
}


# ------------------------------------------------------------ column choice

def column_kind(series: pd.Series) -> str:
    """``"numeric"``, ``"categorical"`` or ``"date"``: how a feature column is treated.

    Booleans, strings and categories are categorical; datetimes cannot be used
    directly (use a derived number such as ``tenure_days``).
    """
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "categorical"
    if pd.api.types.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.PeriodDtype):
        return "date"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    return "categorical"


def select_features(features: pd.DataFrame, wanted=(), *, declared=(), id_columns=("customer_id",)
                    ) -> tuple[list[str], list[str]]:
    """The numeric and the categorical columns the segmentation uses.

    ``wanted`` (``segmentation.features``) when given: every name must be a
    column. Otherwise the ``declared`` columns (``columns.numeric`` and
    ``columns.categorical``) plus recency, frequency and monetary, those that
    are present. Identifier columns are never features. The kind of a column
    comes from its dtype, see :func:`column_kind`.

    Raises
    ------
    ParamsError
        A named feature is not a column (with a "did you mean"), is a date, or
        no feature is left to segment on.
    """
    ids = set(id_columns)
    available = [c for c in features.columns if c not in ids]
    wanted = list(wanted)
    if wanted:
        for name in wanted:
            if name not in available:
                raise ParamsError(f"segmentation.features: unknown column '{name}'{did_you_mean(name, available)}")
    else:
        wanted = [c for c in dict.fromkeys([*declared, *DEFAULT_RFM]) if c in available]
        if not wanted:
            raise ParamsError("segmentation.features: none given and no declared numeric or categorical column "
                              "(nor recency/frequency/monetary) is in the feature table; list the columns to use")
    numeric, categorical = [], []
    for name in dict.fromkeys(wanted):
        kind = column_kind(features[name])
        if kind == "date":
            raise ParamsError(f"segmentation.features: '{name}' is a date column; use a number derived from it "
                              "(e.g. tenure_days or recency)")
        (numeric if kind == "numeric" else categorical).append(name)
    return numeric, categorical


# ------------------------------------------------------------ transformer

class MixedPreprocessor(TransformerMixin, BaseEstimator):
    """Impute, log-transform, robust-scale and encode a mixed feature table.

    Numeric columns: missing values take the training median; right-skewed
    columns get the signed log ``sign(x) * log1p(|x|)`` (a net refund stays
    negative instead of breaking the transform); then robust scaling
    ``(x - median) / IQR`` (the standard deviation when the IQR is 0, and 1
    when both are). Categorical columns: values are read as text,
    missing values take the training mode, categories are coded in sorted
    order and a category unseen in training gets code -1 (it matches no
    prototype).

    Parameters
    ----------
    numeric, categorical : list of str
        Column names by kind.
    log_transform : "auto" or list of str, default="auto"
        Numeric columns to log-transform; ``"auto"``: those with skewness
        above :data:`SKEW_THRESHOLD`.
    gamma : float or None, default=None
        Weight of one categorical mismatch against squared scaled numeric
        distance; estimated with ``gamma_rule`` when None.
    gamma_rule : {"variance_ratio", "huang"}, default="variance_ratio"
        How gamma is estimated, see :data:`GAMMA_RULES`.
    encoding : {"onehot", "codes"}, default="onehot"
        Output of :meth:`transform`: one-hot columns scaled by ``sqrt(gamma/2)``
        (so one mismatch adds exactly gamma to the squared Euclidean distance,
        as in k-prototypes) for k-means, or integer category codes kept as
        columns for k-prototypes.

    Attributes
    ----------
    medians_, modes_ : dict
        Imputation values per column.
    log_columns_ : list of str
    center_, scale_ : ndarray
        Robust scaling of the (log-transformed) numeric columns.
    categories_ : list of ndarray
        Sorted categories of each categorical column.
    gamma_ : float
    n_imputed_ : dict
        Training values imputed per column.
    """

    def __init__(self, numeric=(), categorical=(), *, log_transform="auto", gamma=None,
                 gamma_rule="variance_ratio", encoding="onehot"):
        self.numeric = numeric
        self.categorical = categorical
        self.log_transform = log_transform
        self.gamma = gamma
        self.gamma_rule = gamma_rule
        self.encoding = encoding

    def fit(self, X: pd.DataFrame, y=None):
        """Learn imputation values, transforms, scaling, categories and gamma."""
        numeric, categorical = list(self.numeric), list(self.categorical)
        if not numeric and not categorical:
            raise ValueError("MixedPreprocessor needs at least one numeric or categorical column")
        if self.encoding not in ("onehot", "codes"):
            raise ValueError(f"The 'encoding' parameter must be 'onehot' or 'codes'. Got {self.encoding!r} instead.")
        if self.gamma_rule not in GAMMA_RULES:
            raise ValueError(f"The 'gamma_rule' parameter must be one of {sorted(GAMMA_RULES)}. "
                             f"Got {self.gamma_rule!r} instead.")
        self.n_imputed_ = {}
        self.medians_ = {}
        for col in numeric:
            values = pd.to_numeric(X[col], errors="coerce").astype("float64")
            if values.notna().sum() == 0:
                raise DataError(f"feature '{col}' has no values; drop it from segmentation.features")
            self.medians_[col] = float(values.median())
            self.n_imputed_[col] = int(values.isna().sum())
        self.modes_ = {}
        self.categories_ = []
        for col in categorical:
            values = as_text(X[col])
            if values.notna().sum() == 0:
                raise DataError(f"feature '{col}' has no values; drop it from segmentation.features")
            counts = values.value_counts()
            # Most frequent, ties to the first in sorted order: deterministic.
            self.modes_[col] = str(sorted(counts.index[counts == counts.max()])[0])
            self.n_imputed_[col] = int(values.isna().sum())
            self.categories_.append(np.array(sorted(values.dropna().unique()), dtype=object))

        raw = self._impute_numeric(X, numeric)
        if self.log_transform == "auto":
            self.log_columns_ = [c for i, c in enumerate(numeric) if _skewness(raw[:, i]) > SKEW_THRESHOLD]
        else:
            unknown = [c for c in self.log_transform if c not in numeric]
            if unknown:
                raise ParamsError(f"segmentation.log_transform: '{unknown[0]}' is not a numeric feature; "
                                  f"numeric features: {', '.join(numeric) or 'none'}")
            self.log_columns_ = [c for c in numeric if c in self.log_transform]
        logged = self._log(raw, numeric)
        self.center_ = np.median(logged, axis=0) if numeric else np.zeros(0)
        q75, q25 = (np.percentile(logged, [75, 25], axis=0) if numeric else (np.zeros(0), np.zeros(0)))
        scale = q75 - q25
        std = logged.std(axis=0) if numeric else np.zeros(0)
        scale = np.where(scale > 0, scale, np.where(std > 0, std, 1.0))
        self.scale_ = scale

        num, cat = self._parts(logged, X)
        if self.gamma is not None:
            self.gamma_ = float(self.gamma)
        else:
            self.gamma_ = estimate_gamma(num, cat, rule=self.gamma_rule)
        self.n_features_in_ = len(numeric) + len(categorical)
        self.feature_names_in_ = np.array(numeric + categorical, dtype=object)
        return self

    def transform_parts(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """The scaled numeric matrix and the categorical code matrix of ``X``.

        This pair is the representation k-prototypes and the mixed distance
        (:func:`mixed_sq_distances`) work on.
        """
        check_is_fitted(self, "gamma_")
        missing = [c for c in self.feature_names_in_ if c not in X.columns]
        if missing:
            raise DataError(f"the data lacks feature column '{missing[0]}' that the model was fitted with; "
                            f"it needs: {', '.join(self.feature_names_in_)}")
        numeric = list(self.numeric)
        return self._parts(self._log(self._impute_numeric(X, numeric), numeric), X)

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """The model matrix: scaled numeric columns, then the encoded categories."""
        return self.model_matrix(*self.transform_parts(X))

    def model_matrix(self, num: np.ndarray, cat: np.ndarray) -> np.ndarray:
        """The model matrix from :meth:`transform_parts`' pair.

        ``onehot``: scaled numbers, then one-hot categories (k-means). ``codes``: scaled
        numbers, then category codes at :meth:`categorical_indices` (k-prototypes), with one
        constant column in front when there is no number, as k-prototypes engines need one
        numeric column (a constant adds no distance).
        """
        if self.encoding == "codes":
            if not len(self.numeric) and len(self.categorical):
                num = np.zeros((len(cat), 1))
            return np.hstack([num, cat.astype(np.float64)])
        return np.hstack([num, self.onehot(cat)])

    def categorical_indices(self) -> list[int]:
        """Positions of the categorical columns in :meth:`model_matrix` (``codes`` encoding)."""
        n_num = len(self.numeric) or (1 if len(self.categorical) else 0)
        return list(range(n_num, n_num + len(self.categorical)))

    def onehot_names(self) -> list[str]:
        """Names of the one-hot columns, ``column=category``."""
        return [f"{col}={cat}" for col, cats in zip(self.categorical, self.categories_) for cat in cats]

    def describe(self) -> dict:
        """How the features were prepared, for the segmentation report."""
        check_is_fitted(self, "gamma_")
        transforms = {c: ("signed log1p, robust scale" if c in self.log_columns_ else "robust scale")
                      for c in self.numeric}
        transforms.update({c: ("one-hot x sqrt(gamma/2)" if self.encoding == "onehot" else "category codes")
                           for c in self.categorical})
        return {
            "numeric": list(self.numeric),
            "categorical": list(self.categorical),
            "transforms": transforms,
            "log_transformed": list(self.log_columns_),
            "log_rule": ("sign(x) * log1p(|x|) on " + (f"numeric features with skewness > {SKEW_THRESHOLD}"
                         if self.log_transform == "auto" else "the columns listed in segmentation.log_transform")),
            "scaling": "robust: (x - median) / IQR (std when the IQR is 0)",
            "imputation": {"numeric": "training median", "categorical": "training mode",
                           "values": {**{c: v for c, v in self.medians_.items()}, **self.modes_},
                           "imputed_in_training": {c: n for c, n in self.n_imputed_.items() if n}},
            "unseen_categories": "code -1: matches no prototype (k-prototypes) / all-zero one-hot (k-means)",
        }

    # ------------------------------------------------------------ workers

    def _impute_numeric(self, X, numeric) -> np.ndarray:
        out = np.empty((len(X), len(numeric)), dtype=np.float64)
        for i, col in enumerate(numeric):
            values = pd.to_numeric(X[col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            out[:, i] = np.where(np.isfinite(values), values, self.medians_[col])
        return out

    def _log(self, raw, numeric) -> np.ndarray:
        out = raw.copy()
        for i, col in enumerate(numeric):
            if col in self.log_columns_:
                out[:, i] = np.sign(out[:, i]) * np.log1p(np.abs(out[:, i]))
        return out

    def _parts(self, logged, X) -> tuple[np.ndarray, np.ndarray]:
        num = (logged - self.center_) / self.scale_ if logged.shape[1] else logged
        cat = np.empty((len(X), len(self.categorical)), dtype=np.int64)
        for j, col in enumerate(self.categorical):
            values = as_text(X[col]).fillna(self.modes_[col])
            cat[:, j] = pd.Categorical(values, categories=self.categories_[j]).codes
        return np.ascontiguousarray(num), cat

    def onehot(self, cat) -> np.ndarray:
        """One-hot columns of category codes, scaled by ``sqrt(gamma/2)``; unseen codes (-1) are all zero."""
        width = sum(len(c) for c in self.categories_)
        out = np.zeros((cat.shape[0], width), dtype=np.float64)
        weight = np.sqrt(self.gamma_ / 2.0)
        offset = 0
        rows = np.arange(cat.shape[0])
        for j, cats in enumerate(self.categories_):
            known = cat[:, j] >= 0
            out[rows[known], offset + cat[known, j]] = weight
            offset += len(cats)
        return out


# ------------------------------------------------------------ gamma and distance

def estimate_gamma(num: np.ndarray, cat: np.ndarray, *, rule: str = "variance_ratio") -> float:
    """The numeric-vs-categorical weight gamma of k-prototypes.

    Parameters
    ----------
    num : ndarray of shape (n, p)
        Scaled numeric features.
    cat : ndarray of shape (n, q)
        Category codes.
    rule : {"variance_ratio", "huang"}
        See :data:`GAMMA_RULES`. ``variance_ratio`` (the default) makes the
        expected contribution of a random pair of customers equal per numeric
        and per categorical variable.

    Returns 1.0 when either part is empty (gamma then has no effect).
    """
    if num.shape[1] == 0 or cat.shape[1] == 0:
        return 1.0
    if rule == "huang":
        value = 0.5 * float(np.mean(num.std(axis=0)))
    else:
        concentration = []
        for j in range(cat.shape[1]):
            p = np.bincount(cat[:, j][cat[:, j] >= 0]) / max(1, int((cat[:, j] >= 0).sum()))
            concentration.append(1.0 - float(np.sum(p ** 2)))
        mean_conc = float(np.mean(concentration))
        value = float(np.mean(num.var(axis=0, ddof=1))) / mean_conc if mean_conc > 0 else 1.0
    return value if np.isfinite(value) and value > 0 else 1.0


def mixed_sq_distances(num_a, cat_a, num_b, cat_b, gamma: float) -> np.ndarray:
    """Squared k-prototypes dissimilarity between rows of A and rows of B.

    ``||a_num - b_num||^2 + gamma * (number of categorical mismatches)``. For
    the k-means encoding (one-hot scaled by ``sqrt(gamma/2)``) this is exactly
    the squared Euclidean distance, so both methods share one distance.
    """
    d = (np.einsum("ij,ij->i", num_a, num_a)[:, None] + np.einsum("ij,ij->i", num_b, num_b)[None, :]
         - 2.0 * num_a @ num_b.T) if num_a.shape[1] else np.zeros((len(num_a), len(num_b)))
    np.maximum(d, 0, out=d)
    for j in range(cat_a.shape[1]):
        d += gamma * (cat_a[:, j][:, None] != cat_b[:, j][None, :])
    return d


def as_text(series: pd.Series) -> pd.Series:
    """Categorical values as text (``str`` dtype), missing values kept missing."""
    return series.astype("str")


def _skewness(values: np.ndarray) -> float:
    return float(pd.Series(values).skew()) if len(values) > 2 else 0.0
