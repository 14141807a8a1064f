"""Tensor layers: Linear's layout and shapes, tags for viz, and the proof that TensorMLP and the Value MLP agree."""

import numpy as np
import pytest
from deltagrad.autograd import Tag, Value, topo_order

from deltagrad import nn


def test_linear_layout_batch_and_single_sample():
    lin = nn.Linear(3, 2, seed=0)
    assert lin.W.shape == (2, 3) and lin.b.shape == (2,)
    assert np.all(np.abs(lin.W.data) <= 1) and np.all(lin.b.data == 0)
    lin.b.data[:] = [0.5, -1.0]
    X = np.arange(12.0).reshape(4, 3)
    Z = lin(X)
    assert Z.shape == (4, 2)
    np.testing.assert_allclose(Z.data, X @ lin.W.data.T + lin.b.data)
    for k in range(4):  # z = W a + b per sample, W[j, i] from input i to neuron j
        z = lin(X[k])
        assert z.shape == (2,)
        np.testing.assert_allclose(
            z.data, [sum(lin.W.data[j, i] * X[k, i] for i in range(3)) + lin.b.data[j] for j in range(2)]
        )
        np.testing.assert_allclose(z.data, Z.data[k])


def test_linear_seed_rng_dtype_and_errors():
    assert np.array_equal(nn.Linear(3, 2, seed=1).W.data, nn.Linear(3, 2, rng=np.random.default_rng(1)).W.data)
    lin = nn.Linear(3, 2, dtype=np.float32, seed=0)
    assert lin.W.dtype == lin.b.dtype == np.float32 and lin(np.ones((2, 3), np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match=r"\(3,\) or \(n, 3\).*\(4, 2\)"):
        lin(np.ones((4, 2)))
    with pytest.raises(ValueError, match="nin=0"):
        nn.Linear(0, 2)


def test_tags_for_viz():
    net = nn.TensorMLP(2, [3, 1], activation="tanh", output_activation="linear", seed=0)
    X = np.ones((5, 2))
    out = net(X)
    nodes = {n.tag: n for n in topo_order(out.sum()) if n.tag is not None}
    assert set(nodes) == {
        Tag(0, -1, "x"),
        Tag(1, -1, "W"),
        Tag(1, -1, "b"),
        Tag(1, -1, "z"),
        Tag(1, -1, "a"),
        Tag(2, -1, "W"),
        Tag(2, -1, "b"),
        Tag(2, -1, "z"),
    }  # no "a" for a linear output
    assert nodes[Tag(2, -1, "z")] is out and not nodes[Tag(0, -1, "x")].requires_grad
    assert nodes[Tag(1, -1, "W")] is net.layers[0].W and nodes[Tag(2, -1, "b")] is net.layers[1].b


def test_sequential_and_activation_modules():
    seq = nn.Sequential(
        nn.Linear(2, 4, seed=0), nn.Activation("relu"), nn.Linear(4, 1, layer=2, seed=1), nn.Activation("sigmoid")
    )
    out = seq(np.ones((3, 2)))
    assert out.shape == (3, 1) and np.all((out.data > 0) & (out.data < 1))
    assert len(seq.parameters()) == 4 and list(seq.state_dict()) == ["layer1.W", "layer1.b", "layer2.W", "layer2.b"]
    with pytest.raises(ValueError, match="two parameters are named 'layer1.W'"):
        nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2)).state_dict()
    assert nn.Activation("tanh")(Value(0.5)).data == pytest.approx(np.tanh(0.5), abs=1e-15)
    assert nn.Activation("linear")(Value(0.5)).data == 0.5
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        nn.Activation("swish")
    with pytest.raises(ValueError, match="unknown activation"):
        nn.TensorMLP(2, [2], activation="nope")


def test_float32_mlp_trains():
    net = nn.TensorMLP(2, [4, 1], seed=0, dtype=np.float32)
    X, y = np.random.default_rng(0).standard_normal((8, 2)).astype(np.float32), np.ones((8, 1), np.float32)
    loss = ((net(X) - y) ** 2).mean()
    loss.backward()
    nn.SGD(net.parameters(), lr=0.1, momentum=0.9).step()
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in net.parameters())


def _value_loss(mlp, X, y, kind):
    outs = [mlp(list(x), sample=k) for k, x in enumerate(X)]
    if kind == "ce":
        return nn.cross_entropy(outs, [int(t) for t in y])
    return nn.mse([o for row in outs for o in row], [float(t) for t in y.ravel()])


def _tensor_loss(tmlp, X, y, kind):
    logits = tmlp(X)
    if kind == "ce":
        return -(logits.log_softmax(axis=1)[np.arange(len(X)), y]).mean(), logits
    return ((logits - y) ** 2).mean(), logits


@pytest.mark.parametrize("kind, act", [("ce", "relu"), ("ce", "tanh"), ("mse", "sigmoid"), ("mse", "gelu")])
def test_tensor_and_value_mlp_agree_on_loss_gradients_and_deltas(kind, act):
    """Same weights, same batch: the same loss, ∂L/∂W, ∂L/∂b and δ = ∂L/∂z per neuron and sample, to 1e-12."""
    rng = np.random.default_rng(3)
    n, sizes = 6, [4, 5, 3, 3]
    X = rng.standard_normal((n, sizes[0]))
    y = rng.integers(0, 3, n) if kind == "ce" else rng.standard_normal((n, 3))
    mlp = nn.MLP(sizes[0], sizes[1:], activation=act, seed=7)
    for layer in mlp.layers:  # nonzero biases, so b's layout is tested too
        for neuron in layer.neurons:
            neuron.b.data = float(rng.uniform(-0.5, 0.5))
    tmlp = nn.TensorMLP(sizes[0], sizes[1:], activation=act, seed=99)
    tmlp.load_state_dict(mlp.state_dict())

    vloss = _value_loss(mlp, X, y, kind)
    vloss.backward()
    tloss, _ = _tensor_loss(tmlp, X, y, kind)
    tloss.backward()
    assert abs(vloss.data - tloss.item()) <= 1e-12
    grads = {
        f"layer{layer.layer}.{r}": g for layer in tmlp.layers for r, g in (("W", layer.W.grad), ("b", layer.b.grad))
    }
    for l, layer in enumerate(mlp.layers, start=1):
        np.testing.assert_allclose(
            grads[f"layer{l}.W"], [[w.grad for w in nr.w] for nr in layer.neurons], rtol=0, atol=1e-12
        )
        np.testing.assert_allclose(grads[f"layer{l}.b"], [nr.b.grad for nr in layer.neurons], rtol=0, atol=1e-12)
    # δ: the Value MLP's z of neuron j for sample k against Z.grad[k, j] of the tagged Tensor z
    zs = {n.tag.layer: n for n in topo_order(tloss) if n.tag is not None and n.tag.role == "z"}
    checked = 0
    for node in topo_order(vloss):
        if node.tag is not None and node.tag.role == "z":
            t = node.tag
            assert abs(zs[t.layer].grad[t.sample, t.neuron] - node.grad) <= 1e-12
            checked += 1
    assert checked == n * sum(sizes[1:])
