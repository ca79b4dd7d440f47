"""numnet's maths as pure functions: no state, no classes, NumPy arrays in and out.

The layer, loss and optimizer classes are thin stateful wrappers around
these functions: they keep parameters and what ``backward`` needs, and call
the functions here for the arithmetic. Each function states its shapes and
its derivative, so a learner can read any one of them in one screen::

    import numnet.functional as F

    H = F.relu(F.dense(X, W1, b1))                 # forward
    loss = F.cross_entropy(F.dense(H, W2, b2), y)
    dZ = F.cross_entropy_grad(F.dense(H, W2, b2), y)   # (softmax(z) - t) / n
    dH, dW2, db2 = F.dense_backward(dZ, H, W2)
    dX, dW1, db1 = F.dense_backward(F.relu_backward(dH, H), X, W1)

Speed tricks (cached index vectors, BLAS row sums, in-place updates) live in
:mod:`numnet._kernels`; the functions here call them by name where they help.
"""
from numnet.functional.activations import (elu, elu_backward, gelu, gelu_backward, gelu_tanh,
                                           identity, identity_backward, leaky_relu,
                                           leaky_relu_backward, relu, relu_backward, sigmoid,
                                           sigmoid_backward, softplus, softplus_backward, tanh,
                                           tanh_backward)
from numnet.functional.dense import dense, dense_backward
from numnet.functional.losses import (binary_cross_entropy, binary_cross_entropy_grad,
                                      binary_cross_entropy_probs, binary_cross_entropy_probs_grad,
                                      cross_entropy, cross_entropy_grad, huber, huber_grad, mae,
                                      mae_grad, mse, mse_grad, nll, nll_grad, one_hot,
                                      sigmoid_cross_entropy_grad, smooth_labels,
                                      softmax_cross_entropy_grad, weighted_mean)
from numnet.functional.optimizers import (adagrad_step, adam_step, adam_step_size, rmsprop_step,
                                          sgd_step)
from numnet.functional.softmax import (log_softmax, masked_softmax, softmax, softmax_and_log,
                                       softmax_backward)

__all__ = [
    "dense", "dense_backward",
    "relu", "relu_backward", "leaky_relu", "leaky_relu_backward", "elu", "elu_backward",
    "gelu", "gelu_backward", "gelu_tanh", "sigmoid", "sigmoid_backward", "tanh", "tanh_backward",
    "softplus", "softplus_backward", "identity", "identity_backward",
    "softmax", "log_softmax", "masked_softmax", "softmax_and_log", "softmax_backward",
    "cross_entropy", "cross_entropy_grad", "nll", "nll_grad", "softmax_cross_entropy_grad",
    "one_hot", "smooth_labels", "weighted_mean",
    "binary_cross_entropy", "binary_cross_entropy_grad", "binary_cross_entropy_probs",
    "binary_cross_entropy_probs_grad", "sigmoid_cross_entropy_grad",
    "mse", "mse_grad", "mae", "mae_grad", "huber", "huber_grad",
    "sgd_step", "adam_step", "adam_step_size", "rmsprop_step", "adagrad_step",
]
