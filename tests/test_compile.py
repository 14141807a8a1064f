"""compile(root): the generated program against independent oracles and against the engine it replays.

Oracles: PyTorch float64, central differences, sympy, and hand-written numpy backwards (the seed's
XOR net, a 784-256-10 softmax step). Against the engine: the same numbers bit for bit, same dtypes,
same accumulation. Plus the refusals and adversarial labels.
"""

from __future__ import annotations

import ast
import re
import math
import unicodedata

import numpy as np
import pytest
import sympy as sp
from deltagrad.autograd import PRIMITIVES, Tensor, Value, compile, detect_anomaly
from deltagrad.autograd.notes import NOTES
from deltagrad.autograd.tensor_ops import TENSOR_PRIMITIVES
from exprtrees import ENGINE, NVARS, SYMPY, kink_margin, programs, run, torch_ops
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_sweep_random import SHAPES, _leaf_values, _run, steps

from deltagrad import nn

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much]}


def same(a, b) -> bool:
    """Bit-for-bit equal floats or arrays (nan equal to nan, -0.0 distinct from 0.0)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


# ----------------------------------------------------------------------------- Value programs
def _value_program(point, steps_):
    xs = [Value(v, label=f"x{i}") for i, v in enumerate(point)]
    out, _ = run(steps_, xs, ENGINE)
    return xs, out


@settings(max_examples=400, **SETTINGS)
@given(programs(), st.lists(st.floats(-2.0, 2.0), min_size=NVARS, max_size=NVARS))
def test_value_programs_replay_the_engine_bit_for_bit_at_new_inputs(prog, new_point):
    point, steps_ = prog
    xs, out = _value_program(point, steps_)
    assume(out.requires_grad and out.op is not None)
    program = compile(out)
    for x, v in zip(xs, new_point):
        x.data = v
    program.run()
    ref_xs, ref = _value_program(new_point, steps_)
    ref.backward()
    assert same(out.data, ref.data), (steps_, new_point)
    for x, r in zip(xs, ref_xs):
        assert same(x.grad, r.grad), (steps_, new_point, x.grad, r.grad)


@settings(max_examples=300, **SETTINGS)
@given(programs())
def test_value_programs_against_torch_float64(prog):
    torch = pytest.importorskip("torch")
    point, steps_ = prog
    assume(kink_margin(steps_, point) > 1e-9)
    xs, out = _value_program([0.0] * NVARS, steps_)  # recorded at 0, run at the point
    assume(out.op is not None)
    program = compile(out)
    for x, v in zip(xs, point):
        x.data = v
    program.run()
    assume(all(math.isfinite(v) for v in [out.data, *(x.grad for x in xs)]))
    ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
    tout, _ = run(steps_, ts, torch_ops(torch))
    tg = torch.autograd.grad(tout, ts, allow_unused=True)
    assert out.data == pytest.approx(tout.item(), rel=1e-12, abs=1e-12)
    for x, g in zip(xs, tg):
        assert x.grad == pytest.approx(0.0 if g is None else g.item(), rel=1e-10, abs=1e-12), steps_


@settings(max_examples=300, **SETTINGS)
@given(programs())
def test_value_programs_against_central_differences(prog):
    point, steps_ = prog
    assume(kink_margin(steps_, point) > 1e-3)
    xs, out = _value_program(point, steps_)
    assume(out.op is not None)
    program = compile(out)
    program.run()
    f, grads = out.data, [x.grad for x in xs]
    assume(all(math.isfinite(v) for v in [f, *grads]) and abs(f) < 1e6)
    eps = 1e-6
    for i, x in enumerate(xs):
        vals = []
        for h in (eps, -eps):
            x.data = point[i] + h
            program.run()  # its forward alone is the finite-difference oracle's function
            vals.append(out.data)
        x.data = point[i]
        fd = (vals[0] - vals[1]) / (2 * eps)
        assert abs(grads[i] - fd) <= 1e-5 * (1 + abs(f)) + 1e-4 * abs(fd), (steps_, point, i)


@settings(max_examples=100, **SETTINGS)
@given(programs(max_steps=4))
def test_value_programs_against_sympy(prog):
    point, steps_ = prog
    assume(kink_margin(steps_, point) > 1e-9)
    xs, out = _value_program(point, steps_)
    assume(out.op is not None)
    compile(out).run()
    assume(all(math.isfinite(v) for v in [out.data, *(x.grad for x in xs)]))
    syms = sp.symbols(f"x0:{NVARS}", real=True)
    expr, _ = run(steps_, list(syms), SYMPY)
    subs = dict(zip(syms, point))
    for s, x in zip(syms, xs):
        try:
            want = float(sp.N(sp.diff(expr, s).subs(subs), 30))
        except (RecursionError, TypeError):
            continue  # sympy cannot evaluate this tree; the torch and difference tests still check it
        assert x.grad == pytest.approx(want, rel=1e-9, abs=1e-10), (steps_, point)


# ----------------------------------------------------------------------------- Tensor programs
def _tensor_program(prog, seed):
    leaves = [Tensor(v, label=f"x{k}") for k, v in enumerate(_leaf_values(seed))]
    loss, _, _ = _run(prog, leaves, "compile")  # not "deltagrad": no hooks
    return leaves, loss


@settings(max_examples=200, **SETTINGS)
@given(steps, st.integers(0, 2**16), st.integers(0, 2**16))
def test_tensor_programs_replay_the_engine_and_match_torch(prog, seed, seed2):
    torch = pytest.importorskip("torch")
    leaves, loss = _tensor_program(prog, seed)
    program = compile(loss)
    for x, v in zip(leaves, _leaf_values(seed2)):
        x.data = v
    program.run()
    ref_leaves, ref = _tensor_program(prog, seed2)
    ref.backward()
    assert same(loss.data, ref.data)
    for x, r in zip(leaves, ref_leaves):
        assert same(x.grad, r.grad) if isinstance(r.grad, np.ndarray) else x.grad == r.grad == 0.0
    tl = [torch.tensor(v, requires_grad=True) for v in _leaf_values(seed2)]
    tloss, _, _ = _run(prog, tl, "torch")
    tloss.backward()
    for x, t in zip(leaves, tl):
        want = np.zeros(np.shape(x.data)) if t.grad is None else t.grad.numpy()
        np.testing.assert_allclose(x.grad, want, rtol=1e-10, atol=1e-12)
    grads = [x.grad for x in leaves if isinstance(x.grad, np.ndarray)]
    for i, a in enumerate(grads):  # adopted arrays: never shared between two leaves
        assert all(not np.shares_memory(a, b) for b in grads[i + 1:])
        assert all(not np.shares_memory(a, x.data) for x in leaves)
    assert len(SHAPES) == len(leaves)


def _xor(dtype=np.float64, seed=1):
    rng = np.random.default_rng(seed)
    X = Tensor(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=dtype), requires_grad=False, label="X")
    y = Tensor(np.array([[0], [1], [1], [0]], dtype=dtype), requires_grad=False, label="y")
    W1, b1 = Tensor(rng.standard_normal((2, 3)), label="W1", dtype=dtype), Tensor(np.zeros((1, 3)), label="b1", dtype=dtype)
    W2, b2 = Tensor(rng.standard_normal((3, 1)), label="W2", dtype=dtype), Tensor(np.zeros((1, 1)), label="b2", dtype=dtype)
    a1 = (X @ W1 + b1).sigmoid()
    a2 = (a1 @ W2 + b2).sigmoid()
    return [W1, b1, W2, b2], X, y, 0.5 * ((a2 - y) ** 2).mean()


def test_seed_xor_net_against_its_hand_written_numpy_backward():
    params, X, y, loss = _xor()
    program = compile(loss)
    rng = np.random.default_rng(7)
    for p in params:
        p.data = rng.standard_normal(p.data.shape)
    program.run()
    W1, b1, W2, b2 = (p.data for p in params)
    a1 = 1.0 / (1.0 + np.exp(-(X.data @ W1 + b1)))  # the seed's forward and backward, by hand
    a2 = 1.0 / (1.0 + np.exp(-(a1 @ W2 + b2)))
    d2 = (a2 - y.data) * a2 * (1.0 - a2) / 4
    d1 = (d2 @ W2.T) * a1 * (1.0 - a1)
    want = [X.data.T @ d1, d1.sum(axis=0, keepdims=True), a1.T @ d2, d2.sum(axis=0, keepdims=True)]
    np.testing.assert_allclose(loss.data, 0.5 * np.mean((a2 - y.data) ** 2), rtol=1e-14)
    for p, w in zip(params, want):
        np.testing.assert_allclose(p.grad, w, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_seed_xor_net_same_numbers_dtypes_and_accumulation_as_backward(dtype):
    params, _, _, loss = _xor(dtype)
    program = compile(loss)
    loss.backward()
    ref = [p.grad.copy() for p in params]
    for p in params:
        p.zero_grad()
    program.run()
    assert all(same(p.grad, r) for p, r in zip(params, ref))
    program.run()  # accumulates, as a second backward() would
    loss.backward()
    twice = [p.grad.copy() for p in params]
    for p in params:
        p.zero_grad()
    program.run(), program.run(), loss.backward()
    assert all(same(p.grad, t) for p, t in zip(params, twice))
    assert all(p.grad.dtype == dtype for p in params)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_784_256_10_step_against_hand_written_numpy(dtype):
    from deltagrad.bench.mlp import mlp_numpy, mlp_problem

    X, labels, p = mlp_problem(dtype, sizes=(20, 16, 10), batch=8)
    net = nn.TensorMLP(20, [16, 10], activation="relu", dtype=dtype)
    for layer, i in zip(net.layers, (1, 2)):
        layer.W.data, layer.b.data = p[f"W{i}"].copy(), p[f"b{i}"].copy()
    Y = Tensor(np.eye(10, dtype=dtype)[labels], requires_grad=False)
    loss = -(net(Tensor(X, requires_grad=False)).log_softmax(axis=1) * Y).sum(axis=1).mean()
    program = compile(loss)
    assert "δ2 = " in program.source and "dW1 = " in program.source  # nn's names: z -> δ, W -> dW
    program.run()
    step, params = mlp_numpy(X, labels, p, lr=1.0)
    step()  # W ← W - 1·∂L/∂W: the hand-written gradient is p - params
    tol = 1e-12 if dtype == np.float64 else 2e-6
    for layer, i in zip(net.layers, (1, 2)):
        for name, t in (("W", layer.W), ("b", layer.b)):
            np.testing.assert_allclose(t.grad, p[f"{name}{i}"] - params()[f"{name}{i}"], rtol=tol, atol=tol)


def test_micrograd_demo_net_replays_the_engine_and_the_floor_sample_by_sample():
    from deltagrad.bench.scalar import LR, flat, floor_step, init_weights, two_moons

    W, B = init_weights()
    net = nn.MLP(2, [16, 16, 1], seed=0)
    ps = net.parameters()
    for q, v in zip(ps, flat(W, B)):
        q.data = v
    xs = [Value(0.0, label=f"x{i + 1}", requires_grad=False) for i in range(2)]
    ny = Value(0.0, label="ny", requires_grad=False)
    loss = (1.0 + ny * net(xs)).relu()
    program = compile(loss)
    assert "δ1_0 = " in program.source and "dw1_0_0 = " in program.source
    for x, y in zip(*two_moons(12)):
        xs[0].data, xs[1].data, ny.data = x[0], x[1], -y
        for q in ps:
            q.grad = 0.0
        program.run()
        got = [q.grad for q in ps]
        for q in ps:
            q.grad = 0.0
        (1.0 + -y * net(x)).relu().backward()
        assert got == [q.grad for q in ps]
        for q in ps:
            q.data -= LR * q.grad
        floor_step(W, B, x, y)  # the hand-written float backward: the independent oracle
        assert [q.data for q in ps] == pytest.approx(flat(W, B), rel=1e-12, abs=1e-14)


# ----------------------------------------------------------------------------- refusals and errors
def test_refusals_name_the_reason():
    x = Value(1.0, label="x")
    y = (x * x).tanh()
    with pytest.raises(RuntimeError, match="create_graph"):
        compile(y, create_graph=True)
    with detect_anomaly(), pytest.raises(RuntimeError, match="anomaly"):
        compile(y)
    program = compile(y)
    with detect_anomaly(), pytest.raises(RuntimeError, match="anomaly"):
        program.run()
    x.register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match="'x' has hooks"):
        compile(y)
    with pytest.raises(RuntimeError, match="does not require grad"):
        compile(Value(1.0, requires_grad=False) * 2)
    with pytest.raises(RuntimeError, match="leaf"):
        compile(Value(1.0))


def test_a_leaf_whose_shape_or_dtype_changed_is_named():
    params, _, _, loss = _xor()
    program = compile(loss)
    params[0].data = np.zeros((3, 3))
    with pytest.raises(ValueError, match=r"'W1' was \(2, 3\) float64 when compiled, now \(3, 3\)"):
        program.run()
    params[0].data = np.zeros((2, 3), dtype=np.float32)
    with pytest.raises(ValueError, match="'W1'.*float32"):
        program.run()


def test_a_leaf_array_reshaped_or_retyped_in_place_is_named_and_a_fit_again_runs():
    params, X, y, loss = _xor()
    program = compile(loss)
    program.run()
    w1 = params[0].data
    w1.shape = (3, 2)  # the same array object, another shape
    with pytest.raises(ValueError, match=r"'W1' was \(2, 3\) float64 when compiled, now \(3, 2\) float64"):
        program.run()
    w1.shape = (2, 3)
    w1.dtype = np.int64  # the same bytes read as integers
    with pytest.raises(ValueError, match=r"'W1' was \(2, 3\) float64 when compiled, now \(2, 3\) int64"):
        program.run()
    w1.dtype = np.float64
    params[1].data = params[1].data.tolist()  # not an array at all
    with pytest.raises(ValueError, match=r"'b1' was \(1, 3\) float64 when compiled, now \? list"):
        program.run()
    # an equal dtype that is another object (it carries metadata) fits: the run goes on, through the full check
    params[1].data = np.zeros((1, 3), dtype=np.dtype(np.float64, metadata={"unit": "m"}))
    for t in params:
        t.zero_grad()
    program.run()
    expected = [t.grad.copy() for t in params]
    for t in params:
        t.zero_grad()
    W1, b1, W2, b2 = params
    (0.5 * ((((X @ W1 + b1).sigmoid() @ W2 + b2).sigmoid() - y) ** 2).mean()).backward()  # the engine, afresh
    for t, g in zip(params, expected):
        np.testing.assert_array_equal(t.grad, g)



def test_a_hook_added_to_a_leaf_after_compilation_is_refused_until_removed():
    params, _, _, loss = _xor()
    program = compile(loss)
    program.run()
    Tensor(np.ones(2), label="other").register_hook(lambda g: g)  # a hook elsewhere: the leaves are re-checked
    program.run()
    remove = params[1].register_hook(lambda g: g * 2)
    with pytest.raises(RuntimeError, match="'b1' got a hook after compilation"):
        program.run()
    with pytest.raises(RuntimeError, match="'b1' got a hook"):
        program.run()  # still refused on the next run
    remove()
    for t in params:
        t.zero_grad()
    program.run()
    ref_params, _, _, ref = _xor()
    ref.backward()
    for t, r in zip(params, ref_params):
        assert same(t.grad, r.grad)

ADVERSARIAL = ["'; import os #", "a\nb = __import__('os').system('echo pwned')", "__import__('os')", "δ", "ｘ", "x",
               "class", "np", "seed", "L", "program", "", "1abc", "\u2028", "a" * 200, "t1", "sum", "exp", "x",
               '"""', "\\", "#", "None", "__builtins__", "z\u0301", "ź"]


