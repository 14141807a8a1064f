"""The playground's web app: Starlette routes, the Host/Origin guard and the WebSocket protocol.

Routes: ``GET /`` (the page), ``GET /static/...`` (its ES modules and style, shipped in the
package), ``GET /api/table`` (the state table as JSON), ``POST /api/csv?target=COLUMN&session=ID`` (a
CSV table for the ``csv`` dataset of that tab only, at most 1 MB, read with deltagrad's CSV reader), ``WS /ws`` (the session).

Protocol on ``/ws`` (JSON objects, one per message). The page sends ``{"type": "hello", "hash": …, "session": ID}``
first, then ``set`` (``name``, ``value``), ``play``, ``pause``, ``step``, ``reset``, ``select``
(``index``), ``hide`` (``name``, ``hide``: a lesson hides that control), ``check`` and ``export``
(``answers``: the exercise's typed values, see `.exercise`). The server answers ``state``
(the validated state, its URL hash, the hidden controls, ``errors``: one message per
rejected value, and the run's layer ``sizes`` and ``classes`` names), ``data`` (the points), ``frame`` (see `Session.frame`), ``checked`` (a
verdict per quantity), ``toml`` (the worked example) and ``error`` (a bad message: the page
shows it; nothing is raised).

Safety: `HostGuard` refuses any HTTP or WebSocket request whose Host is not one of the
server's own names or whose Origin (when sent; always, for a WebSocket) is not ``http://`` + such a
name — the defence against DNS rebinding. Messages are parsed with ``json.loads`` only and checked
against the state table; nothing is evaluated.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
import time
from collections import OrderedDict
from importlib import resources

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from deltagrad.check import WorkedExampleError
from deltagrad.data import DataError

from .datasets import MAX_CSV_BYTES, load_table
from .exercise import check_answers, to_toml, worked_example
from .session import Session
from .state import ACTIONS, HIDEABLE, STATE_TABLE, StateError, from_hash, to_hash, validate_one

__all__ = ["HostGuard", "allowed_hosts", "create_app"]

MAX_MESSAGE = 64 * 1024  # bytes of one WebSocket message from the page
FRAME_INTERVAL = 1 / 30  # seconds: the play loop sends at most 30 frames per second
LIVE = ("sample", "edge_grad", "steps_per_frame", "grid", "quiz")  # settings that change a frame, not the run
SESSION_ID = re.compile(r"[A-Za-z0-9-]{8,64}")  # a tab's id (the page makes a random one per load)
MAX_UPLOADS = 32  # uploaded tables kept, one per tab; the oldest is dropped first
CONTROL = {"play", "pause", "step", "reset", "select", "set", "hello", "hide", "check", "export"}


def allowed_hosts(host: str, port: int) -> set[str]:
    """The Host header values the server answers: its own address and, on loopback, localhost's names.

    >>> sorted(allowed_hosts("127.0.0.1", 8000))
    ['127.0.0.1:8000', '[::1]:8000', 'localhost:8000']
    """
    names = {f"{host}:{port}"} if ":" not in host else {f"[{host}]:{port}"}
    if host in ("127.0.0.1", "localhost", "::1"):
        names |= {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}
    return names


class HostGuard:
    """ASGI middleware: 403 for HTTP and close code 1008 for WebSockets whose Host or Origin is foreign.

    Args:
        app: the ASGI app to protect.
        hosts: allowed ``host:port`` values (see `allowed_hosts`).
    """

    def __init__(self, app, hosts: set[str]):
        self.app, self.hosts = app, {h.lower() for h in hosts}
        self.origins = {f"http://{h}" for h in self.hosts}

    def refusal(self, scope) -> str | None:
        """Why the request is refused (one line), or None if its Host and Origin are the server's own."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "").lower()
        if host not in self.hosts:
            return f"Host {host!r} is not this server's"
        origin = headers.get("origin")
        if origin is None and scope["type"] == "websocket":
            return "a WebSocket without an Origin header"
        if origin is not None and origin.lower() not in self.origins:
            return f"Origin {origin!r} is not this server's"
        return None

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            why = self.refusal(scope)
            if why is not None:
                if scope["type"] == "http":
                    await PlainTextResponse(f"refused: {why}", status_code=403)(scope, receive, send)
                else:
                    await send({"type": "websocket.close", "code": 1008})
                return
        await self.app(scope, receive, send)


