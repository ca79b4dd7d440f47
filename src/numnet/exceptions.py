"""Exceptions numnet raises on purpose."""
from __future__ import annotations


class TrainingDivergedError(ValueError):
    """Training produced a non-finite loss or gradient; the last finite weights were restored.

    Attributes
    ----------
    epoch, batch : int
        Where it happened (0-based).
    layer : str or None
        The first layer whose gradient or parameters went non-finite, when known.
    """

    def __init__(self, message: str, epoch: int, batch: int, layer: str | None = None) -> None:
        super().__init__(message)
        self.epoch, self.batch, self.layer = epoch, batch, layer


class ModelFileError(ValueError):
    """A model file is missing, damaged, or not a numnet model file."""
