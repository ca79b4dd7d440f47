"""A small SVG picture of a network, for notebooks (``Sequential._repr_html_``).

Written as plain SVG text, so that the core keeps importing only NumPy: a
notebook shows the picture without matplotlib. :func:`numnet.plot.network`
draws the detailed, weight-coloured version with matplotlib.
"""
from __future__ import annotations

import html

import numpy as np

MAX_SHOWN = 8  # neurons drawn per column; wider layers show the first and last around "..."
DX, DY, R, TOP = 120, 26, 9, 44


def network_svg(widths: list, names: list, notes: list) -> str:
    """SVG of columns of neurons joined by every connection between neighbouring columns.

    Parameters
    ----------
    widths : list of int
        Neurons per column, the input features first.
    names : list of str
        One caption per column.
    notes : list of str
        Parameter-free layers acting on each column ("ReLU"), written beneath it.

    Returns
    -------
    str
        An ``<svg>`` element.

    Examples
    --------
    >>> svg = network_svg([2, 3], ["input", "dense"], ["", "Softmax"])
    >>> svg.startswith("<svg") and svg.count("<circle") == 5 and svg.count("<line") == 6
    True
    """
    shown = [min(w, MAX_SHOWN) for w in widths]
    height = TOP + DY * max(shown) + 46
    width = DX * (len(widths) - 1) + 120
    ys = [_column_ys(n, max(shown)) for n in shown]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">']
    for c in range(1, len(widths)):
        parts += [f'<line x1="{_x(c - 1)}" y1="{a}" x2="{_x(c)}" y2="{b}" stroke="#aaa" '
                  'stroke-width="0.6"/>' for a in ys[c - 1] for b in ys[c]]
    for c, (w, name, note) in enumerate(zip(widths, names, notes)):
        parts += [f'<circle cx="{_x(c)}" cy="{y}" r="{R}" fill="{_fill(c, len(widths))}" '
                  'stroke="black"/>' for y in ys[c]]
        parts.append(_text(_x(c), 14, html.escape(str(name)), bold=True))
        parts.append(_text(_x(c), 28, f"{w} {'feature' if c == 0 else 'neuron'}{'s' if w != 1 else ''}"))
        if w > MAX_SHOWN:
            parts.append(_text(_x(c) + 2 * R, (ys[c][0] + ys[c][-1]) / 2, f"... {w - MAX_SHOWN} more"))
        if note:
            parts.append(_text(_x(c), height - 10, html.escape(note), italic=True))
    parts.append("</svg>")
    return "".join(parts)


def _x(c: int) -> int:
    return 60 + DX * c


def _column_ys(n: int, tallest: int) -> list:
    offset = TOP + R + DY * (tallest - n) / 2
    return [round(float(y), 1) for y in offset + DY * np.arange(n)]


def _fill(c: int, n_columns: int) -> str:
    return "#e8e8e8" if c == 0 else ("#fff2cc" if c == n_columns - 1 else "white")


def _text(x, y, text, bold=False, italic=False) -> str:
    style = (' font-weight="bold"' if bold else "") + (' font-style="italic"' if italic else "")
    return f'<text x="{x}" y="{y}" text-anchor="middle"{style}>{text}</text>'


def model_svg(model) -> str:
    """SVG of a built :class:`~numnet.Sequential`: one column per layer with 2-D ``weights``."""
    widths, names, notes = [int(model.n_features)], ["input"], [[]]  # type: list[int], list[str], list[list[str]]
    for layer in model.layers:
        W = getattr(layer, "params", {}).get("weights")
        if W is not None and np.ndim(W) == 2:
            widths.append(int(W.shape[1]))
            names.append(str(layer.name))
            notes.append([])
        else:
            notes[-1].append(type(layer).__name__)
    return network_svg(widths, names, [", ".join(n) for n in notes])
