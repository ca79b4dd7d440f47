"""Behaviour of numnet.sklearn's MLPClassifier and MLPRegressor beyond scikit-learn's checks.

Pipelines and searches, the kinds of data, the fitted attributes, partial_fit,
warm_start, early stopping, learning-rate schedules, errors, persistence, and
one test per numnet extra showing that it changes what is learned the way it
should.
"""
import io
import pickle

import numpy as np
import pytest

pytest.importorskip("sklearn")

import joblib  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_iris, make_classification, make_multilabel_classification  # noqa: E402
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: E402
from sklearn.metrics import log_loss  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.validation import check_is_fitted  # noqa: E402

import numnet  # noqa: E402
from numnet.sklearn import InvalidParameterError, MLPClassifier, MLPRegressor  # noqa: E402


# Small max_iter on purpose: not converging is expected.
pytestmark = [pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
              pytest.mark.usefixtures("one_blas_thread")]


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _small(cls=MLPClassifier, **params):
    defaults = dict(hidden_layer_sizes=(10,), max_iter=30, learning_rate_init=0.01, random_state=0)
    return cls(**{**defaults, **params})


# -- scikit-learn tooling ------------------------------------------------------------------
def test_the_shared_fixture_limits_blas_to_one_thread():
    from threadpoolctl import threadpool_info

    assert all(pool["num_threads"] == 1 for pool in threadpool_info() if pool["user_api"] == "blas")


