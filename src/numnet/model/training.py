"""The training loop behind ``Sequential.fit`` and ``evaluate``.

One epoch: shuffle an index (never the data), then for each mini-batch
gather rows into reused buffers, run forward, the loss, backward, and one
optimizer step on the model's flat parameter buffer.
"""
from __future__ import annotations

import contextlib
import copy
import math
import signal
import threading
import warnings

import numpy as np

from numnet import _kernels as kernels
from numnet._validation import as_array, check_consistent_length, check_positive_int, check_random_state
from numnet.losses.base import check_sample_weight
from numnet.model.callbacks import Callback, History
from numnet.model.diagnostics import (divergence_error, warn_about_feature_scales,
                                      warn_non_finite_validation)
from numnet.model.step import BatchStep as _BatchStep
from numnet.model.progress import ProgressLogger, resolve_verbose
from numnet.model.validation_split import ValidationSplitWarning  # noqa: F401  (its old home)
from numnet.model.validation_split import split_generator as _split_generator
from numnet.model.validation_split import warn_if_split_misleads


class MaskWarning(UserWarning):
    """A model that ends in MaskedSoftmax was used without a mask."""


def check_training_dtype(model) -> None:
    """Refuse to train a model narrower than float32, with what to do instead.

    float16 cannot carry training's arithmetic: Adam's ``(1 - beta_2) g**2``
    underflows to 0 (steps hundreds of times the learning rate), BatchNorm's
    variance and the loss's sums overflow to inf. The model would train badly
    or not at all, without an error; predicting in float16 is fine.
    """
    dtype = getattr(model, "dtype", None)
    if dtype is not None and np.dtype(dtype).itemsize < 4:
        raise TypeError(
            f"this model's dtype is {np.dtype(dtype).name}, too narrow to train in: its sums, variances "
            "and Adam's moments underflow or overflow, and it would learn badly or not at all; train "
            "in float32 (the default) and call model.set_dtype(np.float16) afterwards for a smaller "
            "model to predict with")


