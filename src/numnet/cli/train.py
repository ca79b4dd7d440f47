"""``numnet train``: train a network on a CSV file and save it with its preprocessing."""
from __future__ import annotations

import argparse
import os

import numpy as np

from numnet.cli.common import PREDICT_BATCH, add_command, note
from numnet.registry import ACTIVATIONS, OPTIMIZERS



def add_parser(commands):
    parser = add_command(
        commands, "train", help="train a network on a CSV file",
        description="Train a network on a CSV file: text columns are one-hot encoded, numeric "
                    "columns (and a regression target) standardised, and all of it is stored in "
                    "the model file together with the network. Missing values are an error "
                    "unless --impute is given. A training-curve PNG is written beside the model.",
        example="numnet train iris.csv --target species --layers 32,16 --epochs 200 "
                "--out iris.numnet")
    parser.add_argument("data", metavar="DATA.csv", help="training data with a header line")
    parser.add_argument("--target", required=True, metavar="COLUMN", help="the column to predict")
    parser.add_argument("--out", required=True, metavar="MODEL.numnet",
                        help="where to save the model")
    parser.add_argument("--task", choices=["auto", "classification", "regression"], default="auto",
                        help="auto: text or few whole-number targets are classes (default auto)")
    parser.add_argument("--layers", type=_layer_sizes, default=[64, 32], metavar="64,32",
                        help="hidden layer widths, comma-separated; '' for none (default 64,32)")
    parser.add_argument("--activation", choices=[n for n in ACTIVATIONS.names() if n != "softmax"],
                        default="relu", help="hidden activation (default relu)")
    parser.add_argument("--dropout", type=_fraction, default=0.0, help="dropout rate after each "
                        "hidden layer, in [0, 1) (default 0)")
    parser.add_argument("--epochs", type=_positive_int, default=100, help="(default 100)")
    parser.add_argument("--batch-size", type=_positive_int, default=32, help="(default 32)")
    parser.add_argument("--lr", type=_positive_float, default=0.001,
                        help="learning rate (default 0.001)")
    parser.add_argument("--optimizer", choices=OPTIMIZERS.names(), default="adam",
                        help="(default adam)")
    parser.add_argument("--val-split", type=_fraction, default=0.2, metavar="FRACTION",
                        help="random fraction of rows held out for validation (default 0.2)")
    parser.add_argument("--early-stopping", action="store_true",
                        help="stop when the validation loss stops improving; keep the best weights")
    parser.add_argument("--patience", type=_positive_int, default=10,
                        help="epochs without improvement before early stopping (default 10)")
    parser.add_argument("--impute", choices=["mean", "median", "most_frequent"],
                        help="fill missing feature values with this statistic of the training "
                             "rows (text columns always use the most frequent value)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch progress")
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    from numnet.cli.data import read_csv
    from numnet.cli.preprocessing import prepare_training, resolve_task

    _check_out(args.out)
    data = read_csv(args.data, target=args.target)
    task, reason = resolve_task(data.target, args.target, args.task)
    n_rows, n_numeric, n_text = data.n_rows, len(data.numeric), len(data.categorical)
    prepared = prepare_training(data, task, args.impute, args.val_split, args.seed)
    del data  # the matrix holds everything now
    prep = prepared.preprocessing
    print(f"{args.data}: {n_rows} rows, {n_numeric} numeric and {n_text} text feature columns "
          f"({prepared.X.shape[1]} inputs); task: {task} ({reason})"
          + (f", {len(prep['classes'])} classes" if task == "classification" else ""))
    model = build_network(prepared.X.shape[1], task, prep, args)
    _fit(model, prepared, args)
    scores = _final_scores(model, prepared)
    for split, values in scores.items():
        print(f"final {split}: " + "  ".join(f"{k} {v:.4f}" for k, v in values.items()))
    _save(model, prepared, scores, args, n_rows)
    return 0


def build_network(n_inputs: int, task: str, prep: dict, args):
    """Dense layers of ``args.layers`` with the activation (and dropout), then the output."""
    from numnet import Dense, Dropout, Sequential, Softmax
    from numnet.registry import ACTIVATIONS as activations

    seeds = np.random.default_rng(args.seed)

    def seed():
        return int(seeds.integers(2**63))

    layers, width = [], n_inputs
    for size in args.layers:
        layers += [Dense(width, size, random_state=seed()), activations.get(args.activation)]
        if args.dropout:
            layers.append(Dropout(args.dropout, random_state=seed()))
        width = size
    n_outputs = len(prep["classes"]) if task == "classification" else 1
    layers.append(Dense(width, n_outputs, random_state=seed()))
    if task == "classification":
        layers.append(Softmax())
    model = Sequential(layers, random_state=args.seed)
    model.compile(loss="categorical_crossentropy" if task == "classification" else "mse",
                  optimizer=OPTIMIZERS.get(args.optimizer, learning_rate=args.lr),
                  metrics=["accuracy"] if task == "classification" else ["mae"])
    return model


def _fit(model, prepared, args):
    from numnet import EarlyStopping

    X, y, cut = prepared.X, prepared.y, prepared.n_train
    validation = (X[cut:], y[cut:]) if cut < len(X) else None
    callbacks = []
    if args.early_stopping:
        callbacks.append(EarlyStopping(monitor="val_loss" if validation else "loss",
                                       patience=args.patience, restore_best_weights=True))
    model.fit(X[:cut], y[:cut], epochs=args.epochs, batch_size=args.batch_size,
              validation_data=validation, callbacks=callbacks, random_state=args.seed,
              verbose=0 if args.quiet else "auto")


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


def _save(model, prepared, scores, args, n_rows):
    from numnet.io import save_model

    history = model.history
    metadata = {
        "data": os.path.basename(args.data), "rows": n_rows, "training_rows": prepared.n_train,
        "validation_rows": len(prepared.X) - prepared.n_train,
        "epochs_run": len(history.epoch), "best_epoch": history.best_epoch,
        "scores": scores,
        "options": {key: getattr(args, key) for key in (
            "task", "layers", "activation", "dropout", "epochs", "batch_size", "lr", "optimizer",
            "val_split", "early_stopping", "impute", "seed")},
    }
    save_model(model, args.out, metadata=metadata, preprocessing=prepared.preprocessing)
    curve = _plot_curve(history, args.out)
    print(f"saved the model to {args.out}" + (f"; training curve: {curve}" if curve else ""))


def _plot_curve(history, out) -> str | None:
    path = os.path.splitext(out)[0] + "_training.png"
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no window, works without a display
        import matplotlib.pyplot as plt
    except ImportError:
        note("matplotlib is not installed, so no training-curve PNG was written "
             "(pip install numnet[cli])")
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
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def _check_out(out: str) -> None:
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise ValueError(f"cannot write {out}: the folder {folder} does not exist")


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


def _number(convert, valid, expected):
    """An argparse type: ``convert`` the text, and reject it unless ``valid(value)``."""
    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not valid(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value
    return parse


_positive_int = _number(int, lambda v: v > 0, "a positive whole number")
_positive_float = _number(float, lambda v: 0 < v < float("inf"), "a positive number")
_fraction = _number(float, lambda v: 0 <= v < 1, "a number in [0, 1)")
