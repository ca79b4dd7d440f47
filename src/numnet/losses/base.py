"""The loss contract.

``forward(y_pred, y_true, sample_weight=None)`` returns the **mean over
samples** of the per-sample loss (a float), and ``backward()`` returns
``dL/dy_pred``, which is therefore **already divided by n_samples**. Mixing a
summed loss with a mean gradient (or the reverse) is a classic bug that makes
the learning rate depend on the batch size.

With sample weights ``w``, the loss is ``sum(w_i * loss_i) / n_samples``
(Keras' convention), so weights of 1 give the plain mean.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from numnet._validation import (as_array, as_float_array, check_consistent_length, check_finite,
                                check_real_dtype)
from numnet.functional.losses import weighted_mean as reduce_mean  # noqa: F401  (re-exported)
from numnet.losses import fusion

if TYPE_CHECKING:  # the layers only appear in annotations here
    from numnet.layers.base import Layer

Y_SHAPE = "(n_samples,) or (n_samples, n_outputs)"
TARGET_FIX = "scale the targets (e.g. standardise them) or use dtype=np.float64"
_LABEL_HINT = ("encode string labels as integers 0..n_classes-1 first "
               "(numnet.sklearn.MLPClassifier does this for you)")


class Loss:
    """Base class for losses; see the module docstring for the contract.

    ``is_classification`` is True for losses on class targets, False for
    regression losses and None when unknown (a user's own loss): ``fit`` refuses
    ``class_weight`` only when it is False.
    """

    is_classification: bool | None = None
    # What forward keeps for backward (see _CACHES below); declared for the type checker only.
    _P: Any
    _T: Any
    _w: Any
    _labels: Any

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray, sample_weight: np.ndarray | None = None
                ) -> float:
        """Return the mean over samples of the loss of ``y_pred`` against ``y_true``.

        Parameters
        ----------
        y_pred : ndarray of shape (n_samples, n_outputs)
            The network's output (or its logits, for a ``from_logits`` loss).
        y_true : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Targets, as :meth:`prepare_targets` returns them.
        sample_weight : ndarray of shape (n_samples,), optional
            The loss is ``sum(w_i * loss_i) / n_samples``.

        Keeps what :meth:`backward` needs (the last batch only).
        """
        raise NotImplementedError("subclasses implement forward")

    def backward(self) -> np.ndarray:
        """Return ``dL/dy_pred`` for the last :meth:`forward`, shape (n_samples, n_outputs).

        Already divided by ``n_samples`` (and weighted), since the loss is a mean.
        """
        raise NotImplementedError("subclasses implement backward")

    def __call__(self, y_pred: np.ndarray, y_true: np.ndarray, sample_weight: np.ndarray | None = None
                 ) -> float:
        """``loss(y_pred, y_true)`` is ``loss.forward(y_pred, y_true, sample_weight)``."""
        return self.forward(y_pred, y_true, sample_weight)

    # What forward keeps for backward: the last batch's probabilities, targets,
    # weights and residuals. Freed after fit, never pickled or deep-copied.
    _CACHES = ("_P", "_T", "_w", "_labels", "_R")

    def clear_cache(self) -> None:
        """Drop what the last ``forward`` kept for ``backward``."""
        for name in self._CACHES:
            self.__dict__.pop(name, None)

    def __getstate__(self):
        return {key: value for key, value in self.__dict__.items() if key not in self._CACHES}

    def logits_loss(self, output_layer: Layer) -> "Loss | None":
        """A loss on the *inputs* of ``output_layer`` whose gradient is fused with it.

        A model that ends in ``output_layer`` then skips that layer's backward
        and uses this loss on the logits instead (``(p - t) / n`` for softmax
        with cross-entropy). ``None`` when no fusion applies. The pairs that
        fuse are listed in one table, :mod:`numnet.losses.fusion`.
        """
        return fusion.fused_loss(self, output_layer)

    def prepare_targets(self, y: ArrayLike, n_outputs: int, dtype: DTypeLike) -> np.ndarray:
        """Validate ``y`` once per ``fit`` and return it in the form ``forward`` expects."""
        y = _as_numeric(y, "y")
        if y.ndim == 1:
            y = y.reshape(-1, 1)
        if y.ndim != 2 or y.shape[1] != n_outputs:
            raise ValueError(
                f"y must have shape (n_samples, {n_outputs}) to match the model's {n_outputs} "
                f"outputs, got {np.shape(y)}"
            )
        return as_float_array(y, dtype, "y", fix=TARGET_FIX)

    def get_config(self) -> dict:
        """Constructor arguments as plain JSON data; ``from_config`` rebuilds the loss."""
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Loss":
        """Rebuild a loss from :meth:`get_config`'s dict."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _as_numeric(y, name: str) -> np.ndarray:
    """``y`` as an array of real numbers, all finite; raises in numnet's words otherwise."""
    arr = as_array(y, name, Y_SHAPE if name == "y" else "(n_samples,)")
    check_real_dtype(arr, name, _LABEL_HINT if name == "y" else "pass one number per sample")
    if arr.size == 0:
        raise ValueError(f"{name} is empty; pass one target per sample")
    check_finite(arr, name)  # names the first bad rows and says how to fix it
    return arr


def weights_column(sample_weight, n_samples: int, dtype) -> np.ndarray | None:
    """Return ``sample_weight`` as a (n_samples, 1) column, or None when not given."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=dtype).reshape(-1)
    if w.shape[0] != n_samples:
        raise ValueError(f"sample_weight has {w.shape[0]} entries for {n_samples} samples")
    return w.reshape(-1, 1)


def check_sample_weight(sample_weight, X) -> np.ndarray | None:
    """Validate user sample weights: 1-D, one per sample, finite and non-negative."""
    if sample_weight is None:
        return None
    w = _as_numeric(sample_weight, "sample_weight").astype(np.float64)
    if w.ndim != 1:
        raise ValueError(f"sample_weight must be 1-D of shape (n_samples,), got shape {w.shape}")
    check_consistent_length(X, w, "sample_weight")
    if (w < 0).any():
        row = int(np.argmax(w < 0))
        raise ValueError(f"sample_weight must be >= 0, found {w[row]:g} at row {row}; a weight "
                         "says how much a sample counts (0 = not at all)")
    return w
