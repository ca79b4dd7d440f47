"""What the page draws each update, computed from a model in one place (JSON-ready dicts).

A frame holds the output over the input plane, each hidden neuron's own map,
every weight with its current gradient, the loss curves and the dead/saturated
markers. Maps travel as base64 bytes (0..255), so a frame of 96 neuron maps stays small.
"""
from __future__ import annotations

import base64

import numpy as np

from numnet import Dense
from numnet.playground.data import make_features
from numnet.playground.network import hidden_activation_layers

GRID = 40          # output heat map: GRID x GRID cells
NEURON_STRIDE = 2  # neuron maps use every 2nd cell: 20 x 20
# The thresholds of numnet.plot.diagnose: an activation is saturated where its slope is ~0.
SIGMOID_MARGIN, TANH_MARGIN = 0.01, 0.01
SATURATED_SHARE = 0.9  # a neuron is marked saturated when 90% of the training points saturate it


def plane_grid(extent: float, size: int = GRID) -> np.ndarray:
    """Cell centres of a square grid over ``[-extent, extent]^2``, shape (size * size, 2).

    Rows run from the top (``x2 = +extent``) down, as an image does.
    """
    ticks = (np.arange(size) + 0.5) / size * 2 * extent - extent
    x1, x2 = np.meshgrid(ticks, ticks[::-1])
    return np.column_stack([x1.ravel(), x2.ravel()])


def to_bytes(values: np.ndarray, low: float, high: float) -> str:
    """Map ``values`` from [low, high] to 0..255 and return them as base64 text."""
    span = high - low if high > low else 1.0
    scaled = np.clip((np.asarray(values, dtype=np.float64) - low) / span, 0, 1) * 255
    return base64.b64encode(np.round(scaled).astype(np.uint8).tobytes()).decode("ascii")


def output_map(model, features: np.ndarray, classification: bool, value_range) -> dict:
    """The model's output over the grid: class and confidence per cell, or the predicted value."""
    out = model.predict(features)
    if not classification:
        low, high = value_range
        return {"kind": "value", "values": to_bytes(out[:, 0], low, high)}
    k = out.shape[1]
    # Confidence 0 at a uniform guess (1/k), 1 at certainty: the shading the page draws.
    confidence = (out.max(axis=1) - 1 / k) / (1 - 1 / k)
    return {"kind": "classes", "classes": to_bytes(out.argmax(axis=1), 0, 255),
            "confidence": to_bytes(confidence, 0, 1)}


def neuron_maps(model, features: np.ndarray) -> list:
    """Each hidden neuron's activation over the grid, per layer, scaled by its largest |value|."""
    outputs = model.activations(features, training=False)
    size = GRID // NEURON_STRIDE
    layers = []
    for layer in hidden_activation_layers(model):
        values = outputs[layer.name].reshape(GRID, GRID, -1)[::NEURON_STRIDE, ::NEURON_STRIDE]
        values = values.reshape(size * size, -1).T
        scale = np.maximum(np.abs(values).max(axis=1), 1e-12)
        layers.append([to_bytes(row / s, -1, 1) for row, s in zip(values, scale)])
    return layers


def neuron_markers(model, X_train: np.ndarray) -> list:
    """Per hidden neuron: "dead" (a ReLU that is 0 on every training point), "saturated" or ""."""
    outputs = model.activations(X_train, training=False)
    markers = []
    for layer in hidden_activation_layers(model):
        out, kind = outputs[layer.name], type(layer).__name__
        if kind == "ReLU":  # the criterion of numnet.plot.diagnose, per unit
            flags = np.where(np.all(out <= 0, axis=0), "dead", "")
        elif kind in ("Sigmoid", "Tanh"):
            bound = np.abs(out - 0.5) > 0.5 - SIGMOID_MARGIN if kind == "Sigmoid" else \
                np.abs(out) > 1.0 - TANH_MARGIN
            flags = np.where(bound.mean(axis=0) >= SATURATED_SHARE, "saturated", "")
        else:
            flags = np.full(out.shape[1], "")
        markers.append(flags.tolist())
    return markers


def current_gradients(model, X, y) -> None:
    """Fill every layer's ``grads`` with dL/dparams on ``(X, y)``, without an optimizer step.

    The forward pass runs with ``training=True`` because layers keep the caches
    that ``backward`` needs only then.
    """
    targets = model.loss.prepare_targets(np.asarray(y), model.n_outputs, model.dtype)
    fused = model.loss.logits_loss(model.layers[-1])
    # softmax + cross-entropy: the loss works on the logits, gradient (p - t) / n.
    layers = model.layers[:-1] if fused is not None else model.layers
    loss = fused or model.loss
    out = np.asarray(X, dtype=model.dtype)
    for layer in layers:
        out = layer.forward(out, training=True)
    loss.forward(out, targets)
    grad = loss.backward()
    for layer in reversed(layers):
        grad = layer.backward(grad)


def weights(model) -> list:
    """Each Dense layer's weights, biases and current gradients, rounded for the page."""
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    return [{"shape": list(layer.weights.shape),
             "W": _rounded(layer.weights), "b": _rounded(layer.biases),
             "dW": _rounded(layer.grads["weights"]), "db": _rounded(layer.grads["biases"])}
            for layer in dense]


def _rounded(values: np.ndarray) -> list:
    return [float(f"{v:.4g}") for v in np.asarray(values, dtype=np.float64).ravel()]


def input_maps(names, extent: float) -> list:
    """Each input feature over the neuron-map grid (these do not change while training)."""
    size = GRID // NEURON_STRIDE
    cells = plane_grid(extent, size)
    columns = make_features(cells, names).T
    return [to_bytes(col / max(np.abs(col).max(), 1e-12), -1, 1) for col in columns]
