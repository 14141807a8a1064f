"""PyTorch's idioms, each checked against torch float64 run live (skipped without torch) and against
the numbers torch 2.13 gives, written out (asserted with or without torch).

Covers: ``p.grad = None`` then ``backward()``; optimizers that skip a parameter the last backward
did not reach (``zero_grad`` sets grads to None, as ``torch.optim``); ``clamp`` with int bounds;
``retain_grad``; ``float(t)``/``int(t)``; ``t[[]]``; ``detach()`` sharing storage; relu', abs',
elu' at nan; ``x ** 0.5`` at -inf; softmax/log_softmax with an inf logit; max/min over nan.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from deltagrad.autograd import Tensor, Value, grad

from deltagrad import nn

try:
    import torch
except ImportError:  # pragma: no cover - CI installs torch
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")
NAN, INF = math.nan, math.inf


def _same(a, b, rtol: float = 1e-12) -> bool:
    """Equal as torch would print them: nan equals nan, inf equals inf of the same sign."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=0.0, equal_nan=True))


def _t(x, requires_grad: bool = True):
    return torch.tensor(x, dtype=torch.float64, requires_grad=requires_grad)


# ---------------------------------------------------------------- p.grad = None, then backward


@pytest.mark.parametrize("create_graph", [False, True])
def test_grad_none_then_backward_value(create_graph):
    p = Value(2.0)
    (p * p).backward()
    p.grad = None
    (p * p * p).backward(create_graph=create_graph)  # 3p² = 12, not 4 + 12
    g = p.grad.data if create_graph else p.grad
    assert g == 12.0
    if create_graph:
        assert grad(p.grad, [p])[0] == 12.0  # d(3p²)/dp = 6p
    p.grad = None
    (p * 5.0).backward()
    assert p.grad == 5.0


@pytest.mark.parametrize("create_graph", [False, True])
def test_grad_none_then_backward_tensor(create_graph):
    W = Tensor([1.0, -2.0])
    (W * W).sum().backward()
    W.grad = None
    ((W * W * W).sum()).backward(create_graph=create_graph)  # 3W²
    g = W.grad.data if create_graph else W.grad
    assert g.tolist() == [3.0, 12.0]
    if create_graph:
        assert grad(W.grad.sum(), [W])[0].tolist() == [6.0, -12.0]
    Z = W * 2.0  # an intermediate whose grad is set to None, with a hook on a leaf: the general paths
    W.register_hook(lambda g: g)
    Z.grad = None
    Z.sum().backward()
    assert Z.grad.tolist() == [1.0, 1.0]


@needs_torch
def test_grad_none_matches_torch():
    p, tp = Tensor([0.5, 3.0]), _t([0.5, 3.0])
    for x in (p, tp):
        (x * x).sum().backward()
        x.grad = None
        (x.sin() * x).sum().backward()  # sin x + x cos x, without the 2x left by the first backward
    assert _same(p.grad, tp.grad.numpy())


def test_optimizers_skip_a_parameter_whose_grad_is_none():
    for opt_cls, kw in [(nn.SGD, {"momentum": 0.9, "weight_decay": 0.1}), (nn.Adam, {"weight_decay": 0.1})]:
        a, b = Value(1.0), Tensor([1.0, 2.0])
        opt = opt_cls([a, b], lr=0.1, **kw)
        opt.zero_grad()
        assert a.grad is None and b.grad is None  # torch's zero_grad(set_to_none=True)
        opt.step()
        assert a.data == 1.0 and b.data.tolist() == [1.0, 2.0]


# ---------------------------------------------------------------- parameters the last backward did not reach

# torch 2.13, float64: p = 1, q = 2; steps 1-2 backpropagate (p*q).sum(), steps 3-4 (p*3.0).sum();
# optimizer.zero_grad() before each backward. q after the 4 steps:
PUBLISHED_Q = {
    "adam": 1.8004122297152283,  # Adam(lr=0.1)
    "momentum": 1.73,  # SGD(lr=0.1, momentum=0.9)
    "weight_decay": 1.7822,  # SGD(lr=0.1, weight_decay=0.1)
}
OPTIMIZERS = {
    "adam": (nn.Adam, "Adam", {"lr": 0.1}),
    "momentum": (nn.SGD, "SGD", {"lr": 0.1, "momentum": 0.9}),
    "weight_decay": (nn.SGD, "SGD", {"lr": 0.1, "weight_decay": 0.1}),
}


