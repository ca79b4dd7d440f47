"""One mini-batch of training: forward, the loss, backward and one optimizer step.

:class:`BatchStep` runs any model through its layers and its (possibly fused)
loss. :class:`DenseReluSteps` is the same step for the most common network --
Dense and ReLU layers under softmax + cross-entropy -- written into buffers made
once per batch size, so that ``fit`` runs as fast as a hand-written NumPy loop;
it is bit-for-bit the general path (tests/test_speed_paths.py) and keeps its
buffers on the step of one ``fit``, never on the layers.
"""
from __future__ import annotations

import copy
import math

import numpy as np

from numnet import _kernels as kernels
from numnet.model.forward import ForwardPlan


class BatchStep:
    """Forward, loss, backward and one optimizer step for one mini-batch.

    When the loss can fuse with the last layer (softmax + cross-entropy), the
    last layer is skipped and the loss works on its inputs, the logits.
    """

    def __init__(self, model, strategy=None):
        self.model, self.strategy = model, strategy
        last = model.layers[-1]
        fused = model.loss.logits_loss(last)
        # A copy of its own: what the loss keeps for backward never lands on model.loss,
        # so evaluating (or pickling the model) never touches a training batch.
        self.loss = fused or copy.copy(model.loss)
        self.layers = model.layers[:-1] if fused else list(model.layers)
        self.fused = fused is not None
        self.loss_takes_mask = getattr(self.loss, "accepts_mask", False)
        flat = self.flat = model._flat
        self.params, self.grads = [flat.values], [flat.gradients]
        self.optimizer = model.optimizer
        self.outputs = None
        # Look these up once per fit rather than once per batch.
        self.forward_plan = ForwardPlan(self.layers)
        self.backward_plan = self.layers[::-1]
        # Dense/ReLU stacks under softmax + cross-entropy train through preallocated buffers.
        self.fast = DenseReluSteps.for_step(self) if strategy is None else None

    def loss_only(self, X, y, w, mask, training=False):
        """Forward and loss; sets :attr:`outputs` (what ``predict`` would return)."""
        out = self.forward_plan.run(X, training, mask)
        if self.loss_takes_mask:
            loss = self.loss.forward(out, y, w, mask=mask)
        else:
            loss = self.loss.forward(out, y, w)
        self.outputs = self.loss.probabilities if self.fused else out
        return loss

    def run(self, X, y, w, mask):
        """One training step; returns the batch's loss (non-finite: nothing was updated)."""
        fast = self.fast
        if fast is not None and w is None and mask is None and y.ndim == 1:
            loss = fast.gradients(X, y)
            self.outputs = fast.probabilities
            if math.isfinite(loss):
                self.optimizer.step(self.params, self.grads)
            return loss
        loss = self.loss_only(X, y, w, mask, training=True)
        if not math.isfinite(loss) and self.strategy is None:
            return loss
        grad = self.loss.backward()
        for layer in self.backward_plan:
            grad = layer.backward(grad)
        if self.flat.watched:  # a user's layer may have rebound params/grads arrays
            self.flat.adopt_rebound()
        if self.strategy is not None:  # average over ranks; non-finite on one, non-finite on all
            loss = self.strategy.reduce_gradients(self.grads[0], loss, len(X))
            if not math.isfinite(loss):
                return loss
        self.optimizer.step(self.params, self.grads)
        return loss

    def skip_input_gradient(self):
        """Context: the first layer skips ``dL/dX`` during training, since nothing uses it."""
        return NoInputGradient(self.layers[0] if self.layers else None)

    def first_non_finite_layer(self, X, mask):
        """Name the first layer whose output for ``X`` holds NaN or inf, or None."""
        for layer, out in self.forward_plan.outputs(X, training=False, mask=mask):
            if not np.isfinite(out).all():
                return f"the output of layer '{layer.name}'"
        return None


