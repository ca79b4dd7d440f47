"""numnet: neural networks in plain NumPy, correct to the last gradient.

Shapes are batch-first everywhere: ``X`` is ``(n_samples, n_features)``,
Dense weights are ``(n_inputs, n_neurons)``, biases ``(n_neurons,)`` and
``Y = X @ W + b``. Only NumPy is needed to ``import numnet``; plotting,
scikit-learn, ONNX and the command line are optional extras.
"""
from numnet._version import __version__
from numnet.datasets import (from_one_hot, load_digits, one_hot, sine_data, spiral_data,
                             train_test_split, vertical_data, xor)
from numnet.exceptions import ModelFileError, TrainingDivergedError
from numnet.gradcheck import GradcheckReport, gradcheck
from numnet.io import load_model as load
from numnet.layers import (ELU, GELU, BatchNorm, Dense, Dropout, Identity, Layer, LeakyReLU, ReLU,
                           Sigmoid, Softmax, Softplus, Tanh, log_softmax, sigmoid, softmax)
from numnet.losses import (BinaryCrossEntropy, CategoricalCrossEntropy, Huber, Loss,
                           MeanAbsoluteError, MeanSquaredError)
from numnet.layers.masked_softmax import MaskedSoftmax, masked_softmax
from numnet.losses.masked_crossentropy import MaskedCategoricalCrossEntropy
from numnet.layers.input import Input
from numnet.model import (Callback, CSVLogger, EarlyStopping, History, LambdaCallback,
                          LearningRateScheduler, ModelCheckpoint, ReduceLROnPlateau, Sequential)
from numnet.optimizers import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop


__all__ = [
    "Sequential", "Layer", "Dense", "Dropout", "BatchNorm", "ReLU", "LeakyReLU", "ELU", "GELU",
    "Sigmoid", "Tanh", "Softplus", "Identity", "Softmax", "softmax", "log_softmax", "sigmoid",
    "Loss", "CategoricalCrossEntropy", "BinaryCrossEntropy", "MeanSquaredError",
    "MeanAbsoluteError", "Huber", "MaskedSoftmax", "masked_softmax", "MaskedCategoricalCrossEntropy",
    "Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad",
    "Callback", "EarlyStopping", "History", "LambdaCallback", "LearningRateScheduler",
    "ReduceLROnPlateau", "ModelCheckpoint", "CSVLogger", "Input",
    "gradcheck", "GradcheckReport", "TrainingDivergedError",
    "ModelFileError", "spiral_data", "vertical_data", "sine_data", "xor", "one_hot",
    "from_one_hot", "load_digits", "train_test_split", "load", "__version__",
]
