"""``Sequential``: a stack of layers, run forward and backward in order."""
from __future__ import annotations

import os
import time
from typing import Any, Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from numnet._validation import (cast_within_range, check_array, check_float_dtype, check_positive_int,
                                check_random_state, check_weight_array)
from numnet.layers.base import Layer
from numnet.layers.dense import Dense
from numnet.layers.input import Input
from numnet.losses.base import Loss
from numnet.model.keras_compat import (check_verbose, evaluate_output, model_html, name_metrics_as_given,
                                       refuse_foreign_format, report, test_on_batch, train_on_batch)
from numnet.model.forward import ForwardPlan, run_layers
from numnet.model.inference import InferencePlan
from numnet.data.base import streams
from numnet.model.metrics import get_metrics, predicted_labels
from numnet.model.parameters import FlatParameters, is_numnet_layer
from numnet.optimizers.base import Optimizer
from numnet.registry import LAYERS, LOSSES, OPTIMIZERS, deserialize, serialize


class Sequential:
    """A network whose layers run one after another.

    ``forward`` feeds ``X`` of shape ``(n_samples, n_features)`` through every
    layer; ``backward`` runs the chain rule the other way. ``compile`` picks a
    loss, an optimizer and metrics; ``fit`` trains.

    Parameters
    ----------
    layers : list of Layer, optional
    dtype : numpy dtype, optional
        Convert every layer to this compute dtype (float32 by default; float64
        for gradient checks).
    random_state : None, int or numpy.random.Generator
        Makes the whole run reproducible: seeds the initial weights of layers that
        were given no ``random_state``, and every ``fit``'s shuffling and dropout
        (unless ``fit(random_state=...)`` is given).
    name : str, optional

    Examples
    --------
    >>> from numnet import Sequential, Dense, ReLU, Softmax, spiral_data
    >>> X, y = spiral_data(100, 3, random_state=0)
    >>> model = Sequential([Dense(2, 64), ReLU(), Dense(64, 3), Softmax()], random_state=0)
    >>> model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    Sequential([Dense(2, 64), ReLU(), Dense(64, 3), Softmax(axis=-1)])
    >>> history = model.fit(X, y, epochs=2, verbose=0, random_state=0)
    >>> model.predict(X).shape
    (300, 3)
    """

    _inference: InferencePlan | None = None  # predict's steps, made on first use (never pickled)

    def __init__(self, layers: Sequence[Layer] | None = None, dtype: DTypeLike | None = None,
                 random_state: int | np.random.Generator | None = None,
                 name: str | None = None) -> None:
        self.layers: list[Layer] = []
        self.name = name or "sequential"
        self.dtype = check_float_dtype(dtype, "Sequential dtype")  # int32 would fail only in fit
        self.random_state = random_state
        self._rng = check_random_state(random_state)
        self.loss = self.optimizer = None
        self.metrics: list = []
        self.history = None
        self.stop_training = False
        self.n_features: int | None = None
        self._flat: FlatParameters | None = None
        for layer in layers or []:
            self.add(layer)

    # -- structure ----------------------------------------------------------
    def add(self, layer: Layer) -> "Sequential":
        """Append a layer (a Layer instance, or a registered name such as ``"relu"``).

        An :class:`~numnet.layers.input.Input` first declares the input width (as in Keras);
        it is not a layer, so the model keeps only ``n_features``.
        """
        layer = LAYERS.get(layer) if isinstance(layer, (str, dict)) else layer
        if isinstance(layer, Input):
            return self._set_input(layer)
        pending = getattr(layer, "activation", None)
        if isinstance(layer, Dense) and pending is not None:
            # Dense(64, activation="relu"): the activation becomes a layer of its own, so the
            # summary, config, files and the fused softmax + cross-entropy all see it.
            layer.activation = None
            return self.add(layer).add(pending)
        if not (hasattr(layer, "forward") and hasattr(layer, "backward")):
            raise TypeError(f"layers need forward and backward methods, got {type(layer).__name__}")
        for attr, default in (("params", {}), ("grads", {}), ("state", {}), ("name", None)):
            if not hasattr(layer, attr):
                setattr(layer, attr, default)
        if layer.name is None or any(layer.name == other.name for other in self.layers):
            layer.name = self._unique_name(layer)
        if self.random_state is not None and hasattr(layer, "reseed_initial_weights"):
            # Dense(2, 3) draws its weights at construction; the model's seed redraws them
            # (if still untouched) so that Sequential([...], random_state=0) is reproducible.
            layer.reseed_initial_weights(int(self._rng.integers(2**63)))
        self.layers.append(layer)
        self._flat = None
        first_shape = getattr(self.layers[0], "input_shape", None)
        if self.n_features is None and first_shape:
            # Dense(2, 64) first: the input width is known, so build now and catch shape
            # mistakes at once (summary, export and predict work before fit).
            self.n_features = int(first_shape[-1])
        if self.n_features is not None:
            self.build(self.n_features)
        elif self.dtype is not None and getattr(layer, "built", False) and layer.params:
            self._convert(layer)
        return self

    def _set_input(self, spec) -> "Sequential":
        if self.layers:
            raise ValueError(f"{spec!r} must come first: it declares the width of X, but the model "
                             f"already has {len(self.layers)} layers; put Input(...) before them")
        self.n_features = spec.n_features
        return self

    def _unique_name(self, layer) -> str:
        base = getattr(layer, "registry_name", type(layer).__name__.lower())
        taken = {other.name for other in self.layers}
        if base not in taken:
            return base
        i = 1
        while f"{base}_{i}" in taken:
            i += 1
        return f"{base}_{i}"

    def _convert(self, layer):
        if getattr(layer, "dtype", None) != self.dtype and hasattr(layer, "set_dtype"):
            layer.set_dtype(self.dtype)

    def build(self, n_features: int) -> "Sequential":
        """Create every layer's parameters for inputs of ``n_features`` columns.

        Checks that each layer's input width matches the previous layer's
        output, and packs all parameters into one flat buffer.
        """
        if not self.layers:
            raise ValueError("this Sequential model has no layers; add some with model.add(...)")
        shape = (int(n_features),)
        previous = None  # the layer before, or None for the input X
        shapes = []  # each layer's output shape, for n_outputs and summary()
        dtype = self.dtype or _first_dtype(self.layers) or np.dtype(np.float32)
        for layer in self.layers:
            if getattr(layer, "built", True) and getattr(layer, "input_shape", None) is not None:
                _check_chain(layer, shape, previous)
            else:
                if getattr(layer, "random_state", 0) is None and hasattr(layer, "reseed"):
                    layer.reseed(self._rng.integers(2**63))
                elif getattr(layer, "random_state", 0) is None:
                    layer.random_state = int(self._rng.integers(2**63))  # type: ignore[attr-defined]  # layers with a seed only
                if hasattr(layer, "build"):
                    layer.build(shape, dtype)
            if self.dtype is not None:
                self._convert(layer)
            shape = layer_output_shape(layer, shape, dtype)
            shapes.append(shape)
            previous = layer
        self._output_shapes = shapes
        self.n_features = int(n_features)
        self.dtype = np.dtype(_first_dtype(self.layers) or dtype)
        self._flat = FlatParameters(self.layers, self.dtype)
        return self

    def _ensure_built(self, n_features: int):
        if self._flat is None or self.n_features is None:
            self.build(n_features if self.n_features is None else self.n_features)
        elif not self._flat.intact():  # a layer's arrays were replaced: pack again
            self._flat = FlatParameters(self.layers, self.dtype)

    @property
    def n_outputs(self) -> int | None:
        """Width of the last layer's output, once built."""
        if self.n_features is None:
            return None
        return self.output_shape[-1]

    @property
    def output_shape(self) -> tuple:
        """Shape of the model's output, ``(None, n_outputs)`` (None: any number of samples)."""
        return (None, *self.layer_output_shapes()[-1])

    def layer_output_shapes(self) -> list[tuple]:
        """Each layer's output shape for one sample, as found when the model was built."""
        if self.n_features is None:
            raise ValueError("this model has not been built yet: call fit(X, y), build(n_features) "
                             "or forward(X) first")
        if getattr(self, "_output_shapes", None) is None or len(self._output_shapes) != len(self.layers):
            self.build(self.n_features)
        return list(self._output_shapes)

    def set_dtype(self, dtype: DTypeLike) -> "Sequential":
        """Convert every layer to ``dtype`` (e.g. ``np.float64``) and repack.

        The compiled optimizer's moments are converted too, so ``fit`` goes on
        where it stopped. Raises ``ValueError``, changing nothing, when a weight,
        a layer's state or a moment would overflow ``dtype`` (weights of 1e5 in
        float16, say).
        """
        resolved = check_float_dtype(dtype, "dtype")
        for layer in self.layers:  # every layer first, so that a refusal leaves the model as it was
            check = getattr(layer, "check_dtype_fits", None)
            if check is not None:
                check(resolved)
        moments = self._optimizer_state_as(resolved)
        self.dtype = resolved
        for layer in self.layers:
            self._convert(layer)
        if self.n_features is not None:
            self._flat = FlatParameters(self.layers, self.dtype)
        if moments is not None:  # training goes on where it stopped, in the new dtype
            optimizer, state = moments
            optimizer.set_state(state)
        return self

    def _optimizer_state_as(self, dtype) -> tuple | None:
        """``(optimizer, its state converted to dtype)`` for the compiled optimizer; None if it has no moments."""
        optimizer = getattr(self, "optimizer", None)
        if dtype is None or optimizer is None or not hasattr(optimizer, "get_state"):
            return None
        state = optimizer.get_state()
        if len(state) <= 1:  # only "iterations": nothing was made for the old dtype yet
            return None
        converted = {key: value if key == "iterations" else
                     cast_within_range(value, dtype, f"the optimizer's state '{key}'",
                                       "keep a wider dtype, or call model.optimizer.reset() first")
                     for key, value in state.items()}
        return optimizer, converted

    # -- parameters ---------------------------------------------------------
    @property
    def params(self) -> dict[str, np.ndarray]:
        """Every trainable array, keyed ``"layer_name/param_name"`` (views, not copies)."""
        return {f"{layer.name}/{key}": value for layer in self.layers for key, value in layer.params.items()}

    @property
    def grads(self) -> dict[str, np.ndarray]:
        """Every gradient from the last ``backward``, keyed like :attr:`params`."""
        return {f"{layer.name}/{key}": value for layer in self.layers for key, value in layer.grads.items()}

    @property
    def n_params(self) -> int:
        """The number of trainable parameters (weights and biases of every layer)."""
        return int(sum(value.size for value in self.params.values()))

    def count_params(self) -> int:
        """Number of trainable and saved arrays' entries, as in the summary's "Total params"."""
        return int(sum(np.size(value) for layer in self.layers
                       for store in (layer.params, layer.state) for value in store.values()))

    def get_weights(self) -> list[np.ndarray]:
        """Copies of every parameter and state array, layer by layer."""
        return [value.copy() for layer in self.layers
                for store in (layer.params, layer.state) for value in store.values()]

    def set_weights(self, weights: list) -> None:
        """Copy ``weights`` (as returned by :meth:`get_weights`) into the model.

        Every array is checked first (shape, real numbers, no NaN or inf, no overflow of
        the model's dtype), so a bad list raises a ``ValueError`` and changes nothing.
        """
        targets = [(layer.name, key, value) for layer in self.layers
                   for store in (layer.params, layer.state) for key, value in store.items()]
        if len(weights) != len(targets):
            raise ValueError(f"set_weights got {len(weights)} arrays, the model has {len(targets)}")
        checked = [check_weight_array(value, target, f"{layer_name}/{key}")
                   for (layer_name, key, target), value in zip(targets, weights)]
        for (_, _, target), value in zip(targets, checked):
            target[...] = value

    # -- computation --------------------------------------------------------
    def forward(self, X: ArrayLike, training: bool = False,
                mask: ArrayLike | None = None) -> np.ndarray:
        """Run ``X`` (n_samples, n_features) through every layer; returns the last output."""
        return run_layers(self.layers, self._as_input(X), training, mask)

    __call__ = forward

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """Backpropagate ``dL/dY`` (n_samples, n_outputs); fills every layer's ``grads``.

        Returns ``dL/dX`` of shape (n_samples, n_features).
        """
        for layer in reversed(self.layers):
            dY = layer.backward(dY)
        return dY

    def activations(self, X: ArrayLike, training: bool = False,
                    mask: ArrayLike | None = None) -> dict[str, np.ndarray]:
        """Every layer's output for ``X``, keyed by layer name (in order), e.g. hidden activations."""
        plan = ForwardPlan(self.layers)
        return {layer.name: out for layer, out in plan.outputs(self._as_input(X), training, mask)}

    def _as_input(self, X) -> np.ndarray:
        """Light check for ``forward``: arrays of the right kind pass without a copy."""
        if not isinstance(X, np.ndarray) or X.ndim != 2 or X.dtype != (self.dtype or X.dtype) \
                or X.shape[1] != self.n_features:
            return self.check_input(X)
        self._ensure_built(X.shape[1])
        return X

    def check_input(self, X: ArrayLike, name: str = "X") -> np.ndarray:
        """Validate ``X`` against the model and return it in the model's dtype.

        Builds the model from ``X``'s width if it is not built yet. Raises a
        ``ValueError`` naming the first layer when the feature count is wrong.
        """
        if self.n_features is None:
            self._ensure_built(check_array(X, name=name, dtype=self.dtype or np.float32).shape[1])
        X = check_array(X, name=name, dtype=self.dtype)
        if X.shape[1] != self.n_features:
            _check_chain(self.layers[0], X.shape[1:], None, name)
            check_array(X, name=name, dtype=self.dtype, n_features=self.n_features)
        if self._flat is None:
            self._ensure_built(X.shape[1])
        return X

    def predict(self, X: Any, batch_size: int | None = None, mask: Any = None,
                verbose: int | str = 0) -> np.ndarray:
        """The network's outputs (probabilities for a softmax output), shape (n_samples, n_outputs).

        ``verbose=1`` (or 2) prints one line with the sample count and time; 0 and
        ``"auto"`` are silent.
        """
        if (type(X) is np.ndarray and mask is None and batch_size is None
                and type(verbose) is int and verbose == 0):
            # The common call, one array and no options: straight to the checks and the layers
            # (a single row spends more time in Python than in arithmetic).
            return self._inference_plan().run(self.check_input(X))
        if check_verbose(verbose, "predict"):
            started = time.perf_counter()
            outputs = self.predict(X, batch_size=batch_size, mask=mask)
            report("predict", len(outputs), time.perf_counter() - started)
            return outputs
        if streams(X):  # a memory map, Dask array or data source: read batch by batch
            from numnet.data.predict import predict_stream

            return predict_stream(self, X, batch_size=batch_size, mask=mask)
        X = self.check_input(X)
        mask = self._check_mask(mask, len(X))
        if batch_size is not None:
            batch_size = check_positive_int(batch_size, "batch_size")
        if batch_size is None or batch_size >= len(X):
            return self._predict_batch(X, mask)
        parts = [self._predict_batch(X[i:i + batch_size], None if mask is None else mask[i:i + batch_size])
                 for i in range(0, len(X), batch_size)]
        return np.concatenate(parts)

    def _predict_batch(self, X, mask):
        if mask is None:  # what run_layers does without a mask, in fewer NumPy calls
            return self._inference_plan().run(X)
        return run_layers(self.layers, X, training=False, mask=mask)

    def _inference_plan(self) -> InferencePlan:
        plan = self._inference
        if plan is None or not plan.serves(self.layers):  # made again when model.layers changes
            plan = self._inference = InferencePlan(self.layers)
        return plan

    def __getstate__(self):
        # Pickles and copies carry no inference plan (its steps are functions); the
        # next predict makes one again.
        state = dict(self.__dict__)
        state.pop("_inference", None)
        return state

    def predict_classes(self, X: Any, batch_size: int | None = None,
                        mask: ArrayLike | None = None) -> np.ndarray:
        """Predicted class labels (n_samples,): argmax of the outputs, or a 0.5 threshold.

        A sample whose ``mask`` row allows no class gets the label -1: it has no
        class to predict (its outputs are all 0, and argmax would say class 0,
        which its mask forbids).
        """
        outputs = self.predict(X, batch_size=batch_size, mask=mask)
        return predicted_labels(outputs, None if mask is None else self._check_mask(mask, len(outputs)))

    def _check_mask(self, mask, n_samples):
        if mask is None:
            return None
        checker = getattr(self.layers[-1], "check_mask", None)
        if checker is None:
            raise ValueError("a mask was given, but this model's last layer takes none; "
                             "end the model with MaskedSoftmax to use masks")
        return checker(mask, n_samples)

    # -- training -----------------------------------------------------------
    def compile(self, loss: str | Loss = "categorical_crossentropy",
                optimizer: str | Optimizer = "adam",
                metrics: Sequence[Any] | None = None) -> "Sequential":
        """Choose the loss, the optimizer and the metrics, by object or by registry name.

        Examples: ``loss="mse"``, ``optimizer="adam"`` or ``Adam(learning_rate=1e-3)``,
        ``metrics=["accuracy"]``.
        """
        self.loss = LOSSES.get(loss)
        if not isinstance(self.loss, Loss) and not hasattr(self.loss, "backward"):
            raise TypeError(f"loss must be a Loss or a loss name, got {type(loss).__name__}")
        self.optimizer = OPTIMIZERS.get(optimizer)
        if not isinstance(self.optimizer, Optimizer):
            raise TypeError(f"optimizer must be an Optimizer or a name, got {type(optimizer).__name__}")
        self.metrics = name_metrics_as_given(get_metrics(metrics), metrics)
        return self

    def fit(self, X: Any, y: ArrayLike | None = None, epochs: int = 1, batch_size: int = 32,
            shuffle: bool = True, validation_data: tuple | Any = None,
            validation_split: float = 0.0, sample_weight: ArrayLike | None = None,
            class_weight: dict | str | None = None, callbacks: Sequence[Any] | None = None,
            verbose: int | str = "auto", random_state: int | np.random.Generator | None = None,
            mask: ArrayLike | None = None, initial_epoch: int = 0,
            shuffle_before_split: bool = False, strategy: Any = None) -> Any:
        """Train with mini-batch gradient descent; returns a :class:`History`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), numpy.memmap, dask.array or DataSource
            A memory map or Dask array is read block by block, never whole; a data source
            (:mod:`numnet.data`: files, generators) yields its own ``(X, y, ...)`` batches.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Integer labels or one-hot rows for classification; values for regression.
            None when ``X`` is a data source.
        epochs : int
        batch_size : int
            The last partial batch of an epoch is kept.
        shuffle : bool
            Reshuffle the samples every epoch.
        validation_data : tuple (X_val, y_val) or (X_val, y_val, mask_val), optional
        validation_split : float in [0, 1)
            Hold out this fraction for validation: the last rows (as Keras), or random
            rows with ``shuffle_before_split=True``. Warns when the held-out part's
            class distribution differs strongly from the training part's.
        sample_weight : array-like of shape (n_samples,), optional
        class_weight : dict of label to weight, or "balanced", optional
            Multiplies the training samples' weights (never the validation data's). Training
            metrics are weighted like the loss.
        callbacks : list of Callback, optional
        verbose : {0, 1, 2, "auto"}
            0 silent, 1 a progress bar per epoch, 2 one line per epoch, "auto" = 1 on a terminal.
        random_state : None, int or numpy.random.Generator
            Seeds shuffling and dropout.
        mask : array-like of shape (n_samples, n_outputs), optional
            For a model ending in MaskedSoftmax: which classes are allowed per sample.
        initial_epoch : int
            Epoch to resume from (as Keras): trains epochs ``initial_epoch .. epochs - 1``.
        shuffle_before_split : bool
            Draw the ``validation_split`` rows at random, with the fit's seed (its
            ``random_state``, else the model's), instead of taking the last rows.
        strategy : numnet.distributed.DataParallel, optional
            Train on several MPI ranks (``mpiexec -n 4 python train.py``); ``batch_size``
            is then the global batch. See :mod:`numnet.distributed`.

        Raises
        ------
        TrainingDivergedError
            When the loss or a gradient becomes non-finite; the last finite weights are restored.
        """
        from numnet.model.training import Trainer

        return Trainer(self).fit(
            X, y, epochs=epochs, batch_size=batch_size, shuffle=shuffle,
            validation_data=validation_data, validation_split=validation_split,
            sample_weight=sample_weight, class_weight=class_weight, callbacks=callbacks,
            verbose=verbose, random_state=random_state, mask=mask, initial_epoch=initial_epoch,
            shuffle_before_split=shuffle_before_split, strategy=strategy)

    def evaluate(self, X: Any, y: ArrayLike | None = None, sample_weight: ArrayLike | None = None,
                 mask: ArrayLike | None = None, batch_size: int | None = None,
                 verbose: int | str = 0, return_dict: bool = True
                 ) -> dict[str, float] | list[float] | float:
        """Loss and metrics on ``(X, y)``, as a dict ``{"loss": ..., "accuracy": ...}``.

        ``return_dict=False`` gives Keras' list ``[loss, metric, ...]`` (the loss alone
        without metrics); ``verbose=1`` prints them on one line.
        """
        from numnet.model.training import Trainer

        loud = check_verbose(verbose, "evaluate")
        started = time.perf_counter()
        result = Trainer(self).evaluate(X, y, sample_weight=sample_weight, mask=mask, batch_size=batch_size)
        if loud:
            n_rows: Any = len(X) if hasattr(X, "__len__") else "all"  # a data source may not know
            report("evaluate", n_rows, time.perf_counter() - started, result)
        return evaluate_output(result, return_dict)

    def train_on_batch(self, x: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None,
                       class_weight: dict | str | None = None, return_dict: bool = False
                       ) -> dict[str, float] | list[float] | float:
        """One optimizer step on ``(x, y)`` as a single batch; returns the loss (and metrics)."""
        return train_on_batch(self, x, y, sample_weight, class_weight, return_dict)

    def test_on_batch(self, x: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None,
                      return_dict: bool = False) -> dict[str, float] | list[float] | float:
        """Loss (and metrics) of ``(x, y)`` as a single batch, without training."""
        return test_on_batch(self, x, y, sample_weight, return_dict)

    def regularization_loss(self) -> float:
        """Sum of every layer's L1/L2 penalty (kept apart from the data loss)."""
        return float(sum(layer.regularization_loss() for layer in self.layers
                         if hasattr(layer, "regularization_loss")))

    # -- description --------------------------------------------------------
    def summary(self, print_fn: Callable[[str], Any] = print) -> None:
        """Print a table of layers, output shapes, parameter shapes and counts; returns None.

        As in Keras, ``summary()`` prints and returns nothing (a notebook then shows the
        table once, not again as an ``Out[]`` string); ``print_fn(text)`` gets the whole
        table. :meth:`summary_text` returns the string, and so does ``print_fn=None``.
        Builds the model first if its input width is known; otherwise it prints what is
        known, with ``?`` for what the data will decide. See :mod:`numnet.model.summary`.
        """
        text = self.summary_text()
        if print_fn is None:
            return text
        print_fn(text)
        return None

    def summary_text(self) -> str:
        """The table :meth:`summary` prints, as a string."""
        from numnet.model.summary import summarize

        return str(summarize(self))

    to_string = summary_text

    def _repr_html_(self) -> str:
        """Notebooks show the summary as an HTML table and the network as an SVG picture."""
        return model_html(self)

    def get_config(self) -> dict:
        """Architecture, loss and optimizer as plain JSON data."""
        return {
            "name": self.name,
            "n_features": self.n_features,
            "dtype": None if self.dtype is None else self.dtype.name,
            "layers": [serialize(layer) for layer in self.layers],
            "loss": None if self.loss is None else serialize(self.loss),
            "optimizer": None if self.optimizer is None else serialize(self.optimizer),
            "metrics": [getattr(metric, "registry_name", metric.name) for metric in self.metrics],
        }

    def save(self, path: str | os.PathLike[str], include_optimizer: bool = True) -> None:
        """Write the model to a ``.numnet`` file (atomically); ``numnet.load(path)`` reads it back.

        The file holds the config and the arrays, never a pickle; with
        ``include_optimizer`` the optimizer's state too, so training resumes exactly.
        See :func:`numnet.io.save_model` for metadata and preprocessing.
        """
        from numnet.io import save_model

        refuse_foreign_format(path)
        save_model(self, path, include_optimizer=include_optimizer)

    @classmethod
    def from_config(cls, config: dict) -> "Sequential":
        """Rebuild an untrained model with the same architecture (and loss/optimizer)."""
        model = cls([deserialize(layer, LAYERS) for layer in config["layers"]],
                    dtype=config.get("dtype"), name=config.get("name"))
        if config.get("n_features") is not None:
            model.build(config["n_features"])
        if config.get("loss") is not None:
            model.compile(loss=deserialize(config["loss"], LOSSES),
                          optimizer=deserialize(config["optimizer"], OPTIMIZERS) if config.get("optimizer") else "adam",
                          metrics=config.get("metrics") or None)
        return model

    def __repr__(self):
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"Sequential([{inner}])"


