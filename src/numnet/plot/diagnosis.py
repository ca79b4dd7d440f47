"""``diagnose``: is my network healthy? Dead ReLUs, saturated units, gradient norms.

A text report so that vanishing or exploding gradients are seen, not guessed.
Everything here is NumPy; it lives next to the plots that show the same
numbers as histograms.
"""
from __future__ import annotations

import copy

from dataclasses import dataclass, field

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from numnet.plot._display import ShortRepr, require_built

# An activation is "saturated" where its derivative is nearly 0: sigmoid y(1 - y) < ~0.01.
SIGMOID_MARGIN, TANH_MARGIN = 0.01, 0.01
VANISHING_RATIO, EXPLODING_NORM = 1e-3, 1e3


@dataclass(repr=False)
class Diagnosis(ShortRepr):
    """The numbers behind the report; ``print(diagnosis)`` shows the text.

    Attributes
    ----------
    dead_relu : dict of str to float
        Per ReLU layer, the fraction of units that output 0 for every sample of ``X``.
    saturated : dict of str to float
        Per hidden Sigmoid/Tanh layer, the fraction of outputs within 0.01 of a bound.
    grad_norms : dict of str to float
        Per layer with parameters, the L2 norm of all its gradients.
    hints : list of str
        What to try, from the numbers above.
    """

    dead_relu: dict = field(default_factory=dict)
    saturated: dict = field(default_factory=dict)
    grad_norms: dict = field(default_factory=dict)
    hints: list = field(default_factory=list)

    @property
    def text(self) -> str:
        """The diagnosis as plain text: one line per finding, then the hints."""
        lines = ["Network diagnosis", "-----------------"]
        for name, fraction in self.dead_relu.items():
            lines.append(f"{name}: {fraction:.0%} of ReLU units are dead (0 for every sample)")
        for name, fraction in self.saturated.items():
            lines.append(f"{name}: {fraction:.0%} of outputs are saturated (gradient ~ 0)")
        if self.grad_norms:
            lines.append("gradient norm per layer (input side first):")
            lines += [f"  {name:<16} {norm:.3e}" for name, norm in self.grad_norms.items()]
        lines += [f"hint: {hint}" for hint in self.hints]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text


def diagnose(model: Any, X: ArrayLike, y: ArrayLike | None = None) -> Diagnosis:
    """Check a network for dead ReLUs, saturated sigmoid/tanh units and bad gradients.

    Parameters
    ----------
    model : Sequential
        A built model.
    X : array-like of shape (n_samples, n_features)
        Data to run through the network (a few hundred rows are enough).
    y : array-like, optional
        Targets for ``X``. With ``y`` (and a compiled model) the gradients are
        computed on ``(X, y)`` first; without, the gradients of the last
        ``backward`` (the last training batch) are used.

    Returns
    -------
    Diagnosis
        ``print(diagnose(model, X, y))`` shows the report.

    Examples
    --------
    >>> import numpy as np
    >>> from numnet import Sequential, Dense, ReLU
    >>> model = Sequential([Dense(2, 4, random_state=0), ReLU()])
    >>> model.layers[0].biases = -100.0 * np.ones(4)  # every unit pushed below 0
    >>> diagnose(model, np.ones((5, 2))).dead_relu
    {'relu': 1.0}
    """
    require_built(model, "diagnose")
    with_gradients = _compute_gradients(model, X, y) if y is not None else model
    outputs = model.activations(X, training=False)
    report = Diagnosis()
    last = model.layers[-1].name
    for layer in model.layers:
        kind, out = type(layer).__name__, outputs[layer.name]
        if kind == "ReLU":
            report.dead_relu[layer.name] = float(np.mean(np.all(out <= 0, axis=0)))
        elif kind in ("Sigmoid", "Tanh") and layer.name != last:  # a confident output is fine
            bound = np.abs(out - 0.5) > 0.5 - SIGMOID_MARGIN if kind == "Sigmoid" else \
                np.abs(out) > 1.0 - TANH_MARGIN
            report.saturated[layer.name] = float(np.mean(bound))
    report.grad_norms = gradient_norms(with_gradients)
    report.hints = _hints(report)
    return report


def gradient_norms(model) -> dict:
    """L2 norm of each layer's gradients from the last ``backward``, keyed by layer name."""
    norms = {}
    for layer in model.layers:
        grads = [np.asarray(g, dtype=np.float64).ravel() for g in getattr(layer, "grads", {}).values()]
        if grads:
            norms[layer.name] = float(np.linalg.norm(np.concatenate(grads)))
    return norms


def _compute_gradients(model, X, y):
    """A copy of ``model`` after one training forward and backward pass on ``(X, y)``.

    The gradients are those of a training step (dropout active, batch statistics),
    computed on a copy so that the model's weights, running statistics and
    gradients stay as they were.
    """
    if model.loss is None:
        raise ValueError("diagnose(model, X, y) needs a compiled model: call model.compile(...) first")
    model = copy.deepcopy(model)
    X = np.asarray(X, dtype=model.dtype)
    targets = model.loss.prepare_targets(np.asarray(y), model.n_outputs, model.dtype)
    fused = model.loss.logits_loss(model.layers[-1])
    layers = model.layers[:-1] if fused is not None else model.layers
    loss = fused or model.loss
    out = X
    for layer in layers:
        out = layer.forward(out, training=True)
    loss.forward(out, targets)
    grad = loss.backward()
    for layer in reversed(layers):
        grad = layer.backward(grad)
    return model


def _hints(report: Diagnosis) -> list:
    hints = _gradient_hints(list(report.grad_norms.values()))
    for name, fraction in report.dead_relu.items():
        if fraction > 0.5:
            hints.append(f"{name}: most ReLUs are dead; lower the learning rate, use LeakyReLU, "
                         "or check the input scale")
    for name, fraction in report.saturated.items():
        if fraction > 0.5:
            hints.append(f"{name}: most units are saturated; standardise the inputs (and a "
                         "regression target), lower the learning rate, or use ReLU")
    return hints or ["nothing alarming: no dead layers, no saturation, gradient norms in range"]


def _gradient_hints(norms) -> list:
    if not norms or max(norms) == 0:
        return ["no gradients recorded yet: pass y to diagnose, or train with fit first"]
    hints = []
    first, last = norms[0], norms[-1]
    if last > 0 and first / last < VANISHING_RATIO:
        hints.append(f"gradients vanish toward the input (first layer {first:.1e} vs last {last:.1e}): "
                     "use ReLU-like activations in hidden layers, He initialisation or BatchNorm")
    if max(norms) > EXPLODING_NORM:
        hints.append(f"gradients are exploding (largest norm {max(norms):.1e}): lower the learning "
                     "rate, standardise X and y, or clip (optimizer clipnorm=1.0)")
    return hints
