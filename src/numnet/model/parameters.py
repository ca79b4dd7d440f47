"""One flat buffer for every parameter of a model, and one for every gradient.

On small networks the time per batch goes to the *number* of NumPy calls,
not to arithmetic. With all parameters in one contiguous array (and each
layer's ``params[name]`` a reshaped view into it), an optimizer updates the
whole network in a handful of calls instead of a handful per array.
"""
from __future__ import annotations

import numpy as np


class FlatParameters:
    """Packs the ``params`` and ``grads`` of ``layers`` into two flat buffers.

    After packing, ``layer.params[name]`` and ``layer.grads[name]`` are views
    into :attr:`values` and :attr:`gradients`; the layers see no difference.

    Attributes
    ----------
    values, gradients : ndarray of shape (n_params,)
    slots : list of (layer, name, slice, shape)
    """

    def __init__(self, layers, dtype):
        self.dtype = np.dtype(dtype)
        self.slots = []
        offset = 0
        for layer in layers:
            for name, array in layer.params.items():
                self.slots.append((layer, name, slice(offset, offset + array.size), array.shape))
                offset += array.size
        self.values = np.empty(offset, dtype=self.dtype)
        self.gradients = np.zeros(offset, dtype=self.dtype)
        for layer, name, where, shape in self.slots:
            self.values[where] = layer.params[name].reshape(-1)
            layer.params[name] = self.values[where].reshape(shape)
            layer.grads[name] = self.gradients[where].reshape(shape)

    @property
    def size(self) -> int:
        return self.values.size

    def intact(self) -> bool:
        """True while every layer still holds our views (nobody rebound an array)."""
        for layer, name, where, shape in self.slots:
            param, grad = layer.params.get(name), layer.grads.get(name)
            if param is None or grad is None or param.base is not self.values \
                    or grad.base is not self.gradients:
                return False
        return True

    def first_non_finite(self) -> str | None:
        """``"layer/param"`` of the first parameter or gradient holding NaN or inf."""
        for layer, name, where, shape in self.slots:
            for kind, buffer in (("", self.values), (" gradient", self.gradients)):
                if not np.isfinite(buffer[where]).all():
                    return f"{layer.name}/{name}{kind}"
        return None
