"""``model.summary()``: a table of layers, shapes, parameter counts and memory.

The table answers the questions a learner asks first: what shape comes out
of each layer, what shape are its weights, and how many numbers does the
network learn? The batch dimension is printed as ``None`` because any number
of samples can flow through the same weights.

A model whose input width is not known yet still has a summary: the layers
and whatever is already built, with ``?`` for what the data will decide
(Keras prints "unbuilt" there). :func:`format_summary_html` draws the same
table for notebooks.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np


@dataclass
class LayerRow:
    """One line of the summary.

    Attributes
    ----------
    name, kind : str
        The layer's name in the model and its class name.
    output_shape : tuple or None
        ``(None, n_outputs)``: ``None`` stands for the batch size. None when the
        model is not built yet.
    param_shapes : dict of str to tuple
        Trainable arrays, e.g. ``{"weights": (2, 64), "biases": (64,)}``.
    state_shapes : dict of str to tuple
        Saved but not trained arrays (BatchNorm's running statistics).
    n_trainable, n_non_trainable, n_bytes : int
    """

    name: str
    kind: str
    output_shape: tuple | None
    param_shapes: dict = field(default_factory=dict)
    state_shapes: dict = field(default_factory=dict)
    n_trainable: int = 0
    n_non_trainable: int = 0
    n_bytes: int = 0

    @property
    def n_params(self) -> int:
        """Trainable plus non-trainable scalars of this layer."""
        return self.n_trainable + self.n_non_trainable


@dataclass
class ModelSummary:
    """Everything ``Sequential.summary`` prints, as data.

    Attributes
    ----------
    name : str
    input_shape : tuple or None
        ``(None, n_features)``; None while the input width is unknown.
    rows : list of LayerRow
    dtype : numpy dtype
    built : bool
        False when the input width is unknown: shapes and counts are partial.
    """

    name: str
    input_shape: tuple | None
    rows: list
    dtype: np.dtype
    built: bool = True

    @property
    def trainable(self) -> int:
        """Trainable scalars over all layers."""
        return sum(row.n_trainable for row in self.rows)

    @property
    def non_trainable(self) -> int:
        """Saved but not trained scalars (BatchNorm's running statistics) over all layers."""
        return sum(row.n_non_trainable for row in self.rows)

    @property
    def total(self) -> int:
        """All scalars: trainable plus non-trainable."""
        return self.trainable + self.non_trainable

    @property
    def n_bytes(self) -> int:
        """Memory the parameters and state take, in bytes."""
        return sum(row.n_bytes for row in self.rows)

    def __str__(self) -> str:
        return format_summary(self)

    def _repr_html_(self) -> str:
        return format_summary_html(self)


def summarize(model) -> ModelSummary:
    """Collect the summary of a :class:`~numnet.Sequential` model, building it if it can.

    Parameters
    ----------
    model : Sequential

    Returns
    -------
    ModelSummary

    Raises
    ------
    ValueError
        If the model has no layers. A model that cannot be built yet (its input
        width is unknown) gets a partial summary with ``built=False``.

    Examples
    --------
    >>> from numnet import Sequential, Dense, ReLU
    >>> s = summarize(Sequential([Dense(2, 64), ReLU(), Dense(64, 3)]))
    >>> [row.n_trainable for row in s.rows], s.total
    ([192, 0, 195], 387)
    """
    if model.layers and model.n_features is None and input_width_of(model.layers[0]) is None:
        rows = [_row(layer, None) for layer in model.layers]
        return ModelSummary(model.name, None, rows, np.dtype(model.dtype or np.float32), built=False)
    ensure_built(model)
    rows = [_row(layer, shape) for layer, shape in zip(model.layers, model.layer_output_shapes())]
    return ModelSummary(model.name, (None, model.n_features), rows, np.dtype(model.dtype or np.float32))


def input_width_of(layer) -> int | None:
    """The input width a first layer declares (``Dense(2, 64)``: 2), or None."""
    n_inputs = getattr(layer, "n_inputs", None)
    if n_inputs is None and getattr(layer, "input_shape", None):
        n_inputs = layer.input_shape[-1]
    return None if n_inputs is None else int(n_inputs)


def ensure_built(model) -> None:
    """Build ``model`` from its first layer's input width if it is not built yet."""
    if not model.layers:
        raise ValueError("this Sequential model has no layers; add some with model.add(...)")
    if model.n_features is not None:
        model._ensure_built(model.n_features)
        return
    n_inputs = input_width_of(model.layers[0])
    if n_inputs is None:
        raise ValueError(
            "this model does not know its input width yet: give the first layer its inputs "
            "(Dense(n_inputs, n_neurons)), or call model.build(n_features) or fit first")
    model.build(int(n_inputs))


def _row(layer, output_shape) -> LayerRow:
    params = getattr(layer, "params", {}) or {}
    state = getattr(layer, "state", {}) or {}
    trainable = getattr(layer, "trainable", True)
    n_params = sum(int(np.size(v)) for v in params.values())
    n_state = sum(int(np.size(v)) for v in state.values())
    return LayerRow(
        name=str(layer.name), kind=type(layer).__name__,
        output_shape=None if output_shape is None else (None, *output_shape),
        param_shapes={key: tuple(np.shape(v)) for key, v in params.items()},
        state_shapes={key: tuple(np.shape(v)) for key, v in state.items()},
        n_trainable=n_params if trainable else 0,
        # A frozen layer's parameters and BatchNorm's running statistics are both saved, not trained.
        n_non_trainable=n_state + (0 if trainable else n_params),
        n_bytes=sum(int(np.asarray(v).nbytes) for store in (params, state) for v in store.values()),
    )


def format_bytes(n_bytes: int) -> str:
    """``1548`` -> ``"1.51 KB"`` (1 KB = 1024 bytes).

    Examples
    --------
    >>> format_bytes(100), format_bytes(1548), format_bytes(3 * 1024**2)
    ('100 B', '1.51 KB', '3.00 MB')
    """
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n_bytes >= size:
            return f"{n_bytes / size:.2f} {unit}"
    return f"{n_bytes} B"


def _shape_text(shape) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _param_text(row: LayerRow) -> str:
    parts = [f"{key} {_shape_text(shape)}" for key, shape in row.param_shapes.items()]
    parts += [f"{key} {_shape_text(shape)}*" for key, shape in row.state_shapes.items()]
    return ", ".join(parts) or "-"


def format_summary(summary: ModelSummary) -> str:
    """The summary as an aligned text table, with totals and memory."""
    header = ("Layer (type)", "Output shape", "Parameter shapes", "Params")
    body = _body(summary)
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(4)]

    def line(cells):
        left = "  ".join(cell.ljust(width) for cell, width in zip(cells[:3], widths))
        return f"{left}  {cells[3].rjust(widths[3])}"

    rule_width = sum(widths) + 6
    out = [f'Model: "{summary.name}"', _input_line(summary), "=" * rule_width, line(header),
           "-" * rule_width]
    out += [line(cells) for cells in body]
    out += ["=" * rule_width, *_footer(summary)]
    return "\n".join(out)


def _body(summary: ModelSummary) -> list:
    """One tuple of cells per layer: name (type), output shape, parameter shapes, count."""
    return [(f"{r.name} ({r.kind})", _shape_text(r.output_shape), _param_text(r),
             f"{r.n_params:,}" if r.output_shape is not None or r.param_shapes else "?")
            for r in summary.rows]


def _input_line(summary: ModelSummary) -> str:
    if not summary.built:
        return ("Input: (None, ?)  not built yet: the input width is unknown; start the model with "
                "Input((n_features,)) or Dense(n_inputs, n_neurons), or call build(n_features) or fit")
    return (f"Input: {_shape_text(summary.input_shape)}  "
            "(None is the batch: any number of samples flows through the same weights)")


def _footer(summary: ModelSummary) -> list:
    unbuilt = "" if summary.built else " so far (unbuilt layers: ?)"
    lines = [f"Total params: {summary.total:,}{unbuilt} ({format_bytes(summary.n_bytes)}, "
             f"{summary.dtype.name})",
             f"Trainable params: {summary.trainable:,}",
             f"Non-trainable params: {summary.non_trainable:,}"]
    if any(row.state_shapes for row in summary.rows):
        lines.append("* saved with the model but not trained (e.g. BatchNorm running statistics)")
    return lines


def format_summary_html(summary: ModelSummary) -> str:
    """The summary as an HTML table (what a notebook shows), with the same cells as the text.

    Examples
    --------
    >>> from numnet import Sequential, Dense, ReLU
    >>> table = format_summary_html(summarize(Sequential([Dense(2, 4), ReLU()])))
    >>> table.count("<tr>"), "Total params: 12" in table
    (3, True)
    """
    esc = html.escape
    head = "".join(f"<th style='text-align:left'>{esc(h)}</th>"
                   for h in ("Layer (type)", "Output shape", "Parameter shapes", "Params"))
    rows = "".join("<tr>" + "".join(f"<td style='text-align:left'><code>{esc(c)}</code></td>"
                                    for c in cells) + "</tr>" for cells in _body(summary))
    foot = "<br>".join(esc(line) for line in _footer(summary))
    return (f"<div class='numnet-summary'><b>Model: &quot;{esc(summary.name)}&quot;</b><br>"
            f"<span>{esc(_input_line(summary))}</span>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
            f"<p>{foot}</p></div>")
