"""The numnet playground: build, train and look inside a network live, in the browser.

``numnet playground`` on the command line, or :func:`serve` from Python, starts a
local web server whose page drives numnet itself. The server needs the
``playground`` extra (``pip install ".[playground]"``); the data, settings,
training and code generation modules here need only NumPy.
"""
from __future__ import annotations

import threading
import webbrowser

EXTRA_HINT = ('the numnet playground needs Starlette and uvicorn; install them with '
              'pip install ".[playground]" (or pip install "numnet[playground]")')


def serve(host: str = "127.0.0.1", port: int = 8000, open_browser: bool = True,
          i_know: bool = False) -> None:
    """Serve the playground until Ctrl+C.

    Parameters
    ----------
    host : str
        Loopback (127.0.0.1) by default; another address needs ``i_know=True``.
    port : int
    open_browser : bool
        Open the page in the default browser once the server is up.
    i_know : bool
        Allow a non-loopback ``host``.

    Raises
    ------
    ImportError
        Without the ``playground`` extra.
    ValueError
        For a non-loopback ``host`` without ``i_know``.
    """
    try:
        from numnet.playground.server import make_server
    except ImportError as exc:
        raise ImportError(EXTRA_HINT) from exc
    server = make_server(host, port, i_know=i_know)
    url = f"http://{host}:{port}/"
    print(f"numnet playground: serving on {url} (Ctrl+C to stop)")
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    server.run()  # uvicorn handles Ctrl+C: it stops accepting, closes sockets, runs shutdown


__all__ = ["serve"]
