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
        # Tuples: the optimizer then knows, from their identity alone, that they still hold
        # the same arrays, and reuses its plan without comparing them item by item.
        self.params, self.grads = (flat.values,), (flat.gradients,)
        self.optimizer = model.optimizer
        self.outputs = None
        # Look these up once per fit rather than once per batch.
        self.forward_plan = ForwardPlan(self.layers)
        self.backward_plan = self.layers[::-1]
        # Dense/ReLU stacks under softmax + cross-entropy train through preallocated buffers.
        self.fast = DenseReluSteps.for_step(self) if strategy is None else None

    def check_loss(self, X, y, w, mask):
        """The batch's loss after a step, to check that it is finite: :meth:`loss_only`, or the fast
        path's forward pass where it applies (the same arithmetic, a fraction of the calls)."""
        fast = self.fast
        if fast is not None and w is None and mask is None and y.ndim == 1:
            return fast.loss(X, y)
        return self.loss_only(X, y, w, mask)

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
    stateless. The gradients are written into the layers' ``grads`` views of
    the flat buffer, as ``Dense.backward`` does.

    **The bias inside the matrix product.** The flat buffer stores each Dense
    layer's ``W`` (n_in, n_out) directly followed by its ``b`` (n_out,): read
    together they are one (n_in + 1, n_out) matrix ``[W; b]``. A hidden layer's
    output buffer gets one more column, of ones, so the next layer computes
    ``[A, 1] @ [W; b] = A @ W + b`` as one product, and its gradient
    ``[A, 1].T @ dZ = [dW; db]`` as one more: two NumPy calls fewer per layer.
    The first layer's input is the data batch, which has no ones column (adding
    one would copy the batch), so it adds ``b`` and sums ``db`` as usual. BLAS
    sums the bias in with the products, so these layers equal the plain path
    to float rounding, not bit for bit (tests/test_speed_paths.py).
    """

    def __init__(self, dense, flat):
        self.W = [layer.params["weights"] for layer in dense]
        self.b = [layer.params["biases"] for layer in dense]
        self.dW = [layer.grads["weights"] for layer in dense]
        self.db = [layer.grads["biases"] for layer in dense]
        # [W; b] and [dW; db] of every layer after the first, as views of the flat buffers.
        self.Wb = [None] + [_stacked(flat.values, W, b) for W, b in zip(self.W[1:], self.b[1:])]
        self.dWb = [None] + [_stacked(flat.gradients, dW, db)
                             for dW, db in zip(self.dW[1:], self.db[1:])]
        self.folded = [Wb is not None and dWb is not None for Wb, dWb in zip(self.Wb, self.dWb)]
        self.WT = [W.T for W in self.W]  # views made once: .T costs a little every batch
        self.widths = [self.W[0].shape[0]] + [W.shape[1] for W in self.W]
        self.dtype = flat.values.dtype
        self.eye = kernels.eye(self.widths[-1], self.dtype.str)
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
        return cls(dense, step.flat)

    def _buffers_for(self, m):
        """The arrays a batch of ``m`` rows writes, made on its first batch; see :class:`_StepBuffers`."""
        buf = self._buffers.get(m)
        if buf is None:
            buf = self._buffers[m] = _StepBuffers(m, self.widths, self.folded, self.dtype)
        return buf

    def loss(self, X, labels):
        """The mean cross-entropy of the batch ``X`` (m, n_inputs), int ``labels`` (m,): the forward
        pass alone, which writes only this object's buffers (no gradient)."""
        return self._forward(self._buffers_for(len(X)), X, labels)

    def gradients(self, X, labels):
        """Fill the gradients for the batch ``X`` (m, n_inputs), int ``labels`` (m,); return the loss."""
        buf = self._buffers.get(len(X)) or self._buffers_for(len(X))  # a call fewer per batch
        loss = self._forward(buf, X, labels)
        A, AT, D, masks = buf.A, buf.A1T, buf.D, buf.masks
        for i in range(len(self.W) - 1, -1, -1):
            if self.folded[i]:
                np.matmul(AT[i], D[i], out=self.dWb[i])  # [A, 1].T @ dZ = [dW; db]
            else:
                np.matmul(A[i].T, D[i], out=self.dW[i])
                np.matmul(buf.ones, D[i], out=self.db[i])  # db sums dZ over the samples
            if i:  # the first layer's dL/dX is the data's: nothing uses it
                np.matmul(D[i], self.WT[i], out=D[i - 1])
                D[i - 1] *= masks[i]  # through the ReLU
        return loss

    def _forward(self, buf, X, labels):
        """Logits into ``buf.D[-1]``, then ``(P - T) / m`` there; returns the mean cross-entropy."""
        A, A1, D, masks, softmax = buf.A, buf.A1, buf.D, buf.masks, buf.softmax
        W, b, Wb, folded = self.W, self.b, self.Wb, self.folded
        A[0] = A1[0] = X
        # One-hot rows, so that P - T is one subtraction (fit has checked the labels: clip, which
        # writes straight into T, changes nothing).
        self.eye.take(labels, axis=0, out=softmax.T, mode="clip")
        last = len(W) - 1
        for i in range(last + 1):
            if folded[i]:
                np.matmul(A1[i], Wb[i], out=D[i])  # [A, 1] @ [W; b]
            else:
                np.matmul(A[i], W[i], out=D[i])
                D[i] += b[i]
            if i < last:  # D[i] holds Z until the backward pass needs it; A[i + 1] = relu(Z)
                kernels.relu_with_mask(D[i], masks[i + 1], out=A[i + 1])
        loss = softmax.gradient(D[last])
        self.probabilities = softmax.P
        return loss


