"""Bad input: every public entry point raises a ValueError or TypeError that says what was
expected, what was found and how to fix it. Each test checks the message."""
import numpy as np
import pytest
from numpy.testing import assert_equal

import numnet._validation
from numnet import (BatchNorm, CategoricalCrossEntropy, Dense, Dropout, MaskedSoftmax, ReLU, Sequential,
                    Sigmoid, Softmax)
from numnet.model.metrics import Accuracy

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


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@EACH_ENTRY_POINT
def test_complex_x_is_rejected(call, dtype):
    with pytest.raises(TypeError, match=rf"X must be real-valued, got dtype {np.dtype(dtype).name}; "
                                        r"pass X\.real or np\.abs\(X\)"):
        call((X + 1j).astype(dtype))


def test_string_labels_are_rejected_with_an_encoding_hint():
    with pytest.raises(TypeError, match=r"y must hold numbers, got dtype <U3; encode string labels as "
                                        r"integers 0\.\.n_classes-1 first"):
        fit(y=np.array(["cat", "dog"] * 10))


def test_ragged_x_is_rejected():
    with pytest.raises(ValueError, match=r"X could not be converted to an array: its rows have "
                                         r"different lengths \(1, 3\); pass a rectangular array of "
                                         r"shape \(n_samples, n_features\)"):
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
    with pytest.raises(TypeError, match=r"random_state must be an int >= 0, a numpy\.random\.Generator "
                                        r"or None, got str 'seed'; pass a seed such as 0"):
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


# -- accepted silently before (issue 10, section 7) ------------------------------
# NumPy warns as it casts 1e39 to float32; numnet's ValueError follows and says what to do.
OVERFLOW_IN_CAST = pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")


@EACH_ENTRY_POINT
def test_x_without_feature_columns_is_rejected(call):
    with pytest.raises(ValueError, match=r"X has no feature columns \(shape \(20, 0\)\); pass at least "
                                         r"one feature per sample"):
        call(np.empty((20, 0)))


@pytest.mark.parametrize("weight", [-1.0, np.nan, np.inf])
def test_negative_or_non_finite_class_weights_are_rejected_before_training(weight):
    with pytest.raises(ValueError, match=rf"class_weight\[0\] must be a finite number >= 0, got "
                                         rf"{weight}; a class weight scales how much"):
        fit(class_weight={0: weight, 1: 1.0})


def test_a_class_weight_that_is_not_a_number_is_rejected():
    with pytest.raises(TypeError, match=r"class_weight\[1\] must be a number, got str '2'"):
        fit(class_weight={1: "2"})


@pytest.mark.parametrize("class_weight", [{0: 2.0}, "balanced"], ids=["dict", "balanced"])
def test_class_weight_with_a_regression_loss_is_rejected(class_weight):
    with pytest.raises(ValueError, match=r"class_weight weighs classes, but this model's loss, "
                                         r"MeanSquaredError, is a regression loss; weight samples "
                                         r"with sample_weight instead"):
        fit(regressor(), y=X[:, 0], class_weight=class_weight)


@pytest.mark.parametrize("bad, match", [
    (X.astype("timedelta64[s]"), r"X holds durations \(dtype timedelta64\[s\]\); convert them to "
                                 r"numbers first, e\.g\. in seconds: X / np\.timedelta64\(1, 's'\)"),
    (np.zeros((20, 3), dtype="datetime64[D]"),
     r"X holds dates \(dtype datetime64\[D\]\); convert them to numbers first, e\.g\. days since "
     r"the first date: \(X - X\.min\(\)\) / np\.timedelta64\(1, 'D'\)"),
], ids=["timedelta", "datetime"])
@EACH_ENTRY_POINT
def test_dates_and_durations_in_x_are_rejected_with_a_conversion(call, bad, match):
    with pytest.raises(TypeError, match=match):
        call(bad)


@EACH_ENTRY_POINT
def test_a_masked_x_with_masked_entries_is_rejected_with_how_to_fill_or_drop(call):
    masked = np.ma.masked_array(X, mask=np.zeros_like(X, dtype=bool))
    masked[4, 2] = np.ma.masked
    with pytest.raises(ValueError, match=r"X is a masked array with 1 masked entries \(first at "
                                         r"\(4, 2\)\), and numnet does not skip masked values; fill "
                                         r"them, e\.g\. X\.filled\(X\.mean\(\)\), or drop those rows "
                                         r"from every array, e\.g\. keep = ~X\.mask\.any\(axis=1\)"):
        call(masked)


