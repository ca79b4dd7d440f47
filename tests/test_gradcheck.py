"""Tests for numnet.gradcheck: whole models, user-written layers and losses that follow the
contract, wrong gradients that must fail, and the report."""
import numpy as np
import pytest

from numnet import (BatchNorm, Dense, Dropout, GradcheckReport, Layer, Loss, ReLU, Sequential,
                    Sigmoid, Softmax, Tanh, gradcheck)

RNG = np.random.default_rng(42)
X = RNG.normal(size=(8, 3))
LABELS = RNG.integers(0, 4, size=8)


class Cubic(Layer):
    """A user layer: ``Y = a * X**3 + b`` with one ``a`` and ``b`` per feature.

    Follows the contract: parameters in ``params``, gradients written in place into
    ``grads`` with the same keys, ``backward`` returns dL/dX.
    """

    def __init__(self, n_features, wrong=False):
        super().__init__()
        self.params = {"a": np.linspace(0.5, 1.5, n_features), "b": np.zeros(n_features)}
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}
        self.wrong = wrong

    def forward(self, X, training=False):
        self._X = X
        return self.params["a"] * X**3 + self.params["b"]

    def backward(self, dY):
        X = self._X
        self.grads["a"][...] = np.sum(dY * X**3, axis=0)
        self.grads["b"][...] = np.sum(dY, axis=0)
        slope = 3 * X**2 if not self.wrong else 2 * X**2  # the deliberate bug: 2 instead of 3
        return dY * self.params["a"] * slope


class SquaredLogError(Loss):
    """A user loss: mean over samples of ``(log1p(p) - log1p(t))**2``; gradient divided by n."""

    def __init__(self, forget_n=False):
        self.forget_n = forget_n

    def forward(self, y_pred, y_true, sample_weight=None):
        self._p, self._t = y_pred, np.asarray(y_true).reshape(y_pred.shape)
        return float(np.mean(np.sum((np.log1p(self._p) - np.log1p(self._t)) ** 2, axis=1)))

    def backward(self):
        n = 1 if self.forget_n else self._p.shape[0]  # the deliberate bug: a summed gradient
        return 2 * (np.log1p(self._p) - np.log1p(self._t)) / (1 + self._p) / n


def regularised_model():
    model = Sequential([
        Dense(3, 6, l1=0.01, l2=0.02, bias_l1=0.003, bias_l2=0.004), BatchNorm(), Tanh(),
        Dense(6, 5, l2=0.05), ReLU(), Dense(5, 4), Softmax(),
    ], random_state=0)
    return model.compile("categorical_crossentropy", "adam")


def test_gradcheck_passes_on_a_whole_model_with_penalties_and_batchnorm():
    report = gradcheck(regularised_model(), X, LABELS, training=True)
    assert report.passed, str(report)
    assert set(report.errors) == {"input", "dense/weights", "dense/biases", "batch_norm/gamma",
                                  "batch_norm/beta", "dense_1/weights", "dense_1/biases",
                                  "dense_2/weights", "dense_2/biases"}


def test_gradcheck_passes_on_a_model_in_inference_mode_with_sample_weights():
    model = regularised_model()
    model.fit(X, LABELS, epochs=2, verbose=0, random_state=0)  # running statistics move off 0, 1
    # L1 pulls biases towards 0, where |b| has a kink finite differences cannot cross
    model.layers[0].biases = [0.2, -0.3, 0.1, -0.1, 0.4, 0.25]
    weights = np.random.default_rng(1).uniform(0, 2, size=8)
    report = gradcheck(model, X, LABELS, sample_weight=weights)
    assert report.passed, str(report)


def test_gradcheck_passes_on_a_regression_model_with_one_hot_free_targets():
    model = Sequential([Dense(3, 4), Sigmoid(), Dense(4, 2)], random_state=0).compile("huber", "sgd")
    report = gradcheck(model, X, RNG.normal(size=(8, 2)) * 3)
    assert report.passed, str(report)


def test_gradcheck_leaves_the_model_untouched():
    model = regularised_model()
    model.fit(X, LABELS, epochs=1, verbose=0)
    before = model.get_weights()
    gradcheck(model, X, LABELS, training=True)
    assert model.dtype == np.float32
    assert all(np.array_equal(a, b) and a.dtype == b.dtype
               for a, b in zip(before, model.get_weights()))


