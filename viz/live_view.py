"""viz.live: a view of your own training loop -- network with δ, loss curve, decision boundary -- updated as it runs.

In Jupyter (JupyterLab, Notebook 7, VS Code, Colab) the view is one output shown with an IPython
display handle (``display(frame, display_id=True)``, then ``handle.update(frame)``): each frame
replaces the last in place, and the last one -- the final picture -- is what the saved notebook
keeps. No widget library is needed. Elsewhere (a script, a terminal IPython) nothing is shown while
the loop runs; the final picture is written to an SVG file and one line says why and where.
Display never raises: a panel that cannot be drawn says so in its place.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Self

import numpy as np

from .colors import colours
from .live_panels import boundary_panel, boundary_values, is_batched, loss_panel
from .live_throttle import Throttle
from .network_view import network_scene
from .render import write_atomic
from .scene import Scene, Shape, Text
from .style import number

LEFT_W = 340.0  # the loss curve and the boundary: the left column, in px
MARGIN = 64.0
SHOWS = ("auto", "notebook", "file")


def _notebook():
    """(the IPython shell, None) when a kernel with a frontend shows outputs, else (None, why not)."""
    try:
        from IPython import get_ipython
    except Exception:  # noqa: BLE001 - IPython is optional
        return None, "IPython is not installed"
    ip = get_ipython()
    if ip is None:
        return None, "not running in Jupyter/IPython"
    if getattr(ip, "kernel", None) is None:
        return None, f"{type(ip).__name__} has no notebook display"
    return ip, None


class Frame:
    """One picture of the live view: its SVG and a one-line text; Jupyter shows the SVG (``_repr_svg_``)."""

    def __init__(self, svg: str, text: str, scene: Scene | None = None):
        self.svg, self.text, self.scene = svg, text, scene

    def _repr_svg_(self) -> str:
        return self.svg

    def __repr__(self) -> str:
        return self.text


def _place(src: Scene, dx: float, dy: float, into: Scene) -> None:
    """Copy ``src``'s shapes into ``into``, moved by (dx, dy)."""
    from dataclasses import replace

    for s in src.shapes:
        texts = [replace(t, x=t.x + dx, y=t.y + dy) for t in s.texts]
        pts = None if s.points is None else [(a + dx, b + dy) for a, b in s.points]
        moved = replace(s, x=s.x + dx, y=s.y + dy, x2=s.x2 + dx, y2=s.y2 + dy, texts=texts, points=pts)
        if s.kind == "none":
            moved.x, moved.y = s.x, s.y
        into.add(moved)


class _Snapshot:
    """The parameters' data and grads at the last update, for `Live.close` to draw the last step.

    Arrays are copied (optimizers update ``p.data`` in place); a Value's float is kept as it is. Grads are
    kept by reference: ``step()`` only reads them, ``zero_grad()`` replaces them with None, and the
    next ``backward()`` makes new ones (a ``zero_grad(set_to_none=False)`` between the last update and
    the end of the block would zero them in place).
    """

    def __init__(self, params: list):
        self.params = params
        self.arrays = all(p.data.__class__ is np.ndarray for p in params)
        self.data: list = []
        self.grads: list = []

    def take(self) -> None:
        params = self.params
        if self.arrays:  # a fresh copy is faster than np.copyto into a buffer, for small arrays
            self.data = [p.data.copy() for p in params]
        else:
            self.data = [p.data for p in params]
        self.grads = [p.grad for p in params]

    def saved(self) -> list:
        return list(zip(self.params, self.data, self.grads))


@contextlib.contextmanager
def _restored(saved):
    """Put the saved data and grads back into the parameters for the duration, then the current ones again."""
    now = [(p, p.data, p.grad) for p, _, _ in saved or []]
    try:
        for p, data, grad in saved or []:
            p.data, p.grad = data, grad
        yield
    finally:
        for p, data, grad in now:
            p.data, p.grad = data, grad


