"""``numnet inspect``: what a model file holds, without running the model."""
from __future__ import annotations

import json

from numnet.cli.common import add_command


def add_parser(commands):
    """Add the ``numnet inspect`` subcommand and its options to ``commands`` (argparse subparsers)."""
    parser = add_command(
        commands, "inspect", help="describe a saved model",
        description="Show a model file's layers and parameters, its format version, the "
                    "training metadata and the preprocessing stored with it.",
        example="numnet inspect iris.numnet")
    parser.add_argument("model", metavar="MODEL.numnet")
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    """Run ``numnet inspect`` with the parsed ``args``; return the process exit status (0: success)."""
    from numnet.io import load_model

    model = load_model(args.model)
    info = model.file_info
    print(f"{args.model}: numnet model file, format version {info['format_version']} "
          f"(written by numnet {info['numnet_version']})")
    print(_summary(model))
    print(f"loss: {model.loss!r}" if model.loss is not None else "loss: none (not compiled)")
    if model.optimizer is not None:
        saved = (f"state saved, {model.optimizer.iterations} steps" if info["optimizer_state"]
                 else "no state saved")
        print(f"optimizer: {model.optimizer!r} ({saved})")
    print("metadata:")
    print(_indent(_metadata_text(model.metadata)))
    if model.preprocessing:
        print("preprocessing:")
        print(_indent(_preprocessing_text(model.preprocessing)))
    return 0


def _summary(model) -> str:
    summary = getattr(model, "summary", None)
    if summary is None:
        return f"{model!r}\n{model.n_params} parameters"
    return summary(print_fn=None)


def _metadata_text(metadata: dict) -> str:
    shown = dict(metadata)
    history = shown.pop("history", None)
    lines = [f"{key}: {json.dumps(value)}" for key, value in shown.items()]
    if history:
        n_epochs = len(next(iter(history.values())))
        lines.append(f"history: {', '.join(history)} for {n_epochs} epochs")
    return "\n".join(lines)


def _preprocessing_text(prep: dict) -> str:
    lines = [f"task: {prep.get('task')}, target: {prep.get('target')!r}"]
    if prep.get("classes") is not None:
        lines.append(f"classes: {', '.join(map(str, prep['classes']))}")
    lines.append(f"numeric features (standardised): {', '.join(prep.get('numeric', [])) or 'none'}")
    for name, levels in prep.get("categorical", {}).items():
        lines.append(f"text feature {name!r}, one-hot over: {', '.join(levels)}")
    if prep.get("impute"):
        lines.append(f"missing values filled with the {prep['impute']['strategy']}")
    return "\n".join(lines)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())
