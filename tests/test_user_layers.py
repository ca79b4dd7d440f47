"""Issue 10, item 1: the layer contract holds for a user's own layer.

A plain class with ``forward``/``backward``/``params``/``grads`` (no base class,
no declared output width) must build, train exactly like numnet's own Dense,
summarise, draw, gradcheck and refuse to be saved with a clear message --
whether it writes its gradients in place or rebinds them, as tutorials do.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

from numnet import Dense, Layer, ReLU, Sequential, Softmax, gradcheck, spiral_data, vertical_data
from numnet.model.parameters import LayerContractWarning
from numnet.optimizers import Adam


class RebindingDense:
    """The tutorial style: new arrays are assigned to ``grads`` in every backward."""

    def __init__(self, W, b):
        self.params = {"W": W.copy(), "b": b.copy()}
        self.grads = {"W": np.zeros_like(W), "b": np.zeros_like(b)}

    def forward(self, X, training=False):
        if training:
            self.X = X
        return X @ self.params["W"] + self.params["b"]

    def backward(self, dY):
        self.grads["W"] = self.X.T @ dY
        self.grads["b"] = dY.sum(axis=0)
        return dY @ self.params["W"].T


class InPlaceDense(RebindingDense):
    """The fast style: gradients written into the arrays the model gave the layer."""

    def backward(self, dY):
        self.grads["W"][...] = self.X.T @ dY
        self.grads["b"][...] = dY.sum(axis=0)
        return dY @ self.params["W"].T


class AttributeDense:
    """Keeps ``self.W``/``self.b`` and computes with them; params is a property over them."""

    def __init__(self, W, b):
        self.W, self.b = W.copy(), b.copy()
        self.dW, self.db = np.zeros_like(W), np.zeros_like(b)

    @property
    def params(self):
        return {"W": self.W, "b": self.b}

    @property
    def grads(self):
        return {"W": self.dW, "b": self.db}

    def forward(self, X, training=False):
        self.X = X
        return X @ self.W + self.b

    def backward(self, dY):
        self.dW = self.X.T @ dY
        self.db = dY.sum(axis=0)
        return dY @ self.W.T


class Widen(Layer):
    """A Layer subclass that changes the width but keeps the base class's default shape rule."""

    def forward(self, X, training=False):
        return np.concatenate([X, X], axis=1)

    def backward(self, dY):
        half = dY.shape[1] // 2
        return dY[:, :half] + dY[:, half:]


def _weights(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(0, 0.5, (2, 16)), np.zeros(16), rng.normal(0, 0.5, (16, 3)), np.zeros(3)


def _trained(first, second, epochs=20):
    X, y = vertical_data(40, 3, random_state=0)
    model = Sequential([first, ReLU(), second, Softmax()], dtype=np.float64)
    model.compile(loss="categorical_crossentropy", optimizer=Adam(learning_rate=0.02))
    history = model.fit(X, y, epochs=epochs, batch_size=16, verbose=0, random_state=1)
    return model, history


def _reference():
    W1, b1, W2, b2 = _weights()
    first, second = Dense(2, 16, dtype=np.float64), Dense(16, 3, dtype=np.float64)
    first.weights, second.weights = W1, W2
    return _trained(first, second)


@pytest.mark.parametrize("kind", [RebindingDense, InPlaceDense, AttributeDense])
def test_a_user_layer_trains_exactly_like_numnet_dense(kind):
    W1, b1, W2, b2 = _weights()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LayerContractWarning)
        model, history = _trained(kind(W1, b1), kind(W2, b2))
    reference, ref_history = _reference()
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]  # it learned
    assert_allclose(history.history["loss"], ref_history.history["loss"], rtol=1e-10)
    for mine, theirs in zip(model.get_weights(), reference.get_weights()):
        assert_allclose(mine, theirs, rtol=1e-9, atol=1e-12)


