"""Printing progress during ``fit``: a bar within each epoch, or one line per epoch.

The bar uses tqdm when it is installed (``pip install ".[plot]"`` brings
it): ``tqdm.auto``, a widget in a Jupyter notebook (where text bars would
pile up as separate stream outputs) and one updating line in a terminal.
Without tqdm, a plain carriage-return line. Both are optional extras: the
core stays NumPy-only, and it only looks at IPython if the kernel loaded it.
"""
from __future__ import annotations

import sys
import time

from numnet.model.callbacks import Callback


def format_logs(logs: dict) -> str:
    """``"loss: 0.1234 - accuracy: 0.9500"``: 4 decimals, or scientific notation when far from 1."""
    return " - ".join(f"{key}: {_number(value)}" for key, value in logs.items())


def _number(value: float) -> str:
    # Fixed width keeps the columns of successive epoch lines aligned; a diverging loss
    # (1e12) or a tiny one (1e-7) still shows its magnitude.
    return f"{value:.4f}" if 1e-3 <= abs(value) < 1e5 or value == 0 else f"{value:.3e}"


def resolve_verbose(verbose) -> int:
    """``"auto"``: a bar (1) on a terminal or as a notebook widget, one line per epoch (2) otherwise."""
    if verbose == "auto":
        return 1 if sys.stdout.isatty() or notebook_widgets() else 2
    if verbose not in (0, 1, 2, True, False):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
    return int(verbose)


def in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython's ZMQ shell); never imports IPython itself."""
    ipython = sys.modules.get("IPython")
    shell = getattr(ipython, "get_ipython", lambda: None)() if ipython else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def notebook_widgets() -> bool:
    """True in a notebook where tqdm can draw a widget (tqdm and ipywidgets installed)."""
    if not in_notebook():
        return False
    try:
        import ipywidgets  # noqa: F401
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


def format_duration(seconds: float) -> str:
    """``0.0123`` -> ``"12ms"``, ``4.5`` -> ``"4.50s"``, ``125`` -> ``"2m05s"``.

    Examples
    --------
    >>> format_duration(0.0123), format_duration(4.5), format_duration(125)
    ('12ms', '4.50s', '2m05s')
    """
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes}m{rest:02d}s"


class ProgressLogger(Callback):
    """Prints training progress; ``mode`` 1 is a bar, 2 one line per epoch.

    Each epoch ends with one line: epoch, time, an estimate of the time left
    for the remaining epochs (while there are some), loss and metrics.
    """

    def __init__(self, mode: int, epochs: int, n_batches: int, stream=None):
        self.mode, self.epochs, self.n_batches = mode, epochs, n_batches
        self.stream = stream or sys.stdout
        self._bar = None
        self._train_start = None
        self._epochs_done = 0

    def on_train_begin(self, logs=None):
        """Start the clock for the whole run."""
        self._train_start = time.perf_counter()
        self._epochs_done = 0

    def on_epoch_begin(self, epoch, logs=None):
        """Start the epoch's clock and, with verbose=1, its progress bar."""
        self._start = time.perf_counter()
        if self._train_start is None:
            self._train_start = self._start
        self._epoch = epoch
        if self.mode == 1:
            self._bar = _make_bar(self.n_batches, f"Epoch {epoch + 1}/{self.epochs}", self.stream)

    def on_batch_end(self, batch, logs=None):
        """Move the progress bar to the batch just done, with its running logs."""
        if self._bar is not None:
            self._bar.update(batch + 1, logs)

    def on_epoch_end(self, epoch, logs=None):
        """Print the epoch's line: number, duration, time left, loss and metrics."""
        now = time.perf_counter()
        parts = [f"Epoch {epoch + 1}/{self.epochs}", format_duration(now - self._start)]
        left = self.epochs - epoch - 1
        self._epochs_done += 1  # not epoch + 1: fit(initial_epoch=...) starts later
        if left > 0:  # the mean epoch so far times the epochs left (an upper bound with early stopping)
            parts.append("ETA " + format_duration((now - self._train_start) / self._epochs_done * left))
        if logs:
            parts.append(format_logs(logs))
        line = " - ".join(parts)
        if self._bar is not None:
            self._bar.close(line)
            self._bar = None
        else:
            print(line, file=self.stream, flush=True)

    def on_train_end(self, logs=None):
        """Close a bar that Ctrl+C left half-way, marking the epoch interrupted."""
        if self._bar is not None:  # Ctrl+C stopped an epoch half-way: end its bar cleanly
            self._bar.close(f"Epoch {self._epoch + 1}/{self.epochs} - interrupted")
            self._bar = None


def _make_bar(total, description, stream):
    try:
        import tqdm  # optional: a real progress bar with ETA
    except ImportError:
        return _PlainBar(total, description, stream)
    if notebook_widgets():  # tqdm.auto picks the widget here; text bars would pile up as outputs
        from tqdm.auto import tqdm as widget

        return _TqdmBar(widget(total=total, desc=description, leave=False, unit="batch"), stream)
    return _TqdmBar(tqdm.tqdm(total=total, desc=description, file=stream, leave=False,
                              unit="batch", dynamic_ncols=True), stream)


class _TqdmBar:
    def __init__(self, bar, stream):
        self.bar, self._done, self.stream = bar, 0, stream
        self._last = 0.0

    def update(self, done, logs):
        now = time.perf_counter()
        if now - self._last > 0.1 or done == self.bar.total:  # redraw at most 10 times a second
            if logs:  # set before update(), which redraws: otherwise the shown loss lags a step
                self.bar.set_postfix_str(format_logs(logs), refresh=False)
            self.bar.update(done - self._done)
            self._done = done
            self._last = now

    def close(self, line):
        self.bar.close()
        # tqdm.write clears a text bar first; a widget is closed already: print plainly.
        self.bar.write(line, file=self.stream)


class _PlainBar:
    def __init__(self, total, description, stream):
        self.total, self.description, self.stream = total, description, stream
        self._start = self._last = time.perf_counter()

    def update(self, done, logs):
        now = time.perf_counter()
        if now - self._last < 0.1 and done != self.total:
            return
        self._last = now
        if self.total is None:  # a data source of unknown length: count batches, no ETA
            self.stream.write(f"\r{self.description} {done} batches {format_logs(logs or {})}")
            self.stream.flush()
            return
        eta = (now - self._start) / done * (self.total - done)
        filled = int(20 * done / self.total)
        bar = "=" * filled + "." * (20 - filled)
        text = f"\r{self.description} [{bar}] {done}/{self.total} ETA {eta:.1f}s {format_logs(logs or {})}"
        self.stream.write(text)
        self.stream.flush()

    def close(self, line):
        self.stream.write("\r" + line + " " * 10 + "\n")
        self.stream.flush()
