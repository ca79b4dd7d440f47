"""``DataParallel``: the strategy ``Sequential.fit(..., strategy=...)`` calls into.

The training loop calls, in this order: :meth:`setup` once, :meth:`guard` around
the epochs, :meth:`local_batches` on each epoch's batches, :meth:`reduce_gradients`
after each backward, :meth:`reduce_epoch` at each epoch's end, and reads
:attr:`is_chief` to decide who prints.
"""
from __future__ import annotations

import contextlib
import copy
import itertools
import sys
import time
import traceback
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from numnet.distributed._mpi import import_mpi, wait
from numnet.distributed.batch_stats import GlobalBatchStats
from numnet.distributed.split import rank_rows, shard_batch_size
from numnet.exceptions import TrainingDivergedError

# Attributes of a streaming metric that hold running totals (sums over rows).
_METRIC_TOTALS = ("_total", "_count", "_sums")


class DataParallel:
    """Train one model on several MPI ranks, each on part of every global batch.

    Parameters
    ----------
    comm : mpi4py communicator, optional
        Defaults to ``MPI.COMM_WORLD``.
    sharded : bool, default False
        False: every rank passes the same arrays and numnet splits each global
        batch among the ranks. True: every rank passes its own shard; each takes
        its share of ``batch_size`` per step, and an epoch has as many steps as
        the smallest shard allows (the others' remaining rows come up in later,
        reshuffled epochs).
    timeout : float or None, default 300
        Seconds a rank waits in a per-step collective before it raises
        (another rank died or hangs). None waits forever.

    Attributes
    ----------
    allreduce_seconds : float
        Time spent in the gradient all-reduce during the last fit (for benchmarks).
    steps : int
        Optimizer steps in the last fit.
    """

    # Filled in by setup and the first steps; declared so the type checker knows they vary.
    _buffer: Any
    _n_steps: Any
    _repeat: Any

    def __init__(self, comm: Any = None, sharded: bool = False,
                 timeout: float | None = 300.0) -> None:
        if not isinstance(sharded, bool):
            raise TypeError(f"sharded must be True or False, got {type(sharded).__name__} {sharded!r}")
        if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
            raise ValueError(f"timeout must be a number of seconds > 0 or None, got {timeout!r}")
        if comm is not None and not all(hasattr(comm, name) for name in ("Get_rank", "Iallreduce")):
            raise TypeError(f"comm must be an mpi4py communicator such as MPI.COMM_WORLD, got "
                            f"{type(comm).__name__}")
        self.MPI = import_mpi()
        self.comm = self.MPI.COMM_WORLD if comm is None else comm
        self.sharded, self.timeout = sharded, timeout
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        self.allreduce_seconds, self.steps = 0.0, 0
        self._buffer, self._n_steps, self._reducers = None, None, []
        self._metrics, self._last_loss, self._repeat = [], 0.0, None

    @property
    def is_chief(self) -> bool:
        """True on rank 0, the only rank that prints progress or should write files."""
        return self.rank == 0

    def __repr__(self):
        return f"DataParallel(rank={self.rank}, size={self.size}, sharded={self.sharded})"

    # -- once per fit ---------------------------------------------------------
    def local_batch_size(self, batch_size: int) -> int:
        """The batch size this rank's own batches use: the global one, or its share if sharded."""
        if not self.sharded:
            return batch_size
        if batch_size < self.size:
            raise ValueError(f"batch_size is the global batch and must be >= the number of ranks "
                             f"({self.size}) with sharded=True, got {batch_size}")
        return shard_batch_size(batch_size, self.rank, self.size)

    def setup(self, model: Any, rng: np.random.Generator, n_batches: int | None
              ) -> np.random.Generator:
        """Make every rank start alike; return the shuffling Generator every rank uses.

        Checks that the ranks agree on the model and the data, broadcasts rank 0's
        weights and shuffling stream, seeds Dropout per rank and plugs the global
        statistics into BatchNorm layers.
        """
        self._check_agreement(model, n_batches)
        self._broadcast_weights(model)
        rng = copy.deepcopy(rng)  # the caller's Generator is not moved to rank 0's state
        rng.bit_generator.state = self.comm.bcast(rng.bit_generator.state, root=0)
        self._seed_dropout(model, rng)
        self._install_batch_stats(model)
        self._metrics = model.metrics
        self.allreduce_seconds, self.steps = 0.0, 0
        self._buffer = np.empty(model._flat.gradients.size + 2, model._flat.gradients.dtype)
        self._n_steps = self.comm.allreduce(n_batches, op=self.MPI.MIN) if self.sharded else None
        return rng

    def _check_agreement(self, model, n_batches):
        mine = (model._flat.values.size, model._flat.values.dtype.str,
                None if self.sharded else n_batches)
        everyone = self.comm.allgather(mine)
        # Raised on every rank alike, so no rank is left waiting in a collective.
        if len(set(everyone)) > 1:
            raise ValueError("the ranks disagree on (n_params, dtype, batches per epoch): "
                             f"{everyone}; every rank must build the same model and pass the same "
                             "batch_size and, unless DataParallel(sharded=True), the same arrays")

    def _broadcast_weights(self, model):
        self.comm.Bcast(model._flat.values, root=0)
        for layer in model.layers:
            for value in getattr(layer, "state", {}).values():
                self.comm.Bcast(value, root=0)

    def _seed_dropout(self, model, rng):
        # Derived from a copy, so rank 0's shuffling stream is the one a single
        # process with the same random_state would use.
        base = int(copy.deepcopy(rng).integers(2**63))
        for index, layer in enumerate(model.layers):
            if hasattr(layer, "reseed"):
                layer.reseed(np.random.default_rng([base, self.rank, index]))

    def _install_batch_stats(self, model):
        self._reducers = [layer for layer in model.layers if hasattr(layer, "stats_reducer")]
        for layer in self._reducers:
            layer.stats_reducer = GlobalBatchStats(self.comm, self.MPI, self.timeout)

    @contextlib.contextmanager
    def guard(self, model: Any) -> Iterator[DataParallel]:
        """Context around training: unplugs BatchNorm afterwards; aborts all ranks on a lone error.

        A divergence is detected by every rank together and raised on each. Any
        other exception may be this rank's alone, and the others would wait for
        it in the next collective: print it, then ``MPI.Abort`` the whole job.
        """
        try:
            yield self
        except TrainingDivergedError:
            raise
        except BaseException:
            if self.size > 1:
                sys.stderr.write(f"numnet.distributed: rank {self.rank} of {self.size} failed; "
                                 "aborting every rank:\n" + traceback.format_exc())
                sys.stderr.flush()
                # The launcher forwards each rank's output asynchronously; Abort kills every
                # process at once, so give it a moment to pass the message on first.
                time.sleep(0.5)
                self.comm.Abort(1)
            raise
        finally:
            for layer in self._reducers:
                layer.stats_reducer = None
            self._reducers = []

    # -- every step -----------------------------------------------------------
    def local_batches(self, batches: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        """This rank's part of each global batch (or, sharded, the agreed number of batches)."""
        if self.sharded:
            yield from itertools.islice(batches, self._n_steps)
            return
        for batch in batches:
            n = len(batch[0])
            if n < self.size and not self.is_chief:
                # Every rank trains on this whole short batch, but only rank 0's rows
                # count in the epoch's logs: remember what to take back out.
                self._repeat = (n, [copy.deepcopy(_totals(metric)) for metric in self._metrics])
            rows = rank_rows(n, self.rank, self.size)
            yield tuple(None if a is None else a[rows] for a in batch)

    def reduce_gradients(self, gradients: np.ndarray, loss: float, n_rows: int) -> float:
        """Average ``gradients`` over ranks in place, weighted by rows; return the global loss.

        Parameters
        ----------
        gradients : ndarray of shape (n_params,)
            The model's flat gradient buffer: this rank's mean gradient over its rows.
        loss : float
            This rank's mean loss over its ``n_rows`` rows (may be non-finite).
        n_rows : int

        Returns
        -------
        float
            The global batch's loss; non-finite on every rank if it is on any,
            so all ranks raise the divergence together.
        """
        buf, size = self._buffer, gradients.size
        np.multiply(gradients, n_rows, out=buf[:size])  # a mean over n_r rows -> a sum
        buf[size], buf[size + 1] = loss * n_rows, n_rows
        start = time.perf_counter()
        wait(self.comm.Iallreduce(self.MPI.IN_PLACE, buf, op=self.MPI.SUM), self.timeout,
             "the gradient all-reduce", self.rank)
        self.allreduce_seconds += time.perf_counter() - start
        self.steps += 1
        self._last_loss = float(buf[size]) / float(buf[size + 1])
        np.divide(buf[:size], buf[size + 1], out=gradients)
        return self._last_loss

    def reduce_epoch(self, total: float, seen: int, metrics: Sequence[Any]
                     ) -> tuple[float, int]:
        """Sum the epoch's running loss total, row count and metric totals over ranks.

        Streaming metrics keep sums (hits and counts, sums of squares), so summing
        them over ranks gives exactly the metric of the whole epoch.
        """
        if self._repeat is not None:  # a short batch every rank trained on counts once
            n, before = self._repeat
            total, seen, self._repeat = total - self._last_loss * n, seen - n, None
            for metric, totals in zip(metrics, before):
                for name, value in totals.items():
                    setattr(metric, name, value)
        mine = (total, seen, [_totals(metric) for metric in metrics])
        everyone = self.comm.allgather(mine)
        for metric, parts in zip(metrics, zip(*(entry[2] for entry in everyone))):
            for name, values in _sum_totals(parts).items():
                setattr(metric, name, values)
        return sum(e[0] for e in everyone), sum(e[1] for e in everyone)


def _totals(metric) -> dict:
    return {name: getattr(metric, name) for name in _METRIC_TOTALS if hasattr(metric, name)}


def _sum_totals(parts) -> dict:
    """Add up each named total over ranks; ``None`` (a rank saw no rows) adds nothing."""
    summed = {}
    for name in parts[0]:
        values = [part[name] for part in parts if part.get(name) is not None]
        summed[name] = sum(values[1:], values[0]) if values else None
    return summed
