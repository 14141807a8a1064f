"""Tensor ops against central differences and PyTorch float64, across broadcast shape pairs."""

from __future__ import annotations

import contextlib
import itertools
import math

import numpy as np
import pytest
from deltagrad.autograd import Tensor, Value, unbroadcast

from deltagrad import autograd

SHAPES = [(), (4,), (3, 4), (1, 4), (3, 1), (2, 3, 4)]

PAIRS = []
for sa, sb in itertools.product(SHAPES, SHAPES):
    with contextlib.suppress(ValueError):  # only the pairs that broadcast
        np.broadcast_shapes(sa, sb)
        PAIRS.append((sa, sb))

try:
    import torch

    torch.set_default_dtype(torch.float64)
except ImportError:  # the torch oracle runs where torch is installed (CI installs it)
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")

# name: (engine fn, torch fn, domain) ; domain "any" = N(0,1), "pos" = positive
UNARY = {
    "neg": (lambda x: -x, lambda x: -x, "any"),
    "abs": (abs, torch.abs if torch else None, "any"),
    "exp": (lambda x: x.exp(), lambda x: x.exp(), "any"),
    "log": (lambda x: x.log(), lambda x: x.log(), "pos"),
    "log1p": (lambda x: x.log1p(), lambda x: x.log1p(), "pos"),
    "expm1": (lambda x: x.expm1(), lambda x: x.expm1(), "any"),
    "sqrt": (lambda x: x.sqrt(), lambda x: x.sqrt(), "pos"),
    "sin": (lambda x: x.sin(), lambda x: x.sin(), "any"),
    "cos": (lambda x: x.cos(), lambda x: x.cos(), "any"),
    "tanh": (lambda x: x.tanh(), lambda x: x.tanh(), "any"),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: x.sigmoid(), "any"),
    "softplus": (lambda x: x.softplus(), lambda x: torch.nn.functional.softplus(x), "any"),
    "relu": (lambda x: x.relu(), lambda x: x.relu(), "any"),
    "leaky_relu": (lambda x: x.leaky_relu(0.1), lambda x: torch.nn.functional.leaky_relu(x, 0.1), "any"),
    "elu": (lambda x: x.elu(0.7), lambda x: torch.nn.functional.elu(x, 0.7), "any"),
    "gelu": (lambda x: x.gelu(), lambda x: torch.nn.functional.gelu(x), "any"),
    "erf": (lambda x: x.erf(), lambda x: x.erf(), "any"),
    "pow": (lambda x: x**3, lambda x: x**3, "any"),
    "pow_frac": (lambda x: x**1.5, lambda x: x**1.5, "pos"),
    "rpow": (lambda x: 2.5**x, lambda x: 2.5**x, "any"),
    "clip": (lambda x: x.clip(-0.5, 0.8), lambda x: x.clamp(-0.5, 0.8), "any"),
}
BINARY = {
    "add": (lambda a, b: a + b, "any"),
    "sub": (lambda a, b: a - b, "any"),
    "mul": (lambda a, b: a * b, "any"),
    "div": (lambda a, b: a / b, "pos"),
    "pow": (lambda a, b: a**b, "pos"),
    "maximum": (lambda a, b: autograd.maximum(a, b) if isinstance(a, (Tensor, Value)) else torch.maximum(a, b), "any"),
    "minimum": (lambda a, b: autograd.minimum(a, b) if isinstance(a, (Tensor, Value)) else torch.minimum(a, b), "any"),
}


