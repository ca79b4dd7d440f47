"""Tests for numnet.gradcheck: whole models, user-written layers and losses that follow the
contract, wrong gradients that must fail, and the report."""
import numpy as np
import pytest

from numnet import (BatchNorm, Dense, Dropout, GradcheckReport, Layer, Loss, ReLU, Sequential,
                    Sigmoid, Softmax, Tanh, gradcheck)
from numnet.gradcheck import EntryCheck

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
    report = gradcheck(regularised_model(), X, LABELS)
    assert report.passed, str(report)
    assert set(report.arrays) == {"input", "dense/weights", "dense/biases", "batch_norm/gamma",
                                  "batch_norm/beta", "dense_1/weights", "dense_1/biases",
                                  "dense_2/weights", "dense_2/biases"}


def test_gradcheck_passes_on_a_trained_model_with_sample_weights():
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
    assert set(report.arrays) == {"input", "a", "b"}
    assert report.failures == [] and report.kinks == []


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
    # dX is 2/3 of the truth everywhere: every input entry fails with relative error 1/3
    assert report.arrays["input"].n_failed == report.arrays["input"].n_checked == X.size
    assert {entry.array for entry in report.failures} == {"input"}
    worst = report.arrays["input"].worst
    assert worst.analytic == pytest.approx(2 / 3 * worst.numeric, rel=1e-6)
    assert worst.rel_error == pytest.approx(1 / 3, rel=1e-5)
    assert report.arrays["a"].n_failed == report.arrays["b"].n_failed == 0  # parameters are right
    assert "24 failing entries:" in str(report) and str(report).endswith(
        "FAILED (|analytic - numeric| <= 1e-08 + 1e-05 * |numeric|, eps 1e-06)")


def test_gradcheck_fails_on_a_wrong_layer_inside_a_model():
    model = Sequential([Dense(3, 4, random_state=0), Cubic(4, wrong=True), Dense(4, 4, random_state=1),
                        Softmax()]).compile("categorical_crossentropy", "sgd")
    report = gradcheck(model, X, LABELS)
    assert not report.passed
    assert report.arrays["dense/weights"].n_failed > 0  # the error propagates to earlier layers
    assert report.arrays["dense/weights"].worst.rel_error > 1e-3
    assert report.arrays["dense_1/weights"].n_failed == 0  # later layers are unaffected


def test_gradcheck_checks_user_losses():
    y_pred, y_true = RNG.uniform(0.1, 2, size=(6, 2)), RNG.uniform(0.1, 2, size=(6, 2))
    assert gradcheck(SquaredLogError(), y_pred, y_true).passed
    report = gradcheck(SquaredLogError(forget_n=True), y_pred, y_true)
    assert not report.passed
    assert report.arrays["y_pred"].n_failed == y_pred.size
    assert report.arrays["y_pred"].worst.rel_error == pytest.approx(5, rel=1e-5)  # 6a vs a


def test_gradcheck_catches_a_gradient_that_forgets_the_l2_penalty():
    class ForgetfulDense(Dense):
        def _add_penalty_gradients(self):
            pass  # the penalty is in the loss but not in the gradient

    report = gradcheck(ForgetfulDense(3, 2, l2=0.5, random_state=0), X)
    assert report.arrays["input"].n_failed == report.arrays["biases"].n_failed == 0
    assert report.arrays["weights"].n_failed == 6