def test_pipeline_grid_search_and_cross_val_score(iris):
    X, y = load_iris(return_X_y=True)
    pipeline = Pipeline([("scale", StandardScaler()),
                         ("mlp", MLPClassifier(solver="lbfgs", max_iter=100, random_state=0))])
    search = GridSearchCV(pipeline, {"mlp__hidden_layer_sizes": [(4,), (16,)],
                                     "mlp__alpha": [1e-4, 1.0]}, cv=3).fit(X, y)
    assert search.best_score_ > 0.9
    assert isinstance(search.best_estimator_[-1], MLPClassifier)
    scores = cross_val_score(pipeline, X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.9


def test_import_numnet_does_not_import_sklearn():
    import subprocess
    import sys

    code = "import sys, numnet; print('sklearn' in sys.modules, 'scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_init_only_stores_parameters_and_clone_keeps_them():
    est = MLPClassifier(hidden_layer_sizes="nonsense", dropout=[0.1], class_weight="balanced")
    assert est.hidden_layer_sizes == "nonsense"  # validated in fit, not here
    copy = clone(est)
    assert copy.get_params() == est.get_params()
    with pytest.raises(InvalidParameterError, match="hidden_layer_sizes must hold ints"):
        est.fit([[0.0], [1.0]], [0, 1])


def test_check_is_fitted_and_unfitted_errors():
    est = MLPClassifier()
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    with pytest.raises(NotFittedError):
        est.predict([[0.0]])
    assert not hasattr(est, "coefs_")
    with pytest.raises(ValueError, match="fit it first"):
        est.coefs_ = [np.zeros((1, 1))]


@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_pickle_and_joblib_round_trip_then_keep_training(iris, dump):
    X, y = iris
    est = _small(batch_norm=True).fit(X, y)
    if dump == "pickle":
        loaded = pickle.loads(pickle.dumps(est))
    else:
        buffer = io.BytesIO()
        joblib.dump(est, buffer)
        buffer.seek(0)
        loaded = joblib.load(buffer)
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    assert [c.shape for c in loaded.coefs_] == [c.shape for c in est.coefs_]
    # Pickling loses the views into the flat buffer; training must still reach the layers.
    before = [c.copy() for c in loaded.coefs_]
    loaded.partial_fit(X, y)
    assert not np.allclose(loaded.coefs_[0], before[0])
    assert np.array_equal(loaded.predict_proba(X), loaded.network_.predict(X))


# -- data kinds ----------------------------------------------------------------------------
def test_string_labels_binary_probabilities(iris):
    X, y = iris
    labels = np.where(y == 0, "setosa", "other")
    est = _small().fit(X, labels)
    assert list(est.classes_) == ["other", "setosa"]
    assert est.out_activation_ == "logistic" and est.n_outputs_ == 1
    proba = est.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(est.classes_[proba.argmax(axis=1)], est.predict(X))
    np.testing.assert_allclose(est.predict_log_proba(X), np.log(proba))
    assert set(est.predict(X)) <= {"other", "setosa"}


def test_multiclass_uses_softmax(iris):
    X, y = iris
    est = _small().fit(X, y)
    assert est.out_activation_ == "softmax" and est.n_outputs_ == 3
    assert est.predict_proba(X).shape == (len(X), 3)
    assert est.score(X, y) > 0.8


def test_multilabel_indicator_targets():
    X, Y = make_multilabel_classification(n_samples=80, n_classes=4, random_state=0)
    est = _small(max_iter=50).fit(X, Y)
    assert est.out_activation_ == "logistic" and est.n_outputs_ == 4
    assert est.predict(X).shape == Y.shape and set(np.unique(est.predict(X))) <= {0, 1}
    proba = est.predict_proba(X)
    assert proba.shape == Y.shape and ((proba >= 0) & (proba <= 1)).all()


def test_multi_output_regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 4))
    Y = np.column_stack([X[:, 0] + X[:, 1], X[:, 2] - X[:, 3]])
    est = MLPRegressor(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0).fit(X, Y)
    assert est.predict(X).shape == (100, 2) and est.n_outputs_ == 2
    assert est.score(X, Y) > 0.95


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix, sp.csr_array])
def test_sparse_input_trains_like_dense(iris, container):
    X, y = iris
    dense = _small(solver="sgd").fit(X, y)
    sparse = _small(solver="sgd").fit(container(X), y)
    np.testing.assert_allclose(sparse.coefs_[0], dense.coefs_[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sparse.predict_proba(container(X)), dense.predict_proba(X),
                               rtol=1e-10, atol=1e-12)


def test_dataframe_feature_names(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    frame = pd.DataFrame(X, columns=["sl", "sw", "pl", "pw"])
    est = _small().fit(frame, pd.Series(y))
    assert list(est.feature_names_in_) == ["sl", "sw", "pl", "pw"]
    with pytest.warns(UserWarning, match="feature names"):
        est.predict(X)
    with pytest.raises(ValueError, match="feature names"):
        est.predict(frame[["sw", "sl", "pl", "pw"]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_input_dtype_is_kept(iris, dtype):
    X, y = iris
    est = _small().fit(X.astype(dtype), y)
    assert est.coefs_[0].dtype == dtype and est.intercepts_[0].dtype == dtype
    assert est.predict_proba(X.astype(dtype)).dtype == dtype
    reg = _small(MLPRegressor).fit(X.astype(dtype), y.astype(dtype))
    assert reg.predict(X.astype(dtype)).dtype == dtype


# -- fitted attributes ----------------------------------------------------------------------
def test_fitted_attributes_shapes_and_meaning(iris):
    X, y = iris
    est = _small(hidden_layer_sizes=(7, 5), max_iter=12).fit(X, y)
    assert [c.shape for c in est.coefs_] == [(4, 7), (7, 5), (5, 3)]
    assert [b.shape for b in est.intercepts_] == [(7,), (5,), (3,)]
    assert est.n_layers_ == 4 and est.n_features_in_ == 4 and est.n_iter_ == 12
    assert len(est.loss_curve_) == 12 and est.loss_ == est.loss_curve_[-1]
    assert est.best_loss_ == min(est.loss_curve_)
    assert est.t_ == 12 * len(X)
    assert est.validation_scores_ is None and est.best_validation_score_ is None
    assert isinstance(est.network_, numnet.Sequential)


def test_lbfgs_has_no_loss_curve_and_counts_iterations(iris):
    X, y = iris
    est = _small(solver="lbfgs", max_iter=15).fit(X, y)
    assert not hasattr(est, "loss_curve_") and est.t_ == 0
    assert 1 <= est.n_iter_ <= 15


def test_loss_is_log_loss_plus_alpha_penalty_scaled_by_total_weight(iris):
    X, y = iris
    weights = np.linspace(0.5, 2.0, len(y))
    est = _small(solver="lbfgs", alpha=0.5, max_iter=20).fit(X, y, sample_weight=weights)
    penalty = 0.5 * 0.5 * sum(float((W ** 2).sum()) for W in est.coefs_) / weights.sum()
    expected = log_loss(y, est.predict_proba(X), sample_weight=weights) + penalty
    assert est.loss_ == pytest.approx(expected, rel=1e-6)


def test_squared_error_loss_is_half_mse():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), rng.normal(size=60)
    est = MLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs", alpha=0.0, max_iter=10,
                       random_state=0).fit(X, y)
    assert est.loss_ == pytest.approx(0.5 * np.mean((est.predict(X) - y) ** 2), rel=1e-6)


def test_setting_coefs_and_intercepts_changes_predictions(iris):
    X, y = iris
    est = _small().fit(X, y)
    est.coefs_ = [np.zeros_like(c) for c in est.coefs_]
    est.intercepts_[-1] = np.array([0.0, 0.0, 5.0])  # item assignment copies in too
    np.testing.assert_array_equal(est.predict(X), np.full(len(X), 2))
    est.coefs_[0][...] = 1.0  # in-place edits reach the network
    assert (est.network_.layers[0].weights == 1.0).all()
    with pytest.raises(ValueError, match="looks transposed"):
        est.coefs_ = [c.T for c in est.coefs_]
    with pytest.raises(ValueError, match="list of 2 arrays"):
        est.coefs_ = est.coefs_[:1]


# -- partial_fit and warm_start -------------------------------------------------------------
def test_partial_fit_needs_classes_first_and_matches_fit(iris):
    X, y = iris
    est = _small(shuffle=False)
    with pytest.raises(ValueError, match="classes must be passed"):
        est.partial_fit(X, y)
    for _ in range(3):
        est.partial_fit(X, y, classes=np.unique(y))
    assert est.n_iter_ == 1 and est.t_ == 3 * len(X) and len(est.loss_curve_) == 3
    fitted = _small(shuffle=False, max_iter=3).fit(X, y)
    np.testing.assert_allclose(est.coefs_[0], fitted.coefs_[0])
    with pytest.raises(ValueError, match="classes not in"):
        est.partial_fit(X, y + 5)


def test_partial_fit_unavailable_with_lbfgs_and_with_early_stopping(iris):
    X, y = iris
    for cls in (MLPClassifier, MLPRegressor):
        est = cls(solver="lbfgs")
        assert not hasattr(est, "partial_fit")
        with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as info:
            est.partial_fit(X, y)
        assert "not stochastic" in str(info.value.__cause__)
    with pytest.raises(ValueError, match="early_stopping"):
        MLPRegressor(early_stopping=True).partial_fit(X, y)


def test_warm_start_continues_from_current_weights(iris):
    X, y = iris
    est = _small(warm_start=True, max_iter=10, learning_rate_init=0.01).fit(X, y)
    end_of_first = est.loss_curve_[-1]
    est.fit(X, y)
    assert len(est.loss_curve_) == 20 and est.n_iter_ == 10
    assert est.loss_curve_[10] < est.loss_curve_[0]
    assert est.loss_curve_[10] == pytest.approx(end_of_first, rel=0.2)
    with pytest.raises(ValueError, match="warm_start can only be used"):
        est.fit(X[y < 2], y[y < 2])
    cold = _small(max_iter=10, learning_rate_init=0.01).fit(X, y).fit(X, y)
    assert len(cold.loss_curve_) == 10  # without warm_start, fit starts again


# -- stopping, early stopping and learning-rate schedules ------------------------------------
def test_convergence_warning_at_max_iter(iris):
    X, y = iris
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        _small(max_iter=3).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        _small(solver="lbfgs", max_iter=2).fit(X, y)


def test_stops_after_n_iter_no_change_epochs_without_tol_progress(iris):
    X, y = iris
    est = _small(tol=10.0, n_iter_no_change=3, max_iter=100).fit(X, y)
    # The first epoch improves on the initial best loss (inf); no later one improves by 10,
    # so the count passes 3 at the fifth epoch.
    assert est.n_iter_ == 5


class _RecordingClassifier(MLPClassifier):
    """Keeps a copy of the weights after every epoch (to check which ones are restored)."""

    def _update_no_improvement_count(self, validation):
        super()._update_no_improvement_count(validation)
        self.recorded_ = getattr(self, "recorded_", []) + [[c.copy() for c in self.coefs_]]


def test_early_stopping_restores_the_best_epochs_weights():
    X, y = make_classification(n_samples=300, n_features=20, flip_y=0.2, random_state=0)
    est = _RecordingClassifier(hidden_layer_sizes=(64,), early_stopping=True, n_iter_no_change=5,
                               learning_rate_init=0.01, max_iter=200, random_state=0).fit(X, y)
    scores = est.validation_scores_
    assert len(scores) == est.n_iter_ < 200 and est.best_loss_ is None
    assert est.best_validation_score_ == max(scores)
    best = int(np.argmax(scores))
    assert best < est.n_iter_ - 1  # training went on past the best epoch...
    for restored, recorded in zip(est.coefs_, est.recorded_[best]):
        np.testing.assert_array_equal(restored, recorded)  # ...and came back to it


def test_adaptive_learning_rate_divides_by_five(iris, capsys):
    X, y = iris
    est = _small(solver="sgd", learning_rate="adaptive", learning_rate_init=0.1, tol=10.0,
                 n_iter_no_change=1, max_iter=5, verbose=True).fit(X, y)
    out = capsys.readouterr().out
    assert "Iteration 1, loss = " in out
    assert "Setting learning rate to 0.020000" in out
    assert est.n_iter_ == 5  # adaptive SGD slows down instead of stopping


def test_invscaling_learning_rate(iris):
    X, y = iris
    est = _small(solver="sgd", learning_rate="invscaling", learning_rate_init=0.5, power_t=0.5,
                 max_iter=2).fit(X, y)
    assert est._optimizer.learning_rate == pytest.approx(0.5 / (2 * len(X) + 1) ** 0.5)


def test_non_finite_weights_raise_sklearns_error():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3)) * 1e5
    with pytest.raises(ValueError, match="Solver produced non-finite parameter weights"), \
            np.errstate(all="ignore"):
        MLPRegressor(solver="sgd", learning_rate_init=1.0, max_iter=5,
                     random_state=0).fit(X, X.sum(axis=1) * 1e5)


