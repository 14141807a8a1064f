"""Fixed column geometry of the network view: boxes stacked in columns, straight edges, labels on their own edges.

Columns sit left to right, each node a rounded box sized to its text, stacked top to bottom. An
edge is a straight line from the right side of its source box to the left side of its target. The
label of the edge from the s-th drawn source of a column sits on that edge at the fraction
``t_s = 0.25 + 0.65 (s + ½) / n`` of the way, so labels of different sources fall in disjoint
vertical strips and labels of one source are at least ``0.25 ×`` the row spacing apart: no label
covers another, and each sits on its own line (on a white ground, above the other edges). The gap
between two columns grows with the labels it has to hold (:func:`gap`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .scene import Scene, Shape, Text, text_width

NODE_FONT, LABEL_FONT, TITLE_FONT, LEGEND_FONT = 11.0, 9.0, 14.0, 10.0
LINE = 14.0  # px per text line in a node
PAD = 6.0
ROW_GAP = 16.0
T0, T_SPAN = 0.25, 0.65  # where along an edge the label strips start, and how much of it they span
MARGIN = 16.0


@dataclass
class Node:
    """A box: ``head`` in bold then ``rows`` (text, bold); border ``stroke`` of ``width``, ``dash`` like ``"4,3"``."""

    id: str
    head: str
    rows: list
    fill: str = "#ffffff"
    text: str = "#000000"
    stroke: str = "#000000"
    width: float = 1.0
    dash: str | None = None


@dataclass
class Grid:
    """A heatmap under a column: caption lines, then rows of ``#rrggbb`` cells of ``cell`` px."""

    caption: list
    cells: list
    cell: float = 6.0


@dataclass
class Column:
    header: str
    nodes: list
    grids: list = field(default_factory=list)


@dataclass
class Edge:
    src: str
    dst: str
    colour: str
    width: float
    dash: str | None = None
    label: list | None = None  # lines of text
    label_colour: str = "#000000"


def node_size(n: Node) -> tuple[float, float]:
    """(width, height) in px of a node's box."""
    lines = [n.head] + [r for r, _ in n.rows]
    return max(text_width(t, NODE_FONT) for t in lines) * 1.05 + 2 * PAD + 6, LINE * len(lines) + 2 * PAD


def gap(sources: int, label_width: float) -> float:
    """Horizontal gap between two columns so that ``sources`` label strips of ``label_width`` px fit.

    >>> gap(0, 80.0), round(gap(4, 80.0))
    (150.0, 542)
    """
    if sources == 0:
        return 150.0
    return max(150.0, sources * (label_width + 8.0) / T_SPAN)