class _StepBuffers:
    """Every array one :meth:`DenseReluSteps.gradients` call on ``m`` rows writes.

    ``A1[i]`` holds the input of Dense ``i`` (``A1[0]`` the batch, the others
    ReLU outputs); where Dense ``i`` is folded it has a last column of ones and
    ``A[i]`` is the view without it (otherwise the same array), and ``A1T[i]``
    is its transpose. ``D[i]`` holds Dense ``i``'s pre-activation ``Z`` in the
    forward pass and ``dL/dZ`` in the backward; ``masks[i]`` is ``Z > 0`` (as
    floats) of the ReLU before Dense ``i``. All but the views are contiguous.
    """

    def __init__(self, m, widths, folded, dtype):
        self.A, self.A1, self.masks = [None], [None], [None]
        for i, width in enumerate(widths[1:-1], start=1):
            if folded[i]:
                self.A1.append(np.ones((m, width + 1), dtype))  # the column of ones stays 1
                self.A.append(self.A1[-1][:, :width])
            else:
                self.A1.append(np.empty((m, width), dtype))
                self.A.append(self.A1[-1])
            self.masks.append(np.empty((m, width), dtype))
        self.A1T = [None if a is None else a.T for a in self.A1]
        self.D = [np.empty((m, width), dtype) for width in widths[1:]]
        self.ones = kernels.ones(m, dtype.str)
        self.softmax = kernels.SoftmaxCrossEntropyBuffers(m, widths[-1], dtype)


def _stacked(flat, W, b):
    """``[W; b]`` as one (n_in + 1, n_out) view of ``flat``, or None where ``b`` does not follow ``W``."""
    start = W.ctypes.data - flat.ctypes.data
    contiguous = W.flags.c_contiguous and b.flags.c_contiguous and b.ctypes.data == W.ctypes.data + W.nbytes
    if not contiguous or start < 0 or start % flat.itemsize or W.base is None:
        return None
    offset = start // flat.itemsize
    n_in, n_out = W.shape
    if offset + (n_in + 1) * n_out > flat.size:
        return None
    return flat[offset:offset + (n_in + 1) * n_out].reshape(n_in + 1, n_out)


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