class _Two(nn.Module):
    """A module holding the two parameters (for Module.zero_grad)."""

    def __init__(self, params: list):
        self.params = params

    def parameters(self) -> list:
        return self.params


def _unreached_run(kind: str, node: str, set_to_none: bool = True, module: bool = False) -> tuple[float, float]:
    cls, _, kw = OPTIMIZERS[kind]
    p, q = (Value(1.0), Value(2.0)) if node == "value" else (Tensor([1.0]), Tensor([2.0]))
    opt = cls([p, q], **kw)
    model = _Two([p, q])
    for step in range(4):
        if module:
            model.zero_grad(set_to_none=set_to_none)
        else:
            opt.zero_grad(set_to_none=set_to_none)
        loss = p * q if step < 2 else p * 3.0
        (loss if node == "value" else loss.sum()).backward()
        opt.step()
    return float(p.data if node == "value" else p.data[0]), float(q.data if node == "value" else q.data[0])


def _torch_unreached_run(kind: str, set_to_none: bool = True) -> tuple[float, float]:
    _, name, kw = OPTIMIZERS[kind]
    p, q = _t([1.0]), _t([2.0])
    opt = getattr(torch.optim, name)([p, q], **kw)
    for step in range(4):
        opt.zero_grad(set_to_none=set_to_none)
        (p * q if step < 2 else p * 3.0).sum().backward()
        opt.step()
    return p.item(), q.item()


@pytest.mark.parametrize("node", ["value", "tensor"])
@pytest.mark.parametrize("kind", sorted(PUBLISHED_Q))
def test_unreached_parameter_is_not_moved_published(kind, node):
    _, q = _unreached_run(kind, node)
    assert q == pytest.approx(PUBLISHED_Q[kind], rel=1e-14, abs=0)
    _, q = _unreached_run(kind, node, module=True)  # Module.zero_grad sets None too, as torch's
    assert q == pytest.approx(PUBLISHED_Q[kind], rel=1e-14, abs=0)


@needs_torch
@pytest.mark.parametrize("set_to_none", [True, False])
@pytest.mark.parametrize("node", ["value", "tensor"])
@pytest.mark.parametrize("kind", sorted(PUBLISHED_Q))
def test_unreached_parameter_matches_torch(kind, node, set_to_none):
    # set_to_none=False: grads are zeroed, not released, so q is stepped with a zero gradient (torch too)
    ours = _unreached_run(kind, node, set_to_none)
    theirs = _torch_unreached_run(kind, set_to_none)
    assert ours == pytest.approx(theirs, rel=1e-14, abs=0)
    if set_to_none:
        assert theirs[1] == pytest.approx(PUBLISHED_Q[kind], rel=1e-14, abs=0)


def test_zero_grad_without_set_to_none_keeps_zeros():
    W, v = Tensor([1.0, 2.0]), Value(3.0)
    (W * 3.0).sum().backward()
    (v * 2.0).backward()
    buf = W.grad
    nn.SGD([W, v]).zero_grad(set_to_none=False)
    assert W.grad is buf and W.grad.tolist() == [0.0, 0.0] and v.grad == 0.0  # in place, as torch's zero_()


# ---------------------------------------------------------------- clamp with int bounds


@pytest.mark.parametrize("x, out, d", [(5.0, 1.0, 0.0), (0.5, 0.5, 1.0), (-3.0, 0.0, 0.0), (1.0, 1.0, 1.0)])
def test_value_clamp_int_bounds(x, out, d):
    v = Value(x)
    y = v.clamp(0, 1)
    assert type(y.data) is float and y.data == out
    y.backward()
    assert type(v.grad) is float and v.grad == d
    if torch is not None:
        t = _t(x)
        ty = t.clamp(0, 1)
        ty.backward()
        assert (ty.item(), t.grad.item()) == (out, d)


# ---------------------------------------------------------------- retain_grad, float/int, t[[]], detach


