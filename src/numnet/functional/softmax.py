"""Softmax, log-softmax and masked softmax: one implementation, :func:`softmax_and_log`.

Every softmax in numnet (the :class:`~numnet.Softmax` and
:class:`~numnet.MaskedSoftmax` layers, the fused cross-entropy losses, these
functions) goes through :func:`softmax_and_log`, so there is one place where
the maths and its numerical care live.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from numnet import _kernels as kernels


def softmax_and_log(Z: np.ndarray, mask: np.ndarray | None = None, axis: int = -1, *,
                    with_log: bool = True, floor: bool = False
                    ) -> tuple[np.ndarray, Any]:  # (P, log P), or (P, None) without with_log
    """Softmax probabilities of ``Z`` and their logarithms, sharing one ``exp``.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_classes)
        Logits (any shape; normalised along ``axis``).
    mask : ndarray of bool or 0/1, same shape as ``Z``, optional
        True (1) where a class is allowed. Masked entries get probability exactly
        0 and their logits never matter (they may be huge or infinite). A
        slice with every entry masked comes out as all zeros.
    axis : int, default -1
        The class axis.
    with_log : bool, default True
        Also return ``log P``; otherwise the second value is None.
    floor : bool, default False
        Raise ``exp``'s argument to :func:`numnet._kernels.exp_floor` so that no
        probability is a subnormal float (training uses this: probabilities
        below ~3e-27 in float32 become 3e-27). Ignored with a ``mask``, whose
        zeros must stay exact. ``log P`` is exact either way.

    Returns
    -------
    P : ndarray like ``Z``
        ``exp(z - m) / s`` with ``m`` the largest (allowed) logit and ``s`` the
        sum of ``exp(z - m)`` over the (allowed) classes.
    log_P : ndarray like ``Z`` or None
        ``(z - m) - log s``; never ``log(0)``. On masked entries it holds 0.0
        as a placeholder, not ``-inf``, so that ``t * log_P`` (``t`` is 0 there)
        is never NaN.

    Notes
    -----
    Subtracting the maximum changes nothing mathematically (it cancels in
    the ratio) and keeps ``exp`` from overflowing: the largest entry becomes
    ``exp(0) = 1``, so ``s >= 1`` for any row with an allowed class.

    Examples
    --------
    >>> import numpy as np
    >>> P, log_P = softmax_and_log(np.array([[0.0, np.log(3.0)]]))
    >>> P, log_P.round(4)
    (array([[0.25, 0.75]]), array([[-1.3863, -0.2877]]))
    """
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)  # 0/1 integers too: ~mask below must be "not allowed"
        Z = np.where(mask, Z, -np.inf)  # exp(-inf) is exactly 0
    top = kernels.max_along(Z, axis)
    if mask is not None:
        top[top == -np.inf] = 0.0  # a fully masked row: any finite shift will do
    shifted = Z - top
    P = kernels.floored_exp(shifted) if floor and mask is None else np.exp(shifted)
    total = kernels.sum_along(P, axis)
    if mask is not None:
        total[total == 0] = 1.0  # a fully masked row: dividing by 1 keeps its zeros
    P /= total
    if not with_log:
        return P, None
    shifted -= np.log(total)  # log p = (z - m) - log s, in place
    if mask is not None:
        shifted[~mask] = 0.0
    return P, shifted


def softmax(Z: np.ndarray, axis: int = -1) -> np.ndarray:
    """``exp(z) / sum(exp(z))`` along ``axis``: each row of ``Z`` becomes probabilities.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_classes)
    axis : int, default -1
        The class axis: each *sample* is normalised over its classes.

    Returns
    -------
    ndarray of the same shape, each row summing to 1.

    Examples
    --------
    >>> import numpy as np
    >>> softmax(np.array([[0.0, 0.0], [1e4, -1e4]]))
    array([[0.5, 0.5],
           [1. , 0. ]])
    """
    return softmax_and_log(Z, axis=axis, with_log=False)[0]


def log_softmax(Z: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log(softmax(Z))``, computed as ``z - max - log(sum(exp(z - max)))``: never log(0).

    Examples
    --------
    >>> import numpy as np
    >>> log_softmax(np.array([[0.0, 1e4]]))
    array([[-10000.,      0.]])
    """
    return softmax_and_log(Z, axis=axis)[1]


def masked_softmax(Z: np.ndarray, mask: np.ndarray | None = None, axis: int = -1) -> np.ndarray:
    """Softmax over the allowed classes only; masked entries are exactly 0.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_classes)
    mask : array of bool or 0/1, same shape as ``Z``, optional
        True/1 = allowed. None allows every class (plain softmax).
        :func:`numnet.masked_softmax` validates a user's mask first.
    axis : int, default -1

    Returns
    -------
    ndarray like ``Z``: allowed entries sum to 1, masked ones are 0; a row
    with every class masked is all zeros.

    Examples
    --------
    >>> import numpy as np
    >>> masked_softmax(np.array([[1e4, 0.0, -1e4]]), np.array([[False, True, True]]))
    array([[0., 1., 0.]])
    """
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != np.shape(Z):
            raise ValueError(f"mask must have the shape of the logits, {np.shape(Z)}, got "
                             f"{mask.shape}; pass one 0/1 entry per logit")
    return softmax_and_log(Z, mask, axis, with_log=False)[0]


def softmax_backward(dP: np.ndarray, P: np.ndarray, axis: int = -1) -> np.ndarray:
    """``dL/dz`` from ``dL/dp`` through a (masked) softmax: ``p * (g - sum(g * p))``.

    Notes
    -----
    The softmax Jacobian is ``diag(p) - p pᵀ``; its product with ``g = dL/dp``
    is ``p * g - p (pᵀ g)``, done for the whole batch at once. Exact for a
    masked softmax too: there ``p = 0`` zeroes a masked entry's row and column.

    Examples
    --------
    >>> import numpy as np
    >>> softmax_backward(np.array([[1.0, 1.0]]), np.array([[0.3, 0.7]]))  # a shift: no gradient
    array([[0., 0.]])
    """
    return P * (dP - np.sum(dP * P, axis=axis, keepdims=True))
