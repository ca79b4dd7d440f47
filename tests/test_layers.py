"""Tests for numnet.layers: gradients against finite differences (float64), stability at
extreme inputs, Dropout, BatchNorm, initialisers, parameter access and dtypes."""
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from numnet import (ELU, GELU, BatchNorm, Dense, Dropout, Identity, LeakyReLU, ReLU, Sequential,
                    Sigmoid, Softmax, Softplus, Tanh, gradcheck, sigmoid, softmax)


def numeric_gradient(f, array, eps=1e-6):
    """Central differences of the scalar ``f()`` with respect to every entry of ``array``.

    Written here, independently of ``numnet.gradcheck``, so that gradcheck itself is checked.
    """
    grad = np.zeros_like(array, dtype=np.float64)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + eps
        plus = f()
        array[index] = original - eps
        minus = f()
        array[index] = original
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def away_from_zero(shape, seed=0, low=0.1, high=2.0):
    """Random float64 values with |x| in [low, high]: no kink of ReLU-like functions nearby."""
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


ACTIVATIONS = {
    "relu": ReLU, "leaky_relu": lambda: LeakyReLU(0.1), "elu": ELU, "gelu": GELU,
    "sigmoid": Sigmoid, "tanh": Tanh, "softplus": Softplus, "identity": Identity,
    "softmax": Softmax,
}
EACH_ACTIVATION = pytest.mark.parametrize("make", ACTIVATIONS.values(), ids=ACTIVATIONS.keys())
EXTREME = np.array([[1e4, -1e4, 0.5], [-1e4, -1e4, -1e4], [1e4, 1e4, 1e4], [3.0, -1e4, -2.0]])


# -- Dense -------------------------------------------------------------------
def test_dense_gradients_match_independent_finite_differences():
    layer = Dense(4, 3, random_state=0, dtype=np.float64)
    layer.biases = np.array([0.1, -0.2, 0.3])
    X = away_from_zero((5, 4))
    G = np.random.default_rng(1).standard_normal((5, 3))

    def objective():
        return float(np.sum(layer.forward(X, training=True) * G))

    layer.forward(X, training=True)
    dX = layer.backward(G)
    assert_allclose(dX, numeric_gradient(objective, X), rtol=1e-6, atol=1e-9)
    assert_allclose(layer.grads["weights"], numeric_gradient(objective, layer.weights),
                    rtol=1e-6, atol=1e-9)
    assert_allclose(layer.grads["biases"], numeric_gradient(objective, layer.biases),
                    rtol=1e-6, atol=1e-9)
    assert gradcheck(layer, X).passed


@pytest.mark.parametrize("penalty", ["l1", "l2", "bias_l1", "bias_l2"])
def test_dense_penalty_gradients_match_finite_differences(penalty):
    layer = Dense(4, 3, random_state=0, dtype=np.float64, **{penalty: 0.3})
    layer.weights = away_from_zero((4, 3), seed=2)  # |w| > 0.1: sign() is differentiable there
    layer.biases = away_from_zero((3,), seed=3)
    X = away_from_zero((6, 4))
    G = np.random.default_rng(1).standard_normal((6, 3))

    def objective():
        return float(np.sum(layer.forward(X, training=True) * G)) + layer.regularization_loss()

    layer.forward(X, training=True)
    layer.backward(G)
    for name in ("weights", "biases"):
        assert_allclose(layer.grads[name], numeric_gradient(objective, layer.params[name]),
                        rtol=1e-6, atol=1e-9)
    report = gradcheck(layer, X)
    assert report.passed, str(report)


def test_dense_regularization_loss_is_the_sum_of_the_four_penalties():
    layer = Dense(2, 2, l1=0.1, l2=0.2, bias_l1=0.3, bias_l2=0.4, dtype=np.float64)
    layer.weights = [[1.0, -2.0], [0.5, 0.0]]
    layer.biases = [-1.0, 3.0]
    expected = 0.1 * 3.5 + 0.2 * (1 + 4 + 0.25) + 0.3 * 4.0 + 0.4 * (1 + 9)
    assert layer.regularization_loss() == pytest.approx(expected)
    assert Dense(2, 2).regularization_loss() == 0.0


def test_dense_computes_x_at_w_plus_b_batch_first():
    layer = Dense(2, 3, dtype=np.float64)
    layer.weights = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    layer.biases = [0.5, 0.0, -0.5]
    X = np.array([[1.0, 1.0], [0.0, 2.0]])
    assert_allclose(layer.forward(X), X @ layer.weights + layer.biases)
    assert layer.forward(np.ones((300, 2))).shape == (300, 3)


