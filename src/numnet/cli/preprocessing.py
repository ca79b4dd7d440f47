"""From CSV columns to the float32 matrix a network trains on, and back to labels and units.

Training fits the preprocessing: category levels for one-hot encoding, the
values that fill missing cells (only with ``--impute``), the mean and
standard deviation of each numeric feature and, for regression, of the
target. All of it is plain JSON data stored in the model file, so that
``predict`` and ``evaluate`` apply exactly the same steps to new data.

The matrix is assembled once, in place: numeric blocks and one-hot columns
are written straight into one preallocated float32 array, whose rows are
shuffled on the way so that the validation rows (the last ones) are a random
sample. Statistics come from the training rows only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from numnet.cli.data import read_numeric

MAX_AUTO_CLASSES = 20
# A text column is taken for an identifier (and refused) when it has more than
# ID_MIN_LEVELS distinct values and they are more than ID_SHARE of its rows, or
# when it has more than MAX_LEVELS: one-hot encoding would make one input per
# value (8,000 ids: 8,000 inputs, 450 MB of matrix) that means nothing for new rows.
ID_MIN_LEVELS = 50
ID_SHARE = 0.5
MAX_LEVELS = 1000
# Standardised values are float32: every statistic, and every centred value, must fit.
FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass
class Prepared:
    """A training matrix with its targets: rows ``[:n_train]`` train, the rest validate."""

    X: np.ndarray
    y: np.ndarray
    n_train: int
    preprocessing: dict


# -- the task -----------------------------------------------------------------------
def resolve_task(target: np.ndarray, name: str, requested: str) -> tuple[str, str]:
    """Return ``(task, reason)``; ``requested`` is "auto", "classification" or "regression"."""
    numeric = target.dtype.kind == "f"
    if requested == "regression":
        if not numeric:
            example = next(v for v in target if not _is_missing(v))
            raise ValueError(f"the target column {name!r} holds text (for example {example!r}), "
                             "but --task regression needs numbers; use --task classification "
                             "or fix the column")
        return "regression", "requested"
    if requested == "classification":
        return "classification", "requested"
    if not numeric:
        return "classification", "the target holds text"
    values = np.unique(target[~np.isnan(target)])
    if np.all(values == np.round(values)) and len(values) <= MAX_AUTO_CLASSES:
        return "classification", f"the target holds {len(values)} distinct whole numbers"
    return "regression", "the target holds numbers with many distinct values"


# -- training -----------------------------------------------------------------------
def prepare_training(data, task: str, impute: str | None, val_split: float, seed) -> Prepared:
    """Read the numeric columns of ``data`` (a CsvData); check, encode, impute and standardise."""
    n = data.n_rows
    n_val = math.ceil(n * val_split) if val_split else 0
    if n - n_val < 1 or (val_split and n_val < 1):
        raise ValueError(f"{data.path} has {n} rows, too few for --val-split {val_split}")
    n_train = n - n_val
    # Row i of the file goes to row position[i] of the matrix: a shuffle for free.
    position = np.random.default_rng(seed).permutation(n)
    check_target_cells(data)
    levels = {c: _levels(values) for c, values in data.categorical.items()}
    _refuse_identifiers(data, levels)
    X = _assemble(data, levels, position)
    _check_missing(data, impute, with_target=True)
    impute_values = _impute(X, data, levels, impute, n_train, position)
    mean, std = _fit_scaling(X[:n_train, :len(data.numeric)])
    _check_scaling(X[:, :len(data.numeric)], mean, std, data.numeric)
    _scale(X, mean, std)
    prep = {"feature_columns": data.numeric + list(data.categorical),
            "numeric": data.numeric, "numeric_mean": mean.tolist(), "numeric_std": std.tolist(),
            "categorical": levels, "impute": impute_values, "target": data.target_name,
            "task": task, "encoded_columns": encoded_names(data.numeric, levels)}
    target = np.empty_like(data.target)
    target[position] = data.target
    data.target = None  # keep one copy of the target
    y = _fit_target(target, n_train, task, prep)
    return Prepared(X, y, n_train, prep)


def check_target_cells(data) -> None:
    """Refuse target cells that are not numbers (a numeric target cannot be imputed)."""
    message = data.bad_message([data.target_name])
    if message:
        raise ValueError(f"{data.path}: the target column holds cells that are not numbers, "
                         f"which cannot be imputed: {message}; fix or drop those rows")


def _refuse_identifiers(data, levels: dict) -> None:
    for name, column_levels in levels.items():
        n_present = data.n_rows - data.n_missing.get(name, 0)
        n_levels = len(column_levels)
        if n_levels > MAX_LEVELS or (n_levels > ID_MIN_LEVELS and n_levels > ID_SHARE * n_present):
            raise ValueError(
                f"{data.path}: text column {name!r} has {n_levels} distinct values in {n_present} "
                f"rows, so it looks like an identifier (names, ids, free text); one-hot encoding "
                f"would give {n_levels} inputs that say nothing about new rows. Leave it out "
                f"with --drop {name}, or fix it if it should hold numbers")


def _check_missing(data, impute, with_target: bool) -> None:
    bad = data.bad_message([c for c in data.bad if c != data.target_name])
    if bad and not impute:
        fix = ("Fix those cells, or pass --impute mean|median|most_frequent to treat them as "
               "missing" if with_target else "Fix those cells, or retrain with `numnet train ... "
               "--impute mean|median|most_frequent` to treat them as missing")
        raise ValueError(f"{data.path}: numeric columns hold cells that are not numbers: {bad}. "
                         f"{fix}")
    if with_target and data.target_name in data.missing:
        raise ValueError(f"{data.path}: the target column has missing values, which cannot be "
                         f"imputed: {data.missing_message([data.target_name])}; drop those rows")
    message = data.missing_message([c for c in data.missing if c != data.target_name])
    if message and not impute:
        fix = ("Fill them in, or pass --impute mean|median|most_frequent" if with_target else
               "Fill them in, or retrain with `numnet train ... --impute mean|median|most_frequent` "
               "so that the model file carries the values to fill them with")
        raise ValueError(f"{data.path} has missing values in {message}. {fix}")


def _levels(values: np.ndarray) -> list:
    present = [v for v in values if not _is_missing(v)]
    return sorted({str(v) for v in present})


def encoded_names(numeric: list, levels: dict) -> list:
    """The names of the matrix's columns: numeric names, then ``column=level`` per level."""
    return list(numeric) + [f"{c}={level}" for c, column_levels in levels.items()
                            for level in column_levels]


