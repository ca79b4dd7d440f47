"""`numnet train/predict --stream`: two passes over CSV or Parquet, predictions written as they go."""
import numpy as np
import pytest

pd = pytest.importorskip("pandas")

from numnet.cli.main import main  # noqa: E402


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stream")
    rng = np.random.default_rng(0)
    n = 1200
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n) * 10 + 5,
                          "color": rng.choice(["red", "green", "blue"], n)})
    frame["label"] = np.where(frame.a + (frame.color == "red") > 0.5, "yes", "no")
    frame.to_csv(folder / "d.csv", index=False)
    frame.to_parquet(folder / "d.parquet")
    return folder


def _train(files, data, out, *extra):
    return main(["train", str(files / data), "--target", "label", "--epochs", "3", "--quiet",
                 "--out", str(files / out), *extra])


def test_train_stream_on_csv_and_predict_stream_match_the_plain_predict(files, capsys):
    assert _train(files, "d.csv", "csv.numnet", "--stream") == 0
    out = capsys.readouterr().out
    assert "streamed: two passes" in out and "final validation" in out
    assert main(["predict", str(files / "csv.numnet"), str(files / "d.csv"), "--proba",
                 "--out", str(files / "plain.csv")]) == 0
    assert main(["predict", str(files / "csv.numnet"), str(files / "d.csv"), "--proba", "--stream",
                 "--out", str(files / "streamed.csv")]) == 0
    plain, streamed = pd.read_csv(files / "plain.csv"), pd.read_csv(files / "streamed.csv")
    assert len(streamed) == 1200 and list(streamed.columns) == list(plain.columns)
    assert (plain.prediction == streamed.prediction).all()
    np.testing.assert_allclose(plain.proba_yes, streamed.proba_yes, rtol=1e-5, atol=1e-6)


def test_parquet_streams_automatically_and_says_so(files, capsys):
    assert _train(files, "d.parquet", "pq.numnet") == 0
    captured = capsys.readouterr()
    assert "streaming it" in captured.err and "task: classification" in captured.out
    assert main(["predict", str(files / "pq.numnet"), str(files / "d.parquet")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "prediction" and len(lines) == 1201  # one header, every row


def test_streamed_model_works_with_the_plain_evaluate(files, capsys):
    assert _train(files, "d.parquet", "pq2.numnet") == 0
    capsys.readouterr()
    assert main(["evaluate", str(files / "pq2.numnet"), str(files / "d.csv")]) == 0
    assert "accuracy" in capsys.readouterr().out


def test_missing_values_need_impute_when_streaming(files, capsys):
    frame = pd.read_csv(files / "d.csv")
    frame.loc[7, "a"] = np.nan
    frame.to_csv(files / "gaps.csv", index=False)
    assert _train(files, "gaps.csv", "gaps.numnet", "--stream") == 1
    assert "column 'a' has missing values; pass --impute" in capsys.readouterr().err
    assert _train(files, "gaps.csv", "gaps.numnet", "--stream", "--impute", "median") == 0


def test_missing_target_column_is_named(files, capsys):
    assert main(["train", str(files / "d.parquet"), "--target", "price", "--out",
                 str(files / "x.numnet")]) == 1
    assert "has no column 'price'" in capsys.readouterr().err


def test_evaluate_stream_matches_the_plain_evaluate(files, capsys):
    assert _train(files, "d.csv", "ev.numnet", "--stream") == 0
    capsys.readouterr()
    assert main(["evaluate", str(files / "ev.numnet"), str(files / "d.csv")]) == 0
    plain = capsys.readouterr().out
    assert main(["evaluate", str(files / "ev.numnet"), str(files / "d.parquet")]) == 0
    streamed = capsys.readouterr().out
    assert "(streamed)" in streamed
    assert plain.splitlines()[1:] == streamed.splitlines()[1:]  # same scores and confusion matrix
