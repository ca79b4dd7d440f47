"""Activation functions as layers: element-wise nonlinearities and softmax.

Each layer is a thin wrapper over :mod:`numnet.functional`: ``forward``
calls the function and keeps (in training only) what the backward function
needs; ``backward`` multiplies the incoming gradient by the local derivative
(the chain rule). None has parameters.
"""
from __future__ import annotations

import numpy as np

from numnet import functional as F
from numnet.functional import log_softmax, sigmoid, softmax  # noqa: F401  (public here too)
from numnet.layers.base import Layer
from numnet.registry import ACTIVATIONS, LAYERS


class Activation(Layer):
    """Base for parameter-free, shape-preserving layers.

    Every activation's ``forward(X, training=False)`` takes ``X`` of shape
    (n_samples, n_features) and returns ``Y`` of the same shape, keeping what
    ``backward`` needs only when ``training`` is True (inference keeps nothing).
    Its ``backward(dY)`` takes ``dL/dY`` of that shape and returns ``dL/dX`` of
    the same shape: ``dY`` times the local derivative (the chain rule). Each
    subclass's docstrings give its formula and derivative.
    """

    def get_config(self) -> dict:
        """Constructor arguments as plain JSON data (see :meth:`Layer.get_config`)."""
        return {"name": self.name}


@LAYERS.register("relu")
@ACTIVATIONS.register("relu")
class ReLU(Activation):
    """``max(0, x)``; derivative 1 where the output is positive, else 0."""

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """``max(0, X)``."""
        Y = F.relu(X)
        self._keep(training, Y=Y)
        return Y

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """``dL/dX`` = ``dY * (Y > 0)`` (the chain rule)."""
        return F.relu_backward(dY, self._cached("Y"))


@LAYERS.register("leaky_relu")
@ACTIVATIONS.register("leaky_relu")
class LeakyReLU(Activation):
    """``x`` for ``x > 0`` else ``alpha * x``; derivative 1 or ``alpha``."""

    def __init__(self, alpha: float = 0.01, name: str | None = None) -> None:
        super().__init__(name=name)
        if not alpha >= 0:
            raise ValueError(f"LeakyReLU alpha must be >= 0, got {alpha}")
        self.alpha = float(alpha)

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """``X`` where positive, else ``alpha * X``."""
        self._keep(training, X=X)
        return F.leaky_relu(X, self.alpha)

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """``dL/dX`` = ``dY`` where ``X > 0``, else ``alpha * dY`` (the chain rule)."""
        return F.leaky_relu_backward(dY, self._cached("X"), self.alpha)

    def get_config(self) -> dict:
        """Constructor arguments as plain JSON data (see :meth:`Layer.get_config`)."""
        return {"name": self.name, "alpha": self.alpha}


@LAYERS.register("elu")
@ACTIVATIONS.register("elu")
class ELU(Activation):
    """``x`` for ``x > 0`` else ``alpha * (exp(x) - 1)``; derivative 1 or ``y + alpha``."""

    def __init__(self, alpha: float = 1.0, name: str | None = None) -> None:
        super().__init__(name=name)
        self.alpha = float(alpha)

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """``X`` where positive, else ``alpha * (exp(X) - 1)``."""
        Y = F.elu(X, self.alpha)
        self._keep(training, X=X, Y=Y)
        return Y

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """``dL/dX`` = ``dY`` where ``X > 0``, else ``dY * (Y + alpha)`` (the chain rule)."""
        return F.elu_backward(dY, self._cached("X"), self._cached("Y"), self.alpha)

    def get_config(self) -> dict:
        """Constructor arguments as plain JSON data (see :meth:`Layer.get_config`)."""
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
    ``±10`` (see :func:`numnet.functional.gelu`), so ``x³`` never overflows.
    """

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """``0.5 X (1 + tanh(u))``, element-wise."""
        tanh_u = F.gelu_tanh(X)  # kept: the backward needs it too
        self._keep(training, X=X, tanh_u=tanh_u)
        return 0.5 * X * (1.0 + tanh_u)

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """``dL/dX`` = ``dY * (0.5 (1 + tanh u) + 0.5 X (1 - tanh² u) du/dX)`` (the chain rule)."""
        return F.gelu_backward(dY, self._cached("X"), self._cached("tanh_u"))


@LAYERS.register("sigmoid", "logistic")
@ACTIVATIONS.register("sigmoid", "logistic")
class Sigmoid(Activation):
    """``1 / (1 + exp(-x))``; derivative ``y (1 - y)``; stable for x of ±1e4."""

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """``1 / (1 + exp(-X))``, element-wise."""
        Y = F.sigmoid(X)
        self._keep(training, Y=Y)
        return Y

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """``dL/dX`` = ``dY * Y * (1 - Y)`` (the chain rule)."""
        return F.sigmoid_backward(dY, self._cached("Y"))


@LAYERS.register("tanh")
@ACTIVATIONS.register("tanh")
class Tanh(Activation):
    """``tanh(x)``; derivative ``1 - y²``."""

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """``tanh(X)``, element-wise."""
        Y = F.tanh(X)
        self._keep(training, Y=Y)
        return Y

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """``dL/dX`` = ``dY * (1 - Y²)`` (the chain rule)."""
        return F.tanh_backward(dY, self._cached("Y"))


@LAYERS.register("softplus")
@ACTIVATIONS.register("softplus")
class Softplus(Activation):
    """``log(1 + exp(x))``, computed as ``logaddexp(0, x)``; derivative ``sigmoid(x)``."""

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """``log(1 + exp(X))``, element-wise."""
        self._keep(training, X=X)
        return F.softplus(X)

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """``dL/dX`` = ``dY * sigmoid(X)`` (the chain rule)."""
        return F.softplus_backward(dY, self._cached("X"))


@LAYERS.register("identity", "linear")
@ACTIVATIONS.register("identity", "linear")
class Identity(Activation):
    """``x``: the output of a regression network; derivative 1."""

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """``X`` itself (no copy)."""
        return X

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """``dL/dX`` = ``dY`` itself (the derivative is 1) (the chain rule)."""
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

    def __init__(self, axis: int = -1, name: str | None = None) -> None:
        super().__init__(name=name)
        self.axis = int(axis)

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """Probabilities along ``axis``; each row sums to 1."""
        Y = F.softmax(X, axis=self.axis)
        self._keep(training, Y=Y)
        return Y

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """``dL/dX`` = ``Y * (dY - sum(dY * Y, axis))``, the softmax Jacobian times ``dY`` (the chain rule)."""
        return F.softmax_backward(dY, self._cached("Y"), self.axis)

    def get_config(self) -> dict:
        """Constructor arguments as plain JSON data (see :meth:`Layer.get_config`)."""
        return {"name": self.name, "axis": self.axis}
