"""Feature choice and the saved preprocessing: imputation, logs, scaling, encoding, gamma."""


import numpy as np
import pandas as pd
import pytest
from seglab.errors import DataError, ParamsError
from seglab.segment.preprocess import (
    MixedPreprocessor,
    column_kind,
    estimate_gamma,
    mixed_sq_distances,
    select_features,
)
from sklearn.base import clone


def select(table, features=(), numeric=("age", "income"), categorical=("gender", "city")):
    return select_features(table, features, declared=[*numeric, *categorical])


@pytest.fixture
def table():
    rng = np.random.default_rng(3)
    n = 400
    return pd.DataFrame({
        "customer_id": [f"C{i}" for i in range(n)],
        "age": rng.normal(40, 10, n).round(),
        "income": rng.lognormal(11, 0.8, n),
        "gender": pd.Series(rng.choice(["female", "male"], n), dtype="str"),
        "city": pd.Series(rng.choice(["Beijing", "Shanghai", "Chengdu"], n, p=[.5, .3, .2]), dtype="str"),
        "member": rng.random(n) < 0.3,
        "recency": np.where(rng.random(n) < 0.1, np.nan, rng.exponential(60, n)),
        "frequency": rng.poisson(3, n).astype("int64"),
        "monetary": rng.lognormal(5, 1.0, n),
        "r_score": pd.array(rng.integers(1, 6, n), dtype="Int8"),
        "first_purchase": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D"),
    })


def test_column_kind_from_dtype(table):
    kinds = {c: column_kind(table[c]) for c in ("age", "frequency", "r_score", "gender", "member", "first_purchase")}
    assert kinds == {"age": "numeric", "frequency": "numeric", "r_score": "numeric", "gender": "categorical",
                     "member": "categorical", "first_purchase": "date"}


def test_default_features_are_declared_columns_plus_rfm(table):
    assert select(table) == (["age", "income", "recency", "frequency", "monetary"],
                                                  ["gender", "city"])
    # Declared columns that did not reach the feature table are skipped.
    assert select(table[["customer_id", "age", "city"]]) == (["age"], ["city"])


def test_named_features_keep_their_order_and_kind(table):
    assert select(table, ["member", "monetary", "city"]) == (["monetary"], ["member", "city"])


def test_unknown_feature_is_a_params_error_with_hint(table):
    with pytest.raises(ParamsError, match="segmentation.features: unknown column 'incme'; did you mean 'income'"):
        select(table, ["age", "incme"])
    with pytest.raises(ParamsError, match="unknown column 'customer_id'"):
        select(table, ["customer_id"])


def test_date_feature_is_a_params_error(table):
    with pytest.raises(ParamsError, match="'first_purchase' is a date column"):
        select(table, ["first_purchase"])


def test_no_usable_default_feature(table):
    with pytest.raises(ParamsError, match="list the columns to use"):
        select(table[["customer_id", "member"]], numeric=(), categorical=())


def test_imputation_log_and_robust_scaling(table):
    pre = MixedPreprocessor(["age", "income", "recency", "monetary"], ["gender", "city"]).fit(table)
    assert pre.medians_["recency"] == pytest.approx(table["recency"].median())
    assert pre.n_imputed_["recency"] == int(table["recency"].isna().sum())
    # Skewed non-negative money columns are logged; age (symmetric) is not.
    assert set(pre.log_columns_) == {"income", "monetary", "recency"}
    num, cat = pre.transform_parts(table)
    assert np.isfinite(num).all()
    np.testing.assert_allclose(np.median(num, axis=0), 0, atol=1e-9)
    q75, q25 = np.percentile(num, [75, 25], axis=0)
    np.testing.assert_allclose(q75 - q25, 1, atol=1e-9)
    assert cat.min() >= 0 and list(pre.categories_[1]) == ["Beijing", "Chengdu", "Shanghai"]