class Trainer:
    """Runs ``fit`` and ``evaluate`` for one :class:`~numnet.Sequential` model."""

    _strategy = None  # e.g. numnet.distributed.DataParallel, for the fit in progress

    def __init__(self, model):
        self.model = model

    # -- data ---------------------------------------------------------------
    def _prepare(self, X, y, sample_weight=None, mask=None, name="X"):
        model = self.model
        X = model.check_input(X, name=name)  # builds first, so X is converted once, to the layers' dtype
        if y is None:
            raise ValueError("y is required: pass one target per sample")
        y_arr = as_array(y, "y", "(n_samples,) or (n_samples, n_outputs)")  # ragged or masked: our words
        check_consistent_length(X, y_arr)
        model._ensure_built(X.shape[1])
        targets = model.loss.prepare_targets(y_arr, model.n_outputs, model.dtype)
        weights = check_sample_weight(sample_weight, X)
        mask = model._check_mask(mask, len(X)) if mask is not None else self._no_mask()
        if mask is not None:  # checked here, so an error names rows of the user's data, not of a batch
            loss = model.loss.logits_loss(model.layers[-1]) or model.loss
            if hasattr(loss, "check_targets"):
                loss.check_targets(targets, mask)
        return X, targets, weights, mask

    def _no_mask(self):
        # Once per fit/evaluate call (one Trainer each), even when validation data lacks a mask too.
        if getattr(self.model.layers[-1], "accepts_mask", False) and not getattr(self, "_warned", False):
            self._warned = True
            warnings.warn("this model ends in MaskedSoftmax but no mask was given: every class is "
                          "treated as allowed", MaskWarning, stacklevel=4)
        return None

    def _require_compiled(self):
        if self.model.loss is None:
            raise ValueError("call model.compile(loss=..., optimizer=...) before fit or evaluate")

    # -- fit ----------------------------------------------------------------
    def fit(self, X, y, epochs=1, batch_size=32, shuffle=True, validation_data=None,
            validation_split=0.0, sample_weight=None, class_weight=None, callbacks=None,
            verbose="auto", random_state=None, mask=None, initial_epoch=0, shuffle_before_split=False,
            strategy=None):
        model = self._model_ready()
        epochs = check_positive_int(epochs, "epochs", allow_zero=True)
        initial_epoch = _check_initial_epoch(initial_epoch, epochs)
        batch_size = check_positive_int(batch_size, "batch_size")
        if strategy is not None:  # sharded data: each rank batches its share of the global batch
            batch_size = strategy.local_batch_size(batch_size)
        data = (X, y, sample_weight, mask, class_weight, validation_data, validation_split,
                batch_size, shuffle)
        seed = _LazyFitSeed(model, random_state)
        self._split_seed = seed if shuffle_before_split else None
        batches, validation = (self._stream_data if _streamed(X, y) else self._array_data)(*data)
        _configure_metrics(model)
        random_state = seed.get()  # after building: the model's seed draws in order
        rng = batches.rng = check_random_state(random_state)
        for layer in model.layers:
            if hasattr(layer, "reseed") and random_state is not None:
                layer.reseed(rng.integers(2**63))
        if strategy is not None:  # data parallel: rank 0's weights and shuffling stream everywhere
            batches.rng = rng = strategy.setup(model, rng, batches.n_batches)
        self._strategy = strategy
        n_batches = batches.n_batches
        mode = resolve_verbose(verbose)
        callbacks = list(callbacks or [])
        model.history = History()
        model.history.params = {"epochs": epochs, "steps": n_batches, "verbose": mode,
                                "batch_size": batch_size, "initial_epoch": initial_epoch}
        chain = [model.history] + callbacks
        if mode and (strategy is None or strategy.is_chief):  # one progress bar per job
            chain.append(ProgressLogger(mode, epochs, n_batches))
        for callback in chain:
            if not isinstance(callback, Callback):
                raise TypeError(f"callbacks must be Callback instances, got {type(callback).__name__}")
            callback.set_model(model)
        try:
            with contextlib.nullcontext() if strategy is None else strategy.guard(model):
                self._run(batches, validation, range(initial_epoch, epochs), chain)
        finally:
            _free_caches(model)  # the last training batch must not stay on the model
        return model.history

    def _model_ready(self):
        self._require_compiled()
        check_training_dtype(self.model)
        return self.model

    def _array_data(self, X, y, sample_weight, mask, class_weight, validation_data,
                    validation_split, batch_size, shuffle):
        """Batches over in-memory arrays, and the validation arrays (or None)."""
        X, y_all, weights, mask = self._prepare(X, y, sample_weight, mask)
        (X, y_all, weights, mask), validation = self._split_validation(
            (X, y_all, weights, mask), validation_data, validation_split)
        # Class weights shape the training loss only; validation numbers stay comparable
        # with evaluate() (as in Keras).
        weights = _apply_class_weight(weights, class_weight, y_all, self.model.n_outputs,
                                      self.model.loss)
        warn_about_feature_scales(X)
        return _Batches(X, y_all, weights, mask, batch_size, shuffle, None), validation

    def _stream_data(self, X, y, sample_weight, mask, class_weight, validation_data,
                     validation_split, batch_size, shuffle):
        """Batches read from a source (memory map, Dask array, file), and the validation source."""
        from numnet.data import as_source

        source = as_source(X, y, sample_weight, mask)
        validation = None
        if validation_data is not None:
            validation = self._validation_stream(validation_data, batch_size)
        elif _check_split(validation_split):
            if not hasattr(source, "split"):
                raise ValueError(f"validation_split needs data with rows that can be counted and "
                                 f"sliced (arrays, memory maps), not {source!r}; pass "
                                 "validation_data=<another source> instead")
            source, held_out = source.split(validation_split)
            validation = _StreamBatches(self, held_out, 4096, False, None)
        weights = _stream_class_weight(class_weight, self.model.loss)
        batches = _StreamBatches(self, source, batch_size, shuffle, None, weights)
        batches.start()
        return batches, validation

    def _validation_stream(self, validation_data, batch_size):
        from numnet.data import is_source, streams

        if is_source(validation_data):
            return _StreamBatches(self, validation_data, 4096, False, None, name="X_val")
        if isinstance(validation_data, (tuple, list)) and validation_data and streams(validation_data[0]):
            X_val, y_val, *rest = validation_data
            takes_mask = getattr(self.model.layers[-1], "accepts_mask", False)
            third = rest[0] if rest else None
            from numnet.data import as_source
            source = as_source(X_val, y_val, None if takes_mask else third, third if takes_mask else None)
            return _StreamBatches(self, source, 4096, False, None, name="X_val")
        return self._split_validation(None, validation_data, 0.0)[1]

    def _split_validation(self, data, validation_data, validation_split):
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
                raise ValueError("validation_data must be a tuple (X_val, y_val) or (X_val, y_val, mask_val)")
            X_val, y_val, *rest = validation_data
            takes_mask = getattr(self.model.layers[-1], "accepts_mask", False)
            third = rest[0] if rest else None
            val = self._prepare(X_val, y_val, None if takes_mask else third,
                                third if takes_mask else None, name="X_val")
            return data, val
        validation_split = _check_split(validation_split)
        if validation_split == 0.0:
            return data, None
        n_val = int(math.ceil(len(data[0]) * validation_split))
        if n_val >= len(data[0]):
            raise ValueError(f"validation_split={validation_split} leaves no training samples")
        split_seed = getattr(self, "_split_seed", None)
        if split_seed is not None:  # shuffle_before_split=True: random rows, drawn with the fit's seed
            order = _split_generator(split_seed.get()).permutation(len(data[0]))
            data = tuple(None if a is None else a[order] for a in data)
        cut = len(data[0]) - n_val
        train = tuple(None if a is None else a[:cut] for a in data)
        val = tuple(None if a is None else a[cut:] for a in data)
        warn_if_split_misleads(train[1], val[1], shuffled=split_seed is not None)
        return train, val

    def _run(self, batches, validation, epochs, chain):
        model = self.model
        step = _BatchStep(model, self._strategy)
        snapshot = model._flat.values.copy()  # last finite weights, for divergence
        snapshot_epoch = None
        model.stop_training = False
        interrupt = _InterruptFlag()
        warned_validation = False
        # Overflow on the way to a non-finite loss is reported by TrainingDivergedError,
        # with its likely causes; NumPy's RuntimeWarnings would only add noise before it.
        with interrupt, step.skip_input_gradient(), np.errstate(over="ignore", invalid="ignore"):
            _call(chain, "on_train_begin")
            for epoch in epochs:
                _call(chain, "on_epoch_begin", epoch)
                logs = self._epoch(step, batches, epoch, snapshot, snapshot_epoch, chain, interrupt)
                self._check_last_step(epoch, batches, snapshot, snapshot_epoch, step)
                if interrupt.raised:
                    model.history.interrupted = True
                    print(f"\nInterrupted: stopped during epoch {epoch + 1}; "
                          "the weights and history so far are kept.")
                    break
                if validation is not None:
                    val = self._evaluate_validation(validation)
                    logs.update({f"val_{key}": value for key, value in val.items()})
                    if not math.isfinite(val["loss"]) and not warned_validation:
                        warned_validation = True
                        X_val = validation.X if isinstance(validation, _StreamBatches) else validation[0]
                        warn_non_finite_validation(epoch, val["loss"], X_val, batches.X)
                snapshot[...] = model._flat.values
                snapshot_epoch = epoch
                _call(chain, "on_epoch_end", epoch, logs)
                if model.stop_training:
                    break
            _call(chain, "on_train_end")

    def _epoch(self, step, batches, epoch, snapshot, snapshot_epoch, chain, interrupt):
        model = self.model
        metrics = model.metrics
        for metric in metrics:
            metric.reset()
        batch_hooks = [cb for cb in chain if type(cb).on_batch_end is not Callback.on_batch_end
                       or "on_batch_end" in vars(cb)]
        total, seen = 0.0, 0
        self._last = None
        epoch_batches = batches.epoch()
        if self._strategy is not None:  # this rank's rows of each global batch
            epoch_batches = self._strategy.local_batches(epoch_batches)
        b = -1
        for b, (Xb, yb, wb, mb) in enumerate(epoch_batches):
            loss = step.run(Xb, yb, wb, mb)
            if not math.isfinite(loss):
                self._diverged(epoch, b, loss, batches, snapshot, snapshot_epoch, step, Xb, mb)
            n = len(Xb)
            total += loss * n
            seen += n
            for metric in metrics:
                metric.update(yb, step.outputs, wb)
            if batch_hooks:  # building logs every batch costs time; only when someone reads them
                logs = {"loss": total / seen, **{m.name: m.result() for m in metrics}}
                _call(batch_hooks, "on_batch_end", b, logs)
            if interrupt.raised:
                break
        if b >= 0:  # the epoch's last batch, for _check_last_step
            self._last_batch, self._last = b, (Xb, yb, wb, mb)
        if self._strategy is not None:  # sums over every rank's rows: the same logs on all ranks
            total, seen = self._strategy.reduce_epoch(total, seen, metrics)
        logs = {"loss": total / max(seen, 1), **{m.name: m.result() for m in metrics}}
        reg = model.regularization_loss()
        if reg:
            logs["regularization_loss"] = reg
        return logs

    def _check_last_step(self, epoch, batches, snapshot, snapshot_epoch, step):
        """Raise if the epoch's last optimizer step broke the network.

        Every other step is checked by the next batch's loss; the last one of an
        epoch (of the whole fit, above all) is not. One inference pass over the
        last batch costs 1/n_batches of an epoch and catches weights that became
        non-finite, or so large that the outputs overflow.
        """
        if self._last is None:
            return
        Xb, yb, wb, mb = self._last
        finite = kernels.all_finite(self.model._flat.values)
        if finite and math.isfinite(step.check_loss(Xb, yb, wb, mb)):
            return
        event = ("the last optimizer step of the epoch made the weights non-finite" if not finite
                 else "after the last optimizer step of the epoch the network's outputs overflow")
        self._diverged(epoch, self._last_batch, float("nan"), batches, snapshot, snapshot_epoch,
                       step, Xb, mb, event=event)

    def _diverged(self, epoch, batch, loss, batches, snapshot, snapshot_epoch, step,
                  Xb=None, mb=None, event=None):
        """Restore the last finite weights and raise TrainingDivergedError with likely causes."""
        model = self.model
        where = model._flat.first_non_finite()
        if where is None and Xb is not None:
            where = step.first_non_finite_layer(Xb, mb)
        model._flat.values[...] = snapshot
        optimizer = model.optimizer
        raise divergence_error(epoch=epoch, batch=batch, loss=loss, where=where,
                               restored_epoch=snapshot_epoch,
                               learning_rate=optimizer.current_learning_rate,
                               X=batches.X, y=batches.y,
                               clipped=bool(optimizer.clipnorm or optimizer.clipvalue), event=event)

    # -- evaluate -----------------------------------------------------------
    def evaluate(self, X, y, sample_weight=None, mask=None, batch_size=None):
        self._require_compiled()
        if _streamed(X, y):
            from numnet.data import as_source

            size = 4096 if batch_size is None else check_positive_int(batch_size, "batch_size")
            stream = _StreamBatches(self, as_source(X, y, sample_weight, mask), size, False, None)
            stream.start()
            return self._evaluate_batches(stream.epoch())
        X, targets, weights, mask = self._prepare(X, y, sample_weight, mask)
        return self._evaluate_prepared(X, targets, weights, mask, batch_size)

    def _evaluate_validation(self, validation):
        if isinstance(validation, _StreamBatches):
            return self._evaluate_batches(validation.epoch())
        return self._evaluate_prepared(*validation)

    def _evaluate_prepared(self, X, y, weights, mask, batch_size=None):
        batch_size = 4096 if batch_size is None else check_positive_int(batch_size, "batch_size")
        parts = (slice(start, start + batch_size) for start in range(0, len(X), batch_size))
        return self._evaluate_batches((X[part], y[part], None if weights is None else weights[part],
                                       None if mask is None else mask[part]) for part in parts)

    def _evaluate_batches(self, batches):
        """Loss and metrics over prepared ``(X, y, weights, mask)`` batches."""
        model = self.model
        _configure_metrics(model)
        step = _BatchStep(model)  # the same (fused) loss as training, so the numbers agree
        metrics = [_fresh(metric) for metric in model.metrics]
        total, seen = 0.0, 0
        for Xb, yb, wb, mb in batches:
            total += step.loss_only(Xb, yb, wb, mb) * len(Xb)
            seen += len(Xb)
            for metric in metrics:
                metric.update(yb, step.outputs, wb)
        result = {"loss": total / max(seen, 1)}
        result.update({metric.name: metric.result() for metric in metrics})
        return result


