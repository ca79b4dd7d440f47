"""Progress during fit: a bar (tqdm or plain) with verbose=1, lines with 2, silence with 0."""
import io
import re
import sys

import pytest

from numnet import Dense, ReLU, Sequential, Softmax, spiral_data
from numnet.model.progress import ProgressLogger, format_duration, resolve_verbose


def fit(verbose, epochs=3):
    X, y = spiral_data(samples=20, classes=3, random_state=0)
    model = Sequential([Dense(2, 8, random_state=0), ReLU(), Dense(8, 3, random_state=1), Softmax()])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(X, y, epochs=epochs, batch_size=16, verbose=verbose, random_state=0,
              validation_data=(X, y))


def test_verbose_0_prints_nothing(capsys):
    fit(verbose=0)
    assert capsys.readouterr().out == ""


def test_verbose_2_prints_one_line_per_epoch_with_eta_loss_and_metrics(capsys):
    fit(verbose=2, epochs=3)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    pattern = (r"Epoch {k}/3 - \d+(ms|\.\d\ds){eta} - loss: [\d.e+-]+ - accuracy: [\d.]+ - "
               r"val_loss: [\d.e+-]+ - val_accuracy: [\d.]+$")
    for k, line in enumerate(lines, start=1):
        eta = r" - ETA \d+(ms|\.\d\ds)" if k < 3 else ""  # nothing left after the last epoch
        assert re.match(pattern.format(k=k, eta=eta), line), line
    assert "\r" not in "".join(lines)


def test_verbose_1_draws_a_tqdm_bar_then_the_epoch_line(capsys):
    pytest.importorskip("tqdm")
    fit(verbose=1, epochs=2)
    out = capsys.readouterr().out
    assert "\r" in out and "batch" in out  # tqdm's bar, counted in batches
    assert "0/4 [" in out  # 60 samples in batches of 16: 4 batches per epoch
    for k in (1, 2):
        assert re.search(rf"Epoch {k}/2 - \d+(ms|\.\d\ds).* - loss: ", out)


def test_verbose_1_without_tqdm_draws_a_plain_bar(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # "import tqdm" now raises ImportError
    fit(verbose=1, epochs=2)
    out = capsys.readouterr().out
    assert "[====================] 4/4 ETA 0.0s" in out
    assert re.search(r"\rEpoch 2/2 - \d+(ms|\.\d\ds) - loss: ", out)


def test_auto_is_lines_when_not_on_a_terminal(capsys):
    assert resolve_verbose("auto") == 2  # pytest captures stdout: not a terminal
    with pytest.raises(ValueError, match="verbose must be 0, 1, 2 or 'auto'"):
        resolve_verbose(3)


def test_a_bar_left_open_by_ctrl_c_is_closed_at_train_end(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    stream = io.StringIO()
    logger = ProgressLogger(1, epochs=3, n_batches=10, stream=stream)
    logger.on_train_begin()
    logger.on_epoch_begin(0)
    logger.on_batch_end(0, {"loss": 1.0})
    logger.on_train_end()  # no on_epoch_end: the epoch was interrupted
    assert stream.getvalue().endswith("Epoch 1/3 - interrupted" + " " * 10 + "\n")


@pytest.mark.parametrize("seconds, text", [(0.0004, "0ms"), (0.25, "250ms"), (1.5, "1.50s"),
                                           (59.994, "59.99s"), (61, "1m01s"), (3600, "60m00s")])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text
