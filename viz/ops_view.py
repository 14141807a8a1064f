"""The op view: every node a record { label | data | grad }, every op a small node, edges with multiplicity."""

from __future__ import annotations

import math

import numpy as np
from deltagrad.autograd import topo_order

from . import calculus
from .colors import auto_symlog
from .compare import ATOL, RTOL, mismatch_text, resolve
from .ops_shape import auto_shape, row_clusters, text_size
from .ops_terms import EDGE_KEY, edge_texts, has_grad, show
from .ops_terms import blocked as blocked_relus
from .style import (
    DIM,
    FLAG_GLYPH,
    FOLLOWS,
    FONT,
    MATCH,
    MISMATCH,
    NONFINITE,
    as_array,
    diverging,
    escape_record,
    escape_text,
    flag,
    legend,
    max_abs,
    number,
    signed_peak,
    text_colour,
    verdict_legend,
)

MAX_NODES = 2000
"""Default limit on the nodes an op view draws (Graphviz layout time grows quickly past it)."""

EDGE_LABELS = ("none", "local", "contribution", "both")
COLOR_BY = ("grad", "delta", None)

# how an op's constants (ctx) are written next to its symbol; {s} is the symbol, {0} the first constant
_CTX_FORMAT = {"pow": "{s}{0}", "rpow": "{0}{s}", "linear": "{s}"}
_SHAPE_OPS = frozenset(
    [
        "sum",
        "mean",
        "max",
        "min",
        "transpose",
        "reshape",
        "broadcast_to",
        "logsumexp",
        "softmax",
        "log_softmax",
        "getitem",
        "scatter_add",
        "concatenate",
        "stack",
        "where",
        "clip",
    ]
)


WIDE_FAN_OUT = 16
"""A node used this many times (or a graph of over 150 nodes) gets Graphviz's network-simplex passes
capped (``nslimit``): uncapped, a value used 120 times took over two minutes to lay out, capped 2 s."""


def _layout_caps(order: list) -> str:
    uses: dict = {}
    for node in order:
        for p in node.parents:
            uses[id(p)] = uses.get(id(p), 0) + 1
    if len(order) > 150 or max(uses.values(), default=0) >= WIDE_FAN_OUT:
        return ", nslimit=2, nslimit1=2"
    return ""


def check_color_scale(color_scale: str, values=()) -> bool:
    """True for ``"symlog"``, False for ``"linear"``; ``"auto"``: symlog when ``values`` span over two decades.

    Raises:
        ValueError: for anything else.
    """
    if color_scale not in ("auto", "linear", "symlog"):
        raise ValueError(f"unknown color_scale {color_scale!r}; choose 'auto', 'linear' or 'symlog'")
    if color_scale == "auto":
        return auto_symlog(values)
    return color_scale == "symlog"


def op_text(op, ctx: tuple, precision: int) -> str:
    """The text of an op node: the op's symbol, with its constants (``**2``, ``leaky_relu(0.01)``)."""
    symbol = op.symbol or op.name
    if not ctx or op.name in _SHAPE_OPS:  # axes, shapes, index arrays: the symbol says enough
        return symbol
    consts = [number(c, precision) if isinstance(c, (int, float)) else str(c) for c in ctx]
    form = _CTX_FORMAT.get(op.name)
    if form is not None:
        return form.format(*consts, s=symbol)
    return f"{symbol}({', '.join(consts)})"


def finite(x) -> bool:
    """True when every element of ``x`` (a float, array or node data/grad) is finite; None (no grad) counts as finite."""
    return x is None or bool(np.isfinite(as_array(x)).all())


VERDICT_GLYPH = {"ok": "√", "first wrong": "×", "follows": "←"}
"""The mark of each verdict kind of ``ops_source(verdicts=...)``: right, first wrong, follows from an earlier error."""


def _record(node, precision: int, checks: list, mark: str | None, name: str | None = None,
            verdicts: dict | None = None) -> str:
    name = node.label or name
    fields = [escape_record(name)] if name else []
    if calculus.is_tensor(node):
        fields.append(f"shape {tuple(node.data.shape)}")
    values = {"data": show(node.data, precision), "grad": show(node.grad, precision) if has_grad(node) else "—"}
    byfield = {c.field: c for c in checks}
    verdicts = verdicts or {}
    for field in ("data", "grad"):
        c = byfield.get(field)
        if field in verdicts:
            kind, note = verdicts[field]
            fields.append(escape_record(f"{field} {values[field]} {VERDICT_GLYPH[kind]}"))
            if kind != "ok":
                text = "" if c is None else mismatch_text(c.engine, c.expected, precision) or \
                    f"expected {show(c.expected, precision)}"
                fields.append(escape_record(f"{VERDICT_GLYPH[kind]} {note}" + (f": {text}" if text else "")))
            continue
        fields.append(escape_record(f"{field} {values[field]}" + ("" if c is None else " √" if c.ok else " ×")))
        if c is not None and not c.ok:
            text = mismatch_text(c.engine, c.expected, precision) or f"expected {show(c.expected, precision)}"
            fields.append(escape_record(text))
    if mark:
        fields.append(FLAG_GLYPH[mark])
    return "{ " + " | ".join(fields) + " }"


