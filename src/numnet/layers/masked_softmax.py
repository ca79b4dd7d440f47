"""Softmax over the allowed classes only: action masking with exact zeros.

A 0/1 (or boolean) mask of shape ``(n_samples, n_classes)`` says which
classes each sample may take (1/True = allowed). Masked classes get a
probability of exactly ``0.0``; the allowed ones share all the mass, so each
row still sums to 1. A row with every class masked has nothing to share: it
comes out as all zeros, and its gradient is zero (finite, never NaN).

Three entry points share the maths of :func:`numnet.functional.softmax_and_log`:

- :func:`masked_softmax`, a plain function for hand-written loops;
- :class:`MaskedSoftmax`, the output layer of a :class:`~numnet.Sequential`
  model, which then takes ``mask=`` in ``fit``, ``predict`` and ``evaluate``;
- :func:`check_mask`, which validates a user's mask once and returns it as bool.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from numnet import functional as F
from numnet.layers.activations import Activation
from numnet.registry import LAYERS


def check_mask(mask: ArrayLike, n_samples: int | None = None, n_classes: int | None = None,
               name: str = "mask") -> np.ndarray:
    """Validate a mask of shape (n_samples, n_classes) and return it as a bool array.

    Parameters
    ----------
    mask : array-like of shape (n_samples, n_classes)
        1 or True where a class is allowed, 0 or False where it is masked.
    n_samples, n_classes : int, optional
        The shape expected; ``None`` accepts any.
    name : str
        The argument's name in error messages.

    Returns
    -------
    ndarray of bool, shape (n_samples, n_classes)
        ``True`` where allowed. A bool array of the right shape is returned as is.

    Raises
    ------
    TypeError
        If the mask does not hold numbers or booleans.
    ValueError
        If it is not 2-D, has the wrong number of rows or columns, holds NaN,
        or holds values other than 0 and 1.

    Examples
    --------
    >>> check_mask([[1, 0, 1]], n_samples=1, n_classes=3)
    array([[ True, False,  True]])
    """
    arr = _as_array(mask, name)
    _check_shape(arr, n_samples, n_classes, name)
    return _as_bool(arr, name)


def masked_softmax(logits: ArrayLike, mask: ArrayLike | None = None, axis: int = -1) -> np.ndarray:
    """Softmax of ``logits`` over the allowed entries of ``mask``; masked entries are exactly 0.

    Parameters
    ----------
    logits : array-like of shape (n_samples, n_classes)
        Raw scores (any shape, normalised along ``axis``).
    mask : array-like of the same shape as ``logits``, optional
        1/True = allowed, 0/False = masked. ``None`` allows every class (plain softmax).
    axis : int, default -1
        The class axis.

    Returns
    -------
    ndarray of the same shape as ``logits``
        Allowed entries sum to 1 along ``axis``; masked entries are ``0.0``.
        A slice with every entry masked is all zeros.

    Notes
    -----
    ``p_k = exp(z_k - m) / sum_{j allowed} exp(z_j - m)`` for allowed ``k``,
    with ``m`` the largest *allowed* logit, so ``exp`` never overflows and the
    logits of masked entries never matter (they may even be huge or infinite).

    Examples
    --------
    >>> import numpy as np
    >>> masked_softmax(np.array([[1e4, 0.0, -1e4]]), np.array([[0, 1, 1]]))
    array([[0., 1., 0.]])
    >>> masked_softmax(np.array([[2.0, 1.0]]), np.array([[0, 0]]))
    array([[0., 0.]])
    """
    Z = np.asarray(logits)
    if not np.issubdtype(Z.dtype, np.floating):
        Z = Z.astype(np.float64)
    allowed = None if mask is None else _matching_mask(mask, Z.shape)
    return F.masked_softmax(Z, allowed, axis)


@LAYERS.register("masked_softmax")
class MaskedSoftmax(Activation):
    """Softmax whose masked classes are exactly 0 and whose allowed classes sum to 1.

    Parameters
    ----------
    axis : int, default -1
        The class axis of the input (n_samples, n_classes).

    Notes
    -----
    ``forward(X, mask=M)`` takes ``M`` of shape (n_samples, n_classes), 0/1 or
    bool, 1/True = allowed; ``mask=None`` allows everything. A row whose
    classes are all masked returns all zeros, and ``backward`` gives it a zero
    gradient: nothing about such a row can be learned, and nothing is NaN.

    ``backward`` is the softmax Jacobian-vector product
    ``dL/dz = p * (g - sum(g * p))`` with ``g = dL/dp``. It is exact for both
    kinds of entry: a masked output is the constant 0 (so ``p = 0`` zeroes its
    row and column of the Jacobian), and an allowed output depends only on the
    allowed logits, through an ordinary softmax over them.

    In a :class:`~numnet.Sequential` model compiled with
    ``loss="categorical_crossentropy"``, training skips this layer and uses
    :class:`~numnet.MaskedCategoricalCrossEntropy` on the logits, with the fused
    gradient ``(p - t) / n``, zero on masked entries.

    Examples
    --------
    >>> import numpy as np
    >>> layer = MaskedSoftmax()
    >>> layer.forward(np.array([[0.0, 3.0, 0.0, 2.0, 0.0]]), mask=[[0, 1, 0, 1, 0]]).round(4)
    array([[0.    , 0.7311, 0.    , 0.2689, 0.    ]])
    """

    accepts_mask = True

    def __init__(self, axis: int = -1, name: str | None = None) -> None:
        super().__init__(name=name)
        self.axis = int(axis)

    def forward(self, X: ArrayLike, mask: ArrayLike | None = None,  # type: ignore[override]
                training: bool = False) -> np.ndarray:
        """Masked probabilities (n_samples, n_classes); ``mask`` of the same shape or None."""
        X = np.asarray(X)
        if mask is not None:
            mask = (check_mask(mask, X.shape[0], X.shape[1]) if X.ndim == 2
                    else _matching_mask(mask, X.shape))
        Y = F.masked_softmax(X, mask, self.axis)
        self._keep(training, Y=Y)
        return Y

    def __call__(self, X: ArrayLike, mask: ArrayLike | None = None,  # type: ignore[override]
                 training: bool = False) -> np.ndarray:
        """``layer(X, mask)`` is ``layer.forward(X, mask, training)``."""
        return self.forward(X, mask=mask, training=training)

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """``dL/dZ = P * (dY - sum(dY * P))`` along ``axis``, with ``P`` the forward's output.

        Masked classes have ``P = 0``, so their gradient is exactly 0.

        Parameters
        ----------
        dY : ndarray of shape (n_samples, n_classes)

        Returns
        -------
        dZ : ndarray of shape (n_samples, n_classes)
        """
        # Chain rule through the softmax over the allowed classes; p = 0 on masked ones.
        return F.softmax_backward(dY, self._cached("Y"), self.axis)

    def check_mask(self, mask: ArrayLike, n_samples: int) -> np.ndarray:
        """Validate a user's mask for ``n_samples`` rows of this layer's classes; return bool."""
        n_classes = None if self.input_shape is None else self.input_shape[-1]
        return check_mask(mask, n_samples, n_classes)

    def get_config(self) -> dict:
        """Constructor arguments as plain JSON data; ``from_config`` rebuilds the layer."""
        return {"name": self.name, "axis": self.axis}


# -- validation helpers ------------------------------------------------------
def _as_array(mask, name: str) -> np.ndarray:
    if isinstance(mask, (str, bytes)):
        raise TypeError(f"{name} must be an array of 0/1 or True/False, got a string")
    try:
        arr = np.asarray(mask)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} could not be converted to an array: {exc}") from None
    if arr.dtype != bool and (arr.dtype == object or not np.issubdtype(arr.dtype, np.number)
                              or np.issubdtype(arr.dtype, np.complexfloating)):
        raise TypeError(f"{name} must hold 0/1 or True/False, got dtype {arr.dtype}")
    return arr


def _check_shape(arr: np.ndarray, n_samples, n_classes, name: str) -> None:
    if arr.ndim != 2:
        hint = f"; for one sample use {name}.reshape(1, -1)" if arr.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D of shape (n_samples, n_classes), "
                         f"got shape {arr.shape}{hint}")
    if n_samples is not None and arr.shape[0] != n_samples:
        raise ValueError(f"{name} has {arr.shape[0]} rows, but there are {n_samples} samples; "
                         f"pass one mask row per sample, shape ({n_samples}, {arr.shape[1]})")
    if n_classes is not None and arr.shape[1] != n_classes:
        raise ValueError(f"{name} has {arr.shape[1]} columns, but the output has {n_classes} "
                         f"classes; pass a mask of shape (n_samples, {n_classes})")


def _as_bool(arr: np.ndarray, name: str) -> np.ndarray:
    if arr.dtype == bool:
        return arr
    if np.issubdtype(arr.dtype, np.floating) and np.isnan(arr).any():
        first = tuple(int(i) for i in np.argwhere(np.isnan(arr))[0])
        raise ValueError(f"{name} contains NaN ({int(np.isnan(arr).sum())} entries, first at "
                         f"{first}); a mask must hold only 0/1 or True/False")
    bad = (arr != 0) & (arr != 1)
    if bad.any():
        found = np.unique(arr[bad])[:5].tolist()
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name} must hold only 0/1 or True/False, found {found} (first at "
                         f"{first}); to treat every nonzero entry as allowed, pass {name} != 0")
    return arr == 1


def _matching_mask(mask, shape: tuple, name: str = "mask") -> np.ndarray:
    """A bool mask of exactly ``shape`` (any number of dimensions)."""
    arr = _as_array(mask, name)
    if arr.shape != tuple(shape):
        raise ValueError(f"{name} must have the same shape as the logits, {tuple(shape)}, "
                         f"got {arr.shape}")
    return _as_bool(arr, name)
