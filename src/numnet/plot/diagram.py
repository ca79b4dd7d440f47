"""A neuron-level diagram of a network: inputs, neurons, connections, activations.

One column of circles per Dense layer (plus one for the input features);
activation and other parameter-free layers are written under the column
they act on. Samples are *not* drawn: a batch of 300 rows flows through the
same weights, and the caption says so.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from typing import Any, Sequence

import numpy as np

from numnet.model.summary import ensure_built
from numnet.plot._display import ShortRepr, axes_or_new

POSITIVE, NEGATIVE, NEUTRAL = "#1f77b4", "#d62728", "#9a9a9a"


@dataclass(repr=False)
class Column(ShortRepr):
    """One column of the diagram: the inputs, or the neurons of one layer.

    Attributes
    ----------
    name : str
    width : int
        Number of neurons (or input features).
    weights : ndarray of shape (n_inputs, width) or None
        The weights feeding this column; None for the inputs.
    notes : list of str
        Names of the layers that act on this column without weights ("ReLU").
    """

    name: str
    width: int
    weights: np.ndarray | None = None
    notes: list = field(default_factory=list)


@dataclass(repr=False)
class NetworkDisplay(ShortRepr):
    """What :func:`network` drew.

    Attributes
    ----------
    ax, figure : matplotlib Axes and Figure
    columns : list of Column
    layer_widths : list of int
        True widths: inputs first, then each Dense layer.
    shown_widths : list of int
        Neurons drawn per column (``min(width, max_neurons)``).
    n_circles : int
        Neuron circles drawn, ``sum(shown_widths)``.
    n_connections : int
        Lines drawn between shown neurons.
    colored : bool
        True when connections show the weights' sign and size; False for shapes only.
    caption : str
    """

    ax: Any  # matplotlib Axes (matplotlib is imported lazily)
    figure: Any  # matplotlib Figure
    columns: list
    layer_widths: list
    shown_widths: list
    n_circles: int
    n_connections: int
    colored: bool
    caption: str


def network(model: Any, ax: Any = None, max_neurons: int = 10,
            X_shape: tuple[int, ...] | None = None, n_samples: int | None = None,
            weights: bool | str = "auto", input_names: Sequence[str] | None = None,
            output_names: Sequence[str] | None = None,
            title: str | None = None) -> NetworkDisplay:
    """Draw ``model`` neuron by neuron.

    Parameters
    ----------
    model : Sequential
        Built, or with a first layer that knows its inputs (it is then built).
    ax : matplotlib Axes, optional
    max_neurons : int, default 10
        Larger layers show their first and last neurons around an ellipsis,
        with the true count written above the column.
    X_shape : tuple (n_samples, n_features), optional
        The shape of the data; the caption explains that the samples are a batch.
    n_samples : int, optional
        The same, giving only the number of samples.
    weights : {"auto", True, False}
        Colour connections by the sign of the weight (blue positive, red negative)
        and draw them thicker for larger ``|weight|``. ``"auto"`` does so once the
        model has been trained with ``fit``; before that, connections are uniform
        grey because random initial weights mean nothing yet.
    input_names, output_names : list of str, optional
        Labels for the inputs (default ``x1, x2, ...``) and outputs (``y1, ...``).
    title : str, optional

    Returns
    -------
    NetworkDisplay

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from numnet import Sequential, Dense, ReLU
    >>> shown = network(Sequential([Dense(2, 3), ReLU(), Dense(3, 3)]), n_samples=300)
    >>> shown.n_circles, shown.shown_widths
    (8, [2, 3, 3])
    """
    if not (isinstance(max_neurons, int) and max_neurons >= 2):
        raise ValueError(f"max_neurons must be an int >= 2, got {max_neurons!r}")
    if X_shape is not None and n_samples is None:
        n_samples = int(X_shape[0])
    _build_for(model, X_shape)
    columns = columns_of(model)
    colored = _use_weights(model, weights)
    layout = _Layout(columns, max_neurons)
    ax, figure = axes_or_new(ax, figsize=layout.figsize())
    n_connections = _draw_connections(ax, layout, colored)
    _draw_neurons(ax, layout, input_names, output_names)
    caption = _caption(columns, n_samples, colored)
    _finish(ax, layout, caption, title)
    return NetworkDisplay(ax, figure, columns, [c.width for c in columns], layout.shown_widths,
                          layout.n_circles, n_connections, colored, caption)


def _build_for(model, X_shape):
    if getattr(model, "n_features", None) is None and X_shape is not None:
        model.build(int(X_shape[1]))
    ensure_built(model)


def columns_of(model) -> list:
    """The diagram's columns: inputs, then one per layer with a 2-D ``weights`` parameter."""
    columns = [Column("input", int(model.n_features))]
    for layer in model.layers:
        W = getattr(layer, "params", {}).get("weights")
        if W is not None and np.ndim(W) == 2:
            columns.append(Column(str(layer.name), int(W.shape[1]), np.asarray(W)))
        else:
            columns[-1].notes.append(type(layer).__name__)
    return columns


def _use_weights(model, weights) -> bool:
    if weights == "auto":
        return getattr(model, "history", None) is not None
    if isinstance(weights, (bool, np.bool_)):
        return bool(weights)
    raise ValueError(f"weights must be 'auto', True or False, got {weights!r}")


