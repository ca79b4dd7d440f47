"""End-to-end tests of the `numnet` command line, run in subprocesses on small CSV files:
train, predict, evaluate, inspect and export, and each bad input's message and exit code."""
import pickle
import subprocess
import sys

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

import numnet  # noqa: E402
from numnet.cli.main import build_parser  # noqa: E402

ENTRY = "import sys; from numnet.cli import main; sys.exit(main())"


def numnet_cli(*args, cwd):
    """Run `numnet ARGS` in a subprocess; return the CompletedProcess (text)."""
    return subprocess.run([sys.executable, "-c", ENTRY, *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def expect_error(result, code, pattern):
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert any(pattern in line for line in lines), result.stderr
    if code == 1:
        assert len(lines) == 1 and lines[0].startswith("numnet ")  # one clear line


def make_data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n) * 10 + 50
    city = rng.choice(["paris", "rome", "oslo"], size=n)
    score = x1 + (x2 - 50) / 10 + (city == "rome") * 1.5
    label = np.where(score > 1, "high", np.where(score < -1, "low", "mid"))
    price = 3 * x1 - 0.2 * x2 + (city == "oslo") * 2 + rng.normal(size=n) * 0.1 + 100
    return pd.DataFrame({"x1": x1, "x2": x2, "city": city, "label": label, "price": price})


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    data = make_data()
    data.drop(columns="price").to_csv(folder / "cls.csv", index=False)
    data.drop(columns="label").to_csv(folder / "reg.csv", index=False)
    make_data(60, seed=1).to_csv(folder / "new.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def classifier(work):
    result = numnet_cli("train", "cls.csv", "--target", "label", "--epochs", 40, "--layers", "16",
                        "--dropout", "0.1", "--early-stopping", "--out", "cls.numnet", cwd=work)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def regressor(work):
    result = numnet_cli("train", "reg.csv", "--target", "price", "--epochs", 60, "--lr", "0.01",
                        "--out", "reg.numnet", "--quiet", cwd=work)
    assert result.returncode == 0, result.stderr
    return result


# -- classification with string labels and a categorical feature -----------------------
def test_train_classification_reports_and_writes_model_and_curve(work, classifier):
    out = classifier.stdout
    assert "task: classification (the target holds text), 3 classes" in out
    assert "1 text feature columns (5 inputs)" in out
    assert "Epoch 1/40" in out  # progress
    assert "final training: accuracy" in out and "final validation: accuracy" in out
    assert (work / "cls_training.png").read_bytes()[:4] == b"\x89PNG"
    model = numnet.load(work / "cls.numnet")
    prep = model.preprocessing
    assert prep["classes"] == ["high", "low", "mid"]
    assert prep["categorical"] == {"city": ["oslo", "paris", "rome"]}
    assert prep["numeric"] == ["x1", "x2"] and len(prep["numeric_mean"]) == 2
    assert model.metadata["scores"]["validation"]["accuracy"] > 0.7


def test_predict_gives_labels_and_probabilities_in_the_original_label_space(work, classifier):
    result = numnet_cli("predict", "cls.numnet", "new.csv", "--proba", "--out", "pred.csv",
                        cwd=work)
    assert result.returncode == 0, result.stderr
    assert "ignoring columns the model does not use: label, price" in result.stderr
    predictions = pd.read_csv(work / "pred.csv")
    assert list(predictions.columns) == ["prediction", "proba_high", "proba_low", "proba_mid"]
    assert set(predictions["prediction"]) <= {"high", "low", "mid"}
    np.testing.assert_allclose(predictions.iloc[:, 1:].sum(axis=1), 1.0, rtol=1e-5)
    truth = pd.read_csv(work / "new.csv")["label"]
    assert (predictions["prediction"] == truth).mean() > 0.7


def test_predict_to_standard_output_with_columns_in_another_order(work, classifier):
    shuffled = pd.read_csv(work / "new.csv")[["city", "label", "x2", "x1"]]
    shuffled.to_csv(work / "shuffled.csv", index=False)
    result = numnet_cli("predict", "cls.numnet", "shuffled.csv", cwd=work)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "prediction" and len(lines) == 61
    again = numnet_cli("predict", "cls.numnet", "new.csv", cwd=work)
    assert again.stdout == result.stdout  # matched by name, not position


def test_evaluate_classification(work, classifier):
    result = numnet_cli("evaluate", "cls.numnet", "new.csv", "--target", "label", cwd=work)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    accuracy = float(out.split("accuracy:")[1].split()[0])
    # Its own predictions (tests may run in other processes, in any order).
    predicted = numnet_cli("predict", "cls.numnet", "new.csv", "--out", "pred_eval.csv", cwd=work)
    assert predicted.returncode == 0, predicted.stderr
    predictions = pd.read_csv(work / "pred_eval.csv")["prediction"]
    truth = pd.read_csv(work / "new.csv")["label"]
    assert accuracy == pytest.approx((predictions == truth).mean(), abs=1e-4)
    assert "macro_f1:" in out and "confusion matrix" in out
    matrix = [line.split()[1:] for line in out.splitlines()[-3:]]
    assert sum(int(v) for row in matrix for v in row) == 60


def test_inspect_shows_summary_format_version_and_metadata(work, classifier):
    result = numnet_cli("inspect", "cls.numnet", cwd=work)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "format version 1" in out and f"numnet {numnet.__version__}" in out
    assert "Dense" in out and "Dropout" in out
    assert "optimizer: Adam" in out and "state saved" in out
    assert "training_rows: 240" in out and "validation_rows: 60" in out
    assert "classes: high, low, mid" in out and "one-hot over: oslo, paris, rome" in out


def test_export_writes_an_onnx_model_that_matches(work, classifier):
    ort = pytest.importorskip("onnxruntime")
    result = numnet_cli("export", "cls.numnet", "--onnx", "cls.onnx", "--encoded", cwd=work)
    assert result.returncode == 0, result.stderr
    assert "x1, x2, city=oslo, city=paris, city=rome" in result.stderr
    from numnet.cli.data import read_csv
    from numnet.cli.common import column_kinds
    from numnet.cli.preprocessing import prepare_inputs

    model = numnet.load(work / "cls.numnet")
    prep = model.preprocessing
    X = prepare_inputs(read_csv(work / "new.csv", features=prep["feature_columns"],
                                kinds=column_kinds(prep)), prep, [])
    session = ort.InferenceSession(str(work / "cls.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"input": X})[0], model.predict(X),
                               rtol=1e-5, atol=1e-6)
    meta = session.get_modelmeta().custom_metadata_map
    assert "numnet_preprocessing" in meta


# -- regression --------------------------------------------------------------------------
def test_regression_predictions_are_in_the_target_units(work, regressor):
    assert "task: regression" in regressor.stdout
    assert "final validation: mae" in regressor.stdout and "Epoch" not in regressor.stdout
    result = numnet_cli("predict", "reg.numnet", "new.csv", "--out", "reg_pred.csv", cwd=work)
    assert result.returncode == 0, result.stderr
    predicted = pd.read_csv(work / "reg_pred.csv")["prediction"]
    truth = pd.read_csv(work / "new.csv")["price"]
    assert abs(predicted.mean() - truth.mean()) < 1.0  # units of price, not standardised
    assert np.mean(np.abs(predicted - truth)) < 1.0


def test_evaluate_regression(work, regressor):
    result = numnet_cli("evaluate", "reg.numnet", "new.csv", cwd=work)  # target from the model
    assert result.returncode == 0, result.stderr
    values = dict(line.split(":") for line in result.stdout.splitlines()[1:])
    assert set(values) == {"      mae", "     rmse", "       r2"}
    assert float(values["       r2"]) > 0.9


def test_proba_for_a_regression_model_is_an_error(work, regressor):
    expect_error(numnet_cli("predict", "reg.numnet", "new.csv", "--proba", cwd=work), 1,
                 "--proba needs a classification model")


# -- missing values ----------------------------------------------------------------------
def test_missing_values_are_listed_unless_imputed(work):
    data = make_data(120, seed=3).drop(columns="price")
    data.loc[[4, 9], "x1"] = np.nan
    data.loc[7, "city"] = np.nan
    data.to_csv(work / "holes.csv", index=False)
    result = numnet_cli("train", "holes.csv", "--target", "label", "--out", "h.numnet",
                        "--epochs", 2, cwd=work)
    expect_error(result, 1,
                 "column 'x1' (2 missing: rows 5, 10); column 'city' (1 missing: rows 8)")
    assert "--impute mean|median|most_frequent" in result.stderr
    result = numnet_cli("train", "holes.csv", "--target", "label", "--out", "h.numnet",
                        "--epochs", 2, "--impute", "median", "--quiet", cwd=work)
    assert result.returncode == 0, result.stderr
    prep = numnet.load(work / "h.numnet").preprocessing
    # every column's statistic is stored: new data may have gaps where training had none
    assert set(prep["impute"]["numeric"]) == {"x1", "x2"} and prep["impute"]["strategy"] == "median"
    assert prep["impute"]["categorical"]["city"] in {"oslo", "paris", "rome"}
    # predict fills the same holes with the stored values
    result = numnet_cli("predict", "h.numnet", "holes.csv", cwd=work)
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 121


def test_missing_target_values_cannot_be_imputed(work):
    data = make_data(50).drop(columns="price")
    data.loc[3, "label"] = np.nan
    data.to_csv(work / "no_label.csv", index=False)
    expect_error(numnet_cli("train", "no_label.csv", "--target", "label", "--impute", "mean",
                            "--out", "x.numnet", cwd=work), 1,
                 "the target column has missing values, which cannot be imputed")


# -- bad input -----------------------------------------------------------------------------
def test_missing_target_column(work):
    expect_error(numnet_cli("train", "cls.csv", "--target", "species", "--out", "x.numnet",
                            cwd=work), 1,
                 "the target column 'species' is not in cls.csv; its columns are: x1, x2, city, "
                 "label")


def test_non_numeric_target_for_regression(work):
    expect_error(numnet_cli("train", "cls.csv", "--target", "label", "--task", "regression",
                            "--out", "x.numnet", cwd=work), 1,
                 "the target column 'label' holds text (for example 'high'), but --task "
                 "regression needs numbers")


def test_empty_and_header_only_files(work):
    (work / "empty.csv").write_text("")
    expect_error(numnet_cli("train", "empty.csv", "--target", "y", "--out", "x.numnet", cwd=work),
                 1, "empty.csv is empty")
    (work / "header.csv").write_text("a,b,y\n")
    expect_error(numnet_cli("train", "header.csv", "--target", "y", "--out", "x.numnet", cwd=work),
                 1, "header.csv has a header but no data rows")


def test_ragged_rows(work):
    (work / "ragged.csv").write_text("a,b,y\n1,2,0\n3,4,1\n5,6,7,1\n")
    expect_error(numnet_cli("train", "ragged.csv", "--target", "y", "--out", "x.numnet", cwd=work),
                 1, "ragged.csv: line 4 has 4 fields, but earlier lines have 3")


def test_model_file_that_does_not_exist(work):
    expect_error(numnet_cli("predict", "nothing.numnet", "new.csv", cwd=work), 1,
                 "model file nothing.numnet does not exist")


def test_truncated_model_file(work, classifier):
    data = (work / "cls.numnet").read_bytes()
    (work / "cut.numnet").write_bytes(data[: len(data) // 2])
    expect_error(numnet_cli("evaluate", "cut.numnet", "new.csv", cwd=work), 1,
                 "cut.numnet is not a numnet model file: it is not a zip archive, or it was cut "
                 "short (truncated)")


def test_a_pickle_renamed_numnet(work):
    (work / "pickled.numnet").write_bytes(pickle.dumps({"weights": [1.0, 2.0]}))
    expect_error(numnet_cli("inspect", "pickled.numnet", cwd=work), 1,
                 "pickled.numnet looks like a Python pickle, not a numnet model file")


def test_wrong_columns_at_predict(work, classifier):
    make_data(10).drop(columns=["x2", "city"]).to_csv(work / "narrow.csv", index=False)
    expect_error(numnet_cli("predict", "cls.numnet", "narrow.csv", cwd=work), 1,
                 "narrow.csv lacks the columns 'x2', 'city' that the model needs")


def test_usage_errors_exit_with_2(work):
    expect_error(numnet_cli("train", "cls.csv", "--target", "label", "--out", "x.numnet",
                            "--layers", "64,abc", cwd=work), 2, "expected comma-separated widths")
    expect_error(numnet_cli("train", "cls.csv", "--out", "x.numnet", cwd=work), 2,
                 "the following arguments are required: --target")
    expect_error(numnet_cli("train", "cls.csv", "--target", "label", "--out", "x.numnet",
                            "--impute", "zero", cwd=work), 2, "invalid choice: 'zero'")


def test_debug_shows_the_traceback(work):
    result = numnet_cli("predict", "nothing.numnet", "new.csv", "--debug", cwd=work)
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "ModelFileError" in result.stderr


def test_every_command_has_help_with_an_example():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name in ("train", "predict", "evaluate", "inspect", "export"):
        text = commands[name].format_help()
        assert f"example:\n  numnet {name} " in text, name
    result = subprocess.run([sys.executable, "-c", ENTRY, "train", "--help"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and "--impute" in result.stdout


def test_unseen_categories_are_encoded_as_zeros_with_a_note(work, classifier):
    data = pd.read_csv(work / "new.csv")
    data.loc[:4, "city"] = "lima"
    data.to_csv(work / "lima.csv", index=False)
    result = numnet_cli("predict", "cls.numnet", "lima.csv", cwd=work)
    assert result.returncode == 0, result.stderr
    assert "column 'city' has values not seen in training (lima); they are encoded as all " \
           "zeros" in result.stderr


def test_infinite_values_are_refused(work):
    (work / "inf.csv").write_text("a,b,y\n1,2,0.5\n3,inf,1.5\n")
    expect_error(numnet_cli("train", "inf.csv", "--target", "y", "--out", "x.numnet", cwd=work),
                 1, "inf.csv: column 'b' holds an infinite value in row 2")


def test_auto_task_detection():
    from numnet.cli.preprocessing import resolve_task

    text = np.array(["a", "b", None], dtype=object)
    assert resolve_task(text, "y", "auto")[0] == "classification"
    assert resolve_task(np.array([0.0, 1.0, 2.0, 1.0]), "y", "auto")[0] == "classification"
    assert resolve_task(np.linspace(0, 1, 50), "y", "auto")[0] == "regression"
    assert resolve_task(np.arange(100.0), "y", "auto")[0] == "regression"  # too many classes
    assert resolve_task(np.linspace(0, 1, 50), "y", "classification")[0] == "classification"
    with pytest.raises(ValueError, match="holds text"):
        resolve_task(text, "y", "regression")


def test_imputed_model_fills_gaps_in_columns_that_had_none_in_training(tmp_path):
    data = make_data(200).drop(columns="label")
    data.loc[3, "x1"] = np.nan  # only x1 has a gap in training
    data.to_csv(tmp_path / "train.csv", index=False)
    assert numnet_cli("train", "train.csv", "--target", "price", "--impute", "mean", "--epochs", 30,
                      "--out", "m.numnet", cwd=tmp_path).returncode == 0
    new = make_data(2, seed=3).drop(columns=["label", "price"])
    filled = new.copy()
    new.loc[0, "x2"] = np.nan  # a gap where training had none
    filled.loc[0, "x2"] = data["x2"][:160].mean()  # about the training mean (80 % split)
    new.to_csv(tmp_path / "gap.csv", index=False)
    filled.to_csv(tmp_path / "filled.csv", index=False)
    gap = numnet_cli("predict", "m.numnet", "gap.csv", cwd=tmp_path)
    ref = numnet_cli("predict", "m.numnet", "filled.csv", cwd=tmp_path)
    assert gap.returncode == 0, gap.stderr
    got = float(gap.stdout.split()[1])
    expected = float(ref.stdout.split()[1])
    assert abs(got - expected) < 0.5  # filled with a training statistic, not a raw 0


def test_missing_values_at_predict_suggest_retraining_with_impute(work, classifier):
    new = make_data(5, seed=4).drop(columns=["label", "price"])
    new.loc[1, "x1"] = np.nan
    new.to_csv(work / "holes_new.csv", index=False)
    result = numnet_cli("predict", "cls.numnet", "holes_new.csv", cwd=work)
    expect_error(result, 1, "retrain with `numnet train ... --impute")


def test_evaluate_rejects_a_feature_column_as_the_target(work, classifier):
    result = numnet_cli("evaluate", "cls.numnet", "cls.csv", "--target", "city", cwd=work)
    expect_error(result, 1, "is one of the model's input features, not a target")
