"""Warnings and errors that explain why training goes wrong.

Two questions users ask again and again: "why does my cost explode?" and
"why is my network not learning?". The answers here are computed from the
data, so the message quotes the numbers that point at the cause.
"""
from __future__ import annotations

import warnings

import numpy as np

from numnet.exceptions import TrainingDivergedError


class FeatureScaleWarning(UserWarning):
    """Features of wildly different (or very large) scales were passed to ``fit``."""


def warn_about_feature_scales(X: np.ndarray, max_abs: float = 1e3, std_ratio: float = 1e3) -> None:
    """Warn when some column has ``|x| > max_abs`` or stds span more than ``std_ratio``."""
    # No full-size temporaries (np.abs(X), X - mean): on a large X they would double memory.
    # Scales are a property of the columns: every k-th row of a large X (at least 10,000 rows)
    # tells the same story at a fraction of the cost (0.2 s -> 0.02 s on 60,000 x 784).
    if len(X) > 2 * _SAMPLE_ROWS:
        X = X[::len(X) // _SAMPLE_ROWS]
    col_max = np.maximum(np.max(X, axis=0), -np.min(X, axis=0)) if len(X) else np.zeros(X.shape[1])
    # float32 data is centred and squared in float32 (a float64 copy of each block costs more
    # than the arithmetic), ample for thresholds of 1e3, unless a block's 1,024 squares of
    # deviations up to 2 max|x| could overflow it (|x| above about 1.4e17).
    low_precision = X.dtype == np.float32 and float(col_max.max(initial=0.0)) < 1e17
    col_std = _column_std(X, np.float32 if low_precision else np.float64)
    large = np.flatnonzero(col_max > max_abs)
    positive = col_std[col_std > 0]
    spread = positive.max() / positive.min() if positive.size else 1.0
    if large.size == 0 and spread <= std_ratio:
        return
    parts = []
    if large.size:
        cols = ", ".join(f"{i} (max |x| {col_max[i]:.3g})" for i in large[:8])
        parts.append(f"columns {cols} are large")
    if spread > std_ratio:
        parts.append(f"standard deviations range from {positive.min():.3g} (column "
                     f"{int(np.argmin(np.where(col_std > 0, col_std, np.inf)))}) to {positive.max():.3g} "
                     f"(column {int(np.argmax(col_std))})")
    warnings.warn(
        "X has badly scaled features: " + "; ".join(parts) + ". Gradient descent converges slowly "
        "or diverges on such data; standardise each column first, e.g. "
        "X = (X - X.mean(axis=0)) / X.std(axis=0) (keep the training mean and std for new data).",
        FeatureScaleWarning, stacklevel=4)


_SAMPLE_ROWS = 10_000


def _column_std(X: np.ndarray, dtype=np.float64, block: int = 1024) -> np.ndarray:
    """Per-column standard deviation (float64), ``block`` rows at a time, deviations in ``dtype``.

    The mean is summed in float64 (exact for a constant column, whose
    deviation is then exactly 0, as its standard deviation must be: the scale
    check leaves such columns out); the deviations from it are taken and
    squared in ``dtype`` and the squares summed across blocks in float64.
    Reducing a float32 X in float64 in one call would make a float64 copy of
    all of X (twice its size); blocks keep the extra memory to a few MB.
    """
    n = len(X)
    if n == 0:
        return np.zeros(X.shape[1])
    blocks = [X[start:start + block] for start in range(0, n, block)]
    mean = sum(part.sum(axis=0, dtype=np.float64) for part in blocks) / n
    centre = mean.astype(dtype)
    total = np.zeros(X.shape[1])
    for part in blocks:
        centred = np.subtract(part, centre, dtype=dtype)
        total += np.einsum("ij,ij->j", centred, centred)
    return np.sqrt(total / n)


def divergence_error(*, epoch, batch, loss, where, restored_epoch, learning_rate, X, y,
                     clipped: bool, event: str | None = None) -> TrainingDivergedError:
    """Build the error for a loss or gradient that became non-finite, with likely causes.

    ``event`` says what happened when it was not the loss itself (e.g. the
    last optimizer step of an epoch made the weights non-finite).
    """
    restored = ("the initial weights" if restored_epoch is None
                else f"the weights from the end of epoch {restored_epoch + 1}")
    where_text = (f" First non-finite values in {where}." if where else
                  " Every weight, gradient and layer output was still finite: the loss itself "
                  "overflowed (predictions far from the targets).")
    causes = [f"the learning rate ({learning_rate:.3g}) is too high for this data: try 10x smaller"]
    x_max = float(np.max(np.abs(X))) if X.size else 0.0
    if x_max > 10:
        column = int(np.argmax(np.max(np.abs(X), axis=0)))
        causes.append(f"the features are not scaled: the largest |x| is {x_max:.3g} (column {column}); "
                      "standardise X")
    if y is not None and np.issubdtype(np.asarray(y).dtype, np.floating):
        y_max = float(np.max(np.abs(y)))
        if y_max > 10:
            causes.append(f"the targets are not scaled: the largest |y| is {y_max:.3g}; standardise y "
                          "and undo it on the predictions")
    if not clipped:
        causes.append("no gradient clipping: pass clipnorm=1.0 to the optimizer")
    message = (
        f"Training diverged at epoch {epoch + 1}, batch {batch + 1}: "
        f"{event or f'the loss became {loss}'}."
        f"{where_text} Restored {restored}. Likely causes: " + "; ".join(causes) + "."
    )
    return TrainingDivergedError(message, epoch=epoch, batch=batch, layer=where)


class ValidationLossWarning(UserWarning):
    """The validation loss is not finite while training goes on."""


def warn_non_finite_validation(epoch: int, loss: float, X_val: np.ndarray, X: np.ndarray) -> None:
    """Say why the validation loss is NaN or inf: usually X_val is on another scale than X."""
    val_max = float(np.max(np.abs(X_val))) if X_val.size else 0.0
    train_max = float(np.max(np.abs(X))) if X.size else 0.0
    warnings.warn(
        f"the validation loss is {loss} at epoch {epoch + 1} although training is finite: the "
        f"network overflows on the validation data (largest |x| in X_val is {val_max:.3g}, in X "
        f"{train_max:.3g}); scale X_val exactly as X, and check it for extreme values",
        ValidationLossWarning, stacklevel=5)
