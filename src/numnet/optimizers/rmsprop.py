"""RMSprop: divide each step by a running root-mean-square of the gradient."""
from __future__ import annotations

import numpy as np

from numnet import _kernels as kernels
from numnet._validation import check_number
from numnet.optimizers.base import Optimizer
from numnet.optimizers.schedules import Schedule
from numnet.registry import OPTIMIZERS


@OPTIMIZERS.register("rmsprop")
class RMSprop(Optimizer):
    """RMSprop: gradient descent scaled by a running average of squared gradients.

    Parameters
    ----------
    learning_rate : float or Schedule, default=0.001
        The step size, > 0.
    rho : float, default=0.9
        Decay rate of the running mean of ``g**2``, in [0, 1).
    epsilon : float, default=1e-7
        Added to the root mean square so that the division stays finite, > 0.
    momentum : float, default=0.0
        Momentum applied to the scaled steps, in [0, 1]; 0 means none.
    clipnorm, clipvalue : float, optional
        Gradient clipping; see :class:`~numnet.optimizers.Optimizer`.

    Notes
    -----
    With ``s`` the running mean square (starting at 0) and ``v`` the velocity::

        s <- rho * s + (1 - rho) * g**2
        step = lr * g / (sqrt(s) + epsilon)
        no momentum:  p <- p - step
        momentum:     v <- momentum * v - step;   p <- p + v

    epsilon sits outside the square root, as in PyTorch (Keras puts it
    inside). A step is 9 NumPy calls (11 with momentum) and allocates nothing.

    Example
    -------
    >>> import numpy as np
    >>> p = np.array([1.0])
    >>> RMSprop(learning_rate=0.01, rho=0.9).step([p], [np.array([3.0])])
    >>> p.round(6)  # 1 - 0.01 * 3 / sqrt(0.1 * 9)
    array([0.968377])
    """

    def __init__(self, learning_rate: float | Schedule = 0.001, rho: float = 0.9, epsilon: float = 1e-7,
                 momentum: float = 0.0, clipnorm: float | None = None, clipvalue: float | None = None) -> None:
        super().__init__(learning_rate, clipnorm, clipvalue)
        self.rho = check_number(rho, "rho", low=0, high=1, high_open=True)
        self.epsilon = check_number(epsilon, "epsilon", low=0, low_open=True)
        self.momentum = check_number(momentum, "momentum", low=0, high=1)

    @property
    def slot_names(self) -> tuple[str, ...]:  # type: ignore[override]  # a property where the base has a constant
        """The state kept per parameter: ``mean_square`` (and ``velocity`` with momentum)."""
        return ("mean_square", "velocity") if self.momentum > 0 else ("mean_square",)

    def _update(self, param, grad, slots, scratch, lr):
        # numnet.functional.rmsprop_step, done in place (the same operations, allocating nothing).
        kernels.rmsprop_update(param, grad, slots["mean_square"], scratch, lr, self.rho,
                               self.epsilon, slots.get("velocity"), self.momentum)

    def get_config(self) -> dict:
        """Constructor arguments as plain JSON data; ``from_config`` rebuilds the optimizer."""
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon,
                "momentum": self.momentum}
