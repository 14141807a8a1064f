"""deltagrad bench, scalar workload (a): one SGD step per sample of micrograd's demo MLP in every engine.

The engines (deltagrad fused and unfused, micrograd, PyTorch batch-1, a plain-float floor) start from
the same weights; the floor's hand-written backward is the independent oracle (tests/test_bench.py).
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
from itertools import pairwise
from time import perf_counter

from deltagrad.nn import MLP, SGD

SIZES = [2, 16, 16, 1]  # micrograd's demo net MLP(2, [16, 16, 1]): relu hidden, linear output
LR = 0.05


def fmt(x: float, unit: str = "") -> str:
    """3 significant digits, thousands separated; no decimals from 100 up."""
    return f"{x:,.3g}{unit}" if abs(x) < 100 else f"{x:,.0f}{unit}"


# ----------------------------------------------------------------------------- data and weights
def two_moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[list[list[float]], list[float]]:
    """n points of scikit-learn's two interleaving half circles, labels y = ±1 (numpy, fixed seed)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    t1, t2 = np.pi * rng.random(n // 2), np.pi * rng.random(n - n // 2)
    x = np.concatenate([np.c_[np.cos(t1), np.sin(t1)], np.c_[1 - np.cos(t2), 0.5 - np.sin(t2)]])
    x += rng.normal(0.0, noise, x.shape)
    y = np.r_[-np.ones(n // 2), np.ones(n - n // 2)]
    p = rng.permutation(n)
    return x[p].tolist(), y[p].tolist()


def init_weights(sizes=SIZES, seed: int = 0) -> tuple[list, list]:
    """Weights W[l][j][i] ~ U(-1, 1) and biases B[l][j] = 0 (micrograd's init), as plain floats."""
    rng = random.Random(seed)
    W = [[[rng.uniform(-1, 1) for _ in range(m)] for _ in range(k)] for m, k in pairwise(sizes)]
    return W, [[0.0] * k for k in sizes[1:]]


def flat(W: list, B: list) -> list[float]:
    """W, B in parameters() order (layer, neuron, then w₁..wₙ, b), shared by nn and micrograd."""
    return [v for Wl, Bl in zip(W, B) for w, b in zip(Wl, Bl) for v in (*w, b)]


# ----------------------------------------------------------------------------- one SGD step per sample
def floor_step(W: list, B: list, x: list[float], y: float, lr: float = LR) -> float:
    """The physical floor: one hinge-loss SGD step of the relu MLP in plain floats, no graph.

    Forward z = W a + b (summed b + w₁a₁ + ... as every engine here), a = relu(z) on hidden
    layers; L = max(0, 1 - y·score); backward by hand: δ^(L) = -y·[1 - y·score > 0],
    δ^(l) = (W^(l+1)ᵀ δ^(l+1)) ⊙ [z^(l) > 0], ∂L/∂W^(l) = δ^(l) a^(l-1)ᵀ; W, B updated in place.
    Returns the loss before the update.
    """
    acts, zs, a, last = [x], [], x, len(W) - 1
    for l, (Wl, Bl) in enumerate(zip(W, B)):
        z = []
        for w, b in zip(Wl, Bl):
            s = b
            for wi, ai in zip(w, a):
                s += wi * ai
            z.append(s)
        zs.append(z)
        a = z if l == last else [v if v > 0.0 else 0.0 for v in z]
        acts.append(a)
    m = 1.0 + -y * a[0]
    d = [-y if m > 0.0 else 0.0]
    for l in range(last, -1, -1):
        Wl, Bl, ap = W[l], B[l], acts[l]
        if l:
            da = [0.0] * len(ap)
            for dj, w in zip(d, Wl):
                for i, wi in enumerate(w):
                    da[i] += dj * wi
        for j, (dj, w) in enumerate(zip(d, Wl)):
            for i, ai in enumerate(ap):
                w[i] -= lr * dj * ai
            Bl[j] -= lr * dj
        if l:
            d = [g if z > 0.0 else 0.0 for g, z in zip(da, zs[l - 1])]
    return m if m > 0.0 else 0.0


def _deltagrad(W, B, fused: bool = True):
    net = MLP(2, SIZES[1:], seed=0, fused=fused)
    for p, v in zip(net.parameters(), flat(W, B)):
        p.data = v
    opt = SGD(net.parameters(), lr=LR)

    def step(x, y):
        loss = (1.0 + -y * net(x)).relu()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.data

    return step, lambda: [p.data for p in net.parameters()]


def _micrograd(W, B):
    from micrograd.nn import MLP as MgMLP

    net = MgMLP(2, SIZES[1:])
    params = net.parameters()
    for p, v in zip(params, flat(W, B)):
        p.data = v

    def step(x, y):
        loss = (1.0 + -y * net(x)).relu()
        net.zero_grad()
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        return loss.data

    return step, lambda: [p.data for p in params]


def _torch(W, B):
    import torch

    torch.set_num_threads(1)
    layers = []
    for Wl, Bl in zip(W, B):
        lin = torch.nn.Linear(len(Wl[0]), len(Wl), dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(Wl, dtype=torch.float64))
            lin.bias.copy_(torch.tensor(Bl, dtype=torch.float64))
        layers += [lin, torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers[:-1])
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    cache: dict = {}

    def step(x, y):
        xt = cache.get(id(x))
        if xt is None:  # the data become tensors once, outside the steady state
            xt = cache[id(x)] = torch.tensor([x], dtype=torch.float64)
        loss = torch.relu(1.0 - y * net(xt))  # batch of 1: shape (1, 1)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    def params():
        ps = list(net.parameters())  # weight (out, in), bias (out,) per layer -> parameters() order
        return [v for w, b in zip(ps[::2], ps[1::2]) for row, bj in zip(w.tolist(), b.tolist()) for v in (*row, bj)]

    return step, params


def _floor(W, B):
    W, B = [[list(w) for w in Wl] for Wl in W], [list(b) for b in B]
    return (lambda x, y: floor_step(W, B, x, y)), lambda: flat(W, B)


ENGINES = {  # column name: (maker, peer package or None)
    "deltagrad": (_deltagrad, None),
    "deltagrad unfused": (lambda W, B: _deltagrad(W, B, fused=False), None),
    "micrograd 0.1.0": (_micrograd, "micrograd"),
    "plain-float floor": (_floor, None),
    "PyTorch batch-1": (_torch, "torch"),  # last: importing torch makes every later gc pass slower
}


def time_steps(steps: dict, xs, ys, samples: int, repeats: int) -> dict[str, float]:
    """Median µs per sample-step of each ``label: (step, gc_on)``; the engines take turns in every repeat
    (so drift in machine load hits all alike), and each repeat is ``samples`` steps through the data."""
    for step, _ in steps.values():
        step(xs[0], ys[0])  # warm up
    out: dict = {k: [] for k in steps}
    for r in range(repeats):
        for label, (step, gc_on) in steps.items():
            gc.collect()
            if not gc_on:
                gc.disable()
            t = perf_counter()
            for i in range(r * samples, (r + 1) * samples):
                step(xs[i % len(xs)], ys[i % len(ys)])
            out[label].append((perf_counter() - t) / samples * 1e6)
            gc.enable()
    gc.collect()
    return {k: statistics.median(v) for k, v in out.items()}



# ----------------------------------------------------------------------------- the workload and its targets
def bench_steps(cfg: dict, peers: set, out: dict) -> list[str]:
    """(a) µs per SGD sample-step of MLP(2, [16, 16, 1]), hinge loss, two moons, every engine from the same weights."""
    xs, ys = two_moons(100)
    W, B = init_weights()
    steps, agree, notes, ref, rows = {}, [], [], None, None
    fresh = lambda name, gc_on=True: (ENGINES[name][0](W, B)[0], gc_on)
    run = lambda steps: time_steps(steps, xs, ys, cfg["samples"], cfg["repeats"])
    for name, (make, pkg) in ENGINES.items():
        if pkg and pkg not in peers:
            continue
        if name == "PyTorch batch-1":  # time the others first: importing torch slows every later gc pass
            rows = run(steps)
        try:
            step, params = make(W, B)  # one step from the shared weights: every engine must agree
        except Exception as e:
            notes.append(f"- {name}: skipped ({type(e).__name__}: {e})")
            continue
        loss, p = step(xs[0], ys[0]), params()
        ref = ref or (loss, p)
        agree.append(max(abs(loss - ref[0]), *(abs(a - b) for a, b in zip(p, ref[1]))))
        steps[name] = fresh(name)
        if name in ("deltagrad", "micrograd 0.1.0"):
            steps[f"{name}, gc off"] = fresh(name, gc_on=False)
    torch_step = steps.pop("PyTorch batch-1", None)
    rows = rows or run(steps)
    if torch_step:
        rows["PyTorch batch-1"] = run({"PyTorch batch-1": torch_step})["PyTorch batch-1"]
    dg = rows["deltagrad"]
    out["speedup"] = rows.get("micrograd 0.1.0", float("nan")) / dg
    lines = ["| engine | µs / sample-step | × deltagrad time |", "|---|---:|---:|"]
    lines += [f"| {k} | {fmt(v)} | {v / dg:.2f} |" for k, v in rows.items() if "gc off" not in k]
    lines += ["", f"- micrograd / deltagrad (speedup): **{fmt(out['speedup'])}×**",
              f"- deltagrad / plain-float floor: **{fmt(dg / rows['plain-float floor'])}×**"]
    if torch_step:
        lines.append(f"- PyTorch batch-1 / deltagrad: **{fmt(rows['PyTorch batch-1'] / dg)}×**")
    lines.append(f"- agreement after one step from the same weights (loss and all {len(ref[1])} updated "
                 f"parameters, max |Δ| over engines): {max(agree):.2g}")
    for name in ("deltagrad", "micrograd 0.1.0"):
        if f"{name}, gc off" in rows:
            off = rows[f"{name}, gc off"]
            out[f"gc {name}"] = 1 - off / rows[name]
            notes.append(f"- {name} with gc disabled: {fmt(off)} µs, so cyclic GC takes "
                         f"**{100 * out[f'gc {name}']:.0f} %** of its step time")
    lines += notes
    if "torch" in sys.modules:  # gc cost grows with the live heap: the same steps once torch is loaded
        n = len(gc.get_objects())
        again = run({k: fresh(k) for k in ("deltagrad", "micrograd 0.1.0") if k in rows})
        lines.append(f"- the same steps again after `import torch` ({n:,} gc-tracked objects alive): "
                     + ", ".join(f"{k} {fmt(v)} µs" for k, v in again.items())
                     + (f" — speedup {again['micrograd 0.1.0'] / again['deltagrad']:.1f}×" if len(again) == 2 else ""))
    return lines



def targets(out: dict) -> list[str]:
    def verdict(ok):
        return "**met**" if ok else "**not met**"

    lines = []
    if "speedup" in out and out["speedup"] == out["speedup"]:
        lines.append(f"- (a) ≥ 5× micrograd's throughput: {out['speedup']:.1f}× — {verdict(out['speedup'] >= 5)}")
    for g, eng, what in (("chain", "deltagrad", "chain: the same nodes in both engines"),
                         ("MLP s", "deltagrad", "MLP sample graph, fused neurons"),
                         ("MLP s", "deltagrad unfused", "MLP sample graph, unfused: micrograd's node structure")):
        mg = out.get(f"bytes micrograd 0.1.0 {g}")
        if mg:
            r = out[f"bytes {eng} {g}"] / mg
            lines.append(f"- (d) ≤ ½ micrograd's bytes per node ({what}): {r:.2f}× — {verdict(r <= 0.5)}")
    if out.get("graph micrograd 0.1.0 MLP s"):
        r = out["graph deltagrad MLP s"] / out["graph micrograd 0.1.0 MLP s"]
        lines.append(f"- (d, for context) bytes per whole MLP sample graph, fused deltagrad / micrograd: {r:.2f}×")
    cyc = [out[k] for k in out if k.startswith("gc objs deltagrad")]
    lines.append(f"- (d) no reference cycles per node (gc finds {max(cyc)} objects after dropping a "
                 f"deltagrad graph) — {verdict(max(cyc) == 0)}")
    return lines

