"""Adagrad: per-weight step sizes that shrink with the sum of past squared gradients."""
from __future__ import annotations

import numpy as np

from numnet import _kernels as kernels
from numnet._validation import check_number
from numnet.optimizers.base import Optimizer
from numnet.optimizers.schedules import Schedule
from numnet.registry import OPTIMIZERS


@OPTIMIZERS.register("adagrad")
class Adagrad(Optimizer):
    """Adagrad: divide each step by the root of the summed squared gradients so far.

    Parameters
    ----------
    learning_rate : float or Schedule, default=0.01
        The step size, > 0.
    initial_accumulator_value : float, default=0.1
        Starting value of every accumulator entry, >= 0; it tames the very
        first steps.
    epsilon : float, default=1e-7
        Added to ``sqrt(accumulator)`` so that the division stays finite, > 0.
    clipnorm, clipvalue : float, optional
        Gradient clipping; see :class:`~numnet.optimizers.Optimizer`.

    Notes
    -----
    With the accumulator ``a`` starting at ``initial_accumulator_value``::

        a <- a + g**2
        p <- p - lr * g / (sqrt(a) + epsilon)

    Weights with large past gradients take smaller steps; since ``a`` only
    grows, the steps shrink over training. A step is 7 NumPy calls and
    allocates nothing.

    Example
    -------
    >>> import numpy as np
    >>> p = np.array([1.0])
    >>> Adagrad(learning_rate=0.1, initial_accumulator_value=0.0).step([p], [np.array([2.0])])
    >>> p.round(6)  # 1 - 0.1 * 2 / sqrt(4)
    array([0.9])
    """

    slot_names = ("accumulator",)

    def __init__(self, learning_rate: float | Schedule = 0.01, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, clipnorm: float | None = None, clipvalue: float | None = None) -> None:
        super().__init__(learning_rate, clipnorm, clipvalue)
        self.initial_accumulator_value = check_number(
            initial_accumulator_value, "initial_accumulator_value", low=0)
        self.epsilon = check_number(epsilon, "epsilon", low=0, low_open=True)

    def _initial_slot_value(self, name: str) -> float:
        return self.initial_accumulator_value

    def _update(self, param, grad, slots, scratch, lr):
        # numnet.functional.adagrad_step, done in place (the same operations, allocating nothing).
        kernels.adagrad_update(param, grad, slots["accumulator"], scratch, lr, self.epsilon)

    def get_config(self) -> dict:
        """Constructor arguments as plain JSON data; ``from_config`` rebuilds the optimizer."""
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
