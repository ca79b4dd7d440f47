"""Losses for regression: per-sample values are the mean over outputs."""
from __future__ import annotations

import numpy as np

from numnet.losses.base import Loss, reduce_mean, weights_column
from numnet.registry import LOSSES


class _ElementwiseLoss(Loss):
    """Shared plumbing: residual ``r = y_pred - y_true`` and the weighting."""

    is_classification = False

    def _residual(self, y_pred, y_true, sample_weight):
        T = np.asarray(y_true, dtype=y_pred.dtype)
        if T.shape != y_pred.shape:
            if T.size != y_pred.size:
                raise ValueError(f"y_true has shape {T.shape}, y_pred has {y_pred.shape}")
            T = T.reshape(y_pred.shape)
        self._w = weights_column(sample_weight, y_pred.shape[0], y_pred.dtype)
        self._R = y_pred - T
        return self._R

    def _scale(self, G):
        if self._w is not None:
            G *= self._w
        G /= G.shape[0] * G.shape[1]
        return G


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
        R = self._residual(y_pred, y_true, sample_weight)
        return reduce_mean(np.mean(R * R, axis=1), self._w)

    def backward(self):
        return self._scale(2.0 * self._R)


@LOSSES.register("mae", "mean_absolute_error", "absolute_error")
class MeanAbsoluteError(_ElementwiseLoss):
    """``mean(|y_pred - y_true|)``; gradient ``sign(y_pred - y_true) / (n k)`` (0 at a tie)."""

    def forward(self, y_pred, y_true, sample_weight=None):
        R = self._residual(y_pred, y_true, sample_weight)
        return reduce_mean(np.mean(np.abs(R), axis=1), self._w)

    def backward(self):
        return self._scale(np.sign(self._R))


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
        R = self._residual(y_pred, y_true, sample_weight)
        A = np.abs(R)
        elementwise = np.where(A <= self.delta, 0.5 * R * R, self.delta * (A - 0.5 * self.delta))
        return reduce_mean(elementwise.mean(axis=1), self._w)

    def backward(self):
        return self._scale(np.clip(self._R, -self.delta, self.delta))

    def get_config(self):
        return {"delta": self.delta}
