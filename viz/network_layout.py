"""Fixed column geometry of the network view: equal boxes stacked in columns, straight edges, labels on their own edges.

Columns sit left to right; the boxes of a column share one width (the widest) and sit centred in
slots of one height (the tallest box, and at least room for a neuron's flag line), so the ends of
the edges of a live view never move when the numbers change. An edge is a straight line from the
right side of its source box to the left side of its target. Its label (w and ∂L/∂w) sits centred
on that line, at a fraction ``t`` of the way chosen by `place_labels`: the narrowest gap
between the two columns in which every label of the gap finds a ``t`` where it covers no other
label and stays between the columns. Where no such gap is found below the width of one vertical
strip per source -- or where the picture has room to spare on a screen (`SCREEN`) -- the
labels go into those strips (``t_s = 0.25 + 0.65 (s + ½) / n`` for the s-th source of n), which
never overlap. The placement depends only on the geometry (box centres, label size),
never on the numbers drawn, and is cached on it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from .scene import Scene, Shape, Text, text_width

NODE_FONT, LABEL_FONT, TITLE_FONT, LEGEND_FONT = 11.0, 9.0, 14.0, 10.0
LINE = 14.0  # px per text line in a node
PAD = 6.0
ROW_GAP = 24.0
T0, T_SPAN = 0.25, 0.65  # where along an edge the label strips start, and how much of it they span
MARGIN = 16.0
GAP_MIN = 150.0  # px between two columns without labels
SCREEN = 1400.0  # px: a network narrower than this with compact labels gets the roomier strips where they fit
SLOT_LINES = 6  # a neuron's box holds its head, z, a, g'(z), δ and room for one flag line
LABEL_PAD = 3.0  # px kept free between two edge labels
END = 6.0  # px kept free between a label and the box at either end of its edge (plus the arrowhead)
STEP = 5.0  # px between the candidate places of a label along its edge
GROW = 1.25  # each wider gap tried is this much wider than the last (then bisected down to 2 %)


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
    """A column: ``header``, its nodes, heatmaps under them; boxes at least ``min_width`` px wide."""

    header: str
    nodes: list
    grids: list = field(default_factory=list)
    min_width: float = 0.0


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
    """(width, height) in px of a node's box fitted to its text."""
    lines = [n.head] + [r for r, _ in n.rows]
    return max(text_width(t, NODE_FONT) for t in lines) * 1.02 + 2 * PAD + 6, LINE * len(lines) + 2 * PAD


def label_size(lines: list) -> tuple[float, float]:
    """(width, height) in px of an edge label of ``lines`` (on a white ground, 3 px padding).

    >>> [round(v, 1) for v in label_size(["w = 1", "∂L/∂w = 2"])]
    [54.6, 24.0]
    """
    return max(text_width(t, LABEL_FONT) for t in lines) + 6, len(lines) * (LABEL_FONT + 2) + 2


def gap(sources: int, label_width: float) -> float:
    """Gap between two columns holding one vertical label strip of ``label_width`` px per source.

    The fallback of `place_labels`: labels of different sources never share a strip, so they never overlap.

    >>> gap(0, 80.0), round(gap(4, 80.0))
    (150.0, 542)
    """
    if sources == 0:
        return GAP_MIN
    return max(GAP_MIN, sources * (label_width + 8.0) / T_SPAN)


