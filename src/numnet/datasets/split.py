"""Split a data set into training and test parts without scikit-learn.

The synthetic generators lay their samples out class after class, so a split
must shuffle: taking the last quarter of ``spiral_data`` as the test set
would test on a class the network never saw.
"""
from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.typing import ArrayLike

from numnet._validation import check_consistent_length, check_random_state


def train_test_split(X: ArrayLike, y: ArrayLike, test_size: float = 0.25,
                     random_state: int | np.random.Generator | None = None,
                     stratify: ArrayLike | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle the samples and split them into a training and a test part.

    Parameters
    ----------
    X : array-like of shape (n_samples, ...)
        Inputs; rows are samples.
    y : array-like of shape (n_samples, ...)
        Targets, one row (or label) per sample of ``X``.
    test_size : float or int, default=0.25
        A float in (0, 1) is the fraction of samples in the test part,
        rounded up; an int is their number. Both parts must keep at least
        one sample.
    random_state : None, int or numpy.random.Generator, default=None
        Seed or generator for the shuffle.
    stratify : array-like of shape (n_samples,), optional
        Class labels (usually ``y``). When given, each class is split in the
        same proportion, so both parts keep the class balance of the whole.

    Returns
    -------
    X_train : ndarray of shape (n_samples - n_test, ...)
    X_test : ndarray of shape (n_test, ...)
    y_train : ndarray of shape (n_samples - n_test, ...)
    y_test : ndarray of shape (n_test, ...)
        The rows of ``X`` and ``y``, shuffled, with their dtypes kept.

    Raises
    ------
    TypeError
        If ``test_size`` is not a number.
    ValueError
        If ``X`` and ``y`` differ in length, ``test_size`` would leave a part
        empty, or, with ``stratify``, a class has fewer than two samples or
        a part has fewer samples than there are classes.

    Examples
    --------
    >>> from numnet.datasets import vertical_data
    >>> X, y = vertical_data(samples=20, classes=3, random_state=0)
    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     X, y, test_size=0.25, random_state=0, stratify=y)
    >>> X_train.shape, X_test.shape, y_train.shape, y_test.shape
    ((45, 2), (15, 2), (45,), (15,))
    >>> np.bincount(y_test).tolist()
    [5, 5, 5]
    """
    X, y = _as_rows(X, "X"), _as_rows(y, "y")
    check_consistent_length(X, y)
    n_samples = len(X)
    n_test = _n_test(test_size, n_samples)
    rng = check_random_state(random_state)
    if stratify is None:
        order = rng.permutation(n_samples)
        test, train = order[:n_test], order[n_test:]
    else:
        test, train = _stratified_indices(stratify, n_test, n_samples, rng)
    return X[train], X[test], y[train], y[test]


def _as_rows(values, name: str) -> np.ndarray:
    """Convert to an array with at least one axis, the samples."""
    arr = np.asarray(values)
    if arr.ndim == 0:
        raise ValueError(f"{name} must be an array with one row per sample, got a scalar")
    return arr


def _n_test(test_size, n_samples: int) -> int:
    """Turn ``test_size`` into a number of test samples that leaves both parts non-empty."""
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise TypeError(
            f"test_size must be a float in (0, 1) or an int, got {type(test_size).__name__} "
            f"{test_size!r}"
        )
    if isinstance(test_size, numbers.Integral):
        n_test = int(test_size)
    elif 0 < float(test_size) < 1:
        # The small margin stops float error (0.7 * 10 = 7.000000000000001) rounding up a sample.
        n_test = math.ceil(float(test_size) * n_samples - 1e-9)
    else:
        raise ValueError(f"test_size as a float must lie in (0, 1), got {test_size}")
    if not 1 <= n_test <= n_samples - 1:
        raise ValueError(
            f"test_size={test_size} gives {n_test} test samples out of {n_samples}; both the "
            f"training and the test part need at least one, so pick 1 ... {n_samples - 1} "
            "samples (needs n_samples >= 2)"
        )
    return n_test


def _stratified_indices(stratify, n_test: int, n_samples: int, rng) -> tuple:
    """Row indices of the test and training parts, split class by class."""
    labels = _as_rows(stratify, "stratify")
    if labels.ndim != 1:
        raise ValueError(
            f"stratify must be 1-D class labels of shape (n_samples,), got shape {labels.shape};"
            " for one-hot targets pass numnet.datasets.from_one_hot(y)"
        )
    check_consistent_length(np.empty(n_samples), labels, name_y="stratify")
    classes, inverse = np.unique(labels, return_inverse=True)
    counts = np.bincount(inverse)
    _check_strata(classes, counts, n_test, n_samples)
    n_test_per_class = _allocate(counts, n_test, n_samples, rng)
    test, train = [], []
    for k, n_k in enumerate(n_test_per_class):
        members = rng.permutation(np.flatnonzero(inverse == k))
        test.append(members[:n_k])
        train.append(members[n_k:])
    # Shuffle again so that neither part is ordered class after class.
    return rng.permutation(np.concatenate(test)), rng.permutation(np.concatenate(train))


def _check_strata(classes, counts, n_test: int, n_samples: int) -> None:
    """Raise if some class cannot appear in both parts."""
    if counts.min() < 2:
        lonely = classes[counts < 2][:5].tolist()
        raise ValueError(
            f"stratify has classes with a single sample ({lonely}); every class needs at least "
            "2 samples to appear in both parts, so drop those samples or pass stratify=None"
        )
    smaller = min(n_test, n_samples - n_test)
    if smaller < len(classes):
        raise ValueError(
            f"the smaller part would hold {smaller} samples, fewer than the {len(classes)} "
            "classes in stratify; choose a test_size that leaves each part at least "
            f"{len(classes)} samples"
        )


def _allocate(counts: np.ndarray, n_test: int, n_samples: int, rng) -> np.ndarray:
    """Share ``n_test`` among the classes in proportion to ``counts``.

    Each class gets the floor of its exact share; the samples left over go to
    the classes with the largest remainders (ties broken at random), so the
    total is exactly ``n_test``. Integer arithmetic keeps the shares exact.
    """
    share = counts * n_test
    n_per_class, remainder = share // n_samples, share % n_samples
    left_over = n_test - int(n_per_class.sum())
    order = np.lexsort((rng.random(len(counts)), -remainder))
    n_per_class[order[:left_over]] += 1
    return n_per_class