def test_retain_grad():
    x = Tensor([1.0, -2.0, 3.0])
    z = x * x
    assert z.retain_grad() is None
    (z * z).sum().backward()  # dL/dz = 2z
    assert z.grad.tolist() == [2.0, 8.0, 18.0]
    v = Value(3.0)
    w = v * v
    w.retain_grad()
    (w * 2.0).backward()
    assert w.grad == 2.0
    if torch is not None:
        tx = _t([1.0, -2.0, 3.0])
        tz = tx * tx
        tz.retain_grad()
        (tz * tz).sum().backward()
        assert z.grad.tolist() == tz.grad.tolist()


@pytest.mark.parametrize(
    "data, f, i", [([2.5], 2.5, 2), ([[-2.7]], -2.7, -2), (7.0, 7.0, 7), ([1e300], 1e300, int(1e300))]
)
def test_float_and_int_of_one_element(data, f, i):
    t = Tensor(data)
    assert float(t) == f and type(float(t)) is float
    assert int(t) == i and type(int(t)) is int
    if torch is not None:
        assert (float(_t(data, False)), int(_t(data, False))) == (f, i)


@pytest.mark.parametrize(
    "data, conv, err",
    [([1.0, 2.0], float, ValueError), ([], int, ValueError), (NAN, int, ValueError), (INF, int, OverflowError)],
)
def test_float_and_int_errors(data, conv, err):
    with pytest.raises(err) as e:
        conv(Tensor(data))
    if torch is not None:
        with pytest.raises(err):
            conv(_t(data, False))
    if err is ValueError and data in ([1.0, 2.0], []):
        assert "one-element" in str(e.value) and str(np.shape(data)) in str(e.value)


@pytest.mark.parametrize("shape", [(3,), (2, 3)])
def test_index_with_empty_list(shape):
    x = Tensor(np.arange(float(np.prod(shape))).reshape(shape))
    y = x[[]]
    assert y.shape == (0, *shape[1:])
    y.sum().backward()
    assert x.grad.shape == shape and not x.grad.any()
    if torch is not None:
        tx = _t(np.arange(float(np.prod(shape))).reshape(shape).tolist())
        ty = tx[[]]
        ty.sum().backward()
        assert tuple(ty.shape) == y.shape and tx.grad.numpy().tolist() == x.grad.tolist()


def test_detach_shares_storage():
    x = Tensor([1.0, 2.0])
    d = x.detach()
    assert np.shares_memory(d.data, x.data) and not d.requires_grad and d.parents == ()
    d.data[0] = 5.0  # as torch: the detached tensor and the original see one storage
    assert x.data.tolist() == [5.0, 2.0]
    if torch is not None:
        tx = _t([1.0, 2.0])
        td = tx.detach()
        td[0] = 5.0
        assert tx.tolist() == [5.0, 2.0]


# ---------------------------------------------------------------- nan and inf

# (x, value, derivative) from torch 2.13 float64
TORCH_AT_EDGES = {
    "relu": [(NAN, NAN, 1.0), (-1.0, 0.0, 0.0), (0.0, 0.0, 0.0), (2.0, 2.0, 1.0)],
    "abs": [(NAN, NAN, 0.0), (-INF, INF, -1.0), (0.0, 0.0, 0.0), (-2.0, 2.0, -1.0)],
    "elu": [(NAN, NAN, 1.0), (-INF, -1.0, 0.0), (INF, INF, 1.0), (0.0, 0.0, 1.0)],
    "sqrt_pow": [(-INF, NAN, NAN), (INF, INF, 0.0), (-1.0, NAN, NAN), (4.0, 2.0, 0.25)],
    "rsqrt_pow": [(-INF, NAN, -0.0), (4.0, 0.5, -1.0 / 16.0)],
    "pow_1.5": [(-INF, INF, NAN), (4.0, 8.0, 3.0)],
}
OURS = {
    "relu": lambda x: x.relu(),
    "abs": abs,
    "elu": lambda x: x.elu(),
    "sqrt_pow": lambda x: x**0.5,
    "rsqrt_pow": lambda x: x**-0.5,
    "pow_1.5": lambda x: x**1.5,
}
THEIRS = {
    "relu": lambda t: torch.relu(t),
    "abs": lambda t: torch.abs(t),
    "elu": lambda t: torch.nn.functional.elu(t),
    "sqrt_pow": lambda t: t**0.5,
    "rsqrt_pow": lambda t: t**-0.5,
    "pow_1.5": lambda t: t**1.5,
}


