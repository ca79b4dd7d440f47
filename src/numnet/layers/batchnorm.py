"""Batch normalisation over the samples of a batch."""
from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from numnet.layers.base import Layer
from numnet.registry import LAYERS


@LAYERS.register("batch_norm", "batchnorm")
class BatchNorm(Layer):
    """Normalises each feature by the batch's mean and variance, then scales and shifts.

    ``Y = gamma * (X - mean) / sqrt(var + eps) + beta``. In training the batch's
    statistics are used and running averages are updated
    (``running = momentum * running + (1 - momentum) * batch``); at inference the
    running averages are used.

    Parameters
    ----------
    n_features : int, optional
        Width of the input; inferred on first use when omitted.
    momentum : float, default 0.9
    eps : float, default 1e-5
    dtype : numpy dtype, default float32

    Attributes
    ----------
    stats_reducer : object or None
        Data-parallel training plugs one in (see :mod:`numnet.distributed`) so that
        the batch statistics, and their gradient, are those of the global batch:
        ``moments(mean, var, n_rows) -> (mean, var)`` and
        ``gradient_means(m1, m2) -> (m1, m2)``. None: this process's batch alone.
    """

    stats_reducer = None

    def __init__(self, n_features: int | None = None, momentum: float = 0.9, eps: float = 1e-5,
                 dtype: DTypeLike | None = None, name: str | None = None) -> None:
        super().__init__(name=name, dtype=dtype)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"BatchNorm momentum must be in [0, 1), got {momentum}")
        if not eps > 0:
            raise ValueError(f"BatchNorm eps must be > 0, got {eps}")
        self.n_features, self.momentum, self.eps = n_features, float(momentum), float(eps)
        if n_features is not None:
            self.build((n_features,), dtype)

    def build(self, input_shape: tuple, dtype: DTypeLike | None = None) -> None:
        """Create ``gamma`` (ones), ``beta`` (zeros) and the running statistics, each (n_features,)."""
        super().build(input_shape, dtype)
        n = self.n_features = int(input_shape[-1])
        self.params = {"gamma": np.ones(n, self.dtype), "beta": np.zeros(n, self.dtype)}
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}
        self.state = {"running_mean": np.zeros(n, self.dtype), "running_var": np.ones(n, self.dtype)}

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """``gamma * (X - mean) / sqrt(var + eps) + beta``, per feature.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
        training : bool, default False
            True: normalise with this batch's mean and variance and update the running
            statistics; False: use the running statistics and change nothing.

        Returns
        -------
        Y : ndarray of shape (n_samples, n_features)
        """
        self._ensure_built(X)
        if training:
            mean, var = X.mean(axis=0), X.var(axis=0)
            if self.stats_reducer is not None:  # data parallel: the global batch's statistics
                mean, var = self.stats_reducer.moments(mean, var, len(X))
            m = self.momentum
            self.state["running_mean"][...] = m * self.state["running_mean"] + (1 - m) * mean
            self.state["running_var"][...] = m * self.state["running_var"] + (1 - m) * var
        else:
            mean, var = self.state["running_mean"], self.state["running_var"]
        inv_std = 1.0 / np.sqrt(var + self.eps)
        X_hat = (X - mean) * inv_std
        self._keep(training, inv_std=inv_std, X_hat=X_hat)
        return X_hat * self.params["gamma"] + self.params["beta"]

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """Gradient through the batch statistics.

        Notes
        -----
        With ``x̂ = (x - μ) / σ``: ``dγ = Σ dY·x̂``, ``dβ = Σ dY`` and
        ``dX = γ/σ · (dY - mean(dY) - x̂ · mean(dY·x̂))`` (means over samples).
        Backward follows a training forward, which uses the batch's statistics.
        """
        X_hat, inv_std = self._cached("X_hat"), self._cached("inv_std")
        np.sum(dY * X_hat, axis=0, out=self.grads["gamma"])
        np.sum(dY, axis=0, out=self.grads["beta"])
        n = dY.shape[0]
        d_hat = dY * self.params["gamma"]
        if self.stats_reducer is not None:  # the means run over the global batch, as in forward
            m1, m2 = self.stats_reducer.gradient_means(d_hat.sum(axis=0) / n,
                                                       (d_hat * X_hat).sum(axis=0) / n)
            return inv_std * (d_hat - m1 - X_hat * m2)
        return inv_std * (d_hat - d_hat.sum(axis=0) / n
                                - X_hat * (d_hat * X_hat).sum(axis=0) / n)

    def get_config(self) -> dict:
        """Constructor arguments as plain JSON data; ``from_config`` rebuilds the layer."""
        return {"name": self.name, "n_features": self.n_features, "momentum": self.momentum,
                "eps": self.eps, "dtype": None if self.dtype is None else self.dtype.name}
