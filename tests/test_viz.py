"""Tests for viz views: the op view, the network view (z, a, δ), escaping, number formatting."""

from __future__ import annotations

import math
import re
import string
import xml.etree.ElementTree as ET

import pytest
from deltagrad.autograd import Tag, Value
from deltagrad.nn import MLP, cross_entropy
from deltagrad.viz import draw
from deltagrad.viz.style import diverging, escape_html, escape_record, number
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from svgparse import weight_edges

SVG = "{http://www.w3.org/2000/svg}"


def nodes_of(svg: str) -> dict[str, list[str]]:
    """node id (the <title>) -> the texts drawn in it, in order."""
    root = ET.fromstring(svg)
    out = {}
    for g in root.iter(SVG + "g"):
        if g.get("class") == "node":
            title = g.find(SVG + "title").text
            out[title] = ["".join(t.itertext()) for t in g.iter(SVG + "text")]
    return out


def all_text(svg: str) -> list[str]:
    return ["".join(t.itertext()) for t in ET.fromstring(svg).iter(SVG + "text")]


def tanh_neuron():
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(1.0, label="b")
    y = (x * w + b).tanh()
    y.label = "y"
    y.backward()
    return x, w, b, y


def iris_net():
    net = MLP(4, [8, 3], seed=0)
    logits = net([5.1, 3.5, 1.4, 0.2], sample=0)
    loss = cross_entropy(logits, 0)
    loss.backward()
    return net, logits, loss


# ---------------------------------------------------------------- op view


def test_ops_svg_shows_hand_computed_data_and_grad():
    tanh_neuron_ = tanh_neuron()
    y = tanh_neuron_[-1]
    # by hand: n = 2 * -3 + 1 = -5, y = tanh(-5), dy/dn = 1 - y², dy/dx = w dy/dn, dy/dw = x dy/dn
    n = 2.0 * -3.0 + 1.0
    out = math.tanh(n)
    dn = 1.0 - out**2
    expected = {
        "x": (2.0, -3.0 * dn),
        "w": (-3.0, 2.0 * dn),
        "b": (1.0, dn),
        "y": (out, 1.0),
    }
    texts = nodes_of(draw(y).svg())
    records = {t[0]: t[1:] for t in texts.values() if t and t[0] in expected}
    assert set(records) == set(expected)
    for name, (data, grad) in expected.items():
        assert records[name] == [f"data {data:.4g}", f"grad {grad:.4g}"], name
    assert [f"data {n:.4g}", f"grad {dn:.4g}"] in texts.values()  # the unlabelled n = x*w + b
    ops = sorted(t[0] for t in texts.values() if len(t) == 1)
    assert ops == ["*", "+", "tanh"]


def test_a_plus_a_draws_two_edges():
    a = Value(3.0, label="a")
    s = a + a
    src = draw(s).source
    assert len(re.findall(r"^\s*v0 -> o1;$", src, re.MULTILINE)) == 2
    svg = draw(s).svg()
    edges = [g for g in ET.fromstring(svg).iter(SVG + "g") if g.get("class") == "edge"]
    assert len(edges) == 3  # a -> + twice, + -> s


def test_constants_are_drawn_dashed_without_grad():
    x = Value(2.0, label="x")
    y = x * 3 + 1
    y.backward()
    texts = list(nodes_of(draw(y).svg()).values())
    assert ["data 3", "grad —"] in texts and ["data 1", "grad —"] in texts
    assert draw(y).source.count('style="dashed"') == 2


def test_same_graph_gives_identical_bytes():
    def build():
        return tanh_neuron()[-1]

    a, b = draw(build()), draw(build())
    assert a.source == b.source
    assert a.pipe("svg") == b.pipe("svg")
    assert draw(iris_net()[2], view="network").source == draw(iris_net()[2], view="network").source


def test_pow_shows_its_exponent_and_ops_have_symbols():
    x = Value(3.0, label="x")
    y = (x**2).sigmoid()
    texts = [t for t in nodes_of(draw(y).svg()).values() if len(t) == 1]
    assert sorted(t[0] for t in texts) == ["**2", "σ"]


