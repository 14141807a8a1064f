"""Read a network out of a tagged graph: neurons (z, a, g'(z), δ), inputs and weights, for Value or Tensor MLPs."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from deltagrad.autograd import topo_order

from .calculus import is_tensor
from .style import as_array

NO_TAGS = (
    "view='network' needs a graph whose neurons carry nn tags (z with Tag(layer, neuron, 'z'), or Tag(l, -1, 'z') "
    "on a Tensor layer's output); this one has none. Build it with nn.MLP/Layer/Neuron or use view='ops'."
)

# activations whose VJP with g = 1 is g'(z) elementwise
ELEMENTWISE = frozenset(
    [
        "tanh",
        "sigmoid",
        "relu",
        "leaky_relu",
        "elu",
        "gelu",
        "softplus",
        "exp",
        "log",
        "sin",
        "cos",
        "abs",
        "sqrt",
        "erf",
        "neg",
        "pow",
        "clip",
        "clamp",
        "expm1",
        "log1p",
    ]
)


@dataclass
class Neuron:
    """One neuron of one sample: z, a = g(z) (None when linear), g's symbol, g'(z), δ = ∂L/∂z, ∂L/∂a."""

    z: float
    a: float | None
    g: str | None
    gprime: float | None
    delta: float
    dlda: float | None


@dataclass
class Net:
    """A network as drawn: ``layers[l][j]`` neurons, ``inputs[i]`` (x or None), and the weights.

    ``matrices[l] = (W, dW)``: float arrays of shape (neurons of layer l, neurons of layer l-1),
    ``W[j, i]`` the weight from i to j and ``dW`` its ∂L/∂w (nan where the graph has no weight).
    ``weights[(l, j, i)] = (w, ∂L/∂w)`` is the same as a dict (built on first use: a 784-256-10
    net has 203,264 of them, which a summary never needs one by one).
    """

    layers: dict = field(default_factory=dict)
    inputs: dict = field(default_factory=dict)
    matrices: dict = field(default_factory=dict)
    samples: list = field(default_factory=list)
    sample: object = None
    _weights: dict | None = None

    @property
    def weights(self) -> dict:
        if self._weights is None:
            self._weights = {}
            for layer, (W, dW) in sorted(self.matrices.items()):
                for j, i in zip(*np.nonzero(~np.isnan(W))):
                    self._weights[(layer, int(j), int(i))] = (float(W[j, i]), float(dW[j, i]))
        return self._weights


def _matrices(weights: dict) -> dict:
    """``{(l, j, i): (w, dw)}`` as ``{l: (W, dW)}`` arrays, nan where no weight exists."""
    out: dict = {}
    for layer in sorted({k[0] for k in weights}):
        keys = [k for k in weights if k[0] == layer]
        W = np.full((max(k[1] for k in keys) + 1, max(k[2] for k in keys) + 1), np.nan)
        dW = W.copy()
        for _, j, i in keys:
            W[j, i], dW[j, i] = weights[(layer, j, i)]
        out[layer] = (W, dW)
    return out


def _abs_or_inf(x) -> float:
    v = abs(_f(x))
    return float("inf") if v != v else v


def _f(x) -> float:
    return float(as_array(x))


def _gprime(a, z_data) -> float | None:
    """g'(z) from the activation's own VJP with g = 1 (an elementwise op only)."""
    if a is None or a.op is None or a.op.name not in ELEMENTWISE or len(a.parents) != 1:
        return None
    g = np.ones_like(a.data) if is_tensor(a) else 1.0
    return a.op.vjp(g, a.data, z_data, *a.ctx)[0]


# ------------------------------------------------------------------ Values (nn.Neuron tags)


def _passes(nodes: list) -> list:
    """One sample key per node: its tag's ``sample`` if those are unique per neuron, else its pass number."""
    keys = [(n.tag.layer, n.tag.neuron, n.tag.sample) for n in nodes]
    if len(set(keys)) == len(keys):
        return [n.tag.sample for n in nodes]
    seen: dict = {}
    out = []
    for n in nodes:
        k = (n.tag.layer, n.tag.neuron)
        out.append(seen.get(k, 0))
        seen[k] = seen.get(k, 0) + 1
    return out


