"""numnet.sklearn against scikit-learn's own MLPs at equal settings.

Two kinds of evidence:

* exact: started from the same weights, one to five epochs of SGD, Adam or
  L-BFGS give the same weights and the same ``loss_`` as scikit-learn, to
  rounding (the initial weights come from different random streams, so this
  is the only way to compare trajectories);
* statistical: over 5 seeds, test accuracy within 1 point and R² within 0.02
  of scikit-learn's, with loss curves of the same length and shape. The
  settings are smaller than the defaults so that the file runs in seconds;
  ``bench/sklearn_parity.py`` prints the same comparison at the defaults.
"""
import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.compose import TransformedTargetRegressor  # noqa: E402
from sklearn.datasets import (load_breast_cancer, load_diabetes, load_digits,  # noqa: E402
                              load_iris, make_multilabel_classification, make_regression)
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier as SkClassifier  # noqa: E402
from sklearn.neural_network import MLPRegressor as SkRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from numnet.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

SEEDS = range(5)


# Few epochs on purpose: not converging is expected.
pytestmark = [pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
              pytest.mark.usefixtures("one_blas_thread")]


# -- exact: the same trajectory from the same start ------------------------------------------
def _scaled(X):
    return StandardScaler().fit_transform(X)


def _iris():
    X, y = load_iris(return_X_y=True)
    return _scaled(X), y


def _diabetes():
    X, y = load_diabetes(return_X_y=True)
    return _scaled(X), (y - y.mean()) / y.std()


CASES = {
    "multiclass": (SkClassifier, MLPClassifier, _iris, {}),
    "binary": (SkClassifier, MLPClassifier, lambda: (_iris()[0], _iris()[1] == 1), {}),
    "multilabel": (SkClassifier, MLPClassifier,
                   lambda: make_multilabel_classification(n_samples=120, random_state=0), {}),
    "squared_error": (SkRegressor, MLPRegressor, _diabetes, {}),
    "poisson": (SkRegressor, MLPRegressor, lambda: (_diabetes()[0], np.abs(_diabetes()[1])),
                {"loss": "poisson"}),
}


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("case", list(CASES))
def test_same_start_gives_sklearns_weights_and_loss(case, solver):
    sk_class, nn_class, load, extra = CASES[case]
    X, y = load()
    params = dict(hidden_layer_sizes=(8, 5), solver=solver, alpha=3.0, batch_size=50,
                  shuffle=False, random_state=0, max_iter=1, **extra)
    reference = sk_class(**params).fit(X, y)
    ours = nn_class(**params).fit(X, y)
    ours.coefs_, ours.intercepts_ = reference.coefs_, reference.intercepts_
    # warm_start continues from the copied weights, with a fresh optimizer in both.
    reference.set_params(warm_start=True, max_iter=5).fit(X, y)
    ours.set_params(warm_start=True, max_iter=5).fit(X, y)
    for theirs, mine in zip(reference.coefs_ + reference.intercepts_,
                            ours.coefs_ + ours.intercepts_):
        np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-12)
    assert ours.loss_ == pytest.approx(reference.loss_, rel=1e-9)
    assert ours.n_iter_ == reference.n_iter_
    if solver != "lbfgs":  # the first epoch ran from different initial weights
        assert len(ours.loss_curve_) == len(reference.loss_curve_) == 6
        np.testing.assert_allclose(ours.loss_curve_[1:], reference.loss_curve_[1:], rtol=1e-9)


