"""Losses for regression: per-sample values are the mean over outputs."""
from __future__ import annotations

import numpy as np

from numnet import functional as F
from numnet.losses.base import Loss, weights_column
from numnet.registry import LOSSES


class _ElementwiseLoss(Loss):
    """Shared plumbing: targets shaped like ``y_pred``, the weights, and what backward needs.

    Subclasses name their pair of :mod:`numnet.functional` functions.
    """

    is_classification = False

    def _keep(self, y_pred, y_true, sample_weight):
        T = np.asarray(y_true, dtype=y_pred.dtype)
        if T.shape != y_pred.shape:
            if T.size != y_pred.size:
                raise ValueError(f"y_true has shape {T.shape}, y_pred has {y_pred.shape}")
            T = T.reshape(y_pred.shape)
        self._w = weights_column(sample_weight, y_pred.shape[0], y_pred.dtype)
        self._P, self._T = y_pred, T
        return y_pred, T, self._w


@LOSSES.register("mse", "mean_squared_error", "squared_error")
class MeanSquaredError(_ElementwiseLoss):
    """``mean((y_pred - y_true)²)``; gradient ``2 (y_pred - y_true) / (n k)``.

    Examples
    --------
    >>> import numpy as np
    >>> MeanSquaredError().forward(np.array([[1.0], [3.0]]), np.array([0.0, 1.0]))
    2.5
    """

    def forward(self, y_pred, y_true, sample_weight=None):
        return F.mse(*self._keep(y_pred, y_true, sample_weight))

    def backward(self):
        return F.mse_grad(self._P, self._T, self._w)


@LOSSES.register("mae", "mean_absolute_error", "absolute_error")
class MeanAbsoluteError(_ElementwiseLoss):
    """``mean(|y_pred - y_true|)``; gradient ``sign(y_pred - y_true) / (n k)`` (0 at a tie)."""

    def forward(self, y_pred, y_true, sample_weight=None):
        return F.mae(*self._keep(y_pred, y_true, sample_weight))

    def backward(self):
        return F.mae_grad(self._P, self._T, self._w)


@LOSSES.register("huber")
class Huber(_ElementwiseLoss):
    """Squared near zero, absolute far out: ``r²/2`` for ``|r| <= delta``, else ``delta (|r| - delta/2)``.

    Parameters
    ----------
    delta : float, default 1.0
        Where the loss turns from quadratic to linear.
    """

    def __init__(self, delta: float = 1.0):
        if not delta > 0:
            raise ValueError(f"Huber delta must be > 0, got {delta}")
        self.delta = float(delta)

    def forward(self, y_pred, y_true, sample_weight=None):
        return F.huber(*self._keep(y_pred, y_true, sample_weight), delta=self.delta)

    def backward(self):
        return F.huber_grad(self._P, self._T, self._w, delta=self.delta)

    def get_config(self):
        return {"delta": self.delta}
