"""Histograms of each layer's weights and of its last gradients."""
from __future__ import annotations

from dataclasses import dataclass

from typing import Any

import numpy as np

from numnet.plot._display import ShortRepr, require_built


@dataclass(repr=False)
class WeightsDisplay(ShortRepr):
    """What :func:`weights` drew.

    Attributes
    ----------
    axes : ndarray of Axes, shape (n_layers, 2)
        Per layer with parameters: the weights histogram, then the gradients histogram.
    figure : matplotlib Figure
    layer_names : list of str
    grad_norms : dict of str to float
        L2 norm of each layer's last gradients (0 before any ``backward``).
    """

    axes: np.ndarray
    figure: Any  # matplotlib Figure
    layer_names: list
    grad_norms: dict


def weights(model: Any, ax: Any = None, bins: int = 30) -> WeightsDisplay:
    """Draw, per layer, a histogram of its parameters and one of its last gradients.

    Parameters
    ----------
    model : Sequential
        A built model; gradients come from its last ``backward`` (the last
        training batch of ``fit``).
    ax : array of matplotlib Axes of shape (n_layers, 2), optional
        One row per layer with parameters.
    bins : int, default 30

    Returns
    -------
    WeightsDisplay
    """
    require_built(model, "weights")
    layers = [layer for layer in model.layers if getattr(layer, "params", None)]
    if not layers:
        raise ValueError("this model has no layers with parameters to draw")
    axes, figure = _grid(ax, len(layers))
    norms = {}
    for row, layer in zip(axes, layers):
        values = _flat(layer.params)
        grads = _flat(layer.grads)
        norms[layer.name] = float(np.linalg.norm(grads))
        shapes = ", ".join(f"{k} {tuple(v.shape)}" for k, v in layer.params.items())
        row[0].hist(values, bins=bins, color="#1f77b4")
        row[0].set_title(f"{layer.name}: {shapes}", fontsize=9)
        if norms[layer.name] > 0:
            row[1].hist(grads, bins=bins, color="#ff7f0e", log=True)  # most gradients sit near 0
            row[1].set_title(f"{layer.name} gradients (norm {norms[layer.name]:.2e})", fontsize=9)
        else:
            row[1].text(0.5, 0.5, "no gradients yet\n(train with fit, or call backward)",
                        ha="center", va="center", transform=row[1].transAxes, fontsize=9)
            row[1].set_title(f"{layer.name} gradients", fontsize=9)
    axes[-1][0].set_xlabel("parameter value")
    axes[-1][1].set_xlabel("gradient value")
    return WeightsDisplay(axes, figure, [layer.name for layer in layers], norms)


def _flat(store) -> np.ndarray:
    arrays = [np.asarray(v, dtype=np.float64).ravel() for v in store.values()]
    return np.concatenate(arrays) if arrays else np.zeros(0)


def _grid(ax, n_layers):
    if ax is None:
        import matplotlib.pyplot as plt

        figure, axes = plt.subplots(n_layers, 2, figsize=(9.0, 2.2 * n_layers + 0.6),
                                    layout="constrained", squeeze=False)
        return axes, figure
    axes = np.asarray(ax, dtype=object).reshape(-1, 2)
    if len(axes) != n_layers:
        raise ValueError(f"ax must hold {n_layers} rows of 2 Axes (one row per layer with "
                         f"parameters), got {len(axes)} rows")
    return axes, axes[0, 0].figure
