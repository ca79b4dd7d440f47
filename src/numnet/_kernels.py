"""Speed tricks, each equal to a plain NumPy expression that its docstring names.

On small networks a batch costs a few dozen NumPy calls, so the time goes to
call overhead and to reductions along short axes, not to arithmetic. The
tricks that win that time back live here, and only here, so that layers,
losses, optimizers and :mod:`numnet.functional` keep reading as the math.
Every kernel has a test that it equals its plain expression
(``tests/test_kernels.py``).

Three kinds of trick:

- **reductions** along a short axis done as one BLAS call or one gather
  (:func:`row_max`, :func:`row_sum`, :func:`column_sum`), with the index and
  ones vectors they need cached (:func:`row_indices`, :func:`ones`);
- **no subnormal floats** (:func:`exp_floor`, :func:`floored_exp`,
  :func:`flush_tiny`): on x86 CPUs arithmetic on floats below ``tiny`` is
  10-100x slower, and confident networks and decaying optimizer state drift there;
- **in-place optimizer updates** (:func:`adam_update` and friends) that write
  every temporary into one reused ``scratch`` array with ``out=``, so a step
  allocates nothing; each equals a pure step in :mod:`numnet.functional.optimizers`.
"""
from __future__ import annotations

import cmath
import functools

import numpy as np


# -- cached vectors ------------------------------------------------------------
@functools.lru_cache(maxsize=32)
def ones(n: int, dtype: str) -> np.ndarray:
    """``np.ones(n, dtype)``, cached and read-only (the batch size rarely changes).

    Shared by every caller, so it never lives on a layer (inference writes no state).
    """
    vector = np.ones(n, dtype=dtype)
    vector.flags.writeable = False
    return vector


@functools.lru_cache(maxsize=32)
def zeros(n: int, dtype: str) -> np.ndarray:
    """``np.zeros(n, dtype)``, cached and read-only: a row of zeros to broadcast (see :func:`relu_into`)."""
    vector = np.zeros(n, dtype=dtype)
    vector.flags.writeable = False
    return vector


@functools.lru_cache(maxsize=16)
def row_indices(n: int) -> np.ndarray:
    """``np.arange(n)``, cached and read-only: the same batch size comes back every batch."""
    indices = np.arange(n)
    indices.flags.writeable = False
    return indices


@functools.lru_cache(maxsize=256)
def operand(value: float, dtype) -> np.ndarray:
    """``np.array(value, dtype)``: a cached, read-only 0-d array to use as a ufunc operand.

    ``np.multiply(a, operand(0.9, a.dtype), out=a)`` equals ``np.multiply(a, 0.9, out=a)``
    bit for bit (NumPy converts the Python float to ``a.dtype`` either way) but is
    about 0.4 µs faster a call: NumPy need not inspect and convert a Python
    scalar every time. On a small network a step makes dozens of such calls.
    """
    array = np.array(value, dtype=dtype)
    array.flags.writeable = False
    return array


