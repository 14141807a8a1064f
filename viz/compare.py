"""Expected numbers on the graph: match the user's claims (by label or node) to nodes and compare."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .style import as_array, number, unwrap

ATOL = 1e-6
RTOL = 1e-4


@dataclass(frozen=True)
class Check:
    """One compared number: ``field`` (``"data"`` or ``"grad"``), the engine's and the expected value."""

    field: str
    engine: object
    expected: object
    ok: bool


def close(engine, expected, atol: float = ATOL, rtol: float = RTOL) -> bool:
    """``|a − e| ≤ atol + rtol·|e|`` for every element (shapes must broadcast); nan matches only nan.

    >>> close(1.00001, 1.0), close(1.1, 1.0), close(float("nan"), float("nan"))
    (True, False, True)
    """
    a, e = as_array(engine), as_array(expected)
    try:
        return bool(
            np.all(np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=True)) and np.broadcast(a, e).shape == a.shape
        )
    except ValueError:  # shapes do not broadcast
        return False


def mismatch_text(engine, expected, precision: int) -> str:
    """What a × says: ``expected E``; when E and the engine's number print alike at ``precision``
    (a miss within the printed digits), both at the first precision that tells them apart.

    >>> mismatch_text(0.5, 0.25, 4), mismatch_text(1.00012, 1.0, 4)
    ('expected 0.25', 'engine 1.0001, expected 1')
    """
    a, e = as_array(engine), as_array(expected)
    if a.size != 1 or e.size != 1:
        return ""
    p = precision
    while p < 17 and number(a.item(), p) == number(e.item(), p):
        p += 1
    if p == precision:
        return f"expected {number(e.item(), p)}"
    return f"engine {number(a.item(), p)}, expected {number(e.item(), p)}"


def _label_index(order: list) -> dict:
    index: dict = {}
    for node in order:
        if node.label:
            index.setdefault(node.label, []).append(node)
    return index


def resolve(order: list, expected: dict, atol: float = ATOL, rtol: float = RTOL) -> dict:
    """Map each node named in ``expected`` to its list of `Check` s.

    Args:
        order: the graph's nodes (``topo_order(root)``).
        expected: ``{key: value}``; a key is a node label (str) or a node; a value is the expected
            grad (a number or array) or a dict with ``"data"`` and/or ``"grad"``.

    Raises:
        KeyError: for a label no node carries (the message lists the labels there are), a label
            carried by several nodes, or a node that is not in the graph.
        ValueError: for a dict value with keys other than ``data``/``grad``.
    """
    labels = _label_index(order)
    members = set(map(id, order))
    out: dict = {}
    for key, want in expected.items():
        if isinstance(key, str):
            if key not in labels:
                known = ", ".join(repr(k) for k in sorted(labels)) or "none (set node.label)"
                raise KeyError(f"expected: no node is labelled {key!r}; labels in the graph: {known}")
            if len(labels[key]) > 1:
                raise KeyError(
                    f"expected: {len(labels[key])} nodes are labelled {key!r}; pass the node itself as the key"
                )
            node = labels[key][0]
        else:
            if id(key) not in members:
                raise KeyError(f"expected: {key!r} is not a node of this graph")
            node = key
        fields = want if isinstance(want, dict) else {"grad": want}
        bad = set(fields) - {"data", "grad"}
        if bad:
            raise ValueError(f"expected[{key!r}]: unknown keys {sorted(bad)}; use 'data' and/or 'grad'")
        checks = []
        for field in ("data", "grad"):
            if field in fields:
                engine = getattr(node, field)
                engine = unwrap(engine)
                checks.append(Check(field, engine, fields[field], close(engine, fields[field], atol, rtol)))
        out[node] = checks
    return out
