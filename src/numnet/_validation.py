"""Input checks shared by every public entry point.

Each check raises a ``ValueError`` or ``TypeError`` whose message names the
argument, says what was expected and what was found, and how to fix it.
"""
from __future__ import annotations

import math
import numbers
import os

import numpy as np

from numnet import _kernels as kernels

_X_SHAPE = "(n_samples, n_features)"
_X_HINT = "convert text or categorical columns to numbers first (for example one-hot encode them)"
_NONFINITE_FIX = "remove or impute them before training"
MAX_ENTRIES = 2**31  # one parameter array larger than this is a typo, not a network


def check_random_state(random_state) -> np.random.Generator:
    """Normalise ``random_state`` (None, int >= 0 or Generator) to a ``np.random.Generator``.

    NumPy's global random state is never used or modified.
    """
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        # Draw a seed from the legacy object so that its stream still advances.
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    expected = "random_state must be an int >= 0, a numpy.random.Generator or None"
    if isinstance(random_state, bool) or not isinstance(random_state, (numbers.Integral, np.integer)):
        raise TypeError(f"{expected}, got {type(random_state).__name__} {random_state!r}; "
                        "pass a seed such as 0")
    if random_state < 0:
        # NumPy's own text ("expected non-negative integer") does not say which argument.
        raise ValueError(f"{expected}, got {random_state}; pass a seed such as 0")
    return np.random.default_rng(int(random_state))


def check_float_dtype(dtype, name: str = "dtype") -> np.dtype | None:
    """Return ``dtype`` as a NumPy floating dtype (None stays None), or raise ``TypeError``.

    Training takes small fractional steps, which integer weights cannot hold; the
    check runs at construction so the mistake is caught before any data is seen.
    """
    if dtype is None:
        return None
    expected = f"{name} must be a floating dtype such as np.float32 or np.float64"
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{expected}, got {dtype!r}, which NumPy does not understand") from None
    if resolved.kind != "f":
        raise TypeError(f"{expected}, got {resolved.name}; weights and gradients need fractions, "
                        "so pass dtype=np.float32 (the default) or np.float64")
    return resolved


def as_array(value, name: str, shape: str = _X_SHAPE) -> np.ndarray:
    """``np.asarray(value)``, refusing masked entries and ragged rows in numnet's own words.

    Parameters
    ----------
    value : array-like
    name : str
        The argument's name in messages.
    shape : str
        The expected shape, as the fix in the message for ragged rows.
    """
    if isinstance(value, np.ma.MaskedArray):
        return _unmasked(value, name)
    try:
        return np.asarray(value)
    except (ValueError, TypeError):  # ragged lists: NumPy's text names no argument
        raise ValueError(f"{name} could not be converted to an array: {_ragged(value)}; pass a "
                         f"rectangular array of shape {shape}") from None


def _unmasked(value: np.ma.MaskedArray, name: str) -> np.ndarray:
    """The data of a masked array that masks nothing; otherwise raise.

    ``np.asarray`` would silently drop the mask and train on whatever the masked
    entries hold, so masked entries are refused unless there are none.
    """
    mask = np.ma.getmaskarray(value)
    if not mask.any():
        return np.asarray(np.ma.getdata(value))
    first = tuple(int(i) for i in np.argwhere(mask)[0])
    rows = f"{name}.mask.any(axis=1)" if mask.ndim == 2 else f"{name}.mask"
    raise ValueError(
        f"{name} is a masked array with {int(mask.sum())} masked entries (first at {first}), and "
        f"numnet does not skip masked values; fill them, e.g. {name}.filled({name}.mean()), or "
        f"drop those rows from every array, e.g. keep = ~{rows}"
    )


def _ragged(value) -> str:
    """Say how the rows of a nested sequence that NumPy could not stack differ."""
    try:
        lengths = sorted({len(row) for row in value})
    except TypeError:  # some rows are numbers, others sequences
        return "some rows are numbers and others are sequences"
    if len(lengths) > 1:
        shown = ", ".join(str(n) for n in lengths[:5])
        return f"its rows have different lengths ({shown})"
    return "its rows do not all have the same shape"