# -- errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize("params, message", [
    ({"solver": "newton"}, "solver must be one of 'lbfgs', 'sgd', 'adam', got 'newton'"),
    ({"activation": "softmax"}, "activation must be one of"),
    ({"activation": ["relu", "tanh"]}, "activation has 2 entries but hidden_layer_sizes has 1"),
    ({"hidden_layer_sizes": (10, 0)}, "hidden_layer_sizes must be > 0"),
    ({"alpha": -1.0}, "alpha must be >= 0, got -1.0"),
    ({"batch_size": 0}, "batch_size must be an int >= 1 or 'auto', got 0"),
    ({"momentum": 1.5}, r"momentum must be in \[0, 1\], got 1.5"),
    ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
    ({"solver": "lbfgs", "dropout": 0.2}, "dropout needs a stochastic solver"),
    ({"early_stopping": True, "validation_fraction": 0.0}, "validation_fraction must be > 0"),
])
def test_invalid_parameters_are_named_in_the_error(iris, params, message):
    X, y = iris
    with pytest.raises(InvalidParameterError, match=message):
        MLPClassifier(**params).fit(X, y)


def test_target_errors(iris):
    X, y = iris
    with pytest.raises(ValueError, match="Unknown label type: 'continuous'.*MLPRegressor"):
        MLPClassifier().fit(X, X[:, 0])
    with pytest.raises(ValueError, match="poisson' needs y >= 0"):
        MLPRegressor(loss="poisson").fit(X, X[:, 0])
    with pytest.raises(InvalidParameterError, match="loss must be one of"):
        MLPRegressor(loss="hinge").fit(X, y)
    with pytest.raises(ValueError, match="class_weight has labels \\[7\\]"):
        MLPClassifier(class_weight={7: 2.0}).fit(X, y)
    Y = np.column_stack([y == 0, y == 1]).astype(int)
    with pytest.raises(ValueError, match="class_weight is not supported for multilabel"):
        MLPClassifier(class_weight="balanced").fit(X, Y)
    with pytest.raises(ValueError, match="not supported for partial_fit"):
        MLPClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])


