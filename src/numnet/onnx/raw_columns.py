"""ONNX for a model made by ``numnet train``: the graph takes the CSV columns themselves.

``numnet train`` stores its preprocessing in the model file (``model.preprocessing``,
written by ``numnet.cli.preprocessing``). Here the same steps become ONNX nodes, in
the same order and dtypes as ``numnet predict`` runs them, so that a runtime
returns what ``numnet predict`` writes:

- a numeric column is an input of shape (batch, 1), float32, NaN where a cell
  is missing. Gaps are filled with the stored values (a model trained with
  ``--impute``), then the column is standardised: ``(x - mean) / std`` in float32.
- a text column is an input of shape (batch, 1) of strings, the cells as the
  CSV holds them. A level seen in training becomes its one-hot column; an
  unseen one is all zeros, as in ``numnet predict``. A missing cell (the empty
  string, or a text that pandas reads as missing, such as "NA") becomes the
  stored most frequent level (``--impute``).
- outputs: ``label`` of shape (batch,), the class in its original type (string,
  int64 or double) or, for regression, the prediction in the target's units
  (double); ``probabilities`` of shape (batch, n_classes), for classification.

``numnet predict`` refuses missing cells of a model trained without ``--impute``;
a graph cannot refuse, so there a NaN passes through to the outputs and a missing
text cell is encoded as all zeros.
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper

from numnet.onnx.export import (_check_model, _check_opset, _metadata_strings, _numnet_version,
                                append_network)
from numnet.onnx.graph import ONNX_TYPES, GraphBuilder

OUTPUTS = ("label", "probabilities")
ML_DOMAIN, ML_OPSET = "ai.onnx.ml", 2  # LabelEncoder with string keys since version 2
UNSEEN, MISSING = -1, -2  # level codes of a text cell outside the levels, and of a missing one
# The cells pandas.read_csv reads as missing by default (its documented ``na_values``):
# ``numnet predict`` sees them as gaps, so the graph must too. None of them can be a
# level, since pandas never hands them to training as text.
MISSING_TEXT = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
                "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null")
REQUIRED = ("feature_columns", "numeric", "numeric_mean", "numeric_std", "categorical", "task")


def export_raw(model: Any, path: str | os.PathLike[str], opset: int = 17,
               metadata: dict | None = None) -> onnx.ModelProto:
    """Write ``model`` with its CSV preprocessing to ``path`` as ONNX; return the ModelProto.

    Parameters
    ----------
    model : Sequential
        A model made by ``numnet train`` (loaded with ``numnet.load``), whose
        ``preprocessing`` says how CSV columns become its inputs.
    path : str or os.PathLike
    opset : int, default 17
        The ONNX operator set, from 13 to the newest the installed ``onnx`` knows;
        the text columns also use ``ai.onnx.ml``'s LabelEncoder (version 2).
    metadata : dict, optional
        Strings stored in the file's ``metadata_props`` (other values as JSON).

    Returns
    -------
    onnx.ModelProto
        One input per feature column, named after it: float32 of shape (batch, 1)
        for numeric columns, string of shape (batch, 1) for text columns. Outputs
        ``label`` (batch,) and, for classification, ``probabilities`` (batch, n_classes).
        Checked with ``onnx.checker.check_model(full_check=True)``.

    Raises
    ------
    ValueError
        If the model has no ``numnet train`` preprocessing, a feature column is
        named like an output, or the layers cannot be exported (as ``export`` says).
    """
    proto = to_onnx_raw(model, opset=opset, metadata=metadata)
    onnx.save(proto, os.fspath(path))
    return proto


def to_onnx_raw(model: Any, opset: int = 17, metadata: dict | None = None) -> onnx.ModelProto:
    """The checked ``onnx.ModelProto`` of ``export_raw``, not written to a file."""
    opset = _check_opset(opset)
    _, dtype = _check_model(model)
    prep = _check_preprocessing(model)
    g = GraphBuilder(dtype, opset, reserved=[*prep["feature_columns"], *OUTPUTS])
    value = append_network(g, model, _encoded(g, prep))
    if prep["task"] == "classification":
        outputs = _classification_outputs(g, prep, value)
    else:
        outputs = _regression_outputs(g, prep, value)
    graph = helper.make_graph(g.nodes, model.name or "numnet",
                              [*_column_inputs(g, prep), *g.extra_inputs], outputs,
                              initializer=g.initializers, doc_string=repr(model))
    proto = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", opset),
                              helper.make_opsetid(ML_DOMAIN, ML_OPSET)],
        producer_name="numnet", producer_version=_numnet_version())
    helper.set_model_props(proto, _metadata_strings(metadata))
    onnx.checker.check_model(proto, full_check=True)
    return proto


def _check_preprocessing(model) -> dict:
    prep = getattr(model, "preprocessing", None)
    if not isinstance(prep, dict) or any(key not in prep for key in REQUIRED):
        raise ValueError("this model was not made by `numnet train`, so it does not say how CSV "
                         "columns become its inputs; export the input matrix instead with "
                         "numnet.onnx.export(model, path) (`numnet export --encoded`)")
    clashes = [c for c in prep["feature_columns"] if c in OUTPUTS]
    if clashes:
        raise ValueError(f"the feature column {clashes[0]!r} has the name of an output of the "
                         "ONNX graph ('label', 'probabilities'); rename the column and retrain, "
                         "or export the encoded inputs (`numnet export --encoded`)")
    width = len(prep["numeric"]) + sum(len(v) for v in prep["categorical"].values())
    if width != model.n_features:
        raise ValueError(f"the stored preprocessing makes {width} inputs, but the model takes "
                         f"{model.n_features}; the model file is inconsistent: retrain it")
    return prep


def _column_inputs(g, prep) -> list:
    numeric = set(prep["numeric"])
    return [helper.make_tensor_value_info(
        name, TensorProto.FLOAT if name in numeric else TensorProto.STRING, [g.batch, 1])
        for name in prep["feature_columns"]]


def _encoded(g, prep) -> str:
    """The model's input matrix, (batch, n_features): numeric block, then one-hot blocks."""
    impute = prep.get("impute") or {}
    blocks = [_numeric_block(g, prep)] if prep["numeric"] else []
    blocks += [_one_hot(g, name, levels, impute.get("categorical", {}).get(name))
               for name, levels in prep["categorical"].items() if levels]
    x = g.op("Concat", blocks, axis=1) if len(blocks) > 1 else blocks[0]
    if g.dtype != np.float32:  # predict standardises in float32, then the model casts
        x = g.op("Cast", [x], to=ONNX_TYPES[g.dtype])
    return x