def node_limit(max_nodes) -> float:
    """``max_nodes`` as a number to compare with: None means no limit (infinity).

    Raises:
        TypeError: for anything but None or an int (a bool is refused too).
    """
    if max_nodes is None:
        return math.inf
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, (int, np.integer)):
        raise TypeError(f"max_nodes must be an int or None (no limit), got {type(max_nodes).__name__} {max_nodes!r}")
    return int(max_nodes)


def too_big(n: int, max_nodes: int, what: str, advice: str) -> ValueError:
    """The error for a graph over the size limit, with advice on what to draw instead."""
    return ValueError(
        f"the graph has {n} {what}, more than max_nodes={max_nodes}: Graphviz would take minutes and the "
        f"drawing would be unreadable. {advice}, or raise max_nodes if you really want it."
    )


def _coloured(order: list, color_by) -> list:
    if color_by == "grad":
        return [n for n in order if has_grad(n)]
    if color_by == "delta":
        return [n for n in order if n.tag is not None and n.tag.role == "z"]
    return []


def ops_source(
    root,
    *,
    rankdir: str = "LR",
    precision: int = 4,
    max_nodes: int | None = MAX_NODES,
    edge_labels: str = "none",
    color_by: str | None = None,
    expected: dict | None = None,
    atol: float = ATOL,
    rtol: float = RTOL,
    ids: bool = False,
    color_scale: str = "auto",
    fold_transpose: bool = False,
    verdicts: dict | None = None,
    dim_unclaimed: bool = False,
) -> str:
    """DOT source of the op-level graph ending at ``root`` (Values or Tensors).

    Every node becomes a record ``{ label | data … | grad … }`` (the label field only when the node
    has one; a Tensor adds ``shape (n, m)`` and shows its numbers when ≤ 6, else min/mean/max);
    every op a small ellipse with its symbol (``+``, ``*``, ``tanh``, ``@``). Each parent occurrence
    is one edge, so ``a + a`` draws two edges into ``+``; the in-edges of a non-commutative op
    (``-``, ``/``, ``**``, ``@`` …) are numbered 0, 1 at the op end. Constants are dashed records with
    ``grad —``. Node ids come from the topological index (``v0``, ``o3`` …), so the same graph always
    gives the same text. ``root`` has a bold border; nodes holding nan/inf a dashed dark-red one.

    Args:
        edge_labels: ``"local"`` writes ∂out/∂in on each edge (for a Tensor, the Jacobian's summary),
            ``"contribution"`` the share g·∂out/∂in of the parent's grad that arrives along it (the
            contributions on a node's out-edges sum to its grad), ``"both"``, or ``"none"``. The label
            is a small text node on the edge's own path (parent -> label -> op, the line entering the
            text on one side and leaving on the other), so Graphviz places it beside its edge and
            never between two; ``a + a`` gets one label per edge.
        rankdir: ``"LR"``, ``"TB"``, ``"RL"``, ``"BT"``, or ``"auto"``: left to right unless that
            would be over 4:1, then top to bottom or left to right wrapped into rows, whichever
            `viz.ops_shape.auto_shape` estimates nearer square (a row ends at an op whose result
            starts the next row: that edge is drawn as a return arrow and does not constrain layout).
        color_by: ``"grad"`` fills each node by its grad (a Tensor by its largest-|·| element),
            ``"delta"`` only the pre-activations z (tag role ``"z"``) by δ = z.grad; blue–white–orange,
            ±(max |value|) at the ends, with a legend; vanishing/exploding values get ▼/▲ (see
            `viz.style.flag`).
        expected: ``{label or node: grad, or {"data": x, "grad": y}}``; each named node gets √ (green
            border) or × with the expected number (red border): |a − e| ≤ atol + rtol·|e|.
        color_scale: ``"auto"`` (symlog when the coloured values span over two decades, else
            linear), ``"linear"`` or ``"symlog"`` (logarithmic over four decades below the largest
            value: gradients that shrink layer by layer stay visibly coloured).
        fold_transpose: draw an unlabelled, unchecked transpose (the ``W.T`` inside ``x @ W.T``) as a
            ``ᵀ`` on the edge from W instead of its own record and op (only with ``edge_labels="none"``:
            an edge label would describe the transposed node); ``deltagrad check --svg`` uses it.
        verdicts: ``{node: {"data"|"grad": (kind, note)}}`` from a graded derivation
            (`deltagrad.check.worked.graph_verdicts`): ``kind`` ``"ok"`` draws √ (green border),
            ``"first wrong"`` × and the note (red border, the step that made the error), ``"follows"``
            ← and the note, e.g. "follows from z1" (orange dashed border: wrong only because an earlier
            claim is). A verdict replaces the √/× of ``expected`` on its field; the border shows the
            node's worst verdict (first wrong, then follows, then ok). A legend explains the marks.
        dim_unclaimed: draw an intermediate node that is neither labelled, checked nor the root
            (``x @ W1ᵀ``, the loss's ``-``, ``**2``, ``Σ``), or an unlabelled constant (the loss's ½),
            small and grey with its data only, so the named nodes (one per claim) stand out.
        ids: give every node and edge an SVG id (``v3``, ``o3``, ``e3_0`` = edge from parent 0 into op 3,
            ``r3`` = op 3 to its result) for scripts such as `viz.animate`; with edge labels,
            ``e3_0`` is the leg from the label into the op, ``t3_0`` the leg from the parent, ``l3_0`` the label.

    Raises:
        ValueError: if the graph has more than ``max_nodes`` nodes, or for an unknown option.
        KeyError: for an ``expected`` label that no node carries (the message lists the labels).

    >>> from deltagrad.autograd import Value
    >>> a = Value(1.0, label="a")
    >>> print(ops_source(a + a).count("-> o1;"))
    2
    """
    if edge_labels not in EDGE_LABELS:
        raise ValueError(f"unknown edge_labels {edge_labels!r}; choose from {', '.join(map(repr, EDGE_LABELS))}")
    if color_by not in COLOR_BY:
        raise ValueError(f"unknown color_by {color_by!r}; choose 'grad', 'delta' or None")
    check_color_scale(color_scale)  # a bad name fails before any work
    order = topo_order(root)
    if len(order) > node_limit(max_nodes):
        raise too_big(len(order), max_nodes, "nodes", "Draw it with view='network' (for nn models) or a smaller graph")
    index = {node: i for i, node in enumerate(order)}
    checks = resolve(order, expected, atol, rtol) if expected else {}
    coloured = _coloured(order, color_by)
    scale = max_abs(signed_peak(n.grad) for n in coloured)
    fills = {n: signed_peak(n.grad) for n in coloured}
    symlog = check_color_scale(color_scale, fills.values())
    labels = None
    if edge_labels != "none":
        labels = {(i, k): lines for i, n in enumerate(order) if n.op is not None
                  for k, lines in enumerate(edge_texts(n, edge_labels, precision))}
    cuts = frozenset()
    if rankdir == "auto":
        fields = {i: _record(n, precision, checks.get(n, []), None).strip("{} ").split(" | ") for i, n in enumerate(order)}
        ops = {i: op_text(n.op, n.ctx, precision) for i, n in enumerate(order) if n.op is not None}
        side = [text_size(EDGE_KEY.split("\\n"), 9)] if labels is not None else []
        if color_by is not None:  # the legend: a row of ticks (about 300 pt), then one row per note
            longest = 120 if blocked_relus(order) else 53
            side.append((max(300.0, longest * 5.4 + 12), (4 if longest < 100 else 5) * 17.0))
        shape = auto_shape(order, fields, ops, labels, tuple(side))
        rankdir, cuts = shape.rankdir, shape.cuts if not fold_transpose else frozenset()  # a fold hides nodes
    out = [
        "digraph ops {",
        f'  graph [rankdir={rankdir}, fontname="{FONT}", nodesep=0.25, ranksep=0.35{_layout_caps(order)}];',
        f'  node [fontname="{FONT}", fontsize=11, shape=record, height=0.3];',
        f'  edge [fontname="{FONT}", fontsize=9, arrowsize=0.6, labelfontsize=8, labelfontcolor="#555555"];',
    ]
    blocked = blocked_relus(order)
    if color_by is not None:
        title = "fill: grad = ∂L/∂node" if color_by == "grad" else "fill: δ = ∂L/∂z"
        notes = ["▼ vanishing: |g| &lt; 1e-6 · max, ▲ exploding: |g| &gt; 1e3"]
        if blocked:
            notes.append("○ inactive: the input of a relu at z ≤ 0, so relu'(z) = 0 and its grad is 0; "
                         "◌ blocked: every path to the output passes an inactive relu")
        out.append(legend(title, scale, precision, notes, symlog))
    if verdicts:
        out.append(verdict_legend({k for fields in verdicts.values() for k, _ in fields.values()}))
    if edge_labels != "none":
        out.append(f'  edge_key [shape=plaintext, fontsize=9, label="{EDGE_KEY}"];')
    folded = set()
    if fold_transpose and edge_labels == "none":
        folded = {
            n for n in order
            if n.op is not None and n.op.name == "transpose" and not n.label and n not in checks and len(n.parents) == 1
            and n is not root
        }
    for i, node in enumerate(order):
        if node in folded:
            continue
        mark = blocked.get(node) or (flag(fills[node], scale) if node in fills else None)
        if mark == "nan/inf":
            mark = None  # the dashed dark-red border says it already
        # with ids (the step-through page) an unlabelled node shows the name its captions use, v{i}
        quiet = dim_unclaimed and not node.label and node not in checks and node is not root and (
            node.op is not None or not node.requires_grad)  # an intermediate result, or a constant such as ½
        if quiet:
            attrs = [(f'label="{escape_record(show(node.data, precision))}", fontsize=8, fontcolor="{DIM}", '
                      f'color="{DIM}", height=0.2')]
        else:
            label = _record(node, precision, checks.get(node, []), mark, f"v{i}" if ids else None,
                            (verdicts or {}).get(node))
            attrs = [f'label="{label}"']
        if ids:
            attrs.append(f'id="v{i}"')
        style = []
        if node.op is None and not node.requires_grad:
            style.append("dashed")
        if node in fills:
            style.append("filled")
            fill = diverging(fills[node], scale, symlog=symlog)
            attrs.append(f'fillcolor="{fill}", fontcolor="{text_colour(fill)}"')
        if not (finite(node.data) and finite(node.grad)):
            style += ["dashed", "bold"]
            attrs.append(f'color="{NONFINITE}"' + ("" if node in fills else f', fontcolor="{NONFINITE}"'))
        elif verdicts and node in verdicts:
            kinds = {k for k, _ in verdicts[node].values()}
            if "first wrong" in kinds:
                attrs.append(f'color="{MISMATCH}", penwidth=3')
            elif "follows" in kinds:
                attrs.append(f'color="{FOLLOWS}", penwidth=2')
                style.append("dashed")
            else:
                attrs.append(f'color="{MATCH}", penwidth=2')
        elif node in checks:
            ok = all(c.ok for c in checks[node])
            attrs.append(f'color="{MATCH if ok else MISMATCH}", penwidth={2 if ok else 3}')
        elif node is root:
            attrs.append("penwidth=2")
        if style:
            attrs.append(f'style="{",".join(dict.fromkeys(style))}"')
        out.append(f"  v{i} [{', '.join(attrs)}];")
        if node.op is None:
            continue
        text = escape_text(op_text(node.op, node.ctx, precision))
        oid = f', id="o{i}"' if ids else ""
        small = f', fontcolor="{DIM}", color="{DIM}"' if quiet else ""
        out.append(f'  o{i} [label="{text}", shape=ellipse, fontsize=10, margin="0.04,0.02", height=0.3{oid}{small}];')
        for k, p in enumerate(node.parents):
            attrs = []
            if calculus.numbered(node):
                attrs.append(f'headlabel="{k}"')
            if ids:
                attrs.append(f'id="e{i}_{k}"')
            if p in folded:
                attrs.append('label="ᵀ", fontsize=12')
                p = p.parents[0]
            tail = f"v{index[p]}"
            if labels and labels[(i, k)]:
                # the label is a node on the edge's own path (parent -> label -> op): layout keeps it
                # beside its edge, never between two, and a + a gets one label per edge
                lid = f'l{i}_{k}'
                text = "\\n".join(escape_text(t) for t in labels[(i, k)])
                out.append(f'  {lid} [label="{text}", shape=plaintext, fontsize=9, height=0.2, width=0.3, '
                           f'margin="0.04,0.01"' + (f', id="{lid}"' if ids else "") + "];")
                out.append(f"  {tail} -> {lid} [arrowhead=none" + (f', id="t{i}_{k}"' if ids else "") + "];")
                tail = lid
            out.append(f"  {tail} -> o{i}" + (f" [{', '.join(attrs)}];" if attrs else ";"))
        result = ([f'id="r{i}"'] if ids else []) + (["constraint=false", "style=dashed", f"color=\"{DIM}\""] if i in cuts else [])
        out.append(f"  o{i} -> v{i}" + (f" [{', '.join(result)}];" if result else ";"))
    if cuts:
        out += row_clusters(order, cuts, folded, labels)
    out.append("}")
    return "\n".join(out) + "\n"

