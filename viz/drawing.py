"""draw() and Drawing: build a view's DOT source, render it, save it atomically, show it in Jupyter."""

from __future__ import annotations

import os

from . import render as _render
from .compare import ATOL, RTOL
from .network_view import network_scene
from .ops_view import MAX_NODES, ops_source

VIEWS = ("ops", "network")
RANKDIRS = ("auto", "LR", "TB", "RL", "BT")


class Drawing:
    """A drawn graph: its ``source``, rendered on demand (and cached).

    Attributes:
        source: the op view's DOT text (rendered by Graphviz, `viz.render`), or the network
            view's SVG (drawn directly, `viz.scene`); the same graph always gives the same text.
        view: ``"ops"`` or ``"network"``.
        scene: the network view's `viz.scene.Scene` (PNG/PDF/JPG through matplotlib), else None.

    In Jupyter the drawing shows itself as SVG; without a renderer it shows the DOT source and one
    line of advice instead (display never raises).

    >>> from deltagrad.autograd import Value
    >>> from deltagrad.viz import draw
    >>> d = draw(Value(2.0, label="x") * 3)
    >>> d.source.startswith("digraph")
    True
    """

    def __init__(self, source: str, view: str = "ops", scene=None):
        self.source = source
        self.view = view
        self.scene = scene
        self._cache: dict[str, bytes] = {}

    def pipe(self, format: str = "svg") -> bytes:
        """The drawing rendered to ``format`` (``"svg"``, ``"png"``, ``"jpg"``, ``"pdf"`` or ``"dot"``) as bytes.

        Raises:
            ValueError: for an unknown format.
            RendererNotFound: if no Graphviz renderer is installed.
            RenderError: if the renderer fails.
        """
        if format not in self._cache:
            if self.scene is not None:  # drawn directly: SVG as written, the rest by matplotlib
                if format == "dot":
                    raise ValueError("the network view is drawn directly (no DOT): save it as svg, png, pdf or jpg")
                self._cache[format] = self.source.encode("utf-8") if format == "svg" else self.scene.render(format)
            else:
                self._cache[format] = _render.render(self.source, format)
        return self._cache[format]

    def svg(self) -> str:
        """The drawing as SVG text (UTF-8 XML). Raises as `pipe`."""
        return self.pipe("svg").decode("utf-8")

    def save(self, path: str | os.PathLike, format: str | None = None) -> str:
        """Render and write the drawing to ``path``; return the path written.

        ``format`` defaults to the path's suffix (``.svg``, ``.png``, ``.jpg``, ``.pdf``, ``.dot``), else ``"svg"``.
        The file is rendered to bytes first and then replaces ``path`` in one step, so a failed
        render or write never leaves a half-written file.

        Raises:
            ValueError: for an unknown format, or a ``format`` that contradicts the suffix.
            RendererNotFound, RenderError: as `pipe` (``.dot`` needs no renderer).
            OSError: if the file cannot be written.
        """
        fmt = output_format(path, format)
        _render.write_atomic(path, self.pipe(fmt))
        return os.fspath(path)

    def _fallback(self, err: Exception) -> str:
        advice = _render.ADVICE if isinstance(err, _render.RendererNotFound) else "see the error above"
        return f"[viz] could not render ({err}); {advice}. DOT source:\n{self.source}"

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        """Jupyter display: ``image/svg+xml`` when rendering works, else the DOT source as text. Never raises."""
        try:
            return {"image/svg+xml": self.svg()}
        except Exception as err:
            return {"text/plain": self._fallback(err)}

    def _repr_svg_(self) -> str | None:
        """The SVG for Jupyter, or None (then the text repr is shown) if rendering fails. Never raises."""
        try:
            return self.svg()
        except Exception:
            return None

    def __repr__(self) -> str:
        lines = self.source.count("\n")
        kind = "SVG" if self.scene is not None else "DOT"
        return f"<viz.Drawing view={self.view!r}, {lines} lines of {kind}; .svg(), .save(path), .source>"


