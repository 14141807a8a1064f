"""deltagrad bench, scalar workloads (b)-(d): a long chain, a wide sum, memory per node and reference cycles."""

from __future__ import annotations

import gc
import random
import statistics
import tracemalloc
from time import perf_counter

from deltagrad import autograd
from deltagrad.autograd import Value
from deltagrad.nn import MLP

from .scalar import SIZES, fmt, two_moons


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



# ----------------------------------------------------------------------------- the workloads
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
        lines.append(f"| {name} | {k:,} | {fmt(tb / k * 1e6)} | {fmt(tg / k * 1e6)} | {fmt((tb + tg) / k * 1e6)} |")
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
        lines.append(f"| {name} | {k:,} | {fmt(tb / k * 1e6)} | {fmt(tg / k * 1e6)} | {fmt((tb + tg) / k * 1e6)} |")
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

