"""Reading the op view's SVG (Graphviz output) in tests: node boxes, edge paths, label text positions.

Coordinates are the SVG's own (points, y growing downwards, all inside one ``translate``); the
geometry here is plain arithmetic on them, independent of the code that wrote the DOT.
"""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
_NUM = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


def size(svg: str) -> tuple[float, float]:
    """(width, height) in points from the ``<svg width=.. height=..>`` attributes."""
    root = ET.fromstring(svg)
    return float(root.get("width").removesuffix("pt")), float(root.get("height").removesuffix("pt"))


def _groups(svg: str, cls: str):
    for g in ET.fromstring(svg).iter(SVG + "g"):
        if g.get("class") == cls:
            yield g.find(SVG + "title").text, g


def _bezier(points: list, steps: int = 12) -> list:
    """Points along a path ``M p0 C p1 p2 p3 C ...`` (cubic Bézier pieces), sampled ``steps`` times each."""
    out = [points[0]]
    for j in range(1, len(points) - 2, 3):
        p0, p1, p2, p3 = points[j - 1], points[j], points[j + 1], points[j + 2]
        for s in range(1, steps + 1):
            t = s / steps
            a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
            out.append((a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]))
    return out


def edges(svg: str) -> dict:
    """{(tail, head): [polyline, ...]} of every edge, each path sampled into points (multi-edges: one polyline each)."""
    out: dict = {}
    for title, g in _groups(svg, "edge"):
        tail, head = title.split("->")
        for path in g.iter(SVG + "path"):
            nums = [float(v) for v in _NUM.findall(path.get("d"))]
            out.setdefault((tail, head), []).append(_bezier(list(zip(nums[::2], nums[1::2]))))
    return out


def texts(svg: str) -> dict:
    """{node title: [(x, y, text), ...]} of every node's text lines (x the anchor: the middle; y the baseline)."""
    return {
        title: [(float(t.get("x")), float(t.get("y")), "".join(t.itertext())) for t in g.iter(SVG + "text")]
        for title, g in _groups(svg, "node")
    }


def text_box(lines: list, font: float = 9.0) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) around centred text lines at ``font`` pt in Courier (a character is 0.6 em wide)."""
    half = max(len(t) for _, _, t in lines) * 0.6 * font / 2
    xs = [x for x, _, _ in lines]
    return min(xs) - half, min(y for _, y, _ in lines) - 0.75 * font, max(xs) + half, max(y for _, y, _ in lines)


def centre(lines: list, font: float = 9.0) -> tuple[float, float]:
    x0, y0, x1, y1 = text_box(lines, font)
    return (x0 + x1) / 2, (y0 + y1) / 2


def _seg_dist(p, a, b) -> float:
    ax, ay, bx, by, px, py = *a, *b, *p
    dx, dy = bx - ax, by - ay
    t = 0.0 if dx == dy == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def distance(p, polyline: list) -> float:
    """Shortest distance from point ``p`` to a polyline."""
    if len(polyline) == 1:
        return math.dist(p, polyline[0])
    return min(_seg_dist(p, a, b) for a, b in itertools.pairwise(polyline))


def inside(p, box, pad: float = 0.0) -> bool:
    x0, y0, x1, y1 = box
    return x0 - pad <= p[0] <= x1 + pad and y0 - pad <= p[1] <= y1 + pad


def node_centre(svg: str, title: str) -> tuple[float, float]:
    """Centre of a node's drawn shape (polygon, ellipse, or its texts)."""
    for t, g in _groups(svg, "node"):
        if t != title:
            continue
        for shape in g:
            if shape.tag == SVG + "ellipse":
                return float(shape.get("cx")), float(shape.get("cy"))
            if shape.tag == SVG + "polygon":
                pts = [float(v) for v in _NUM.findall(shape.get("points"))]
                return (min(pts[::2]) + max(pts[::2])) / 2, (min(pts[1::2]) + max(pts[1::2])) / 2
        return centre([(float(s.get("x")), float(s.get("y")), "".join(s.itertext())) for s in g.iter(SVG + "text")])
    raise KeyError(title)