def _fit_seed(model, random_state):
    """The seed of one ``fit``: its own ``random_state``, else the next draw from the model's seed.

    ``Sequential(random_state=0)`` thus makes a whole script reproducible --
    initial weights, every fit's shuffling and dropout -- while two fits in a
    row still shuffle differently (as with Keras' ``set_random_seed``).
    """
    if random_state is None and getattr(model, "random_state", None) is not None:
        return int(model._rng.integers(2**63))
    return random_state


def _free_caches(model):
    """Drop what layers kept for backward: after fit, the model holds no training data."""
    for layer in model.layers:
        if hasattr(layer, "clear_cache"):
            layer.clear_cache()


def _fresh(metric):
    """A reset copy of ``metric``, so evaluating never disturbs the epoch's running totals."""
    clone = copy.copy(metric)
    clone.reset()
    return clone


class _Batches:
    """Yields mini-batches; shuffling permutes an index, never a copy of X."""

    def __init__(self, X, y, weights, mask, batch_size, shuffle, rng):
        self.X, self.y, self.weights, self.mask = X, y, weights, mask
        self.batch_size, self.shuffle, self.rng = min(batch_size, len(X)), shuffle, rng
        # One buffer per array, reused by every batch (np.take writes into it).
        self._buffers = [None if a is None else np.empty((self.batch_size, *a.shape[1:]), a.dtype)
                         for a in (X, y, weights, mask)]

    @property
    def n_batches(self) -> int:
        return math.ceil(len(self.X) / self.batch_size)

    def epoch(self):
        """An iterator over this epoch's batches ``(X, y, weights, mask)`` (absent arrays are None)."""
        if not self.shuffle:
            return self._in_order()
        order = self.rng.permutation(len(self.X))
        if self.weights is None and self.mask is None:  # the common case, without the bookkeeping
            return self._shuffled_xy(order)
        return self._shuffled(order)

    def _in_order(self):
        arrays = (self.X, self.y, self.weights, self.mask)
        for start in range(0, len(self.X), self.batch_size):
            yield tuple(None if a is None else a[start:start + self.batch_size] for a in arrays)

    def _shuffled(self, order):
        """The batches of ``order``, each array's rows gathered into its buffer."""
        n, size = len(order), self.batch_size
        arrays = (self.X, self.y, self.weights, self.mask)
        # Only the arrays there are, and the buffers cut to the last batch's size once, not per batch.
        present = [i for i, a in enumerate(arrays) if a is not None]
        for start in range(0, n, size):
            index = order[start:start + size]
            m = len(index)
            batch = [None, None, None, None]
            for i in present:
                buf = self._buffers[i]
                batch[i] = kernels.gather_rows(arrays[i], index, buf if m == size else buf[:m])
            yield tuple(batch)

    def _shuffled_xy(self, order):
        """``(X[index], y[index], None, None)`` per batch of ``order``, gathered into the buffers.

        As :func:`numnet._kernels.gather_rows` does, written out: two Python calls
        fewer per batch, a noticeable share of a small network's step.
        """
        X_take, y_take, size = self.X.take, self.y.take, self.batch_size
        X_buffer, y_buffer = self._buffers[0], self._buffers[1]
        full = len(order) - len(order) % size
        for start in range(0, full, size):
            index = order[start:start + size]
            yield (X_take(index, axis=0, out=X_buffer, mode="clip"),
                   y_take(index, axis=0, out=y_buffer, mode="clip"), None, None)
        if full < len(order):
            index = order[full:]
            m = len(index)
            yield (X_take(index, axis=0, out=X_buffer[:m], mode="clip"),
                   y_take(index, axis=0, out=y_buffer[:m], mode="clip"), None, None)


