"""Losses for regression: per-sample values are the mean over outputs."""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from numnet import functional as F
from numnet.losses.base import Loss, weights_column
from numnet.registry import LOSSES


class _ElementwiseLoss(Loss):
    """Shared plumbing: targets shaped like ``y_pred``, the weights, and what backward needs.

    Subclasses name their pair of :mod:`numnet.functional` functions
    (``loss_function`` and ``grad_function``) and, when they have any, the
    keyword options both take (:meth:`_options`).
    """

    is_classification = False
    loss_function: Any = None
    grad_function: Any = None

    def _options(self) -> dict:
        return {}

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray, sample_weight: np.ndarray | None = None
                ) -> float:
        """The loss averaged over outputs, then over samples (see the class for its formula).

        Parameters
        ----------
        y_pred : ndarray of shape (n_samples, n_outputs)
        y_true : ndarray of shape (n_samples, n_outputs)
        sample_weight : ndarray of shape (n_samples,), optional
            The loss is ``sum(w_i * loss_i) / n_samples``.

        Returns
        -------
        float
            The mean over samples.
        """
        return self.loss_function(*self._keep(y_pred, y_true, sample_weight), **self._options())

    def backward(self) -> np.ndarray:
        """``dL/dy_pred`` for the last :meth:`forward` (see the class for its formula).

        Returns
        -------
        ndarray of shape (n_samples, n_outputs)
            Already divided by ``n_samples`` (and by the number of outputs).
        """
        return self.grad_function(self._P, self._T, self._w, **self._options())

    def _keep(self, y_pred: np.ndarray, y_true: ArrayLike, sample_weight: np.ndarray | None
              ) -> tuple[np.ndarray, np.ndarray, Any]:
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

    loss_function = staticmethod(F.mse)
    grad_function = staticmethod(F.mse_grad)


@LOSSES.register("mae", "mean_absolute_error", "absolute_error")
class MeanAbsoluteError(_ElementwiseLoss):
    """``mean(|y_pred - y_true|)``; gradient ``sign(y_pred - y_true) / (n k)`` (0 at a tie)."""

    loss_function = staticmethod(F.mae)
    grad_function = staticmethod(F.mae_grad)


@LOSSES.register("huber")
class Huber(_ElementwiseLoss):
    """Squared near zero, absolute far out: ``r²/2`` for ``|r| <= delta``, else ``delta (|r| - delta/2)``.

    Parameters
    ----------
    delta : float, default 1.0
        Where the loss turns from quadratic to linear.
    """

    loss_function = staticmethod(F.huber)
    grad_function = staticmethod(F.huber_grad)

    def __init__(self, delta: float = 1.0) -> None:
        if not delta > 0:
            raise ValueError(f"Huber delta must be > 0, got {delta}")
        self.delta = float(delta)

    def _options(self) -> dict:
        return {"delta": self.delta}

    def get_config(self) -> dict:
        """Constructor arguments as plain JSON data; ``from_config`` rebuilds the loss."""
        return {"delta": self.delta}
