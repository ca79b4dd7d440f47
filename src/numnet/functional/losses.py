"""Losses and their gradients as pure functions.

Conventions (as for the loss classes): a loss is the **mean over samples**
of a per-sample loss, ``sum_i w_i loss_i / n`` with ``sample_weight`` ``w``
(weights of 1 give the plain mean), and every ``*_grad`` is therefore
**already divided by** ``n``. Regression losses and binary cross-entropy
first average over the ``k`` outputs of a sample, so their gradients carry
``1 / (n k)``.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
from numpy.typing import DTypeLike

from numnet import _kernels as kernels
from numnet.functional.activations import sigmoid
from numnet.functional.softmax import softmax_and_log

# An optional per-sample (or per-entry) array: sample weights and masks.
MaybeArray = Optional[np.ndarray]


# -- shared pieces ---------------------------------------------------------------
def weighted_mean(per_sample: np.ndarray, sample_weight: MaybeArray = None) -> float:
    """``sum_i w_i x_i / n`` for ``per_sample`` of shape (n_samples,) or (n_samples, 1).

    ``sum() / n`` rather than ``np.mean``: the same number, at a quarter of the
    cost on the small arrays of a mini-batch.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, 3.0])
    >>> weighted_mean(x), weighted_mean(x, np.array([2.0, 0.0]))
    (2.0, 1.0)
    """
    n = per_sample.shape[0]
    if per_sample.dtype.itemsize < 4:  # float16: a sum of a few thousand modest losses overflows it
        per_sample = per_sample.astype(np.float64)
        sample_weight = None if sample_weight is None else np.asarray(sample_weight, np.float64)
    if sample_weight is not None:
        return float(np.dot(per_sample.reshape(-1), sample_weight.reshape(-1))) / n
    return float(per_sample.sum()) / n


def _scale(G: np.ndarray, sample_weight, n_terms: int, reciprocal: bool = False) -> np.ndarray:
    """``G * w / n_terms`` in place (``w`` per sample, broadcast over the columns).

    ``reciprocal`` multiplies by ``1 / n_terms`` instead (cheaper than dividing,
    and what cross-entropy has always done; the others divide, so that their
    results stay bit for bit what they were).
    """
    if sample_weight is not None:
        G *= sample_weight.reshape(-1, 1)
    if reciprocal:
        G *= 1.0 / n_terms
    else:
        G /= n_terms
    return G


def one_hot(labels: np.ndarray, n_classes: int, dtype: DTypeLike = np.float64) -> np.ndarray:
    """Rows of shape (n_samples, n_classes) with a 1 in each label's column.

    Examples
    --------
    >>> import numpy as np
    >>> one_hot(np.array([2, 0]), 3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    T = np.zeros((labels.shape[0], n_classes), dtype=dtype)
    T[kernels.row_indices(labels.shape[0]), labels] = 1.0
    return T


def smooth_labels(T: np.ndarray, label_smoothing: float, mask: MaybeArray = None) -> np.ndarray:
    """``(1 - s) t + s / K``, with ``K`` the number of (allowed) classes of each sample.

    With a ``mask`` (bool, True = allowed) the ``s`` is shared among a
    sample's allowed classes only, and masked classes keep 0.

    Examples
    --------
    >>> import numpy as np
    >>> smooth_labels(np.array([[1.0, 0.0]]), 0.2)
    array([[0.9, 0.1]])
    """
    s = label_smoothing
    if mask is None:
        return T * (1.0 - s) + s / T.shape[1]
    n_allowed = np.maximum(mask.sum(axis=1, keepdims=True), 1)
    return (1.0 - s) * T + s * mask / n_allowed


def _rows(targets: np.ndarray, n_classes: int, dtype) -> np.ndarray:
    """Targets as rows: integer labels (n_samples,) become one-hot rows."""
    return one_hot(targets, n_classes, dtype) if targets.ndim == 1 else targets


# -- categorical cross-entropy ---------------------------------------------------
def nll(log_P: np.ndarray, targets: np.ndarray, sample_weight: MaybeArray = None) -> float:
    """Mean negative log-likelihood ``-sum_k t_k log p_k`` over samples.

    Parameters
    ----------
    log_P : ndarray of shape (n_samples, n_classes)
        Log-probabilities.
    targets : ndarray of int, shape (n_samples,), or of shape (n_samples, n_classes)
        Integer labels (then the sum is the one term ``-log p_label``) or target rows.
    sample_weight : ndarray of shape (n_samples,) or (n_samples, 1), optional

    Examples
    --------
    >>> import numpy as np
    >>> round(nll(np.log(np.array([[0.5, 0.5], [0.9, 0.1]])), np.array([0, 0])), 4)
    0.3993
    """
    if targets.ndim == 1:
        log_likelihood = log_P[kernels.row_indices(log_P.shape[0]), targets]
    else:
        log_likelihood = kernels.row_sum(targets * log_P)
    # Negating the mean rather than every entry: the same number, one NumPy call fewer.
    return -weighted_mean(log_likelihood, sample_weight)


def nll_grad(P: np.ndarray, targets: np.ndarray, sample_weight: MaybeArray = None) -> np.ndarray:
    """``d nll / d p = -t / p / n``: the gradient with respect to the probabilities ``P``.

    ``P`` must hold no zeros (the loss classes clip it to ``eps`` first).

    Examples
    --------
    >>> import numpy as np
    >>> nll_grad(np.array([[0.5, 0.5]]), np.array([1]))
    array([[-0., -2.]])
    """
    G = -_rows(targets, P.shape[1], P.dtype) / P
    return _scale(G, sample_weight, P.shape[0], reciprocal=True)


def softmax_cross_entropy_grad(P: np.ndarray, targets: np.ndarray,
                               sample_weight: MaybeArray = None) -> np.ndarray:
    """``d/dz`` of cross-entropy through the softmax ``P = softmax(z)``: ``(p sum(t) - t) / n``.

    Notes
    -----
    The softmax Jacobian ``diag(p) - p pᵀ`` times ``dL/dp = -t / p`` is
    ``p sum(t) - t``, which is ``p - t`` for target rows that sum to 1 (and
    0 for an all-zero row: a sample that is not scored). Integer labels give
    ``p - one_hot`` directly, without building the one-hot rows.

    Examples
    --------
    >>> import numpy as np
    >>> softmax_cross_entropy_grad(np.array([[0.25, 0.75]]), np.array([1]))
    array([[ 0.25, -0.25]])
    """
    if targets.ndim == 1:
        G = P.copy()
        G[kernels.row_indices(P.shape[0]), targets] -= 1.0
    else:
        G = P * kernels.row_sum(targets) - targets
    return _scale(G, sample_weight, P.shape[0], reciprocal=True)


def cross_entropy(logits: np.ndarray, targets: np.ndarray, *, mask: MaybeArray = None,
                  sample_weight: MaybeArray = None,
                  label_smoothing: float = 0.0) -> float:
    """Categorical cross-entropy of softmax(logits): ``mean_i -sum_k t_ik log p_ik``.

    Parameters
    ----------
    logits : ndarray of shape (n_samples, n_classes)
    targets : ndarray of int, shape (n_samples,), or of shape (n_samples, n_classes)
        Integer labels or one-hot / probability rows.
    mask : ndarray of bool or 0/1, shape (n_samples, n_classes), optional
        True (1) = allowed; the softmax runs over the allowed classes only.
    sample_weight : ndarray of shape (n_samples,), optional
    label_smoothing : float in [0, 1)
        Targets become ``(1 - s) t + s / K`` (``K`` allowed classes).

    Returns
    -------
    float
        ``log_softmax`` is computed as ``z - max - log(sum(exp(z - max)))``,
        so the loss is finite for any finite logits.

    Examples
    --------
    >>> import numpy as np
    >>> round(cross_entropy(np.array([[2.0, 0.0, 0.0]]), np.array([0])), 4)
    0.2395
    """
    log_P = softmax_and_log(logits, mask)[1]
    return nll(log_P, _targets(targets, logits, mask, label_smoothing), sample_weight)


def cross_entropy_grad(logits: np.ndarray, targets: np.ndarray, *, mask: MaybeArray = None,
                       sample_weight: MaybeArray = None,
                       label_smoothing: float = 0.0) -> np.ndarray:
    """``d cross_entropy / d logits = (softmax(z) - t) / n``; arguments as for :func:`cross_entropy`.

    Examples
    --------
    >>> import numpy as np
    >>> cross_entropy_grad(np.array([[0.0, 0.0]]), np.array([0]))
    array([[-0.5,  0.5]])
    """
    P = softmax_and_log(logits, mask, with_log=False)[0]
    return softmax_cross_entropy_grad(P, _targets(targets, logits, mask, label_smoothing),
                                      sample_weight)


def _targets(targets, logits, mask, label_smoothing):
    """Labels as given; rows when smoothing or masking needs them (0 on masked classes)."""
    if not label_smoothing and mask is None:
        return targets
    T = _rows(targets, logits.shape[1], logits.dtype)
    return smooth_labels(T, label_smoothing, mask) if label_smoothing else T


# -- binary cross-entropy ----------------------------------------------------------
def binary_cross_entropy(logits: np.ndarray, targets: np.ndarray,
                         sample_weight: MaybeArray = None) -> float:
    """``-(t log p + (1 - t) log(1 - p))`` with ``p = sigmoid(z)``, mean over outputs then samples.

    Parameters
    ----------
    logits : ndarray of shape (n_samples, n_outputs)
    targets : ndarray of the same shape, 0/1 (or in [0, 1])
    sample_weight : ndarray of shape (n_samples,), optional

    Notes
    -----
    Written as ``max(z, 0) - z t + log(1 + exp(-|z|))``, exact for any ``z``
    (``exp`` never overflows and ``log`` never sees 0).

    Examples
    --------
    >>> import numpy as np
    >>> round(binary_cross_entropy(np.array([[0.0], [1e4]]), np.array([[1.0], [1.0]])), 4)
    0.3466
    """
    Z, T = logits, targets
    elementwise = np.maximum(Z, 0) - Z * T + np.log1p(np.exp(-np.abs(Z)))
    return weighted_mean(elementwise.mean(axis=1), sample_weight)


def binary_cross_entropy_probs(P: np.ndarray, targets: np.ndarray,
                               sample_weight: MaybeArray = None) -> float:
    """Binary cross-entropy of probabilities ``P`` (clipped to ``[eps, 1 - eps]`` first).

    Examples
    --------
    >>> import numpy as np
    >>> round(binary_cross_entropy_probs(np.array([[0.5]]), np.array([[1.0]])), 4)
    0.6931
    """
    eps = np.finfo(P.dtype).eps
    P = np.clip(P, eps, 1.0 - eps)
    elementwise = -(targets * np.log(P) + (1.0 - targets) * np.log1p(-P))
    return weighted_mean(elementwise.mean(axis=1), sample_weight)


def sigmoid_cross_entropy_grad(P: np.ndarray, targets: np.ndarray,
                               sample_weight: MaybeArray = None) -> np.ndarray:
    """``d/dz`` of binary cross-entropy through ``P = sigmoid(z)``: ``(p - t) / (n k)``.

    Notes
    -----
    ``dL/dp = (p - t) / (p (1 - p))`` and ``dp/dz = p (1 - p)``: the product is ``p - t``.

    Examples
    --------
    >>> import numpy as np
    >>> sigmoid_cross_entropy_grad(np.array([[0.5, 0.5]]), np.array([[1.0, 0.0]]))
    array([[-0.25,  0.25]])
    """
    return _scale(P - targets, sample_weight, P.size)


def binary_cross_entropy_grad(logits: np.ndarray, targets: np.ndarray,
                              sample_weight: MaybeArray = None) -> np.ndarray:
    """``d binary_cross_entropy / d logits = (sigmoid(z) - t) / (n k)``.

    Examples
    --------
    >>> import numpy as np
    >>> binary_cross_entropy_grad(np.array([[0.0]]), np.array([[1.0]]))
    array([[-0.5]])
    """
    return sigmoid_cross_entropy_grad(sigmoid(logits), targets, sample_weight)


def binary_cross_entropy_probs_grad(P: np.ndarray, targets: np.ndarray,
                                    sample_weight: MaybeArray = None) -> np.ndarray:
    """``d/dp`` of :func:`binary_cross_entropy_probs`: ``(p - t) / (p (1 - p)) / (n k)``.

    Examples
    --------
    >>> import numpy as np
    >>> binary_cross_entropy_probs_grad(np.array([[0.5]]), np.array([[1.0]]))
    array([[-2.]])
    """
    eps = np.finfo(P.dtype).eps
    P = np.clip(P, eps, 1.0 - eps)
    return _scale((P - targets) / (P * (1.0 - P)), sample_weight, P.size)


# -- regression ----------------------------------------------------------------------
def mse(y_pred: np.ndarray, y_true: np.ndarray, sample_weight: MaybeArray = None) -> float:
    """Mean squared error ``mean((y_pred - y_true)²)``; arrays of shape (n_samples, n_outputs).

    Examples
    --------
    >>> import numpy as np
    >>> mse(np.array([[1.0], [3.0]]), np.array([[0.0], [1.0]]))
    2.5
    """
    R = y_pred - y_true
    return weighted_mean(np.mean(R * R, axis=1), sample_weight)


def mse_grad(y_pred: np.ndarray, y_true: np.ndarray,
             sample_weight: MaybeArray = None) -> np.ndarray:
    """``d mse / d y_pred = 2 (y_pred - y_true) / (n k)``.

    Examples
    --------
    >>> import numpy as np
    >>> mse_grad(np.array([[1.0], [3.0]]), np.array([[0.0], [1.0]]))
    array([[1.],
           [2.]])
    """
    return _scale(2.0 * (y_pred - y_true), sample_weight, y_pred.size)


def mae(y_pred: np.ndarray, y_true: np.ndarray, sample_weight: MaybeArray = None) -> float:
    """Mean absolute error ``mean(|y_pred - y_true|)``.

    Examples
    --------
    >>> import numpy as np
    >>> mae(np.array([[1.0], [3.0]]), np.array([[0.0], [1.0]]))
    1.5
    """
    return weighted_mean(np.mean(np.abs(y_pred - y_true), axis=1), sample_weight)


def mae_grad(y_pred: np.ndarray, y_true: np.ndarray,
             sample_weight: MaybeArray = None) -> np.ndarray:
    """``d mae / d y_pred = sign(y_pred - y_true) / (n k)`` (0 at a tie: a subgradient).

    Examples
    --------
    >>> import numpy as np
    >>> mae_grad(np.array([[1.0], [3.0]]), np.array([[1.0], [1.0]]))
    array([[0. ],
           [0.5]])
    """
    return _scale(np.sign(y_pred - y_true), sample_weight, y_pred.size)


def huber(y_pred: np.ndarray, y_true: np.ndarray,
          sample_weight: MaybeArray = None, delta: float = 1.0) -> float:
    """``r²/2`` for ``|r| <= delta``, else ``delta (|r| - delta/2)``, with ``r = y_pred - y_true``.

    Examples
    --------
    >>> import numpy as np
    >>> huber(np.array([[0.5], [3.0]]), np.array([[0.0], [0.0]]))
    1.3125
    """
    R = y_pred - y_true
    A = np.abs(R)
    elementwise = np.where(A <= delta, 0.5 * R * R, delta * (A - 0.5 * delta))
    return weighted_mean(elementwise.mean(axis=1), sample_weight)


def huber_grad(y_pred: np.ndarray, y_true: np.ndarray, sample_weight: MaybeArray = None,
               delta: float = 1.0) -> np.ndarray:
    """``d huber / d y_pred = clip(r, -delta, delta) / (n k)``.

    Examples
    --------
    >>> import numpy as np
    >>> huber_grad(np.array([[0.5], [3.0]]), np.array([[0.0], [0.0]]))
    array([[0.25],
           [0.5 ]])
    """
    return _scale(np.clip(y_pred - y_true, -delta, delta), sample_weight, y_pred.size)