class _StreamBatches:
    """Prepared mini-batches read from a data source (memory map, Dask array, file), epoch by epoch.

    Each batch is checked and converted as ``fit`` does with arrays, one batch
    at a time; ``X`` and ``y`` hold the latest batch, which is what a
    divergence or validation warning quotes.
    """

    def __init__(self, trainer, source, batch_size, shuffle, rng, class_weight=None, name="X"):
        self.trainer, self.source, self.name = trainer, source, name
        self.batch_size, self.shuffle, self.rng = batch_size, shuffle, rng
        self.class_weight = class_weight
        self.X = self.y = None

    @property
    def n_batches(self):
        """Batches per epoch, or None when the source cannot tell (the progress bar then counts up)."""
        return self.source.n_batches(self.batch_size)

    def start(self):
        """Read the first batch: it builds the model and shows the feature scales."""
        X, y, w, m = self.source.peek()
        self.X, self.y, _, _ = self._prepare(0, X, y, w, m)
        if self.name == "X":
            sample = getattr(self.source, "sample_rows", None)
            warn_about_feature_scales(self.X if sample is None else self.trainer.model.check_input(sample()))

    def epoch(self):
        batches = self.source.batches(self.batch_size, self.shuffle, self.rng)
        index = -1
        # No enumerate(): it keeps its last item, and raw (a view of the shuffle buffer) would
        # keep a spent buffer alive while the next one fills.
        for raw in batches:
            index += 1
            Xb, yb, wb, mb = self._prepare(index, *raw)
            del raw
            if self.class_weight is not None:
                model = self.trainer.model
                wb = _apply_class_weight(wb, self.class_weight, yb, model.n_outputs, model.loss)
            self.X, self.y = Xb, yb
            yield Xb, yb, wb, mb

    def _prepare(self, index, X, y, w, m):
        if y is None:
            raise ValueError(f"batch {index} of {self.source!r} has no y; a source for fit or "
                             "evaluate must yield (X, y) batches")
        try:
            return self.trainer._prepare(X, y, w, m, name=self.name)
        except (ValueError, TypeError) as exc:  # say which batch: the data is never whole in memory
            raise type(exc)(f"batch {index} of {self.source!r}: {exc}") from exc


