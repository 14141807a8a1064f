"""worked_math: the engine's values of a worked example, and each step's formula from the claims before it."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from deltagrad.autograd import Tensor

ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear", "softmax")
LOSSES = ("mse", "half_mse", "cross_entropy")


def claim_order(L: int) -> list[str]:
    """The order in which a derivation makes its claims: forward, loss, backward layer by layer, updates.

    >>> claim_order(1)
    ['z1', 'a1', 'loss', 'delta1', 'dW1', 'db1', 'W1_new', 'b1_new']
    """
    keys = [k for l in range(1, L + 1) for k in (f"z{l}", f"a{l}")] + ["loss"]
    keys += [k for l in range(L, 0, -1) for k in (f"delta{l}", f"dW{l}", f"db{l}")]
    return keys + [k for l in range(1, L + 1) for k in (f"W{l}_new", f"b{l}_new")]


def _act(z: Tensor, name: str) -> Tensor:
    return {"sigmoid": z.sigmoid, "tanh": z.tanh, "relu": z.relu, "softmax": lambda: z.softmax(axis=-1),
            "linear": lambda: z}[name]()


def engine_graph(sizes, acts, loss, params, x, y) -> tuple[Tensor, dict[str, Tensor]]:
    """Forward, loss and one backward with Tensor ops (z = a Wᵀ + b row-wise, i.e. z = W a + b per sample).

    Returns the loss node and the named nodes ``{"x", "y", "W1", "b1", "z1", "a1", ..., "loss"}``,
    each labelled with its name (a linear layer's a is its z: one node labelled ``z1 = a1``).
    """
    W = {l: Tensor(params[f"W{l}"], label=f"W{l}") for l in range(1, len(sizes))}
    b = {l: Tensor(params[f"b{l}"], label=f"b{l}") for l in range(1, len(sizes))}
    a, Y = Tensor(x, requires_grad=False, label="x"), Tensor(y, requires_grad=False, label="y")
    nodes = {"x": a, "y": Y}
    for l in range(1, len(sizes)):
        z = a @ W[l].T + b[l]
        z.label = f"z{l}"
        a = _act(z, acts[l - 1])
        a.label = f"z{l} = a{l}" if a is z else f"a{l}"
        nodes.update({f"W{l}": W[l], f"b{l}": b[l], f"z{l}": z, f"a{l}": a})
    m, zL = x.shape[0], nodes[f"z{len(sizes) - 1}"]
    if loss == "mse":
        L = ((a - Y) ** 2).mean()
    elif loss == "half_mse":
        L = ((a - Y) ** 2).sum() * (0.5 / m)
    elif acts[-1] == "softmax":
        L = -(Y * zL.log_softmax(axis=-1)).sum() * (1.0 / m)
    else:  # binary cross-entropy on a sigmoid output, from z (stable): softplus(z) - y·z
        L = (zL.softplus() - Y * zL).sum() * (1.0 / m)
    nodes["loss"] = L
    L.label = "loss"
    L.backward()
    return L, nodes


def engine_values(sizes, acts, loss, params, x, y, lr, graph=None) -> dict[str, np.ndarray]:
    """The engine's numbers of a worked example (the graph of `engine_graph`, or ``graph`` if given).

    Returns every claimable quantity in its canonical shape: z/a/δ (m, n), loss (), dW (n_out, n_in),
    db (n_out,), W_new/b_new = W/b - lr·grad (when ``lr`` is given). δ is per sample: m·∂L/∂z.
    """
    L, n = graph if graph is not None else engine_graph(sizes, acts, loss, params, x, y)
    m = x.shape[0]
    out = {"loss": np.asarray(L.data, dtype=float).reshape(())}
    for l in range(1, len(sizes)):
        W, b, z = n[f"W{l}"], n[f"b{l}"], n[f"z{l}"]
        out[f"z{l}"], out[f"a{l}"], out[f"delta{l}"] = z.data, n[f"a{l}"].data, np.asarray(z.grad) * m
        out[f"dW{l}"], out[f"db{l}"] = np.asarray(W.grad), np.asarray(b.grad)
        if lr is not None:
            out[f"W{l}_new"], out[f"b{l}_new"] = W.data - lr * W.grad, b.data - lr * b.grad
    return out


def _g(name: str, z: np.ndarray) -> np.ndarray:
    if name == "softmax":
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    return {"sigmoid": lambda: 1 / (1 + np.exp(-z)), "tanh": lambda: np.tanh(z),
            "relu": lambda: np.maximum(z, 0.0), "linear": lambda: z}[name]()


def _dg_from_a(name: str, a: np.ndarray) -> np.ndarray:
    """g'(z) written with a = g(z), as derivations do: σ' = a(1 - a), tanh' = 1 - a², relu' = [a > 0]."""
    return {"sigmoid": lambda: a * (1 - a), "tanh": lambda: 1 - a * a, "relu": lambda: (a > 0) * 1.0,
            "linear": lambda: np.ones_like(a)}[name]()


def _loss(loss: str, last: str, a: np.ndarray, y: np.ndarray) -> np.ndarray:
    m = a.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        if loss == "mse":
            return np.asarray(np.mean((a - y) ** 2))
        if loss == "half_mse":
            return np.asarray(0.5 * np.sum((a - y) ** 2) / m)
        if last == "softmax":
            return np.asarray(-np.sum(y * np.log(a)) / m)
        return np.asarray(-np.sum(y * np.log(a) + (1 - y) * np.log(1 - a)) / m)


def _delta_out(loss: str, last: str, a: np.ndarray, y: np.ndarray) -> np.ndarray:
    if loss == "cross_entropy":
        return a - y  # softmax + CE and sigmoid + BCE both give δ = a - y
    grad_a = (a - y) * (2.0 / a.shape[1] if loss == "mse" else 1.0)
    if last == "softmax":  # δ = J_softmaxᵀ ∇a = a ⊙ (∇a - Σ ∇a ⊙ a)
        return a * (grad_a - np.sum(grad_a * a, axis=-1, keepdims=True))
    return grad_a * _dg_from_a(last, a)


def implied(key: str, sizes, acts, loss, lr) -> tuple[list[str], Callable[[dict], np.ndarray]]:
    """The inputs and the formula of one step, evaluated on the derivation's own values ``d``.

    ``d`` maps x, y, W1, b1, ... and every earlier quantity (its claim when claimed, else what the
    claims before it imply) to arrays in canonical shapes.
    """
    L = len(sizes) - 1
    kind, l = (key, 0) if key == "loss" else _split(key)
    prev = "x" if l == 1 else f"a{l - 1}"
    if kind == "z":
        return [prev], lambda d: d[prev] @ d[f"W{l}"].T + d[f"b{l}"]
    if kind == "a":
        return [f"z{l}"], lambda d: _g(acts[l - 1], d[f"z{l}"])
    if kind == "loss":
        return [f"a{L}"], lambda d: _loss(loss, acts[-1], d[f"a{L}"], d["y"])
    if kind == "delta" and l == L:
        return [f"a{L}"], lambda d: _delta_out(loss, acts[-1], d[f"a{L}"], d["y"])
    if kind == "delta":
        return [f"delta{l + 1}", f"a{l}"], lambda d: (d[f"delta{l + 1}"] @ d[f"W{l + 1}"]) * _dg_from_a(
            acts[l - 1], d[f"a{l}"])
    if kind == "dW":
        return [f"delta{l}", prev], lambda d: d[f"delta{l}"].T @ d[prev] / d["x"].shape[0]
    if kind == "db":
        return [f"delta{l}"], lambda d: d[f"delta{l}"].mean(axis=0)
    if kind == "W_new":
        return [f"dW{l}"], lambda d: d[f"W{l}"] - lr * d[f"dW{l}"]
    return [f"db{l}"], lambda d: d[f"b{l}"] - lr * d[f"db{l}"]


def _split(key: str) -> tuple[str, int]:
    if key.endswith("_new"):
        return key[0] + "_new", int(key[1:-4])
    head = key.rstrip("0123456789")
    return head, int(key[len(head):])
