"""Input checks shared by every public entry point.

Each check raises a ``ValueError`` or ``TypeError`` whose message names the
argument, says what was expected and what was found, and how to fix it.
"""
from __future__ import annotations

import math
import numbers

import numpy as np


def check_random_state(random_state) -> np.random.Generator:
    """Normalise ``random_state`` (None, int or Generator) to a ``np.random.Generator``.

    NumPy's global random state is never used or modified.
    """
    if random_state is None or isinstance(random_state, (numbers.Integral, np.integer)):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        # Draw a seed from the legacy object so that its stream still advances.
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    raise TypeError(
        "random_state must be None, an int or a numpy.random.Generator, "
        f"got {type(random_state).__name__}"
    )


def check_array(X, name: str = "X", dtype=np.float32, n_features: int | None = None,
                allow_empty: bool = False, ndim: int = 2) -> np.ndarray:
    """Return ``X`` as a finite C-contiguous array of ``dtype`` with ``ndim`` dimensions.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    name : str
        The argument's name in messages.
    dtype : numpy dtype
        The compute dtype; other dtypes are converted once, here.
    n_features : int, optional
        The number of columns expected.
    """
    if (type(X) is np.ndarray and X.dtype == dtype and X.ndim == ndim == 2 and X.shape[0]
            and X.flags.c_contiguous and (n_features is None or X.shape[1] == n_features)):
        # Fast path for arrays that already have the right form (every predict call):
        # only finiteness is left to check.
        check_finite(X, name)
        return X
    if (type(X) is np.ndarray and X.dtype.kind in "fiu" and X.ndim == ndim == 2 and X.shape[0]
            and (n_features is None or X.shape[1] == n_features)):
        # Numeric arrays of another dtype (float64 from pandas or scikit-learn): convert once.
        X = np.ascontiguousarray(X, dtype=dtype)
        check_finite(X, name)
        return X
    if isinstance(X, (str, bytes)):
        raise TypeError(f"{name} must be a numeric array, got a string")
    try:
        arr = np.asarray(X)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} could not be converted to an array: {exc}") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(
            f"{name} must hold numbers, got dtype {arr.dtype}; convert text or categorical "
            "columns to numbers first (for example one-hot encode them)"
        )
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real-valued, got dtype {arr.dtype}")
    if ndim == 2 and arr.ndim == 1:
        raise ValueError(
            f"{name} must be 2-D of shape (n_samples, n_features), got a 1-D array of shape "
            f"{arr.shape}; use {name}.reshape(-1, 1) for one feature or {name}.reshape(1, -1) "
            "for one sample"
        )
    if arr.ndim != ndim:
        hint = (f"; flatten each sample with {name}.reshape(len({name}), -1)"
                if ndim == 2 and arr.ndim > 2 else "")
        raise ValueError(
            f"{name} must be {ndim}-D of shape (n_samples, n_features), got shape {arr.shape}{hint}"
        )
    if arr.shape[0] == 0 and not allow_empty:
        raise ValueError(f"{name} is empty (shape {arr.shape}); pass at least one sample")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(
            f"{name} has {arr.shape[1]} features, but this model was built for {n_features}; "
            f"pass an array of shape (n_samples, {n_features})"
        )
    arr = np.ascontiguousarray(arr, dtype=dtype)
    check_finite(arr, name)
    return arr


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise ``ValueError`` naming the first rows and columns that hold NaN or inf."""
    # A finite sum proves every entry finite (NaN and inf propagate through addition) in one
    # cheap call; only when it is not finite (or it overflowed) is the full check needed.
    # The sum runs in float64 so that large but finite float32 values cannot overflow it.
    if arr.dtype.kind == "f" and not math.isfinite(arr.sum(dtype=np.float64)) \
            and not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))
        where = ", ".join(str(tuple(int(i) for i in idx)) for idx in bad[:5])
        kind = "NaN" if np.isnan(arr).any() else "inf"
        raise ValueError(
            f"{name} contains {kind} or other non-finite values ({len(bad)} entries, first at "
            f"{where}); remove or impute them before training"
        )


def check_positive_int(value, name: str, allow_zero: bool = False) -> int:
    """Return ``value`` as an int, or raise if it is not a (strictly) positive integer."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return int(value)


def check_consistent_length(X: np.ndarray, y, name_y: str = "y") -> None:
    """Raise if ``y`` does not have one row per sample of ``X``."""
    if len(y) != len(X):
        raise ValueError(
            f"X and {name_y} have different numbers of samples: X has {len(X)} rows, "
            f"{name_y} has {len(y)}; they must match one to one"
        )
