"""A hand-written NumPy training loop: the benchmark's lower bound for plain NumPy.

The benchmark's network (Dense + ReLU hidden layers, softmax + cross-entropy
on the logits, Adam) written as one tight loop, with none of a library's
generality: no layer objects, no callbacks, no validation per batch. What
numnet's ``Sequential.fit`` spends above this loop is the price of being a
library; what this loop spends above the GEMM floor is the price of NumPy.

It does numnet's arithmetic (float32, batch-first ``X (n, d) @ W (d, h)``,
Glorot-uniform weights and zero biases, the fused gradient ``(P - T) / n``,
Adam with numnet's defaults ``beta_1=0.9, beta_2=0.999, epsilon=1e-7`` and
bias corrections folded into the step size, the exponent floor of the fused
loss and the flush of tiny values every 16 steps), with these tricks:

- all parameters in one flat buffer and all gradients in another; the
  per-layer ``W`` and ``b`` are views, so Adam is a dozen calls over one array;
- every activation, delta and scratch array is preallocated per batch size
  and written with ``out=``: a training step allocates (almost) nothing;
- batches are gathered through a shuffled index with ``take(..., out=,
  mode="clip")`` (the default ``mode="raise"`` gathers into a hidden buffer
  and copies it over); the targets are gathered by label from ``eye(k) / m``;
- **the bias rides inside the matrix product**: each layer's ``b`` follows
  its ``W`` in the flat buffer, so ``[W; b]`` is one (n_in + 1, n_out) view,
  and each hidden layer's input buffer has a last column of ones. Then
  ``Z = [A, 1] @ [W; b]`` needs no bias add, and ``[A, 1].T @ dZ`` fills
  ``dW`` and ``db`` in one product. The first layer stays ``X @ W + b``: a
  gather into a ones-padded buffer is a strided write, which costs what the
  bias add and ``ones @ dZ`` save, or more (see :class:`_Buffers`). The bias is
  summed inside BLAS, so results equal ``A @ W + b`` to float rounding, not
  bitwise;
- **1/m folded into the softmax**: ``dZ = E / (s m) - T / m`` is a division
  and a subtraction, with ``T / m`` gathered ready-scaled (bitwise the old
  ``(P - T) * (1 / m)`` when ``m`` is a power of two);
- **the ReLU mask is made once**: the forward writes ``mask = (Z > 0)`` as
  floats and the ReLU as ``Z * mask`` (``np.maximum`` is slower than a
  comparison plus a product), and the backward reuses the mask for
  ``dA * (A > 0)``. ``Z * 0`` is ``-0.0`` where ``Z < 0``: the same sums;
- the first layer skips ``dL/dX``, which nothing uses; transposed views and
  dtype scalars are made once, not per batch.

Nothing here imports numnet: this loop is the peer, not the subject.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

FLUSH_EVERY = 16  # numnet's Optimizer flushes tiny state this often (see _flush_tiny)
BLOCK = 65536  # Adam's block: 256 KiB of float32 per array, numnet's Optimizer.block_size


def check_sizes(sizes) -> tuple[int, ...]:
    """Return ``sizes`` as a tuple of at least two positive ints, or raise ValueError."""
    sizes = tuple(sizes)
    if len(sizes) < 2 or not all(isinstance(s, numbers.Integral) and s > 0 for s in sizes):
        raise ValueError(f"sizes must be at least two positive ints (input width, ..., n_classes), "
                         f"got {sizes!r}; pass e.g. (2, 64, 64, 3)")
    return tuple(int(s) for s in sizes)


def glorot_weights(sizes, rng, dtype=np.float32) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(W, b)`` per layer: ``W`` (n_in, n_out) uniform in ``±sqrt(6 / (n_in + n_out))``, ``b`` 0."""
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        limit = math.sqrt(6.0 / (n_in + n_out))
        layers.append((rng.uniform(-limit, limit, size=(n_in, n_out)).astype(dtype),
                       np.zeros(n_out, dtype)))
    return layers


