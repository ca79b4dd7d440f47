"""Dependencies point one way: the core never imports an edge, and the version is written once."""
import ast
import pathlib
import subprocess
import sys

import pytest

import numnet

SRC = pathlib.Path(numnet.__file__).parent
EDGES = ("sklearn", "plot", "onnx", "cli", "playground")


def _core_modules():
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC).parts
        if parts[0] not in EDGES:
            yield path


def _imported_modules(tree):
    """Every module an ``import`` or ``from ... import`` names, at any depth (lazy ones too)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_no_core_module_imports_an_edge_even_lazily():
    offenders = []
    for path in _core_modules():
        for name in _imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
            if name.split(".")[:2] in [["numnet", edge] for edge in EDGES]:
                offenders.append(f"{path.relative_to(SRC)} imports {name}")
    assert offenders == []


def test_saving_and_loading_a_model_never_imports_the_sklearn_wrapper(tmp_path):
    code = (
        "import sys\n"
        "import numnet.io\n"
        "from numnet import Sequential, Dense, Softmax\n"
        "model = Sequential([Dense(2, 3), Softmax()], random_state=0).compile()\n"
        f"numnet.io.save_model(model, {str(tmp_path / 'm.numnet')!r})\n"
        f"numnet.io.load_model({str(tmp_path / 'm.numnet')!r})\n"
        "print(sorted(m for m in ('numnet.sklearn', 'sklearn', 'scipy') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_old_io_names_say_where_estimator_files_moved():
    import numnet.io

    with pytest.raises(ImportError, match=r"numnet\.io\.save_estimator moved to "
                                          r"numnet\.sklearn\.save_estimator"):
        from numnet.io import save_estimator  # noqa: F401
    with pytest.raises(ImportError, match=r"use from numnet\.sklearn import load_estimator"):
        numnet.io.load_estimator
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        numnet.io.nothing


def test_estimator_files_live_with_the_sklearn_wrapper():
    pytest.importorskip("sklearn")
    from numnet.sklearn import load_estimator, save_estimator

    assert save_estimator.__module__ == load_estimator.__module__ == "numnet.sklearn.persistence"


def test_the_version_is_written_in_one_place():
    from numnet._version import __version__

    assert numnet.__version__ == __version__
    pyproject = (SRC.parents[1] / "pyproject.toml")
    if not pyproject.exists():
        pytest.skip("not a source checkout")
    text = pyproject.read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in text
    assert 'version = {attr = "numnet._version.__version__"}' in text


def test_model_files_record_the_package_version(tmp_path):
    from numnet import Dense, Sequential, load

    Sequential([Dense(2, 1)], random_state=0).save(tmp_path / "m.numnet")
    assert load(tmp_path / "m.numnet").file_info["numnet_version"] == numnet.__version__
