"""Fast paths give what the plain paths give (correctness only: nothing here is timed)."""
import numpy as np
import pytest

import numnet
from numnet import Dense, ReLU, Sequential, Softmax
from numnet.layers.dropout import Dropout
from numnet.model import step as step_module


def _data(n=96, d=3, k=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)).astype(np.float32), rng.integers(0, k, n)


def _fit(layers, X, y, fast=True, optimizer="adam", dtype=np.float32, **fit_args):
    model = Sequential(layers(), random_state=0, dtype=dtype)
    model.compile(loss="categorical_crossentropy", optimizer=optimizer)
    model._fast_paths_seen = []
    original = step_module.DenseReluSteps.for_step

    def spy(cls, step):
        plan = original.__func__(cls, step) if fast else None
        model._fast_paths_seen.append(plan is not None)
        return plan

    step_module.DenseReluSteps.for_step = classmethod(spy)
    try:
        history = model.fit(X, y, epochs=3, batch_size=20, verbose=0, random_state=1, **fit_args)
    finally:
        step_module.DenseReluSteps.for_step = original
    return model, history


def _mlp():
    return [Dense(3, 8), ReLU(), Dense(8, 8), ReLU(), Dense(8, 4), Softmax()]


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop"])
def test_dense_relu_fast_path_trains_like_the_plain_path(optimizer):
    # The hidden layers' bias is summed inside the matrix product, so the two paths agree to
    # rounding (bitwise before that trick): to float32 rounding in float32, and to ~1e-12 in float64.
    X, y = _data()
    fast, fast_history = _fit(_mlp, X, y, optimizer=optimizer)
    plain, plain_history = _fit(_mlp, X, y, fast=False, optimizer=optimizer)
    assert fast._fast_paths_seen == [True]
    assert fast._flat.values.dtype == np.float32
    np.testing.assert_allclose(fast._flat.values, plain._flat.values, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(fast_history.history["loss"], plain_history.history["loss"], rtol=1e-5)
    fast, fast_history = _fit(_mlp, X, y, optimizer=optimizer, dtype=np.float64)
    plain, plain_history = _fit(_mlp, X, y, fast=False, optimizer=optimizer, dtype=np.float64)
    np.testing.assert_allclose(fast._flat.values, plain._flat.values, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fast_history.history["loss"], plain_history.history["loss"], rtol=1e-12)


def _one_batch_gradients(fast):
    X, y = _data(n=20)
    X = X.astype(np.float64)
    model = Sequential(_mlp(), random_state=0, dtype=np.float64)
    model.compile(loss="categorical_crossentropy", optimizer="sgd")
    model.fit(X, y, epochs=1, batch_size=20, verbose=0)  # builds the model and its flat buffers
    step = step_module.BatchStep(model)
    assert step.fast is not None
    if not fast:
        step.fast = None
    model._flat.gradients[...] = np.nan  # every entry must be written
    loss = step.loss_only(X, y, None, None, training=True) if not fast else step.fast.gradients(X, y)
    if not fast:
        grad = step.loss.backward()
        for layer in step.backward_plan:
            grad = layer.backward(grad)
    return loss, model._flat.gradients.copy(), step


def test_fast_path_gradients_equal_the_layers_backward_in_float64():
    fast_loss, fast_grads, step = _one_batch_gradients(fast=True)
    plain_loss, plain_grads, _ = _one_batch_gradients(fast=False)
    assert step.fast.folded == [False, True, True]  # the first layer's input is the data
    assert np.isfinite(fast_grads).all()
    np.testing.assert_allclose(fast_grads, plain_grads, rtol=1e-12, atol=1e-15)
    assert fast_loss == pytest.approx(plain_loss, rel=1e-12)


def test_folded_weights_and_biases_are_one_view_of_the_flat_buffer():
    _, _, step = _one_batch_gradients(fast=True)
    fast, flat = step.fast, step.flat
    for i in (1, 2):
        assert np.shares_memory(fast.Wb[i], flat.values) and np.shares_memory(fast.dWb[i], flat.gradients)
        np.testing.assert_array_equal(fast.Wb[i], np.vstack([fast.W[i], fast.b[i]]))
        np.testing.assert_array_equal(fast.dWb[i], np.vstack([fast.dW[i], fast.db[i]]))
    apart = np.zeros(10)
    assert step_module._stacked(apart, apart[:6].reshape(2, 3), np.zeros(3)) is None  # b elsewhere
    assert step_module._stacked(apart, apart[:6].reshape(2, 3), apart[7:10]) is None  # a gap
    assert step_module._stacked(apart, apart[:6].reshape(2, 3), apart[6:9]).shape == (3, 3)


def test_fast_path_leaves_no_batch_on_the_layers():
    X, y = _data()
    model, _ = _fit(_mlp, X, y)
    for layer in model.layers:
        assert not getattr(layer, "_cache", None)


def test_fast_path_feeds_metrics_the_probabilities():
    X, y = _data()
    fast = Sequential(_mlp(), random_state=0)
    fast.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = fast.fit(X, y, epochs=2, batch_size=20, verbose=0, random_state=1)
    assert 0.0 < history.history["accuracy"][-1] <= 1.0  # counted from the batch's probabilities


@pytest.mark.parametrize("layers", [
    lambda: [Dense(3, 8), Dropout(0.1), Dense(8, 4), Softmax()],
    lambda: [Dense(3, 8), numnet.layers.activations.Tanh(), Dense(8, 4), Softmax()],
    lambda: [Dense(3, 8, l2=1e-3), ReLU(), Dense(8, 4), Softmax()],
])
def test_other_networks_take_the_plain_path(layers):
    X, y = _data()
    model, _ = _fit(layers, X, y)
    assert model._fast_paths_seen == [False]


def test_sample_weights_and_one_hot_targets_take_the_plain_path_with_the_same_result():
    X, y = _data()
    weights = np.linspace(0.5, 1.5, len(y))
    fast, _ = _fit(_mlp, X, y, sample_weight=weights)
    plain, _ = _fit(_mlp, X, y, fast=False, sample_weight=weights)
    np.testing.assert_array_equal(fast._flat.values, plain._flat.values)
    one_hot = np.eye(4, dtype=np.float32)[y]
    fast, _ = _fit(_mlp, X, one_hot)
    plain, _ = _fit(_mlp, X, one_hot, fast=False)
    np.testing.assert_array_equal(fast._flat.values, plain._flat.values)


def test_adam_on_two_threads_is_bitwise_the_serial_update():
    rng = np.random.default_rng(0)
    params = [rng.standard_normal(5000).astype(np.float32)] * 2
    params[1] = params[0].copy()
    grads = [rng.standard_normal(5000).astype(np.float32)] * 2
    threaded, serial = numnet.Adam(), numnet.Adam()
    threaded.block_size = serial.block_size = 256          # 20 blocks: above parallel_min_blocks
    threaded.parallel_min_blocks = 3                        # the split is off by default
    assert serial.parallel_min_blocks is None
    for _ in range(3):
        threaded.step([params[0]], [grads[0]])
        serial.step([params[1]], [grads[1]])
    np.testing.assert_array_equal(params[0], params[1])


def test_optimizer_block_views_follow_new_state():
    rng = np.random.default_rng(1)
    p, g = rng.standard_normal(1000), rng.standard_normal(1000)
    optimizer = numnet.Adam()
    optimizer.block_size = 100
    optimizer.step([p], [g])
    state = optimizer.get_state()
    optimizer.step([p], [g])
    after_two = p.copy()
    optimizer.set_state(state)        # back one step: the cached views must not keep the old state
    p2 = p.copy()
    reference = numnet.Adam()
    reference.block_size = 100
    reference.set_state(state)
    q = p.copy()
    optimizer.step([p2], [g])
    reference.step([q], [g])
    np.testing.assert_array_equal(p2, q)
    assert not np.array_equal(after_two, p2)


def test_plain_predict_equals_the_general_path_and_still_checks_its_input():
    from numnet.model.forward import run_layers

    X, y = _data()
    model, _ = _fit(_mlp, X, y)
    expected = run_layers(model.layers, X, training=False)
    np.testing.assert_array_equal(model.predict(X), expected)
    np.testing.assert_array_equal(model.predict(X[:1]), run_layers(model.layers, X[:1], training=False))
    np.testing.assert_array_equal(model.predict(X, verbose="auto"), expected)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :2])
    bad = X[:2].copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN|finite"):
        model.predict(bad)


def test_the_last_step_check_uses_the_fast_forward_pass_and_writes_no_gradient():
    _, _, step = _one_batch_gradients(fast=True)
    X, y = _data(n=20)
    X = X.astype(np.float64)
    gradients = step.flat.gradients.copy()
    fast_loss = step.check_loss(X, y, None, None)
    np.testing.assert_array_equal(step.flat.gradients, gradients)
    assert fast_loss == pytest.approx(step.loss_only(X, y, None, None), rel=1e-12)
    weights = np.linspace(0.5, 1.5, len(y))  # not the fast path's case: the general loss
    assert step.check_loss(X, y, weights, None) == step.loss_only(X, y, weights, None)
