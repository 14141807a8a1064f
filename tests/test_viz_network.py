"""Tests for the network view on Tensor MLPs, g'(z), neuron order, automatic edge labels and colour options."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from deltagrad.autograd import Tag, Tensor
from deltagrad.nn import MLP, TensorMLP, cross_entropy
from deltagrad.viz import draw
from deltagrad.viz.network_summary import MAX_COLUMN
from deltagrad.viz.style import number
from svgparse import weight_edges, weight_labels

SVG = "{http://www.w3.org/2000/svg}"


def nodes(svg: str) -> dict[str, tuple[float, float, list[str]]]:
    """node id -> (x, y) of its first text, and its texts."""
    out = {}
    for g in ET.fromstring(svg).iter(SVG + "g"):
        if g.get("class") == "node":
            texts = list(g.iter(SVG + "text"))
            out[g.find(SVG + "title").text] = (
                float(texts[0].get("x")),
                float(texts[0].get("y")),
                ["".join(t.itertext()) for t in texts],
            )
    return out


def tagged_tensor_net():
    """X (3, 2) -> tanh layer of 3 -> linear layer of 1, built by hand with the nn tag contract."""
    rng = np.random.default_rng(0)
    X = Tensor(rng.normal(size=(3, 2)), label="x", requires_grad=False)
    X.tag = Tag(0, -1, "x")
    W1, b1 = Tensor(rng.normal(size=(3, 2)), label="W1"), Tensor([0.1, -0.2, 0.3], label="b1")
    W1.tag, b1.tag = Tag(1, -1, "W"), Tag(1, -1, "b")
    Z1 = X @ W1.T + b1
    Z1.tag = Tag(1, -1, "z")
    A1 = Z1.tanh()
    A1.tag = Tag(1, -1, "a")
    W2, b2 = Tensor(rng.normal(size=(1, 3)), label="W2"), Tensor([0.5], label="b2")
    W2.tag, b2.tag = Tag(2, -1, "W"), Tag(2, -1, "b")
    Z2 = A1 @ W2.T + b2
    Z2.tag = Tag(2, -1, "z")
    L = ((Z2 - 1.0) ** 2).mean()
    L.label = "L"
    L.backward()
    return X, W1, Z1, A1, W2, Z2, L


@pytest.mark.parametrize("k", [0, 2])
def test_tensor_network_shows_row_k_of_the_batch(k):
    X, W1, Z1, A1, W2, Z2, L = tagged_tensor_net()
    d = draw(L, view="network", sample=k)
    texts = {name: t for name, (_, _, t) in nodes(d.svg()).items()}
    for j in range(3):
        t = texts[f"n1_{j}"]
        assert f"z = {number(Z1.data[k, j])}" in t and f"δ = {number(Z1.grad[k, j])}" in t
        assert f"a = tanh(z) = {number(A1.data[k, j])}" in t
        assert f"tanh'(z) = {number(1 - A1.data[k, j] ** 2)}" in t  # g'(z) from the VJP, checked by hand
    assert f"δ = {number(Z2.grad[k, 0])}" in texts["n2_0"] and "g'(z) = 1" in texts["n2_0"]
    assert texts["x1"] == ["x[1]", f"x = {number(X.data[k, 1])}"]
    edges = weight_edges(d.svg())
    assert len(edges) == 2 * 3 + 3 * 1
    for j in range(3):
        for i in range(2):
            assert (f"x{i}", f"n1_{j}", number(W1.data[j, i]), number(W1.grad[j, i])) in edges
        assert (f"n1_{j}", "n2_0", number(W2.data[0, j]), number(W2.grad[0, j])) in edges
    assert f"sample {k} of 3" in d.source
    with pytest.raises(ValueError, match="sample=7"):
        draw(L, view="network", sample=7)


def test_tensor_mlp_and_value_mlp_draw_the_same_network():
    x, y = [5.1, 3.5, 1.4, 0.2], 0
    net = MLP(4, [5, 3], seed=0)
    loss = cross_entropy(net(x), y)
    loss.backward()
    tnet = TensorMLP(4, [5, 3], seed=1)
    tnet.load_state_dict(net.state_dict())
    Z = tnet(np.array([x]))
    tloss = -Z.log_softmax(axis=1)[0, y]
    tloss.backward()

    def neurons(root):
        return {
            k: t
            for k, (_, _, t) in nodes(draw(root, view="network", edge_labels=True).svg()).items()
            if re.fullmatch(r"(n\d+_\d+|x\d+)", k)
        }

    assert neurons(loss) == neurons(tloss)


def test_neurons_stay_in_index_order_within_a_column():
    net = MLP(4, [6, 6, 6], seed=0)
    loss = cross_entropy(net([5.1, 3.5, 1.4, 0.2]), 0)
    loss.backward()
    pos = nodes(draw(loss, view="network").svg())
    axis = 1  # columns, top to bottom
    for prefix, n in [("x", 4), ("n1_", 6), ("n2_", 6), ("n3_", 6)]:
        coords = [pos[f"{prefix}{i}"][axis] for i in range(n)]
        assert coords == sorted(coords), (prefix, coords)
        assert len({round(pos[f"{prefix}{i}"][1 - axis]) for i in range(n)}) <= 2  # one column (±text offset)
    headers = [t[0] for k, (_, _, t) in pos.items() if k.startswith("col")]
    assert headers == ["input", "layer 1", "layer 2", "layer 3 (output)"]
    with pytest.raises(ValueError, match="layers as columns"):
        draw(loss, view="network", rankdir="TB")


def test_edge_labels_auto_label_every_weight_up_to_twelve_neurons_a_layer():
    small = MLP(2, [3, 1], seed=0)
    out = small([1.0, 2.0])
    out.backward()
    assert len(weight_edges(draw(out, view="network").svg())) == 9
    assert weight_labels(draw(out, view="network", edge_labels=False).svg()) == {}
    for sizes, labelled in (([12, 3], 4 * 12 + 12 * 3), ([13, 3], 0)):
        net = MLP(4, sizes, seed=0)
        loss = cross_entropy(net([5.1, 3.5, 1.4, 0.2]), 0)
        loss.backward()
        svg = draw(loss, view="network").svg()
        assert len(weight_edges(svg)) == labelled
        if not labelled:  # 13 > MAX_COLUMN: the layer is summarised and the drawn edges unlabelled
            assert 13 > MAX_COLUMN and "edge_labels=True labels them" in svg
            assert len(weight_edges(draw(loss, view="network", edge_labels=True).svg())) > 0
    with pytest.raises(ValueError, match="edge_labels"):
        draw(loss, view="network", edge_labels="both")


def test_network_colour_options_and_vanishing_delta():
    net = MLP(2, [3, 1], activation="sigmoid", seed=0)
    for neuron in net.layers[0].neurons:  # saturate the hidden sigmoids: σ'(z) ≈ e^-40
        neuron.b.data = 40.0
    out = net([1.0, 2.0])
    out.backward()
    src = draw(out, view="network").source
    assert "▼ vanishing" in src and "fill: δ = ∂L/∂z" in src
    assert "fill: ∂L/∂a" in draw(out, view="network", color_by="grad").source
    plain = draw(out, view="network", color_by=None).source
    assert "fill: δ" not in plain and '<rect x="' in plain and 'rx="6.0" fill="#ffffff"' in plain
