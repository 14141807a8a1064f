"""deltagrad bench (h): network-view frames -- a 2-8-8-1 net (a live view's size) and 784-256-10, as SVG text."""

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


def time_frames(sizes: list, repeats: int) -> tuple[float, float, int, tuple]:
    """Median wall and CPU ms of ``viz.draw(loss, view="network")`` over ``repeats`` (after a warm-up), bytes, px.

    The CPU time (``time.process_time``) is what the frame costs this process; on a loaded machine
    the wall time also counts the time other processes held the cores.
    """
    from deltagrad.viz import draw

    loss = _frame(sizes)
    d = draw(loss, view="network")  # warm-up: matplotlib's colormap import happens once per process
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        d = draw(loss, view="network")
        wall.append((time.perf_counter() - t) * 1e3)
        cpu.append((time.process_time() - c) * 1e3)
    size = len(d.source.encode("utf-8"))
    return statistics.median(wall), statistics.median(cpu), size, (round(d.scene.width), round(d.scene.height))


def bench_frames(cfg: dict, peers: set, out: dict) -> list[str]:
    """Network-view frames: the SVG text of a 2-8-8-1 and a 784-256-10 network, warm (median ms)."""
    repeats = max(3, cfg["repeats"] * 3)
    lines = ["| network | median ms per frame | CPU ms | SVG bytes | width × height px |",
             "| --- | ---: | ---: | ---: | --- |"]
    for sizes in ([2, 8, 8, 1], [784, 256, 10]):
        ms, cpu, size, (w, h) = time_frames(sizes, repeats if sizes[0] < 100 else max(2, repeats // 3))
        name = "-".join(map(str, sizes))
        out[f"frame {name}"], out[f"frame cpu {name}"] = ms, cpu
        lines.append(f"| {name} | {ms:.1f} | {cpu:.1f} | {size:,} | {w} × {h} |")
    return lines


def targets(out: dict) -> list[str]:
    """The frame-time target line, if (h) ran."""
    if "frame 2-8-8-1" not in out:
        return []
    ms, cpu = out["frame 2-8-8-1"], out["frame cpu 2-8-8-1"]
    ok = "**met**" if ms <= FRAME_TARGET_MS else "**not met**"
    return [f"- (h) a 2-8-8-1 network-view frame within {FRAME_TARGET_MS:g} ms: {ms:.1f} ms ({cpu:.1f} ms CPU) — {ok}"]
