"""Frame costs and drawing share of viz.live in notebook mode, outside a kernel.

Run from the repository root:  python docs/gallery/live/measure.py
The notebook display is stubbed by one that formats each frame's SVG as IPython would (nothing is sent).
Prints, per training loop: steps, wall time, the loop's own time T, frames drawn, frame cost (median, max),
the drawing share D / (T + D) and D split into frames and the per-update recording. Timings vary with the load.
"""

import time

import IPython.display
import numpy as np
from deltagrad.viz import live_view

from deltagrad import nn, viz
from deltagrad.data import load_iris, standardize


class H:
    def update(self, obj):
        obj._repr_svg_()


def display(obj, display_id=False):
    obj._repr_svg_()
    return H()


live_view._notebook = lambda: (object(), None)
IPython.display.display = display


def run(name, net, X, y, loss_fn, opt, steps, every, **kw):
    t = time.perf_counter()
    with viz.live(net, X, y, every=every, **kw) as view:
        for _ in range(steps):
            loss = loss_fn(net)
            net.zero_grad()
            loss.backward()
            view.update(loss)
            opt.step()
    total = time.perf_counter() - t
    th = view.throttle
    c = np.array(th.costs) * 1000
    print(
        f"{name:<28} {steps:>6} steps {total:6.2f} s wall, loop {th.loop_seconds:6.2f} s, {th.frames:>3} frames, "
        f"frame ms median {np.median(c) if len(c) else np.nan:6.1f} max {c.max() if len(c) else np.nan:6.1f}, "
        f"drawing share {100 * th.share:4.1f} %; D {th.draw_seconds:.3f} s of which frames {sum(th.costs):.3f} s"
    )


X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
Y = np.array([[0], [1], [1], [0]], float)
net = nn.TensorMLP(2, [3, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
run(
    "XOR 2-3-1 TensorMLP",
    net,
    X,
    Y,
    lambda n: 0.5 * ((n(X) - Y) ** 2).mean(),
    nn.SGD(net.parameters(), lr=2.0),
    20000,
    50,
)
vnet = nn.MLP(2, [3, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
run(
    "XOR 2-3-1 MLP (Values)",
    vnet,
    X,
    Y[:, 0],
    lambda n: nn.mse([n(x, sample=k) for k, x in enumerate(X.tolist())], Y[:, 0].tolist()),
    nn.SGD(vnet.parameters(), lr=2.0),
    3000,
    20,
)
iris = load_iris()
Xi, _ = standardize(iris.X, iris.X)
Xi = np.array(Xi)
yi = np.array(iris.y)
inet = nn.TensorMLP(4, [8, 3], activation="relu", seed=0)
run(
    "Iris 4-8-3 TensorMLP",
    inet,
    Xi,
    yi,
    lambda n: nn.cross_entropy(n(Xi), yi),
    nn.SGD(inet.parameters(), lr=0.5),
    3000,
    10,
    input_names=iris.feature_names,
    output_names=iris.class_names,
)
rng = np.random.default_rng(0)
t0, t1 = rng.uniform(0, np.pi, 100), rng.uniform(0, np.pi, 100)
Xm = np.vstack([np.c_[np.cos(t0), np.sin(t0)], np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)]]) + rng.normal(0, 0.15, (200, 2))
ym = np.r_[np.zeros(100, int), np.ones(100, int)]
mnet = nn.TensorMLP(2, [16, 16, 2], activation="tanh", seed=0)
run(
    "moons 2-16-16-2 TensorMLP",
    mnet,
    Xm,
    ym,
    lambda n: nn.cross_entropy(n(Xm), ym),
    nn.Adam(mnet.parameters(), lr=0.02),
    3000,
    10,
)