class DenseReluSteps:
    """Gradients of a ``Dense (ReLU Dense)*`` stack under fused softmax + cross-entropy.

    The same arithmetic as the layers' ``forward``/``backward`` and the fused
    loss (``Z = A @ W + b``, ``A = max(Z, 0)``, ``dZ = (P - T) / m`` at the
    output, ``dW = A.T @ dZ``, ``db = ones @ dZ``, ``dA = dZ @ W.T``,
    ``dZ = dA * (A > 0)``), written into buffers made once per batch size and
    kept here, for this fit only: the layers hold nothing, so inference stays
    stateless. The weight gradient is written into the layers' ``grads``
    views of the flat buffer, as ``Dense.backward`` does.
    """

    def __init__(self, dense, dtype):
        self.W = [layer.params["weights"] for layer in dense]
        self.b = [layer.params["biases"] for layer in dense]
        self.dW = [layer.grads["weights"] for layer in dense]
        self.db = [layer.grads["biases"] for layer in dense]
        self.widths = [self.W[0].shape[0]] + [W.shape[1] for W in self.W]
        self.dtype = dtype
        self.eye = kernels.eye(self.widths[-1], np.dtype(dtype).str)
        self._buffers = {}
        self.probabilities = None

    @classmethod
    def for_step(cls, step):
        """The fast path for ``step`` (a :class:`BatchStep`), or None when it does not apply."""
        from numnet.layers.activations import ReLU
        from numnet.layers.dense import Dense
        from numnet.losses.crossentropy import CategoricalCrossEntropy

        loss, layers = step.loss, step.layers
        if (type(loss) is not CategoricalCrossEntropy or not loss.from_logits or loss.label_smoothing
                or step.flat.watched or len(layers) % 2 == 0):
            return None
        dense, relus = layers[::2], layers[1::2]
        plain = all(type(layer) is Dense and layer.activation is None
                    and not (layer.l1 or layer.l2 or layer.bias_l1 or layer.bias_l2) for layer in dense)
        if not plain or not all(type(layer) is ReLU for layer in relus):
            return None
        return cls(dense, step.flat.values.dtype)

    def _buffers_for(self, m):
        """``A[i]``: input of Dense ``i`` (``A[0]`` the batch); ``D[i]``: ``dL/dZ`` of Dense ``i``."""
        buf = self._buffers.get(m)
        if buf is None:
            widths, dtype = self.widths, self.dtype
            buf = self._buffers[m] = (
                [None] + [np.empty((m, w), dtype) for w in widths[1:-1]],
                [np.empty((m, w), dtype) for w in widths[1:]],
                [None] + [np.empty((m, w), dtype) for w in widths[1:-1]],  # ReLU masks
                kernels.ones(m, np.dtype(dtype).str),
                kernels.SoftmaxCrossEntropyBuffers(m, widths[-1], dtype))
        return buf

    def gradients(self, X, labels):
        """Fill the gradients for the batch ``X`` (m, n_inputs), int ``labels`` (m,); return the loss."""
        A, D, masks, ones, softmax = self._buffers_for(len(X))
        A[0] = X
        self.eye.take(labels, axis=0, out=softmax.T)  # one-hot rows: P - T is one subtraction
        last = len(self.W) - 1
        for i in range(last):
            kernels.relu_into(kernels.affine_into(A[i], self.W[i], self.b[i], out=A[i + 1]))
        loss = softmax.gradient(kernels.affine_into(A[last], self.W[last], self.b[last], out=D[last]))
        self.probabilities = softmax.P
        for i in range(last, -1, -1):
            np.matmul(A[i].T, D[i], out=self.dW[i])
            np.matmul(ones, D[i], out=self.db[i])  # the bias gradient sums dZ over the samples
            if i:  # the first layer's dL/dX is the data's: nothing uses it
                np.matmul(D[i], self.W[i].T, out=D[i - 1])
                kernels.relu_backward_into(D[i - 1], A[i], masks[i])
        return loss


class NoInputGradient:
    """Turns off a Dense layer's ``dL/dX`` for the duration of ``fit`` (one matmul per batch saved)."""

    def __init__(self, layer):
        self.layer = layer if hasattr(layer, "input_grad") else None

    def __enter__(self):
        if self.layer is not None:
            self.saved, self.layer.input_grad = self.layer.input_grad, False

    def __exit__(self, *exc):
        if self.layer is not None:
            self.layer.input_grad = self.saved
        return False
