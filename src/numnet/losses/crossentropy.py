"""Cross-entropy losses for classification."""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from numnet import _kernels as kernels
from numnet import functional as F
from numnet._validation import as_float_array
from numnet.layers.activations import Sigmoid, Softmax
from numnet.losses import fusion
from numnet.losses.base import TARGET_FIX, Loss, _as_numeric, weights_column
from numnet.registry import LOSSES


@LOSSES.register("categorical_crossentropy", "crossentropy", "cce", "sparse_categorical_crossentropy")
class CategoricalCrossEntropy(Loss):
    """``-sum_k t_k log p_k`` per sample, averaged over samples.

    Parameters
    ----------
    from_logits : bool, default False
        If True, ``y_pred`` are raw scores ``z`` of shape (n_samples, n_classes)
        and the softmax is applied inside, in log-space. If False, ``y_pred``
        are probabilities (clipped to ``[eps, 1]`` so ``log`` never sees 0).
    label_smoothing : float in [0, 1)
        Targets become ``(1 - s) * one_hot + s / n_classes``.

    Notes
    -----
    Targets ``y_true`` are integer labels of shape (n_samples,) or one-hot /
    probability rows of shape (n_samples, n_classes): ``fit`` and ``evaluate``
    refuse rows with entries outside [0, 1] or that do not sum to 1 (label
    smoothing is applied to valid rows, inside the loss).

    From logits the gradient is ``(softmax(z) - t) / n``: the softmax Jacobian
    ``diag(p) - p pᵀ`` times ``-t / p`` collapses to ``p - t`` because each row
    of ``t`` sums to 1. That is why a model ending in ``Softmax`` trains on
    this fused form instead of chaining two less stable backward passes.

    Examples
    --------
    >>> import numpy as np
    >>> loss = CategoricalCrossEntropy(from_logits=True)
    >>> round(loss.forward(np.array([[2.0, 0.0, 0.0]]), np.array([0])), 4)
    0.2395
    """

    is_classification = True
    _empty_rows_allowed = False  # the masked loss accepts all-zero rows (samples it does not score)

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0) -> None:
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)

    def prepare_targets(self, y: ArrayLike, n_outputs: int, dtype: DTypeLike) -> np.ndarray:
        """Validate ``y`` once per ``fit``: labels (n_samples,) in ``0..n_outputs-1`` or target
        rows (n_samples, n_outputs); return it in the form :meth:`forward` expects.

        Raises
        ------
        ValueError
            For labels out of range, a wrong number of columns or non-finite values.
        """
        y = _as_numeric(y, "y")
        if y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1 and n_outputs > 1):
            return _check_labels(y.reshape(-1), n_outputs)
        if y.ndim != 2 or y.shape[1] != n_outputs:
            raise ValueError(
                f"one-hot y has {y.shape[1] if y.ndim == 2 else y.shape} columns, but the model has "
                f"{n_outputs} outputs; pass integer labels of shape (n_samples,) or one-hot "
                f"targets of shape (n_samples, {n_outputs})"
            )
        _check_target_rows(y, self._empty_rows_allowed)
        return as_float_array(y, dtype, "y", fix=TARGET_FIX)

    def _targets(self, y_true, n_classes, dtype):
        """Dense target rows (n_samples, n_classes), label smoothing applied."""
        if y_true.ndim == 1:
            T = F.one_hot(y_true, n_classes, dtype)
        else:
            T = y_true.astype(dtype, copy=False)
        if self.label_smoothing:
            T = F.smooth_labels(T, self.label_smoothing)
        return T

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray, sample_weight: np.ndarray | None = None
                ) -> float:
        """Mean cross-entropy ``-sum_k t_k log p_k`` over samples.

        Parameters
        ----------
        y_pred : ndarray of shape (n_samples, n_classes)
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
        sample_weight : ndarray of shape (n_samples,), optional
            The loss is ``sum(w_i * loss_i) / n_samples``.
            ``y_pred`` holds probabilities, or logits with ``from_logits=True``.

        Returns
        -------
        float
            The mean over samples.
        """
        y_true = np.asarray(y_true)
        n, k = y_pred.shape
        if y_true.ndim == 1 and y_true.dtype.kind not in "iu":
            y_true = _check_labels(y_true, k)  # before the cast: 1e20 would wrap to a negative int
        self._w = weights_column(sample_weight, n, y_pred.dtype)
        sparse = y_true.ndim == 1 and not self.label_smoothing
        if y_true.ndim == 1 and (y_true.min() < 0 or y_true.max() >= k):
            _check_labels(y_true, k)  # raises, naming the bad labels (a negative one would wrap)
        self._labels = y_true if sparse else None
        self._T = None if sparse else self._targets(y_true, k, y_pred.dtype)
        if self.from_logits:
            # One exp serves p and log p. floor: no probability is a subnormal float (those make
            # every later operation on the gradient 10-100x slower); log p stays exact.
            self._P, log_p = F.softmax_and_log(y_pred, floor=True)
        else:
            eps = np.finfo(y_pred.dtype).eps
            self._P = np.clip(y_pred, eps, 1.0)
            log_p = np.log(self._P)
        return F.nll(log_p, y_true if sparse else self._T, self._w)

    @property
    def probabilities(self) -> np.ndarray:
        """Softmax probabilities from the last ``forward`` (n_samples, n_classes)."""
        return self._P

    def backward(self) -> np.ndarray:
        """``(p - t) / n`` from logits (fused with the softmax), else ``-t / p / n``.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            ``dL/dy_pred`` for the last :meth:`forward`, already divided by ``n_samples``.
        """
        targets = self._labels if self._labels is not None else self._T
        if self.from_logits:  # fused softmax + cross-entropy: (p - t) / n
            return F.softmax_cross_entropy_grad(self._P, targets, self._w)
        return F.nll_grad(self._P, targets, self._w)  # -t / p / n

    def get_config(self) -> dict:
        """Constructor arguments as plain JSON data; ``from_config`` rebuilds the loss."""
        return {"from_logits": self.from_logits, "label_smoothing": self.label_smoothing}


