"""Layers: each has ``forward(X, training)`` / ``backward(dY)`` and ``params`` / ``grads``."""
from numnet.layers.activations import (ELU, GELU, Activation, Identity, LeakyReLU, ReLU, Sigmoid,
                                       Softmax, Softplus, Tanh, log_softmax, sigmoid, softmax)
from numnet.layers.base import Layer
from numnet.layers.batchnorm import BatchNorm
from numnet.layers.dense import Dense
from numnet.layers.dropout import Dropout
from numnet.layers.masked_softmax import MaskedSoftmax, check_mask, masked_softmax

__all__ = ["Layer", "Dense", "Dropout", "BatchNorm", "Activation", "ReLU", "LeakyReLU", "ELU",
           "GELU", "Sigmoid", "Tanh", "Softplus", "Identity", "Softmax", "softmax", "log_softmax",
           "MaskedSoftmax", "masked_softmax", "check_mask",
           "sigmoid"]
