"""Tests for numnet.io: .numnet round trips, resumed training, config round trips of every
registered class, every ModelFileError case, and atomic writes."""
import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import numnet
from numnet import (ELU, GELU, SGD, Adagrad, Adam, AdamW, BatchNorm, Dense, Dropout, Identity,
                    LeakyReLU, MaskedSoftmax, ModelFileError, ReLU, RMSprop, Sequential, Sigmoid,
                    Softmax, Softplus, Tanh)
from numnet.io import load_model, save_model
from numnet.io import archive as archive_module
from numnet.layers.base import Layer
from numnet.layers.initializers import Initializer, Normal
from numnet.optimizers import CosineDecay, StepDecay
from numnet.registry import (INITIALIZERS, LAYERS, LOSSES, OPTIMIZERS, SCHEDULES, deserialize,
                             serialize)

RNG = np.random.default_rng(0)
X = RNG.normal(size=(60, 4)).astype(np.float32)
Y = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 1)
MASK = (RNG.random((60, 3)) > 0.3)
MASK[np.arange(60), Y] = True  # the true class is always allowed
MASK[0] = False  # a fully masked row


def classifier(*middle, dtype=None, last=None):
    layers = [Dense(4, 8, random_state=1), *middle, Dense(8, 3, random_state=2), last or Softmax()]
    return Sequential(layers, dtype=dtype, random_state=0)


def trained(model, epochs=2, optimizer=None, mask=None, loss="categorical_crossentropy"):
    model.compile(loss=loss, optimizer=optimizer or Adam(0.01), metrics=["accuracy"])
    model.fit(X, Y, epochs=epochs, batch_size=16, verbose=0, random_state=0, mask=mask)
    return model


def round_trip(model, tmp_path, **kwargs):
    path = tmp_path / "model.numnet"
    save_model(model, path, **kwargs)
    return load_model(path)


def assert_same_model(a, b, mask=None):
    assert a.get_config() == b.get_config()
    assert a.get_weights().__len__() == b.get_weights().__len__()
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        assert wa.dtype == wb.dtype
        assert_array_equal(wa, wb)
    assert_array_equal(a.predict(X, mask=mask), b.predict(X, mask=mask))  # bit-identical


# -- round trips ------------------------------------------------------------------
LAYER_MODELS = {
    "relu": lambda: classifier(ReLU()),
    "leaky_relu": lambda: classifier(LeakyReLU(0.2)),
    "elu": lambda: classifier(ELU(0.7)),
    "gelu": lambda: classifier(GELU()),
    "sigmoid": lambda: classifier(Sigmoid()),
    "tanh": lambda: classifier(Tanh()),
    "softplus": lambda: classifier(Softplus()),
    "identity": lambda: classifier(Identity()),
    "dropout": lambda: classifier(ReLU(), Dropout(0.3, random_state=5)),
    "batchnorm": lambda: classifier(BatchNorm(momentum=0.8, eps=1e-4), ReLU()),
    "float64": lambda: classifier(Tanh(), BatchNorm(), dtype=np.float64),
}


@pytest.mark.parametrize("make", LAYER_MODELS.values(), ids=LAYER_MODELS.keys())
def test_round_trip_gives_bit_identical_predictions(make, tmp_path):
    model = trained(make())
    loaded = round_trip(model, tmp_path)
    assert_same_model(model, loaded)
    assert loaded.dtype == model.dtype


def test_batchnorm_running_statistics_survive_the_round_trip(tmp_path):
    model = trained(classifier(BatchNorm(), ReLU()))
    bn = model.layers[1]
    assert not np.allclose(bn.state["running_mean"], 0)  # training moved them
    loaded = round_trip(model, tmp_path)
    assert_array_equal(loaded.layers[1].state["running_var"], bn.state["running_var"])


def test_masked_softmax_model_round_trips_with_masks(tmp_path):
    model = trained(classifier(ReLU(), last=MaskedSoftmax()), mask=MASK)
    loaded = round_trip(model, tmp_path)
    assert_same_model(model, loaded, mask=MASK)
    assert np.all(loaded.predict(X, mask=MASK)[0] == 0.0)


