"""Keras habits numnet accepts (issue 13 item 4): the names and arguments a Keras user types first."""
import csv

import numpy as np
import pytest

import numnet
from numnet import (CSVLogger, Dense, Input, ModelCheckpoint, ReLU, Sequential, Softmax, spiral_data)


@pytest.fixture(scope="module")
def data():
    return spiral_data(30, 3, random_state=0)


def net(**kwargs):
    return Sequential([Input((2,)), Dense(8), ReLU(), Dense(3), Softmax()], random_state=0, **kwargs)


def test_input_first_builds_the_model_at_once():
    model = net()
    assert model.n_features == 2 and model.count_params() == 2 * 8 + 8 + 8 * 3 + 3
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "ReLU", "Dense", "Softmax"]
    assert model.predict(np.zeros((4, 2))).shape == (4, 3)


def test_input_accepts_an_int_and_refuses_a_batch_dimension():
    assert Input(5).shape == (5,)
    with pytest.raises(ValueError, match=r"Input shape must be one number of features.*\(None, 2\)"):
        Input((None, 2))
    with pytest.raises(ValueError, match=r"positive number of features.*got 0"):
        Input(0)


def test_input_after_layers_is_refused():
    model = Sequential([Dense(2, 3)])
    with pytest.raises(ValueError, match=r"Input\(shape=\(2,\)\) must come first"):
        model.add(Input(2))


def test_input_model_survives_config_and_file_round_trips(tmp_path, data):
    X, y = data
    model = net().compile(metrics=["acc"])
    model.fit(X, y, epochs=1, verbose=0)
    again = Sequential.from_config(model.get_config())
    assert again.n_features == 2 and again.count_params() == model.count_params()
    model.save(tmp_path / "m.numnet")
    loaded = numnet.load(tmp_path / "m.numnet")
    np.testing.assert_allclose(loaded.predict(X), model.predict(X), rtol=1e-6)
    assert [m.name for m in loaded.metrics] == ["acc"]


def test_metric_alias_is_logged_under_the_name_given(data):
    X, y = data
    model = net().compile(metrics=["acc"])
    history = model.fit(X, y, epochs=1, verbose=0, validation_data=(X, y))
    assert set(history.history) == {"loss", "acc", "val_loss", "val_acc"}


def test_predict_and_evaluate_take_verbose_and_return_dict(data, capsys):
    X, y = data
    model = net().compile(metrics=["accuracy"])
    assert capsys.readouterr().out == ""
    model.predict(X, verbose=0)
    model.evaluate(X, y, verbose=0)
    assert capsys.readouterr().out == ""
    model.predict(X, verbose=1)
    assert "predict: 90 samples" in capsys.readouterr().out
    result = model.evaluate(X, y, verbose=1, return_dict=False)
    assert isinstance(result, list) and len(result) == 2
    out = capsys.readouterr().out
    assert "evaluate: 90 samples" in out and "accuracy:" in out
    assert net().compile().evaluate(X, y, return_dict=False) == pytest.approx(
        net().compile().evaluate(X, y)["loss"])
    with pytest.raises(ValueError, match=r"predict\(verbose=...\) must be 0, 1, 2 or 'auto', got 3"):
        model.predict(X, verbose=3)


def test_train_on_batch_steps_once_and_test_on_batch_changes_nothing(data):
    X, y = data
    model = net().compile(metrics=["accuracy"])
    before = model.get_weights()
    loss, accuracy = model.test_on_batch(X, y)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    logs = model.train_on_batch(X, y, return_dict=True)
    assert set(logs) == {"loss", "accuracy"} and logs["loss"] == pytest.approx(loss, rel=1e-5)
    assert not all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert model.train_on_batch(X, y)[0] < loss  # a second step on the same batch lowers its loss


