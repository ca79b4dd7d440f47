"""The `numnet` command line never destroys or reinterprets the user's data silently.

Issue 10, section 5: outputs that are inputs or files of another kind, cells
that are not numbers, ragged rows, identifier columns, targets too large to
standardise, and exit codes. Every test runs `main([...])` in-process on a
tiny CSV written here, training for one epoch.
"""
import os

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

import numnet  # noqa: E402
from numnet.cli import main  # noqa: E402
from numnet.cli.csv_rows import scan_rows  # noqa: E402
from numnet.cli.outputs import file_kind  # noqa: E402

FAST = ["--epochs", "1", "--layers", "4", "--quiet"]


@pytest.fixture(autouse=True)
def no_curve_drawing(monkeypatch):
    """Skip matplotlib's drawing, the slow part of a 1-epoch train (the curve test undoes this)."""
    monkeypatch.setattr("numnet.cli.train._plot_curve", lambda history, path: None)


def cli(capsys, *args):
    """Run `numnet ARGS` in this process; return (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def usage_error(capsys, *args) -> str:
    """Run a command that argparse must refuse; return its stderr."""
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in args])
    assert exit_.value.code == 2
    return capsys.readouterr().err


def one_error_line(err: str, *fragments) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("numnet "), err
    for fragment in fragments:
        assert fragment in lines[0], err


def write_table(path, n=40, seed=0, **extra):
    """A small classification table: numeric x1, x2, text city, label y; ``extra`` columns added."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    table = pd.DataFrame({"x1": x1, "x2": x2, "city": rng.choice(["a", "b"], size=n),
                          "y": np.where(x1 + x2 > 0, "hi", "lo")})
    for name, values in extra.items():
        table[name] = values
    table.to_csv(path, index=False)
    return path


@pytest.fixture
def model(tmp_path, capsys):
    """A model trained on d.csv (in tmp_path), and the data."""
    data = write_table(tmp_path / "d.csv")
    code, _, err = cli(capsys, "train", data, "--target", "y", "--out", tmp_path / "m.numnet",
                       *FAST)
    assert code == 0, err
    return tmp_path / "m.numnet", data


# -- outputs that are inputs ----------------------------------------------------------
def test_train_refuses_to_write_the_model_over_its_training_data(tmp_path, capsys):
    data = write_table(tmp_path / "d.csv")
    before = data.read_bytes()
    code, _, err = cli(capsys, "train", data, "--target", "y", "--out", data, *FAST, "--force")
    assert code == 1
    one_error_line(err, "--out", "is the same file as the training data", "would destroy it")
    assert data.read_bytes() == before


@pytest.mark.parametrize("link", [os.symlink, os.link], ids=["symlink", "hard link"])
def test_an_output_linked_to_the_input_is_the_same_file(tmp_path, capsys, link):
    data = write_table(tmp_path / "d.csv")
    link(data, tmp_path / "alias.numnet")
    code, _, err = cli(capsys, "train", data, "--target", "y", "--out", tmp_path / "alias.numnet",
                       *FAST)
    assert code == 1
    one_error_line(err, "is the same file as the training data")
    assert pd.read_csv(data).shape == (40, 4)


def test_predict_refuses_to_write_over_its_data_or_its_model(model, capsys):
    path, data = model
    for out, what in ((data, "the data"), (path, "the model")):
        code, _, err = cli(capsys, "predict", path, data, "--out", out, "--force")
        assert code == 1
        one_error_line(err, f"is the same file as {what}")
    assert numnet.load(path).preprocessing["target"] == "y"  # the model is intact


def test_export_refuses_to_write_onnx_over_the_model(model, capsys):
    path, _ = model
    code, _, err = cli(capsys, "export", path, "--onnx", path)
    assert code == 1
    one_error_line(err, "--onnx", "is the same file as the model")
    assert numnet.load(path) is not None


# -- existing files of another kind ---------------------------------------------------
def test_train_refuses_to_replace_a_csv_with_a_model_unless_forced(tmp_path, capsys):
    data = write_table(tmp_path / "d.csv")
    other = write_table(tmp_path / "other.csv", seed=1)
    code, _, err = cli(capsys, "train", data, "--target", "y", "--out", other, *FAST)
    assert code == 1
    one_error_line(err, "--out", "already exists and holds text (such as a CSV file), not a "
                   "numnet model file", "pass --force")
    assert file_kind(other) == "csv"
    code, _, err = cli(capsys, "train", data, "--target", "y", "--out", other, *FAST, "--force")
    assert code == 0, err
    assert file_kind(other) == "model"


