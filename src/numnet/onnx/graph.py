"""A small helper that collects ONNX nodes and constants while layers are converted."""
from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper

ONNX_TYPES = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE}


class GraphBuilder:
    """Collects nodes, constants (initializers) and extra graph inputs.

    Parameters
    ----------
    dtype : numpy dtype
        The model's compute dtype; every constant is stored in it.
    opset : int
        The ONNX operator set the graph targets.
    batch : str
        The name of the dynamic batch dimension.
    reserved : iterable of str, optional
        Names the graph uses for its own inputs and outputs (such as CSV column
        names): :meth:`fresh` never hands them out.
    """

    def __init__(self, dtype, opset: int, batch: str = "batch", reserved=()):
        self.dtype, self.opset, self.batch = np.dtype(dtype), int(opset), batch
        self.nodes: list = []
        self.initializers: list = []
        self.extra_inputs: list = []
        self._count = 0
        self._reserved = set(reserved)

    def fresh(self, hint: str) -> str:
        """A new, unused value name."""
        self._count += 1
        while f"{hint}_{self._count}" in self._reserved:  # a CSV column may be named "sub_7"
            self._count += 1
        return f"{hint}_{self._count}"

    def constant(self, value, hint: str, dtype=None) -> str:
        """An initializer holding ``value`` in ``dtype`` (the model's by default); its name."""
        name = self.fresh(hint)
        array = np.asarray(value, dtype=self.dtype if dtype is None else dtype)
        self.initializers.append(numpy_helper.from_array(array, name=name))
        return name

    def op(self, op_type: str, inputs: list, hint: str | None = None, domain: str = "",
           **attributes) -> str:
        """Add one node with one output; return the output's name.

        ``domain`` is the operator set the node comes from: "" for ONNX's own,
        "ai.onnx.ml" for the classic machine-learning operators.
        """
        output = self.fresh(hint or op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [output], name=f"{output}_node",
                                           domain=domain, **attributes))
        return output

    def reduce(self, op_type: str, x: str, axis: int) -> str:
        """ReduceMax/ReduceSum over ``axis`` with keepdims, in the form ``opset`` wants.

        ReduceSum takes its axes as an input from opset 13, ReduceMax from opset 18.
        """
        takes_input = op_type == "ReduceSum" or self.opset >= 18
        if takes_input:
            axes = self.constant([axis], "axes", dtype=np.int64)
            return self.op(op_type, [x, axes], keepdims=1)
        return self.op(op_type, [x], axes=[axis], keepdims=1)

    def add_input(self, name: str, n_columns: int) -> str:
        """Declare another graph input of shape (batch, n_columns) in the model's dtype."""
        self.extra_inputs.append(self.tensor_info(name, n_columns))
        return name

    def tensor_info(self, name: str, n_columns: int):
        """An ONNX value info named ``name`` of shape (batch, n_columns) in the model's dtype."""
        return helper.make_tensor_value_info(name, ONNX_TYPES[self.dtype], [self.batch, n_columns])
