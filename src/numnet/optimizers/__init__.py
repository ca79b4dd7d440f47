"""Optimizers that update parameter arrays in place, and learning-rate schedules.

Every optimizer has ``step(params, grads)``, ``get_state``/``set_state``,
``reset`` and ``get_config``/``from_config``, and is registered by name in
``numnet.registry.OPTIMIZERS`` (``"sgd"``, ``"adam"``, ``"adamw"``,
``"rmsprop"``, ``"adagrad"``); schedules are in ``SCHEDULES``.

Example
-------
>>> import numpy as np
>>> from numnet.optimizers import SGD
>>> params, grads = [np.array([1.0, 2.0])], [np.array([1.0, -1.0])]
>>> SGD(learning_rate=0.5).step(params, grads)
>>> params[0]
array([0.5, 2.5])
"""
from numnet.optimizers.schedules import (Constant, CosineDecay, ExponentialDecay,
                                         InverseTimeDecay, Schedule, StepDecay)
from numnet.optimizers.base import Optimizer, clip_by_global_norm, clip_by_value, global_norm
from numnet.optimizers.adagrad import Adagrad
from numnet.optimizers.adam import Adam, AdamW
from numnet.optimizers.rmsprop import RMSprop
from numnet.optimizers.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Schedule", "Constant",
           "InverseTimeDecay", "ExponentialDecay", "StepDecay", "CosineDecay", "global_norm",
           "clip_by_value", "clip_by_global_norm"]