def _streamed(X, y) -> bool:
    """Read ``X`` batch by batch: a source, memory map or Dask array, or (without y) a batch generator."""
    from numnet.data import streams

    if streams(X):
        return True
    return y is None and not hasattr(X, "shape") and (callable(X) or (hasattr(X, "__next__")))


def _check_split(validation_split) -> float:
    if isinstance(validation_split, bool) or not isinstance(validation_split, (int, float, np.integer,
                                                                               np.floating)):
        raise TypeError(f"validation_split must be a float in [0, 1), got "
                        f"{type(validation_split).__name__} {validation_split!r}; pass e.g. 0.2")
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"validation_split must be in [0, 1), got {validation_split}")
    return float(validation_split)


def _stream_class_weight(class_weight, loss):
    """``class_weight`` for streamed data: a dict, applied batch by batch."""
    if isinstance(class_weight, str) and class_weight == "balanced":
        raise ValueError("class_weight='balanced' needs the class counts of all the data, which a "
                         "streamed source does not hold; count the labels once and pass a dict "
                         "{label: n_samples / (n_classes * count)}")
    if class_weight is not None and getattr(loss, "is_classification", None) is False:
        _apply_class_weight(None, class_weight, np.zeros(1, np.int64), 1, loss)  # raises its error
    return class_weight