def layer_output_shape(layer, input_shape: tuple, dtype) -> tuple:
    """The shape of one output sample of ``layer`` for one input sample of ``input_shape``.

    numnet's layers, and layers that define their own ``compute_output_shape``,
    say it; for any other layer (a plain class with forward/backward/params/grads,
    or a ``Layer`` subclass that kept the base class's shape-preserving default)
    a probe forward pass of two rows finds it.
    """
    method = getattr(type(layer), "compute_output_shape", None)
    if method is not None and (is_numnet_layer(layer) or method is not Layer.compute_output_shape):
        return tuple(layer.compute_output_shape(tuple(input_shape)))
    return _probe_output_shape(layer, tuple(input_shape), dtype)


def _probe_output_shape(layer, input_shape: tuple, dtype) -> tuple:
    n = int(np.prod(input_shape))
    probe = np.linspace(-1.0, 1.0, 2 * n, dtype=dtype).reshape(2, *input_shape)
    try:
        with np.errstate(all="ignore"):
            out = np.asarray(layer.forward(probe, training=False))
    except Exception as exc:
        raise ValueError(
            f"could not find the output width of layer '{layer.name}' ({type(layer).__name__}): a "
            f"probe forward pass on X of shape {probe.shape} raised {type(exc).__name__}: {exc}; "
            "give the layer a compute_output_shape(input_shape) method returning its output shape "
            "for one sample, e.g. (n_outputs,)") from exc
    if out.ndim < 1 or out.shape[0] != 2:
        raise ValueError(
            f"layer '{layer.name}' ({type(layer).__name__}) returned shape {out.shape} for X of shape "
            f"{probe.shape}; a layer must return one row per input row, (n_samples, n_outputs)")
    return tuple(out.shape[1:])


