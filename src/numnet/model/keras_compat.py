"""Keras habits that fit numnet's model, kept out of ``Sequential`` so it stays short.

Each helper backs one method or argument a Keras user reaches for first:
``train_on_batch``/``test_on_batch``, ``evaluate(return_dict=...)``,
``predict(verbose=...)``, metric aliases logged under the name given, a
refusal of ``.keras``/``.h5`` paths in ``save``, and the rich notebook display.
"""
from __future__ import annotations

import os

import numpy as np

FOREIGN_SUFFIXES = (".keras", ".h5", ".hdf5", ".pb", ".pt", ".pth", ".pkl", ".pickle")


def refuse_foreign_format(path) -> None:
    """Raise if ``path`` names another library's format: numnet writes ``.numnet`` files only.

    Examples
    --------
    >>> refuse_foreign_format("model.numnet")
    >>> refuse_foreign_format("model.keras")
    Traceback (most recent call last):
    ...
    ValueError: save(path='model.keras'): numnet cannot write the .keras format ...
    """
    if not isinstance(path, (str, os.PathLike)):
        return  # a file object: its name is not ours to judge
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if suffix in FOREIGN_SUFFIXES:
        stem = os.fspath(path)[: -len(suffix)]
        raise ValueError(
            f"save(path={os.fspath(path)!r}): numnet cannot write the {suffix} format ... it writes its "
            f"own safe .numnet files (config and arrays, no pickle); save to {stem + '.numnet'!r} and "
            "read it back with numnet.load, or use numnet.onnx.export for other frameworks")


def name_metrics_as_given(metrics: list, specs) -> list:
    """Log each metric given by name under that name (``"acc"`` stays ``"acc"``, as in Keras).

    The registry maps aliases to one class; the instance keeps the alias as its
    ``name`` (the key in logs) and ``registry_name`` (what configs save), so a
    saved and reloaded model logs the same keys.
    """
    if specs is None:
        return metrics
    specs = [specs] if isinstance(specs, (str, dict)) or callable(specs) else list(specs)
    for metric, spec in zip(metrics, specs):
        if isinstance(spec, str):
            metric.name = metric.registry_name = spec
    return metrics


def check_verbose(verbose, where: str) -> int:
    """``verbose`` of predict/evaluate: 0 (silent), 1 or 2 (one line), or ``"auto"`` (0)."""
    if verbose == "auto":
        return 0
    if isinstance(verbose, (bool, np.bool_)) or verbose not in (0, 1, 2):
        raise ValueError(f"{where}(verbose=...) must be 0, 1, 2 or 'auto', got {verbose!r}; "
                         "pass verbose=0 for silence")
    return int(verbose)


def report(where: str, n_samples: int, seconds: float, logs: dict | None = None) -> None:
    """One line after predict/evaluate with verbose >= 1: samples, time, and the numbers."""
    from numnet.model.progress import format_duration, format_logs

    line = f"{where}: {n_samples} samples in {format_duration(seconds)}"
    print(line + (" - " + format_logs(logs) if logs else ""), flush=True)


def evaluate_output(result: dict, return_dict: bool):
    """``evaluate``'s return: the dict, or Keras' list ``[loss, metric, ...]`` (a float without metrics)."""
    if return_dict:
        return result
    values = list(result.values())
    return values[0] if len(values) == 1 else values


def train_on_batch(model, x, y, sample_weight=None, class_weight=None, return_dict=False):
    """One optimizer step on ``(x, y)`` as one batch; returns its loss (and metrics).

    The numbers are those of the forward pass before the step, as in Keras.
    """
    from numnet.model.training import (Trainer, _apply_class_weight, _BatchStep, _configure_metrics,
                                       check_training_dtype)

    trainer = Trainer(model)
    trainer._require_compiled()
    check_training_dtype(model)
    X, targets, weights, mask = trainer._prepare(x, y, sample_weight)
    weights = _apply_class_weight(weights, class_weight, targets, model.n_outputs, model.loss)
    _configure_metrics(model)
    step = _BatchStep(model)
    with np.errstate(over="ignore", invalid="ignore"):
        loss = step.run(X, targets, weights, mask)
    _clear(model)
    if not np.isfinite(loss):
        from numnet.exceptions import TrainingDivergedError

        raise TrainingDivergedError(f"train_on_batch: the batch loss is {loss}; nothing was updated. "
                                    "Lower the learning rate or scale the inputs", epoch=0, batch=0)
    result = {"loss": float(loss)}
    for metric in model.metrics:
        metric.reset()
        metric.update(targets, step.outputs, weights)
        result[metric.name] = metric.result()
    return evaluate_output(result, return_dict)


def _clear(model):
    for layer in model.layers:
        if hasattr(layer, "clear_cache"):
            layer.clear_cache()


def test_on_batch(model, x, y, sample_weight=None, return_dict=False):
    """Loss (and metrics) on ``(x, y)`` without updating anything: ``evaluate`` on one batch."""
    from numnet.model.training import Trainer

    result = Trainer(model).evaluate(x, y, sample_weight=sample_weight, batch_size=max(len(x), 1))
    return evaluate_output(result, return_dict)


test_on_batch.__test__ = False  # type: ignore[attr-defined]  # not a pytest test, despite its name


def model_html(model) -> str:
    """What a notebook shows for a model: the summary table and, once built, its SVG diagram."""
    from numnet.model.diagram_svg import model_svg
    from numnet.model.summary import format_summary_html, summarize

    if not model.layers:
        return f"<pre>{model!r} (no layers yet)</pre>"
    summary = summarize(model)
    table = format_summary_html(summary)
    return table + (model_svg(model) if summary.built else "")