def test_dense_bias_gradient_sums_over_samples():
    layer = Dense(3, 2, dtype=np.float64, random_state=0)
    layer.forward(np.ones((4, 3)), training=True)
    layer.backward(np.arange(8.0).reshape(4, 2))
    assert_allclose(layer.grads["biases"], [0 + 2 + 4 + 6, 1 + 3 + 5 + 7])


def test_weights_and_biases_read_and_write_the_same_arrays_as_params():
    layer = Dense(3, 2, random_state=0)
    weights, biases = layer.params["weights"], layer.params["biases"]
    assert layer.weights is weights and layer.biases is biases
    layer.weights = np.full((3, 2), 7.0)
    layer.biases = [1.0, 2.0]
    assert layer.params["weights"] is weights and layer.params["biases"] is biases
    assert_array_equal(weights, 7.0)
    assert_array_equal(biases, [1.0, 2.0])
    assert weights.dtype == np.float32  # assignment keeps the layer's dtype


def test_assigning_transposed_weights_says_so():
    layer = Dense(3, 2)
    with pytest.raises(ValueError, match=r"weights must have shape \(3, 2\), got \(2, 3\).*transposed"):
        layer.weights = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"biases must have shape \(2,\)"):
        layer.biases = np.zeros(3)


def test_dense_with_one_argument_infers_its_inputs_on_first_use():
    layer = Dense(5, random_state=0)
    assert layer.n_neurons == 5 and layer.n_inputs is None and not layer.built
    assert layer.forward(np.ones((2, 7), dtype=np.float32)).shape == (2, 5)
    assert layer.weights.shape == (7, 5) and layer.n_inputs == 7


def test_dense_with_one_argument_infers_its_inputs_in_a_model():
    model = Sequential([Dense(8), ReLU(), Dense(2)], random_state=0).build(5)
    assert [layer.weights.shape for layer in model.layers if layer.params] == [(5, 8), (8, 2)]


def test_dense_is_float32_by_default():
    layer = Dense(3, 2, random_state=0)
    assert layer.weights.dtype == np.float32 and layer.biases.dtype == np.float32
    Y = layer.forward(np.ones((4, 3), dtype=np.float32), training=True)
    assert Y.dtype == np.float32
    assert layer.backward(np.ones_like(Y)).dtype == np.float32
    assert layer.grads["weights"].dtype == np.float32


def test_dense_float64_works_end_to_end():
    layer = Dense(3, 2, random_state=0, dtype=np.float64)
    assert layer.weights.dtype == np.float64
    X = np.random.default_rng(0).normal(size=(4, 3))
    Y = layer.forward(X, training=True)
    dX = layer.backward(np.ones_like(Y))
    assert Y.dtype == dX.dtype == layer.grads["weights"].dtype == np.float64
    assert_allclose(Y, X @ layer.weights + layer.biases, rtol=1e-15)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "4", True])
def test_dense_rejects_non_positive_or_non_integer_sizes(bad):
    with pytest.raises(ValueError, match="n_neurons must be a positive int"):
        Dense(3, bad)


def test_dense_rejects_negative_penalties():
    with pytest.raises(ValueError, match="l2 must be a number >= 0"):
        Dense(3, 2, l2=-0.1)


# -- initialisers ------------------------------------------------------------
SHAPE = (400, 300)


def test_he_init_has_std_sqrt_2_over_fan_in():
    W = Dense(*SHAPE, weight_init="he", random_state=0).weights
    assert W.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert abs(W.mean()) < 0.02 * W.std()


def test_glorot_init_is_uniform_within_sqrt_6_over_fan_in_plus_fan_out():
    W = Dense(*SHAPE, weight_init="glorot", random_state=0).weights
    limit = np.sqrt(6 / (400 + 300))
    assert np.abs(W).max() <= limit
    assert np.abs(W).max() > 0.99 * limit
    assert W.std() == pytest.approx(limit / np.sqrt(3), rel=0.02)


def test_lecun_init_has_std_sqrt_1_over_fan_in():
    W = Dense(*SHAPE, weight_init="lecun", random_state=0).weights
    assert W.std() == pytest.approx(np.sqrt(1 / 400), rel=0.02)


