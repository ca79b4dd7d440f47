"""Issue 10, items 2 and 6: no silent NaN at the end of training; inference keeps no state.

``forward(X, training=False)`` writes nothing on a layer, so ``predict`` may run
in another thread while ``fit`` trains, and a model carries no data into a
pickle or a deep copy.
"""
from __future__ import annotations

import copy
import pickle
import threading

import numpy as np
import pytest

from numnet import (BatchNorm, Dense, Dropout, MaskedSoftmax, ReLU, Sequential, Softmax, Tanh,
                    TrainingDivergedError, spiral_data)
from numnet.model.diagnostics import ValidationLossWarning
from numnet.optimizers import SGD


def _model(seed=0, dropout=False):
    layers = [Dense(2, 32), ReLU(), BatchNorm(), Dense(32, 32), Tanh()]
    layers += [Dropout(0.2)] if dropout else []
    layers += [Dense(32, 3), Softmax()]
    model = Sequential(layers, random_state=seed)
    return model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])


# -- item 2: training never ends in NaN without an error -------------------------
def test_a_last_step_that_breaks_the_network_raises_and_restores_the_weights():
    X, y = spiral_data(10, 3, random_state=0)
    model = Sequential([Dense(2, 8), ReLU(), Dense(8, 3), Softmax()], random_state=0)
    model.compile(optimizer=SGD(learning_rate=1e37))
    before = model.get_weights()
    with pytest.raises(TrainingDivergedError, match=r"epoch 1, batch 1: after the last optimizer step"):
        model.fit(X, y, epochs=1, batch_size=len(X), verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert np.isfinite(model.predict(X)).all()


@pytest.mark.filterwarnings("ignore::numnet.model.diagnostics.FeatureScaleWarning")
def test_weights_made_non_finite_by_the_last_step_raise():
    X, y = spiral_data(10, 3, random_state=0)
    model = Sequential([Dense(2, 8), ReLU(), Dense(8, 3), Softmax()], random_state=0)
    model.compile(optimizer=SGD(learning_rate=1e38))
    with pytest.raises(TrainingDivergedError, match="made the weights non-finite") as info:
        model.fit(X * 1e6, y, epochs=1, batch_size=len(X), verbose=0)
    assert info.value.epoch == 0
    assert np.isfinite(model.predict(X)).all()


def test_a_non_finite_validation_loss_warns_with_its_cause():
    X, y = spiral_data(20, 3, random_state=0)
    X_val = X.copy()
    X_val[0] = 3e38  # overflows float32 inside the network
    model = Sequential([Dense(2, 8), ReLU(), Dense(8, 3), Softmax()], random_state=0)
    model.compile(loss="categorical_crossentropy")
    with pytest.warns(ValidationLossWarning, match=r"validation loss is (nan|inf) at epoch 1.*X_val is 3e\+38"):
        model.fit(X, y, epochs=2, verbose=0, validation_data=(X_val, y))


# -- item 6: inference writes no state -------------------------------------------
def test_inference_forward_writes_nothing_on_any_layer():
    X, y = spiral_data(20, 3, random_state=0)
    model = _model(dropout=True)
    model.fit(X, y, epochs=1, verbose=0)
    state = [copy.deepcopy(vars(layer)) for layer in model.layers]
    model.predict(X)
    model.forward(X)
    model.activations(X)
    for before, layer in zip(state, model.layers):
        assert before.keys() == vars(layer).keys()
        for key, value in before.items():
            if isinstance(value, np.ndarray):
                assert np.array_equal(value, getattr(layer, key))
        assert layer._cache == {}


def test_predicting_in_another_thread_leaves_fit_bit_identical():
    X, y = spiral_data(100, 3, random_state=0)
    undisturbed = _model(dropout=True)
    undisturbed.fit(X, y, epochs=8, batch_size=16, verbose=0, random_state=3)
    model = _model(dropout=True)
    stop = threading.Event()
    errors, predictions = [], [0]

    def predict_forever():
        rows = np.random.default_rng(1).normal(size=(7, 2)).astype(np.float32)
        while not stop.is_set():
            try:
                model.predict(rows)
                model.predict(X[:1])
                predictions[0] += 2
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
                return

    thread = threading.Thread(target=predict_forever)
    thread.start()
    try:
        model.fit(X, y, epochs=8, batch_size=16, verbose=0, random_state=3)
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert predictions[0] > 10  # the two really ran side by side
    for mine, theirs in zip(model.get_weights(), undisturbed.get_weights()):
        assert np.array_equal(mine, theirs)


def test_a_pickled_model_holds_no_training_or_predict_data():
    X, y = spiral_data(100, 3, random_state=0)
    model = _model(dropout=True)
    model.fit(X, y, epochs=1, batch_size=300, verbose=0)
    big = np.random.default_rng(0).normal(size=(20_000, 2)).astype(np.float32)
    model.predict(big)
    blob = pickle.dumps(model)
    weights_bytes = sum(w.nbytes for w in model.get_weights())
    assert len(blob) < 4 * weights_bytes + 20_000  # the 160 KB predict input is not in it
    assert X[:50].astype(np.float32).tobytes() not in blob
    clone = pickle.loads(blob)
    np.testing.assert_array_equal(clone.predict(X), model.predict(X))


def test_deep_copies_and_losses_carry_no_cached_batch():
    X, y = spiral_data(30, 3, random_state=0)
    model = _model()
    model.fit(X, y, epochs=1, verbose=0)
    assert all(layer._cache == {} for layer in model.layers)
    assert not {"_P", "_T", "_w", "_labels"} & set(vars(model.loss))
    layer = Dense(2, 4)
    layer.forward(X, training=True)
    assert layer._cache and copy.deepcopy(layer)._cache == {}
    assert pickle.loads(pickle.dumps(layer))._cache == {}


def test_evaluate_does_not_touch_the_models_loss():
    X, y = spiral_data(30, 3, random_state=0)
    model = Sequential([Dense(2, 8), ReLU(), Dense(8, 3)], random_state=0)
    model.compile(loss="mse")
    T = np.eye(3)[y]
    model.fit(X, T, epochs=1, verbose=0)
    model.evaluate(X, T)
    assert not set(model.loss._CACHES) & set(vars(model.loss))
    assert not any(isinstance(value, np.ndarray) for value in vars(model.loss).values())


def test_masked_softmax_inference_keeps_nothing():
    layer = MaskedSoftmax()
    layer.forward(np.zeros((2, 3)), mask=[[1, 0, 1], [1, 1, 0]])
    assert layer._cache == {}
