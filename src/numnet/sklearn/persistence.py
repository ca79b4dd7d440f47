"""Save and load the scikit-learn drop-ins (``numnet.sklearn``) in the ``.numnet`` format.

The file holds the estimator's ``get_params()``, the fitted attributes that
``predict`` and further training need (``classes_``, ``n_features_in_``,
``loss_curve_`` ...), and its network, whose arrays are stored as in a model
file. Like a model file, loading never runs code; the estimators stay
picklable as scikit-learn requires, but a ``.numnet`` file is the safe way
to share one.

This module sits with the wrapper, at the edge: it uses :mod:`numnet.io`'s
container and model-file helpers, while :mod:`numnet.io` never imports it
(so the core's file format does not depend on scikit-learn).

Example
-------
>>> import os, tempfile
>>> import numpy as np
>>> from numnet.sklearn import MLPClassifier, load_estimator, save_estimator  # doctest: +SKIP
>>> X, y = np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2  # doctest: +SKIP
>>> est = MLPClassifier(hidden_layer_sizes=(5,), max_iter=5).fit(X, y)  # doctest: +SKIP
>>> save_estimator(est, "clf.numnet")  # doctest: +SKIP
>>> load_estimator("clf.numnet").predict(X[:3])  # doctest: +SKIP
"""
from __future__ import annotations

import json
import os
import re

import numpy as np

from sklearn.preprocessing import LabelBinarizer

from numnet._version import __version__
from numnet.exceptions import ModelFileError
from numnet.io.archive import as_path, read_archive, write_archive
from numnet.io.model_file import build_model, model_arrays, restore_arrays
from numnet.sklearn import _network
from numnet.sklearn.classifier import MLPClassifier
from numnet.sklearn.regressor import MLPRegressor

FORMAT = "numnet.sklearn"
_ESTIMATORS = ("MLPClassifier", "MLPRegressor")
# What ``predict`` and a later warm-started ``fit`` need; recomputed properties
# (coefs_, intercepts_) and the network are handled apart.
_FITTED = ("classes_", "n_features_in_", "feature_names_in_", "n_outputs_", "n_layers_",
           "out_activation_", "n_iter_", "t_", "loss_", "best_loss_", "loss_curve_",
           "validation_scores_", "best_validation_score_")
_ARRAY_DTYPE = re.compile(r"[<>|=]?[iufbUO][0-9]{0,3}")
# An array rebuilt from the config may take this many bytes per byte of its JSON
# text (plus a little): numbers need no more, while a crafted ``<U999`` dtype
# would turn each 3-byte "" into 4 KB.
_ARRAY_BYTES_PER_CHAR, _ARRAY_BYTES_EXTRA = 64, 1024


def save_estimator(est: MLPClassifier | MLPRegressor, path: str | os.PathLike[str]) -> None:
    """Write a fitted ``numnet.sklearn`` estimator to ``path``, atomically.

    Parameters
    ----------
    est : MLPClassifier or MLPRegressor
        Fitted.
    path : str or os.PathLike

    Raises
    ------
    TypeError
        If ``est`` is not a numnet.sklearn estimator.
    ValueError
        If it is not fitted.
    """
    name = type(est).__name__
    if name not in _ESTIMATORS or not type(est).__module__.startswith("numnet.sklearn"):
        raise TypeError(f"save_estimator saves numnet.sklearn's {' and '.join(_ESTIMATORS)}, got "
                        f"{name}; save a Sequential model with model.save(path)")
    if "network_" not in vars(est):
        raise ValueError(f"this {name} is not fitted yet; call fit before saving it")
    network = est.network_
    output = network.layers[-1]
    config = {
        "format": FORMAT, "numnet_version": __version__, "estimator": name,
        "params": {key: _to_json(value) for key, value in est.get_params(deep=False).items()},
        "fitted": {key: _to_json(vars(est)[key]) for key in _FITTED if key in vars(est)},
        "label_type": getattr(vars(est).get("_label_binarizer"), "y_type_", None),
        # The output activation is rebuilt from out_activation_ (Poisson's exp is no
        # registered layer); the rest of the network is stored like a model.
        "network": {**network.get_config(), "layers": network.get_config()["layers"][:-1]},
        "output_layer_name": output.name,
    }
    write_archive(path, config, model_arrays(network))


