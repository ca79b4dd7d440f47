"""`numnet export` of a CLI model: the ONNX graph takes the raw CSV columns (issue 13, item 6).

Models are trained in-process by `numnet train` on small CSVs with numeric and text
columns and missing cells; onnxruntime then runs the exported graph on the CSV's own
columns, and its `label` and `probabilities` must equal what `numnet predict` writes,
also for unseen text values and missing cells.
"""
import numpy as np
import pytest

pd = pytest.importorskip("pandas")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import numnet  # noqa: E402
from numnet import Dense, Sequential, Softmax  # noqa: E402
from numnet.cli import main  # noqa: E402
from numnet.onnx import to_onnx_raw  # noqa: E402
from numnet.onnx.raw_columns import MISSING_TEXT  # noqa: E402

FAST = ["--epochs", "5", "--layers", "8", "--quiet", "--batch-size", "16"]


def table(n, seed, unseen=False):
    """Numeric x1 (some missing), x2; text city (some missing), size; targets label, kind, price."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n) * 10 + 50
    cities = ["paris", "rome", "oslo"] + (["lima"] if unseen else [])
    city = rng.choice(cities, size=n).astype(object)
    score = x1 + (x2 - 50) / 10 + (city == "rome") * 1.5
    frame = pd.DataFrame({
        "x1": x1, "x2": x2, "city": city, "size": rng.choice(["S", "M", "L"], size=n),
        "label": np.where(score > 1, "high", np.where(score < -1, "low", "mid")),
        "kind": np.where(score > 0, 7, 3), "price": 3 * x1 - 0.2 * x2 + 100})
    frame.loc[frame.index[::9], "x1"] = np.nan
    frame.loc[frame.index[4::11], "city"] = None
    return frame


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    folder = tmp_path_factory.mktemp("onnx_raw")
    table(160, 0).to_csv(folder / "train.csv", index=False)
    new = table(50, 1, unseen=True)
    new.loc[[0, 1], "city"] = "NA"  # a text pandas reads as missing
    new.loc[2, "x2"] = np.nan  # a gap in a column that had none in training
    new.to_csv(folder / "new.csv", index=False)
    return folder


def cli(*args):
    code = main([str(a) for a in args])
    assert code == 0


@pytest.fixture(scope="module")
def models(work):
    """Classification (string labels), classification (whole-number labels), regression."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("numnet.cli.train._plot_curve", lambda history, path: None)
        for name, target, drop in (("cls", "label", ["kind", "price"]),
                                   ("ints", "kind", ["label", "price"]),
                                   ("reg", "price", ["label", "kind"])):
            cli("train", work / "train.csv", "--target", target, "--drop", *drop, "--impute",
                "median", "--out", work / f"{name}.numnet", *FAST)
            cli("export", work / f"{name}.numnet", "--onnx", work / f"{name}.onnx")
    return work


def raw_feeds(session, path, rows=slice(None)):
    """The CSV's own columns, as the graph's inputs want them: cell text, or float32 numbers."""
    text = pd.read_csv(path, dtype=str, keep_default_na=False)[rows]
    numbers = pd.read_csv(path)[rows]
    feeds = {}
    for spec in session.get_inputs():
        if spec.type == "tensor(string)":
            feeds[spec.name] = text[[spec.name]].to_numpy(dtype=object)
        else:
            feeds[spec.name] = numbers[[spec.name]].to_numpy(dtype=np.float32)
    return feeds