# -- reductions along a short axis ----------------------------------------------
def column_sum(dY: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``dY.sum(axis=0)`` for a 2-D ``dY``, as one BLAS call ``ones @ dY`` (~3x faster).

    Used for bias gradients: the sum over the samples of a batch.
    """
    return np.matmul(ones(dY.shape[0], dY.dtype.str), dY, out=out)


def row_max(X: np.ndarray) -> np.ndarray:
    """``X.max(axis=1, keepdims=True)`` for a 2-D ``X``: shape (n_samples, 1).

    NumPy reduces along a short contiguous axis slowly (about 10 µs for 64 x 10);
    ``argmax`` plus one gather is 3x faster, and softmax runs it every batch.
    Many rows of few columns (a 10,000-row predict of 10 classes) go faster still
    as a running ``np.maximum`` over the columns: one call a column, each over
    every row (110 µs against 400 µs for 10,000 x 10). Either way every entry
    is the row's maximum exactly (a NaN row gives NaN).
    The result is a new array (the caller may write into it).
    """
    n_rows, n_columns = X.shape
    if n_columns < 2 or n_columns > 16 or n_rows < 64 * n_columns:
        return X[row_indices(n_rows), X.argmax(axis=1)][:, None]
    top = np.maximum(X[:, 0], X[:, 1])
    for j in range(2, n_columns):
        np.maximum(top, X[:, j], out=top)
    return top[:, None]


def row_sum(X: np.ndarray) -> np.ndarray:
    """``X.sum(axis=1, keepdims=True)`` for a 2-D ``X``, as one BLAS matrix-vector product.

    Faster than ``X.sum(axis=1)`` for the few columns of a classifier's output.
    BLAS adds in its own order, so the result may differ from NumPy's sum in
    the last bit. The result is a new array (the caller may write into it).
    """
    return (X @ ones(X.shape[1], X.dtype.str))[:, None]


def max_along(X: np.ndarray, axis: int = -1) -> np.ndarray:
    """``np.max(X, axis=axis, keepdims=True)``; :func:`row_max` for the rows of a 2-D array."""
    if X.ndim == 2 and axis in (-1, 1):
        return row_max(X)
    return np.max(X, axis=axis, keepdims=True)


def sum_along(X: np.ndarray, axis: int = -1) -> np.ndarray:
    """``np.sum(X, axis=axis, keepdims=True)``; :func:`row_sum` for the rows of a 2-D array."""
    if X.ndim == 2 and axis in (-1, 1):
        return row_sum(X)
    return np.sum(X, axis=axis, keepdims=True)


# -- no subnormal floats -----------------------------------------------------------
@functools.lru_cache(maxsize=8)
def exp_floor(dtype) -> float:
    """The smallest exponent whose ``exp`` stays well clear of subnormal floats.

    ``0.7 * log(np.finfo(dtype).tiny)``: about -61 in float32 (``exp(-61)`` is
    3e-27) and -496 in float64. A probability that small changes no gradient
    by a representable amount, but a subnormal one (below 1.2e-38 in float32,
    reached by confident networks) slows every operation that touches it.
    Cached per dtype: computing it costs about 1 µs, and losses ask every batch.
    """
    return 0.7 * float(np.log(np.finfo(dtype).tiny))


def floored_exp(X: np.ndarray) -> np.ndarray:
    """``np.exp(np.maximum(X, exp_floor(X.dtype)))``: ``exp`` that never returns a subnormal.

    Equals ``np.exp(X)`` wherever ``exp(X) >= exp(exp_floor)`` (3e-27 in float32).
    """
    E = np.maximum(X, exp_floor(X.dtype))
    return np.exp(E, out=E)  # in place: one array instead of two


def flush_tiny(arrays, scratch: np.ndarray | None = None, mask: np.ndarray | None = None) -> None:
    """``a[np.abs(a) < np.finfo(a.dtype).tiny * 2**24] = 0`` for each array, in place.

    Below ``tiny * 2**24`` (about 2e-31 in float32) an optimizer state or
    parameter entry changes no output or update by a representable amount,
    and it is still more than a few steps away from the subnormal range.
    ``scratch`` (float) and ``mask`` (bool), of the arrays' shape, take
    ``|a|`` and the comparison instead of two new arrays per array (an
    optimizer flushes every few steps, and on a large model each new array is
    megabytes of fresh pages).

    Arrays narrower than float32 are left alone: NumPy computes float16 in
    float32, where float16's subnormals are normal numbers (nothing is slow),
    and float16's ``tiny * 2**24`` is 1024, which would wipe out real values.
    """
    for array in arrays:
        if array.dtype.itemsize < 4:
            continue
        magnitude = np.abs(array, out=scratch)
        below = np.less(magnitude, _tiny_threshold(array.dtype), out=mask)
        np.copyto(array, operand(0, array.dtype), where=below)


@functools.lru_cache(maxsize=8)
def _tiny_threshold(dtype) -> np.ndarray:
    # In the dtype itself: long double's tiny (3e-4932) is 0 as a Python float.
    return operand(np.finfo(dtype).tiny * 2.0 ** 24, dtype)


# -- in-place optimizer updates ----------------------------------------------------
# Each writes its temporaries into ``scratch`` (param's shape, contents junk) and
# updates param and state in place; each equals a step of numnet.functional.optimizers
# bit for bit (the same operations in the same order).

def moving_average(average: np.ndarray, value: np.ndarray, beta: float,
                   scratch: np.ndarray) -> None:
    """``average[...] = beta * average + (1 - beta) * value``, allocating nothing.

    ``value`` may be ``scratch`` itself (Adam passes ``g**2`` that way).
    """
    _moving_average(average, value, *_decay_operands(beta, average.dtype), scratch)


@functools.lru_cache(maxsize=64)
def _decay_operands(beta: float, dtype) -> tuple[np.ndarray, np.ndarray]:
    # 1 - beta is computed in Python floats, as NumPy would with a Python scalar operand.
    return operand(beta, dtype), operand(1.0 - beta, dtype)


def _moving_average(average, value, beta, one_minus_beta, scratch) -> None:
    average *= beta
    np.multiply(value, one_minus_beta, out=scratch)
    average += scratch


def adam_update(param, grad, m, v, scratch, lr_t: float, beta_1: float, beta_2: float,
                epsilon: float, v_hat=None) -> None:
    """:func:`numnet.functional.adam_step` in place: 12 NumPy calls (13 with ``v_hat``).

    ``m``, ``v`` (and ``v_hat`` for AMSGrad) are updated in place, then
    ``param -= lr_t * (m / (sqrt(v) + epsilon))`` (``v_hat`` instead of ``v`` when given).
    The constants are cached 0-d operands (see :func:`operand`): the same numbers.
    """
    b1, one_minus_b1, b2, one_minus_b2, eps = _adam_operands(beta_1, beta_2, epsilon, param.dtype)
    # The two moving averages written out (as moving_average does): a function call per
    # array is a noticeable share of a step on a small network.
    m *= b1
    np.multiply(grad, one_minus_b1, out=scratch)
    m += scratch
    v *= b2
    np.square(grad, out=scratch)
    scratch *= one_minus_b2
    v += scratch
    if v_hat is not None:
        v = np.maximum(v_hat, v, out=v_hat)
    np.sqrt(v, out=scratch)
    scratch += eps
    np.divide(m, scratch, out=scratch)
    scratch *= lr_t
    param -= scratch


@functools.lru_cache(maxsize=64)
def _adam_operands(beta_1: float, beta_2: float, epsilon: float, dtype) -> tuple:
    return (*_decay_operands(beta_1, dtype), *_decay_operands(beta_2, dtype), operand(epsilon, dtype))


def sgd_update(param, grad, scratch, lr: float, velocity=None, momentum: float = 0.0,
               nesterov: bool = False, weight_decay: float = 0.0) -> None:
    """:func:`numnet.functional.sgd_step` in place: 2 NumPy calls (plain) to 8."""
    step = scratch
    if weight_decay:
        np.multiply(param, weight_decay, out=step)
        step += grad
        step *= lr
    else:
        np.multiply(grad, lr, out=step)
    if velocity is None:
        param -= step
        return
    velocity *= momentum
    velocity -= step
    if nesterov:  # p += momentum * v - lr * g, where step holds lr * g
        param -= step
        np.multiply(velocity, momentum, out=scratch)
        param += scratch
    else:
        param += velocity


def rmsprop_update(param, grad, mean_square, scratch, lr: float, rho: float, epsilon: float,
                   velocity=None, momentum: float = 0.0) -> None:
    """:func:`numnet.functional.rmsprop_step` in place: 9 NumPy calls (11 with momentum)."""
    np.square(grad, out=scratch)
    moving_average(mean_square, scratch, rho, scratch)
    np.sqrt(mean_square, out=scratch)
    scratch += epsilon
    np.divide(grad, scratch, out=scratch)
    scratch *= lr
    if velocity is None:
        param -= scratch
        return
    velocity *= momentum
    velocity -= scratch
    param += velocity


def adagrad_update(param, grad, accumulator, scratch, lr: float, epsilon: float) -> None:
    """:func:`numnet.functional.adagrad_step` in place: 7 NumPy calls."""
    np.square(grad, out=scratch)
    accumulator += scratch
    np.sqrt(accumulator, out=scratch)
    scratch += epsilon
    np.divide(grad, scratch, out=scratch)
    scratch *= lr
    param -= scratch


# -- the training step of a Dense/ReLU network, into preallocated buffers -----------
# A training step on a small network is a few dozen NumPy calls; every call that
# allocates its result costs a few microseconds more than one that writes into a
# buffer made once per batch size. These kernels take the buffer as ``out``.

def relu_into(Z: np.ndarray) -> np.ndarray:
    """``np.maximum(Z, 0)`` in place: ``Z`` becomes its ReLU; returns ``Z``.

    Against a row of zeros rather than a 0-d zero once ``Z`` is large: NumPy's
    ``maximum`` has a vectorised loop for two arrays but not for an array and a
    scalar, which is 2-4x slower (600 µs against 290 µs for 10,000 x 128 float32).
    On a few entries the scalar's cheaper setup wins.
    """
    if Z.size < 4096:
        return np.maximum(Z, operand(0, Z.dtype), out=Z)
    return np.maximum(Z, zeros(Z.shape[-1], Z.dtype.str), out=Z)


def relu_with_mask(Z: np.ndarray, mask: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``out[...] = np.maximum(Z, 0)`` and ``mask[...] = Z > 0`` (as 1.0 / 0.0); returns ``out``.

    ``out`` defaults to ``Z`` (in place). As ``mask = (Z > 0)`` then
    ``out = Z * mask``: two fast calls, cheaper than
    ``np.maximum`` alone (NumPy's float ``maximum`` checks every entry for NaN),
    and the backward pass reuses the mask (``dZ = dA * mask``) instead of
    comparing again. Equal to ``np.maximum(Z, 0)`` for every finite or NaN
    entry; a ``-inf`` pre-activation becomes NaN (``-inf * 0``) rather than 0,
    which the training loop then reports as divergence instead of hiding it.
    """
    np.greater(Z, operand(0, Z.dtype), out=mask)
    return np.multiply(Z, mask, out=Z if out is None else out)


def eye(n: int, dtype: str) -> np.ndarray:
    """``np.eye(n, dtype=dtype)``, cached and read-only: one-hot rows are gathered from it."""
    return _eye(n, np.dtype(dtype).str)


@functools.lru_cache(maxsize=16)
def _eye(n: int, dtype: str) -> np.ndarray:
    identity = np.eye(n, dtype=dtype)
    identity.flags.writeable = False
    return identity


class SoftmaxCrossEntropyBuffers:
    """Buffers for :meth:`gradient` on batches of ``m`` rows and ``k`` classes.

    Made once per batch size by the training loop (never by a layer or a
    loss, so inference keeps writing nothing).
    """

    def __init__(self, m: int, k: int, dtype):
        self.m = m
        self.T = np.empty((m, k), dtype)       # the batch's one-hot targets
        self.P = np.empty((m, k), dtype)       # probabilities
        self.row_max = np.empty((m, 1), dtype)
        self.row_sum = np.empty(m, dtype)
        self.log_sum = np.empty(m, dtype)
        self.argmax = np.empty(m, np.intp)
        self.row_start = np.arange(m, dtype=np.intp) * k   # flat index of each row's first entry
        self.ones_k = np.ones(k, dtype)
        self.floor = operand(exp_floor(np.dtype(dtype)), np.dtype(dtype))
        self.inv_m = operand(1.0 / m, np.dtype(dtype))
        # Views made once: a reshape per batch costs as much as a small ufunc call.
        self.row_max_flat = self.row_max.reshape(-1)
        self.row_sum_column = self.row_sum[:, None]

    def gradient(self, Z: np.ndarray) -> float:
        """Turn logits ``Z`` (m, k) into ``(P - T) / m`` in place; return the mean cross-entropy.

        Equals ``numnet.functional.softmax_cross_entropy_grad(P, labels)`` with
        ``P = softmax_and_log(Z, floor=True)[0]`` (kept in :attr:`P`), and the
        loss ``-mean(log P[rows, labels])``, for the one-hot rows in :attr:`T`.
        The gradient is bitwise equal; the loss may differ in its last bits,
        since it is summed as ``sum(log s) - T . (Z - max Z)`` (each one-hot
        row sums to 1, so ``-log p_label = log s - (z_label - max z)``).
        """
        m, P = self.m, self.P
        # Row maxima by argmax and one gather: np.max(axis=1) is slow along short rows.
        Z.argmax(axis=1, out=self.argmax)
        self.argmax += self.row_start
        Z.take(self.argmax, out=self.row_max_flat, mode="clip")  # valid indices: see gather_rows
        Z -= self.row_max
        np.maximum(Z, self.floor, out=P)     # no subnormal probabilities (see exp_floor)
        np.exp(P, out=P)
        np.matmul(P, self.ones_k, out=self.row_sum)   # row sums as one BLAS call
        np.log(self.row_sum, out=self.log_sum)
        # np.add.reduce is what .sum() runs, less the Python wrapper around it.
        loss = (float(np.add.reduce(self.log_sum)) - float(np.vdot(self.T, Z))) / m
        np.divide(P, self.row_sum_column, out=P)
        # Softmax Jacobian times -T / P collapses to P - T: no division by P.
        np.subtract(P, self.T, out=Z)
        Z *= self.inv_m
        return loss


# -- both cores for memory-bound elementwise work -----------------------------------
_POOL = None


def in_parallel(work, items) -> None:
    """``work(items)``, done as ``work(first half)`` and ``work(second half)`` on two threads.

    For elementwise NumPy work over large buffers, which releases the GIL and
    is bound by memory bandwidth, so a second core helps. Each half must
    touch only its own items. Exceptions from either half are raised here.
    """
    global _POOL
    if _POOL is None:
        from concurrent.futures import ThreadPoolExecutor  # the standard library, made on first use
        _POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="numnet-kernels")
    half = (len(items) + 1) // 2
    other = _POOL.submit(work, items[half:])
    try:
        work(items[:half])   # this thread does the first half meanwhile
    finally:
        other.result()


