"""The one place that imports mpi4py, with an install hint when it is missing."""
from __future__ import annotations

import time


def import_mpi():
    """Return the ``mpi4py.MPI`` module, or raise ImportError saying how to install it."""
    try:
        from mpi4py import MPI
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError('numnet.distributed needs mpi4py and an MPI library; install both with '
                          'pip install ".[mpi]" (mpi4py and the mpich wheel, which brings '
                          "mpiexec)") from exc
    return MPI


class CollectiveTimeoutError(RuntimeError):
    """A collective operation waited longer than the strategy's ``timeout``."""


def wait(request, timeout: float | None, what: str, rank: int) -> None:
    """Complete a non-blocking MPI ``request``, raising after ``timeout`` seconds.

    MPI's blocking collectives cannot time out; polling a non-blocking one can,
    so a rank whose partner died or hangs fails with a message instead of waiting
    forever. ``timeout=None`` waits like the blocking call.
    """
    if timeout is None:
        request.Wait()
        return
    deadline = time.monotonic() + timeout
    while not request.Test():
        if time.monotonic() > deadline:
            raise CollectiveTimeoutError(
                f"rank {rank} waited more than {timeout:g} s in {what}: another rank has probably "
                "died or hangs; check its output above, or raise DataParallel(timeout=...) if "
                "a rank legitimately needs longer between steps")
        time.sleep(0)  # let the other ranks' processes run on a busy machine