def test_a_masked_y_with_masked_entries_is_rejected():
    with pytest.raises(ValueError, match=r"y is a masked array with 1 masked entries \(first at \(3,\)\)"
                                         r".*keep = ~y\.mask"):
        fit(y=np.ma.masked_array(Y, mask=np.arange(20) == 3))


def test_a_masked_array_that_masks_nothing_is_used_as_its_data():
    model = trained()
    assert_equal(model.predict(np.ma.masked_array(X)), model.predict(X))
    fit(X=np.ma.masked_array(X, mask=False), y=np.ma.masked_array(Y))


@pytest.mark.parametrize("targets, match", [
    (np.where(np.eye(2)[Y] == 1, 2.0, -1.0), r"y has negative entries: row 0 holds -1 in column \d"),
    (np.eye(2)[Y] * 3.0, r"y has above 1 entries: row 0 holds 3 in column \d \(20 such entries\)"),
], ids=["negative", "above_1"])
def test_one_hot_targets_outside_0_1_are_rejected_naming_the_row(targets, match):
    with pytest.raises(ValueError, match=r"one-hot / probability targets must lie in \[0, 1\], but "
                                         + match + r".*; pass integer labels"):
        fit(y=targets)


def test_probability_targets_whose_rows_do_not_sum_to_1_are_rejected_naming_the_row():
    targets = np.eye(2)[Y]
    targets[6] = [0.3, 0.3]
    with pytest.raises(ValueError, match=r"each row of one-hot / probability targets must sum to 1, "
                                         r"but row 6 of y sums to 0\.6 \(1 such rows\); normalise "
                                         r"with y / y\.sum\(axis=1, keepdims=True\)"):
        fit(y=targets)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_soft_probability_targets_are_accepted(smoothing):
    soft = np.column_stack([np.linspace(0.0, 1.0, 20), 1.0 - np.linspace(0.0, 1.0, 20)])
    model = Sequential([Dense(3, 2), Softmax()], random_state=0)
    model.compile(CategoricalCrossEntropy(label_smoothing=smoothing), "adam")
    assert np.isfinite(fit(model, y=soft.astype(np.float32)).history["loss"]).all()


@pytest.mark.parametrize("value, kind", [(np.nan, "NaN"), (np.inf, "inf")])
def test_set_weights_rejects_non_finite_values_and_changes_nothing(value, kind):
    model = trained()
    before = model.get_weights()
    weights = model.get_weights()
    weights[2][1, 0] = value
    with pytest.raises(ValueError, match=rf"dense_1/weights contains {kind} or other non-finite values "
                                         rf"\(1 entries, first at \(1, 0\)\); a model with NaN or inf "
                                         rf"weights predicts NaN; pass finite weights"):
        model.set_weights(weights)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


@OVERFLOW_IN_CAST
def test_set_weights_rejects_values_that_overflow_the_models_dtype():
    model = trained()
    weights = model.get_weights()
    weights[0] = np.full(weights[0].shape, 1e39)
    with pytest.raises(ValueError, match=r"dense/weights has values up to 1e\+39, beyond float32's "
                                         r"3\.4e\+38; scale them down or use a float64 model"):
        model.set_weights(weights)


def test_predict_classes_gives_minus_1_for_a_row_whose_mask_allows_no_class():
    model = Sequential([Dense(3, 3), MaskedSoftmax()], random_state=0)
    mask = np.array([[0, 0, 0], [0, 1, 1], [1, 1, 1]])
    labels = model.predict_classes(X[:3], mask=mask)
    assert labels[0] == -1 and labels[1] in (1, 2) and labels[2] >= 0
    assert "-1" in Sequential.predict_classes.__doc__


def test_complex_y_is_rejected():
    with pytest.raises(TypeError, match=r"y must be real-valued, got dtype complex128; pass y\.real"):
        fit(y=Y + 1j)


def test_ragged_y_is_rejected_in_numnets_words():
    with pytest.raises(ValueError, match=r"y could not be converted to an array: its rows have different "
                                         r"lengths \(1, 2\); pass a rectangular array of shape "
                                         r"\(n_samples,\) or \(n_samples, n_outputs\)"):
        fit(y=[[1, 0]] * 19 + [[1]])


