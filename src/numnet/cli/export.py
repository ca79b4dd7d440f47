"""``numnet export``: write a saved model as ONNX, for other runtimes."""
from __future__ import annotations

import json

from numnet.cli.common import add_command, add_force, note, positive_int


def add_parser(commands):
    """Add the ``numnet export`` subcommand and its options to ``commands`` (argparse subparsers)."""
    parser = add_command(
        commands, "export", help="export a saved model to ONNX",
        description="Write a model file as an ONNX model with a dynamic batch dimension. For a "
                    "model made by `numnet train` the graph holds the preprocessing too: it takes "
                    "one input per CSV column, named after it, of shape (batch, 1) (float32 with "
                    "NaN for a missing cell in numeric columns; strings, '' for a missing cell, "
                    "in text columns) and returns 'label' (the class as in the CSV, or the "
                    "prediction in the target's units) and, for classification, 'probabilities': "
                    "what `numnet predict` writes. With --encoded (and for models saved from "
                    "Python) the graph takes the encoded matrix 'input' (standardised numeric "
                    "columns, then one-hot columns) and returns the network's 'output'. The "
                    "preprocessing is also stored in the file's metadata 'numnet_preprocessing'.",
        example="numnet export iris.numnet --onnx iris.onnx")
    parser.add_argument("model", metavar="MODEL.numnet")
    parser.add_argument("--onnx", required=True, metavar="OUT.onnx", help="the ONNX file to write")
    parser.add_argument("--opset", type=positive_int, default=17,
                        help="ONNX operator set, 13 or newer (default 17)")
    parser.add_argument("--encoded", action="store_true",
                        help="export the network alone: the graph takes the encoded input matrix, "
                             "not the CSV columns")
    add_force(parser)
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    """Run ``numnet export`` with the parsed ``args``; return the process exit status (0: success)."""
    from numnet.cli.outputs import check_output
    from numnet.io import load_model

    check_output(args.onnx, "--onnx", "onnx", {"the model": args.model}, args.force)
    model = load_model(args.model)
    onnx_module = _onnx()
    prep = model.preprocessing or {}
    metadata = {"numnet_preprocessing": json.dumps(prep)} if prep else {}
    if args.encoded or "feature_columns" not in prep:
        if not args.encoded:
            note(f"{args.model} was not made by `numnet train`, so the graph takes the model's "
                 "input matrix (as with --encoded)")
        onnx_module.export(model, args.onnx, opset=args.opset, metadata=metadata)
        _report_encoded(args, model, prep)
    else:
        onnx_module.export_raw(model, args.onnx, opset=args.opset, metadata=metadata)
        _report_raw(args, prep)
    return 0


def _onnx():
    try:
        import numnet.onnx
    except ImportError:
        raise ImportError("exporting needs the onnx package; install it with "
                          "`pip install \".[onnx]\"`") from None
    return numnet.onnx


def _report_raw(args, prep: dict) -> None:
    numeric = set(prep["numeric"])
    inputs = ", ".join(f"{c!r} ({'float' if c in numeric else 'string'})"
                       for c in prep["feature_columns"])
    outputs = "'label'" + (f" (batch,) and 'probabilities' (batch, {len(prep['classes'])})"
                           if prep["task"] == "classification" else " (batch,) in target units")
    print(f"wrote {args.onnx}: inputs {inputs}, each of shape (batch, 1); outputs {outputs}; "
          f"opset {args.opset}")
    if not prep.get("impute"):
        note("this model was trained without --impute: `numnet predict` refuses missing cells, "
             "but the ONNX graph cannot refuse; there NaN passes through to the outputs and a "
             "missing text cell counts as an unseen value (all zeros)")


def _report_encoded(args, model, prep: dict) -> None:
    print(f"wrote {args.onnx}: input 'input' of shape (batch, {model.n_features}), output "
          f"'output' of shape (batch, {model.n_outputs}), opset {args.opset}")
    columns = prep.get("encoded_columns")
    if columns:
        note("the ONNX model takes the encoded columns in this order: " + ", ".join(columns)
             + "; numeric ones standardised as stored in the metadata 'numnet_preprocessing'")
    if prep.get("task") == "regression" and "target_mean" in prep:
        note(f"the ONNX output is the standardised target: multiply it by target_std "
             f"({prep['target_std']}) and add target_mean ({prep['target_mean']}) to get "
             f"{prep.get('target', 'the target')!r} in its units")
