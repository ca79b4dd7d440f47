"""The fully connected layer as pure functions: ``Y = X @ W + b`` and its chain rule."""
from __future__ import annotations

import numpy as np

from numnet import _kernels as kernels


def dense(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``X @ W + b``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_inputs)
    W : ndarray of shape (n_inputs, n_neurons)
        One row per input feature, one column per neuron.
    b : ndarray of shape (n_neurons,)
        Broadcast over the samples.

    Returns
    -------
    ndarray of shape (n_samples, n_neurons)

    Examples
    --------
    >>> import numpy as np
    >>> dense(np.array([[1.0, 2.0]]), np.array([[1.0], [10.0]]), np.array([0.5]))
    array([[21.5]])
    """
    Y = X @ W
    Y += b  # X @ W + b, adding b in place rather than allocating a second array
    return Y


def dense_backward(dY: np.ndarray, X: np.ndarray, W: np.ndarray, dW: np.ndarray | None = None,
                   db: np.ndarray | None = None, input_grad: bool = True
                   ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """The chain rule for ``Y = X @ W + b``: ``(dL/dX, dL/dW, dL/db)``.

    Parameters
    ----------
    dY : ndarray of shape (n_samples, n_neurons)
        ``dL/dY``.
    X : ndarray of shape (n_samples, n_inputs)
        The forward pass's input.
    W : ndarray of shape (n_inputs, n_neurons)
    dW, db : ndarray, optional
        Arrays of the shapes of ``W`` and ``b`` to write the gradients into
        (a layer passes views of its model's flat gradient buffer).
    input_grad : bool, default True
        Compute ``dL/dX``; a first layer skips it (nothing uses it).

    Returns
    -------
    dX : ndarray of shape (n_samples, n_inputs) or None
        ``dY @ W.T``.
    dW : ndarray of shape (n_inputs, n_neurons)
        ``X.T @ dY``: each weight sums ``input * dY`` over the samples.
    db : ndarray of shape (n_neurons,)
        ``dY.sum(axis=0)``: the sum over samples (axis 0), where hand-written
        bias gradients often go wrong.

    Examples
    --------
    >>> import numpy as np
    >>> dX, dW, db = dense_backward(np.ones((2, 1)), np.array([[1.0, 2.0], [3.0, 4.0]]),
    ...                             np.array([[1.0], [10.0]]))
    >>> dX, dW, db
    (array([[ 1., 10.],
           [ 1., 10.]]), array([[4.],
           [6.]]), array([2.]))
    """
    dW = np.matmul(X.T, dY, out=dW)
    db = kernels.column_sum(dY, out=db)  # dY.sum(axis=0) as one BLAS call
    dX = dY @ W.T if input_grad else None
    return dX, dW, db
