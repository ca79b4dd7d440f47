"""Class regions of a 2-feature classifier, shaded by how sure the model is."""
from __future__ import annotations

from dataclasses import dataclass

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from numnet.plot._display import (ShortRepr, axes_or_new, class_colors, class_probabilities, labels_of,
                                  require_built)


@dataclass(repr=False)
class BoundaryDisplay(ShortRepr):
    """What :func:`decision_boundary` drew.

    Attributes
    ----------
    ax, figure : matplotlib Axes and Figure
    xx, yy : ndarray of shape (resolution, resolution)
        The grid of feature values that was evaluated.
    probabilities : ndarray of shape (resolution, resolution, n_classes)
    predicted : ndarray of shape (resolution, resolution)
        The winning class at each grid point.
    colors : ndarray of shape (n_classes, 3)
        One RGB colour per class, used for its region and its points.
    image : ndarray of shape (resolution, resolution, 3)
        The shaded regions: each pixel mixes white with its class colour, more
        colour where the model is surer.
    n_classes : int
    accuracy : float
        Accuracy on the plotted ``(X, y)``.
    """

    ax: Any  # matplotlib Axes (matplotlib is imported lazily)
    figure: Any  # matplotlib Figure
    xx: np.ndarray
    yy: np.ndarray
    probabilities: np.ndarray
    predicted: np.ndarray
    colors: np.ndarray
    image: np.ndarray
    n_classes: int
    accuracy: float

    @property
    def region_classes(self) -> list:
        """Classes that own at least one grid point."""
        return np.unique(self.predicted).tolist()


def decision_boundary(model: Any, X: ArrayLike, y: ArrayLike, ax: Any = None,
                      resolution: int = 200, padding: float = 0.1,
                      title: str | None = None) -> BoundaryDisplay:
    """Shade the plane by the class ``model`` predicts, and draw the data on top.

    Parameters
    ----------
    model : Sequential
        A trained classifier with 2 input features (softmax or one sigmoid output).
    X : array-like of shape (n_samples, 2)
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Labels or one-hot rows.
    ax : matplotlib Axes, optional
    resolution : int, default 200
        Grid points per axis.
    padding : float, default 0.1
        Extra margin around the data, as a fraction of its range.
    title : str, optional

    Returns
    -------
    BoundaryDisplay

    Raises
    ------
    ValueError
        If ``X`` does not have exactly 2 features.
    """
    require_built(model, "decision_boundary")
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"decision_boundary draws 2 features, but X has shape {np.shape(X)}; "
                         "pass X of shape (n_samples, 2), e.g. two chosen columns")
    labels = labels_of(y)
    xx, yy = _grid(X, resolution, padding)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    probabilities = class_probabilities(model.predict(grid, batch_size=8192))
    n_classes = max(probabilities.shape[1], int(labels.max()) + 1)
    colors = class_colors(n_classes)
    predicted = probabilities.argmax(axis=1).reshape(xx.shape)
    image = _shade(probabilities, colors).reshape(*xx.shape, 3)
    ax, figure = axes_or_new(ax, figsize=(5.6, 5.0))
    ax.imshow(image, origin="lower", extent=(xx.min(), xx.max(), yy.min(), yy.max()),
              aspect="auto", interpolation="bilinear")
    ax.scatter(X[:, 0], X[:, 1], c=colors[labels], edgecolors="black", linewidths=0.5, s=18)
    accuracy = float(np.mean(class_probabilities(model.predict(X)).argmax(axis=1) == labels))
    ax.set_xlabel("feature 1")
    ax.set_ylabel("feature 2")
    ax.set_title(title or f"decision regions (accuracy {accuracy:.1%} on these points)")
    return BoundaryDisplay(ax, figure, xx, yy, probabilities.reshape(*xx.shape, -1), predicted,
                           colors, image, n_classes, accuracy)


def _grid(X, resolution, padding):
    low, high = X.min(axis=0), X.max(axis=0)
    margin = (high - low) * padding + 1e-9
    axes = [np.linspace(low[i] - margin[i], high[i] + margin[i], resolution) for i in range(2)]
    return np.meshgrid(*axes)


def _shade(probabilities, colors):
    """RGB per point: white mixed with the winning class's colour by the model's confidence.

    Confidence rescales the top probability from ``[1/k, 1]`` to ``[0, 1]``, so a
    50/50 point of a 2-class model is as pale as a 1/3 point of a 3-class one.
    """
    k = probabilities.shape[1]
    top = probabilities.max(axis=1)
    confidence = np.clip((top - 1.0 / k) / (1.0 - 1.0 / k), 0.0, 1.0)
    alpha = (0.15 + 0.55 * confidence)[:, None]
    winner = colors[probabilities.argmax(axis=1)]
    return (1.0 - alpha) + alpha * winner
