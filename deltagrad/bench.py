"""deltagrad bench: the scalar engine timed side by side with micrograd, PyTorch and plain Python floats."""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import platform
import random
import shlex
import statistics
import sys
import tempfile
import tracemalloc
from datetime import UTC, datetime
from importlib import metadata
from itertools import pairwise
from pathlib import Path
from time import perf_counter

import autograd
from autograd import Value
from nn import MLP, SGD

HELP = "time the engine side by side with micrograd, PyTorch batch-1 and a plain-float floor"
SIZES = [2, 16, 16, 1]  # micrograd's demo net MLP(2, [16, 16, 1]): relu hidden, linear output
LR = 0.05
FULL = {"samples": 100, "repeats": 9, "n": 100_000, "shallow": 900}
QUICK = {"samples": 5, "repeats": 2, "n": 2_000, "shallow": 300}
PEERS = ("micrograd", "torch")


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
        a = z if l == last else [v if v > 0.0 else 0.0 for v in z]  # noqa: FURB136 - faster than max()
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
    return m if m > 0.0 else 0.0  # noqa: FURB136


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


# ----------------------------------------------------------------------------- graphs: chain, wide sum
def chain(V, n: int):
    """A chain of n op nodes x ← x·1.0001 + 0.001 from x = V(0.5); V is either engine's Value class."""
    x = V(0.5)
    for _ in range(n // 2):
        x = x * 1.0001 + 0.001
    return x


def wide(V, n: int, total=sum, seed: int = 0):
    """A builder of total([w₁x₁, ..., wₙxₙ]) over n fixed leaf pairs (``total``: Python sum or autograd.sum)."""
    rng = random.Random(seed)
    ws, xs = [V(rng.uniform(-1, 1)) for _ in range(n)], [V(rng.uniform(-1, 1)) for _ in range(n)]
    return lambda: total([w * x for w, x in zip(ws, xs)])


def time_graph(build, repeats: int) -> tuple[float, float]:
    """Medians over ``repeats`` of (build seconds, backward seconds); freeing the graph is not timed.

    Raises RecursionError when the engine's backward recurses (micrograd past ~1000 deep).
    """
    tb, tg = [], []
    for _ in range(repeats):
        gc.collect()
        t0 = perf_counter()
        root = build()
        t1 = perf_counter()
        root.backward()
        tb.append(t1 - t0), tg.append(perf_counter() - t1)
        del root
    gc.collect()
    return statistics.median(tb), statistics.median(tg)


def count_nodes(root) -> int:
    """Nodes reachable from ``root`` (deltagrad ``parents`` or micrograd ``_prev``), iteratively."""
    seen, stack = {root}, [root]
    while stack:
        node = stack.pop()
        for p in getattr(node, "parents", None) or getattr(node, "_prev", ()):
            if p not in seen:
                seen.add(p), stack.append(p)
    return len(seen)


def traced_bytes(build) -> tuple[float, object]:
    """(peak bytes traced by tracemalloc while ``build()`` runs, the graph it built)."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    root = build()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak, root


def cycle_garbage(build) -> tuple[int, bool]:
    """(objects ``gc.collect()`` finds after a graph is built, backpropagated and dropped with gc off,
    whether backward ran); 0 objects means refcounting alone freed it: no reference cycles per node.
    """
    gc.collect()
    gc.disable()
    try:
        root, ok = build(), True
        try:
            root.backward()
        except RecursionError:  # micrograd past ~1000 deep; its cycles are made by the forward already
            ok = False
        del root
        return gc.collect(), ok
    finally:
        gc.enable()


# ----------------------------------------------------------------------------- the four workloads
def _fmt(x: float, unit: str = "") -> str:
    return f"{x:,.3g}{unit}" if abs(x) < 100 else f"{x:,.0f}{unit}"


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
        except Exception as e:  # noqa: BLE001 - a broken peer must not break the bench
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
    lines += [f"| {k} | {_fmt(v)} | {v / dg:.2f} |" for k, v in rows.items() if "gc off" not in k]
    lines += ["", f"- micrograd / deltagrad (speedup): **{_fmt(out['speedup'])}×**",
              f"- deltagrad / plain-float floor: **{_fmt(dg / rows['plain-float floor'])}×**"]
    if torch_step:
        lines.append(f"- PyTorch batch-1 / deltagrad: **{_fmt(rows['PyTorch batch-1'] / dg)}×**")
    lines.append(f"- agreement after one step from the same weights (loss and all {len(ref[1])} updated "
                 f"parameters, max |Δ| over engines): {max(agree):.2g}")
    for name in ("deltagrad", "micrograd 0.1.0"):
        if f"{name}, gc off" in rows:
            off = rows[f"{name}, gc off"]
            out[f"gc {name}"] = 1 - off / rows[name]
            notes.append(f"- {name} with gc disabled: {_fmt(off)} µs, so cyclic GC takes "
                         f"**{100 * out[f'gc {name}']:.0f} %** of its step time")
    lines += notes
    if "torch" in sys.modules:  # gc cost grows with the live heap: the same steps once torch is loaded
        n = len(gc.get_objects())
        again = run({k: fresh(k) for k in ("deltagrad", "micrograd 0.1.0") if k in rows})
        lines.append(f"- the same steps again after `import torch` ({n:,} gc-tracked objects alive): "
                     + ", ".join(f"{k} {_fmt(v)} µs" for k, v in again.items())
                     + (f" — speedup {again['micrograd 0.1.0'] / again['deltagrad']:.1f}×" if len(again) == 2 else ""))
    return lines


def bench_chain(cfg: dict, peers: set, out: dict) -> list[str]:
    """(b) build + backward of a chain x ← x·1.0001 + 0.001, per op node."""
    n, m = cfg["n"], cfg["shallow"]
    cases = [("deltagrad", Value, n), ("deltagrad, gc disabled", Value, n), ("deltagrad", Value, m)]
    if "micrograd" in peers:
        from micrograd.engine import Value as MgValue

        cases += [("micrograd 0.1.0", MgValue, m), ("micrograd 0.1.0", MgValue, n)]
    lines = ["| engine | op nodes | build µs/node | backward µs/node | total µs/node |", "|---|---:|---:|---:|---:|"]
    for name, V, k in cases:
        try:
            if "gc disabled" in name:  # how much of the time is the cyclic collector walking the growing heap
                gc.disable()
            tb, tg = time_graph(lambda V=V, k=k: chain(V, k), 1 if "micro" in name and k == n else cfg["repeats"])
        except RecursionError:
            lines.append(f"| {name} | {k:,} | — | RecursionError | — |")
            continue
        finally:
            gc.enable()
        k -= k % 2
        lines.append(f"| {name} | {k:,} | {_fmt(tb / k * 1e6)} | {_fmt(tg / k * 1e6)} | {_fmt((tb + tg) / k * 1e6)} |")
    return lines


def bench_wide(cfg: dict, peers: set, out: dict) -> list[str]:
    """(c) build + backward of Σᵢ wᵢxᵢ over n leaf pairs: one n-ary ``autograd.sum`` node or a Python ``sum`` chain."""
    n, m = cfg["n"], cfg["shallow"]
    cases = [(f"deltagrad {t}", Value, k, f) for k in (n, m) for t, f in (("autograd.sum", autograd.sum), ("sum()", sum))]
    if "micrograd" in peers:
        from micrograd.engine import Value as MgValue

        cases += [("micrograd 0.1.0 sum()", MgValue, k, sum) for k in (m, n)]
    lines = ["| engine | products | build µs/product | backward µs/product | total µs/product |",
             "|---|---:|---:|---:|---:|"]
    for name, V, k, total in cases:
        try:
            tb, tg = time_graph(wide(V, k, total), 1 if k == n and "micro" in name else cfg["repeats"])
        except RecursionError:
            lines.append(f"| {name} | {k:,} | — | RecursionError | — |")
            continue
        lines.append(f"| {name} | {k:,} | {_fmt(tb / k * 1e6)} | {_fmt(tg / k * 1e6)} | {_fmt((tb + tg) / k * 1e6)} |")
    return lines


def bench_memory(cfg: dict, peers: set, out: dict) -> list[str]:
    """(d) tracemalloc bytes per node and gc-found objects per graph, for a chain and one MLP sample graph."""
    xs, ys = two_moons(4)
    engines = [("deltagrad", Value, lambda: MLP(2, SIZES[1:], seed=0)),
               ("deltagrad unfused", None, lambda: MLP(2, SIZES[1:], seed=0, fused=False))]
    if "micrograd" in peers:
        from micrograd.engine import Value as MgValue
        from micrograd.nn import MLP as MgMLP

        engines.append(("micrograd 0.1.0", MgValue, lambda: MgMLP(2, SIZES[1:])))
    lines = ["| engine | graph | new nodes | bytes / node | KB / graph | objects gc finds after drop (gc off) |",
             "|---|---|---:|---:|---:|---:|"]
    for name, V, make_net in engines:
        net = make_net()
        graphs = [("MLP sample + hinge loss", lambda net=net: (1.0 + -ys[0] * net(xs[0])).relu(), len(net.parameters()))]
        if V is not None:  # the unfused net builds the same chain as the fused one
            graphs.insert(0, (f"chain, {cfg['n']:,} ops", lambda V=V: chain(V, cfg["n"]), 0))
        for gname, build, old in graphs:
            peak, root = traced_bytes(build)
            nodes = count_nodes(root) - old
            del root
            garbage, ok = cycle_garbage(build)
            key = f"{name} {gname[:5]}"
            out[f"bytes {key}"], out[f"graph {key}"], out[f"gc objs {key}"] = peak / nodes, peak, garbage
            note = "" if ok else " (backward: RecursionError)"
            lines.append(f"| {name} | {gname} | {nodes:,} | {peak / nodes:,.0f} | {peak / 1e3:,.1f} | {garbage:,}{note} |")
    return lines


WORKLOADS = [("(b) long chain: build + backward", bench_chain),  # run order; (a) imports torch, so it goes last
             ("(c) wide sum of n products: build + backward", bench_wide),
             ("(d) memory per node and reference cycles", bench_memory),
             ("(a) one SGD step per sample, MLP(2, [16, 16, 1]), two moons", bench_steps)]


# ----------------------------------------------------------------------------- report and command line
def machine() -> list[str]:
    """Platform, CPU model (/proc/cpuinfo), Python and package versions, as Markdown bullets."""
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    vers = []
    for pkg in ("deltagrad", "numpy", "micrograd", "torch"):
        try:
            vers.append(f"{pkg} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            vers.append(f"{pkg} (not installed)")
    try:
        import subprocess

        here = Path(__file__).resolve().parent.parent
        git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here, capture_output=True, text=True,
                             timeout=5, check=False).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "autograd", "nn"], cwd=here,
                               capture_output=True, text=True, timeout=5, check=False).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        git, dirty = "", []
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    dirty = ", ".join(ln[3:] for ln in dirty if ln.strip())
    return [f"- deltagrad source: git {git or '?'}" + (f", plus uncommitted changes to {dirty}" if dirty else ""),
            f"- load average before the run (1, 5, 15 min): {load}",
            f"- platform: {platform.platform()}", f"- CPU: {cpu}, {os.cpu_count()} logical cores",
            f"- Python: {platform.python_implementation()} {platform.python_version()}",
            f"- packages: {', '.join(vers)}"]


def _targets(out: dict) -> list[str]:
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


def command_line() -> str:
    """How this process was started, as a shell command (``deltagrad bench``, ``python -m ...``, a script)."""
    prog, argv = sys.argv[0], sys.argv[1:]
    name = os.path.basename(prog)
    if name == "__main__.py":
        cmd = ["python", "-m", os.path.basename(os.path.dirname(os.path.abspath(prog)))]
    elif name.endswith(".py"):
        cmd = ["python", os.path.relpath(prog)]
    else:
        cmd = [name]
    return shlex.join(cmd + argv)


def report(cfg: dict, skip: set, progress: bool = True) -> str:
    """Run every workload and return the Markdown report (peers that cannot be imported are skipped)."""
    from tqdm import tqdm

    peers, notes = set(), []
    for pkg in PEERS:
        if pkg in skip:
            notes.append(f"- {pkg}: skipped (--skip)")
            continue
        if importlib.util.find_spec(pkg) is None:  # found, not imported: torch's import slows every later gc
            notes.append(f"- {pkg}: not installed; its column is skipped")
        else:
            peers.add(pkg)
    out: dict = {}
    info = machine()  # before the run: the load average is the background the timings ran against
    bar = tqdm(WORKLOADS, desc="deltagrad bench", unit="workload", file=sys.stderr, disable=not progress)
    sections = {}
    for title, fn in bar:  # (a) runs last, see WORKLOADS
        bar.set_postfix_str(title[:3])
        sections[title] = ["", f"## {title}", "", (fn.__doc__ or "").splitlines()[0], "", *fn(cfg, peers, out)]
    body = [ln for title in sorted(sections) for ln in sections[title]]
    mode = "quick" if cfg is QUICK else "full"
    head = [f"# deltagrad bench ({mode})", "", "```", command_line(), "```", "",
            f"- date: {datetime.now(UTC).isoformat(timespec='seconds')}", *info,
            (f"- method: one process, same data and initial weights for every engine, time.perf_counter, "
             f"medians of {cfg['repeats']} repeats ({cfg['samples']} sample-steps each in (a), engines taking "
             f"turns); gc enabled unless stated; PyTorch float64 with 1 thread"), *notes, "", "## Targets", "", *_targets(out)]
    return "\n".join(head + body) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same directory and ``os.replace``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``deltagrad bench``: --quick, --write, --output PATH, --skip PEER."""
    parser.add_argument("--quick", action="store_true", help="small sizes and few repeats (CI, tests)")
    parser.add_argument("--write", action="store_true", help="write benchmarks/RESULTS.md of the source checkout")
    parser.add_argument("--output", metavar="PATH", help="write the Markdown report to PATH (default: print only)")
    parser.add_argument("--skip", action="append", choices=PEERS, default=[], help="leave out a peer (repeatable)")


def run(args: argparse.Namespace) -> int:
    """Run the benchmarks, print the Markdown report, and write it if asked; returns the exit status."""
    path = Path(args.output) if args.output else None
    if args.write and path is None:
        bench_dir = Path(__file__).resolve().parent.parent / "benchmarks"
        if not bench_dir.is_dir():
            print(f"deltagrad bench: --write needs a source checkout ({bench_dir} not found); "
                  "use --output PATH instead", file=sys.stderr)
            return 2
        path = bench_dir / "RESULTS.md"
    text = report(QUICK if args.quick else FULL, set(args.skip))
    print(text, end="")
    if path is not None:
        write_atomic(path, text)
        print(f"wrote {path}", file=sys.stderr)
    return 0
