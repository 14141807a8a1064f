"""deltagrad bench (e): the seed's 2-3-1 sigmoid XOR net, full batch: by hand in numpy, deltagrad (nn modules and seed-style ops), PyTorch."""

from __future__ import annotations

import numpy as np

from .tensor import KEYS, fmt_spread, max_diff, ratio_rounds, resumed

XOR_LR, XOR_SEED = 0.1, 1
XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])


def xor_init(seed: int = XOR_SEED) -> dict:
    """The seed's 2-3-1 net in its X @ W1 + b1 layout: W ~ N(0, 1), b = 0, rows of b broadcast."""
    rng = np.random.default_rng(seed)
    return {"W1": rng.standard_normal((2, 3)), "b1": np.zeros((1, 3)), "W2": rng.standard_normal((3, 1)),
            "b2": np.zeros((1, 1))}


def xor_numpy(p: dict, epochs: int, lr: float = XOR_LR) -> tuple[float, dict]:
    """Full-batch gradient descent on XOR by hand; returns (loss at the last forward, final weights).

    a1 = σ(X W1 + b1), a2 = σ(a1 W2 + b2), L = ½·mean((a2 - y)²) over the n = 4 samples.
    Backward: δ2 = ∂L/∂z2 = (a2 - y)·a2(1 - a2)/n, δ1 = (δ2 W2ᵀ)·a1(1 - a1);
    ∂L/∂W2 = a1ᵀ δ2, ∂L/∂b2 = Σ_rows δ2, ∂L/∂W1 = Xᵀ δ1, ∂L/∂b1 = Σ_rows δ1.
    """
    W1, b1, W2, b2 = (p[k].copy() for k in KEYS)
    X, y, n = XOR_X, XOR_Y, len(XOR_X)
    for _ in range(epochs):
        a1 = 1.0 / (1.0 + np.exp(-(X @ W1 + b1)))
        a2 = 1.0 / (1.0 + np.exp(-(a1 @ W2 + b2)))
        d2 = (a2 - y) * a2 * (1.0 - a2) / n
        d1 = (d2 @ W2.T) * a1 * (1.0 - a1)  # before W2 moves
        W2 -= lr * (a1.T @ d2)
        b2 -= lr * d2.sum(axis=0, keepdims=True)
        W1 -= lr * (X.T @ d1)
        b1 -= lr * d1.sum(axis=0, keepdims=True)
    return 0.5 * float(np.mean((a2 - y) ** 2)), dict(zip(KEYS, (W1, b1, W2, b2)))


