"""The numnet network behind an estimator: building it, running it, reading its weights.

The network is a plain :class:`numnet.Sequential`::

    Dense -> [BatchNorm] -> activation -> [Dropout]    (once per hidden layer)
    Dense -> output activation (Softmax, Sigmoid, Identity or exp)

Training skips the output activation and fuses it into the loss (see
``_losses``), so the functions here run "up to the logits" as well as all the
way. The first Dense layer may receive a SciPy sparse matrix: its forward
``X @ W`` works on one as it is, and its weight gradient is computed here
(``X.T @ dZ``), since numnet's core layers only know NumPy arrays.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from numnet.layers import BatchNorm, Dense, Dropout, Identity, ReLU, Sigmoid, Softmax, Tanh
from numnet.layers.activations import Activation
from numnet.model import Sequential
from numnet.model.parameters import FlatParameters
from numnet.registry import ACTIVATIONS

_HIDDEN = {"identity": Identity, "logistic": Sigmoid, "tanh": Tanh, "relu": ReLU}


class Exp(Activation):
    """``exp(x)``: the output activation of Poisson regression; derivative ``y``."""

    def forward(self, X, training=False):
        """``exp(X)``, element-wise (n_samples, n_outputs); keeps the output for backward in training."""
        Y = np.exp(X)
        self._keep(training, Y=Y)
        return Y

    def backward(self, dY):
        """``dL/dX = dY * exp(X)``: the exponential is its own derivative."""
        return dY * self._cached("Y")


_OUTPUT = {"softmax": Softmax, "logistic": Sigmoid, "identity": Identity, "exp": Exp}


def build_network(layer_units: list[int], activations: list[str], out_activation: str,
                  dropout: list[float], batch_norm: bool, dtype, rng: np.random.Generator) -> Sequential:
    """A Sequential model for ``layer_units = [n_features, *hidden, n_outputs]``, initialised.

    Weights and biases start uniform in ``±sqrt(6 / (fan_in + fan_out))``
    (Glorot), with 2 in place of 6 before a logistic activation, as in
    scikit-learn.
    """
    layers: list = []
    for i, (fan_in, fan_out) in enumerate(zip(layer_units[:-2], layer_units[1:-1])):
        layers.append(Dense(fan_in, fan_out, weight_init="zeros", random_state=0, dtype=dtype))
        if batch_norm:
            layers.append(BatchNorm(fan_out, dtype=dtype))
        layers.append(_hidden_activation(activations[i]))
        if dropout[i] > 0:
            layers.append(Dropout(dropout[i], random_state=int(rng.integers(2**63))))
    layers.append(Dense(layer_units[-2], layer_units[-1], weight_init="zeros", random_state=0,
                        dtype=dtype))
    layers.append(_OUTPUT[out_activation]())
    network = Sequential(layers, dtype=dtype, random_state=0)
    network.build(layer_units[0])
    _initialise(network, activations, rng)
    return network


def _hidden_activation(name: str):
    return _HIDDEN[name]() if name in _HIDDEN else ACTIVATIONS.get(name)


def _initialise(network: Sequential, activations: list[str], rng: np.random.Generator) -> None:
    # Each layer's bound depends on the activation that follows it; the output
    # layer uses the last hidden layer's, as scikit-learn uses its one activation.
    following = list(activations) + [activations[-1] if activations else "relu"]
    for layer, activation in zip(dense_layers(network), following):
        factor = 2.0 if activation in ("logistic", "sigmoid") else 6.0
        bound = np.sqrt(factor / (layer.n_inputs + layer.n_neurons))
        layer.weights = rng.uniform(-bound, bound, layer.weights.shape)
        layer.biases = rng.uniform(-bound, bound, layer.biases.shape)


def dense_layers(network: Sequential) -> list[Dense]:
    """The Dense layers, input to output: the estimator's ``coefs_`` and ``intercepts_``."""
    return [layer for layer in network.layers if isinstance(layer, Dense)]


def forward(network: Sequential, X, training: bool = False, logits: bool = False) -> np.ndarray:
    """Run ``X`` (n_samples, n_features), dense or sparse, through the network.

    With ``logits=True`` the output activation is skipped and the last Dense
    layer's output (n_samples, n_outputs) is returned.
    """
    layers = network.layers[:-1] if logits else network.layers
    for layer in layers:
        X = layer.forward(X, training=training)
    return X


