"""Adam and AdamW: adaptive step sizes from running moments of the gradient."""
from __future__ import annotations

import numpy as np

from numnet import _kernels as kernels
from numnet._validation import check_number
from numnet.functional.optimizers import adam_step_size
from numnet.optimizers.base import Optimizer
from numnet.optimizers.schedules import Schedule
from numnet.registry import OPTIMIZERS


@OPTIMIZERS.register("adam")
class Adam(Optimizer):
    """Adam: gradient descent scaled by running estimates of the gradient's moments.

    Parameters
    ----------
    learning_rate : float or Schedule, default=0.001
        The step size, > 0.
    beta_1 : float, default=0.9
        Decay rate of the first-moment (mean) estimate ``m``, in [0, 1).
    beta_2 : float, default=0.999
        Decay rate of the second-moment (uncentred variance) estimate ``v``, in [0, 1).
    epsilon : float, default=1e-7
        Added to ``sqrt(v)`` so that the division stays finite, > 0.
    amsgrad : bool, default=False
        Divide by the running maximum of ``v`` (AMSGrad) rather than by ``v``.
    clipnorm, clipvalue : float, optional
        Gradient clipping; see :class:`~numnet.optimizers.Optimizer`.

    Notes
    -----
    At step ``t = 1, 2, ...`` with gradient ``g`` (``m`` and ``v`` start at 0)::

        m <- beta_1 * m + (1 - beta_1) * g
        v <- beta_2 * v + (1 - beta_2) * g**2
        lr_t = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        p <- p - lr_t * m / (sqrt(v) + epsilon)

    The bias corrections of ``m`` and ``v`` (which start at 0 and so
    underestimate early on) are folded into the scalar ``lr_t``, as Keras and
    scikit-learn do, rather than applied to whole arrays. This is the
    paper's "efficient version"; it differs from dividing by
    ``sqrt(v_hat) + epsilon`` only in where epsilon sits.

    A step is 12 NumPy calls (13 with AMSGrad) per array, or per block of
    ``block_size`` entries, and allocates nothing.

    Example
    -------
    >>> import numpy as np
    >>> p, g = np.array([1.0, -1.0]), np.array([0.5, -2.0])
    >>> Adam(learning_rate=0.1).step([p], [g])
    >>> p.round(4)  # the first step moves each entry by about lr, against its gradient
    array([ 0.9, -0.9])
    """

    def __init__(self, learning_rate: float | Schedule = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, clipnorm: float | None = None, clipvalue: float | None = None) -> None:
        super().__init__(learning_rate, clipnorm, clipvalue)
        self.beta_1 = check_number(beta_1, "beta_1", low=0, high=1, high_open=True)
        self.beta_2 = check_number(beta_2, "beta_2", low=0, high=1, high_open=True)
        self.epsilon = check_number(epsilon, "epsilon", low=0, low_open=True)
        if not isinstance(amsgrad, (bool, np.bool_)):
            raise TypeError(f"amsgrad must be True or False, got {amsgrad!r}")
        self.amsgrad = bool(amsgrad)

    @property
    def slot_names(self) -> tuple[str, ...]:  # type: ignore[override]  # a property where the base has a constant
        """The state kept per parameter: moments ``m`` and ``v`` (and ``v_hat`` with AMSGrad)."""
        return ("m", "v", "v_hat") if self.amsgrad else ("m", "v")

    def _update(self, param, grad, slots, scratch, lr):
        # numnet.functional.adam_step, done in place (the same operations, allocating nothing).
        lr_t = adam_step_size(lr, self.iterations + 1, self.beta_1, self.beta_2)  # see _step_size
        kernels.adam_update(param, grad, slots["m"], slots["v"], scratch, lr_t,
                            self.beta_1, self.beta_2, self.epsilon, slots.get("v_hat"))

    def _step_size(self, lr: float) -> float:
        """``lr_t = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)`` for the coming step ``t``."""
        return adam_step_size(lr, self.iterations + 1, self.beta_1, self.beta_2)

    def get_config(self) -> dict:
        """Constructor arguments as plain JSON data; ``from_config`` rebuilds the optimizer."""
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


@OPTIMIZERS.register("adamw")
class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter).

    The other parameters (``learning_rate``, ``beta_1``, ``beta_2``, ``epsilon``,
    ``amsgrad``, ``clipnorm``, ``clipvalue``) are as for :class:`Adam`.

    Parameters
    ----------
    weight_decay : float, default=0.004
        Fraction of ``lr * p`` removed from each parameter every step, >= 0.

    Notes
    -----
    Before the Adam step, ``p <- p - lr * weight_decay * p``, with ``lr`` the
    (scheduled) learning rate, not Adam's ``lr_t``. Unlike an L2 term added
    to the gradient, this decay is not rescaled by ``1 / sqrt(v)``, so every
    weight decays at the same rate. One extra NumPy call per step.

    Example
    -------
    >>> import numpy as np
    >>> p = np.array([2.0])
    >>> AdamW(learning_rate=0.1, weight_decay=0.5).step([p], [np.zeros(1)])
    >>> p  # a zero gradient leaves only the decay: 2 * (1 - 0.1 * 0.5)
    array([1.9])
    """

    def __init__(self, learning_rate: float | Schedule = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, weight_decay: float = 0.004,
                 clipnorm: float | None = None, clipvalue: float | None = None) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, clipnorm, clipvalue)
        self.weight_decay = check_number(weight_decay, "weight_decay", low=0)

    def _update(self, param, grad, slots, scratch, lr):
        param *= 1.0 - lr * self.weight_decay
        super()._update(param, grad, slots, scratch, lr)

    def get_config(self) -> dict:
        """Constructor arguments as plain JSON data; ``from_config`` rebuilds the optimizer."""
        return {**super().get_config(), "weight_decay": self.weight_decay}