def _static_dir() -> str:
    return str(resources.files("deltagrad.playground") / "static")


class Connection:
    """One page's session: applies its messages and runs the play loop."""

    def __init__(self, ws: WebSocket, app_state):
        self.ws, self.app_state = ws, app_state  # app_state.csv: the --csv table (or None); .uploads: per tab
        self.tab: str | None = None  # the page's session id (from hello): its uploaded CSV is its own
        self.state, self.hidden = from_hash("")[0], set()
        self.session: Session | None = None
        self.playing = False

    @property
    def csv(self):
        """This tab's uploaded table, else the ``--csv`` table, else None (another tab's upload is never used)."""
        return self.app_state.uploads.get(self.tab) or self.app_state.csv

    async def send_state(self, errors: list[str]) -> None:
        s = self.session
        await self.ws.send_json({"type": "state", "state": self.state, "hash": to_hash(self.state, self.hidden),
                                 "hidden": sorted(self.hidden), "errors": errors, "playing": self.playing,
                                 "sizes": s.sizes if s else None, "classes": s.class_names if s else None})

    def new_session(self) -> Session:
        """A new run of the current state (the notebook widget's connection passes the learner's model)."""
        return Session(self.state, self.csv)

    async def rebuild(self, errors: list[str]) -> None:
        try:
            self.session = self.new_session()
        except DataError as e:
            errors.append(str(e) + "; using moons")
            self.state["dataset"] = "moons"
            self.session = self.new_session()
        except StateError as e:  # a one-output loss on a dataset of more than two classes
            errors.append(str(e) + "; using softmax_ce")
            self.state["loss"] = "softmax_ce"
            self.session = self.new_session()
        await self.send_state(errors)
        await self.ws.send_json({"type": "data", **self.session.points()})
        await self.send_frame()

    async def send_frame(self) -> None:
        await self.ws.send_json({"type": "frame", **self.session.frame()})

    async def handle(self, msg: dict) -> None:
        kind = msg.get("type")
        if kind not in CONTROL:
            raise StateError(f"unknown message type {str(kind)[:40]!r}")
        if kind == "hello":
            tab = msg.get("session")
            self.tab = tab if isinstance(tab, str) and SESSION_ID.fullmatch(tab) else None
            hash_ = msg.get("hash", "")
            self.state, self.hidden, errors = from_hash(hash_ if isinstance(hash_, str) else "")
            await self.rebuild(errors)
        elif kind == "set":
            name, value = validate_one(msg.get("name"), msg.get("value"))
            self.state[name] = value
            if name in LIVE:  # no new run: the session only draws differently
                self.session.state[name] = value
                await self.send_state([])
                await self.send_frame()
            else:
                await self.rebuild([])
        elif kind == "select":
            name, value = validate_one("sample", msg.get("index"))
            self.state[name] = self.session.state[name] = min(value, len(self.session.X_train) - 1)
            await self.send_state([])
            await self.send_frame()
        elif kind == "hide":
            name = msg.get("name")
            if not isinstance(name, str) or name not in HIDEABLE:
                raise StateError(f"cannot hide {str(name)[:40]!r} (not a hideable control)")
            (self.hidden.add if msg.get("hide") is True else self.hidden.discard)(name)
            await self.send_state([])
        elif kind == "check":
            if self.playing:
                self.playing = False
                await self.send_state([])
            await self.ws.send_json({"type": "checked", "results": check_answers(self.session, msg.get("answers")),
                                     "steps": self.session.steps, "sample": self.state["sample"]})
        elif kind == "export":
            example = worked_example(self.session, msg.get("answers") or None)
            name = f"playground-sample{self.state['sample']}-step{self.session.steps}.toml"
            await self.ws.send_json({"type": "toml", "text": to_toml(example), "filename": name})
        elif kind == "play":
            self.playing = True
            await self.send_state([])
        elif kind == "pause":
            self.playing = False
            await self.send_state([])
        elif kind == "step":
            self.playing = False
            self.session.step(self.state["steps_per_frame"])
            await self.send_frame()
        elif kind == "reset":
            self.playing = False
            await self.rebuild([])

    async def play_loop(self) -> None:
        while True:
            if self.playing and self.session is not None:
                start = time.perf_counter()
                self.session.step(self.state["steps_per_frame"])
                await self.send_frame()
                await asyncio.sleep(max(0.0, FRAME_INTERVAL - (time.perf_counter() - start)))
            else:
                await asyncio.sleep(0.02)


