"""Categorical cross-entropy over the allowed classes of a mask."""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from numnet import functional as F
from numnet.layers.activations import Softmax
from numnet.layers.masked_softmax import MaskedSoftmax, check_mask
from numnet.losses import fusion
from numnet.losses.base import weights_column
from numnet.losses.crossentropy import CategoricalCrossEntropy, _check_labels
from numnet.registry import LOSSES

_POLICIES = ("error", "ignore")


@LOSSES.register("masked_categorical_crossentropy", "masked_crossentropy", "masked_cce")
class MaskedCategoricalCrossEntropy(CategoricalCrossEntropy):
    """``-sum_{k allowed} t_k log p_k`` per sample, ``p`` a softmax over the allowed classes only.

    ``forward(y_pred, y_true, sample_weight=None, mask=None)`` returns the mean
    over samples; ``backward()`` is already divided by ``n_samples``.

    Parameters
    ----------
    from_logits : bool, default False
        If True, ``y_pred`` are logits (n_samples, n_classes) and the masked
        softmax is applied inside, in log-space: ``log p_k = z_k - m -
        log(sum_{j allowed} exp(z_j - m))`` over the allowed classes, so ``log``
        never sees 0. If False, ``y_pred`` are masked probabilities (from
        :class:`~numnet.MaskedSoftmax`), raised to at least ``eps`` before the ``log``.
    label_smoothing : float in [0, 1)
        Targets become ``(1 - s) * t + s / n_allowed`` on the allowed classes
        of each sample, and stay 0 on its masked ones.
    masked_target : {"error", "ignore"}, default "error"
        What to do with a sample whose target puts weight on one of its masked
        classes: ``"error"`` raises a ``ValueError`` that lists the rows;
        ``"ignore"`` gives those samples zero loss and zero gradient.

    Notes
    -----
    ``mask`` has shape (n_samples, n_classes), 0/1 or bool, 1 = allowed;
    ``None`` allows every class (then this is plain categorical cross-entropy).
    Targets are integer labels (n_samples,) or rows (n_samples, n_classes).

    A sample with **every class masked** has no prediction to score: it adds
    0 to the summed loss and gets a zero gradient, whatever its target, and
    still counts in the ``n_samples`` of the mean (as a sample weight of 0 would).

    From logits the gradient is ``(p - t) / n``: with ``t`` summing to 1 over
    the allowed classes, ``d/dz_k [-sum_j t_j log p_j] = p_k sum_j t_j - t_k
    = p_k - t_k`` for allowed ``k``; a masked logit appears nowhere in the loss,
    and there ``p_k = t_k = 0``. (The code uses ``p_k sum_j t_j - t_k``, which
    is exact for any target row, including the all-zero rows above.)

    Examples
    --------
    >>> import numpy as np
    >>> loss = MaskedCategoricalCrossEntropy(from_logits=True)
    >>> round(loss.forward(np.array([[2.0, 9.0, 0.0]]), np.array([0]), mask=[[1, 0, 1]]), 4)
    0.1269
    >>> loss.backward().round(4)
    array([[-0.1192,  0.    ,  0.1192]])
    """

    accepts_mask = True
    _empty_rows_allowed = True  # an all-zero target row is fine for a sample it does not score

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 masked_target: str = "error") -> None:
        super().__init__(from_logits=from_logits, label_smoothing=label_smoothing)
        if masked_target not in _POLICIES:
            raise ValueError(f"masked_target must be one of {_POLICIES}, got {masked_target!r}")
        self.masked_target = masked_target

    def __call__(self, y_pred: ArrayLike, y_true: ArrayLike,
                 sample_weight: np.ndarray | None = None, mask: ArrayLike | None = None) -> float:
        """``loss(y_pred, y_true, mask=mask)`` is ``loss.forward(...)``."""
        return self.forward(y_pred, y_true, sample_weight, mask=mask)

    def check_targets(self, y_true: ArrayLike, mask: np.ndarray) -> np.ndarray:
        """Rows whose target weighs a masked class (rows with every class masked excepted).

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
        mask : ndarray of bool, shape (n_samples, n_classes)

        Returns
        -------
        ndarray of bool, shape (n_samples,)
            True for the offending rows (only returned with ``masked_target="ignore"``).

        Raises
        ------
        ValueError
            With ``masked_target="error"`` when any row offends; the message lists them.
        """
        y_true = _as_targets(y_true, mask.shape[1])
        if y_true.ndim == 1:
            bad = ~mask[np.arange(len(y_true)), y_true]
        else:
            bad = ((y_true != 0) & ~mask).any(axis=1)
        bad &= mask.any(axis=1)
        if self.masked_target == "error" and bad.any():
            raise ValueError(_masked_target_message(y_true, mask, bad))
        return bad

    def forward(self, y_pred: ArrayLike, y_true: ArrayLike,
                sample_weight: np.ndarray | None = None, mask: ArrayLike | None = None) -> float:
        """Mean cross-entropy over the allowed classes only; masked classes add exactly 0.

        Parameters
        ----------
        y_pred : ndarray of shape (n_samples, n_classes)
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
        sample_weight : ndarray of shape (n_samples,), optional
            The loss is ``sum(w_i * loss_i) / n_samples``.
            ``y_pred`` holds probabilities, or logits with ``from_logits=True``.
        mask : array-like of bool, shape (n_samples, n_classes), optional
            True where a class is allowed; None allows every class.

        Returns
        -------
        float
            The mean over samples.
        """
        y_pred = np.asarray(y_pred)
        if y_pred.ndim != 2:
            raise ValueError(f"y_pred must be 2-D (n_samples, n_classes), got shape {y_pred.shape}")
        n, k = y_pred.shape
        allowed = np.ones((n, k), dtype=bool) if mask is None else check_mask(mask, n, k)
        self._T = self._target_rows(_as_targets(y_true, k), allowed, y_pred.dtype)
        self._w = weights_column(sample_weight, n, y_pred.dtype)
        if self.from_logits:
            self._P, log_p = F.softmax_and_log(y_pred, allowed)
        else:
            # Clipped from below only, so log never sees 0 (a masked entry, where t = 0 anyway).
            self._P = np.maximum(y_pred, np.finfo(y_pred.dtype).eps)
            log_p = np.log(self._P)
        # T is 0 on every masked entry, so those entries add exactly nothing.
        return F.nll(log_p, self._T, self._w)

    def _target_rows(self, y_true, allowed, dtype):
        """Dense targets (n_samples, n_classes): 0 on masked classes and on rows that score nothing."""
        n, k = allowed.shape
        if y_true.ndim == 1:
            if y_true.size and (y_true.min() < 0 or y_true.max() >= k):
                _check_labels(y_true, k)  # raises, naming the labels (a negative one would wrap)
            T = F.one_hot(y_true, k, dtype)
        else:
            T = np.array(y_true, dtype=dtype)
        scored = allowed.any(axis=1) & ~self.check_targets(y_true, allowed)
        if self.label_smoothing:
            T = F.smooth_labels(T, self.label_smoothing, allowed)
        T[~scored] = 0.0
        return T

    def backward(self) -> np.ndarray:
        """``(p sum(t) - t) / n`` from logits (fused with the masked softmax), else ``-t / p / n``.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            ``dL/dy_pred`` for the last :meth:`forward`, already divided by ``n_samples``.
        """
        if self.from_logits:
            # Fused masked softmax + cross-entropy: p * sum(t) - t, i.e. p - t where t sums to 1.
            return F.softmax_cross_entropy_grad(self._P, self._T, self._w)
        return F.nll_grad(self._P, self._T, self._w)

    def get_config(self) -> dict:
        """Constructor arguments as plain JSON data; ``from_config`` rebuilds the loss."""
        return {**super().get_config(), "masked_target": self.masked_target}