def backward(network: Sequential, X, dZ: np.ndarray) -> None:
    """Backpropagate ``dL/dZ`` from the logits; fills every layer's ``grads``.

    ``X`` is the batch the last :func:`forward` saw. The first layer's
    ``dL/dX`` is never needed, so it is not computed.
    """
    layers = network.layers[:-1]
    for layer in reversed(layers[1:]):
        dZ = layer.backward(dZ)
    first = layers[0]
    if sp.issparse(X):
        # dL/dW = X.T @ dZ, with a sparse X.T; dL/db sums dZ over the samples.
        first.grads["weights"][...] = X.T @ dZ
        np.sum(dZ, axis=0, out=first.grads["biases"])
        return
    first.input_grad = False  # type: ignore[attr-defined]  # first is always a Dense
    try:
        first.backward(dZ)
    finally:
        first.input_grad = True  # type: ignore[attr-defined]


def squared_weights(network: Sequential) -> float:
    """``sum ||W||²`` over the Dense weights (biases are not penalised)."""
    total = 0.0
    for layer in dense_layers(network):
        w = layer.weights.ravel()
        total += float(np.dot(w, w))
    return total


def add_weight_decay(network: Sequential, scale: float) -> None:
    """Add ``scale * W`` to every Dense weight gradient: the L2 penalty's derivative."""
    for layer in dense_layers(network):
        layer.grads["weights"] += scale * layer.weights


def clear_caches(network: Sequential) -> None:
    """Drop the arrays the layers cached in their last forward (the last batch, or all of X).

    They are only needed between a forward and its backward; dropping them
    keeps a pickled estimator small.
    """
    for layer in network.layers:
        for name, value in list(vars(layer).items()):
            if name.startswith("_") and (isinstance(value, np.ndarray) or sp.issparse(value)):
                setattr(layer, name, None)


def flat_parameters(network: Sequential) -> FlatParameters:
    """The network's flat parameter buffers, packed again if needed.

    Pickling keeps each layer's arrays but not the fact that they are views
    of one buffer, so an unpickled network is repacked before training.
    """
    network._ensure_built(network.n_features)  # type: ignore[arg-type]  # a fitted network knows its width
    return network._flat  # type: ignore[return-value]  # built just above


def snapshot(network: Sequential) -> list[np.ndarray]:
    """Copies of the flat parameter buffer and every state array (BatchNorm's statistics)."""
    states = [value.copy() for layer in network.layers for value in layer.state.values()]
    return [flat_parameters(network).values.copy(), *states]


def restore(network: Sequential, saved: list[np.ndarray]) -> None:
    """Copy a :func:`snapshot` back into the network."""
    flat_parameters(network).values[...] = saved[0]
    targets = [value for layer in network.layers for value in layer.state.values()]
    for target, value in zip(targets, saved[1:]):
        target[...] = value


class ParameterList(list):
    """``coefs_`` or ``intercepts_``: the network's own arrays, in a list.

    Reading an item gives the array the network uses (a view into its flat
    buffer), so in-place edits reach the network. Assigning an item copies
    the new values in, as assigning ``coefs_[i]`` does in scikit-learn.
    """

    def __init__(self, arrays, kind: str):
        super().__init__(arrays)
        self.kind = kind

    def __setitem__(self, index, value):
        if not isinstance(index, (int, np.integer)):
            raise TypeError(f"{self.kind}[...] takes one integer index, got {index!r}")
        copy_into(self[index], value, f"{self.kind}[{index}]")


def copy_into(target: np.ndarray, value, name: str) -> None:
    """Copy ``value`` into ``target`` after checking the shape."""
    value = np.asarray(value)
    if value.shape != target.shape:
        hint = ""
        if value.ndim == 2 and value.shape[::-1] == target.shape:
            hint = "; it looks transposed: coefs_[i] has shape (n_inputs, n_outputs)"
        raise ValueError(f"{name} must have shape {target.shape}, got {value.shape}{hint}")
    target[...] = value