def _first_dtype(layers):
    for layer in layers:
        if getattr(layer, "dtype", None) is not None and getattr(layer, "params", None):
            return np.dtype(layer.dtype)
    return None


def _check_chain(layer, shape, previous, name="X"):
    """Raise if ``layer`` does not take the ``shape`` that ``previous`` (None: X) produces."""
    expected, given = tuple(layer.input_shape)[-1], shape[-1]
    if expected == given:
        return
    this = f"layer '{layer.name}' ({layer!r})"
    n_out = getattr(layer, "n_neurons", None)
    if previous is None:
        raise ValueError(
            f"{name} has {given} features, but this model was built for {expected} (its first {this} "
            f"expects {expected}); pass an array of shape (n_samples, {expected})"
            + (f" or make the first layer Dense({given}, {n_out})" if n_out is not None else "")
        )
    source = f"the layer before it, '{previous.name}' ({previous!r}), outputs {given} features"
    if n_out == given and getattr(layer, "n_inputs", None) is not None:
        fix = (f"; its weights {layer.params['weights'].shape} look transposed: Dense weights are "
               f"(n_inputs, n_neurons), so it should be Dense({given}, {expected})")
    elif n_out is not None:
        fix = f"; make it Dense({given}, {n_out})"
    else:
        fix = f"; give it {given} inputs"
    raise ValueError(f"{this} expects {expected} input features, but {source}{fix}")