@LOSSES.register("binary_crossentropy", "bce", "log_loss")
class BinaryCrossEntropy(Loss):
    """``-(t log p + (1 - t) log(1 - p))``, averaged over outputs, then over samples.

    For binary and multi-label classification: ``y_pred`` and ``y_true`` are
    (n_samples, n_outputs) with 0/1 targets (a 1-D ``y_true`` is read as one output).

    Parameters
    ----------
    from_logits : bool, default False
        If True, ``y_pred`` are raw scores and the sigmoid is applied inside:
        the loss is ``max(z, 0) - z t + log(1 + exp(-|z|))``, exact for any ``z``,
        and the gradient is ``(sigmoid(z) - t) / (n k)``.
    """

    is_classification = True

    def __init__(self, from_logits: bool = False) -> None:
        self.from_logits = bool(from_logits)

    def prepare_targets(self, y: ArrayLike, n_outputs: int, dtype: DTypeLike) -> np.ndarray:
        """Validate ``y`` once per ``fit``: 0/1 targets of shape
        (n_samples, n_outputs) (1-D: one output); return it in the form :meth:`forward` expects.

        Raises
        ------
        ValueError
            For targets outside [0, 1], a wrong number of columns or non-finite values.
        """
        T = super().prepare_targets(y, n_outputs, dtype)
        outside = (T < 0) | (T > 1)
        if outside.any():
            row, col = (int(i) for i in np.argwhere(outside)[0])
            raise ValueError(f"binary cross-entropy targets must lie in [0, 1] (0/1 labels), found "
                             f"{T[row, col]:g} in row {row} ({int(outside.sum())} such entries); "
                             "encode each label as 0 or 1")
        return T

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray, sample_weight: np.ndarray | None = None
                ) -> float:
        """Mean over outputs, then over samples, of ``-(t log p + (1 - t) log(1 - p))``.

        Parameters
        ----------
        y_pred : ndarray of shape (n_samples, n_outputs)
        y_true : ndarray of shape (n_samples, n_outputs)
        sample_weight : ndarray of shape (n_samples,), optional
            The loss is ``sum(w_i * loss_i) / n_samples``.
            ``y_pred`` holds probabilities, or logits with ``from_logits=True``.

        Returns
        -------
        float
            The mean over samples.
        """
        T = np.asarray(y_true, dtype=y_pred.dtype).reshape(y_pred.shape)
        self._T = T
        self._w = weights_column(sample_weight, y_pred.shape[0], y_pred.dtype)
        if self.from_logits:
            floor = kernels.exp_floor(y_pred.dtype)  # keeps P clear of subnormal floats
            self._P = F.sigmoid(np.clip(y_pred, floor, -floor))
            return F.binary_cross_entropy(y_pred, T, self._w)
        eps = np.finfo(y_pred.dtype).eps
        self._P = np.clip(y_pred, eps, 1.0 - eps)
        return F.binary_cross_entropy_probs(self._P, T, self._w)

    @property
    def probabilities(self) -> np.ndarray:
        """Sigmoid probabilities from the last ``forward`` (n_samples, n_outputs)."""
        return self._P

    def backward(self) -> np.ndarray:
        """``(p - t) / (n k)`` from logits (fused with the sigmoid), else ``(p - t) / (p (1 - p)) / (n k)``.

        Returns
        -------
        ndarray of shape (n_samples, n_outputs)
            ``dL/dy_pred`` for the last :meth:`forward`, already divided by ``n_samples``.
        """
        if self.from_logits:  # fused sigmoid + binary cross-entropy: (p - t) / (n k)
            return F.sigmoid_cross_entropy_grad(self._P, self._T, self._w)
        return F.binary_cross_entropy_probs_grad(self._P, self._T, self._w)

    def get_config(self) -> dict:
        """Constructor arguments as plain JSON data; ``from_config`` rebuilds the loss."""
        return {"from_logits": self.from_logits}


