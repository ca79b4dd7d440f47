"""The benchmark's hand-written NumPy loop (bench/hand_loop.py) computes what numnet computes.

It is a timing peer, so its correctness matters: its gradients are checked
against central finite differences in float64, and its training against
numnet's ``Sequential.fit`` step for step. Nothing here is timed.
"""
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from numnet import Adam, Dense, ReLU, Sequential, Softmax, spiral_data


def _load_hand_loop():
    """Import bench/hand_loop.py by its path: putting bench/ on sys.path would let its other
    scripts (e.g. one named like a package) shadow real packages in the whole test run."""
    path = Path(__file__).resolve().parents[1] / "bench" / "hand_loop.py"
    spec = importlib.util.spec_from_file_location("bench_hand_loop", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pickling look modules up by name
    spec.loader.exec_module(module)
    return module


_hand = _load_hand_loop()
FLUSH_EVERY, HandLoop, HandMLP = _hand.FLUSH_EVERY, _hand.HandLoop, _hand.HandMLP


def _tiny_data(n=7, d=3, k=3, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)).astype(dtype), np.arange(n) % k


def _numnet_twin(sizes, learning_rate, seed=0):
    """A numnet model of the same shape, and a HandMLP holding its initial weights."""
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [Dense(n_in, n_out), ReLU() if i < len(sizes) - 2 else Softmax()]
    model = Sequential(layers, dtype=np.float32, random_state=seed)
    model.compile(loss="categorical_crossentropy", optimizer=Adam(learning_rate=learning_rate))
    hand = HandMLP(sizes, learning_rate=learning_rate)
    hand.set_weights([(layer.weights, layer.biases) for layer in model.layers[::2]])
    return model, hand


def test_gradients_match_central_finite_differences_in_float64():
    X, y = _tiny_data()
    net = HandMLP((3, 5, 4, 3), random_state=1, dtype=np.float64)
    net.params.values += 0.1  # nonzero biases, and fewer units sitting near the ReLU kink
    net.loss_and_gradients(X, y)
    analytic = net.grads.values.copy()
    numeric, h = np.empty_like(analytic), 1e-6
    for j in range(analytic.size):
        saved = net.params.values[j]
        net.params.values[j] = saved + h
        up = net.loss_and_gradients(X, y)
        net.params.values[j] = saved - h
        down = net.loss_and_gradients(X, y)
        net.params.values[j] = saved
        numeric[j] = (up - down) / (2 * h)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_loss_matches_cross_entropy_of_predicted_probabilities():
    X, y = _tiny_data()
    net = HandMLP((3, 6, 3), random_state=0, dtype=np.float64)
    expected = -np.mean(np.log(net.predict_proba(X)[np.arange(len(y)), y]))
    assert net.loss_and_gradients(X, y) == pytest.approx(expected, rel=1e-12)


def test_one_full_batch_step_has_numnets_gradients():
    X, y = spiral_data(20, 3, random_state=0)
    model, hand = _numnet_twin((2, 8, 8, 3), 1e-2)
    model.fit(X, y, epochs=1, batch_size=len(X), shuffle=False, verbose=0)
    hand.loss_and_gradients(X, y)
    np.testing.assert_allclose(hand.grads.values, model._flat.gradients, rtol=1e-5, atol=1e-7)


