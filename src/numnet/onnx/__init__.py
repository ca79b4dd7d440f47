"""ONNX export (needs the ``onnx`` package: ``pip install numnet[onnx]``).

>>> from numnet.onnx import export  # doctest: +SKIP
>>> export(model, "model.onnx", opset=17)  # doctest: +SKIP
"""
from numnet.onnx.export import export, to_onnx

__all__ = ["export", "to_onnx"]
