"""The GEMM floor: the time of only the matrix products that an epoch needs.

For every batch of ``m`` rows and every Dense layer ``(n_in, n_out)`` a
training step needs

- forward  ``A @ W``     (m, n_in) @ (n_in, n_out);
- backward ``A.T @ dZ``  (n_in, m) @ (m, n_out), the weight gradient;
- backward ``dZ @ W.T``  (m, n_out) @ (n_out, n_in), the input gradient, for
  every layer but the first (nothing needs dL/dX of the data).

All in float32, at the workload's batch sizes (the last partial batch
included), written into preallocated buffers with ``out=`` so that nothing
but BLAS is timed. Everything a real training step spends above this floor
(activations, loss, optimizer, batching, Python) is overhead.
"""
from __future__ import annotations

import functools

import numpy as np


class GemmFloor:
    key, title = "floor", "GEMM floor (float32 matmuls only)"

    def missing(self):
        return None

    def prepare(self, X, y):
        return X, y  # only len(X) matters

    def fit(self, workload, X, y, epochs, seed):
        sizes = workload.batch_sizes(len(X))
        # The views for each distinct batch size are made once (and cached across calls, so
        # a timed run after the warm-up makes no buffers): the loop below is one np.matmul
        # call per product and nothing else.
        plans = {m: _products(tuple(workload.layers), workload.batch_size, m) for m in set(sizes)}
        matmul = np.matmul
        for _ in range(epochs):
            for m in sizes:
                for a, b, out in plans[m]:
                    matmul(a, b, out=out)
        return None

    def accuracy(self, model, X, y):
        return None

    def predictor(self, model, x_row):
        return None


@functools.lru_cache(maxsize=None)
def _products(sizes, batch_size, m):
    """``(a, b, out)`` for every matrix product of a step on ``m`` rows (views of buffers)."""
    rng = np.random.default_rng(0)

    def buffer(*shape):
        return (0.1 * rng.standard_normal(shape)).astype(np.float32)

    products = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        # Slicing the first axis of a C-contiguous buffer is a view; .T is a view BLAS reads
        # transposed: as in a real step, no product copies its operands.
        A, W = buffer(batch_size, n_in)[:m], buffer(n_in, n_out)
        dZ, Z = buffer(batch_size, n_out)[:m], buffer(batch_size, n_out)[:m]
        products.append((A, W, Z))                                  # forward: Z = A @ W
        products.append((A.T, dZ, buffer(n_in, n_out)))             # dW = A.T @ dZ
        if i > 0:
            products.append((dZ, W.T, buffer(batch_size, n_in)[:m]))  # dA = dZ @ W.T
    return products
