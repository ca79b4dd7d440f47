"""Results on data: a confusion matrix for classifiers, predicted against actual for regression."""
from __future__ import annotations

from dataclasses import dataclass

from typing import Any, Sequence

import numpy as np
from numpy.typing import ArrayLike

from numnet.plot._display import (ShortRepr, axes_or_new, class_probabilities, labels_of,
                                  require_built)


@dataclass(repr=False)
class ConfusionMatrixDisplay(ShortRepr):
    """What :func:`confusion_matrix` drew.

    Attributes
    ----------
    ax, figure : matplotlib Axes and Figure
    matrix : ndarray of shape (n_classes, n_classes)
        ``matrix[i, j]`` counts samples of true class ``i`` predicted as ``j``.
    accuracy : float
    class_names : list of str
    """

    ax: Any  # matplotlib Axes (matplotlib is imported lazily)
    figure: Any  # matplotlib Figure
    matrix: np.ndarray
    accuracy: float
    class_names: list


@dataclass(repr=False)
class PredictionDisplay(ShortRepr):
    """What :func:`predicted_vs_actual` drew.

    Attributes
    ----------
    ax, figure : matplotlib Axes and Figure
    y_true, y_pred : ndarray of shape (n_samples, n_outputs)
    r2 : float
        Coefficient of determination, averaged over outputs.
    rmse : float
    """

    ax: Any  # matplotlib Axes (matplotlib is imported lazily)
    figure: Any  # matplotlib Figure
    y_true: np.ndarray
    y_pred: np.ndarray
    r2: float
    rmse: float


def confusion_counts(y_true, y_pred, n_classes: int) -> np.ndarray:
    """Count matrix ``(n_classes, n_classes)``: rows are true classes, columns predictions.

    Examples
    --------
    >>> confusion_counts([0, 1, 1, 2], [0, 2, 1, 2], 3).tolist()
    [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    """
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return matrix


def confusion_matrix(model: Any, X: ArrayLike, y: ArrayLike, ax: Any = None,
                     class_names: Sequence[str] | None = None, normalize: bool = False,
                     title: str | None = None) -> ConfusionMatrixDisplay:
    """Draw how often each true class is predicted as each class.

    Parameters
    ----------
    model : Sequential
        A trained classifier.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Labels or one-hot rows.
    ax : matplotlib Axes, optional
    class_names : list of str, optional
    normalize : bool, default False
        Colour by the fraction of each true class (rows sum to 1) instead of counts.
    title : str, optional

    Returns
    -------
    ConfusionMatrixDisplay
    """
    require_built(model, "confusion_matrix")
    labels = labels_of(y)
    predicted = class_probabilities(model.predict(X)).argmax(axis=1)
    n_classes = max(int(model.n_outputs), 2, int(labels.max()) + 1)
    matrix = confusion_counts(labels, predicted, n_classes)
    names = list(class_names) if class_names is not None else [str(i) for i in range(n_classes)]
    accuracy = float(np.trace(matrix) / max(matrix.sum(), 1))
    ax, figure = axes_or_new(ax, figsize=(max(4.5, 1.6 + 0.5 * n_classes), max(4.2, 1.4 + 0.45 * n_classes)))
    shown = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1) if normalize else matrix
    ax.imshow(shown, cmap="Blues")
    _annotate(ax, matrix, shown)
    ax.set_xticks(range(n_classes), names)
    ax.set_yticks(range(n_classes), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title or f"confusion matrix\naccuracy {accuracy:.1%} on {matrix.sum()} samples")
    return ConfusionMatrixDisplay(ax, figure, matrix, accuracy, names)


def _annotate(ax, matrix, shown):
    threshold = shown.max() / 2 if shown.max() > 0 else 1
    size = 9 if len(matrix) <= 10 else 6
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            color = "white" if shown[i, j] > threshold else "black"
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center", color=color, fontsize=size)


def predicted_vs_actual(model: Any, X: ArrayLike, y: ArrayLike, ax: Any = None,
                        title: str | None = None) -> PredictionDisplay:
    """Scatter the model's predictions against the true values of a regression.

    Points on the diagonal are perfect predictions.

    Parameters
    ----------
    model : Sequential
        A trained regression model.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    PredictionDisplay
    """
    require_built(model, "predicted_vs_actual")
    y_pred = np.asarray(model.predict(X), dtype=np.float64)
    y_true = np.asarray(y, dtype=np.float64).reshape(len(y_pred), -1)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y has shape {np.shape(y)}, but the model predicts {y_pred.shape}")
    r2, rmse = _r2(y_true, y_pred), float(np.sqrt(np.mean((y_pred - y_true) ** 2)))
    ax, figure = axes_or_new(ax, figsize=(5.0, 5.0))
    for k in range(y_true.shape[1]):
        label = f"output {k + 1}" if y_true.shape[1] > 1 else None
        ax.scatter(y_true[:, k], y_pred[:, k], s=10, alpha=0.6, label=label)
    low, high = float(min(y_true.min(), y_pred.min())), float(max(y_true.max(), y_pred.max()))
    ax.plot([low, high], [low, high], color="black", linewidth=1, label="perfect prediction")
    ax.set_xlabel("actual")
    ax.set_ylabel("predicted")
    ax.legend(fontsize=8)
    ax.set_title(title or f"predicted vs actual (R² {r2:.3f}, RMSE {rmse:.3g})")
    return PredictionDisplay(ax, figure, y_true, y_pred, r2, rmse)


def _r2(y_true, y_pred) -> float:
    ss_res = np.sum((y_true - y_pred) ** 2, axis=0)
    ss_tot = np.sum((y_true - y_true.mean(axis=0)) ** 2, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(ss_tot > 0, 1.0 - ss_res / ss_tot, np.where(ss_res == 0, 1.0, 0.0))
    return float(np.mean(r2))
