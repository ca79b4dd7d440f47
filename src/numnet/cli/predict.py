"""``numnet predict``: predictions of a saved model for the rows of a CSV file."""
from __future__ import annotations

import os
import sys

import numpy as np

from numnet.cli.common import (PREDICT_BATCH, add_command, add_force, column_kinds,
                               load_cli_model, note)


def add_parser(commands):
    """Add the ``numnet predict`` subcommand and its options to ``commands`` (argparse subparsers)."""
    parser = add_command(
        commands, "predict", help="predict with a saved model",
        description="Predict the target for each row of a CSV file with a model made by "
                    "`numnet train`. Columns are matched by name: extra columns are ignored "
                    "(with a note), missing ones are an error. Predictions are in the original "
                    "labels (classification) or units (regression).",
        example="numnet predict iris.numnet new_flowers.csv --proba --out predictions.csv")
    parser.add_argument("model", metavar="MODEL.numnet")
    parser.add_argument("data", metavar="DATA.csv")
    parser.add_argument("--proba", action="store_true",
                        help="also write one probability column per class (classification)")
    parser.add_argument("--out", metavar="PREDICTIONS.csv",
                        help="write the predictions here (default: standard output)")
    parser.add_argument("--stream", action="store_true",
                        help="read the file chunk by chunk and write each chunk's predictions at "
                             "once (automatic for Parquet and for files over 1 GiB)")
    add_force(parser)
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    """Run ``numnet predict`` with the parsed ``args``; return the process exit status (0: success)."""
    import pandas as pd

    from numnet.cli.data import read_csv
    from numnet.cli.preprocessing import decode_outputs, prepare_inputs

    if args.out:
        from numnet.cli.outputs import check_output

        check_output(args.out, "--out", "csv", {"the model": args.model, "the data": args.data},
                     args.force)
    model = load_cli_model(args.model)
    prep = model.preprocessing
    if args.proba and prep["task"] != "classification":
        raise ValueError("--proba needs a classification model; this one does regression")
    from numnet.cli.stream import predict_streaming, should_stream

    if should_stream(args.data, args.stream):
        return _write_streamed(model, args, predict_streaming)
    data = read_csv(args.data, features=prep["feature_columns"], kinds=column_kinds(prep))
    notes = []
    if data.ignored:
        notes.append(f"ignoring columns the model does not use: {', '.join(data.ignored)}")
    X = prepare_inputs(data, prep, notes)
    for message in notes:
        note(message)
    outputs = model.predict(X, batch_size=PREDICT_BATCH)
    table = pd.DataFrame({"prediction": decode_outputs(outputs, prep)})
    if args.proba:
        for j, label in enumerate(prep["classes"]):
            table[f"proba_{label}"] = outputs[:, j].astype(np.float64)
    if args.out:
        table.to_csv(args.out, index=False)
        print(f"wrote {len(table)} predictions to {args.out}")
        return 0
    try:
        table.to_csv(sys.stdout, index=False)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader stopped early (`numnet predict ... | head`): not an error. Point
        # stdout at devnull so that Python's final flush does not complain.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _write_streamed(model, args, predict_streaming) -> int:
    """Predictions written chunk by chunk, to --out or standard output."""
    handle = open(args.out, "w", newline="") if args.out else sys.stdout

    def write(table, first):
        table.to_csv(handle, index=False, header=first)
        handle.flush()

    try:
        n = predict_streaming(model, args, write)
    finally:
        if args.out:
            handle.close()
    if args.out:
        print(f"wrote {n} predictions to {args.out}")
    return 0