def test_op_view_refuses_huge_graphs_with_advice():
    x = Value(1.0)
    y = x
    for _ in range(30):
        y = y + x
    with pytest.raises(ValueError, match="view='network'"):
        draw(y, max_nodes=20)
    draw(y, max_nodes=100)  # fine below the limit


def test_nonfinite_values_are_marked():
    x = Value(0.0, label="x")
    y = x.log() * 2
    y.backward()
    d = draw(y)
    assert "-inf" in " ".join(all_text(d.svg()))
    assert "#b2182b" in d.source and "bold" in d.source


# ---------------------------------------------------------------- escaping


def field_counts(svg: str) -> dict[str, int]:
    root = ET.fromstring(svg)
    return {
        g.find(SVG + "title").text: len(list(g.iter(SVG + "polyline")))
        for g in root.iter(SVG + "g")
        if g.get("class") == "node"
    }


@pytest.mark.parametrize("label", ["a|b{c}<d>", 'q"uote\\', "\\N \\l\\n", "{x}|", "<port> | y"])
def test_record_metacharacters_do_not_change_the_drawing(label):
    plain = Value(1.0, label="plain") * 2
    odd = Value(1.0, label=label) * 2
    plain_svg, odd_svg = draw(plain).svg(), draw(odd).svg()
    assert field_counts(plain_svg) == field_counts(odd_svg)  # same number of record fields
    assert nodes_of(odd_svg)["v0"] == [label.strip(), "data 1", "grad 0"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=string.ascii_letters + string.punctuation, min_size=1, max_size=12))
def test_any_label_round_trips_through_the_record(label):
    svg = draw(Value(2.0, label=label) + 1).svg()
    assert nodes_of(svg)["v0"] == [label, "data 2", "grad 0"]


def test_html_labels_are_escaped():
    _, _, loss = iris_net()
    loss.label = 'L<&>"x</b>'
    title = " ".join(all_text(draw(loss, view="network").svg()))
    assert 'L<&>"x</b> = ' in title
    assert escape_html('<a href="x">&') == "&lt;a href=&quot;x&quot;&gt;&amp;"
    assert escape_record("a|b{c}<d>") == "a\\|b\\{c\\}\\<d\\>"


# ---------------------------------------------------------------- network view


def neuron_nodes(svg: str) -> dict[str, list[str]]:
    return {k: v for k, v in nodes_of(svg).items() if re.fullmatch(r"n\d+_\d+", k)}


def delta_of(texts: list[str]) -> float:
    (line,) = [t for t in texts if t.startswith("δ = ")]
    return float(line[4:])


def test_network_view_shows_every_neuron_with_its_delta():
    net, logits, loss = iris_net()
    svg = draw(loss, view="network").svg()
    neurons = neuron_nodes(svg)
    assert len(neurons) == 11
    for layer in net.layers:
        for j, neuron in enumerate(layer.neurons):
            texts = neurons[f"n{layer.layer}_{j}"]
            assert any(t.startswith("δ = ") for t in texts)
    # δ of the output layer, independently: softmax(z)_j - [j == y]
    z = [v.data for v in logits]
    m = max(z)
    e = [math.exp(v - m) for v in z]
    for j in range(3):
        expected = e[j] / sum(e) - (1.0 if j == 0 else 0.0)
        texts = neurons[f"n2_{j}"]
        assert delta_of(texts) == pytest.approx(expected, rel=1e-3, abs=1e-12)
        assert f"z = {z[j]:.4g}" in texts and "a = z (linear)" in texts
    assert "network 4 → 8 → 3 · L = " + f"{loss.data:.4g}" in all_text(svg)


def test_network_deltas_and_weight_grads_match_the_engine():
    net, _, loss = iris_net()
    d = draw(loss, view="network", edge_labels=True)  # 56 weights: "auto" would hide the labels
    svg = d.svg()
    zs = {(v.tag.layer, v.tag.neuron): v for v in _tagged(loss, "z")}
    for (layer, j), z in zs.items():
        assert f"δ = {number(z.grad)}" in neuron_nodes(svg)[f"n{layer}_{j}"]
    edges = weight_edges(svg)
    assert len(edges) == 4 * 8 + 8 * 3
    for layer in net.layers:
        for j, neuron in enumerate(layer.neurons):
            for i, w in enumerate(neuron.w):
                tail = f"x{i}" if layer.layer == 1 else f"n{layer.layer - 1}_{i}"
                assert (tail, f"n{layer.layer}_{j}", number(w.data), number(w.grad)) in edges
    inputs = {k: v for k, v in nodes_of(svg).items() if re.fullmatch(r"x\d", k)}
    assert [inputs[f"x{i}"][1] for i in range(4)] == ["x = 5.1", "x = 3.5", "x = 1.4", "x = 0.2"]


