"""Op-view edge labels sit on their own edge, read off the rendered SVG's geometry (not the DOT we wrote).

Each labelled op-input edge is drawn parent -> label -> op: the line enters the label's text on one
side and leaves on the other. For every label we take the centre of its text box and check that the
nearest edge path is its own (both legs, and the straight gap between them that the text fills),
and that no other edge runs through its text.
"""

from __future__ import annotations

import math
import re

import pytest
from deltagrad.autograd import Value, topo_order
from deltagrad.viz import draw
from deltagrad.viz.ops_view import ops_source
from deltagrad.viz.render import render
from opsvg import centre, distance, edges, inside, node_centre, size, text_box, texts

from deltagrad import nn


def xor_231():
    """The gallery's 2-3-1 sigmoid net on one sample, squared error: Σwx+b ops with seven inputs each."""
    net = nn.MLP(2, [3, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    out = net([1.0, 1.0])
    loss = (out - 0.0) ** 2
    loss.backward()
    return loss


def twice():
    """y = (a + a) * b + a * a: a feeds four edges, two of them into the same op, twice."""
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    y = (a + a) * b + a * a
    y.label = "y"
    y.backward()
    return y


def deep(n=20):
    """n scalar layers y = tanh(w·y + b): 3n ops in one long chain (60 for n = 20)."""
    y = Value(0.5, label="x")
    for i in range(1, n + 1):
        y = (Value(1.0 + 0.01 * i, label=f"w{i}") * y + Value(0.1, label=f"b{i}")).tanh()
    y.backward()
    return y


def _x(order):
    return next(n for n in order if n.label == "x")


def check_labels_on_own_edges(svg: str) -> int:
    """Assert the geometry for every label node ``l{i}_{k}``; returns how many were checked."""
    paths = edges(svg)
    labels = {t: lines for t, lines in texts(svg).items() if re.fullmatch(r"l\d+_\d+", t)}
    for name, lines in labels.items():
        (tail,) = [p for (a, b), ps in paths.items() if b == name for p in ps]  # parent -> label: one leg in
        heads = [p for (a, b), ps in paths.items() if a == name for p in ps]
        assert len(heads) == 1, name  # label -> op: one leg out
        own = tail + heads[0]  # the gap from the leg's end to the next leg's start is part of the polyline
        c = centre(lines)
        mine = distance(c, own)
        others = [(k, distance(c, p)) for k, ps in paths.items() if name not in k for p in ps]
        nearest = min(others, key=lambda kd: kd[1])
        assert mine < nearest[1], f"{name} {lines[0][2]!r}: own edge {mine:.1f} pt, {nearest[0]} {nearest[1]:.1f} pt"
        box = text_box(lines)
        for k, ps in paths.items():
            if name not in k:
                assert not any(inside(pt, box) for p in ps for pt in p), f"edge {k} runs through label {name}"
    return len(labels)


def test_every_label_of_the_2_3_1_op_graph_is_nearest_its_own_edge():
    loss = xor_231()
    svg = draw(loss, edge_labels="both", color_by="grad").svg()
    # 3 hidden Σwx+b with 2 weights, 2 inputs, 1 bias; 1 output with 3 + 3 + 1; σ ×4, -, **2
    assert check_labels_on_own_edges(svg) == 3 * 5 + 7 + 4 + 2 + 1
    w, h = size(svg)
    assert max(w / h, h / w) <= 4


def test_a_plus_a_gets_two_edges_each_with_its_own_label():
    y = twice()
    src = ops_source(y, edge_labels="both", ids=True)
    svg = render(src).decode()
    assert check_labels_on_own_edges(svg) == 2 + 2 + 2 + 2
    found = texts(svg)
    # y = (a + a)·b + a·a at a = 2, b = 3, by hand: ∂y/∂(a+a) = b = 3, ∂y/∂b = a + a = 4, ∂(a·a)/∂a = a = 2
    plus = [i for i in range(8) if f"l{i}_0" in found and f"l{i}_1" in found
            and all(" ".join(t for *_, t in found[f"l{i}_{k}"]) == "local 1 contrib 3" for k in (0, 1))]
    assert len(plus) == 1  # a + a: two labels, one per edge, each local 1 and contrib b = 3
    texts_all = sorted(" ".join(t for *_, t in lines) for n, lines in found.items() if n.startswith("l"))
    assert texts_all == sorted(["local 1 contrib 3"] * 2 + ["local 3 contrib 3", "local 4 contrib 4"]
                               + ["local 2 contrib 2"] * 2 + ["local 1 contrib 1"] * 2)
    ids = set(re.findall(r'id="([a-z]\d+(?:_\d+)?)"', svg))
    i = plus[0]
    assert {f"e{i}_0", f"e{i}_1", f"t{i}_0", f"t{i}_1", f"l{i}_0", f"l{i}_1"} <= ids  # both legs and the label


@pytest.mark.parametrize("edge_labels", ["both", "none"])
def test_a_chain_of_60_ops_wraps_into_rows_within_4_to_1(edge_labels):
    y = deep(20)
    d = draw(y, edge_labels=edge_labels, color_by="grad")
    svg = d.svg()
    w, h = size(svg)
    assert max(w / h, h / w) <= 4, (w, h)
    if edge_labels == "both":
        assert check_labels_on_own_edges(svg) == 2 * 40 + 20
    # rows read top down: x starts the top row, the output y ends the bottom row
    order = topo_order(y)
    x_y, out_y = (node_centre(svg, f"v{next(i for i, m in enumerate(order) if m is n)}")[1] for n in (_x(order), y))
    assert x_y < out_y - h / 2
    starts = sorted(int(i) for i in re.findall(r"o(\d+) -> v\d+ \[constraint=false", d.source))
    ys = [node_centre(svg, f"v{i}")[1] for i in starts]
    assert len(starts) >= 2 and ys == sorted(ys)  # each row below the one before
    # every step of the chain is still drawn: each op's result edge, the wraps included
    results = [k for k in edges(svg) if re.fullmatch(r"o\d+", k[0])]
    assert len(results) == 60


def test_a_long_chain_is_no_longer_than_4_to_1_and_was_before():
    y = Value(0.5, label="x")
    for _ in range(60):
        y = y.tanh()
    y.backward()
    w, h = size(draw(y).svg())
    assert max(w / h, h / w) <= 4
    w, h = size(draw(y, rankdir="TB").svg())  # one column, as before wrapping: 60 tanh in a column
    assert h / w > 20


def test_wrapped_output_is_deterministic():
    first = draw(deep(12), edge_labels="both").svg()
    assert first == draw(deep(12), edge_labels="both").svg()
    assert math.isfinite(size(first)[0])


def test_user_labels_are_escaped_in_a_wrapped_view():
    y = Value(0.5, label='x"|{<\\N>}')
    for i in range(40):
        y = y.tanh()
    y.backward()
    d = draw(y, edge_labels="both")
    assert "constraint=false" in d.source
    assert 'x"|{<\\N>}' in "".join(t for lines in texts(d.svg()).values() for *_, t in lines)
