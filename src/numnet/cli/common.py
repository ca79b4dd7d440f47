"""Pieces every ``numnet`` subcommand shares: its parser, notes on stderr, loading a model."""
from __future__ import annotations

import argparse
import sys


def add_command(commands, name: str, help: str, description: str, example: str):
    """Add a subcommand parser whose ``--help`` ends with an example."""
    parser = commands.add_parser(
        name, help=help, description=description, epilog=f"example:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    # SUPPRESS: without it the subcommand's default (False) would overwrite
    # `numnet --debug COMMAND`, which sets the same flag on the main parser.
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback on errors")
    return parser


def note(message: str) -> None:
    """Print an informational note on stderr (stdout may carry predictions)."""
    print(f"note: {message}", file=sys.stderr)


def load_cli_model(path):
    """Load a model file, requiring the preprocessing that ``numnet train`` stores."""
    from numnet.io import load_model

    model = load_model(path)
    if not model.preprocessing or "feature_columns" not in model.preprocessing:
        raise ValueError(f"{path} was not made by `numnet train`, so it does not say how CSV "
                         "columns become its inputs; use it from Python with numnet.load()")
    return model


# Rows per forward pass when predicting a whole file: bounds memory on large CSVs.
PREDICT_BATCH = 8192


def column_kinds(prep: dict) -> dict:
    """``{column: "numeric" | "categorical"}`` for the model's input columns, as trained."""
    numeric = set(prep["numeric"])
    return {c: "numeric" if c in numeric else "categorical" for c in prep["feature_columns"]}