def test_rebinding_grads_gets_one_note_not_silence():
    W1, b1, W2, b2 = _weights()
    with pytest.warns(LayerContractWarning, match=r"assigns new arrays to grads\['W'\].*trains correctly"):
        _trained(RebindingDense(W1, b1), RebindingDense(W2, b2), epochs=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _trained(RebindingDense(W1, b1), Dense(16, 3), epochs=3)
    notes = [w for w in caught if issubclass(w.category, LayerContractWarning)]
    assert len(notes) == 1  # once per layer and kind, not once per batch


def test_in_place_user_layer_gets_no_note():
    W1, b1, W2, b2 = _weights()
    with warnings.catch_warnings():
        warnings.simplefilter("error", LayerContractWarning)
        _trained(InPlaceDense(W1, b1), InPlaceDense(W2, b2), epochs=2)


def test_a_user_layer_that_replaces_params_is_adopted_too():
    class ReplacesParams(InPlaceDense):
        def backward(self, dY):
            dX = super().backward(dY)
            self.params["W"] = self.params["W"].copy()  # a new array with the same values
            return dX

    W1, b1, W2, b2 = _weights()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LayerContractWarning)
        model, history = _trained(ReplacesParams(W1, b1), InPlaceDense(W2, b2))
    reference, _ = _reference()
    assert_allclose(model.get_weights()[0], reference.get_weights()[0], rtol=1e-9, atol=1e-12)


def test_output_width_of_a_plain_user_layer_is_found_by_a_probe():
    W1, b1, W2, b2 = _weights()
    model = Sequential([Dense(2, 2), RebindingDense(W1, b1), ReLU(), Dense(5)])
    assert model.layer_output_shapes() == [(2,), (16,), (16,), (5,)]
    assert model.layers[3].weights.shape == (16, 5)
    assert model.output_shape == (None, 5)


def test_a_layer_subclass_without_compute_output_shape_is_probed():
    model = Sequential([Dense(3, 4), Widen(), ReLU(), Dense(2)])
    assert model.layer_output_shapes()[1:3] == [(8,), (8,)]
    assert model.layers[3].weights.shape == (8, 2)


def test_a_user_layer_whose_probe_fails_gets_a_clear_error():
    W1, b1, _, _ = _weights()
    with pytest.raises(ValueError, match=r"could not find the output width of layer 'rebindingdense'.*"
                                         r"probe forward pass on X of shape \(2, 3\).*compute_output_shape"):
        Sequential([Dense(2, 3), RebindingDense(W1, b1)])


def test_summary_shows_a_user_layer_with_its_shapes():
    W1, b1, W2, b2 = _weights()
    model = Sequential([Dense(2, 2), RebindingDense(W1, b1), ReLU(), Dense(3)])
    text = model.summary(print_fn=None)
    assert "rebindingdense (RebindingDense)  (None, 16)" in text
    assert "W (2, 16), b (16,)" in text


def test_gradcheck_passes_on_a_model_with_user_layers():
    W1, b1, W2, b2 = _weights()
    X, y = spiral_data(5, 3, random_state=0)
    model = Sequential([RebindingDense(W1, b1 + 0.1), ReLU(), InPlaceDense(W2, b2), Softmax()],
                       dtype=np.float64)
    model.compile(loss="categorical_crossentropy")
    model.build(2)
    assert gradcheck(model, X, y).passed


def test_saving_a_user_layer_names_the_class_and_what_to_do(tmp_path):
    W1, b1, _, _ = _weights()
    model = Sequential([RebindingDense(W1, b1), ReLU(), Dense(3), Softmax()])
    model.build(2)
    with pytest.raises((TypeError, ValueError), match="RebindingDense"):
        model.save(tmp_path / "m.numnet")
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_plot_network_draws_a_model_with_a_user_layer():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from numnet import plot

    W1, b1, _, _ = _weights()
    model = Sequential([RebindingDense(W1, b1), ReLU(), Dense(3), Softmax()])
    model.build(2)
    drawing = plot.network(model)
    assert drawing is not None
