"""The benchmark states issue 11's targets, and its batch-predict measurement runs (nothing is timed here)."""
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from numnet import Dense, ReLU, Sequential, Softmax

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture
def bench(monkeypatch):
    """bench/run.py and bench/report.py, with bench/ on a copy of sys.path for this test only."""
    monkeypatch.setattr(sys, "path", [str(BENCH), *sys.path])  # run.py inserts into this copy
    spec = importlib.util.spec_from_file_location("bench_run", BENCH / "run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    return run, run.report


def _timed(seconds, floor=1.0):
    return {"times": [seconds] * 3, "floor_times": [floor] * 3, "accuracy": 0.9}


def test_targets_give_the_ratio_to_the_hand_loop_and_to_the_floor(bench):
    _, report = bench
    timing = {"W1": {"hand": _timed(1.0), "numnet": _timed(1.04, floor=0.5)},
              "W4": {"hand": _timed(2.0), "numnet": _timed(2.4, floor=2.0)}}
    predict = {"numnet": {"median_us": 11.5, "batch": {"rows": 10_000, "predict_ms": 3.0, "products_ms": 2.0}}}
    text = report._targets({"timing": timing, "predict": predict, "memory": {}, "meta": {"quick": False}})
    assert "| W1: numnet fit ≤ 1.05× the hand-written NumPy loop | 1.04× | met |" in text
    assert "| W4: numnet fit ≤ 1.05× the hand-written NumPy loop | 1.20× | **not met** |" in text
    assert "| W1: numnet fit ≤ 2.5× GEMM floor | 2.08× | met |" in text
    assert "| W4: numnet fit ≤ 1.2× GEMM floor | 1.20× | met |" in text
    assert "single-row predict ≤ 12 µs" in text and "11.5 µs | met" in text
    assert "predict of 10,000 W2 rows ≤ 1.2× the bare matrix products | 1.50× " in text
    assert text.rstrip().endswith("**not met** |")


def test_the_hand_loop_ratio_uses_the_runs_paired_with_numnets_fits_when_there_are_some(bench):
    _, report = bench
    numnet = {"times": [1.10, 1.0, 1.20], "hand_times": [1.0, 1.08, 1.06], "accuracy": 0.9}
    # Pairs 1.10, 0.93, 1.13: their median, not the ratio of the medians (1.10 / 1.06).
    timing = {"W2": {"hand": _timed(0.8), "numnet": numnet}}
    text = report._targets({"timing": timing, "predict": {}, "memory": {}, "meta": {"quick": False}})
    assert "| W2: numnet fit ≤ 1.05× the hand-written NumPy loop | 1.10× (paired) | **not met** |" in text


def test_batch_predict_times_predict_and_the_bare_products_of_the_same_network(bench):
    run, _ = bench
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 4)).astype(np.float32)
    model = Sequential([Dense(4, 6), ReLU(), Dense(6, 3), Softmax()], random_state=0)
    model.compile(loss="categorical_crossentropy", optimizer="adam")
    model.fit(X, rng.integers(0, 3, 50), epochs=1, verbose=0)
    result = run.batch_predict(model, X, rows=120, repeats=2)
    assert result["rows"] == 120
    assert result["predict_ms"] > 0 and result["products_ms"] > 0
