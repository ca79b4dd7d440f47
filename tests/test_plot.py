"""numnet.plot: every function draws on an optional ax and returns what it drew."""
import subprocess
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Circle  # noqa: E402

from numnet import (Adam, Dense, EarlyStopping, History, ReLU, Sequential, Sigmoid, Softmax,  # noqa: E402
                    one_hot, sine_data, vertical_data)
from numnet import plot  # noqa: E402
from numnet.plot.diagram import NEGATIVE, NEUTRAL, POSITIVE  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def spiral_shaped_net():
    return Sequential([Dense(2, 64, random_state=0), ReLU(), Dense(64, 3, random_state=1), Softmax()])


@pytest.fixture(scope="module")
def blobs():
    X, y = vertical_data(samples=60, classes=3, random_state=0)
    model = Sequential([Dense(2, 16, random_state=0), ReLU(), Dense(16, 3, random_state=1), Softmax()])
    model.compile(loss="categorical_crossentropy", optimizer=Adam(learning_rate=0.05), metrics=["accuracy"])
    model.fit(X, y, epochs=60, batch_size=32, verbose=0, random_state=0)
    return model, X, y


# -- network -------------------------------------------------------------------
def test_network_draws_one_circle_per_shown_neuron():
    shown = plot.network(spiral_shaped_net(), max_neurons=10)
    assert shown.layer_widths == [2, 64, 3]
    assert shown.shown_widths == [2, 10, 3]
    assert shown.n_circles == sum(shown.shown_widths) == 15
    assert sum(isinstance(p, Circle) for p in shown.ax.patches) == 15
    assert shown.n_connections == 2 * 10 + 10 * 3


def test_network_collapses_large_layers_with_a_count():
    shown = plot.network(spiral_shaped_net(), max_neurons=6)
    texts = [t.get_text() for t in shown.ax.texts]
    assert shown.shown_widths == [2, 6, 3]
    assert "… 58 more" in texts
    assert any("64 neurons" in t for t in texts)


def test_network_writes_activation_names_under_layers():
    texts = [t.get_text() for t in plot.network(spiral_shaped_net()).ax.texts]
    assert "ReLU" in texts and "Softmax" in texts


def test_untrained_network_draws_uniform_grey_connections():
    shown = plot.network(spiral_shaped_net())
    lines = shown.ax.collections[0]
    assert not shown.colored
    colors = {tuple(c) for c in lines.get_colors()}
    assert colors == {matplotlib.colors.to_rgba(NEUTRAL, alpha=0.5)}
    assert len(set(lines.get_linewidths())) == 1


def test_trained_network_colours_connections_by_weight_sign(blobs):
    model = blobs[0]
    shown = plot.network(model, max_neurons=20)
    lines = shown.ax.collections[0]
    W = model.layers[0].weights
    rgb = [tuple(c[:3]) for c in lines.get_colors()]
    # The first 16 segments leave input 0 for each of the 16 hidden neurons, in order.
    expected = [matplotlib.colors.to_rgb(POSITIVE if w >= 0 else NEGATIVE) for w in W[0]]
    assert shown.colored
    assert rgb[:16] == expected
    widths = lines.get_linewidths()
    assert widths[int(np.argmax(np.abs(W[0])))] == pytest.approx(max(widths[:16]))


def test_network_caption_says_samples_are_a_batch_not_input_nodes():
    shown = plot.network(spiral_shaped_net(), X_shape=(300, 2))
    assert "300 samples flow through these weights as a batch" in shown.caption
    assert "not input nodes" in shown.caption
    assert "(300, 3)" in shown.caption
    assert shown.caption in [t.get_text() for t in shown.ax.texts]
    assert plot.network(spiral_shaped_net(), n_samples=300).caption == shown.caption


def test_network_draws_on_a_given_ax_and_builds_a_lazy_model():
    figure, ax = plt.subplots()
    model = Sequential([Dense(3), ReLU(), Dense(2)])
    shown = plot.network(model, ax=ax, X_shape=(10, 5))
    assert shown.ax is ax and shown.figure is figure
    assert shown.layer_widths == [5, 3, 2]


def test_network_rejects_a_bad_max_neurons():
    with pytest.raises(ValueError, match="max_neurons"):
        plot.network(spiral_shaped_net(), max_neurons=1)


# -- history -------------------------------------------------------------------
def test_history_uses_a_log_scale_when_the_loss_spans_decades():
    shown = plot.history({"loss": [1e4, 50.0, 2.0, 0.5]})
    assert shown.log_scale and shown.ax.get_yscale() == "log"
    flat = plot.history({"loss": [1.0, 0.6, 0.4]})
    assert not flat.log_scale and flat.ax.get_yscale() == "linear"


