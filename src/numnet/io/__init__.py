"""Model files: ``save_model`` / ``load_model`` for the safe ``.numnet`` format.

NumPy and the standard library only (``save_estimator`` / ``load_estimator``
import scikit-learn when they run); loading never runs code from the file.
"""
from numnet.io.archive import FORMAT_VERSION
from numnet.io.estimators import load_estimator, save_estimator
from numnet.io.model_file import load_model, save_model

__all__ = ["save_model", "load_model", "save_estimator", "load_estimator", "FORMAT_VERSION"]