def layout(title: list, legend: dict | None, columns: list, edges: list) -> Scene:
    """Place ``columns`` and ``edges`` under ``title`` (lines) and ``legend``; return the :class:`Scene`."""
    sizes = {n.id: node_size(n) for c in columns for n in c.nodes}
    col_w = []
    for c in columns:
        widths = [sizes[n.id][0] for n in c.nodes] + [text_width(c.header, 12.0) + 8]
        for g in c.grids:
            widths += [max(text_width(t, LABEL_FONT) for t in g.caption), g.cell * len(g.cells[0])]
        col_w.append(max(widths))
    col_of = {n.id: k for k, c in enumerate(columns) for n in c.nodes}
    order = {n.id: s for c in columns for s, n in enumerate(c.nodes)}
    label_w = {}
    sources: dict = {}
    for e in edges:
        k = col_of[e.src]
        sources.setdefault(k, set()).add(e.src)
        if e.label:
            w = max(text_width(t, LABEL_FONT) for t in e.label) + 6
            label_w[k] = max(label_w.get(k, 0.0), w)
    gaps = [gap(len(sources.get(k, ())) if k in label_w else 0, label_w.get(k, 0.0)) for k in range(len(columns))]

    # the header block: title lines, then the legend (a row of coloured ticks and a note per line)
    y = MARGIN + TITLE_FONT
    head: list = []
    for line in title:
        head.append(Text(MARGIN, y, line, TITLE_FONT, bold=True))
        y += TITLE_FONT + 4
    legend_shapes: list = []
    if legend:
        y += 4
        head.append(Text(MARGIN, y, legend["title"], LEGEND_FONT, bold=True))
        y += 4
        x = MARGIN
        cw = max(text_width(t, LEGEND_FONT) for t, _, _ in legend["cells"]) + 10
        for t, fill, ink in legend["cells"]:
            legend_shapes.append(
                Shape("rect", x, y, cw, LEGEND_FONT + 8, fill=fill, stroke="#999999", width=0.5,
                      texts=[Text(x + cw / 2, y + LEGEND_FONT + 2, t, LEGEND_FONT, colour=ink, anchor="middle")])
            )
            x += cw
        y += LEGEND_FONT + 8 + LEGEND_FONT + 4
        for t, colour in legend["notes"]:
            head.append(Text(MARGIN, y, t, LEGEND_FONT, colour=colour))
            y += LEGEND_FONT + 4
    top = y + 16

    # columns
    xs, x = [], MARGIN
    for k in range(len(columns)):
        xs.append(x)
        x += col_w[k] + (gaps[k] if k < len(columns) - 1 else 0)
    heights = []
    for c in columns:
        h = 20 + sum(sizes[n.id][1] + ROW_GAP for n in c.nodes)
        h += sum(LINE * len(g.caption) + g.cell * len(g.cells) + ROW_GAP for g in c.grids)
        heights.append(h)
    tallest = max(heights)
    width = max(x + MARGIN, max((text_width(t.text, t.size) + 2 * MARGIN for t in head), default=0.0))
    scene = Scene(width, top + tallest + MARGIN)
    scene.add(Shape("none", 0, 0, texts=head))
    for s in legend_shapes:
        scene.add(s)
    box: dict = {}
    boxes = []
    for k, c in enumerate(columns):
        y = top + (tallest - heights[k]) / 2
        boxes.append(Shape("none", 0, 0, id=f"col{k}",
                           texts=[Text(xs[k] + col_w[k] / 2, y + 12, c.header, 12.0, True, anchor="middle")]))
        y += 20
        for n in c.nodes:
            w, h = sizes[n.id]
            bx = xs[k] + (col_w[k] - w) / 2
            box[n.id] = (bx, y, w, h)
            texts = [Text(bx + w / 2, y + PAD + LINE - 3, n.head, NODE_FONT, True, n.text, "middle")]
            texts += [Text(bx + PAD + 2, y + PAD + LINE * (r + 2) - 3, t, NODE_FONT, b, n.text)
                      for r, (t, b) in enumerate(n.rows)]
            boxes.append(Shape("rect", bx, y, w, h, fill=n.fill, stroke=n.stroke, width=n.width, dash=n.dash,
                               radius=6, texts=texts, id=n.id))
            y += h + ROW_GAP
        for g in c.grids:
            for line in g.caption:
                y += LINE
                boxes.append(Shape("none", 0, 0, texts=[Text(xs[k], y - 3, line, LABEL_FONT)]))
            boxes.append(Shape("grid", xs[k], y, g.cell, g.cell, cells=g.cells))
            y += g.cell * len(g.cells) + ROW_GAP

    # edges first (under the boxes), then their labels on a white ground
    labels = []
    for e in edges:
        sx, sy, sw, sh = box[e.src]
        tx, ty, tw, th = box[e.dst]
        x1, y1, x2, y2 = sx + sw, sy + sh / 2, tx, ty + th / 2
        scene.add(Shape("line", x1, y1, x2=x2, y2=y2, stroke=e.colour, width=e.width, dash=e.dash,
                        id=f"{e.src}->{e.dst}", cls="edge"))
        if e.label:
            k = col_of[e.src]
            n = len(sources[k])
            rank = sorted(sources[k], key=lambda i: order[i]).index(e.src)
            t = T0 + T_SPAN * (rank + 0.5) / n
            cx, cy = x1 + t * (x2 - x1), y1 + t * (y2 - y1)
            lw = max(text_width(s, LABEL_FONT) for s in e.label) + 6
            lh = len(e.label) * (LABEL_FONT + 2) + 2
            texts = [Text(cx, cy - lh / 2 + (LABEL_FONT + 2) * (i + 1) - 1, s, LABEL_FONT, colour=e.label_colour,
                          anchor="middle") for i, s in enumerate(e.label)]
            labels.append(Shape("rect", cx - lw / 2, cy - lh / 2, lw, lh, fill="#ffffff", stroke=e.colour,
                                width=0.6, opacity=0.92, radius=2, texts=texts, id=f"w:{e.src}->{e.dst}", cls="label"))
    for s in boxes + labels:
        scene.add(s)
    return scene