def test_report_str_is_a_table_with_the_worst_entries_and_a_verdict():
    report = GradcheckReport(atol=1e-8, rtol=1e-5, eps=1e-6)
    good = EntryCheck("input", (0, 1), 0.5, 0.5 + 1e-12, 0.5, 0.5)
    bad = EntryCheck("weights", (2, 0), 0.25, 0.5, 0.5, 0.5)
    kink = EntryCheck("weights", (1, 1), 0.0, 0.5, 0.0, 1.0, at_kink=True)
    report.add("input", [good])
    report.add("weights", [bad, kink])
    lines = str(report).splitlines()
    assert lines[0].split() == ["array", "checked", "failed", "kinks", "worst", "entry", "analytic",
                                "numeric", "abs", "error", "rel", "error"]
    assert lines[1].split() == ["input", "1", "0", "0", "(0,1)", "5.000000e-01", "5.000000e-01",
                                "1.00e-12", "2.00e-12"]
    assert lines[2].split() == ["weights", "2", "1", "1", "(2,0)", "2.500000e-01", "5.000000e-01",
                                "2.50e-01", "5.00e-01"]
    assert lines[3] == "1 failing entries:"
    assert lines[4] == ("  weights[2, 0]: analytic 2.500000e-01, numeric 5.000000e-01, "
                        "abs error 2.50e-01, rel error 5.00e-01")
    assert lines[5].startswith("1 non-differentiable points")
    assert lines[6].endswith("one-sided 0.000e+00 / 1.000e+00")
    assert lines[7] == "FAILED (|analytic - numeric| <= 1e-08 + 1e-05 * |numeric|, eps 1e-06)"
    assert report.failures == [bad] and report.kinks == [kink] and not report.passed


def test_report_lists_at_most_ten_failing_entries():
    report = GradcheckReport()
    report.add("weights", [EntryCheck("weights", (i,), 1.0, 2.0, 2.0, 2.0) for i in range(13)])
    text = str(report)
    assert "13 failing entries:" in text and "weights[9]" in text and "weights[10]" not in text
    assert "  ... and 3 more" in text


def test_max_entries_samples_large_arrays():
    layer = Dense(60, 50, random_state=0)
    report = gradcheck(layer, RNG.normal(size=(4, 60)), max_entries=40)
    assert report.passed, str(report)
    assert [check.n_checked for check in report.arrays.values()] == [40, 40, 40]


def test_gradcheck_on_an_unbuilt_layer_builds_it_in_float64():
    report = gradcheck(Dense(3, random_state=0), X)
    assert report.passed and set(report.arrays) == {"input", "weights", "biases"}


def test_gradcheck_of_dropout_in_training_mode_uses_one_mask():
    # training=True is the default; the layer's Generator is rewound before every forward
    report = gradcheck(Dropout(0.5, random_state=0), X)
    assert report.passed, str(report)


@pytest.mark.parametrize("call, error, match", [
    (lambda: gradcheck(object(), X), TypeError, "gradcheck needs a layer, a loss or a model, got object"),
    (lambda: gradcheck(SquaredLogError(), X), ValueError, "gradcheck on a loss needs y"),
    (lambda: gradcheck(Sequential([Dense(3, 2)]), X, LABELS), ValueError,
     "gradcheck on a model needs a compiled loss and y"),
])
def test_gradcheck_rejects_what_it_cannot_check(call, error, match):
    with pytest.raises(error, match=match):
        call()


# -- deep networks: small gradients are compared in absolute terms ---------------------------
class SkewedTanh(Tanh):
    """A deliberately wrong Tanh: its backward is 1% too large."""

    def backward(self, dY):
        return 1.01 * super().backward(dY)


def deep_tanh_model(seed, last_activation=Tanh):
    layers = [Dense(3, 8), Tanh()]
    for _ in range(18):
        layers += [Dense(8, 8), Tanh()]
    layers += [Dense(8, 8), last_activation(), Dense(8, 4), Softmax()]
    model = Sequential(layers, random_state=seed, dtype=np.float64)
    return model.compile("categorical_crossentropy", "sgd")


@pytest.mark.parametrize("seed", range(12))
def test_a_20_layer_tanh_network_with_correct_gradients_passes(seed):
    # numnet's own backward is the analytic side (no PyTorch in the test environment); the
    # old relative test with its 1e-8 floor failed this network for most seeds.
    report = gradcheck(deep_tanh_model(seed), X, LABELS, max_entries=4)
    assert report.passed, str(report)
    assert len(report.arrays) == 43 and report.kinks == []


