"""Run ``X`` through a list of layers, giving the mask to the layers that take one.

Every forward pass of the model (``Sequential.forward``, ``activations``,
``predict``, and the training loop's batch step) goes through
:class:`ForwardPlan`, so the rule "a layer with ``accepts_mask = True`` gets
``forward(X, mask=..., training=...)``" is written once.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def takes_mask(layer) -> bool:
    """True for a layer that declares ``accepts_mask = True`` (such as MaskedSoftmax)."""
    return bool(getattr(layer, "accepts_mask", False))


class ForwardPlan:
    """The layers of a forward pass, each with whether it takes a mask, looked up once.

    Building the plan once (per ``fit``, say) keeps the ``getattr`` out of the
    per-batch loop.

    Parameters
    ----------
    layers : list of Layer

    Examples
    --------
    >>> import numpy as np
    >>> from numnet import Dense, ReLU
    >>> plan = ForwardPlan([Dense(2, 3, random_state=0), ReLU()])
    >>> plan.run(np.ones((4, 2), np.float32)).shape
    (4, 3)
    """

    def __init__(self, layers):
        self.layers = list(layers)
        self.steps = [(layer, takes_mask(layer)) for layer in self.layers]

    def run(self, X: np.ndarray, training: bool = False, mask=None) -> np.ndarray:
        """The last layer's output for ``X`` of shape (n_samples, n_features).

        ``mask`` (n_samples, n_outputs), if given, goes to the layers that take
        one; the others never see it.
        """
        for layer, masked in self.steps:
            X = _forward(layer, masked, X, training, mask)
        return X

    def outputs(self, X: np.ndarray, training: bool = False, mask=None) -> Iterator[tuple]:
        """Yield ``(layer, output)`` for every layer in turn, e.g. to inspect hidden activations."""
        for layer, masked in self.steps:
            X = _forward(layer, masked, X, training, mask)
            yield layer, X


def _forward(layer, masked: bool, X, training: bool, mask):
    # Layers without a mask argument (all but MaskedSoftmax, and users' layers) get none.
    if masked and mask is not None:
        return layer.forward(X, mask=mask, training=training)
    return layer.forward(X, training=training)


def run_layers(layers, X: np.ndarray, training: bool = False, mask=None) -> np.ndarray:
    """Run ``X`` (n_samples, n_features) through ``layers``; returns the last output.

    A one-off :class:`ForwardPlan`; loops that run the same layers many times
    should build the plan once and call :meth:`ForwardPlan.run`.
    """
    return ForwardPlan(layers).run(X, training, mask)