def test_same_start_with_sample_weights_and_early_stopping_off():
    X, y = _iris()
    weights = np.random.default_rng(0).integers(0, 4, len(y)).astype(float)
    params = dict(hidden_layer_sizes=(6,), solver="adam", alpha=1.0, batch_size=40,
                  shuffle=False, random_state=0, max_iter=1)
    reference = SkClassifier(**params).fit(X, y, sample_weight=weights)
    ours = MLPClassifier(**params).fit(X, y, sample_weight=weights)
    ours.coefs_, ours.intercepts_ = reference.coefs_, reference.intercepts_
    reference.set_params(warm_start=True, max_iter=4).fit(X, y, sample_weight=weights)
    ours.set_params(warm_start=True, max_iter=4).fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(ours.coefs_[0], reference.coefs_[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.loss_curve_[1:], reference.loss_curve_[1:], rtol=1e-9)


# -- statistical: 5 seeds, scores and loss curves -------------------------------------------
def _split(X, y, classification):
    return train_test_split(X, y, test_size=0.3, random_state=0,
                            stratify=y if classification else None)


def _five_seeds(make, X_train, X_test, y_train, y_test):
    scores, curves = [], []
    for seed in SEEDS:
        estimator = make(seed).fit(X_train, y_train)
        scores.append(estimator.score(X_test, y_test))
        model = getattr(estimator, "regressor_", estimator)[-1]
        curves.append(np.asarray(model.loss_curve_))
    return float(np.mean(scores)), curves


CLASSIFICATION = {
    "iris": (load_iris, dict(hidden_layer_sizes=(32,), max_iter=100, learning_rate_init=0.01)),
    "digits": (load_digits, dict(hidden_layer_sizes=(32,), max_iter=30, learning_rate_init=0.01)),
    "breast_cancer": (load_breast_cancer, dict(hidden_layer_sizes=(32,), max_iter=50)),
}


def _compare(cls_sk, cls_nn, X, y, params, classification):
    parts = _split(X, y, classification)

    def maker(cls):
        def make(seed):
            pipeline = make_pipeline(StandardScaler(), cls(random_state=seed, **params))
            if classification:
                return pipeline
            return TransformedTargetRegressor(pipeline, transformer=StandardScaler())
        return make

    return _five_seeds(maker(cls_sk), *parts), _five_seeds(maker(cls_nn), *parts)


def _assert_same_curves(theirs, ours):
    # Same length (on average over the seeds) and the same relative decrease.
    assert np.mean([len(c) for c in ours]) == pytest.approx(np.mean([len(c) for c in theirs]),
                                                            rel=0.1)
    n = min(len(c) for c in theirs + ours)
    relative_sk = np.mean([c[:n] / c[0] for c in theirs], axis=0)
    relative_nn = np.mean([c[:n] / c[0] for c in ours], axis=0)
    np.testing.assert_allclose(relative_nn, relative_sk, atol=0.05)
    assert relative_nn[-1] < 0.5  # it did decrease


@pytest.mark.parametrize("name", list(CLASSIFICATION))
def test_accuracy_within_one_point_of_sklearn(name):
    load, params = CLASSIFICATION[name]
    X, y = load(return_X_y=True)
    (sk_score, sk_curves), (nn_score, nn_curves) = _compare(SkClassifier, MLPClassifier, X, y,
                                                            params, True)
    assert abs(nn_score - sk_score) <= 0.01, (nn_score, sk_score)
    _assert_same_curves(sk_curves, nn_curves)


def _make_regression():
    return make_regression(n_samples=500, n_features=20, n_informative=10, noise=10.0,
                           random_state=0)


REGRESSION = {
    "diabetes": (lambda: load_diabetes(return_X_y=True),
                 dict(hidden_layer_sizes=(16,), max_iter=200, learning_rate_init=0.01,
                      alpha=10.0)),
    "make_regression": (_make_regression,
                        dict(hidden_layer_sizes=(32,), max_iter=100, learning_rate_init=0.01)),
}


@pytest.mark.parametrize("name", list(REGRESSION))
def test_r2_within_002_of_sklearn(name):
    load, params = REGRESSION[name]
    X, y = load()
    (sk_score, sk_curves), (nn_score, nn_curves) = _compare(SkRegressor, MLPRegressor, X, y,
                                                            params, False)
    assert abs(nn_score - sk_score) <= 0.02, (nn_score, sk_score)
    _assert_same_curves(sk_curves, nn_curves)