@fusion.register(MaskedSoftmax, CategoricalCrossEntropy)
@fusion.register(MaskedSoftmax, MaskedCategoricalCrossEntropy)
@fusion.register(Softmax, MaskedCategoricalCrossEntropy)
def _fuse_masked(loss, layer):
    """A masked output (or a masked loss) trains on the logits with the masked fused loss."""
    if loss.from_logits:
        fusion.warn_applied_twice(layer, loss)
        return None
    config = loss.get_config() if isinstance(loss, MaskedCategoricalCrossEntropy) else {
        "label_smoothing": loss.label_smoothing}
    return MaskedCategoricalCrossEntropy(**{**config, "from_logits": True})


def _as_targets(y_true, n_classes: int) -> np.ndarray:
    """Targets as an array; float labels checked before the cast (1e20 would wrap to a negative int)."""
    y_true = np.asarray(y_true)
    if y_true.ndim == 1 and not np.issubdtype(y_true.dtype, np.integer):
        y_true = _check_labels(y_true, n_classes)
    return y_true


def _masked_target_message(y_true, mask, bad) -> str:
    rows = np.flatnonzero(bad)
    first = int(rows[0])
    target = (f"label {int(y_true[first])}" if y_true.ndim == 1
              else f"target weight on classes {np.flatnonzero((y_true[first] != 0) & ~mask[first]).tolist()}")
    more = f" (first 10: {rows[:10].tolist()})" if len(rows) > 10 else f" ({rows.tolist()})"
    return (f"{len(rows)} sample(s) have a target on a masked class: rows{more}; row {first} has "
            f"{target}, but its mask allows only classes {np.flatnonzero(mask[first]).tolist()}. "
            "Fix the labels or the mask, or use MaskedCategoricalCrossEntropy(masked_target='ignore') "
            "to give such samples zero loss")
