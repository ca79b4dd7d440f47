"""Build the numnet model that a playground configuration describes (public API only)."""
from __future__ import annotations

from numnet import SGD, Adam, Dense, Dropout, Sequential, Softmax
from numnet.playground.config import Settings, is_classification
from numnet.registry import ACTIVATIONS

MOMENTUM = 0.9


def build_model(settings: Settings, n_features: int, n_outputs: int) -> Sequential:
    """A compiled ``Sequential``: ``Dense -> activation [-> Dropout]`` per hidden layer, then the output.

    Parameters
    ----------
    settings : Settings
    n_features : int
        Input columns (the chosen features).
    n_outputs : int
        Classes for classification (softmax over them), ignored for regression (1 output).

    Returns
    -------
    Sequential
        Compiled with cross-entropy (classification) or mean squared error (regression).
    """
    layers, width = [], n_features
    for size in settings.hidden:
        layers += [Dense(width, size, **penalty(settings)), ACTIVATIONS.get(settings.activation)]
        if settings.dropout > 0:
            layers.append(Dropout(settings.dropout))
        width = size
    if is_classification(settings):
        layers += [Dense(width, n_outputs), Softmax()]
        loss = "categorical_crossentropy"
    else:
        layers.append(Dense(width, 1))
        loss = "mse"
    model = Sequential(layers, random_state=settings.seed, name="playground")
    metrics = ["accuracy"] if is_classification(settings) else ["mae"]
    return model.compile(loss=loss, optimizer=make_optimizer(settings), metrics=metrics)


def penalty(settings: Settings) -> dict:
    """The Dense keyword for the chosen regularization, e.g. ``{"l2": 0.001}`` (or none)."""
    if settings.regularization == "none" or settings.reg_rate == 0:
        return {}
    return {settings.regularization: settings.reg_rate}


def make_optimizer(settings: Settings):
    """SGD, SGD with momentum 0.9, or Adam, at the chosen learning rate."""
    if settings.optimizer == "adam":
        return Adam(learning_rate=settings.learning_rate)
    momentum = MOMENTUM if settings.optimizer == "momentum" else 0.0
    return SGD(learning_rate=settings.learning_rate, momentum=momentum)


def hidden_activation_layers(model: Sequential) -> list:
    """The activation layer of each hidden layer, in order (their outputs are the neuron maps)."""
    dense = [i for i, layer in enumerate(model.layers) if isinstance(layer, Dense)]
    return [model.layers[i + 1] for i in dense[:-1]]
