"""Callbacks: hooks into ``Sequential.fit``.

Write your own by subclassing :class:`Callback` and overriding any of the
``on_*`` methods, or pass plain functions to :class:`LambdaCallback`. Set
``self.model.stop_training = True`` to stop after the current epoch.
"""
from __future__ import annotations

import csv
import math
import os

from typing import Any, Callable, Optional

import numpy as np

# The logs dict fit passes to every hook: metric name -> value (None before the first epoch).
Logs = Optional[dict]
# A LambdaCallback hook: a plain function, or None for no hook.
Hook = Optional[Callable[..., Any]]


class Callback:
    """Base class; every hook does nothing. ``self.model`` is set by ``fit``.

    ``logs`` is a dict of the epoch's numbers: ``loss``, each metric, and the
    same prefixed with ``val_`` when there is validation data.
    """

    model: Any = None  # the Sequential being trained, set by fit

    def set_model(self, model: Any) -> None:
        """Called by ``fit`` before training, so that every hook can reach ``self.model``."""
        self.model = model

    def on_train_begin(self, logs: Logs = None) -> None:
        """Called once when ``fit`` starts, before the first epoch (``logs`` is None)."""

    def on_train_end(self, logs: Logs = None) -> None:
        """Called once when training stops: after the last epoch, an early stop or Ctrl+C.

        Not called when training diverges (``TrainingDivergedError`` is raised instead).
        """

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        """Called at the start of epoch ``epoch`` (0-based), before its first batch."""

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """Called after epoch ``epoch`` (0-based) and its validation pass; not after one cut by Ctrl+C.

        ``logs`` holds the epoch's mean ``loss``, each metric and, with validation
        data, the same names prefixed with ``val_``. Setting
        ``self.model.stop_training = True`` here ends ``fit`` after this epoch.
        """

    def on_batch_end(self, batch: int, logs: Logs = None) -> None:
        """Called after each mini-batch's optimizer step; ``batch`` counts from 0 in every epoch.

        ``logs`` holds the running mean ``loss`` and metrics of the epoch so far.
        ``fit`` builds these logs only for callbacks that override this hook, so
        leave it alone unless you need it: it runs once per batch.
        """


class LambdaCallback(Callback):
    """A callback from plain functions, e.g. ``LambdaCallback(on_epoch_end=lambda e, logs: ...)``."""

    def __init__(self, on_train_begin: Hook = None, on_train_end: Hook = None,
                 on_epoch_begin: Hook = None, on_epoch_end: Hook = None,
                 on_batch_end: Hook = None) -> None:
        for hook, function in dict(on_train_begin=on_train_begin, on_train_end=on_train_end,
                                   on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                                   on_batch_end=on_batch_end).items():
            if function is not None:
                setattr(self, hook, function)


