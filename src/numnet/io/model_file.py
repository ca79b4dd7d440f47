"""Save a :class:`~numnet.Sequential` model to a ``.numnet`` file and load it back.

A ``.numnet`` file is a zip holding ``config.json`` (the architecture, every
layer's config, the loss and optimizer configs, numnet and format versions,
training metadata and the preprocessing the command line used) and one
``.npy`` member per array: the parameters, state such as BatchNorm's running
statistics, and optionally the optimizer's moment estimates, so that training
can resume exactly where it stopped.

Loading never runs code: classes are looked up by name in numnet's
registries, arrays are read without pickle, and anything unexpected raises
one :class:`~numnet.ModelFileError` that says what is wrong.

Example
-------
>>> import os, tempfile
>>> import numpy as np
>>> from numnet import Sequential, Dense, ReLU, Softmax
>>> model = Sequential([Dense(2, 8, random_state=0), ReLU(), Dense(8, 3), Softmax()])
>>> _ = model.compile(loss="categorical_crossentropy", optimizer="adam")
>>> path = os.path.join(tempfile.mkdtemp(), "model.numnet")
>>> save_model(model, path, metadata={"note": "doctest"})
>>> loaded = load_model(path)
>>> X = np.ones((4, 2), dtype=np.float32)
>>> bool(np.array_equal(loaded.predict(X), model.predict(X))), loaded.metadata["note"]
(True, 'doctest')
"""
from __future__ import annotations

import datetime
import math
import os
from typing import Any

import numpy as np

from numnet._version import __version__
from numnet.exceptions import ModelFileError
from numnet.io.archive import as_path, read_archive, write_archive
from numnet.registry import LAYERS, LOSSES, OPTIMIZERS

FORMAT = "numnet.Sequential"
_OPTIMIZER = "optimizer/"
_SLACK = 2**20  # values a whole config may imply beyond those stored (unbuilt layers)


# -- saving ---------------------------------------------------------------------
def save_model(model: Any, path: str | os.PathLike[str], include_optimizer: bool = True,
               metadata: dict | None = None,
               preprocessing: dict | None = None) -> None:
    """Write ``model`` to ``path`` (suffix ``.numnet`` by convention), atomically.

    Parameters
    ----------
    model : Sequential
    path : str, bytes or os.PathLike
        Replaced only once the new file is completely written; on any error,
        or SIGTERM while writing, the temporary file is removed.
    include_optimizer : bool, default True
        Also store the optimizer's state (moment estimates and step count), so
        that ``fit`` on the loaded model continues exactly as it would have.
    metadata : dict, optional
        JSON data to keep with the model (merged over the training metadata
        numnet records itself). Defaults to ``model.metadata`` when present.
    preprocessing : dict, optional
        JSON data describing how raw data becomes the model's input (the
        command line stores feature names, category levels and scaling here).
        Defaults to ``model.preprocessing`` when present.

    Raises
    ------
    ValueError
        If a layer, the loss or the optimizer is not registered (so the file
        could not be loaded), or the optimizer's state does not fit the model.
    TypeError
        If ``path`` is not a path, or a config holds something that is not JSON data.
    OSError
        If the file cannot be written: ``FileNotFoundError`` for a missing
        folder, ``IsADirectoryError`` when ``path`` is a folder.
    """
    path = as_path(path)
    _check_registered(model)
    arrays = model_arrays(model)
    state = _optimizer_state(model) if include_optimizer else None
    if state is not None:
        arrays.update({_OPTIMIZER + key: value for key, value in state.items()})
    if metadata is None:
        metadata = getattr(model, "metadata", None)
    if preprocessing is None:
        preprocessing = getattr(model, "preprocessing", None)
    config = {
        "format": FORMAT,
        "numnet_version": __version__,
        "model": model.get_config(),
        "optimizer_state": state is not None,
        "metadata": {**_training_metadata(model), **(metadata or {})},
        "preprocessing": preprocessing,
    }
    write_archive(path, config, arrays)