@functools.lru_cache(maxsize=64)
def place_labels(src_y: tuple, dst_y: tuple, pairs: tuple, lw: float, lh: float) -> tuple[float, tuple]:
    """The gap width and, per edge, where along it its label sits: ``(gap, (t, ...))``.

    ``src_y``/``dst_y`` are the centres (px, y down) of the boxes in the two columns; ``pairs`` the
    labelled edges as (source index, target index); every label is ``lw`` × ``lh`` px and is centred
    on its edge at ``(x1 + t·gap, y1 + t·(y2 - y1))``. Tries gaps from an area bound (the labels'
    total area over the columns' height) upward by `GROW`; in each, edges are taken source by
    source (then by target) and each label goes to the free place nearest its source's share of the
    gap (source s of n: the fraction (s + ½)/n of the way), every `STEP` px, keeping
    `LABEL_PAD` px from every placed label and `END` px (plus an arrowhead) from both
    columns. The same is tried from the targets' side (a few sources fanning out to many targets
    crowd near the sources); the narrower gap wins, the sources' side on a tie. From the width of
    the strip layout (`gap`) on, the strips are used. A pure function of the geometry: cached.

    >>> g, ts = place_labels((0.0, 100.0), (0.0, 100.0), ((0, 0), (0, 1), (1, 0), (1, 1)), 80.0, 24.0)
    >>> round(g), [round(t, 2) for t in ts]
    (169, [0.41, 0.41, 0.32, 0.59])
    """
    n_src, n_dst = len({s for s, _ in pairs}), len({d for _, d in pairs})
    strip = gap(n_src, lw)
    flipped = tuple((d, s) for s, d in pairs)
    if n_src > n_dst:  # edges converge on few targets: labels as near the sources as they fit
        g, ts = _narrowest(src_y, dst_y, pairs, lw, lh, strip, spread=False)
    elif n_dst > n_src:  # few sources fan out: labels as near the targets, where the edges are apart
        g, ts = _narrowest(dst_y, src_y, flipped, lw, lh, strip, spread=False)
        ts = None if ts is None else tuple(1.0 - t for t in ts)
    else:  # as many on both sides: each source's labels around its own share of the gap
        g, ts = _narrowest(src_y, dst_y, pairs, lw, lh, strip, spread=True)
        g2, ts2 = _narrowest(dst_y, src_y, flipped, lw, lh, g, spread=True)
        if ts2 is not None and g2 < g:
            g, ts = g2, tuple(1.0 - t for t in ts2)
    if ts is not None:
        return g, ts
    rank = {s: r for r, s in enumerate(sorted({s for s, _ in pairs}))}
    return strip, tuple(T0 + T_SPAN * (rank[s] + 0.5) / n_src for s, _ in pairs)


def _narrowest(src_y: tuple, dst_y: tuple, pairs: tuple, lw: float, lh: float, limit: float, spread: bool):
    """The first gap below ``limit`` (grown by `GROW`, then bisected) where every label fits, or (limit, None).

    Each label wants its source's share of the gap (``spread``) or the sources' end.
    """
    srcs = sorted({s for s, _ in pairs})
    order = sorted(range(len(pairs)), key=lambda k: pairs[k])
    ys = np.array([src_y[pairs[k][0]] for k in order], dtype=float)
    yd = np.array([dst_y[pairs[k][1]] for k in order], dtype=float)
    pref = np.array([(srcs.index(pairs[k][0]) + 0.5) / len(srcs) if spread else 0.0 for k in order])
    span = max(src_y + dst_y) - min(src_y + dst_y) + lh
    g = span_min = lo = max(lw + 2 * (END + 8.0), len(pairs) * (lw + LABEL_PAD) * (lh + LABEL_PAD) / span)
    best = None
    while g < limit:  # grow until everything fits ...
        ts = _first_fit(ys, yd, pref, g, lw, lh)
        if ts is not None:
            best = (g, ts)
            break
        lo, g = g, g * GROW
    if best is None:
        return limit, None
    if best[0] > span_min:  # ... then halve the step back down to 2 % (first fit is close to monotonic in g)
        hi = best[0]
        while hi / lo > 1.02:
            mid = (lo * hi) ** 0.5
            ts = _first_fit(ys, yd, pref, mid, lw, lh)
            if ts is None:
                lo = mid
            else:
                hi, best = mid, (mid, ts)
    out = [0.0] * len(pairs)
    for k, t in zip(order, best[1]):
        out[k] = t
    return best[0], tuple(out)