def output_format(path, format: str | None) -> str:
    """The format to write ``path`` in: ``format`` if given, else named by the suffix, else ``"svg"``.

    Suffixes: ``.svg``, ``.png``, ``.jpg``/``.jpeg``, ``.pdf``, ``.dot``/``.gv``; a path without a
    suffix is written as SVG.

    Raises:
        ValueError: for an unknown format, a suffix that names no format (``e.gif``) when
            ``format`` is not given, a ``format`` that contradicts a known suffix, or a path that is
            an existing directory (or ends with a slash).

    >>> output_format("e.jpeg", None), output_format("e", None), output_format("e.out", "png")
    ('jpg', 'svg', 'png')
    """
    raw = os.fspath(path) if path is not None else ""
    if raw and (raw.endswith(("/", os.sep)) or os.path.isdir(raw)):
        raise ValueError(f"{raw} is a directory; give a file name, e.g. {os.path.join(raw, 'graph.svg')}")
    suffix = os.path.splitext(raw)[1].lower().lstrip(".")
    named = _render.SUFFIXES.get(suffix)
    if format is None:
        if suffix and named is None:
            known = ", ".join("." + k for k in _render.SUFFIXES)
            raise ValueError(f"{raw}: .{suffix} names no format viz writes ({known}); rename it or pass a format")
        return named or "svg"
    format = format.lower()
    format = _render.SUFFIXES.get(format, format)
    if format not in _render.FORMATS:
        raise ValueError(f"unknown format {format!r}; choose from {', '.join(_render.FORMATS)}")
    if named is not None and named != format:
        raise ValueError(f"path ends in .{suffix} but format={format!r}; make them agree")
    return format


