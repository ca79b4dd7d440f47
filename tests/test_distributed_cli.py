"""Issue 12: ``numnet train`` under ``mpiexec -n N`` trains data-parallel.

Two ranks launched by ``mpiexec`` (from the mpich wheel) must save the model that
one ``numnet train`` process saves with the same seed and batch size (float32, so
up to rounding), and only rank 0 prints or writes files. How a launch is detected
and what happens without mpi4py are tested without MPI.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

import numnet
from numnet.cli.main import main
from numnet.cli.train import MPI_SIZE_VARIABLES, mpi_strategy, mpi_world_size

BIN = Path(sys.executable).parent
SRC = Path(__file__).resolve().parents[1] / "src"
OPTIONS = ["--target", "label", "--layers", "16,8", "--epochs", "4", "--batch-size", "24",
           "--seed", "3", "--quiet"]


@pytest.fixture(autouse=True)
def _no_launcher(monkeypatch):
    # The in-process runs below are plain launches, whatever started pytest.
    for name in (*MPI_SIZE_VARIABLES, "PMIX_RANK"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def csv(tmp_path_factory):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 4)) * [1.0, 2.0, 0.5, 3.0]
    lines = ["a,b,c,d,colour,label"]
    for row in X:
        label = "yes" if row[0] + row[1] * row[2] > 0 else "no"
        colour = "red" if row[3] > 0 else "blue"
        lines.append(",".join(f"{v:.6f}" for v in row) + f",{colour},{label}")
    path = tmp_path_factory.mktemp("data") / "small.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _mpiexec_train(csv, out, *extra, timeout=90):
    pytest.importorskip("mpi4py", reason='MPI training needs pip install ".[mpi]" (mpi4py)')
    mpiexec, numnet_script = BIN / "mpiexec", BIN / "numnet"
    if not mpiexec.exists():
        pytest.skip(f"no mpiexec next to {sys.executable}; pip install \".[mpi]\" brings it")
    if not numnet_script.exists():
        pytest.skip(f"no numnet script next to {sys.executable}; pip install -e . makes it")
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])))
    command = [str(mpiexec), "-n", "2", str(numnet_script), "train", str(csv), *OPTIONS,
               "--out", str(out), *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=out.parent)


@pytest.fixture(scope="module")
def two_ranks(csv, tmp_path_factory):
    """One ``mpiexec -n 2 numnet train`` run: its output and the folder it wrote into."""
    folder = tmp_path_factory.mktemp("two_ranks")
    result = _mpiexec_train(csv, folder / "two.numnet")
    assert result.returncode == 0, result.stdout + result.stderr
    return result, folder


def test_two_ranks_save_the_model_one_process_saves(csv, two_ranks, tmp_path, capsys):
    assert main(["train", str(csv), *OPTIONS, "--out", str(tmp_path / "one.numnet")]) == 0
    capsys.readouterr()
    one, two = numnet.load(tmp_path / "one.numnet"), numnet.load(two_ranks[1] / "two.numnet")
    assert two.metadata["mpi_ranks"] == 2
    for expected, found in zip(one.get_weights(), two.get_weights(), strict=True):
        assert found.dtype == np.float32
        assert_allclose(found, expected, rtol=1e-4, atol=1e-5)


def test_only_rank_zero_prints_and_writes(two_ranks):
    result, folder = two_ranks
    assert result.stdout.count("saved the model to") == 1
    assert result.stdout.count("rows, 4 numeric and 1 text feature columns") == 1
    assert "data parallel on 2 MPI ranks" in result.stdout
    assert sorted(p.name for p in folder.iterdir()) == ["two.numnet", "two_training.png"]


def test_an_error_under_mpiexec_stops_every_rank_instead_of_hanging(csv, tmp_path):
    result = _mpiexec_train(csv, tmp_path / "two.numnet", "--stream", timeout=60)
    assert result.returncode != 0
    assert "error on MPI rank" in result.stderr
    assert "does not yet do under mpiexec (2 ranks)" in result.stderr
    assert not (tmp_path / "two.numnet").exists()


# -- launch detection, without MPI ------------------------------------------------
@pytest.mark.parametrize("name", MPI_SIZE_VARIABLES)
def test_the_launchers_size_variable_gives_the_number_of_ranks(monkeypatch, name):
    monkeypatch.setenv(name, "3")
    assert mpi_world_size() == 3


def test_a_plain_launch_trains_without_a_strategy():
    assert mpi_world_size() == 1
    assert mpi_strategy() is None


def test_several_ranks_without_mpi4py_is_an_error_with_the_install_hint(
        monkeypatch, csv, tmp_path, capsys):
    monkeypatch.setenv("PMI_SIZE", "2")
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # import mpi4py now raises ImportError
    monkeypatch.setitem(sys.modules, "mpi4py.MPI", None)
    with pytest.raises(ImportError, match=r'needs mpi4py.*pip install "\.\[mpi\]"'):
        mpi_strategy()
    assert main(["train", str(csv), *OPTIONS, "--out", str(tmp_path / "m.numnet")]) == 1
    assert 'pip install ".[mpi]"' in capsys.readouterr().err
    assert not (tmp_path / "m.numnet").exists()
