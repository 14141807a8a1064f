"""The network view's compact label placement: a 2-8-8-1 frame fits a screen, labels sit on their own edges, apart."""

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from deltagrad.nn import TensorMLP
from deltagrad.viz import draw
from deltagrad.viz.network_layout import END, LABEL_PAD, place_labels

SVG = "{http://www.w3.org/2000/svg}"


def _groups(svg: str, cls: str) -> dict:
    return {g.find(SVG + "title").text: g for g in ET.fromstring(svg).iter(SVG + "g") if g.get("class") == cls}


def _rect(g) -> tuple:
    r = g.find(SVG + "rect")
    x, y, w, h = (float(r.get(a)) for a in ("x", "y", "width", "height"))
    return x, y, x + w, y + h


def _line(g) -> tuple:
    return tuple(map(float, re.findall(r"-?\d+\.?\d*", g.find(SVG + "path").get("d"))))


def _apart(p, q) -> bool:
    return p[2] <= q[0] or q[2] <= p[0] or p[3] <= q[1] or q[3] <= p[1]


def _net_2881(seed: int, scale: float = 1.0):
    """The bench's frame: a tanh 2-8-8-1 TensorMLP after one backward of MSE on 4 random rows."""
    rng = np.random.default_rng(seed)
    net = TensorMLP(2, [8, 8, 1], "tanh", seed=seed)
    X = scale * rng.standard_normal((4, 2))
    loss = ((net(X) - 1.0) ** 2).mean()
    loss.backward()
    return loss


def test_2_8_8_1_frame_fits_a_screen_with_every_weight_labelled_on_its_own_edge():
    d = draw(_net_2881(0), view="network")
    assert d.scene.width <= 1400 and d.scene.height <= 1300  # was 3,423 px wide
    svg = d.source
    nodes, edges, labels = _groups(svg, "node"), _groups(svg, "edge"), _groups(svg, "label")
    assert len(labels) == len(edges) == 2 * 8 + 8 * 8 + 8
    boxes = {k: _rect(g) for k, g in nodes.items() if g.find(SVG + "rect") is not None}
    rects = []
    for name, g in labels.items():
        src, dst = name[2:].split("->")
        x1, y1, x2, y2 = _line(edges[name[2:]])
        box = _rect(g)
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        dist = abs((y2 - y1) * cx - (x2 - x1) * cy + x2 * y1 - y2 * x1) / np.hypot(x2 - x1, y2 - y1)
        assert dist < 0.2, name  # centred on its own edge
        assert boxes[src][2] + END - 0.2 <= box[0] and box[2] <= boxes[dst][0] - END + 0.2, name  # between the columns
        texts = ["".join(t.itertext()) for t in g.iter(SVG + "text")]
        assert texts[0].startswith("w = ") and texts[1].startswith("∂L/∂w = ")
        assert all(float(t.get("font-size")) >= 9 for t in g.iter(SVG + "text"))  # legible, as before
        rects.append(box)
    for a in range(len(rects)):
        for b in range(a + 1, len(rects)):
            assert _apart(rects[a], rects[b]), (a, b)
        assert all(_apart(rects[a], r) for r in boxes.values())  # no label covers a neuron


@pytest.mark.parametrize("seed", range(6))
def test_place_labels_never_overlaps_on_random_columns(seed):
    # oracle: plain rectangle geometry on the returned places, for columns of 1-12 boxes at random pitches
    rng = np.random.default_rng(seed)
    ns, nd = (int(v) for v in rng.integers(1, 13, 2))
    ps, pd = rng.uniform(40, 160, 2)
    src = tuple(round(float(v), 2) for v in (np.arange(ns) * ps + rng.uniform(0, 200)))
    dst = tuple(round(float(v), 2) for v in (np.arange(nd) * pd + rng.uniform(0, 200)))
    pairs = tuple((s, t) for s in range(ns) for t in range(nd) if rng.random() < 0.9) or ((0, 0),)
    lw, lh = round(float(rng.uniform(60, 120)), 2), 24.0
    g, ts = place_labels(src, dst, pairs, lw, lh)
    assert len(ts) == len(pairs)
    centres = [(t * g, src[s] + t * (dst[d] - src[s])) for (s, d), t in zip(pairs, ts)]
    for x, _ in centres:
        assert lw / 2 + END <= x + 1e-9 and x <= g - lw / 2 - END + 1e-9
    for a in range(len(centres)):
        for b in range(a + 1, len(centres)):
            (xa, ya), (xb, yb) = centres[a], centres[b]
            assert abs(xa - xb) >= lw or abs(ya - yb) >= lh, (a, b)


def test_labels_and_edges_stay_put_when_the_numbers_change():
    # a live view redraws the same architecture with new numbers: nothing may jump about
    one, two = (draw(_net_2881(s, scale=k), view="network").source for s, k in ((0, 1.0), (1, 3.0)))
    lines = [{k: _line(g) for k, g in _groups(svg, "edge").items()} for svg in (one, two)]
    rects = [{k: _rect(g) for k, g in _groups(svg, "label").items()} for svg in (one, two)]
    texts = [{k: "".join(g.itertext()) for k, g in _groups(svg, "label").items()} for svg in (one, two)]
    assert texts[0] != texts[1]  # the numbers did change
    assert lines[0] == lines[1] and rects[0] == rects[1]


def test_a_gap_wider_than_needed_keeps_the_labels_apart():
    # labels found for g stay apart on a longer edge: x spreads by the factor, y is unchanged
    src, dst, pairs = (0.0, 112.0, 224.0), (0.0, 112.0, 224.0), tuple((s, d) for s in range(3) for d in range(3))
    g, ts = place_labels(src, dst, pairs, 100.0, 24.0)
    for wider in (g, 1.5 * g, 3 * g):
        c = [(t * wider, src[s] + t * (dst[d] - src[s])) for (s, d), t in zip(pairs, ts)]
        assert all(abs(p[0] - q[0]) >= 100 or abs(p[1] - q[1]) >= 24 for i, p in enumerate(c) for q in c[i + 1:])
    assert LABEL_PAD > 0


def test_a_small_net_uses_the_room_for_one_label_strip_per_source():
    # 2-3-1: room to spare on a screen, so each input's labels get their own vertical strip, x0's left of x1's
    from deltagrad.nn import MLP

    net = MLP(2, [3, 1], activation="sigmoid", seed=0)
    out = net([1.0, 0.0])
    out.backward()
    d = draw(out, view="network")
    labels = _groups(d.source, "label")
    centre = {k[2:]: (_rect(g)[0] + _rect(g)[2]) / 2 for k, g in labels.items()}
    x0 = [c for k, c in centre.items() if k.startswith("x0->")]
    x1 = [c for k, c in centre.items() if k.startswith("x1->")]
    assert len(x0) == len(x1) == 3 and max(x0) < min(x1) and d.scene.width <= 1400
    rects = [_rect(g) for g in labels.values()]
    assert all(_apart(p, q) for i, p in enumerate(rects) for q in rects[i + 1:])
