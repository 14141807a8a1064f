"""Regenerate docs/gallery/live/: frames of viz.live, as a learner sees them in a notebook, as PNG.

Run from the repository root:  python docs/gallery/live/make.py   (a few seconds). Pictures:

- xor_frame.png, xor_final.png: seed document 002's XOR net (2-3-1 sigmoid, its weights from
  RandomState(43)), ½·MSE, SGD at η = 0.5 for 20,000 steps: the first frame drawn after step 2,000, and the
  final picture;
- moons_final.png: two moons (200 points), TensorMLP(2, [16, 16, 2]) with tanh, Adam η = 0.02, 300 steps.

The header of each picture gives the measured drawing share of this run, so those numbers differ from run to run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from deltagrad import nn, viz

HERE = Path(__file__).resolve().parent


def xor():
    rs = np.random.RandomState(43)
    W1, W2 = rs.randn(2, 3), rs.randn(3, 1)
    net = nn.TensorMLP(2, [3, 1], activation="sigmoid", output_activation="sigmoid")
    net.load_state_dict({"layer1.W": W1.T, "layer1.b": np.zeros(3), "layer2.W": W2.T, "layer2.b": np.zeros(1)})
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    opt = nn.SGD(net.parameters(), lr=0.5)
    saved = False
    with viz.live(net, X, y, every=200, input_names=["x1", "x2"], show="file", path=False) as view:
        for step in range(20000):
            loss = 0.5 * ((net(X) - y) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            if view.update(loss) and step >= 2000 and not saved:
                view.save(HERE / "xor_frame.png")
                saved = True
            opt.step()
    view.save(HERE / "xor_final.png")
    return view


def moons():
    rng = np.random.default_rng(0)
    t0, t1 = rng.uniform(0, np.pi, 100), rng.uniform(0, np.pi, 100)
    X = np.vstack([np.c_[np.cos(t0), np.sin(t0)], np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)]])
    X = X + rng.normal(0.0, 0.15, X.shape)
    y = np.r_[np.zeros(100, int), np.ones(100, int)]
    net = nn.TensorMLP(2, [16, 16, 2], activation="tanh", seed=0)
    opt = nn.Adam(net.parameters(), lr=0.02)
    with viz.live(net, X, y, every=10, input_names=["x1", "x2"], output_names=["class 0", "class 1"],
                  show="file", path=False) as view:
        for _ in range(300):
            loss = nn.cross_entropy(net(X), y)
            net.zero_grad()
            loss.backward()
            view.update(loss)
            opt.step()
    view.save(HERE / "moons_final.png")
    return view


def main() -> int:
    for make in (xor, moons):
        view = make()
        th = view.throttle
        print(f"{make.__name__}: {len(view.steps)} steps, {len(view.frames)} frames, drawing {100 * th.share:.1f} % "
              f"of {th.loop_seconds + th.draw_seconds:.2f} s; frame costs {[round(c * 1000, 1) for c in th.costs]} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
