"""Bad input: every public entry point raises a ValueError or TypeError that says what was
expected, what was found and how to fix it. Each test checks the message."""
import numpy as np
import pytest

from numnet import Dense, Dropout, ReLU, Sequential, Sigmoid, Softmax

RNG = np.random.default_rng(0)
X = RNG.normal(size=(20, 3))
Y = RNG.integers(0, 2, size=20)


def classifier():
    model = Sequential([Dense(3, 4), ReLU(), Dense(4, 2), Softmax()], random_state=0)
    return model.compile("categorical_crossentropy", "adam", ["accuracy"])


def trained():
    model = classifier()
    model.fit(X, Y, verbose=0)
    return model


def regressor():
    return Sequential([Dense(3, 1)], random_state=0).compile("mse", "sgd")


def fit(model=None, X=X, y=Y, **kwargs):
    kwargs.setdefault("verbose", 0)
    return (model or classifier()).fit(X, y, **kwargs)


with_nan = X.copy()
with_nan[3, 1] = np.nan
with_inf = X.copy()
with_inf[5, 0] = -np.inf


# -- the shape of X ------------------------------------------------------------
ENTRY_POINTS = {
    "fit": lambda X: fit(X=X),
    "evaluate": lambda X: trained().evaluate(X, Y),
    "predict": lambda X: trained().predict(X),
    "predict_classes": lambda X: trained().predict_classes(X),
}
EACH_ENTRY_POINT = pytest.mark.parametrize("call", ENTRY_POINTS.values(), ids=ENTRY_POINTS.keys())


@EACH_ENTRY_POINT
def test_1d_x_is_rejected_with_a_reshape_suggestion(call):
    with pytest.raises(ValueError, match=r"X must be 2-D of shape \(n_samples, n_features\), got a "
                                         r"1-D array of shape \(20,\); use X\.reshape\(-1, 1\) for "
                                         r"one feature or X\.reshape\(1, -1\) for one sample"):
        call(X[:, 0])


@EACH_ENTRY_POINT
def test_3d_x_is_rejected_with_a_flatten_suggestion(call):
    with pytest.raises(ValueError, match=r"got shape \(20, 3, 1\); flatten each sample with "
                                         r"X\.reshape\(len\(X\), -1\)"):
        call(X[:, :, None])


def test_a_feature_count_differing_from_the_first_layer_names_both_and_the_fix():
    with pytest.raises(ValueError, match=r"X has 2 features, but this model was built for 3 \(its "
                                         r"first layer 'dense' \(Dense\(3, 4\)\) expects 3\); pass an "
                                         r"array of shape \(n_samples, 3\) or make the first layer "
                                         r"Dense\(2, 4\)"):
        fit(X=X[:, :2])


@pytest.mark.parametrize("call", [
    lambda model: model.predict(X[:, :2]),
    lambda model: model.evaluate(X[:, :2], Y),
    lambda model: model.fit(X[:, :2], Y, verbose=0),
], ids=["predict", "evaluate", "fit_again"])
def test_a_built_model_rejects_another_feature_count(call):
    with pytest.raises(ValueError, match=r"X has 2 features, but this model was built for 3 .*; pass "
                                         r"an array of shape \(n_samples, 3\)"):
        call(trained())


def test_validation_data_with_another_feature_count_names_x_val():
    with pytest.raises(ValueError, match=r"X_val has 4 features, but this model was built for 3"):
        fit(validation_data=(np.ones((5, 4)), np.zeros(5, dtype=int)))


@EACH_ENTRY_POINT
def test_empty_x_is_rejected(call):
    with pytest.raises(ValueError, match=r"X is empty \(shape \(0, 3\)\); pass at least one sample"):
        call(np.empty((0, 3)))


# -- X and y together ----------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda: fit(y=Y[:-1]),
    lambda: trained().evaluate(X, Y[:-1]),
], ids=["fit", "evaluate"])
def test_x_and_y_of_different_lengths_are_rejected(call):
    with pytest.raises(ValueError, match=r"X and y have different numbers of samples: X has 20 rows, "
                                         r"y has 19; they must match one to one"):
        call()


def test_sample_weight_of_the_wrong_length_is_rejected():
    with pytest.raises(ValueError, match="X has 20 rows, sample_weight has 3"):
        fit(sample_weight=[1.0, 2.0, 3.0])


def test_negative_sample_weights_are_rejected():
    with pytest.raises(ValueError, match="sample_weight must be >= 0"):
        fit(sample_weight=-np.ones(20))


@pytest.mark.parametrize("bad, kind, where", [
    (with_nan, "NaN", r"\(3, 1\)"), (with_inf, "inf", r"\(5, 0\)"),
], ids=["nan", "inf"])
@EACH_ENTRY_POINT
def test_non_finite_x_is_rejected_naming_where(call, bad, kind, where):
    with pytest.raises(ValueError, match=rf"X contains {kind} or other non-finite values \(1 entries, "
                                         rf"first at {where}\); remove or impute them"):
        call(bad)


