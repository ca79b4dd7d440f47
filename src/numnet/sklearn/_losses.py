"""The training losses of the estimators, on the output layer's *logits*.

Each loss takes the last Dense layer's output ``Z`` (n_samples, n_outputs),
the targets ``Y`` of the same shape and optional sample weights, and returns
the loss and ``dL/dZ``. The output activation is fused into the gradient, as
numnet's losses do (``Loss.logits_loss``): softmax with cross-entropy,
sigmoid with binary cross-entropy, identity with squared error and exp with
Poisson deviance all give ``dL/dZ = (activation(Z) - Y) * w / sum(w)``,
because each activation is its loss's canonical link.

Two conventions differ from numnet's losses and follow scikit-learn's, so
that ``loss_`` and ``loss_curve_`` read the same numbers:

* the mean over samples is weighted: ``sum(w_i l_i) / sum(w)`` (numnet divides
  by ``n_samples``), so weights of 2 mean the same as repeating a sample;
* binary cross-entropy and Poisson deviance are *summed* over outputs, and
  squared error is *halved* (``0.5 * mean((Y - Z)**2)``).

Every loss is scaled from a numnet loss (or, for Poisson, written here) so
that its gradient is exactly the derivative of the value it reports.
"""
from __future__ import annotations

import numpy as np

from numnet.losses import (BinaryCrossEntropy, CategoricalCrossEntropy, Huber, MeanAbsoluteError,
                           MeanSquaredError)


class OutputLoss:
    """Base class: ``loss(Z, Y, w) -> (value, dL/dZ)`` on logits ``Z``.

    Subclasses set ``out_activation`` (the name scikit-learn gives the
    output activation) and implement :meth:`_numnet` (the numnet loss to
    scale) and :meth:`_scale` (its factor besides the sample weighting).
    """

    out_activation = "identity"

    def __call__(self, Z: np.ndarray, Y: np.ndarray, weights=None) -> tuple[float, np.ndarray]:
        """Return the loss and ``dL/dZ`` (n_samples, n_outputs) for one batch.

        Parameters
        ----------
        Z : ndarray of shape (n_samples, n_outputs)
            The last Dense layer's output, before the output activation.
        Y : ndarray of shape (n_samples, n_outputs)
        weights : ndarray of shape (n_samples,), optional
            Sample weights; the loss is ``sum(w_i l_i) / sum(w)``.
        """
        loss = self._numnet()
        value = loss.forward(Z, Y, weights)
        # numnet divides by n_samples; scikit-learn by the sum of the weights.
        factor = self._scale(Z) * len(Z) / total_weight(weights, len(Z))
        grad = loss.backward()
        grad *= factor
        return value * factor, grad

    def _numnet(self):
        raise NotImplementedError("subclasses return a numnet loss")

    def _scale(self, Z) -> float:
        return 1.0


class LogLoss(OutputLoss):
    """Multiclass log-loss on softmax outputs: ``-sum_k y_k log p_k``."""

    out_activation = "softmax"

    def _numnet(self):
        return CategoricalCrossEntropy(from_logits=True)


class BinaryLogLoss(OutputLoss):
    """Binary and multilabel log-loss on sigmoid outputs, summed over the outputs.

    numnet's ``BinaryCrossEntropy`` averages over the ``k`` outputs, so it is
    scaled by ``k``.
    """

    out_activation = "logistic"

    def _numnet(self):
        return BinaryCrossEntropy(from_logits=True)

    def _scale(self, Z):
        return Z.shape[1]


class SquaredError(OutputLoss):
    """Half the mean squared error: ``0.5 * mean_k (y_k - z_k)**2``.

    Notes
    -----
    scikit-learn reports this value but steps along ``z - y`` without the
    ``1 / k`` of the mean over ``k`` outputs. Here the gradient is the
    derivative of the reported loss, ``(z - y) / k``; with one output (the
    usual case) both are the same.
    """

    def _numnet(self):
        return MeanSquaredError()

    def _scale(self, Z):
        return 0.5


class AbsoluteError(OutputLoss):
    """Mean absolute error ``mean_k |y_k - z_k|`` (numnet extra): robust to outliers."""

    def _numnet(self):
        return MeanAbsoluteError()


class HuberLoss(OutputLoss):
    """Huber loss (numnet extra): half squared error within ``delta``, absolute beyond."""

    def __init__(self, delta: float = 1.0):
        self.delta = delta

    def _numnet(self):
        return Huber(delta=self.delta)


class PoissonLoss(OutputLoss):
    """Half the Poisson deviance with an exp output, summed over outputs.

    Notes
    -----
    With ``mu = exp(z)`` the per-element loss is ``y log(y / mu) - y + mu``;
    ``log(mu)`` is ``z`` itself, so no logarithm of a tiny ``mu`` is taken.
    Its derivative in ``z`` is ``mu - y``.
    """

    out_activation = "exp"

    def __call__(self, Z, Y, weights=None):
        mu = np.exp(Z)
        log_y = np.log(np.where(Y > 0, Y, 1))  # y log y is 0 at y = 0
        elementwise = Y * (log_y - Z) - Y + mu
        per_sample = elementwise.sum(axis=1)
        denominator = total_weight(weights, len(Z))
        grad = mu - Y
        if weights is not None:
            per_sample = per_sample * weights
            grad *= weights.reshape(-1, 1)
        grad /= denominator
        return float(per_sample.sum() / denominator), grad


def total_weight(weights, n_samples: int) -> float:
    """The sum of the sample weights, or ``n_samples`` when there are none."""
    return float(n_samples) if weights is None else float(weights.sum())


def regression_loss(name: str, huber_delta: float = 1.0) -> OutputLoss:
    """The output loss of ``MLPRegressor(loss=name)``."""
    losses = {"squared_error": SquaredError, "poisson": PoissonLoss,
              "absolute_error": AbsoluteError}
    if name == "huber":
        return HuberLoss(huber_delta)
    return losses[name]()


def classification_loss(y_type: str) -> OutputLoss:
    """Softmax log-loss for multiclass targets, sigmoid log-loss for binary and multilabel."""
    return LogLoss() if y_type == "multiclass" else BinaryLogLoss()
