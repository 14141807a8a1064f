"""The walks over a graph shared by every node type and both sweeps: ``topo_order`` and hook calls.

Imports nothing from the engine: ``graph`` (the general backward, ``grad``) and ``sweep`` (the
lean backward of training) both build on it.
"""

from __future__ import annotations

from typing import Any


def topo_order(root: Any) -> list:
    """Every node ``root`` depends on, parents before children, ending with ``root``.

    Iterative depth-first search (no recursion, so a chain of a million nodes works). Parents are
    visited in argument order, so the same graph always gives the same order (viz relies on it for
    stable node ids). Each node appears once, however many times it is used.

    >>> from deltagrad.autograd import Value, topo_order
    >>> a = Value(1.0, label="a"); b = a * a
    >>> [n.label or n.op.name for n in topo_order(b)]
    ['a', 'mul']
    """
    return _order(root, True)


def _order(root: Any, all_leaves: bool) -> list:
    # the one iterative post-order walk; leaves are emitted when all_leaves, else only hooked ones
    order: list = []
    seen: set = {root}
    stack = [(root, iter(root.parents))]
    push, emit, mark = stack.append, order.append, seen.add
    while stack:
        node, it = stack[-1]
        for p in it:
            if p.parents:
                if p not in seen:
                    mark(p)
                    push((p, iter(p.parents)))
                    break
            elif (all_leaves or p._hooks) and p not in seen:  # a leaf: nothing to visit first
                mark(p)
                emit(p)
        else:
            stack.pop()
            emit(node)
    return order


def _call_hooks(n: Any, g: Any) -> Any:
    for hook in n._hooks:
        r = hook(g)
        if r is not None:
            g = r
    return g