def _first_fit(ys: np.ndarray, yd: np.ndarray, pref: np.ndarray, g: float, lw: float, lh: float) -> list | None:
    """Each label at its first free candidate ``t`` (left to right) in a gap of ``g`` px, or None if one finds none."""
    lo, hi = (lw / 2 + END + 8.0) / g, 1.0 - (lw / 2 + END + 8.0) / g  # either end may hold an arrowhead
    if hi < lo:
        return None
    t = np.linspace(lo, hi, max(2, int((hi - lo) * g / STEP) + 1))
    cx = t * g
    px, py = np.empty(len(ys)), np.empty(len(ys))
    dx, dy = lw + LABEL_PAD, lh + LABEL_PAD
    out = []
    for k in range(len(ys)):
        cy = ys[k] + t * (yd[k] - ys[k])
        hit = (np.abs(cx[:, None] - px[None, :k]) < dx) & (np.abs(cy[:, None] - py[None, :k]) < dy)
        free = np.flatnonzero(~hit.any(axis=1))
        if free.size == 0:
            return None
        want = lo + pref[k] * (hi - lo)
        i = int(free[np.argmin(np.abs(t[free] - want))])
        px[k], py[k] = cx[i], cy[i]
        out.append(float(t[i]))
    return out


def layout(title: list, legend: dict | None, columns: list, edges: list, label_width: float = 0.0) -> Scene:
    """Place ``columns`` and ``edges`` under ``title`` (lines) and ``legend``; return the `Scene`.

    Every label is at least ``label_width`` px wide (the caller's widest possible number), so the
    placement of the labels -- and the picture -- stays put from frame to frame while the numbers change.
    """
    sizes = {n.id: node_size(n) for c in columns for n in c.nodes}
    col_w, box_w, slot = [], [], []
    for k, c in enumerate(columns):
        box_w.append(max([sizes[n.id][0] for n in c.nodes] + [c.min_width]))  # one width for a column's boxes
        widths = [box_w[-1], text_width(c.header, 12.0) + 8]
        for g in c.grids:
            widths += [max(text_width(t, LABEL_FONT) for t in g.caption), g.cell * len(g.cells[0])]
        col_w.append(max(widths))
        least = LINE * SLOT_LINES + 2 * PAD if k else 0.0  # inputs have no flag line
        slot.append(max([sizes[n.id][1] for n in c.nodes] + [least]))
    col_of = {n.id: k for k, c in enumerate(columns) for n in c.nodes}
    order = {n.id: s for c in columns for s, n in enumerate(c.nodes)}
    heights = []
    for k, c in enumerate(columns):
        h = 20 + len(c.nodes) * (slot[k] + ROW_GAP)
        h += sum(LINE * len(g.caption) + g.cell * len(g.cells) + ROW_GAP for g in c.grids)
        heights.append(h)
    tallest = max(heights)
    # box centres relative to the top of the columns: all the label placement needs
    mid = [[(tallest - heights[k]) / 2 + 20 + s * (slot[k] + ROW_GAP) + slot[k] / 2 for s in range(len(c.nodes))]
           for k, c in enumerate(columns)]

    # the labels of each gap: one size (the widest label, at least label_width), placed by place_labels
    labelled = [e for e in edges if e.label]
    chars = max([len(t) for e in labelled for t in e.label], default=0)
    lw = max(label_width, text_width("x" * chars, LABEL_FONT) + 6 if chars else 0.0)
    lh = label_size(["x"] * max(len(e.label) for e in labelled))[1] if labelled else 0.0
    where: dict = {}
    gaps = [GAP_MIN] * len(columns)
    strips: dict = {}  # gap -> (its width with one label strip per source, the labels' places there)
    for k in range(len(columns) - 1):
        mine = [e for e in labelled if col_of[e.src] == k]
        if not mine:
            continue
        pairs = tuple((order[e.src], order[e.dst]) for e in mine)
        g, ts = place_labels(tuple(round(v, 2) for v in mid[k]), tuple(round(v, 2) for v in mid[k + 1]), pairs,
                             round(lw, 2), round(lh, 2))
        inset = (col_w[k] - box_w[k]) / 2 + (col_w[k + 1] - box_w[k + 1]) / 2  # boxes narrower than their column
        gaps[k] = max(GAP_MIN / 2, g - inset)  # a wider edge than g keeps the labels apart: they only spread out
        where.update(zip((id(e) for e in mine), ts))
        rank = {s: r for r, s in enumerate(sorted({s for s, _ in pairs}))}
        strips[k] = (gap(len(rank), lw) - inset, [(e, T0 + T_SPAN * (rank[p[0]] + 0.5) / len(rank)) for e, p in
                                                  zip(mine, pairs)])
    # room to spare on a screen: the roomier strip layout, cheapest gap first (a 2-3-1 net, not a 2-8-8-1)
    spare = SCREEN - (2 * MARGIN + sum(col_w) + sum(gaps[: len(columns) - 1]))
    for k in sorted(strips, key=lambda k: strips[k][0] - gaps[k]):
        extra = strips[k][0] - gaps[k]
        if extra > spare:
            break
        if extra > 0:
            spare -= extra
            gaps[k] = strips[k][0]
            where.update((id(e), t) for e, t in strips[k][1])

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
        w, bx = box_w[k], xs[k] + (col_w[k] - box_w[k]) / 2
        for n in c.nodes:  # each box centred in its slot: the centres (where edges end) never move
            h = sizes[n.id][1]
            y += (slot[k] - h) / 2
            box[n.id] = (bx, y, w, h)
            texts = [Text(bx + w / 2, y + PAD + LINE - 3, n.head, NODE_FONT, True, n.text, "middle")]
            texts += [Text(bx + PAD + 2, y + PAD + LINE * (r + 2) - 3, t, NODE_FONT, b, n.text)
                      for r, (t, b) in enumerate(n.rows)]
            boxes.append(Shape("rect", bx, y, w, h, fill=n.fill, stroke=n.stroke, width=n.width, dash=n.dash,
                               radius=6, texts=texts, id=n.id))
            y += h + (slot[k] - h) / 2 + ROW_GAP
        for g in c.grids:
            for line in g.caption:
                y += LINE
                boxes.append(Shape("none", 0, 0, texts=[Text(xs[k], y - 3, line, LABEL_FONT)]))
            boxes.append(Shape("grid", xs[k], y, g.cell, g.cell, cells=g.cells))
            y += g.cell * len(g.cells) + ROW_GAP

    # edges first (under the boxes), then their labels on a white ground
    labels = []
    step = LABEL_FONT + 2
    for e in edges:  # positional arguments (Shape's field order): hundreds of shapes a frame
        sx, sy, sw, sh = box[e.src]
        tx, ty, tw, th = box[e.dst]
        x1, y1, x2, y2 = sx + sw, sy + sh / 2, tx, ty + th / 2
        scene.add(Shape("line", x1, y1, 0.0, 0.0, x2, y2, "none", e.colour, e.width, e.dash, 0.0, 1.0, None, None, [],
                        f"{e.src}->{e.dst}", "edge"))
        if e.label:
            t = where[id(e)]
            cx, cy = x1 + t * (x2 - x1), y1 + t * (y2 - y1)
            lh_e = len(e.label) * step + 2
            top = cy - lh_e / 2
            texts = [Text(cx, top + step * (i + 1) - 1, s, LABEL_FONT, False, e.label_colour, "middle")
                     for i, s in enumerate(e.label)]
            labels.append(Shape("rect", cx - lw / 2, top, lw, lh_e, 0.0, 0.0, "#ffffff", e.colour, 0.6, None, 2.0, 0.92,
                                None, None, texts, f"w:{e.src}->{e.dst}", "label"))
    for s in boxes + labels:
        scene.add(s)
    return scene