class Live:
    """A live view of a training loop; made by `viz.live` (see there for the arguments).

    Attributes:
        losses: the loss of every ``update()`` (the engine's numbers); ``steps``: their numbers 1, 2, ...
        frames: the update numbers at which a frame was drawn.
        throttle: the `viz.live_throttle.Throttle` (``loop_seconds``, ``draw_seconds``, ``share``, ``costs``).
    """

    def __init__(self, model=None, X=None, y=None, *, every=10, sample=None, budget=0.10, input_names=None,
                 output_names=None, resolution=None, path=None, show="auto", clock=time.perf_counter):
        if show not in SHOWS:
            raise ValueError(f"show must be one of {SHOWS}, got {show!r}")
        self.model, self.sample = model, sample
        self._params = list(model.parameters()) if hasattr(model, "parameters") else None
        self.X = None if X is None else np.asarray(getattr(X, "data", X), dtype=float)
        self.y = None if y is None else np.asarray(getattr(y, "data", y)).reshape(-1)
        if self.X is not None and self.X.ndim != 2:
            raise ValueError(f"live: X must be a batch of shape (N, features), got shape {self.X.shape}")
        if self.y is not None and self.X is not None and len(self.y) != len(self.X):
            raise ValueError(f"live: X has {len(self.X)} rows but y has {len(self.y)} labels")
        self.input_names, self.output_names = input_names, output_names
        self.resolution = resolution
        self.throttle = Throttle(every, budget, clock)
        colours([0.0], 1.0)  # load the colour map now, before the loop (a one-off import, not a frame's cost)
        self.losses: list[float] = []
        self.frames: list[int] = []
        self.path = "live.svg" if path is None else path
        self.show = show
        self._network: tuple | None = None  # (step, Scene) of the last frame, or (step, reason)
        self._last: tuple | None = None  # (step, loss) of the last update
        self._snapshot = _Snapshot(self._params) if self._params is not None else None
        self._handle = None
        self._why = None
        self.closed = False
        self.notice: str | None = None  # the one line printed when there is no notebook display
        if show != "file":
            ip, self._why = _notebook()
            if ip is None and show == "notebook":
                raise RuntimeError(f"live(show='notebook'): {self._why}")
        else:
            self._why = "show='file'"

    # ------------------------------------------------------------------ the loop's side
    def update(self, loss) -> bool:
        """Record ``loss`` (a Value, a Tensor, or a number), draw a frame if one is due; return whether one was drawn.

        Call it after ``loss.backward()`` and before the optimizer's ``step()``: the network panel then
        shows the weights, z, a and δ of one and the same forward pass. Frames follow
        `viz.live_throttle` (at most every ``every`` updates, drawing ≤ ``budget`` of the time).
        The model's parameters and grads are copied at each update (not drawn), so that `close`
        can draw the last step's network even after the optimizer has moved the weights.

        Raises:
            RuntimeError: after `close`.
            TypeError: if ``loss`` is neither a graph node nor a number.
        """
        if self.closed:
            raise RuntimeError("live.update() after close(): the view has ended; make a new viz.live(...)")
        value = loss.data if hasattr(loss, "data") else loss
        try:
            value = value if value.__class__ is float else float(np.asarray(value, dtype=float).reshape(()))
        except (TypeError, ValueError):
            raise TypeError(f"live.update: expected the loss (a Value, a 1-element Tensor or a number), got "
                            f"{type(loss).__name__}") from None
        due = self.throttle.start()
        self.losses.append(value)
        # the previous step's graph is freed after finish() below: in the loop's time, where it would be freed
        # without the view (when the loop rebinds its `loss`), not in the view's
        previous, self._last = self._last, (self.throttle.updates, loss)
        if self._snapshot is not None:
            self._snapshot.take()
        if due:
            self._network = self._draw_network(loss)
            self.frames.append(self.throttle.updates)
            if self._why is None:  # without a notebook display only the network is kept, for the final picture
                self._show(self.frame())
        self.throttle.finish(due)
        del previous
        return due

    @property
    def steps(self) -> list[int]:
        """The update numbers 1, 2, ... of the recorded losses."""
        return list(range(1, len(self.losses) + 1))

    def close(self) -> Frame:
        """End the view: show the final picture in place of the last frame (or write it to a file); return it.

        Never raises from display. Outside a notebook the picture goes to ``path`` (default
        ``live.svg``; ``path=False`` writes nothing) and one line is printed saying why.
        """
        if self.closed:
            return self.frame(final=True)
        self.closed = True
        if self._last is not None and (self._network is None or self._network[0] != self._last[0]):
            step, loss = self._last  # the last step's network, drawn once after the loop (not counted)
            saved = None if self._snapshot is None else self._snapshot.saved()
            if saved is not None or self._network is None:
                with _restored(saved):
                    self._network = self._draw_network(loss, step)
        final = self.frame(final=True)
        if self._why is None:
            self._show(final)
            if self._why is None:  # else the display failed just now: the file and the line below
                return final
        where = ""
        if self.path is not False:
            try:
                write_atomic(self.path, final.svg.encode("utf-8"))
                where = f"; the final picture is in {os.fspath(self.path)}"
            except OSError as err:
                where = f"; could not write {os.fspath(self.path)} ({err})"
        self.notice = f"[viz.live] no live view ({self._why}){where}"
        print(self.notice)
        return final

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()  # also after an exception (e.g. the loop interrupted): the picture shows where it stopped

    # ------------------------------------------------------------------ drawing
    def _draw_network(self, loss, step=None):
        step = self.throttle.updates if step is None else step
        if not hasattr(loss, "parents"):
            return step, "no network panel: update() was given a number, not the loss node"
        try:
            scene = network_scene(loss, sample=self.sample, edge_labels="auto", input_names=self.input_names,
                                  output_names=self.output_names)
            return step, scene
        except Exception as err:  # noqa: BLE001 - display must never raise
            return step, f"no network panel: {err}"

    def boundary(self):
        """(xs, ys, out): the model's outputs on the boundary grid, ``out[r, c, :]`` at (xs[c], ys[r]).

        Raises:
            ValueError: without a model and 2-column X.
        """
        if self.model is None or self.X is None or self.X.shape[1] != 2:
            raise ValueError("live: the decision boundary needs the model and X with 2 columns (2 inputs)")
        return boundary_values(self.model, self.X, self._resolution())

    def _resolution(self) -> int:
        if self.resolution is not None:
            return int(self.resolution)
        return 48 if is_batched(self.model) else 24  # a Value model is called once per grid point

    def frame(self, final: bool = False) -> Frame:
        """The picture now: header, loss curve, decision boundary (2 inputs), the network of the last frame."""
        step = self.steps[-1] if self.steps else 0
        loss = self.losses[-1] if self.losses else float("nan")
        th = self.throttle
        head = [f"{'final · ' if final else 'live · '}step {step} · loss {number(loss, 4)}",
                (f"{len(self.frames)} frames; drawing took {100 * th.share:.1f} % of the time "
                 f"(limit {100 * th.budget:.0f} %; frames at most every {th.every} steps)")]
        net_step, net = self._network if self._network else (None, "no network panel yet: no update() so far")
        if isinstance(net, Scene):
            note = (f"network at step {net_step} (the last step)" if net_step == step
                    else f"network at step {net_step} (the last frame drawn; not the last step)")
        else:
            note = net
        left: list = []
        try:
            left += loss_panel(MARGIN, 110, LEFT_W - MARGIN, 150, self.steps, self.losses)
        except Exception as err:  # noqa: BLE001 - display must never raise
            left.append(Shape("none", 0, 0, texts=[Text(MARGIN, 110, f"no loss curve: {err}", 10.0)]))
        bottom = 300.0
        if self.model is not None and self.X is not None and self.X.shape[1] == 2:
            try:
                shown = getattr(net, "sample", None) if isinstance(net, Scene) else None
                left += boundary_panel(MARGIN, 320, LEFT_W - MARGIN, self.model, self.X, self.y, self._resolution(),
                                       self.input_names, highlight=shown, class_names=self.output_names)
                bottom = 320 + LEFT_W - MARGIN + 56
            except Exception as err:  # noqa: BLE001 - display must never raise
                left.append(Shape("none", 0, 0, texts=[Text(MARGIN, 320, f"no decision boundary: {err}", 10.0)]))
        width, height = LEFT_W + 40, bottom
        if isinstance(net, Scene):
            width, height = LEFT_W + 40 + net.width, max(bottom, 70 + net.height)
        scene = Scene(max(width, 640.0), height)
        scene.add(Shape("none", 0, 0, texts=[Text(16, 26, head[0], 15.0, True), Text(16, 46, head[1], 10.0),
                                             Text(LEFT_W + 40, 66, note, 10.0, colour="#555555")]))
        for s in left:
            scene.add(s)
        if isinstance(net, Scene):
            _place(net, LEFT_W + 40, 70, scene)
        return Frame(scene.svg(), f"<viz.live {head[0]}; {head[1]}>", scene)

    def _show(self, frame: Frame) -> None:
        if self._why is not None:
            return
        try:
            if self._handle is None:
                from IPython.display import display

                self._handle = display(frame, display_id=True)
            else:
                self._handle.update(frame)
        except Exception as err:  # noqa: BLE001 - display must never raise
            self._why = f"the notebook display failed: {err}"

    def svg(self) -> str:
        """The current picture as SVG text (the final one after `close`)."""
        return self.frame(final=self.closed).svg

    def save(self, path) -> str:
        """Write the current picture to ``path`` (atomically) as SVG, or PNG/PDF/JPG by its suffix; return the path.

        Raises:
            ValueError: for a suffix other than .svg, .png, .pdf, .jpg (or none: SVG).
        """
        fmt = os.path.splitext(os.fspath(path))[1].lower().lstrip(".") or "svg"
        fmt = "jpg" if fmt == "jpeg" else fmt
        if fmt not in ("svg", "png", "pdf", "jpg"):
            raise ValueError(f"live.save: {os.fspath(path)} names no format; use .svg, .png, .pdf or .jpg")
        f = self.frame(final=self.closed)
        write_atomic(path, f.svg.encode("utf-8") if fmt == "svg" else f.scene.render(fmt))
        return os.fspath(path)

    def __repr__(self) -> str:
        return f"<viz.Live {len(self.steps)} updates, {len(self.frames)} frames; .update(loss), .close()>"


