"""The op view: every Value a record { label | data | grad }, every op a small node, edges with multiplicity."""

from __future__ import annotations

from autograd import topo_order

from .style import FONT, NONFINITE, escape_record, escape_text, is_finite, number

MAX_NODES = 2000
"""Default limit on the Values an op view draws (Graphviz layout time grows quickly past it)."""

# how an op's constants (ctx) are written next to its symbol; {s} is the symbol, {0} the first constant
_CTX_FORMAT = {"pow": "{s}{0}", "rpow": "{0}{s}", "linear": "{s}"}


def op_text(op, ctx: tuple, precision: int) -> str:
    """The text of an op node: the op's symbol, with its constants (``**2``, ``leaky_relu(0.01)``)."""
    symbol = op.symbol or op.name
    if not ctx:
        return symbol
    consts = [number(c, precision) for c in ctx]
    form = _CTX_FORMAT.get(op.name)
    if form is not None:
        return form.format(*consts, s=symbol)
    return f"{symbol}({', '.join(consts)})"


def _record(node, precision: int) -> str:
    fields = []
    if node.label:
        fields.append(escape_record(node.label))
    fields.append(f"data {number(node.data, precision)}")
    if node.requires_grad or node.grad != 0.0:
        fields.append(f"grad {number(node.grad, precision)}")
    else:  # a constant, or an input that asked for no gradient: nothing flows into it
        fields.append("grad —")
    return "{ " + " | ".join(fields) + " }"


def too_big(n: int, max_nodes: int, what: str, advice: str) -> ValueError:
    """The error for a graph over the size limit, with advice on what to draw instead."""
    return ValueError(
        f"the graph has {n} {what}, more than max_nodes={max_nodes}: Graphviz would take minutes and the "
        f"drawing would be unreadable. {advice}, or raise max_nodes if you really want it."
    )


def ops_source(root, *, rankdir: str = "LR", precision: int = 4, max_nodes: int = MAX_NODES) -> str:
    """DOT source of the op-level graph ending at ``root``.

    Every Value becomes a record node ``{ label | data … | grad … }`` (the label field only when the
    Value has one); every op a small ellipse with its symbol (``+``, ``*``, ``tanh``, ``Σwx+b``).
    Each parent occurrence is one edge, so ``a + a`` draws two edges into ``+``. Constants mixed
    into expressions are drawn as dashed records with ``grad —``. Node ids come from the
    topological index (``v0``, ``o3`` …), so the same graph always gives the same text. ``root``
    has a bold border; nodes holding nan/inf a dashed dark-red one.

    Raises:
        ValueError: if the graph has more than ``max_nodes`` Values.

    >>> from autograd import Value
    >>> a = Value(1.0, label="a")
    >>> print(ops_source(a + a).count("-> o1"))
    2
    """
    order = topo_order(root)
    if len(order) > max_nodes:
        raise too_big(len(order), max_nodes, "Values", "Draw it with view='network' (for nn models) or a smaller graph")
    index = {node: i for i, node in enumerate(order)}
    out = [
        "digraph ops {",
        f'  graph [rankdir={rankdir}, fontname="{FONT}", nodesep=0.25, ranksep=0.35];',
        f'  node [fontname="{FONT}", fontsize=11, shape=record, height=0.3];',
        f'  edge [fontname="{FONT}", fontsize=9, arrowsize=0.6];',
    ]
    for i, node in enumerate(order):
        attrs = [f'label="{_record(node, precision)}"']
        style = []
        if node.op is None and not node.requires_grad:
            style.append("dashed")
        if not (is_finite(node.data) and is_finite(node.grad)):
            style += ["dashed", "bold"]
            attrs.append(f'color="{NONFINITE}", fontcolor="{NONFINITE}"')
        elif node is root:
            attrs.append("penwidth=2")
        if style:
            attrs.append(f'style="{",".join(dict.fromkeys(style))}"')
        out.append(f"  v{i} [{', '.join(attrs)}];")
        if node.op is not None:
            text = escape_text(op_text(node.op, node.ctx, precision))
            out.append(f'  o{i} [label="{text}", shape=ellipse, fontsize=10, margin="0.04,0.02", height=0.3];')
            for p in node.parents:
                out.append(f"  v{index[p]} -> o{i};")
            out.append(f"  o{i} -> v{i};")
    out.append("}")
    return "\n".join(out) + "\n"