def gather_rows(a: np.ndarray, index: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``a[index]`` written into ``out``, for an ``index`` whose entries are all valid rows.

    ``take`` with ``mode="clip"`` writes straight into ``out``; the default
    ``mode="raise"`` gathers into a hidden buffer first and copies it over.
    Clipping changes nothing for a valid index (a shuffled ``arange``).
    """
    return a.take(index, axis=0, out=out, mode="clip")


# -- inference: predict's forward pass, one row or many ------------------------------
# A single-row predict is a dozen NumPy calls on vectors of 10-128 entries, so each
# call's fixed cost is the whole cost: matmul's gufunc dispatch (``np.dot`` hands 2-D
# operands to BLAS too, with the same result, ~1 µs sooner), broadcasting a (n,) or
# (n, 1) operand (same-shape and scalar operands take NumPy's fast loop), and even
# ``dtype.str`` (~0.5 µs: it builds a new string; ``dtype.char`` is a cached one).

def all_finite(X: np.ndarray) -> bool:
    """``bool(np.isfinite(X).all())`` for a float or complex array, decided by one sum in the common case.

    A finite sum proves every entry finite (NaN and inf propagate through addition,
    and inf - inf is NaN); only when the sum is not finite (a NaN or inf, or finite
    values whose sum overflowed) is every entry checked.

    - One row (predict's common case) is a BLAS dot in its own precision with a
      vector of ``2**-(k + 1)``, ``2**k > n``: every partial sum stays below half
      the largest float, so finite entries can never overflow it (nor warn), and
      no float64 copy of the row is made (0.5 µs less than a dot with float64 ones).
    - A large array is summed in its own precision (casting it to float64
      costs as much as the sum: 300 µs against 160 µs for 10,000 x 64 float32),
      a complex one in complex, anything else in float64; a sum that overflows
      sends it to the exact check, without a warning.
    """
    if X.dtype.kind == "f" and X.ndim == 2 and X.shape[0] == 1:
        total = X[0].dot(_overflow_free_weights(X.shape[1], X.dtype.char))
    else:
        dtype = None if X.size >= 65536 or X.dtype.kind == "c" else np.float64
        with np.errstate(over="ignore", invalid="ignore"):  # overflow and inf - inf: checked below
            total = X.sum(dtype=dtype)
    return cmath.isfinite(total) or bool(np.isfinite(X).all())


@functools.lru_cache(maxsize=32)
def _overflow_free_weights(n: int, dtype: str) -> np.ndarray:
    """``n`` copies of ``2**-(k + 1)`` with ``2**k > n``, read-only: see :func:`all_finite`."""
    vector = np.full(n, 2.0 ** -(n.bit_length() + 1), dtype=dtype)
    vector.flags.writeable = False
    return vector


def affine(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``X @ W + b`` for a 2-D ``X`` (n_samples, n_inputs), as a new array (n_samples, n_neurons).

    ``X.dot(W)`` is the same BLAS call as ``X @ W``; ``b`` is added in place as a
    (1, n_neurons) row, which NumPy adds faster than a 1-D ``b`` to one row.
    """
    Y = X.dot(W)
    np.add(Y, b[None], out=Y)
    return Y


def softmax_rows_into(Z: np.ndarray) -> np.ndarray:
    """``numnet.functional.softmax(Z, axis=-1)`` for a 2-D ``Z``, in place: ``Z`` becomes it.

    The same steps as :func:`numnet.functional.softmax_and_log`: subtract the row
    maximum (:func:`row_max`), ``exp``, divide by the row sum (:func:`row_sum`).
    One row (predict's common case) subtracts and divides by scalars, which NumPy
    does 1-2 µs faster than by a (1, 1) column; its sum is a BLAS dot with ones too.
    """
    if Z.shape[0] != 1:
        Z -= row_max(Z)
        np.exp(Z, out=Z)
        Z /= row_sum(Z)
        return Z
    row = Z[0]  # a view: writing it writes Z
    row -= row[row.argmax()]
    np.exp(row, out=row)
    row /= row.dot(ones(row.shape[0], Z.dtype.char))
    return Z
