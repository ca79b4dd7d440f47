"""Turning chunks of any size into mini-batches, with a bounded shuffle buffer.

Files arrive in chunks whose size the file decides (a CSV block, a Parquet
record batch, a Dask block); training wants batches of ``batch_size`` rows.
Without shuffling, batches are views of the chunks wherever a batch lies
inside one chunk. With shuffling, chunks fill a buffer of about
``buffer_rows`` rows that is permuted and cut into batches; memory is bounded
by the buffer, never by the data.
"""
from __future__ import annotations

import numpy as np

# The shuffle buffer holds at most this much (and at most ``buffer_rows`` rows): 32 MB is
# about 10,000 rows of 784 float32 features, many batches to mix.
BUFFER_BYTES = 32 * 2**20


def rebatch(chunks, batch_size: int, shuffle: bool, rng: np.random.Generator, buffer_rows: int):
    """Yield ``(X, y, sample_weight, mask)`` batches of ``batch_size`` rows (the last may be short).

    Parameters
    ----------
    chunks : iterable of tuple of (ndarray or None)
        Each array of shape (n_rows, ...), all with the same n_rows.
    batch_size : int
    shuffle : bool
        Permute the rows within a buffer of ``buffer_rows`` rows (fewer for rows so wide
        that the buffer would pass BUFFER_BYTES; never fewer than ``batch_size``).
    rng : numpy.random.Generator
    buffer_rows : int
    """
    chunks = check_chunks(chunks)
    if shuffle:
        return _shuffled(chunks, batch_size, rng, buffer_rows)
    return _in_order(chunks, batch_size)


def _in_order(chunks, batch_size):
    """Batches in file order: views of each chunk, plus one small joined batch across a chunk border."""
    carry = None  # fewer than batch_size rows left over from the previous chunk
    for chunk in chunks:
        n, start = _rows(chunk), 0
        if carry is not None:
            start = min(batch_size - _rows(carry), n)
            carry = _join([carry, _part(chunk, 0, start)])
            if _rows(carry) < batch_size:
                continue
            yield carry
            carry = None
        full = start + (n - start) // batch_size * batch_size
        yield from _slices(chunk, start, full, batch_size)
        if full < n:
            carry = _part(chunk, full, n)
    if carry is not None:
        yield carry


def _shuffled(chunks, batch_size, rng, buffer_rows):
    """Batches from a buffer of at least ``buffer_rows`` rows, permuted each time it fills."""
    pending, n_pending = [], 0
    for chunk in chunks:
        if not pending and n_pending == 0:  # wide rows: fewer of them, so the bytes stay bounded
            buffer_rows = max(batch_size, min(buffer_rows, BUFFER_BYTES // max(1, _row_bytes(chunk))))
        pending.append(chunk)
        n_pending += _rows(chunk)
        if n_pending < buffer_rows:
            continue
        block = _scattered(pending, n_pending, rng)
        pending = None  # the chunks are in the block now; let them go before it is cut
        cut = n_pending - n_pending % batch_size
        yield from _slices(block, 0, cut, batch_size)
        pending = [_part(block, cut, n_pending)] if cut < n_pending else []
        n_pending -= cut
        block = None  # free it before the next buffer fills: two buffers at once at most
    if n_pending:
        block = _scattered(pending, n_pending, rng)
        yield from _slices(block, 0, n_pending, batch_size)


def check_chunks(chunks):
    """Pass chunks through, raising a clear error when one differs from the first.

    Widths, dtype kinds and the presence of weights or masks must stay the same
    from chunk to chunk; otherwise batches could not be stacked, and a model
    would silently see different features.
    """
    first = None
    for index, chunk in enumerate(chunks):
        chunk = _as_chunk(chunk, index)
        if first is None:
            first = _signature(chunk)
        else:
            _compare(first, _signature(chunk), index)
        if _rows(chunk):
            yield chunk


_NAMES = ("X", "y", "sample_weight", "mask")


def _as_chunk(chunk, index):
    if not isinstance(chunk, (tuple, list)) or not 2 <= len(chunk) <= 4:
        raise TypeError(f"batch {index} of the data source is a {type(chunk).__name__}; each batch "
                        "must be a tuple (X, y), (X, y, sample_weight) or (X, y, sample_weight, mask)")
    arrays = tuple(None if a is None else np.asarray(a) for a in chunk) + (None,) * (4 - len(chunk))
    if arrays[0] is None or arrays[0].ndim != 2:
        shape = None if arrays[0] is None else arrays[0].shape
        raise ValueError(f"batch {index} of the data source has X of shape {shape}; X must be 2-D, "
                         "(n_samples, n_features)")
    n = len(arrays[0])
    for name, a in zip(_NAMES[1:], arrays[1:]):
        if a is not None and (a.ndim == 0 or len(a) != n):
            raise ValueError(f"batch {index} of the data source has {n} rows in X but "
                             f"{None if a.ndim == 0 else len(a)} in {name}; every array of a batch "
                             "needs one entry per row of X")
    return arrays


def _signature(chunk):
    return tuple(None if a is None else (a.shape[1:], a.dtype.kind) for a in chunk)


def _compare(first, this, index):
    for name, a, b in zip(_NAMES, first, this):
        if (a is None) != (b is None):
            had, has = ("had", "lacks") if b is None else ("lacked", "has")
            raise ValueError(f"batch {index} of the data source {has} {name}, which batch 0 {had}; "
                             "every batch must carry the same arrays")
        if a is None or a == b:
            continue
        if a[0] != b[0]:
            raise ValueError(f"batch {index} of the data source has {name} rows of shape {b[0]}, "
                             f"but batch 0 had {a[0]}; every batch must have the same columns")
        raise TypeError(f"batch {index} of the data source has {name} of dtype kind '{b[1]}', but "
                        f"batch 0 had '{a[1]}' ({_KINDS.get(a[1], a[1])} vs {_KINDS.get(b[1], b[1])}); "
                        "every batch must hold the same kind of values")


_KINDS = {"f": "floats", "i": "integers", "u": "unsigned integers", "b": "booleans",
          "U": "text", "S": "bytes", "O": "objects"}


def _rows(chunk):
    return len(chunk[0])


def _row_bytes(chunk):
    return sum(a[:1].nbytes for a in chunk if a is not None)


def _join(pending):
    if len(pending) == 1:
        return pending[0]
    return tuple(None if parts[0] is None else np.concatenate(parts) for parts in zip(*pending))


def _scattered(pending, n_rows, rng):
    """The rows of the ``pending`` chunks in a random order, in one new buffer.

    Each chunk's rows are written straight to their random places, so the
    buffer exists once (joining first and then permuting would hold it twice).
    """
    dest = rng.permutation(n_rows)  # row i of the chunks, end to end, goes to dest[i]
    block = tuple(None if a is None else np.empty((n_rows, *a.shape[1:]), a.dtype) for a in pending[0])
    start = 0
    for chunk in pending:
        stop = start + _rows(chunk)
        for out, a in zip(block, chunk):
            if out is not None:
                out[dest[start:stop]] = a
        start = stop
    return block


def _part(block, start, stop):
    # A copy: the leftover outlives the block, which must not be kept alive by a view.
    return tuple(None if a is None else a[start:stop].copy() for a in block)


def _slices(block, start, stop, size):
    for begin in range(start, stop, size):
        end = min(begin + size, stop)
        yield tuple(None if a is None else a[begin:end] for a in block)
