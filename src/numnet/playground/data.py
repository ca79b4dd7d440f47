"""The playground's data: toy data sets on the plane, input features and CSV uploads.

Pure NumPy and numnet (no server code), so that the Python that "Show the code"
writes can import these same functions and rebuild the learner's exact data.
Every data set lies in about ``[-2, 2]`` x ``[-2, 2]``: wide enough for
``sin(x1)`` to bend, small enough for ``x1**2`` to stay well scaled.
"""
from __future__ import annotations

import io

import numpy as np

from numnet._validation import check_random_state
from numnet.datasets import spiral_data, train_test_split

SCALE = 2.0
CLASSIFICATION_SETS = ("spiral", "xor", "circles", "gaussians", "moons")
DATASETS = CLASSIFICATION_SETS + ("regression",)
FEATURES = {  # name -> function of the two plane coordinates (each of shape (n_samples,))
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1^2": lambda a, b: a * a,
    "x2^2": lambda a, b: b * b,
    "x1*x2": lambda a, b: a * b,
    "sin(x1)": lambda a, b: np.sin(a),
    "sin(x2)": lambda a, b: np.sin(b),
}
MAX_CSV_BYTES = 1_000_000
MAX_CSV_ROWS = 5_000


def make_dataset(name: str, n_samples: int = 300, noise: float = 0.1, classes: int = 3,
                 random_state=None) -> tuple[np.ndarray, np.ndarray]:
    """Points on the plane and their labels (or regression targets).

    Parameters
    ----------
    name : {"spiral", "xor", "circles", "gaussians", "moons", "regression"}
    n_samples : int
        Total number of points (spiral: rounded down to a multiple of ``classes``).
    noise : float in [0, 1]
        How far points stray from the clean pattern.
    classes : int
        Number of spiral arms (2 to 5); the other classification sets have 2 classes.
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float32
    y : ndarray of shape (n_samples,)
        Integer class labels, or float targets for ``"regression"``.

    Examples
    --------
    >>> X, y = make_dataset("xor", 100, random_state=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((100, 2), [0, 1])
    """
    if name not in DATASETS:
        raise ValueError(f"dataset must be one of {', '.join(DATASETS)}; got {name!r}")
    rng = check_random_state(random_state)
    if name == "spiral":
        X, y = spiral_data(n_samples // classes, classes, noise=noise, random_state=rng)
        return (X * SCALE).astype(np.float32), y
    X, y = _MAKERS[name](n_samples, noise, rng)
    return X.astype(np.float32), y


def _xor(n, noise, rng):
    X = rng.uniform(-1, 1, (n, 2))
    y = (X[:, 0] * X[:, 1] < 0).astype(np.int64)
    return (X + noise * rng.standard_normal((n, 2))) * SCALE, y


def _circles(n, noise, rng):
    y = np.arange(n) % 2
    radius = np.where(y == 0, rng.uniform(0, 0.45, n), rng.uniform(0.65, 1.0, n))
    angle = rng.uniform(0, 2 * np.pi, n)
    X = np.c_[radius * np.cos(angle), radius * np.sin(angle)]
    return (X + noise * rng.standard_normal((n, 2))) * SCALE, y


def _gaussians(n, noise, rng):
    y = np.arange(n) % 2
    centres = np.where(y[:, None] == 0, -0.45, 0.45)
    return (centres + (0.15 + noise) * rng.standard_normal((n, 2))) * SCALE, y


def _moons(n, noise, rng):
    y = np.arange(n) % 2
    t = rng.uniform(0, np.pi, n)
    # Two interleaved half circles: the lower one shifted right so that they hook into each other.
    X = np.where(y[:, None] == 0, np.c_[np.cos(t), np.sin(t)], np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
    X = (X - [0.5, 0.25]) * 0.8
    return (X + noise * rng.standard_normal((n, 2))) * SCALE, y


def _regression(n, noise, rng):
    X = rng.uniform(-1, 1, (n, 2)) * SCALE
    y = np.sin(X[:, 0] * 1.5) * np.cos(X[:, 1]) + noise * rng.standard_normal(n)
    return X, y.astype(np.float32)


_MAKERS = {"xor": _xor, "circles": _circles, "gaussians": _gaussians, "moons": _moons,
           "regression": _regression}


def make_features(X, names) -> np.ndarray:
    """The network's input columns, computed from plane points ``X`` of shape (n_samples, 2).

    Returns an array of shape (n_samples, len(names)), float32, in the order of ``names``.

    >>> make_features(np.array([[1.0, 2.0]]), ["x1", "x1*x2"]).tolist()
    [[1.0, 2.0]]
    """
    unknown = [name for name in names if name not in FEATURES]
    if unknown or not names:
        raise ValueError(f"features must be a non-empty list of {', '.join(FEATURES)}; got {list(names)!r}")
    X = np.asarray(X, dtype=np.float64)
    return np.column_stack([FEATURES[name](X[:, 0], X[:, 1]) for name in names]).astype(np.float32)


def split(X, y, test_ratio: float, random_state=None, stratify: bool = True):
    """Training and test parts: ``X_train, X_test, y_train, y_test`` (numnet's train_test_split)."""
    return train_test_split(X, y, test_size=test_ratio, random_state=random_state,
                            stratify=y if stratify else None)


def parse_csv(data: bytes) -> tuple[np.ndarray, np.ndarray, bool]:
    """Read an uploaded CSV: two numeric feature columns, then a label column.

    A first row that is not numeric is taken as a header. Labels that are all
    small whole numbers (at most 8 distinct) make a classification problem and
    are renumbered 0..k-1; anything else is a regression target.

    Returns
    -------
    X : ndarray of shape (n_rows, 2), float32
    y : ndarray of shape (n_rows,)
    is_classification : bool

    Raises
    ------
    ValueError
        For a file over :data:`MAX_CSV_BYTES` or :data:`MAX_CSV_ROWS` rows, a
        wrong number of columns, text in a number column, or fewer than 10 rows.
    """
    if len(data) > MAX_CSV_BYTES:
        raise ValueError(f"the CSV file is {len(data):,} bytes, the limit is {MAX_CSV_BYTES:,}; "
                         "upload a smaller sample of your data")
    text = data.decode("utf-8", errors="replace").strip()
    rows = [line for line in text.splitlines() if line.strip()]
    if rows and not _is_numeric_row(rows[0]):
        rows = rows[1:]  # a header
    if not 10 <= len(rows) <= MAX_CSV_ROWS:
        raise ValueError(f"the CSV file needs 10 to {MAX_CSV_ROWS:,} data rows, got {len(rows):,}")
    table = _numeric_table(rows)
    X, y = table[:, :2], table[:, 2]
    return _classes_or_values(X, y)


def _is_numeric_row(line: str) -> bool:
    try:
        [float(cell) for cell in line.split(",")]
    except ValueError:
        return False
    return True


def _numeric_table(rows) -> np.ndarray:
    widths = {len(line.split(",")) for line in rows}
    if widths != {3}:
        raise ValueError(f"the CSV file must have exactly 3 columns (x1, x2, label) in every row; "
                         f"found rows with {sorted(widths)} columns")
    try:
        table = np.loadtxt(io.StringIO("\n".join(rows)), delimiter=",", dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise ValueError(f"the CSV file must hold numbers only below its header: {exc}") from None
    if not np.isfinite(table).all():
        raise ValueError("the CSV file holds NaN or infinite values; remove or fill those rows")
    return table


def _classes_or_values(X, y):
    values = np.unique(y)
    if len(values) <= 8 and np.all(values == np.round(values)):
        return X.astype(np.float32), np.searchsorted(values, y).astype(np.int64), True
    return X.astype(np.float32), y.astype(np.float32), False
