"""Tests for numnet.Sequential: structure, parameters in the flat buffer, compile, fit /
evaluate / predict, History, validation, batching and shuffling, weights, callbacks,
reproducibility, dtypes, printing, divergence, feature-scale warnings and Ctrl+C."""
import os
import signal
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from numnet import (SGD, Adam, BatchNorm, Callback, CategoricalCrossEntropy, Dense, Dropout,
                    EarlyStopping, LambdaCallback, Layer, LearningRateScheduler, MeanSquaredError,
                    ReduceLROnPlateau, ReLU, Sequential, Sigmoid, Softmax, TrainingDivergedError)
from numnet.model.diagnostics import FeatureScaleWarning
from numnet.model.metrics import Accuracy, R2Score

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 3))
Y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)


class Recorder(Layer):
    """A pass-through layer that keeps a copy of every training batch it sees."""

    def __init__(self):
        super().__init__()
        self.batches = []

    def forward(self, X, training=False):
        if training:
            self.batches.append(X.copy())
        return X

    def backward(self, dY):
        return dY


def classifier(random_state=0, **compile_kwargs):
    model = Sequential([Dense(3, 8), ReLU(), Dense(8, 2), Softmax()], random_state=random_state)
    compile_kwargs.setdefault("loss", "categorical_crossentropy")
    compile_kwargs.setdefault("optimizer", Adam(learning_rate=0.01))
    compile_kwargs.setdefault("metrics", ["accuracy"])
    return model.compile(**compile_kwargs)


def weights_equal(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


# -- structure ---------------------------------------------------------------
def test_layers_list_add_and_unique_names():
    model = Sequential([Dense(3, 4)])
    assert model.add(ReLU()) is model
    model.add(Dense(4, 2)).add("softmax")  # a layer object or a registry name
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "ReLU", "Dense", "Softmax"]
    assert [layer.name for layer in model.layers] == ["dense", "relu", "dense_1", "softmax"]


def test_build_creates_parameters_and_reports_shapes():
    model = Sequential([Dense(8), ReLU(), Dense(2)], random_state=0).build(3)
    assert model.n_features == 3 and model.n_outputs == 2
    assert model.output_shape == (None, 2)
    assert model.n_params == 3 * 8 + 8 + 8 * 2 + 2


def test_building_an_empty_model_is_an_error():
    with pytest.raises(ValueError, match="no layers; add some with model.add"):
        Sequential().build(3)


def test_forward_and_backward_chain_through_every_layer():
    model = Sequential([Dense(3, 4), ReLU(), Dense(4, 2)], random_state=0, dtype=np.float64)
    out = model.forward(X, training=True)
    manual = np.maximum(X @ model.layers[0].weights + model.layers[0].biases, 0)
    assert_allclose(out, manual @ model.layers[2].weights + model.layers[2].biases, rtol=1e-12)
    dX = model.backward(np.ones_like(out))
    assert dX.shape == X.shape


# -- parameters and weights --------------------------------------------------
def test_params_and_grads_are_views_into_one_flat_buffer():
    model = classifier()
    model.build(3)
    flat = model._flat
    assert set(model.params) == {"dense/weights", "dense/biases", "dense_1/weights",
                                 "dense_1/biases"}
    assert model.params["dense/weights"] is model.layers[0].weights
    for key, value in model.params.items():
        assert np.shares_memory(value, flat.values), key
        assert np.shares_memory(model.grads[key], flat.gradients), key
    model.loss.forward(model.forward(X, training=True), Y)
    model.backward(model.loss.backward())
    assert np.count_nonzero(flat.gradients) > 0  # backward wrote into the flat gradient buffer
    assert_array_equal(flat.gradients[:24], model.grads["dense/weights"].reshape(-1))


def test_an_optimizer_step_on_the_flat_buffer_changes_layer_weights():
    model = classifier()
    model.build(3)
    before = model.layers[0].weights.copy()
    model._flat.gradients[...] = 1.0
    SGD(learning_rate=0.1).step([model._flat.values], [model._flat.gradients])
    assert_allclose(model.layers[0].weights, before - 0.1, rtol=1e-6)
    assert_allclose(model.layers[2].biases, -0.1, rtol=1e-6)


def test_get_weights_returns_copies_and_set_weights_restores_predictions():
    model = Sequential([Dense(3, 4), BatchNorm(), ReLU(), Dense(4, 2)], random_state=0)
    model.compile("mse", "sgd")
    model.fit(X, np.ones((40, 2)), epochs=1, verbose=0)
    saved = model.get_weights()
    assert len(saved) == 2 + 4 + 2  # Dense, BatchNorm (gamma, beta and running stats), Dense
    before = model.predict(X)
    saved[0][0, 0] += 100.0  # a copy: the model is untouched
    assert_array_equal(model.predict(X), before)
    saved[0][0, 0] -= 100.0
    saved = model.get_weights()
    model.fit(X, np.zeros((40, 2)), epochs=2, verbose=0)
    assert not np.array_equal(model.predict(X), before)
    model.set_weights(saved)
    assert_array_equal(model.predict(X), before)


