"""compare_grads: hand-derived gradients against the engine's, with a diagnosis of how they differ.

The acceptance case re-derives the numpy XOR network of seed document 002
(docs/sources.md#the-xor-network; 2-3-1, sigmoid, weights from
np.random.seed(43)) in this file: its backward differentiates ½·MSE while it prints the MSE.
"""

import numpy as np
import pytest
from deltagrad.autograd import Tensor, Value
from deltagrad.check import assert_grads_close, compare_grads

NAMES = ["dW1", "db1", "dW2", "db2"]


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def _dsig(x):
    return _sig(x) * (1.0 - _sig(x))


@pytest.fixture(scope="module")
def xor():
    np.random.seed(43)
    W1, W2 = np.random.randn(2, 3), None
    b1 = np.zeros((1, 3))
    W2 = np.random.randn(3, 1)
    b2 = np.zeros((1, 1))
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    z1 = X @ W1 + b1
    a1 = _sig(z1)
    z2 = a1 @ W2 + b2
    a2 = _sig(z2)
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2, "X": X, "y": y, "z1": z1, "a1": a1, "z2": z2, "a2": a2}


def hand_backward(X, y, z1, a1, z2, a2, W2, deriv_at_a=False):
    """The seed's matrix backprop, written from its formulas (rows are samples, z = a W + b)."""
    m = y.shape[0]
    delta2 = (a2 - y) * _dsig(z2)
    dW2 = a1.T @ delta2 / m
    db2 = delta2.mean(axis=0, keepdims=True)
    delta1 = (delta2 @ W2.T) * (_dsig(a1) if deriv_at_a else _dsig(z1))
    dW1 = X.T @ delta1 / m
    db1 = delta1.mean(axis=0, keepdims=True)
    return dW1, db1, dW2, db2, delta1, delta2


def engine_grads(d, half=False):
    P = {k: Tensor(d[k], label=k) for k in ("W1", "b1", "W2", "b2")}
    Z1 = Tensor(d["X"]) @ P["W1"] + P["b1"]
    Z2 = Z1.sigmoid() @ P["W2"] + P["b2"]
    loss = ((Tensor(d["y"]) - Z2.sigmoid()) ** 2).mean()  # the MSE the seed prints
    (loss * 0.5 if half else loss).backward()
    m = d["X"].shape[0]
    return {"d" + k: P[k].grad for k in P}, {"delta1": Z1.grad * m, "delta2": Z2.grad * m}


def _hand(d, **kw):
    return lambda: hand_backward(d["X"], d["y"], d["z1"], d["a1"], d["z2"], d["a2"], d["W2"], **kw)[:4]


def test_xor_hand_backward_is_half_the_engines_on_mse(xor):
    grads, _ = engine_grads(xor)
    r = compare_grads(_hand(xor), grads, names=NAMES)
    assert not r and all(row.factor == pytest.approx(0.5) for row in r.rows)
    text = str(r)
    assert "every gradient is 0.5 × the engine's" in text and "½·MSE" in text
    print(text)


def test_xor_with_batch_size_names_only_the_half_convention(xor):
    grads, _ = engine_grads(xor)
    r = compare_grads(_hand(xor), grads, names=NAMES, batch_size=4)
    assert "½·MSE" in r.findings[0] and "batch" not in r.findings[0]


def test_xor_matches_exactly_on_half_mse(xor):
    grads, _ = engine_grads(xor, half=True)
    r = assert_grads_close(_hand(xor), grads, names=NAMES, atol=1e-12, rtol=1e-10)
    assert r.ok and not r.findings


def test_assert_grads_close_raises_with_the_report_text(xor):
    grads, _ = engine_grads(xor)
    with pytest.raises(AssertionError) as e:
        assert_grads_close(_hand(xor), grads, names=NAMES)
    assert str(compare_grads(_hand(xor), grads, names=NAMES)) in str(e.value)


def test_first_diverging_delta_and_derivative_at_a(xor):
    grads, deltas = engine_grads(xor, half=True)
    out = hand_backward(*(xor[k] for k in ("X", "y", "z1", "a1", "z2", "a2", "W2")), deriv_at_a=True)
    hand = dict(zip(NAMES + ["delta1", "delta2"], out))
    r = compare_grads(hand, lambda: {**grads, **deltas}, forward={"z1": xor["z1"], "a1": xor["a1"]},
                      activation="sigmoid")
    assert r["delta2"].ok and r["dW2"].ok and not r["delta1"].ok and not r["dW1"].ok
    assert "δ first diverges at layer 1 (δ2 match)" in r.findings[-1] and "g'(a1) instead of g'(z1)" in r.findings[-1]


