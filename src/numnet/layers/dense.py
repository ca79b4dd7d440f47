"""The fully connected layer, ``Y = X @ W + b``."""
from __future__ import annotations

import numbers
from typing import Any, Callable

import numpy as np
from numpy.typing import DTypeLike

from numnet import functional as F
from numnet._validation import check_allocation, check_random_state
from numnet.layers.base import Layer
from numnet.layers.initializers import get_initializer
from numnet.registry import LAYERS, INITIALIZERS, serialize


@LAYERS.register("dense")
class Dense(Layer):
    """A fully connected layer: every input feeds every neuron.

    ``Y = X @ W + b`` with ``X`` of shape ``(n_samples, n_inputs)``, weights ``W``
    of shape ``(n_inputs, n_neurons)`` and biases ``b`` of shape ``(n_neurons,)``.
    The weights have one row per *input feature*, not per sample: the samples
    of a batch all flow through the same weights.

    Parameters
    ----------
    n_inputs : int
        Number of input features. ``Dense(n_neurons)`` with one argument infers
        it from the first batch (or from the previous layer in a model).
    n_neurons : int
        Number of outputs.
    weight_init : {"glorot", "he", "lecun", "normal", "zeros"} or callable
        How weights start; a callable gets ``(shape, rng, dtype)``.
    init_scale : float, optional
        The std for ``weight_init="normal"`` (default 0.01).
    l1, l2 : float
        Penalties ``l1 * sum(|W|)`` and ``l2 * sum(W**2)`` added to the loss.
    bias_l1, bias_l2 : float
        The same for the biases.
    random_state : None, int or numpy.random.Generator
        Seeds the initial weights.
    dtype : numpy dtype, default float32
    activation : str or Layer, optional
        Keras' habit ``Dense(64, activation="relu")``: ``Sequential.add`` puts the
        activation in as a layer of its own right after this one, so the summary,
        the config, model files and the fused softmax + cross-entropy see it
        explicitly. A Dense layer never applies it itself.
    input_shape : tuple of one int, optional
        Keras' habit for the first layer: ``Dense(64, input_shape=(2,))`` is ``Dense(2, 64)``.

    Examples
    --------
    >>> import numpy as np
    >>> layer = Dense(2, 3, random_state=0)
    >>> layer.weights.shape, layer.biases.shape
    ((2, 3), (3,))
    >>> layer.forward(np.ones((300, 2))).shape
    (300, 3)
    """

    weight_init: Any  # as given: a name, a function or an initializer object

    def __init__(self, n_inputs: int | None = None, n_neurons: int | None = None,
                 weight_init: str | Callable[..., np.ndarray] = "glorot",
                 init_scale: float | None = None,
                 l1: float = 0.0, l2: float = 0.0, bias_l1: float = 0.0, bias_l2: float = 0.0,
                 random_state: int | np.random.Generator | None = None, dtype: DTypeLike | None = None,
                 name: str | None = None, activation: str | Layer | None = None,
                 input_shape: tuple[int, ...] | None = None) -> None:
        super().__init__(name=name, dtype=dtype)
        if n_neurons is None:  # Dense(n_neurons): infer the inputs later
            n_inputs, n_neurons = None, n_inputs
        if input_shape is not None:
            n_inputs = _inputs_from_shape(n_inputs, input_shape)
        self.activation = _activation_layer(activation)
        self.n_inputs = _check_size(n_inputs, "n_inputs", allow_none=True)
        self.n_neurons = _check_size(n_neurons, "n_neurons")
        self.weight_init = weight_init
        self.init_scale = init_scale
        self._initializer = get_initializer(weight_init, init_scale)
        for key, value in dict(l1=l1, l2=l2, bias_l1=bias_l1, bias_l2=bias_l2).items():
            if not (isinstance(value, numbers.Real) and value >= 0):
                raise ValueError(f"Dense {key} must be a number >= 0, got {value!r}")
        self.l1, self.l2, self.bias_l1, self.bias_l2 = float(l1), float(l2), float(bias_l1), float(bias_l2)
        self.random_state = random_state
        self.input_grad = True  # a model turns this off for its first layer: dX is never used
        if self.n_inputs is not None:
            self.build((self.n_inputs,), dtype)

    # -- parameters ---------------------------------------------------------
    def build(self, input_shape: tuple, dtype: DTypeLike | None = None) -> None:
        """Draw the weights (n_inputs, n_neurons) with ``weight_init``; zero the biases (n_neurons,).

        Raises
        ------
        ValueError
            If ``input_shape`` disagrees with the ``n_inputs`` given to the constructor.
        """
        n_inputs = int(input_shape[-1])
        if self.n_inputs is not None and n_inputs != self.n_inputs:
            raise ValueError(f"Dense layer {self.name or ''} expects {self.n_inputs} inputs, got {n_inputs}")
        super().build((n_inputs,), dtype)
        self.n_inputs = n_inputs
        check_allocation((n_inputs, self.n_neurons), self.dtype, f"Dense({n_inputs}, {self.n_neurons})'s "
                         "weights", "use fewer inputs or neurons")  # not NumPy's bare MemoryError
        seed = self.random_state
        if seed is None:  # a recorded seed lets a seeded model tell these weights are untouched
            seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> 1)
        self._unseeded_draw = (seed, self.dtype) if self.random_state is None else None
        weights = self._draw_weights(check_random_state(seed), self.dtype)
        self.params = {"weights": weights, "biases": np.zeros(self.n_neurons, dtype=self.dtype)}
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}

    def _draw_weights(self, rng, dtype) -> np.ndarray:
        shape = (self.n_inputs, self.n_neurons)
        weights = np.asarray(self._initializer(shape, rng, dtype), dtype=dtype)
        if weights.shape != shape:
            raise ValueError(f"weight_init returned shape {weights.shape}, expected {shape}")
        return weights

    def reseed_initial_weights(self, seed: int | np.random.Generator | None) -> bool:
        """Redraw the weights from ``seed`` if they are still this layer's unseeded first draw.

        ``Sequential(random_state=...)`` calls this for layers created without a
        ``random_state``, so that a seeded model is reproducible. Weights that were
        assigned, trained or seeded explicitly are left alone. Returns whether it redrew.
        """
        drawn = getattr(self, "_unseeded_draw", None)
        if drawn is None or self.random_state is not None:
            return False
        old_seed, dtype = drawn
        current = self.params["weights"]
        if not np.array_equal(current.astype(dtype, copy=False),
                              self._draw_weights(check_random_state(old_seed), dtype)):
            return False  # changed since the first draw: these are the user's weights now
        self.random_state, self._unseeded_draw = seed, None
        current[...] = self._draw_weights(check_random_state(seed), dtype)
        return True

    @property
    def weights(self) -> np.ndarray:
        """Weights of shape ``(n_inputs, n_neurons)``; assigning copies into the same array."""
        return self.params["weights"]

    @weights.setter
    def weights(self, value):
        _assign(self.params["weights"], value, "weights")

    @property
    def biases(self) -> np.ndarray:
        """Biases of shape ``(n_neurons,)``; assigning copies into the same array."""
        return self.params["biases"]

    @biases.setter
    def biases(self, value):
        _assign(self.params["biases"], value, "biases")

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """``(n_neurons,)``, whatever the input width."""
        return (self.n_neurons,)

    # -- computation --------------------------------------------------------
    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """``X`` (n_samples, n_inputs) -> ``X @ W + b`` (n_samples, n_neurons)."""
        if self.activation is not None:
            _refuse_pending_activation(self)
        self._ensure_built(X)
        self._keep(training, X=X)  # backward needs the input for dL/dW = X.T @ dY
        return F.dense(X, self.params["weights"], self.params["biases"])

    def backward(self, dY: np.ndarray) -> Any:  # dL/dX (n_samples, n_inputs); None: input_grad off
        """Chain rule for ``Y = X @ W + b``.

        Notes
        -----
        ``dL/dW = X.T @ dY`` (n_inputs, n_neurons), ``dL/db = sum over samples of dY``
        (n_neurons,) and ``dL/dX = dY @ W.T`` (n_samples, n_inputs). The sum over
        samples (axis 0) is where hand-written bias gradients often go wrong.
        """
        grads = self.grads
        # Written into the existing arrays: they may be views of the model's flat buffer.
        dX, _, _ = F.dense_backward(dY, self._cached("X"), self.params["weights"],
                                    dW=grads["weights"], db=grads["biases"],
                                    input_grad=self.input_grad)
        if self.l1 or self.l2 or self.bias_l1 or self.bias_l2:
            self._add_penalty_gradients()
        return dX

    def _add_penalty_gradients(self):
        W, b, grads = self.params["weights"], self.params["biases"], self.grads
        if self.l1:
            grads["weights"] += self.l1 * np.sign(W)
        if self.l2:
            grads["weights"] += 2.0 * self.l2 * W
        if self.bias_l1:
            grads["biases"] += self.bias_l1 * np.sign(b)
        if self.bias_l2:
            grads["biases"] += 2.0 * self.bias_l2 * b

    def regularization_loss(self) -> float:
        """``l1*sum|W| + l2*sum W² + bias_l1*sum|b| + bias_l2*sum b²``."""
        W, b = self.params["weights"], self.params["biases"]
        total = 0.0
        if self.l1:
            total += self.l1 * float(np.abs(W).sum())
        if self.l2:
            total += self.l2 * float(np.square(W).sum())
        if self.bias_l1:
            total += self.bias_l1 * float(np.abs(b).sum())
        if self.bias_l2:
            total += self.bias_l2 * float(np.square(b).sum())
        return total

    def get_config(self) -> dict:
        """Constructor arguments as plain JSON data; ``from_config`` rebuilds the layer."""
        init = self.weight_init
        if not isinstance(init, str) and hasattr(init, "get_config"):
            init = serialize(init)
        # A plain function stays as is: from_config takes it back unchanged, and a
        # model file refuses it with a message (a function is not JSON data).
        return {"name": self.name, "n_inputs": self.n_inputs, "n_neurons": self.n_neurons,
                "weight_init": init, "init_scale": self.init_scale, "l1": self.l1, "l2": self.l2,
                "bias_l1": self.bias_l1, "bias_l2": self.bias_l2,
                "random_state": _seed_config(self.random_state),
                "dtype": None if self.dtype is None else self.dtype.name,
                **({} if self.activation is None else {"activation": serialize(self.activation)})}

    @classmethod
    def from_config(cls, config: dict) -> "Dense":
        """Rebuild a Dense layer from :meth:`get_config` (a serialized ``weight_init`` included)."""
        config = dict(config)
        if isinstance(config.get("weight_init"), dict):
            config["weight_init"] = INITIALIZERS.get(config["weight_init"])
        return cls(**config)

    def __repr__(self):
        return f"Dense({self.n_inputs}, {self.n_neurons})"


