"""Entry point: ``numnet COMMAND [options]``; each command lives in its own module."""
from __future__ import annotations

import argparse
import sys

from numnet import __version__


def build_parser() -> argparse.ArgumentParser:
    """The ``numnet`` argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="numnet", description="Train, inspect and use numnet neural networks.")
    parser.add_argument("--version", action="version", version=f"numnet {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    from numnet.cli import demo
    from numnet.cli import evaluate, export, inspect, predict, train

    for command in (train, predict, evaluate, inspect, export):
        command.add_parser(commands)
    demo.add_parser(commands)
    __import__("numnet.cli.playground", fromlist=["add_parser"]).add_parser(commands)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``numnet`` command: parse ``argv``, run the subcommand, return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except (ValueError, TypeError, OSError, ImportError) as exc:  # ImportError: a missing extra
        if args.debug:
            raise
        print(f"numnet {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except MemoryError:
        if args.debug:
            raise
        print(f"numnet {args.command}: error: out of memory; try a smaller network (--layers), a "
              "smaller --batch-size or a smaller data file", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug of ours: still one line, and how to see more
        if args.debug:
            raise
        print(f"numnet {args.command}: unexpected error ({type(exc).__name__}: {exc}); "
              "rerun with --debug for the traceback", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
