"""Weight initialisers: functions of ``(shape, rng, dtype)`` that return an array.

``fan_in`` is ``shape[0]`` (the layer's inputs) and ``fan_out`` is ``shape[1]``
(its neurons), since Dense weights are ``(n_inputs, n_neurons)``.
"""
from __future__ import annotations

import numpy as np

from numnet.registry import INITIALIZERS


class Initializer:
    """Base class; subclasses implement ``__call__(shape, rng, dtype)``."""

    def __call__(self, shape: tuple, rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
        raise NotImplementedError("subclasses implement __call__")

    def get_config(self) -> dict:
        """Constructor arguments as plain JSON data; ``from_config`` rebuilds the initializer."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuild an initializer from :meth:`get_config`'s dict."""
        return cls(**config)


@INITIALIZERS.register("he")
class He(Initializer):
    """Normal with std ``sqrt(2 / fan_in)``: keeps ReLU activations' variance steady."""

    def __call__(self, shape, rng, dtype=np.float32):
        return (rng.standard_normal(shape) * np.sqrt(2.0 / shape[0])).astype(dtype)


@INITIALIZERS.register("glorot")
class Glorot(Initializer):
    """Uniform in ``±sqrt(6 / (fan_in + fan_out))`` (Glorot & Bengio); Keras' default."""

    def __call__(self, shape, rng, dtype=np.float32):
        limit = np.sqrt(6.0 / (shape[0] + shape[-1]))
        return rng.uniform(-limit, limit, size=shape).astype(dtype)


@INITIALIZERS.register("lecun")
class LeCun(Initializer):
    """Normal with std ``sqrt(1 / fan_in)``: suits tanh, sigmoid and SELU."""

    def __call__(self, shape, rng, dtype=np.float32):
        return (rng.standard_normal(shape) * np.sqrt(1.0 / shape[0])).astype(dtype)


@INITIALIZERS.register("normal")
class Normal(Initializer):
    """Normal with a fixed ``scale`` (std), e.g. ``0.01`` as in the from-scratch books."""

    def __init__(self, scale: float = 0.01):
        if not scale > 0:
            raise ValueError(f"Normal initializer scale must be > 0, got {scale}")
        self.scale = float(scale)

    def __call__(self, shape, rng, dtype=np.float32):
        return (rng.standard_normal(shape) * self.scale).astype(dtype)

    def get_config(self):
        """Constructor arguments as plain JSON data: the ``scale``."""
        return {"scale": self.scale}


@INITIALIZERS.register("zeros")
class Zeros(Initializer):
    """All zeros (fine for biases; for weights every neuron then learns the same thing)."""

    def __call__(self, shape, rng, dtype=np.float32):
        return np.zeros(shape, dtype=dtype)


def get_initializer(spec, scale: float | None = None):
    """Return an initializer for a name, an :class:`Initializer` or a plain callable."""
    if isinstance(spec, str) and spec.lower() == "normal" and scale is not None:
        return Normal(scale)
    if isinstance(spec, (str, dict)):
        return INITIALIZERS.get(spec)
    if callable(spec):
        return spec
    raise TypeError(
        f"weight_init must be a name ({', '.join(INITIALIZERS.names())}) or a callable "
        f"(shape, rng, dtype) -> array, got {type(spec).__name__}"
    )
