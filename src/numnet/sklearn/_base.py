"""What MLPClassifier and MLPRegressor share: fitting, the training loop's bookkeeping, weights.

The semantics follow scikit-learn's ``BaseMultilayerPerceptron`` (read, not
copied): ``loss_curve_`` holds one size-weighted mean loss per epoch; training
stops when the loss has not improved by ``tol`` for more than
``n_iter_no_change`` epochs (or, with ``early_stopping``, the validation
score), where ``learning_rate='adaptive'`` first divides SGD's rate by 5
until it falls to 1e-6; ``warm_start`` and ``partial_fit`` continue from the
current weights; early stopping restores the weights of the best epoch.
"""
from __future__ import annotations

import threading
import warnings

from typing import TypeVar

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from numnet._validation import check_random_state
from numnet.sklearn import _network
from numnet.sklearn._data import check_sample_weight, take, validate_X, validation_split
from numnet.sklearn._params import check_params
from numnet.sklearn._solvers import make_optimizer, run_epoch, run_lbfgs

STOCHASTIC_SOLVERS = ("sgd", "adam")
_TRACKERS = ("loss_curve_", "best_loss_", "validation_scores_", "best_validation_score_")
# numnet layers cache their last input and output on themselves, so two threads predicting
# with one estimator at once would overwrite each other's caches; predictions take turns.
_PREDICT_LOCK = threading.Lock()

# fit returns the estimator it was called on, typed as its own class.
_MLP = TypeVar("_MLP", bound="BaseMLP")


