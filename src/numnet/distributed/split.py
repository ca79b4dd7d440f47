"""Which rows of a global batch each rank trains on (pure NumPy, no MPI)."""
from __future__ import annotations


def rank_rows(n_rows: int, rank: int, n_ranks: int) -> slice:
    """The slice of a global batch of ``n_rows`` rows that ``rank`` trains on.

    Ranks get contiguous, near-equal parts (sizes differ by at most one). A batch
    with fewer rows than ranks (the short last batch of an epoch) is given whole
    to every rank: each rank's gradient is then the full batch's, and averaging
    the ranks weighted by their rows gives that same gradient back, so no rank
    ever trains on an empty batch.

    Examples
    --------
    >>> rank_rows(10, 0, 3), rank_rows(10, 2, 3)
    (slice(0, 3, None), slice(6, 10, None))
    >>> rank_rows(1, 1, 2)
    slice(0, 1, None)
    """
    if n_rows < n_ranks:
        return slice(0, n_rows)
    return slice(n_rows * rank // n_ranks, n_rows * (rank + 1) // n_ranks)


def shard_batch_size(batch_size: int, rank: int, n_ranks: int) -> int:
    """This rank's share of a global ``batch_size`` when each rank reads its own shard.

    Examples
    --------
    >>> [shard_batch_size(10, r, 3) for r in range(3)]
    [3, 3, 4]
    """
    part = rank_rows(batch_size, rank, n_ranks)
    return part.stop - part.start
