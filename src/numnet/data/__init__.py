"""Data sources: train, evaluate and predict on data larger than memory.

``fit``, ``evaluate`` and ``predict`` take, besides arrays, memory-mapped
arrays (``np.load(path, mmap_mode="r")``), Dask arrays, and the sources made
here. Every source yields ``(X, y, sample_weight, mask)`` batches and holds
at most a read chunk plus its shuffle buffer in memory.

Examples
--------
>>> import numpy as np
>>> from numnet import Sequential, Dense, data
>>> X = np.random.default_rng(0).normal(size=(100, 3)).astype(np.float32)
>>> source = data.from_arrays(X, X.sum(axis=1), batch_size=25)
>>> len(source)
4
>>> model = Sequential([Dense(3, 1)], random_state=0).compile(loss="mse", optimizer="sgd")
>>> history = model.fit(source, epochs=2, verbose=0)
>>> model.predict(source).shape
(100, 1)
"""
from __future__ import annotations

import os
from typing import Any, Callable, Iterable, Sequence, Union

import numpy as np
from numpy.typing import ArrayLike

from numnet.data.arrays import ArraySource, DaskSource
from numnet.data.base import DataSource, is_dask_array, is_source, streams
from numnet.data.csv import CsvSource
from numnet.data.iterables import IterableSource
from numnet.data.parquet import ParquetSource

RandomState = Union[int, np.random.Generator, None]
PathOrPaths = Union[str, os.PathLike, Sequence[Union[str, os.PathLike]]]

__all__ = ["DataSource", "from_arrays", "from_csv", "from_parquet", "from_batches", "from_dask",
           "as_source", "is_source", "streams"]


def from_arrays(X: ArrayLike, y: ArrayLike | None = None, sample_weight: ArrayLike | None = None,
                mask: ArrayLike | None = None, *, batch_size: int | None = None,
                shuffle: bool | None = None, random_state: RandomState = None,
                buffer_rows: int = 20_000) -> ArraySource:
    """A source over arrays or memory maps, read block by block.

    Parameters
    ----------
    X : array-like or numpy.memmap of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_outputs), optional
    sample_weight : array-like of shape (n_samples,), optional
    mask : array-like of shape (n_samples, n_outputs), optional
    batch_size, shuffle, random_state, buffer_rows
        See :class:`DataSource`; None lets ``fit`` decide.
    """
    return ArraySource(X, y, sample_weight, mask, batch_size=batch_size, shuffle=shuffle,
                       random_state=random_state, buffer_rows=buffer_rows)


def from_csv(path: PathOrPaths, target: str | int,
             features: Sequence[str | int] | None = None, chunk_rows: int | None = None, *,
             classes: Sequence[Any] | None = None, delimiter: str = ",",
             batch_size: int | None = None, shuffle: bool | None = None,
             random_state: RandomState = None, buffer_rows: int = 20_000) -> CsvSource:
    """A source over a numeric CSV file (or a directory of them) with a header line.

    Parameters
    ----------
    path : str or path-like
    target : str
        The column to predict.
    features : list of str, optional
        The input columns (default: every column but the target).
    chunk_rows : int, optional
        Lines parsed at a time (default: about 8 MB of values).
    classes : list, optional
        Every label of a text target column, in class-index order.
    """
    return CsvSource(path, target, features, chunk_rows, classes=classes, delimiter=delimiter,
                     batch_size=batch_size, shuffle=shuffle, random_state=random_state,
                     buffer_rows=buffer_rows)


def from_parquet(path: PathOrPaths, target: str,
                 features: Sequence[str] | None = None, *, classes: Sequence[Any] | None = None,
                 read_rows: int | None = None, batch_size: int | None = None,
                 shuffle: bool | None = None, random_state: RandomState = None,
                 buffer_rows: int = 20_000) -> ParquetSource:
    """A source over a Parquet file or a directory of part files (needs pyarrow).

    Parameters
    ----------
    path : str or path-like
    target : str
    features : list of str, optional
        Numeric input columns (default: every column but the target).
    classes : list, optional
        Every label of a text target column, in class-index order.
    read_rows : int, optional
        Rows per record batch read from the file (default: about 32 MB of values).
    """
    return ParquetSource(path, target, features, read_rows=read_rows, classes=classes,
                         batch_size=batch_size, shuffle=shuffle, random_state=random_state,
                         buffer_rows=buffer_rows)


def from_batches(batches: Iterable[Any] | Callable[[], Iterable[Any]],
                 n_batches: int | None = None, *, batch_size: int | None = None,
                 shuffle: bool | None = None, random_state: RandomState = None,
                 buffer_rows: int = 20_000) -> IterableSource:
    """A source over user batches: a generator function (called each epoch) or an iterable."""
    return IterableSource(batches, n_batches, batch_size=batch_size, shuffle=shuffle,
                          random_state=random_state, buffer_rows=buffer_rows)


def from_dask(X: Any, y: Any = None, sample_weight: Any = None, mask: Any = None, *,
              batch_size: int | None = None, shuffle: bool | None = None,
              random_state: RandomState = None, buffer_rows: int = 20_000) -> DaskSource:
    """A source over Dask arrays, computed one block of rows at a time."""
    return DaskSource(X, y, sample_weight, mask, batch_size=batch_size, shuffle=shuffle,
                      random_state=random_state, buffer_rows=buffer_rows)


def as_source(X: Any, y: Any = None, sample_weight: Any = None, mask: Any = None) -> DataSource:
    """``X`` itself when it is a source; otherwise a source over the arrays (memory map, Dask, iterable)."""
    if is_source(X):
        if any(a is not None for a in (y, sample_weight, mask)):
            raise ValueError(f"X is a data source, which yields y (and weights, masks) itself; pass "
                             f"y=None, or wrap the arrays with numnet.data.from_arrays instead ({X!r})")
        return X
    if is_dask_array(X):
        return from_dask(X, y, sample_weight, mask)
    if y is None and not hasattr(X, "shape") and (callable(X) or hasattr(X, "__iter__")):
        return from_batches(X)
    return from_arrays(X, y, sample_weight, mask)