def test_normal_init_uses_the_given_scale():
    W = Dense(*SHAPE, weight_init="normal", init_scale=0.05, random_state=0).weights
    assert W.std() == pytest.approx(0.05, rel=0.02)
    assert Dense(*SHAPE, weight_init="normal", random_state=0).weights.std() == \
        pytest.approx(0.01, rel=0.02)


def test_zeros_init_gives_zero_weights_and_biases_always_start_at_zero():
    layer = Dense(4, 3, weight_init="zeros")
    assert_array_equal(layer.weights, 0.0)
    assert_array_equal(Dense(4, 3, weight_init="he", random_state=0).biases, 0.0)


def test_callable_init_gets_shape_rng_and_dtype():
    seen = {}

    def init(shape, rng, dtype):
        seen.update(shape=shape, rng=rng, dtype=dtype)
        return np.full(shape, 0.5)

    layer = Dense(4, 3, weight_init=init, random_state=0, dtype=np.float64)
    assert seen["shape"] == (4, 3) and isinstance(seen["rng"], np.random.Generator)
    assert np.dtype(seen["dtype"]) == np.float64
    assert_array_equal(layer.weights, 0.5)


def test_callable_init_returning_the_wrong_shape_is_rejected():
    with pytest.raises(ValueError, match=r"weight_init returned shape \(3, 4\), expected \(4, 3\)"):
        Dense(4, 3, weight_init=lambda shape, rng, dtype: np.zeros(shape[::-1]))


def test_same_random_state_gives_the_same_initial_weights():
    a, b = Dense(5, 4, random_state=3), Dense(5, 4, random_state=3)
    assert_array_equal(a.weights, b.weights)
    assert not np.array_equal(a.weights, Dense(5, 4, random_state=4).weights)


# -- activations -------------------------------------------------------------
@EACH_ACTIVATION
def test_activation_gradient_matches_finite_differences(make):
    X = away_from_zero((6, 4))
    report = gradcheck(make(), X)
    assert report.passed, str(report)


@EACH_ACTIVATION
def test_activation_gradient_is_right_at_extreme_inputs(make):
    # Outputs of size 1e4 carry round-off of ~1e-12 each; a step of 1e-4 keeps the
    # difference quotient's error near 1e-5 on the smallest entries; a wrong derivative
    # is off by O(1).
    report = gradcheck(make(), EXTREME, eps=1e-4, tolerance=1e-4)
    assert report.passed, str(report)


@EACH_ACTIVATION
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_is_finite_and_warning_free_at_plus_minus_1e4(make, dtype):
    X = EXTREME.astype(dtype)
    layer = make()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Y = layer.forward(X, training=True)
        dX = layer.backward(np.ones_like(X))
    assert np.isfinite(Y).all() and np.isfinite(dX).all()
    assert Y.dtype == dtype and dX.dtype == dtype


def gelu_reference(x):
    """The tanh-approximate GELU written out, with no clipping (x**3 may overflow to inf)."""
    with np.errstate(over="ignore"):
        return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)))


def test_gelu_gradient_matches_finite_differences_at_huge_inputs():
    # A fixed step of 1e-6 vanishes next to 1e20, so the step is relative to |x|.
    x = np.array([[-1e200, -1e20, -1e6, -30.0, -10.5, -9.5, -5.0, -0.5],
                  [0.5, 5.0, 9.5, 10.5, 30.0, 1e6, 1e20, 1e200]])
    h = 1e-6 * np.maximum(1.0, np.abs(x))
    expected = (gelu_reference(x + h) - gelu_reference(x - h)) / (2 * h)
    layer = GELU()
    assert_allclose(layer.forward(x, training=True), gelu_reference(x), rtol=1e-12)
    assert_allclose(layer.backward(np.ones_like(x)), expected, rtol=1e-6, atol=1e-9)


def test_gelu_backward_is_finite_where_float32_cubes_overflow():
    x = np.array([[1e20, -1e20, 1e13, -1e13, 3e38, -3e38]], dtype=np.float32)
    layer = GELU()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow in x**3 any more
        Y = layer.forward(x, training=True)
        dX = layer.backward(np.ones_like(x))
    assert_array_equal(dX, [[1.0, 0.0, 1.0, 0.0, 1.0, 0.0]])
    assert_array_equal(Y, np.where(x > 0, x, 0.0))


