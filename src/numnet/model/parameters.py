"""One flat buffer for every parameter of a model, and one for every gradient.

On small networks the time per batch goes to the *number* of NumPy calls,
not to arithmetic. With all parameters in one contiguous array (and each
layer's ``params[name]`` a reshaped view into it), an optimizer updates the
whole network in a handful of calls instead of a handful per array.

The layer contract must hold for a layer that knows nothing of this: a layer
of the user's own that *rebinds* ``self.grads["W"] = X.T @ dY`` (as every
tutorial does) or replaces ``self.params["W"]`` would otherwise train on a
buffer it no longer writes. :meth:`FlatParameters.adopt_rebound` notices such
a new array after each backward, copies it into the buffer and binds the view
again; numnet's own layers write in place and are not watched.
"""
from __future__ import annotations

import warnings

import numpy as np


class LayerContractWarning(UserWarning):
    """A layer rebinds its ``params``/``grads`` arrays; numnet copies them (it still trains)."""


class FlatParameters:
    """Packs the ``params`` and ``grads`` of ``layers`` into two flat buffers.

    After packing, ``layer.params[name]`` and ``layer.grads[name]`` are views
    into :attr:`values` and :attr:`gradients`; the layers see no difference.

    Attributes
    ----------
    values, gradients : ndarray of shape (n_params,)
    slots : list of (layer, name, slice, shape)
    watched : list of slots whose layer is not one of numnet's own (checked for rebinding)
    """

    def __init__(self, layers, dtype):
        self.dtype = np.dtype(dtype)
        self.slots = []
        offset = 0
        for layer in layers:
            for name, array in layer.params.items():
                array = _as_parameter(layer, name, array)
                self.slots.append((layer, name, slice(offset, offset + array.size), array.shape))
                offset += array.size
        self.values = np.empty(offset, dtype=self.dtype)
        self.gradients = np.zeros(offset, dtype=self.dtype)
        for layer, name, where, shape in self.slots:
            old_param, old_grad = layer.params[name], layer.grads.get(name)
            self.values[where] = np.reshape(old_param, -1)
            if old_grad is not None and np.shape(old_grad) == shape:
                self.gradients[where] = np.reshape(old_grad, -1)
            layer.params[name] = self.values[where].reshape(shape)
            layer.grads[name] = self.gradients[where].reshape(shape)
            _rebind_aliases(layer, old_param, layer.params[name])
            _rebind_aliases(layer, old_grad, layer.grads[name])
        self.watched = [slot for slot in self.slots if not is_numnet_layer(slot[0])]
        self._warned: set = set()

    @property
    def size(self) -> int:
        """The number of scalars in the flat buffer (every parameter of every layer)."""
        return self.values.size

    def intact(self) -> bool:
        """True while every layer still holds our views (nobody rebound an array)."""
        for layer, name, where, shape in self.slots:
            param, grad = layer.params.get(name), layer.grads.get(name)
            if param is None or grad is None or param.base is not self.values \
                    or grad.base is not self.gradients:
                return False
        return True

    def adopt_rebound(self) -> None:
        """Copy arrays that watched layers rebound into the buffers, and bind the views again.

        Called after each backward in ``fit``: a user layer that assigned
        ``self.grads["W"] = ...`` then trains exactly like one that wrote in place.
        """
        for layer, name, where, shape in self.watched:
            for store, buffer, kind in ((layer.params, self.values, "params"),
                                        (layer.grads, self.gradients, "grads")):
                current = store.get(name)
                if current is not None and current.base is buffer:
                    continue
                store[name] = self._adopt(layer, name, where, shape, current, buffer, kind)

    def _adopt(self, layer, name, where, shape, array, buffer, kind):
        if array is None:
            raise ValueError(f"layer '{layer.name}' removed {kind}[{name!r}] during training; "
                             f"keep every key of params in {kind}")
        if np.shape(array) != shape:
            raise ValueError(f"layer '{layer.name}' set {kind}[{name!r}] to shape {np.shape(array)}, "
                             f"but the parameter has shape {shape}")
        buffer[where] = np.reshape(array, -1)
        view = buffer[where].reshape(shape)
        _rebind_aliases(layer, array, view)
        if (layer.name, kind) not in self._warned:
            self._warned.add((layer.name, kind))
            warnings.warn(
                f"layer '{layer.name}' ({type(layer).__name__}) assigns new arrays to "
                f"{kind}[{name!r}]; numnet copies them into the model's parameter buffer after "
                f"each backward, so it trains correctly. Writing in place "
                f"(self.{kind}[{name!r}][...] = ...) saves the copy.",
                LayerContractWarning, stacklevel=2)
        return view

    def first_non_finite(self) -> str | None:
        """``"layer/param"`` of the first parameter or gradient holding NaN or inf."""
        for layer, name, where, shape in self.slots:
            for kind, buffer in (("", self.values), (" gradient", self.gradients)):
                if not np.isfinite(buffer[where]).all():
                    return f"{layer.name}/{name}{kind}"
        return None


def is_numnet_layer(layer) -> bool:
    """numnet's own layers write in place; only other classes need watching."""
    return type(layer).__module__.startswith("numnet.")


def _as_parameter(layer, name, array) -> np.ndarray:
    if not isinstance(array, np.ndarray):
        raise TypeError(f"layer '{layer.name}' params[{name!r}] must be a NumPy array, "
                        f"got {type(array).__name__}")
    return array


def _rebind_aliases(layer, old, new) -> None:
    """Point attributes of ``layer`` that held ``old`` (``self.W``) at ``new`` as well.

    A user layer that keeps ``self.W`` and ``params = {"W": self.W}`` computes
    with ``self.W``; it must see the optimizer's updates to the buffer.
    """
    if old is None or not hasattr(layer, "__dict__"):
        return
    for attr, value in list(vars(layer).items()):
        if value is old:
            setattr(layer, attr, new)
