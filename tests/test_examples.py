"""Each example script runs, prints the answer it promises and writes its figures."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# masked_actions.py (question 4) belongs to the masked-softmax work and is tested with it.
SCRIPTS = ["softmax_axis.py", "dense_shapes.py", "regression_scaling.py", "digits_from_scratch.py",
           "batched_gradients.py"]


def run_example(name, folder, *extra):
    env = dict(os.environ, MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, str(EXAMPLES / name), str(folder), *extra],
                            capture_output=True, text=True, cwd=folder, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def number_after(label, text):
    match = re.search(re.escape(label) + r"\s*([-\d.]+)", text)
    assert match, f"{label!r} not in output"
    return float(match.group(1))


@pytest.mark.parametrize("name", SCRIPTS)
def test_example_starts_with_its_question_and_is_in_the_readme(name):
    first = (EXAMPLES / name).read_text().lstrip().splitlines()[0]
    assert first.startswith('"""Question'), first
    assert f"[`{name}`]({name})" in (EXAMPLES / "README.md").read_text()


def test_softmax_axis(tmp_path):
    out = run_example("softmax_axis.py", tmp_path)
    assert "logits Z2 have shape (150, 3)" in out
    assert "row sums lie in [1.000000, 1.000000]" in out
    assert "IndexError" in out and "each column sums to 1" in out
    assert "naive exp/sum gives [[nan" in out and "softmax gives [[1.0, 0.0, 0.0]]" in out
    assert (tmp_path / "softmax_axis.png").stat().st_size > 0


def test_dense_shapes(tmp_path):
    out = run_example("dense_shapes.py", tmp_path)
    assert re.search(r"X\s+\(300, 2\)", out)
    assert re.search(r"Dense\(2, 3\)\s+W\s+\(2, 3\)", out)
    assert re.search(r"X @ W \+ b\s+\(300, 3\)", out)
    assert "one product (300, 2) @ (2, 3): True" in out
    assert "Total params: 21" in out
    assert (tmp_path / "dense_shapes_network.png").stat().st_size > 0


def test_regression_scaling(tmp_path):
    out = run_example("regression_scaling.py", tmp_path)
    unscaled, features_only, both = out.split("\n1. ")[1], out.split("\n2. ")[1], out.split("\n3. ")[1]
    assert "TrainingDivergedError: Training diverged" in unscaled
    assert "FeatureScaleWarning" in unscaled
    assert "only learned the mean" in features_only and "saturated" in features_only
    assert number_after("R^2 =", both) > 0.85
    assert (tmp_path / "regression_scaling.png").stat().st_size > 0


def test_digits_from_scratch(tmp_path):
    out = run_example("digits_from_scratch.py", tmp_path)
    assert "64 pixel inputs" in out
    assert "one-hot [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]" in out
    assert "one-hot targets (1347, 10)" in out
    assert "argmax -> predicted digit" in out
    assert number_after("held-out accuracy:", out) > 0.9
    assert "confusion matrix (rows: true digit" in out
    for name in ("digits_confusion.png", "digits_history.png"):
        assert (tmp_path / name).stat().st_size > 0


def test_batched_gradients(tmp_path):
    out = run_example("batched_gradients.py", tmp_path, "2")  # 2 repetitions keep the test short
    assert "  passed (|analytic - numeric| <= " in out
    assert "output delta equals Y - T for all 4 instances: True" in out
    assert "== X @ W + b: True" in out
    assert "targets [0, 1, 1, 0], accuracy 1.00" in out
    assert "summed per-instance dE/dW equals the batched dE/dW: True" in out
    speedups = [float(s) for s in re.findall(r"([\d.]+)x\n", out)]
    assert len(speedups) == 2 and all(s > 1.0 for s in speedups)
    assert (tmp_path / "batched_gradients.png").stat().st_size > 0


@pytest.mark.parametrize("name", ["softmax_axis.py", "dense_shapes.py"])
def test_examples_still_answer_without_matplotlib(tmp_path, name):
    # A sitecustomize-free way to hide matplotlib: run the script with it blocked.
    code = (f"import sys, runpy; sys.modules['matplotlib'] = None; sys.argv = [{name!r}, {str(tmp_path)!r}]; "
            f"runpy.run_path({str(EXAMPLES / name)!r}, run_name='__main__')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert 'pip install ".[plot]"' in result.stdout
    assert not list(tmp_path.glob("*.png"))
