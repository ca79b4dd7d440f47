"""mypy over src/numnet finds no issues (its settings are in pyproject.toml's [tool.mypy]).

numnet ships ``py.typed``, so users' type checkers read its annotations; this test keeps them
consistent. It runs mypy in a subprocess; its incremental cache (``.mypy_cache``, ignored by
git) makes a second run take seconds, and a fresh CI machine starts without one.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_package_ships_py_typed():
    assert (ROOT / "src" / "numnet" / "py.typed").is_file()
    assert '"numnet" = ["py.typed"]' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_mypy_finds_no_issues_in_src_numnet():
    pytest.importorskip("mypy", reason='mypy is in the dev extra: pip install ".[dev]"')
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(ROOT / ".mypy_cache"),
         "--config-file", str(ROOT / "pyproject.toml")],
        cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
