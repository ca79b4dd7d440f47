"""The core needs only NumPy: importing numnet must not load any optional extra."""
import subprocess
import sys

OPTIONAL = ["matplotlib", "sklearn", "scipy", "pandas", "onnx", "onnxruntime", "tqdm", "torch"]


def test_import_numnet_and_train_loads_no_optional_package():
    code = (
        "import sys\n"
        "from numnet import Sequential, Dense, ReLU, Softmax, spiral_data\n"
        "X, y = spiral_data(20, 3, random_state=0)\n"
        "model = Sequential([Dense(2, 8), ReLU(), Dense(8, 3), Softmax()], random_state=0)\n"
        "model.compile().fit(X, y, epochs=2, verbose=0)\n"
        "model.summary(print_fn=None)\n"
        f"print(sorted(name for name in {OPTIONAL!r} if name in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
