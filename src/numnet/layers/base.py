"""The layer contract every numnet layer follows.

A layer turns a batch ``X`` of shape ``(n_samples, n_inputs)`` into ``Y`` of
shape ``(n_samples, n_outputs)`` in :meth:`Layer.forward`, caching what it
needs, and turns ``dL/dY`` back into ``dL/dX`` in :meth:`Layer.backward`,
storing ``dL/dparam`` for each trainable parameter on the way.

Parameters and gradients live in two dicts with the same keys, ``params`` and
``grads``. A :class:`~numnet.Sequential` model moves every parameter into one
flat buffer (and every gradient into another) and puts *views* of those
buffers into the dicts, so an optimizer updates the whole network in a few
NumPy calls. That is why the contract says: **write gradients into
``self.grads[name]`` in place** (``out=`` or ``[...] =``), never rebind them.
"""
from __future__ import annotations

import numpy as np

from numnet._validation import check_float_dtype
from numnet.registry import LAYERS, serialize  # noqa: F401  (re-exported for subclasses)


class Layer:
    """Base class: a layer with ``forward``/``backward`` and ``params``/``grads`` dicts.

    Subclasses implement :meth:`forward` and :meth:`backward`, and, when they
    have parameters, :meth:`build`, which creates them once the input width
    is known.

    Attributes
    ----------
    params : dict of str to ndarray
        Trainable parameters.
    grads : dict of str to ndarray
        ``dL/dparam`` from the last :meth:`backward`, same keys and shapes as ``params``.
    state : dict of str to ndarray
        Arrays that are saved with the model but not trained (BatchNorm's running statistics).
    """

    trainable = True

    def __init__(self, name: str | None = None, dtype=None):
        self.name = name
        self.dtype = check_float_dtype(dtype, f"{type(self).__name__} dtype")  # int32: refused here, not in fit
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.state: dict[str, np.ndarray] = {}
        self.input_shape: tuple | None = None
        self.built = False

    # -- shapes -------------------------------------------------------------
    def build(self, input_shape: tuple, dtype=None) -> None:
        """Create parameters for inputs of shape ``(n_samples, *input_shape)``.

        ``input_shape`` excludes the batch dimension, e.g. ``(n_inputs,)``.
        """
        self.input_shape = tuple(input_shape)
        if self.dtype is None:
            self.dtype = np.dtype(dtype if dtype is not None else np.float32)
        self.built = True

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """Shape of one output sample for one input sample of ``input_shape``."""
        return tuple(input_shape)

    @property
    def output_shape(self) -> tuple | None:
        return None if self.input_shape is None else self.compute_output_shape(self.input_shape)

    def _ensure_built(self, X: np.ndarray) -> None:
        if not self.built:
            if np.ndim(X) != 2:
                raise ValueError(
                    f"{type(self).__name__} expects X of shape (n_samples, n_features), got shape "
                    f"{np.shape(X)}; use X.reshape(-1, 1) for one feature or X.reshape(1, -1) for "
                    "one sample")
            self.build(X.shape[1:], X.dtype if np.issubdtype(X.dtype, np.floating) else None)

    # -- computation --------------------------------------------------------
    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """Return the layer's output for the batch ``X``, caching what ``backward`` needs."""
        raise NotImplementedError("subclasses implement forward")

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """Given ``dL/dY``, store ``dL/dparam`` in ``grads`` and return ``dL/dX``."""
        raise NotImplementedError("subclasses implement backward")

    def __call__(self, X, training: bool = False):
        return self.forward(X, training=training)

    def regularization_loss(self) -> float:
        """The penalty this layer adds to the loss (L1/L2); 0 for most layers."""
        return 0.0

    # -- dtype and config ---------------------------------------------------
    def set_dtype(self, dtype) -> None:
        """Convert parameters, gradients and state to ``dtype`` (e.g. float64 for gradcheck)."""
        self.dtype = check_float_dtype(dtype, "dtype")
        for store in (self.params, self.grads, self.state):
            for key, value in store.items():
                store[key] = value.astype(self.dtype)

    @property
    def n_params(self) -> int:
        """Number of trainable scalars."""
        return int(sum(p.size for p in self.params.values()))

    def get_config(self) -> dict:
        """Constructor arguments as plain JSON data; ``from_config`` rebuilds the layer."""
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"
