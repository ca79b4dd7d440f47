"""``numnet export``: write a saved model as ONNX, for other runtimes."""
from __future__ import annotations

import json

from numnet.cli.common import add_command, add_force, note, positive_int


def add_parser(commands):
    parser = add_command(
        commands, "export", help="export a saved model to ONNX",
        description="Write a model file as an ONNX model with a dynamic batch dimension. The "
                    "ONNX graph takes the encoded inputs (standardised numeric columns, then "
                    "one-hot columns); the preprocessing is stored in the ONNX file's metadata "
                    "under 'numnet_preprocessing'. For regression the output is the standardised "
                    "target: multiply by its 'target_std' and add its 'target_mean'.",
        example="numnet export iris.numnet --onnx iris.onnx")
    parser.add_argument("model", metavar="MODEL.numnet")
    parser.add_argument("--onnx", required=True, metavar="OUT.onnx", help="the ONNX file to write")
    parser.add_argument("--opset", type=positive_int, default=17,
                        help="ONNX operator set, 13 or newer (default 17)")
    add_force(parser)
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    from numnet.cli.outputs import check_output
    from numnet.io import load_model

    check_output(args.onnx, "--onnx", "onnx", {"the model": args.model}, args.force)
    model = load_model(args.model)
    try:
        from numnet.onnx import export
    except ImportError:
        raise ImportError("exporting needs the onnx package; install it with "
                          "`pip install numnet[onnx]`") from None
    metadata = {}
    if model.preprocessing:
        metadata["numnet_preprocessing"] = json.dumps(model.preprocessing)
    export(model, args.onnx, opset=args.opset, metadata=metadata)
    print(f"wrote {args.onnx}: input 'input' of shape (batch, {model.n_features}), output "
          f"'output' of shape (batch, {model.n_outputs}), opset {args.opset}")
    columns = (model.preprocessing or {}).get("encoded_columns")
    if columns:
        note("the ONNX model takes the encoded columns in this order: " + ", ".join(columns)
             + "; numeric ones standardised as stored in the metadata 'numnet_preprocessing'")
    prep = model.preprocessing or {}
    if prep.get("task") == "regression" and "target_mean" in prep:
        note(f"the ONNX output is the standardised target: multiply it by target_std "
             f"({prep['target_std']}) and add target_mean ({prep['target_mean']}) to get "
             f"{prep.get('target', 'the target')!r} in its units")
    return 0
