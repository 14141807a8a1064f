"""Tests for the teaching features of the op view: edge terms, Tensor records, argument order, colour, expected."""

from __future__ import annotations

import math
import os
import re

import numpy as np
import pytest
from deltagrad.autograd import Tensor, Value, topo_order
from deltagrad.viz import RenderError, draw, install_notebook_display
from deltagrad.viz.calculus import contributions, local_derivatives
from deltagrad.viz.render import TIMEOUT, render
from deltagrad.viz.style import EXPLODE_ABS, VANISH_REL, flag, number, summary

LABEL_NODE = re.compile(r'^\s*(l\d+_\d+) \[label="((?:[^"\\]|\\.)*)"', re.MULTILINE)
TAIL = re.compile(r"^\s*v(\d+) -> (l\d+_\d+) ", re.MULTILINE)
HEAD = re.compile(r"^\s*(l\d+_\d+|v\d+) -> o(\d+)(?: \[(.*)\])?;$", re.MULTILINE)


def edge_attrs(source: str) -> list[tuple[int, int, str]]:
    """(parent, op, attributes) of every edge into an op; a labelled edge (parent -> label node -> op) shows
    its label node's text as ``label="..."`` before the attributes of its last leg."""
    labels = dict(LABEL_NODE.findall(source))
    tails = {node: int(v) for v, node in TAIL.findall(source)}
    out = []
    for tail, op, attrs in HEAD.findall(source):
        if tail in labels:
            out.append((tails[tail], int(op), f'label="{labels[tail]}"' + (f", {attrs}" if attrs else "")))
        else:
            out.append((int(tail[1:]), int(op), attrs))
    return out


def fan_out():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    y = a * b + a
    y.label = "y"
    y.backward()
    return a, b, y


# ---------------------------------------------------------------- edge labels


def test_contributions_on_a_fan_out_node_sum_to_its_grad():
    a, b, y = fan_out()
    order = topo_order(y)
    into = {}  # parent -> contributions on its out-edges
    for n in order:
        for p, c in zip(n.parents, contributions(n)):
            into.setdefault(p, []).append(c)
    assert len(into[a]) == 2 and into[a] == pytest.approx([b.data, 1.0])  # ∂(ab)/∂a · 1 and ∂(·+a)/∂a · 1
    for n in order:
        if n in into:
            assert math.fsum(into[n]) == pytest.approx(n.grad, rel=1e-12)
    # and in the drawing: a's two out-edges carry contrib -3 and 1, summing to grad -2
    src = draw(y, edge_labels="contribution").source
    shown = [float(m) for s, _, attrs in edge_attrs(src) if s == 0 for m in re.findall(r"contrib (\S+?)\"", attrs)]
    assert sorted(shown) == [-3.0, 1.0] and sum(shown) == a.grad == -2.0
    assert "{ a | data 2 | grad -2 }" in src


def test_local_derivatives_come_from_the_vjp_and_show_on_edges():
    x = Value(3.0, label="x")
    y = (x**2).tanh()
    y.backward()
    sq = y.parents[0]
    assert local_derivatives(sq) == (6.0,)
    assert local_derivatives(y)[0] == pytest.approx(1 - math.tanh(9.0) ** 2)
    src = draw(y, edge_labels="both").source
    assert 'label="local 6\\ncontrib ' + number(x.grad) + '"' in src
    assert "local = ∂out/∂in" in src  # the key explaining the labels
    assert "local" not in draw(y).source  # default: no edge labels (golden output unchanged)


def test_constants_get_no_contribution():
    x = Value(2.0, label="x")
    y = x * 3
    y.backward()
    attrs = {(s, t): a for s, t, a in edge_attrs(draw(y, edge_labels="both").source)}
    assert "contrib" not in attrs[(1, 2)] and "local 2" in attrs[(1, 2)]  # the constant 3: ∂y/∂3 = x
    assert "local 3\\ncontrib 3" in attrs[(0, 2)]


def test_bad_edge_labels_option():
    with pytest.raises(ValueError, match="edge_labels"):
        draw(fan_out()[-1], edge_labels="all")


# ---------------------------------------------------------------- argument order, Tensors


@pytest.mark.parametrize("make", [lambda a, b: a - b, lambda a, b: a / b, lambda a, b: a**b])
def test_non_commutative_ops_number_their_arguments(make):
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    src = draw(make(a, b)).source
    assert 'v0 -> o2 [headlabel="0"];' in src and 'v1 -> o2 [headlabel="1"];' in src
    assert "headlabel" not in draw(a + b).source and "headlabel" not in draw(a * b).source