def sample(shape, domain, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    if domain == "pos":
        x = 0.5 + np.abs(x)
    # keep away from kinks (0, clip bounds) so central differences are meaningful
    x = np.where(np.abs(x) < 0.05, x + 0.2, x)
    x = np.where(np.abs(x + 0.5) < 0.05, x + 0.2, x)
    x = np.where(np.abs(x - 0.8) < 0.05, x + 0.2, x)
    return x


def numeric_grad(f, arrays, i, eps=1e-6):
    """Central differences of the scalar f(*arrays) with respect to arrays[i], elementwise."""
    x = arrays[i]
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        hi, lo = [a.copy() for a in arrays], [a.copy() for a in arrays]
        hi[i][idx] += eps
        lo[i][idx] -= eps
        g[idx] = (f(*hi) - f(*lo)) / (2 * eps)
    return g


def scalarize(out_shape, seed):
    """A fixed random weighting R so that L = Σ R ⊙ out has a non-trivial gradient."""
    return np.random.default_rng(seed + 99).standard_normal(out_shape)


def check_fd(fn, arrays, seed, rtol=1e-6, atol=1e-7):
    ts = [Tensor(a) for a in arrays]
    out = fn(*ts)
    R = scalarize(out.shape, seed)
    (out * R).sum().backward()

    def f(*arrs):
        return float(np.sum(fn(*[Tensor(a) for a in arrs]).data * R))

    for i, t in enumerate(ts):
        np.testing.assert_allclose(np.broadcast_to(t.grad, t.shape), numeric_grad(f, arrays, i), rtol=rtol, atol=atol)
    return ts, out, R


def check_torch(fn, tfn, arrays, ts, out, R):
    xs = [torch.tensor(a, requires_grad=True) for a in arrays]
    tout = tfn(*xs)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-14)
    (tout * torch.tensor(R)).sum().backward()
    for t, x in zip(ts, xs):
        np.testing.assert_allclose(np.broadcast_to(t.grad, t.shape), x.grad.numpy(), rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("name", list(UNARY))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_unary_against_central_differences_and_torch(name, shape):
    fn, tfn, domain = UNARY[name]
    arrays = [sample(shape, domain, 1)]
    ts, out, R = check_fd(fn, arrays, 1)
    assert out.shape == shape
    if torch is not None:
        check_torch(fn, tfn, arrays, ts, out, R)


@pytest.mark.parametrize("name", list(BINARY))
@pytest.mark.parametrize("sa,sb", PAIRS, ids=str)
def test_binary_broadcasting_against_central_differences_and_torch(name, sa, sb):
    fn, domain = BINARY[name]
    arrays = [sample(sa, domain, 2), sample(sb, domain, 3)]
    ts, out, R = check_fd(fn, arrays, 2)
    assert out.shape == np.broadcast_shapes(sa, sb)
    assert ts[0].grad.shape == sa and ts[1].grad.shape == sb
    if torch is not None:
        check_torch(fn, fn, arrays, ts, out, R)


MATMUL = [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)), ((3, 4), (4, 2)), ((2, 3, 4), (4, 2)),
          ((2, 3, 4), (2, 4, 5)), ((4,), (2, 4, 5)), ((2, 3, 4), (4,)), ((1, 3, 4), (2, 4, 2))]


@pytest.mark.parametrize("sa,sb", MATMUL, ids=str)
def test_matmul_shapes(sa, sb):
    arrays = [sample(sa, "any", 4), sample(sb, "any", 5)]
    ts, out, R = check_fd(lambda a, b: a @ b, arrays, 4)
    if torch is not None:
        check_torch(None, lambda a, b: a @ b, arrays, ts, out, R)


REDUCTIONS = ["sum", "mean", "max", "min", "logsumexp"]
AXES = [None, 0, 1, -1, (0, 2)]


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(name, axis, keepdims):
    if name in ("max", "min") and isinstance(axis, tuple):
        pytest.skip("max/min take an int axis")
    arrays = [sample((2, 3, 4), "any", 6)]
    fn = lambda x: getattr(x, name)(axis=axis, keepdims=keepdims)
    ts, out, R = check_fd(fn, arrays, 6)
    if torch is not None:
        dim = tuple(range(3)) if axis is None else axis

        def tfn(x):
            if name == "max" or name == "min":
                return getattr(torch, "amax" if name == "max" else "amin")(x, dim=dim, keepdim=keepdims)
            if name == "logsumexp":
                return torch.logsumexp(x, dim=dim, keepdim=keepdims)
            return getattr(x, name)(dim=dim, keepdim=keepdims)

        check_torch(fn, tfn, arrays, ts, out, R)


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_family(name, axis):
    arrays = [sample((3, 4), "any", 7) * 3]
    fn = lambda x: getattr(x, name)(axis=axis)
    ts, out, R = check_fd(fn, arrays, 7)
    if torch is not None:
        check_torch(fn, lambda x: getattr(torch, name)(x, dim=axis), arrays, ts, out, R)