def _numeric_block(g, prep) -> str:
    """Filled and standardised numeric columns, (batch, n_numeric) float32, as predict does."""
    names = prep["numeric"]
    x = g.op("Concat", names, axis=1) if len(names) > 1 else names[0]
    impute = prep.get("impute")
    if impute:
        # predict fills a gap with the stored value, or the column mean where none was stored
        fill = [impute["numeric"].get(c, m) for c, m in zip(names, prep["numeric_mean"])]
        fill = g.constant(fill, "fill", dtype=np.float32)
        x = g.op("Where", [g.op("IsNaN", [x]), fill, x])
    x = g.op("Sub", [x, g.constant(prep["numeric_mean"], "mean", dtype=np.float32)])
    return g.op("Div", [x, g.constant(prep["numeric_std"], "std", dtype=np.float32)])


def _one_hot(g, name: str, levels: list, fill: str | None) -> str:
    """One text column as (batch, n_levels) float32: 1 in its level's column, else zeros."""
    gaps = [text for text in MISSING_TEXT if text not in levels]
    # LabelEncoder gives each cell its level's index, MISSING for a gap, UNSEEN otherwise.
    code = g.op("LabelEncoder", [name], domain=ML_DOMAIN, keys_strings=[*levels, *gaps],
                values_int64s=[*range(len(levels)), *[MISSING] * len(gaps)],
                default_int64=UNSEEN)
    if fill is not None:
        is_gap = g.op("Equal", [code, g.constant(MISSING, "missing", dtype=np.int64)])
        code = g.op("Where", [is_gap, g.constant(levels.index(fill), "fill", np.int64), code])
    # (batch, 1) == (n_levels,) broadcasts to the one-hot rows; a negative code matches none.
    one_hot = g.op("Equal", [code, g.constant(np.arange(len(levels)), "levels", np.int64)])
    return g.op("Cast", [one_hot], to=TensorProto.FLOAT)


def _classification_outputs(g, prep, probabilities: str) -> list:
    classes, label_type = _class_table(prep["classes"])
    # ArgMax keeps the first of equal maxima, as np.argmax in decode_outputs does.
    index = g.op("ArgMax", [probabilities], axis=1, keepdims=0)
    _name(g, g.op("Gather", [g.constant(classes, "classes", classes.dtype), index], axis=0),
          "label")
    _name(g, probabilities, "probabilities")
    return [helper.make_tensor_value_info("label", label_type, [g.batch]),
            helper.make_tensor_value_info("probabilities", ONNX_TYPES[g.dtype],
                                          [g.batch, len(classes)])]


def _class_table(classes: list) -> tuple[np.ndarray, int]:
    """The classes as an array of their own type, and its ONNX element type."""
    if all(isinstance(c, str) for c in classes):
        return np.array(classes, dtype=object), TensorProto.STRING
    if all(isinstance(c, int) and not isinstance(c, bool) for c in classes):
        return np.array(classes, dtype=np.int64), TensorProto.INT64
    return np.array(classes, dtype=np.float64), TensorProto.DOUBLE


def _regression_outputs(g, prep, output: str) -> list:
    first = g.op("Gather", [output, g.constant(0, "first", np.int64)], axis=1)  # (batch,)
    if g.dtype != np.float64:
        first = g.op("Cast", [first], to=TensorProto.DOUBLE)
    # decode_outputs' arithmetic, in float64: y * target_std + target_mean
    scaled = g.op("Mul", [first, g.constant(prep["target_std"], "target_std", np.float64)])
    _name(g, g.op("Add", [scaled, g.constant(prep["target_mean"], "target_mean", np.float64)]),
          "label")
    return [helper.make_tensor_value_info("label", TensorProto.DOUBLE, [g.batch])]


def _name(g, value: str, name: str) -> None:
    g.nodes.append(helper.make_node("Identity", [value], [name], name=f"{name}_node"))
