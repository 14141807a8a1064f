"""(i) the playground's server time per frame: the issue's speed workload, without the browser.

One frame of ``deltagrad playground`` is 10 minibatch SGD steps (batch 10) of a 2-8-8-1 tanh net
(binary cross-entropy on logits) on 500 spiral points (350 train), the train and test losses, a
50×50 decision boundary and every hidden neuron's 50×50 heatmap, the selected sample's forward
and backward pass, and the frame's JSON text — everything the server does per frame but send it.
"""

from __future__ import annotations

import json
import statistics
import time

WORKLOAD = "#data=spiral&n=500&hidden=8,8&grid=50&spf=10&batch=10&act=tanh&loss=bce&opt=sgd&lr=0.03"


def frame_seconds(frames: int, parts: dict | None = None) -> list[float]:
    """Seconds of each of ``frames`` frames of `WORKLOAD` (after one warm-up frame).

    ``parts``, when given, gets each frame's seconds per part: ``"steps"`` (the 10 minibatch steps and the
    train/test losses), ``"frame"`` (`Session.frame`: grids, the sample's passes) and ``"json"`` (its text).
    """
    from deltagrad.playground.session import Session
    from deltagrad.playground.state import from_hash

    state = from_hash(WORKLOAD)[0]
    s = Session(state)
    json.dumps(s.frame())
    times = []
    for _ in range(frames):
        t0 = time.perf_counter()
        s.step(state["steps_per_frame"])
        t1 = time.perf_counter()
        f = s.frame()
        t2 = time.perf_counter()
        json.dumps(f)
        t3 = time.perf_counter()
        times.append(t3 - t0)
        if parts is not None:
            for name, dt in (("steps", t1 - t0), ("frame", t2 - t1), ("json", t3 - t2)):
                parts.setdefault(name, []).append(dt)
    return times


def bench_frame(cfg: dict, peers: set, out: dict) -> list[str]:
    """(i) playground server: ms per frame, 2-8-8-1 on 500 points, 10 SGD steps, 50×50 boundary and heatmaps."""
    parts: dict = {}
    times = frame_seconds(10 * cfg["repeats"], parts)
    med = statistics.median(times)
    out["playground ms per frame"] = med * 1e3
    share = " | ".join(f"{statistics.median(parts[n]) * 1e3:.1f}" for n in ("steps", "frame", "json"))
    return ["| frames | median ms / frame | min ms | max ms | frames / s (median) |", "|---:|---:|---:|---:|---:|",
            f"| {len(times)} | {med * 1e3:.1f} | {min(times) * 1e3:.1f} | {max(times) * 1e3:.1f} | {1 / med:.0f} |",
            "", "median ms per part of a frame:", "",
            "| 10 SGD steps + train/test loss | grids + the sample's passes | JSON text |", "|---:|---:|---:|",
            f"| {share} |",
            "", ("- the target of the playground issue is ≥ 20 frames/s (≤ 50 ms a frame); the WebSocket send and "
                 "the browser's drawing come on top, and the server sends at most 30 frames/s (the browser test, "
                 "tests/test_playground_browser.py -s, prints the rate chromium receives and draws)")]
