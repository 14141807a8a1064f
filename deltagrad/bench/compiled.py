"""deltagrad bench (g): graphs compiled by ``deltagrad.autograd.compile`` against the code a person writes by hand.

Three workloads, each side by side in one process with the engines taking turns, same initial weights:
the seed's XOR net written op by op (vs hand-written numpy), micrograd's demo net MLP(2, [16, 16, 1])
one sample at a time (vs the plain-float floor and micrograd), and the 784-256-10 step (vs numpy).
The compiled program is made once from one recorded forward; each step then calls ``run()``.
"""

from __future__ import annotations

import copy

import numpy as np

from .mlp import MLP_LR, mlp_numpy, mlp_problem
from .scalar import LR, flat, floor_step, init_weights, two_moons
from .tensor import KEYS, fmt_spread, max_diff, ratio_rounds, resumed, take_turns
from .xor import XOR_LR, XOR_X, XOR_Y, xor_deltagrad_ops, xor_init, xor_numpy


def xor_compiled(p: dict, lr: float = XOR_LR, value: bool = True, fused: bool = False):
    """(train(epochs) -> loss, weights()): the seed's XOR net in Tensor ops as the seed writes them,
    compiled once; each call of ``train`` runs ``run()`` for that many more epochs.

    ``value=False``: gradients only (``compile(loss, value=False)``), as the hand-written loop, which
    computes no loss inside the loop; the loss returned is then nan. ``fused=True``: ``sgd_step(lr)``, the
    updates written into the program where the hand-written loop makes them."""
    from deltagrad.autograd import Tensor, compile

    X, y = Tensor(XOR_X, requires_grad=False, label="X"), Tensor(XOR_Y, requires_grad=False, label="y")
    params = [Tensor(p[k], label=k) for k in KEYS]
    W1, b1, W2, b2 = params
    a1 = (X @ W1 + b1).sigmoid()
    a2 = (a1 @ W2 + b2).sigmoid()
    loss = 0.5 * ((a2 - y) ** 2).mean()
    program = compile(loss, value=value)
    run = program.run

    def train(epochs: int) -> float:
        if fused:
            for _ in range(epochs):
                program.sgd_step(lr)
            return loss.item() if value else float("nan")
        for _ in range(epochs):
            run()
            for t in params:  # SGD by hand, then release the gradient (torch's `p.grad = None` idiom)
                t.data -= lr * t.grad
                t.grad = None
        return loss.item() if value else float("nan")

    return train, lambda: {k: t.data for k, t in zip(KEYS, params)}


def scalar_compiled(W: list, B: list):
    """(step(x, y), params) for micrograd's demo net compiled: x and -y are leaves the step refills."""
    from deltagrad.autograd import Value, compile
    from deltagrad.nn import MLP

    net = MLP(2, [16, 16, 1], seed=0)
    ps = net.parameters()
    for q, v in zip(ps, flat(W, B)):
        q.data = v
    xs = [Value(0.0, label=f"x{i + 1}", requires_grad=False) for i in range(2)]
    ny = Value(0.0, label="ny", requires_grad=False)  # -y, so the hinge 1 + (-y)·score reads a leaf
    loss = (1.0 + ny * net(xs)).relu()
    run = compile(loss).run

    def step(x, y):
        xs[0].data, xs[1].data = x
        ny.data = -y
        for q in ps:
            q.grad = 0.0
        run()
        for q in ps:
            q.data -= LR * q.grad
        return loss.data

    return step, lambda: [q.data for q in ps]


def mlp_compiled(X, y, p: dict, lr: float = MLP_LR, fused: bool = False):
    """(step, params): nn.TensorMLP with the softmax cross-entropy of bench (f), compiled once; each step
    runs ``run()`` then the SGD update by hand, or (``fused=True``) ``sgd_step(lr)``."""
    from deltagrad.autograd import Tensor, compile
    from deltagrad.nn import TensorMLP

    Xt = Tensor(X, requires_grad=False, label="X")
    Y = Tensor(np.eye(p["W2"].shape[0], dtype=X.dtype)[y], requires_grad=False, label="Y")
    net = TensorMLP(X.shape[1], [p["W1"].shape[0], p["W2"].shape[0]], activation="relu", dtype=X.dtype)
    for layer, i in zip(net.layers, (1, 2)):
        layer.W.data, layer.b.data = p[f"W{i}"].copy(), p[f"b{i}"].copy()
    params = net.parameters()
    loss = -(net(Xt).log_softmax(axis=1) * Y).sum(axis=1).mean()
    program = compile(loss)
    run = program.run

    def step() -> float:
        if fused:
            program.sgd_step(lr)
            return loss.item()
        run()
        for t in params:  # SGD by hand, then release the gradient (torch's `p.grad = None` idiom)
            t.data -= lr * t.grad
            t.grad = None
        return loss.item()

    return step, lambda: dict(zip(KEYS, (t.data for t in params)))


