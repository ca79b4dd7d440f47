"""``numnet train``: train a network on a CSV file and save it with its preprocessing."""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import traceback
import warnings

import numpy as np

from numnet.cli.common import (PREDICT_BATCH, add_command, add_force, fraction, note,
                               positive_float, positive_int, random_seed)
from numnet.registry import ACTIVATIONS, OPTIMIZERS

# The most memory a requested network may need to train (weights, gradients,
# optimizer state and the activations of one batch), checked before building it.
MAX_TRAINING_BYTES = 4 * 2**30

def add_parser(commands):
    """Add the ``numnet train`` subcommand and its options to ``commands`` (argparse subparsers)."""
    parser = add_command(
        commands, "train", help="train a network on a CSV file",
        description="Train a network on a CSV file: text columns are one-hot encoded, numeric "
                    "columns (and a regression target) standardised, and all of it is stored in "
                    "the model file together with the network. Missing values are an error "
                    "unless --impute is given. A training-curve PNG is written beside the model. "
                    "An output is never one of the inputs, and an existing file of another kind "
                    "is replaced only with --force.",
        example="numnet train iris.csv --target species --layers 32,16 --epochs 200 "
                "--out iris.numnet")
    parser.add_argument("data", metavar="DATA.csv", help="training data with a header line")
    parser.add_argument("--target", required=True, metavar="COLUMN", help="the column to predict")
    parser.add_argument("--out", required=True, metavar="MODEL.numnet",
                        help="where to save the model")
    parser.add_argument("--features", nargs="+", action="extend", metavar="COLUMN",
                        help="use only these columns as features (default: all but the target)")
    parser.add_argument("--drop", nargs="+", action="extend", default=[], metavar="COLUMN",
                        help="leave these columns out of the features (identifiers, free text); "
                             "predict and evaluate then ignore them too")
    parser.add_argument("--task", choices=["auto", "classification", "regression"], default="auto",
                        help="auto: text or few whole-number targets are classes (default auto)")
    parser.add_argument("--layers", type=_layer_sizes, default=[64, 32], metavar="64,32",
                        help="hidden layer widths, comma-separated; '' for none (default 64,32)")
    parser.add_argument("--activation", choices=[n for n in ACTIVATIONS.names() if n != "softmax"],
                        default="relu", help="hidden activation (default relu)")
    parser.add_argument("--dropout", type=fraction, default=0.0, help="dropout rate after each "
                        "hidden layer, in [0, 1) (default 0)")
    parser.add_argument("--epochs", type=positive_int, default=100, help="(default 100)")
    parser.add_argument("--batch-size", type=positive_int, default=32, help="(default 32)")
    parser.add_argument("--lr", type=positive_float, default=0.001,
                        help="learning rate (default 0.001)")
    parser.add_argument("--optimizer", choices=OPTIMIZERS.names(), default="adam",
                        help="(default adam)")
    parser.add_argument("--val-split", type=fraction, default=0.2, metavar="FRACTION",
                        help="random fraction of rows held out for validation (default 0.2)")
    parser.add_argument("--early-stopping", action="store_true",
                        help="stop when the validation loss stops improving; keep the best weights")
    parser.add_argument("--patience", type=positive_int, default=10,
                        help="epochs without improvement before early stopping (default 10)")
    parser.add_argument("--impute", choices=["mean", "median", "most_frequent"],
                        help="fill missing feature values with this statistic of the training "
                             "rows (text columns always use the most frequent value)")
    parser.add_argument("--seed", type=random_seed, default=0, help="random seed (default 0)")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch progress")
    parser.add_argument("--stream", action="store_true",
                        help="read the file chunk by chunk in two passes (statistics, then "
                             "training), so that memory does not grow with the file; automatic "
                             "for Parquet and for files over 1 GiB")
    add_force(parser)
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    """Run ``numnet train`` with the parsed ``args``; return the process exit status (0: success)."""
    strategy = mpi_strategy()
    if strategy is None:
        return _train(args, None)
    with _quiet_unless_chief(strategy):
        return _stop_every_rank_on_error(strategy, args, lambda: _train(args, strategy))


