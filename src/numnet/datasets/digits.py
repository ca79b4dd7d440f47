"""The 8x8 handwritten digits, shipped with numnet.

numnet carries its own copy in ``data/digits.npz`` so that examples and tests
need neither scikit-learn nor a network connection. The file holds two
``uint8`` arrays, ``data`` of shape (1797, 64) and ``target`` of shape
(1797,), written once from ``sklearn.datasets.load_digits()`` with
``np.savez_compressed``.
"""
from __future__ import annotations

from importlib import resources

import numpy as np

from numnet._validation import check_random_state

_N_SAMPLES, _N_FEATURES = 1797, 64


def load_digits(scale: bool = True, shuffle: bool = False,
                random_state: int | np.random.Generator | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Load the 8x8 handwritten digits: 1797 images of the digits 0 to 9.

    Each row is one 8x8 grey-scale image flattened row by row into 64 pixel
    counts between 0 and 16; ``X[i].reshape(8, 8)`` shows the digit.

    Parameters
    ----------
    scale : bool, default=True
        Divide the pixels by 16 so that they lie in [0, 1]; networks train
        poorly on unscaled inputs.
    shuffle : bool, default=False
        Return the samples in a random order instead of the file's order.
    random_state : None, int or numpy.random.Generator, default=None
        Seed or generator for the shuffle; unused when ``shuffle`` is False.

    Returns
    -------
    X : ndarray of shape (1797, 64), float32
        Pixel values, in [0, 1] when ``scale`` is True and in [0, 16] otherwise.
    y : ndarray of shape (1797,), int64
        The digit each image shows, 0 to 9.

    Raises
    ------
    FileNotFoundError
        If the data file is missing from the installed package.

    Notes
    -----
    Source: E. Alpaydin and C. Kaynak, "Optical Recognition of Handwritten
    Digits", UCI Machine Learning Repository, 1998,
    https://doi.org/10.24432/C50P49,
    https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits
    (the test set, ``optdigits.tes``), as also distributed by scikit-learn's
    ``load_digits``. Licensed under
    Creative Commons Attribution 4.0 International (CC BY 4.0),
    https://creativecommons.org/licenses/by/4.0/.

    Examples
    --------
    >>> X, y = load_digits()
    >>> X.shape, X.dtype, y.shape, y.dtype
    ((1797, 64), dtype('float32'), (1797,), dtype('int64'))
    >>> float(X.min()), float(X.max()), np.unique(y).tolist()
    (0.0, 1.0, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    """
    pixels, target = _read_npz()
    X = pixels.astype(np.float32)
    if scale:
        X /= 16.0  # the pixels are counts of set bits in 4x4 blocks, so 16 is the maximum
    y = target.astype(np.int64)
    if shuffle:
        order = check_random_state(random_state).permutation(len(y))
        X, y = X[order], y[order]
    return X, y


def _read_npz() -> tuple[np.ndarray, np.ndarray]:
    """Read ``data`` and ``target`` from the packaged ``digits.npz``."""
    source = resources.files(__package__) / "data" / "digits.npz"
    try:
        with source.open("rb") as fh, np.load(fh, allow_pickle=False) as npz:
            pixels, target = npz["data"], npz["target"]
    except FileNotFoundError:
        raise FileNotFoundError(
            f"numnet's digits data file is missing ({source}); it ships as package data "
            "in numnet/datasets/data/digits.npz, so reinstall numnet"
        ) from None
    if pixels.shape != (_N_SAMPLES, _N_FEATURES) or target.shape != (_N_SAMPLES,):
        raise ValueError(
            f"numnet's digits data file is damaged: expected data of shape (1797, 64) and "
            f"target of shape (1797,), got {pixels.shape} and {target.shape}; reinstall numnet"
        )
    return pixels, target