def load_estimator(path: str | os.PathLike[str]) -> MLPClassifier | MLPRegressor:
    """Load an estimator written by :func:`save_estimator`.

    Returns
    -------
    MLPClassifier or MLPRegressor
        Fitted: ``predict`` gives the same results as before saving.

    Raises
    ------
    ModelFileError
        If the file is missing, damaged or not a saved estimator.
    """
    path = as_path(path)
    config, arrays = read_archive(path, FORMAT)
    classes = {cls.__name__: cls for cls in (MLPClassifier, MLPRegressor)}
    if config.get("estimator") not in classes:
        raise ModelFileError(f"{path}: unknown estimator {config.get('estimator')!r}")
    try:
        params = {key: _from_json(value, path) for key, value in config["params"].items()}
        est = classes[config["estimator"]](**params)
        for key, value in config["fitted"].items():
            if key not in _FITTED:
                raise ModelFileError(f"{path}: unexpected fitted attribute {key!r}")
            setattr(est, key, _from_json(value, path))
        est.network_ = _rebuild_network(config, arrays, path)
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ModelFileError(f"{path}: the estimator cannot be rebuilt ({type(exc).__name__}: "
                             f"{exc})") from None
    _finish(est, config, path)
    return est


def _rebuild_network(config: dict, arrays: dict, path):
    out_activation = config["fitted"].get("out_activation_")
    if out_activation not in _network._OUTPUT:
        raise ModelFileError(f"{path}: unknown output activation {out_activation!r}")
    network = build_model(config["network"], arrays, path)
    output = _network._OUTPUT[out_activation]()
    output.name = str(config["output_layer_name"])
    network.add(output)
    restore_arrays(network, arrays, path)
    return network


def _finish(est, config: dict, path) -> None:
    """Private state the estimator keeps next to its fitted attributes."""
    if config["estimator"] == "MLPClassifier":
        if "classes_" not in vars(est) or config.get("label_type") not in (
                "binary", "multiclass", "multilabel-indicator"):
            raise ModelFileError(f"{path}: a classifier needs classes_ and its label type")
        binarizer = LabelBinarizer()
        binarizer.classes_, binarizer.y_type_ = est.classes_, config["label_type"]
        binarizer.sparse_input_ = False
        est._label_binarizer = binarizer
    est._best_weights = _network.snapshot(est.network_)  # what early stopping restores
    est._no_improvement_count = 0


# -- JSON for parameters and fitted attributes --------------------------------------------
def _to_json(value):
    """Plain JSON data, with tags for what JSON lacks (tuples, arrays, non-string keys)."""
    if isinstance(value, np.ndarray):
        return {"__array__": _to_json(value.tolist()), "dtype": value.dtype.str}
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, tuple):
        return {"__tuple__": [_to_json(v) for v in value]}
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    if isinstance(value, dict):
        return {"__items__": [[_to_json(k), _to_json(v)] for k, v in value.items()]}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.random.Generator, np.random.RandomState)):
        return None  # a generator's state is not needed to predict; see the module docs
    raise TypeError(f"{type(value).__name__} {value!r} cannot be stored in a numnet file")


def _from_json(value, path):
    if isinstance(value, list):
        return [_from_json(v, path) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"__tuple__"}:
        return tuple(_from_json(v, path) for v in value["__tuple__"])
    if set(value) == {"__items__"}:
        return {_hashable(_from_json(k, path)): _from_json(v, path) for k, v in value["__items__"]}
    if set(value) == {"__array__", "dtype"} and isinstance(value["dtype"], str) \
            and _ARRAY_DTYPE.fullmatch(value["dtype"]):
        return _json_array(value, path)
    raise ModelFileError(f"{path}: unexpected entry {str(value)[:80]} in the estimator's config")


def _json_array(value: dict, path) -> np.ndarray:
    """Rebuild a tagged array, unless it would take far more memory than its JSON text."""
    items = _from_json(value["__array__"], path)
    dtype = np.dtype(value["dtype"])
    cells = np.array(items, dtype=object)  # 8 bytes per value: bounded by the text already
    width = dtype.itemsize or 4 * max((len(str(v)) for v in cells.flat), default=0)  # "<U": longest
    allowed = _ARRAY_BYTES_EXTRA + _ARRAY_BYTES_PER_CHAR * len(json.dumps(value["__array__"]))
    if cells.size * width > allowed:
        raise ModelFileError(f"{path}: an array of {cells.size} values of dtype {dtype} in the "
                             f"estimator's config would take {cells.size * width} bytes, far more "
                             "than its text justifies; the file is damaged or was tampered with")
    return np.array(items, dtype=dtype)


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key