class _LazyFitSeed:
    """The fit's seed (see :func:`_fit_seed`), drawn once, on first use.

    ``shuffle_before_split`` needs it while the data is prepared, but a model that
    builds from the data draws its layers' seeds first; drawing lazily keeps the
    model's seed drawn in the same order with and without the option.
    """

    def __init__(self, model, random_state):
        self.model, self.random_state, self.drawn = model, random_state, False

    def get(self):
        if not self.drawn:
            self.value, self.drawn = _fit_seed(self.model, self.random_state), True
        return self.value


def _check_initial_epoch(initial_epoch, epochs: int) -> int:
    """``initial_epoch`` (Keras): the 0-based epoch to resume from, ``0 <= initial_epoch <= epochs``."""
    initial_epoch = check_positive_int(initial_epoch, "initial_epoch", allow_zero=True)
    if initial_epoch > epochs:
        raise ValueError(f"initial_epoch={initial_epoch} is past epochs={epochs}: fit trains epochs "
                         "initial_epoch..epochs-1 (epochs is the last epoch, not a count, as in Keras); "
                         f"pass epochs={initial_epoch + epochs} to train {epochs} more")
    return initial_epoch


def _apply_class_weight(weights, class_weight, y, n_outputs, loss=None):
    """Multiply the per-sample weights by each sample's class weight.

    ``class_weight`` is a dict ``{label: weight}`` (labels 0..n_classes-1, weights
    finite and >= 0; missing labels weigh 1) or ``"balanced"``
    (``n_samples / (n_classes * count)``). A regression ``loss`` has no classes
    to weigh, so it is refused.
    """
    if class_weight is None:
        return weights
    if getattr(loss, "is_classification", None) is False:
        raise ValueError(f"class_weight weighs classes, but this model's loss, {type(loss).__name__}, "
                         "is a regression loss; weight samples with sample_weight instead")
    labels = _class_labels(y)
    n_classes = max(n_outputs, 2)
    if isinstance(class_weight, str) and class_weight == "balanced":
        counts = np.bincount(labels, minlength=n_classes)
        present = counts > 0
        table = np.ones(n_classes)
        table[present] = len(labels) / (present.sum() * counts[present])
    elif isinstance(class_weight, dict):
        unknown = sorted(key for key in class_weight if not (isinstance(key, (int, np.integer))
                                                              and 0 <= key < n_classes))
        if unknown:
            raise ValueError(f"class_weight has classes {unknown} outside the model's classes "
                             f"0..{n_classes - 1}; key it by integer label")
        table = np.ones(n_classes)
        for key, value in class_weight.items():
            table[int(key)] = _class_weight_value(key, value)
    else:
        raise TypeError(f"class_weight must be a dict {{label: weight}} or 'balanced', got "
                        f"{type(class_weight).__name__} {class_weight!r}")
    per_sample = table[labels]
    return per_sample if weights is None else weights * per_sample


