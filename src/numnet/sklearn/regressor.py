"""``MLPRegressor``: scikit-learn's multi-layer perceptron regressor, on numnet's core."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if

from numnet.sklearn._base import BaseMLP
from numnet.sklearn._data import validate_X_y
from numnet.sklearn._losses import regression_loss
from numnet.sklearn._params import check_choice, check_real

LOSSES = ("squared_error", "poisson", "absolute_error", "huber")


class MLPRegressor(RegressorMixin, BaseMLP):
    """Multi-layer perceptron regressor: a drop-in for scikit-learn's, with extras.

    The parameters, their defaults, the fitted attributes and the methods are
    those of ``sklearn.neural_network.MLPRegressor``, and so is the training,
    so that replacing the import is enough. The network is a
    :class:`numnet.Sequential`, available after fitting as ``network_``.

    Parameters
    ----------
    loss : {'squared_error', 'poisson', 'absolute_error', 'huber'}, default='squared_error'
        ``'squared_error'`` is half the mean squared error and ``'poisson'`` half
        the Poisson deviance with an exp output, as in scikit-learn. numnet
        extras: ``'absolute_error'`` (mean absolute error, robust to outliers)
        and ``'huber'`` (squared within ``huber_delta``, absolute beyond).
    hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate, \
learning_rate_init, power_t, max_iter, shuffle, random_state, tol, verbose, warm_start, \
momentum, nesterovs_momentum, early_stopping, validation_fraction, beta_1, beta_2, epsilon, \
n_iter_no_change, max_fun, dropout, batch_norm
        As for :class:`~numnet.sklearn.MLPClassifier`; early stopping scores R².
    huber_delta : float, default=1.0
        numnet extra: where the Huber loss turns from quadratic to linear, in
        the units of ``y``.

    Attributes
    ----------
    loss_, best_loss_, loss_curve_, validation_scores_, best_validation_score_, t_, coefs_, \
intercepts_, n_features_in_, feature_names_in_, n_iter_, n_layers_, n_outputs_, network_
        As for :class:`~numnet.sklearn.MLPClassifier`.
    out_activation_ : str
        ``'exp'`` for the Poisson loss, ``'identity'`` otherwise.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from numnet.sklearn import MLPRegressor
    >>> X, y = make_regression(n_samples=100, n_features=3, noise=1.0, random_state=0)
    >>> reg = MLPRegressor(hidden_layer_sizes=(8,), activation="identity", solver="lbfgs",
    ...                    random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    >>> reg.score(X, y) > 0.99
    True
    """

    def __init__(self, loss: str = "squared_error",
                 hidden_layer_sizes: int | Sequence[int] = (100,), activation: str = "relu", *,
                 solver: str = "adam", alpha: float = 0.0001, batch_size: int | str = "auto",
                 learning_rate: str = "constant", learning_rate_init: float = 0.001,
                 power_t: float = 0.5, max_iter: int = 200, shuffle: bool = True,
                 random_state: int | np.random.RandomState | np.random.Generator | None = None,
                 tol: float = 1e-4, verbose: bool | int = False, warm_start: bool = False,
                 momentum: float = 0.9, nesterovs_momentum: bool = True,
                 early_stopping: bool = False, validation_fraction: float = 0.1,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8,
                 n_iter_no_change: int = 10, max_fun: int = 15000, dropout: float = 0.0,
                 batch_norm: bool = False,
                 huber_delta: float = 1.0) -> None:
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.huber_delta = huber_delta

    def _validate_input(self, X, y, incremental, reset):
        check_choice(self.loss, "loss", LOSSES)
        check_real(self.huber_delta, "huber_delta", low=0, low_open=True)
        X, y = validate_X_y(self, X, y, reset=reset, y_numeric=True)
        Y = np.asarray(y, dtype=X.dtype).reshape(y.shape[0], -1)
        if self.loss == "poisson" and (Y < 0).any():
            raise ValueError(f"loss='poisson' needs y >= 0 (counts or rates), but y has "
                             f"{int((Y < 0).sum())} negative values; use "
                             "loss='squared_error' for signed targets")
        return X, Y, y

    def _output_loss(self):
        return regression_loss(self.loss, self.huber_delta)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted values, shape (n_samples,) or (n_samples, n_outputs)."""
        return self._predict(X)

    def _predict(self, X, check_input=True):
        output = self._forward(X, check_input)
        return output.ravel() if output.shape[1] == 1 else output

    def _score(self, X, y, sample_weight=None):
        return self._finite_or_nan(X, y, sample_weight, r2_score)

    @available_if(lambda est: est._partial_fit_available())
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``(X, y)``, continuing from the current weights.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