def test_predict_refuses_to_replace_a_model_file_with_predictions(model, capsys):
    path, data = model
    copy = path.with_name("copy.numnet")
    copy.write_bytes(path.read_bytes())
    code, _, err = cli(capsys, "predict", path, data, "--out", copy)
    assert code == 1
    one_error_line(err, "holds a numnet model file, not text")
    code, _, err = cli(capsys, "predict", path, data, "--out", path.with_name("p.csv"))
    assert code == 0, err
    code, _, err = cli(capsys, "predict", path, data, "--out", path.with_name("p.csv"))
    assert code == 0, err  # replacing earlier predictions (text) is fine


def test_export_refuses_to_replace_a_csv_with_onnx(model, capsys):
    path, data = model
    code, _, err = cli(capsys, "export", path, "--onnx", data.with_name("d.csv"))
    assert code == 1
    one_error_line(err, "holds text (such as a CSV file), not an ONNX model")


def test_training_curve_is_never_replaced_silently(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.undo()  # draw the curve for real here
    data = write_table(tmp_path / "d.csv")
    (tmp_path / "m_training.png").write_text("my notes, not a picture\n")
    code, _, err = cli(capsys, "train", data, "--target", "y", "--out", tmp_path / "m.numnet",
                       *FAST)
    assert code == 1
    one_error_line(err, "the training curve", "m_training.png already exists and holds text",
                   "Choose another --out path")
    assert not (tmp_path / "m.numnet").exists()
    (tmp_path / "m_training.png").write_bytes(b"\x89PNG\r\n\x1a\n an older curve")
    code, _, err = cli(capsys, "train", data, "--target", "y", "--out", tmp_path / "m.numnet",
                       *FAST)  # a PNG over a PNG: allowed, but said
    assert code == 0, err
    overwriting = [line for line in err.splitlines() if "overwriting the training curve" in line]
    assert len(overwriting) == 1 and overwriting[0].startswith("note: ")
    assert len((tmp_path / "m_training.png").read_bytes()) > 1000  # the new curve


def test_file_kinds_come_from_the_bytes_not_the_name(tmp_path):
    (tmp_path / "a.numnet").write_text("x,y\n1,2\n")
    (tmp_path / "b.csv").write_bytes(b"\x89PNG\r\n\x1a\n....")
    (tmp_path / "c.csv").write_bytes(b"\x08\x07\x12\x00onnx")
    (tmp_path / "d.csv").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "e.csv").write_bytes(b"")
    assert [file_kind(tmp_path / n) for n in ("a.numnet", "b.csv", "c.csv", "d.csv", "e.csv",
                                              "absent.csv")] == \
        ["csv", "png", "onnx", "other", None, None]


# -- cells that are not numbers ---------------------------------------------------------
@pytest.mark.parametrize("cell, shown", [("?", "'?'"), ('"1,234"', "'1,234'"),
                                         ("7\x00", "'7\\x00'")],
                         ids=["question mark", "thousands separator", "NUL byte"])
def test_a_stray_cell_in_a_numeric_column_is_reported_not_one_hot_encoded(tmp_path, capsys,
                                                                           cell, shown):
    lines = write_table(tmp_path / "clean.csv").read_text().splitlines()
    first = lines[2].split(",")
    lines[2] = ",".join([cell] + first[1:])  # line 3 of the file: the second data row
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    code, _, err = cli(capsys, "train", tmp_path / "d.csv", "--target", "y",
                       "--out", tmp_path / "m.numnet", *FAST)
    assert code == 1
    one_error_line(err, "numeric columns hold cells that are not numbers",
                   f"column 'x1' (1 not a number: line 3: {shown})", "--impute")
    code, _, err = cli(capsys, "train", tmp_path / "d.csv", "--target", "y",
                       "--out", tmp_path / "m.numnet", *FAST, "--impute", "median")
    assert code == 0, err
    assert "treated as missing" in err and "line 3" in err
    prep = numnet.load(tmp_path / "m.numnet").preprocessing
    assert prep["numeric"] == ["x1", "x2"] and list(prep["categorical"]) == ["city"]


