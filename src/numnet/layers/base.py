"""The layer contract every numnet layer follows.

A layer turns a batch ``X`` of shape ``(n_samples, n_inputs)`` into ``Y`` of
shape ``(n_samples, n_outputs)`` in :meth:`Layer.forward`, caching what it
needs, and turns ``dL/dY`` back into ``dL/dX`` in :meth:`Layer.backward`,
storing ``dL/dparam`` for each trainable parameter on the way.

Parameters and gradients live in two dicts with the same keys, ``params`` and
``grads``. A :class:`~numnet.Sequential` model moves every parameter into one
flat buffer (and every gradient into another) and puts *views* of those
buffers into the dicts, so an optimizer updates the whole network in a few
NumPy calls. Writing gradients in place (``out=`` or ``[...] =``) is the fast
path; a layer that rebinds ``self.grads[name] = ...`` (as most tutorials do)
still trains: the model notices the new array, copies it into its buffer and
binds its view again (see :class:`~numnet.model.parameters.FlatParameters`).

**Inference keeps no state.** ``forward(X, training=False)`` writes nothing
on the layer, so ``predict`` may run in one thread while ``fit`` runs in
another, and a pickled model holds no data. What ``backward`` needs is kept
only by ``forward(X, training=True)`` (:meth:`Layer._keep`).

A complete layer of your own needs nothing but these four members; it does
not have to subclass :class:`Layer`::

    class Scale:                           # Y = X * s, one trainable scale per feature

        def __init__(self, n_features):
            self.params = {"s": np.ones(n_features)}
            self.grads = {"s": np.zeros(n_features)}

        def forward(self, X, training=False):
            if training:
                self.X = X                 # backward needs the input
            return X * self.params["s"]

        def backward(self, dY):
            self.grads["s"] = (dY * self.X).sum(axis=0)   # dL/ds (rebinding is fine)
            return dY * self.params["s"]                  # dL/dX

``Sequential`` finds a user layer's output width with a probe forward pass
of two rows, or from ``compute_output_shape(input_shape)`` when the layer
has one.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from numnet._validation import cast_within_range, check_float_dtype
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

    def __init__(self, name: str | None = None, dtype: DTypeLike | None = None) -> None:
        self.name = name
        self.dtype = check_float_dtype(dtype, f"{type(self).__name__} dtype")  # int32: refused here, not in fit
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.state: dict[str, np.ndarray] = {}
        self.input_shape: tuple | None = None
        self.built = False
        self._cache: dict = {}

    # -- what backward needs ------------------------------------------------
    def _keep(self, training: bool, **arrays) -> None:
        """Keep ``arrays`` for :meth:`backward`, but only in training.

        Inference (``training=False``) writes nothing on the layer, so a
        ``predict`` in another thread never disturbs a running ``fit``.
        """
        if training:
            self._cache = arrays  # one rebinding: a reader never sees half an update

    def _cached(self, name: str):
        """What the last ``forward(X, training=True)`` kept under ``name``."""
        try:
            return self._cache[name]
        except (AttributeError, KeyError):
            raise ValueError(
                f"{type(self).__name__}.backward needs what forward(X, training=True) keeps, and "
                "no such forward ran before it (forward(X, training=False) is inference and keeps "
                "nothing); call forward(X, training=True), then backward(dY)") from None

    def clear_cache(self) -> None:
        """Drop what ``forward`` kept for ``backward`` (the last training batch)."""
        self._cache = {}

    def __getstate__(self):
        # Pickles and deep copies carry parameters and configuration, never the
        # last batch of data that a training forward kept.
        state = dict(self.__dict__)
        state["_cache"] = {}
        return state

    # -- shapes -------------------------------------------------------------
    def build(self, input_shape: tuple, dtype: DTypeLike | None = None) -> None:
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
        """Shape of one output sample, e.g. ``(n_neurons,)``; None before the layer is built."""
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
        """Return the layer's output for the batch ``X`` of shape (n_samples, n_inputs).

        With ``training=True`` keep what :meth:`backward` needs (``self._keep``);
        with ``training=False`` write nothing on the layer.
        """
        raise NotImplementedError("subclasses implement forward")

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """Given ``dL/dY`` (n_samples, n_outputs), fill ``grads`` and return ``dL/dX``.

        Uses what the last ``forward(X, training=True)`` kept; ``dL/dX`` has
        the shape of that ``X``.
        """
        raise NotImplementedError("subclasses implement backward")

    def __call__(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """``layer(X)`` is ``layer.forward(X, training)``: (n_samples, n_inputs) -> (n_samples, n_outputs)."""
        return self.forward(X, training=training)

    def regularization_loss(self) -> float:
        """The penalty this layer adds to the loss (L1/L2); 0 for most layers."""
        return 0.0

    # -- dtype and config ---------------------------------------------------
    def set_dtype(self, dtype: DTypeLike) -> None:
        """Convert parameters, gradients and state to ``dtype`` (e.g. float64 for gradcheck).

        Raises ``ValueError``, changing nothing, when a parameter or state value
        would overflow ``dtype`` (see :meth:`check_dtype_fits`).
        """
        resolved = check_float_dtype(dtype, "dtype")
        self.check_dtype_fits(resolved)
        self.dtype = resolved
        for store in (self.params, self.grads, self.state):
            for key, value in store.items():
                store[key] = value.astype(self.dtype)

    def check_dtype_fits(self, dtype: DTypeLike | None) -> None:
        """Raise ``ValueError`` if a finite parameter or state value would become inf in ``dtype``.

        (1e5 in float16, 1e300 in float32: a silent inf would make every prediction inf or NaN.)
        """
        if dtype is None:
            return
        dtype = np.dtype(dtype)
        for kind, store in (("params", self.params), ("state", self.state)):
            for key, value in store.items():
                if value.dtype.kind == "f" and dtype.itemsize < value.dtype.itemsize:
                    cast_within_range(value, dtype, f"layer '{self.name}': {kind}['{key}']",
                                      f"keep a wider dtype, or bring these values down before "
                                      f"converting to {dtype.name}")

    @property
    def n_params(self) -> int:
        """Number of trainable scalars."""
        return int(sum(p.size for p in self.params.values()))

    def get_config(self) -> dict:
        """Constructor arguments as plain JSON data; ``from_config`` rebuilds the layer."""
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        """Rebuild a layer from :meth:`get_config`'s dict (weights are set separately)."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"
