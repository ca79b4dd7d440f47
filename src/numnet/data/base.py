"""``DataSource``: mini-batches from data that need not fit in memory.

A source yields batches ``(X, y, sample_weight, mask)`` (the last two may be
None) of NumPy arrays. ``fit``, ``evaluate`` and ``predict`` iterate it once
per epoch; nothing ever holds more than a batch plus the shuffle buffer.
"""
from __future__ import annotations

import math
from typing import Any, Iterator

import numpy as np

from numnet._validation import check_positive_int, check_random_state

# Rows held by the shuffle buffer unless a source is told otherwise: with 784
# float32 features that is 64 MB, enough to mix the rows of many batches.
DEFAULT_BUFFER_ROWS = 20_000


class DataSource:
    """Base class of every data source: batching, shuffling and ``len()``.

    Subclasses provide :meth:`chunks` (and :meth:`n_rows` when they know it).
    Setting ``source.prefetch = True`` reads chunks one ahead in a background
    thread: it helps where spare cores decode while others train; on a busy
    2-core machine it measured slower (bench/streaming.py), so it is off by default.

    Parameters
    ----------
    batch_size : int, optional
        Rows per batch; None lets ``fit`` decide (its ``batch_size``).
    shuffle : bool, optional
        Shuffle the order of files, row groups and blocks, and the rows within
        a bounded buffer; None lets ``fit`` decide (its ``shuffle``).
    random_state : None, int or numpy.random.Generator
        Seeds the shuffling; None lets ``fit`` decide (its ``random_state``).
    buffer_rows : int
        Rows in the shuffle buffer; memory is bounded by it, not by the data.
    """

    prefetch = False

    def __init__(self, batch_size: int | None = None, shuffle: bool | None = None,
                 random_state: int | np.random.Generator | None = None,
                 buffer_rows: int = DEFAULT_BUFFER_ROWS) -> None:
        self.batch_size = None if batch_size is None else check_positive_int(batch_size, "batch_size")
        if shuffle is not None and not isinstance(shuffle, (bool, np.bool_)):
            raise TypeError(f"shuffle must be True, False or None, got {type(shuffle).__name__} {shuffle!r}")
        self.shuffle = shuffle
        self.random_state = random_state
        self.buffer_rows = check_positive_int(buffer_rows, "buffer_rows")
        self._rng = None if random_state is None else check_random_state(random_state)

    # -- what subclasses provide -------------------------------------------
    def chunks(self, shuffle: bool, rng: np.random.Generator) -> Iterator[tuple[Any, ...]]:
        """Yield ``(X, y, sample_weight, mask)`` chunks of any number of rows, in file order
        (or, with ``shuffle``, files, row groups or blocks in a random order)."""
        raise NotImplementedError(f"{type(self).__name__} must define chunks(shuffle, rng)")

    def n_rows(self) -> int | None:
        """The number of rows, or None when it is not known without reading everything."""
        return None

    # -- what fit/evaluate/predict use -------------------------------------
    def batches(self, batch_size: int = 32, shuffle: bool = False,
                rng: np.random.Generator | None = None) -> Iterator[tuple[Any, ...]]:
        """One epoch of batches; the source's own settings win over the arguments."""
        from numnet.data.buffer import rebatch
        from numnet.data.prefetch import prefetch

        size = self.batch_size or batch_size
        shuffle = bool(self.shuffle if self.shuffle is not None else shuffle)
        rng = self._rng or rng or np.random.default_rng()
        chunks = self.chunks(shuffle, rng)
        if self.prefetch:  # files: read the next chunk while this one trains
            chunks = prefetch(chunks)
        return rebatch(chunks, size, shuffle, rng, self.buffer_rows)

    def n_batches(self, batch_size: int = 32) -> int | None:
        """Batches per epoch (None: unknown), for the progress bar's ETA."""
        rows = self.n_rows()
        return None if rows is None else math.ceil(rows / (self.batch_size or batch_size))

    def __iter__(self):
        return iter(self.batches(self.batch_size or 32, bool(self.shuffle)))

    def __len__(self):
        n = self.n_batches()
        if n is None:
            raise TypeError(f"this {type(self).__name__} does not know its length before it is read")
        return n

    def peek(self) -> tuple[Any, ...]:
        """The first batch, without shuffling: tells the model its input width."""
        for batch in self.batches(self.batch_size or 32, shuffle=False):
            return batch
        raise ValueError(f"the data source {self!r} yielded no rows; check that the file or "
                         "generator holds data")


def is_source(obj: object) -> bool:
    """True for a :class:`DataSource`."""
    return isinstance(obj, DataSource)


def is_dask_array(obj) -> bool:
    """True for a ``dask.array.Array``, recognised without importing dask."""
    return hasattr(obj, "__dask_graph__") and hasattr(obj, "chunks") and hasattr(obj, "blocks")


def streams(X: object) -> bool:
    """True when ``X`` must be read batch by batch: a source, a memory map or a Dask array."""
    return is_source(X) or isinstance(X, np.memmap) or is_dask_array(X)