def _train(args, strategy) -> int:
    from numnet.cli.data import read_csv
    from numnet.cli.preprocessing import prepare_training, resolve_task

    chief = strategy is None or strategy.is_chief
    _check_outputs(args)
    check_network_size(1, args.layers, 1, 1)  # the widths alone may be too much: say so now,
    # before reading the data
    from numnet.cli.stream import should_stream, train_streaming

    if should_stream(args.data, args.stream):
        if strategy is not None:
            raise ValueError(_STREAM_UNDER_MPI.format(data=args.data, size=strategy.size))
        if not args.stream:
            note(f"{args.data} is Parquet or over 1 GiB: streaming it (as with --stream)")
        return train_streaming(args)
    data = read_csv(args.data, target=args.target, features=args.features, drop=args.drop)
    if data.ignored and chief:
        note(f"not using the columns {', '.join(data.ignored)} (--features/--drop); predict "
             "and evaluate will ignore them too")
    task, reason = resolve_task(data.target, args.target, args.task)  # type: ignore[arg-type]  # read with a target
    n_rows, n_numeric, n_text = data.n_rows, len(data.numeric), len(data.categorical)
    prepared = prepare_training(data, task, args.impute, args.val_split, args.seed)
    if data.bad and chief:  # only reached with --impute; without it they are an error
        note(f"{data.bad_message()}; treated as missing and filled with the {args.impute}")
    del data  # the matrix holds everything now
    prep = prepared.preprocessing
    print(f"{args.data}: {n_rows} rows, {n_numeric} numeric and {n_text} text feature columns "
          f"({prepared.X.shape[1]} inputs); task: {task} ({reason})"
          + (f", {len(prep['classes'])} classes" if task == "classification" else "")
          + (f"; data parallel on {strategy.size} MPI ranks" if strategy is not None else ""))
    model = build_network(prepared.X.shape[1], task, prep, args)
    _fit(model, prepared, args, strategy)
    if not chief:  # rank 0 alone scores the model and writes the files
        return 0
    scores = _final_scores(model, prepared)
    for split, values in scores.items():
        print(f"final {split}: " + "  ".join(f"{k} {v:.4f}" for k, v in values.items()))
    _save(model, prepared, scores, args, n_rows, strategy)
    return 0


# -- under mpiexec: data-parallel training (numnet.distributed) -----------------------
# Launchers put the job's size in the environment before MPI starts: MPICH's Hydra,
# Intel MPI and `srun --mpi=pmi2` set PMI_SIZE; Open MPI's mpirun OMPI_COMM_WORLD_SIZE.
MPI_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE")

_STREAM_UNDER_MPI = (
    "{data} would be streamed (--stream, Parquet or a file over 1 GiB), which numnet train "
    "does not yet do under mpiexec ({size} ranks); run without --stream on a CSV that fits in "
    "memory (every rank reads all of it), or train in one process")


def mpi_world_size() -> int:
    """The number of ranks this process was launched with by mpiexec or srun (1 if none).

    The launcher's environment variables decide, so that a plain ``numnet train``
    never imports mpi4py (importing it starts MPI). ``srun --mpi=pmix`` names no
    size before MPI starts, only ``PMIX_RANK``; then mpi4py is asked, if installed.
    """
    for name in MPI_SIZE_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value.isdigit():
            return int(value)
    if "PMIX_RANK" in os.environ:
        try:
            from mpi4py import MPI
        except ImportError:
            return 1
        return MPI.COMM_WORLD.Get_size()
    return 1