def test_edge_labels_are_nodes_on_their_own_edge():
    _a, _b, y = fan_out()
    src = draw(y, edge_labels="both").source
    labelled = [a for _, _, a in edge_attrs(src) if 'label="local' in a]
    assert len(labelled) == 4  # a*b, +a: every in-edge of every op, a's two uses apart
    assert "decorate" not in src and "l2_0" not in draw(y).source  # no label nodes without edge labels


def test_fold_transpose_draws_w_t_as_a_mark_on_the_edge():
    from deltagrad.viz.ops_view import ops_source

    W = Tensor(np.arange(6.0).reshape(2, 3), label="W")
    x = Tensor(np.ones((1, 3)), label="x")
    y = (x @ W.T).sum()
    y.backward()
    plain, folded = ops_source(y), ops_source(y, fold_transpose=True)
    assert 'label="T"' in plain and 'label="T"' not in folded and 'label="ᵀ"' in folded
    assert folded.count("shape=ellipse") == plain.count("shape=ellipse") - 1
    assert ops_source(y, fold_transpose=True, edge_labels="local").count('label="T"') == 1  # labels: not folded


def test_tensor_records_show_shape_and_summary():
    W = Tensor(np.arange(6.0).reshape(2, 3), label="W")
    x = Tensor(np.linspace(-1, 1, 3), label="x")
    big = Tensor(np.arange(12.0).reshape(3, 4), label="big")
    y = (W @ x).sum() + big.mean()
    y.backward()
    src = draw(y, edge_labels="both").source
    assert "{ W | shape (2, 3) | data [[0, 1, 2], [3, 4, 5]] | grad [[-1, 0, 1], [-1, 0, 1]] }" in src
    assert "{ big | shape (3, 4) | data min 0 mean 5.5 max 11 | grad min 0.08333 mean 0.08333 max 0.08333 }" in src
    assert any(re.fullmatch(r'label="local [^"]*\\ncontrib \[\[-1, 0, 1\], \[-1, 0, 1\]\]", headlabel="0"', a)
               for _, _, a in edge_attrs(src))
    assert summary(np.array([np.nan, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0])) == "min 1 mean 3.5 max 6 (1 nan/inf)"
    draw(y).svg()  # renders


def test_tensor_contributions_sum_to_grad_under_broadcasting():
    b = Tensor([1.0, 2.0], label="b")
    X = Tensor(np.ones((3, 2)), label="X")
    y = ((X + b) * b).sum()
    y.backward()
    total = sum(c for n in topo_order(y) for p, c in zip(n.parents, contributions(n)) if p is b)
    np.testing.assert_allclose(total, b.grad)


# ---------------------------------------------------------------- colour, flags, expected


def test_color_by_grad_fills_and_has_a_legend():
    _a, _b, y = fan_out()
    src = draw(y, color_by="grad").source
    assert "legend [" in src and "fill: grad = ∂L/∂node" in src
    assert "#2d004b" in src  # a.grad = -2 is the most negative: ColorBrewer PuOr's darkest purple
    assert "fillcolor" not in draw(y).source  # off by default in the op view
    with pytest.raises(ValueError, match="color_by"):
        draw(y, color_by="rainbow")


def test_vanishing_and_exploding_are_flagged_with_documented_thresholds():
    assert flag(0.9e-6, 1.0) == "vanishing" and flag(1.1e-6, 1.0) is None
    assert flag(1001.0, 1.0) == "exploding" and flag(999.0, 1.0) is None
    assert VANISH_REL == 1e-6 and EXPLODE_ABS == 1e3
    x = Value(20.0, label="x")
    big = Value(5.0, label="big")
    y = x.tanh() + big * 400.0  # tanh'(20) ≈ 1.7e-17: vanishing; ∂y/∂big = 400
    y.backward()
    z = Value(3.0, label="z") * 2000.0
    z.backward()
    src = draw(y, color_by="grad").source
    assert re.search(r"\{ x \| data 20 \| grad [^|]* \| ▼ vanishing \}", src)
    assert "▲ exploding" in draw(z, color_by="grad").source


def test_expected_marks_matches_and_mismatches():
    _a, _b, y = fan_out()
    d = draw(y, expected={"a": -2.0, "b": {"data": -3.0, "grad": 5.0}, y: {"data": -4.0}})
    src = d.source
    assert "{ a | data 2 | grad -2 √ }" in src
    assert "{ b | data -3 √ | grad 2 × | expected 5 }" in src
    assert re.search(r'label="\{ a [^"]*", color="#1a9850"', src)
    assert re.search(r'label="\{ b [^"]*", color="#d7301f", penwidth=3', src)
    texts = " ".join(re.findall(r">([^<]+)</text>", d.svg()))
    assert "grad 2 ×" in texts and "expected 5" in texts