def check_real_dtype(arr: np.ndarray, name: str, hint: str = _X_HINT) -> None:
    """Raise ``TypeError`` unless ``arr`` holds real numbers (bool, int or float).

    ``hint`` says how to turn text into numbers; dates, durations and complex
    numbers get their own advice.
    """
    kind = arr.dtype.kind
    if kind == "M":
        raise TypeError(f"{name} holds dates (dtype {arr.dtype}); convert them to numbers first, "
                        f"e.g. days since the first date: ({name} - {name}.min()) / "
                        "np.timedelta64(1, 'D')")
    if kind == "m":
        raise TypeError(f"{name} holds durations (dtype {arr.dtype}); convert them to numbers "
                        f"first, e.g. in seconds: {name} / np.timedelta64(1, 's')")
    if kind == "c":
        raise TypeError(f"{name} must be real-valued, got dtype {arr.dtype}; pass {name}.real or "
                        f"np.abs({name}) if that is what you mean")
    if kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}; {hint}")


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
    allow_empty : bool
        Accept zero samples.
    ndim : int
        The number of dimensions expected (2: samples by features).

    Raises
    ------
    TypeError
        For text, dates, durations or complex numbers.
    ValueError
        For a wrong shape, no samples or features, masked entries, NaN or inf, or
        values that overflow ``dtype``.
    """
    if (type(X) is np.ndarray and X.dtype == dtype and X.ndim == ndim == 2 and X.shape[0]
            and X.shape[1] and X.flags.c_contiguous and (n_features is None or X.shape[1] == n_features)):
        # Fast path for arrays that already have the right form (every predict call):
        # only finiteness is left to check (check_finite only to word the error).
        if not kernels.all_finite(X):
            check_finite(X, name)
        return X
    if (type(X) is np.ndarray and X.dtype.kind in "fiu" and X.ndim == ndim == 2 and X.shape[0]
            and X.shape[1] and (n_features is None or X.shape[1] == n_features)):
        # Numeric arrays of another dtype (float64 from pandas or scikit-learn): convert once.
        return as_float_array(X, dtype, name)
    if isinstance(X, (str, bytes)):
        raise TypeError(f"{name} must be a numeric array, got a string")
    arr = as_array(X, name)
    check_real_dtype(arr, name)
    _check_shape(arr, name, ndim, n_features, allow_empty)
    return as_float_array(arr, dtype, name)


def _check_shape(arr: np.ndarray, name: str, ndim: int, n_features, allow_empty: bool) -> None:
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
    if ndim == 2 and arr.shape[1] == 0:
        # A network on no features can only learn a constant: almost surely a column selection gone wrong.
        raise ValueError(f"{name} has no feature columns (shape {arr.shape}); pass at least one "
                         "feature per sample")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(
            f"{name} has {arr.shape[1]} features, but this model was built for {n_features}; "
            f"pass an array of shape (n_samples, {n_features})"
        )


def as_float_array(arr: np.ndarray, dtype, name: str, fix: str = "scale the data or use "
                   "dtype=np.float64", nonfinite_fix: str = _NONFINITE_FIX) -> np.ndarray:
    """``arr`` as a finite C-contiguous array of ``dtype``, or a ``ValueError``.

    Values that are finite in ``arr`` but too large for ``dtype`` (1e39 in float32)
    are reported as an overflow with ``fix``, not as the inf they became; NaN and
    inf that were there already are reported with ``nonfinite_fix``.
    """
    out = np.ascontiguousarray(arr, dtype=dtype)
    if _all_finite(out):
        return out
    if out.dtype != arr.dtype and _all_finite(arr):
        raise ValueError(overflow_message(arr, out.dtype, name, fix))
    # Names the user's own NaN/inf, at their positions.
    check_finite(arr if arr.dtype.kind in "fc" else out, name, nonfinite_fix)
    return out


def cast_within_range(arr: np.ndarray, dtype, name: str, fix: str) -> np.ndarray:
    """``arr.astype(dtype)``, or a ``ValueError`` (:func:`overflow_message`) if a finite value became inf."""
    with np.errstate(over="ignore"):
        out = arr.astype(dtype)
    if out.dtype.kind == "f" and np.isfinite(out).sum() < np.isfinite(arr).sum():
        raise ValueError(overflow_message(arr, out.dtype, name, fix))
    return out


def overflow_message(arr: np.ndarray, dtype: np.dtype, name: str, fix: str) -> str:
    """The error for values of ``arr`` beyond ``dtype``'s range: the most extreme one, the limit, ``fix``."""
    peak = arr.flat[int(np.argmax(np.abs(arr)))]
    where = f"up to {float(peak):.2g}" if peak > 0 else f"down to {float(peak):.2g}"
    return (f"{name} has values {where}, beyond {dtype.name}'s {float(np.finfo(dtype).max):.2g}; "
            f"{fix}")