def test_adversarial_labels_become_identifiers_or_nothing():
    xs = [Value(0.1 * (i + 1), label=lab) for i, lab in enumerate(ADVERSARIAL)]
    out = xs[0]
    for i, x in enumerate(xs[1:]):
        out = (out * x + 0.5).tanh()
        out.label = ADVERSARIAL[-1 - i]
    program = compile(out)
    src = program.source
    tree = ast.parse(src)
    # def, unpack, two headers, seed, return; per step 3 forward lines (*, +, tanh) and 4 backward
    assert len(tree.body) == 1 and len(src.splitlines()) == 6 + 7 * (len(xs) - 1)
    code = "\n".join(line.split("  # ")[0] for line in src.splitlines())  # comments hold our notes (σ', tanh')
    for bad in ("'", '"', "\\", "os.system", "echo pwned", "__"):
        assert bad not in code
    assert "\u2028" not in src and "__" not in src
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert all(n.isidentifier() and unicodedata.normalize("NFKC", n) == n for n in names)
    assert len([n for n in names if n in ("x", "x_2", "x_3")]) == 3  # "ｘ", "x", "x" (NFKC): three variables
    program.run()
    grads = [x.grad for x in xs]
    for x in xs:
        x.grad = 0.0
    out.backward()
    assert grads == [x.grad for x in xs]


