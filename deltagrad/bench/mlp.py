"""deltagrad bench (f): a 784-256-10 relu MLP SGD step at batch 128, by hand in numpy, in deltagrad Tensors, in PyTorch."""

from __future__ import annotations

import numpy as np

from .scalar import fmt
from .tensor import KEYS, fmt_spread, max_diff, ratio_rounds

MLP_SIZES, MLP_BATCH, MLP_LR = (784, 256, 10), 128, 0.1


def mlp_problem(dtype=np.float64, sizes=MLP_SIZES, batch: int = MLP_BATCH, seed: int = 0) -> tuple:
    """(X (batch, nin), labels (batch,), weights) with W (out, in) ~ U(±1/√in) and b likewise (PyTorch's init)."""
    rng = np.random.default_rng(seed)
    (nin, nh, nout), p = sizes, {}
    X, y = rng.standard_normal((batch, nin)), rng.integers(0, nout, batch)
    for i, (m, k) in enumerate(((nin, nh), (nh, nout)), 1):
        p[f"W{i}"], p[f"b{i}"] = rng.uniform(-1, 1, (k, m)) / np.sqrt(m), rng.uniform(-1, 1, k) / np.sqrt(m)
    return X.astype(dtype), y, {k: v.astype(dtype) for k, v in p.items()}


def mlp_numpy(X, y, p: dict, lr: float = MLP_LR, late: bool = False):
    """(step, params) of a hand-written SGD step: relu hidden layer, mean softmax cross-entropy from logits.

    z1 = X W1ᵀ + b1, h = relu(z1), z2 = h W2ᵀ + b2, L = mean_k(log Σ_c e^z2[k,c] - z2[k, y_k]).
    Backward: δ2 = (softmax(z2) - onehot(y))/n, δ1 = (δ2 W2)·[z1 > 0];
    ∂L/∂W2 = δ2ᵀ h, ∂L/∂b2 = Σ_rows δ2, ∂L/∂W1 = δ1ᵀ X, ∂L/∂b1 = Σ_rows δ1 (no gradient for X).
    Each weight is updated as soon as its gradient is known. ``late=True``: all four gradients first
    (∂L/∂W1 into an array kept from step to step, as a compiled program keeps it), then the four
    updates -- the order that ``backward()`` followed by a step imposes on any autograd library.
    """
    W1, b1, W2, b2 = (p[k].copy() for k in KEYS)
    n, rows = len(X), np.arange(len(X))
    gW1 = np.empty_like(W1) if late else None

    def step() -> float:
        nonlocal W1, b1, W2, b2  # updated in place
        z1 = X @ W1.T + b1
        h = np.maximum(z1, 0)
        z2 = h @ W2.T + b2
        z2 -= z2.max(axis=1, keepdims=True)  # softmax and the loss are shift-invariant; e^z2 cannot overflow
        e = np.exp(z2)
        s = e.sum(axis=1, keepdims=True)
        loss = np.log(s).mean() - z2[rows, y].mean()
        d2 = e / s
        d2[rows, y] -= 1
        d2 /= n
        d1 = d2 @ W2
        d1 *= z1 > 0
        if late:
            gW2, gb2 = d2.T @ h, d2.sum(axis=0)  # the backward's order, then the updates in parameters() order
            np.matmul(d1.T, X, out=gW1)
            gb1 = d1.sum(axis=0)
            for w, g in zip((W1, b1, W2, b2), (gW1, gb1, gW2, gb2)):
                w -= lr * g
            return float(loss)
        W2 -= lr * (d2.T @ h)
        b2 -= lr * d2.sum(axis=0)
        W1 -= lr * (d1.T @ X)
        b1 -= lr * d1.sum(axis=0)
        return float(loss)

    return step, lambda: dict(zip(KEYS, (W1, b1, W2, b2)))


def mlp_deltagrad(X, y, p: dict, lr: float = MLP_LR):
    """(step, params, how): nn.TensorMLP (else inline X @ W.T + b), loss -mean(Σ log_softmax ⊙ onehot)."""
    from deltagrad.autograd import Tensor

    try:
        from deltagrad.nn import TensorMLP
    except ImportError:
        TensorMLP = None
    Xt = Tensor(X, requires_grad=False)
    Y = Tensor(np.eye(p["W2"].shape[0], dtype=X.dtype)[y], requires_grad=False)
    if TensorMLP is not None:
        net = TensorMLP(X.shape[1], [p["W1"].shape[0], p["W2"].shape[0]], activation="relu", dtype=X.dtype)
        for layer, i in zip(net.layers, (1, 2)):
            layer.W.data, layer.b.data = p[f"W{i}"].copy(), p[f"b{i}"].copy()
        params, how = net.parameters(), "nn.TensorMLP"
    else:
        params, how = [Tensor(p[k]) for k in KEYS], "inline X @ W.T + b"
        W1, b1, W2, b2 = params
        net = lambda x: (x @ W1.T + b1).relu() @ W2.T + b2

    def step() -> float:
        loss = -(net(Xt).log_softmax(axis=1) * Y).sum(axis=1).mean()
        for t in params:
            t.zero_grad()
        loss.backward()
        for t in params:
            t.data -= lr * t.grad
        return loss.item()

    return step, lambda: dict(zip(KEYS, (t.data for t in params))), how