def _check_registered(model) -> None:
    """Refuse to write a file whose classes could not be found again by name."""
    parts = [(layer, LAYERS, "LAYERS") for layer in model.layers]
    parts += [(obj, registry, name) for obj, registry, name in
              ((model.loss, LOSSES, "LOSSES"), (model.optimizer, OPTIMIZERS, "OPTIMIZERS"))
              if obj is not None]
    for obj, registry, name in parts:
        cls = type(obj)
        try:
            found = registry.lookup(cls.__name__)
        except ValueError:
            found = None
        if found is not cls:
            raise ValueError(
                f"the {registry.kind} {cls.__name__} is not registered, so a saved model could "
                f"not be loaded again; decorate the class with @numnet.registry.{name}"
                ".register() (or use a built-in one)")


def model_arrays(model) -> dict[str, np.ndarray]:
    """Every parameter and state array: ``params/<layer>/<key>``, ``state/<layer>/<key>``."""
    arrays = {}
    for layer in model.layers:
        for kind in ("params", "state"):
            for key, value in getattr(layer, kind, {}).items():
                arrays[f"{kind}/{layer.name}/{key}"] = value
    return arrays


def _optimizer_state(model) -> dict[str, np.ndarray] | None:
    optimizer = model.optimizer
    if optimizer is None:
        return None
    state = optimizer.get_state()
    expected = _expected_slot_shape(model)
    for key, value in state.items():
        if key != "iterations" and (not key.startswith("0/") or value.shape != expected):
            raise ValueError(
                f"the optimizer's state {key!r} has shape {value.shape}, but this model's "
                f"parameters need {expected} at position 0; it belongs to other parameters. "
                "Pass include_optimizer=False, or call model.optimizer.reset()")
    return state


def _expected_slot_shape(model) -> tuple:
    # A model hands its optimizer one flat buffer of every parameter (position 0).
    return (model.n_params,)


