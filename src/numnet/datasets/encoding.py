"""Convert between integer class labels and one-hot rows.

Categorical cross-entropy compares predicted probabilities of shape
``(n_samples, n_classes)`` with targets of the same shape, so integer labels
are one-hot encoded first; :func:`from_one_hot` goes back, and also turns
predicted probabilities into predicted labels.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from numnet._validation import check_finite, check_positive_int


def one_hot(y: ArrayLike, n_classes: int | None = None, dtype: DTypeLike = np.float32) -> np.ndarray:
    """Encode integer class labels as one-hot rows.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Integer labels in ``[0, n_classes)``. Floats are accepted when they
        are whole numbers (``2.0``), as labels often arrive as floats.
    n_classes : int, optional
        Number of classes, i.e. columns. Defaults to ``max(y) + 1``; pass it
        explicitly when a batch might not contain the highest class.
    dtype : numpy dtype, default=numpy.float32
        The dtype of the result.

    Returns
    -------
    Y : ndarray of shape (n_samples, n_classes)
        ``Y[i, y[i]] = 1`` and every other entry is 0.

    Raises
    ------
    TypeError
        If ``y`` does not hold numbers, or ``n_classes`` is not an int.
    ValueError
        If ``y`` is not 1-D, holds non-whole or non-finite values, or holds
        labels outside ``[0, n_classes)``.

    Examples
    --------
    >>> one_hot([0, 2, 1]).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    >>> one_hot([1], n_classes=4, dtype=np.int64).tolist()
    [[0, 1, 0, 0]]
    """
    labels = _check_labels(y)
    if n_classes is None:
        if labels.size == 0:
            raise ValueError("y is empty, so n_classes cannot be inferred; pass n_classes")
        n_classes = int(labels.max()) + 1
    n_classes = check_positive_int(n_classes, "n_classes")
    _check_label_range(labels, n_classes)
    Y = np.zeros((labels.size, n_classes), dtype=dtype)
    Y[np.arange(labels.size), labels.astype(np.int64)] = 1
    return Y


def from_one_hot(Y: ArrayLike) -> np.ndarray:
    """Turn one-hot rows (or predicted probabilities) back into labels.

    Parameters
    ----------
    Y : array-like of shape (n_samples, n_classes)
        One-hot rows or per-class scores; each row's largest entry wins, the
        first one on ties.

    Returns
    -------
    y : ndarray of shape (n_samples,), int64
        The column index of each row's largest entry.

    Raises
    ------
    TypeError
        If ``Y`` does not hold numbers.
    ValueError
        If ``Y`` is not 2-D, has no columns or holds NaN or inf.

    Examples
    --------
    >>> from_one_hot([[0, 0, 1], [1, 0, 0]]).tolist()
    [2, 0]
    >>> from_one_hot([[0.1, 0.7, 0.2]]).tolist()
    [1]
    """
    Y = _as_numeric(Y, "Y")
    if Y.ndim != 2:
        raise ValueError(
            f"Y must be 2-D of shape (n_samples, n_classes), got shape {Y.shape}; "
            "for integer labels of shape (n_samples,) no decoding is needed"
        )
    if Y.shape[1] == 0:
        raise ValueError(f"Y has no columns (shape {Y.shape}); it needs one column per class")
    check_finite(Y, "Y")
    return np.argmax(Y, axis=1).astype(np.int64)


def _check_labels(y) -> np.ndarray:
    """Return ``y`` as a 1-D array of whole numbers, or raise if it is not integer labels.

    The dtype is kept: casting a huge float to int64 first would wrap it
    around, and the range check would then name the wrong value.
    """
    arr = _as_numeric(y, "y")
    if arr.ndim != 1:
        column = arr.ndim == 2 and arr.shape[1] == 1
        hint = "; use y.ravel() for a column of labels" if column else ""
        raise ValueError(f"y must be 1-D of shape (n_samples,), got shape {arr.shape}{hint}")
    if np.issubdtype(arr.dtype, np.floating):
        check_finite(arr, "y")
        fractional = arr[arr != np.round(arr)]
        if fractional.size:
            raise ValueError(
                "y must hold whole-number class labels, got non-integer values "
                f"{_preview(fractional)}"
            )
    return arr


def _check_label_range(labels: np.ndarray, n_classes: int) -> None:
    """Raise naming the labels that fall outside ``[0, n_classes)``."""
    bad = labels[(labels < 0) | (labels >= n_classes)]
    if bad.size:
        raise ValueError(
            f"y holds labels {_preview(np.unique(bad))} outside the range [0, {n_classes}) "
            f"for n_classes={n_classes}; labels must be 0 ... {n_classes - 1}"
        )


def _as_numeric(values, name: str) -> np.ndarray:
    """Convert to an array, or raise ``TypeError`` if it does not hold real numbers."""
    arr = np.asarray(values)
    numeric = np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    if not (numeric or arr.dtype == bool):
        raise TypeError(
            f"{name} must hold numbers, got dtype {arr.dtype}; map text labels to integers first"
        )
    return arr


def _preview(values: np.ndarray, limit: int = 5) -> str:
    """List up to ``limit`` values for an error message, noting how many were left out."""
    shown = ", ".join(str(v) for v in values[:limit].tolist())
    rest = f" and {values.size - limit} more" if values.size > limit else ""
    return f"[{shown}]{rest}"
