"""``MLPClassifier``: scikit-learn's multi-layer perceptron classifier, on numnet's core."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels

from numnet.sklearn._base import BaseMLP
from numnet.sklearn._data import (check_classification_targets, class_weight_factors,
                                  validate_X_y)
from numnet.sklearn._losses import classification_loss


class MLPClassifier(ClassifierMixin, BaseMLP):
    """Multi-layer perceptron classifier: a drop-in for scikit-learn's, with extras.

    The parameters, their defaults, the fitted attributes and the methods are
    those of ``sklearn.neural_network.MLPClassifier``, and so is the training
    (log-loss with an L2 penalty, by L-BFGS, SGD or Adam), so that replacing
    the import is enough. The network is a :class:`numnet.Sequential`,
    available after fitting as ``network_``.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Neurons of each hidden layer.
    activation : {'identity', 'logistic', 'tanh', 'relu'} or list, default='relu'
        The hidden layers' activation; a list gives one per hidden layer
        (numnet extra; numnet's own activations such as ``'gelu'`` also work).
    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
    alpha : float, default=0.0001
        L2 penalty: ``0.5 * alpha * sum ||W||²`` divided by the batch's total weight.
    batch_size : int or 'auto', default='auto'
        Mini-batch size for SGD and Adam; ``'auto'`` is ``min(200, n_samples)``.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        SGD's schedule: constant; ``learning_rate_init / (t + 1) ** power_t`` after
        each epoch (``t`` samples seen); or divided by 5 whenever progress stalls.
    learning_rate_init : float, default=0.001
    power_t : float, default=0.5
    max_iter : int, default=200
        Epochs (SGD, Adam) or iterations (L-BFGS).
    shuffle : bool, default=True
        Reshuffle the samples each epoch.
    random_state : None, int, numpy Generator or RandomState, default=None
        Seeds the initial weights, the shuffling, the validation split and dropout.
    tol : float, default=1e-4
    verbose : bool or int, default=False
        Print the loss of each epoch.
    warm_start : bool, default=False
        Continue from the current weights on the next ``fit``.
    momentum : float, default=0.9
    nesterovs_momentum : bool, default=True
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified), stop when its
        accuracy stalls, and keep the best epoch's weights.
    validation_fraction : float, default=0.1
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's parameters.
    n_iter_no_change : int, default=10
    max_fun : int, default=15000
        L-BFGS' limit on loss evaluations.
    dropout : float or list of float, default=0.0
        numnet extra: fraction of each hidden layer's outputs dropped while
        training (SGD and Adam only).
    batch_norm : bool, default=False
        numnet extra: batch normalisation after each hidden Dense layer.
    class_weight : dict, 'balanced' or None, default=None
        numnet extra: weight of each class in the loss, multiplied into
        ``sample_weight``; ``'balanced'`` weighs classes inversely to their
        frequency. Not for multilabel targets.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    loss_ : float
        The loss at the end of training.
    best_loss_ : float or None
        Lowest training loss (SGD, Adam; None with early stopping).
    loss_curve_ : list of float
        Loss of each epoch (SGD, Adam).
    validation_scores_ : list of float or None
        Validation accuracy of each epoch, with early stopping.
    best_validation_score_ : float or None
    t_ : int
        Training samples seen by the solver.
    coefs_ : list of ndarray
        ``coefs_[i]`` has shape (n_units[i], n_units[i + 1]). Assigning
        ``coefs_`` or an item copies the values into the network.
    intercepts_ : list of ndarray
        ``intercepts_[i]`` has shape (n_units[i + 1],).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` had string column names.
    n_iter_ : int
    n_layers_ : int
    n_outputs_ : int
    out_activation_ : str
        ``'softmax'`` (multiclass) or ``'logistic'`` (binary, multilabel).
    network_ : numnet.Sequential
        The trained network (numnet extra).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from numnet.sklearn import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=1000,
    ...                     random_state=0)
    >>> model = make_pipeline(StandardScaler(), clf).fit(X, y)
    >>> model.predict_proba(X[:2]).shape
    (2, 3)
    >>> model.score(X, y) > 0.95
    True
    >>> [w.shape for w in clf.coefs_]
    [(4, 16), (16, 3)]
    """

    def __init__(self, hidden_layer_sizes: int | Sequence[int] = (100,), activation: str = "relu", *,
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
                 class_weight: dict | str | None = None) -> None:
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
        self.class_weight = class_weight

    # -- targets --------------------------------------------------------------------------
    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_X_y(self, X, y, reset=reset)
        check_classification_targets(y, type(self).__name__)
        if "classes_" not in self.__dict__ or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            self._check_known_classes(y)
        Y = self._label_binarizer.transform(y).astype(X.dtype)
        return X, Y, y

    def _check_known_classes(self, y) -> None:
        classes = unique_labels(y)
        if self.warm_start and set(classes) != set(self.classes_):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in the previous "
                f"call to fit. Previously got {self.classes_}, `y` has {classes}; set "
                "warm_start=False to start again with the new classes")
        unknown = np.setdiff1d(classes, self.classes_)
        if len(unknown):
            raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has "
                             f"{self.classes_}. 'y' has {classes}; unseen: {unknown}")

    def _output_loss(self):
        return classification_loss(self._label_binarizer.y_type_)

    def _extra_weights(self, y, incremental):
        if self.class_weight is None:
            return None
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            raise ValueError("class_weight is not supported for multilabel y: each sample has "
                             "several labels; pass sample_weight instead")
        if incremental and self.class_weight == "balanced":
            raise ValueError("class_weight='balanced' is not supported for partial_fit: one "
                             "batch does not show the class frequencies; compute the weights "
                             "with sklearn.utils.class_weight.compute_class_weight on all of "
                             "y and pass them as a dict")
        return class_weight_factors(self.class_weight, self.classes_, y)

    def _stratify_validation(self) -> bool:
        return True

    # -- prediction -----------------------------------------------------------------------
    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted labels: shape (n_samples,), or (n_samples, n_labels) for multilabel."""
        return self._predict(X)

    def _predict(self, X, check_input=True):
        output = self._forward(X, check_input)
        return self._label_binarizer.inverse_transform(output)

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns ordered as ``classes_``."""
        proba = self._forward(X)
        if proba.shape[1] == 1:  # binary: the network outputs P(classes_[1]) only
            proba = np.hstack([1 - proba, proba])
        return proba

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """``log(predict_proba(X))``, shape (n_samples, n_classes)."""
        proba = self.predict_proba(X)
        return np.log(proba, out=proba)

    def _score(self, X, y, sample_weight=None):
        return self._finite_or_nan(X, y, sample_weight, accuracy_score)

    @available_if(lambda est: est._partial_fit_available())
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over ``(X, y)``, continuing from the current weights.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        sample_weight : array-like of shape (n_samples,), optional
        classes : array-like of shape (n_classes,), optional
            Every class of the whole problem; required on the first call.

        Returns
        -------
        self
        """
        if self._first_partial_fit(classes):
            multilabel = type_of_target(y).startswith("multilabel")
            target = y if multilabel else classes
            self._label_binarizer = LabelBinarizer().fit(target)
            self.classes_ = self._label_binarizer.classes_
        return self._fit(X, y, sample_weight, incremental=True)

    def _first_partial_fit(self, classes) -> bool:
        known = self.__dict__.get("classes_")
        if classes is None:
            if known is None:
                raise ValueError("classes must be passed on the first call to partial_fit: "
                                 "pass classes=np.unique(y_all) with every class of the problem")
            return False
        if known is not None:
            if not np.array_equal(known, unique_labels(classes)):
                raise ValueError(f"`classes={classes!r}` is not the same as on last call to "
                                 f"partial_fit, was: {known!r}")
            return False
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
