"""A drawing with fixed geometry (boxes, lines, texts, grids of cells): SVG written directly, PNG/PDF/JPG by matplotlib.

The network view lays its columns out itself (`viz.network_layout`) and needs no Graphviz: the
SVG is a string written in one pass (a 2-8-8-1 frame in a few milliseconds), and the same shapes go
through matplotlib's Agg/PDF backends for raster and PDF files. Coordinates are SVG pixels, y down.
Every shape with an ``id`` is a ``<g class="node">`` (or ``"edge"``) with a ``<title>`` holding the
id, as Graphviz writes them, so the same tools read both views.
"""

from __future__ import annotations

import base64
import io
import struct
import zlib
from dataclasses import dataclass, field

FONT = "Courier New, Courier, monospace"
CHAR = 0.6
"""Width of one monospace character, in font sizes (Courier's advance is 0.6 em)."""
RASTER_FORMATS = ("png", "pdf", "jpg")


def text_width(text: str, size: float) -> float:
    """Width in px of ``text`` set in the monospace font at ``size`` px.

    >>> text_width("abcd", 10.0)
    24.0
    """
    return len(text) * CHAR * size


def _x(text: str) -> str:
    if "&" in text or "<" in text or ">" in text or '"' in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return text


def _n(v: float) -> str:
    return f"{v:.1f}"


_G: dict = {}
_BOLD = ' font-weight="bold"'
_ANCHOR = {"start": "", "middle": ' text-anchor="middle"', "end": ' text-anchor="end"'}


def _g(v: float) -> str:
    """``f"{v:g}"``, remembered: font sizes and stroke widths repeat thousands of times a frame."""
    out = _G.get(v)
    if out is None:
        out = _G[v] = f"{v:g}"
        if len(_G) > 4096:
            _G.clear()
    return out


@dataclass(slots=True)
class Text:
    """One line of text: ``anchor`` is start, middle or end; ``y`` is the baseline."""

    x: float
    y: float
    text: str
    size: float = 11.0
    bold: bool = False
    colour: str = "#000000"
    anchor: str = "start"


@dataclass(slots=True)
class Shape:
    """A box (``kind="rect"``, rounded by ``radius``), a line (``"line"``: x, y to x2, y2, arrow at the end), a grid."""

    kind: str
    x: float
    y: float
    w: float = 0.0
    h: float = 0.0
    x2: float = 0.0
    y2: float = 0.0
    fill: str = "none"
    stroke: str = "#000000"
    width: float = 1.0
    dash: str | None = None
    radius: float = 0.0
    opacity: float = 1.0
    cells: list | None = None  # grid and image: rows of #rrggbb, each cell w × h
    points: list | None = None  # polyline: [(x, y), ...], no arrowhead
    texts: list = field(default_factory=list)
    id: str | None = None
    cls: str = "node"