def test_softmax_backward_matches_independent_finite_differences():
    layer = Softmax()
    X = np.random.default_rng(0).normal(size=(5, 4))
    G = np.random.default_rng(1).normal(size=(5, 4))
    layer.forward(X, training=True)
    dX = layer.backward(G)
    assert_allclose(dX, numeric_gradient(lambda: float(np.sum(layer.forward(X, training=True) * G)), X),
                    rtol=1e-6, atol=1e-10)


def test_softmax_backward_equals_the_full_jacobian_per_sample():
    X = np.random.default_rng(0).normal(size=(3, 4))
    G = np.random.default_rng(1).normal(size=(3, 4))
    layer = Softmax()
    P = layer.forward(X, training=True)
    dX = layer.backward(G)
    for p, g, dx in zip(P, G, dX):
        jacobian = np.diag(p) - np.outer(p, p)
        assert_allclose(dx, jacobian @ g, rtol=1e-12, atol=1e-15)


def test_softmax_rows_sum_to_one_for_huge_logits():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        P = Softmax().forward(EXTREME)
    assert_allclose(P.sum(axis=1), 1.0)
    assert_allclose(P[0], [1.0, 0.0, 0.0])
    assert_allclose(P[1], [1 / 3] * 3)


def test_softmax_normalises_each_sample_over_its_classes():
    X = np.array([[1.0, 2.0, 3.0], [10.0, 10.0, 10.0]])
    P = softmax(X)
    assert_allclose(P.sum(axis=1), [1.0, 1.0])
    assert_allclose(P[1], [1 / 3] * 3)
    assert_allclose(P[0], np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum())


def test_sigmoid_saturates_to_exactly_0_and_1_without_overflow():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for dtype in (np.float32, np.float64):
            s = sigmoid(np.array([-1e4, -50.0, 0.0, 50.0, 1e4], dtype=dtype))
            assert s.dtype == dtype
            assert s[0] == 0.0 and s[-1] == 1.0 and s[2] == 0.5
    assert_allclose(sigmoid(np.array([-3.0, 3.0])), 1 / (1 + np.exp([3.0, -3.0])), rtol=1e-15)


@pytest.mark.parametrize("layer, x, expected", [
    (ReLU(), [-2.0, 0.0, 3.0], [0.0, 0.0, 3.0]),
    (LeakyReLU(0.1), [-2.0, 3.0], [-0.2, 3.0]),
    (ELU(), [-1.0, 2.0], [np.expm1(-1.0), 2.0]),
    (Tanh(), [0.5], [np.tanh(0.5)]),
    (Softplus(), [0.0, 2.0], [np.log(2.0), np.log1p(np.exp(2.0))]),
    (Identity(), [-7.0, 7.0], [-7.0, 7.0]),
    (GELU(), [1.0], [0.8411920]),
])
def test_activation_values(layer, x, expected):
    assert_allclose(layer.forward(np.array([x])), [expected], rtol=1e-6)


def test_leaky_relu_rejects_a_negative_slope():
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        LeakyReLU(-0.1)


# -- Dropout -----------------------------------------------------------------
def test_dropout_rate_is_the_fraction_dropped_and_kept_units_are_scaled_up():
    layer = Dropout(0.3, random_state=0)
    Y = layer.forward(np.ones((1000, 100), dtype=np.float32), training=True)
    dropped = np.mean(Y == 0)
    assert dropped == pytest.approx(0.3, abs=0.01)
    assert_allclose(Y[Y != 0], 1 / 0.7, rtol=1e-6)
    assert Y.mean() == pytest.approx(1.0, abs=0.02)  # inverted dropout keeps the expectation


def test_dropout_is_the_identity_at_inference():
    X = np.random.default_rng(0).normal(size=(10, 5)).astype(np.float32)
    layer = Dropout(0.5, random_state=0)
    assert_array_equal(layer.forward(X), X)
    assert_array_equal(layer.forward(X, training=False), X)
    assert gradcheck(Dropout(0.5), X).passed


def test_dropout_backward_uses_the_same_mask_as_forward():
    layer = Dropout(0.4, random_state=1)
    X = np.random.default_rng(0).uniform(1, 2, size=(50, 20))
    Y = layer.forward(X, training=True)
    G = np.random.default_rng(2).normal(size=X.shape)
    dX = layer.backward(G)
    assert_allclose(dX, G * (Y / X))  # Y / X is the scaled mask: 0 or 1 / (1 - rate)
    assert_array_equal(dX == 0, Y == 0)


