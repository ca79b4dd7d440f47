"""numnet's version: the one place it is written.

``pyproject.toml`` reads it (``[tool.setuptools.dynamic]``), ``numnet.__version__``
re-exports it, and model files record it; this module imports nothing, so any
part of numnet can read it without an import cycle.
"""
__version__ = "0.1.0"
