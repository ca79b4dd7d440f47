"""scikit-learn drop-ins: ``MLPClassifier`` and ``MLPRegressor`` on numnet's core.

Replace ``from sklearn.neural_network import MLPClassifier`` by
``from numnet.sklearn import MLPClassifier`` and the rest of the code,
pipelines and grid searches included, stays as it is. On top of
scikit-learn's parameters they accept per-layer activations, ``dropout``,
``batch_norm``, ``class_weight`` (classifier) and the ``'absolute_error'`` and
``'huber'`` losses (regressor), all off by default. ``save_estimator`` /
``load_estimator`` write and read a fitted one as a safe ``.numnet`` file.

This module needs the ``sklearn`` extra (``pip install ".[sklearn]"``);
``import numnet`` never imports scikit-learn.
"""
try:
    import scipy  # noqa: F401
    import sklearn  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "numnet.sklearn needs scikit-learn and SciPy; install them with "
        'pip install ".[sklearn]" in the numnet folder') from exc

from numnet.sklearn._params import InvalidParameterError
from numnet.sklearn.classifier import MLPClassifier
from numnet.sklearn.persistence import load_estimator, save_estimator
from numnet.sklearn.regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor", "InvalidParameterError", "save_estimator", "load_estimator"]
