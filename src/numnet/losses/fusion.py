"""Which output layer fuses with which loss: a small table, read by ``Loss.logits_loss``.

A model whose last layer is a softmax and whose loss is cross-entropy can
skip the softmax's backward and train on the logits with the fused gradient
``(p - t) / n`` (see :func:`numnet.functional.softmax_cross_entropy_grad`);
sigmoid with binary cross-entropy likewise gives ``(p - t) / (n k)``. Fusing
is both faster and more accurate than chaining the two backward passes.

The table maps ``(output layer type, loss type)`` to a function that
returns the fused loss (a loss on the logits) or None. Each loss module
adds its own rows (:func:`register`), so this module imports no loss and
no loss module imports another for the sake of fusing. A lookup walks the
loss's classes from the most specific, then the layer's, so a subclass's
row wins over its parent's, whatever the order of registration.

=================  ===============================  ====================================
output layer       loss                             fused loss on the logits
=================  ===============================  ====================================
Softmax            CategoricalCrossEntropy          the same loss, ``from_logits=True``
MaskedSoftmax      CategoricalCrossEntropy          MaskedCategoricalCrossEntropy
Softmax or         MaskedCategoricalCrossEntropy    the same loss, ``from_logits=True``
MaskedSoftmax
Sigmoid            BinaryCrossEntropy               the same loss, ``from_logits=True``
=================  ===============================  ====================================
"""
from __future__ import annotations

import warnings
from typing import Callable

_TABLE: dict[tuple[type, type], Callable] = {}


def register(layer_type: type, loss_type: type):
    """Decorator: ``make(loss)`` gives the fused loss for ``layer_type`` followed by ``loss_type``."""
    def add(make: Callable) -> Callable:
        _TABLE[(layer_type, loss_type)] = make
        return make
    return add


def fused_loss(loss, output_layer):
    """The loss on the logits of ``output_layer`` fused with ``loss``, or None when none applies."""
    for loss_type in type(loss).__mro__:
        for layer_type in type(output_layer).__mro__:
            make = _TABLE.get((layer_type, loss_type))
            if make is not None:
                return make(loss, output_layer)
    return None


def warn_applied_twice(layer, loss) -> None:
    """Warn that ``layer``'s function is applied again inside a ``from_logits=True`` loss."""
    name, loss_name = type(layer).__name__, type(loss).__name__
    warnings.warn(
        f"the model ends in {name} but {loss_name} has from_logits=True, so {name.lower()} is "
        f"applied twice and training is distorted; use {loss_name}() (numnet then fuses the two) "
        f"or drop the {name} layer", UserWarning, stacklevel=6)
