"""model.summary(): shapes, parameter counts, totals and memory for known networks."""
import numpy as np
import pytest

from numnet import BatchNorm, Dense, Dropout, ReLU, Sequential, Softmax
from numnet.model.summary import format_bytes, summarize


def small_net():
    return Sequential([Dense(2, 64), ReLU(), Dense(64, 3), Softmax()], name="small")


def test_counts_for_dense_2_64_relu_dense_64_3():
    summary = summarize(small_net())
    assert [row.n_trainable for row in summary.rows] == [2 * 64 + 64, 0, 64 * 3 + 3, 0]
    assert (summary.trainable, summary.non_trainable, summary.total) == (387, 0, 387)
    assert summary.n_bytes == 387 * 4  # float32


def test_output_shapes_show_the_batch_as_none():
    summary = summarize(small_net())
    assert summary.input_shape == (None, 2)
    assert [row.output_shape for row in summary.rows] == [(None, 64), (None, 64), (None, 3), (None, 3)]


def test_parameter_shapes_are_listed_per_layer():
    rows = summarize(small_net()).rows
    assert rows[0].param_shapes == {"weights": (2, 64), "biases": (64,)}
    assert rows[2].param_shapes == {"weights": (64, 3), "biases": (3,)}
    assert rows[1].param_shapes == {}


def test_text_table_has_names_shapes_and_totals():
    text = small_net().summary(print_fn=None)
    assert 'Model: "small"' in text
    assert "dense (Dense)" in text and "dense_1 (Dense)" in text
    assert "(None, 64)" in text and "weights (2, 64), biases (64,)" in text
    assert "Total params: 387 (1.51 KB, float32)" in text
    assert "Trainable params: 387" in text and "Non-trainable params: 0" in text


def test_summary_prints_the_table_and_returns_none_as_keras():
    printed = []
    model = small_net()
    assert model.summary(print_fn=printed.append) is None
    assert printed == [model.summary_text()]


def test_batchnorm_running_statistics_are_non_trainable():
    model = Sequential([Dense(10, 32), BatchNorm(), ReLU(), Dropout(0.2), Dense(32, 1)])
    summary = summarize(model)
    bn = summary.rows[1]
    assert bn.n_trainable == 64 and bn.n_non_trainable == 64
    assert bn.state_shapes == {"running_mean": (32,), "running_var": (32,)}
    assert summary.trainable == 352 + 64 + 33
    assert summary.non_trainable == 64
    assert "Non-trainable params: 64" in str(summary)


def test_float64_model_reports_eight_bytes_per_parameter():
    model = Sequential([Dense(3, 4), ReLU()], dtype=np.float64)
    summary = summarize(model)
    assert summary.n_bytes == 16 * 8
    assert "float64" in str(summary)


def test_unbuilt_model_is_built_from_the_first_layer_inputs():
    model = Sequential([Dense(5, 4), ReLU(), Dense(3)])  # the last Dense infers its 4 inputs
    summary = summarize(model)
    assert model.n_features == 5
    assert summary.rows[2].param_shapes["weights"] == (4, 3)


def test_model_without_known_input_width_prints_what_is_known():
    model = Sequential([Dense(4), ReLU()])
    text = model.summary_text()
    assert "not built yet" in text and "Input((n_features,))" in text
    assert "dense (Dense)" in text and "?" in text
    assert model.n_features is None  # summary never guesses the width


def test_empty_model_raises():
    with pytest.raises(ValueError, match="no layers"):
        Sequential().summary()


@pytest.mark.parametrize("n, text", [(0, "0 B"), (1023, "1023 B"), (1024, "1.00 KB"),
                                     (1548, "1.51 KB"), (5 * 1024**2, "5.00 MB")])
def test_format_bytes(n, text):
    assert format_bytes(n) == text
