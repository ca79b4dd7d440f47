"""``numnet demo``: train on the built-in spiral data and digits, then draw what happened.

Nothing is downloaded: both data sets ship with numnet. The pictures need
matplotlib (``pip install ".[plot]"``); without it the demo still trains
and prints its results.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from pathlib import Path

from numnet.cli.common import positive_int, random_seed


def add_parser(commands):
    """Add the ``numnet demo`` subcommand and its options to ``commands`` (argparse subparsers)."""
    parser = commands.add_parser(
        "demo", help="train two small networks on built-in data and draw them",
        description="Train a 2-64-64-3 ReLU network on the built-in spiral data and a 64-64-10 "
                    "network on the 8x8 digits, print summaries, progress and a results table, "
                    "and write pictures (network diagram, decision boundary, training curves, "
                    "confusion matrix) as PNG files.\n\n"
                    "example: numnet demo --out numnet-demo --epochs 100")
    parser.add_argument("--out", default="numnet-demo",
                        help="folder for the PNG files (default ./numnet-demo)")
    parser.add_argument("--epochs", type=positive_int, default=200,
                        help="training epochs on the spiral data (default 200)")
    parser.add_argument("--digits-epochs", type=positive_int, default=30,
                        help="most training epochs on the digits; early stopping may end sooner (default 30)")
    parser.add_argument("--seed", type=random_seed, default=0, help="random seed (default 0)")
    parser.set_defaults(run=run)
    return parser


@dataclass
class Result:
    """One trained model and what the table and the pictures need from it."""

    name: str
    architecture: str
    model: Any
    history: Any
    X_train: object
    y_train: object
    X_test: object
    y_test: object
    seconds: float

    def row(self) -> tuple:
        """This demo's row of the results table: name, layers, parameters, epochs, time, accuracies."""
        train = self.model.evaluate(self.X_train, self.y_train)["accuracy"]
        test = self.model.evaluate(self.X_test, self.y_test)["accuracy"]
        epochs = len(self.history.epoch)
        return (self.name, self.architecture, f"{self.model.n_params:,}", str(epochs),
                f"{self.seconds:.1f}s", f"{train:.3f}", f"{test:.3f}")


def run(args) -> int:
    """Run ``numnet demo`` with the parsed ``args``; return the process exit status (0: success)."""
    results = [_spiral(args), _digits(args)]
    _print_table(results)
    _draw(results, Path(args.out))
    return 0


def _dense_stack(sizes, seed):
    from numnet import Dense, ReLU, Sequential, Softmax

    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [Dense(n_in, n_out, weight_init="he" if i < len(sizes) - 2 else "glorot",
                         random_state=seed + i), ReLU()]
    layers[-1] = Softmax()  # the last Dense feeds class probabilities, not a ReLU
    return Sequential(layers)


def _spiral(args) -> Result:
    from numnet import Adam, LambdaCallback, spiral_data, train_test_split

    print("== 1. Spiral data: 3 interleaved arms, 2 features ==")
    X, y = spiral_data(samples=200, classes=3, random_state=args.seed)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=args.seed, stratify=y)
    model = _dense_stack([2, 64, 64, 3], args.seed)
    model.compile(loss="categorical_crossentropy", optimizer=Adam(learning_rate=0.01),
                  metrics=["accuracy"])
    model.summary()
    every = max(1, args.epochs // 5)  # five progress lines: each epoch here takes milliseconds
    report = LambdaCallback(on_epoch_end=lambda epoch, logs: _progress_line(epoch, logs, every, args.epochs))
    start = time.perf_counter()
    history = model.fit(X_train, y_train, epochs=args.epochs, batch_size=32, verbose=0,
                        validation_data=(X_test, y_test), callbacks=[report], random_state=args.seed)
    seconds = time.perf_counter() - start
    return Result("spiral", "2-64-64-3 ReLU", model, history, X_train, y_train, X_test, y_test, seconds)


def _progress_line(epoch, logs, every, epochs):
    from numnet.model.progress import format_logs

    if (epoch + 1) % every == 0 or epoch + 1 == epochs:
        print(f"Epoch {epoch + 1}/{epochs} - {format_logs(logs)}", flush=True)


def _digits(args) -> Result:
    from numnet import Adam, EarlyStopping, load_digits, train_test_split

    print("\n== 2. Handwritten digits: 1797 images of 8x8 pixels, 10 classes ==")
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=args.seed,
                                                        stratify=y)
    model = _dense_stack([64, 64, 10], args.seed)
    model.compile(loss="categorical_crossentropy", optimizer=Adam(learning_rate=0.002),
                  metrics=["accuracy"])
    model.summary()
    stop = EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)
    start = time.perf_counter()
    history = model.fit(X_train, y_train, epochs=args.digits_epochs, batch_size=32, verbose="auto",
                        validation_data=(X_test, y_test), callbacks=[stop], random_state=args.seed)
    seconds = time.perf_counter() - start
    return Result("digits", "64-64-10 ReLU", model, history, X_train, y_train, X_test, y_test, seconds)


def _print_table(results):
    header = ("data", "network", "params", "epochs", "time", "train acc", "test acc")
    rows = [header] + [result.row() for result in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    print("\n== Results (test = held-out 25%, never trained on) ==")
    for k, row in enumerate(rows):
        cells = [cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        print("  ".join(cells))
        if k == 0:
            print("  ".join("-" * w for w in widths))


def _draw(results, out: Path):
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no window, works without a display
        import matplotlib.pyplot as plt

        from numnet import plot
    except ImportError:
        print("\nThe pictures need matplotlib: pip install \".[plot]\"  (training worked without it)")
        return
    out.mkdir(parents=True, exist_ok=True)
    spiral, digits = results
    drawings = {
        "spiral_network.png": lambda: plot.network(spiral.model, X_shape=spiral.X_train.shape,
                                                   output_names=[f"class {k}" for k in range(3)],
                                                   title="spiral network (trained)"),
        "spiral_boundary.png": lambda: plot.decision_boundary(spiral.model, spiral.X_test, spiral.y_test,
                                                              title="spiral: class regions, held-out points"),
        "spiral_history.png": lambda: plot.history(spiral.history, title="spiral: training curves"),
        "digits_network.png": lambda: plot.network(digits.model, X_shape=digits.X_train.shape,
                                                   output_names=[f"digit {d}" for d in range(10)],
                                                   title="digits network (trained)"),
        "digits_history.png": lambda: plot.history(digits.history, title="digits: training curves"),
        "digits_confusion.png": lambda: plot.confusion_matrix(digits.model, digits.X_test, digits.y_test),
    }
    written = []
    for name, draw in drawings.items():
        figure = draw().figure
        figure.savefig(out / name, dpi=110)
        plt.close(figure)
        written.append(name)
    print(f"\nPictures written to {out.resolve()}/:")
    for name in written:
        print(f"  {name}")