def draw(
    root,
    view: str = "ops",
    path: str | os.PathLike | None = None,
    format: str | None = None,
    rankdir: str = "auto",
    precision: int = 4,
    sample=None,
    max_nodes: int | None = MAX_NODES,
    *,
    edge_labels=None,
    color_by="default",
    expected: dict | None = None,
    atol: float = ATOL,
    rtol: float = RTOL,
    color_scale: str = "auto",
    input_names=None,
    output_names=None,
    caption: str | None = None,
) -> Drawing:
    """Draw the graph that computed ``root`` (a Value or Tensor) and return a `Drawing`.

    Args:
        root: the output node, usually the loss after ``backward()`` (so grads are filled in).
        view: ``"ops"`` -- every Value a record ``{ label | data | grad }`` and every op a node;
            ``"network"`` -- one node per neuron (z, a, δ = ∂L/∂z), one edge per weight (w, ∂L/∂w),
            for graphs built with ``nn`` (read from the Values' tags).
        path: if given, also write the rendered file there (atomically).
        format: ``"svg"``, ``"png"``, ``"jpg"``, ``"pdf"`` or ``"dot"``; default from the suffix of
            ``path`` (an unknown suffix is a ValueError), else svg.
        rankdir: op view direction: ``"auto"`` (default: left to right, unless that would make the
            picture over 4 times wider than tall; then top to bottom, or left to right wrapped into
            rows, whichever is nearer square: `viz.ops_shape.auto_shape`), ``"LR"``, ``"TB"``,
            ``"RL"``, ``"BT"`` (one row or column, never wrapped). The network
            view always draws its layers as columns, left to right.
        precision: significant digits of every number shown (>= 1).
        sample: network view only -- which sample (forward pass or batch row) to show; default the
            one with the largest output |δ|, which for softmax cross-entropy and one-output MSE is
            the sample with the highest loss (the title says which).
        max_nodes: refuse graphs with more nodes (ops) or neurons (network) than this; None: no limit.
        edge_labels: op view -- ``"none"`` (default), ``"local"`` (∂out/∂in on each edge),
            ``"contribution"`` (g·∂out/∂in: what arrives along the edge; a node's grad is the sum
            over its out-edges) or ``"both"``; network view -- ``"auto"`` (default: w and ∂L/∂w up
            to 12 neurons per layer; above that the drawn top edges are unlabelled), True or False.
        color_by: ``"grad"``, ``"delta"`` or None: fill nodes on a zero-centred blue–white–orange
            scale with a legend, marking vanishing (▼, |g| < 1e-6·max) and exploding (▲, |g| > 1e3)
            values. Default: None in the op view, ``"delta"`` in the network view.
        color_scale: ``"auto"`` (default: symlog when the coloured values span more than two
            decades, where a linear scale would leave all but the largest white; else linear),
            ``"linear"`` or ``"symlog"`` (matplotlib's ``SymLogNorm``: logarithmic in |value| over
            four decades below the largest, so gradients that shrink layer by layer stay visibly
            coloured); the legend's title says "(symlog)" and its ticks follow.
        expected: the numbers a derivation claims, marked √ (green border) or × with the expected
            number (red border); a match is |engine − expected| ≤ ``atol`` + ``rtol``·|expected|.
            Op view: ``{label or node: grad}`` or ``{label or node: {"data": x, "grad": y}}``.
            Network view: ``{"z1" | "a1" | "δ1": one number per neuron of the shown sample,
            "W1": ∂L/∂W summed over the batch, or {"data": W, "grad": dW}}``
            (`viz.network_expected.resolve_network`).
        input_names: network view -- names of the inputs (features), shown instead of ``x[i]``.
        output_names: network view -- names of the output neurons (classes), shown instead of ``neuron j``.
        caption: network view -- one more line for the title (e.g. the sample's target).

    Raises:
        ValueError: for a bad argument, a graph over ``max_nodes``, or ``view="network"`` on a
            graph without nn tags.
        TypeError: for a ``max_nodes`` that is not an int or None, or a bool ``sample``.
        KeyError: for an ``expected`` key that names nothing in the drawing (the message lists the
            labels, or in the network view the keys, that would).
        RendererNotFound: only when ``path`` asks for svg/png and no Graphviz renderer exists.
        RenderError: if the renderer fails while writing ``path``.

    >>> from deltagrad.autograd import Value
    >>> x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(1.0, label="b")
    >>> y = (x * w + b).tanh(); y.backward()
    >>> d = draw(y)                    # d.svg() for the SVG text, draw(y, path="y.png") to save
    >>> d.source.count("shape=ellipse")     # the ops *, +, tanh
    3
    >>> d = draw(y, edge_labels="both", color_by="grad", expected={"x": -0.0005447})
    >>> "local -3" in d.source, "√" in d.source
    (True, True)
    """
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; choose 'ops' (every op) or 'network' (one node per neuron)")
    if rankdir not in RANKDIRS:
        raise ValueError(f"unknown rankdir {rankdir!r}; choose from {', '.join(RANKDIRS)}")
    if isinstance(precision, bool) or not isinstance(precision, int) or precision < 1:
        raise ValueError(f"precision must be an int >= 1 (significant digits), got {precision!r}")
    if not hasattr(root, "parents"):
        raise TypeError(f"draw: expected a Value (a graph node), got {type(root).__name__}")
    fmt = output_format(path, format)  # fail on a bad format before the (possibly slow) layout
    if view == "ops":
        if sample is not None:
            raise ValueError("sample= selects a forward pass in view='network'; the op view draws the whole graph")
        if input_names is not None or output_names is not None or caption is not None:
            raise ValueError("input_names=, output_names= and caption= belong to view='network'")
        if edge_labels is False or edge_labels is None:
            edge_labels = "none"
        source = ops_source(
            root,
            rankdir=rankdir,
            precision=precision,
            max_nodes=max_nodes,
            edge_labels=edge_labels,
            color_by=None if color_by == "default" else color_by,
            expected=expected,
            atol=atol,
            rtol=rtol,
            color_scale=color_scale,
        )
    else:
        scene = network_scene(
            root,
            rankdir=rankdir,
            precision=precision,
            sample=sample,
            max_nodes=max_nodes,
            edge_labels="auto" if edge_labels is None else edge_labels,
            color_by="delta" if color_by == "default" else color_by,
            expected=expected,
            atol=atol,
            rtol=rtol,
            color_scale=color_scale,
            input_names=input_names,
            output_names=output_names,
            caption=caption,
        )
        drawing = Drawing(scene.svg(), view, scene)
    if view == "ops":
        drawing = Drawing(source, view)
    if path is not None:
        drawing.save(path, fmt)
    return drawing
