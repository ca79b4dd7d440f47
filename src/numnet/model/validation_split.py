"""``fit(validation_split=...)`` that cannot mislead: compare the two parts' classes.

Keras' ``validation_split`` holds out the last rows, unshuffled. Data laid out
class after class (numnet's own ``spiral_data``, many CSV exports) then trains
on some classes and validates on others: ``val_accuracy 0.0000`` for every
epoch, which looks like a broken model rather than a broken split. numnet
keeps Keras' rule (so results match) but compares the class shares of the
two parts and warns when they differ by more than chance explains;
``shuffle_before_split=True`` draws the held-out rows at random instead.
"""
from __future__ import annotations

import warnings

import numpy as np

# A class's validation share may differ from its training share by chance; flag only
# differences beyond this many standard errors (binomial) and beyond MIN_GAP.
N_STANDARD_ERRORS = 4.0
MIN_GAP = 0.1


class ValidationSplitWarning(UserWarning):
    """``validation_split`` held out rows whose classes are distributed unlike the training rows'."""


def class_shares(y) -> np.ndarray | None:
    """Fraction of samples per class, ``(n_classes,)``; None for regression targets.

    ``y`` holds integer labels ``(n_samples,)`` or one-hot rows ``(n_samples, n_classes)``.

    Examples
    --------
    >>> class_shares(np.array([0, 0, 1, 2])).tolist()
    [0.5, 0.25, 0.25]
    """
    y = np.asarray(y)
    if y.ndim == 1 and y.dtype.kind in "iu" and y.size:
        counts = np.bincount(y.astype(np.int64))
    elif y.ndim == 2 and y.shape[1] > 1 and y.size:
        counts = np.bincount(np.argmax(y, axis=1), minlength=y.shape[1])
    else:
        return None
    return counts / counts.sum()


def split_mismatch(y_train, y_val) -> list:
    """Classes whose share in ``y_val`` differs from their share in ``y_train`` beyond chance.

    A class of training share ``p`` appears in ``n_val`` random rows with a share of
    standard error ``sqrt(p (1 - p) / n_val)``; a gap over ``N_STANDARD_ERRORS`` of
    those (and over ``MIN_GAP``) almost never happens by chance (p < 1e-4).

    Returns
    -------
    list of (label, train_share, val_share)
    """
    train, val = class_shares(y_train), class_shares(y_val)
    if train is None or val is None:
        return []
    k = max(len(train), len(val))
    train, val = np.pad(train, (0, k - len(train))), np.pad(val, (0, k - len(val)))
    n_val = len(y_val)
    allowed = np.maximum(MIN_GAP, N_STANDARD_ERRORS * np.sqrt(train * (1 - train) / n_val))
    flagged = np.flatnonzero(np.abs(val - train) > allowed)
    return [(int(c), float(train[c]), float(val[c])) for c in flagged]


def warn_if_split_misleads(y_train, y_val, shuffled: bool = False, stacklevel: int = 6) -> None:
    """Warn when the held-out part's class distribution differs strongly from the training part's.

    The message names the classes and their shares, and says first which classes
    the training part never sees (the worst case: the model cannot learn them).
    """
    mismatch = split_mismatch(y_train, y_val)
    if not mismatch:
        return
    unseen = [c for c, train, _ in mismatch if train == 0]
    shares = "; ".join(f"class {c}: {train:.0%} of training rows, {val:.0%} of validation rows"
                       for c, train, val in mismatch)
    where = ("the randomly drawn validation rows" if shuffled
             else "validation_split holds out the last rows unshuffled, and they")
    head = (f"{where} contain classes {unseen} that the training part never sees" if unseen
            else f"{where} have a class distribution unlike the training part's")
    fix = ("use a larger validation_split or numnet.train_test_split(..., stratify=y) with "
           "validation_data" if shuffled else
           "pass shuffle_before_split=True to draw the split at random with the fit's seed, or use "
           "numnet.train_test_split(..., stratify=y) and validation_data")
    warnings.warn(f"{head} ({shares}); validation numbers would mislead. To fix it, {fix}",
                  ValidationSplitWarning, stacklevel=stacklevel)


def split_generator(seed) -> np.random.Generator:
    """The generator that draws the held-out rows: a stream of its own from the fit's seed.

    Using the fit's seed keeps a seeded run reproducible; for an integer seed, a
    separate stream keeps the epochs' shuffling the same as without
    ``shuffle_before_split``.
    """
    if isinstance(seed, np.random.Generator):
        return np.random.default_rng(seed.integers(2**63))
    if seed is None:
        return np.random.default_rng()
    return np.random.default_rng([int(seed), 0x5EED])
