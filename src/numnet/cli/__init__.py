"""The ``numnet`` command line (an edge of the library: it imports the core, never the reverse)."""
from numnet.cli.main import main

__all__ = ["main"]
