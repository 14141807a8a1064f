"""deltagrad bench (g): network-view frames -- a 2-8-8-1 net (a live view's size) and 784-256-10, as SVG text."""

from __future__ import annotations

import statistics
import time

import numpy as np

FRAME_TARGET_MS = 20.0
"""A live view redraws many times a second: a 2-8-8-1 frame (SVG with all its numbers) within 20 ms."""


def _frame(sizes: list, seed: int = 0):
    """A TensorMLP of ``sizes`` after one backward on 4 random rows (tanh hidden layers, MSE or cross-entropy)."""
    from deltagrad.nn import TensorMLP

    rng = np.random.default_rng(seed)
    net = TensorMLP(sizes[0], sizes[1:], "tanh", seed=seed)
    X = rng.standard_normal((4, sizes[0]))
    out = net(X)
    if sizes[-1] == 1:
        loss = ((out - 1.0) ** 2).mean()
    else:
        loss = -(out.log_softmax(axis=1)[np.arange(4), [0, 1, 2, 3]]).mean()
    loss.backward()
    return loss


def time_frames(sizes: list, repeats: int) -> tuple[float, int, tuple]:
    """Median ms of ``viz.draw(loss, view="network").source`` over ``repeats`` (after one warm-up), bytes, px."""
    from deltagrad.viz import draw

    loss = _frame(sizes)
    d = draw(loss, view="network")  # warm-up: matplotlib's colormap import happens once per process
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        d = draw(loss, view="network")
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times), len(d.source.encode("utf-8")), (round(d.scene.width), round(d.scene.height))


def bench_frames(cfg: dict, peers: set, out: dict) -> list[str]:
    """Network-view frames: the SVG text of a 2-8-8-1 and a 784-256-10 network, warm (median ms)."""
    repeats = max(3, cfg["repeats"] * 3)
    lines = ["| network | median ms per frame | SVG bytes | width × height px |", "| --- | ---: | ---: | --- |"]
    for sizes in ([2, 8, 8, 1], [784, 256, 10]):
        ms, size, (w, h) = time_frames(sizes, repeats if sizes[0] < 100 else max(2, repeats // 3))
        name = "-".join(map(str, sizes))
        out[f"frame {name}"] = ms
        lines.append(f"| {name} | {ms:.1f} | {size:,} | {w} × {h} |")
    return lines


def targets(out: dict) -> list[str]:
    """The frame-time target line, if (g) ran."""
    if "frame 2-8-8-1" not in out:
        return []
    ms = out["frame 2-8-8-1"]
    ok = "**met**" if ms <= FRAME_TARGET_MS else "**not met**"
    return [f"- (g) a 2-8-8-1 network-view frame within {FRAME_TARGET_MS:g} ms: {ms:.1f} ms — {ok}"]
