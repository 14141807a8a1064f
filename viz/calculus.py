"""The chain rule along one edge, read from the engine's VJPs: local derivatives and contributions."""

from __future__ import annotations

import numpy as np

from .style import as_array, unwrap

JACOBIAN_LIMIT = 64
"""Largest out.size × in.size for which a Tensor edge's full Jacobian is computed (one VJP per output element)."""

NON_COMMUTATIVE = frozenset({"sub", "div", "powv", "matmul", "where", "maximum", "minimum", "concatenate", "stack"})
"""Ops whose argument order matters: their in-edges are numbered 0, 1, … in the drawings."""


def is_tensor(node) -> bool:
    """True for a node whose data is a numpy array (a Tensor), False for a Value (a float)."""
    return isinstance(node.data, np.ndarray)


def _grad_of(node):
    g = unwrap(node.grad)  # a Value grad after backward(create_graph=True)
    if is_tensor(node):
        return np.broadcast_to(as_array(g), node.data.shape).copy()
    return float(g)


def _vjp(node, g) -> tuple:
    return tuple(node.op.vjp(g, node.data, *[p.data for p in node.parents], *node.ctx))


def contributions(node) -> tuple:
    """The share of each parent's grad that arrives along each in-edge of ``node``: ``g · ∂node/∂parent``.

    One entry per parent occurrence (``a + a`` gives two), computed by the op's own VJP with
    ``g = node.grad``, so for every node ``p``: ``p.grad`` = Σ of the contributions on its out-edges
    (the chain rule's sum over paths). A float per edge for Values; for Tensors an array of the
    parent's shape (broadcasting already undone by the VJP). A leaf has no in-edges: ``()``.

    >>> from deltagrad.autograd import Value
    >>> a, b = Value(2.0), Value(3.0)
    >>> c = a * b; c.backward()
    >>> contributions(c)
    (3.0, 2.0)
    """
    if node.op is None:
        return ()
    return tuple(as_array(c) if is_tensor(node) else float(as_array(c)) for c in _vjp(node, _grad_of(node)))


def local_derivatives(node) -> tuple:
    """∂node/∂parent for each in-edge of ``node``, from the op's VJP with ``g = 1``.

    For a Value this is a float per edge (``vjp(1.0, …)[i]``). For a Tensor it is the Jacobian,
    an array of shape ``out.shape + parent.shape`` built from one VJP per output element, or None
    when ``out.size × parent.size`` exceeds `JACOBIAN_LIMIT` (too big to show).

    >>> from deltagrad.autograd import Value
    >>> x = Value(3.0)
    >>> local_derivatives(x ** 2)
    (6.0,)
    """
    if node.op is None:
        return ()
    if not is_tensor(node):
        return tuple(float(as_array(d)) for d in _vjp(node, 1.0))
    out = node.data
    sizes = [out.size * np.asarray(p.data).size for p in node.parents]
    if max(sizes, default=0) > JACOBIAN_LIMIT:
        return tuple(None for _ in node.parents)
    if out.size == 0:  # no output element to seed a VJP with: the Jacobian is empty
        return tuple(np.zeros(out.shape + np.shape(p.data)) for p in node.parents)
    rows = [[] for _ in node.parents]
    for k in range(out.size):
        seed = np.zeros(out.size, dtype=out.dtype)
        seed[k] = 1.0
        for i, d in enumerate(_vjp(node, seed.reshape(out.shape))):
            rows[i].append(as_array(d))
    return tuple(np.stack(r).reshape(out.shape + np.shape(p.data)) if np.size(p.data)
                 else np.zeros(out.shape + np.shape(p.data)) for r, p in zip(rows, node.parents))


def numbered(node) -> bool:
    """True when ``node``'s op is non-commutative with several inputs, so its in-edges are numbered."""
    return node.op is not None and node.op.name in NON_COMMUTATIVE and len(node.parents) > 1
