"""Issue 12 section 4: data-parallel training over MPI (``numnet.distributed``).

The MPI tests launch ``mpiexec -n 2`` (from the mpich wheel) on this very file,
which doubles as the worker script (see ``_worker``). 2 ranks with a global batch
of 32 must end with the weights and the history of 1 process with batch 32 on the
same data order (float64: 1e-12), for SGD and Adam, with and without a short last
batch, and with BatchNorm. The pure parts (how a batch is split, how BatchNorm's
statistics combine) are tested without MPI.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from numnet import SGD, Adam, BatchNorm, Dense, Dropout, EarlyStopping, ReLU, Sequential, Softmax
from numnet.distributed.split import rank_rows, shard_batch_size

HERE = Path(__file__).resolve()
MPIEXEC = Path(sys.executable).with_name("mpiexec")
# Every exactness scenario: (optimizer, n_samples, batch_norm). 100 rows leave a
# short last batch of 4; 97 a last batch of 1, fewer rows than ranks.
SCENARIOS = {
    "sgd": ("sgd", 96, False),
    "sgd_short": ("sgd", 100, False),
    "sgd_one_row": ("sgd", 97, False),
    "adam": ("adam", 96, False),
    "adam_short": ("adam", 100, False),
    "batchnorm_sgd_short": ("sgd", 100, True),
    "batchnorm_adam_short": ("adam", 100, True),
    "batchnorm_adam_one_row": ("adam", 97, True),
}


# -- the workload, shared by the ranks and the single-process reference -------
def _data(n, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5)) * [1.0, 3.0, 0.5, 2.0, 1.0] + [0.0, 4.0, -1.0, 0.0, 2.0]
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 4.0).astype(int) + (X[:, 3] > 1.0)
    return X, y


def _model(optimizer, batch_norm=False, dropout=0.0):
    # BatchNorm after ReLU, not right after Dense: a bias just before BatchNorm has a zero
    # gradient, so its value is rounding noise that no tolerance can compare.
    layers = [BatchNorm(), Dense(5, 16), ReLU(), BatchNorm()] if batch_norm else [Dense(5, 16), ReLU()]
    layers += ([Dropout(dropout)] if dropout else []) + [Dense(16, 3), Softmax()]
    model = Sequential(layers, dtype=np.float64, random_state=7)
    opt = SGD(learning_rate=0.1, momentum=0.9) if optimizer == "sgd" else Adam(learning_rate=0.01)
    return model.compile(loss="categorical_crossentropy", optimizer=opt, metrics=["accuracy"])


def _train(name, strategy=None):
    optimizer, n, batch_norm = SCENARIOS[name]
    X, y = _data(n)
    X_val, y_val = _data(40, seed=2)
    model = _model(optimizer, batch_norm)
    history = model.fit(X, y, epochs=3, batch_size=32, random_state=0, verbose=0,
                        validation_data=(X_val, y_val), strategy=strategy)
    return model, history


def _record(model, history, out, prefix):
    for i, w in enumerate(model.get_weights()):
        out[f"{prefix}/w{i}"] = w
    for key, values in history.history.items():
        out[f"{prefix}/h_{key}"] = np.asarray(values, dtype=np.float64)


def _sharded_data():
    """Two shards of 48 rows, and the same rows in the order one process would see them."""
    X, y = _data(96, seed=3)
    shards = [(X[:48], y[:48]), (X[48:], y[48:])]
    # With shuffle=False, global batch b is rank 0's 16 rows b then rank 1's 16 rows b.
    order = np.concatenate([np.r_[b * 16:(b + 1) * 16, 48 + b * 16:48 + (b + 1) * 16] for b in range(3)])
    return shards, (X[order], y[order])


# -- the worker: run under mpiexec -------------------------------------------
def _worker(mode, out_dir):
    from numnet import TrainingDivergedError
    from numnet.distributed import DataParallel

    strategy = DataParallel(timeout=60)
    rank, out = strategy.rank, {}
    if mode == "die":
        _die_on_rank_1(strategy)
    for name in SCENARIOS:
        _record(*_train(name, strategy), out, name)
    shards, _ = _sharded_data()
    model = _model("adam")
    history = model.fit(*shards[rank], epochs=2, batch_size=32, shuffle=False, verbose=0,
                        strategy=DataParallel(sharded=True, timeout=60))
    _record(model, history, out, "sharded")
    for run in range(2):  # dropout: reproducible for a fixed number of ranks
        model = _model("adam", dropout=0.3)
        model.fit(*_data(64), epochs=2, batch_size=32, random_state=5, verbose=0, strategy=strategy)
        out[f"dropout{run}"] = model._flat.values.copy()
    model = Sequential([Dense(5, 1)], dtype=np.float64, random_state=0)
    model.compile(loss="mse", optimizer=SGD(learning_rate=1e3))  # overflows within ~20 epochs
    X, y = _data(96)
    try:
        model.fit(X, y.astype(float), epochs=60, batch_size=32, verbose=0, strategy=strategy)
    except TrainingDivergedError:
        out["diverged"] = np.array(1)
    model = _model("adam")
    stop = EarlyStopping(monitor="val_loss", patience=0, min_delta=10.0)
    history = model.fit(*_data(64), epochs=10, batch_size=32, validation_data=_data(20, 4),
                        random_state=0, verbose=0, callbacks=[stop], strategy=strategy)
    out["early_stop_epochs"] = np.array(len(history.history["loss"]))
    out["allreduce_steps"] = np.array(strategy.steps)
    np.savez(Path(out_dir) / f"rank{rank}.npz", **out)


class _Boom(RuntimeError):
    pass


def _die_on_rank_1(strategy):
    from numnet import Callback

    class DieOnRank1(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if strategy.rank == 1:
                raise _Boom("rank 1 fails on purpose")

    model = _model("sgd")
    model.fit(*_data(96), epochs=50, batch_size=32, verbose=0, callbacks=[DieOnRank1()],
              strategy=strategy)
    print("rank", strategy.rank, "finished training although rank 1 died", flush=True)


def _launch(mode, out_dir, timeout=120):
    pytest.importorskip("mpi4py", reason='numnet.distributed needs pip install "numnet[mpi]"')
    if not MPIEXEC.exists():
        pytest.skip(f"no mpiexec next to {sys.executable}; pip install mpich")
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(HERE.parents[1] / "src"),
                                                          os.environ.get("PYTHONPATH")])))
    return subprocess.run([str(MPIEXEC), "-n", "2", sys.executable, str(HERE), mode, str(out_dir)],
                          capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("mpi")
    result = _launch("exact", out_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    return [dict(np.load(out_dir / f"rank{r}.npz")) for r in range(2)]


# -- exactness: 2 ranks == 1 process ------------------------------------------
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_two_ranks_end_with_the_weights_and_history_of_one_process(ranks, name):
    model, history = _train(name)
    single = {}
    _record(model, history, single, name)
    for key, expected in single.items():
        assert_allclose(ranks[0][key], expected, rtol=1e-12, atol=1e-12, err_msg=key)


def test_every_rank_holds_bit_identical_weights(ranks):
    for key, value in ranks[0].items():
        np.testing.assert_array_equal(ranks[1][key], value, err_msg=key)


def test_sharded_ranks_match_one_process_on_the_interleaved_rows(ranks):
    _, (X, y) = _sharded_data()
    model = _model("adam")
    history = model.fit(X, y, epochs=2, batch_size=32, shuffle=False, verbose=0)
    single = {}
    _record(model, history, single, "sharded")
    for key, expected in single.items():
        assert_allclose(ranks[0][key], expected, rtol=1e-12, atol=1e-12, err_msg=key)


def test_dropout_runs_repeat_exactly_for_a_fixed_number_of_ranks(ranks):
    np.testing.assert_array_equal(ranks[0]["dropout0"], ranks[0]["dropout1"])


def test_divergence_raises_on_every_rank(ranks):
    assert all("diverged" in rank for rank in ranks)


def test_early_stopping_stops_every_rank_at_the_same_epoch(ranks):
    assert ranks[0]["early_stop_epochs"] == ranks[1]["early_stop_epochs"] < 10


def test_a_rank_that_raises_aborts_the_others_instead_of_hanging(tmp_path):
    result = _launch("die", tmp_path, timeout=60)
    assert result.returncode != 0
    assert "rank 1 of 2 failed" in result.stderr and "rank 1 fails on purpose" in result.stderr
    assert "finished training" not in result.stdout


# -- the parts without MPI ------------------------------------------------------
def test_rank_rows_cover_every_row_once():
    for n in (32, 33, 4, 7):
        parts = [rank_rows(n, r, 3) for r in range(3)]
        assert np.array_equal(np.concatenate([np.arange(n)[p] for p in parts]), np.arange(n))


def test_a_batch_smaller_than_the_ranks_goes_whole_to_every_rank():
    assert [rank_rows(1, r, 2) for r in range(2)] == [slice(0, 1)] * 2


def test_shard_batch_sizes_add_up_to_the_global_batch():
    assert sum(shard_batch_size(33, r, 4) for r in range(4)) == 33


class _FakeComm:
    """Stands in for MPI: two ranks' contributions are precomputed."""

    def __init__(self, table, rank):
        self.table, self.rank = table, rank

    def Get_rank(self):
        return self.rank

    def Get_size(self):
        return len(self.table)

    def Iallgather(self, send, recv):
        recv[...] = self.table
        return _Done()