def test_initial_epoch_resumes_the_epoch_count(data):
    X, y = data
    model = net().compile()
    history = model.fit(X, y, epochs=5, initial_epoch=3, verbose=0)
    assert history.epoch == [3, 4]
    assert history.params == {"epochs": 5, "steps": 3, "verbose": 0, "batch_size": 32, "initial_epoch": 3}
    with pytest.raises(ValueError, match=r"initial_epoch=6 is past epochs=5.*pass epochs=11"):
        model.fit(X, y, epochs=5, initial_epoch=6, verbose=0)


def test_model_checkpoint_saves_numnet_files_and_best_only(tmp_path, data):
    X, y = data
    model = net().compile()
    every = ModelCheckpoint(tmp_path / "e{epoch:02d}.numnet", monitor="loss")
    best = ModelCheckpoint(tmp_path / "best.numnet", monitor="val_loss", save_best_only=True)
    model.fit(X, y, epochs=3, verbose=0, validation_data=(X, y), callbacks=[every, best])
    assert [p.rsplit("/", 1)[-1] for p in every.saved] == ["e01.numnet", "e02.numnet", "e03.numnet"]
    assert 1 <= len(best.saved) <= 3 and (tmp_path / "best.numnet").exists()
    assert numnet.load(tmp_path / "e03.numnet").n_features == 2
    with pytest.raises(ValueError, match=r"must end in \.numnet.*'ckpt.h5'"):
        ModelCheckpoint("ckpt.h5")


def test_csv_logger_writes_one_row_per_epoch_and_appends(tmp_path, data):
    X, y = data
    path = tmp_path / "log.csv"
    model = net().compile(metrics=["acc"])
    model.fit(X, y, epochs=2, verbose=0, callbacks=[CSVLogger(path)])
    model.fit(X, y, epochs=3, initial_epoch=2, verbose=0, callbacks=[CSVLogger(path, append=True)])
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["epoch", "loss", "acc"]
    assert [row[0] for row in rows[1:]] == ["0", "1", "2"]


@pytest.mark.parametrize("name", ["m.keras", "m.h5", "M.HDF5"])
def test_save_refuses_keras_formats_with_a_way_out(tmp_path, name):
    with pytest.raises(ValueError, match=r"cannot write the \.(keras|h5|hdf5) format.*\.numnet"):
        net().save(tmp_path / name)
    assert not (tmp_path / name).exists()


def test_summary_prints_returns_none_and_has_a_string_form(capsys):
    model = net()
    assert model.summary() is None
    printed = capsys.readouterr().out
    assert printed.strip() == model.summary_text() == model.to_string()
    lines = []
    model.summary(print_fn=lines.append)
    assert lines == [model.summary_text()]


def test_dense_activation_becomes_its_own_layer_and_round_trips(tmp_path, data):
    X, y = data
    model = Sequential([Dense(16, activation="relu", input_shape=(2,)), Dense(3, activation="softmax")],
                       random_state=0)
    assert repr(model) == "Sequential([Dense(2, 16), ReLU(), Dense(16, 3), Softmax(axis=-1)])"
    model.compile(metrics=["acc"]).fit(X, y, epochs=2, verbose=0)
    model.save(tmp_path / "a.numnet")
    np.testing.assert_allclose(numnet.load(tmp_path / "a.numnet").predict(X), model.predict(X), rtol=1e-6)
    assert repr(Sequential.from_config(model.get_config())) == repr(model)


def test_dense_activation_outside_a_model_is_refused_with_the_way_out():
    layer = Dense(2, 3, activation="tanh")
    with pytest.raises(ValueError, match=r"activation=Tanh.*Tanh\(\)\.forward\(dense\.forward\(X\)\)"):
        layer.forward(np.ones((4, 2)))
    assert Dense.from_config(layer.get_config()).activation is not None


def test_dense_input_shape_must_agree_with_n_inputs():
    assert Dense(8, input_shape=(3,)).n_inputs == 3
    with pytest.raises(ValueError, match=r"n_inputs=2 and input_shape=\(3,\), which disagree"):
        Dense(2, 8, input_shape=(3,))
    with pytest.raises(ValueError, match=r"Unknown layer 'rleu'.*Did you mean 'relu'"):
        Dense(8, activation="rleu")