def _all_finite(arr: np.ndarray) -> bool:
    """True when every entry is finite; one cheap sum in the common case (:func:`kernels.all_finite`)."""
    if arr.dtype.kind not in "fc":
        return True
    return kernels.all_finite(arr)


def check_finite(arr: np.ndarray, name: str, fix: str = _NONFINITE_FIX) -> None:
    """Raise ``ValueError`` naming the first rows and columns that hold NaN or inf."""
    if _all_finite(arr):
        return
    bad = np.argwhere(~np.isfinite(arr))
    where = ", ".join(str(tuple(int(i) for i in idx)) for idx in bad[:5])
    kind = "NaN" if np.isnan(arr).any() else "inf"
    raise ValueError(
        f"{name} contains {kind} or other non-finite values ({len(bad)} entries, first at "
        f"{where}); {fix}"
    )


def check_positive_int(value, name: str, allow_zero: bool = False) -> int:
    """Return ``value`` as an int, or raise if it is not a (strictly) positive integer."""
    return check_number(value, name, kind=int, low=0, low_open=not allow_zero)

_NOUNS = {float: "a real number", int: "an int"}


def check_number(value, name: str, *, kind: type = float, low: float | None = None,
                 high: float | None = None, low_open: bool = False, high_open: bool = False,
                 allow_none: bool = False, also: str | None = None):
    """Return ``value`` as a Python ``kind`` if it is a finite number within the bounds; else raise.

    One declaration per parameter replaces a hand-written check, and the
    message is generated from it: ``check_number(lr, "learning_rate", low=0,
    low_open=True)`` raises "learning_rate must be > 0, got -1.0".

    Parameters
    ----------
    value : object
        What the user passed.
    name : str
        The parameter's name in messages.
    kind : {float, int}
        ``float`` accepts any real number (bool excluded) and returns a Python
        float; ``int`` accepts integers only (not 2.0) and returns a Python int.
    low, high : float, optional
        The bounds; inclusive unless ``low_open`` / ``high_open``.
    allow_none : bool
        Accept None (and return it), e.g. for an optional ``clipnorm``.
    also : str, optional
        Another accepted value the caller handles itself, named in messages
        ("'auto'" gives "must be an int >= 1 or 'auto'").

    Returns
    -------
    float or int or None

    Raises
    ------
    TypeError
        When ``value`` is not a number of ``kind`` (text, bool, None, 2.5 for an int).
    ValueError
        When it is NaN, infinite or outside the bounds.

    Examples
    --------
    >>> check_number(0.5, "momentum", low=0, high=1)
    0.5
    >>> check_number(0, "epsilon", low=0, low_open=True)
    Traceback (most recent call last):
    ...
    ValueError: epsilon must be > 0, got 0.0
    """
    if value is None and allow_none:
        return None
    noun = _NOUNS[kind]
    if not _is_number(value, kind):
        alternatives = "".join(f" or {alt}" for alt in (also, "None" if allow_none else None) if alt)
        raise TypeError(f"{name} must be {noun}{alternatives}, got {type(value).__name__} {value!r}")
    # A Python scalar keeps float32 arrays float32 (a NumPy float64 scalar would promote them).
    value = _as_python(value, kind)
    below = low is not None and (value < low or (low_open and value == low))
    above = high is not None and (value > high or (high_open and value == high))
    if below or above or not math.isfinite(value):
        span = describe_range(low, high, low_open, high_open)
        expected = f"{noun} {span} or {also}" if also else span
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return value