class _Flat:
    """One flat buffer holding every layer's ``W`` then ``b``; all per-layer arrays are views.

    ``Wb[i]`` is layer ``i``'s ``[W; b]`` of shape (n_in + 1, n_out), ``W[i]``
    its first ``n_in`` rows, ``b[i]`` its last row and ``WT[i]`` the
    transpose of ``W[i]``. The order (weights, then biases, layer by layer)
    is numnet's, so the two flat buffers line up entry for entry.
    """

    def __init__(self, sizes, dtype):
        total = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
        self.values = np.zeros(total, dtype)
        self.Wb, offset = [], 0
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            self.Wb.append(self.values[offset:offset + (n_in + 1) * n_out].reshape(n_in + 1, n_out))
            offset += (n_in + 1) * n_out
        self.W = [Wb[:-1] for Wb in self.Wb]
        self.b = [Wb[-1] for Wb in self.Wb]
        self.WT = [W.T for W in self.W]  # an attribute lookup per batch costs; a list index less


class _Buffers:
    """Every array one step on ``m`` rows writes, made once per batch size.

    ``X`` is the gathered batch (m, n_0), the first layer's input; ``A1[i]``
    (m, n_i + 1) is hidden layer ``i``'s input with a last column of ones, and
    ``A[i]`` its first ``n_i`` columns (a strided view: the ReLU writes
    there). ``D[i]`` (m, n_out) is ``dL/dZ`` of layer ``i`` (in the forward,
    scratch for ``Z``); the last ``D`` holds the logits, then ``E / (s m) -
    T / m``. ``mask[i]`` is ``Z > 0`` as floats, for hidden layer ``i``.

    Notes
    -----
    The first layer is not padded: ``X.take(index, out=<strided view>)`` is
    3-4x slower than the contiguous gather (2.3 against 0.7 us on W1, 4
    against 1.4 us on W2, 45 against 16 us on 128 rows of 784). On W1 and W2
    that about cancels the ``+= b`` and ``ones @ dZ`` it saves (within the
    noise); on W3 (6000 rows) padding it was 4 % slower per batch.
    """

    def __init__(self, sizes, m, dtype):
        self.m = m
        self.X = np.empty((m, sizes[0]), dtype)
        self.A1 = [None] + [np.ones((m, width + 1), dtype) for width in sizes[1:-1]]
        self.A = [self.X] + [A1[:, :-1] for A1 in self.A1[1:]]
        self.AT = [self.X.T] + [A1.T for A1 in self.A1[1:]]  # for dW (and db) = A.T @ dZ
        self.D = [np.empty((m, width), dtype) for width in sizes[1:]]
        self.mask = [None] + [np.empty((m, width), dtype) for width in sizes[1:-1]]
        self.ones_m = np.ones(m, dtype)
        k = sizes[-1]
        self.eye_over_m = np.eye(k, dtype=dtype) / dtype.type(m)  # rows of T / m, by label
        self.T = np.empty((m, k), dtype)          # gathered one-hot targets over m
        self.E = np.empty((m, k), dtype)          # exp of the shifted logits
        self.row_max = np.empty((m, 1), dtype)
        # Flat views made once: a .reshape per batch costs as much as a small ufunc call.
        self.logits_flat, self.row_max_flat = self.D[-1].reshape(-1), self.row_max.reshape(-1)
        self.row_sum, self.row_sum_m = np.empty(m, dtype), np.empty(m, dtype)
        self.row_sum_m_column = self.row_sum_m[:, None]
        self.log_sum = np.empty(m, dtype)
        self.argmax = np.empty(m, np.intp)
        self.row_start = np.arange(m, dtype=np.intp) * k  # flat index of each row's first logit
        self.ones_k = np.ones(k, dtype)
        self.m_scalar = dtype.type(m)