class _Done:
    def Wait(self):
        pass


def test_global_batch_moments_equal_those_of_the_concatenated_rows():
    from numnet.distributed.batch_stats import GlobalBatchStats

    rng = np.random.default_rng(0)
    parts = [rng.normal(5.0, 2.0, size=(n, 3)) for n in (7, 12)]
    table = np.array([np.r_[len(p), p.mean(0), p.var(0)] for p in parts])
    stats = GlobalBatchStats(_FakeComm(table, 0), mpi=None, timeout=None)
    mean, var = stats.moments(parts[0].mean(0), parts[0].var(0), len(parts[0]))
    both = np.concatenate(parts)
    assert_allclose(mean, both.mean(0), rtol=1e-13)
    assert_allclose(var, both.var(0), rtol=1e-13)


def test_data_parallel_refuses_a_comm_that_is_not_a_communicator():
    pytest.importorskip("mpi4py")
    from numnet.distributed import DataParallel

    with pytest.raises(TypeError, match="comm must be an mpi4py communicator"):
        DataParallel(comm="world")
    with pytest.raises(ValueError, match="timeout must be a number of seconds"):
        DataParallel(timeout=-1)


def test_sharded_batch_must_hold_a_row_per_rank():
    pytest.importorskip("mpi4py")
    from numnet.distributed import DataParallel

    strategy = DataParallel(sharded=True)
    strategy.size = 4
    with pytest.raises(ValueError, match="batch_size is the global batch and must be >= the number"):
        strategy.local_batch_size(2)


if __name__ == "__main__":  # run by mpiexec: python tests/test_distributed.py MODE OUT_DIR
    _worker(sys.argv[1], sys.argv[2])