def test_text_far_down_a_numeric_column_is_reported_with_its_line(tmp_path, capsys,
                                                                   monkeypatch):
    import numnet.cli.data as data_module

    monkeypatch.setattr(data_module, "PEEK_ROWS", 5)  # the first rows look numeric
    monkeypatch.setattr(data_module, "CHUNK_ROWS", 8)  # and the cell is in a later chunk
    table = pd.read_csv(write_table(tmp_path / "clean.csv"))
    table["x2"] = table["x2"].astype(object)
    table.loc[29, "x2"] = "n/a?"
    table.to_csv(tmp_path / "d.csv", index=False)
    code, _, err = cli(capsys, "train", tmp_path / "d.csv", "--target", "y",
                       "--out", tmp_path / "m.numnet", *FAST)
    assert code == 1
    one_error_line(err, "column 'x2' (1 not a number: line 31: 'n/a?')")


def test_a_mostly_text_column_is_still_categorical(tmp_path, capsys):
    code_values = ["1", "2", "A", "B", "C"] * 8  # 40 % numbers: a code, not a measurement
    data = write_table(tmp_path / "d.csv", code=code_values)
    code, _, err = cli(capsys, "train", data, "--target", "y", "--out", tmp_path / "m.numnet",
                       *FAST)
    assert code == 0, err
    assert numnet.load(tmp_path / "m.numnet").preprocessing["categorical"]["code"] == \
        ["1", "2", "A", "B", "C"]


def test_a_stray_cell_at_predict_is_reported_unless_the_model_imputes(model, capsys, tmp_path):
    path, _ = model
    new = pd.read_csv(write_table(tmp_path / "new.csv", n=5, seed=2))
    new["x1"] = new["x1"].astype(object)
    new.loc[3, "x1"] = "?"
    new.to_csv(tmp_path / "new.csv", index=False)
    code, _, err = cli(capsys, "predict", path, tmp_path / "new.csv")
    assert code == 1
    one_error_line(err, "column 'x1' (1 not a number: line 5: '?')", "retrain with")


def test_a_stray_cell_in_a_numeric_target_cannot_be_imputed(tmp_path, capsys):
    rng = np.random.default_rng(0)
    values = [f"{v:.3f}" for v in rng.normal(size=30)]
    values[6] = "?"
    pd.DataFrame({"x": rng.normal(size=30), "price": values}).to_csv(tmp_path / "d.csv",
                                                                    index=False)
    code, _, err = cli(capsys, "train", tmp_path / "d.csv", "--target", "price", "--impute",
                       "mean", "--out", tmp_path / "m.numnet", *FAST)
    assert code == 1
    one_error_line(err, "the target column holds cells that are not numbers",
                   "column 'price' (1 not a number: line 8: '?')")


# -- ragged rows --------------------------------------------------------------------------
@pytest.mark.parametrize("row, found", [("1,2,a,hi,9", 5), ("1,2,a", 3)],
                         ids=["extra field", "missing field"])
def test_a_ragged_first_row_is_an_error_even_with_impute(tmp_path, capsys, row, found):
    lines = write_table(tmp_path / "clean.csv").read_text().splitlines()
    (tmp_path / "d.csv").write_text("\n".join([lines[0], row] + lines[2:]) + "\n")
    code, _, err = cli(capsys, "train", tmp_path / "d.csv", "--target", "y", "--impute", "mean",
                       "--out", tmp_path / "m.numnet", *FAST)
    assert code == 1
    one_error_line(err, f"d.csv: line 2 has {found} fields, but earlier lines have 4")
    assert not (tmp_path / "m.numnet").exists()


