"""nn on Values against hand-derived backprop written in numpy (the matrix formulas of docs/sources.md#the-notation)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from deltagrad.autograd import Tag, Value
from deltagrad.nn import MLP, SGD, Layer, Neuron, cross_entropy, mse, softmax

from deltagrad import autograd


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def weights(net):
    """W^(l) as numpy arrays laid out as in docs/sources.md#the-notation: W[j, i] from input i to neuron j."""
    Ws = [np.array([[w.data for w in n.w] for n in layer.neurons]) for layer in net.layers]
    bs = [np.array([n.b.data for n in layer.neurons]) for layer in net.layers]
    return Ws, bs


def test_delta_matches_matrix_backprop_for_a_sigmoid_net():
    """δ^(L) = (2/n)(a - y) ⊙ σ'(z^(L)), δ^(l) = (W^(l+1))ᵀ δ^(l+1) ⊙ σ'(z^(l)), ∂L/∂W^(l) = δ^(l) a^(l-1)ᵀ."""
    net = MLP(2, [3, 2], activation="sigmoid", output_activation="sigmoid", seed=7)
    x, y = np.array([0.3, -1.2]), np.array([1.0, 0.0])
    out = net(list(x), sample=0)
    loss = mse(out, list(y))
    loss.backward()

    (W1, W2), (b1, b2) = weights(net)
    z1 = W1 @ x + b1
    a1 = sigmoid(z1)
    z2 = W2 @ a1 + b2
    a2 = sigmoid(z2)
    d2 = (2 / 2) * (a2 - y) * a2 * (1 - a2)
    d1 = (W2.T @ d2) * a1 * (1 - a1)
    assert loss.data == pytest.approx(np.mean((a2 - y) ** 2), rel=1e-14)

    zs = {}
    for node in autograd.topo_order(loss):
        if node.tag and node.tag.role == "z":
            zs[(node.tag.layer, node.tag.neuron)] = node
    assert len(zs) == 5
    for j in range(3):
        assert zs[(1, j)].grad == pytest.approx(d1[j], rel=1e-12)
    for j in range(2):
        assert zs[(2, j)].grad == pytest.approx(d2[j], rel=1e-12)
    dW1, dW2 = np.outer(d1, x), np.outer(d2, a1)
    for j, n in enumerate(net.layers[0].neurons):
        assert [w.grad for w in n.w] == pytest.approx(list(dW1[j]), rel=1e-12)
        assert n.b.grad == pytest.approx(d1[j], rel=1e-12)
    for j, n in enumerate(net.layers[1].neurons):
        assert [w.grad for w in n.w] == pytest.approx(list(dW2[j]), rel=1e-12)


def test_fused_and_unfused_neurons_agree_with_hand_values():
    for fused in (True, False):
        n = Neuron(2, "tanh", fused=fused)
        n.w[0].data, n.w[1].data, n.b.data = -3.0, 1.0, 6.8813735870195432
        a = n([2.0, 0.0])
        a.backward()
        # z = asinh(1): a = 1/sqrt 2, da/dz = 0.5
        assert a.data == pytest.approx(2**-0.5, rel=1e-15)
        assert (n.w[0].grad, n.w[1].grad, n.b.grad) == pytest.approx((1.0, 0.0, 0.5), rel=1e-12)


def test_tags_name_layer_neuron_role():
    net = MLP(2, [2, 1], seed=0)
    out = net([1.0, 2.0], sample=3)
    tags = {n.tag for n in autograd.topo_order(out) if n.tag}
    assert Tag(1, 0, "w", index=1) in tags and Tag(2, 0, "b") in tags
    assert Tag(1, 1, "z", sample=3) in tags and Tag(1, 1, "a", sample=3) in tags
    assert Tag(0, 1, "x", sample=3) in tags and Tag(2, 0, "z", sample=3) in tags


def test_cross_entropy_value_and_gradient_from_softmax():
    z = [Value(1.0), Value(-0.5), Value(2.0)]
    loss = cross_entropy(z, 2)
    loss.backward()
    e = [math.exp(v) for v in (1.0, -0.5, 2.0)]
    p = [v / sum(e) for v in e]
    assert loss.data == pytest.approx(-math.log(p[2]), rel=1e-14)
    assert [v.grad for v in z] == pytest.approx([p[0], p[1], p[2] - 1], rel=1e-12)


def test_cross_entropy_batch_mean_and_large_logits():
    batch = [[Value(1000.0), Value(0.0)], [Value(0.0), Value(0.0)]]
    loss = cross_entropy(batch, [1, 0])
    assert loss.data == pytest.approx((1000.0 + math.log(2)) / 2, rel=1e-12)
    loss.backward()
    assert batch[0][1].grad == pytest.approx(-0.5) and batch[1][0].grad == pytest.approx(-0.25)


@pytest.mark.parametrize("target", [3, -1, 1.0, True])
def test_cross_entropy_rejects_bad_targets(target):
    with pytest.raises(ValueError, match="class index"):
        cross_entropy([Value(0.0), Value(1.0), Value(2.0)], target)


def test_mse_value_gradient_and_errors():
    p = [Value(1.0), Value(3.0), Value(-2.0)]
    loss = mse(p, [0.0, 1.0, 0.0])
    loss.backward()
    assert loss.data == pytest.approx(9 / 3)
    assert [v.grad for v in p] == pytest.approx([2 / 3 * 1, 2 / 3 * 2, 2 / 3 * -2])
    with pytest.raises(ValueError, match="3 elements"):
        mse(p, [1.0])


def test_softmax_sums_to_one():
    s = softmax([Value(1.0), Value(2.0), Value(3.0)])
    assert sum(v.data for v in s) == pytest.approx(1.0)


def test_sgd_step_and_momentum():
    w = Value(1.0)
    opt = SGD([w], lr=0.1, momentum=0.9)
    for _ in range(2):
        opt.zero_grad()
        (w * w).backward()
        opt.step()
    # v1 = 2, w1 = 1 - 0.2 = 0.8; g2 = 1.6, v2 = 0.9*2 + 1.6 = 3.4, w2 = 0.8 - 0.34 = 0.46
    assert w.data == pytest.approx(0.46)
    with pytest.raises(ValueError):
        SGD([], lr=0.1)
    with pytest.raises(ValueError):
        SGD([w], lr=0.0)


def test_module_parameters_and_zero_grad():
    net = MLP(3, [4, 2], seed=1)
    assert len(net.parameters()) == 3 * 4 + 4 + 4 * 2 + 2
    cross_entropy(net([1.0, 2.0, 3.0]), 1).backward()
    assert any(p.grad != 0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())  # torch's Module.zero_grad(set_to_none=True)
    cross_entropy(net([1.0, 2.0, 3.0]), 1).backward()
    net.zero_grad(set_to_none=False)
    assert all(p.grad == 0.0 for p in net.parameters())
    assert len(Layer(3, 4).parameters()) == 16


def test_mlp_bad_inputs():
    with pytest.raises(ValueError, match="expected 2 inputs"):
        MLP(2, [1])([1.0])
    with pytest.raises(ValueError, match="unknown activation"):
        MLP(2, [1], activation="swish")