def _class_weight_value(key, value) -> float:
    """One class's weight: a finite number >= 0 (NaN would only surface as a diverged loss)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"class_weight[{key}] must be a number, got {type(value).__name__} {value!r}")
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"class_weight[{key}] must be a finite number >= 0, got {value}; a class "
                         "weight scales how much that class's samples count in the loss (0 = not at all)")
    return float(value)


def _class_labels(y):
    """Integer labels from targets: labels as given, argmax of one-hot rows, a 0/1 column."""
    if y.ndim == 1:
        return y.astype(np.int64)
    if y.shape[1] == 1:
        return (y[:, 0] > 0.5).astype(np.int64)
    return np.argmax(y, axis=1)


def _configure_metrics(model):
    """Tell accuracy whether the outputs are multi-label (sigmoid + BCE over several outputs).

    Deciding once per fit keeps the metric's meaning from changing batch by batch.
    """
    from numnet.losses.crossentropy import BinaryCrossEntropy

    multilabel = isinstance(model.loss, BinaryCrossEntropy) and (model.n_outputs or 1) > 1
    for metric in model.metrics:
        if hasattr(metric, "multilabel"):
            metric.multilabel = multilabel


def _call(chain, hook, *args):
    for callback in chain:
        getattr(callback, hook)(*args)


class _InterruptFlag:
    """Turns Ctrl+C during fit into a flag checked after each batch.

    Stopping between batches, never inside an optimizer step, keeps the
    weights consistent; fit then returns normally with the history so far.
    """

    raised = False

    def _handler(self, signum, frame):
        if self.raised:  # a second Ctrl+C: the user really wants out
            raise KeyboardInterrupt
        self.raised = True

    def __enter__(self):
        self._previous = None
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False
