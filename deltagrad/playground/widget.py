"""``Playground(...)``: the playground as a Jupyter widget, driven by deltagrad's engine in the kernel.

The front end is the page's own (``static/main.js`` and its sibling modules, not a copy): the kernel
sends their text to the browser in the widget's state, and ``static/widget.js`` (the anywidget module)
links them with blob: URLs and starts main.js over the widget's comm instead of a WebSocket. The
kernel side is the server's `Connection` (the same protocol and
the same checks against the state table) with the widget's comm as its socket, and the same
`Session`, which may train the learner's own model and data
(`.user`).

Where no widget can be shown (anywidget not installed, a notebook run by nbconvert and read in a
viewer), the same output carries a static SVG of the network (``viz``'s network view of the
selected sample) and one line saying why: Jupyter picks the widget where it can, the picture
elsewhere. Display never raises.
"""

from __future__ import annotations

import asyncio
import base64
import re
import threading
import time
from importlib import resources
from types import SimpleNamespace

from .server import FRAME_INTERVAL, Connection
from .session import Session
from .state import ACTIONS, HIDEABLE, STATE_TABLE, StateError, from_hash, to_hash, validate_one
from .user import UserRun

__all__ = ["Playground"]

# a δ or ∂L/∂w number, a line of the network view (the static picture of an exercise shows "?" instead)
ANSWERS = re.compile(r"^(δ = |∂L/∂w = )[-+]?(?:\d[\d.]*(?:e[-+]?\d+)?|nan|inf)$")

DATA_FIELDS = ("dataset", "iris_x", "iris_y", "iris_class", "classes", "n_points", "noise")
NET_FIELDS = ("hidden", "activation")
EXTRA_STYLE = """
.page.widget { background: #fafafa; }
.page.widget main { grid-template-columns: 200px minmax(360px, 1fr) 340px; padding: 8px; }
.page.widget #boundary, .page.widget #losses { max-width: 100%; }
"""


def _run(coro):
    """Run one of Connection's handlers to its end: over the comm every send is synchronous, so none ever waits."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    coro.close()
    raise RuntimeError("a playground handler waited for something; the widget expects none to")


class _Comm:
    """What `Connection` needs of its socket (``send_json``), over a function that sends one message."""

    def __init__(self, send):
        self._send = send

    async def send_json(self, msg: dict) -> None:
        self._send(msg)


class WidgetConnection(Connection):
    """The server's connection with the widget's comm as its socket, the learner's model and data, and no URL.

    With a learner's model the architecture settings are fixed (hidden, its controls stay hidden);
    with their data the dataset settings are. A ``set`` of a fixed setting is refused with a message.
    """

    def __init__(self, send, state: dict, hidden: set[str], user: UserRun | None):
        super().__init__(_Comm(send), SimpleNamespace(csv=None, uploads={}))
        self.state, self.user = state, user
        self.fixed = () if user is None else DATA_FIELDS + (NET_FIELDS if user.layers is not None else ())
        self.hidden = set(hidden) | {f for f in self.fixed if f in HIDEABLE}
        self.task: asyncio.Task | None = None
        # Jupyter handles widget messages on a kernel channel of their own (ipykernel's subshells), so the
        # play loop and a cell's step() can run in two threads: one run is changed by one of them at a time
        self.lock = threading.RLock()

    def new_session(self) -> Session:
        return Session(self.state, None, self.user)

    async def send_state(self, errors: list[str]) -> None:
        await self.ws.send_json({"type": "state", "state": self.state, "hash": to_hash(self.state, self.hidden),
                                 "hidden": sorted(self.hidden), "errors": errors, "playing": self.playing,
                                 "sizes": self.session.sizes if self.session else None})

    async def handle(self, msg: dict) -> None:
        kind = msg.get("type")
        if kind == "hello":  # a (new) view of this widget: show the run as it is, do not start a new one
            if self.session is None:
                await self.rebuild([])
            else:
                await self.send_state([])
                await self.ws.send_json({"type": "data", **self.session.points()})
                await self.send_frame()
            return
        if kind == "set" and msg.get("name") in self.fixed:
            raise StateError(f"{msg['name']} is fixed: the playground shows your "
                             f"{'model' if msg['name'] in NET_FIELDS else 'data'}")
        if kind == "set" and msg.get("name") == "loss" and self.user is not None:
            _, loss = validate_one("loss", msg.get("value"))
            if loss not in self.user.losses:
                raise StateError(f"loss {loss} does not fit your model's output; it takes {', '.join(self.user.losses)}")
        if kind == "hide" and msg.get("name") in self.fixed and msg.get("hide") is not True:
            raise StateError(f"{msg['name']} stays hidden: the playground shows your model and data")
        await super().handle(msg)
        if kind == "play":
            self.start_playing()

    def start_playing(self) -> None:
        """Run the play loop as a task of the kernel's event loop (messages such as pause arrive between frames)."""
        if self.task is not None and not self.task.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a plain script): play does nothing, step() still works
            self.playing = False
            _run(self.send_state(["play needs a running Jupyter kernel; use step"]))
            return
        self.task = loop.create_task(self.play())

    async def play(self) -> None:
        while self.playing and self.session is not None:
            start = time.perf_counter()
            with self.lock:  # held over no real wait: the comm's sends are synchronous
                self.session.step(self.state["steps_per_frame"])
                await self.send_frame()
            await asyncio.sleep(max(0.0, FRAME_INTERVAL - (time.perf_counter() - start)))


