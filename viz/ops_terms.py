"""What the op view writes beside the numbers: a node's data/grad text, the edge terms, the inactive-ReLU marks."""

from __future__ import annotations

import numpy as np

from . import calculus
from .style import as_array, number, summary, unwrap


def show(x, precision: int) -> str:
    """A node's data or grad as text: one number for a Value, `viz.style.summary` for a Tensor."""
    return summary(x, precision) if np.ndim(unwrap(x)) else number(x, precision)


def has_grad(node) -> bool:
    """False for a constant (or an input that asked for no gradient) and for a grad cleared to None."""
    if node.grad is None:  # `p.grad = None` or an optimizer's zero_grad(): no gradient yet, shown as "—"
        return False
    return bool(node.requires_grad or np.any(as_array(node.grad) != 0))


def blocked(order: list) -> dict:
    """Scalar nodes whose grad is exactly 0 because of an inactive ReLU, not because it vanished.

    ``"inactive"``: the input z of a relu at z <= 0 (relu'(z) = 0); ``"blocked"``: every node that
    consumes it is inactive or blocked, so no path to the output lets a gradient through.

    >>> from deltagrad.autograd import Value, topo_order
    >>> z = Value(-1.0, label="z"); y = z.relu(); y.backward()
    >>> [(n.label, mark) for n, mark in blocked(topo_order(y)).items()]
    [('z', 'inactive')]
    """
    consumers: dict = {}
    for n in order:
        for p in n.parents:
            consumers.setdefault(p, []).append(n)
    marks: dict = {}
    for n in reversed(order):  # consumers before the nodes they consume
        if not isinstance(n.grad, float) or n.grad != 0.0 or n not in consumers:
            continue
        if any(c.op.name == "relu" and not n.data > 0.0 for c in consumers[n]):
            marks[n] = "inactive"
        elif all(c in marks for c in consumers[n]):
            marks[n] = "blocked"
    return marks


def edge_texts(node, want: str, precision: int) -> list[list[str]]:
    """The label lines of each in-edge of ``node`` (an op's result): ``local …`` and/or ``contrib …`` (not escaped).

    ``want``: ``"local"`` (∂node/∂parent, a Tensor's Jacobian summarised or ``J too big``),
    ``"contribution"`` (grad(node) · local, the share of the parent's grad sent along the edge;
    none for a parent without a grad) or ``"both"``.

    >>> from deltagrad.autograd import Value
    >>> a = Value(2.0); y = a * a; y.backward()
    >>> edge_texts(y, "both", 4)
    [['local 2', 'contrib 2'], ['local 2', 'contrib 2']]
    """
    tensor = calculus.is_tensor(node)
    local = calculus.local_derivatives(node) if want != "contribution" else (None,) * len(node.parents)
    contrib = calculus.contributions(node)
    out = []
    for k, p in enumerate(node.parents):
        parts = []
        if want in ("local", "both"):
            lk = local[k]
            parts.append("local " + ("J too big" if lk is None else show(lk, precision) if tensor else number(lk, precision)))
        if want in ("contribution", "both") and has_grad(p):
            parts.append("contrib " + (show(contrib[k], precision) if tensor else number(contrib[k], precision)))
        out.append(parts)
    return out


EDGE_KEY = "edges: local = ∂out/∂in, contrib = grad(out) · local\\n(the contribs leaving a node sum to its grad)"
