"""Training curves: loss and metrics per epoch, for training and validation data."""
from __future__ import annotations

from dataclasses import dataclass, field

from typing import Any, Sequence

import numpy as np

from numnet.plot._display import ShortRepr


TRAIN, VALIDATION = "#1f77b4", "#ff7f0e"


@dataclass(repr=False)
class HistoryDisplay(ShortRepr):
    """What :func:`history` drew.

    Attributes
    ----------
    axes : list of matplotlib Axes
        The loss axes first, then the metrics axes when there are metrics.
    figure : matplotlib Figure
    lines : dict of str to Line2D
        One line per logged quantity (``"loss"``, ``"val_loss"``, ``"accuracy"`` ...).
    best_epoch : int or None
        0-based epoch marked as best: the History's (set by EarlyStopping), else
        the lowest validation loss; None (nothing marked) without validation data.
    stopped_epoch : int or None
        0-based epoch where EarlyStopping stopped training, marked when set.
    log_scale : bool
        True when the loss axis is logarithmic (the loss spans two or more decades).
    """

    axes: list
    figure: Any  # matplotlib Figure
    lines: dict = field(default_factory=dict)
    best_epoch: int | None = None
    stopped_epoch: int | None = None
    log_scale: bool = False

    @property
    def ax(self) -> Any:
        """The loss axes (a matplotlib ``Axes``): ``axes[0]``."""
        return self.axes[0]


def history(history: Any, ax: Any = None, metrics: Sequence[str] | None = None,
            log_scale: bool | str = "auto", title: str | None = None) -> HistoryDisplay:
    """Plot the loss (and metrics) of a ``fit`` per epoch.

    Parameters
    ----------
    history : History, dict of str to list of float, or a fitted Sequential
        What ``fit`` returned (``model.history`` works too).
    ax : matplotlib Axes or sequence of two Axes, optional
        One Axes draws the loss only; two draw the loss and the metrics. With
        none, a figure is made with one panel, or two when metrics were logged.
    metrics : list of str, optional
        Metric names to draw (default: every logged key that is not a loss).
    log_scale : {"auto", True, False}
        ``"auto"`` uses a log axis when the finite positive losses span at
        least two orders of magnitude (max / min >= 100).
    title : str, optional

    Returns
    -------
    HistoryDisplay

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> shown = history({"loss": [1e3, 10.0, 0.5], "val_loss": [2e3, 20.0, 1.0]})
    >>> shown.log_scale, shown.best_epoch
    (True, 2)
    """
    logs, best, stopped, interrupted = _read(history)
    if len(logs.get("loss", ())) == 0:
        raise ValueError("the history has no 'loss' values to plot; train with fit(...) first")
    metric_names = _metric_names(logs, metrics)
    axes, figure = _axes(ax, bool(metric_names))
    display = HistoryDisplay(axes, figure, stopped_epoch=stopped)
    display.best_epoch = best if best is not None else _best(logs)
    for key in ("loss", "val_loss"):
        if key in logs:
            display.lines[key] = _curve(axes[0], logs[key], key)
    display.log_scale = _set_scale(axes[0], logs, log_scale)
    axes[0].set_ylabel("loss" + (" (log scale)" if display.log_scale else ""))
    if len(axes) > 1:
        for key in metric_names:
            display.lines[key] = _curve(axes[1], logs[key], key)
        axes[1].set_ylabel(", ".join(sorted({k.removeprefix("val_") for k in metric_names})))
    for axis in axes:
        _mark(axis, display.best_epoch, stopped, interrupted, len(logs["loss"]))
        _integer_epochs(axis)
        axis.set_xlabel("epoch")
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    if title and ax is None and len(axes) > 1:
        figure.suptitle(title)  # a figure of our own: the title spans both panels
    elif title:
        axes[0].set_title(title)
    return display


def _integer_epochs(ax):
    """Epochs are whole numbers: no 2.5 ticks on a 4-epoch run."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _read(history):
    """``(logs, best_epoch, stopped_epoch, interrupted)`` from a History, a dict or a model."""
    if hasattr(history, "layers"):  # a model: use the History of its last fit
        if history.history is None:
            raise ValueError("this model has not been trained yet: call fit(...) first")
        history = history.history
    source = history if isinstance(history, dict) else getattr(history, "history", None)
    if not isinstance(source, dict):
        raise TypeError(f"history must be a History, a dict of lists or a fitted model, "
                        f"got {type(history).__name__}")
    logs = {key: np.asarray(value, dtype=float) for key, value in source.items()}
    return (logs, getattr(history, "best_epoch", None), getattr(history, "stopped_epoch", None),
            bool(getattr(history, "interrupted", False)))


def _metric_names(logs, metrics):
    if metrics is None:
        return [key for key in logs if "loss" not in key]
    missing = [key for key in metrics if key not in logs]
    if missing:
        raise ValueError(f"metrics {missing} were not logged; logged: {sorted(logs)}")
    return list(metrics)


def _axes(ax, with_metrics):
    if ax is None:
        import matplotlib.pyplot as plt

        n = 2 if with_metrics else 1
        figure, axes = plt.subplots(1, n, figsize=(5.2 * n, 4.0), layout="constrained", squeeze=False)
        return list(axes[0]), figure
    if isinstance(ax, (list, tuple, np.ndarray)):
        axes = list(np.ravel(ax))
        return axes, axes[0].figure
    return [ax], ax.figure


def _curve(ax, values, key):
    epochs = np.arange(1, len(values) + 1)
    color = VALIDATION if key.startswith("val_") else TRAIN
    label = ("validation " + key[4:]) if key.startswith("val_") else ("training " + key)
    style = "--" if key.startswith("val_") and "loss" not in key else "-"
    (line,) = ax.plot(epochs, values, style, color=color, label=label, linewidth=1.5)
    return line


def _best(logs):
    """The epoch of the lowest validation loss; None without validation data."""
    if "val_loss" not in logs:
        return None  # the lowest *training* loss says nothing about generalisation
    values = logs["val_loss"]
    finite = np.where(np.isfinite(values), values, np.inf)
    return int(np.argmin(finite)) if np.isfinite(finite).any() else None


def _set_scale(ax, logs, log_scale) -> bool:
    if log_scale == "auto":
        values = np.concatenate([logs[k] for k in ("loss", "val_loss") if k in logs])
        values = values[np.isfinite(values) & (values > 0)]
        log_scale = values.size > 1 and values.max() / values.min() >= 100
    if log_scale:
        ax.set_yscale("log")
    return bool(log_scale)


def _mark(ax, best, stopped, interrupted, n_epochs):
    if best is not None:
        ax.axvline(best + 1, color="green", linestyle=":", linewidth=1.2, label=f"best epoch {best + 1}")
    if stopped is not None:
        ax.axvline(stopped + 1, color="black", linestyle="--", linewidth=1.0,
                   label=f"early stop at epoch {stopped + 1}")
    if interrupted:
        ax.axvline(n_epochs, color="grey", linestyle="-.", linewidth=1.0,
                   label=f"interrupted (Ctrl+C) at epoch {n_epochs}")