def test_history_marks_best_epoch_and_early_stop():
    history = History()
    for epoch, (loss, val) in enumerate([(1.0, 1.1), (0.5, 0.7), (0.3, 0.8), (0.2, 0.9)]):
        history.on_epoch_end(epoch, {"loss": loss, "val_loss": val})
    history.best_epoch, history.stopped_epoch = 1, 3
    shown = plot.history(history)
    assert (shown.best_epoch, shown.stopped_epoch) == (1, 3)
    labels = [line.get_label() for line in shown.ax.get_lines()]
    assert "best epoch 2" in labels and "early stop at epoch 4" in labels
    best_line = shown.ax.get_lines()[labels.index("best epoch 2")]
    assert list(best_line.get_xdata()) == [2, 2]


def test_history_best_epoch_defaults_to_lowest_validation_loss():
    shown = plot.history({"loss": [3.0, 2.0, 1.0], "val_loss": [3.0, 1.5, 2.5]})
    assert shown.best_epoch == 1
    assert plot.history({"loss": [3.0, 2.0]}).best_epoch is None


def test_history_from_fit_with_early_stopping(blobs):
    model, X, y = blobs
    clone = Sequential.from_config(model.get_config())
    stop = EarlyStopping(monitor="val_loss", patience=2)
    clone.fit(X, y, epochs=200, verbose=0, validation_data=(X, y), callbacks=[stop], random_state=0)
    shown = plot.history(clone)  # a fitted model works too
    assert shown.best_epoch == clone.history.best_epoch
    assert len(shown.axes) == 2  # loss, then accuracy
    assert set(shown.lines) == {"loss", "val_loss", "accuracy", "val_accuracy"}
    n = len(clone.history.epoch)
    assert list(shown.lines["loss"].get_xdata()) == list(range(1, n + 1))


def test_history_on_a_given_ax_draws_the_loss_only():
    figure, ax = plt.subplots()
    shown = plot.history({"loss": [1.0, 0.5], "accuracy": [0.5, 0.9]}, ax=ax)
    assert shown.axes == [ax] and set(shown.lines) == {"loss"}


def test_history_on_two_given_axes_marks_an_interrupted_run():
    history = History()
    for epoch in range(3):
        history.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1), "mae": 0.5 / (epoch + 1)})
    history.interrupted = True
    figure, axes = plt.subplots(1, 2)
    shown = plot.history(history, ax=axes)
    assert shown.axes == list(axes) and set(shown.lines) == {"loss", "mae"}
    for ax in axes:
        assert "interrupted (Ctrl+C) at epoch 3" in [line.get_label() for line in ax.get_lines()]


def test_history_without_loss_raises():
    with pytest.raises(ValueError, match="no 'loss'"):
        plot.history({"loss": []})
    with pytest.raises(TypeError, match="History"):
        plot.history([1, 2, 3])


# -- decision boundary ---------------------------------------------------------
def test_decision_boundary_has_one_region_colour_per_class(blobs):
    model, X, y = blobs
    shown = plot.decision_boundary(model, X, y, resolution=60)
    assert shown.n_classes == 3 and shown.region_classes == [0, 1, 2]
    assert len({tuple(c) for c in shown.colors}) == 3
    # Every pixel is white mixed with its own class's colour, nothing else.
    tint = 1.0 - shown.image.reshape(-1, 3)
    owner = 1.0 - shown.colors[shown.predicted.ravel()]
    cosine = np.sum(tint * owner, axis=1) / (np.linalg.norm(tint, axis=1) * np.linalg.norm(owner, axis=1))
    assert np.all(cosine > 0.9999)
    assert shown.accuracy > 0.9


def test_decision_boundary_draws_the_data_on_top(blobs):
    model, X, y = blobs
    figure, ax = plt.subplots()
    shown = plot.decision_boundary(model, X, one_hot(y), ax=ax, resolution=30)
    assert shown.ax is ax
    assert len(ax.images) == 1
    assert len(ax.collections[-1].get_offsets()) == len(X)


def test_decision_boundary_handles_one_sigmoid_output():
    X, y = vertical_data(samples=30, classes=2, random_state=0)
    model = Sequential([Dense(2, 4, random_state=0), ReLU(), Dense(4, 1, random_state=1), Sigmoid()])
    model.compile(loss="binary_crossentropy", optimizer=Adam(learning_rate=0.05))
    model.fit(X, y.reshape(-1, 1), epochs=40, verbose=0, random_state=0)
    shown = plot.decision_boundary(model, X, y, resolution=30)
    assert shown.n_classes == 2 and shown.probabilities.shape == (30, 30, 2)


def test_decision_boundary_needs_two_features(blobs):
    model = blobs[0]
    with pytest.raises(ValueError, match=r"2 features.*\(300, 3\)"):
        plot.decision_boundary(model, np.zeros((300, 3)), np.zeros(300, dtype=int))