class Scene:
    """Shapes in drawing order (later on top), and the canvas size."""

    def __init__(self, width: float, height: float):
        self.width, self.height = width, height
        self.shapes: list[Shape] = []
        self.sample = None  # the network view: the sample (forward pass or batch row) drawn

    def add(self, shape: Shape) -> Shape:
        self.shapes.append(shape)
        return shape

    # ------------------------------------------------------------------ SVG
    def svg(self) -> str:
        """The scene as SVG text (UTF-8, deterministic: the same scene gives the same bytes)."""
        w, h = _n(self.width), _n(self.height)
        out = [
            '<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
            (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}pt" height="{h}pt" viewBox="0 0 {w} {h}" '
            f'font-family="{FONT}">'),
            f'<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>',
        ]
        svg_shape = self._svg_shape
        for s in self.shapes:
            body = svg_shape(s)
            if s.texts:  # _svg_text, inlined: a frame has hundreds of texts
                body += "".join([
                    (f'<text x="{t.x:.1f}" y="{t.y:.1f}" font-size="{_g(t.size)}"'
                     f'{_BOLD if t.bold else ""}{_ANCHOR[t.anchor]} fill="{t.colour}" xml:space="preserve">'
                     f"{_x(t.text)}</text>")
                    for t in s.texts
                ])
            if s.id is not None:
                out.append(f'<g class="{s.cls}"><title>{_x(s.id)}</title>{body}</g>')
            else:
                out.append(body)
        out.append("</svg>")
        return "\n".join(out) + "\n"

    @staticmethod
    def _svg_shape(s: Shape) -> str:
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        op = f' opacity="{s.opacity:g}"' if s.opacity != 1.0 else ""
        if s.kind == "rect":
            r = f' rx="{_n(s.radius)}"' if s.radius else ""
            stroke = "none" if s.stroke == "none" else s.stroke
            return (
                f'<rect x="{s.x:.1f}" y="{s.y:.1f}" width="{s.w:.1f}" height="{s.h:.1f}"{r} fill="{s.fill}" '
                f'stroke="{stroke}" stroke-width="{_g(s.width)}"{dash}{op}/>'
            )
        if s.kind == "line":
            line = (
                f'<path d="M{s.x:.1f},{s.y:.1f}L{s.x2:.1f},{s.y2:.1f}" fill="none" stroke="{s.stroke}" '
                f'stroke-width="{s.width:.2f}"{dash}{op}/>'
            )
            return line + f'<polygon points="{_arrow(s)}" fill="{s.stroke}"{op}/>'
        if s.kind == "grid":
            cells = []
            for a, row in enumerate(s.cells):
                for b, c in enumerate(row):
                    cells.append(
                        f'<rect x="{_n(s.x + b * s.w)}" y="{_n(s.y + a * s.h)}" width="{_n(s.w)}" height="{_n(s.h)}" '
                        f'fill="{c}"/>'
                    )
            return "".join(cells)
        if s.kind == "image":  # the same cells as one embedded PNG, smoothed by the viewer when scaled
            uri = "data:image/png;base64," + base64.b64encode(png_bytes(s.cells)).decode("ascii")
            return (
                f'<image x="{_n(s.x)}" y="{_n(s.y)}" width="{_n(s.w * len(s.cells[0]))}" '
                f'height="{_n(s.h * len(s.cells))}" preserveAspectRatio="none" href="{uri}"{op}/>'
            )
        if s.kind == "polyline":
            pts = " ".join(f"{_n(a)},{_n(b)}" for a, b in s.points)
            return (
                f'<polyline points="{pts}" fill="none" stroke="{s.stroke}" stroke-width="{s.width:g}" '
                f'stroke-linejoin="round"{dash}{op}/>'
            )
        if s.kind == "none":
            return ""
        raise ValueError(f"unknown shape kind {s.kind!r}")

    @staticmethod
    def _svg_text(t: Text) -> str:
        return (
            f'<text x="{t.x:.1f}" y="{t.y:.1f}" font-size="{_g(t.size)}"{_BOLD if t.bold else ""}{_ANCHOR[t.anchor]} '
            f'fill="{t.colour}" xml:space="preserve">{_x(t.text)}</text>'
        )

    # ------------------------------------------------------------------ raster / PDF via matplotlib
    def render(self, fmt: str, dpi: float = 96.0) -> bytes:
        """The scene as ``png``, ``pdf`` or ``jpg`` bytes, drawn by matplotlib (Agg; no pyplot state).

        Raises:
            ValueError: for another format.
        """
        if fmt not in RASTER_FORMATS:
            raise ValueError(f"unknown format {fmt!r}; the network view writes svg, {', '.join(RASTER_FORMATS)}")
        import matplotlib

        matplotlib.use("Agg", force=False)
        import numpy as np
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import FancyBboxPatch, Polygon, Rectangle

        fig = Figure(figsize=(self.width / dpi, self.height / dpi), dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, self.width)
        ax.set_ylim(self.height, 0)
        ax.set_axis_off()
        pt = 72.0 / dpi  # px -> points
        z = 0
        for s in self.shapes:
            z += 1
            ls = (0, tuple(float(v) for v in s.dash.split(","))) if s.dash else "solid"
            if s.kind == "rect":
                style = f"round,pad=0,rounding_size={s.radius}" if s.radius else "square,pad=0"
                ax.add_patch(
                    FancyBboxPatch(
                        (s.x, s.y),
                        s.w,
                        s.h,
                        boxstyle=style,
                        facecolor=s.fill,
                        edgecolor="none" if s.stroke == "none" else s.stroke,
                        linewidth=s.width * pt,
                        linestyle=ls,
                        alpha=s.opacity,
                        zorder=z,
                    )
                )
            elif s.kind == "line":
                ax.plot([s.x, s.x2], [s.y, s.y2], color=s.stroke, lw=s.width * pt, ls=ls, alpha=s.opacity, zorder=z)
                pts = [tuple(map(float, p.split(","))) for p in _arrow(s).split()]
                ax.add_patch(Polygon(pts, closed=True, facecolor=s.stroke, edgecolor="none", alpha=s.opacity, zorder=z))
            elif s.kind == "polyline":
                xs, ys = zip(*s.points) if s.points else ((), ())
                ax.plot(xs, ys, color=s.stroke, lw=s.width * pt, ls=ls, alpha=s.opacity, zorder=z)
            elif s.kind in ("grid", "image"):
                rgb = np.array([[[int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)] for c in row] for row in s.cells])
                x1, y1 = s.x + s.w * rgb.shape[1], s.y + s.h * rgb.shape[0]
                smooth = "bilinear" if s.kind == "image" else "nearest"
                ax.imshow(rgb, extent=(s.x, x1, y1, s.y), interpolation=smooth, zorder=z, aspect="auto")
                ax.add_patch(Rectangle((s.x, s.y), x1 - s.x, y1 - s.y, fill=False, lw=0, zorder=z))
            for t in s.texts:
                ax.text(
                    t.x,
                    t.y,
                    t.text,
                    fontsize=t.size * pt,
                    family="monospace",
                    weight="bold" if t.bold else "normal",
                    color=t.colour,
                    ha={"start": "left", "middle": "center", "end": "right"}[t.anchor],
                    va="baseline",
                    zorder=z,
                )
        ax.set_xlim(0, self.width)
        ax.set_ylim(self.height, 0)
        buf = io.BytesIO()
        kw = {"pil_kwargs": {"quality": 92}} if fmt == "jpg" else {}
        fig.savefig(buf, format="jpeg" if fmt == "jpg" else fmt, dpi=dpi, facecolor="white", **kw)
        return buf.getvalue()


def png_bytes(cells: list) -> bytes:
    """Rows of ``#rrggbb`` colours as a PNG file (8-bit RGB, no interlace; the PNG specification, W3C 2003).

    >>> png_bytes([["#ff0000", "#00ff00"]])[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    h, w = len(cells), len(cells[0])
    raw = b"".join(b"\x00" + bytes.fromhex("".join(c[1:7] for c in row)) for row in cells)  # filter 0 per row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    head = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def _arrow(s: Shape, length: float = 7.0, half: float = 3.0) -> str:
    """The arrowhead triangle at (x2, y2) of a line, as SVG points."""
    dx, dy = s.x2 - s.x, s.y2 - s.y
    norm = (dx * dx + dy * dy) ** 0.5 or 1.0
    ux, uy = dx / norm, dy / norm
    bx, by = s.x2 - ux * length, s.y2 - uy * length
    return (f"{s.x2:.1f},{s.y2:.1f} {bx - uy * half:.1f},{by + ux * half:.1f} "
            f"{bx + uy * half:.1f},{by - ux * half:.1f}")
