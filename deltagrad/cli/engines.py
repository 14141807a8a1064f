"""The two engines of ``deltagrad train``: the losses and evaluation of an ``nn.MLP`` (Values) and an ``nn.TensorMLP``."""

from __future__ import annotations

import numpy as np

from deltagrad import nn
from deltagrad.autograd import Tensor, no_grad


def seed_xor_weights(net: nn.MLP) -> None:
    """Set a 2-3-1 net to the initial weights of seed document 002's XOR network (docs/sources.md#the-xor-network).

    ``rs = numpy.random.RandomState(43); W1 = rs.randn(2, 3); W2 = rs.randn(3, 1)``, biases 0,
    where W1[i, j] is the weight from input i to hidden neuron j (``layers[0].neurons[j].w[i]``)
    and W2[j, 0] from hidden neuron j to the output.
    """
    rs = np.random.RandomState(43)
    W1, W2 = rs.randn(2, 3), rs.randn(3, 1)
    for j, neuron in enumerate(net.layers[0].neurons):
        neuron.w[0].data, neuron.w[1].data, neuron.b.data = float(W1[0, j]), float(W1[1, j]), 0.0
    out = net.layers[1].neurons[0]
    for j in range(3):
        out.w[j].data = float(W2[j, 0])
    out.b.data = 0.0


def _as_list(o):
    return o if isinstance(o, list) else [o]


def _loss(net: nn.MLP, X, y, binary: bool):
    outs = [net(x, sample=k) for k, x in enumerate(X)]
    return nn.mse(outs, [float(t) for t in y]) if binary else nn.cross_entropy([_as_list(o) for o in outs], list(y))


def evaluate(net: nn.MLP | nn.TensorMLP, X, y, binary: bool) -> tuple[float, float | None]:
    """(loss, accuracy) of ``net`` (either engine) on rows ``X`` with labels ``y``, under ``no_grad()``.

    Accuracy is argmax of the logits, or ``output > 0.5`` for a single sigmoid output (``binary``).
    Returns ``(nan, None)`` for an empty split.
    """
    if not len(X):
        return float("nan"), None
    if isinstance(net, nn.TensorMLP):  # all rows as one matrix
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float if binary else int)
        with no_grad():
            out = net(X)
            loss = _tensor_loss_of(out, y, binary).item()
        pred = out.data[:, 0] > 0.5 if binary else out.data.argmax(axis=1)
        return loss, float(np.mean(pred == y))
    with no_grad():
        outs = [net(x) for x in X]
        loss = nn.mse(outs, [float(t) for t in y]) if binary else nn.cross_entropy([_as_list(o) for o in outs], list(y))
    if binary:
        pred = [int(o.data > 0.5) for o in outs]
    else:
        pred = [max(range(len(o)), key=lambda j, o=o: o[j].data) for o in map(_as_list, outs)]
    return loss.data, sum(p == t for p, t in zip(pred, y)) / len(y)


def _tensor_loss(net: nn.TensorMLP, X: np.ndarray, y: np.ndarray, binary: bool) -> Tensor:
    # the same losses as _loss, on a whole batch at once: MSE of the single output, or softmax cross-entropy
    return _tensor_loss_of(net(X), y, binary)


def _tensor_loss_of(out: Tensor, y: np.ndarray, binary: bool) -> Tensor:
    if binary:
        return ((out[:, 0] - y) ** 2).mean()
    return -(out.log_softmax(axis=1)[np.arange(len(y)), y]).mean()