def test_untrained_unbuilt_and_uncompiled_models_round_trip(tmp_path):
    built = Sequential([Dense(4, 3, random_state=0), Softmax()])
    loaded = round_trip(built, tmp_path)
    assert loaded.loss is None and loaded.optimizer is None
    assert_array_equal(loaded.layers[0].weights, built.layers[0].weights)
    unbuilt = Sequential([Dense(5), ReLU(), Dense(2)])
    loaded = round_trip(unbuilt, tmp_path)
    assert loaded.n_features is None and loaded.get_config() == unbuilt.get_config()


def test_regression_model_with_huber_loss_round_trips(tmp_path):
    model = Sequential([Dense(4, 6, random_state=0), ELU(), Dense(6, 1, random_state=1)])
    model.compile(loss=numnet.Huber(delta=0.5), optimizer=SGD(0.01, momentum=0.9), metrics=["mae"])
    model.fit(X, X[:, :1] * 2, epochs=2, verbose=0, random_state=0)
    loaded = round_trip(model, tmp_path)
    assert_same_model(model, loaded)
    assert loaded.loss.delta == 0.5


def test_metadata_preprocessing_and_history_are_kept(tmp_path):
    model = trained(classifier(ReLU()))
    prep = {"feature_columns": ["a", "b"], "classes": ["x", 2, 3.5]}
    loaded = round_trip(model, tmp_path, metadata={"note": "hi", "n": [1, 2]}, preprocessing=prep)
    assert loaded.preprocessing == prep
    assert loaded.metadata["note"] == "hi" and loaded.metadata["n"] == [1, 2]
    assert loaded.metadata["history"]["loss"] == model.history.history["loss"]
    assert loaded.file_info == {"format_version": 1, "numnet_version": numnet.__version__,
                                "optimizer_state": True}
    # saving a loaded model again keeps what it carries
    again = round_trip(loaded, tmp_path)
    assert again.preprocessing == prep and again.metadata["note"] == "hi"


def test_model_save_and_numnet_load(tmp_path):
    model = trained(classifier(ReLU()))
    model.save(tmp_path / "m.numnet")
    assert_same_model(model, numnet.load(str(tmp_path / "m.numnet")))
    assert "load" in numnet.__all__


# -- optimizer state and resumed training ----------------------------------------------
OPTIMIZERS_TO_RESUME = {
    "sgd_momentum": lambda: SGD(0.05, momentum=0.9, nesterov=True),
    "adam_amsgrad": lambda: Adam(0.01, amsgrad=True),
    "adamw_schedule": lambda: AdamW(CosineDecay(0.01, decay_steps=10), weight_decay=0.01),
    "rmsprop_momentum": lambda: RMSprop(0.01, momentum=0.5),
    "adagrad": lambda: Adagrad(0.05),
    "sgd_step_decay": lambda: SGD(StepDecay(0.1, drop=0.5, step_size=3)),
}


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS_TO_RESUME.values(),
                         ids=OPTIMIZERS_TO_RESUME.keys())