def _training_metadata(model) -> dict:
    meta = {"saved_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "numpy_version": np.__version__}
    history = getattr(model, "history", None)
    if history is not None and getattr(history, "history", None):
        meta["history"] = {key: [float(v) for v in values]
                           for key, values in history.history.items()}
        meta["epochs"] = len(history.epoch)
    return meta


# -- loading --------------------------------------------------------------------
def load_model(path: str | os.PathLike[str]) -> Any:  # a Sequential, plus file_info/metadata
    """Load a model written by :func:`save_model` (or ``model.save``).

    Parameters
    ----------
    path : str, bytes or os.PathLike
        A regular file; links are followed.

    Returns
    -------
    Sequential
        Built, compiled when the file has a loss, with the optimizer's state
        restored when it was saved. ``model.metadata`` and
        ``model.preprocessing`` hold the stored dicts (``preprocessing`` may be
        None); ``model.file_info`` the format version and the numnet version
        that wrote the file.

    Raises
    ------
    TypeError
        If ``path`` is not a path (a file object, say).
    ModelFileError
        If the file does not exist, is not a regular file (a folder, a device,
        a named pipe), is not a numnet model file, or is damaged: a pickle,
        extra or missing members, a shape or dtype that disagrees with the
        config, sizes the file does not hold, a truncated file, an unknown
        format version, bad JSON.
    """
    path = as_path(path)
    config, arrays = read_archive(path, FORMAT)
    for key in ("model", "metadata", "preprocessing", "optimizer_state"):
        if key not in config:
            raise ModelFileError(f"{path}: the config has no {key!r} entry")
    model = build_model(config["model"], arrays, path)
    restore_arrays(model, arrays, path)
    _restore_optimizer(model, config["optimizer_state"], arrays, path)
    model.metadata = _as_dict(config["metadata"], "metadata", path)
    model.file_info = {"format_version": config["format_version"],
                       "numnet_version": config.get("numnet_version"),
                       "optimizer_state": bool(config["optimizer_state"])}
    model.preprocessing = config["preprocessing"]
    if model.preprocessing is not None:
        model.preprocessing = _as_dict(model.preprocessing, "preprocessing", path)
    return model


def build_model(model_config, arrays: dict, path):
    """An untrained ``Sequential`` from a file's model config, refusing configs larger than ``arrays``.

    Raises ``ModelFileError`` naming ``path`` for a config numnet cannot build.
    """
    from numnet.model.sequential import Sequential

    if not isinstance(model_config, dict) or not isinstance(model_config.get("layers"), list):
        raise ModelFileError(f"{path}: the config's 'model' entry does not describe a "
                             "Sequential model")
    _check_sizes(model_config, arrays, path)
    try:
        return Sequential.from_config(model_config)
    except MemoryError:
        raise ModelFileError(f"{path}: the config describes a model too large to build") from None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ModelFileError(f"{path}: the config describes a model numnet cannot build "
                             f"({type(exc).__name__}: {exc})") from None


def _check_sizes(model_config: dict, arrays: dict, path) -> None:
    """Refuse configs that would allocate far more than the file stores (a crafted file).

    A layer's parameters are products of its integer settings (Dense: n_inputs
    x n_neurons), so that product cannot much exceed the number of values the
    file stores for the layer. What the layers imply beyond what is stored
    (layers that are not built yet) may add up to ``_SLACK`` values for the
    whole model, so that many layers just under it cannot add up to gigabytes.
    Checked before any layer is built.
    """
    total = sum(a.size for a in arrays.values())
    n_features = model_config.get("n_features")
    if type(n_features) is int and n_features > max(total, _SLACK):
        raise ModelFileError(f"{path}: n_features={n_features} does not fit the {total} values "
                             "the file stores")
    excess = 0
    for entry in model_config["layers"]:
        name, implied, stored = _layer_sizes(entry, arrays, path)
        excess += max(implied - stored, 0)
        if excess > _SLACK:
            raise ModelFileError(f"{path}: layer {name!r} has settings that imply {implied} "
                                 f"values, which do not fit the {stored} values the file stores "
                                 f"for it (the model's layers imply {excess} values more than "
                                 f"stored, beyond the {_SLACK} allowed)")


def _layer_sizes(entry, arrays: dict, path) -> tuple:
    """A layer's name, the values its integer settings imply, and the values stored for it."""
    config = entry.get("config") if isinstance(entry, dict) else None
    if not isinstance(config, dict):
        raise ModelFileError(f"{path}: a layer entry {entry!r} has no config object")
    name = config.get("name")
    prefixes = (f"params/{name}/", f"state/{name}/")
    stored = sum(a.size for key, a in arrays.items() if key.startswith(prefixes))
    sizes = [v for key, v in config.items() if type(v) is int and v > 0 and key != "random_state"]
    return name, math.prod(sizes), stored


def restore_arrays(model, arrays: dict, path) -> None:
    """Copy the stored ``arrays`` into ``model``'s parameters and state.

    Raises ``ModelFileError`` unless every key, shape and dtype matches the model.
    """
    targets = model_arrays(model)
    stored = {key for key in arrays if not key.startswith(_OPTIMIZER)}
    if stored != set(targets):
        missing, extra = sorted(set(targets) - stored), sorted(stored - set(targets))
        raise ModelFileError(f"{path}: the stored arrays do not match the model: missing "
                             f"{missing[:5]}, unexpected {extra[:5]}")
    for key, target in targets.items():
        value = arrays[key]
        if value.shape != target.shape or value.dtype != target.dtype:
            raise ModelFileError(f"{path}: array {key!r} has shape {value.shape} and dtype "
                                 f"{value.dtype}, but the model needs {target.shape} "
                                 f"{target.dtype}")
        target[...] = value


def _restore_optimizer(model, has_state, arrays: dict, path) -> None:
    state = {key[len(_OPTIMIZER):]: value for key, value in arrays.items()
             if key.startswith(_OPTIMIZER)}
    if has_state is not (model.optimizer is not None and bool(state)):
        raise ModelFileError(f"{path}: the config says optimizer_state={has_state!r}, but the file "
                             f"{'holds' if state else 'lacks'} optimizer arrays")
    if not state:
        return
    expected = _expected_slot_shape(model)
    for key, value in state.items():
        bad = (value.shape != () or value.dtype != np.int64 or value < 0) if key == "iterations" \
            else (not key.startswith("0/") or value.shape != expected or value.dtype != model.dtype)
        if bad:
            raise ModelFileError(f"{path}: optimizer state {key!r} ({value.shape}, {value.dtype}) "
                                 "does not fit the model")
    try:
        model.optimizer.set_state(state)
    except (ValueError, TypeError) as exc:
        raise ModelFileError(f"{path}: the optimizer state is invalid ({exc})") from None


def _as_dict(value, key: str, path) -> dict:
    if not isinstance(value, dict):
        raise ModelFileError(f"{path}: the config's {key!r} entry must be an object, got "
                             f"{type(value).__name__}")
    return value
