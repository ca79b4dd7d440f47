"""Notebooks (issue 13 item 3): rich display, short reprs, widgets, LiveHistory, docs notebooks executed."""
import json
import pathlib
import sys

import numpy as np
import pytest

from numnet import Dense, Input, ReLU, Sequential, Softmax, spiral_data

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[1] / "docs" / "notebooks"


def net():
    return Sequential([Input((2,)), Dense(12), ReLU(), Dense(3), Softmax()], random_state=0)


def test_model_html_is_a_summary_table_and_an_svg_picture():
    page = net()._repr_html_()
    assert page.count("<tr>") == 5 and "Total params: 75" in page
    assert page.count("<svg") == 1 and page.count("<circle") == 2 + 8 + 3  # 12 neurons: 8 drawn
    assert "... 4 more" in page


def test_unbuilt_model_html_shows_the_table_without_a_picture():
    page = Sequential([Dense(4), ReLU()])._repr_html_()
    assert "not built yet" in page and "<svg" not in page


def test_plain_repr_stays_one_line():
    assert repr(net()) == "Sequential([Dense(2, 12), ReLU(), Dense(12, 3), Softmax(axis=-1)])"


def test_plot_displays_have_short_reprs_without_array_values():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from numnet import plot

    X, y = spiral_data(20, 3, random_state=0)
    model = net().compile()
    model.fit(X, y, epochs=3, verbose=0)
    for shown in (plot.network(model), plot.history(model), plot.decision_boundary(model, X, y, resolution=20),
                  plot.confusion_matrix(model, X, y), plot.weights(model)):
        text = repr(shown)
        assert len(text) < 400 and "\n" not in text and "array([" not in text, text
    plt.close("all")


def test_history_plot_has_integer_epoch_ticks():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from numnet import plot

    shown = plot.history({"loss": [1.0, 0.7, 0.5, 0.45], "accuracy": [0.3, 0.5, 0.6, 0.7]})
    for ax in shown.axes:
        shown.figure.canvas.draw()
        ticks = [t for t in ax.get_xticks() if 1 <= t <= 4]
        assert ticks and all(float(t).is_integer() for t in ticks)
    plt.close("all")


def test_live_history_rewrites_one_file_and_redraws_every_n_epochs(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from numnet.plot import LiveHistory

    X, y = spiral_data(20, 3, random_state=0)
    live = LiveHistory(X, y, every=2, path=tmp_path / "live.png", resolution=20)
    net().compile(metrics=["accuracy"]).fit(X, y, epochs=3, verbose=0, callbacks=[live])
    assert live.target == "file" and live.n_draws == 2  # epoch 2, and the last
    assert (tmp_path / "live.png").stat().st_size > 0
    assert len(live.figure.axes) == 3  # loss, accuracy, decision boundary


def test_live_history_refuses_data_it_cannot_draw():
    pytest.importorskip("matplotlib")
    from numnet.plot import LiveHistory

    with pytest.raises(ValueError, match=r"2 features, but X has shape \(4, 3\)"):
        LiveHistory(np.zeros((4, 3)), np.zeros(4))
    with pytest.raises(ValueError, match="needs both X and y"):
        LiveHistory(np.zeros((4, 2)))


# -- executed notebooks ----------------------------------------------------------

@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory):
    """A kernel spec for this interpreter (the venv's), found through JUPYTER_PATH."""
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / "numnet-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "numnet test", "language": "python"}))
    mp = pytest.MonkeyPatch()
    mp.setenv("JUPYTER_PATH", str(root))
    mp.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    yield "numnet-test"
    mp.undo()


def run_notebook(name, kernel_name, tmp_path):
    import nbclient
    import nbformat

    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(notebook, kernel_name=kernel_name, timeout=60,
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    return notebook


def outputs_of(notebook, source_start):
    cells = [c for c in notebook.cells if c.cell_type == "code" and c.source.startswith(source_start)]
    assert len(cells) == 1, source_start
    return cells[0].outputs


def test_quickstart_notebook_runs_and_displays_richly(kernel_name, tmp_path):
    notebook = run_notebook("quickstart.ipynb", kernel_name, tmp_path)
    shown = outputs_of(notebook, "model = Sequential")[0]["data"]
    assert "<table" in shown["text/html"] and "<svg" in shown["text/html"]
    summary = outputs_of(notebook, "model.summary()")
    assert [o["output_type"] for o in summary] == ["stream"]  # printed once, no escaped Out[] string
    fit = outputs_of(notebook, "model.compile(")
    images = [o for o in fit if "image/png" in o.get("data", {})]
    assert len(images) == 1  # LiveHistory redrew one output in place
    widgets = [o for o in fit if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    lines = "".join(o.get("text", "") for o in fit if o["output_type"] == "stream")
    assert lines.count("Epoch ") == 30  # one line per epoch, not three stream outputs
    try:
        import ipywidgets  # noqa: F401  (the plot extra brings it: tqdm.auto then draws widgets)
        assert len(widgets) == 30  # one progress widget per epoch
    except ImportError:
        assert not widgets
    assert fit[-1]["data"]["text/plain"].startswith("History(epochs=30")
    network = outputs_of(notebook, "nn.plot.network(model)")
    result = [o for o in network if o["output_type"] == "execute_result"][0]["data"]["text/plain"]
    assert result.startswith("NetworkDisplay(") and len(result) < 400 and "array(" not in result
    assert any("image/png" in o.get("data", {}) for o in network)
    assert outputs_of(notebook, "import os")[-1]["data"]["text/plain"] == "True"


def test_coming_from_keras_notebook_runs(kernel_name, tmp_path):
    notebook = run_notebook("coming_from_keras.ipynb", kernel_name, tmp_path)
    refused = outputs_of(notebook, "try:")[0]["text"]
    assert "cannot write the .keras format" in refused
    assert outputs_of(notebook, "import os")[0]["data"]["text/plain"] == "([5, 6, 7], 10)"
