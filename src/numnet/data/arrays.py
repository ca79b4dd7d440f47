"""Sources over arrays: in memory, memory-mapped (``np.load(path, mmap_mode="r")``) or Dask.

Rows are read block by block (about 4 MB at a time), so a memory-mapped file
is never read whole and nothing makes a hidden full copy.
"""
from __future__ import annotations

import math

import numpy as np

from numnet._validation import as_array, check_real_dtype
from numnet.data.base import DataSource, is_dask_array

BLOCK_BYTES = 4 * 2**20


class ArraySource(DataSource):
    """Batches from ``X`` and ``y`` (and optional weights and mask) indexed by row.

    See :func:`from_arrays`.
    """

    def __init__(self, X, y, sample_weight=None, mask=None, **options):
        super().__init__(**options)
        self.arrays = tuple(_rows_of(a, name) for a, name in
                            ((X, "X"), (y, "y"), (sample_weight, "sample_weight"), (mask, "mask")))
        _check_lengths(self.arrays)
        row_bytes = max(1, self.arrays[0][:1].nbytes)
        self.block_rows = max(1, BLOCK_BYTES // row_bytes)

    def n_rows(self):
        """The number of rows of ``X``."""
        return len(self.arrays[0])

    def chunks(self, shuffle, rng):
        """Blocks of ``block_rows`` rows, in order or (``shuffle``) in a random order."""
        starts = list(range(0, self.n_rows(), self.block_rows))
        if shuffle:  # blocks in a random order; the buffer then mixes rows across blocks
            starts = [starts[i] for i in rng.permutation(len(starts))]
        for start in starts:
            yield tuple(None if a is None else np.asarray(a[start:start + self.block_rows])
                        for a in self.arrays)

    def split(self, fraction: float):
        """Training and validation sources: the last ``ceil(n * fraction)`` rows are held out."""
        n = self.n_rows()
        cut = n - int(math.ceil(n * fraction))
        if cut <= 0:
            raise ValueError(f"validation_split={fraction} leaves no training samples")
        options = dict(batch_size=self.batch_size, shuffle=self.shuffle,
                       random_state=self.random_state, buffer_rows=self.buffer_rows)
        head, tail = ([None if a is None else a[part] for a in self.arrays]
                      for part in (slice(None, cut), slice(cut, None)))
        return ArraySource(*head, **options), ArraySource(*tail, **{**options, "shuffle": False})

    def sample_rows(self, max_rows: int = 20_000) -> np.ndarray:
        """Every k-th row of X (at most about ``max_rows``), read without touching the rest."""
        X = self.arrays[0]
        step = max(1, len(X) // max_rows)
        return np.ascontiguousarray(X[::step])

    def __repr__(self):
        X = self.arrays[0]
        return f"ArraySource(X of shape {X.shape}, {type(X).__name__})"


class DaskSource(DataSource):
    """Batches from a ``dask.array`` X (and y), computed one block of rows at a time."""

    def __init__(self, X, y, sample_weight=None, mask=None, **options):
        super().__init__(**options)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D, (n_samples, n_features), got a Dask array of shape {X.shape}")
        self.X = X.rechunk({1: -1}) if X.numblocks[1] > 1 else X  # whole rows per block
        self.offsets = np.concatenate([[0], np.cumsum(self.X.chunks[0])]).astype(int)
        self.others = tuple(_aligned(a, self.X.chunks[0], name) for a, name in
                            ((y, "y"), (sample_weight, "sample_weight"), (mask, "mask")))

    def n_rows(self):
        """The number of rows, summed over the Dask array's blocks."""
        return int(self.offsets[-1])

    def chunks(self, shuffle, rng):
        """One Dask block at a time (computed then), in order or (``shuffle``) in a random order."""
        order = np.arange(self.X.numblocks[0])
        if shuffle:
            order = rng.permutation(order)
        for i in order:
            parts = [self.X.blocks[int(i)]] + [None if a is None else _block(a, i, self.offsets)
                                               for a in self.others]
            yield _compute(parts)

    def __repr__(self):
        return f"DaskSource(X of shape {self.X.shape}, {self.X.numblocks[0]} blocks)"


def _rows_of(a, name):
    if a is None:
        return None
    if not isinstance(a, np.ndarray):
        a = as_array(a, name)
    if a.ndim == 0:
        raise ValueError(f"{name} must have one entry per sample, got a scalar {a!r}")
    if name == "X":
        check_real_dtype(a, "X")
        if a.ndim != 2:
            raise ValueError(f"X must be 2-D, (n_samples, n_features), got shape {a.shape}; use "
                             "X.reshape(-1, 1) for one feature")
    return a


def _check_lengths(arrays):
    n = len(arrays[0])
    for name, a in zip(("y", "sample_weight", "mask"), arrays[1:]):
        if a is not None and len(a) != n:
            raise ValueError(f"X has {n} samples but {name} has {len(a)}; pass one {name} entry per row of X")


def _aligned(a, row_chunks, name):
    if a is None:
        return None
    n = sum(row_chunks)
    if len(a) != n:
        raise ValueError(f"X has {n} samples but {name} has {len(a)}; pass one {name} entry per row of X")
    if is_dask_array(a) and a.chunks[0] != tuple(row_chunks):
        return a.rechunk({0: row_chunks})  # y's blocks must hold the rows of X's blocks
    return a


def _block(a, i, offsets):
    if is_dask_array(a):
        return a.blocks[int(i)]
    return np.asarray(a[offsets[i]:offsets[i + 1]])


def _compute(parts):
    """Compute the Dask blocks of one chunk together (one round trip to the scheduler)."""
    import dask

    lazy = [i for i, p in enumerate(parts) if is_dask_array(p)]
    values = dask.compute(*[parts[i] for i in lazy])
    for i, value in zip(lazy, values):
        parts[i] = np.asarray(value)
    return tuple(parts)