def _tagged(root, role):
    from deltagrad.autograd import topo_order

    return [n for n in topo_order(root) if n.tag is not None and n.tag.role == role]


def test_xor_network_shows_sigmoid_activations():
    net = MLP(2, [3, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    out = net([1.0, 0.0])
    loss = (out - 1.0) ** 2
    loss.backward()
    neurons = neuron_nodes(draw(loss, view="network").svg())
    assert sorted(neurons) == ["n1_0", "n1_1", "n1_2", "n2_0"]
    z, a = out.parents[0], out
    assert f"a = σ(z) = {number(a.data)}" in neurons["n2_0"]
    # δ of the output by hand: dL/da = 2(a - 1), da/dz = a(1 - a)
    assert delta_of(neurons["n2_0"]) == pytest.approx(2 * (a.data - 1) * a.data * (1 - a.data), rel=1e-3)
    assert z.tag == Tag(2, 0, "z")


def test_unfused_network_draws_the_same_neurons():
    def source(fused):
        net = MLP(2, [3, 1], activation="tanh", seed=1, fused=fused)
        loss = (net([0.5, -1.0]) - 0.25) ** 2
        loss.backward()
        return draw(loss, view="network").source

    assert source(True) == source(False)


def test_network_view_picks_one_sample_of_a_batch():
    net = MLP(4, [8, 3], seed=0)
    xs, ys = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]], [0, 2]
    logits = [net(x, sample=k) for k, x in enumerate(xs)]
    loss = cross_entropy(logits, ys)
    loss.backward()
    first = draw(loss, view="network", sample=0, edge_labels=True).svg()
    second = draw(loss, view="network", sample=1, edge_labels=True).svg()
    assert any("sample 0 of 2 (chosen" in t for t in all_text(first))
    assert any("sample 1 of 2 (chosen" in t for t in all_text(second))
    assert f"z = {number(logits[1][2].data)}" in neuron_nodes(second)["n2_2"]
    assert f"δ = {number(logits[1][2].grad)}" in neuron_nodes(second)["n2_2"]
    w = net.layers[1].neurons[2].w[0]  # ∂L/∂w is the full gradient, the same in both drawings
    assert f"∂L/∂w = {number(w.grad)}" in all_text(first) and f"∂L/∂w = {number(w.grad)}" in all_text(second)
    with pytest.raises(ValueError, match="sample=5"):
        draw(loss, view="network", sample=5)


def test_network_view_needs_tags():
    y = (Value(1.0) * Value(2.0)).tanh()
    with pytest.raises(ValueError, match="nn.MLP/Layer/Neuron or use view='ops'"):
        draw(y, view="network")


def test_diverging_palette_is_zero_centred():
    rgb = lambda h: tuple(int(h[i : i + 2], 16) for i in (1, 3, 5))
    assert min(rgb(diverging(0.0, 1.0))) >= 240  # zero is (near) white
    # the ends of ColorBrewer's PuOr (11 classes, colorbrewer2.org): purple for negative, brown-orange for positive
    assert diverging(-2.0, 1.0) == "#2d004b" and diverging(2.0, 1.0) == "#7f3b08"
    r, g, b = rgb(diverging(-0.5, 1.0))
    assert b > r > g  # purple half way
    r, g, b = rgb(diverging(0.5, 1.0))
    assert r > g > b  # orange half way
    assert diverging(float("nan"), 1.0) != diverging(0.0, 1.0)
    assert number(-0.0) == "0" and number(float("inf")) == "inf" and number(123456.0, 3) == "1.23e+05"