async def _session_socket(ws: WebSocket) -> None:
    await ws.accept()
    conn = Connection(ws, ws.app.state)
    loop = asyncio.create_task(conn.play_loop())
    try:
        while True:
            text = await ws.receive_text()
            try:
                if len(text.encode("utf-8")) > MAX_MESSAGE:
                    raise StateError(f"message too long ({len(text)} characters; the limit is {MAX_MESSAGE})")
                msg = json.loads(text)
                if not isinstance(msg, dict):
                    raise StateError("a message must be a JSON object")
                if conn.session is None and msg.get("type") != "hello":
                    raise StateError("the first message must be hello")
                await conn.handle(msg)
            except (StateError, WorkedExampleError, json.JSONDecodeError) as e:
                await ws.send_json({"type": "error", "message": str(e)})
    except WebSocketDisconnect:
        pass
    finally:
        loop.cancel()


def _read_upload(body: bytes, target: str):
    """The uploaded bytes read by deltagrad's CSV reader (via a temporary file); errors name "the uploaded CSV"."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "upload.csv")
        with open(path, "wb") as f:
            f.write(body)
        try:
            return load_table(path, target)
        except DataError as e:
            raise DataError(str(e).replace(path, "the uploaded CSV")) from None


async def _upload(request):
    """``POST /api/csv?target=COLUMN`` with the CSV text as the body: the table for the ``csv`` dataset."""
    tab = request.query_params.get("session", "")
    if not SESSION_ID.fullmatch(tab):
        return JSONResponse({"error": "the upload needs the page's session id (?session=, 8 to 64 letters, "
                                      "digits or -)"}, status_code=400)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_CSV_BYTES:
            return JSONResponse({"error": f"the CSV is over the limit of {MAX_CSV_BYTES} bytes"}, status_code=413)
    try:
        table = await run_in_threadpool(_read_upload, bytes(body), request.query_params.get("target", ""))
    except DataError as e:
        return JSONResponse({"error": str(e)}, status_code=400)
    table.name = "uploaded CSV"
    uploads = request.app.state.uploads
    uploads[tab] = table  # this tab's only: the other tabs keep theirs
    uploads.move_to_end(tab)
    while len(uploads) > MAX_UPLOADS:
        uploads.popitem(last=False)
    return JSONResponse({"rows": len(table.X), "classes": table.class_names, "features": table.feature_names[:2]})


async def _page(request):
    return FileResponse(f"{_static_dir()}/index.html", headers={"Cache-Control": "no-store"})


async def _table(request):
    return JSONResponse([f.spec() for f in (*STATE_TABLE, *ACTIONS)])


def create_app(host: str = "127.0.0.1", port: int = 8000, csv=None) -> HostGuard:
    """The playground's ASGI app, wrapped in `HostGuard` for ``host:port``.

    Args:
        host, port: the address the server is bound to (the Host/Origin checks allow only it,
            and on loopback its other names ``localhost``, ``127.0.0.1``, ``[::1]``).
        csv: a `deltagrad.data.Dataset` for the ``csv`` dataset, or None.

    >>> app = create_app("127.0.0.1", 8765)
    >>> sorted(app.hosts)[0]
    '127.0.0.1:8765'
    """
    app = Starlette(routes=[
        Route("/", _page),
        Route("/api/table", _table),
        Route("/api/csv", _upload, methods=["POST"]),
        WebSocketRoute("/ws", _session_socket),
        Mount("/static", StaticFiles(directory=_static_dir()), name="static"),
    ])
    app.state.csv = csv
    app.state.uploads = OrderedDict()
    return HostGuard(app, allowed_hosts(host, port))