@pytest.mark.parametrize("value, kind", [(np.nan, "NaN"), (np.inf, "inf")])
def test_non_finite_y_is_rejected_naming_where(value, kind):
    y = X[:, 0].copy()
    y[7] = value
    with pytest.raises(ValueError, match=rf"y contains {kind} .* first at \(7,\)\); remove or impute"):
        fit(regressor(), y=y)
    with pytest.raises(ValueError, match=rf"y contains {kind}"):
        fit(y=np.where(np.arange(20) == 7, value, Y))


def test_non_finite_sample_weight_is_rejected():
    with pytest.raises(ValueError, match="sample_weight contains NaN"):
        fit(sample_weight=np.where(np.arange(20) == 2, np.nan, 1.0))


# -- labels and targets --------------------------------------------------------
@pytest.mark.parametrize("labels, found", [(Y + 1, r"\[2\]"), (Y - 1, r"\[-1\]")],
                         ids=["too_large", "negative"])
def test_labels_outside_0_n_classes_are_rejected(labels, found):
    with pytest.raises(ValueError, match=rf"labels must be in \[0, 2\) for a model with 2 outputs, "
                                         rf"found {found} \(rows .*\); encode labels as "
                                         rf"0\.\.n_classes-1 or widen the output layer"):
        fit(y=labels)


def test_labels_outside_range_are_rejected_by_evaluate_too():
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\)"):
        trained().evaluate(X, np.full(20, 5))


def test_fractional_labels_are_rejected():
    with pytest.raises(ValueError, match="integer class labels expected .* got fractional values"):
        fit(y=Y + 0.5)


def test_one_hot_width_must_match_the_output_layer():
    with pytest.raises(ValueError, match=r"one-hot y has 3 columns, but the model has 2 outputs; "
                                         r"pass integer labels of shape \(n_samples,\) or one-hot "
                                         r"targets of shape \(n_samples, 2\)"):
        fit(y=np.eye(3)[RNG.integers(0, 3, 20)])


def test_regression_targets_must_match_the_number_of_outputs():
    with pytest.raises(ValueError, match=r"y must have shape \(n_samples, 1\) to match the model's 1 "
                                         r"outputs, got \(20, 2\)"):
        fit(regressor(), y=np.ones((20, 2)))


def test_binary_crossentropy_targets_must_be_between_0_and_1():
    model = Sequential([Dense(3, 1), Sigmoid()]).compile("binary_crossentropy", "adam")
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        fit(model, y=Y * 2)


# -- dtypes --------------------------------------------------------------------
@pytest.mark.parametrize("bad", [X.astype(str), np.array([["a", 1, 2.0]] * 20, dtype=object)],
                         ids=["strings", "objects"])
def test_non_numeric_x_is_rejected(bad):
    with pytest.raises(TypeError, match=r"X must hold numbers, got dtype (<U\d+|object); convert text "
                                        r"or categorical columns to numbers first"):
        fit(X=bad)
    with pytest.raises(TypeError, match="X must hold numbers"):
        trained().predict(bad)


def test_a_string_instead_of_x_is_rejected():
    with pytest.raises(TypeError, match="X must be a numeric array, got a string"):
        trained().predict("data.csv")


def test_complex_x_is_rejected():
    with pytest.raises(TypeError, match="X must be real-valued, got dtype complex128"):
        fit(X=X + 1j)


def test_string_labels_are_rejected_with_an_encoding_hint():
    with pytest.raises(TypeError, match=r"y must hold numbers, got dtype <U3; encode string labels as "
                                        r"integers 0\.\.n_classes-1 first"):
        fit(y=np.array(["cat", "dog"] * 10))


def test_ragged_x_is_rejected():
    with pytest.raises(ValueError, match="X could not be converted to an array"):
        trained().predict([[1.0, 2.0, 3.0], [1.0]])


# -- fit's arguments -----------------------------------------------------------
@pytest.mark.parametrize("batch_size", [0, -4])
def test_batch_size_must_be_positive(batch_size):
    with pytest.raises(ValueError, match=rf"batch_size must be > 0, got {batch_size}"):
        fit(batch_size=batch_size)


def test_batch_size_must_be_an_int():
    with pytest.raises(TypeError, match=r"batch_size must be an int, got float 2\.5"):
        fit(batch_size=2.5)


def test_epochs_must_not_be_negative():
    with pytest.raises(ValueError, match="epochs must be >= 0, got -1"):
        fit(epochs=-1)
    with pytest.raises(TypeError, match="epochs must be an int, got str"):
        fit(epochs="10")


def test_zero_epochs_trains_nothing():
    model = classifier()
    before = model.get_weights()
    history = fit(model, epochs=0)
    assert history.epoch == [] and all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