def test_resumed_training_equals_uninterrupted_training(make_optimizer, tmp_path):
    def fresh():
        model = classifier(BatchNorm(), ReLU())
        model.compile(optimizer=make_optimizer(), metrics=["accuracy"])
        return model

    straight = fresh()
    straight.fit(X, Y, epochs=4, batch_size=16, shuffle=False, verbose=0)
    first = fresh()
    first.fit(X, Y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    resumed = round_trip(first, tmp_path)
    assert resumed.optimizer.iterations == first.optimizer.iterations == 8
    resumed.fit(X, Y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        assert_array_equal(a, b)


def test_resumed_shuffled_training_with_a_shared_generator_is_exact(tmp_path):
    # One Generator passed to every fit continues the shuffling across the save.
    # (Not Dropout: each fit reseeds it, so even without a save two fits of one
    # epoch differ from one fit of two.)
    def fresh():
        model = classifier(ReLU())
        model.compile(optimizer=Adam(0.01))
        return model

    straight = fresh()
    straight.fit(X, Y, epochs=3, batch_size=16, verbose=0, random_state=np.random.default_rng(7))
    first, rng = fresh(), np.random.default_rng(7)
    first.fit(X, Y, epochs=1, batch_size=16, verbose=0, random_state=rng)
    resumed = round_trip(first, tmp_path)
    resumed.fit(X, Y, epochs=2, batch_size=16, verbose=0, random_state=rng)
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        assert_array_equal(a, b)


def test_without_optimizer_state_the_optimizer_starts_fresh(tmp_path):
    model = trained(classifier(ReLU()))
    loaded = round_trip(model, tmp_path, include_optimizer=False)
    assert loaded.optimizer.iterations == 0 and loaded.optimizer.get_state() == {
        "iterations": np.array(0)}
    assert loaded.get_config()["optimizer"] == model.get_config()["optimizer"]
    assert loaded.file_info["optimizer_state"] is False
    with_state = round_trip(model, tmp_path)
    for key, value in model.optimizer.get_state().items():
        assert_array_equal(with_state.optimizer.get_state()[key], value)


def test_optimizer_state_of_other_parameters_is_refused_at_save(tmp_path):
    model = trained(classifier(ReLU()))
    # state made for other parameters (say, set by hand from another model)
    model.optimizer.set_state({"iterations": np.array(3), "0/m": np.zeros(5, np.float32),
                               "0/v": np.zeros(5, np.float32)})
    with pytest.raises(ValueError, match="include_optimizer=False"):
        save_model(model, tmp_path / "m.numnet")
    save_model(model, tmp_path / "m.numnet", include_optimizer=False)


# -- get_config / from_config for every registered class -------------------------------
# Non-default arguments, so that a config that drops one is caught.
ARGUMENTS = {
    "Dense": dict(n_inputs=3, n_neurons=4, weight_init="he", l1=0.01, l2=0.02, bias_l2=0.1,
                  random_state=3, dtype="float64", name="d"),
    "Dropout": dict(rate=0.25, random_state=4, name="drop"), "BatchNorm": dict(
        n_features=3, momentum=0.8, eps=1e-3, name="bn"), "LeakyReLU": dict(alpha=0.2),
    "ELU": dict(alpha=0.5), "Softmax": dict(axis=1), "MaskedSoftmax": dict(axis=1),
    "CategoricalCrossEntropy": dict(from_logits=True, label_smoothing=0.1),
    "MaskedCategoricalCrossEntropy": dict(from_logits=True, label_smoothing=0.1),
    "BinaryCrossEntropy": dict(from_logits=True), "Huber": dict(delta=2.0),
    "SGD": dict(learning_rate=0.5, momentum=0.9, nesterov=True, weight_decay=0.1, clipnorm=1.0),
    "Adam": dict(learning_rate=StepDecay(0.1, drop=0.3, step_size=7), beta_1=0.8, amsgrad=True,
                 clipvalue=2.0),
    "AdamW": dict(learning_rate=0.02, weight_decay=0.3, epsilon=1e-5),
    "RMSprop": dict(learning_rate=0.03, rho=0.8, momentum=0.5),
    "Adagrad": dict(learning_rate=0.04, initial_accumulator_value=0.2),
    "Constant": dict(learning_rate=0.3),
    "InverseTimeDecay": dict(learning_rate=0.3, decay_rate=0.5, decay_steps=4),
    "ExponentialDecay": dict(learning_rate=0.3, decay_rate=0.5, decay_steps=4),
    "StepDecay": dict(learning_rate=0.3, drop=0.2, step_size=5),
    "CosineDecay": dict(learning_rate=0.3, decay_steps=50, alpha=0.1),
    "Normal": dict(scale=0.3),
}
REGISTERED = sorted({(registry.kind, cls) for registry in (LAYERS, LOSSES, OPTIMIZERS, SCHEDULES,
                                                            INITIALIZERS)
                     for cls in registry._classes.values()}, key=lambda kc: kc[1].__name__)


@pytest.mark.parametrize("kind, cls", REGISTERED, ids=[c.__name__ for _, c in REGISTERED])
def test_every_registered_class_round_trips_through_its_config(kind, cls):
    registry = {"layer": LAYERS, "loss": LOSSES, "optimizer": OPTIMIZERS, "schedule": SCHEDULES,
                "initializer": INITIALIZERS}[kind]
    obj = cls(**ARGUMENTS.get(cls.__name__, {}))
    data = json.loads(json.dumps(serialize(obj)))  # plain JSON data
    copy = deserialize(data, registry)
    assert type(copy) is cls
    assert copy.get_config() == obj.get_config()
    for key, value in ARGUMENTS.get(cls.__name__, {}).items():
        got = copy.get_config()[key]
        expected = serialize(value) if hasattr(value, "get_config") else value
        assert got == expected, f"{cls.__name__}.get_config() lost {key}"


def test_dense_keeps_a_user_supplied_initializer():
    layer = Dense(3, 4, weight_init=Normal(0.25))
    copy = Dense.from_config(json.loads(json.dumps(layer.get_config())))
    assert isinstance(copy._initializer, Normal) and copy._initializer.scale == 0.25
    by_name = Dense.from_config(Dense(3, 4, weight_init="normal", init_scale=0.5).get_config())
    assert by_name._initializer.scale == 0.5

    def my_init(shape, rng, dtype):
        return np.full(shape, 0.5, dtype)

    layer = Dense(3, 4, weight_init=my_init)
    copy = Dense.from_config(layer.get_config())  # in memory: the same function
    assert copy.weight_init is my_init and np.all(copy.weights == 0.5)


def test_a_plain_function_initializer_cannot_be_saved_and_says_how_to_fix(tmp_path):
    model = Sequential([Dense(3, 4, weight_init=lambda s, r, d: np.zeros(s, d))])
    with pytest.raises(TypeError, match="register it"):
        save_model(model, tmp_path / "m.numnet")
    assert not os.listdir(tmp_path)  # nothing written, no temporary file left


def test_a_registered_custom_initializer_round_trips(tmp_path, monkeypatch):
    # A copy of the registry's table for this test only: other tests list the known names.
    monkeypatch.setattr(INITIALIZERS, "_classes", dict(INITIALIZERS._classes))

    @INITIALIZERS.register("test_constant_init")
    class ConstantInit(Initializer):
        def __init__(self, value=0.1):
            self.value = value

        def __call__(self, shape, rng, dtype=np.float32):
            return np.full(shape, self.value, dtype)

        def get_config(self):
            return {"value": self.value}

    model = Sequential([Dense(3, 2, weight_init=ConstantInit(0.7))])
    loaded = round_trip(model, tmp_path)
    assert loaded.layers[0]._initializer.value == 0.7


def test_an_unregistered_layer_is_refused_at_save(tmp_path):
    class Doubler(Layer):
        def forward(self, X, training=False):
            return 2 * X

        def backward(self, dY):
            return 2 * dY

    model = Sequential([Dense(3, 2), Doubler()])
    with pytest.raises(ValueError, match="Doubler is not registered"):
        save_model(model, tmp_path / "m.numnet")


# -- ModelFileError cases --------------------------------------------------------------
@pytest.fixture()
def good_file(tmp_path):
    path = tmp_path / "good.numnet"
    save_model(trained(classifier(BatchNorm(), ReLU())), path)
    return path


def members_of(path):
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def write_members(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def edit_config(path, change):
    members = members_of(path)
    config = json.loads(members["config.json"])
    change(config)
    members["config.json"] = json.dumps(config)
    write_members(path, members)


def npy_bytes(array, allow_pickle=False):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def expect_error(path, pattern):
    with pytest.raises(ModelFileError, match=pattern):
        load_model(path)


def test_missing_file_folder_and_empty_file(tmp_path):
    expect_error(tmp_path / "nope.numnet", "does not exist")
    expect_error(tmp_path, "is a folder")
    (tmp_path / "empty.numnet").write_bytes(b"")
    expect_error(tmp_path / "empty.numnet", "is empty")


def test_a_pickle_renamed_numnet_is_refused_without_unpickling(tmp_path):
    path = tmp_path / "evil.numnet"

    class Boom:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    path.write_bytes(pickle.dumps({"weights": [1, 2], "boom": Boom()}))
    expect_error(path, "looks like a Python pickle")
    assert not (tmp_path / "pwned").exists()


def test_text_and_truncated_files(tmp_path, good_file):
    (tmp_path / "text.numnet").write_text("hello")
    expect_error(tmp_path / "text.numnet", "not a zip archive")
    data = good_file.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 30):
        (tmp_path / "cut.numnet").write_bytes(data[:cut])
        expect_error(tmp_path / "cut.numnet", "truncated|damaged")


def test_bad_json_and_json_that_is_not_an_object(good_file):
    members = members_of(good_file)
    members["config.json"] = b"{not json"
    write_members(good_file, members)
    expect_error(good_file, "not valid JSON")
    members["config.json"] = b"[1, 2]"
    write_members(good_file, members)
    expect_error(good_file, "must hold a JSON object")


@pytest.mark.parametrize("version, pattern", [(2, "newer numnet"), ("1", "must be an integer"),
                                              (0, "format version 0")])
def test_unknown_format_versions(good_file, version, pattern):
    edit_config(good_file, lambda c: c.update(format_version=version))
    expect_error(good_file, pattern)


def test_another_kind_of_file(good_file):
    edit_config(good_file, lambda c: c.update(format="numnet.Something"))
    expect_error(good_file, "'numnet.Sequential' was expected")


def test_extra_missing_and_repeated_members(good_file):
    original = members_of(good_file)
    write_members(good_file, {**original, "payload.pkl": pickle.dumps([1])})
    expect_error(good_file, r"unexpected members \['payload.pkl'\]")
    write_members(good_file, {k: v for k, v in original.items() if k != "arrays/3.npy"})
    expect_error(good_file, r"lacks the members \['arrays/3.npy'\]")
    with zipfile.ZipFile(good_file, "w") as archive, pytest.warns(UserWarning, match="Duplicate"):
        for name, data in [*original.items(), ("arrays/1.npy", original["arrays/1.npy"])]:
            archive.writestr(name, data)
    expect_error(good_file, "twice")


def test_no_config_member(good_file):
    members = members_of(good_file)
    del members["config.json"]
    write_members(good_file, members)
    expect_error(good_file, "no config.json")


def test_array_whose_header_disagrees_with_the_config(good_file):
    members = members_of(good_file)
    members["arrays/0.npy"] = npy_bytes(np.zeros((8, 4), np.float32))  # transposed
    write_members(good_file, members)
    expect_error(good_file, r"stored with shape \(8, 4\).*config says shape \(4, 8\)")
    members["arrays/0.npy"] = npy_bytes(np.zeros((4, 8), np.float64))
    write_members(good_file, members)
    expect_error(good_file, "stored with shape .* float64")


def test_a_pickled_object_array_inside_is_refused(good_file):
    members = members_of(good_file)
    members["arrays/1.npy"] = npy_bytes(np.array([object()] * 8, dtype=object), allow_pickle=True)
    write_members(good_file, members)
    expect_error(good_file, "damaged|dtype object|stored with")
    edit_config(good_file, lambda c: c["arrays"]["params/dense/biases"].update(dtype="|O"))
    expect_error(good_file, "numnet files hold only")


def test_config_shapes_that_disagree_with_the_model(good_file):
    def change(config):
        config["model"]["layers"][0]["config"]["n_neurons"] = 7

    edit_config(good_file, change)
    expect_error(good_file, "cannot build|do not match|needs")


def test_arrays_the_model_does_not_have(good_file):
    members = members_of(good_file)
    config = json.loads(members["config.json"])
    config["arrays"]["params/ghost/weights"] = {"member": "arrays/99.npy", "shape": [2],
                                                "dtype": "<f4"}
    members["arrays/99.npy"] = npy_bytes(np.zeros(2, np.float32))
    members["config.json"] = json.dumps(config)
    write_members(good_file, members)
    expect_error(good_file, r"unexpected \['params/ghost/weights'\]")


def test_unknown_layer_class(good_file):
    edit_config(good_file, lambda c: c["model"]["layers"][2].update(class_name="os.system"))
    expect_error(good_file, "cannot build.*Unknown layer 'os.system'")


def test_a_config_that_would_allocate_far_more_than_stored(good_file):
    def change(config):
        layer = config["model"]["layers"][0]["config"]
        layer["n_inputs"], layer["n_neurons"] = 200_000, 300_000

    edit_config(good_file, change)
    expect_error(good_file, "do not fit")


def test_compressed_and_oversized_members_are_refused(good_file):
    members = members_of(good_file)
    write_members(good_file, members, compression=zipfile.ZIP_DEFLATED)
    expect_error(good_file, "is compressed")
    # a member far larger than its shape needs (what a zip bomb would be)
    members["arrays/1.npy"] = npy_bytes(np.zeros(8, np.float32)) + b"\0" * 200_000
    write_members(good_file, members)
    expect_error(good_file, "more than")


def test_optimizer_state_flag_and_arrays_must_agree(good_file):
    edit_config(good_file, lambda c: c.update(optimizer_state=False))
    expect_error(good_file, "optimizer_state=False")


def test_optimizer_state_of_the_wrong_shape(good_file):
    members = members_of(good_file)
    config = json.loads(members["config.json"])
    entry = config["arrays"]["optimizer/0/m"]
    entry["shape"] = [5]
    members[entry["member"]] = npy_bytes(np.zeros(5, np.float32))
    members["config.json"] = json.dumps(config)
    write_members(good_file, members)
    expect_error(good_file, "optimizer state '0/m'")


def test_the_error_is_a_value_error_for_callers_that_catch_those(tmp_path):
    with pytest.raises(ValueError):
        load_model(tmp_path / "missing.numnet")


# -- atomic writes ---------------------------------------------------------------------
def test_a_crash_while_saving_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.numnet"
    old = trained(classifier(ReLU()))
    save_model(old, path)
    before = path.read_bytes()
    real_save = np.save
    calls = []

    def crash_after_two_arrays(file, array, allow_pickle=True):
        calls.append(1)
        if len(calls) > 2:
            raise OSError("disk full (simulated)")
        real_save(file, array, allow_pickle=allow_pickle)

    monkeypatch.setattr(archive_module.np, "save", crash_after_two_arrays)
    new = trained(classifier(Tanh()), epochs=3)
    with pytest.raises(OSError, match="simulated"):
        save_model(new, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.numnet"]  # the temporary file was removed
    assert_same_model(old, load_model(path))


def test_a_crash_before_the_rename_leaves_no_file(tmp_path, monkeypatch):
    def fail(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(archive_module.os, "replace", fail)
    with pytest.raises(KeyboardInterrupt):
        save_model(trained(classifier(ReLU())), tmp_path / "new.numnet")
    assert os.listdir(tmp_path) == []


def test_saving_over_an_existing_file_replaces_it(tmp_path):
    path = tmp_path / "model.numnet"
    save_model(trained(classifier(ReLU())), path)
    second = trained(classifier(Sigmoid()))
    save_model(second, path)
    assert_same_model(second, load_model(path))
    # the file gets ordinary permissions, not the temporary file's private 0o600
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~archive_module._umask()


# -- numnet.sklearn estimators in the same format ----------------------------------------
def fitted_estimators():
    sklearn_module = pytest.importorskip("numnet.sklearn")
    MLPClassifier, MLPRegressor = sklearn_module.MLPClassifier, sklearn_module.MLPRegressor
    rng = np.random.default_rng(1)
    Xe = rng.normal(size=(90, 3))
    words = np.array(["cat", "dog", "emu"])[(Xe[:, 0] > 0).astype(int) + (Xe[:, 1] > 0.8)]
    ints = (Xe[:, 0] > 0).astype(int) + 2 * (Xe[:, 2] > 0)
    return [
        (MLPClassifier((6, 4), max_iter=15, random_state=0, batch_norm=True, dropout=0.1,
                       early_stopping=True, activation=["tanh", "gelu"]), Xe, words),
        (MLPClassifier((5,), max_iter=15, random_state=0, class_weight={0: 2.0, 3: 0.5}), Xe, ints),
        (MLPClassifier((5,), max_iter=15, random_state=0), Xe, Xe[:, 0] > 0),
        (MLPClassifier((5,), solver="lbfgs", max_iter=30, random_state=0), Xe,
         np.c_[Xe[:, 0] > 0, Xe[:, 1] > 0].astype(int)),
        (MLPRegressor(loss="poisson", hidden_layer_sizes=(5,), max_iter=15, random_state=0), Xe,
         np.abs(Xe[:, 0])),
        (MLPRegressor(hidden_layer_sizes=(4,), solver="sgd", max_iter=15,
                      random_state=np.random.default_rng(3)), Xe.astype(np.float32), Xe[:, :2]),
    ]


def test_estimators_round_trip_with_identical_predictions(tmp_path):
    import warnings

    from numnet.sklearn import load_estimator, save_estimator

    for est, Xe, ye in fitted_estimators():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning: few iterations on purpose
            est.fit(Xe, ye)
        path = tmp_path / "estimator.numnet"
        save_estimator(est, path)
        loaded = load_estimator(path)
        assert type(loaded) is type(est)
        assert_array_equal(loaded.predict(Xe), est.predict(Xe))
        if hasattr(est, "predict_proba"):
            assert_array_equal(loaded.predict_proba(Xe), est.predict_proba(Xe))
            assert_array_equal(loaded.classes_, est.classes_)
            assert loaded.classes_.dtype == est.classes_.dtype
        expected = est.get_params()
        if isinstance(expected["random_state"], np.random.Generator):
            expected["random_state"] = None  # a generator's state is not kept
        assert loaded.get_params() == expected
        for key in ("n_iter_", "loss_", "n_features_in_", "out_activation_", "n_layers_"):
            assert getattr(loaded, key) == getattr(est, key)
        assert getattr(loaded, "loss_curve_", None) == getattr(est, "loss_curve_", None)
        assert loaded.score(Xe, ye) == est.score(Xe, ye)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loaded.set_params(warm_start=True, max_iter=2).fit(Xe, ye)  # training continues


def test_a_loaded_estimator_is_still_picklable_and_a_pickled_one_saves(tmp_path):
    from numnet.sklearn import load_estimator, save_estimator

    est, Xe, ye = fitted_estimators()[1]
    with pytest.warns(Warning):
        est.fit(Xe, ye)
    save_estimator(pickle.loads(pickle.dumps(est)), tmp_path / "e.numnet")
    loaded = pickle.loads(pickle.dumps(load_estimator(tmp_path / "e.numnet")))
    assert_array_equal(loaded.predict_proba(Xe), est.predict_proba(Xe))


def test_estimator_files_are_checked_like_model_files(tmp_path):
    from numnet.sklearn import load_estimator, save_estimator

    est, Xe, ye = fitted_estimators()[2]
    with pytest.raises(ValueError, match="not fitted yet"):
        save_estimator(est, tmp_path / "e.numnet")
    with pytest.raises(TypeError, match="model.save"):
        save_estimator(classifier(ReLU()), tmp_path / "e.numnet")
    with pytest.warns(Warning):
        est.fit(Xe, ye)
    save_estimator(est, tmp_path / "e.numnet")
    expect_error(tmp_path / "e.numnet", "'numnet.Sequential' was expected")
    save_model(classifier(ReLU()), tmp_path / "m.numnet")
    with pytest.raises(ModelFileError, match="'numnet.sklearn' was expected"):
        load_estimator(tmp_path / "m.numnet")
    edit_config(tmp_path / "e.numnet", lambda c: c["params"].update(bogus=1))
    with pytest.raises(ModelFileError, match="cannot be rebuilt.*bogus"):
        load_estimator(tmp_path / "e.numnet")


def test_an_unregistered_loss_is_refused_at_save_with_the_registry_to_use(tmp_path):
    class MyLoss(numnet.MeanSquaredError):
        pass

    model = Sequential([Dense(3, 1)])
    model.compile(loss=MyLoss(), optimizer="sgd")
    with pytest.raises(ValueError, match=r"loss MyLoss is not registered.*registry\.LOSSES"):
        save_model(model, tmp_path / "m.numnet")
