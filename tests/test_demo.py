"""`numnet demo`: trains on built-in data, prints results and writes its pictures."""
import sys

import pytest

import numnet
from numnet.cli import main

PICTURES = ["spiral_network.png", "spiral_boundary.png", "spiral_history.png",
            "digits_network.png", "digits_history.png", "digits_confusion.png"]


def test_demo_trains_prints_results_and_writes_pngs(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "pictures"
    assert main(["demo", "--out", str(out), "--epochs", "5", "--digits-epochs", "2"]) == 0
    text = capsys.readouterr().out
    assert 'Model: "sequential"' in text and "Total params: 4,547" in text  # the summaries
    assert "Epoch 5/5" in text and "Epoch 2/2" in text  # the progress
    assert "Results" in text and "spiral" in text and "digits" in text
    assert f"Pictures written to {out.resolve()}" in text
    for name in PICTURES:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name


def test_demo_without_matplotlib_still_trains(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "numnet.plot", None)
    monkeypatch.delattr(numnet, "plot", raising=False)
    assert main(["demo", "--out", str(tmp_path), "--epochs", "2", "--digits-epochs", "1"]) == 0
    text = capsys.readouterr().out
    assert "Results" in text and 'pip install ".[plot]"' in text
    assert not list(tmp_path.glob("*.png"))


def test_demo_rejects_zero_epochs_as_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--out", str(tmp_path), "--epochs", "0"])
    assert exit_.value.code == 2  # argparse: usage message, exit code 2
    assert "argument --epochs: expected a positive whole number, got '0'" in capsys.readouterr().err