def test_the_tensor_replay_names_only_numbered_names_and_keeps_no_program_alive():
    # Tensor leaves with adversarial labels: the replay run() executes is built from numbers, not labels
    import gc
    import linecache
    import weakref

    xs = [Tensor(np.full((2, 2), 0.1 * (i + 1)), label=lab) for i, lab in enumerate(ADVERSARIAL[:12])]
    out = xs[0]
    for x in xs[1:]:
        out = (out @ x + 0.5).tanh()
    loss = out.sum()
    program = compile(loss)
    replay = program._replay
    text = "".join(linecache.getlines(replay.__code__.co_filename))
    tree = ast.parse(text)
    assert len(tree.body) == 1 and tree.body[0].name == "replay"
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert all(re.fullmatch(r"[a-zA-Z]+[0-9]*", n) for n in names), names
    assert all(bad not in text for bad in ("'", '"', "import", "os", "δ", "ｘ", "__", "#", "\\"))
    program.run()
    grads = [x.grad.copy() for x in xs]
    for x in xs:
        x.zero_grad()
    loss.backward()
    for x, g in zip(xs, grads):
        np.testing.assert_array_equal(x.grad, g)
    gc.disable()  # freed by reference counting alone: nothing the replay holds points back at the Program
    try:
        ref = weakref.ref(program)
        del program, replay
        assert ref() is None
    finally:
        gc.enable()