@pytest.mark.parametrize("split", [-0.1, 1.0, 2])
def test_validation_split_must_be_in_0_1(split):
    with pytest.raises(ValueError, match=r"validation_split must be in \[0, 1\)"):
        fit(validation_split=split)


def test_validation_data_must_be_a_pair():
    with pytest.raises(ValueError, match=r"validation_data must be a tuple \(X_val, y_val\)"):
        fit(validation_data=X)


def test_verbose_must_be_0_1_2_or_auto():
    with pytest.raises(ValueError, match="verbose must be 0, 1, 2 or 'auto', got 'loud'"):
        fit(verbose="loud")


def test_random_state_must_be_an_int_or_generator():
    with pytest.raises(TypeError, match=r"random_state must be None, an int or a "
                                        r"numpy\.random\.Generator, got str"):
        fit(random_state="seed")


def test_class_weight_for_a_class_not_in_y_is_rejected():
    with pytest.raises(ValueError, match=r"class_weight has classes \[7\] outside the model's classes 0\.\.1"):
        fit(class_weight={0: 1.0, 7: 2.0})


def test_fit_before_compile_says_to_compile():
    with pytest.raises(ValueError, match=r"call model\.compile\(loss=\.\.\., optimizer=\.\.\.\) before fit"):
        Sequential([Dense(3, 1)]).fit(X, Y, verbose=0)


# -- registry names ------------------------------------------------------------
@pytest.mark.parametrize("call, match", [
    (lambda: Sequential([Dense(3, 1)]).compile(loss="cross_entropi"),
     r"Unknown loss 'cross_entropi'\. Known losses: binary_crossentropy, categorical_crossentropy, "
     r"huber, mae, .*mse"),
    (lambda: Sequential([Dense(3, 1)]).compile(optimizer="adamm"),
     r"Unknown optimizer 'adamm'\. Known optimizers: adagrad, adam, adamw, rmsprop, sgd\. "
     r"Did you mean 'adam'\?"),
    (lambda: Sequential([Dense(3, 1)]).compile(metrics=["acuracy"]),
     r"Unknown metric 'acuracy'\. Known metrics: accuracy, .*Did you mean 'accuracy'\?"),
    (lambda: Sequential(["relux"]), r"Unknown layer 'relux'\. Known layers: .*dense.*relu"),
    (lambda: Dense(2, 3, weight_init="kaiming"),
     r"Unknown initializer 'kaiming'\. Known initializers: glorot, he, lecun, normal, zeros"),
], ids=["loss", "optimizer", "metric", "layer", "initializer"])
def test_unknown_registry_names_list_the_known_ones(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_weight_init_of_the_wrong_type_lists_the_names():
    with pytest.raises(TypeError, match=r"weight_init must be a name \(glorot, he, lecun, normal, zeros\) "
                                        r"or a callable"):
        Dense(2, 3, weight_init=3)


def test_a_non_layer_is_rejected_by_add():
    with pytest.raises(TypeError, match="layers need forward and backward methods, got int"):
        Sequential([3])


# -- layers whose shapes do not chain ------------------------------------------
def test_layers_that_do_not_chain_name_both_layers_and_their_shapes():
    with pytest.raises(ValueError, match=r"layer 'dense_1' \(Dense\(5, 2\)\) expects 5 input features, "
                                         r"but the layer before it, 'dense' \(Dense\(3, 4\)\), outputs "
                                         r"4 features; make it Dense\(4, 2\)"):
        Sequential([Dense(3, 4), Dense(5, 2)]).build(3)


def test_a_repeated_dense_2_4_is_reported_as_transposed():
    with pytest.raises(ValueError, match=r"layer 'dense_1' \(Dense\(2, 4\)\) expects 2 input features, "
                                         r"but the layer before it, 'dense' \(Dense\(2, 4\)\), outputs 4 "
                                         r"features; its weights \(2, 4\) look transposed: Dense "
                                         r"weights are \(n_inputs, n_neurons\), so it should be "
                                         r"Dense\(4, 2\)"):
        Sequential([Dense(2, 4), Dense(2, 4)]).build(2)


def test_dense_4_2_after_a_2_output_layer_is_reported_as_transposed():
    # The first layer knows its input width, so the model is built (and checked) as layers are added.
    with pytest.raises(ValueError, match=r"'relu' \(ReLU\(\)\), outputs 2 features; its weights \(4, 2\) "
                                         r"look transposed.*should be Dense\(2, 4\)"):
        Sequential([Dense(3, 2), ReLU(), Dense(4, 2)])


def test_the_chain_is_checked_when_a_layer_is_added_to_a_built_model():
    model = Sequential([Dense(3, 4), Dropout(0.1)]).build(3)
    with pytest.raises(ValueError, match=r"'dropout' \(Dropout\(rate=0\.1.*\)\), outputs 4 features; "
                                         r"make it Dense\(4, 1\)"):
        model.add(Dense(6, 1))