# -- evaluation ----------------------------------------------------------------
def test_confusion_matrix_counts_predictions(blobs):
    model, X, y = blobs
    shown = plot.confusion_matrix(model, X, one_hot(y))
    predicted = model.predict_classes(X)
    expected = np.array([[np.sum((y == i) & (predicted == j)) for j in range(3)] for i in range(3)])
    np.testing.assert_array_equal(shown.matrix, expected)
    assert shown.accuracy == pytest.approx(np.mean(predicted == y))
    assert sum(t.get_text().isdigit() for t in shown.ax.texts) == 9


def test_predicted_vs_actual_reports_r2():
    X, y = sine_data(samples=200)
    model = Sequential([Dense(1, 32, random_state=0), Sigmoid(), Dense(32, 1, random_state=1)])
    model.compile(loss="mse", optimizer=Adam(learning_rate=0.02))
    model.fit(X, y, epochs=100, verbose=0, random_state=0)
    figure, ax = plt.subplots()
    shown = plot.predicted_vs_actual(model, X, y, ax=ax)
    y_pred = model.predict(X)
    r2 = 1 - np.sum((y - y_pred) ** 2) / np.sum((y - y.mean()) ** 2)
    assert shown.ax is ax and shown.r2 == pytest.approx(r2, rel=1e-5)
    assert len(ax.collections[0].get_offsets()) == 200


# -- weights and diagnose ------------------------------------------------------
def test_weights_draws_a_row_per_layer_and_notes_missing_gradients():
    shown = plot.weights(spiral_shaped_net())
    assert shown.axes.shape == (2, 2) and shown.layer_names == ["dense", "dense_1"]
    assert shown.grad_norms == {"dense": 0.0, "dense_1": 0.0}
    assert "no gradients yet" in shown.axes[0, 1].texts[0].get_text()


def test_weights_after_training_histograms_the_gradients(blobs):
    shown = plot.weights(blobs[0])
    assert all(norm > 0 for norm in shown.grad_norms.values())
    assert len(shown.axes[0, 1].patches) == 30  # one bar per bin


def test_diagnose_counts_dead_relus():
    model = Sequential([Dense(2, 4, random_state=0), ReLU(), Dense(4, 2, random_state=1)])
    model.layers[0].biases = np.array([-100.0, -100.0, -100.0, 100.0])
    report = plot.diagnose(model, np.ones((8, 2)))
    assert report.dead_relu == {"relu": 0.75}
    assert "75% of ReLU units are dead" in str(report)


def test_diagnose_finds_saturated_sigmoids_but_not_a_confident_output():
    model = Sequential([Dense(2, 3, random_state=0), Sigmoid(), Dense(3, 1, random_state=1), Sigmoid()])
    model.layers[0].weights = 1000.0 * np.ones((2, 3))
    report = plot.diagnose(model, np.ones((5, 2)))
    assert report.saturated == {"sigmoid": 1.0}
    assert any("saturated" in hint for hint in report.hints)


def test_diagnose_reports_gradient_norms_and_vanishing_or_exploding():
    model = Sequential([Dense(2, 3), ReLU(), Dense(3, 2)])
    fresh = plot.diagnose(model, np.ones((4, 2)))
    assert "no gradients recorded" in fresh.hints[0]
    model.layers[0].grads["weights"][...] = 1e-9
    model.layers[2].grads["weights"][...] = 1.0
    vanishing = plot.diagnose(model, np.ones((4, 2)))
    assert vanishing.grad_norms["dense_1"] == pytest.approx(np.sqrt(6))
    assert "vanish" in str(vanishing)
    model.layers[0].grads["weights"][...] = 1e4
    assert "exploding" in str(plot.diagnose(model, np.ones((4, 2))))


def test_diagnose_with_targets_computes_the_gradients(blobs):
    model, X, y = blobs
    clone = Sequential.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    report = plot.diagnose(clone, X, y)
    # The same gradient by hand: fused softmax + cross-entropy, (P - T) / n, then back.
    P = clone.predict(X)
    hidden = clone.activations(X)["relu"]
    dW2 = hidden.T @ ((P - one_hot(y, 3)) / len(X))
    db2 = ((P - one_hot(y, 3)) / len(X)).sum(axis=0)
    expected = np.linalg.norm(np.concatenate([dW2.ravel(), db2]))
    np.testing.assert_allclose(report.grad_norms["dense_1"], expected, rtol=1e-4)
    assert set(report.grad_norms) == {"dense", "dense_1"}


def test_diagnose_leaves_the_model_untouched(blobs):
    model, X, y = blobs
    weights, grads = model.get_weights(), {k: v.copy() for k, v in model.grads.items()}
    plot.diagnose(model, X, y)
    assert all(np.array_equal(a, b) for a, b in zip(weights, model.get_weights()))
    assert all(np.array_equal(grads[k], v) for k, v in model.grads.items())


# -- the optional dependency ---------------------------------------------------
def test_core_import_does_not_load_matplotlib():
    code = "import sys, numnet; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_matplotlib_gives_an_install_hint():
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "try:\n    import numnet.plot\nexcept ImportError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert 'pip install ".[plot]"' in out.stdout
