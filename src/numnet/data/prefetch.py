"""Reading the next chunk while the current one trains.

Decoding Parquet or parsing CSV releases the GIL for most of its work, as do
NumPy's matrix products; one background thread reading one chunk ahead lets
the two overlap. Memory grows by one chunk at most.
"""
from __future__ import annotations

import queue
import threading

_DONE = object()


def prefetch(chunks, depth: int = 1):
    """Yield the items of ``chunks``, read ``depth`` items ahead in a background thread.

    An exception raised while reading is raised here, at the item where it happened.
    Stopping early (``close()`` or garbage collection) stops the thread after the item it
    is reading.
    """
    ahead = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def read():
        try:
            for chunk in chunks:
                if not _put(ahead, (chunk, None), stop):
                    return
            _put(ahead, (_DONE, None), stop)
        except BaseException as exc:  # handed to the consumer, raised in its thread
            _put(ahead, (None, exc), stop)

    thread = threading.Thread(target=read, name="numnet-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            chunk, error = ahead.get()
            if error is not None:
                raise error
            if chunk is _DONE:
                return
            yield chunk
            del chunk  # do not hold the previous chunk while waiting for the next
    finally:
        stop.set()


def _put(ahead, item, stop) -> bool:
    """Put ``item``, giving up once the consumer has stopped (so the thread can end)."""
    while not stop.is_set():
        try:
            ahead.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False
