"""Regenerate docs/gallery/: every view of deltagrad.viz at three sizes, as PNG (and the network views as SVG).

Run from the repository root:  python docs/gallery/make.py   (about a minute; needs a Graphviz renderer
for the op views, e.g. `pip install graphviz-pure`). Sizes:

- 2-3-1: the seed documents' XOR network (sigmoid, their initial weights), after 300 epochs of SGD,
  so that one of the four points is still wrong;
- 4-8-3: Iris (relu hidden layer, softmax cross-entropy), 20 epochs on the standardized training split;
- 784-256-10: an MNIST-sized TensorMLP on synthetic 28×28 "images" (ten random prototypes plus
  noise: the repository ships no MNIST), 30 full-batch steps, He-scaled initial weights.

- chain-60: a scalar net one neuron wide and 20 layers deep, y = tanh(w·y + b): 60 ops, which the
  op view wraps into rows.

Each network view is drawn for the sample the view picks by default: the one with the highest loss.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from deltagrad import Value, nn, viz
from deltagrad.cli.engines import _loss, seed_xor_weights
from deltagrad.cli.train import _rows, _teaching_sample
from deltagrad.data import load_iris, standardize, stratified_split

HERE = Path(__file__).resolve().parent
XOR_X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_Y = [0.0, 1.0, 1.0, 0.0]


def xor_231():
    net = nn.MLP(2, [3, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    seed_xor_weights(net)
    opt = nn.SGD(net.parameters(), lr=0.5)
    for _ in range(300):
        loss = _loss(net, XOR_X, XOR_Y, True)
        opt.zero_grad()
        loss.backward()
        opt.step()
    opt.zero_grad()
    loss = _loss(net, XOR_X, XOR_Y, True)
    loss.backward()
    return net, loss


def iris_483():
    data = load_iris()
    tr, te = stratified_split(data.y, 0.2, seed=0)
    Xtr, Xte = standardize([data.X[i] for i in tr], [data.X[i] for i in te])
    net = nn.MLP(4, [8, 3], seed=0)
    opt = nn.SGD(net.parameters(), lr=0.05, momentum=0.9)
    ytr = [data.y[i] for i in tr]
    for _ in range(20):
        for s in range(0, len(tr), 16):
            loss = _loss(net, Xtr[s : s + 16], ytr[s : s + 16], False)
            opt.zero_grad()
            loss.backward()
            opt.step()
    rows = _rows(data, tr, te, Xtr, Xte)
    k, caption = _teaching_sample(net, rows, None, data, False, tr)
    net.zero_grad()
    loss = _loss(net, [rows[k][0]], [rows[k][1]], False)
    loss.backward()
    return data, caption, loss, (net, Xtr[:16], ytr[:16])


def mnist_sized():
    rng = np.random.default_rng(0)
    protos = rng.random((10, 784)) < 0.2
    y = np.arange(256) % 10
    X = np.clip(protos[y] * 0.5 + rng.normal(0.0, 0.5, (256, 784)), 0.0, 1.0)
    net = nn.TensorMLP(784, [256, 10], seed=0)
    sd = net.state_dict()
    for name in sd:  # He-scaled initial weights keep the logits in a sensible range
        sd[name] = sd[name] * (np.sqrt(2.0 / sd[name].shape[-1]) if name.endswith("W") else 0.0)
    net.load_state_dict(sd)
    opt = nn.SGD(net.parameters(), lr=0.01)
    for _ in range(5):
        loss = -(net(X).log_softmax(axis=1)[np.arange(256), y]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    opt.zero_grad()
    n = 32
    logp = net(X[:n]).log_softmax(axis=1)
    loss = -(logp[np.arange(n), y[:n]]).mean()
    loss.backward()
    k = int(np.argmax(-logp.data[np.arange(n), y[:n]]))  # the row the view picks: the highest loss
    caption = f"synthetic 28×28 image {k} · target digit {y[k]} · loss {-logp.data[k, y[k]]:.4g}"
    return loss, caption


def check_seed() -> None:
    """`deltagrad check examples/seed_001_worked_example.toml --svg`: the claim view of the seed's worked example."""
    from deltagrad.check import check_worked_example, claim_graph
    from deltagrad.viz.claims_view import draw_claims

    report = check_worked_example(HERE.parent.parent / "examples" / "seed_001_worked_example.toml")
    report.source = "examples/seed_001_worked_example.toml"  # the same title wherever make.py runs from
    save(draw_claims(claim_graph(report)), "check_seed_001", svg=True)

def deep_chain(layers: int = 20):
    """A scalar net one neuron wide and ``layers`` deep, y = tanh(w·y + b): 3 ops a layer, 60 in all."""
    rng = np.random.default_rng(0)
    y = Value(0.5, label="x")
    for i in range(1, layers + 1):
        w = Value(round(float(rng.uniform(0.5, 1.5)), 2), label=f"w{i}")
        b = Value(round(float(rng.uniform(-0.5, 0.5)), 2), label=f"b{i}")
        y = (w * y + b).tanh()
    y.label = "y"
    y.backward()
    return y


def save(drawing, name: str, svg: bool = False) -> None:
    t = time.perf_counter()
    drawing.save(HERE / f"{name}.png")
    if svg:
        drawing.save(HERE / f"{name}.svg")
    print(f"{name}.png  {(HERE / f'{name}.png').stat().st_size:>8} bytes  {time.perf_counter() - t:5.1f} s")


def main() -> int:
    net, loss = xor_231()
    worst = int(np.argmax([(net(x).data - t) ** 2 for x, t in zip(XOR_X, XOR_Y)]))
    caption = f"input x = {XOR_X[worst]} · target {XOR_Y[worst]:g} · output σ = {net(XOR_X[worst]).data:.3f} (MSE)"
    save(viz.draw(loss, view="network", input_names=["x1", "x2"], caption=caption), "network_2-3-1", svg=True)
    one = _loss(net, [XOR_X[3]], [XOR_Y[3]], True)
    one.backward()
    save(viz.draw(one, edge_labels="both", color_by="grad"), "ops_2-3-1")

    data, caption, loss, (vnet, Xb, yb) = iris_483()
    names = {"input_names": data.feature_names, "output_names": data.class_names, "caption": caption}
    save(viz.draw(loss, view="network", **names), "network_4-8-3", svg=True)
    tnet = nn.TensorMLP(4, [8, 3])
    tnet.load_state_dict(vnet.state_dict())
    tl = -(tnet(np.asarray(Xb)).log_softmax(axis=1)[np.arange(len(yb)), np.asarray(yb)]).mean()
    tl.backward()
    save(viz.draw(tl, color_by="grad"), "ops_4-8-3")

    save(viz.draw(deep_chain(), edge_labels="both", color_by="grad"), "ops_chain-60")

    big, caption = mnist_sized()
    digits = [f"digit {d}" for d in range(10)]
    save(viz.draw(big, view="network", output_names=digits, caption=caption), "network_784-256-10", svg=True)
    save(viz.draw(big, color_by="grad"), "ops_784-256-10")
    check_seed()
    return 0


if __name__ == "__main__":
    sys.exit(main())
