"""Input handling for the estimators: X, targets, sample and class weights, validation split.

``X`` may be a NumPy array, a SciPy sparse matrix (CSR or CSC) or a pandas
DataFrame; scikit-learn's ``validate_data`` records ``n_features_in_`` and
``feature_names_in_`` and checks them on later calls. float32 input stays
float32, anything else becomes float64, and the network computes in that
dtype.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import train_test_split
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import column_or_1d, validate_data

_DTYPES = (np.float64, np.float32)
_SPARSE = ["csr", "csc"]
CLASSIFICATION_TARGETS = ("binary", "multiclass", "multilabel-indicator")


def validate_X(est, X, reset: bool = False):
    """``X`` checked against what ``est`` saw in fit: dense float or CSR, finite."""
    X = validate_data(est, X, accept_sparse=_SPARSE, dtype=_DTYPES, reset=reset)
    return _as_csr(X)


def validate_X_y(est, X, y, reset: bool, y_numeric: bool = False):
    """Checked ``X`` and ``y``; a column-vector ``y`` becomes 1-D (with scikit-learn's warning)."""
    X, y = validate_data(est, X, y, accept_sparse=_SPARSE, dtype=_DTYPES, multi_output=True,
                         y_numeric=y_numeric, reset=reset)
    if sp.issparse(y):
        y = y.toarray()
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    return _as_csr(X), y


def _as_csr(X):
    # Mini-batches take rows, which CSR slices cheaply and CSC does not.
    return X.tocsr() if sp.issparse(X) and X.format != "csr" else X


def check_classification_targets(y, name: str) -> str:
    """The kind of ``y`` (binary, multiclass or multilabel-indicator), or raise."""
    kind = type_of_target(y, input_name="y")
    if kind not in CLASSIFICATION_TARGETS:
        hint = " For continuous targets use MLPRegressor." if kind.startswith("continuous") else ""
        raise ValueError(
            f"Unknown label type: {kind!r}. {name} needs class labels (binary or multiclass, "
            f"of shape (n_samples,)) or a multilabel indicator matrix of 0/1 (n_samples, "
            f"n_labels).{hint}")
    return kind


def check_sample_weight(sample_weight, n_samples: int) -> np.ndarray | None:
    """``sample_weight`` as a float64 array of shape (n_samples,), or None.

    A scalar means the same weight for every sample. Weights must be finite,
    non-negative and not all zero.
    """
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.ndim == 0:
        w = np.full(n_samples, float(w))
    if w.ndim != 1 or w.shape[0] != n_samples:
        raise ValueError(f"sample_weight must have shape ({n_samples},), one weight per sample, "
                         f"got shape {w.shape}")
    if not np.isfinite(w).all():
        raise ValueError("sample_weight contains NaN or inf; pass finite weights")
    if (w < 0).any():
        raise ValueError(f"sample_weight must be >= 0, found {int((w < 0).sum())} negative "
                         "weights")
    if not (w > 0).any():
        raise ValueError("sample_weight must contain at least one non-zero weight; all "
                         f"{n_samples} weights are zero")
    return w.copy()


def class_weight_factors(class_weight, classes: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The weight of each sample's class, shape (n_samples,).

    Parameters
    ----------
    class_weight : dict or "balanced"
        ``{label: weight}`` (missing labels weigh 1), or ``"balanced"``:
        ``n_samples / (n_classes * count(label))``.
    classes : ndarray of shape (n_classes,)
        Sorted labels.
    y : ndarray of shape (n_samples,)
        The labels of the samples.
    """
    if isinstance(class_weight, dict):
        unknown = [label for label in class_weight if label not in set(classes.tolist())]
        if unknown:
            raise ValueError(f"class_weight has labels {unknown} that are not classes of y; the "
                             f"classes are {classes.tolist()}")
    elif class_weight != "balanced":
        raise ValueError(f"class_weight must be None, 'balanced' or a dict {{label: weight}}, "
                         f"got {class_weight!r}")
    weights = compute_class_weight(class_weight, classes=classes, y=y)
    return weights[np.searchsorted(classes, y)]


def validation_split(n_samples: int, fraction: float, stratify, seed: int):
    """Row indices ``(train, validation)`` holding out ``fraction`` of the samples.

    ``stratify`` (labels, or None) keeps the class proportions in both parts.
    """
    rows = np.arange(n_samples)
    train, val = train_test_split(rows, test_size=fraction, stratify=stratify, random_state=seed)
    if len(val) < 2:
        raise ValueError(
            f"The validation set is too small: validation_fraction={fraction} of {n_samples} "
            "samples leaves fewer than 2. Increase 'validation_fraction' or the size of your "
            "dataset.")
    return train, val


def take(rows, *arrays):
    """Each of ``arrays`` (dense, sparse or None) restricted to ``rows``."""
    return tuple(None if array is None else array[rows] for array in arrays)
