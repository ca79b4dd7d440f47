"""Streaming metrics: ``update`` batch by batch, then ``result`` for the epoch.

Streaming keeps per-epoch training metrics exact without storing every
prediction: accuracy counts hits, R² accumulates sums of squares.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from numpy.typing import ArrayLike

from numnet.registry import METRICS


class Metric:
    """Base class: ``reset()``, ``update(y_true, y_pred, sample_weight=None)``, ``result()``."""

    name = "metric"
    greater_is_better = True

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget the running totals: the start of an epoch."""
        self._total, self._count = 0.0, 0.0

    def update(self, y_true: np.ndarray, y_pred: np.ndarray,
               sample_weight: ArrayLike | None = None) -> None:
        """Add one batch's predictions to the running totals (each metric defines it)."""
        raise NotImplementedError(f"{type(self).__name__} must define update(y_true, y_pred, sample_weight)")

    def result(self) -> float:
        """The metric over every batch since :meth:`reset` (NaN before any)."""
        return self._total / self._count if self._count else float("nan")

    def __call__(self, y_true: ArrayLike, y_pred: ArrayLike,
                 sample_weight: ArrayLike | None = None) -> float:
        """Compute the metric on one set of predictions."""
        self.reset()
        self.update(np.asarray(y_true), np.asarray(y_pred), sample_weight)
        return self.result()

    def get_config(self) -> dict:
        """Constructor arguments as plain JSON data; ``from_config`` rebuilds the metric."""
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Metric":
        """Rebuild a metric from :meth:`get_config`'s dict."""
        return cls(**config)


def _weights(sample_weight, n):
    return np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64).reshape(-1)