def test_a_20_layer_tanh_network_with_a_one_percent_wrong_backward_fails():
    report = gradcheck(deep_tanh_model(0, last_activation=SkewedTanh), X, LABELS, max_entries=4)
    assert not report.passed
    wrong = {entry.array for entry in report.failures}
    assert "input" in wrong and "dense/weights" in wrong  # everything below the bad layer
    assert "dense_21/weights" not in wrong and "dense_20/weights" not in wrong  # above it
    assert all(abs(e.analytic / e.numeric - 1.01) < 1e-3 for e in report.failures)


# -- kinks: a probe that crosses a non-differentiable point is not a wrong gradient ----------
def spiral_model(activation=ReLU):
    from numnet import spiral_data
    X, y = spiral_data(100, 3, random_state=0)
    model = Sequential([Dense(2, 64), activation(), Dense(64, 3), Softmax()], random_state=0,
                       dtype=np.float64)
    return model.compile("categorical_crossentropy"), X, y


def test_the_readme_spiral_relu_model_passes_with_its_kinks_reported():
    model, X_spiral, y_spiral = spiral_model()
    report = gradcheck(model, X_spiral, y_spiral)
    assert report.passed, str(report)
    # Each class's spiral starts at (0, 0) and biases start at 0: every ReLU sits on its kink
    assert {entry.index[0] for entry in report.kinks} == {0, 100, 200}
    assert {entry.array for entry in report.kinks} == {"input"}
    assert "non-differentiable points" in str(report)


class SkewedReLU(ReLU):
    """A deliberately wrong ReLU: its backward is 1% too large."""

    def backward(self, dY):
        return 1.01 * super().backward(dY)


def test_a_wrong_gradient_in_a_relu_network_is_a_failure_not_a_kink():
    model, X_spiral, y_spiral = spiral_model(SkewedReLU)
    report = gradcheck(model, X_spiral, y_spiral, max_entries=30)
    assert not report.passed
    assert {entry.array for entry in report.failures} == {"input", "dense/weights", "dense/biases"}
    assert len(report.kinks) <= 6  # only the origin samples can be kinks


def test_mae_next_to_a_zero_residual_is_a_kink_not_a_failure():
    from numnet import MeanAbsoluteError
    y_true = RNG.normal(size=(5, 2))
    y_pred = y_true + RNG.uniform(0.1, 1, size=(5, 2)) * RNG.choice([-1, 1], size=(5, 2))
    y_pred[2, 1] = y_true[2, 1] + 4e-7  # y_pred - eps crosses the corner of |r|
    y_pred[4, 0] = y_true[4, 0]  # on the corner: both sides cancel, numeric 0 = sign(0) / n
    report = gradcheck(MeanAbsoluteError(), y_pred, y_true)
    assert report.passed, str(report)
    assert [entry.index for entry in report.kinks] == [(2, 1)]
    kink = report.kinks[0]
    # from r = -0.6e-6 to r = 0.4e-6 the mean of |r| over n = 10 changes by (0.4 - 0.6)e-6 / 10
    assert kink.analytic == pytest.approx(1 / 10) and kink.left == pytest.approx((0.4 - 0.6) / 10)


def test_leaky_relu_straddling_its_kink_is_reported_as_a_kink():
    from numnet import LeakyReLU
    X_kink = RNG.normal(size=(4, 3))
    X_kink[1, 2] = 3e-7  # within eps of 0: the probe x - eps crosses the kink
    X_kink[3, 0] = 0.0  # exactly on it
    report = gradcheck(LeakyReLU(0.1), X_kink)
    assert report.passed, str(report)
    assert sorted(entry.index for entry in report.kinks) == [(1, 2), (3, 0)]