def mpi_strategy():
    """``DataParallel()`` when launched on several MPI ranks, else None.

    Raises ImportError (with the install hint) when a launcher started several
    ranks but mpi4py is missing: training alone on every rank would have them all
    write the same files.
    """
    if mpi_world_size() <= 1:
        return None
    from numnet.distributed import DataParallel

    strategy = DataParallel()
    return strategy if strategy.size > 1 else None


@contextlib.contextmanager
def _quiet_unless_chief(strategy):
    """Ranks other than 0 print nothing on stdout and show no warnings (rank 0 does).

    stderr stays open: errors and the abort message of a failing rank must be seen.
    """
    if strategy.is_chief:
        yield
        return
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _stop_every_rank_on_error(strategy, args, work) -> int:
    """Run ``work()``; if it fails on this rank, abort the whole MPI job.

    The other ranks would otherwise wait forever in their next collective
    operation. A divergence is detected by every rank together inside fit, so it
    is raised normally on each.
    """
    from numnet.exceptions import TrainingDivergedError

    try:
        return work()
    except TrainingDivergedError:
        raise
    except Exception as exc:
        detail = traceback.format_exc() if getattr(args, "debug", False) else f"{exc}\n"
        sys.stderr.write(f"numnet train: error on MPI rank {strategy.rank} of {strategy.size} "
                         f"(stopping every rank): {detail}")
        sys.stderr.flush()
        time.sleep(0.5)  # let the launcher forward the message before Abort kills every rank
        strategy.comm.Abort(1)
        raise


def build_network(n_inputs: int, task: str, prep: dict, args):
    """Dense layers of ``args.layers`` with the activation (and dropout), then the output."""
    from numnet import Dense, Dropout, Sequential, Softmax
    from numnet.registry import ACTIVATIONS as activations

    n_outputs = len(prep["classes"]) if task == "classification" else 1
    check_network_size(n_inputs, args.layers, n_outputs, args.batch_size)
    seeds = np.random.default_rng(args.seed)

    def seed():
        return int(seeds.integers(2**63))

    layers, width = [], n_inputs
    for size in args.layers:
        layers += [Dense(width, size, random_state=seed()), activations.get(args.activation)]
        if args.dropout:
            layers.append(Dropout(args.dropout, random_state=seed()))
        width = size
    layers.append(Dense(width, n_outputs, random_state=seed()))
    if task == "classification":
        layers.append(Softmax())
    model = Sequential(layers, random_state=args.seed)
    model.compile(loss="categorical_crossentropy" if task == "classification" else "mse",
                  optimizer=OPTIMIZERS.get(args.optimizer, learning_rate=args.lr),
                  metrics=["accuracy"] if task == "classification" else ["mae"])
    return model


def check_network_size(n_inputs: int, layers: list, n_outputs: int, batch_size: int) -> None:
    """Refuse a network whose training would need more than :data:`MAX_TRAINING_BYTES`.

    The estimate counts float32 weights, gradients and two optimizer moments
    (4 numbers per parameter), and three activation arrays per layer for the
    larger of a training batch and a prediction batch (``PREDICT_BATCH`` rows).
    """
    widths = [n_inputs, *layers, n_outputs]
    n_params = sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))
    rows = max(batch_size, PREDICT_BATCH)
    needed = 4 * (4 * n_params + 3 * rows * sum(widths[1:]))
    if needed > MAX_TRAINING_BYTES:
        shape = "-".join(map(str, widths))
        even = ", even with one input and one output" if n_inputs == n_outputs == 1 else ""
        raise ValueError(f"--layers {','.join(map(str, layers))} asks for a network ({shape}"
                         f"{even}) with {n_params:,} parameters that needs about "
                         f"{needed / 2**30:.1f} GiB to train, more than the "
                         f"{MAX_TRAINING_BYTES / 2**30:.0f} GiB numnet allows; use fewer or "
                         "narrower layers, such as --layers 64,32")


