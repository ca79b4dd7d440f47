"""Models, the training loop, callbacks and metrics."""
from numnet.model.callbacks import (Callback, CSVLogger, EarlyStopping, History, LambdaCallback,
                                    LearningRateScheduler, ModelCheckpoint, ReduceLROnPlateau)
from numnet.model.metrics import Accuracy, Metric, R2Score
from numnet.model.sequential import Sequential

__all__ = ["Sequential", "Callback", "EarlyStopping", "History", "LambdaCallback",
           "LearningRateScheduler", "ReduceLROnPlateau", "ModelCheckpoint", "CSVLogger",
           "Metric", "Accuracy", "R2Score"]
