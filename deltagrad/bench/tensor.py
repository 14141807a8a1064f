"""deltagrad bench, Tensor workloads: what they share (BLAS threads, taking turns, agreement) and their targets.

Each Tensor workload (bench_xor: the seed's XOR net, bench_mlp: a 784-256-10 MLP step) runs three
engines in one process -- same BLAS threads, same allocator, gc on -- from the same initial weights:
a hand-written numpy forward + backward (the independent oracle, also in tests/test_bench_tensor.py),
deltagrad Tensors, and PyTorch autograd on CPU. XOR times deltagrad twice: written with ``nn`` modules
(the headline row) and in Tensor ops as the seed writes them.
"""

from __future__ import annotations

import gc
import itertools
import os
import statistics
from time import perf_counter

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

KEYS = ("W1", "b1", "W2", "b2")


# ----------------------------------------------------------------------------- BLAS threads, one setting for all
def set_threads(n: int, torch=None) -> None:
    """Give every BLAS loaded in this process (numpy's OpenBLAS among them) and PyTorch's intra-op pool ``n`` threads.

    The BLAS side is threadpoolctl's ``threadpool_limits(n, user_api="blas")``; the limit stays for
    the rest of the process (the benchmark runs every engine under the same one).
    """
    threadpool_limits(limits=n, user_api="blas")
    if torch is not None:
        torch.set_num_threads(n)


def blas_lines(torch=None) -> list[str]:
    """The BLAS each engine calls, its kernel and thread count, and the OPENBLAS_* environment, as bullets."""
    pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    np_blas = "; ".join(
        f"{p['internal_api']} {p.get('version') or '?'} ({os.path.basename(p['filepath'])}), "
        f"kernel {p.get('architecture') or '?'}, {p['num_threads']} thread(s)" for p in pools
    ) or "none found by threadpoolctl"
    env = ", ".join(f"{k}={os.environ[k]}" for k in sorted(os.environ)
                    if k.startswith(("OPENBLAS", "OMP_", "MKL_", "MALLOC_")))
    lines = [f"- BLAS: numpy (and so deltagrad) → {np_blas}",
             (f"- BLAS and allocator environment: {env or 'no OPENBLAS_*, OMP_*, MKL_*, MALLOC_* variables set'} "
             "(one process: every engine runs under the same settings)")]
    if torch is not None:
        blas = "MKL" if torch.backends.mkl.is_available() else "its bundled BLAS"
        lines.append(f"- BLAS: PyTorch → {blas}, {torch.get_num_threads()} intra-op thread(s), "
                     f"CPU capability {torch.backends.cpu.get_cpu_capability()}")
    return lines


def take_turns(runs: dict, repeats: int) -> tuple[dict[str, float], dict[str, list]]:
    """Median seconds of each ``label: fn`` over ``repeats``, the engines taking turns in every repeat
    (drift in machine load hits all alike); also every run's return value, per label. One full gc pass
    first; the collector stays on (its cost in the runs is the engines' own)."""
    times: dict = {k: [] for k in runs}
    results: dict = {k: [] for k in runs}
    gc.collect()
    for _ in range(repeats):
        for label, fn in runs.items():
            t = perf_counter()
            results[label].append(fn())
            times[label].append(perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}, results


def ratio_rounds(runs: dict, rounds: int) -> tuple[dict[str, float], dict[str, tuple[float, float, float]]]:
    """Per ``label: fn``, the median seconds over ``rounds``, and its ratio to the first label's time in
    the same round as (lower quartile, median, upper quartile).

    Every round runs each fn once, in the next of a set of orders taken in turn: all of them for up
    to three engines (A B C, A C B, B A C ...), else each rotation forwards and backwards (A B C D,
    B C D A ..., A D C B, B A D C ...), so whoever runs first, or after whom, is shared out evenly.
    A ratio taken within one round sees the same machine load on both sides; its spread over the
    rounds says how far one number can be trusted (a second copy of the reference, timed as an
    engine, shows the noise floor). One full gc pass first."""
    labels = list(runs)
    orders = list(itertools.permutations(labels)) if len(labels) <= 3 else \
        [labels[i:] + labels[:i] for i in range(len(labels))] + [labels[i::-1] + labels[:i:-1] for i in range(len(labels))]
    times: dict = {k: [] for k in labels}
    gc.collect()
    for r in range(rounds):
        for label in orders[r % len(orders)]:
            t = perf_counter()
            runs[label]()
            times[label].append(perf_counter() - t)
    base = times[labels[0]]
    spread = {}
    for k, v in times.items():
        ratios = [a / b for a, b in zip(v, base)]
        q1, _, q3 = statistics.quantiles(ratios, n=4) if rounds > 1 else (ratios[0],) * 3
        spread[k] = (q1, statistics.median(ratios), q3)
    return {k: statistics.median(v) for k, v in times.items()}, spread


def fmt_spread(spread: tuple) -> str:
    """``(q1, median, q3)`` of `ratio_rounds` as ``median (q1–q3)``."""
    q1, m, q3 = spread
    return f"{m:.2f} ({q1:.2f}–{q3:.2f})"


def resumed(fn, p: dict) -> tuple:
    """(train(epochs) -> loss, weights()) for an ``fn(p, epochs) -> (loss, weights)`` that starts from ``p``:
    each call goes on from the weights the last one ended with."""
    state = {"p": p}

    def train(epochs: int) -> float:
        loss, state["p"] = fn(state["p"], epochs)
        return loss

    return train, lambda: state["p"]


def max_diff(a: dict, b: dict) -> float:
    """max |a - b| over every array of two weight dicts."""
    return max(float(np.max(np.abs(np.asarray(a[k], dtype=np.float64) - b[k]))) for k in a)


TOL = {"xor": 1e-10, "float64": 1e-10, "float32": 1e-5}


def targets(out: dict) -> list[str]:
    """Target lines for the Tensor workloads that ran."""
    verdict = lambda ok: "**met**" if ok else "**not met**"
    lines = []
    if "xor ratio numpy" in out:
        r = out["xor ratio numpy"]
        lines.append(f"- (e) XOR: deltagrad (nn modules) within 2× of hand-written numpy: {r:.2f}× — {verdict(r <= 2)}"
                     f" (Tensor ops as the seed writes them: {out['xor ratio numpy ops']:.2f}× — "
                     f"{verdict(out['xor ratio numpy ops'] <= 2)})")
        lines.append(f"- (e) XOR: all engines end at the same loss and weights (≤ 1e-10): {out['xor agree']:.2g} — "
                     f"{verdict(out['xor agree'] <= TOL['xor'])}")
    for name in ("float32", "float64"):
        if f"mlp ratio numpy {name}" in out:
            r, a = out[f"mlp ratio numpy {name}"], out[f"mlp agree {name}"]
            lines.append(f"- (f) 784-256-10 {name}: deltagrad within 1.2× of hand-written numpy: {r:.2f}× — "
                         f"{verdict(r <= 1.2)}")
            lines.append(f"- (f) {name}: one step agrees with numpy (relative ≤ {TOL[name]:g}): {a:.2g} — "
                         f"{verdict(a <= TOL[name])}")
    return lines
