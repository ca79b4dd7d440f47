"""Inverted dropout."""
from __future__ import annotations

import numpy as np

from numnet._validation import check_random_state
from numnet.layers.base import Layer
from numnet.layers.dense import _seed_config
from numnet.registry import LAYERS


@LAYERS.register("dropout")
class Dropout(Layer):
    """Zeroes a random fraction ``rate`` of the inputs while training.

    The kept inputs are scaled by ``1 / (1 - rate)`` ("inverted" dropout), so
    the expected output equals the input and inference is the identity.

    Parameters
    ----------
    rate : float in [0, 1)
        Fraction of inputs *dropped* (as in Keras and PyTorch).
    random_state : None, int or numpy.random.Generator
    """

    def __init__(self, rate: float = 0.5, random_state: int | np.random.Generator | None = None,
                 name: str | None = None) -> None:
        super().__init__(name=name)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout rate is the fraction dropped and must be in [0, 1), got {rate}")
        self.rate = float(rate)
        self.random_state = random_state
        self._rng = check_random_state(random_state)

    def reseed(self, seed: int | np.random.Generator | None) -> None:
        """Restart the mask stream from ``seed``; ``Sequential`` and ``fit(random_state=...)`` call it."""
        self._rng = check_random_state(seed)

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """In training, zero a fraction ``rate`` of the entries and scale the rest by ``1 / (1 - rate)``.

        The scaling keeps each entry's expected value, so inference (``training=False``)
        is the identity and needs no rescaling.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
        training : bool, default False

        Returns
        -------
        Y : ndarray of shape (n_samples, n_features)
        """
        if not training:
            return X  # inference: the identity, and nothing written on the layer
        if self.rate == 0.0:
            self._keep(training, mask=None)
            return X
        keep = 1.0 - self.rate
        mask = (self._rng.random(X.shape, dtype=np.float32) < keep).astype(X.dtype)
        mask /= keep
        self._keep(training, mask=mask)
        return X * mask

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """``dL/dX = dY * mask``: the same entries are zeroed and scaled as in the forward.

        Parameters
        ----------
        dY : ndarray of shape (n_samples, n_features)

        Returns
        -------
        dX : ndarray of shape (n_samples, n_features)
        """
        mask = self._cached("mask")
        return dY if mask is None else dY * mask

    def get_config(self) -> dict:
        """Constructor arguments as plain JSON data; ``from_config`` rebuilds the layer."""
        return {"name": self.name, "rate": self.rate, "random_state": _seed_config(self.random_state)}
