"""The playground's web server: one page, a WebSocket per tab, and three small HTTP endpoints.

Starlette routes the requests and uvicorn serves them (``pip install ".[playground]"``).
Each WebSocket connection owns one :class:`~numnet.playground.session.Session`; the
session's thread hands frames to :class:`FrameSlot`, which keeps only the newest, and
the connection sends whatever is newest when the socket is free.
"""
from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import secrets
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from numnet.playground.codegen import python_code
from numnet.playground.data import MAX_CSV_BYTES
from numnet.playground.session import Session

STATIC = Path(__file__).parent / "static"
MAX_SESSIONS = 16
MAX_MESSAGE_BYTES = 20_000


class FrameSlot:
    """Frames from a training thread to one WebSocket: data messages queue, frames coalesce."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop, self.ready = loop, asyncio.Event()
        self.messages: list = []
        self.frame = None

    def put(self, message: dict) -> None:
        """Called from any thread."""
        self.loop.call_soon_threadsafe(self._put, message)

    def _put(self, message):
        if message.get("type") == "frame":
            self.frame = message  # replaces an unsent frame: the page only needs the newest
        else:
            self.messages.append(message)
        self.ready.set()

    async def take(self) -> list:
        """Wait for news, then return (and clear) the pending messages and the newest frame."""
        await self.ready.wait()
        self.ready.clear()
        out, self.messages = self.messages, []
        if self.frame is not None:
            out.append(self.frame)
            self.frame = None
        return out


def create_app() -> Starlette:
    """The Starlette application (no server started); tests and :func:`serve` use it."""
    sessions: dict[str, Session] = {}

    async def index(request):
        return FileResponse(STATIC / "index.html")

    async def socket(websocket: WebSocket):
        await websocket.accept()
        if len(sessions) >= MAX_SESSIONS:
            await websocket.send_json({"type": "error", "message": f"too many open playground tabs "
                                       f"(the limit is {MAX_SESSIONS}); close some and reload"})
            await websocket.close()
            return
        slot = FrameSlot(asyncio.get_running_loop())
        session_id = secrets.token_urlsafe(12)
        session = await asyncio.to_thread(Session, slot.put)
        sessions[session_id] = session
        await websocket.send_json({"type": "hello", "session": session_id})
        sender = asyncio.create_task(_send_frames(websocket, slot))
        try:
            await _receive_commands(websocket, session, slot)
        finally:
            sender.cancel()
            session.close()
            sessions.pop(session_id, None)

    def lookup(request: Request) -> Session:
        session = sessions.get(request.path_params["session"])
        if session is None:
            raise LookupError("no such playground session (it ends when its tab closes); reload the page")
        return session

    async def code(request):
        session = _or_404(lookup, request)
        if isinstance(session, Response):
            return session
        text = python_code(session.settings, session.epoch, session.k)
        return PlainTextResponse(text)

    async def model_file(request):
        session = _or_404(lookup, request)
        if isinstance(session, Response):
            return session
        content = await asyncio.to_thread(session.model_bytes)
        return Response(content, media_type="application/octet-stream",
                        headers={"Content-Disposition": 'attachment; filename="playground.numnet"'})

    async def upload(request):
        session = _or_404(lookup, request)
        if isinstance(session, Response):
            return session
        body = await _capped_body(request, MAX_CSV_BYTES)
        if body is None:
            return _error(f"the CSV file is over the limit of {MAX_CSV_BYTES:,} bytes; "
                          "upload a smaller sample of your data", 413)
        try:
            await asyncio.to_thread(session.upload_csv, body)
        except ValueError as exc:
            return _error(str(exc))
        return JSONResponse({"ok": True, "rows": int(len(session.y))})

    routes = [Route("/", index), WebSocketRoute("/ws", socket),
              Route("/api/{session}/code", code), Route("/api/{session}/model", model_file),
              Route("/api/{session}/csv", upload, methods=["POST"]),
              Mount("/static", StaticFiles(directory=STATIC), name="static")]
    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        for session in list(sessions.values()):  # Ctrl+C: stop every training thread
            session.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.sessions = sessions
    return app


async def _capped_body(request: Request, limit: int) -> bytes | None:
    """The request body, or None when it is over ``limit`` bytes.

    The rest of a too-large body is read and dropped rather than kept: memory stays
    bounded, and the client still gets the answer instead of a reset connection.
    """
    parts, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= limit:
            parts.append(chunk)
    return b"".join(parts) if size <= limit else None


def _or_404(lookup, request):
    try:
        return lookup(request)
    except LookupError as exc:
        return _error(str(exc), 404)


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _send_frames(websocket: WebSocket, slot: FrameSlot) -> None:
    while True:
        for message in await slot.take():
            await websocket.send_text(json.dumps(message))


async def _receive_commands(websocket: WebSocket, session: Session, slot: FrameSlot) -> None:
    while True:
        try:
            text = await websocket.receive_text()
        except (WebSocketDisconnect, RuntimeError):
            return
        try:
            await asyncio.to_thread(_apply, session, _parse(text))
        except (ValueError, TypeError) as exc:
            slot.put({"type": "error", "message": str(exc)})


def _parse(text: str) -> dict:
    if len(text) > MAX_MESSAGE_BYTES:
        raise ValueError(f"a message may be {MAX_MESSAGE_BYTES:,} characters at most, got {len(text):,}")
    try:
        message = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"messages must be JSON objects: {exc}") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ValueError('messages must be JSON objects with a "type", e.g. {"type": "play"}')
    return message


def _apply(session: Session, message: dict) -> None:
    if message["type"] == "config":
        session.configure(message.get("settings"))  # type: ignore[arg-type]  # checked by configure
    else:
        session.command(message["type"], message.get("value"))


def check_host(host: str, i_know: bool) -> str:
    """Return ``host`` if it is a loopback address, or if the user said ``--i-know``.

    Raises
    ------
    ValueError
        For another address without ``i_know``: the playground runs code on
        request and has no login, so it must not face a network by accident.
    """
    if host == "localhost":
        return host
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        raise ValueError(f"host must be an IP address such as 127.0.0.1, got {host!r}") from None
    if not loopback and not i_know:
        raise ValueError(f"host {host} is not a loopback address: anyone who can reach it could use "
                         "this server's CPU, and it has no login. Keep the default 127.0.0.1, or pass "
                         "--i-know (i_know=True) to serve on it anyway")
    return host


def make_server(host: str = "127.0.0.1", port: int = 8000, i_know: bool = False, log_level="warning"):
    """A configured ``uvicorn.Server`` for the playground (call ``.run()`` to serve)."""
    import uvicorn

    config = uvicorn.Config(create_app(), host=check_host(host, i_know), port=port,
                            log_level=log_level, ws_max_size=MAX_MESSAGE_BYTES * 2)
    return uvicorn.Server(config)
