"""What the file sources share: finding part files, choosing columns, text labels."""
from __future__ import annotations

import os

import numpy as np


def list_files(path, suffixes: tuple, kind: str) -> list[str]:
    """``[path]`` for a file, or the sorted files ending in ``suffixes`` of a directory."""
    path = os.fspath(path)
    if os.path.isdir(path):
        files = sorted(os.path.join(path, name) for name in os.listdir(path)
                       if name.endswith(suffixes) and not name.startswith((".", "_")))
        if not files:
            raise ValueError(f"the directory {path} holds no {kind} files (names ending in "
                             f"{' or '.join(suffixes)}); pass a file or a directory of part files")
        return files
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such {kind} file or directory: {path}")
    return [path]


def choose_columns(columns: list, target: str, features, where: str) -> list[str]:
    """The feature columns: ``features`` if given, else every column but the target."""
    if not isinstance(target, str):
        raise TypeError(f"target must be a column name (str), got {type(target).__name__} {target!r}")
    missing = [c for c in [target, *(features or [])] if c not in columns]
    if missing:
        shown = ", ".join(map(repr, columns[:20])) + (", ..." if len(columns) > 20 else "")
        raise ValueError(f"{where} has no column {missing[0]!r} (asked for as "
                         f"{'target' if missing[0] == target else 'a feature'}); its columns are "
                         f"{shown}")
    chosen = list(features) if features is not None else [c for c in columns if c != target]
    if target in chosen:
        raise ValueError(f"the target column {target!r} is also among the features; leave it out "
                         "of features")
    if not chosen:
        raise ValueError(f"{where} has no feature columns besides the target {target!r}")
    return chosen


class LabelCoder:
    """Text (or other) labels to class indices 0..k-1, in the order of ``classes``."""

    def __init__(self, classes):
        self.classes = list(classes)
        self.index = {str(c): i for i, c in enumerate(self.classes)}

    def encode(self, values: np.ndarray, where: str) -> np.ndarray:
        """The index of each label in ``classes``; raises ValueError naming a label not there."""
        codes = np.fromiter((self.index.get(str(v), -1) for v in values), np.int64, len(values))
        unknown = np.flatnonzero(codes < 0)
        if unknown.size:
            raise ValueError(f"{where}: label {values[unknown[0]]!r} is not one of classes="
                             f"{self.classes[:10]}; add it to classes")
        return codes


def text_target_error(target: str, where: str, example) -> ValueError:
    """The error for a target column of text without ``classes`` to encode it."""
    return ValueError(f"the target column {target!r} of {where} holds text (e.g. {example!r}); "
                      "pass classes=[...] listing every label, so that each batch encodes them the same way")