@pytest.mark.parametrize("name", sorted(TORCH_AT_EDGES))
def test_edges_value_and_tensor(name):
    for x, out, d in TORCH_AT_EDGES[name]:
        v = Value(x)
        y = OURS[name](v)
        y.backward()
        assert _same(y.data, out) and _same(v.grad, d), (name, x, y.data, v.grad)
        t = Tensor([x])
        ty = OURS[name](t)
        ty.sum().backward()
        assert _same(ty.data, [out]) and _same(t.grad, [d]), (name, x, ty.data, t.grad)


@needs_torch
@pytest.mark.parametrize("name", sorted(TORCH_AT_EDGES))
def test_edges_match_torch_live(name):
    xs = [x for x, _, _ in TORCH_AT_EDGES[name]]
    t = _t(xs)
    y = THEIRS[name](t)
    y.sum().backward()
    assert _same(y.detach().numpy(), [o for _, o, _ in TORCH_AT_EDGES[name]])
    assert _same(t.grad.numpy(), [d for _, _, d in TORCH_AT_EDGES[name]])


SOFTMAX_ROWS = [[INF, 1.0, 2.0], [-INF, -INF, 0.5], [NAN, 1.0, 2.0], [1.0, 2.0, 3.0], [-INF, -INF, -INF]]