def _monitor_mode(monitor: str, mode: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    return "max" if any(word in monitor for word in ("acc", "r2", "auc", "f1")) else "min"


class _Monitor(Callback):
    """Tracks the best value of one logged quantity."""

    def __init__(self, monitor: str, min_delta: float, mode: str):
        self.monitor, self.min_delta = monitor, abs(float(min_delta))
        self.mode = _monitor_mode(monitor, mode)

    def _value(self, logs):
        if self.monitor not in (logs or {}):
            raise ValueError(
                f"{type(self).__name__} monitors {self.monitor!r}, which fit does not log; "
                f"logged: {', '.join(sorted(logs or {}))}. Add validation data for 'val_*' names"
            )
        return logs[self.monitor]

    def _improved(self, value, best) -> bool:
        if self.mode == "min":
            return value < best - self.min_delta
        return value > best + self.min_delta

    def _reset_best(self):
        self.best = math.inf if self.mode == "min" else -math.inf


class EarlyStopping(_Monitor):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    Parameters
    ----------
    monitor : str, default "val_loss"
    patience : int, default 0
    min_delta : float, default 0
    mode : {"auto", "min", "max"}
    restore_best_weights : bool, default False
        Put back the weights of the best epoch when training stops.

    Attributes
    ----------
    best_epoch, stopped_epoch : int or None
        Recorded on the model's ``History`` too, for plots.
    """

    best_epoch: Any  # None until an epoch improves
    stopped_epoch: Any
    best_weights: Any

    def __init__(self, monitor: str = "val_loss", patience: int = 0, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = False) -> None:
        super().__init__(monitor, min_delta, mode)
        self.patience = int(patience)
        self.restore_best_weights = restore_best_weights

    def on_train_begin(self, logs: Logs = None) -> None:
        """Start from no best value and an empty patience count."""
        self._reset_best()
        self.wait, self.best_epoch, self.stopped_epoch, self.best_weights = 0, None, None, None

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """Track the best ``monitor`` value; stop training after ``patience`` epochs without improvement."""
        value = self._value(logs)
        if self._improved(value, self.best):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:  # as in Keras: stop after `patience` epochs without progress
                self.stopped_epoch = epoch
                self.model.stop_training = True
        self.model.history.best_epoch = self.best_epoch

    def on_train_end(self, logs: Logs = None) -> None:
        """Record the best and stopped epochs on the history; restore the best weights if asked."""
        history = self.model.history
        history.best_epoch, history.stopped_epoch = self.best_epoch, self.stopped_epoch
        if self.restore_best_weights and self.best_weights is not None:
            self.model.set_weights(self.best_weights)


class ReduceLROnPlateau(_Monitor):
    """Multiply the learning rate by ``factor`` when ``monitor`` stalls for ``patience`` epochs."""

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 min_delta: float = 1e-4, mode: str = "auto", cooldown: int = 0,
                 min_lr: float = 0.0, verbose: int = 0) -> None:
        super().__init__(monitor, min_delta, mode)
        if not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau factor must be in (0, 1), got {factor}")
        self.factor, self.patience, self.cooldown = float(factor), int(patience), int(cooldown)
        self.min_lr, self.verbose = float(min_lr), verbose

    def on_train_begin(self, logs: Logs = None) -> None:
        """Check the learning rate is a constant (not a schedule) and reset the counters."""
        if not isinstance(self.model.optimizer.learning_rate, (int, float)):
            raise ValueError("ReduceLROnPlateau needs a constant learning rate, not a schedule")
        self._reset_best()
        self.wait = self.cooldown_left = 0

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """Multiply the learning rate by ``factor`` after ``patience`` epochs without improvement."""
        value = self._value(logs)
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.wait = 0
        if self._improved(value, self.best):
            self.best, self.wait = value, 0
        elif self.cooldown_left <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                self._reduce(epoch)

    def _reduce(self, epoch):
        optimizer = self.model.optimizer
        new_lr = max(optimizer.learning_rate * self.factor, self.min_lr)
        if new_lr < optimizer.learning_rate:
            optimizer.learning_rate = new_lr
            if self.verbose:
                print(f"Epoch {epoch + 1}: ReduceLROnPlateau lowered the learning rate to {new_lr:.3g}")
        self.cooldown_left, self.wait = self.cooldown, 0


class LearningRateScheduler(Callback):
    """Set the learning rate at each epoch start to ``schedule(epoch, lr)``."""

    def __init__(self, schedule: Callable[..., float], verbose: int = 0) -> None:
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        """Set the optimizer's learning rate to ``schedule(epoch, current_rate)``."""
        optimizer = self.model.optimizer
        lr = float(self.schedule(epoch, optimizer.current_learning_rate))
        if not (np.isfinite(lr) and lr > 0):
            raise ValueError(f"the schedule returned learning rate {lr} at epoch {epoch}; it must be > 0")
        optimizer.learning_rate = lr
        if self.verbose:
            print(f"Epoch {epoch + 1}: learning rate {lr:.3g}")


class History(Callback):
    """Per-epoch numbers of one ``fit``: ``history.history["loss"]``, ``["val_loss"]``...

    Attributes
    ----------
    history : dict of str to list of float
    epoch : list of int
    best_epoch, stopped_epoch : int or None
        Set by :class:`EarlyStopping`.
    interrupted : bool
        True when Ctrl+C ended training early.
    params : dict
        The settings of the fit, as in Keras: ``epochs``, ``steps`` (batches per epoch),
        ``verbose``, and numnet's ``batch_size`` and ``initial_epoch``.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.params: dict = {}
        self.best_epoch = self.stopped_epoch = None
        self.interrupted = False

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """Append the epoch number and each value of ``logs`` to :attr:`history`."""
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))

    def __getitem__(self, key):
        return self.history[key]

    def __repr__(self):
        return f"History(epochs={len(self.epoch)}, keys={sorted(self.history)})"


class ModelCheckpoint(_Monitor):
    """Save the model to a ``.numnet`` file at the end of epochs, as Keras' ``ModelCheckpoint``.

    Parameters
    ----------
    filepath : str or path-like
        May hold ``{epoch}`` (1-based, as Keras prints it) and logged names, e.g.
        ``"ckpt-{epoch:02d}-{val_loss:.3f}.numnet"``. Must end in ``.numnet``.
    monitor : str, default "val_loss"
    save_best_only : bool, default False
        Save only when ``monitor`` improves on the best value so far.
    mode : {"auto", "min", "max"}
    min_delta : float, default 0
    include_optimizer : bool, default True
        Keep the optimizer's state, so that ``numnet.load`` resumes training exactly.
    verbose : int, default 0
        1 prints a line per file written.

    Attributes
    ----------
    saved : list of str
        The files written, in order.
    """

    def __init__(self, filepath: str | os.PathLike[str], monitor: str = "val_loss",
                 save_best_only: bool = False, mode: str = "auto", min_delta: float = 0.0,
                 include_optimizer: bool = True, verbose: int = 0) -> None:
        super().__init__(monitor, min_delta, mode)
        self.filepath = os.fspath(filepath)
        if not self.filepath.endswith(".numnet"):
            raise ValueError(f"ModelCheckpoint filepath must end in .numnet (numnet's model files), got "
                             f"{self.filepath!r}; e.g. 'checkpoint-{{epoch:02d}}.numnet'")
        self.save_best_only, self.include_optimizer, self.verbose = save_best_only, include_optimizer, verbose
        self.saved: list[str] = []

    def on_train_begin(self, logs: Logs = None) -> None:
        """Start from no best value, so the first epoch is always an improvement."""
        self._reset_best()

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """Save the model to ``filepath`` (formatted with the epoch and logs), or only when it improved."""
        logs = logs or {}
        if self.save_best_only:
            value = self._value(logs)
            if not self._improved(value, self.best):
                return
            self.best = value
        path = self.filepath.format(epoch=epoch + 1, **logs)
        self.model.save(path, include_optimizer=self.include_optimizer)
        self.saved.append(path)
        if self.verbose:
            print(f"Epoch {epoch + 1}: saved the model to {path}")


class CSVLogger(Callback):
    """Write each epoch's logs as a row of a CSV file (``epoch`` first), as Keras' ``CSVLogger``.

    Parameters
    ----------
    filename : str or path-like
    separator : str, default ","
    append : bool, default False
        Add rows to an existing file (without a second header) instead of replacing it.
    """

    _keys: Any  # the column names, fixed by the first epoch's logs

    def __init__(self, filename: str | os.PathLike[str], separator: str = ",",
                 append: bool = False) -> None:
        self.filename, self.separator, self.append = os.fspath(filename), separator, append
        self._keys = None

    def on_train_begin(self, logs: Logs = None) -> None:
        """Truncate the file unless ``append``; remember whether it already has a header row."""
        self._keys = None
        # Appending to a file that has rows already: its header is there.
        self._has_header = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        if not self.append:
            open(self.filename, "w").close()

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """Write one row: the epoch and every value of ``logs``, with a header before the first."""
        logs = logs or {}
        if self._keys is None:
            self._keys = list(logs)
        with open(self.filename, "a", newline="") as handle:
            writer = csv.writer(handle, delimiter=self.separator)
            if not self._has_header:
                writer.writerow(["epoch", *self._keys])
                self._has_header = True
            writer.writerow([epoch, *(logs.get(key, "") for key in self._keys)])