def test_every_row_of_both_tables_has_a_note():
    assert set(PRIMITIVES) - set(NOTES) == set()
    assert set(TENSOR_PRIMITIVES) - set(NOTES) == set()


def test_untraceable_rows_call_the_table_and_still_agree():
    x, y = Value(0.3, label="x"), Value(-0.2, label="y")
    z = (x.leaky_relu(0.1) + x.clamp(-1.0, 0.2) + ((1 + x * x) ** y.sigmoid()) + x.elu()).relu()
    program = compile(z)
    assert "vjp_clamp(" in program.source or "vjp_leaky_relu(" in program.source
    for v in (0.3, -0.7, 0.2, 0.0):
        x.data = v
        x.grad = y.grad = 0.0
        program.run()
        got = (z.data, x.grad, y.grad)
        xx, yy = Value(v), Value(-0.2)  # rebuilt with fresh leaves
        ref = (xx.leaky_relu(0.1) + xx.clamp(-1.0, 0.2) + ((1 + xx * xx) ** yy.sigmoid()) + xx.elu()).relu()
        ref.backward()
        assert got == (ref.data, xx.grad, yy.grad)


def test_readme_shows_the_program_compile_writes():
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## The backward pass as code"):]
    code = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL).group(1)
    shown = re.search(r"```text\n(.*?)```", section, flags=re.DOTALL).group(1)
    ns: dict = {}
    exec(code.replace("print(program.source)", ""), ns)
    assert ns["program"].source == shown
    want_W = ns["X"].data.T @ ((ns["a"].data - ns["y"].data) * ns["a"].data * (1 - ns["a"].data) / 2)
    np.testing.assert_allclose(ns["W"].grad, want_W, rtol=1e-12)