class BaseMLP(BaseEstimator):
    """Shared logic; subclasses add ``__init__``, target handling, ``predict`` and scoring.

    Subclasses implement ``_validate_input(X, y, incremental, reset) -> (X, Y, y)``
    (``Y`` the float targets of shape (n_samples, n_outputs), ``y`` what
    ``_score`` compares predictions with), ``_output_loss()``,
    ``_extra_weights(y, incremental)`` and ``_score(X, y, sample_weight)``.
    """

    # -- the scikit-learn contract ----------------------------------------------------------
    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "network_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # -- weights --------------------------------------------------------------------------
    @property
    def coefs_(self) -> list:
        """Weights of each Dense layer, ``coefs_[i]`` of shape (n_units[i], n_units[i + 1])."""
        return self._parameters("weights", "coefs_")

    @coefs_.setter
    def coefs_(self, values):
        self._set_parameters("weights", "coefs_", values)

    @property
    def intercepts_(self) -> list:
        """Biases of each Dense layer, ``intercepts_[i]`` of shape (n_units[i + 1],)."""
        return self._parameters("biases", "intercepts_")

    @intercepts_.setter
    def intercepts_(self, values):
        self._set_parameters("biases", "intercepts_", values)

    def _parameters(self, key: str, kind: str) -> list:
        if "network_" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__} has no {kind} before it is fitted")
        layers = _network.dense_layers(self.network_)
        return _network.ParameterList([layer.params[key] for layer in layers], kind)

    def _set_parameters(self, key: str, kind: str, values) -> None:
        if "network_" not in self.__dict__:
            raise ValueError(
                f"{kind} can only be set on a fitted {type(self).__name__}: fit it first (a "
                f"partial_fit or a fit with max_iter=1 builds the network), then assign {kind}")
        targets = self._parameters(key, kind)
        values = list(values)
        if len(values) != len(targets):
            raise ValueError(f"{kind} must be a list of {len(targets)} arrays, one per layer, "
                             f"got {len(values)}")
        for i, value in enumerate(values):
            _network.copy_into(targets[i], value, f"{kind}[{i}]")

    # -- fitting --------------------------------------------------------------------------
    def fit(self: _MLP, X: ArrayLike, y: ArrayLike,
            sample_weight: ArrayLike | None = None) -> _MLP:
        """Fit the network to ``X`` (n_samples, n_features) and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels (classification) or values (regression).
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _partial_fit_available(self) -> bool:
        if self.solver not in STOCHASTIC_SOLVERS:
            raise AttributeError(f"partial_fit is only available for stochastic optimizers "
                                 f"('sgd', 'adam'); solver={self.solver!r} is not stochastic")
        return True

    def _fit(self, X, y, sample_weight, incremental: bool):
        config = check_params(self)
        first_pass = "network_" not in self.__dict__ or (not self.warm_start and not incremental)
        X, Y, y = self._validate_input(X, y, incremental, reset=first_pass)
        weights = self._combined_weights(sample_weight, X.shape[0], y, incremental)
        rng = check_random_state(self.random_state)
        loss = self._output_loss()
        if first_pass:
            self._initialize(X, Y, config, loss, rng)
        else:
            self._check_outputs(Y)
            _network.flat_parameters(self.network_)  # repack after unpickling
        if self.solver in STOCHASTIC_SOLVERS:
            self._fit_stochastic(X, Y, y, weights, loss, rng, incremental)
        else:
            self._fit_lbfgs(X, Y, weights, loss)
        _network.clear_caches(self.network_)
        if not np.isfinite(_network.flat_parameters(self.network_).values).all():
            raise ValueError("Solver produced non-finite parameter weights. The input data may "
                             "contain large values and need to be preprocessed (for example "
                             "with sklearn.preprocessing.StandardScaler).")
        return self

    def _combined_weights(self, sample_weight, n_samples, y, incremental):
        """Sample weights times class weights (classifier), as float64, or None."""
        weights = check_sample_weight(sample_weight, n_samples)
        extra = self._extra_weights(y, incremental)
        if extra is not None:
            weights = extra if weights is None else weights * extra
        return weights

    def _extra_weights(self, y, incremental):
        return None

    def _initialize(self, X, Y, config, loss, rng) -> None:
        """Build a fresh network and reset every fitted attribute."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = Y.shape[1]
        units = [X.shape[1], *config["hidden"], self.n_outputs_]
        self.n_layers_ = len(units)
        self.out_activation_ = loss.out_activation
        self.network_ = _network.build_network(
            units, config["activations"], loss.out_activation, config["dropout"],
            self.batch_norm, X.dtype, rng)
        self._best_weights = _network.snapshot(self.network_)
        for name in ("_optimizer", *_TRACKERS):
            self.__dict__.pop(name, None)
        if self.solver in STOCHASTIC_SOLVERS:
            self._reset_trackers()

    def _reset_trackers(self) -> None:
        self.loss_curve_: list[float] = []
        self._no_improvement_count = 0
        if self.early_stopping:
            self.validation_scores_: list[float] = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.best_loss_ = np.inf
            self.validation_scores_ = None  # type: ignore[assignment]  # None: no validation, as in scikit-learn
            self.best_validation_score_ = None  # type: ignore[assignment]

    def _check_outputs(self, Y) -> None:
        if Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} outputs, but this {type(self).__name__} was fitted with "
                f"{self.n_outputs_}; continue with targets of the same shape, or set "
                "warm_start=False to start again")

    # -- L-BFGS ---------------------------------------------------------------------------
    def _fit_lbfgs(self, X, Y, weights, loss) -> None:
        result = run_lbfgs(self.network_, loss, X, Y, weights, self.alpha, self.max_iter,
                           self.max_fun, self.tol, bool(self.verbose))
        self.n_iter_ = min(int(result.nit), self.max_iter)
        self.loss_ = float(result.fun)
        if result.status != 0:
            message = result.message.decode() if isinstance(result.message, bytes) else result.message
            warnings.warn(
                f"lbfgs failed to converge after {self.n_iter_} iteration(s) (status="
                f"{result.status}): {message}. Increase max_iter (now {self.max_iter}) or "
                f"max_fun (now {self.max_fun}), or scale the data, for example with "
                "sklearn.preprocessing.StandardScaler.", ConvergenceWarning)

    # -- SGD and Adam ---------------------------------------------------------------------
    def _fit_stochastic(self, X, Y, y, weights, loss, rng, incremental) -> None:
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True; fit with "
                             "early_stopping=True, or call partial_fit with early_stopping=False")
        if not incremental or "_optimizer" not in self.__dict__:
            self._optimizer = make_optimizer(self)
        if getattr(self, "loss_curve_", None) is None or \
                self.early_stopping != (getattr(self, "validation_scores_", None) is not None):
            self._reset_trackers()  # warm start after a change of solver or of early_stopping
        train, validation = self._split(X, Y, y, weights, rng)
        batch_size = self._batch_size(train[0].shape[0])
        self.n_iter_ = 0
        try:
            for _ in range(self.max_iter):
                if self._run_one_epoch(train, validation, loss, batch_size, rng):
                    break
                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                                  "reached and the optimization hasn't converged yet.",
                                  ConvergenceWarning)
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.")
        if self.early_stopping:
            _network.restore(self.network_, self._best_weights)

    def _split(self, X, Y, y, weights, rng):
        """``((X, Y, w) for training, (X, y, w) for validation or None)``."""
        if not self.early_stopping:
            return (X, Y, weights), None
        # Stratify single-output classification only (not multilabel), as scikit-learn does.
        stratify = y if self._stratify_validation() and y.ndim == 1 else None
        seed = int(rng.integers(2**31 - 1))
        train, val = validation_split(X.shape[0], self.validation_fraction, stratify, seed)
        return take(train, X, Y, weights), take(val, X, y, weights)

    def _stratify_validation(self) -> bool:
        return False

    def _batch_size(self, n_samples: int) -> int:
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(f"batch_size={self.batch_size} is larger than the {n_samples} training "
                          f"samples; it is clipped to {n_samples}")
        return int(np.clip(self.batch_size, 1, n_samples))

    def _run_one_epoch(self, train, validation, loss, batch_size, rng) -> bool:
        """Train one epoch and do its bookkeeping; True when training should stop."""
        X, Y, weights = train
        order = rng.permutation(X.shape[0]) if self.shuffle else None
        self.loss_ = run_epoch(self.network_, loss, self._optimizer, X, Y, weights, batch_size,
                               order, self.alpha)
        self.n_iter_ += 1
        self.t_ += X.shape[0]
        self.loss_curve_.append(self.loss_)
        if self.verbose:
            print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
        self._update_no_improvement_count(validation)
        if self.solver == "sgd" and self.learning_rate == "invscaling":
            self._optimizer.learning_rate = self.learning_rate_init / (self.t_ + 1) ** self.power_t
        if self._no_improvement_count > self.n_iter_no_change:
            if self._stop_or_slow_down():
                return True
            self._no_improvement_count = 0
        return False

    def _update_no_improvement_count(self, validation) -> None:
        if validation is None:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            self.best_loss_ = min(self.best_loss_, self.loss_curve_[-1])  # type: ignore[type-var]  # a float here: no early stopping
            return
        score = self._score(*validation)
        self.validation_scores_.append(score)
        if self.verbose:
            print(f"Validation score: {score:f}")
        if score < self.best_validation_score_ + self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        if score > self.best_validation_score_:
            self.best_validation_score_ = score
            self._best_weights = _network.snapshot(self.network_)

    def _stop_or_slow_down(self) -> bool:
        """After ``n_iter_no_change`` epochs without progress: stop, or (adaptive SGD) slow down."""
        what = "Validation score" if self.early_stopping else "Training loss"
        message = (f"{what} did not improve more than tol={self.tol:f} for "
                   f"{self.n_iter_no_change} consecutive epochs.")
        if self.solver != "sgd" or self.learning_rate != "adaptive":
            if self.verbose:
                print(message + " Stopping.")
            return True
        if self._optimizer.learning_rate <= 1e-6:
            if self.verbose:
                print(message + " Learning rate too small. Stopping.")
            return True
        self._optimizer.learning_rate = self._optimizer.learning_rate / 5.0
        if self.verbose:
            print(message + f" Setting learning rate to {self._optimizer.learning_rate:f}")
        return False

    # -- prediction -----------------------------------------------------------------------
    def _forward(self, X, check_input: bool = True) -> np.ndarray:
        """The network's output activations for ``X``, shape (n_samples, n_outputs)."""
        check_is_fitted(self)
        if check_input:
            X = validate_X(self, X)
        with _PREDICT_LOCK:
            output = _network.forward(self.network_, X, training=False)
            _network.clear_caches(self.network_)
        return output

    def _finite_or_nan(self, X, y, sample_weight, score_function) -> float:
        """``score_function`` of the predictions, or NaN when they are not finite."""
        predictions = self._predict(X, check_input=False)
        if np.issubdtype(np.asarray(predictions).dtype, np.floating) and \
                not np.isfinite(predictions).all():
            return np.nan
        return float(score_function(y, predictions, sample_weight=sample_weight))