def _fit(model, prepared, args, strategy=None):
    from numnet import EarlyStopping

    X, y, cut = prepared.X, prepared.y, prepared.n_train
    validation = (X[cut:], y[cut:]) if cut < len(X) else None
    callbacks = []
    if args.early_stopping:
        callbacks.append(EarlyStopping(monitor="val_loss" if validation else "loss",
                                       patience=args.patience, restore_best_weights=True))
    model.fit(X[:cut], y[:cut], epochs=args.epochs, batch_size=args.batch_size,
              validation_data=validation, callbacks=callbacks, random_state=args.seed,
              verbose=0 if args.quiet else "auto", strategy=strategy)


def _final_scores(model, prepared) -> dict:
    """Training and validation scores in the original labels or units."""
    from numnet.cli.evaluate import scores

    prep, X, y, cut = prepared.preprocessing, prepared.X, prepared.y, prepared.n_train
    result = {}
    for split, rows in (("training", slice(0, cut)), ("validation", slice(cut, len(X)))):
        if rows.start == rows.stop:
            continue
        outputs = model.predict(X[rows], batch_size=PREDICT_BATCH)
        if prep["task"] == "classification":
            result[split] = scores(prep, y[rows], np.argmax(outputs, axis=1))
        else:
            scale, shift = prep["target_std"], prep["target_mean"]
            truth = y[rows].astype(np.float64) * scale + shift
            result[split] = scores(prep, truth, outputs[:, 0].astype(np.float64) * scale + shift)
    return result


def _save(model, prepared, scores, args, n_rows, strategy=None):
    from numnet.io import save_model

    history = model.history
    metadata = {
        "data": os.path.basename(args.data), "rows": n_rows, "training_rows": prepared.n_train,
        "validation_rows": len(prepared.X) - prepared.n_train,
        "epochs_run": len(history.epoch), "best_epoch": history.best_epoch,
        "scores": scores,
        "options": {key: getattr(args, key) for key in (
            "task", "layers", "activation", "dropout", "epochs", "batch_size", "lr", "optimizer",
            "val_split", "early_stopping", "impute", "seed", "features", "drop")},
    }
    if strategy is not None:
        metadata["mpi_ranks"] = strategy.size
    save_model(model, args.out, metadata=metadata, preprocessing=prepared.preprocessing)
    curve = _plot_curve(history, curve_path(args.out))
    print(f"saved the model to {args.out}" + (f"; training curve: {curve}" if curve else ""))


def curve_path(out: str) -> str:
    """The training-curve PNG written beside the model file ``out``."""
    return os.path.splitext(out)[0] + "_training.png"


def _plot_curve(history, path) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no window, works without a display
        import matplotlib.pyplot as plt
    except ImportError:
        note("matplotlib is not installed, so no training-curve PNG was written "
             "(pip install \".[cli]\")")
        return None
    try:
        from numnet.plot import history as plot_history

        figure = plot_history(history, title="training curve").figure
    except ImportError:
        figure, ax = plt.subplots()
        for key, values in history.history.items():
            if key.endswith("loss"):
                ax.plot(range(1, len(values) + 1), values, label=key)
        ax.set_xlabel("epoch")
        ax.legend()
    if os.path.exists(path):
        note(f"overwriting the training curve {path}")
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def _check_outputs(args) -> None:
    """Neither the model nor its training curve may replace the data or a file of another kind."""
    from numnet.cli.outputs import check_output

    data = {"the training data": args.data}
    check_output(args.out, "--out", "model", data, args.force)
    check_output(curve_path(args.out), "the training curve", "png", data, args.force,
                 choose="--out")


# -- argument types: argparse turns their errors into usage errors (exit code 2) ------
def _layer_sizes(text: str) -> list:
    if not text.strip():
        return []
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated widths such as 64,32, "
                                         f"got {text!r}") from None
    if any(size <= 0 for size in sizes):
        raise argparse.ArgumentTypeError(f"layer widths must be positive, got {text!r}")
    return sizes
