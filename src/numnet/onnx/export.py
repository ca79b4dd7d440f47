"""Export a :class:`~numnet.Sequential` model to an ONNX file for other runtimes.

The graph takes ``input`` of shape ``(batch, n_features)`` (the batch size is
dynamic) and returns ``output`` of shape ``(batch, n_outputs)``, in the
model's dtype (float32 or float64). A model ending in MaskedSoftmax takes a
second input ``mask`` of shape ``(batch, n_classes)``, nonzero = allowed.
Dropout is dropped, since it is the identity at inference.
"""
from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import onnx
from onnx import helper

from numnet.onnx.converters import CONVERTERS
from numnet.onnx.graph import ONNX_TYPES, GraphBuilder

MIN_OPSET = 13  # Softmax normalises one axis (not a flattened 2-D view) from opset 13


def export(model: Any, path: str | os.PathLike[str], opset: int = 17,
           metadata: dict | None = None) -> onnx.ModelProto:
    """Write ``model`` to ``path`` as an ONNX model and return the ``onnx.ModelProto``.

    Parameters
    ----------
    model : Sequential
        Built (fitted, or ``model.build(n_features)``), with layers among Dense,
        the activations, Softmax, MaskedSoftmax, Dropout and BatchNorm.
    path : str or os.PathLike
    opset : int, default 17
        The ONNX operator set, from 13 to the newest the installed ``onnx`` knows.
        From 20 GELU is ONNX's own ``Gelu`` operator; before, its formula.
    metadata : dict, optional
        Strings stored in the file's ``metadata_props`` (other values as JSON).

    Returns
    -------
    onnx.ModelProto
        Checked with ``onnx.checker.check_model``.

    Raises
    ------
    ValueError
        If the model is not built, ``opset`` is out of range, or a layer has no
        ONNX equivalent (the message names the layer and what can be exported).

    Examples
    --------
    >>> import os, tempfile
    >>> from numnet import Sequential, Dense, ReLU, Softmax
    >>> model = Sequential([Dense(4, 8), ReLU(), Dense(8, 3), Softmax()])
    >>> proto = export(model, os.path.join(tempfile.mkdtemp(), "model.onnx"))
    >>> [node.op_type for node in proto.graph.node]
    ['Gemm', 'Relu', 'Gemm', 'Softmax', 'Identity']
    """
    proto = to_onnx(model, opset=opset, metadata=metadata)
    onnx.save(proto, os.fspath(path))
    return proto


def to_onnx(model: Any, opset: int = 17, metadata: dict | None = None) -> onnx.ModelProto:
    """The checked ``onnx.ModelProto`` of ``model``, not written to a file; see :func:`export`."""
    opset = _check_opset(opset)
    n_features, dtype = _check_model(model)
    builder = GraphBuilder(dtype, opset)
    value = append_network(builder, model, "input")
    # Name the result "output" whatever the last layer was (even a lone Dropout).
    builder.nodes.append(helper.make_node("Identity", [value], ["output"], name="output_node"))
    graph = helper.make_graph(
        builder.nodes, model.name or "numnet",
        [builder.tensor_info("input", n_features), *builder.extra_inputs],
        [builder.tensor_info("output", model.n_outputs)], initializer=builder.initializers,
        doc_string=repr(model))
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="numnet", producer_version=_numnet_version())
    helper.set_model_props(proto, _metadata_strings(metadata))
    onnx.checker.check_model(proto, full_check=True)
    return proto


def append_network(builder: GraphBuilder, model, value: str) -> str:
    """Add the nodes of ``model``'s layers, applied to ``value``; return the result's name.

    ``value`` holds the model's input matrix, of shape (batch, n_features) in its dtype.
    """
    for layer in model.layers:
        value = CONVERTERS[type(layer)](builder, layer, value)
    return value


def _check_opset(opset) -> int:
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)) \
            or not MIN_OPSET <= opset <= newest:
        raise ValueError(f"opset must be an int from {MIN_OPSET} to {newest} (the newest the "
                         f"installed onnx knows), got {opset!r}")
    return int(opset)


def _check_model(model) -> tuple[int, np.dtype]:
    if hasattr(model, "network_") and not hasattr(model, "layers"):
        raise TypeError(f"export takes a numnet Sequential; for a fitted {type(model).__name__} "
                        "pass its network: numnet.onnx.export(estimator.network_, path)")
    if not hasattr(model, "layers"):
        raise TypeError(f"export takes a numnet Sequential model, got {type(model).__name__}")
    if getattr(model, "n_features", None) is None:
        raise ValueError("the model is not built, so its input width is unknown; fit it or call "
                         "model.build(n_features) before exporting")
    dtype = np.dtype(model.dtype)
    if dtype not in ONNX_TYPES:
        raise ValueError(f"only float32 and float64 models can be exported, this one is {dtype}")
    for layer in model.layers:
        if type(layer) not in CONVERTERS:
            known = ", ".join(sorted(cls.__name__ for cls in CONVERTERS))
            raise ValueError(
                f"layer '{layer.name}' ({type(layer).__name__}) cannot be exported to ONNX: numnet "
                f"knows ONNX equivalents only for {known}. Replace the layer, or export a model "
                "without it")
    return int(model.n_features), dtype


def _metadata_strings(metadata: dict | None) -> dict:
    return {str(key): value if isinstance(value, str) else json.dumps(value)
            for key, value in (metadata or {}).items()}


def _numnet_version() -> str:
    import numnet

    return numnet.__version__