def test_huber_at_its_corner_is_never_a_failure():
    from numnet import Huber
    y_true = np.zeros((4, 1))
    y_pred = np.array([[1.0], [-1.0], [0.3], [2.5]])  # residuals of exactly ±delta
    report = gradcheck(Huber(delta=1.0), y_pred, y_true)
    assert report.passed, str(report)


# -- training mode, randomness and user layers -----------------------------------------------
class LeakyDropout(Dropout):
    """A deliberately wrong Dropout: its backward forgets the mask."""

    def backward(self, dY):
        return dY / (1 - self.rate)


def test_a_model_with_dropout_is_checked_in_training_mode():
    model = Sequential([Dense(3, 16), Dropout(0.5), Dense(16, 4), Softmax()], random_state=0)
    model.compile("categorical_crossentropy")
    report = gradcheck(model, X, LABELS)
    assert report.passed, str(report)
    wrong = Sequential([Dense(3, 16), LeakyDropout(0.5), Dense(16, 4), Softmax()], random_state=0)
    report = gradcheck(wrong.compile("categorical_crossentropy"), X, LABELS)
    assert not report.passed and report.arrays["dense/weights"].n_failed > 0


class PlainLinear:
    """A user layer with no base class that caches only in training and rebinds its gradient."""

    def __init__(self, n_inputs, n_outputs, skew=1.0):
        self.params = {"W": np.random.default_rng(3).normal(size=(n_inputs, n_outputs))}
        self.grads = {"W": np.zeros((n_inputs, n_outputs))}
        self.skew = skew

    def forward(self, X, training=False):
        if training:
            self.X = X  # inference keeps no state
        return X @ self.params["W"]

    def backward(self, dY):
        self.grads["W"] = self.skew * (self.X.T @ dY)  # rebinding, as tutorials do
        return dY @ self.params["W"].T


def test_a_plain_user_layer_that_rebinds_its_gradient_is_checked():
    assert gradcheck(PlainLinear(3, 2), X).passed
    report = gradcheck(PlainLinear(3, 2, skew=1.01), X)
    assert {entry.array for entry in report.failures} == {"W"}


def test_a_plain_user_layer_that_rebinds_its_gradient_is_checked_inside_a_model():
    # The model repacks its flat buffer after the rebinding; gradcheck must perturb the new views.
    model = Sequential([Dense(3, 4, random_state=0), PlainLinear(4, 4), Softmax()])
    report = gradcheck(model.compile("categorical_crossentropy"), X, LABELS)
    assert report.passed, str(report)
    assert report.arrays["plainlinear/W"].n_checked == 16


def test_inference_mode_forward_keeps_no_cache_so_gradcheck_explains():
    with pytest.raises(ValueError, match="inference-mode forward keeps no caches for backward.*"
                                         "training=True"):
        gradcheck(PlainLinear(3, 2), X, training=False)


class FastSine:
    """``Y = sin(k X)`` with k = 1e4: curvature large enough to open a one-sided gap at eps."""

    def __init__(self, skew=1.0):
        self.params, self.grads, self.skew = {}, {}, skew

    def forward(self, X, training=False):
        self.X = X
        return np.sin(1e4 * X)

    def backward(self, dY):
        return self.skew * 1e4 * np.cos(1e4 * self.X) * dY


def test_a_wrong_gradient_at_a_strongly_curved_point_is_a_failure_not_a_kink():
    # The one-sided differences differ by eps * f'' ~ 100, as large as the 1% error: only the
    # second, smaller step tells curvature (gap shrinks with the step) from a kink.
    report = gradcheck(FastSine(), X)
    assert report.passed and report.kinks == [], str(report)
    # eps**2 * f''' / 6 is 1.7e-5 of f' (over rtol): those entries are judged at eps / 10
    assert report.arrays["input"].worst.step == pytest.approx(1e-7)
    report = gradcheck(FastSine(skew=1.01), X)
    assert len(report.failures) == X.size and report.kinks == []