def xor_deltagrad(p: dict, epochs: int, lr: float = XOR_LR) -> tuple[float, dict]:
    """The same training written the way the library is meant to be used: ``nn.Sequential`` of
    ``nn.Linear`` (one fused x Wᵀ + b node; W is the seed's W1 transposed) and sigmoid, the loss
    ``nn.half_mse`` (one fused node) and ``nn.SGD``: forward, zero_grad, backward, step."""
    from deltagrad.autograd import Tensor
    from deltagrad.nn import SGD, Activation, Linear, Sequential, half_mse

    l1, l2 = Linear(2, 3, layer=1), Linear(3, 1, layer=2)
    l1.load_state_dict({"layer1.W": p["W1"].T, "layer1.b": p["b1"].ravel()})
    l2.load_state_dict({"layer2.W": p["W2"].T, "layer2.b": p["b2"].ravel()})
    model = Sequential(l1, Activation("sigmoid"), l2, Activation("sigmoid"))
    X, y = Tensor(XOR_X, requires_grad=False), Tensor(XOR_Y, requires_grad=False)
    opt = SGD(model.parameters(), lr=lr)
    for _ in range(epochs):
        loss = half_mse(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item(), {"W1": l1.W.data.T, "b1": l1.b.data[None, :], "W2": l2.W.data.T, "b2": l2.b.data[None, :]}


def xor_deltagrad_ops(p: dict, epochs: int, lr: float = XOR_LR) -> tuple[float, dict]:
    """The same training in Tensor ops exactly as the seed writes its numpy: X @ W1 + b1, σ, and the
    loss written out, ``0.5 * ((a2 - y) ** 2).mean()`` -- ten nodes, the graph a learner draws."""
    from deltagrad.autograd import Tensor

    X, y = Tensor(XOR_X, requires_grad=False), Tensor(XOR_Y, requires_grad=False)
    params = [Tensor(p[k], label=k) for k in KEYS]
    W1, b1, W2, b2 = params
    for _ in range(epochs):
        a1 = (X @ W1 + b1).sigmoid()
        a2 = (a1 @ W2 + b2).sigmoid()
        loss = 0.5 * ((a2 - y) ** 2).mean()
        for t in params:
            t.zero_grad()
        loss.backward()
        for t in params:
            t.data -= lr * t.grad
    return loss.item(), {k: t.data for k, t in zip(KEYS, params)}


def xor_torch(p: dict, epochs: int, lr: float = XOR_LR) -> tuple[float, dict]:
    """The same training in PyTorch (float64) written as PyTorch is meant to be used: ``nn.Sequential``
    of ``nn.Linear`` and ``nn.Sigmoid``, ``0.5 * F.mse_loss``, ``optim.SGD``."""
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sigmoid(), torch.nn.Linear(3, 1), torch.nn.Sigmoid())
    model = model.double()
    with torch.no_grad():
        for layer, w, b in ((model[0], "W1", "b1"), (model[2], "W2", "b2")):
            layer.weight.copy_(torch.from_numpy(p[w].T))
            layer.bias.copy_(torch.from_numpy(p[b].ravel()))
    X, y = torch.from_numpy(XOR_X), torch.from_numpy(XOR_Y)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    mse_loss = torch.nn.functional.mse_loss
    for _ in range(epochs):
        loss = 0.5 * mse_loss(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    out = {"W1": model[0].weight.T, "b1": model[0].bias[None, :], "W2": model[2].weight.T, "b2": model[2].bias[None, :]}
    return loss.item(), {k: v.detach().numpy() for k, v in out.items()}


DG, DG_OPS, NUMPY, TORCH = ("deltagrad nn (Linear, sigmoid, half_mse, SGD)", "deltagrad Tensor ops as the seed writes them",
                             "hand-written numpy", "PyTorch nn (Linear, Sigmoid, mse_loss, SGD)")


def bench_xor(cfg: dict, peers: set, out: dict) -> list[str]:
    """(e) seconds per 10,000 full-batch epochs of the seed's 2-3-1 sigmoid XOR net (½·MSE, lr 0.1), float64."""
    p, E, R = xor_init(), cfg["xor_round_epochs"], cfg["xor_rounds"]
    makers = {NUMPY: xor_numpy, DG: xor_deltagrad, DG_OPS: xor_deltagrad_ops}
    if "torch" in peers:
        makers[TORCH] = xor_torch
    trainers = {k: resumed(f, p) for k, f in makers.items()}  # each goes on from where its last round stopped
    losses: dict = {}
    secs, spread = ratio_rounds({k: (lambda k=k, t=t: losses.__setitem__(k, t(E))) for k, (t, _) in trainers.items()},
                                R)
    per = {k: v * 10_000 / E for k, v in secs.items()}
    lines = [(f"| engine | s / 10,000 epochs | × hand-written numpy (median of the rounds, quartiles) "
             f"| final loss ({R * E:,} epochs) |"), "|---|---:|---:|---:|"]
    lines += [f"| {k} | {v:.3f} | {fmt_spread(spread[k])} | {losses[k]:.12f} |" for k, v in per.items()]
    weights = {k: w() for k, (_, w) in trainers.items()}
    dl = max(abs(loss - losses[NUMPY]) for loss in losses.values())
    dw = max(max_diff(w, weights[NUMPY]) for w in weights.values())
    out["xor ratio numpy"] = spread[DG][1]
    out["xor ratio numpy ops"] = spread[DG_OPS][1]
    out["xor ratio torch"] = per[DG] / per.get(TORCH, float("nan"))
    out["xor agree"] = max(dl, dw)
    lines += ["", (f"- {DG} / hand-written numpy: **{out['xor ratio numpy']:.2f}×** "
                   f"({DG_OPS}: {out['xor ratio numpy ops']:.2f}×)")]
    if TORCH in per:
        lines.append(f"- {DG} / {TORCH}: **{out['xor ratio torch']:.2f}×**")
    lines.append(f"- agreement of every engine with hand-written numpy after {R * E:,} epochs: "
                 f"max |Δ loss| {dl:.2g}, max |Δ weight| {dw:.2g}")
    return lines