def mlp_torch(X, y, p: dict, lr: float = MLP_LR):
    """(step, params): torch.nn.Linear, ReLU, F.cross_entropy, torch.optim.SGD, on CPU in X's dtype."""
    import torch

    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    layers = []
    for i in (1, 2):
        lin = torch.nn.Linear(p[f"W{i}"].shape[1], p[f"W{i}"].shape[0], dtype=Xt.dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(p[f"W{i}"])), lin.bias.copy_(torch.from_numpy(p[f"b{i}"]))
        layers.append(lin)
    net = torch.nn.Sequential(layers[0], torch.nn.ReLU(), layers[1])
    opt = torch.optim.SGD(net.parameters(), lr=lr)

    def step() -> float:
        loss = torch.nn.functional.cross_entropy(net(Xt), yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    ps = list(net.parameters())
    return step, lambda: {k: t.detach().numpy() for k, t in zip(KEYS, ps)}


def bench_mlp(cfg: dict, peers: set, out: dict) -> list[str]:
    """(f) ms per SGD step of a 784-256-10 relu MLP at batch 128, softmax cross-entropy from logits, per dtype."""
    lines = ["| dtype | engine | ms / step | deltagrad / engine |", "|---|---|---:|---:|"]
    notes = []
    for name, dtype in (("float32", np.float32), ("float64", np.float64)):
        X, y, p = mlp_problem(dtype)
        makers = {"hand-written numpy": mlp_numpy, "deltagrad Tensor": lambda *a: mlp_deltagrad(*a)[:2]}
        if "torch" in peers:
            makers["PyTorch CPU"] = mlp_torch
        one = {}  # one step from the same weights: loss, updated weights, and the update itself
        for k, make in makers.items():
            step, params = make(X, y, p)
            loss = step()
            one[k] = loss, params(), {w: params()[w].astype(np.float64) - p[w] for w in KEYS}
        ref = one["hand-written numpy"]
        scale = max(float(np.max(np.abs(v))) for v in ref[1].values())
        upd = max(float(np.max(np.abs(v))) for v in ref[2].values())
        agree = {k: (abs(v[0] - ref[0]) / abs(ref[0]), max_diff(v[1], ref[1]) / scale, max_diff(v[2], ref[2]) / upd)
                 for k, v in one.items() if k != "hand-written numpy"}
        out[f"mlp agree {name}"] = max(max(v) for v in agree.values())
        steps = {k: make(X, y, p)[0] for k, make in makers.items()}
        for s in steps.values():
            s(), s()  # warm up: first-touch of the buffers, BLAS thread start
        k = cfg["mlp_round_steps"]
        secs, spread = ratio_rounds({e: (lambda s=s, k=k: [s() for _ in range(k)]) for e, s in steps.items()},
                                    cfg["mlp_rounds"])
        ms = {e: v / k * 1e3 for e, v in secs.items()}
        dg = ms["deltagrad Tensor"]
        lines += [f"| {name} | {e} | {fmt(v)} | {dg / v:.2f} |" for e, v in ms.items()]
        out[f"mlp ratio numpy {name}"] = spread["deltagrad Tensor"][1]  # per round, deltagrad's time over numpy's
        out[f"mlp ratio torch {name}"] = dg / ms.get("PyTorch CPU", float("nan"))
        notes += [f"- {name}: deltagrad / hand-written numpy **{out[f'mlp ratio numpy {name}']:.2f}×** (each round's "
                  f"ratio over {cfg['mlp_rounds']} rounds, median (quartiles): {fmt_spread(spread['deltagrad Tensor'])})"
                  + (f", deltagrad / PyTorch **{out[f'mlp ratio torch {name}']:.2f}×**" if "PyTorch CPU" in ms else "")]
        notes += [f"- {name}, one step from the same weights, {e} vs numpy (relative): loss {a:.2g}, "
                  f"updated weights {b:.2g} (of max |W|), weight update {c:.2g} (of max |ΔW|)"
                  for e, (a, b, c) in agree.items()]
    how = mlp_deltagrad(*mlp_problem(sizes=(3, 2, 2), batch=1))[2]
    return lines + ["", f"- deltagrad network: {how}", *notes]