def test_softmax_is_stable_at_large_logits():
    x = Tensor([[1e4, 0.0, -1e4]])
    p = x.softmax(axis=1)
    assert np.all(np.isfinite(p.data)) and p.data[0, 0] == 1.0
    assert np.allclose(x.log_softmax(axis=1).data, [[0.0, -1e4, -2e4]])


SHAPE_OPS = {
    "reshape": (lambda x: x.reshape(4, 6), lambda x: x.reshape(4, 6)),
    "flatten": (lambda x: x.flatten(), lambda x: x.flatten()),
    "T": (lambda x: x.T, lambda x: x.permute(2, 1, 0)),
    "transpose": (lambda x: x.transpose((1, 0, 2)), lambda x: x.permute(1, 0, 2)),
    "basic_index": (lambda x: x[1, :, 1:3], lambda x: x[1, :, 1:3]),
    "int_index_repeats": (lambda x: x[[0, 1, 0, 0]], lambda x: x[[0, 1, 0, 0]]),
    "mixed_index": (lambda x: x[:, [2, 2, 0], 1], lambda x: x[:, [2, 2, 0], 1]),
    "broadcast_to": (lambda x: x[:, :1].broadcast_to((2, 5, 4)), lambda x: x[:, :1].expand(2, 5, 4)),
}


@pytest.mark.parametrize("name", list(SHAPE_OPS))
def test_shape_and_index_ops(name):
    fn, tfn = SHAPE_OPS[name]
    arrays = [sample((2, 3, 4), "any", 8)]
    ts, out, R = check_fd(fn, arrays, 8)
    if torch is not None:
        check_torch(fn, tfn, arrays, ts, out, R)


def test_repeated_indices_accumulate():
    x = Tensor([1.0, 2.0, 3.0])
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


def test_concatenate_stack_where():
    a, b = sample((2, 3), "any", 9), sample((1, 3), "any", 10)
    check_fd(lambda x, y: autograd.concatenate([x, y, x], axis=0), [a, b], 9)
    c = sample((2, 3), "any", 11)
    check_fd(lambda x, y: autograd.stack([x, y], axis=1), [a, c], 10)
    cond = a > 0
    check_fd(lambda x, y: autograd.where(cond, x, y), [a, b], 11)


def test_create_graph_second_derivative_against_torch():
    if torch is None:
        pytest.skip("torch not installed")
    a = sample((3, 4), "any", 12)
    x = Tensor(a)
    y = (x.tanh() * x).sum()
    (g,) = autograd.grad(y, [x], create_graph=True)
    (h,) = autograd.grad((g * g).sum(), [x])
    tx = torch.tensor(a, requires_grad=True)
    (tg,) = torch.autograd.grad((tx.tanh() * tx).sum(), [tx], create_graph=True)
    (th,) = torch.autograd.grad((tg * tg).sum(), [tx])
    np.testing.assert_allclose(h, th.numpy(), rtol=1e-12)


@pytest.mark.parametrize("shape", [(2, 3, 4), (3, 1), ()], ids=str)
def test_unbroadcast_sums_stretched_axes(shape):
    g = np.arange(24.0).reshape(2, 3, 4)
    target = np.broadcast_shapes(shape, (2, 3, 4))
    assert target == (2, 3, 4)
    r = unbroadcast(g, shape)
    assert r.shape == shape
    assert np.sum(r) == np.sum(g)


# ---------------------------------------------------------------- a 0-d Tensor and a Value agree

SHARED = {name: fn for name, (fn, _, _) in UNARY.items()}


