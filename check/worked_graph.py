"""worked_graph: a worked example's claims folded into one node per claimed quantity, with "follows from" edges.

The engine's graph of a worked example has many intermediate nodes (``x @ W1ᵀ``, ``a2 - y``, the
loss's terms, the transposes); a student's derivation has a handful of named quantities. This module
folds the first into the second: one `ClaimNode` per quantity the format can claim (z, a,
loss, δ, dW, db, W_new, b_new), the report's verdict on it, and an edge A → B when B is computed
from A in the engine's graph with no other quantity in between. The rows put the layers top to
bottom in the order of the derivation: the forward pass layer by layer, the loss, the backward pass
from the last layer to the first, then the updates. ``deltagrad check FILE --svg`` draws it
(`deltagrad.viz.claims_view.claims_source`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from deltagrad.autograd import topo_order

from .worked import WorkedReport, _step, _verdict
from .worked_math import claim_order

LINEAR_OPS = frozenset({"add", "sub", "neg", "sum", "mean", "reshape", "transpose", "broadcast_to", "getitem",
                        "concatenate", "stack", "scatter_add"})
"""Ops whose local derivative is a constant: the gradient of an input needs no data, only the output's gradient."""
BILINEAR_OPS = frozenset({"mul", "matmul", "linear"})
"""Ops whose local derivative for one input is the *other* inputs' data (∂(a·b)/∂a = b)."""


@dataclass
class ClaimNode:
    """One quantity of the derivation, as drawn.

    Attributes:
        key: the claim's name in the file (``z1``, ``delta2``, ``W1_new`` ...).
        step: how it is computed, as the text report writes it (``W1·x + b1``, ``δ2 = ∂L/∂z2``).
        row: index into `ClaimGraph.rows`.
        kind: ``"ok"``, ``"first wrong"``, ``"follows"``, ``"not claimed"`` or ``"unanswered"``.
        verdict: the verdict in words (``"right"``, ``"first wrong here"``, ``"follows from z1"`` ...).
        claimed: the claimed array in its canonical shape (z, a, δ: (samples, n); dW: (n_out, n_in);
            db: (n_out,); loss: ()), or None when not claimed.
        engine: the engine's value, same shape (δ per sample: samples · ∂L/∂z, as claimed); None
            when it is withheld (an unanswered claim of an answers file).
        line: the claim's line in the file, or None.
        note: a short remark (a miss that may be rounding; a right number that the claims before it
            do not give), or "".
    """

    key: str
    step: str
    row: int
    kind: str
    verdict: str
    claimed: np.ndarray | None
    engine: np.ndarray | None
    line: int | None = None
    note: str = ""


@dataclass
class ClaimGraph:
    """The folded view: ``nodes`` (one `ClaimNode` per quantity, in the order of the derivation),
    ``edges`` (``(from_key, to_key)``: the second is computed from the first), ``rows`` (the title of
    each row, top to bottom), ``title`` (the file and its network) and ``summary`` (the report's last line)."""

    title: str
    summary: str
    rows: list[str] = field(default_factory=list)
    nodes: list[ClaimNode] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)

    def __getitem__(self, key: str) -> ClaimNode:
        return next(n for n in self.nodes if n.key == key)


def _where(key: str, nodes: dict) -> tuple | None:
    """The engine node and field that hold quantity ``key`` (None for an updated weight: no node)."""
    kind = key.rstrip("0123456789")
    if key.endswith("_new"):
        return None
    if kind in ("z", "a", "loss"):
        return nodes.get(key), "data"
    if kind == "delta":
        return nodes.get("z" + key[5:]), "grad"
    return nodes.get(key[1:]), "grad"  # dW, db


def _inputs(pair, consumers: dict) -> list:
    """The (node, field) pairs the engine computes ``pair`` from: a data from its parents' data; a grad
    from each consumer's grad and the data of the local derivative (none for a linear op, the other
    inputs for a bilinear one, every input otherwise)."""
    node, fld = pair
    if fld == "data":
        return [(p, "data") for p in node.parents]
    out = []
    for c in consumers.get(id(node), ()):
        out.append((c, "grad"))
        name = getattr(c.op, "name", "")
        if name in LINEAR_OPS:
            continue
        others = [p for p in c.parents if p is not node] if name in BILINEAR_OPS else list(c.parents)
        out.extend((p, "data") for p in others)
    return out


