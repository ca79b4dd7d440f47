"""Losses: ``forward`` returns the mean over samples, ``backward`` is already divided by n."""
from numnet.losses.base import Loss
from numnet.losses.crossentropy import BinaryCrossEntropy, CategoricalCrossEntropy
from numnet.losses.masked_crossentropy import MaskedCategoricalCrossEntropy
from numnet.losses.regression import Huber, MeanAbsoluteError, MeanSquaredError

__all__ = ["Loss", "CategoricalCrossEntropy", "BinaryCrossEntropy", "MeanSquaredError",
           "MeanAbsoluteError", "Huber", "MaskedCategoricalCrossEntropy"]
