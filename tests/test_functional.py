"""numnet.functional: each function against finite differences (float64) and an independent formula.

Also: the classes are thin wrappers over these functions (one softmax, the same optimizer
steps), and the fusion table of losses/fusion.py. PyTorch autograd comparisons run when torch
is installed (it is not a dependency).
"""
import warnings

import numpy as np
import pytest

import numnet
import numnet.functional as F
from numnet import (Adam, AdamW, BinaryCrossEntropy, CategoricalCrossEntropy, GELU, Identity,
                    MaskedCategoricalCrossEntropy, MaskedSoftmax, MeanSquaredError, SGD, Sigmoid,
                    Softmax)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def numeric_grad(f, X, eps=1e-6):
    """Central finite differences of the scalar ``f`` at ``X`` (float64)."""
    G = np.zeros_like(X)
    for i in np.ndindex(X.shape):
        old = X[i]
        X[i] = old + eps
        up = f(X)
        X[i] = old - eps
        down = f(X)
        X[i] = old
        G[i] = (up - down) / (2 * eps)
    return G


def away_from_zero(rng, shape, scale=2.0):
    X = rng.standard_normal(shape) * scale
    return np.where(np.abs(X) < 0.05, 0.5, X)  # no finite difference straddles a kink


# -- activations -------------------------------------------------------------------------
ACTIVATIONS = {
    "relu": (F.relu, lambda dY, X, Y: F.relu_backward(dY, Y)),
    "leaky_relu": (lambda X: F.leaky_relu(X, 0.1), lambda dY, X, Y: F.leaky_relu_backward(dY, X, 0.1)),
    "elu": (lambda X: F.elu(X, 0.7), lambda dY, X, Y: F.elu_backward(dY, X, Y, 0.7)),
    "gelu": (F.gelu, lambda dY, X, Y: F.gelu_backward(dY, X)),
    "sigmoid": (F.sigmoid, lambda dY, X, Y: F.sigmoid_backward(dY, Y)),
    "tanh": (F.tanh, lambda dY, X, Y: F.tanh_backward(dY, Y)),
    "softplus": (F.softplus, lambda dY, X, Y: F.softplus_backward(dY, X)),
    "identity": (F.identity, lambda dY, X, Y: F.identity_backward(dY)),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_backward_matches_finite_differences(rng, name):
    f, backward = ACTIVATIONS[name]
    X, dY = away_from_zero(rng, (4, 5)), rng.standard_normal((4, 5))
    expected = numeric_grad(lambda Z: float(np.sum(dY * f(Z))), X.copy())
    np.testing.assert_allclose(backward(dY, X, f(X)), expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_and_backward_are_finite_at_extreme_inputs(name):
    f, backward = ACTIVATIONS[name]
    X = np.array([-1e30, -1e4, -50.0, 50.0, 1e4, 1e30])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings either
        Y = f(X)
        dX = backward(np.ones_like(X), X, Y)
    assert np.isfinite(Y).all() and np.isfinite(dX).all()


def test_activations_equal_independent_formulas(rng):
    X = rng.standard_normal(20) * 3
    np.testing.assert_allclose(F.sigmoid(X), 1 / (1 + np.exp(-X)), rtol=1e-14)
    np.testing.assert_allclose(F.softplus(X), np.log1p(np.exp(X)), rtol=1e-14)
    np.testing.assert_allclose(F.elu(X, 1.0), [x if x > 0 else np.exp(x) - 1 for x in X], rtol=1e-14)
    u = np.sqrt(2 / np.pi) * (X + 0.044715 * X**3)
    np.testing.assert_allclose(F.gelu(X), 0.5 * X * (1 + np.tanh(u)), rtol=1e-14)
    np.testing.assert_array_equal(F.leaky_relu(X, 0.2), [x if x > 0 else 0.2 * x for x in X])


def test_functions_keep_no_state_and_do_not_modify_inputs(rng):
    X = rng.standard_normal((3, 4))
    before = X.copy()
    for f, backward in ACTIVATIONS.values():
        backward(np.ones_like(X), X, f(X))
    F.softmax_and_log(X, floor=True)
    F.cross_entropy_grad(X, np.array([0, 1, 3]), label_smoothing=0.1)
    np.testing.assert_array_equal(X, before)


# -- softmax -----------------------------------------------------------------------------------
def test_softmax_equals_exp_over_sum_and_log_softmax_its_log(rng):
    Z = rng.standard_normal((6, 4)) * 3
    expected = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(F.softmax(Z), expected, rtol=1e-14)
    np.testing.assert_allclose(F.log_softmax(Z), np.log(expected), rtol=1e-13)
    np.testing.assert_allclose(F.softmax(Z.T, axis=0), expected.T, rtol=1e-14)


def test_softmax_rows_sum_to_one_for_huge_logits():
    Z = np.array([[1e4, 0.0, -1e4], [1e300, 1e300, -1e300]])
    P, log_P = F.softmax_and_log(Z)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert np.isfinite(log_P).all()


def test_masked_softmax_equals_softmax_over_the_allowed_classes(rng):
    Z = rng.standard_normal((5, 4))
    mask = np.array([[1, 1, 0, 1], [0, 1, 0, 0], [1, 1, 1, 1], [0, 0, 0, 0], [1, 0, 1, 0]], bool)
    Z[~mask] = 1e30  # masked logits never matter
    P = F.masked_softmax(Z, mask)
    for row, allowed in zip(range(5), mask):
        expected = np.zeros(4)
        if allowed.any():
            expected[allowed] = F.softmax(Z[row, allowed][None])[0]
        np.testing.assert_allclose(P[row], expected, rtol=1e-14)
    _, log_P = F.softmax_and_log(Z, mask)
    assert (log_P[~mask] == 0).all() and np.isfinite(log_P).all()


def test_masked_softmax_refuses_a_mask_of_another_shape():
    with pytest.raises(ValueError, match=r"mask must have the shape of the logits, \(1, 3\), got \(1, 2\)"):
        F.masked_softmax(np.zeros((1, 3)), np.ones((1, 2)))


def test_softmax_backward_matches_finite_differences(rng):
    Z, G = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    expected = numeric_grad(lambda A: float(np.sum(G * F.softmax(A))), Z.copy())
    np.testing.assert_allclose(F.softmax_backward(G, F.softmax(Z)), expected, rtol=1e-6, atol=1e-9)


def test_log_softmax_derivative_is_g_minus_p_times_sum_g(rng):
    Z, G = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    expected = G - F.softmax(Z) * G.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(numeric_grad(lambda A: float(np.sum(G * F.log_softmax(A))), Z.copy()),
                               expected, rtol=1e-6, atol=1e-9)


def test_floored_softmax_has_no_subnormal_probabilities():
    P, log_P = F.softmax_and_log(np.array([[0.0, -200.0]], np.float32), floor=True)
    assert P[0, 1] >= np.finfo(np.float32).tiny and log_P[0, 1] == np.float32(-200.0)


# -- dense -------------------------------------------------------------------------------------
def test_dense_backward_matches_finite_differences(rng):
    X, W, b = rng.standard_normal((5, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    dY = rng.standard_normal((5, 2))
    dX, dW, db = F.dense_backward(dY, X, W)
    loss = lambda X_, W_, b_: float(np.sum(dY * F.dense(X_, W_, b_)))  # noqa: E731
    np.testing.assert_allclose(dX, numeric_grad(lambda A: loss(A, W, b), X.copy()), rtol=1e-6)
    np.testing.assert_allclose(dW, numeric_grad(lambda A: loss(X, A, b), W.copy()), rtol=1e-6)
    np.testing.assert_allclose(db, numeric_grad(lambda A: loss(X, W, A), b.copy()), rtol=1e-6)
    np.testing.assert_allclose(F.dense(X, W, b), X @ W + b, rtol=1e-15)


def test_dense_backward_writes_into_given_arrays_and_can_skip_dX(rng):
    X, W, dY = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal((4, 2))
    dW, db = np.empty((3, 2)), np.empty(2)
    dX, dW_out, db_out = F.dense_backward(dY, X, W, dW=dW, db=db, input_grad=False)
    assert dX is None and dW_out is dW and db_out is db
    np.testing.assert_allclose(db, dY.sum(axis=0), rtol=1e-14)


# -- cross-entropy --------------------------------------------------------------------------------
CE_CASES = {
    "labels": {},
    "weights": {"sample_weight": np.array([1.0, 0.0, 2.5, 0.5])},
    "smoothing": {"label_smoothing": 0.2},
    "mask": {"mask": np.array([[1, 1, 0], [1, 0, 1], [1, 1, 1], [0, 1, 1]], bool)},
    "mask_smoothing_weights": {"mask": np.array([[1, 1, 0], [1, 0, 1], [1, 1, 1], [0, 1, 1]], bool),
                               "label_smoothing": 0.1, "sample_weight": np.array([1.0, 2, 3, 4])},
}
LABELS = np.array([0, 2, 1, 1])


@pytest.mark.parametrize("case", sorted(CE_CASES))
@pytest.mark.parametrize("one_hot", [False, True])
def test_cross_entropy_grad_matches_finite_differences(rng, case, one_hot):
    kwargs = CE_CASES[case]
    Z = rng.standard_normal((4, 3)) * 2
    targets = F.one_hot(LABELS, 3) if one_hot else LABELS
    expected = numeric_grad(lambda A: F.cross_entropy(A, targets, **kwargs), Z.copy())
    np.testing.assert_allclose(F.cross_entropy_grad(Z, targets, **kwargs), expected,
                               rtol=1e-6, atol=1e-9)


def test_cross_entropy_grad_with_soft_targets_matches_finite_differences(rng):
    Z = rng.standard_normal((4, 3))
    T = F.softmax(rng.standard_normal((4, 3)))
    expected = numeric_grad(lambda A: F.cross_entropy(A, T), Z.copy())
    np.testing.assert_allclose(F.cross_entropy_grad(Z, T), expected, rtol=1e-6, atol=1e-9)


def test_cross_entropy_equals_the_mean_negative_log_probability_of_the_label(rng):
    Z = rng.standard_normal((4, 3))
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(P[np.arange(4), LABELS]))
    assert F.cross_entropy(Z, LABELS) == pytest.approx(expected, rel=1e-14)
    T = 0.8 * np.eye(3)[LABELS] + 0.2 / 3
    assert F.cross_entropy(Z, LABELS, label_smoothing=0.2) == pytest.approx(
        -np.mean(np.sum(T * np.log(P), axis=1)), rel=1e-14)
    np.testing.assert_allclose(F.cross_entropy_grad(Z, LABELS), (P - np.eye(3)[LABELS]) / 4,
                               rtol=1e-14, atol=1e-17)


def test_cross_entropy_is_finite_and_exact_for_huge_logits():
    Z = np.array([[1e4, 0.0], [0.0, 1e4]])
    assert F.cross_entropy(Z, np.array([1, 1])) == pytest.approx(5e3)


def test_a_fully_masked_row_adds_no_loss_and_no_gradient(rng):
    Z, mask = rng.standard_normal((2, 3)), np.array([[0, 0, 0], [1, 1, 1]], bool)
    T = np.array([[0.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # the masked loss zeroes such a row's target
    G = F.cross_entropy_grad(Z, T, mask=mask)
    assert (G[0] == 0).all()
    assert F.cross_entropy(Z, T, mask=mask) == pytest.approx(-F.log_softmax(Z)[1, 1] / 2)


def test_nll_grad_matches_finite_differences(rng):
    P = rng.uniform(0.1, 0.9, (3, 4))
    expected = numeric_grad(lambda A: F.nll(np.log(A), LABELS[:3]), P.copy())
    np.testing.assert_allclose(F.nll_grad(P, LABELS[:3]), expected, rtol=1e-6, atol=1e-9)


# -- binary cross-entropy ----------------------------------------------------------------------------
def test_binary_cross_entropy_equals_the_textbook_formula_and_its_grad_the_derivative(rng):
    Z, T = rng.standard_normal((5, 2)) * 3, rng.integers(0, 2, (5, 2)).astype(float)
    w = rng.uniform(0, 2, 5)
    p = 1 / (1 + np.exp(-Z))
    expected = np.sum(w * np.mean(-(T * np.log(p) + (1 - T) * np.log(1 - p)), axis=1)) / 5
    assert F.binary_cross_entropy(Z, T, w) == pytest.approx(expected, rel=1e-13)
    assert F.binary_cross_entropy_probs(p, T, w) == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(F.binary_cross_entropy_grad(Z, T, w),
                               numeric_grad(lambda A: F.binary_cross_entropy(A, T, w), Z.copy()),
                               rtol=1e-6, atol=1e-9)
    P = rng.uniform(0.1, 0.9, (5, 2))
    np.testing.assert_allclose(F.binary_cross_entropy_probs_grad(P, T, w),
                               numeric_grad(lambda A: F.binary_cross_entropy_probs(A, T, w), P.copy()),
                               rtol=1e-6, atol=1e-9)


def test_binary_cross_entropy_is_exact_for_huge_logits():
    assert F.binary_cross_entropy(np.array([[-1e4]]), np.array([[1.0]])) == pytest.approx(1e4)


# -- regression --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["mse", "mae", "huber"])
def test_regression_grad_matches_finite_differences(rng, name):
    loss, grad = getattr(F, name), getattr(F, name + "_grad")
    Y, T, w = rng.standard_normal((6, 2)) * 2, rng.standard_normal((6, 2)), rng.uniform(0, 2, 6)
    Y = np.where(np.abs(np.abs(Y - T) - 1.0) < 0.01, Y + 0.1, Y)  # away from huber's kink
    expected = numeric_grad(lambda A: loss(A, T, w), Y.copy())
    np.testing.assert_allclose(grad(Y, T, w), expected, rtol=1e-6, atol=1e-9)


def test_regression_losses_equal_independent_formulas(rng):
    Y, T = rng.standard_normal((6, 2)) * 2, rng.standard_normal((6, 2))
    R = Y - T
    assert F.mse(Y, T) == pytest.approx(np.mean(R**2), rel=1e-14)
    assert F.mae(Y, T) == pytest.approx(np.mean(np.abs(R)), rel=1e-14)
    piecewise = [r * r / 2 if abs(r) <= 0.5 else 0.5 * (abs(r) - 0.25) for r in R.ravel()]
    assert F.huber(Y, T, delta=0.5) == pytest.approx(np.mean(piecewise), rel=1e-14)


# -- optimizer steps -------------------------------------------------------------------------------------
def test_adam_step_equals_the_paper_with_bias_corrected_moments(rng):
    p, m, v = rng.standard_normal(6), np.zeros(6), np.zeros(6)
    textbook, tm, tv = p.copy(), np.zeros(6), np.zeros(6)
    for t in range(1, 4):
        g = rng.standard_normal(6)
        p, m, v = F.adam_step(p, g, m, v, t, lr=0.01, epsilon=0.0)
        tm, tv = 0.9 * tm + 0.1 * g, 0.999 * tv + 0.001 * g * g
        textbook = textbook - 0.01 * (tm / (1 - 0.9**t)) / np.sqrt(tv / (1 - 0.999**t))
    np.testing.assert_allclose(p, textbook, rtol=1e-12)


def test_adamw_step_decays_before_the_adam_step():
    p, _, _ = F.adam_step(np.array([2.0]), np.zeros(1), np.zeros(1), np.zeros(1), 1, lr=0.1,
                          weight_decay=0.5)
    np.testing.assert_allclose(p, [1.9])


def test_sgd_step_by_hand():
    p, v = F.sgd_step(np.array([1.0]), np.array([0.5]), lr=0.1, velocity=np.array([-0.05]),
                      momentum=0.9, nesterov=True)
    # v = 0.9 * -0.05 - 0.05 = -0.095; p = 1 - 0.05 + 0.9 * -0.095
    np.testing.assert_allclose(v, [-0.095])
    np.testing.assert_allclose(p, [1 - 0.05 - 0.0855])
    p, _ = F.sgd_step(np.array([1.0]), np.array([0.5]), lr=0.1, weight_decay=1.0)
    np.testing.assert_allclose(p, [1 - 0.1 * 1.5])


@pytest.mark.parametrize("make, amsgrad", [(lambda: Adam(0.01), False),
                                           (lambda: Adam(0.01, amsgrad=True), True),
                                           (lambda: AdamW(0.01, weight_decay=0.1), False)])
def test_adam_classes_step_exactly_as_functional_adam_step(rng, make, amsgrad):
    opt = make()
    p = rng.standard_normal(10).astype(np.float32)
    state = (p.copy(), np.zeros_like(p), np.zeros_like(p)) + ((np.zeros_like(p),) if amsgrad else ())
    for t in range(1, 4):
        g = rng.standard_normal(10).astype(np.float32)
        opt.step([p], [g.copy()])
        state = F.adam_step(state[0], g, state[1], state[2], t, 0.01,
                            weight_decay=getattr(opt, "weight_decay", 0.0),
                            v_hat=state[3] if amsgrad else None)
    np.testing.assert_array_equal(p, state[0])


def test_sgd_class_steps_exactly_as_functional_sgd_step(rng):
    opt = SGD(0.05, momentum=0.9, nesterov=True, weight_decay=0.01)
    p = rng.standard_normal(10)
    pure, velocity = p.copy(), np.zeros(10)
    for _ in range(3):
        g = rng.standard_normal(10)
        opt.step([p], [g.copy()])
        pure, velocity = F.sgd_step(pure, g, 0.05, velocity, 0.9, True, 0.01)
    np.testing.assert_array_equal(p, pure)


# -- the classes are thin wrappers -------------------------------------------------------------------
def test_there_is_one_softmax():
    from numnet.layers import activations
    assert activations.softmax is F.softmax and activations.log_softmax is F.log_softmax
    assert activations.sigmoid is F.sigmoid and numnet.softmax is F.softmax


def test_layers_and_losses_give_the_functions_results(rng):
    Z = rng.standard_normal((4, 3)) * 5
    np.testing.assert_array_equal(Softmax().forward(Z), F.softmax(Z))
    mask = np.array([[1, 0, 1]] * 4, bool)
    np.testing.assert_array_equal(MaskedSoftmax().forward(Z, mask=mask), F.masked_softmax(Z, mask))
    loss = CategoricalCrossEntropy(from_logits=True)
    assert loss.forward(Z, LABELS) == F.cross_entropy(Z, LABELS)
    np.testing.assert_array_equal(loss.backward(), F.cross_entropy_grad(Z, LABELS))
    np.testing.assert_allclose(loss.probabilities, F.softmax(Z), rtol=1e-15)
    masked = MaskedCategoricalCrossEntropy(from_logits=True)
    assert masked.forward(Z, np.array([0, 2, 0, 2]), mask=mask) == pytest.approx(
        F.cross_entropy(Z, np.array([0, 2, 0, 2]), mask=mask), rel=1e-15)
    layer = numnet.Dense(3, 2, random_state=0, dtype=np.float64)
    np.testing.assert_array_equal(layer.forward(Z), F.dense(Z, layer.weights, layer.biases))


def test_gelu_inference_keeps_no_state(rng):
    layer = GELU()
    layer.forward(rng.standard_normal((2, 3)), training=False)
    assert layer._cache == {} and not hasattr(layer, "_X")
    with pytest.raises(ValueError, match=r"forward\(X, training=True\)"):
        layer.backward(np.ones((2, 3)))


# -- the fusion table ---------------------------------------------------------------------------------
@pytest.mark.parametrize("loss, layer, expected", [
    (CategoricalCrossEntropy(label_smoothing=0.1), Softmax(), CategoricalCrossEntropy),
    (CategoricalCrossEntropy(label_smoothing=0.1), MaskedSoftmax(), MaskedCategoricalCrossEntropy),
    (MaskedCategoricalCrossEntropy(label_smoothing=0.1), Softmax(), MaskedCategoricalCrossEntropy),
    (MaskedCategoricalCrossEntropy(label_smoothing=0.1), MaskedSoftmax(), MaskedCategoricalCrossEntropy),
    (BinaryCrossEntropy(), Sigmoid(), BinaryCrossEntropy),
])
def test_fusion_table_gives_a_from_logits_loss_keeping_the_settings(loss, layer, expected):
    fused = loss.logits_loss(layer)
    assert type(fused) is expected and fused.from_logits
    assert getattr(fused, "label_smoothing", 0.1) == 0.1


def test_fusion_keeps_the_masked_target_policy():
    fused = MaskedCategoricalCrossEntropy(masked_target="ignore").logits_loss(Softmax())
    assert fused.masked_target == "ignore"


@pytest.mark.parametrize("loss, layer", [(MeanSquaredError(), Identity()), (MeanSquaredError(), Softmax()),
                                         (BinaryCrossEntropy(), Softmax()),
                                         (CategoricalCrossEntropy(), Sigmoid())])
def test_pairs_outside_the_fusion_table_do_not_fuse(loss, layer):
    assert loss.logits_loss(layer) is None


@pytest.mark.parametrize("loss, layer", [(CategoricalCrossEntropy(from_logits=True), Softmax()),
                                         (CategoricalCrossEntropy(from_logits=True), MaskedSoftmax()),
                                         (BinaryCrossEntropy(from_logits=True), Sigmoid())])
def test_a_from_logits_loss_after_its_own_activation_warns_and_does_not_fuse(loss, layer):
    with pytest.warns(UserWarning, match=r"applied twice"):
        assert loss.logits_loss(layer) is None


# -- PyTorch autograd, float64 (only where torch is installed) ----------------------------------------
def test_matches_pytorch_autograd_in_float64(rng):
    torch = pytest.importorskip("torch")
    Z = rng.standard_normal((5, 4)) * 3
    dY = rng.standard_normal((5, 4))
    pairs = {
        "relu": (torch.relu, F.relu, lambda X: F.relu_backward(dY, F.relu(X))),
        "elu": (torch.nn.functional.elu, F.elu, lambda X: F.elu_backward(dY, X, F.elu(X))),
        "gelu": (lambda t: torch.nn.functional.gelu(t, approximate="tanh"), F.gelu,
                 lambda X: F.gelu_backward(dY, X)),
        "softplus": (torch.nn.functional.softplus, F.softplus, lambda X: F.softplus_backward(dY, X)),
        "sigmoid": (torch.sigmoid, F.sigmoid, lambda X: F.sigmoid_backward(dY, F.sigmoid(X))),
        "log_softmax": (lambda t: torch.log_softmax(t, dim=1), F.log_softmax,
                        lambda X: dY - F.softmax(X) * dY.sum(axis=1, keepdims=True)),
    }
    for name, (torch_f, f, backward) in pairs.items():
        t = torch.tensor(Z, dtype=torch.float64, requires_grad=True)
        out = torch_f(t)
        out.backward(torch.tensor(dY))
        np.testing.assert_allclose(f(Z), out.detach().numpy(), rtol=1e-12, atol=1e-15, err_msg=name)
        np.testing.assert_allclose(backward(Z), t.grad.numpy(), rtol=1e-10, atol=1e-14, err_msg=name)
    t = torch.tensor(Z, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(t, torch.tensor(LABELS.tolist() + [3]), label_smoothing=0.2)
    loss.backward()
    labels = np.append(LABELS, 3)
    assert F.cross_entropy(Z, labels, label_smoothing=0.2) == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(F.cross_entropy_grad(Z, labels, label_smoothing=0.2), t.grad.numpy(),
                               rtol=1e-10, atol=1e-15)


def test_optimizer_steps_match_pytorch(rng):
    torch = pytest.importorskip("torch")
    p0, grads = rng.standard_normal(6), [rng.standard_normal(6) for _ in range(3)]
    for name in ("adam", "sgd"):
        t = torch.tensor(p0, requires_grad=True)
        opt = (torch.optim.Adam([t], lr=0.01, eps=0.0) if name == "adam"
               else torch.optim.SGD([t], lr=0.05, momentum=0.9, nesterov=True))
        p, m, v = p0.copy(), np.zeros(6), np.zeros(6)
        for step, g in enumerate(grads, start=1):
            t.grad = torch.tensor(g)
            opt.step()
            if name == "adam":
                p, m, v = F.adam_step(p, g, m, v, step, lr=0.01, epsilon=0.0)
            else:
                p, m = F.sgd_step(p, g, 0.05, m, momentum=0.9, nesterov=True)
        np.testing.assert_allclose(p, t.detach().numpy(), rtol=1e-12, err_msg=name)


def test_regression_losses_are_thin_wrappers_and_evaluate_leaves_the_models_loss_clean(rng):
    Y, T = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    loss = numnet.Huber(delta=0.5)
    assert loss.forward(Y, T) == F.huber(Y, T, delta=0.5)
    np.testing.assert_array_equal(loss.backward(), F.huber_grad(Y, T, delta=0.5))
    X, y = numnet.spiral_data(10, 3, random_state=0)
    model = numnet.Sequential([numnet.Dense(2, 3)], random_state=0)
    model.compile(loss="mse")
    model.fit(X, np.eye(3)[y], epochs=1, verbose=0)
    model.evaluate(X, np.eye(3)[y])
    assert not {"_P", "_T", "_w", "_R"} & set(vars(model.loss))


def test_a_0_1_integer_mask_means_what_the_same_bool_mask_means(rng):
    Z = rng.standard_normal((4, 5))
    mask = np.array([[1, 0, 1, 1, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1], [0, 1, 0, 0, 0]])
    for P_int, P_bool in zip(F.softmax_and_log(Z, mask), F.softmax_and_log(Z, mask.astype(bool))):
        np.testing.assert_array_equal(P_int, P_bool)
    labels = np.array([0, 1, 2, 1])
    assert F.cross_entropy(Z, labels, mask=mask) == F.cross_entropy(Z, labels, mask=mask == 1)
    np.testing.assert_array_equal(F.cross_entropy_grad(Z, labels, mask=mask, label_smoothing=0.1),
                                  F.cross_entropy_grad(Z, labels, mask=mask == 1, label_smoothing=0.1))
