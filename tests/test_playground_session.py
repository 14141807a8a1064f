"""The playground session's numbers against an independent numpy derivation (hand-written backprop)."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from deltagrad.data import DataError
from deltagrad.playground.datasets import GENERATORS, PLANE, make_dataset
from deltagrad.playground.session import Session
from deltagrad.playground.state import defaults


def weights(s: Session) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(lin.W.data.copy(), lin.b.data.copy()) for lin in s.layers]


G = {  # activation, its derivative from its output a and input z (textbook formulas)
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
    "linear": (lambda z: z, lambda z: np.ones_like(z)),
}


def numpy_backprop(Wb, acts, X, t, loss):
    """Forward and backward by hand: returns (loss, zs, as, deltas, dWs, dbs) for the batch mean loss."""
    a, zs, As = X, [], []
    for (W, b), name in zip(Wb, acts):
        z = a @ W.T + b
        a = G[name][0](z)
        zs.append(z)
        As.append(a)
    n, out = len(X), As[-1]
    if loss == "bce":  # L = mean(softplus(z) - t z), dL/dz = (σ(z) - t) / n
        L = np.mean(np.logaddexp(0, out) - t * out)
        dout = (1 / (1 + np.exp(-out)) - t) / n
    elif loss == "mse":  # L = mean((a - t)²)
        L = np.mean((out - t) ** 2)
        dout = 2 * (out - t) / n
    elif loss == "hinge":  # L = mean(max(0, 1 - t a))
        L = np.mean(np.maximum(0, 1 - t * out))
        dout = np.where(1 - t * out > 0, -t, 0.0) / n
    deltas = [None] * len(Wb)
    deltas[-1] = dout * G[acts[-1]][1](zs[-1])
    for l in range(len(Wb) - 2, -1, -1):
        deltas[l] = (deltas[l + 1] @ Wb[l + 1][0]) * G[acts[l]][1](zs[l])
    ins = [X, *As[:-1]]
    dWs = [d.T @ a_in for d, a_in in zip(deltas, ins)]
    dbs = [d.sum(0) for d in deltas]
    return L, zs, As, deltas, dWs, dbs


@pytest.mark.parametrize("act,loss", [("tanh", "bce"), ("relu", "mse"), ("sigmoid", "hinge")])
def test_selected_sample_matches_numpy(act, loss):
    s = Session({"dataset": "circles", "n_points": 60, "hidden": [5, 3], "activation": act, "loss": loss, "seed": 3})
    s.step(7)
    k = 11
    got = s.sample(k)
    x, t = s.X_train[k:k + 1], s.t_train[k:k + 1]
    L, zs, As, deltas, dWs, dbs = numpy_backprop(weights(s), s.act_names, x, t, loss)
    assert got["loss"] == pytest.approx(L, rel=1e-9)
    for l in range(3):
        np.testing.assert_allclose(got["z"][l], zs[l][0], atol=1e-6)
        np.testing.assert_allclose(got["a"][l], As[l][0], atol=1e-6)
        np.testing.assert_allclose(got["delta"][l], deltas[l][0], atol=1e-6)
        np.testing.assert_allclose(got["dW"][l], dWs[l], atol=1e-6)
        np.testing.assert_allclose(got["db"][l], dbs[l], atol=1e-6)
    # the chain-rule terms sum to δ: δⱼ = g'(zⱼ) Σₖ Wₖⱼ δₖ
    for l in range(2):
        for j, terms in enumerate(got["terms"][l]):
            total = sum(w * d for _, w, d in terms)
            assert got["gprime"][l][j] * total == pytest.approx(deltas[l][0, j], abs=1e-6)
            np.testing.assert_allclose(got["gprime"][l][j], G[act][1](zs[l][0, j]), atol=1e-6)


@pytest.mark.parametrize("opt", ["sgd", "momentum"])
def test_minibatch_steps_match_numpy_sgd(opt):
    state = {"dataset": "xor", "n_points": 40, "hidden": [4], "activation": "tanh", "loss": "bce", "lr": 0.1,
             "batch_size": 8, "l2": 0.01, "optimizer": opt, "seed": 5}
    s = Session(state)
    Wb = weights(s)
    # the session's batch order, replayed from its own generator state before stepping
    order = s._order.copy()
    velocity = [(np.zeros_like(W), np.zeros_like(b)) for W, b in Wb]
    mu = 0.9 if opt == "momentum" else 0.0
    for i in range(3):
        rows = order[8 * i:8 * i + 8]
        *_, dWs, dbs = numpy_backprop(Wb, s.act_names, s.X_train[rows], s.t_train[rows], "bce")
        new = []
        for l, ((W, b), dW, db) in enumerate(zip(Wb, dWs, dbs)):
            gW, gb = dW + 0.01 * W, db  # L2: ∂(λ/2·Σw²)/∂W = λW on the weights; the biases are not decayed
            vW, vb = (gW, gb) if i == 0 or mu == 0 else (mu * velocity[l][0] + gW, mu * velocity[l][1] + gb)
            velocity[l] = (vW, vb)
            new.append((W - 0.1 * vW, b - 0.1 * vb))
        Wb = new
    s.step(3)
    for (W, b), (W2, b2) in zip(Wb, weights(s)):
        np.testing.assert_allclose(W2, W, atol=1e-12)
        np.testing.assert_allclose(b2, b, atol=1e-12)
    # the recorded losses are the full train and test data losses (without the penalty)
    L_train = numpy_backprop(Wb, s.act_names, s.X_train, s.t_train, "bce")[0]
    L_test = numpy_backprop(Wb, s.act_names, s.X_test, s.t_test, "bce")[0]
    assert s.history[-1] == (3, pytest.approx(L_train, rel=1e-12), pytest.approx(L_test, rel=1e-12))


def test_frame_grids_are_the_net_over_the_plane():
    s = Session({"dataset": "moons", "n_points": 50, "hidden": [3, 2], "grid": 12})
    s.step(4)
    f = s.frame()
    g = 12
    xs = np.linspace(-PLANE, PLANE, g)
    gx, gy = np.meshgrid(xs, xs[::-1])
    _, _, As, *_ = numpy_backprop(weights(s), s.act_names, np.stack([gx.ravel(), gy.ravel()], 1),
                                  np.zeros((g * g, 1)), "bce")
    unpack = lambda text: np.frombuffer(base64.b64decode(text), dtype="<f4")
    np.testing.assert_allclose(unpack(f["boundary"]), As[-1][:, 0], atol=1e-5)
    for l in range(2):
        for j in range(s.sizes[l + 1]):
            np.testing.assert_allclose(unpack(f["heatmaps"][l][j]), As[l][:, j], atol=1e-5)
    # row 0 is the top of the plane: its first cell is the point (-PLANE, +PLANE)
    top_left = numpy_backprop(weights(s), s.act_names, np.array([[-PLANE, PLANE]]), np.zeros((1, 1)), "bce")[2]
    assert unpack(f["boundary"])[0] == pytest.approx(top_left[-1][0, 0], abs=1e-5)
    assert f["steps"] == 4 and f["sizes"] == [2, 3, 2, 1]


def test_training_reduces_the_loss_and_is_reproducible():
    a = Session({"dataset": "blobs", "n_points": 100, "lr": 0.1, "seed": 2})
    b = Session({"dataset": "blobs", "n_points": 100, "lr": 0.1, "seed": 2})
    a.step(100)
    b.step(100)
    assert a.history[-1] == b.history[-1]
    assert a.history[-1][1] < 0.5 * a.history[0][1]
    assert a.accuracy()["test"] > 0.9


def test_datasets_shapes_labels_and_plane():
    for name in [*GENERATORS, "iris"]:
        X, y = make_dataset({**defaults(), "dataset": name, "n_points": 101, "noise": 0.0})
        assert X.shape[1] == 2 and set(y.tolist()) == {0.0, 1.0}, name
        assert np.all(np.abs(X) < 2.0), name
    X, y = make_dataset({**defaults(), "dataset": "xor", "n_points": 200, "noise": 0.0})
    assert np.all((X[:, 0] * X[:, 1] > 0) == (y == 1))  # XOR: the label is the sign of x₁x₂
    X, y = make_dataset({**defaults(), "dataset": "circles", "n_points": 200, "noise": 0.0})
    r = np.hypot(X[:, 0], X[:, 1])
    assert r[y == 1].max() < r[y == 0].min()
    X, y = make_dataset({**defaults(), "dataset": "iris", "iris_class": "setosa"})
    assert len(X) == 150 and y.sum() == 50
    with pytest.raises(DataError, match="--csv"):
        make_dataset({**defaults(), "dataset": "csv"})


def test_bench_workload_is_the_issue_s_and_runs():
    from deltagrad.bench import playground as bench_pg
    from deltagrad.playground.state import from_hash

    state, _, errors = from_hash(bench_pg.WORKLOAD)
    assert errors == [] and state["hidden"] == [8, 8] and state["n_points"] == 500 and state["grid"] == 50
    assert state["steps_per_frame"] == 10 and state["optimizer"] == "sgd"
    out: dict = {}
    lines = bench_pg.bench_frame({"repeats": 1}, set(), out)
    assert out["playground ms per frame"] > 0 and lines[2].startswith("| 10 |")


def numpy_softmax_ce(Wb, acts, X, y):
    """Softmax cross-entropy by hand: L = mean(logsumexp(z) − z[y]), δ_out = (softmax(z) − onehot(y)) / n."""
    a, zs, As = X, [], []
    for (W, b), name in zip(Wb, acts):
        z = a @ W.T + b
        a = G[name][0](z)
        zs.append(z)
        As.append(a)
    out, n = As[-1], len(X)
    m = out.max(1, keepdims=True)
    p = np.exp(out - m) / np.exp(out - m).sum(1, keepdims=True)
    onehot = np.eye(out.shape[1])[y]
    L = np.mean(np.log(np.exp(out - m).sum(1)) + m[:, 0] - out[np.arange(n), y])
    deltas = [None] * len(Wb)
    deltas[-1] = (p - onehot) / n  # the output is linear: g' = 1
    for l in range(len(Wb) - 2, -1, -1):
        deltas[l] = (deltas[l + 1] @ Wb[l + 1][0]) * G[acts[l]][1](zs[l])
    ins = [X, *As[:-1]]
    return L, zs, As, deltas, [d.T @ a_in for d, a_in in zip(deltas, ins)], [d.sum(0) for d in deltas], p


@pytest.mark.parametrize("state", [{"dataset": "iris", "iris_class": "all"},
                                   {"dataset": "blobs", "classes": 4, "n_points": 80}])
def test_softmax_ce_sample_matches_numpy(state):
    s = Session({**state, "loss": "softmax_ce", "hidden": [5, 3], "activation": "tanh", "seed": 4, "lr": 0.1})
    k_classes = 3 if state["dataset"] == "iris" else 4
    assert s.sizes == [2, 5, 3, k_classes] and s.k == k_classes and set(s.y_train.tolist()) == set(range(k_classes))
    s.step(9)
    k = 7
    got = s.sample(k)
    y = s.y_train[k:k + 1].astype(int)
    L, zs, As, deltas, dWs, dbs, p = numpy_softmax_ce(weights(s), s.act_names, s.X_train[k:k + 1], y)
    assert got["loss"] == pytest.approx(L, rel=1e-9) and got["target"] == got["label"] == y[0]
    np.testing.assert_allclose(got["probs"], p[0], atol=1e-9)
    np.testing.assert_allclose(got["dL_dout"], deltas[-1][0], atol=1e-9)
    for l in range(3):
        np.testing.assert_allclose(got["z"][l], zs[l][0], atol=1e-9)
        np.testing.assert_allclose(got["a"][l], As[l][0], atol=1e-9)
        np.testing.assert_allclose(got["delta"][l], deltas[l][0], atol=1e-9)
        np.testing.assert_allclose(got["dW"][l], dWs[l], atol=1e-9)
        np.testing.assert_allclose(got["db"][l], dbs[l], atol=1e-9)


def test_softmax_ce_steps_boundary_and_accuracy_match_numpy():
    state = {"dataset": "blobs", "classes": 3, "n_points": 60, "loss": "softmax_ce", "hidden": [4], "lr": 0.2,
             "batch_size": 6, "seed": 1, "grid": 10}
    s = Session(state)
    Wb, order = weights(s), s._order.copy()
    for i in range(4):
        rows = order[6 * i:6 * i + 6]
        *_, dWs, dbs, _ = numpy_softmax_ce(Wb, s.act_names, s.X_train[rows], s.y_train[rows].astype(int))
        Wb = [(W - 0.2 * dW, b - 0.2 * db) for (W, b), dW, db in zip(Wb, dWs, dbs)]
    s.step(4)
    for (W, b), (W2, b2) in zip(Wb, weights(s)):
        np.testing.assert_allclose(W2, W, atol=1e-12)
        np.testing.assert_allclose(b2, b, atol=1e-12)
    L_test = numpy_softmax_ce(Wb, s.act_names, s.X_test, s.y_test.astype(int))[0]
    assert s.history[-1][2] == pytest.approx(L_test, rel=1e-12)
    # the boundary: predicted class c plus its probability p in each cell
    xs = np.linspace(-PLANE, PLANE, 10)
    gx, gy = np.meshgrid(xs, xs[::-1])
    grid = np.stack([gx.ravel(), gy.ravel()], 1)
    p = numpy_softmax_ce(Wb, s.act_names, grid, np.zeros(100, dtype=int))[-1]
    f = s.frame()
    got = np.frombuffer(base64.b64decode(f["boundary"]), dtype="<f4")
    np.testing.assert_allclose(got, p.argmax(1) + p.max(1), atol=1e-5)
    assert f["multi"] is True and f["sizes"] == [2, 4, 3]
    p_train = numpy_softmax_ce(Wb, s.act_names, s.X_train, s.y_train.astype(int))[-1]
    assert f["accuracy"]["train"] == pytest.approx(np.mean(p_train.argmax(1) == s.y_train))


def test_softmax_ce_learns_iris_and_blobs_and_binary_losses_refuse_k_classes():
    iris = Session({"dataset": "iris", "iris_class": "all", "loss": "softmax_ce", "lr": 0.1, "seed": 0})
    iris.step(300)
    assert iris.accuracy()["test"] > 0.85 and iris.points()["classes"] == ["setosa", "versicolor", "virginica"]
    blobs = Session({"dataset": "blobs", "classes": 5, "n_points": 300, "loss": "softmax_ce", "lr": 0.1, "seed": 0})
    blobs.step(300)
    assert blobs.accuracy()["test"] > 0.85
    from deltagrad.playground.state import StateError
    with pytest.raises(StateError, match="softmax_ce"):
        Session({"dataset": "blobs", "classes": 3, "loss": "bce"})
    # softmax_ce on two classes: two outputs
    assert Session({"dataset": "moons", "loss": "softmax_ce"}).sizes == [2, 4, 4, 2]


def test_adam_with_l2_steps_match_numpy():
    """Adam (Kingma & Ba 2015, Algorithm 1) on data loss + λ/2·Σ‖W‖² (weights only), 5 minibatch steps, by hand."""
    lam, lr, b1, b2, eps = 0.05, 0.02, 0.9, 0.999, 1e-8
    state = {"dataset": "moons", "n_points": 50, "hidden": [4, 3], "activation": "tanh", "loss": "bce", "lr": lr,
             "batch_size": 7, "l2": lam, "optimizer": "adam", "seed": 8}
    s = Session(state)
    Wb, order = weights(s), s._order.copy()
    m = [(np.zeros_like(W), np.zeros_like(b)) for W, b in Wb]
    v = [(np.zeros_like(W), np.zeros_like(b)) for W, b in Wb]
    for t in range(1, 6):
        rows = order[7 * (t - 1):7 * t]
        *_, dWs, dbs = numpy_backprop(Wb, s.act_names, s.X_train[rows], s.t_train[rows], "bce")
        new = []
        for l, ((W, b), dW, db) in enumerate(zip(Wb, dWs, dbs)):
            upd = []
            for i, (p, g) in enumerate(((W, dW + lam * W), (b, db))):  # ∂/∂W of λ/2·Σw² is λW; biases: none
                m_i = b1 * m[l][i] + (1 - b1) * g
                v_i = b2 * v[l][i] + (1 - b2) * g * g
                m_hat, v_hat = m_i / (1 - b1 ** t), v_i / (1 - b2 ** t)
                upd.append((p - lr * m_hat / (np.sqrt(v_hat) + eps), m_i, v_i))
            m[l], v[l] = (upd[0][1], upd[1][1]), (upd[0][2], upd[1][2])
            new.append((upd[0][0], upd[1][0]))
        Wb = new
    s.step(5)
    for (W, b), (W2, b2) in zip(Wb, weights(s)):
        np.testing.assert_allclose(W2, W, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(b2, b, rtol=1e-10, atol=1e-12)
    # without the penalty the weights end elsewhere: the test can see L2
    plain = Session({**state, "l2": 0.0})
    plain.step(5)
    assert np.abs(weights(plain)[0][0] - Wb[0][0]).max() > 1e-4


@pytest.mark.parametrize("loss", ["bce", "softmax_ce"])
def test_sample_view_includes_the_l2_term(loss):
    """With λ > 0 the sample's loss is ℓ + λ/2·Σw² and its ∂L/∂W is δ aᵀ + λW; δ and ∂L/∂b are the data loss's."""
    lam = 0.3
    state = {"dataset": "blobs", "classes": 3 if loss == "softmax_ce" else 2, "n_points": 60, "hidden": [4],
             "activation": "tanh", "loss": loss, "l2": lam, "lr": 0.1, "seed": 6}
    s = Session(state)
    s.step(6)
    k = 5
    got, Wb = s.sample(k), weights(s)
    x = s.X_train[k:k + 1]
    if loss == "bce":
        L, _, _, deltas, dWs, dbs = numpy_backprop(Wb, s.act_names, x, s.t_train[k:k + 1], "bce")
    else:
        L, _, _, deltas, dWs, dbs, _ = numpy_softmax_ce(Wb, s.act_names, x, s.y_train[k:k + 1].astype(int))
    penalty = lam / 2 * sum(np.sum(W ** 2) for W, _ in Wb)
    assert got["data_loss"] == pytest.approx(L, rel=1e-12) and got["penalty"] == pytest.approx(penalty, rel=1e-12)
    assert got["loss"] == pytest.approx(L + penalty, rel=1e-12) and got["l2"] == lam
    for l, (W, _) in enumerate(Wb):
        np.testing.assert_allclose(got["dW"][l], dWs[l] + lam * W, atol=1e-12)
        np.testing.assert_allclose(got["db"][l], dbs[l], atol=1e-12)
        np.testing.assert_allclose(got["delta"][l], deltas[l][0], atol=1e-12)
    # λ = 0: the loss is the data loss and there is no penalty
    zero = Session({**state, "l2": 0.0}).sample(k)
    assert zero["penalty"] == 0.0 and zero["loss"] == zero["data_loss"]