def test_ragged_rows_are_found_at_their_line_in_plain_and_quoted_files(tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text("a,b\n1,2\n\n3,4\n5\n")
    with pytest.raises(ValueError, match="plain.csv: line 5 has 1 fields"):
        scan_rows(plain)
    quoted = tmp_path / "quoted.csv"
    quoted.write_text('a,b\n"x,\ny",2\n3,4\n5,6,7\n')  # a field with a comma and a line break
    with pytest.raises(ValueError, match="quoted.csv: line 5 has 3 fields"):
        scan_rows(quoted)


def test_scan_rows_gives_the_lines_of_data_rows(tmp_path):
    (tmp_path / "simple.csv").write_text("a,b\r\n1,2\r\n3,4")
    assert scan_rows(tmp_path / "simple.csv") is None  # row r is on line r + 1
    (tmp_path / "blank.csv").write_text("a,b\n1,2\n\n3,4\n")
    np.testing.assert_array_equal(scan_rows(tmp_path / "blank.csv"), [2, 4])
    (tmp_path / "multi.csv").write_text('a,b\n"1\n1",2\n3,4\n')
    np.testing.assert_array_equal(scan_rows(tmp_path / "multi.csv"), [2, 4])


def test_a_bad_cell_after_a_blank_line_names_its_real_line(tmp_path, capsys):
    lines = write_table(tmp_path / "clean.csv").read_text().splitlines()
    lines[5] = "?," + lines[5].split(",", 1)[1]
    (tmp_path / "d.csv").write_text("\n".join(lines[:3] + [""] + lines[3:]) + "\n")
    code, _, err = cli(capsys, "train", tmp_path / "d.csv", "--target", "y",
                       "--out", tmp_path / "m.numnet", *FAST)
    assert code == 1
    one_error_line(err, "line 7: '?'")  # line 6 of the clean file, one blank line above


# -- identifier columns, --drop and --features ------------------------------------------
def ids(n):
    return [f"customer-{i:05d}" for i in range(n)]


def test_an_identifier_column_is_refused_with_a_hint_to_drop_it(tmp_path, capsys):
    data = write_table(tmp_path / "d.csv", n=120, customer=ids(120))
    code, _, err = cli(capsys, "train", data, "--target", "y", "--out", tmp_path / "m.numnet",
                       *FAST)
    assert code == 1
    one_error_line(err, "text column 'customer' has 120 distinct values in 120 rows",
                   "looks like an identifier", "--drop customer")


def test_a_text_column_with_more_levels_than_the_cap_is_refused(tmp_path, capsys):
    n = 2400  # 1,200 levels: under half the rows, but over the cap of 1,000
    data = write_table(tmp_path / "d.csv", n=n, code=[f"c{i % 1200}" for i in range(n)])
    code, _, err = cli(capsys, "train", data, "--target", "y", "--out", tmp_path / "m.numnet",
                       *FAST)
    assert code == 1
    one_error_line(err, "text column 'code' has 1200 distinct values in 2400 rows")


def test_drop_leaves_a_column_out_in_train_predict_and_evaluate(tmp_path, capsys):
    data = write_table(tmp_path / "d.csv", n=120, customer=ids(120))
    out = tmp_path / "m.numnet"
    code, _, err = cli(capsys, "train", data, "--target", "y", "--out", out, *FAST,
                       "--drop", "customer")
    assert code == 0, err
    assert "not using the columns customer" in err
    prep = numnet.load(out).preprocessing
    assert prep["feature_columns"] == ["x1", "x2", "city"]
    assert numnet.load(out).metadata["options"]["drop"] == ["customer"]
    new = write_table(tmp_path / "new.csv", n=10, seed=5, customer=ids(10))
    code, stdout, err = cli(capsys, "predict", out, new)
    assert code == 0, err
    assert "ignoring columns the model does not use: y, customer" in err
    assert len(stdout.splitlines()) == 11
    code, stdout, err = cli(capsys, "evaluate", out, new)
    assert code == 0, err
    assert "accuracy" in stdout


def test_features_selects_the_input_columns(tmp_path, capsys):
    data = write_table(tmp_path / "d.csv", n=60, customer=ids(60))
    code, _, err = cli(capsys, "train", data, "--target", "y", "--out", tmp_path / "m.numnet",
                       *FAST, "--features", "x1", "x2")
    assert code == 0, err
    assert numnet.load(tmp_path / "m.numnet").preprocessing["feature_columns"] == ["x1", "x2"]


@pytest.mark.parametrize("option, message", [
    (["--drop", "custmer"], "lacks the columns 'custmer' named by --drop; its columns are: x1, "
                            "x2, city, y"),
    (["--features", "x9"], "lacks the columns 'x9' named by --features"),
    (["--drop", "y"], "the target column 'y' cannot also be a feature column"),
    (["--drop", "x1", "x2", "city"], "has no feature columns left besides the target 'y' after "
                                     "--drop"),
])
def test_bad_drop_and_features_are_clear_errors(tmp_path, capsys, option, message):
    data = write_table(tmp_path / "d.csv")
    code, _, err = cli(capsys, "train", data, "--target", "y", "--out", tmp_path / "m.numnet",
                       *FAST, *option)
    assert code == 1
    one_error_line(err, message)


# -- statistics that overflow -------------------------------------------------------------
def test_a_target_near_1e200_is_refused_before_training(tmp_path, capsys):
    rng = np.random.default_rng(0)
    pd.DataFrame({"x": rng.normal(size=30), "y": rng.normal(size=30) * 1e200}) \
        .to_csv(tmp_path / "d.csv", index=False)
    code, stdout, err = cli(capsys, "train", tmp_path / "d.csv", "--target", "y",
                            "--out", tmp_path / "m.numnet", *FAST)
    assert code == 1
    one_error_line(err, "the target column 'y' cannot be standardised", "float32",
                   "rescale the column")
    assert "nan" not in stdout and not (tmp_path / "m.numnet").exists()


def test_a_feature_whose_centred_values_overflow_float32_is_refused(tmp_path, capsys):
    big = [3.3e38, 3.3e38, -3.3e38] * 10
    data = write_table(tmp_path / "d.csv", n=30, big=big)
    code, _, err = cli(capsys, "train", data, "--target", "y", "--out", tmp_path / "m.numnet",
                       *FAST)
    assert code == 1
    one_error_line(err, "column 'big' cannot be standardised")


# -- exit codes -----------------------------------------------------------------------------
@pytest.mark.parametrize("args, message", [
    (["train", "d.csv", "--target", "y", "--out", "m.numnet", "--seed", "-1"],
     "argument --seed: expected a whole number from 0 to 2**63 - 1, got '-1'"),
    (["demo", "--epochs", "0"], "argument --epochs: expected a positive whole number, got '0'"),
    (["demo", "--seed", "-5"], "argument --seed"),
    (["export", "m.numnet", "--onnx", "m.onnx", "--opset", "-3"],
     "argument --opset: expected a positive whole number, got '-3'"),
])
def test_usage_errors_exit_with_2_and_the_usage(capsys, args, message):
    err = usage_error(capsys, *args)
    assert err.startswith("usage: numnet ")
    assert message in err


def test_a_huge_network_is_refused_before_it_is_built(tmp_path, capsys, monkeypatch):
    import numnet.cli.data as data_module

    def never(*args, **kwargs):
        raise AssertionError("the data should not be read for an impossible network")

    monkeypatch.setattr(data_module, "read_csv", never)
    code, _, err = cli(capsys, "train", tmp_path / "d.csv", "--target", "y",
                       "--out", tmp_path / "m.numnet", "--layers", "100000000")
    assert code == 1
    one_error_line(err, "--layers 100000000 asks for a network (1-100000000-1, even with one "
                   "input and one output) with 300,000,001 parameters", "GiB")


def test_the_network_size_check_counts_the_real_inputs():
    from numnet.cli.train import check_network_size

    check_network_size(1, [20000], 1, 32)  # 60,001 parameters: fine
    with pytest.raises(ValueError, match=r"asks for a network \(10000-20000-2\) with "
                                         r"200,060,002 parameters that needs about 4\.8 GiB"):
        check_network_size(10000, [20000], 2, 32)  # a wide one-hot encoding, say


def test_running_out_of_memory_is_one_clear_line(tmp_path, capsys, monkeypatch):
    import numnet.cli.data as data_module

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(data_module, "read_csv", exhausted)
    (tmp_path / "d.csv").write_text("a,y\n1,0\n2,1\n")  # exists: the reading itself runs out
    code, _, err = cli(capsys, "train", tmp_path / "d.csv", "--target", "y",
                       "--out", tmp_path / "m.numnet")
    assert code == 1
    one_error_line(err, "numnet train: error: out of memory")