class _Layout:
    """Positions: column ``c`` at x = 3c, shown neurons 1 apart, centred on y = 0."""

    dx, radius = 3.0, 0.32

    def __init__(self, columns, max_neurons):
        self.columns = columns
        self.shown = [_shown_indices(c.width, max_neurons) for c in columns]
        self.shown_widths = [len(s) for s in self.shown]
        self.n_circles = sum(self.shown_widths)
        self.collapsed = [len(s) < c.width for s, c in zip(self.shown, columns)]
        self.half_height = max(len(s) + (1 if gap else 0) for s, gap in zip(self.shown, self.collapsed)) / 2

    def figsize(self) -> tuple:
        """Inches that keep circles round (aspect 1) with room for the caption."""
        width = self.dx * (len(self.columns) - 1) + 3.2
        height = 2 * self.half_height + 5.2
        scale = 6.0 / max(height, 8.0)
        return (max(5.5, width * scale + 0.4), max(height * scale, 4.0))

    def x(self, c: int) -> float:
        return self.dx * c

    def ys(self, c: int) -> np.ndarray:
        """y of each shown neuron of column ``c``; a collapsed column leaves a slot for the dots."""
        n = self.shown_widths[c]
        slots = np.arange(n, dtype=float)
        if self.collapsed[c]:
            slots[math.ceil(n / 2):] += 1.0
        total = n + (1 if self.collapsed[c] else 0)
        return (total - 1) / 2 - slots

    def gap_y(self, c: int) -> float:
        n = self.shown_widths[c]
        return n / 2 - math.ceil(n / 2)  # the slot after the top half


def _shown_indices(width: int, max_neurons: int) -> np.ndarray:
    if width <= max_neurons:
        return np.arange(width)
    top = math.ceil(max_neurons / 2)
    return np.concatenate([np.arange(top), np.arange(width - (max_neurons - top), width)])


def _draw_connections(ax, layout, colored) -> int:
    from matplotlib.collections import LineCollection

    segments, colors, widths = [], [], []
    for c in range(1, len(layout.columns)):
        W = layout.columns[c].weights[np.ix_(layout.shown[c - 1], layout.shown[c])]
        scale = float(np.max(np.abs(W))) or 1.0
        x0, x1 = layout.x(c - 1), layout.x(c)
        for i, y0 in enumerate(layout.ys(c - 1)):
            for j, y1 in enumerate(layout.ys(c)):
                segments.append([(x0, y0), (x1, y1)])
                w = float(W[i, j])
                colors.append((POSITIVE if w >= 0 else NEGATIVE) if colored else NEUTRAL)
                widths.append(0.3 + 2.7 * abs(w) / scale if colored else 0.8)
    if segments:
        ax.add_collection(LineCollection(segments, colors=colors, linewidths=widths,
                                         alpha=0.65 if colored else 0.5, zorder=1))
    return len(segments)


def _draw_neurons(ax, layout, input_names, output_names):
    from matplotlib.patches import Circle

    last = len(layout.columns) - 1
    for c, column in enumerate(layout.columns):
        x, ys = layout.x(c), layout.ys(c)
        face = "#e8e8e8" if c == 0 else ("#fff2cc" if c == last else "white")
        for y in ys:
            ax.add_patch(Circle((x, y), layout.radius, facecolor=face, edgecolor="black",
                                linewidth=1.0, zorder=3))
        if layout.collapsed[c]:
            gap = layout.gap_y(c)
            ax.plot([x, x, x], [gap - 0.25, gap, gap + 0.25], linestyle="none", marker="o",
                    markersize=2.5, color="black", zorder=3)
            hidden = column.width - layout.shown_widths[c]
            ax.text(x + 0.45, gap, f"… {hidden} more", fontsize=7, va="center", zorder=4,
                    bbox=dict(facecolor="white", edgecolor="none", pad=0.5))
        if c == 0:
            _name_neurons(ax, x - 0.45, ys, layout.shown[c], input_names, "x", "right")
        elif c == last:
            _name_neurons(ax, x + 0.45, ys, layout.shown[c], output_names, "y", "left")


def _name_neurons(ax, x, ys, indices, names, prefix, align):
    for y, i in zip(ys, indices):
        label = names[i] if names is not None else f"{prefix}{i + 1}"
        ax.text(x, y, label, ha=align, va="center", fontsize=8, zorder=4)


def _finish(ax, layout, caption, title):
    top, bottom = layout.half_height + 0.2, -layout.half_height - 0.2
    for c, column in enumerate(layout.columns):
        unit = "features" if c == 0 else "neurons"
        unit = unit[:-1] if column.width == 1 else unit
        ax.text(layout.x(c), top + 0.2, f"{column.name}\n{column.width} {unit}",
                ha="center", va="bottom", fontsize=9, fontweight="bold")
        if column.notes:
            ax.text(layout.x(c), bottom - 0.2, "\n".join(column.notes), ha="center", va="top",
                    fontsize=9, style="italic")
    ax.text(layout.x(len(layout.columns) - 1) / 2, bottom - 1.6, caption, ha="center",
            va="top", fontsize=8, wrap=True)
    ax.set_xlim(-1.6, layout.x(len(layout.columns) - 1) + 1.6)
    ax.set_ylim(bottom - 3.0, top + 1.6)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)


def _caption(columns, n_samples, colored) -> str:
    lines = []
    if n_samples is not None:
        lines.append(f"X has shape ({n_samples}, {columns[0].width}): {n_samples} samples flow "
                     "through these weights as a batch;")
        lines.append(f"they are not input nodes. The output has shape ({n_samples}, {columns[-1].width}).")
    if colored:
        lines.append("Blue: positive weight, red: negative; thicker lines: larger |weight|.")
    else:
        lines.append("Shapes only (not trained yet): every connection is a weight to be learned.")
    return "\n".join(lines)