def _assemble(data, levels: dict, position=None) -> np.ndarray:
    """One float32 matrix: numeric columns (NaN where missing), then one-hot columns."""
    n, k = data.n_rows, len(data.numeric)
    width = k + sum(len(v) for v in levels.values())
    X = np.zeros((n, width), dtype=np.float32)
    read_numeric(data, X, position)  # streamed from the file straight into X
    offset = k
    for name, column_levels in levels.items():
        codes = category_codes(data.categorical[name], column_levels)
        known = codes >= 0
        rows = np.flatnonzero(known) if position is None else position[known]
        X[rows, offset + codes[known]] = 1.0
        offset += len(column_levels)
    return X


def category_codes(values: np.ndarray, levels: list) -> np.ndarray:
    """The index of each value in ``levels``; -1 for missing or unknown values."""
    import pandas as pd

    strings = np.array([None if _is_missing(v) else str(v) for v in values], dtype=object)
    # get_indexer gives -1 for values outside levels (unseen at training) and for None.
    return pd.Index(levels, dtype=object).get_indexer(strings).astype(np.int64)


def _impute(X, data, levels, strategy, n_train, position) -> dict | None:
    """Fill missing cells in place with statistics of the training rows; return what was used.

    X is in matrix order (training rows first); ``data``'s columns are in file
    order, and file row ``i`` sits at matrix row ``position[i]``.
    """
    if not strategy:
        return None
    used = {"strategy": strategy, "numeric": {}, "categorical": {}}
    # Every column gets its statistic stored, not only those with gaps in training:
    # new data may have gaps anywhere, and predict fills them from the same numbers.
    for j, name in enumerate(data.numeric):
        column = X[:, j]
        observed = column[:n_train][~np.isnan(column[:n_train])]
        value = _statistic(observed, strategy) if observed.size else 0.0
        if name in data.missing:
            column[np.isnan(column)] = value
        used["numeric"][name] = value
    offset = len(data.numeric)
    for name, column_levels in levels.items():
        if column_levels:
            codes = category_codes(data.categorical[name], column_levels)
            train_codes = codes[(position < n_train) & (codes >= 0)]
            level = int(np.argmax(np.bincount(train_codes, minlength=len(column_levels))))
            if name in data.missing:
                X[position[codes < 0], offset + level] = 1.0
            used["categorical"][name] = column_levels[level]
        offset += len(column_levels)
    return used


def _statistic(values: np.ndarray, strategy: str) -> float:
    if strategy == "mean":
        return float(np.mean(values, dtype=np.float64))
    if strategy == "median":
        return float(np.median(values))
    found, counts = np.unique(values, return_counts=True)
    return float(found[np.argmax(counts)])