def live(model=None, X=None, y=None, *, every: int = 10, sample=None, budget: float = 0.10, input_names=None,
         output_names=None, resolution: int | None = None, path=None, show: str = "auto",
         clock=time.perf_counter) -> Live:
    """A live view of your own training loop: the network with δ, the loss curve, and the decision boundary.

    Use it as a context manager and call ``update(loss)`` once per step, after ``backward()`` and
    before ``step()``; the final picture replaces the last frame when the block ends::

        with viz.live(net, X, y) as view:
            for epoch in range(500):
                loss = nn.cross_entropy(net(X), y)
                net.zero_grad(); loss.backward()
                view.update(loss)
                opt.step()

    Frames are drawn at most every ``every`` updates and only while drawing takes at most ``budget``
    (10 %) of the time (`viz.live_throttle` states the rule); the header of each frame shows
    the share so far.

    Args:
        model: the model being trained (optional): called under ``no_grad()`` on a grid for the
            decision boundary -- with one ``Tensor`` batch of shape (G, 2) when its parameters are
            Tensors, else once per point with a list of 2 floats. Never trained, never given grads.
        X: the training inputs (N, features), a numpy array or Tensor. With 2 features the
            boundary panel is drawn.
        y: the labels (N,) (class indices, or 0/1 targets of one output): the points' colours.
        every: draw at most every ``every`` updates (int >= 1).
        sample: which sample's z, a and δ the network panel shows (default: the one with the
            largest output |δ|, the highest loss; `viz.draw`).
        budget: the largest share of time drawing may take (default 0.10).
        input_names: names of the inputs, as in `viz.draw`.
        output_names: names of the output neurons (classes), as in `viz.draw`.
        resolution: grid points per side of the boundary (default 48 for Tensor models, 24 for Value models).
        path: where the final picture is written when there is no notebook display (default
            ``live.svg``; False: nowhere).
        show: ``"auto"`` (a notebook display if there is one, else the file), ``"notebook"``
            (RuntimeError without one) or ``"file"``.
        clock: seconds, for the throttle (default ``time.perf_counter``).

    Returns:
        a `Live`: ``update(loss, force=False)``, ``close()``, ``boundary()``, ``svg()``, ``save(path)``.

    Raises:
        ValueError: for a bad ``every``, ``budget``, ``show``, or X and y of different lengths.

    >>> import numpy as np
    >>> from deltagrad import nn, viz
    >>> net = nn.TensorMLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=0)
    >>> X, y = np.array([[0., 0], [0, 1], [1, 0], [1, 1]]), np.array([[0.], [1], [1], [0]])
    >>> with viz.live(net, X, y, every=5, path=False, show="file") as view:
    ...     for _ in range(20):
    ...         loss = nn.mse(net(X), y); net.zero_grad(); loss.backward()
    ...         _ = view.update(loss)
    [viz.live] no live view (show='file')
    >>> len(view.losses), "final · step 20" in view.svg()    # view.save("xor.png") writes the picture
    (20, True)
    """
    return Live(model, X, y, every=every, sample=sample, budget=budget, input_names=input_names,
                output_names=output_names, resolution=resolution, path=path, show=show, clock=clock)
