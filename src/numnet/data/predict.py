"""``predict`` on data read batch by batch: memory maps, sources, Dask arrays."""
from __future__ import annotations

import numpy as np

from numnet._validation import check_positive_int
from numnet.data.base import is_dask_array, is_source

PREDICT_ROWS = 4096


def predict_stream(model, X, batch_size=None, mask=None):
    """The model's outputs for ``X`` read batch by batch.

    Parameters
    ----------
    model : Sequential
    X : DataSource, numpy.memmap or dask.array.Array of shape (n_samples, n_features)
    batch_size : int, optional
        Rows per forward pass (default 4096, or the source's own).
    mask : array-like of shape (n_samples, n_outputs), optional

    Returns
    -------
    ndarray of shape (n_samples, n_outputs), or a dask.array.Array for a Dask ``X``
    """
    size = PREDICT_ROWS if batch_size is None else check_positive_int(batch_size, "batch_size")
    if is_dask_array(X):
        return _predict_dask(model, X, size, mask)
    from numnet.data import as_source

    source = X if is_source(X) else as_source(X, None, None, mask)
    parts = [model.predict(np.asarray(Xb), mask=mb)
             for Xb, _, _, mb in source.batches(source.batch_size or size, shuffle=False)]
    if not parts:
        raise ValueError(f"predict got no rows from {source!r}; check that it holds data")
    return np.concatenate(parts)


def _predict_dask(model, X, batch_size, mask):
    """A Dask array of outputs, one block per block of rows of ``X`` (nothing computed here)."""
    if mask is not None:
        raise ValueError("mask is not supported with a Dask X; compute the mask's blocks with X, "
                         "or predict block by block with numpy arrays")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D, (n_samples, n_features), got a Dask array of shape {X.shape}")
    model.check_input(np.zeros((1, X.shape[1]), model.dtype or np.float32))  # builds; checks width
    X = X.rechunk({1: -1}) if X.numblocks[1] > 1 else X
    n_outputs = model.n_outputs

    def block_outputs(block):
        return model.predict(np.asarray(block), batch_size=batch_size)

    return X.map_blocks(block_outputs, dtype=model.dtype, chunks=(X.chunks[0], (n_outputs,)))