def _static(name: str) -> str:
    return (resources.files("deltagrad.playground") / "static" / name).read_text(encoding="utf-8")


def _front_end() -> dict:
    """The widget's front end: main.js and the modules it imports, the page's markup and its stylesheet."""
    page = _static("index.html")
    body = page[page.index("<body>") + len("<body>"):page.index("<script")]
    names = ("main.js", "controls.js", "plots.js", "network.js", "exercise.js")
    return {"_modules": {n: _static(n) for n in names}, "_html": body, "_style": _static("style.css"),
            "_extra_style": EXTRA_STYLE, "_table": [f.spec() for f in (*STATE_TABLE, *ACTIONS)]}


def _widget_class():
    """The anywidget class (made on first use: anywidget is optional); raises ImportError without it."""
    global _WIDGET
    if _WIDGET is None:
        import anywidget
        import traitlets

        class PlaygroundWidget(anywidget.AnyWidget):
            _esm = _static("widget.js")
            _modules = traitlets.Dict().tag(sync=True)
            _html = traitlets.Unicode().tag(sync=True)
            _style = traitlets.Unicode().tag(sync=True)
            _extra_style = traitlets.Unicode().tag(sync=True)
            _table = traitlets.List().tag(sync=True)

        _WIDGET = PlaygroundWidget
    return _WIDGET


_WIDGET = None


