"""The three solvers: one epoch of mini-batch SGD or Adam, and L-BFGS through SciPy.

Both kinds minimise the same objective, computed by :func:`loss_and_gradient`
with numnet's forward and backward passes: the output loss plus the L2
penalty ``0.5 * alpha * sum ||W||² / sum(w)`` on the Dense weights, where
``sum(w)`` is the batch's total sample weight (its size when unweighted), as
in scikit-learn. The gradient lands in the network's flat gradient buffer,
which the optimizers update in place.
"""
from __future__ import annotations

import numpy as np
import scipy.optimize

from numnet.model import Sequential
from numnet.optimizers import SGD, Adam
from numnet.sklearn._losses import OutputLoss, total_weight
from numnet.sklearn._network import (add_weight_decay, backward, flat_parameters, forward,
                                     squared_weights)


def loss_and_gradient(network: Sequential, loss: OutputLoss, X, Y, weights, alpha: float) -> float:
    """Penalised loss of one batch; its gradient is left in ``network._flat.gradients``.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    weights : ndarray of shape (n_samples,) or None
    alpha : float
        L2 penalty strength.
    """
    Z = forward(network, X, training=True, logits=True)
    value, dZ = loss(Z, Y, weights)
    backward(network, X, dZ)
    if alpha:
        denominator = total_weight(weights, X.shape[0])
        value += 0.5 * alpha * squared_weights(network) / denominator
        add_weight_decay(network, alpha / denominator)
    return value


def make_optimizer(est):
    """numnet's SGD (with the estimator's momentum) or Adam, at ``learning_rate_init``."""
    if est.solver == "sgd":
        # numnet's SGD rejects nesterov=True without momentum; with momentum 0
        # Nesterov's update is plain SGD anyway.
        nesterov = bool(est.nesterovs_momentum) and est.momentum > 0
        return SGD(learning_rate=est.learning_rate_init, momentum=est.momentum, nesterov=nesterov)
    return Adam(learning_rate=est.learning_rate_init, beta_1=est.beta_1, beta_2=est.beta_2,
                epsilon=est.epsilon)


def run_epoch(network: Sequential, loss: OutputLoss, optimizer, X, Y, weights, batch_size: int,
              order, alpha: float) -> float:
    """One pass over the data in mini-batches; returns the size-weighted mean batch loss.

    ``order`` is a permutation of the rows, or None to keep their order. A
    batch whose sample weights are all zero carries no information and is
    skipped (it counts as a loss of 0).
    """
    n_samples = X.shape[0]
    flat = flat_parameters(network)
    total = 0.0
    for start in range(0, n_samples, batch_size):
        stop = min(start + batch_size, n_samples)
        rows = slice(start, stop) if order is None else order[start:stop]
        w = None if weights is None else weights[rows]
        if w is not None and not w.any():
            continue
        batch_loss = loss_and_gradient(network, loss, X[rows], Y[rows], w, alpha)
        optimizer.step([flat.values], [flat.gradients])
        total += batch_loss * (stop - start)
    return total / n_samples


def run_lbfgs(network: Sequential, loss: OutputLoss, X, Y, weights, alpha: float, max_iter: int,
              max_fun: int, tol: float, verbose: bool):
    """Minimise the full-batch objective with SciPy's L-BFGS-B; returns SciPy's result.

    SciPy works in float64 on a copy of the flat parameter vector; each
    evaluation copies the trial point into the network (in its own dtype) and
    the gradient back out. The best point found is left in the network.
    """
    flat = flat_parameters(network)
    last = {"loss": np.nan}

    def objective(x):
        flat.values[...] = x
        last["loss"] = loss_and_gradient(network, loss, X, Y, weights, alpha)
        return last["loss"], flat.gradients.astype(np.float64)

    def report(_):
        report.iteration += 1
        print(f"Iteration {report.iteration}, loss = {last['loss']:.8f}")

    report.iteration = 0  # type: ignore[attr-defined]  # a counter kept on the closure
    result = scipy.optimize.minimize(
        objective, flat.values.astype(np.float64), method="L-BFGS-B", jac=True,
        callback=report if verbose else None,
        options={"maxiter": max_iter, "maxfun": max_fun, "gtol": tol})
    flat.values[...] = result.x
    return result