@pytest.mark.parametrize("row", SOFTMAX_ROWS)
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_with_inf_and_nan(fn, row):
    g = np.array([0.3, -1.0, 2.0])
    t = Tensor(row)
    out = getattr(t, fn)()
    out.backward(g)
    vs = [Value(x) for x in row]
    vout = getattr(nn, fn)(vs)
    for o, gi in zip(vout, g):
        o.backward(float(gi))
    if row[0] == INF or row[0] != row[0] or row == [-INF] * 3:  # torch: every output and gradient nan
        assert np.isnan(out.data).all() and np.isnan(t.grad).all()
    assert _same([o.data for o in vout], out.data) and _same([v.grad for v in vs], t.grad, rtol=1e-10)
    if torch is not None:
        tt = _t(row)
        tout = getattr(torch, fn)(tt, 0)
        tout.backward(torch.tensor(g))
        assert _same(out.data, tout.detach().numpy()) and _same(t.grad, tt.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax", "logsumexp"])
def test_softmax_rows_with_and_without_inf_in_one_batch(fn):
    """A finite row beside a row with +inf (masked path) and one all finite (fast path): each row as alone."""
    rows = [[1.0, 2.0, 3.0], [INF, 1.0, 2.0], [-INF, -INF, 0.5], [0.25, -4.0, 9.0]]
    g = np.array([[0.3, -1.0, 2.0]] * len(rows)) if fn != "logsumexp" else np.array([0.5, -1.0, 2.0, 0.25])
    t = Tensor(rows)
    out = getattr(t, fn)(axis=1) if fn != "logsumexp" else t.logsumexp(axis=1)
    out.backward(g)
    for i, row in enumerate(rows):
        alone = Tensor([row])
        one = getattr(alone, fn)(axis=1) if fn != "logsumexp" else alone.logsumexp(axis=1)
        one.backward(g[i:i + 1])
        assert _same(out.data[i:i + 1], one.data) and _same(t.grad[i:i + 1], alone.grad)
    if torch is not None:
        tt = _t(rows)
        tout = getattr(torch, fn)(tt, 1)
        tout.backward(torch.tensor(g))
        assert _same(out.data, tout.detach().numpy(), rtol=1e-9) and _same(t.grad, tt.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax", "logsumexp"])
def test_softmax_rows_whose_finite_maxes_overflow_when_summed(fn):
    """Every row's max finite, but their sum overflows: the batch takes the masked path, same numbers as alone."""
    rows = [[1e308, 0.0, -1.0], [1e308, 1.0, 2.0], [-1e308, -1.5e308, -1e308], [-1e308, -1e308, -1.7e308]]
    t = Tensor(rows)
    out = getattr(t, fn)(axis=1)
    g = np.ones(out.data.shape) * 0.5
    out.backward(g)
    for i, row in enumerate(rows):
        alone = Tensor([row])
        one = getattr(alone, fn)(axis=1)
        one.backward(g[i:i + 1])
        assert _same(out.data[i:i + 1], one.data) and _same(t.grad[i:i + 1], alone.grad)
    # a tie of two maxes far below zero, by hand: softmax ½, 0, ½; log_softmax -log 2, -5e307, -log 2
    by_hand = {"softmax": [0.5, 0.0, 0.5], "log_softmax": [-math.log(2), -5e307, -math.log(2)],
               "logsumexp": -1e308 + math.log(2)}[fn]
    assert _same(out.data[2], by_hand, rtol=1e-15)
    if fn != "logsumexp":  # nn's softmax on Values: each row a list, its outputs one Value each
        for i, row in enumerate(rows):
            vs = [Value(x) for x in row]
            vout = getattr(nn, fn)(vs)
            assert _same([o.data for o in vout], out.data[i], rtol=1e-12)
    if torch is not None:
        tt = _t(rows)
        tout = getattr(torch, fn)(tt, 1)
        tout.backward(torch.tensor(g))
        assert _same(out.data, tout.detach().numpy(), rtol=1e-12) and _same(t.grad, tt.grad.numpy(), rtol=1e-12)


NAN_DATA = [[1.0, NAN, 3.0, NAN], [2.0, 1.0, 0.5, 2.0]]


@pytest.mark.parametrize("fn", ["max", "min"])
def test_max_min_over_nan(fn):
    x = Tensor(NAN_DATA)
    r = getattr(x, fn)(axis=1)
    r.sum().backward()
    expected_grad = [[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0] if fn == "max" else [0.0, 0.0, 1.0, 0.0]]
    assert _same(r.data, [NAN, 2.0 if fn == "max" else 0.5]) and x.grad.tolist() == expected_grad
    y = Tensor(NAN_DATA[0])
    getattr(y, fn)().backward()  # the whole reduction: nan, the gradient to the first nan (README)
    assert _same(getattr(y, fn)().data, NAN) and y.grad.tolist() == [0.0, 1.0, 0.0, 0.0]
    if torch is not None:
        tx = _t(NAN_DATA)
        tr = getattr(tx, fn)(dim=1).values
        tr.sum().backward()
        assert _same(r.data, tr.detach().numpy()) and x.grad.tolist() == tx.grad.tolist()
        ty = _t(NAN_DATA[0])
        getattr(ty, fn)().backward()  # torch spreads a whole reduction's gradient over the nans
        assert ty.grad.tolist() == [0.0, 0.5, 0.0, 0.5]


def test_masked_gradient_of_an_inf_incoming_gradient_is_nan_documented_difference():
    # README: a masked gradient is g * 0, so an inf arriving where relu/clamp mask gives nan (torch: 0)
    with np.errstate(invalid="ignore"):
        t = Tensor([-1.0, 2.0])
        t.relu().backward(np.array([INF, 1.0]))
        v = Value(5.0)
        v.clamp(0, 1).backward(INF)
    assert np.isnan(t.grad[0]) and t.grad[1] == 1.0 and math.isnan(v.grad)
    if torch is not None:
        tt = _t([-1.0, 2.0])
        torch.relu(tt).backward(torch.tensor([INF, 1.0], dtype=torch.float64))
        assert tt.grad.tolist() == [0.0, 1.0]


def test_views_draw_a_graph_whose_grads_were_cleared_to_none():
    """After an optimizer's zero_grad() (grad = None, as torch) the views show "—", they do not crash."""
    from deltagrad import nn, viz

    net = nn.MLP(2, [3, 1], seed=0)
    loss = (net([1.0, 2.0]) - 1.0) ** 2
    loss.backward()
    nn.SGD(net.parameters(), lr=0.1).zero_grad()
    assert all(p.grad is None for p in net.parameters())
    svg = viz.draw(loss, view="ops", color_by="grad", edge_labels="both").svg()
    assert svg.count("grad —") >= len(net.parameters())
    assert "<svg" in viz.draw(loss, view="network", color_by="grad").svg()