def _fit_scaling(numeric: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = numeric.mean(axis=0, dtype=np.float64)
    std = np.sqrt(_column_variance(numeric, mean))
    std[std == 0] = 1.0  # a constant column stays constant (0 after centring)
    return mean, std


def _column_variance(numeric: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Per-column variance, a block of rows at a time so that no full-size temporary is made."""
    total = np.zeros(numeric.shape[1])
    for start in range(0, len(numeric), 65536):
        centred = numeric[start:start + 65536].astype(np.float64) - mean
        total += np.einsum("ij,ij->j", centred, centred)
    return total / max(len(numeric), 1)


def _check_scaling(numeric: np.ndarray, mean: np.ndarray, std: np.ndarray, names: list) -> None:
    """Refuse a column whose statistics, or whose centred values, overflow float32."""
    if not len(names):
        return
    low = numeric.min(axis=0).astype(np.float64)
    high = numeric.max(axis=0).astype(np.float64)
    reach = np.maximum(high - mean, mean - low)
    for j in np.flatnonzero(~(np.isfinite(mean) & np.isfinite(std) & (std <= FLOAT32_MAX)
                              & (reach <= FLOAT32_MAX))):
        raise ValueError(_overflow_message(f"column {names[j]!r}", mean[j], std[j],
                                           max(abs(low[j]), abs(high[j]))))


def _check_target_scaling(name: str, y: np.ndarray, mean: float, std: float) -> None:
    """Refuse a regression target whose mean or standard deviation is not finite in float32."""
    stats = np.array([mean, std])
    if not (np.isfinite(stats).all() and np.isfinite(stats.astype(np.float32)).all()):
        raise ValueError(_overflow_message(f"the target column {name!r}", mean, std,
                                           float(np.max(np.abs(y)))))


def _overflow_message(what: str, mean: float, std: float, largest: float) -> str:
    return (f"{what} cannot be standardised: its mean is {mean:.3g} and its standard deviation "
            f"{std:.3g}, with values as large as {largest:.3g}, but numnet computes in float32, "
            f"whose largest number is {FLOAT32_MAX:.3g}; rescale the column (divide it by a power "
            "of ten, or take a logarithm) before training")


def _scale(X, mean, std) -> None:
    k = len(mean)
    X[:, :k] -= mean.astype(np.float32)
    X[:, :k] /= std.astype(np.float32)


def _fit_target(target, n_train, task, prep) -> np.ndarray:
    if task == "classification":
        classes = _classes(target)
        if len(classes) < 2:
            raise ValueError(f"the target column {prep['target']!r} has only one value "
                             f"({classes[0]!r}); classification needs at least two classes")
        prep["classes"] = classes
        return encode_labels(target, prep)
    y = np.asarray(target, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is checked just below
        mean, std = float(y[:n_train].mean()), float(y[:n_train].std())
    _check_target_scaling(prep["target"], y[:n_train], mean, std)
    std = std if std > 0 else 1.0
    prep["target_mean"], prep["target_std"] = mean, std
    y -= mean  # in place: ``target`` is this function's own copy
    y /= std
    return y.astype(np.float32)


def _classes(target: np.ndarray) -> list:
    if target.dtype.kind == "f":
        values = np.unique(target)
        whole = np.all(values == np.round(values))
        return [int(v) if whole else float(v) for v in values]
    return _levels(target)


# -- new data -------------------------------------------------------------------------
def prepare_inputs(data, prep: dict, notes: list) -> np.ndarray:
    """The model's input matrix for new data (no shuffling), with the stored preprocessing."""
    impute = prep.get("impute")
    levels = prep["categorical"]
    for name, column_levels in levels.items():
        unseen = sorted({str(v) for v in data.categorical[name] if not _is_missing(v)}
                        - set(column_levels))
        if unseen:
            notes.append(f"column {name!r} has values not seen in training ({', '.join(unseen[:5])}"
                         f"{', ...' if len(unseen) > 5 else ''}); they are encoded as all zeros")
    X = _assemble(data, levels)
    _check_missing(data, impute and impute["strategy"], with_target=False)
    if impute and data.bad:
        notes.append(f"{data.bad_message()}; treated as missing and filled, as in training")
    if impute:
        _fill_stored(X, data, prep)
    _scale(X, np.asarray(prep["numeric_mean"]), np.asarray(prep["numeric_std"]))
    return X


def _fill_stored(X, data, prep) -> None:
    impute = prep["impute"]
    means = prep["numeric_mean"]
    for j, name in enumerate(data.numeric):
        column = X[:, j]
        column[np.isnan(column)] = impute["numeric"].get(name, means[j])
    offset = len(data.numeric)
    for name, column_levels in prep["categorical"].items():
        level = impute["categorical"].get(name)
        if level is not None and name in data.missing:
            rows = np.flatnonzero([_is_missing(v) for v in data.categorical[name]])
            X[rows, offset + column_levels.index(level)] = 1.0
        offset += len(column_levels)


def encode_labels(target: np.ndarray, prep: dict) -> np.ndarray:
    """Class indices 0..n_classes-1 for ``target``; -1 for a label the model never saw."""
    index = {value: i for i, value in enumerate(prep["classes"])}
    if target.dtype.kind == "f":
        return np.array([index.get(int(v) if v == int(v) else float(v), -1) for v in target],
                        dtype=np.int64)
    return np.array([index.get(str(v), -1) for v in target], dtype=np.int64)


def decode_outputs(outputs: np.ndarray, prep: dict) -> np.ndarray:
    """Predictions in the original label space (classification) or units (regression)."""
    if prep["task"] == "classification":
        classes = np.array(prep["classes"], dtype=object)
        return classes[np.argmax(outputs, axis=1)]
    return outputs[:, 0].astype(np.float64) * prep["target_std"] + prep["target_mean"]


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
