"""Models, the training loop, callbacks and metrics."""
from numnet.model.callbacks import (Callback, EarlyStopping, History, LambdaCallback,
                                    LearningRateScheduler, ReduceLROnPlateau)
from numnet.model.metrics import Accuracy, Metric, R2Score
from numnet.model.sequential import Sequential

__all__ = ["Sequential", "Callback", "EarlyStopping", "History", "LambdaCallback",
           "LearningRateScheduler", "ReduceLROnPlateau", "Metric", "Accuracy", "R2Score"]