def test_precision_controls_every_number():
    y = tanh_neuron()[-1]
    assert "data -0.9999092 " in draw(y, precision=8).source
    assert "data -1 " in draw(y, precision=2).source


@pytest.mark.parametrize("fused", [True, False])
def test_untagged_value_inputs_are_read_off_the_first_layer(fused):
    net = MLP(2, [2, 1], activation="tanh", seed=0, fused=fused)
    out = net([Value(0.5, label="u"), Value(-1.5, label="v")])
    out.backward()
    texts = nodes_of(draw(out, view="network").svg())
    assert texts["x0"] == ["x[0]", "x = 0.5"] and texts["x1"] == ["x[1]", "x = -1.5"]


# ---------------------------------------------------------------- empty Tensors, max_nodes=None, sample=True, NUL


@pytest.mark.parametrize("edge_labels", ["local", "contribution", "both"])
def test_empty_tensors_draw_with_edge_labels(edge_labels):
    import numpy as np
    from deltagrad.autograd import Tensor

    t = Tensor(np.ones((0,)), label="t")
    y = (t * 2).sum()
    y.backward()
    texts = all_text(draw(y, edge_labels=edge_labels).svg())
    assert "t" in texts and "data 0" in texts  # the sum of no numbers is 0


def test_the_jacobian_of_an_empty_tensor_op_is_empty():
    import numpy as np
    from deltagrad.autograd import Tensor
    from deltagrad.viz.calculus import local_derivatives

    t, c = Tensor(np.ones((0,))), Tensor(np.ones((3, 1)))
    # out has shape (3, 0): ∂out/∂t has shape out.shape + t.shape = (3, 0, 0), ∂out/∂c (3, 0, 3, 1), no entries
    jt, jc = local_derivatives(t * c)
    assert jt.shape == (3, 0, 0) and jc.shape == (3, 0, 3, 1)
    # out has shape (2, 2) from an empty contraction: ∂out/∂a is (2, 2, 2, 0), ∂out/∂b is (2, 2) + (0, 2) = zero-sized
    a, b = Tensor(np.ones((2, 0))), Tensor(np.ones((0, 2)))
    ja, jb = local_derivatives(a @ b)
    assert ja.shape == (2, 2, 2, 0) and jb.shape == (2, 2, 0, 2)


def test_max_nodes_none_means_no_limit():
    x = Value(1.0, label="x")
    y = x
    for _ in range(30):
        y = y * 1.0
    with pytest.raises(ValueError, match="more than max_nodes=10"):
        draw(y, max_nodes=10)
    assert draw(y, max_nodes=None).source.count("shape=ellipse") == 30  # one op node per multiplication
    net = MLP(2, [3, 1], seed=0)
    out = net([1.0, 2.0])
    out.backward()
    assert "n2_0" in draw(out, view="network", max_nodes=None).source


@pytest.mark.parametrize("bad", [2.5, "10", True])
def test_max_nodes_of_the_wrong_type_is_a_type_error(bad):
    y = tanh_neuron()[-1]
    with pytest.raises(TypeError, match="max_nodes must be an int or None"):
        draw(y, max_nodes=bad)


def test_sample_true_is_a_clear_error_not_sample_1():
    net = MLP(4, [8, 3], seed=0)
    logits = [net(x, sample=k) for k, x in enumerate([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]])]
    loss = cross_entropy(logits, [0, 2])
    loss.backward()
    for bad in (True, False):
        with pytest.raises(TypeError, match="not a bool"):
            draw(loss, view="network", sample=bad)


@pytest.mark.parametrize("label", ["a\0b", "\0", "a\ud800b"])
def test_nul_and_lone_surrogates_in_labels_render(label):
    x = Value(2.0, label=label)
    y = x * 3
    y.label = "y" + label
    y.backward()
    shown = label.replace("\0", "␀").replace("\ud800", "\ufffd")
    for kw in ({}, {"edge_labels": "both", "color_by": "grad"}, {"expected": {label: 3.0}}):
        texts = all_text(draw(y, **kw).svg())
        assert shown in texts and "y" + shown in texts
    assert escape_record("a\0b") == "a␀b" and escape_html("<\0>") == "&lt;␀&gt;"