def _pick(nodes: list, key) -> dict:
    return {(n.tag.layer, n.tag.neuron): n for n, k in zip(nodes, _passes(nodes)) if k == key}


def _inputs_of(z) -> dict:
    """The inputs x_i of a first-layer neuron, read off its z (fused ``linear`` or a chain of w*x)."""
    if z.op is not None and z.op.name == "linear" and z.ctx:
        n = int(z.ctx[0])
        return {i: z.parents[n + i] for i in range(n)}
    out = {}
    for node in topo_order(z):
        if node.op is not None and node.op.name == "mul" and len(node.parents) == 2:
            for w, x in (node.parents, node.parents[::-1]):
                if w.tag is not None and w.tag.role == "w" and w.tag.index is not None:
                    out.setdefault(w.tag.index, x)
    return out


def _value_net(tagged: dict, sample) -> Net:
    zs = tagged["z"]
    keys = _passes(zs)
    samples = list(dict.fromkeys(keys))
    if sample is None:  # the sample with the largest output |δ| (the first of equals)
        last = max(z.tag.layer for z in zs)
        push: dict = {}
        for z, k in zip(zs, keys):
            if z.tag.layer == last:
                push[k] = push.get(k, 0.0) + _abs_or_inf(z.grad)
        sample = max(samples, key=lambda k: (push.get(k, 0.0), -samples.index(k)))
    elif sample not in samples:
        raise ValueError(f"sample={sample!r} is not in the graph; it holds samples {samples}")
    z_of, a_of, x_of = _pick(zs, sample), _pick(tagged["a"], sample), _pick(tagged["x"], sample)
    net = Net(samples=samples, sample=sample)
    for layer, j in sorted(z_of):
        z, a = z_of[(layer, j)], a_of.get((layer, j))
        g = a.op.symbol if a is not None and a.op is not None else None
        gp = _gprime(a, z.data)
        net.layers.setdefault(layer, {})[j] = Neuron(
            z.data,
            None if a is None else a.data,
            g,
            None if gp is None else _f(gp),
            _f(z.grad),
            None if a is None else _f(a.grad),
        )
    first = min(net.layers)
    weights = {}
    for (layer, j, i), w in tagged["w"].items():
        if (layer, j) in z_of:
            weights[(layer, j, i)] = (float(w.data), _f(w.grad))
    net.matrices, net._weights = _matrices(weights), dict(sorted(weights.items()))
    inputs = sorted({i for (layer, _, i) in net.weights if layer == first} | {i for (_, i) in x_of})
    untagged = {} if len(x_of) >= len(inputs) else _inputs_of(z_of[(first, min(net.layers[first]))])
    for i in inputs:
        x = x_of.get((first - 1, i)) or untagged.get(i)
        net.inputs[i] = None if x is None else x.data
    return net


# ------------------------------------------------------------------ Tensors (Tag(l, -1, role))


def _row(arr, k):
    a = np.asarray(arr, dtype=float)
    return a[k] if a.ndim == 2 else a


def _tensor_inputs(tagged: dict, first: int, nin: int):
    if tagged["X"] is not None:
        return tagged["X"].data
    w = tagged["W"][first]
    # the input is the other operand of the first layer's product: x in linear(x, W, b), X in
    # X @ W.T, x in W @ x (one sample)
    for node in topo_order(tagged["Z"][first]):
        if node.op is None or node.op.name not in ("linear", "matmul") or w not in _operands(node):
            continue
        for x in node.parents:
            if x is not w and x not in _operands_of_t(w, node) and np.shape(x.data)[-1:] == (nin,):
                return x.data
    return None


def _operands(node) -> list:
    # a product's parents, seeing through a transpose (W.T counts as W)
    return [p.parents[0] if p.op is not None and p.op.name == "transpose" else p for p in node.parents]


def _operands_of_t(w, node) -> list:
    return [p for p in node.parents if p.op is not None and p.op.name == "transpose" and p.parents[0] is w]


