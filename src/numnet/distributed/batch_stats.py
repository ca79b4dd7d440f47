"""BatchNorm statistics over the global batch, for ``BatchNorm.stats_reducer``."""
from __future__ import annotations

import numpy as np

from numnet.distributed._mpi import wait


class GlobalBatchStats:
    """Turns one rank's BatchNorm batch statistics into those of the global batch.

    One instance per BatchNorm layer: :meth:`moments` (forward) remembers each
    rank's share of the batch, which :meth:`gradient_means` (backward) needs.

    Parameters
    ----------
    comm : mpi4py communicator
    mpi : the ``mpi4py.MPI`` module
    timeout : float or None
        Seconds a collective may wait (see :func:`numnet.distributed._mpi.wait`).
    """

    def __init__(self, comm, mpi, timeout=None):
        self.comm, self.mpi, self.timeout = comm, mpi, timeout
        self._share = None

    def moments(self, mean, var, n_rows):
        """Global mean and (biased) variance per feature from every rank's own.

        Parameters
        ----------
        mean, var : ndarray of shape (n_features,)
            This rank's batch statistics.
        n_rows : int
            This rank's batch size.

        Returns
        -------
        mean, var : ndarray of shape (n_features,), in ``mean``'s dtype

        Notes
        -----
        Ranks send ``(n_r, mean_r, var_r)`` rather than sums of squares:
        ``var = sum_r n_r (var_r + (mean_r - mean)^2) / N`` never subtracts two large
        numbers, so float32 keeps its digits when the features' means are large.
        """
        local = np.concatenate([[float(n_rows)], mean, var]).astype(np.float64)
        table = np.empty((self.comm.Get_size(), local.size))
        wait(self.comm.Iallgather(local, table), self.timeout, "BatchNorm's statistics", self.comm.Get_rank())
        counts, means, variances = table[:, 0], table[:, 1:1 + mean.size], table[:, 1 + mean.size:]
        shares = counts / counts.sum()
        g_mean = shares @ means
        g_var = shares @ (variances + (means - g_mean) ** 2)
        self._share = float(shares[self.comm.Get_rank()])
        return g_mean.astype(mean.dtype), g_var.astype(var.dtype)

    def gradient_means(self, *means):
        """Global-batch means of backward's per-feature sums, in this rank's units.

        Parameters
        ----------
        *means : ndarray of shape (n_features,)
            This rank's means over its rows of ``d_hat`` and ``d_hat * X_hat``.

        Returns
        -------
        tuple of ndarray of shape (n_features,)

        Notes
        -----
        The loss divides this rank's ``dY`` by its own ``n_r`` rows, not by the
        global ``N``: in global units its rows carry ``s_r dY`` with share
        ``s_r = n_r / N``. The global mean ``(1/N) sum_r s_r n_r m_r``, turned back
        into this rank's units (divided by ``s_r``), is ``sum_r s_r**2 m_r / s_r``;
        with one rank it is ``m`` itself.
        """
        if self._share is None:
            raise RuntimeError("BatchNorm backward ran before a training forward; call "
                               "forward(X, training=True) first")
        share = self._share
        local = np.concatenate(means).astype(np.float64) * share * share
        wait(self.comm.Iallreduce(self.mpi.IN_PLACE, local, op=self.mpi.SUM), self.timeout,
             "BatchNorm's backward", self.comm.Get_rank())
        local /= share
        return tuple(part.astype(m.dtype) for part, m in zip(np.split(local, len(means)), means))