# -- numnet extras: each changes what is learned the expected way ----------------------------
def test_extras_are_off_by_default():
    est = MLPClassifier()
    assert est.dropout == 0.0 and est.batch_norm is False and est.class_weight is None
    assert MLPRegressor().loss == "squared_error"


def test_dropout_regularises_an_overfitting_network():
    X, y = make_classification(n_samples=1200, n_features=10, n_informative=5, n_redundant=0,
                               flip_y=0.1, class_sep=1.5, random_state=0)
    X_train, y_train, X_test, y_test = X[:200], y[:200], X[200:], y[200:]
    fitted = {}
    for rate in (0.0, 0.5):
        fitted[rate] = MLPClassifier(hidden_layer_sizes=(128,), dropout=rate, alpha=0.0,
                                     max_iter=150, learning_rate_init=0.01,
                                     random_state=0).fit(X_train, y_train)
    plain, dropped = fitted[0.0], fitted[0.5]
    assert sum(isinstance(layer, numnet.Dropout) for layer in dropped.network_.layers) == 1
    np.testing.assert_array_equal(dropped.predict_proba(X_test), dropped.predict_proba(X_test))
    # Without dropout the network memorises the noisy training labels and is overconfident
    # on new data; dropout keeps it less sure on the training set and better calibrated.
    assert log_loss(y_train, dropped.predict_proba(X_train)) > \
        3 * log_loss(y_train, plain.predict_proba(X_train))
    assert log_loss(y_test, dropped.predict_proba(X_test)) < \
        0.8 * log_loss(y_test, plain.predict_proba(X_test))
    assert dropped.score(X_test, y_test) >= plain.score(X_test, y_test)


