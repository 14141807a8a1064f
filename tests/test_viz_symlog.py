"""color_scale="symlog": gradients that shrink by decades stay coloured; the legend's ticks follow the scale."""

import math
import re

import pytest
from deltagrad.autograd import Value, topo_order
from deltagrad.viz import draw
from deltagrad.viz.style import SYMLOG_DECADES, diverging, position, value_at


def test_position_is_the_symlog_formula_and_value_at_inverts_it():
    s = 2.0
    lin = s * 10.0**-SYMLOG_DECADES
    c = 1.0 / (1.0 - 1.0 / 10.0)  # SymLogNorm's linscale 1 in base 10, written out independently

    def f(x):  # linear within lin of zero, log10 beyond, continuous at lin
        return x * c if x <= lin else lin * (c + math.log10(x / lin))

    for v in (1e-6, 1e-4, 3e-3, 0.02, 0.5, 2.0):
        want = f(v) / f(s)
        assert position(v, s, True) == pytest.approx(want, rel=1e-12)
        assert position(-v, s, True) == pytest.approx(-want, rel=1e-12)
    assert position(50.0, s, True) == 1.0 and position(0.0, s, True) == 0.0
    for t in (-1.0, -0.5, -0.1, 0.0, 0.25, 0.5, 1.0):
        assert position(value_at(t, s, True), s, True) == pytest.approx(t, abs=1e-12)
        assert value_at(t, s) == pytest.approx(t * s, rel=1e-12, abs=1e-15)  # the linear scale


def test_a_hundredth_of_the_largest_is_pale_linearly_and_half_coloured_in_symlog():
    rgb = lambda h: tuple(int(h[i : i + 2], 16) for i in (1, 3, 5))
    white = rgb(diverging(0.0, 1.0))
    dist = lambda h: max(abs(a - b) for a, b in zip(rgb(h), white))
    assert dist(diverging(0.01, 1.0)) < 5  # nearly white on the linear scale
    assert dist(diverging(0.01, 1.0, symlog=True)) > 60  # about half way to orange on the symlog one


def _vanishing_chain():
    # each step multiplies the gradient by 1.5·(1 - tanh²) ≈ 0.2
    x = Value(0.3, label="x")
    h = x
    for k in range(4):
        h = (h * 1.5 + 0.5).tanh()
        h.label = f"h{k}"
    h.backward()
    return h


def test_the_views_colour_by_symlog_and_say_so_in_the_legend():
    y = _vanishing_chain()
    lin = draw(y, color_by="grad", color_scale="linear").source
    log = draw(y, color_by="grad", color_scale="symlog").source
    grads = sorted(abs(n.grad) for n in topo_order(y) if n.label.startswith("h"))
    assert grads[0] < 1e-2 * grads[-1]  # over two decades between the first and the last layer
    fill = lambda src, label: re.search(r'"\{ ' + label + r' \|[^"]*", fillcolor="(#[0-9a-f]{6})"', src).group(1)
    orange = lambda h: 247 - int(h[5:7], 16)  # how far the blue channel fell from white: 0 is white
    assert orange(fill(lin, "h0")) < 3  # linear: the first layer's gradient looks like zero
    assert all(orange(fill(log, f"h{k}")) > 20 for k in range(4))  # symlog: every layer visibly coloured
    assert "(symlog)" in log and "(symlog)" not in lin
    with pytest.raises(ValueError, match="color_scale"):
        draw(y, color_by="grad", color_scale="log")


def test_auto_turns_symlog_when_the_values_span_over_two_decades():
    y = _vanishing_chain()
    auto = draw(y, color_by="grad").source  # the default
    assert auto == draw(y, color_by="grad", color_scale="symlog").source
    x = Value(0.5, label="x")
    z = x * 3.0 + x * 2.0  # grads 1, 1, 1 and 5: within one decade
    z.backward()
    assert draw(z, color_by="grad").source == draw(z, color_by="grad", color_scale="linear").source
