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


def add_force(parser) -> None:
    """The ``--force`` flag: allow replacing an existing file of another kind."""
    parser.add_argument("--force", action="store_true",
                        help="overwrite an existing output file even if it holds something else "
                             "(an output is never allowed to be one of the input files)")


# -- argument types: argparse turns their errors into usage errors (exit code 2) ------
def number_type(convert, valid, expected):
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


positive_int = number_type(int, lambda v: v > 0, "a positive whole number")
positive_float = number_type(float, lambda v: 0 < v < float("inf"), "a positive number")
fraction = number_type(float, lambda v: 0 <= v < 1, "a number in [0, 1)")
# Seeds go to np.random.default_rng, which refuses negative numbers.
random_seed = number_type(int, lambda v: 0 <= v < 2**63, "a whole number from 0 to 2**63 - 1")