def session_of(path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def predicted(work, name, capsys, proba=True):
    out = work / f"{name}_pred.csv"
    cli("predict", work / f"{name}.numnet", work / "new.csv", "--out", out, "--force",
        *(["--proba"] if proba else []))
    capsys.readouterr()
    return pd.read_csv(out)


# -- equal to `numnet predict` ------------------------------------------------------------
def test_classifier_gives_the_labels_and_probabilities_of_numnet_predict(models, capsys):
    session = session_of(models / "cls.onnx")
    label, probabilities = session.run(["label", "probabilities"],
                                       raw_feeds(session, models / "new.csv"))
    expected = predicted(models, "cls", capsys)
    assert label.tolist() == expected["prediction"].tolist()
    np.testing.assert_allclose(probabilities, expected.iloc[:, 1:].to_numpy(), atol=1e-5)


def test_whole_number_classes_come_back_as_int64(models, capsys):
    session = session_of(models / "ints.onnx")
    label, probabilities = session.run(None, raw_feeds(session, models / "new.csv"))
    expected = predicted(models, "ints", capsys)
    assert label.dtype == np.int64 and set(label) <= {3, 7}
    assert label.tolist() == expected["prediction"].tolist()
    np.testing.assert_allclose(probabilities, expected.iloc[:, 1:].to_numpy(), atol=1e-5)


def test_regressor_gives_predictions_in_the_target_units(models, capsys):
    session = session_of(models / "reg.onnx")
    assert [o.name for o in session.get_outputs()] == ["label"]
    (label,) = session.run(None, raw_feeds(session, models / "new.csv"))
    expected = predicted(models, "reg", capsys, proba=False)["prediction"].to_numpy()
    assert label.dtype == np.float64 and label.shape == (50,)
    np.testing.assert_allclose(label, expected, rtol=1e-5)


def test_unseen_values_and_gaps_rows_match_predict_row_by_row(models, capsys):
    # The same rows one at a time: the batch dimension is dynamic and rows are independent.
    new = pd.read_csv(models / "new.csv", dtype=str, keep_default_na=False)
    odd = [i for i, row in new.iterrows()
           if row["city"] in ("lima", "", "NA") or "" in (row["x1"], row["x2"])]
    assert len(odd) >= 8
    session = session_of(models / "cls.onnx")
    expected = predicted(models, "cls", capsys)
    for i in odd:
        label, probabilities = session.run(None, raw_feeds(session, models / "new.csv",
                                                           slice(i, i + 1)))
        assert label[0] == expected.loc[i, "prediction"]
        np.testing.assert_allclose(probabilities[0], expected.iloc[i, 1:].to_numpy(), atol=1e-5)


# -- the graph's interface ------------------------------------------------------------------
def test_one_input_per_column_strings_for_text_and_the_file_passes_the_full_check(models):
    model = onnx.load(models / "cls.onnx")
    onnx.checker.check_model(model, full_check=True)
    session = session_of(models / "cls.onnx")
    inputs = {spec.name: (spec.type, spec.shape) for spec in session.get_inputs()}
    assert inputs == {"x1": ("tensor(float)", ["batch", 1]), "x2": ("tensor(float)", ["batch", 1]),
                      "city": ("tensor(string)", ["batch", 1]),
                      "size": ("tensor(string)", ["batch", 1])}
    outputs = {spec.name: (spec.type, spec.shape) for spec in session.get_outputs()}
    assert outputs == {"label": ("tensor(string)", ["batch"]),
                       "probabilities": ("tensor(float)", ["batch", 3])}
    assert "numnet_preprocessing" in session.get_modelmeta().custom_metadata_map


def test_every_missing_marker_is_filled_with_the_most_frequent_level(models):
    session = session_of(models / "cls.onnx")
    feeds = raw_feeds(session, models / "new.csv", slice(0, 1))
    answers = []
    for text in ("", "NA", "nan", "NULL", "None"):
        feeds["city"] = np.array([[text]], dtype=object)
        answers.append(session.run(None, feeds)[1])
    fill = numnet.load(models / "cls.numnet").preprocessing["impute"]
    feeds["city"] = np.array([[fill["categorical"]["city"]]], dtype=object)
    for answer in answers:
        np.testing.assert_array_equal(answer, session.run(None, feeds)[1])


def test_the_missing_markers_are_those_pandas_reads_as_missing():
    parsers = pytest.importorskip("pandas._libs.parsers")
    if not hasattr(parsers, "STR_NA_VALUES"):
        pytest.skip("this pandas does not expose its list of missing-value texts")
    assert set(MISSING_TEXT) == set(parsers.STR_NA_VALUES)


def test_encoded_keeps_the_matrix_input(models, capsys):
    cli("export", models / "cls.numnet", "--onnx", models / "enc.onnx", "--encoded", "--force")
    assert "city=oslo" in capsys.readouterr().err
    session = session_of(models / "enc.onnx")
    assert [i.name for i in session.get_inputs()] == ["input"]
    assert [o.name for o in session.get_outputs()] == ["output"]


def test_the_export_message_names_inputs_and_outputs(models, capsys):
    cli("export", models / "reg.numnet", "--onnx", models / "again.onnx", "--force")
    out = capsys.readouterr().out
    assert "inputs 'x1' (float), 'x2' (float), 'city' (string), 'size' (string)" in out
    assert "outputs 'label' (batch,) in target units" in out


def test_without_impute_a_gap_passes_through_as_nan_with_a_note(models, capsys):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("numnet.cli.train._plot_curve", lambda history, path: None)
        cli("train", models / "train.csv", "--target", "label", "--features", "x2", "size",
            "--out", models / "plain.numnet", *FAST)
    cli("export", models / "plain.numnet", "--onnx", models / "plain.onnx")
    assert "trained without --impute" in capsys.readouterr().err
    session = session_of(models / "plain.onnx")
    feeds = {"x2": np.array([[np.nan], [50.0]], np.float32),
             "size": np.array([["S"], ["S"]], dtype=object)}
    probabilities = session.run(["probabilities"], feeds)[0]
    assert np.isnan(probabilities[0]).all() and np.isfinite(probabilities[1]).all()


def test_a_model_saved_from_python_is_exported_with_its_matrix_input(tmp_path, capsys):
    model = Sequential([Dense(3, 2), Softmax()])
    model.build(3)
    model.save(tmp_path / "py.numnet")
    cli("export", tmp_path / "py.numnet", "--onnx", tmp_path / "py.onnx")
    assert "was not made by `numnet train`" in capsys.readouterr().err
    assert [i.name for i in session_of(tmp_path / "py.onnx").get_inputs()] == ["input"]


# -- the Python function, and its refusals ----------------------------------------------------
def hand_model(columns, task="classification"):
    """A built 1-feature-per-column model with preprocessing written by hand."""
    model = Sequential([Dense(len(columns), 2, random_state=0), Softmax()])
    model.build(len(columns))
    model.preprocessing = {
        "feature_columns": columns, "numeric": columns, "numeric_mean": [1.0] * len(columns),
        "numeric_std": [2.0] * len(columns), "categorical": {}, "task": task,
        "classes": ["a", "b"]}
    return model


def test_columns_named_like_inner_values_do_not_clash():
    columns = ["concat_1", "sub_2", "div_3", "gemm_4", "input", "output"]
    model = hand_model(columns)
    session = ort.InferenceSession(to_onnx_raw(model).SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    X = np.arange(12, dtype=np.float32).reshape(2, 6)
    feeds = {name: X[:, [j]] for j, name in enumerate(columns)}
    expected = model.predict((X - np.float32(1.0)) / np.float32(2.0))
    np.testing.assert_allclose(session.run(["probabilities"], feeds)[0], expected, atol=1e-6)


def test_a_model_without_cli_preprocessing_is_refused():
    model = Sequential([Dense(2, 2), Softmax()])
    model.build(2)
    with pytest.raises(ValueError, match=r"not made by `numnet train`.*numnet.onnx.export"):
        to_onnx_raw(model)


def test_a_column_named_like_an_output_is_refused():
    with pytest.raises(ValueError, match=r"feature column 'label' has the name of an output"):
        to_onnx_raw(hand_model(["x", "label"]))


def test_preprocessing_that_does_not_fit_the_model_is_refused():
    model = hand_model(["x", "y"])
    model.preprocessing["categorical"] = {"c": ["p", "q"]}
    with pytest.raises(ValueError, match=r"makes 4 inputs, but the model takes 2"):
        to_onnx_raw(model)


@pytest.mark.parametrize("opset", [13, onnx.defs.onnx_opset_version()])
def test_the_oldest_and_newest_opsets_give_the_same_answers(models, opset):
    proto = to_onnx_raw(numnet.load(models / "cls.numnet"), opset=opset)
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = raw_feeds(session, models / "new.csv")
    reference = session_of(models / "cls.onnx").run(None, feeds)
    label, probabilities = session.run(None, feeds)
    assert label.tolist() == reference[0].tolist()
    np.testing.assert_allclose(probabilities, reference[1], atol=1e-6)