def test_dropout_draws_a_new_mask_each_training_batch():
    layer = Dropout(0.5, random_state=0)
    X = np.ones((20, 20))
    assert not np.array_equal(layer.forward(X, training=True), layer.forward(X, training=True))


def test_dropout_with_the_same_random_state_drops_the_same_units():
    X = np.ones((20, 20))
    assert_array_equal(Dropout(0.5, random_state=4).forward(X, training=True),
                       Dropout(0.5, random_state=4).forward(X, training=True))


def test_dropout_rate_zero_is_the_identity_even_in_training():
    X = np.random.default_rng(0).normal(size=(4, 3))
    assert_array_equal(Dropout(0.0).forward(X, training=True), X)


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5])
def test_dropout_rejects_rates_outside_0_1(rate):
    with pytest.raises(ValueError, match=r"fraction dropped and must be in \[0, 1\)"):
        Dropout(rate)


# -- BatchNorm ---------------------------------------------------------------
def batchnorm_with_parameters(n=4):
    layer = BatchNorm(n, dtype=np.float64)
    rng = np.random.default_rng(5)
    layer.params["gamma"][...] = rng.uniform(0.5, 2.0, n)
    layer.params["beta"][...] = rng.normal(size=n)
    return layer


def test_batchnorm_training_gradients_match_finite_differences():
    X = np.random.default_rng(0).normal(2.0, 3.0, size=(8, 4))
    report = gradcheck(batchnorm_with_parameters(), X, training=True)
    assert report.passed, str(report)


def test_batchnorm_gradcheck_passes_when_x_is_drawn_with_gradchecks_own_seed():
    # gradcheck's random output weights must not coincide with an X drawn from the same seed.
    X = np.random.default_rng(0).normal(size=(6, 3))
    report = gradcheck(BatchNorm(3), X, training=True, random_state=0)
    assert report.passed, str(report)


def test_inference_forward_keeps_nothing_and_backward_then_says_what_to_do():
    layer = batchnorm_with_parameters()
    X = np.random.default_rng(0).normal(size=(8, 4))
    before = {key: value.copy() for key, value in layer.state.items()}
    layer.forward(X, training=False)
    assert layer._cache == {}
    assert all(np.array_equal(before[key], layer.state[key]) for key in before)
    with pytest.raises(ValueError, match=r"BatchNorm.backward needs what forward\(X, training=True\)"):
        layer.backward(np.ones_like(X))
    layer.forward(X, training=True)
    dX_train = layer.backward(np.ones_like(X))
    assert_allclose(dX_train.sum(axis=0), 0.0, atol=1e-10)  # batch statistics remove the mean


def test_batchnorm_training_output_has_zero_mean_unit_variance_per_feature():
    X = np.random.default_rng(0).normal(5.0, 10.0, size=(256, 3))
    Y = BatchNorm(3).forward(X.astype(np.float32), training=True)
    assert_allclose(Y.mean(axis=0), 0.0, atol=1e-5)
    assert_allclose(Y.std(axis=0), 1.0, atol=1e-3)


def test_batchnorm_updates_running_statistics_only_in_training():
    X = np.random.default_rng(0).normal(5.0, 2.0, size=(64, 2))
    layer = BatchNorm(2, momentum=0.9, dtype=np.float64)
    layer.forward(X, training=True)
    assert_allclose(layer.state["running_mean"], 0.1 * X.mean(axis=0))
    assert_allclose(layer.state["running_var"], 0.9 + 0.1 * X.var(axis=0))
    before = {k: v.copy() for k, v in layer.state.items()}
    layer.forward(X, training=False)
    for key in before:
        assert_array_equal(layer.state[key], before[key])


def test_batchnorm_inference_uses_running_statistics():
    layer = BatchNorm(2, dtype=np.float64)
    layer.state["running_mean"][...] = [1.0, 2.0]
    layer.state["running_var"][...] = [4.0, 9.0]
    Y = layer.forward(np.array([[3.0, 2.0]]))
    assert_allclose(Y, [[2.0 / np.sqrt(4 + 1e-5), 0.0]])


def test_batchnorm_infers_its_width_and_rejects_bad_arguments():
    layer = BatchNorm()
    layer.forward(np.ones((4, 6), dtype=np.float32), training=True)
    assert layer.params["gamma"].shape == (6,)
    with pytest.raises(ValueError, match="eps must be > 0"):
        BatchNorm(3, eps=0)