@fusion.register(Softmax, CategoricalCrossEntropy)
def _fuse_softmax(loss, layer):
    if loss.from_logits:
        fusion.warn_applied_twice(layer, loss)
        return None
    return type(loss)(**{**loss.get_config(), "from_logits": True})


@fusion.register(Sigmoid, BinaryCrossEntropy)
def _fuse_sigmoid(loss, layer):
    if loss.from_logits:
        fusion.warn_applied_twice(layer, loss)
        return None
    return type(loss)(**{**loss.get_config(), "from_logits": True})


def _check_labels(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Integer labels (n_samples,) in ``[0, n_classes)`` as int64, or a ``ValueError``.

    The range is checked on the values as given, before the cast to int64:
    a label of 1e20 would otherwise wrap to -9223372036854775808 in the message.
    """
    if not np.issubdtype(y.dtype, np.integer) and y.dtype != bool:
        fractional = np.mod(y, 1) != 0
        if fractional.any():
            row = int(np.argmax(fractional))
            raise ValueError(
                "integer class labels expected for categorical cross-entropy, got fractional "
                f"values (e.g. {y[row]:g} in row {row}); pass labels 0..n_classes-1 or one-hot rows"
            )
    bad = (y < 0) | (y >= n_classes)
    if bad.any():
        found = ", ".join(_label_text(v) for v in np.unique(y[bad])[:10])
        raise ValueError(
            f"labels must be in [0, {n_classes}) for a model with {n_classes} outputs, found "
            f"[{found}] (rows {np.flatnonzero(bad)[:10].tolist()}); "
            "encode labels as 0..n_classes-1 or widen the output layer"
        )
    return y.astype(np.int64)


def _label_text(value) -> str:
    """A label as the user wrote it: 2.0 as "2", but 1e20 as "1e+20" (not a wrapped int64)."""
    if isinstance(value, np.floating) and abs(value) < 2**53:
        return str(int(value))
    return f"{value:g}" if isinstance(value, np.floating) else str(int(value))


def _check_target_rows(T: np.ndarray, empty_rows_allowed: bool = False) -> None:
    """Refuse one-hot / probability rows (n_samples, n_classes) that are not distributions.

    Soft targets are fine; what the loss cannot mean is a negative probability,
    one above 1, or rows that do not sum to 1 (the fused gradient ``p - t``
    assumes they do). The message names the first offending row.
    """
    for outside, what in ((T < 0, "negative"), (T > 1, "above 1")):
        if outside.any():
            row, col = (int(i) for i in np.argwhere(outside)[0])
            raise ValueError(
                f"one-hot / probability targets must lie in [0, 1], but y has {what} entries: row "
                f"{row} holds {T[row, col]:g} in column {col} ({int(outside.sum())} such entries); "
                "pass integer labels of shape (n_samples,) or rows of 0/1 (or class probabilities)"
            )
    sums = T.sum(axis=1, dtype=np.float64)
    off = np.abs(sums - 1.0) > 1e-3  # float32 probabilities sum to 1 only within rounding
    if empty_rows_allowed:
        off &= sums != 0
    if off.any():
        row = int(np.argmax(off))
        raise ValueError(
            f"each row of one-hot / probability targets must sum to 1, but row {row} of y sums to "
            f"{sums[row]:.4g} ({int(off.sum())} such rows); normalise with "
            "y / y.sum(axis=1, keepdims=True) or pass integer labels"
        )