def _scalar_runs(cfg: dict, peers: set) -> tuple[dict, dict]:
    X, Y = two_moons(cfg["samples"])
    W, B = init_weights()
    makers = {"plain-float floor": None, "deltagrad compiled": scalar_compiled}
    if "micrograd" in peers:
        from .scalar import _micrograd

        makers["micrograd"] = _micrograd
    runs, finals = {}, {}
    for name, make in makers.items():
        if make is None:
            fW, fB = copy.deepcopy(W), copy.deepcopy(B)
            step = lambda x, y, fW=fW, fB=fB: floor_step(fW, fB, x, y)
            finals[name] = lambda fW=fW, fB=fB: flat(fW, fB)
        else:
            step, finals[name] = make(copy.deepcopy(W), copy.deepcopy(B))
        runs[name] = lambda step=step: [step(x, y) for x, y in zip(X, Y)]
    secs, _ = take_turns(runs, cfg["repeats"])
    ref = finals["plain-float floor"]()
    agree = max(max(abs(a - b) for a, b in zip(f(), ref)) for f in finals.values())
    return {k: v / len(X) for k, v in secs.items()}, {"agree": agree}


def bench_compiled(cfg: dict, peers: set, out: dict) -> list[str]:
    """(g) compiled programs (``deltagrad.autograd.compile``) vs hand-written numpy, the plain-float floor, micrograd."""
    lines = ["| workload | engine | time | × reference |", "|---|---|---:|---:|"]
    # XOR, the seed's network, full batch: rounds of E epochs per engine, each engine going on from
    # where its last round ended (all start from the same weights and run as many epochs)
    p, E = xor_init(), cfg["xor_round_epochs"]
    trainers = {"numpy": resumed(xor_numpy, p), "numpy again": resumed(xor_numpy, p),
                "grads": xor_compiled(p, value=False), "sgd_step": xor_compiled(p, value=False, fused=True),
                "compiled": xor_compiled(p),
                "engine": resumed(xor_deltagrad_ops, p)}
    losses = {}
    secs, spread = ratio_rounds({k: (lambda k=k, t=t: losses.__setitem__(k, t(E))) for k, (t, _) in trainers.items()},
                                cfg["xor_rounds"])
    per = {k: v * 10_000 / E for k, v in secs.items()}
    out["compiled xor"], out["compiled xor grads"] = spread["compiled"][1], spread["grads"][1]
    out["compiled xor spread"], out["compiled xor grads spread"] = spread["compiled"], spread["grads"]
    out["compiled xor A/A"] = spread["numpy again"]
    out["compiled xor sgd_step"] = spread["sgd_step"]
    final = {k: w() for k, (_, w) in trainers.items()}
    engines = ("compiled", "grads", "sgd_step", "engine", "numpy again")
    xor_agree = max([abs(losses["compiled"] - losses["numpy"])] + [max_diff(final[k], final["numpy"]) for k in engines])
    iqr = {e: fmt_spread(v) for e, v in spread.items()}
    lines += [f"| XOR 2-3-1, s / 10,000 epochs | hand-written numpy (no loss in the loop) | {per['numpy']:.3f} s | 1.00 |",
              (f"| | hand-written numpy, a second copy (the noise floor) | {per['numpy again']:.3f} s "
              f"| {iqr['numpy again']} |"),
              (f"| | deltagrad compiled, gradients only (`value=False`: no loss in the loop) | {per['grads']:.3f} s "
              f"| {iqr['grads']} |"),
              (f"| | deltagrad compiled, gradients only, `sgd_step(lr)` (the updates inside the program) "
               f"| {per['sgd_step']:.3f} s | {iqr['sgd_step']} |"),
              f"| | deltagrad compiled with the loss (seed's ops) | {per['compiled']:.3f} s | {iqr['compiled']} |",
              f"| | deltagrad engine, same ops, backward() | {per['engine']:.3f} s | {iqr['engine']} |"]
    # micrograd's demo net, one sample per step
    us, agree = _scalar_runs(cfg, peers)
    floor = us["plain-float floor"]
    out["compiled scalar floor"] = us["deltagrad compiled"] / floor
    lines += [f"| MLP(2, [16, 16, 1]) per sample | {k} | {v * 1e6:,.1f} µs | {v / floor:.2f} |" for k, v in us.items()]
    if "micrograd" in us:
        out["compiled scalar micrograd"] = us["micrograd"] / us["deltagrad compiled"]
    # the 784-256-10 step, float64 and float32; a second copy of the hand-written step is timed as an
    # engine too: its ratio to the first (identical arithmetic) is the noise floor of this comparison.
    # The same hand-written arithmetic with every gradient first and the updates after (late=True) shows
    # what the order backward()-then-step costs by itself
    mlp_agree = {}
    for name, dtype in (("float64", np.float64), ("float32", np.float32)):
        X, y, w = mlp_problem(dtype)
        steps = {"numpy": mlp_numpy(X, y, w)[0], "numpy again": mlp_numpy(X, y, w)[0],
                 "numpy, gradients first": mlp_numpy(X, y, w, late=True)[0], "compiled": mlp_compiled(X, y, w)[0],
                 "sgd_step": mlp_compiled(X, y, w, fused=True)[0]}
        ones = {"numpy": mlp_numpy(X, y, w), "compiled": mlp_compiled(X, y, w),
                "sgd_step": mlp_compiled(X, y, w, fused=True)}
        for s, _ in ones.values():
            s()
        mlp_agree[name] = max(max_diff(ones[k][1](), ones["numpy"][1]()) for k in ("compiled", "sgd_step"))
        for s in steps.values():
            s(), s()  # warm up
        k = cfg["mlp_round_steps"]
        secs, spread = ratio_rounds({e: (lambda s=s, k=k: [s() for _ in range(k)]) for e, s in steps.items()},
                                    cfg["mlp_rounds"])
        ms = {e: v / k * 1e3 for e, v in secs.items()}
        out[f"compiled mlp {name}"] = spread["compiled"][1]
        out[f"compiled mlp {name} spread"] = spread["compiled"]
        out[f"compiled mlp {name} A/A"] = spread["numpy again"]
        out[f"compiled mlp {name} late"] = spread["numpy, gradients first"]
        out[f"compiled mlp {name} sgd_step"] = spread["sgd_step"]
        iqr = {e: fmt_spread(v) for e, v in spread.items()}
        lines += [f"| 784-256-10 step, {name} | hand-written numpy | {ms['numpy']:.2f} ms | 1.00 |",
                  (f"| | hand-written numpy, a second copy (the noise floor) | {ms['numpy again']:.2f} ms "
                  f"| {iqr['numpy again']} |"),
                  (f"| | hand-written numpy, every gradient first, then the updates (the order of backward() "
                   f"and a step; ∂L/∂W1 in a kept array) | {ms['numpy, gradients first']:.2f} ms "
                   f"| {iqr['numpy, gradients first']} |"),
                  (f"| | deltagrad compiled, `run()` then the update | {ms['compiled']:.2f} ms "
                   f"| {iqr['compiled']} |"),
                  (f"| | deltagrad compiled, `sgd_step(lr)` (each update inside the program, where the "
                   f"hand-written step makes it) | {ms['sgd_step']:.2f} ms | {iqr['sgd_step']} |")]
    out["compiled agree"] = max(xor_agree, agree["agree"], mlp_agree["float64"])
    lines += ["", (f"- agreement with the reference, max |Δ|: XOR loss and weights after the timed epochs "
                   f"{xor_agree:.2g}; micrograd's demo net, weights after every timed sample {agree['agree']:.2g}; "
                   f"784-256-10, weights after one step {mlp_agree['float64']:.2g} (float64), "
                   f"{mlp_agree['float32']:.2g} (float32)")]
    return lines