def _is_number(value, kind: type) -> bool:
    """True for numbers of ``kind``; bools are refused, since ``True`` as a rate is a mistake."""
    if isinstance(value, (bool, np.bool_)):
        return False
    return isinstance(value, numbers.Integral if kind is int else numbers.Real)


def _as_python(value, kind: type):
    try:
        return kind(value)
    except OverflowError:  # float(10**400): report it as the infinity it stands for
        return math.inf


def describe_range(low, high, low_open: bool = False, high_open: bool = False) -> str:
    """An interval as the messages write it: ``'> 0'``, ``'in [0, 1)'``, ``'a finite number'``."""
    if high is None:
        return "a finite number" if low is None else f"{'>' if low_open else '>='} {low:g}"
    if low is None:
        return f"{'<' if high_open else '<='} {high:g}"
    return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def check_consistent_length(X: np.ndarray, y, name_y: str = "y") -> None:
    """Raise if ``y`` does not have one row per sample of ``X``."""
    if len(y) != len(X):
        raise ValueError(
            f"X and {name_y} have different numbers of samples: X has {len(X)} rows, "
            f"{name_y} has {len(y)}; they must match one to one"
        )


def check_weight_array(value, target: np.ndarray, name: str) -> np.ndarray:
    """``value`` as a finite array of ``target``'s shape and dtype, for ``set_weights``.

    Parameters
    ----------
    value : array-like
    target : ndarray
        The parameter or state array that ``value`` will be copied into.
    name : str
        ``"layer_name/param_name"``, for messages.
    """
    arr = as_array(value, name, str(target.shape))
    check_real_dtype(arr, name, "pass the arrays that get_weights() returns")
    if arr.shape != target.shape:
        hint = " (it looks transposed)" if arr.shape[::-1] == target.shape and arr.ndim == 2 else ""
        raise ValueError(f"{name} must have shape {target.shape}, got {arr.shape}{hint}")
    return as_float_array(
        arr, target.dtype, name, fix="scale them down or use a float64 model (dtype=np.float64)",
        nonfinite_fix="a model with NaN or inf weights predicts NaN; pass finite weights, e.g. "
                      "those get_weights() returned before training diverged")


def check_allocation(shape: tuple, dtype, what: str, fix: str) -> None:
    """Refuse an array too large to allocate, before NumPy fails with a bare ``MemoryError``.

    Parameters
    ----------
    shape : tuple of int
    dtype : numpy dtype
    what : str
        The array, as the message names it, e.g. ``"Dense(3, 1000000000000)'s weights"``.
    fix : str
        How to make it smaller.

    Raises
    ------
    ValueError
        When the array has more than :data:`MAX_ENTRIES` entries or needs more bytes
        than the machine's physical memory; the message gives the size in GB.
    """
    entries = math.prod(int(n) for n in shape)
    nbytes = entries * np.dtype(dtype).itemsize
    memory = physical_memory()
    if entries > MAX_ENTRIES:
        limit = f"more than the {MAX_ENTRIES:,} entries numnet allows in one array"
    elif memory is not None and nbytes > memory:
        limit = f"more than this machine's {_gigabytes(memory)} GB of memory"
    else:
        return
    raise ValueError(f"{what} would need {entries:,} entries ({_gigabytes(nbytes)} GB in "
                     f"{np.dtype(dtype).name}), {limit}; {fix}")


def physical_memory() -> int | None:
    """The machine's physical memory in bytes, or None where the OS does not say (Windows)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def _gigabytes(nbytes: int) -> str:
    gb = nbytes / 1e9
    return f"{gb:,.1f}" if gb >= 1 else f"{gb:.2g}"
