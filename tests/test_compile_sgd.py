"""Program.sgd_step(lr): the compiled step with each SGD update written where a hand-written step puts it.

Oracles: the seed's hand-written numpy (the XOR net) and the benchmark's hand-written 784-style MLP step
(checked against central differences in test_bench_tensor); and, bit for bit, ``run()`` on released
gradients followed by ``W.data -= lr * W.grad`` (run() itself is checked against backward() and PyTorch).
"""

from __future__ import annotations

import numpy as np
import pytest
from deltagrad.autograd import Tensor, Value, compile, detect_anomaly
from deltagrad.nn import TensorMLP
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_sweep_random import _leaf_values, _run, steps

from deltagrad.bench.mlp import KEYS, mlp_numpy, mlp_problem
from deltagrad.bench.xor import XOR_X, XOR_Y, xor_init, xor_numpy


def _mlp(X, y, p, dtype):
    Xt = Tensor(X, requires_grad=False, label="X")
    Y = Tensor(np.eye(p["W2"].shape[0], dtype=dtype)[y], requires_grad=False, label="Y")
    net = TensorMLP(X.shape[1], [p["W1"].shape[0], p["W2"].shape[0]], activation="relu", dtype=dtype)
    for layer, i in zip(net.layers, (1, 2)):
        layer.W.data, layer.b.data = p[f"W{i}"].copy(), p[f"b{i}"].copy()
    return net.parameters(), -(net(Xt).log_softmax(axis=1) * Y).sum(axis=1).mean()


def _run_then_update(program, params, lr):
    for t in params:
        t.grad = None
    program.run()
    for t in params:
        t.data -= lr * t.grad


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mlp_sgd_step_is_run_then_update_bit_for_bit_and_the_hand_written_step(dtype):
    X, y, p = mlp_problem(dtype, sizes=(200, 192, 3), batch=8, seed=1)  # W1 ≥ 128 KB: a kept buffer in run()
    fused, loss = _mlp(X, y, p, dtype)
    apart, loss_apart = _mlp(X, y, p, dtype)
    program, program_apart = compile(loss), compile(loss_apart)
    hand, hand_weights = mlp_numpy(X, y, p, lr=0.1)
    for _ in range(5):
        program.sgd_step(0.1)
        _run_then_update(program_apart, apart, 0.1)
        hand_loss = hand()
        assert loss.data == loss_apart.data
        assert float(loss.data) == pytest.approx(hand_loss, rel=1e-12 if dtype == np.float64 else 1e-5)
    assert "out=bufs[0]" in program.source  # run() keeps ∂L/∂W1's array; sgd_step frees it at once
    for t, u, k in zip(fused, apart, KEYS):
        np.testing.assert_array_equal(t.data, u.data)
        np.testing.assert_allclose(t.data, hand_weights()[k], rtol=0, atol=1e-14 if dtype == np.float64 else 1e-6)
        assert t.data.dtype == dtype and not np.array_equal(t.data, p[k])
    assert all(t.grad == 0.0 for t in fused)  # sgd_step neither reads nor writes .grad
    src = program.sgd_source  # each update where its gradient is made, after the last read of the weight
    lines = [ln.split("#")[0].strip() for ln in src.splitlines()]
    assert lines.index("W2 -= lr * (δ2.T @ a1)") == lines.index("da1 = δ2 @ W2") + 1
    assert lines.index("W1 -= lr * (δ1.T @ X)") == lines.index("δ1 = np.multiply(da1, a1 != 0, out=da1)") + 1
    assert "b1 -= lr * np.add.reduce(δ1, 0)" in lines and lines[-1] == "return t5, ()"
    assert "dW1" not in "\n".join(lines) and "bufs" not in src  # freed at once, as the hand-written step


def test_xor_gradients_only_sgd_step_follows_the_seed_hand_written_loop():
    p = xor_init()
    X, y = Tensor(XOR_X, requires_grad=False, label="X"), Tensor(XOR_Y, requires_grad=False, label="y")
    params = [Tensor(p[k].copy(), label=k) for k in ("W1", "b1", "W2", "b2")]
    W1, b1, W2, b2 = params
    loss = 0.5 * (((((X @ W1 + b1).sigmoid()) @ W2 + b2).sigmoid() - y) ** 2).mean()
    program = compile(loss, value=False)
    for _ in range(200):
        program.sgd_step(0.5)
    _, hand = xor_numpy(p, 200, lr=0.5)
    for t in params:
        np.testing.assert_allclose(t.data, hand[t.label], rtol=0, atol=1e-13)


def test_shared_weights_and_a_view_of_a_weight_are_updated_after_their_last_read():
    # W is used in two layers (two gradient parts) and through a transposed view node read by the
    # backward of a later product: an update placed too early would change what those lines read
    rng = np.random.default_rng(3)

    def build():
        X = Tensor(rng.standard_normal((5, 4)), requires_grad=False, label="X")
        W = Tensor(np.linspace(-1, 1, 16).reshape(4, 4), label="W")
        b = Tensor(np.full((1, 4), 0.1), label="b")
        h = (X @ W + b).tanh()
        Wt = W.T
        out = ((h @ Wt) * (h @ W)).sum()
        return [W, b], out

    state = rng.bit_generator.state
    params, out = build()
    rng.bit_generator.state = state
    params2, out2 = build()
    program, program2 = compile(out), compile(out2)
    for _ in range(3):
        program.sgd_step(0.05)
        _run_then_update(program2, params2, 0.05)
    for t, u in zip(params, params2):
        np.testing.assert_array_equal(t.data, u.data)
    src = program.sgd_source
    assert src.count("W -= lr * ") == 1 and "(dW + dW_2" in src


