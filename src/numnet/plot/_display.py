"""What every plot function shares: finding an Axes, colours, labels from targets, short reprs."""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

HIDDEN_FIELDS = ("ax", "axes", "figure")  # the figure shows itself; its repr is noise


class ShortRepr:
    """One-line repr for the display dataclasses: numbers and shapes, never array values.

    A notebook prints the repr of a cell's last value under the figure; the
    dataclass default would dump every weight array there.
    """

    figure: Any  # every display has the matplotlib Figure it drew on (a dataclass field)

    def __repr__(self) -> str:
        parts = [f"{f.name}={brief(getattr(self, f.name))}" for f in dataclasses.fields(self)  # type: ignore[arg-type]
                 if f.name not in HIDDEN_FIELDS]
        return f"{type(self).__name__}({', '.join(parts)})"


def brief(value) -> str:
    """A few characters for ``value``: an array's shape, a container's length, a short text.

    Examples
    --------
    >>> brief(np.zeros((200, 200))), brief([1, 2]), brief(list(range(9))), brief(0.123456)
    ('<array (200, 200)>', '[1, 2]', '<list of 9>', '0.1235')
    """
    if isinstance(value, np.ndarray):
        return f"<array {value.shape}>"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    if isinstance(value, (list, tuple, dict)):
        text = repr(value)
        if len(value) > 4 or len(text) > 60 or " at 0x" in text:
            return f"<{type(value).__name__} of {len(value)}>"
        return text
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def axes_or_new(ax, figsize=(6.4, 4.8)):
    """Return ``(ax, figure)``: the given Axes, or one on a new figure."""
    if ax is not None:
        return ax, ax.figure
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax, figure


def class_colors(n_classes: int) -> np.ndarray:
    """``n_classes`` distinct RGB colours of shape (n_classes, 3), from tab10 or tab20."""
    import matplotlib

    name = "tab10" if n_classes <= 10 else "tab20"
    cmap = matplotlib.colormaps[name]
    if n_classes > 20:
        cmap = matplotlib.colormaps["hsv"].resampled(n_classes + 1)
    return np.array([cmap(i)[:3] for i in range(n_classes)])


def labels_of(y) -> np.ndarray:
    """Integer labels (n_samples,) from labels, a 0/1 column or one-hot rows.

    Raises
    ------
    ValueError
        If ``y`` is neither 1-D nor 2-D.
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return np.argmax(y, axis=1)
    if y.ndim == 2:
        y = y.reshape(-1)
    if y.ndim != 1:
        raise ValueError(f"y must be labels of shape (n_samples,) or one-hot rows, got shape {y.shape}")
    if y.dtype.kind not in "iubf":
        raise TypeError(f"y must hold integer class labels 0..n_classes-1, got dtype {y.dtype}; "
                        "encode string labels first (e.g. with np.unique(y, return_inverse=True))")
    if y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0):
        raise ValueError("y must hold whole-number class labels, got fractional values")
    labels = y.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise ValueError(f"class labels must be >= 0, got {int(labels.min())}; labels are 0..n_classes-1")
    return labels


def class_probabilities(outputs: np.ndarray) -> np.ndarray:
    """Turn model outputs into one column per class: a single sigmoid column becomes two."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.ndim == 1 or outputs.shape[1] == 1:
        p = outputs.reshape(-1, 1)
        return np.hstack([1.0 - p, p])
    return outputs


def require_built(model, what: str) -> None:
    """Build ``model`` from its first layer's inputs if needed, or say how to."""
    from numnet.model.summary import ensure_built

    try:
        ensure_built(model)
    except ValueError as exc:
        raise ValueError(f"{what} needs a built model: {exc}") from None
