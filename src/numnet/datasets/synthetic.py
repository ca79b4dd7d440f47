"""Small synthetic data sets for trying networks out by hand.

These are the toy problems of the "neural networks from scratch" tradition:
interleaved spirals and vertical blobs for classification, a sine wave for
regression and the four XOR points. Every generator draws its noise from an
explicit ``random_state``, so the same seed always gives the same data and
NumPy's global random state is never touched.
"""
from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import DTypeLike

from numnet._validation import check_positive_int, check_random_state


def spiral_data(samples: int = 100, classes: int = 3, noise: float = 0.2,
                random_state: int | np.random.Generator | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spirals, one arm per class.

    Class ``k`` has radius ``r = linspace(0, 1, samples)`` and angle
    ``t = linspace(4k, 4(k + 1), samples) + noise * N(0, 1)``; its points are
    ``(r sin(2.5 t), r cos(2.5 t))``. The arms are not linearly separable,
    which makes this the classic first test of a hidden layer.

    Parameters
    ----------
    samples : int, default=100
        Points per class.
    classes : int, default=3
        Number of classes (spiral arms).
    noise : float, default=0.2
        Standard deviation of the Gaussian noise added to the angle; 0 gives
        exact points on the spirals.
    random_state : None, int or numpy.random.Generator, default=None
        Seed or generator for the noise.

    Returns
    -------
    X : ndarray of shape (samples * classes, 2), float32
        Point coordinates, all within the unit disc.
    y : ndarray of shape (samples * classes,), int64
        Labels laid out class after class: rows ``k * samples`` to
        ``(k + 1) * samples - 1`` belong to class ``k``.

    Raises
    ------
    TypeError
        If ``samples`` or ``classes`` is not an int.
    ValueError
        If ``samples`` or ``classes`` is not positive, or ``noise`` is
        negative or not finite.

    Examples
    --------
    >>> X, y = spiral_data(samples=50, classes=3, random_state=0)
    >>> X.shape, X.dtype, y.shape, y.dtype
    ((150, 2), dtype('float32'), (150,), dtype('int64'))
    >>> y[:3].tolist(), y[-3:].tolist()
    ([0, 0, 0], [2, 2, 2])
    """
    samples, classes = _check_sizes(samples, classes)
    noise = _check_noise(noise)
    rng = check_random_state(random_state)
    X = np.empty((samples * classes, 2), dtype=np.float64)
    radius = np.linspace(0.0, 1.0, samples)
    for k in range(classes):
        angle = np.linspace(4.0 * k, 4.0 * (k + 1), samples)
        angle += rng.standard_normal(samples) * noise
        # 2.5 turns the angle range [4k, 4k + 4] into 10 radians: about 1.6 turns per arm.
        rows = slice(k * samples, (k + 1) * samples)
        X[rows, 0] = radius * np.sin(angle * 2.5)
        X[rows, 1] = radius * np.cos(angle * 2.5)
    return X.astype(np.float32), _class_labels(samples, classes)


def vertical_data(samples: int = 100, classes: int = 3,
                  random_state: int | np.random.Generator | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs side by side, one per class.

    Class ``k`` is centred at ``(k / 3, 0.5)`` with standard deviation 0.1 in
    both coordinates. With the default three classes the blobs are almost
    linearly separable, so even a single Dense layer does well.

    Parameters
    ----------
    samples : int, default=100
        Points per class.
    classes : int, default=3
        Number of classes (blobs).
    random_state : None, int or numpy.random.Generator, default=None
        Seed or generator for the points.

    Returns
    -------
    X : ndarray of shape (samples * classes, 2), float32
        Point coordinates.
    y : ndarray of shape (samples * classes,), int64
        Labels laid out class after class, as in :func:`spiral_data`.

    Raises
    ------
    TypeError
        If ``samples`` or ``classes`` is not an int.
    ValueError
        If ``samples`` or ``classes`` is not positive.

    Examples
    --------
    >>> X, y = vertical_data(samples=200, classes=3, random_state=0)
    >>> X.shape, y.shape
    ((600, 2), (600,))
    >>> [round(float(X[y == k, 0].mean()), 1) for k in range(3)]
    [0.0, 0.3, 0.7]
    """
    samples, classes = _check_sizes(samples, classes)
    rng = check_random_state(random_state)
    X = np.empty((samples * classes, 2), dtype=np.float64)
    for k in range(classes):
        rows = slice(k * samples, (k + 1) * samples)
        X[rows, 0] = rng.standard_normal(samples) * 0.1 + k / 3
        X[rows, 1] = rng.standard_normal(samples) * 0.1 + 0.5
    return X.astype(np.float32), _class_labels(samples, classes)


def sine_data(samples: int = 1000, noise: float = 0.0,
              random_state: int | np.random.Generator | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """One period of a sine wave, a first regression problem.

    Parameters
    ----------
    samples : int, default=1000
        Number of points, evenly spaced over [0, 1] (both ends included).
    noise : float, default=0.0
        Standard deviation of Gaussian noise added to the targets.
    random_state : None, int or numpy.random.Generator, default=None
        Seed or generator for the noise; unused when ``noise`` is 0.

    Returns
    -------
    X : ndarray of shape (samples, 1), float32
        Inputs in [0, 1], ascending.
    y : ndarray of shape (samples, 1), float32
        Targets ``sin(2 pi X)`` plus noise. They are a column, not a 1-D
        array, because a regression network outputs ``(n_samples, 1)``.

    Raises
    ------
    TypeError
        If ``samples`` is not an int.
    ValueError
        If ``samples`` is not positive, or ``noise`` is negative or not finite.

    Examples
    --------
    >>> X, y = sine_data(samples=5)
    >>> X.ravel().tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    >>> (np.round(y.ravel(), 6) + 0.0).tolist()  # + 0.0 turns -0.0 into 0.0
    [0.0, 1.0, 0.0, -1.0, 0.0]
    """
    samples = check_positive_int(samples, "samples")
    noise = _check_noise(noise)
    X = np.linspace(0.0, 1.0, samples).reshape(-1, 1)
    y = np.sin(2.0 * np.pi * X)
    if noise > 0:
        y = y + check_random_state(random_state).standard_normal(y.shape) * noise
    return X.astype(np.float32), y.astype(np.float32)


def xor(dtype: DTypeLike = np.float32) -> tuple[np.ndarray, np.ndarray]:
    """The four points of the XOR problem.

    XOR is the smallest problem a network without a hidden layer cannot
    solve: no straight line separates the two classes.

    Parameters
    ----------
    dtype : numpy dtype, default=numpy.float32
        The dtype of ``X``.

    Returns
    -------
    X : ndarray of shape (4, 2)
        The inputs (0, 0), (0, 1), (1, 0) and (1, 1).
    y : ndarray of shape (4,), int64
        ``X[:, 0] XOR X[:, 1]``: 0, 1, 1, 0.

    Examples
    --------
    >>> X, y = xor()
    >>> X.tolist(), y.tolist()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    """
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=dtype)
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return X, y


def _class_labels(samples: int, classes: int) -> np.ndarray:
    """Labels ``0 ... classes - 1``, each repeated ``samples`` times in a row."""
    return np.repeat(np.arange(classes, dtype=np.int64), samples)


def _check_sizes(samples, classes) -> tuple[int, int]:
    """Validate the per-class sample count and the number of classes."""
    return check_positive_int(samples, "samples"), check_positive_int(classes, "classes")


def _check_noise(noise) -> float:
    """Return ``noise`` as a float, or raise if it is not a finite number >= 0."""
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real):
        raise TypeError(f"noise must be a number, got {type(noise).__name__} {noise!r}")
    if not np.isfinite(float(noise)) or noise < 0:
        raise ValueError(
            f"noise must be a finite standard deviation >= 0, got {noise}; pass 0 for no noise"
        )
    return float(noise)
