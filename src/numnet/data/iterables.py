"""Sources over user code: any iterable of batches, or a function returning one."""
from __future__ import annotations

import inspect

from numnet.data.base import DataSource


class IterableSource(DataSource):
    """Batches ``(X, y)``, ``(X, y, sample_weight)`` or ``(X, y, sample_weight, mask)`` from user code.

    Parameters
    ----------
    batches : callable or iterable
        A function (e.g. a generator function) called once per epoch, or a
        re-iterable collection such as a list. A generator *object* can be
        iterated only once, so it serves one epoch only.
    n_batches : int, optional
        Batches per epoch, when known: gives the progress bar its ETA.
    """

    def __init__(self, batches, n_batches=None, **options):
        super().__init__(**options)
        if not (callable(batches) or hasattr(batches, "__iter__")):
            raise TypeError(f"batches must be an iterable of (X, y) tuples or a function returning "
                            f"one, got {type(batches).__name__}")
        self.source = batches
        self.one_shot = inspect.isgenerator(batches) or iter(batches) is batches \
            if not callable(batches) else False
        self._n_batches = n_batches
        self._used = False

    def chunks(self, shuffle, rng):
        """The user's batches, one epoch; a generator object can run only once."""
        if self.one_shot and self._used:
            raise ValueError("this data source wraps a generator object, which runs only once, and it "
                             "was already used; pass the generator function itself (without calling "
                             "it), e.g. from_batches(make_batches), so that every epoch calls it again")
        self._used = True
        yield from (self.source() if callable(self.source) else self.source)

    def n_batches(self, batch_size=32):
        """The ``n_batches`` given to the constructor (None: unknown)."""
        return self._n_batches

    def batches(self, batch_size=32, shuffle=False, rng=None):
        """The user's batches as given, or re-cut by ``batch_size``/``shuffle`` set on the source."""
        # The user's batches are kept as given, in their order (their size and order are the
        # user's choice, as with Keras generators); batch_size or shuffle=True set on the
        # source re-cuts them through the shuffle buffer.
        if self.batch_size is None and not self.shuffle:
            from numnet.data.buffer import check_chunks

            return check_chunks(self.chunks(False, rng))
        return super().batches(batch_size, bool(self.shuffle), rng)

    def peek(self):
        """The first batch; refused for a generator object, which cannot be read twice."""
        if self.one_shot:
            raise ValueError("a generator object cannot be looked at and then trained on; pass the "
                             "generator function itself, e.g. from_batches(make_batches)")
        return super().peek()

    def __repr__(self):
        return f"IterableSource({getattr(self.source, '__name__', type(self.source).__name__)})"
