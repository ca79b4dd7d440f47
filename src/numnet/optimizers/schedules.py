"""Learning-rate schedules: functions of the optimizer's step count.

A schedule is a callable ``schedule(step) -> float`` where ``step`` counts
optimizer steps (mini-batches, not epochs) taken so far, starting at 0. Pass
one as ``learning_rate`` to any optimizer; the optimizer calls it once per
step with its ``iterations`` counter. Every schedule round-trips through
``get_config`` / ``from_config`` and is registered in ``SCHEDULES``.

Example
-------
>>> from numnet.optimizers import SGD, StepDecay
>>> opt = SGD(learning_rate=StepDecay(0.1, drop=0.5, step_size=100))
>>> opt.current_learning_rate
0.1
"""
from __future__ import annotations

import inspect
import math

from numnet._validation import check_number
from numnet.registry import SCHEDULES


class Schedule:
    """Base class: a learning rate as a function of the step count.

    Subclasses implement :meth:`__call__` and keep each constructor argument
    as an attribute of the same name; the config is exactly those arguments,
    so ``from_config`` is ``cls(**config)``.
    """

    def __call__(self, step: int) -> float:
        """Return the learning rate for optimizer step ``step`` (0 for the first step)."""
        raise NotImplementedError("subclasses implement __call__")

    def get_config(self) -> dict:
        """Return the constructor's arguments, read from the attributes of the same names."""
        names = _constructor_arguments(type(self))
        missing = [name for name in names if not hasattr(self, name)]
        if missing:
            raise NotImplementedError(
                f"{type(self).__name__} keeps no attribute {missing[0]!r}; store each constructor "
                "argument under its own name (self.x = x) or override get_config")
        return {name: getattr(self, name) for name in names}

    @classmethod
    def from_config(cls, config: dict) -> "Schedule":
        """Build a schedule from the dict written by :meth:`get_config`."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _constructor_arguments(cls) -> list[str]:
    """The names of ``cls.__init__``'s arguments, without ``self``, ``*args`` and ``**kwargs``."""
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return [p.name for p in parameters if p.kind in named]


@SCHEDULES.register("constant")
class Constant(Schedule):
    """The same learning rate at every step.

    Parameters
    ----------
    learning_rate : float
        The rate, > 0.

    Example
    -------
    >>> Constant(0.01)(1000)
    0.01
    """

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = check_number(learning_rate, "learning_rate", low=0, low_open=True)

    def __call__(self, step: int) -> float:
        """The learning rate at optimizer step ``step`` (0 first): always ``learning_rate``."""
        return self.learning_rate


@SCHEDULES.register("inverse_time")
class InverseTimeDecay(Schedule):
    """``learning_rate / (1 + decay_rate * step / decay_steps)``.

    Parameters
    ----------
    learning_rate : float
        The rate at step 0, > 0.
    decay_rate : float
        How fast the rate falls, >= 0; it halves at ``step = decay_steps / decay_rate``.
    decay_steps : float, default=1
        The unit ``step`` is measured in, > 0.

    Example
    -------
    >>> InverseTimeDecay(0.1, decay_rate=1.0, decay_steps=10)(10)
    0.05
    """

    def __init__(self, learning_rate: float, decay_rate: float, decay_steps: float = 1) -> None:
        self.learning_rate = check_number(learning_rate, "learning_rate", low=0, low_open=True)
        self.decay_rate = check_number(decay_rate, "decay_rate", low=0)
        self.decay_steps = check_number(decay_steps, "decay_steps", low=0, low_open=True)

    def __call__(self, step: int) -> float:
        """The learning rate at optimizer step ``step`` (0 first): ``learning_rate / (1 + decay_rate * step / decay_steps)``."""
        return self.learning_rate / (1.0 + self.decay_rate * step / self.decay_steps)


@SCHEDULES.register("exponential")
class ExponentialDecay(Schedule):
    """``learning_rate * decay_rate ** (step / decay_steps)``, a smooth exponential decay.

    Parameters
    ----------
    learning_rate : float
        The rate at step 0, > 0.
    decay_rate : float
        The factor applied every ``decay_steps`` steps, in (0, 1] (1 means no decay).
    decay_steps : float
        The number of steps over which the rate is multiplied by ``decay_rate``, > 0.

    Example
    -------
    >>> ExponentialDecay(0.1, decay_rate=0.5, decay_steps=100)(200)
    0.025
    """

    def __init__(self, learning_rate: float, decay_rate: float, decay_steps: float) -> None:
        self.learning_rate = check_number(learning_rate, "learning_rate", low=0, low_open=True)
        self.decay_rate = check_number(decay_rate, "decay_rate", low=0, high=1, low_open=True)
        self.decay_steps = check_number(decay_steps, "decay_steps", low=0, low_open=True)

    def __call__(self, step: int) -> float:
        """The learning rate at optimizer step ``step`` (0 first): ``learning_rate * decay_rate ** (step / decay_steps)``."""
        return self.learning_rate * self.decay_rate ** (step / self.decay_steps)


@SCHEDULES.register("step")
class StepDecay(Schedule):
    """``learning_rate * drop ** floor(step / step_size)``: piecewise constant.

    Parameters
    ----------
    learning_rate : float
        The rate for the first ``step_size`` steps, > 0.
    drop : float, default=0.5
        The factor applied every ``step_size`` steps, in (0, 1].
    step_size : float, default=10
        The number of steps between drops, > 0.

    Example
    -------
    >>> schedule = StepDecay(0.1, drop=0.5, step_size=10)
    >>> schedule(9), schedule(10), schedule(25)
    (0.1, 0.05, 0.025)
    """

    def __init__(self, learning_rate: float, drop: float = 0.5, step_size: float = 10) -> None:
        self.learning_rate = check_number(learning_rate, "learning_rate", low=0, low_open=True)
        self.drop = check_number(drop, "drop", low=0, high=1, low_open=True)
        self.step_size = check_number(step_size, "step_size", low=0, low_open=True)

    def __call__(self, step: int) -> float:
        """The learning rate at optimizer step ``step`` (0 first): ``learning_rate * drop ** floor(step / step_size)``."""
        return self.learning_rate * self.drop ** math.floor(step / self.step_size)


@SCHEDULES.register("cosine")
class CosineDecay(Schedule):
    """Half a cosine from ``learning_rate`` down to ``alpha * learning_rate``, then flat.

    Parameters
    ----------
    learning_rate : float
        The rate at step 0, > 0.
    decay_steps : float
        The number of steps the decay lasts, > 0.
    alpha : float, default=0.0
        The final rate as a fraction of ``learning_rate``, in [0, 1].

    Notes
    -----
    With ``s = min(step, decay_steps)`` (as in Keras)::

        rate = learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)

    Example
    -------
    >>> schedule = CosineDecay(0.1, decay_steps=100)
    >>> round(schedule(50), 12), schedule(100), schedule(1000)
    (0.05, 0.0, 0.0)
    """

    def __init__(self, learning_rate: float, decay_steps: float, alpha: float = 0.0) -> None:
        self.learning_rate = check_number(learning_rate, "learning_rate", low=0, low_open=True)
        self.decay_steps = check_number(decay_steps, "decay_steps", low=0, low_open=True)
        self.alpha = check_number(alpha, "alpha", low=0, high=1)

    def __call__(self, step: int) -> float:
        """The learning rate at optimizer step ``step`` (0 first): a half cosine from ``learning_rate`` down to ``alpha * learning_rate``."""
        progress = min(step, self.decay_steps) / self.decay_steps
        cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
        return self.learning_rate * ((1.0 - self.alpha) * cosine + self.alpha)
