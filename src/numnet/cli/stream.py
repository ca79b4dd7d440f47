"""``numnet train/predict --stream``: files larger than memory, read chunk by chunk.

Training makes two passes over the file. The first gathers what the
preprocessing needs (column kinds, the numeric columns' means and standard
deviations, the imputation values, the text columns' categories, the class
list or the target's mean and standard deviation); the second trains, chunk
by chunk, through a :class:`numnet.data.DataSource`. Validation rows are
picked by a seeded draw per chunk, the same in every pass. Predicting writes
each chunk's predictions as soon as they are made. The preprocessing is
stored in the model file in the same form as without ``--stream``.
"""
from __future__ import annotations

import os

import numpy as np

from numnet.data.base import DataSource

CHUNK_ROWS = 65536
# Above this size `numnet train` streams on its own (and says so).
STREAM_BYTES = 1 * 2**30
MAX_LEVELS = 1000
MAX_AUTO_CLASSES = 20
MEDIAN_SAMPLE = 20_000  # values kept per numeric column to estimate a median


def is_parquet(path) -> bool:
    """True for a ``.parquet``/``.pq`` file or a directory (a Parquet dataset)."""
    return str(path).endswith((".parquet", ".pq")) or os.path.isdir(path)


def should_stream(path, requested: bool) -> bool:
    """Stream when asked, for Parquet, or for a file over :data:`STREAM_BYTES`."""
    return requested or is_parquet(path) or os.path.getsize(path) > STREAM_BYTES


def read_frames(path, columns=None, chunk_rows: int = CHUNK_ROWS):
    """Yield the file's rows as pandas DataFrames of at most ``chunk_rows`` rows."""
    if is_parquet(path):
        from numnet.data.files import list_files
        from numnet.data.parquet import _pyarrow_parquet

        pq = _pyarrow_parquet()
        for part in list_files(path, (".parquet", ".pq"), "Parquet"):
            handle = pq.ParquetFile(part, pre_buffer=False)
            for batch in handle.iter_batches(batch_size=chunk_rows, columns=columns):
                yield batch.to_pandas()
        return
    import pandas as pd

    with pd.read_csv(path, usecols=columns, chunksize=chunk_rows) as reader:
        yield from reader


def file_columns(path) -> list:
    """The column names of a CSV or Parquet file, from its first rows."""
    for frame in read_frames(path, chunk_rows=1):
        return list(frame.columns)
    raise ValueError(f"{path} holds no rows")


def validation_rows(n: int, chunk_index: int, seed: int, val_split: float) -> np.ndarray:
    """Which rows of chunk ``chunk_index`` validate: the same draw in every pass."""
    return np.random.default_rng([seed, chunk_index]).random(n) < val_split