def test_validation_split_given_as_text_is_rejected():
    with pytest.raises(TypeError, match=r"validation_split must be a float in \[0, 1\), got str '0\.2'; "
                                        r"pass e\.g\. 0\.2"):
        fit(validation_split="0.2")


def test_metrics_that_are_not_a_list_are_rejected():
    with pytest.raises(TypeError, match=r"metrics must be a list of metric names, Metric objects or "
                                        r"functions, got int 5; pass e\.g\. metrics=\['accuracy'\]"):
        classifier().compile(metrics=5)


@pytest.mark.parametrize("metrics", ["accuracy", Accuracy(), ("accuracy",)], ids=["name", "metric", "tuple"])
def test_one_metric_or_a_tuple_of_metrics_is_accepted(metrics):
    assert [m.name for m in classifier().compile(metrics=metrics).metrics] == ["accuracy"]


@pytest.mark.parametrize("make, name", [
    (lambda: Sequential([Dense(3, 2)], dtype=np.int32), "Sequential dtype"),
    (lambda: Dense(3, 2, dtype=np.int32), "Dense dtype"),
    (lambda: BatchNorm(dtype="int64"), "BatchNorm dtype"),
    (lambda: Sequential([Dense(3, 2)]).set_dtype(np.int16), "dtype"),
], ids=["sequential", "dense", "batchnorm", "set_dtype"])
def test_an_integer_dtype_is_rejected_at_construction(make, name):
    with pytest.raises(TypeError, match=rf"^{name} must be a floating dtype such as np\.float32 or "
                                        rf"np\.float64, got int\d+; weights and gradients need fractions"):
        make()


def test_a_dtype_numpy_does_not_understand_is_rejected():
    with pytest.raises(TypeError, match=r"Sequential dtype must be a floating dtype .*, got 'banana', "
                                        r"which NumPy does not understand"):
        Sequential(dtype="banana")


@pytest.mark.parametrize("call", [
    lambda: fit(random_state=-1),
    lambda: Sequential([Dense(3, 2)], random_state=-1),
    lambda: Dense(3, 2, random_state=-1),
], ids=["fit", "sequential", "dense"])
def test_a_negative_random_state_is_rejected(call):
    with pytest.raises(ValueError, match=r"random_state must be an int >= 0, a numpy\.random\.Generator "
                                         r"or None, got -1; pass a seed such as 0"):
        call()


def test_a_dense_layer_too_large_for_any_array_is_refused_with_its_size():
    with pytest.raises(ValueError, match=r"Dense\(3, 1000000000000\)'s weights would need "
                                         r"3,000,000,000,000 entries \(12,000\.0 GB in float32\), more "
                                         r"than the 2,147,483,648 entries numnet allows in one array; "
                                         r"use fewer inputs or neurons"):
        Dense(3, 10**12)


def test_a_dense_layer_larger_than_memory_is_refused_with_both_sizes(monkeypatch):
    monkeypatch.setattr(numnet._validation, "physical_memory", lambda: 2_000_000)
    with pytest.raises(ValueError, match=r"Dense\(1000, 1000\)'s weights would need 1,000,000 entries "
                                         r"\(0\.008 GB in float64\), more than this machine's 0\.002 GB "
                                         r"of memory"):
        Dense(1000, 1000, dtype=np.float64)
    Dense(10, 10)  # small layers still fit


@OVERFLOW_IN_CAST
@pytest.mark.parametrize("value, where", [(1e39, "up to 1e\\+39"), (-2e39, "down to -2e\\+39")])
@EACH_ENTRY_POINT
def test_float64_values_beyond_float32_are_reported_as_overflow_not_inf(call, value, where):
    big = X.copy()
    big[2, 1] = value
    with pytest.raises(ValueError, match=rf"X has values {where}, beyond float32's 3\.4e\+38; scale "
                                         rf"the data or use dtype=np\.float64"):
        call(big)


def test_a_float64_model_takes_values_beyond_float32():
    model = Sequential([Dense(3, 1)], dtype=np.float64, random_state=0)
    assert np.isfinite(model.predict(np.full((2, 3), 1e39))).all()


def test_a_huge_label_is_shown_as_given_not_as_a_wrapped_integer():
    labels = np.where(np.arange(20) == 4, 1e20, Y)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\) .* found \[1e\+20\] \(rows \[4\]\)"):
        fit(y=labels)
    with pytest.raises(ValueError, match=r"found \[1e\+20\]"):
        CategoricalCrossEntropy(from_logits=True).forward(np.zeros((20, 2)), labels)
