"""``predict``'s forward pass: the layers' own arithmetic, with fewer NumPy calls.

``Sequential.predict`` could call every layer's ``forward(X, training=False)``.
On one row that spends more time in Python and in NumPy's per-call costs than
in arithmetic, so for numnet's own Dense, ReLU and Softmax layers an
:class:`InferencePlan` calls the kernels that do the same arithmetic, bit for
bit (:func:`numnet._kernels.affine`, :func:`~numnet._kernels.relu_into`,
:func:`~numnet._kernels.softmax_rows_into`). ReLU and Softmax then work in
place, on the new array the Dense layer before them returned; never on the
caller's ``X``. Every other layer runs its own ``forward``.

The plan holds the layers, never an array: weights are read at each call, so
training, ``set_weights`` and ``set_dtype`` need no invalidation, and several
threads may run one plan at once (each call writes only arrays it made).
"""
from __future__ import annotations

import operator
from functools import partial

import numpy as np

from numnet import _kernels as kernels
from numnet.layers.activations import ReLU, Softmax
from numnet.layers.dense import Dense


class InferencePlan:
    """The steps of ``forward(X, training=False)`` through ``layers``, chosen once.

    Parameters
    ----------
    layers : list of Layer

    Examples
    --------
    >>> import numpy as np
    >>> from numnet import Dense, ReLU, Softmax
    >>> plan = InferencePlan([Dense(2, 3, random_state=0), ReLU(), Dense(3, 2, random_state=0), Softmax()])
    >>> P = plan.run(np.ones((4, 2), np.float32))
    >>> P.shape, bool(np.allclose(P.sum(axis=1), 1.0))
    ((4, 2), True)
    """

    def __init__(self, layers):
        self.layers = list(layers)
        self.steps = []
        two_d, ours = True, False  # X is 2-D (predict checked it), and it is the caller's
        for layer in self.layers:
            step, ours = _step(layer, two_d, ours)
            self.steps.append(step)
            two_d = ours  # another layer's output may have any shape
        # List equality tests each pair by identity first, then by __eq__, which for
        # layers that keep object's __eq__ (numnet's do) is identity again: 0.3 µs less
        # per predict than testing identity pair by pair, which layers with an __eq__ of
        # their own (a dataclass's) need, lest an equal-looking layer pass for this one.
        self._same = operator.eq if all(type(layer).__eq__ is object.__eq__ for layer in self.layers) \
            else _same_objects

    def serves(self, layers) -> bool:
        """True while ``layers`` holds the very layer objects this plan was made for."""
        return self._same(layers, self.layers)

    def run(self, X: np.ndarray) -> np.ndarray:
        """The last layer's output for ``X`` (n_samples, n_features), which is never written to."""
        for step in self.steps:
            X = step(X)
        return X


def _same_objects(layers, others) -> bool:
    return len(layers) == len(others) and all(map(operator.is_, layers, others))


def _step(layer, two_d: bool, ours: bool):
    """``(function of X, whether it returns a new 2-D array)`` for one layer.

    ``two_d``: the layer's input is 2-D; ``ours``: it is also a new array, which
    ReLU and Softmax may then overwrite.
    """
    kind = type(layer)  # exactly numnet's classes: a subclass may override forward
    if kind is Dense:
        return partial(_dense, layer), two_d
    if kind is ReLU and ours:
        return kernels.relu_into, True
    if kind is Softmax and ours and layer.axis in (-1, 1):
        return kernels.softmax_rows_into, True
    return partial(layer.forward, training=False), False


def _dense(layer: Dense, X: np.ndarray) -> np.ndarray:
    """``Dense.forward(X, training=False)``: ``X @ W + b``."""
    if X.ndim != 2 or layer.activation is not None or not layer.built:
        return layer.forward(X, training=False)  # it builds, refuses or handles these itself
    return kernels.affine(X, layer.params["weights"], layer.params["biases"])