def test_set_weights_rejects_wrong_counts_and_says_when_an_array_looks_transposed():
    model = Sequential([Dense(3, 2)])
    with pytest.raises(ValueError, match="set_weights got 1 arrays, the model has 2"):
        model.set_weights([np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"dense/weights must have shape \(3, 2\), got \(2, 3\).*transposed"):
        model.set_weights([np.zeros((2, 3)), np.zeros(2)])


def test_activations_returns_every_layers_output_in_order():
    model = Sequential([Dense(3, 5), ReLU(), Dense(5, 2), Softmax()], random_state=0)
    acts = model.activations(X)
    assert list(acts) == ["dense", "relu", "dense_1", "softmax"]
    assert acts["dense"].shape == (40, 5) and (acts["relu"] >= 0).all()
    assert_allclose(acts["relu"], np.maximum(acts["dense"], 0))
    assert_allclose(acts["softmax"], model.predict(X), rtol=1e-6)


# -- compile -----------------------------------------------------------------
def test_compile_takes_registry_names():
    model = Sequential([Dense(3, 1)]).compile(loss="mse", optimizer="sgd", metrics=["mae", "r2"])
    assert isinstance(model.loss, MeanSquaredError)
    assert isinstance(model.optimizer, SGD)
    assert [metric.name for metric in model.metrics] == ["mae", "r2"]


def test_compile_takes_objects():
    loss, optimizer, metric = CategoricalCrossEntropy(label_smoothing=0.1), Adam(0.02), Accuracy()
    model = classifier(loss=loss, optimizer=optimizer, metrics=[metric])
    assert model.loss is loss and model.optimizer is optimizer and model.metrics == [metric]


@pytest.mark.parametrize("kwargs, match", [
    (dict(loss="crossentropi"), r"Unknown loss 'crossentropi'\. Known losses: .*categorical_crossentropy"),
    (dict(optimizer="adamm"),
     r"Unknown optimizer 'adamm'\. Known optimizers: .*adam.*sgd.*Did you mean 'adam'"),
    (dict(metrics=["acc_score"]), r"Unknown metric 'acc_score'\. Known metrics: accuracy"),
])
def test_compile_with_an_unknown_name_lists_the_known_ones(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Sequential([Dense(3, 1)]).compile(**kwargs)


# -- fit, evaluate, predict --------------------------------------------------
def test_fit_learns_and_evaluate_predict_and_predict_classes_agree():
    model = classifier()
    history = model.fit(X, Y, epochs=30, batch_size=8, verbose=0, random_state=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    probabilities = model.predict(X)
    assert probabilities.shape == (40, 2) and probabilities.dtype == np.float32
    assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    labels = model.predict_classes(X)
    assert_array_equal(labels, probabilities.argmax(axis=1))
    result = model.evaluate(X, Y)
    assert set(result) == {"loss", "accuracy"}
    assert result["accuracy"] == pytest.approx(np.mean(labels == Y))
    expected_loss = -np.mean(np.log(probabilities[np.arange(40), Y].astype(np.float64)))
    assert result["loss"] == pytest.approx(expected_loss, rel=1e-4)
    assert_allclose(model.predict(X, batch_size=7), probabilities, rtol=1e-6)


def test_evaluate_metrics_match_hand_computations():
    y = X @ [1.0, -2.0, 0.5]
    model = Sequential([Dense(3, 1, random_state=0)]).compile("mse", "sgd", ["r2", "mae", "rmse"])
    p = model.predict(X)[:, 0].astype(np.float64)
    result = model.evaluate(X, y, batch_size=7)  # streamed over several batches
    assert result["r2"] == pytest.approx(1 - np.sum((p - y) ** 2) / np.sum((y - y.mean()) ** 2), rel=1e-5)
    assert result["mae"] == pytest.approx(np.mean(np.abs(p - y)), rel=1e-5)
    assert result["rmse"] == pytest.approx(np.sqrt(np.mean((p - y) ** 2)), rel=1e-5)


def test_accuracy_takes_labels_or_one_hot_and_honours_sample_weight():
    model = classifier()
    hits = model.predict_classes(X) == Y
    assert model.evaluate(X, Y)["accuracy"] == pytest.approx(hits.mean())
    assert model.evaluate(X, np.eye(2)[Y])["accuracy"] == pytest.approx(hits.mean())
    only_class_1 = (Y == 1).astype(float)
    weighted = model.evaluate(X, Y, sample_weight=only_class_1)["accuracy"]
    assert weighted == pytest.approx(hits[Y == 1].mean())


def test_predict_classes_thresholds_a_single_sigmoid_output_at_one_half():
    model = Sequential([Dense(3, 1, random_state=0), Sigmoid()])
    model.compile("binary_crossentropy", Adam(0.05))
    model.fit(X, Y, epochs=40, verbose=0, random_state=0)
    assert_array_equal(model.predict_classes(X), (model.predict(X)[:, 0] > 0.5).astype(int))
    assert np.mean(model.predict_classes(X) == Y) > 0.9


def test_history_keeps_loss_metrics_and_their_validation_versions_per_epoch():
    model = classifier()
    history = model.fit(X[:30], Y[:30], epochs=3, validation_data=(X[30:], Y[30:]), verbose=0)
    assert history is model.history
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 3 for values in history.history.values())
    assert history.epoch == [0, 1, 2]
    assert history["val_loss"] == history.history["val_loss"]


def test_history_reports_regression_metrics_by_name():
    model = Sequential([Dense(3, 1, random_state=0)]).compile("mse", SGD(0.05), ["mae", "r2"])
    history = model.fit(X, X @ [1.0, -1.0, 0.5], epochs=2, verbose=0)
    assert set(history.history) == {"loss", "mae", "r2"}


def test_validation_data_is_evaluated_at_each_epoch_end():
    model = classifier()
    history = model.fit(X[:30], Y[:30], epochs=2, validation_data=(X[30:], Y[30:]), verbose=0)
    final = model.evaluate(X[30:], Y[30:])
    assert history["val_loss"][-1] == pytest.approx(final["loss"], rel=1e-6)
    assert history["val_accuracy"][-1] == pytest.approx(final["accuracy"])


def test_validation_split_holds_out_the_last_rows_before_shuffling():
    recorder = Recorder()
    model = Sequential([recorder, Dense(3, 2, random_state=0), Softmax()])
    model.compile("categorical_crossentropy", "adam")
    history = model.fit(X, Y, epochs=2, batch_size=40, validation_split=0.25, verbose=0)
    seen = np.vstack(recorder.batches[:1])
    assert len(seen) == 30
    assert_array_equal(np.sort(seen[:, 0]), np.sort(X[:30, 0].astype(np.float32)))
    assert history["val_loss"][-1] == pytest.approx(model.evaluate(X[30:], Y[30:])["loss"], rel=1e-6)


def test_data_is_reshuffled_every_epoch_and_every_sample_is_seen_once():
    recorder = Recorder()
    model = Sequential([recorder, Dense(3, 2, random_state=0), Softmax()]).compile("cce", "sgd")
    model.fit(X, Y, epochs=3, batch_size=40, verbose=0, random_state=0)
    orders = [batch[:, 0] for batch in recorder.batches]
    for order in orders:
        assert_array_equal(np.sort(order), np.sort(X[:, 0].astype(np.float32)))
    assert not np.array_equal(orders[0], orders[1]) and not np.array_equal(orders[1], orders[2])
    assert not np.array_equal(orders[0], X[:, 0].astype(np.float32))


def test_shuffle_false_keeps_the_order():
    recorder = Recorder()
    model = Sequential([recorder, Dense(3, 2, random_state=0), Softmax()]).compile("cce", "sgd")
    model.fit(X, Y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    for epoch in range(2):
        seen = np.vstack(recorder.batches[3 * epoch:3 * epoch + 3])
        assert_array_equal(seen, X.astype(np.float32))


def test_the_last_partial_batch_is_kept():
    recorder = Recorder()
    model = Sequential([recorder, Dense(3, 2, random_state=0), Softmax()]).compile("cce", "sgd")
    batches = []
    counter = LambdaCallback(on_batch_end=lambda batch, logs: batches.append(batch))
    model.fit(X[:10], Y[:10], epochs=2, batch_size=4, verbose=0, callbacks=[counter])
    assert batches == [0, 1, 2, 0, 1, 2]
    assert [len(batch) for batch in recorder.batches] == [4, 4, 2, 4, 4, 2]


def test_sample_weight_pulls_the_fit_towards_heavier_samples():
    # With a constant input the model can only learn a bias: the weighted mean of y.
    X0, y = np.zeros((8, 1)), np.array([0.0] * 4 + [1.0] * 4)
    weights = np.array([1.0] * 4 + [3.0] * 4)
    for sample_weight, expected in ((None, 0.5), (weights, 0.75)):
        model = Sequential([Dense(1, 1, random_state=0)]).compile("mse", SGD(0.2))
        model.fit(X0, y, epochs=200, batch_size=8, sample_weight=sample_weight, verbose=0)
        assert model.predict(X0[:1])[0, 0] == pytest.approx(expected, abs=1e-3)


def test_evaluate_with_sample_weight_matches_the_weighted_mean():
    model = Sequential([Dense(3, 1, random_state=0)]).compile("mse", "sgd")
    y = X[:, 0]
    weights = RNG.uniform(0, 2, size=40)
    residual = model.predict(X)[:, 0].astype(np.float64) - y
    expected = np.sum(weights * residual**2) / 40
    assert model.evaluate(X, y, sample_weight=weights)["loss"] == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("class_weight, labels, expected_p1", [
    ({0: 1.0, 1: 3.0}, [0, 0, 1, 1], 0.75),
    ("balanced", [0, 0, 0, 1], 0.5),
    (None, [0, 0, 0, 1], 0.25),
])
def test_class_weight_reweights_the_classes(class_weight, labels, expected_p1):
    # A constant input: the softmax can only learn the (weighted) class frequencies.
    X0, y = np.zeros((4, 1)), np.array(labels)
    model = Sequential([Dense(1, 2, random_state=0), Softmax()]).compile("cce", SGD(1.0))
    model.fit(X0, y, epochs=300, batch_size=4, class_weight=class_weight, verbose=0)
    assert model.predict(X0[:1])[0, 1] == pytest.approx(expected_p1, abs=1e-3)


def test_regularization_is_reported_apart_from_the_data_loss():
    model = Sequential([Dense(3, 4, l2=0.1), ReLU(), Dense(4, 2, l1=0.01), Softmax()],
                       random_state=0).compile("cce", SGD(0.1))
    history = model.fit(X, Y, epochs=2, batch_size=40, shuffle=False, verbose=0)
    penalty = model.regularization_loss()
    assert penalty > 0
    assert history["regularization_loss"][-1] == pytest.approx(penalty)
    P = model.predict(X).astype(np.float64)
    data_loss = -np.mean(np.log(P[np.arange(40), Y]))
    assert model.evaluate(X, Y)["loss"] == pytest.approx(data_loss, rel=1e-5)  # no penalty in it


def test_predict_on_a_fresh_model_builds_it_like_forward():
    model = Sequential([Dense(3, 4), ReLU(), Dense(4, 2)], random_state=0)
    assert_allclose(model.predict(X), model.forward(X), rtol=1e-6)
    assert model.n_features == 3


# -- callbacks ---------------------------------------------------------------
def test_early_stopping_stops_after_patience_and_restores_the_best_weights():
    # Validation labels are the opposite of the training labels: val_loss only gets worse.
    model = classifier()
    snapshots = []
    record = LambdaCallback(on_epoch_end=lambda epoch, logs: snapshots.append(model.get_weights()))
    stopper = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = model.fit(X, Y, epochs=50, validation_data=(X, 1 - Y), verbose=0,
                        callbacks=[stopper, record], random_state=0)
    # As in Keras: stop once `patience` epochs in a row brought no improvement.
    assert history.best_epoch == 0 and history.stopped_epoch == 2
    assert len(history.epoch) == 3
    assert weights_equal(model.get_weights(), snapshots[0])
    assert not weights_equal(model.get_weights(), snapshots[-1])


def test_early_stopping_without_restore_keeps_the_last_weights():
    model = classifier()
    snapshots = []
    record = LambdaCallback(on_epoch_end=lambda epoch, logs: snapshots.append(model.get_weights()))
    model.fit(X, Y, epochs=50, validation_data=(X, 1 - Y), verbose=0,
              callbacks=[EarlyStopping(patience=1), record], random_state=0)
    assert len(snapshots) == 2
    assert weights_equal(model.get_weights(), snapshots[-1])


def test_early_stopping_min_delta_ignores_improvements_smaller_than_it():
    model = classifier()
    stopper = EarlyStopping(monitor="loss", patience=0, min_delta=1e9)
    history = model.fit(X, Y, epochs=10, verbose=0, callbacks=[stopper])
    assert history.epoch == [0, 1] and history.best_epoch == 0 and history.stopped_epoch == 1


def test_early_stopping_on_accuracy_maximises_it():
    assert EarlyStopping(monitor="val_accuracy").mode == "max"
    assert EarlyStopping(monitor="val_loss").mode == "min"


def test_early_stopping_on_a_metric_that_is_not_logged_says_what_is():
    with pytest.raises(ValueError, match="monitors 'val_loss', which fit does not log; logged: accuracy, loss"):
        classifier().fit(X, Y, epochs=2, verbose=0, callbacks=[EarlyStopping()])


def test_reduce_lr_on_plateau_multiplies_the_learning_rate_when_the_monitor_stalls():
    model = classifier(optimizer=SGD(learning_rate=0.1))
    rates = []
    record = LambdaCallback(on_epoch_end=lambda e, logs: rates.append(model.optimizer.learning_rate))
    # min_delta so large that nothing after the first epoch counts as an improvement
    plateau = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=1e9, min_lr=0.02)
    model.fit(X, Y, epochs=5, verbose=0, callbacks=[plateau, record])
    assert rates == pytest.approx([0.1, 0.05, 0.025, 0.02, 0.02])


def test_learning_rate_scheduler_sets_the_rate_at_each_epoch_start():
    model = classifier(optimizer=SGD(learning_rate=0.1))
    rates = []
    record = LambdaCallback(on_epoch_end=lambda e, logs: rates.append(model.optimizer.learning_rate))
    scheduler = LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5**epoch)
    model.fit(X, Y, epochs=3, verbose=0, callbacks=[scheduler, record])
    assert rates == pytest.approx([0.1, 0.05, 0.025])


def test_lambda_callback_and_a_custom_callback_see_every_hook():
    calls = []

    class Tracer(Callback):
        def on_train_begin(self, logs=None):
            calls.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            calls.append(f"epoch_begin {epoch}")

        def on_batch_end(self, batch, logs=None):
            calls.append(f"batch {batch} {sorted(logs)}")

        def on_epoch_end(self, epoch, logs=None):
            calls.append(f"epoch_end {epoch} {sorted(logs)}")
            if epoch == 1:
                self.model.stop_training = True  # stops after this epoch

        def on_train_end(self, logs=None):
            calls.append("train_end")

    ends = []
    model = classifier()
    model.fit(X, Y, epochs=10, batch_size=20, verbose=0,
              callbacks=[Tracer(), LambdaCallback(on_train_end=lambda logs=None: ends.append(1))])
    assert calls == [
        "train_begin",
        "epoch_begin 0", "batch 0 ['accuracy', 'loss']", "batch 1 ['accuracy', 'loss']",
        "epoch_end 0 ['accuracy', 'loss']",
        "epoch_begin 1", "batch 0 ['accuracy', 'loss']", "batch 1 ['accuracy', 'loss']",
        "epoch_end 1 ['accuracy', 'loss']",
        "train_end",
    ]
    assert ends == [1]


def test_callbacks_must_be_callback_instances():
    with pytest.raises(TypeError, match="callbacks must be Callback instances, got function"):
        classifier().fit(X, Y, verbose=0, callbacks=[lambda: None])


# -- reproducibility and dtypes ----------------------------------------------
def train_with_dropout(random_state):
    model = Sequential([Dense(3, 16), ReLU(), Dropout(0.3), Dense(16, 2), Softmax()],
                       random_state=random_state)
    model.compile("cce", Adam(0.01), ["accuracy"])
    history = model.fit(X, Y, epochs=3, batch_size=8, verbose=0, random_state=random_state)
    return model.get_weights(), history.history


def test_same_random_state_gives_identical_weights_and_history():
    weights_a, history_a = train_with_dropout(7)
    weights_b, history_b = train_with_dropout(7)
    assert weights_equal(weights_a, weights_b)
    assert history_a == history_b
    weights_c, history_c = train_with_dropout(8)
    assert not weights_equal(weights_a, weights_c)


def test_same_random_state_for_dropout_alone_gives_identical_runs():
    # Initial weights fixed by the layers; only shuffling and dropout depend on fit's seed.
    def run():
        model = Sequential([Dense(3, 16, random_state=0), ReLU(), Dropout(0.5),
                            Dense(16, 2, random_state=1), Softmax()]).compile("cce", "adam")
        model.fit(X, Y, epochs=2, batch_size=8, verbose=0, random_state=3)
        return model.get_weights()

    assert weights_equal(run(), run())


def test_model_random_state_seeds_dense_layers_built_at_construction():
    a = Sequential([Dense(3, 4), ReLU(), Dense(4, 2)], random_state=1)
    b = Sequential([Dense(3, 4), ReLU(), Dense(4, 2)], random_state=1)
    assert weights_equal(a.get_weights(), b.get_weights())  # already before fit or build
    c = Sequential([Dense(3, 4), ReLU(), Dense(4, 2)], random_state=2)
    assert not weights_equal(a.get_weights(), c.get_weights())


def test_model_random_state_keeps_weights_that_were_set_or_seeded_by_the_user():
    chosen = Dense(3, 2)
    chosen.weights = np.ones((3, 2))
    seeded = Dense(2, 2, random_state=5)
    expected = seeded.weights.copy()
    model = Sequential([chosen, seeded], random_state=0)
    assert_array_equal(model.layers[0].weights, 1.0)
    assert_array_equal(model.layers[1].weights, expected)


def test_sequential_dtype_float64_converts_its_layers():
    model = Sequential([Dense(3, 4), BatchNorm(4), ReLU(), Dense(4, 2), Softmax()], dtype=np.float64)
    model.compile("cce", "adam")
    model.fit(X, Y, epochs=1, verbose=0)
    for layer in model.layers:
        for store in (layer.params, layer.grads, layer.state):
            assert all(value.dtype == np.float64 for value in store.values()), layer.name
    assert model.predict(X).dtype == np.float64


def test_model_is_float32_by_default():
    model = classifier()
    model.fit(X, Y, verbose=0)
    assert model.dtype == np.float32
    assert all(value.dtype == np.float32 for value in model.params.values())
    assert model.predict(X).dtype == np.float32


@pytest.mark.parametrize("model_dtype, input_dtype", [
    (np.float32, np.float64), (np.float32, np.int64), (np.float64, np.float32),
])
def test_inputs_of_other_dtypes_are_converted_to_the_compute_dtype(model_dtype, input_dtype):
    recorder = Recorder()
    model = Sequential([recorder, Dense(3, 2, random_state=0), Softmax()], dtype=model_dtype)
    model.compile("cce", "sgd")
    Xi = (X * 10).astype(input_dtype)
    model.fit(Xi, Y, epochs=1, batch_size=20, verbose=0)
    assert all(batch.dtype == model_dtype for batch in recorder.batches)
    assert model.predict(Xi).dtype == model_dtype
    assert model.layers[1].weights.dtype == model_dtype


def test_a_model_of_float64_layers_trains_on_float64_inputs_without_a_float32_round_trip():
    recorder = Recorder()
    model = Sequential([recorder, Dense(3, 1, random_state=0, dtype=np.float64)]).compile("mse", "sgd")
    Xp = X + 1e-10  # lost in float32
    model.fit(Xp, X[:, 0], epochs=1, batch_size=40, shuffle=False, verbose=0)
    assert model.dtype == np.float64
    assert_array_equal(recorder.batches[0], Xp)


# -- printing ----------------------------------------------------------------
def test_verbose_0_prints_nothing(capsys):
    classifier().fit(X, Y, epochs=3, validation_split=0.2, verbose=0)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_verbose_2_prints_one_line_per_epoch_with_loss_metrics_and_time(capsys):
    classifier().fit(X, Y, epochs=3, validation_split=0.2, verbose=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    for epoch, line in enumerate(lines, start=1):
        assert line.startswith(f"Epoch {epoch}/3")
        for word in ("loss:", "accuracy:", "val_loss:", "val_accuracy:"):
            assert word in line
        assert "s - " in line  # the epoch's time in seconds


def test_verbose_auto_prints_one_line_per_epoch_when_not_on_a_terminal(capsys):
    classifier().fit(X, Y, epochs=2, verbose="auto")
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["Epoch 1/2", "Epoch 2/2"]


def test_verbose_1_shows_progress_and_ends_each_epoch_with_its_line(capsys):
    classifier().fit(X, Y, epochs=2, batch_size=8, verbose=1)
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "Epoch 1/2" in text and "Epoch 2/2" in text and "loss:" in text


# -- divergence --------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_raises_with_where_and_likely_causes_and_restores_finite_weights():
    rng = np.random.default_rng(0)
    Xr = rng.normal(size=(200, 3))
    y = Xr @ [1.0, 2.0, 3.0] * 1e5  # unscaled targets
    model = Sequential([Dense(3, 8), ReLU(), Dense(8, 1)], random_state=0)
    model.compile("mse", SGD(learning_rate=0.5))
    initial = model.get_weights()
    with pytest.raises(TrainingDivergedError) as info:
        model.fit(Xr, y, epochs=5, verbose=0, random_state=0)
    error = info.value
    assert isinstance(error, ValueError)
    message = str(error)
    assert f"epoch {error.epoch + 1}, batch {error.batch + 1}" in message
    for cause in ("learning rate (0.5) is too high", "targets are not scaled",
                  "largest |y| is 1.0", "no gradient clipping"):
        assert cause in message
    assert "Restored the initial weights" in message
    assert "the loss itself overflowed" in message or "First non-finite values in" in message
    assert weights_equal(model.get_weights(), initial)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_after_some_epochs_restores_the_last_finite_epoch():
    rng = np.random.default_rng(0)
    Xr = rng.normal(size=(200, 3))
    y = Xr @ [1.0, 2.0, 3.0] * 1e5
    model = Sequential([Dense(3, 8), ReLU(), Dense(8, 1)], random_state=0)
    model.compile("mse", SGD(learning_rate=0.01))
    snapshots = []
    record = LambdaCallback(on_epoch_end=lambda epoch, logs: snapshots.append(model.get_weights()))
    with pytest.raises(TrainingDivergedError, match=r"Restored the weights from the end of epoch \d+") as info:
        model.fit(Xr, y, epochs=50, batch_size=200, verbose=0, callbacks=[record])
    assert info.value.epoch == len(snapshots) >= 1
    assert f"end of epoch {len(snapshots)}." in str(info.value)
    assert "First non-finite values in the output of layer 'dense_1'" in str(info.value)
    assert info.value.layer == "the output of layer 'dense_1'"
    assert weights_equal(model.get_weights(), snapshots[-1])
    assert all(np.isfinite(w).all() for w in model.get_weights())


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_quotes_unscaled_features():
    Xr = np.random.default_rng(0).normal(size=(100, 2)) * [1.0, 1e4]
    model = Sequential([Dense(2, 1, random_state=0)]).compile("mse", SGD(learning_rate=1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeatureScaleWarning)
        with pytest.raises(TrainingDivergedError,
                           match=r"features are not scaled: the largest \|x\| is .* \(column 1\)"):
            model.fit(Xr, Xr[:, 0], epochs=20, verbose=0)


def test_clipping_is_not_listed_as_a_cause_when_the_optimizer_clips():
    Xr = np.random.default_rng(0).normal(size=(100, 2))
    model = Sequential([Dense(2, 1, random_state=0)])
    model.compile("mse", SGD(learning_rate=1e30, clipnorm=1e30))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(TrainingDivergedError) as info:
            model.fit(Xr, Xr[:, 0] * 1e20, epochs=50, verbose=0)
    assert "gradient clipping" not in str(info.value)


# -- feature-scale warning ---------------------------------------------------
def test_feature_scale_warning_names_the_large_columns():
    Xs = X.copy()
    Xs[:, 2] *= 1e5
    model = Sequential([Dense(3, 1, random_state=0)]).compile("mse", "adam")
    with pytest.warns(FeatureScaleWarning, match=r"columns 2 \(max \|x\| .*\) are large.*standardise"):
        model.fit(Xs, X[:, 0], verbose=0)


def test_feature_scale_warning_names_columns_whose_spreads_differ_wildly():
    Xs = X.copy()
    Xs[:, 1] *= 1e-4
    model = Sequential([Dense(3, 1, random_state=0)]).compile("mse", "adam")
    with pytest.warns(FeatureScaleWarning, match=r"range from .* \(column 1\) to .* \(column \d\)"):
        model.fit(Xs, X[:, 0], verbose=0)


def test_no_feature_scale_warning_for_standardised_data():
    model = Sequential([Dense(3, 1, random_state=0)]).compile("mse", "adam")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X, X[:, 0], verbose=0)



def test_feature_scale_check_measures_float32_columns_as_float64_would():
    from numnet.model.diagnostics import _column_std
    rng = np.random.default_rng(0)
    Xs = (rng.standard_normal((30_000, 3)) * [1.0, 1e-3, 1e3] + [1e4, 0.0, 5.0]).astype(np.float32)
    np.testing.assert_allclose(_column_std(Xs, np.float32), Xs.astype(np.float64).std(axis=0), rtol=1e-4)


@pytest.mark.parametrize("huge", [3e30, 9e17, -2e17])  # squares (or a block's sum of them) overflow float32
def test_feature_scale_warning_on_huge_float32_values_reports_them_without_overflowing(huge):
    from numnet.model.diagnostics import warn_about_feature_scales
    Xs = np.ones((50_000, 2), np.float32)  # large enough to be sampled
    Xs[::2, 1] = huge
    Xs[1::2, 1] = -huge
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_about_feature_scales(Xs)
    assert [w.category for w in caught] == [FeatureScaleWarning]
    assert f"columns 1 (max |x| {abs(huge):.3g}) are large" in str(caught[0].message)
    assert "inf" not in str(caught[0].message)


@pytest.mark.parametrize("value", [0.1, 1.7, 123.4])
def test_a_constant_float32_column_is_no_reason_for_a_feature_scale_warning(value):
    from numnet.model.diagnostics import _column_std
    rng = np.random.default_rng(0)
    Xs = rng.standard_normal((30_000, 3)).astype(np.float32)
    Xs[:, 2] = value  # its standard deviation is exactly 0, and 0 is left out of the spread
    assert _column_std(Xs[::3], np.float32)[2] == 0.0
    model = Sequential([Dense(3, 1, random_state=0)]).compile("mse", "adam")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(Xs, Xs[:, 0], epochs=1, verbose=0)

# -- Ctrl+C ------------------------------------------------------------------
def test_ctrl_c_stops_after_the_current_batch_and_keeps_weights_and_history(capsys):
    model = classifier()
    seen = []

    def interrupt(batch, logs):
        seen.append((len(model.history.epoch), batch))
        if len(model.history.epoch) == 2 and batch == 1:
            os.kill(os.getpid(), signal.SIGINT)

    handler_before = signal.getsignal(signal.SIGINT)
    history = model.fit(X, Y, epochs=10, batch_size=8, verbose=0,
                        callbacks=[LambdaCallback(on_batch_end=interrupt)])
    assert history.interrupted
    assert history.epoch == [0, 1] and len(history["loss"]) == 2
    assert seen[-1] == (2, 1)  # nothing ran after the interrupted batch
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert "Interrupted" in capsys.readouterr().out
    assert signal.getsignal(signal.SIGINT) is handler_before  # fit restored the handler


def test_validation_split_that_hides_whole_classes_from_training_warns():
    from numnet.model.training import ValidationSplitWarning

    from numnet import spiral_data

    X, y = spiral_data(20, 3, random_state=0)  # laid out class after class
    model = Sequential([Dense(2, 8), ReLU(), Dense(8, 3), Softmax()], random_state=0).compile()
    with pytest.warns(ValidationSplitWarning, match=r"classes \[2\] that the training part never sees"):
        model.fit(X, y, epochs=1, validation_split=0.34, verbose=0)


def test_class_weight_works_for_a_single_sigmoid_output():
    from numnet import Sigmoid

    rng = np.random.default_rng(0)
    Xb = rng.normal(size=(200, 3))
    yb = (Xb[:, 0] > 1.0).astype(int)  # about 16 % positives
    def positives(class_weight):
        model = Sequential([Dense(3, 1), Sigmoid()], random_state=0).compile("binary_crossentropy", Adam(0.05))
        model.fit(Xb, yb, epochs=30, verbose=0, class_weight=class_weight, random_state=0)
        return int(model.predict_classes(Xb).sum())
    assert positives({0: 1.0, 1: 10.0}) > positives(None)
    assert positives("balanced") > positives(None)


def test_class_weight_shapes_training_only_so_validation_matches_evaluate():
    model = classifier()
    history = model.fit(X[:30], Y[:30], epochs=2, verbose=0, validation_split=0.25,
                        class_weight={0: 1.0, 1: 5.0}, random_state=0, shuffle=False)
    assert np.isclose(history.history["val_loss"][-1], model.evaluate(X[22:30], Y[22:30])["loss"])


def test_predict_and_evaluate_reject_a_non_positive_batch_size():
    model = classifier()
    model.fit(X, Y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="batch_size must be > 0"):
        model.predict(X, batch_size=0)
    with pytest.raises(ValueError, match="batch_size must be > 0"):
        model.evaluate(X, Y, batch_size=-1)


def test_a_float16_model_is_refused_for_training_and_predicts_after_set_dtype():
    # float16 cannot carry training's sums and moments (Adam's steps came out hundreds of times
    # the learning rate, BatchNorm's variance inf): refused with what to do, never a silent failure.
    from numnet import spiral_data

    X, y = spiral_data(100, 3, random_state=0)
    model = Sequential([Dense(2, 32), ReLU(), Dense(32, 3), Softmax()], dtype=np.float16, random_state=0)
    model.compile(loss="categorical_crossentropy", optimizer="adam")
    with pytest.raises(TypeError, match=r"float16, too narrow to train in.*set_dtype\(np.float16\) afterwards"):
        model.fit(X, y, epochs=1, verbose=0)
    with pytest.raises(TypeError, match="too narrow to train in"):
        model.train_on_batch(X, y)
    model = Sequential([Dense(2, 32), ReLU(), Dense(32, 3), Softmax()], random_state=0)
    model.compile(loss="categorical_crossentropy", optimizer="adam")
    model.fit(X, y, epochs=20, verbose=0)
    P32 = model.predict(X)
    model.set_dtype(np.float16)
    P16 = model.predict(X)
    assert P16.dtype == np.float16 and np.abs(P16 - P32).max() < 1e-2


def test_set_dtype_refuses_weights_and_state_that_would_overflow_and_changes_nothing():
    model = Sequential([Dense(3, 4), BatchNorm(4), ReLU(), Dense(4, 2)], dtype=np.float64, random_state=0)
    model.build(3)
    weights = model.get_weights()
    weights[0] = np.full_like(weights[0], 1e300)
    model.set_weights(weights)
    before = model.predict(X)
    with pytest.raises(ValueError, match=r"layer 'dense.*params\['weights'\] has values up to 1e\+300, "
                                         r"beyond float32's 3.4e\+38"):
        model.set_dtype(np.float32)
    assert model.dtype == np.float64 and all(w.dtype == np.float64 for w in model.get_weights())
    assert_array_equal(model.predict(X), before)
    bn = model.layers[1]
    model.set_weights([np.ones_like(w) for w in model.get_weights()])
    bn.state["running_var"][...] = 1e5  # beyond float16's 6.6e4
    with pytest.raises(ValueError, match=r"state\['running_var'\] has values up to 1e\+05, beyond float16"):
        model.set_dtype(np.float16)
    model.set_dtype(np.float32)  # fits: converted
    assert model.get_weights()[0].dtype == np.float32


def test_a_float16_loss_is_averaged_without_overflowing():
    from numnet.functional import weighted_mean

    per_sample = np.full(5000, 30.0, np.float16)  # sums to 150,000: beyond float16's 65,504
    assert weighted_mean(per_sample) == 30.0
    assert weighted_mean(per_sample, np.full(5000, 0.5, np.float16)) == 15.0


def test_set_dtype_after_training_converts_the_optimizers_moments_and_training_goes_on():
    from numnet import spiral_data

    Xs, ys = spiral_data(50, 3, random_state=0)
    model = Sequential([Dense(2, 8), ReLU(), Dense(8, 3), Softmax()], random_state=0)
    model.compile(loss="categorical_crossentropy", optimizer="adam")
    model.fit(Xs, ys, epochs=2, verbose=0)
    state = model.optimizer.get_state()
    model.set_dtype(np.float64)
    converted = model.optimizer.get_state()
    assert converted["iterations"] == state["iterations"]
    for key in ("0/m", "0/v"):
        assert converted[key].dtype == np.float64
        assert_array_equal(converted[key], state[key].astype(np.float64))
    model.fit(Xs, ys, epochs=1, verbose=0)  # no "state was made for float32" error
    assert model.optimizer.iterations == state["iterations"] + 5
