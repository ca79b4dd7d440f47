"""Stochastic gradient descent, with optional (Nesterov) momentum and L2 weight decay."""
from __future__ import annotations

import numpy as np

from numnet import _kernels as kernels
from numnet._validation import check_number
from numnet.optimizers.base import Optimizer
from numnet.optimizers.schedules import Schedule
from numnet.registry import OPTIMIZERS


@OPTIMIZERS.register("sgd")
class SGD(Optimizer):
    """Gradient descent with optional momentum, Nesterov momentum and L2 weight decay.

    Parameters
    ----------
    learning_rate : float or Schedule, default=0.01
        The step size, > 0.
    momentum : float, default=0.0
        How much of the previous velocity each step keeps, in [0, 1]; 0 is plain SGD.
    nesterov : bool, default=False
        Use Nesterov momentum: step along the velocity *after* this step's update.
        Needs ``momentum > 0``.
    weight_decay : float, default=0.0
        Coupled L2 penalty, >= 0: ``weight_decay * p`` is added to the gradient
        (as in PyTorch's SGD), so it passes through the momentum.
    clipnorm, clipvalue : float, optional
        Gradient clipping; see :class:`~numnet.optimizers.Optimizer`.

    Notes
    -----
    With ``g = grad + weight_decay * p``, this is the velocity form of Keras and
    scikit-learn, where the velocity ``v`` (starting at 0) already includes
    the learning rate::

        plain:     p <- p - lr * g
        momentum:  v <- momentum * v - lr * g;   p <- p + v
        nesterov:  v <- momentum * v - lr * g;   p <- p + momentum * v - lr * g

    A step costs 2 NumPy calls (plain), 4 (momentum) or 6 (Nesterov), plus 2
    with weight decay, and allocates nothing.

    Example
    -------
    >>> import numpy as np
    >>> p, g = np.array([1.0, 2.0]), np.array([0.5, -0.5])
    >>> opt = SGD(learning_rate=0.1, momentum=0.9)
    >>> opt.step([p], [g])
    >>> opt.step([p], [g])
    >>> p  # second step: v = 0.9 * -0.05 - 0.05 = -0.095
    array([0.855, 2.145])
    """

    def __init__(self, learning_rate: float | Schedule = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0, clipnorm: float | None = None, clipvalue: float | None = None) -> None:
        super().__init__(learning_rate, clipnorm, clipvalue)
        self.momentum = check_number(momentum, "momentum", low=0, high=1)
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"nesterov must be True or False, got {nesterov!r}")
        if nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0, got momentum=0.0; "
                             "pass for example momentum=0.9")
        self.nesterov = bool(nesterov)
        self.weight_decay = check_number(weight_decay, "weight_decay", low=0)

    @property
    def slot_names(self) -> tuple[str, ...]:  # type: ignore[override]  # a property where the base has a constant
        """The state kept per parameter: ``velocity`` with momentum, nothing without."""
        # Plain SGD keeps no state, so it also saves no zero-filled velocity.
        return ("velocity",) if self.momentum > 0 else ()

    def _update(self, param, grad, slots, scratch, lr):
        # numnet.functional.sgd_step, done in place (the same operations, allocating nothing).
        kernels.sgd_update(param, grad, scratch, lr, slots.get("velocity"), self.momentum,
                           self.nesterov, self.weight_decay)

    def get_config(self) -> dict:
        """Constructor arguments as plain JSON data; ``from_config`` rebuilds the optimizer."""
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov,
                "weight_decay": self.weight_decay}