def test_net_refunds_keep_the_log_transform(table):
    # A few customers whose refunds exceed their purchases must not switch the money log off.
    refunded = table.assign(monetary=table["monetary"].where(table.index >= 3, -50.0))
    pre = MixedPreprocessor(["monetary"], []).fit(refunded)
    assert pre.log_columns_ == ["monetary"]
    raw = pre._log(np.array([[-50.0], [0.0], [50.0]]), ["monetary"])
    np.testing.assert_allclose(raw.ravel(), [-np.log1p(50), 0, np.log1p(50)])


def test_explicit_log_columns(table):
    pre = MixedPreprocessor(["age", "income"], [], log_transform=["income"]).fit(table)
    assert pre.log_columns_ == ["income"]
    assert MixedPreprocessor(["age", "income"], [], log_transform=[]).fit(table).log_columns_ == []
    with pytest.raises(ParamsError, match="segmentation.log_transform: 'gender' is not a numeric feature"):
        MixedPreprocessor(["age"], ["gender"], log_transform=["gender"]).fit(table)


def test_new_customers_with_gaps_and_unseen_categories(table):
    pre = MixedPreprocessor(["age", "income"], ["gender", "city"], encoding="onehot").fit(table)
    new = pd.DataFrame({"age": [np.nan, 30.0], "income": [np.inf, -5.0], "gender": [None, "female"],
                        "city": ["Lhasa", "Beijing"]})
    num, cat = pre.transform_parts(new)
    assert np.isfinite(num).all()
    assert cat[0].tolist() == [pre.categories_[0].tolist().index(pre.modes_["gender"]), -1]
    onehot = pre.onehot(cat)
    # The unseen city has no one-hot column set; the known one has weight sqrt(gamma / 2).
    assert onehot[0, 2:].sum() == 0
    assert onehot[1, 2:].max() == pytest.approx(np.sqrt(pre.gamma_ / 2))
    with pytest.raises(DataError, match="lacks feature column 'city'"):
        pre.transform(new.drop(columns="city"))


def test_onehot_distance_equals_the_k_prototypes_distance(table):
    pre = MixedPreprocessor(["age", "income"], ["gender", "city"], encoding="onehot").fit(table)
    num, cat = pre.transform_parts(table.head(30))
    X = pre.transform(table.head(30))
    euclid = ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)
    np.testing.assert_allclose(mixed_sq_distances(num, cat, num, cat, pre.gamma_), euclid, atol=1e-9)


def test_mixed_distance_by_hand():
    num = np.array([[0.0, 0.0], [3.0, 4.0]])
    cat = np.array([[0, 1], [0, 2]])
    d = mixed_sq_distances(num, cat, num, cat, gamma=0.5)
    assert d.tolist() == [[0.0, 25.5], [25.5, 0.0]]


def test_gamma_rules():
    num = np.array([[0.0], [2.0], [4.0], [6.0]])  # variance (ddof=1) 20/3, std (ddof=0) sqrt(5)
    cat = np.array([[0], [0], [1], [1]])  # concentration 1 - (0.25 + 0.25) = 0.5
    assert estimate_gamma(num, cat, rule="variance_ratio") == pytest.approx((20 / 3) / 0.5)
    assert estimate_gamma(num, cat, rule="huang") == pytest.approx(0.5 * np.sqrt(5))
    assert estimate_gamma(num, np.zeros((4, 0), int)) == 1.0


def test_gamma_given_is_kept_and_clone_is_clean(table):
    pre = MixedPreprocessor(["age"], ["city"], gamma=2.5).fit(table)
    assert pre.gamma_ == 2.5 and pre.gamma == 2.5
    estimated = MixedPreprocessor(["age"], ["city"]).fit(table)
    fresh = clone(estimated)
    assert fresh.gamma is None and not hasattr(fresh, "gamma_")


def test_empty_feature_column_is_a_data_error(table):
    with pytest.raises(DataError, match="feature 'age' has no values"):
        MixedPreprocessor(["age"], []).fit(table.assign(age=np.nan))
