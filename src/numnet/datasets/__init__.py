"""Data sets and data helpers for examples, tests and learning.

Everything here needs only NumPy: toy problems (:func:`spiral_data`,
:func:`vertical_data`, :func:`sine_data`, :func:`xor`), the 8x8 handwritten
digits that ship with numnet (:func:`load_digits`), label encoding
(:func:`one_hot`, :func:`from_one_hot`) and :func:`train_test_split`.

Examples
--------
>>> from numnet.datasets import spiral_data, one_hot, train_test_split
>>> X, y = spiral_data(samples=100, classes=3, random_state=0)
>>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
>>> one_hot(y_train).shape
(225, 3)
"""
from numnet.datasets.digits import load_digits
from numnet.datasets.encoding import from_one_hot, one_hot
from numnet.datasets.split import train_test_split
from numnet.datasets.synthetic import sine_data, spiral_data, vertical_data, xor

__all__ = [
    "from_one_hot",
    "load_digits",
    "one_hot",
    "sine_data",
    "spiral_data",
    "train_test_split",
    "vertical_data",
    "xor",
]