class Playground:
    """The playground in a notebook: the same controls, views and exercise mode, trained by deltagrad in the kernel.

    ``Playground()`` shows the built-in datasets and a net whose shape the learner edits;
    ``Playground(model, X, y)`` shows *your* model (``nn.MLP``, ``nn.TensorMLP`` or ``nn.Sequential`` of
    ``nn.Linear`` and activations) on your data: its architecture controls are hidden (it is your model,
    trained in place from the weights it had when given; reset goes back to them), everything else
    works. ``Playground(X=X, y=y)`` shows your data with the playground's net. Settings are the state
    table's (`deltagrad.playground.state.STATE_TABLE`), as keywords or as a URL hash of
    ``deltagrad playground`` (``hash="data=xor&hidden=3&quiz=delta2"``).

    Shown as the last value of a cell: a widget in JupyterLab and Notebook 7 (needs ``anywidget``,
    in the ``widget`` extra); where widgets cannot run (anywidget missing, a notebook viewer, a notebook
    run by nbconvert) the output is a static SVG of the network for the selected sample (δ left out
    when an exercise asks for it) with one line saying why. VS Code and Colab are not tested.

    Args:
        model: your model, or None (the playground's net).
        X: inputs, shape (n, d); with d > 2 the boundary and heatmaps are not drawn (the page says
            why) unless ``features=(i, j)`` picks two columns (then the model takes those 2).
        y: labels, shape (n,): 2 to 6 classes, numbered in sorted order of their values.
        class_names: the names of the classes, in that order (default: the label values).
        features: two column indices of X to use, or None.
        hash: settings as a URL hash (``"#data=xor&lr=0.1&hide=lr"``).
        hide: names of controls to hide (as a lesson's ``hide=``: ``"run"``, ``"lr"``, ``"quiz"`` …).
        **settings: any setting of the state table (``lr=0.1``, ``hidden=[4, 2]``, ``quiz=["delta2"]``).

    Raises:
        ValueError: a bad setting, hash or control name (`StateError`, naming it), data of the
            wrong shape, or a model whose output fits no loss.
        TypeError: a model that is not one of those three.

    >>> pg = Playground(dataset="xor", hidden=[3], seed=1, quiz=["delta2"])
    >>> replies = pg.handle({"type": "step"}); [r["type"] for r in replies], pg.session.steps
    (['frame'], 1)
    """

    def __init__(self, model=None, X=None, y=None, *, class_names=None, features=None, hash: str = "",
                 hide=(), **settings):
        state, hidden, errors = from_hash(hash)
        if errors:
            raise StateError("Playground(hash=...): " + "; ".join(errors))
        for name, value in settings.items():
            name, state[name] = validate_one(name, value)
        for name in hide:
            if name not in HIDEABLE:
                raise StateError(f"Playground(hide=...): {name!r} is not a control a lesson can hide; "
                                 f"choose from {', '.join(HIDEABLE)}")
        hidden |= set(hide)
        user = None if model is None and X is None and y is None else UserRun(model, X, y, class_names, features)
        if user is not None and user.layers is not None:
            state["hidden"] = list(user.sizes[1:-1])  # what the exercise's answer boxes are sized by
            if "loss" not in settings and "loss=" not in hash:
                state["loss"] = user.losses[0]
        self._replies: list | None = None
        self._widget = None
        self.connection = WidgetConnection(self._send, state, hidden, user)
        self.connection.session = self.connection.new_session()

    @property
    def session(self) -> Session:
        """The current run: its ``layers``, data, ``steps``, ``history``, `Session.frame`."""
        return self.connection.session

    @property
    def state(self) -> dict:
        """The current settings (the state table's names)."""
        return self.connection.state

    def _send(self, msg: dict) -> None:
        if self._replies is not None:
            self._replies.append(msg)
        if self._widget is not None:
            self._widget.send(msg)

    def handle(self, msg: dict) -> list[dict]:
        """Apply one message of the page's protocol (`deltagrad.playground.server`); return the replies.

        A message the state table refuses gives one ``{"type": "error", "message": ...}`` reply; nothing raises.
        """
        from deltagrad.check import WorkedExampleError

        with self.connection.lock:  # one message at a time, between the play loop's frames
            self._replies = replies = []
            try:
                if not isinstance(msg, dict):
                    raise StateError("a message must be a JSON object")
                _run(self.connection.handle(msg))
            except (StateError, WorkedExampleError) as e:
                self._send({"type": "error", "message": str(e)})
            finally:
                self._replies = None
        return replies

    def step(self, n: int = 1) -> None:
        """``n`` frames of training (``steps_per_frame`` optimizer steps each), shown in the widget."""
        for _ in range(n):
            self.handle({"type": "step"})

    def pause(self) -> None:
        """Stop playing (the play button does the same)."""
        self.handle({"type": "pause"})

    def close(self) -> None:
        """Stop playing and close the widget (its views go blank); the run stays in `session`."""
        self.connection.playing = False
        if self._widget is not None:
            self._widget.close()
            self._widget = None

    def check(self, answers: dict) -> list[dict]:
        """Check an exercise's answers (``{"delta2": ["0.12"]}``, as typed): one verdict per quantity."""
        replies = self.handle({"type": "check", "answers": answers})
        if replies and replies[-1]["type"] == "error":
            raise StateError(replies[-1]["message"])
        return replies[-1]["results"]

    # ------------------------------------------------------------------ display
    def widget(self):
        """The anywidget (made on first use); raises ImportError when anywidget is not installed."""
        if self._widget is None:
            widget = _widget_class()(**_front_end())
            widget.on_msg(lambda _w, content, _buffers: self.handle(content))
            self._widget = widget
        return self._widget

    def picture(self, why: str = ""):
        """The static picture as a `deltagrad.viz.scene.Scene`: viz's network view of the selected sample.

        ``why`` (one line, or none) goes into its caption. With an exercise on (``quiz``), every δ and
        ∂L/∂w in it reads ``?`` (they are the answers).

        Raises:
            ValueError: when the network view's text no longer has the δ or ∂L/∂w to hide.
        """
        from dataclasses import replace

        from deltagrad.viz.network_view import network_scene

        s = self.session
        k = min(self.state["sample"], len(s.X_train) - 1)
        loss = s.loss_fn(s.forward(s.X_train[k:k + 1])[-1][1], s.t_train[k:k + 1])
        quiz = bool(self.state["quiz"])
        loss.backward()
        caption = f"sample #{k} after {s.steps} steps" + ("; δ and ∂L/∂w: the exercise's ?" if quiz else "")
        try:
            scene = network_scene(loss, sample=0, caption=f"{why} · {caption}" if why else caption,
                                  color_by=None if quiz else "delta")
        finally:
            for p in s.opt.params:
                p.grad = None
        if quiz:
            hidden = 0
            for shape in scene.shapes:
                texts = []
                for t in shape.texts:
                    text, n = ANSWERS.subn(r"\1?", t.text)
                    hidden += n
                    texts.append(replace(t, text=text) if n else t)
                shape.texts = texts
            if hidden == 0:
                raise ValueError("the network view's text changed: no δ or ∂L/∂w to hide was found")
        return scene

    def svg(self, why: str = "") -> str:
        """`picture` as SVG text."""
        return self.picture(why).svg()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        """The widget and, for viewers that cannot run it, the static picture with one line saying why."""
        try:
            shown = self.widget()._repr_mimebundle_()
            bundle = dict((shown[0] if isinstance(shown, tuple) else shown) or {})
            why = "static picture (the live widget needs a running kernel and Jupyter widgets)"
        except Exception as err:  # noqa: BLE001 - display never raises
            bundle = {}
            why = f"static picture (no widget: {type(err).__name__}: {err}; pip install anywidget)"
        try:  # SVG, and PNG for front ends that show no SVG (JupyterLab, in a notebook it does not trust)
            scene = self.picture(why)
            bundle["image/svg+xml"] = scene.svg()
            bundle["image/png"] = base64.b64encode(scene.render("png")).decode("ascii")
        except Exception as err:  # noqa: BLE001 - display never raises
            why += f"; and no picture ({err})"
        bundle["text/plain"] = f"[deltagrad.Playground] {why}"
        return bundle

    def __repr__(self) -> str:
        return f"<deltagrad.Playground {self.session.sizes} step {self.session.steps}>"