def predicted_labels(y_pred: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Class labels from outputs: argmax over classes, or a 0.5 threshold for one sigmoid output.

    Parameters
    ----------
    y_pred : ndarray of shape (n_samples, n_outputs)
    mask : ndarray of bool, shape (n_samples, n_outputs), optional
        Allowed classes per sample (for a model ending in MaskedSoftmax).

    Returns
    -------
    ndarray of int64, shape (n_samples,)
        -1 for a sample whose mask allows no class: its outputs are all 0, and
        argmax would name class 0, which is masked.
    """
    if y_pred.ndim == 1 or y_pred.shape[1] == 1:
        return (y_pred.reshape(-1) > 0.5).astype(np.int64)
    labels = np.argmax(y_pred, axis=1)
    if mask is not None:
        labels[~mask.any(axis=1)] = -1
    return labels


@METRICS.register("accuracy", "acc")
class Accuracy(Metric):
    """Fraction of samples whose predicted class equals the true class.

    Targets may be integer labels (n_samples,), one-hot rows, a 0/1 column for
    one sigmoid output, or 0/1 indicator rows for multi-label outputs (then a
    sample counts when every label is right, as in scikit-learn).
    """

    name = "accuracy"
    multilabel = None  # None: inferred from the targets; a model's fit sets True/False

    def update(self, y_true: np.ndarray, y_pred: np.ndarray,
               sample_weight: ArrayLike | None = None) -> None:
        """Add the batch's hits: predicted label equal to the target (multi-label: every output right)."""
        n = y_pred.shape[0]
        if sample_weight is None and y_true.ndim == 1 and y_pred.ndim == 2 and y_pred.shape[1] > 1:
            # The common case (integer labels, softmax outputs), in three cheap calls.
            self._total += int(np.count_nonzero(y_pred.argmax(axis=1) == y_true))
            self._count += n
            return
        multilabel = self.multilabel
        if multilabel is None:
            multilabel = y_pred.ndim == 2 and y_pred.shape[1] > 1 and y_true.ndim == 2 and \
                y_true.shape == y_pred.shape and not _is_one_hot_rows(y_true)
        if multilabel:
            hits = np.all((y_pred > 0.5) == (y_true > 0.5), axis=1)
        else:
            true = y_true if y_true.ndim == 1 else (
                np.argmax(y_true, axis=1) if y_true.shape[1] > 1 else y_true.reshape(-1))
            hits = predicted_labels(y_pred) == true
        w = _weights(sample_weight, n)
        self._total += float(np.dot(hits, w))
        self._count += float(w.sum())


def _is_one_hot_rows(T):
    return bool(np.all(np.isclose(T.sum(axis=1), 1.0)))


@METRICS.register("mae", "mean_absolute_error")
class MeanAbsoluteErrorMetric(Metric):
    """Mean of ``|y_pred - y_true|`` over samples and outputs."""

    name = "mae"
    greater_is_better = False

    def update(self, y_true: np.ndarray, y_pred: np.ndarray,
               sample_weight: ArrayLike | None = None) -> None:
        """Add the batch's weighted sum of ``mean(|y_pred - y_true|)`` per sample."""
        R = np.abs(y_pred - np.asarray(y_true).reshape(y_pred.shape))
        w = _weights(sample_weight, y_pred.shape[0])
        self._total += float(np.dot(R.mean(axis=1), w))
        self._count += float(w.sum())


@METRICS.register("mse", "mean_squared_error")
class MeanSquaredErrorMetric(Metric):
    """Mean of ``(y_pred - y_true)²`` over samples and outputs."""

    name = "mse"
    greater_is_better = False

    def update(self, y_true: np.ndarray, y_pred: np.ndarray,
               sample_weight: ArrayLike | None = None) -> None:
        """Add the batch's weighted sum of ``mean((y_pred - y_true)²)`` per sample."""
        R = y_pred - np.asarray(y_true).reshape(y_pred.shape)
        w = _weights(sample_weight, y_pred.shape[0])
        self._total += float(np.dot((R * R).mean(axis=1), w))
        self._count += float(w.sum())


@METRICS.register("rmse", "root_mean_squared_error")
class RootMeanSquaredError(MeanSquaredErrorMetric):
    """Square root of the mean squared error."""

    name = "rmse"

    def result(self) -> float:
        """``sqrt`` of the mean squared error over every batch since :meth:`reset`."""
        return float(np.sqrt(super().result()))


@METRICS.register("r2", "r2_score")
class R2Score(Metric):
    """Coefficient of determination ``1 - SS_res / SS_tot``, averaged over outputs.

    Streams the sums ``Σw``, ``Σw·y``, ``Σw·y²`` and ``Σw·r²`` so it is exact over an epoch.
    """

    name = "r2"

    _sums: Any  # running sums per output, None before the first batch

    def reset(self) -> None:
        """Forget the running sums: the start of an epoch."""
        self._sums = None

    def update(self, y_true: np.ndarray, y_pred: np.ndarray,
               sample_weight: ArrayLike | None = None) -> None:
        """Add the batch's weighted sums of 1, y, y² and squared residuals, per output."""
        T = np.asarray(y_true, dtype=np.float64).reshape(y_pred.shape)
        w = _weights(sample_weight, y_pred.shape[0]).reshape(-1, 1)
        R = y_pred - T
        sums = np.stack([np.broadcast_to(w, T.shape).sum(0), (w * T).sum(0), (w * T * T).sum(0),
                         (w * R * R).sum(0)])
        self._sums = sums if self._sums is None else self._sums + sums

    def result(self) -> float:
        """``1 - SS_res / SS_tot`` from the running sums, averaged over outputs."""
        if self._sums is None:
            return float("nan")
        sw, swy, swy2, ss_res = self._sums
        ss_tot = swy2 - swy * swy / sw
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = np.where(ss_tot > 0, 1.0 - ss_res / ss_tot, np.where(ss_res == 0, 1.0, 0.0))
        return float(np.mean(r2))


def get_metrics(specs) -> list[Metric]:
    """Metric instances from ``compile``'s ``metrics``: None, one spec, or a list or tuple of them."""
    if specs is None:
        return []
    if isinstance(specs, (str, dict, Metric)) or callable(specs):
        specs = [specs]
    if not isinstance(specs, (list, tuple)):
        raise TypeError(f"metrics must be a list of metric names, Metric objects or functions, got "
                        f"{type(specs).__name__} {specs!r}; pass e.g. metrics=['accuracy']")
    return [get_metric(spec) for spec in specs]


def get_metric(spec) -> Metric:
    """A metric instance from a name, a Metric, or a plain function ``f(y_true, y_pred)``."""
    if isinstance(spec, Metric):
        return spec
    if isinstance(spec, (str, dict, type)):
        return METRICS.get(spec)
    if callable(spec):
        return FunctionMetric(spec)
    raise TypeError(f"a metric must be a name, a Metric or a function, got {type(spec).__name__} "
                    f"{spec!r}; pass e.g. 'accuracy'")


class FunctionMetric(Metric):
    """Wraps ``f(y_true, y_pred) -> float``, averaging per-batch values weighted by batch size."""

    def __init__(self, function: Callable[[np.ndarray, np.ndarray], float]) -> None:
        self.function = function
        self.name = getattr(function, "__name__", "metric")
        super().__init__()

    def update(self, y_true: np.ndarray, y_pred: np.ndarray,
               sample_weight: ArrayLike | None = None) -> None:
        """Add ``function(y_true, y_pred)`` times the batch's row count (a mean over rows)."""
        n = y_pred.shape[0]
        self._total += float(self.function(y_true, y_pred)) * n
        self._count += n
