"""``Input(shape)``: declares the width of ``X`` at the front of a model, as in Keras.

``Sequential([Input((2,)), Dense(64), ReLU(), Dense(3)])`` builds at once,
so ``summary()``, the network diagram and ``predict`` work before ``fit``.
``Input`` is a marker, not a layer: it computes nothing, so the model keeps
only the width (``model.n_features``), which its config and model files
already store. Summaries and saved models therefore look the same whether
the width came from ``Input``, ``Dense(n_inputs, n_neurons)`` or ``build``.
"""
from __future__ import annotations

import numbers


class Input:
    """The shape of one input sample, ``(n_features,)``.

    Parameters
    ----------
    shape : int or tuple of one int
        The number of features per sample; ``Input(2)`` and ``Input((2,))`` are the same.
        numnet's models take 2-D ``X`` of shape ``(n_samples, n_features)``, so the
        batch size is never part of the shape.
    name : str, optional
        Accepted for Keras habits; not used.

    Raises
    ------
    ValueError, TypeError
        If ``shape`` is not one positive integer.

    Examples
    --------
    >>> Input((2,)).n_features, Input(64)
    (2, Input(shape=(64,)))
    """

    def __init__(self, shape: int | tuple[int], name: str | None = None) -> None:
        self.n_features = input_width(shape, "Input shape")
        self.shape = (self.n_features,)
        self.name = name

    def __repr__(self):
        return f"Input(shape={self.shape})"


def input_width(shape, what: str = "input_shape") -> int:
    """The feature count from ``shape``: an int or a tuple/list of one int (a trailing None batch is refused).

    Examples
    --------
    >>> input_width(3), input_width((3,)), input_width([3])
    (3, 3, 3)
    """
    if isinstance(shape, (tuple, list)):
        if len(shape) != 1:
            raise ValueError(
                f"{what} must be one number of features, e.g. (2,), got {tuple(shape)!r}; numnet "
                "models take X of shape (n_samples, n_features) and the sample count is never part of "
                "the shape")
        shape = shape[0]
    if isinstance(shape, bool) or not isinstance(shape, numbers.Integral) or shape < 1:
        raise ValueError(f"{what} must be a positive number of features such as (2,), got {shape!r}")
    return int(shape)