class HandMLP:
    """A ReLU MLP with softmax cross-entropy, trained by a hand-written Adam loop.

    Parameters
    ----------
    sizes : sequence of int
        Widths from the input to the output, e.g. ``(2, 64, 64, 3)``.
    learning_rate, beta_1, beta_2, epsilon : float
        Adam's settings; the defaults are numnet's ``Adam()``.
    random_state : None, int or numpy.random.Generator
        Seeds the Glorot-uniform initial weights.
    dtype : numpy dtype, default float32
    """

    def __init__(self, sizes, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 random_state=None, dtype=np.float32):
        self.sizes = check_sizes(sizes)
        self.dtype = np.dtype(dtype)
        self.learning_rate, self.beta_1, self.beta_2 = learning_rate, beta_1, beta_2
        self.epsilon = epsilon
        # The same values as the Python floats NumPy would convert on every call, made once.
        scalar = self.dtype.type
        self._b1, self._1_b1, self._b2, self._1_b2, self._eps, self._zero = (
            scalar(beta_1), scalar(1.0 - beta_1), scalar(beta_2), scalar(1.0 - beta_2),
            scalar(epsilon), scalar(0))
        # numnet's exponent floor: exp(-61) is 3e-27 in float32, far below any probability
        # that matters and far above the subnormal range.
        self.exp_floor = scalar(0.7 * float(np.log(np.finfo(self.dtype).tiny)))
        self.params = _Flat(self.sizes, self.dtype)
        self.grads = _Flat(self.sizes, self.dtype)
        # Adam's moments and one scratch array, all the size of the flat buffer.
        self.m, self.v, self.scratch = (np.zeros_like(self.params.values) for _ in range(3))
        self.tiny = np.empty(self.params.values.size, bool)  # for _flush_tiny
        # (param, grad, m, v, scratch) views per block, made once: slicing costs per step too.
        flats = (self.params.values, self.grads.values, self.m, self.v, self.scratch)
        self._adam_blocks = [tuple(a[start:start + BLOCK] for a in flats)
                             for start in range(0, flats[0].size, BLOCK)]
        self.iterations = 0
        self.set_weights(glorot_weights(self.sizes, np.random.default_rng(random_state), self.dtype))
        self._buffers: dict[int, _Buffers] = {}

    def set_weights(self, layers) -> None:
        """Copy ``[(W, b), ...]`` (shapes ``(n_in, n_out)`` and ``(n_out,)``) into the flat buffer."""
        layers = list(layers)
        if len(layers) != len(self.params.W):
            raise ValueError(f"layers must hold {len(self.params.W)} (W, b) pairs, got {len(layers)}")
        for i, (W, b) in enumerate(layers):
            for name, target, value in (("W", self.params.W[i], W), ("b", self.params.b[i], b)):
                if np.shape(value) != target.shape:
                    raise ValueError(f"layer {i} {name} must have shape {target.shape}, got "
                                     f"{np.shape(value)}; W is (n_inputs, n_neurons)")
                target[...] = value

    # -- one step -----------------------------------------------------------
    def buffers(self, m: int) -> _Buffers:
        """The preallocated arrays for a batch of ``m`` rows (made on first use)."""
        plan = self._buffers.get(m)
        if plan is None:
            plan = self._buffers[m] = _Buffers(self.sizes, m, self.dtype)
        return plan

    def forward(self, buf: _Buffers) -> np.ndarray:
        """Logits of ``buf.X`` into ``buf.D[-1]`` (m, n_classes); ReLU outputs into ``buf.A``.

        Hidden layer ``i`` computes ``Z = [A, 1] @ [W; b]`` (= ``A @ W + b``),
        then ``mask = Z > 0`` and ``relu(Z) = Z * mask``, kept for the backward.
        """
        Wb, A, A1, D, mask = self.params.Wb, buf.A, buf.A1, buf.D, buf.mask
        np.matmul(buf.X, self.params.W[0], out=D[0])
        D[0] += self.params.b[0]
        for i in range(1, len(Wb)):
            Z = D[i - 1]  # the pre-activation; D[i - 1] is not needed before the backward
            np.greater(Z, self._zero, out=mask[i])  # 1.0 / 0.0
            np.multiply(Z, mask[i], out=A[i])  # the ReLU, before the column of ones
            np.matmul(A1[i], Wb[i], out=D[i])
        return D[-1]

    def softmax_gradient(self, buf: _Buffers) -> float:
        """Turn the logits in ``buf.D[-1]`` into ``(P - T) / m``; return the mean cross-entropy.

        Notes
        -----
        ``P = softmax(Z)`` row by row, from ``E = exp(max(Z - max_k Z, floor))``
        divided by its row sums ``s``. The loss ``-sum_k T log P`` is
        ``log s - T . (Z - max Z)`` per row, as each one-hot row sums to 1, and
        the softmax Jacobian times ``-T / P`` collapses to ``P - T`` for the
        same reason: the fused gradient never divides by ``P``. ``buf.T``
        holds ``T / m``, so the mean's ``1 / m`` is already in ``T . Z``, and
        ``(P - T) / m`` is ``E / (s m) - T / m``.
        """
        Z, E, m = buf.D[-1], buf.E, buf.m
        # The row maximum as argmax plus one gather: np.max(axis=1) is slower on short rows.
        # (Array methods, not np.argmax / np.take: those add a Python wrapper call each.)
        Z.argmax(axis=1, out=buf.argmax)
        buf.argmax += buf.row_start
        buf.logits_flat.take(buf.argmax, out=buf.row_max_flat, mode="clip")
        Z -= buf.row_max
        # numnet floors the exponent so that no probability is a (slow) subnormal float.
        np.maximum(Z, self.exp_floor, out=E)
        np.exp(E, out=E)
        np.matmul(E, buf.ones_k, out=buf.row_sum)  # row sums as one BLAS call
        np.log(buf.row_sum, out=buf.log_sum)
        loss = float(buf.log_sum.sum()) / m - float(np.vdot(buf.T, Z))
        np.multiply(buf.row_sum, buf.m_scalar, out=buf.row_sum_m)  # m numbers, not m * k
        np.divide(E, buf.row_sum_m_column, out=E)
        np.subtract(E, buf.T, out=Z)
        return loss

    def backward(self, buf: _Buffers) -> None:
        """Weight and bias gradients into the flat gradient buffer, from ``buf.D[-1]``.

        For ``Z = [A, 1] @ [W; b]``: ``[dW; db] = [A, 1].T @ dZ`` (one product:
        the gradient buffer has the same layout) and ``dA = dZ @ W.T``; through
        the ReLU, ``dZ = dA * mask``. The first layer, ``X @ W + b``, takes
        ``dW = X.T @ dZ`` and ``db = ones @ dZ``, and no ``dX``.
        """
        WT, dWb, AT, D, mask = self.params.WT, self.grads.Wb, buf.AT, buf.D, buf.mask
        for i in range(len(WT) - 1, 0, -1):
            np.matmul(AT[i], D[i], out=dWb[i])
            np.matmul(D[i], WT[i], out=D[i - 1])
            D[i - 1] *= mask[i]
        np.matmul(AT[0], D[0], out=self.grads.W[0])
        np.matmul(buf.ones_m, D[0], out=self.grads.b[0])

    def adam(self) -> None:
        """One Adam step over the whole flat buffer, in place, as in numnet's ``Adam``.

        ``m <- b1 m + (1 - b1) g``, ``v <- b2 v + (1 - b2) g**2`` and
        ``p <- p - lr_t m / (sqrt(v) + eps)`` with
        ``lr_t = lr sqrt(1 - b2**t) / (1 - b1**t)``. Large buffers go block by
        block, as numnet's optimizer does: the twelve passes over a block of
        ``BLOCK`` entries stay in the L2 cache instead of streaming from memory.
        """
        b1, b2, one_b1, one_b2, eps = self._b1, self._b2, self._1_b1, self._1_b2, self._eps
        t = self.iterations + 1
        step = self.dtype.type(self.learning_rate * math.sqrt(1.0 - self.beta_2 ** t)
                               / (1.0 - self.beta_1 ** t))
        for p, g, m, v, s in self._adam_blocks:
            m *= b1
            np.multiply(g, one_b1, out=s)
            m += s
            v *= b2
            np.square(g, out=s)
            s *= one_b2
            v += s
            np.sqrt(v, out=s)
            s += eps
            np.divide(m, s, out=s)
            s *= step
            p -= s
        self.iterations = t
        if t % FLUSH_EVERY == 0:
            self._flush_tiny()

    def _flush_tiny(self) -> None:
        """Set entries below ``tiny * 2**24`` to 0, as numnet does, before they turn subnormal."""
        threshold = np.finfo(self.dtype).tiny * 2.0 ** 24
        for array in (self.m, self.v, self.params.values):
            np.abs(array, out=self.scratch)
            np.less(self.scratch, threshold, out=self.tiny)
            np.copyto(array, 0, where=self.tiny)

    # -- training -----------------------------------------------------------
    def fit(self, X, y, epochs, batch_size, random_state=None) -> list[float]:
        """Train for ``epochs`` epochs of shuffled mini-batches; return each epoch's mean loss.

        Parameters
        ----------
        X : ndarray of shape (n_samples, sizes[0])
            Converted once to the model's dtype.
        y : ndarray of int, shape (n_samples,)
            Class labels in ``[0, sizes[-1])``.
        epochs, batch_size : int
        random_state : None, int or numpy.random.Generator
            Seeds the shuffling (a fresh permutation every epoch, as numnet's fit).
        """
        X, y = self._check_data(X, y)
        batch_size = min(_check_positive(batch_size, "batch_size"), len(X))
        rng = np.random.default_rng(random_state)
        losses = []
        for _ in range(_check_positive(epochs, "epochs")):
            losses.append(self._epoch(X, y, batch_size, rng.permutation(len(X))))
        return losses

    def _epoch(self, X, y, batch_size, order) -> float:
        labels = y.take(order)  # the epoch's labels in batch order: one gather, not one a batch
        total = 0.0
        for start in range(0, len(order), batch_size):
            index = order[start:start + batch_size]
            buf = self.buffers(len(index))
            # mode="clip" writes straight into out (the index is valid: a permutation).
            X.take(index, axis=0, out=buf.X, mode="clip")
            buf.eye_over_m.take(labels[start:start + batch_size], axis=0, out=buf.T, mode="clip")
            self.forward(buf)
            total += self.softmax_gradient(buf) * buf.m
            self.backward(buf)
            self.adam()
        return total / len(order)

    def loss_and_gradients(self, X, y) -> float:
        """Mean cross-entropy on ``(X, y)``; fills :attr:`grads` (no update). For checks."""
        X, y = self._check_data(X, y)
        buf = self.buffers(len(X))
        buf.X[...], buf.T[...] = X, buf.eye_over_m[y]
        self.forward(buf)
        loss = self.softmax_gradient(buf)
        self.backward(buf)
        return loss

    def predict_proba(self, X) -> np.ndarray:
        """Softmax probabilities of shape (n_samples, sizes[-1])."""
        A = np.asarray(X, self.dtype)
        for i, (W, b) in enumerate(zip(self.params.W, self.params.b)):
            A = A @ W + b
            if i < len(self.params.W) - 1:
                A = np.maximum(A, 0)
        E = np.exp(A - A.max(axis=1, keepdims=True))
        return E / E.sum(axis=1, keepdims=True)

    def _check_data(self, X, y):
        """``X`` as C-contiguous float of shape (n, sizes[0]); ``y`` as intp labels in [0, k)."""
        X = np.ascontiguousarray(X, dtype=self.dtype)
        y = np.asarray(y)
        if X.ndim != 2 or X.shape[1] != self.sizes[0] or len(X) == 0:
            raise ValueError(f"X must have shape (n_samples, {self.sizes[0]}) with n_samples >= 1, "
                             f"got {X.shape}; reshape it or build the model for its width")
        k = self.sizes[-1]
        if y.shape != (len(X),) or y.dtype.kind not in "iu" or y.min() < 0 or y.max() >= k:
            raise ValueError(f"y must be {len(X)} integer labels in [0, {k}), got shape {y.shape} "
                             f"and dtype {y.dtype}; encode the classes as 0..{k - 1}")
        return X, y.astype(np.intp)


def _check_positive(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


class HandLoop:
    """The benchmark adapter (see ``systems.py``): ``HandMLP.fit`` on the workload."""

    key, title = "hand", "hand-written NumPy loop (float32)"

    def missing(self):
        return None

    def prepare(self, X, y):
        return np.ascontiguousarray(X, dtype=np.float32), y

    def fit(self, workload, X, y, epochs, seed):
        model = HandMLP(workload.layers, learning_rate=1e-3, random_state=seed)
        model.fit(X, y, epochs, workload.batch_size, random_state=seed)
        return model

    def accuracy(self, model, X, y):
        return float(np.mean(np.argmax(model.predict_proba(X), axis=1) == y))

    def predictor(self, model, x_row):
        return lambda: model.predict_proba(x_row)
