"""Data-parallel training over MPI: ``model.fit(..., strategy=DataParallel())``.

Run the same script on every rank, e.g. ``mpiexec -n 4 python train.py``::

    from numnet.distributed import DataParallel

    strategy = DataParallel()                 # MPI.COMM_WORLD; comm=... for another
    model.fit(X, y, epochs=10, batch_size=256, random_state=0, strategy=strategy)
    if strategy.is_chief:                     # only rank 0 writes files
        model.save("model.numnet")

Semantics
---------
- ``batch_size`` is the **global** batch: numnet splits each batch among the ranks
  (every rank passes the same arrays), or, with ``DataParallel(sharded=True)``, each
  rank reads its own shard with a ``batch_size / n_ranks`` share.
- Rank 0's initial weights (and BatchNorm running statistics) and its shuffling
  stream are broadcast, so every rank starts and shuffles alike.
- Gradients are averaged with one ``Allreduce`` on the flat gradient buffer per step,
  weighted by each rank's rows (a short last batch stays exact). The loss and the
  metrics' running totals are summed over ranks, so logs, validation and
  early-stopping decisions agree on every rank and all ranks stop together.
- BatchNorm uses the statistics of the **global** batch (one small all-gather per
  layer in forward, one small all-reduce in backward).
- Dropout masks come from seeds derived from the shuffling stream and the rank: a
  run with ``random_state`` is reproducible for a fixed number of ranks only.
- A rank that raises (other than a divergence, which every rank detects together)
  aborts the whole job with ``MPI.Abort`` instead of leaving the others waiting.

Needs the ``mpi`` extra: ``pip install ".[mpi]"`` (mpi4py and the mpich wheel,
which brings ``mpiexec``; no system MPI needed). ``import numnet`` never imports MPI.
"""
from numnet.distributed.data_parallel import DataParallel
from numnet.distributed.split import rank_rows

__all__ = ["DataParallel", "rank_rows"]
