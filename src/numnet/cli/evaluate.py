"""``numnet evaluate``: scores of a saved model on a labelled CSV file.

Classification: accuracy, macro-averaged F1 and the confusion matrix.
Regression: MAE, RMSE and R², in the target's own units.
"""
from __future__ import annotations

import numpy as np

from numnet.cli.common import PREDICT_BATCH, add_command, column_kinds, load_cli_model, note


def add_parser(commands):
    """Add the ``numnet evaluate`` subcommand and its options to ``commands`` (argparse subparsers)."""
    parser = add_command(
        commands, "evaluate", help="score a saved model on a labelled CSV file",
        description="Score a model made by `numnet train` on a CSV file that holds the target "
                    "column: accuracy, macro F1 and the confusion matrix for classification; "
                    "MAE, RMSE and R2 (in the target's units) for regression.",
        example="numnet evaluate iris.numnet iris_test.csv --target species")
    parser.add_argument("model", metavar="MODEL.numnet")
    parser.add_argument("data", metavar="DATA.csv")
    parser.add_argument("--target", metavar="COLUMN",
                        help="the target column (default: the one the model was trained on)")
    parser.add_argument("--stream", action="store_true",
                        help="read the file chunk by chunk (automatic for Parquet and for files "
                             "over 1 GiB); memory holds one chunk and one label per row")
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    """Run ``numnet evaluate`` with the parsed ``args``; return the process exit status (0: success)."""
    from numnet.cli.data import read_csv
    from numnet.cli.preprocessing import check_target_cells, encode_labels, prepare_inputs

    model = load_cli_model(args.model)
    prep = model.preprocessing
    target = args.target or prep["target"]
    if target in prep["feature_columns"]:
        raise ValueError(f"column {target!r} is one of the model's input features, not a target; "
                         f"the model was trained to predict {prep['target']!r}")
    from numnet.cli.stream import should_stream

    if should_stream(args.data, args.stream):
        return _run_streaming(model, args, target)
    data = read_csv(args.data, target=target, features=prep["feature_columns"],
                    kinds=column_kinds(prep), target_kind=_target_kind(prep))
    check_target_cells(data)
    if target in data.missing:
        raise ValueError(f"{args.data}: the target column has missing values in "
                         f"{data.missing_message([target])}; drop those rows")
    notes: list[str] = []
    X = prepare_inputs(data, prep, notes)
    for message in notes:
        note(message)
    outputs = model.predict(X, batch_size=PREDICT_BATCH)
    if prep["task"] == "classification":
        truth = encode_labels(data.target, prep)  # type: ignore[arg-type]  # read with a target
        if (truth < 0).any():
            unseen = sorted({str(v) for v, t in zip(data.target, truth) if t < 0})  # type: ignore[arg-type]
            note(f"{int((truth < 0).sum())} rows have labels the model never saw "
                 f"({', '.join(unseen[:5])}); they count as errors")
        result = scores(prep, truth, np.argmax(outputs, axis=1))
    else:
        predicted = outputs[:, 0].astype(np.float64) * prep["target_std"] + prep["target_mean"]
        result = scores(prep, data.target.astype(np.float64), predicted)  # type: ignore[union-attr]
    print(f"{args.data}: {data.n_rows} rows, {prep['task']}")
    for name, value in result.items():
        print(f"{name:>9}: {value:.4f}")
    if prep["task"] == "classification":
        print(format_confusion(truth, np.argmax(outputs, axis=1), prep["classes"]))
    return 0


def _run_streaming(model, args, target) -> int:
    from numnet.cli.stream import evaluate_streaming

    prep = model.preprocessing
    truth, predicted = evaluate_streaming(model, args.data, target)
    if prep["task"] == "classification" and (truth < 0).any():
        note(f"{int((truth < 0).sum())} rows have labels the model never saw; they count as errors")
    print(f"{args.data}: {len(truth)} rows, {prep['task']} (streamed)")
    for name, value in scores(prep, truth, predicted).items():
        print(f"{name:>9}: {value:.4f}")
    if prep["task"] == "classification":
        print(format_confusion(truth, predicted, prep["classes"]))
    return 0


def _target_kind(prep: dict):
    if prep["task"] == "regression":
        return "numeric"
    return "numeric" if all(not isinstance(c, str) for c in prep["classes"]) else "categorical"


# -- scores ---------------------------------------------------------------------
def scores(prep: dict, truth: np.ndarray, predicted: np.ndarray) -> dict:
    """Accuracy and macro F1 (class indices; -1 = unknown label), or MAE, RMSE and R2 (values)."""
    if prep["task"] == "classification":
        return {"accuracy": float(np.mean(truth == predicted)),
                "macro_f1": macro_f1(truth, predicted, len(prep["classes"]))}
    error = predicted - truth
    total = float(np.sum((truth - truth.mean()) ** 2))
    residual = float(np.sum(error ** 2))
    r2 = 1.0 - residual / total if total > 0 else (1.0 if residual == 0 else 0.0)
    return {"mae": float(np.mean(np.abs(error))), "rmse": float(np.sqrt(np.mean(error ** 2))),
            "r2": r2}


def macro_f1(truth: np.ndarray, predicted: np.ndarray, n_classes: int) -> float:
    """Mean over the classes that occur (true or predicted) of ``2 tp / (2 tp + fp + fn)``."""
    f1 = []
    for c in range(n_classes):
        is_true, is_predicted = truth == c, predicted == c
        tp = int(np.sum(is_true & is_predicted))
        wrong = int(np.sum(is_true ^ is_predicted))  # false positives plus false negatives
        if tp or wrong:
            f1.append(2 * tp / (2 * tp + wrong))
    return float(np.mean(f1)) if f1 else 0.0


def format_confusion(truth: np.ndarray, predicted: np.ndarray, classes: list) -> str:
    """A text table: one row per true class, one column per predicted class."""
    n = len(classes)
    known = truth >= 0
    matrix = np.zeros((n, n), dtype=np.int64)
    np.add.at(matrix, (truth[known], predicted[known]), 1)
    names = [str(c) for c in classes]
    width = max(6, *(len(s) for s in names), len(str(matrix.max())))
    lines = ["confusion matrix (rows: true class, columns: predicted class)",
             " " * width + " " + " ".join(s.rjust(width) for s in names)]
    for name, row in zip(names, matrix):
        lines.append(name.rjust(width) + " " + " ".join(str(v).rjust(width) for v in row))
    return "\n".join(lines)
