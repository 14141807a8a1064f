"""The op view's direction: left to right unless a long chain would make the picture far wider than tall.

Graphviz lays a graph out in ranks (one per step of the longest path). Left to right, the picture is
as wide as the ranks side by side and as tall as the fullest rank; top to bottom, the other way round.
:func:`auto_rankdir` estimates both sizes from the records' text (a monospace character ≈ 7 pt,
a record field ≈ 20 pt high) and keeps ``"LR"`` unless its aspect exceeds :data:`MAX_ASPECT` and
``"TB"`` is closer to square.
"""

from __future__ import annotations

MAX_ASPECT = 4.0
"""Widest width : height (or height : width) the op view aims for."""
CHAR, FIELD, RANKSEP, NODESEP, OP = 7.0, 20.0, 25.0, 18.0, (40.0, 30.0)


def _extent(ranks: dict, size: dict, across: int) -> tuple[float, float]:
    """(length along the ranks, extent across) for node sizes ``size[node] = (w, h)`` laid out in ``ranks``."""
    along = sum(max(size[n][1 - across] for n in nodes) for nodes in ranks.values())
    along += RANKSEP * (len(ranks) - 1)
    wide = max(sum(size[n][across] for n in nodes) + NODESEP * (len(nodes) - 1) for nodes in ranks.values())
    return along, wide


def auto_rankdir(order: list, labels: dict) -> str:
    """``"LR"`` or ``"TB"`` for the op view of ``order`` (topological) whose record texts are ``labels[node]``.

    ``labels[node]`` is the list of a record's fields. Returns ``"TB"`` only when left to right
    would be more than :data:`MAX_ASPECT` times wider than tall and top to bottom is closer to square.

    >>> from deltagrad.autograd import Value
    >>> y = Value(1.0, label="x")
    >>> for _ in range(12):
    ...     y = y * 1.0
    >>> from deltagrad.autograd import topo_order
    >>> order = topo_order(y)
    >>> auto_rankdir(order, {n: ["data 1", "grad 1"] for n in order})
    'TB'
    >>> auto_rankdir(order[:3], {n: ["data 1", "grad 1"] for n in order})
    'LR'
    """
    members = set(order)
    depth: dict = {}
    op_depth: dict = {}
    for node in order:
        parents = [p for p in node.parents if p in members]
        if node.op is not None and parents:
            op_depth[node] = max(depth[p] for p in parents) + 1
            depth[node] = op_depth[node] + 1
        else:
            depth[node] = 0
    for node in order:  # Graphviz puts a leaf (a constant, a weight) next to the op that uses it, not at rank 0
        if node.op is None or not node.parents:
            uses = [op_depth[c] for c in order if c in op_depth and any(p is node for p in c.parents)]
            if uses:
                depth[node] = min(uses) - 1
    ranks: dict = {}
    lr_size: dict = {}
    tb_size: dict = {}
    for node in order:
        if node in op_depth:
            ranks.setdefault(op_depth[node], []).append(("op", id(node)))
            lr_size[("op", id(node))] = tb_size[("op", id(node))] = OP
        ranks.setdefault(depth[node], []).append(node)
        fields = labels.get(node, [""])
        longest = max(len(f) for f in fields) * CHAR + 16
        lr_size[node] = (longest, FIELD * len(fields))  # left to right, a record's fields stack
        tb_size[node] = (sum(len(f) * CHAR + 16 for f in fields), FIELD)  # top to bottom, they sit side by side
    lr_w, lr_h = _extent(ranks, lr_size, across=1)
    tb_h, tb_w = _extent(ranks, tb_size, across=0)
    lr = max(lr_w / lr_h, lr_h / lr_w)
    tb = max(tb_w / tb_h, tb_h / tb_w)
    return "TB" if lr_w / lr_h > MAX_ASPECT and tb < lr else "LR"