def _activation_layer(spec):
    """The activation layer of ``Dense(..., activation=spec)``: None, a name, a config or a layer."""
    if spec is None or spec == "linear":
        return None
    layer = LAYERS.get(spec)
    if not (hasattr(layer, "forward") and hasattr(layer, "backward")):
        raise TypeError(f"Dense activation must be a name such as 'relu' or a layer, got "
                        f"{type(spec).__name__} {spec!r}")
    return layer


def _inputs_from_shape(n_inputs, input_shape) -> int:
    from numnet.layers.input import input_width

    width = input_width(input_shape, "Dense input_shape")
    if n_inputs is not None and n_inputs != width:
        raise ValueError(f"Dense got n_inputs={n_inputs} and input_shape={input_shape!r}, which disagree; "
                         "give one of them")
    return width


def _refuse_pending_activation(layer):
    raise ValueError(
        f"{layer!r} was made with activation={type(layer.activation).__name__}, which Sequential.add "
        "turns into a layer of its own; outside a Sequential model, call the activation yourself: "
        f"{type(layer.activation).__name__}().forward(dense.forward(X))")


def _seed_config(random_state):
    """An int seed as JSON data; a Generator cannot be written down, so it becomes None."""
    if isinstance(random_state, (numbers.Integral, np.integer)) and not isinstance(random_state, bool):
        return int(random_state)
    return None


def _check_size(value, name, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)) or value <= 0:
        raise ValueError(f"Dense {name} must be a positive int, got {value!r}")
    return int(value)


def _assign(target: np.ndarray, value, name: str) -> None:
    value = np.asarray(value)
    if value.shape != target.shape:
        hint = ""
        if value.ndim == 2 and value.shape[::-1] == target.shape:
            hint = f"; it looks transposed: pass its .T (weights are (n_inputs, n_neurons))"
        raise ValueError(f"{name} must have shape {target.shape}, got {value.shape}{hint}")
    target[...] = value