def test_class_weight_shifts_predictions_to_the_weighted_class():
    X, y = make_classification(n_samples=300, n_features=5, weights=[0.9, 0.1], flip_y=0.05,
                               class_sep=0.5, random_state=0)
    counts = {}
    for weight in (None, {1: 10.0}, "balanced"):
        est = MLPClassifier(hidden_layer_sizes=(16,), class_weight=weight, max_iter=100,
                            learning_rate_init=0.01, random_state=0).fit(X, y)
        counts[str(weight)] = int((est.predict(X) == 1).sum())
    assert counts["{1: 10.0}"] > 1.5 * counts["None"]
    assert counts["balanced"] > 1.5 * counts["None"]


def test_class_weight_equals_sample_weight(iris):
    X, y = iris
    by_class = _small(solver="lbfgs", class_weight={0: 3.0, 2: 0.5}).fit(X, y)
    by_sample = _small(solver="lbfgs").fit(X, y, sample_weight=np.choose(y, [3.0, 1.0, 0.5]))
    np.testing.assert_allclose(by_class.coefs_[0], by_sample.coefs_[0])


def test_per_layer_activations_build_those_layers_and_change_capacity():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(200, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)  # XOR: no linear model separates it
    params = dict(hidden_layer_sizes=(16, 16), solver="lbfgs", max_iter=300, random_state=0)
    linear = MLPClassifier(activation=["identity", "identity"], **params).fit(X, y)
    mixed = MLPClassifier(activation=["tanh", "identity"], **params).fit(X, y)
    kinds = [type(layer).__name__ for layer in mixed.network_.layers]
    assert kinds == ["Dense", "Tanh", "Dense", "Identity", "Dense", "Sigmoid"]
    assert linear.score(X, y) < 0.7 < 0.95 < mixed.score(X, y)


def test_absolute_error_ignores_outliers_that_pull_squared_error():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(300, 1))
    y = 2.0 * X[:, 0]
    y_dirty = y.copy()
    y_dirty[:30] += 20.0  # 10 % of the targets shifted far up
    predictions = {}
    for loss in ("squared_error", "absolute_error", "huber"):
        est = MLPRegressor(loss=loss, hidden_layer_sizes=(), solver="lbfgs", alpha=0.0,
                           max_iter=500, random_state=0).fit(X, y_dirty)
        predictions[loss] = est.predict(X)
    error = {loss: np.median(np.abs(p - y)) for loss, p in predictions.items()}
    assert error["squared_error"] > 1.5  # the mean is dragged up by about 2
    assert error["absolute_error"] < 0.3 and error["huber"] < 0.5


def test_batch_norm_adds_layers_and_uses_running_statistics_to_predict(iris):
    X, y = iris
    est = _small(batch_norm=True, max_iter=50).fit(X * 1000.0, y)
    norms = [layer for layer in est.network_.layers if isinstance(layer, numnet.BatchNorm)]
    assert len(norms) == 1 and not np.allclose(norms[0].state["running_mean"], 0.0)
    one_by_one = np.vstack([est.predict_proba(X[i:i + 1] * 1000.0) for i in range(5)])
    np.testing.assert_allclose(one_by_one, est.predict_proba(X[:5] * 1000.0), rtol=1e-10)
    assert est.score(X * 1000.0, y) > 0.8
