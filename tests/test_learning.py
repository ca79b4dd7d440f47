"""Learning tests: numnet's networks actually learn the classic small problems.

Every run is seeded, so the figures are reproducible; run with ``-s`` to see them.
"""
import numpy as np
import pytest

from numnet import (Adam, Dense, ReLU, Sequential, Softmax, Tanh, load_digits, sine_data,
                    spiral_data, train_test_split, xor)

FIGURES = {}


@pytest.fixture(scope="module", autouse=True)
def report_figures():
    yield
    if FIGURES:
        print("\nlearning figures: " + ", ".join(f"{k} = {v:.4g}" for k, v in FIGURES.items()))


def test_xor_reaches_100_percent_accuracy():
    X, y = xor()
    model = Sequential([Dense(2, 8), Tanh(), Dense(8, 2), Softmax()], random_state=0)
    model.compile("categorical_crossentropy", Adam(learning_rate=0.05), ["accuracy"])
    model.fit(X, y, epochs=300, batch_size=4, verbose=0, random_state=0)
    FIGURES["xor accuracy"] = accuracy = model.evaluate(X, y)["accuracy"]
    assert accuracy == 1.0
    assert (model.predict_classes(X) == y).all()


def test_spiral_2_64_3_relu_with_adam_reaches_90_percent_training_accuracy():
    X, y = spiral_data(100, 3, random_state=0)
    model = Sequential([Dense(2, 64), ReLU(), Dense(64, 3), Softmax()], random_state=0)
    model.compile("categorical_crossentropy", Adam(learning_rate=0.02), ["accuracy"])
    # Full-batch Adam: 1500 steps take well under a second and land at 0.94-0.98 for any seed.
    history = model.fit(X, y, epochs=1500, batch_size=len(X), verbose=0, random_state=0)
    FIGURES["spiral training accuracy"] = accuracy = model.evaluate(X, y)["accuracy"]
    assert accuracy >= 0.90
    assert history["accuracy"][-1] >= 0.90


def test_digits_64_128_10_reach_95_percent_test_accuracy():
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0,
                                                        stratify=y)
    model = Sequential([Dense(64, 128), ReLU(), Dense(128, 10), Softmax()], random_state=0)
    model.compile("categorical_crossentropy", Adam(learning_rate=0.003), ["accuracy"])
    model.fit(X_train, y_train, epochs=20, batch_size=32, verbose=0, random_state=0)
    FIGURES["digits test accuracy"] = accuracy = model.evaluate(X_test, y_test)["accuracy"]
    assert accuracy >= 0.95
    assert np.mean(model.predict_classes(X_test) == y_test) == pytest.approx(accuracy)


def test_sine_regression_reaches_mse_below_0_01():
    X, y = sine_data(1000)
    X_new, y_new = sine_data(333)  # points between the training points
    model = Sequential([Dense(1, 64), Tanh(), Dense(64, 64), Tanh(), Dense(64, 1)], random_state=0)
    model.compile("mse", Adam(learning_rate=0.01))
    model.fit(X, y, epochs=100, batch_size=32, verbose=0, random_state=0)
    FIGURES["sine training MSE"] = model.evaluate(X, y)["loss"]
    FIGURES["sine MSE on new points"] = mse = float(np.mean((model.predict(X_new) - y_new) ** 2))
    assert FIGURES["sine training MSE"] < 0.01
    assert mse < 0.01