def test_a_float32_weight_with_a_float64_gradient_is_cast_first_as_accumulate_does():
    X = Tensor(np.linspace(0, 1, 6).reshape(3, 2), requires_grad=False, label="X")  # float64
    W = Tensor(np.array([[0.3], [-0.2]], dtype=np.float32), label="W")
    X2, W2 = Tensor(X.data.copy(), requires_grad=False, label="X"), Tensor(W.data.copy(), label="W")
    program, program2 = compile(((X @ W).tanh()).sum()), compile(((X2 @ W2).tanh()).sum())
    for _ in range(3):
        program.sgd_step(0.1)
        _run_then_update(program2, [W2], 0.1)
    assert W.data.dtype == np.float32
    np.testing.assert_array_equal(W.data, W2.data)
    assert "W -= lr * np.asarray(X.T @ dt1, W.dtype)" in program.sgd_source


def test_sgd_step_refuses_what_it_cannot_do_and_says_why():
    params, loss = _mlp(*mlp_problem(np.float64, sizes=(6, 5, 3), batch=4, seed=0), np.float64)
    program = compile(loss)
    for bad in ("0.1", None, True):
        with pytest.raises(TypeError, match="lr must be a number"):
            program.sgd_step(bad)
    with pytest.raises(ValueError, match="lr must be finite"):
        program.sgd_step(float("nan"))
    with detect_anomaly(), pytest.raises(RuntimeError, match="anomaly"):
        program.sgd_step(0.1)
    A = Tensor(np.arange(9.0).reshape(3, 3) / 10, label="A")
    B = Tensor(np.eye(3), requires_grad=False, label="B")
    shared = compile((A @ B).tanh().sum())
    before = A.data.copy()
    for alias in (A.data, A.data[::-1], A.data.T):  # the same array, a view of it: an update would move B too
        B.data = alias
        with pytest.raises(ValueError, match="'A' and 'B' share memory"):
            shared.sgd_step(0.1)
        np.testing.assert_array_equal(A.data, before)  # refused before anything ran
    B.data = np.eye(3)
    shared.sgd_step(0.1)
    assert not np.array_equal(A.data, before)
    x = Value(1.0, label="x")
    with pytest.raises(TypeError, match="Value program"):
        compile(x * x).sgd_step(0.1)


def test_views_that_do_not_overlap_take_the_full_check_and_agree():
    # X given as a view (its own base, disjoint from every weight): the fast check declines, the full one
    # finds no overlap, and the step is the same as on an owned copy
    X, y, p = mlp_problem(np.float64, sizes=(6, 5, 3), batch=4, seed=2)
    params, loss = _mlp(X, y, p, np.float64)
    params2, loss2 = _mlp(X, y, p, np.float64)
    program, program2 = compile(loss), compile(loss2)
    big = np.zeros((8, 6))
    big[::2] = X
    program.leaves[0].data = big[::2]
    program.sgd_step(0.2)
    program2.sgd_step(0.2)
    for t, u in zip(params, params2):
        np.testing.assert_array_equal(t.data, u.data)


def test_a_hook_added_after_compilation_is_refused_by_sgd_step():
    params, loss = _mlp(*mlp_problem(np.float64, sizes=(6, 5, 3), batch=4, seed=0), np.float64)
    program = compile(loss)
    program.sgd_step(0.1)
    params[1].register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match="got a hook after compilation"):
        program.sgd_step(0.1)


def test_a_read_only_weight_is_refused_before_anything_moves():
    params, loss = _mlp(*mlp_problem(np.float64, sizes=(6, 5, 3), batch=4, seed=0), np.float64)
    program = compile(loss)
    before = [t.data.copy() for t in params]
    params[3].data.flags.writeable = False  # b2, the second weight the step would update
    with pytest.raises(ValueError, match="read-only"):
        program.sgd_step(0.1)
    for t, b in zip(params, before):
        np.testing.assert_array_equal(t.data, b)


def test_a_float32_weight_used_twice_with_float64_gradients_accumulates_as_run_does():
    X = Tensor(np.linspace(-1, 1, 6).reshape(3, 2), requires_grad=False, label="X")  # float64
    W = Tensor(np.array([[0.3, 0.1], [-0.2, 0.4]], dtype=np.float32), label="W")
    X2, W2 = Tensor(X.data.copy(), requires_grad=False, label="X"), Tensor(W.data.copy(), label="W")
    program = compile(((X @ W).tanh() @ W).sum())
    program2 = compile(((X2 @ W2).tanh() @ W2).sum())
    for _ in range(3):
        program.sgd_step(0.1)
        _run_then_update(program2, [W2], 0.1)
    np.testing.assert_array_equal(W.data, W2.data)
    assert "np.asarray(np.asarray(" in program.sgd_source


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps, st.integers(0, 2**16))
def test_random_tensor_programs_sgd_step_is_run_then_update_bit_for_bit(prog, seed):
    # leaves used many times (gradient parts), read again by later VJPs, reshaped and transposed views,
    # broadcasts: wherever the placement puts an update, the weights must be those of run() + update
    def build():
        leaves = [Tensor(v, label=f"x{k}") for k, v in enumerate(_leaf_values(seed))]
        return leaves, _run(prog, leaves, "compile")[0]

    (fused, loss), (apart, loss_apart) = build(), build()
    program, program_apart = compile(loss), compile(loss_apart)
    for _ in range(2):
        program.sgd_step(0.125)
        for x in apart:
            x.grad = None
        program_apart.run()
        for x in apart:
            if x.grad is not None:  # a leaf the loss does not reach keeps its data
                x.data -= 0.125 * x.grad
        assert np.array_equal(loss.data, loss_apart.data, equal_nan=True)
        for x, y in zip(fused, apart):
            assert np.array_equal(x.data, y.data, equal_nan=True), program.sgd_source
