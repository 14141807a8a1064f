"""Property-based tests: random expression trees with shared sub-expressions, three oracles."""

from __future__ import annotations

import math

import pytest
import sympy as sp
from deltagrad.autograd import Value
from exprtrees import ENGINE, NVARS, SYMPY, kink_margin, programs, run, torch_ops
from hypothesis import HealthCheck, assume, given, reject, settings

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def engine_grads(point, steps):
    xs = [Value(v) for v in point]
    out, _ = run(steps, xs, ENGINE)
    out.backward()
    return out.data, [x.grad for x in xs]


def finite(*vals):
    return all(math.isfinite(v) for v in vals)


@settings(max_examples=2000, **SETTINGS)
@given(programs())
def test_random_trees_against_central_differences(prog):
    point, steps = prog
    assume(kink_margin(steps, point) > 1e-3)
    f, grads = engine_grads(point, steps)
    assume(finite(f, *grads) and abs(f) < 1e6)
    eps = 1e-6
    for i in range(NVARS):
        hi = [v + (eps if k == i else 0.0) for k, v in enumerate(point)]
        lo = [v - (eps if k == i else 0.0) for k, v in enumerate(point)]
        fd = (run(steps, [Value(v) for v in hi], ENGINE)[0].data - run(steps, [Value(v) for v in lo], ENGINE)[0].data) / (2 * eps)
        assert abs(grads[i] - fd) <= 1e-5 * (1 + abs(f)) + 1e-4 * abs(fd), (steps, point, i, grads[i], fd)


@settings(max_examples=300, **SETTINGS)
@given(programs(max_steps=5))
def test_random_trees_against_sympy(prog):
    point, steps = prog
    assume(kink_margin(steps, point) > 1e-9)
    f, grads = engine_grads(point, steps)
    assume(finite(f, *grads))
    syms = sp.symbols(f"x0:{NVARS}", real=True)
    expr, _ = run(steps, list(syms), SYMPY)
    subs = dict(zip(syms, point))
    assert f == pytest.approx(_sympy_number(expr, subs), rel=1e-11, abs=1e-12)
    for i, s in enumerate(syms):
        want = _sympy_number(sp.diff(expr, s), subs)
        assert grads[i] == pytest.approx(want, rel=1e-9, abs=1e-10), (steps, point, i)


def _sympy_number(expr, subs) -> float:
    try:
        return float(sp.N(expr.subs(subs), 30))
    except RecursionError:
        # sympy recurses without end on some nestings of Max and softplus (found by hypothesis, e.g.
        # max(softplus(·), linear(·)) of log terms): the oracle cannot judge this tree, so it is
        # rejected here; the finite-difference and torch tests above and below still check such trees
        reject()


@settings(max_examples=1000, **SETTINGS)
@given(programs())
def test_random_trees_against_torch_float64(prog):
    torch = pytest.importorskip("torch")
    point, steps = prog
    assume(kink_margin(steps, point) > 1e-9)
    f, grads = engine_grads(point, steps)
    assume(finite(f, *grads))
    xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
    out, _ = run(steps, xs, torch_ops(torch))
    tg = torch.autograd.grad(out, xs, allow_unused=True)
    assert f == pytest.approx(out.item(), rel=1e-12, abs=1e-12)
    for i in range(NVARS):
        want = 0.0 if tg[i] is None else tg[i].item()
        assert grads[i] == pytest.approx(want, rel=1e-10, abs=1e-12), (steps, point, i)


@settings(max_examples=200, **SETTINGS)
@given(programs(max_steps=4))
def test_random_trees_second_order_against_torch(prog):
    """create_graph=True: the gradient's own gradient matches torch's double backward."""
    torch = pytest.importorskip("torch")
    from deltagrad import autograd
    point, steps = prog
    assume(kink_margin(steps, point) > 1e-9)
    xs = [Value(v) for v in point]
    out, _ = run(steps, xs, ENGINE)
    g = autograd.grad(out, xs, create_graph=True, allow_unused=True)
    assume(g[0] is not None and isinstance(g[0], Value) and g[0].requires_grad)
    h = autograd.grad(g[0], xs, allow_unused=True)
    ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
    tout, _ = run(steps, ts, torch_ops(torch))
    (tg0,) = torch.autograd.grad(tout, ts[0], create_graph=True)
    assume(tg0.requires_grad)
    th = torch.autograd.grad(tg0, ts, allow_unused=True)
    assume(finite(*(0.0 if v is None else v for v in h)))
    for i in range(NVARS):
        want = 0.0 if th[i] is None else th[i].item()
        have = 0.0 if h[i] is None else h[i]
        assert have == pytest.approx(want, rel=1e-9, abs=1e-11), (steps, point, i)
