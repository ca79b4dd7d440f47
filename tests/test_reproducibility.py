"""Issue 13, item 1: ``Sequential(random_state=s)`` makes the whole run reproducible."""
from __future__ import annotations

import numpy as np

from numnet import Dense, Dropout, ReLU, Sequential, Softmax, spiral_data


def _run(seed=0, fit_seed=None, epochs=3):
    X, y = spiral_data(50, 3, random_state=0)
    model = Sequential([Dense(2, 32), ReLU(), Dropout(0.2), Dense(32, 3), Softmax()], random_state=seed)
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(X, y, epochs=epochs, batch_size=16, verbose=0, random_state=fit_seed)
    return model, history.history["loss"]


def test_one_model_seed_makes_weights_shuffling_and_dropout_reproducible():
    (first, loss_a), (second, loss_b) = _run(), _run()
    assert loss_a == loss_b
    assert all(np.array_equal(a, b) for a, b in zip(first.get_weights(), second.get_weights()))


def test_two_fits_in_a_row_shuffle_differently_but_reproducibly():
    X, y = spiral_data(50, 3, random_state=0)

    def twice():
        model = Sequential([Dense(2, 16), ReLU(), Dense(16, 3), Softmax()], random_state=1)
        model.compile(loss="categorical_crossentropy", optimizer="sgd")
        start = model.get_weights()
        model.fit(X, y, epochs=1, batch_size=8, verbose=0)
        after_one = model.get_weights()
        model.set_weights(start)
        model.fit(X, y, epochs=1, batch_size=8, verbose=0)
        return after_one, model.get_weights()

    (one_a, two_a), (one_b, two_b) = twice(), twice()
    assert all(np.array_equal(a, b) for a, b in zip(one_a, one_b))
    assert all(np.array_equal(a, b) for a, b in zip(two_a, two_b))
    assert not all(np.array_equal(a, b) for a, b in zip(one_a, two_a))  # a new shuffle


def test_fit_random_state_overrides_the_model_seed():
    _, with_model_seed = _run(seed=0)
    _, overridden = _run(seed=0, fit_seed=123)
    _, overridden_again = _run(seed=0, fit_seed=123)
    assert overridden == overridden_again and overridden != with_model_seed