# -- pass 1: what preprocessing needs ------------------------------------------------
class _Stats:
    """Running count, sum and sum of squares of the numeric columns (float64)."""

    def __init__(self, names):
        self.names, self.n = names, np.zeros(len(names))
        self.total, self.squares = np.zeros(len(names)), np.zeros(len(names))
        self.sample = [[] for _ in names]

    def add(self, values: np.ndarray):
        present = ~np.isnan(values)
        self.n += present.sum(axis=0)
        filled = np.where(present, values, 0.0)
        self.total += filled.sum(axis=0)
        self.squares += (filled ** 2).sum(axis=0)
        for j, column in enumerate(values.T):
            if len(self.sample[j]) < MEDIAN_SAMPLE:
                self.sample[j].extend(column[~np.isnan(column)][:MEDIAN_SAMPLE // 10].tolist())

    def mean_std(self):
        n = np.maximum(self.n, 1)
        mean = self.total / n
        std = np.sqrt(np.maximum(self.squares / n - mean ** 2, 0.0))
        return mean, np.where(std > 0, std, 1.0)


def scan(path, target: str, features, drop, task: str, impute, val_split: float, seed: int) -> dict:
    """The first pass: the preprocessing dict (as ``numnet train`` stores it) and row counts."""
    columns = file_columns(path)
    if target not in columns:
        raise ValueError(f"{path} has no column {target!r}; its columns are {', '.join(columns[:20])}")
    chosen = [c for c in (features or columns) if c != target and c not in (drop or [])]
    numeric, text = _column_kinds(path, chosen)
    stats, counts, targets = _Stats(numeric), {c: {} for c in text}, _TargetStats()
    n_rows = n_train = 0
    for index, frame in enumerate(read_frames(path, columns=chosen + [target])):
        train = ~validation_rows(len(frame), index, seed, val_split)
        n_rows, n_train = n_rows + len(frame), n_train + int(train.sum())
        part = frame[train]
        stats.add(part[numeric].to_numpy(np.float64, na_value=np.nan))
        for c in text:
            for value, count in part[c].dropna().astype(str).value_counts().items():
                counts[c][value] = counts[c].get(value, 0) + int(count)
        targets.add(frame[target])
    if n_rows == 0:
        raise ValueError(f"{path} holds no data rows")
    return _preprocessing(path, numeric, text, stats, counts, targets, target, task, impute,
                          n_rows, n_train)


def _column_kinds(path, chosen):
    """Numeric columns are those whose first chunk has a numeric dtype; the rest are text."""
    frame = next(read_frames(path, columns=chosen, chunk_rows=1000))
    numeric = [c for c in chosen if frame[c].dtype.kind in "biuf"]
    return numeric, [c for c in chosen if c not in numeric]


class _TargetStats:
    def __init__(self):
        self.values, self.numeric, self.stats = {}, True, _Stats(["target"])

    def add(self, column):
        if column.isna().any():
            raise ValueError("the target column has missing values, which cannot be imputed; "
                             "drop those rows")
        self.numeric = self.numeric and column.dtype.kind in "biuf"
        if len(self.values) <= MAX_LEVELS:
            for value in column.unique():
                self.values[value] = True
        if self.numeric:
            self.stats.add(column.to_numpy(np.float64)[:, None])


def _preprocessing(path, numeric, text, stats, counts, targets, target, task, impute, n_rows,
                   n_train) -> dict:
    from numnet.cli.preprocessing import encoded_names

    levels = {c: sorted(counts[c]) for c in text}
    for c, column_levels in levels.items():
        if len(column_levels) > MAX_LEVELS:
            raise ValueError(f"{path}: text column {c!r} has more than {MAX_LEVELS} distinct "
                             f"values, so it looks like an identifier; leave it out with --drop {c}")
    mean, std = stats.mean_std()
    prep = {"feature_columns": numeric + text, "numeric": numeric, "numeric_mean": mean.tolist(),
            "numeric_std": std.tolist(), "categorical": levels,
            "impute": _impute_values(impute, numeric, stats, counts, mean),
            "target": target, "task": _task(task, targets),
            "encoded_columns": encoded_names(numeric, levels),
            "rows": n_rows, "training_rows": n_train}
    if prep["task"] == "classification":
        prep["classes"] = sorted(targets.values, key=lambda v: (isinstance(v, str), v))
        prep["classes"] = [v.item() if hasattr(v, "item") else v for v in prep["classes"]]
    else:
        t_mean, t_std = targets.stats.mean_std()
        prep["target_mean"], prep["target_std"] = float(t_mean[0]), float(t_std[0])
    return prep


def _task(requested, targets) -> str:
    if requested != "auto":
        return requested
    values = np.array(list(targets.values)) if targets.numeric else None
    if values is None or (len(values) <= MAX_AUTO_CLASSES and np.all(values == np.round(values))):
        return "classification"
    return "regression"


def _impute_values(strategy, numeric, stats, counts, mean):
    if strategy is None:
        return None
    values = mean.tolist() if strategy == "mean" else [
        float(np.median(sample)) if sample else 0.0 for sample in stats.sample]
    if strategy == "most_frequent":
        values = [float(max(set(s), key=s.count)) if s else 0.0 for s in stats.sample]
    return {"strategy": strategy, "numeric": dict(zip(numeric, values)),
            "categorical": {c: max(counts[c], key=counts[c].get) for c in counts if counts[c]}}


# -- pass 2: chunks the network trains on --------------------------------------------
def encode(frame, prep: dict, where: str) -> np.ndarray:
    """The float32 inputs of a chunk: numeric columns standardised, text columns one-hot."""
    numeric, levels = prep["numeric"], prep["categorical"]
    values = frame[numeric].to_numpy(np.float64, na_value=np.nan)
    missing = np.isnan(values)
    if missing.any():
        if not prep.get("impute"):
            j = int(np.argmax(missing.any(axis=0)))
            raise ValueError(f"{where}: column {numeric[j]!r} has missing values; pass --impute "
                             "mean|median|most_frequent (when training) to fill them")
        fill = np.array([prep["impute"]["numeric"][c] for c in numeric])
        values = np.where(missing, fill, values)
    values = (values - np.asarray(prep["numeric_mean"])) / np.asarray(prep["numeric_std"])
    blocks = [values.astype(np.float32)]
    for c, column_levels in levels.items():
        column = frame[c].astype(object)
        if prep.get("impute"):
            column = column.fillna(prep["impute"]["categorical"].get(c))
        codes = {v: i for i, v in enumerate(column_levels)}
        index = np.array([codes.get(str(v), -1) for v in column])
        onehot = np.zeros((len(frame), len(column_levels)), np.float32)
        known = index >= 0
        onehot[np.flatnonzero(known), index[known]] = 1.0  # unseen categories: all zeros
        blocks.append(onehot)
    return np.concatenate(blocks, axis=1)


def encode_target(column, prep: dict, where: str) -> np.ndarray:
    """The target column as the network's targets: class indices, or standardised float32 values."""
    if prep["task"] == "classification":
        index = {str(c): i for i, c in enumerate(prep["classes"])}
        codes = np.array([index.get(str(v), -1) for v in column])
        if (codes < 0).any():
            raise ValueError(f"{where}: label {column.iloc[int(np.argmax(codes < 0))]!r} is not one "
                             f"of the model's classes {prep['classes'][:10]}")
        return codes
    return ((column.to_numpy(np.float64) - prep["target_mean"]) / prep["target_std"]).astype(np.float32)


class FrameSource(DataSource):
    """The encoded training (or validation) rows of a file, chunk by chunk."""

    def __init__(self, path, prep: dict, part: str, val_split: float, seed: int, **options):
        super().__init__(**options)
        self.path, self.prep, self.part = path, prep, part
        self.val_split, self.seed = val_split, seed

    def n_rows(self):
        """Rows of this part (training or validation), from the preprocessing pass."""
        n_train = self.prep["training_rows"]
        return n_train if self.part == "training" else self.prep["rows"] - n_train

    def chunks(self, shuffle, rng):
        """The part's rows, chunk by chunk, encoded as the preprocessing recorded."""
        columns = self.prep["feature_columns"] + [self.prep["target"]]
        for index, frame in enumerate(read_frames(self.path, columns=columns)):
            held_out = validation_rows(len(frame), index, self.seed, self.val_split)
            part = frame[held_out if self.part == "validation" else ~held_out]
            where = f"{self.path}, chunk {index + 1}"
            yield encode(part, self.prep, where), encode_target(part[self.prep["target"]], self.prep, where)

    def __repr__(self):
        return f"FrameSource({self.path!r}, {self.part} rows)"


# -- the commands ----------------------------------------------------------------------
def train_streaming(args) -> int:
    """``numnet train --stream``: two passes over the file, then save as ``numnet train`` does."""
    from numnet import EarlyStopping
    from numnet.cli.train import build_network

    prep = scan(args.data, args.target, args.features, args.drop, args.task, args.impute,
                args.val_split, args.seed)
    n_inputs = len(prep["encoded_columns"])
    print(f"{args.data}: {prep['rows']} rows, {len(prep['numeric'])} numeric and "
          f"{len(prep['categorical'])} text feature columns ({n_inputs} inputs); task: "
          f"{prep['task']} (streamed: two passes, memory bounded by the chunk size)"
          + (f", {len(prep['classes'])} classes" if prep["task"] == "classification" else ""))
    model = build_network(n_inputs, prep["task"], prep, args)
    options = dict(val_split=args.val_split, seed=args.seed)
    train = FrameSource(args.data, prep, "training", **options)
    val = FrameSource(args.data, prep, "validation", **options) if args.val_split else None
    callbacks = [EarlyStopping(monitor="val_loss" if val else "loss", patience=args.patience,
                               restore_best_weights=True)] if args.early_stopping else []
    model.fit(train, epochs=args.epochs, batch_size=args.batch_size, validation_data=val,
              callbacks=callbacks, random_state=args.seed, verbose=0 if args.quiet else "auto")
    scores = {split: model.evaluate(source) for split, source in
              (("training", train), ("validation", val)) if source is not None}
    for split, values in scores.items():
        print(f"final {split}: " + "  ".join(f"{k} {v:.4f}" for k, v in values.items()))
    _save(model, prep, scores, args)
    return 0


def _save(model, prep, scores, args):
    from numnet.cli.train import _plot_curve, curve_path
    from numnet.io import save_model

    history = model.history
    metadata = {"data": os.path.basename(os.path.normpath(args.data)), "rows": prep["rows"],
                "training_rows": prep["training_rows"],
                "validation_rows": prep["rows"] - prep["training_rows"], "streamed": True,
                "epochs_run": len(history.epoch), "best_epoch": history.best_epoch,
                "scores": scores}
    stored = {k: v for k, v in prep.items() if k not in ("rows", "training_rows")}
    save_model(model, args.out, metadata=metadata, preprocessing=stored)
    curve = _plot_curve(history, curve_path(args.out))
    print(f"saved the model to {args.out}" + (f"; training curve: {curve}" if curve else ""))


def predict_streaming(model, args, write) -> int:
    """Predict chunk by chunk, handing each chunk's table to ``write`` as soon as it is made."""
    import pandas as pd

    from numnet.cli.preprocessing import decode_outputs

    prep = model.preprocessing
    n = 0
    for index, frame in enumerate(read_frames(args.data, columns=prep["feature_columns"])):
        outputs = model.predict(encode(frame, prep, f"{args.data}, chunk {index + 1}"))
        table = pd.DataFrame({"prediction": decode_outputs(outputs, prep)})
        if args.proba:
            for j, label in enumerate(prep["classes"]):
                table[f"proba_{label}"] = outputs[:, j].astype(np.float64)
        write(table, index == 0)
        n += len(table)
    return n


def evaluate_streaming(model, path, target: str):
    """Chunk by chunk: ``(truth, predicted)``, one entry per row (labels as class indices, -1
    for a label the model never saw; or values in the target's units)."""
    prep = model.preprocessing
    truth, predicted = [], []
    for index, frame in enumerate(read_frames(path, columns=prep["feature_columns"] + [target])):
        outputs = model.predict(encode(frame, prep, f"{path}, chunk {index + 1}"))
        column = frame[target]
        if column.isna().any():
            raise ValueError(f"{path}, chunk {index + 1}: the target column has missing values; "
                             "drop those rows")
        if prep["task"] == "classification":
            index_of = {str(c): i for i, c in enumerate(prep["classes"])}
            truth.append(np.array([index_of.get(str(v), -1) for v in column]))
            predicted.append(np.argmax(outputs, axis=1))
        else:
            truth.append(column.to_numpy(np.float64))
            predicted.append(outputs[:, 0].astype(np.float64) * prep["target_std"] + prep["target_mean"])
    if not truth:
        raise ValueError(f"{path} holds no data rows")
    return np.concatenate(truth), np.concatenate(predicted)
