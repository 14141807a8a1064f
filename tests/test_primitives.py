"""Every primitive: forward and derivatives of order 1-3 against sympy; first order against finite differences."""

from __future__ import annotations

import itertools

import pytest
import sympy as sp
from deltagrad.autograd import Value, gradcheck
from oracles import CASES, X, Y, close, sympy_value

from deltagrad import autograd

PARAMS = [(name, pt) for name, case in CASES.items() for pt in case[3]]


def _point(pt):
    return pt if isinstance(pt, tuple) else (pt,)


def _derivatives(f, point, order):
    """All partial derivatives of f at point up to ``order``, keyed by the tuple of variable indices."""
    leaves = [Value(v) for v in point]
    out = {(): f(*leaves)}
    frontier = {(): out[()]}
    for _ in range(order):
        nxt = {}
        for key, d in frontier.items():
            if d is None or not isinstance(d, Value) or not d.requires_grad:
                grads = [None] * len(leaves)
            else:
                grads = autograd.grad(d, leaves, create_graph=True, allow_unused=True)
            for i, gi in enumerate(grads):
                k = tuple(sorted(key + (i,)))
                nxt.setdefault(k, gi)
        out.update(nxt)
        frontier = nxt
    return out


def _num(d):
    if d is None:
        return 0.0
    return d.data if isinstance(d, Value) else float(d)


@pytest.mark.parametrize("name,pt", PARAMS)
def test_forward_matches_sympy(name, pt):
    arity, f, expr, _ = CASES[name]
    point = _point(pt)
    assert close(f(*[Value(v) for v in point]).data, sympy_value(expr, point))


@pytest.mark.parametrize("name,pt", PARAMS)
def test_derivatives_to_order_3_match_sympy(name, pt):
    arity, f, expr, _ = CASES[name]
    point = _point(pt)
    syms = [X, Y][:arity]
    got = _derivatives(f, point, 3)
    for order in (1, 2, 3):
        for combo in itertools.combinations_with_replacement(range(arity), order):
            want = sympy_value(sp.diff(expr, *[syms[i] for i in combo]), point)
            have = _num(got.get(tuple(sorted(combo))))
            assert close(have, want, rel=1e-12, abs_=1e-12), f"{name} d{combo} at {point}: {have} vs sympy {want}"


@pytest.mark.parametrize("name,pt", PARAMS)
def test_gradcheck_every_primitive(name, pt):
    arity, f, _, _ = CASES[name]
    report = gradcheck(f, list(_point(pt)))
    assert report.ok and len(report.rows) == arity


def test_table_is_fully_covered():
    """Every row of the primitive table has an oracle case here."""
    covered = {name.split("_")[0] if name.startswith("pow") else name for name in CASES} | {"powv", "rpow"}
    assert set(autograd.PRIMITIVES) <= covered | {"leaky_relu"}


def test_hand_derived_neuron():
    """A tanh neuron worked by hand: z = x1 w1 + x2 w2 + b, a = tanh(z) (values written out)."""
    x1, x2, w1, w2 = Value(2.0), Value(0.0), Value(-3.0), Value(1.0)
    b = Value(6.8813735870195432)
    a = (x1 * w1 + x2 * w2 + b).tanh()
    a.backward()
    # z = -6 + 0 + 6.8813735870195432 = 0.8813735870195432 = asinh(1), so tanh z = 1/sqrt(2)
    # da/dz = 1 - 1/2 = 0.5; da/dw1 = 0.5 * x1 = 1.0; da/dx1 = 0.5 * w1 = -1.5; da/dw2 = 0.5 * x2 = 0
    assert a.data == pytest.approx(2**-0.5, rel=1e-15)
    assert (w1.grad, x1.grad, w2.grad, x2.grad, b.grad) == pytest.approx((1.0, -1.5, 0.0, 0.5, 0.5), rel=1e-12)
