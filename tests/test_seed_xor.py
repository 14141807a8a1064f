"""Seed document 002's numpy XOR net (2-3-1 sigmoid, RandomState(43), lr 0.1), rebuilt on Tensors.

The facts used here are recorded in docs/sources.md#the-xor-network.

The seed trains with a hand-written backward that computes the gradient of ½·MSE
(δ² = (a² - y)·σ'(z²), dW = aᵀδ / m) and prints the plain MSE every 1000 epochs, from the forward
before that epoch's update. Here the engine differentiates 0.5 * mean((a2 - y)²) instead, and
nn.SGD applies W ← W - 0.1·dW: the printed numbers must come out to the same 4 decimals.
"""

import numpy as np

from deltagrad import nn

PRINTED = [0.3741, 0.2462, 0.2399, 0.2296, 0.2139, 0.1918, 0.1599, 0.1168, 0.0758, 0.0487]  # epochs 0, 1000, ..., 9000


def test_seed_xor_trajectory():
    rs = np.random.RandomState(43)  # the seed's np.random.seed(43)
    W1, W2 = rs.randn(2, 3), rs.randn(3, 1)  # the seed's layout: X @ W1, W1[i, j] from input i to neuron j
    net = nn.TensorMLP(2, [3, 1], activation="sigmoid", output_activation="sigmoid")
    # ours is z = W a + b, so our W is the seed's transposed
    net.load_state_dict({"layer1.W": W1.T, "layer1.b": np.zeros(3), "layer2.W": W2.T, "layer2.b": np.zeros(1)})
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    opt = nn.SGD(net.parameters(), lr=0.1)
    printed = []
    for epoch in range(10000):
        err = net(X) - y
        loss = 0.5 * (err**2).mean()
        if epoch % 1000 == 0:
            printed.append(round(2 * loss.item(), 4))  # the seed prints mean((y - a2)²) = 2·loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert printed == PRINTED
