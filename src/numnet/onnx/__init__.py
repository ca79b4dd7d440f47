"""ONNX export (needs the ``onnx`` package: ``pip install ".[onnx]"``).

``export`` writes the network alone (input: the model's input matrix);
``export_raw`` writes a model made by ``numnet train`` with its preprocessing,
so that the graph takes the CSV columns and returns labels.

>>> from numnet.onnx import export  # doctest: +SKIP
>>> export(model, "model.onnx", opset=17)  # doctest: +SKIP
"""
try:
    import onnx  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError('numnet.onnx writes ONNX files with the onnx package, which is not installed; '
                      'install it with pip install ".[onnx]" in the numnet folder '
                      '(or pip install onnx)') from exc

from numnet.onnx.export import export, to_onnx
from numnet.onnx.raw_columns import export_raw, to_onnx_raw

__all__ = ["export", "to_onnx", "export_raw", "to_onnx_raw"]
