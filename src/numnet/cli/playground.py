"""``numnet playground``: build and train networks live in the browser (needs numnet[playground])."""
from __future__ import annotations

from numnet.cli.common import add_command


def add_parser(commands):
    """Add the ``numnet playground`` subcommand and its options to ``commands`` (argparse subparsers)."""
    parser = add_command(
        commands, "playground", help="train networks live in your browser",
        description="Start a local web page that builds, trains and shows a numnet network live: "
                    "decision regions, loss curves, every weight and its gradient. It can give "
                    'you the Python code and the .numnet file. Needs pip install ".[playground]".',
        example="numnet playground --port 8000")
    parser.add_argument("--port", type=int, default=8000, help="port to serve on (default 8000)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1, this computer only)")
    parser.add_argument("--i-know", action="store_true",
                        help="allow a --host other than loopback (the page has no login)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    """Run ``numnet playground`` with the parsed ``args``; return the process exit status (0: success)."""
    from numnet.playground import serve

    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be between 0 and 65535, got {args.port}")
    serve(host=args.host, port=args.port, open_browser=not args.no_browser, i_know=args.i_know)
    return 0
