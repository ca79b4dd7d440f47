"""Speed tricks, each equal to a plain NumPy expression that its docstring names.

On small networks a batch costs a few dozen NumPy calls, so the time goes to
call overhead and to reductions along short axes, not to arithmetic. The
tricks that win that time back live here, and only here, so that layers,
losses and optimizers keep reading as the math. Every kernel has a test that
it equals its plain expression (``tests/test_kernels.py``).
"""
from __future__ import annotations

import functools

import numpy as np


@functools.lru_cache(maxsize=32)
def ones(n: int, dtype: str) -> np.ndarray:
    """``np.ones(n, dtype)``, cached and read-only (the batch size rarely changes).

    Shared by every caller, so it never lives on a layer (inference writes no state).
    """
    vector = np.ones(n, dtype=dtype)
    vector.flags.writeable = False
    return vector


def column_sum(dY: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``dY.sum(axis=0)`` for a 2-D ``dY``, as one BLAS call ``ones @ dY`` (~3x faster).

    Used for bias gradients: the sum over the samples of a batch.
    """
    return np.matmul(ones(dY.shape[0], dY.dtype.str), dY, out=out)