def test_deltas_argument(xor):
    grads, deltas = engine_grads(xor)
    out = hand_backward(*(xor[k] for k in ("X", "y", "z1", "a1", "z2", "a2", "W2")))
    r = compare_grads(dict(zip(NAMES, out[:4])), grads, deltas={1: (out[4], deltas["delta1"]),
                                                                2: (out[5], deltas["delta2"])})
    assert "δ first diverges at layer 2, by a factor 0.5" in str(r)


def test_missing_batch_mean_sign_and_integer_ratio():
    e = {"dW": np.array([[1.0, -2.0], [0.5, 3.0]]), "db": np.array([0.25, -1.0])}
    r = compare_grads({"dW": e["dW"] * 8, "db": e["db"] * 8}, e, batch_size=8)
    assert "every gradient is 8 × the engine's: a missing batch mean" in str(r)
    r = compare_grads({"dW": e["dW"] / 8, "db": e["db"]}, e, batch_size=8)
    assert r["db"].ok and "dW is 1/8 × the engine's: an extra batch mean" in str(r)
    r = compare_grads({"dW": -e["dW"], "db": e["db"]}, e)
    assert r["dW"].factor == pytest.approx(-1) and "sign" in r.findings[0]
    r = compare_grads({"dW": e["dW"] * 5, "db": e["db"] * 5}, e)
    assert "m = 5" in r.findings[0]


def test_transposed_non_square_is_a_shape_mismatch_with_a_hint():
    e = {"dW": np.arange(6.0).reshape(2, 3)}
    r = compare_grads({"dW": e["dW"].T}, e)
    assert not r and "transposed?" in r["dW"].diagnosis and "W vs Wᵀ" in r["dW"].diagnosis


def test_transposed_square():
    e = {"dW": np.array([[1.0, 2.0], [3.0, 4.0]])}
    r = compare_grads({"dW": e["dW"].T}, e)
    assert "transposed" in r["dW"].diagnosis


def test_swapped_parameters():
    e = {"dW1": np.array([[1.0, 2.0]]), "dW2": np.array([[3.0, 5.0]]), "db": np.array([1.0])}
    r = compare_grads({"dW1": e["dW2"], "dW2": e["dW1"], "db": e["db"]}, e)
    assert "dW1 and dW2 are swapped" in str(r) and r["db"].ok


def test_shapes_that_differ_only_by_unit_axes_are_compared():
    r = compare_grads({"db": np.array([[1.0, 2.0]])}, {"db": np.array([1.0, 2.0])})
    assert r.ok


def test_engine_nodes_and_missing_names():
    w = Value(2.0)
    (w * w).backward()
    r = compare_grads({"w": 4.0, "v": 1.0}, {"w": w})
    assert r["w"].ok and r["v"].diagnosis == "missing in engine"


def test_callable_with_tuple_needs_names():
    with pytest.raises(ValueError, match="names="):
        compare_grads(lambda: (1.0, 2.0), {"a": 1.0})


def test_worst_at_is_blank_for_matching_rows():
    """A row that matches has no "worst" element: its "worst at" column shows —; a differing row its index."""
    engine = {"W": np.array([[1.0, 2.0], [3.0, 4.0]]), "b": np.array([0.5, 0.25]), "c": 2.0}
    hand = {"W": np.array([[1.0, 2.0], [3.0, 4.5]]), "b": np.array([0.5, 0.25]), "c": 2.0}
    r = compare_grads(hand, engine)
    lines = {line.split()[0]: line for line in str(r).splitlines()[1:4]}
    head = str(r).splitlines()[0]
    col = head.index("worst at")
    assert lines["W"][col:col + 10].strip() == "(1, 1)"
    assert lines["b"][col:col + 10].strip() == "—" and lines["c"][col:col + 10].strip() == "—"
    assert r["b"].index is not None  # the row still records where its closest call was
    assert lines["b"].split()[3:] == ["ok", "—", "0.25", "0.25"]  # the other columns are unchanged