MASK = np.array([[True, False, True]] * 4)  # a constant condition (one computed from data is recorded as data)


def _many_ops(T, lib):
    """A Tensor program through most rows of the table (views, reductions, indexing, joins, fused nodes)."""
    x, w, b, m = T
    if lib == "torch":
        import torch

        F = torch.nn.functional
        h = F.linear(x, w, b)
        parts = [torch.log_softmax(h, 1), torch.softmax(h, 0), torch.logsumexp(h, 1, keepdim=True),
                 torch.clamp(h, -0.5, 0.5), (h * h + 1.0) ** torch.sigmoid(m), torch.exp(-h.T).T / (2.0 + h ** 2),
                 torch.cat([h, m], 1)[:, :3], torch.stack([h, h * 2.0], 0).sum(0), h.reshape(-1).reshape(4, 3),
                 F.mse_loss(h, m, reduction="none").mean() + h.max(1, keepdim=True).values,
                 torch.where(torch.from_numpy(MASK), h, 0.1 * h), h[[0, 2, 2]].sum(0, keepdim=True), torch.tanh(h).mean(0) * m]
        return sum(p.sum() for p in parts)
    from deltagrad.autograd import concatenate, mse_loss, stack, tensor_linear, where

    h = tensor_linear(x, w, b)
    parts = [h.log_softmax(1), h.softmax(0), h.logsumexp(1, keepdims=True), h.clip(-0.5, 0.5),
             (h * h + 1.0) ** m.sigmoid(), (-h.T).exp().T / (2.0 + h ** 2), concatenate([h, m], 1)[:, :3],
             stack([h, h * 2.0], 0).sum(0), h.reshape(-1).reshape(4, 3), mse_loss(h, m) + h.max(1, keepdims=True),
             where(MASK, h, 0.1 * h), h[[0, 2, 2]].sum(0, keepdims=True), h.tanh().mean(0) * m]
    out = parts[0].sum()
    for q in parts[1:]:
        out = out + q.sum()
    return out


def test_a_program_through_most_tensor_rows_replays_the_engine_and_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    shapes = [(4, 5), (3, 5), (3,), (4, 3)]
    leaves = [Tensor(rng.standard_normal(s), label=n) for s, n in zip(shapes, "xwbm")]
    program = compile(_many_ops(leaves, "deltagrad"))
    new = [rng.standard_normal(s) for s in shapes]
    for t, v in zip(leaves, new):
        t.data = v
    program.run()
    ref = [Tensor(v) for v in new]
    _many_ops(ref, "deltagrad").backward()
    for t, r in zip(leaves, ref):
        assert same(t.grad, r.grad), t.label
    tt = [torch.tensor(v, requires_grad=True) for v in new]
    _many_ops(tt, "torch").backward()
    for t, r in zip(leaves, tt):
        np.testing.assert_allclose(t.grad, r.grad.numpy(), rtol=1e-10, atol=1e-12)
