"""The benchmark workloads W1-W4 of issue 7: data, architecture, batch size, epochs.

Every workload is a classification problem with integer labels and float32
features, trained with Adam (learning rate 1e-3) for a fixed number of epochs.
The data is generated (or loaded) the same way in every subprocess, from a
fixed seed, so every system trains on exactly the same arrays.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SEED = 0


@dataclass(frozen=True)
class Workload:
    """One benchmark problem.

    Attributes
    ----------
    key : str
        Short name used on the command line ("W1").
    title : str
        What the table shows ("W1 spiral").
    layers : tuple of int
        Widths from the input to the output, e.g. (2, 64, 64, 3): ReLU between
        hidden layers, softmax + cross-entropy at the end.
    batch_size, epochs : int
        The full benchmark's settings.
    quick_epochs, quick_rows : int
        ``--quick``: fewer epochs and, for the big workloads, fewer rows.
    """

    key: str
    title: str
    layers: tuple
    batch_size: int
    epochs: int
    quick_epochs: int
    quick_rows: int | None = None

    def settings(self, quick: bool) -> tuple[int, int | None]:
        """``(epochs, rows)`` for a full or a quick run (rows None: all of them)."""
        return (self.quick_epochs, self.quick_rows) if quick else (self.epochs, None)

    def data(self, quick: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """``X`` float32 of shape (n_samples, layers[0]) and ``y`` int64 of shape (n_samples,)."""
        X, y = _MAKERS[self.key]()
        rows = self.settings(quick)[1]
        if rows is not None:
            X, y = np.ascontiguousarray(X[:rows]), y[:rows].copy()
        return X, y

    def batch_sizes(self, n_samples: int) -> list[int]:
        """Sizes of one epoch's batches, the last partial batch included."""
        full, rest = divmod(n_samples, self.batch_size)
        return [self.batch_size] * full + ([rest] if rest else [])


def _spiral():
    from numnet import spiral_data

    return spiral_data(1000, 3, random_state=SEED)


def _digits():
    from numnet import load_digits

    # numnet ships sklearn's digits; scale=True divides by 16, so pixels are in [0, 1].
    return load_digits(scale=True)


def _teacher(n_samples, n_features, n_classes=10):
    """Standard-normal float32 features; labels from a random linear teacher."""
    rng = np.random.default_rng(SEED)
    # Generate float32 directly: a float64 draw would leave a 2x transient in the RSS peak.
    X = rng.standard_normal((n_samples, n_features), dtype=np.float32)
    W = rng.standard_normal((n_features, n_classes), dtype=np.float32)
    y = np.argmax(X @ W, axis=1).astype(np.int64)
    return X, y


WORKLOADS = {
    w.key: w for w in (
        Workload("W1", "W1 spiral", (2, 64, 64, 3), 32, 100, quick_epochs=5),
        Workload("W2", "W2 digits", (64, 128, 10), 64, 100, quick_epochs=10),
        Workload("W3", "W3 mnist-like", (784, 256, 128, 10), 128, 3, quick_epochs=1, quick_rows=6000),
        Workload("W4", "W4 wide", (512, 1024, 1024, 10), 256, 2, quick_epochs=1, quick_rows=2000),
    )
}

_MAKERS = {
    "W1": _spiral,
    "W2": _digits,
    "W3": lambda: _teacher(60000, 784),
    "W4": lambda: _teacher(20000, 512),
}