def test_fit_follows_numnets_fit_step_for_step():
    # Same weights, same shuffling seed, a partial last batch and more than FLUSH_EVERY steps.
    X, y = spiral_data(50, 3, random_state=0)
    model, hand = _numnet_twin((2, 16, 16, 3), 1e-2)
    history = model.fit(X, y, epochs=4, batch_size=32, verbose=0, random_state=3)
    losses = hand.fit(X, y, epochs=4, batch_size=32, random_state=3)
    assert hand.iterations == 4 * 5 > FLUSH_EVERY
    np.testing.assert_allclose(hand.params.values, model._flat.values, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(losses, history.history["loss"], rtol=1e-5)


def test_fit_loss_decreases_and_spiral_is_learned():
    X, y = spiral_data(100, 3, random_state=0)
    net = HandMLP((2, 32, 32, 3), learning_rate=1e-2, random_state=0)
    losses = net.fit(X, y, epochs=40, batch_size=32, random_state=0)
    assert losses[-1] < 0.7 * losses[0]
    assert np.mean(np.argmax(net.predict_proba(X), axis=1) == y) > 0.7


def test_first_adam_step_moves_each_parameter_by_the_learning_rate():
    # With m and v starting at 0, m = 0.1 g and v = 0.001 g**2, and the bias-corrected step
    # lr * sqrt(0.001) / 0.1 * m / (sqrt(v) + eps) is lr * c g / (c |g| + eps), c = sqrt(0.001):
    # about lr * sign(g), less where |g| is not far above epsilon.
    X, y = _tiny_data(dtype=np.float32)
    net = HandMLP((3, 4, 3), learning_rate=1e-3, random_state=0)
    before = net.params.values.copy()
    net.loss_and_gradients(X, y)
    g = net.grads.values.copy()
    net.adam()
    c = np.sqrt(0.001)
    np.testing.assert_allclose(before - net.params.values, 1e-3 * c * g / (c * np.abs(g) + 1e-7),
                               rtol=1e-4, atol=1e-9)


def test_adam_flushes_tiny_moments_to_zero_every_16_steps():
    net = HandMLP((2, 3, 2), random_state=0)
    net.grads.values[...] = 0.0
    net.m[...] = 1e-33  # below float32 tiny * 2**24, on its way to subnormal
    for _ in range(FLUSH_EVERY - 1):
        net.adam()
    assert (net.m > 0).all()
    net.adam()
    assert (net.m == 0).all()


def test_weights_and_biases_are_views_of_the_flat_buffers():
    net = HandMLP((4, 5, 3), random_state=0)
    for arrays, flat in ((net.params, net.params.values), (net.grads, net.grads.values)):
        assert all(a.base is flat for a in arrays.W + arrays.b)
    assert net.params.values.size == 4 * 5 + 5 + 5 * 3 + 3


def test_partial_last_batch_gets_its_own_buffers():
    X, y = spiral_data(20, 3, random_state=0)  # 60 rows: batches of 32 and 28
    net = HandMLP((2, 4, 3), random_state=0)
    net.fit(X, y, epochs=2, batch_size=32, random_state=0)
    assert sorted(net._buffers) == [28, 32]
    assert net.iterations == 4


BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_adapter_trains_a_workload(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))  # only for this test: bench scripts import each other
    from workloads import Workload

    workload = Workload("T", "tiny", (2, 8, 3), 16, 2, quick_epochs=1)
    system = HandLoop()
    X, y = system.prepare(*spiral_data(20, 3, random_state=0))
    model = system.fit(workload, X, y, workload.epochs, 0)
    assert 0.0 <= system.accuracy(model, X, y) <= 1.0
    assert system.predictor(model, X[:1])().shape == (1, 3)


def test_hand_loop_is_a_registered_system(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    from systems import SYSTEMS

    assert SYSTEMS["hand"].key == "hand"


@pytest.mark.parametrize("sizes, match", [((3,), "at least two positive ints"),
                                          ((3, 0, 2), r"got \(3, 0, 2\)")])
def test_bad_sizes_are_rejected_with_an_example(sizes, match):
    with pytest.raises(ValueError, match=match):
        HandMLP(sizes)


def test_x_of_the_wrong_width_names_the_expected_shape():
    X, y = _tiny_data(d=4)
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 3\).*got \(7, 4\)"):
        HandMLP((3, 4, 3)).fit(X, y, 1, 4)


def test_labels_outside_the_classes_are_rejected():
    X, _ = _tiny_data()
    with pytest.raises(ValueError, match=r"integer labels in \[0, 3\)"):
        HandMLP((3, 4, 3)).fit(X, np.full(7, 3), 1, 4)


@pytest.mark.parametrize("name", ["epochs", "batch_size"])
def test_non_positive_counts_are_rejected(name):
    X, y = _tiny_data()
    kwargs = {"epochs": 1, "batch_size": 4, name: 0}
    with pytest.raises(ValueError, match=f"{name} must be a positive int, got 0"):
        HandMLP((3, 4, 3)).fit(X, y, **kwargs)


def test_set_weights_rejects_transposed_weights():
    net = HandMLP((3, 4, 2))
    with pytest.raises(ValueError, match=r"layer 0 W must have shape \(3, 4\), got \(4, 3\)"):
        net.set_weights([(np.zeros((4, 3)), np.zeros(4)), (np.zeros((4, 2)), np.zeros(2))])