def test_expected_tolerances_and_errors():
    _a, _b, y = fan_out()
    assert "√" in draw(y, expected={"a": -2.0001}).source  # within rtol 1e-4
    assert "×" in draw(y, expected={"a": -2.0001}, rtol=1e-6).source
    with pytest.raises(KeyError, match=r"no node is labelled 'c'.*'a', 'b', 'y'"):
        draw(y, expected={"c": 1.0})
    with pytest.raises(KeyError, match="not a node of this graph"):
        draw(y, expected={Value(1.0): 1.0})
    with pytest.raises(ValueError, match="unknown keys"):
        draw(y, expected={"a": {"grd": 1.0}})
    with pytest.raises(ValueError, match="view='ops'"):
        draw(y, view="network", expected={"a": 1.0})


def test_expected_on_tensors():
    W = Tensor([[1.0, 2.0]], label="W")
    y = (W * 3.0).sum()
    y.backward()
    assert "√" in draw(y, expected={"W": [[3.0, 3.0]]}).source
    assert "expected [[3, 4]]" in draw(y, expected={"W": np.array([[3.0, 4.0]])}).source


# ---------------------------------------------------------------- notebook


class _Formatter:
    def __init__(self):
        self.types = {}

    def for_type(self, cls, fn):
        self.types[cls] = fn


class _Shell:
    def __init__(self):
        self.display_formatter = type("DF", (), {})()
        self.display_formatter.formatters = {"image/svg+xml": _Formatter(), "text/plain": _Formatter()}


class _Printer:
    def __init__(self):
        self.out = []

    def text(self, s):
        self.out.append(s)


def test_install_notebook_display_registers_formatters_that_never_raise(monkeypatch, tmp_path):
    shell = _Shell()
    assert install_notebook_display(shell) is True
    svg_fn = shell.display_formatter.formatters["image/svg+xml"].types[Value]
    assert Tensor in shell.display_formatter.formatters["image/svg+xml"].types
    y = fan_out()[-1]
    assert svg_fn(y).lstrip().startswith("<?xml")
    p = _Printer()
    shell.display_formatter.formatters["text/plain"].types[Value](y, p, False)
    assert p.out == [repr(y)]
    monkeypatch.setenv("DELTAGRAD_DOT", str(tmp_path / "missing"))  # no renderer now
    assert svg_fn(y) is None
    p = _Printer()
    shell.display_formatter.formatters["text/plain"].types[Value](y, p, False)
    assert "pip install graphviz-pure" in p.out[1] and "digraph ops" in p.out[1]
    assert install_notebook_display(object()) is False  # not a shell: no exception


@pytest.mark.skipif(os.name == "nt", reason="uses a POSIX shell script as the slow renderer")
def test_rendering_has_a_timeout(tmp_path, monkeypatch):
    slow = tmp_path / "slow-dot"
    slow.write_text("#!/bin/sh\nexec sleep 30\n")
    slow.chmod(0o755)
    monkeypatch.setenv("DELTAGRAD_DOT", str(slow))
    with pytest.raises(RenderError, match="did not finish within 0.3 s"):
        render("digraph { a }", "svg", timeout=0.3)
    assert TIMEOUT <= 60


def test_an_inactive_relu_is_not_called_vanishing_in_the_op_view():
    x, w, b = Value(1.0, label="x"), Value(-2.0, label="w"), Value(0.5, label="b")
    z = x * w + b  # z = -1.5 <= 0: relu'(z) = 0, so z, w and b get exactly 0
    z.label = "z"
    k = Value(3.0, label="k")
    y = z.relu() + k * 2.0  # k keeps the drawing's largest |grad| non-zero
    y.backward()
    assert (z.grad, w.grad, b.grad) == (0.0, 0.0, 0.0)
    src = draw(y, color_by="grad").source
    assert re.search(r"\{ z \| data -1\.5 \| grad 0 \| ○ inactive: relu\\?'\(z\) = 0 \}", src)
    for name in ("w", "b"):
        assert re.search(rf"\{{ {name} \| data [^|]* \| grad 0 \| ◌ blocked by an inactive relu \}}", src)
    assert "| ▼ vanishing }" not in src  # no node is called vanishing (the legend still explains the mark)
