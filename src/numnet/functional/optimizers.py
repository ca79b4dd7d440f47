"""Optimizer steps as pure functions: new parameters and state from old ones.

Each ``*_step`` returns new arrays and changes nothing it is given; it is the
update rule as the papers write it. The optimizer classes run the same
operations in place, in the named kernels of :mod:`numnet._kernels`
(``adam_update``, ...), which tests check against these bit for bit.
"""
from __future__ import annotations

import math

import numpy as np


def adam_step_size(lr: float, t: int, beta_1: float = 0.9, beta_2: float = 0.999) -> float:
    """``lr_t = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``: both bias corrections in one scalar.

    Examples
    --------
    >>> round(adam_step_size(0.1, 1), 4)  # 0.1 * sqrt(0.001) / 0.1
    0.0316
    """
    return lr * math.sqrt(1.0 - beta_2 ** t) / (1.0 - beta_1 ** t)


def adam_step(param: np.ndarray, grad: np.ndarray, m: np.ndarray, v: np.ndarray, t: int,
              lr: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
              epsilon: float = 1e-7, weight_decay: float = 0.0, v_hat: np.ndarray | None = None
              ) -> tuple[np.ndarray, ...]:
    """One Adam step (AdamW with ``weight_decay``, AMSGrad with ``v_hat``).

    Parameters
    ----------
    param, grad : ndarray of any shape (the same)
    m, v : ndarray like ``param``
        First and second moment estimates, zeros before the first step.
    t : int
        The step number, 1 for the first step.
    lr, beta_1, beta_2, epsilon : float
    weight_decay : float, default 0
        Decoupled decay (AdamW): ``param * (1 - lr * weight_decay)`` before the step.
    v_hat : ndarray like ``param``, optional
        AMSGrad's running maximum of ``v`` (zeros at first): divide by it instead of ``v``.

    Returns
    -------
    param, m, v : ndarray
        The new values (and the new ``v_hat`` as a fourth value when it was given).

    Notes
    -----
    ::

        m <- beta_1 m + (1 - beta_1) g
        v <- beta_2 v + (1 - beta_2) g²
        p <- p - lr_t m / (sqrt(v) + epsilon),   lr_t = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)

    The bias corrections of ``m`` and ``v`` (which start at 0) are folded into
    ``lr_t``: the paper's "efficient version", which differs from dividing by
    ``sqrt(v_hat) + epsilon`` only in where epsilon sits.

    Examples
    --------
    >>> import numpy as np
    >>> p, m, v = adam_step(np.array([1.0, -1.0]), np.array([0.5, -2.0]), np.zeros(2), np.zeros(2),
    ...                     t=1, lr=0.1)
    >>> p.round(4)  # the first step moves each entry by about lr, against its gradient
    array([ 0.9, -0.9])
    """
    if weight_decay:
        param = param * (1.0 - lr * weight_decay)
    m = beta_1 * m + (1.0 - beta_1) * grad
    v = beta_2 * v + (1.0 - beta_2) * grad**2
    denominator_v = v if v_hat is None else np.maximum(v_hat, v)
    lr_t = adam_step_size(lr, t, beta_1, beta_2)
    param = param - lr_t * (m / (np.sqrt(denominator_v) + epsilon))
    return (param, m, v) if v_hat is None else (param, m, v, denominator_v)


def sgd_step(param: np.ndarray, grad: np.ndarray, lr: float = 0.01,
             velocity: np.ndarray | None = None, momentum: float = 0.0, nesterov: bool = False,
             weight_decay: float = 0.0) -> tuple[np.ndarray, np.ndarray | None]:
    """One step of gradient descent, with optional (Nesterov) momentum and L2 weight decay.

    Parameters
    ----------
    param, grad : ndarray of any shape (the same)
    lr : float
    velocity : ndarray like ``param``, optional
        The momentum state (zeros at first); None for plain SGD.
    momentum : float, default 0
    nesterov : bool, default False
    weight_decay : float, default 0
        Coupled L2: ``weight_decay * param`` is added to the gradient.

    Returns
    -------
    param, velocity : ndarray (velocity None without momentum)

    Notes
    -----
    With ``g = grad + weight_decay * param`` (the velocity already includes ``lr``)::

        plain:     p <- p - lr g
        momentum:  v <- momentum v - lr g;   p <- p + v
        nesterov:  v <- momentum v - lr g;   p <- p - lr g + momentum v

    Examples
    --------
    >>> import numpy as np
    >>> p, vel = sgd_step(np.array([1.0]), np.array([0.5]), lr=0.1, velocity=np.zeros(1),
    ...                   momentum=0.9)
    >>> p, vel
    (array([0.95]), array([-0.05]))
    """
    if weight_decay:
        grad = weight_decay * param + grad
    step = lr * grad
    if velocity is None:
        return param - step, None
    velocity = momentum * velocity - step
    if nesterov:
        return param - step + momentum * velocity, velocity
    return param + velocity, velocity


def rmsprop_step(param: np.ndarray, grad: np.ndarray, mean_square: np.ndarray,
                 lr: float = 0.001, rho: float = 0.9, epsilon: float = 1e-7,
                 velocity: np.ndarray | None = None, momentum: float = 0.0
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """One RMSprop step: divide by a running root-mean-square of the gradient.

    Returns ``(param, mean_square, velocity)`` (velocity None without momentum).

    Notes
    -----
    ::

        s <- rho s + (1 - rho) g²
        step = lr g / (sqrt(s) + epsilon)
        p <- p - step      (with momentum: v <- momentum v - step;  p <- p + v)

    Examples
    --------
    >>> import numpy as np
    >>> p, s, _ = rmsprop_step(np.array([1.0]), np.array([3.0]), np.zeros(1), lr=0.01)
    >>> p.round(6)  # 1 - 0.01 * 3 / sqrt(0.1 * 9)
    array([0.968377])
    """
    mean_square = rho * mean_square + (1.0 - rho) * grad**2
    step = lr * (grad / (np.sqrt(mean_square) + epsilon))
    if velocity is None:
        return param - step, mean_square, None
    velocity = momentum * velocity - step
    return param + velocity, mean_square, velocity


def adagrad_step(param: np.ndarray, grad: np.ndarray, accumulator: np.ndarray, lr: float = 0.01,
                 epsilon: float = 1e-7) -> tuple[np.ndarray, np.ndarray]:
    """One Adagrad step; returns ``(param, accumulator)``.

    Notes
    -----
    ::

        a <- a + g²
        p <- p - lr g / (sqrt(a) + epsilon)

    Examples
    --------
    >>> import numpy as np
    >>> p, a = adagrad_step(np.array([1.0]), np.array([2.0]), np.zeros(1), lr=0.1)
    >>> p.round(6)  # 1 - 0.1 * 2 / sqrt(4)
    array([0.9])
    """
    accumulator = accumulator + grad**2
    return param - lr * (grad / (np.sqrt(accumulator) + epsilon)), accumulator
