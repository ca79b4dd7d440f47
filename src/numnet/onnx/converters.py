"""One converter per exportable layer: ``convert(builder, layer, x) -> output name``.

Each converter writes the same arithmetic as the layer's ``forward`` at
inference, in ONNX operators, so that a runtime reproduces numnet's outputs
to rounding. Where ONNX has a matching operator it is used; where the
reference runtime lacks a float64 kernel (Elu, Softplus) or the operator set
lacks the operator (Gelu before opset 20), the formula is written out.
"""
from __future__ import annotations

import math

import numpy as np

from numnet.layers.activations import (ELU, GELU, Identity, LeakyReLU, ReLU, Sigmoid, Softmax,
                                       Softplus, Tanh)
from numnet.layers.batchnorm import BatchNorm
from numnet.layers.dense import Dense
from numnet.layers.dropout import Dropout
from numnet.layers.masked_softmax import MaskedSoftmax


def _dense(g, layer, x):
    # Gemm computes X @ W + b with W of shape (n_inputs, n_neurons), as Dense stores it.
    W = g.constant(layer.params["weights"], f"{layer.name}_weights")
    b = g.constant(layer.params["biases"], f"{layer.name}_biases")
    return g.op("Gemm", [x, W, b], hint=layer.name)


def _leaky_relu(g, layer, x):
    if g.dtype == np.float32:
        return g.op("LeakyRelu", [x], alpha=layer.alpha)
    scaled = g.op("Mul", [x, g.constant(layer.alpha, "alpha")])
    return g.op("Where", [_positive(g, x), x, scaled])


def _elu(g, layer, x):
    if g.dtype == np.float32:
        return g.op("Elu", [x], alpha=layer.alpha)
    # x for x > 0, else alpha * (exp(min(x, 0)) - 1), as ELU.forward computes it
    negative = g.op("Min", [x, g.constant(0.0, "zero")])
    curve = g.op("Sub", [g.op("Exp", [negative]), g.constant(1.0, "one")])
    scaled = g.op("Mul", [curve, g.constant(layer.alpha, "alpha")])
    return g.op("Where", [_positive(g, x), x, scaled])


def _gelu(g, layer, x):
    if g.opset >= 20:
        return g.op("Gelu", [x], approximate="tanh")
    # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), in GELU.forward's order
    cube = g.op("Mul", [g.op("Mul", [x, x]), x])
    inner = g.op("Add", [x, g.op("Mul", [cube, g.constant(0.044715, "gelu_c")])])
    tanh = g.op("Tanh", [g.op("Mul", [inner, g.constant(math.sqrt(2.0 / math.pi), "sqrt_2_pi")])])
    half_x = g.op("Mul", [x, g.constant(0.5, "half")])
    return g.op("Mul", [half_x, g.op("Add", [tanh, g.constant(1.0, "one")])])


def _softplus(g, layer, x):
    if g.dtype == np.float32:
        return g.op("Softplus", [x])
    # log(1 + exp(x)) = max(x, 0) + log(1 + exp(-|x|)): exp never overflows
    tail = g.op("Exp", [g.op("Neg", [g.op("Abs", [x])])])
    log_term = g.op("Log", [g.op("Add", [tail, g.constant(1.0, "one")])])
    return g.op("Add", [g.op("Relu", [x]), log_term])


def _softmax(g, layer, x):
    return g.op("Softmax", [x], axis=layer.axis)


def _masked_softmax(g, layer, x):
    """Softmax over allowed classes; the mask is a second graph input, nonzero = allowed.

    The same steps as ``masked_softmax_parts``: masked logits become -inf, the
    row maximum of the allowed logits is subtracted (0 for a fully masked
    row), and a row whose sum is 0 is divided by 1, so it stays all zeros.
    """
    mask = g.add_input("mask", layer.input_shape[-1])
    allowed = g.op("Not", [g.op("Equal", [mask, g.constant(0.0, "zero")])])
    shifted = g.op("Where", [allowed, x, g.constant(-np.inf, "minus_inf")])
    top = g.reduce("ReduceMax", shifted, layer.axis)
    top = g.op("Where", [g.op("IsInf", [top], detect_positive=0), g.constant(0.0, "zero"), top])
    exps = g.op("Exp", [g.op("Sub", [shifted, top])])
    total = g.reduce("ReduceSum", exps, layer.axis)
    total = g.op("Where", [g.op("Equal", [total, g.constant(0.0, "zero")]),
                           g.constant(1.0, "one"), total])
    return g.op("Div", [exps, total])


def _batch_norm(g, layer, x):
    # Folded with BatchNorm.forward's own arithmetic at inference:
    # (x - running_mean) * (1 / sqrt(running_var + eps)) * gamma + beta
    state, params = layer.state, layer.params
    inv_std = 1.0 / np.sqrt(state["running_var"] + layer.eps)
    centred = g.op("Sub", [x, g.constant(state["running_mean"], f"{layer.name}_mean")])
    scaled = g.op("Mul", [centred, g.constant(inv_std, f"{layer.name}_inv_std")])
    scaled = g.op("Mul", [scaled, g.constant(params["gamma"], f"{layer.name}_gamma")])
    return g.op("Add", [scaled, g.constant(params["beta"], f"{layer.name}_beta")], hint=layer.name)


def _positive(g, x):
    return g.op("Greater", [x, g.constant(0.0, "zero")])


def _unary(op_type):
    def convert(g, layer, x):
        return g.op(op_type, [x])
    return convert


def _passthrough(g, layer, x):
    return x  # Dropout is the identity at inference


#: Exact layer classes that can be exported (a subclass may compute something else).
CONVERTERS = {
    Dense: _dense, ReLU: _unary("Relu"), LeakyReLU: _leaky_relu, ELU: _elu, GELU: _gelu,
    Sigmoid: _unary("Sigmoid"), Tanh: _unary("Tanh"), Softplus: _softplus,
    Identity: _unary("Identity"), Softmax: _softmax, MaskedSoftmax: _masked_softmax,
    Dropout: _passthrough, BatchNorm: _batch_norm,
}