def targets(out: dict) -> list[str]:
    """Target lines for workload (g), when it ran: the ratios issue 17 asks for, met or not."""
    if "compiled xor" not in out:
        return []
    verdict = lambda ok: "**met**" if ok else "**not met**"
    (q1, r, q3), (a1, a, a3) = out["compiled xor grads spread"], out["compiled xor A/A"]
    lines = [(f"- (g) XOR compiled ≤ 1.1× hand-written numpy, the same work (gradients only, as the hand-written "
              f"loop): {r:.2f}× (quartiles {q1:.2f}–{q3:.2f}; the hand-written loop against a copy of itself: "
              f"{a:.2f}×, {a1:.2f}–{a3:.2f}) — {verdict(r <= 1.1)}; with `sgd_step(lr)`: "
              f"{out['compiled xor sgd_step'][1]:.2f}×; with the loss computed every epoch as well: "
              f"{out['compiled xor']:.2f}×"),
             (f"- (g) MLP(2, [16, 16, 1]) compiled ≤ 1.5× the plain-float floor: {out['compiled scalar floor']:.2f}× "
              f"— {verdict(out['compiled scalar floor'] <= 1.5)}")]
    if "compiled scalar micrograd" in out:
        r = out["compiled scalar micrograd"]
        lines.append(f"- (g) compiled ≥ 30× faster than micrograd: {r:.0f}× — {verdict(r >= 30)}")
    for name in ("float64", "float32"):
        (s1, s, s3), (q1, r, q3), (a1, a, a3) = (out[f"compiled mlp {name} {k}"] for k in ("sgd_step", "spread", "A/A"))
        late = out[f"compiled mlp {name} late"][1]
        lines.append(f"- (g) 784-256-10 {name} compiled ≤ 1.05× hand-written numpy: `sgd_step(lr)` {s:.2f}× (median "
                     f"of the rounds' ratios, quartiles {s1:.2f}–{s3:.2f}); `run()` then the update by hand {r:.2f}× "
                     f"({q1:.2f}–{q3:.2f}; the hand-written arithmetic with every gradient before the updates: "
                     f"{late:.2f}×); the hand-written step against a copy of itself: {a:.2f}×, {a1:.2f}–{a3:.2f} "
                     f"— {verdict(s <= 1.05)}")
    return lines
