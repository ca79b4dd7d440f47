"""Model files: ``save_model`` / ``load_model`` for the safe ``.numnet`` format.

NumPy and the standard library only; loading never runs code from the file.
The scikit-learn drop-ins are saved by ``numnet.sklearn.save_estimator``,
which builds on this package (never the reverse).
"""
from numnet.io.archive import FORMAT_VERSION
from numnet.io.model_file import load_model, save_model

__all__ = ["save_model", "load_model", "FORMAT_VERSION"]

_MOVED = {"save_estimator", "load_estimator"}


def __getattr__(name):
    # Say where the estimator functions went, without importing scikit-learn from the core.
    # ImportError, not AttributeError: `from numnet.io import save_estimator` would replace an
    # AttributeError's message by a bare "cannot import name".
    if name in _MOVED:
        raise ImportError(f"numnet.io.{name} moved to numnet.sklearn.{name}: the scikit-learn "
                             f"wrapper saves its own estimators; use from numnet.sklearn import {name}")
    raise AttributeError(f"module 'numnet.io' has no attribute {name!r}")
