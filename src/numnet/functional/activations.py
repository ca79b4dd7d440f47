"""Element-wise activations and their backward passes, as pure functions.

Each ``f(X)`` maps an array of any shape (usually ``(n_samples, n_features)``)
to one of the same shape, and each ``f_backward(dY, ...)`` applies the chain
rule: ``dL/dX = dL/dY * f'(X)``, with ``f'`` written from whatever the forward
pass already computed (``X`` or ``Y``). Nothing here keeps state.
"""
from __future__ import annotations

import math

import numpy as np


def relu(X: np.ndarray) -> np.ndarray:
    """``max(0, x)`` element-wise.

    Examples
    --------
    >>> import numpy as np
    >>> relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """
    return np.maximum(X, 0)


def relu_backward(dY: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """``dY * relu'(x)`` with ``relu'(x) = 1 if y > 0 else 0`` (``Y = relu(X)``; 0 at the kink).

    Examples
    --------
    >>> import numpy as np
    >>> relu_backward(np.array([5.0, 5.0]), relu(np.array([-1.0, 2.0])))
    array([0., 5.])
    """
    return dY * (Y > 0)


def leaky_relu(X: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """``x`` where ``x > 0``, else ``alpha * x``.

    Examples
    --------
    >>> import numpy as np
    >>> leaky_relu(np.array([-2.0, 3.0]), alpha=0.1)
    array([-0.2,  3. ])
    """
    return np.where(X > 0, X, alpha * X)


def leaky_relu_backward(dY: np.ndarray, X: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """``dY * f'(x)`` with ``f'(x) = 1 if x > 0 else alpha``.

    Examples
    --------
    >>> import numpy as np
    >>> leaky_relu_backward(np.array([1.0, 1.0]), np.array([-2.0, 3.0]), alpha=0.1)
    array([0.1, 1. ])
    """
    return np.where(X > 0, dY, alpha * dY)


def elu(X: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``.

    ``expm1`` sees ``min(x, 0)``, so a large positive ``x`` never overflows it.

    Examples
    --------
    >>> import numpy as np
    >>> elu(np.array([-1e4, 2.0]))
    array([-1.,  2.])
    """
    return np.where(X > 0, X, alpha * np.expm1(np.minimum(X, 0)))


def elu_backward(dY: np.ndarray, X: np.ndarray, Y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """``dY * f'(x)`` with ``f'(x) = 1 if x > 0 else alpha * exp(x)``.

    ``alpha * exp(x)`` also equals ``y + alpha``, but that sum cancels for
    ``x << 0`` (``y`` is nearly ``-alpha``): at ``x = -40`` it gives 0 instead of
    ``4e-18 * alpha``. So the slope is computed from ``X``, and ``Y`` (the
    forward output, which the ELU layer keeps anyway) is not needed.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([0.0, 2.0])
    >>> elu_backward(np.ones(2), X, elu(X))
    array([1., 1.])
    """
    return dY * np.where(X > 0, 1, alpha * np.exp(np.minimum(X, 0)))


_GELU_C = math.sqrt(2.0 / math.pi)
_GELU_CUBIC_LIMIT = 10.0  # see gelu's Notes


def gelu_tanh(X: np.ndarray) -> np.ndarray:
    """``tanh(u)`` with ``u = sqrt(2/pi) (x + 0.044715 x³)``: the term gelu and its backward share.

    The cubic sees ``x`` clipped to ±10 (see :func:`gelu`).

    Examples
    --------
    >>> import numpy as np
    >>> gelu_tanh(np.array([0.0, 1e30]))
    array([0., 1.])
    """
    Xc = np.clip(X, -_GELU_CUBIC_LIMIT, _GELU_CUBIC_LIMIT)
    return np.tanh(_GELU_C * (Xc + 0.044715 * Xc**3))


def gelu(X: np.ndarray) -> np.ndarray:
    """Gaussian error linear unit, tanh approximation: ``0.5 x (1 + tanh(u))``.

    Notes
    -----
    ``u = sqrt(2/pi) (x + 0.044715 x³)``. The cubic sees ``x`` clipped to ``±10``:
    there ``|u| > 43`` and ``tanh u`` is already exactly ±1 in float32 and
    float64, so nothing changes, but ``x³`` can no longer overflow.

    Examples
    --------
    >>> import numpy as np
    >>> gelu(np.array([0.0, 1.0, 1e30])).round(4)
    array([0.000e+00, 8.412e-01, 1.000e+30])
    """
    return 0.5 * X * (1.0 + gelu_tanh(X))


def gelu_backward(dY: np.ndarray, X: np.ndarray, tanh_u: np.ndarray | None = None) -> np.ndarray:
    """``dY * gelu'(x)``; ``tanh_u`` is ``tanh(u)`` from the forward pass (recomputed if None).

    Notes
    -----
    ``gelu'(x) = 0.5 (1 + tanh u) + 0.5 x (1 - tanh² u) du/dx`` with
    ``du/dx = sqrt(2/pi) (1 + 3 * 0.044715 x²)``. Where ``|x| > 10``,
    ``1 - tanh² u`` is exactly 0, so the clipped ``x`` gives that term exactly.

    Examples
    --------
    >>> import numpy as np
    >>> gelu_backward(np.ones(3), np.array([-1e30, 0.0, 1e30]))
    array([0. , 0.5, 1. ])
    """
    t = gelu_tanh(X) if tanh_u is None else tanh_u
    Xc = np.clip(X, -_GELU_CUBIC_LIMIT, _GELU_CUBIC_LIMIT)
    du_dx = _GELU_C * (1.0 + 3 * 0.044715 * Xc**2)
    return dY * (0.5 * (1.0 + t) + 0.5 * Xc * (1.0 - t * t) * du_dx)


def sigmoid(X: np.ndarray) -> np.ndarray:
    """Logistic function ``1 / (1 + exp(-x))`` without overflow: ``exp`` only sees ``-|x|``.

    Examples
    --------
    >>> import numpy as np
    >>> sigmoid(np.array([-1e4, 0.0, 1e4]))
    array([0. , 0.5, 1. ])
    """
    E = np.exp(-np.abs(X))
    # For x >= 0: 1/(1+e^-x); for x < 0: e^x/(1+e^x). Both use e = exp(-|x|) <= 1.
    return np.where(X >= 0, 1.0, E) / (1.0 + E)


def sigmoid_backward(dY: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """``dY * sigmoid'(x)`` with ``sigmoid'(x) = y (1 - y)`` (``Y = sigmoid(X)``).

    Examples
    --------
    >>> import numpy as np
    >>> sigmoid_backward(np.array([1.0]), sigmoid(np.array([0.0])))
    array([0.25])
    """
    return dY * Y * (1.0 - Y)


def tanh(X: np.ndarray) -> np.ndarray:
    """``tanh(x)`` element-wise.

    Examples
    --------
    >>> import numpy as np
    >>> tanh(np.array([0.0]))
    array([0.])
    """
    return np.tanh(X)


def tanh_backward(dY: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """``dY * tanh'(x)`` with ``tanh'(x) = 1 - y²`` (``Y = tanh(X)``).

    Examples
    --------
    >>> import numpy as np
    >>> tanh_backward(np.array([2.0]), tanh(np.array([0.0])))
    array([2.])
    """
    return dY * (1.0 - Y * Y)


def softplus(X: np.ndarray) -> np.ndarray:
    """``log(1 + exp(x))``, computed as ``logaddexp(0, x)`` (no overflow), in ``X``'s dtype.

    Examples
    --------
    >>> import numpy as np
    >>> softplus(np.array([0.0, 1e4])).round(4)
    array([6.931e-01, 1.000e+04])
    """
    return np.logaddexp(0, X).astype(X.dtype, copy=False)


def softplus_backward(dY: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``dY * softplus'(x)`` with ``softplus'(x) = sigmoid(x)``.

    Examples
    --------
    >>> import numpy as np
    >>> softplus_backward(np.array([1.0]), np.array([0.0]))
    array([0.5])
    """
    return dY * sigmoid(X)


def identity(X: np.ndarray) -> np.ndarray:
    """``x``: the output of a regression network.

    Examples
    --------
    >>> import numpy as np
    >>> identity(np.array([1.5]))
    array([1.5])
    """
    return X


def identity_backward(dY: np.ndarray) -> np.ndarray:
    """``dY * 1``: the identity passes the gradient through.

    Examples
    --------
    >>> import numpy as np
    >>> identity_backward(np.array([1.5]))
    array([1.5])
    """
    return dY
