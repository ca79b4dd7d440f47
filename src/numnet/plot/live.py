"""``LiveHistory``: curves (and a decision boundary) redrawn in place while ``fit`` runs.

In a notebook the picture is one output that each redraw replaces (an IPython
display handle), rather than a new figure per epoch. Elsewhere it is a
window with an interactive matplotlib backend, or a PNG file rewritten at
each redraw (``path``), which an image viewer or an editor preview reloads.
"""
from __future__ import annotations

import io
import os
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from numnet.model.callbacks import Callback
from numnet.model.progress import in_notebook
from numnet.plot.boundary import decision_boundary
from numnet.plot.curves import history

DEFAULT_PATH = "numnet_live_history.png"


class LiveHistory(Callback):
    """Redraw the loss and metric curves during ``fit``, and the decision boundary for 2-D data.

    Parameters
    ----------
    X, y : array-like of shape (n_samples, 2) and (n_samples,), optional
        Data to draw the decision boundary of (a classifier with 2 features); the
        boundary panel is left out without them.
    every : int, default 1
        Redraw every ``every`` epochs (and always at the end of training).
    path : str or path-like, optional
        Rewrite this PNG file at each redraw. Default: the notebook output in a
        notebook, a window with an interactive backend, else ``numnet_live_history.png``.
    resolution : int, default 80
        Grid points per axis of the boundary (a coarse grid redraws fast).

    Attributes
    ----------
    figure : matplotlib Figure
    n_draws : int
        Redraws so far.
    target : {"notebook", "window", "file"}

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import os, tempfile
    >>> from numnet import Sequential, Dense, ReLU, Softmax, spiral_data
    >>> X, y = spiral_data(30, 3, random_state=0)
    >>> model = Sequential([Dense(2, 16), ReLU(), Dense(16, 3), Softmax()], random_state=0).compile()
    >>> live = LiveHistory(X, y, path=os.path.join(tempfile.mkdtemp(), "live.png"))
    >>> _ = model.fit(X, y, epochs=2, verbose=0, callbacks=[live])
    >>> live.target, live.n_draws, os.path.exists(live.path)
    ('file', 2, True)
    """

    # Set by on_train_begin and the epochs; declared so the type checker knows they vary.
    X: Any
    y: Any
    target: Any
    _last_epoch: Any

    def __init__(self, X: ArrayLike | None = None, y: ArrayLike | None = None, every: int = 1,
                 path: str | os.PathLike[str] | None = None, resolution: int = 80) -> None:
        if (X is None) != (y is None):
            raise ValueError("LiveHistory needs both X and y to draw a decision boundary, or neither; "
                             "pass LiveHistory(X, y) or LiveHistory()")
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"LiveHistory every must be a positive int (redraw every n epochs), got {every!r}")
        self.X, self.y = X, y
        if X is not None and np.shape(X)[1:] != (2,):
            raise ValueError(f"LiveHistory draws the decision boundary of 2 features, but X has shape "
                             f"{np.shape(X)}; pass X of shape (n_samples, 2), or leave X and y out")
        self.every, self.path, self.resolution = every, path, resolution
        self.figure, self.n_draws, self.target = None, 0, None
        self._handle = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Choose where to draw (notebook, window or PNG file) and open the figure."""
        self.target = _target(self.path)
        if self.target == "file" and self.path is None:
            self.path = DEFAULT_PATH
            print(f"LiveHistory: no notebook or window here; drawing to {self.path}")
        self.figure, self._axes = self._make_figure()
        self._last_epoch = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Redraw every ``every`` epochs."""
        self._last_epoch = epoch
        if (len(self.model.history.epoch)) % self.every == 0:
            self.redraw()

    def on_train_end(self, logs: dict | None = None) -> None:
        """Redraw once more if the last epoch fell between two redraws."""
        if self._last_epoch is not None and len(self.model.history.epoch) % self.every:
            self.redraw()  # the last epoch always shows

    def redraw(self) -> None:
        """Draw the history so far (and the boundary) and show it where :attr:`target` says."""
        for ax in self._axes:
            ax.clear()
        curves = self._axes[:2] if self._with_metrics else self._axes[:1]
        history(self.model.history, ax=curves if len(curves) > 1 else curves[0])
        if self.X is not None:
            shown = decision_boundary(self.model, self.X, self.y, ax=self._axes[-1], resolution=self.resolution)
            shown.ax.set_title(  # the default title is too wide for a third panel
                f"after epoch {len(self.model.history.epoch)}: accuracy {shown.accuracy:.0%}")
        self.n_draws += 1
        self._show()

    def _make_figure(self):
        keys = list(self.model.metrics)
        self._with_metrics = bool(keys)
        n = 1 + self._with_metrics + (self.X is not None)
        size = (4.6 * n, 3.8)
        if self.target == "window":
            import matplotlib.pyplot as plt

            figure = plt.figure(figsize=size, layout="constrained")
        else:  # not through pyplot: a notebook would show a pyplot figure again at the cell's end
            from matplotlib.figure import Figure

            figure = Figure(figsize=size, layout="constrained")
        return figure, list(figure.subplots(1, n, squeeze=False)[0])

    def _show(self):
        if self.target == "notebook":
            from IPython.display import Image, display

            image = Image(data=_png(self.figure))
            if self._handle is None:
                self._handle = display(image, display_id=True)
            else:
                self._handle.update(image)
        elif self.target == "window":
            import matplotlib.pyplot as plt

            plt.show(block=False)
            plt.pause(0.001)
        else:
            self.figure.savefig(self.path, dpi=90)

    def __repr__(self):
        return f"LiveHistory(target={self.target!r}, every={self.every}, n_draws={self.n_draws})"


def _target(path) -> str:
    if path is not None:
        return "file"
    if in_notebook():
        return "notebook"
    import matplotlib

    backend = matplotlib.get_backend().lower()
    headless = backend in ("agg", "pdf", "ps", "svg", "cairo", "template") or "inline" in backend
    return "file" if headless else "window"


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    return buffer.getvalue()
