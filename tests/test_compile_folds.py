"""The folds compile() makes for speed, each against the engine (bit for bit) and PyTorch float64.

- a Python number meeting a float array is bound once as a 0-d array of that array's dtype
  (``half``, ``one``, ``c1`` ...);
- a gradient that is one number broadcast back (a mean's or a sum's) stays one number while numpy's
  broadcasting gives the engine's array, and is written out as ``np.full`` anywhere else;
- a large leaf gradient is written with ``out=`` into the array the program returned last run,
  only when nothing else holds that array any more;
- an elementwise VJP writes into the incoming gradient's own array (``d1 *= z1 > 0``) when the
  program made that array, nothing else holds it and the rule reads it once.

Each with float32 and float64, broadcast and non-broadcast shapes, and a case where the fold would be
wrong if made blindly (a constant that is a leaf requiring grad, a node used twice, a transposed
operand, a gradient array the caller kept).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from deltagrad.autograd import Tensor, compile

torch = pytest.importorskip("torch")
DTYPES = [np.float64, np.float32]


def same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _check(build, shapes, dtype, seed=0, lib_torch=None):
    """Record ``build`` once, move the leaves, run the program; compare with backward() and PyTorch."""
    rng = np.random.default_rng(seed)
    leaves = [Tensor(rng.uniform(-1.5, 1.5, s).astype(dtype), label=f"x{i}") for i, s in enumerate(shapes)]
    program = compile(build(leaves, np))
    new = [rng.uniform(-1.5, 1.5, s).astype(dtype) for s in shapes]
    for t, v in zip(leaves, new):
        t.data = v.copy()
    program.run()
    ref = [Tensor(v.copy()) for v in new]
    loss = build(ref, np)
    loss.backward()
    root = program.root
    assert same(root.data, loss.data)
    for t, r in zip(leaves, ref):
        assert same(t.grad, r.grad), (t.label, program.source)
        assert t.grad.dtype == dtype
    tt = [torch.tensor(v.astype(np.float64), requires_grad=True) for v in new]
    build(tt, torch).backward()
    tol = 1e-10 if dtype == np.float64 else 2e-4
    for t, r in zip(leaves, tt):
        np.testing.assert_allclose(t.grad, r.grad.numpy(), rtol=tol, atol=tol)
    return program, leaves


def _max0(x, lib):
    return x.relu() if lib is np else torch.relu(x)


def _sig(x, lib):
    return x.sigmoid() if lib is np else torch.sigmoid(x)


# ----------------------------------------------------------------------------- numbers as 0-d arrays
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", [[(4, 3), (4, 3)], [(4, 3), (1, 3)], [(5,), (3, 5)]])
def test_numbers_meeting_arrays_are_named_0d_constants_with_the_engines_numbers(dtype, shapes):
    def build(T, lib):
        x, y = T
        h = _sig(0.5 * x + y * 2.0, lib)
        return ((1.0 - h) * _max0(x - 0.3, lib) + h / 3.0).sum()

    program, _ = _check(build, shapes, dtype)
    src = program.source
    suffix = "" if dtype == np.float64 else "_f32"
    assert f"one{suffix} - " in src and f"np.maximum(" in src, src
    assert f"half{suffix} * x0" in src and f"x1 * two{suffix}" in src and f"t4 / c1{suffix}" not in src
    assert f"0-d {np.dtype(dtype).name} arrays" in src


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_0d_leaf_that_requires_grad_is_not_folded_into_a_constant(dtype):
    def build(T, lib):
        x, c = T  # c: a 0-d leaf requiring grad, used as a "constant" would be
        return ((x * c + c) * x).sum()

    program, leaves = _check(build, [(4, 3), ()], dtype)
    assert leaves[1] in program.leaves and "dx1" in program.source
    assert np.shape(leaves[1].grad) == ()


def test_a_number_the_dtype_cannot_hold_and_signed_zero_keep_numpys_rules():
    x = Tensor(np.array([[1.0, -2.0], [3.0, 0.5]], dtype=np.float32), label="x")
    with np.errstate(all="ignore"):
        loss = (x * 1e39 + x * -0.0).sum()  # 1e39 is inf in float32: not finite, kept a literal
    program = compile(loss)
    assert "* INF" in program.source and "c1_f32 = -0.0" in program.source  # -0.0: its own constant, not zero
    x.data = np.array([[2.0, -1.0], [0.25, 4.0]], dtype=np.float32)
    with np.errstate(all="ignore"):
        program.run()
        ref = Tensor(x.data.copy())
        want = (ref * 1e39 + ref * -0.0).sum()
        want.backward()
    assert same(loss.data, want.data) and same(x.grad, ref.grad)


# ----------------------------------------------------------------------------- uniform gradients
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 1), (7,), (1, 5)])
def test_a_mean_gradient_stays_one_number_along_one_axis(dtype, shape):
    def build(T, lib):
        (x,) = T
        d = _sig(x, lib) - 0.25
        return 0.5 * (d ** 2).mean()

    program, _ = _check(build, [shape], dtype)
    assert "np.full" not in program.source and "(one number for all of" in program.source


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_uniform_meeting_a_transposed_matrix_is_written_out_as_the_engines_array(dtype):
    # number * xᵀ would be laid out column-major and the sum after it would add in another order
    def build(T, lib):
        x, y = T
        p = (x.T if lib is np else x.T) * y
        return (p * p).sum() + p.sum()

    program, _ = _check(build, [(3, 4), (4, 3)], dtype)
    assert "np.full((4, 3), " in program.source


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_uniform_gradient_used_twice_and_reaching_leaves_is_an_array_of_their_own(dtype):
    def build(T, lib):
        x, b = T  # b (1, 3) broadcast over x (4, 3); s used by two consumers
        s = (x + b).sum()
        return s * s + s.mean() + x.sum() + b.sum()

    program, leaves = _check(build, [(4, 3), (1, 3)], dtype)
    x, b = leaves
    assert x.grad.flags.writeable and x.grad.flags.owndata and not np.shares_memory(x.grad, b.grad)


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_sum_over_rows_then_a_mean_keeps_the_engines_numbers(dtype):
    # the 784-256-10 loss: mean over rows of Σ_columns (log_softmax ⊙ Y)
    def build(T, lib):
        z, Y = T
        ls = z.log_softmax(axis=1) if lib is np else torch.log_softmax(z, 1)
        return -(ls * Y).sum(axis=1).mean() if lib is np else -(ls * Y).sum(1).mean()

    program, _ = _check(build, [(6, 5), (6, 5)], dtype)
    assert "np.broadcast_to" not in program.source


# ----------------------------------------------------------------------------- leaf gradients written in place
def _big(dtype, seed=0):
    rng = np.random.default_rng(seed)
    W = Tensor(rng.standard_normal((300, 200)).astype(dtype), label="W")  # 240 or 480 KB: over BUF_BYTES
    X = Tensor(rng.standard_normal((8, 300)).astype(dtype), requires_grad=False, label="X")
    return W, X, ((X @ W).tanh() * (X @ W)).sum()


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_large_leaf_gradient_reuses_last_runs_array_only_when_no_one_holds_it(dtype):
    W, X, loss = _big(dtype)
    program = compile(loss)
    assert "out=bufs[" in program.source
    loss.backward()
    want = W.grad.copy()
    W.zero_grad()
    program.run()
    first = W.grad
    assert same(first, want)
    kept = first  # the caller holds last run's gradient: the program must not overwrite it
    W.zero_grad()
    W.data = W.data * 0.5
    program.run()
    assert W.grad is not kept and same(kept, want)
    ref = Tensor(W.data.copy())
    ((X.data @ ref).tanh() * (X.data @ ref)).sum().backward()
    assert same(W.grad, ref.grad)
    del kept, first
    address = W.grad.__array_interface__["data"][0]
    W.zero_grad()  # released: now only the program holds it, so the next run writes into it
    program.run()
    assert W.grad.__array_interface__["data"][0] == address and same(W.grad, ref.grad)
    t = torch.tensor(W.data.astype(np.float64), requires_grad=True)
    xt = torch.tensor(X.data.astype(np.float64))
    (torch.tanh(xt @ t) * (xt @ t)).sum().backward()
    tol = 1e-10 if dtype == np.float64 else 1e-3
    np.testing.assert_allclose(W.grad, t.grad.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_large_leaf_gradient_accumulates_without_zero_grad_as_backward(dtype):
    W, X, loss = _big(dtype, seed=1)
    program = compile(loss)
    loss.backward(), loss.backward()
    twice = W.grad.copy()
    W.zero_grad()
    program.run()
    view = W.grad[:2]  # a view keeps the array alive too: never overwritten under it
    program.run()  # the leaf holds the array: accumulated into it (W.grad += g), as backward() does
    assert same(W.grad, twice)
    kept = view.copy()
    W.zero_grad()
    program.run()
    assert same(view, kept) and W.grad.base is None and not np.shares_memory(W.grad, view)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gradients_only_leaves_out_what_only_the_value_needs(dtype):
    """compile(root, value=False): the loss lines go (as jax.grad drops them); gradients unchanged, root.data kept."""
    rng = np.random.default_rng(3)
    shapes = [(4, 2), (2, 3), (1, 3), (3, 1), (1, 1), (4, 1)]
    vals = [rng.uniform(-1.5, 1.5, s).astype(dtype) for s in shapes]

    def build(t, lib):
        X, W1, b1, W2, b2, y = t
        a1 = _sig(X @ W1 + b1, lib)
        a2 = _sig(a1 @ W2 + b2, lib)
        return 0.5 * ((a2 - y) ** 2).mean()

    leaves = [Tensor(v.copy(), label=f"x{i}") for i, v in enumerate(vals)]
    loss = build(leaves, np)
    full, grads_only = compile(loss), compile(loss, value=False)
    assert "return None," in grads_only.source and "reduce(t" not in grads_only.source  # the mean is not computed
    assert len(grads_only.source.splitlines()) == len(full.source.splitlines()) - 3  # t7², its mean, ½·mean
    new = [rng.uniform(-1.5, 1.5, s).astype(dtype) for s in shapes]
    for t, v in zip(leaves, new):
        t.data = v.copy()
    recorded = loss.data.copy()
    grads_only.run()
    assert same(loss.data, recorded)  # the value is not recomputed
    ref = [Tensor(v.copy()) for v in new]
    build(ref, np).backward()
    for t, r in zip(leaves, ref):
        assert same(t.grad, r.grad)
    tt = [torch.tensor(v.astype(np.float64), requires_grad=True) for v in new]
    build(tt, torch).backward()
    tol = 1e-10 if dtype == np.float64 else 2e-4
    for t, r in zip(leaves, tt):
        np.testing.assert_allclose(t.grad, r.grad.numpy(), rtol=tol, atol=tol)


def test_gradients_only_keeps_what_the_backward_reads():
    """A value the VJP reads (tanh's out, a product's other factor) stays, though only the loss used it forward."""
    x = Tensor(np.array([0.3, -0.7]), label="x")
    w = Tensor(np.array([1.5, 2.0]), label="w")
    t = (x * w).tanh()
    loss = (t * t).sum()
    program = compile(loss, value=False)
    assert "np.tanh" in program.source and "x * w" in program.source
    program.run()
    tx = torch.tensor([0.3, -0.7], dtype=torch.float64, requires_grad=True)
    tw = torch.tensor([1.5, 2.0], dtype=torch.float64, requires_grad=True)
    (torch.tanh(tx * tw) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-12)


# ----------------------------------------------------------------------------- in place into the incoming gradient
@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_backward_writes_into_the_incoming_gradient_as_a_hand_written_loop_does(dtype):
    def build(T, lib):
        X, W1, b1, V = T
        return (_max0(X @ W1 + b1, lib) * V).sum()

    program, _ = _check(build, [(6, 4), (4, 5), (5,), (6, 5)], dtype)
    lines = [ln.strip() for ln in program.source.splitlines()]
    relu_line = next(ln for ln in lines if "relu'" in ln)
    assert re.match(r"dt2 = np\.multiply\((dt3), t3 != 0, out=\1\)  #", relu_line), program.source
    assert "vjp_relu" not in program.source  # the row's VJP traces now


def test_a_gradient_from_a_called_rule_is_not_written_in_place():
    """A VJP called by name may hand back g itself or a view: its result is never overwritten."""
    x = Tensor(np.array([[0.5, -1.0], [2.0, 0.25]]), label="x")
    w = Tensor(np.array([[1.0, 2.0], [-3.0, 0.5]]), label="w")
    loss = ((x @ w).relu() @ w).sum()
    program = compile(loss)
    called = [ln.split(" = ")[0] for ln in program.source.splitlines() if "VJP, called" in ln]
    assert called and "out=" not in program.source.split("# backward")[1].split("bufs")[0], program.source
    program.run()
    tx, tw = (torch.tensor(a.data, requires_grad=True) for a in (x, w))
    (torch.relu(tx @ tw) @ tw).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", ["read twice", "two parents", "alias of a leaf's", "promoted", "broadcast",
                                  "accumulated", "uniform"])
def test_in_place_only_where_nothing_else_reads_the_gradient(dtype, case):
    """Each case is one where writing into ∂L/∂(node) blindly would change a number (or the dtype)."""
    def build(T, lib):
        x, w, v = T
        h = x * w  # a non-leaf node whose gradient the cases consume in different ways
        if case == "read twice":  # tanh's VJP reads g once, but h's gradient feeds two products
            return ((h.tanh() * v).sum() + (h * h).sum())
        if case == "two parents":  # ∂L/∂(a*b) is read by both parents' rules
            a, b = _max0(h, lib), _sig(h, lib)
            return (a * b * v).sum()
        if case == "alias of a leaf's":  # add passes g itself to the leaf v and on to h
            return _max0(h + v, lib).sum()
        if case == "promoted":  # float32 h times a float64 array: the gradients below are float64
            return _max0(h * v.data.astype(np.float64), lib).sum()
        if case == "broadcast":  # the rule's result is wider than g
            return (_max0(h.sum(axis=0), lib) * v).sum()
        if case == "accumulated":  # h's gradient is a sum of two parts, then relu's VJP reads it once
            a = _max0(h, lib)
            return (a * v).sum() + (a * w).sum()
        return (_max0(h, lib) + v).mean()  # uniform: g is one number standing for the array

    if case == "promoted" and dtype == np.float64:
        pytest.skip("float64 has nothing to promote to")
    if case == "promoted":
        return _promoted(build)
    program, _ = _check(build, [(3, 4), (3, 4), (3, 4)] if case != "broadcast" else [(3, 4), (3, 4), (4,)], dtype)
    inplace = [ln for ln in program.source.splitlines() if ", out=d" in ln]
    if case in ("two parents", "alias of a leaf's", "broadcast", "uniform", "read twice"):
        assert all("out=dt1" not in ln for ln in inplace), program.source  # h's gradient is not overwritten


def _promoted(build):
    # float32 leaves with a float64 factor: the compiled program must keep the engine's float64 result
    rng = np.random.default_rng(3)
    vals = [rng.uniform(-1.5, 1.5, (3, 4)).astype(np.float32) for _ in range(3)]
    leaves = [Tensor(v.copy(), label=f"x{i}") for i, v in enumerate(vals)]
    program = compile(build(leaves, np))
    program.run()
    ref = [Tensor(v.copy()) for v in vals]
    build(ref, np).backward()
    for t, r in zip(leaves, ref):
        assert same(t.grad, r.grad), program.source
