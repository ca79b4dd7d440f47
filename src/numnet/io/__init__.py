"""Model files: ``save_model`` / ``load_model`` for the safe ``.numnet`` format.

NumPy and the standard library only; loading never runs code from the file.
"""
from numnet.io.archive import FORMAT_VERSION
from numnet.io.model_file import load_model, save_model

__all__ = ["save_model", "load_model", "FORMAT_VERSION"]