def test_gradcheck_passes_on_a_correct_user_layer():
    report = gradcheck(Cubic(3), X)
    assert report.passed, str(report)
    assert set(report.errors) == {"input", "a", "b"}


def test_a_correct_user_layer_trains_inside_a_model():
    model = Sequential([Dense(3, 4, random_state=0), Cubic(4), Dense(4, 4, random_state=1), Softmax()])
    model.compile("categorical_crossentropy", "adam")
    report = gradcheck(model, X, LABELS)
    assert report.passed, str(report)
    history = model.fit(X, LABELS, epochs=20, verbose=0)
    assert history["loss"][-1] < history["loss"][0]


def test_gradcheck_fails_on_a_user_layer_with_a_wrong_gradient():
    report = gradcheck(Cubic(3, wrong=True), X)
    assert report.passed is False and not report
    # dX is 2/3 of the truth everywhere: relative error |2/3 - 1| / (2/3 + 1) = 1/5
    assert report.errors["input"] == pytest.approx(0.2, rel=1e-5)
    assert report.errors["a"] < 1e-6 and report.errors["b"] < 1e-6  # the parameters are right
    assert "input" in str(report) and "NO" in str(report) and "FAILED" in str(report)


def test_gradcheck_fails_on_a_wrong_layer_inside_a_model():
    model = Sequential([Dense(3, 4, random_state=0), Cubic(4, wrong=True), Dense(4, 4, random_state=1),
                        Softmax()]).compile("categorical_crossentropy", "sgd")
    report = gradcheck(model, X, LABELS)
    assert not report.passed
    assert report.errors["dense/weights"] > 1e-3  # the error propagates to earlier layers
    assert report.errors["dense_1/weights"] < 1e-6  # later layers are unaffected


def test_gradcheck_checks_user_losses():
    y_pred, y_true = RNG.uniform(0.1, 2, size=(6, 2)), RNG.uniform(0.1, 2, size=(6, 2))
    assert gradcheck(SquaredLogError(), y_pred, y_true).passed
    report = gradcheck(SquaredLogError(forget_n=True), y_pred, y_true)
    assert not report.passed
    assert report.errors["y_pred"] == pytest.approx(5 / 7, rel=1e-5)  # |6a - a| / (6a + a)


def test_gradcheck_catches_a_gradient_that_forgets_the_l2_penalty():
    class ForgetfulDense(Dense):
        def _add_penalty_gradients(self):
            pass  # the penalty is in the loss but not in the gradient

    report = gradcheck(ForgetfulDense(3, 2, l2=0.5, random_state=0), X)
    assert report.errors["input"] < 1e-6 and report.errors["biases"] < 1e-6
    assert report.errors["weights"] > 1e-3


def test_report_str_is_a_table_with_a_verdict():
    report = GradcheckReport(errors={"input": 1e-9, "weights": 0.25}, tolerance=1e-6)
    lines = str(report).splitlines()
    assert lines[0].split() == ["array", "max", "rel.", "error", "ok"]
    assert lines[1].split() == ["input", "1.000e-09", "yes"]
    assert lines[2].split() == ["weights", "2.500e-01", "NO"]
    assert lines[3] == "FAILED (tolerance 1e-06)"
    passing = GradcheckReport(errors={"input": 1e-9}, tolerance=1e-6)
    assert passing.passed and str(passing).splitlines()[-1] == "passed (tolerance 1e-06)"


def test_max_entries_samples_large_arrays():
    layer = Dense(60, 50, random_state=0)
    report = gradcheck(layer, RNG.normal(size=(4, 60)), max_entries=40)
    assert report.passed, str(report)


def test_gradcheck_on_an_unbuilt_layer_builds_it_in_float64():
    report = gradcheck(Dense(3, random_state=0), X)
    assert report.passed and set(report.errors) == {"input", "weights", "biases"}


def test_gradcheck_of_dropout_in_inference_mode():
    assert gradcheck(Dropout(0.5), X).passed


@pytest.mark.parametrize("call, error, match", [
    (lambda: gradcheck(object(), X), TypeError, "gradcheck needs a layer, a loss or a model, got object"),
    (lambda: gradcheck(SquaredLogError(), X), ValueError, "gradcheck on a loss needs y"),
    (lambda: gradcheck(Sequential([Dense(3, 2)]), X, LABELS), ValueError,
     "gradcheck on a model needs a compiled loss and y"),
])
def test_gradcheck_rejects_what_it_cannot_check(call, error, match):
    with pytest.raises(error, match=match):
        call()