def _tensor_net(tagged: dict, sample) -> Net:
    zs, ws = tagged["Z"], tagged["W"]
    first = min(zs)
    n = zs[first].data.shape[0] if zs[first].data.ndim == 2 else 1
    samples = list(range(n)) if zs[first].data.ndim == 2 else [None]
    if sample is None:  # the row with the largest output |δ| (the first of equals)
        Zl = zs[max(zs)]
        D = np.broadcast_to(np.asarray(Zl.grad, dtype=float), Zl.data.shape)
        sample = None if D.ndim < 2 else int(np.argmax(np.where(np.isnan(D), np.inf, np.abs(D)).sum(axis=1)))
    elif sample not in samples:
        raise ValueError(f"sample={sample!r} is not in the graph; the batch holds samples {samples}")
    net = Net(samples=samples, sample=sample)
    k = 0 if sample is None else sample
    for layer, Z in sorted(zs.items()):
        A = tagged["A"].get(layer)
        g = A.op.symbol if A is not None and A.op is not None else None
        gp = _gprime(A, Z.data)
        z, delta = _row(Z.data, k), _row(np.broadcast_to(np.asarray(Z.grad, dtype=float), Z.data.shape), k)
        a = None if A is None else _row(A.data, k)
        dlda = None if A is None else _row(np.broadcast_to(np.asarray(A.grad, dtype=float), A.data.shape), k)
        gpk = None if gp is None else _row(gp, k)
        net.layers[layer] = {
            j: Neuron(
                float(z[j]),
                None if a is None else float(a[j]),
                g,
                None if gpk is None else float(gpk[j]),
                float(delta[j]),
                None if dlda is None else float(dlda[j]),
            )
            for j in range(z.shape[-1])
        }
        W = ws.get(layer)
        if W is not None:
            grad = np.broadcast_to(np.asarray(W.grad, dtype=float), W.data.shape)
            net.matrices[layer] = (np.array(W.data, dtype=float), np.array(grad, dtype=float))
    nin = ws[first].data.shape[1] if first in ws else 0
    x = _tensor_inputs(tagged, first, nin) if first in ws else None
    for i in range(nin):
        net.inputs[i] = None if x is None else float(_row(x, k)[i])
    return net


def read_network(root, sample=None) -> Net:
    """The network that computed ``root``, read from its nodes' `autograd.Tag` s.

    ``sample=None`` picks the sample (forward pass or batch row) whose output neurons have the
    largest Σ|δ|: with softmax cross-entropy (δ = p − onehot, Σ|δ| = 2(1 − p_target)/N) and
    one-output MSE that is the sample with the highest loss.

    Values carry one tag per scalar (``Tag(l, j, "z", sample=k)`` …, set by ``nn.Neuron``); Tensors one
    per layer (``Tag(l, -1, "W" | "b" | "z" | "a")``, ``Tag(0, -1, "x")``), where neuron j of sample k
    is column j of row k (``Z.data[k, j]``, δ = ``Z.grad[k, j]``, weight i→j = ``W.data[j, i]``).

    Raises:
        ValueError: if no node carries a z tag, or ``sample`` is not in the graph.
        TypeError: for a bool ``sample`` (True would silently mean sample 1), or a non-integer one
            for a Tensor batch.
    """
    if isinstance(sample, (bool, np.bool_)):
        raise TypeError(f"sample= takes which sample to show (e.g. sample=0), not a bool: got {sample!r}")
    values: dict = {"x": [], "z": [], "a": [], "w": {}}
    tensors: dict = {"X": None, "Z": {}, "A": {}, "W": {}}
    for n in topo_order(root):
        tag = n.tag
        if tag is None:
            continue
        if is_tensor(n):
            if tag.role == "x":
                tensors["X"] = n
            elif tag.role in ("z", "a", "W"):
                tensors[tag.role.upper()][tag.layer] = n
        elif tag.role == "w":
            values["w"][(tag.layer, tag.neuron, tag.index)] = n
        elif tag.role in ("x", "z", "a"):
            values[tag.role].append(n)
    if values["z"]:
        return _value_net(values, sample)
    if tensors["Z"]:
        if sample is not None and not isinstance(sample, (int, np.integer)):
            raise TypeError(f"sample= takes a row of the batch (an int), got {type(sample).__name__} {sample!r}")
        return _tensor_net(tensors, sample)
    raise ValueError(NO_TAGS)