def claim_graph(report: WorkedReport, unanswered=(), summary: str | None = None) -> ClaimGraph:
    """Fold ``report`` (from `deltagrad.check.check_worked_example`) into one node per quantity.

    Every quantity the example can claim gets one node (W_new and b_new only with a learning rate):
    a claimed one carries the report's verdict (``ok``, ``first wrong``, ``follows``) and both values,
    the others ``not claimed`` with the engine's value -- or ``unanswered`` for the keys in
    ``unanswered`` (a dict may give the words instead, e.g. ``{"dW1": "invalid formula"}``), whose
    engine value is withheld so that a picture of an answers file does not give the answers away. Edge A → B when
    A's (node, data or grad) is an input of B's in the engine's graph with no other quantity in
    between: the forward pass follows the ops' parents; a gradient comes from its consumers'
    gradients and from the data its local derivative needs (`LINEAR_OPS`, `BILINEAR_OPS`);
    an updated weight from its gradient. ``summary`` replaces the report's last line (a grade's score).
    Rows, top to bottom: ``layer l · forward`` (l = 1..L),
    ``loss``, ``layer l · backward`` (l = L..1), ``layer l · update`` (l = L..1).

    Raises:
        ValueError: a report without its engine graph (made by an older version).

    >>> from deltagrad.check import check_worked_example
    >>> r = check_worked_example({"network": {"sizes": [1, 1], "activations": ["sigmoid"], "loss": "half_mse"},
    ...     "data": {"x": [2.0], "y": [1.0]}, "parameters": {"W1": [[0.5]], "b1": [-0.5]},
    ...     "claims": {"z1": 0.6, "a1": "0.6457", "delta1": -0.0887}})
    >>> g = claim_graph(r)
    >>> [(n.key, n.kind) for n in g.nodes]  # doctest: +NORMALIZE_WHITESPACE
    [('z1', 'first wrong'), ('a1', 'follows'), ('loss', 'not claimed'), ('delta1', 'ok'),
     ('dW1', 'not claimed'), ('db1', 'not claimed')]
    >>> sorted(g.edges)  # doctest: +NORMALIZE_WHITESPACE
    [('a1', 'delta1'), ('a1', 'loss'), ('delta1', 'dW1'), ('delta1', 'db1'), ('z1', 'a1'), ('z1', 'delta1')]
    """
    if report.graph is None or not report.network:
        raise ValueError("claim_graph: the report has no engine graph; make it with check_worked_example")
    sizes, acts, loss, lr = report.network
    L = len(sizes) - 1
    keys = [k for k in claim_order(L) if lr is not None or not k.endswith("_new")]
    results = {r.key: r for r in report.results}
    rows = [f"layer {l} · forward" for l in range(1, L + 1)] + ["loss"]
    rows += [f"layer {l} · backward" for l in range(L, 0, -1)]
    rows += [f"layer {l} · update" for l in range(L, 0, -1)] if lr is not None else []
    g = ClaimGraph(report.source, summary if summary is not None else str(report).splitlines()[-1], rows)
    for key in keys:
        words = unanswered.get(key) if isinstance(unanswered, dict) else "unanswered" if key in unanswered else None
        g.nodes.append(_node(key, _row(key, L), results.get(key), report, words, acts, loss))
    g.edges = _edges(report, keys)
    return g


def _row(key: str, L: int) -> int:
    if key == "loss":
        return L
    kind, l = key.rstrip("0123456789_new"), int(re.sub(r"\D", "", key))
    if kind in ("z", "a"):
        return l - 1
    if kind in ("delta", "dW", "db"):
        return L + 1 + (L - l)
    return 2 * L + 1 + (L - l)  # W_new, b_new


def _node(key, row, r, report, unanswered: str | None, acts, loss) -> ClaimNode:
    step = _step(key, acts, loss)
    engine = np.asarray(report.engine[key], dtype=float) if key in report.engine else None
    if r is None:
        if unanswered:
            return ClaimNode(key, step, row, "unanswered", unanswered, None, None)
        return ClaimNode(key, step, row, "not claimed", "not claimed", None, engine)
    kind, words = _verdict(r)
    if kind == "first wrong":
        words = "first wrong here"
    note = ""
    m = re.search(r"more digits of (.+?) than printed", r.note)
    if kind == "first wrong" and r.rounding and m:
        note = f"(within the rounding of {m.group(1)})"
    elif kind == "ok" and "though not the claims before it" in r.note:  # the report's words: a right number
        note = "(but not what the claims before it give)"  # that an earlier wrong claim does not lead to
    return ClaimNode(key, step, row, kind, words, np.asarray(r.claimed, dtype=float),
                     np.asarray(r.engine, dtype=float), r.line, note)


def _edges(report: WorkedReport, keys: list[str]) -> list[tuple[str, str]]:
    order = topo_order(report.graph)
    consumers: dict = {}
    for n in order:
        for p in n.parents:
            consumers.setdefault(id(p), []).append(n)
    at: dict = {}  # (id(node), field) -> the quantities there, in the order of the derivation
    where = {}
    for k in keys:
        w = _where(k, report.nodes)
        if w is not None and w[0] is not None:
            where[k] = w
            at.setdefault((id(w[0]), w[1]), []).append(k)
    edges = []
    for i, key in enumerate(keys):
        if key.endswith("_new"):
            grad = ("dW" if key[0] == "W" else "db") + key[1:-4]
            edges.append((grad, key))
            continue
        if key not in where:
            continue
        before = set(keys[:i])
        same = [k for k in at[(id(where[key][0]), where[key][1])] if k in before]
        if same:  # a linear layer: a_l is z_l itself
            edges.append((same[-1], key))
            continue
        found, seen, todo = [], set(), list(_inputs(where[key], consumers))
        while todo:
            pair = todo.pop()
            tag = (id(pair[0]), pair[1])
            if tag in seen:
                continue
            seen.add(tag)
            hit = [k for k in at.get(tag, ()) if k in before]
            if hit:
                found.append(hit[-1])
            elif tag in at:
                continue  # a later quantity (e.g. the loss's own data): not an input of this one
            else:
                todo.extend(_inputs(pair, consumers))
        edges.extend((k, key) for k in sorted(set(found), key=keys.index))
    return edges