@pytest.mark.parametrize("name", list(SHARED))
@pytest.mark.parametrize("x", [-1.3, 0.4, 2.2])
def test_zero_d_tensor_agrees_with_value(name, x):
    fn = SHARED[name]
    if UNARY[name][2] == "pos" and x <= 0:
        pytest.skip("outside the domain")
    v, t = Value(x), Tensor(x)
    fv, ft = fn(v), fn(t)
    fv.backward()
    ft.backward()
    assert ft.shape == ()
    assert ft.item() == pytest.approx(fv.data, rel=1e-13, abs=1e-15)
    assert float(t.grad) == pytest.approx(v.grad, rel=1e-13, abs=1e-15)


@pytest.mark.parametrize("name", list(BINARY))
def test_zero_d_tensor_agrees_with_value_binary(name):
    fn = BINARY[name][0]
    v1, v2, t1, t2 = Value(1.7), Value(0.6), Tensor(1.7), Tensor(0.6)
    fv, ft = fn(v1, v2), fn(t1, t2)
    fv.backward()
    ft.backward()
    assert ft.item() == pytest.approx(fv.data, rel=1e-14)
    assert (float(t1.grad), float(t2.grad)) == pytest.approx((v1.grad, v2.grad), rel=1e-13)


# ---------------------------------------------------------------- dtype, constructors, errors


def test_dtype_rules():
    assert Tensor([1, 2]).dtype == np.float64 and Tensor(True).dtype == np.float64
    assert Tensor([1.0], dtype=np.float32).dtype == np.float32
    x = Tensor(np.ones(3, dtype=np.float32))
    assert x.dtype == np.float32 and (x * 2.0).dtype == np.float32 and (2.0 - x).dtype == np.float32
    (x * 3.0).sum().backward()
    assert x.grad.dtype == np.float32
    with pytest.raises(TypeError):
        Tensor(["a"])


def test_constructors_are_seeded():
    assert np.array_equal(Tensor.randn(2, 3, seed=1).data, Tensor.randn((2, 3), seed=1).data)
    assert Tensor.zeros(2, 2).data.sum() == 0 and Tensor.ones(3).data.sum() == 3


def test_shape_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"add: inputs of shapes \(3,\), \(4,\)"):
        Tensor(np.ones(3)) + Tensor(np.ones(4))
    with pytest.raises(ValueError, match=r"matmul: inputs of shapes \(2, 3\), \(2, 3\)"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3)))


def test_backward_errors():
    x = Tensor(np.ones(3))
    with pytest.raises(RuntimeError, match="shape \\(3,\\)"):
        (x * 2).backward()
    with pytest.raises(ValueError, match=r"grad has shape \(2,\) but the output has shape \(3,\)"):
        (x * 2).backward(np.ones(2))
    (x * 2).backward(np.ones(3))
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_value_and_tensor_do_not_mix():
    with pytest.raises(TypeError, match="Tensor and a Value"):
        Tensor(1.0) + Value(1.0)
    with pytest.raises(TypeError, match="Tensor and a Value"):
        Value(1.0) * Tensor(1.0)


def test_numpy_arrays_on_the_left():
    x = Tensor([1.0, 2.0])
    y = np.array([3.0, 4.0]) * x
    assert isinstance(y, Tensor)
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]


def test_gradients_accumulate_and_no_grad():
    x = Tensor([1.0, 2.0])
    for _ in range(2):
        (x * x).sum().backward()
    assert x.grad.tolist() == [4.0, 8.0]
    with autograd.no_grad():
        y = x * 2
    assert not y.requires_grad and y.parents == ()


def test_ieee_without_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = Tensor([0.0, -1.0, 1.0])
        y = x.log()
        assert y.data[0] == -math.inf and math.isnan(y.data[1])
        z = Tensor([1.0, 0.0]) / Tensor([0.0, 0.0])
        assert z.data[0] == math.inf and math.isnan(z.data[1])
        y.sum().backward()


def test_detect_anomaly_on_tensors():
    x = Tensor([1.0, 0.0])
    with autograd.detect_anomaly(), pytest.raises(autograd.AnomalyError, match="'log'"):
        x.log()
