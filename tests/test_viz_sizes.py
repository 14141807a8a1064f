"""The network view at every size: structure of the SVG, label geometry, summaries of wide layers, δ against numpy."""

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from deltagrad.nn import MLP, TensorMLP, cross_entropy
from deltagrad.viz import draw

SVG = "{http://www.w3.org/2000/svg}"


def _groups(svg: str, cls: str) -> dict:
    out = {}
    for g in ET.fromstring(svg).iter(SVG + "g"):
        if g.get("class") == cls:
            out[g.find(SVG + "title").text] = g
    return out


def _texts(g) -> list:
    return ["".join(t.itertext()) for t in g.iter(SVG + "text")]


def _one_row(sizes, seed=0):
    rng = np.random.default_rng(seed)
    net = TensorMLP(sizes[0], sizes[1:], seed=seed)
    sd = net.state_dict()
    for k in sd:  # He-scaled, so that the numbers stay moderate at 784 inputs
        sd[k] = sd[k] * (np.sqrt(2.0 / sd[k].shape[-1]) if k.endswith("W") else 0.1)
    net.load_state_dict(sd)
    x = rng.random((1, sizes[0]))
    y = 3 % sizes[-1]
    loss = -(net(x).log_softmax(axis=1)[np.arange(1), [y]]).mean()
    loss.backward()
    return net.state_dict(), x[0], y, loss


def test_784_256_10_is_summarised_small_and_every_delta_matches_numpy():
    sd, x, y, loss = _one_row([784, 256, 10])
    d = draw(loss, view="network")
    svg = d.source
    assert len(svg.encode()) < 1_000_000 and max(d.scene.width, d.scene.height) < 4000
    nodes = _groups(svg, "node")
    assert _texts(nodes["more0"])[0] == "… 776 more" and _texts(nodes["more1"])[0] == "… 248 more"
    shown_x = [k for k in nodes if re.fullmatch(r"x\d+", k)]
    shown_h = [k for k in nodes if re.fullmatch(r"n1_\d+", k)]
    assert len(shown_x) == 8 and len(shown_h) == 8 and len([k for k in nodes if k.startswith("n2_")]) == 10
    assert len(_groups(svg, "edge")) == 48  # the 24 largest |∂L/∂w| of each layer
    assert "W1: 256×784 (rows: neurons, columns: inputs)" in svg and "∂L/∂W2: 10×256" in svg
    assert "a cell: the mean of a 11×33 block" in svg
    # independent numpy forward/backward of one row: relu hidden layer, softmax cross-entropy
    z1 = sd["layer1.W"] @ x + sd["layer1.b"]
    a1 = np.maximum(z1, 0)
    z2 = sd["layer2.W"] @ a1 + sd["layer2.b"]
    p = np.exp(z2 - z2.max()) / np.exp(z2 - z2.max()).sum()
    d2 = p - np.eye(10)[y]
    d1 = (sd["layer2.W"].T @ d2) * (z1 > 0)
    dx = sd["layer1.W"].T @ d1
    for k, g in nodes.items():
        m = re.fullmatch(r"n(\d)_(\d+)", k)
        if m:
            (line,) = [t for t in _texts(g) if t.startswith("δ = ")]
            want = (d1 if m.group(1) == "1" else d2)[int(m.group(2))]
            assert float(line[4:]) == pytest.approx(want, rel=1e-3, abs=1e-12)
    # the shown hidden neurons are the 8 with the largest |δ|, the shown inputs the 8 largest |∂L/∂x|
    assert sorted(int(k[3:]) for k in shown_h) == sorted(np.argsort(-np.abs(d1), kind="stable")[:8].tolist())
    assert sorted(int(k[1:]) for k in shown_x) == sorted(np.argsort(-np.abs(dx), kind="stable")[:8].tolist())


@pytest.mark.parametrize("hidden", [[64, 64], [256, 256]])
def test_wide_hidden_layers_stay_within_4000_px(hidden):
    _, _, _, loss = _one_row([4, *hidden, 3])
    d = draw(loss, view="network")
    assert max(d.scene.width, d.scene.height) < 4000 and len(d.source.encode()) < 1_000_000
    assert "… 56 more" in d.source or "… 248 more" in d.source


def test_labels_sit_on_their_own_edges_and_never_overlap():
    net = MLP(4, [12, 3], seed=0)  # the widest layer that is still labelled in full
    loss = cross_entropy(net([5.1, 3.5, 1.4, 0.2]), 0)
    loss.backward()
    svg = draw(loss, view="network").source
    edges, labels = _groups(svg, "edge"), _groups(svg, "label")
    assert len(labels) == len(edges) == 4 * 12 + 12 * 3
    boxes = []
    for name, g in labels.items():
        r = g.find(SVG + "rect")
        x, y, w, h = (float(r.get(a)) for a in ("x", "y", "width", "height"))
        boxes.append((x, y, x + w, y + h))
        path = edges[name[2:]].find(SVG + "path").get("d")
        x1, y1, x2, y2 = map(float, re.findall(r"-?\d+\.?\d*", path))
        cx, cy = x + w / 2, y + h / 2
        dist = abs((y2 - y1) * cx - (x2 - x1) * cy + x2 * y1 - y2 * x1) / np.hypot(x2 - x1, y2 - y1)
        assert dist < 0.2 and min(x1, x2) < cx < max(x1, x2)  # the label's centre is on its own edge
    for a in range(len(boxes)):
        for b in range(a + 1, len(boxes)):
            p, q = boxes[a], boxes[b]
            assert p[2] <= q[0] or q[2] <= p[0] or p[3] <= q[1] or q[3] <= p[1], (a, b)


def test_network_view_writes_png_pdf_jpg_and_refuses_dot(tmp_path):
    net = MLP(2, [3, 1], seed=0)
    out = net([1.0, 2.0])
    out.backward()
    d = draw(out, view="network")
    magic = {"png": b"\x89PNG", "pdf": b"%PDF", "jpg": b"\xff\xd8\xff"}
    for fmt, head in magic.items():
        assert d.pipe(fmt)[:4].startswith(head)
    with pytest.raises(ValueError, match="drawn directly"):
        d.pipe("dot")


def test_inactive_relu_is_marked_apart_from_vanishing():
    net = MLP(2, [3, 1], seed=0)
    for n in net.layers[0].neurons:
        n.b.data = -50.0  # every hidden ReLU at z < 0: relu'(z) = 0, δ = 0
    out = net([1.0, 2.0])
    out.backward()
    svg = draw(out, view="network").source
    nodes = _groups(svg, "node")
    for j in range(3):
        texts = _texts(nodes[f"n1_{j}"])
        assert "○ inactive: relu'(z) = 0" in texts and not any("vanishing" in t for t in texts)
        assert 'stroke-dasharray="2,2"' in ET.tostring(nodes[f"n1_{j}"], encoding="unicode")
    assert "dotted grey border, ○ inactive" in svg and "although g'(z) ≠ 0" in svg
