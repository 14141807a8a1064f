"""Step through backprop: one self-contained HTML page that walks the forward pass, then the backward pass."""

from __future__ import annotations

import json
import os
import re

import numpy as np
from deltagrad.autograd import topo_order

from . import calculus
from . import render as _render
from .animate_page import PAGE
from .ops_view import has_grad, node_limit, op_text, ops_source, show, too_big
from .style import escape_html, number

MAX_ANIMATE = 300
"""Default limit on the nodes `animate` walks (a step per node and per edge)."""


def _name(node, i: int) -> str:
    return node.label or f"v{i}"


_INFIX = {"+", "-", "*", "/", "**", "@"}


def _formula(node, index: dict, precision: int) -> str:
    args = [_name(p, index[p]) for p in node.parents]
    text = op_text(node.op, node.ctx, precision)
    if len(args) == 2 and text in _INFIX:
        return f"{args[0]} {text} {args[1]}"
    if len(args) == 1 and node.op.name in ("pow", "rpow"):
        return text.replace("**", f"{args[0]}**" if node.op.name == "pow" else f"**{args[0]}", 1)
    return f"{text}({', '.join(args)})"


def backprop_steps(root, precision: int = 4) -> tuple[dict, list]:
    """The initial texts and the steps of `animate`, as plain data (for tests and other front ends).

    Returns ``(init, steps)``. ``init`` maps each node id ``v{i}`` (topological index) to
    ``[data text, grad text, shown]`` before anything is computed. Each step is a dict: ``"n"`` the
    ids to highlight, ``"e"`` the edge ids (``e{i}_{k}``: parent k into op i), ``"s"`` the texts that
    change (``{id: [data or None, grad or None, shown or None]}``), ``"c"`` a caption and ``"p"``
    ``"forward"`` or ``"backward"``. Forward: one step per node in topological order, showing its
    data. Backward: the seed ∂L/∂L = 1 (L: the output as the picture names it), then for each op in
    reverse order one step per in-edge,
    adding the contribution g·∂out/∂in (from the op's VJP) to the parent's running sum -- so a
    node used twice shows its partial grad after the first edge and its full grad after the second.

    >>> from deltagrad.autograd import Value
    >>> a = Value(2.0, label="a"); y = a * a; y.backward()
    >>> init, steps = backprop_steps(y)
    >>> [s["s"]["v0"][1] for s in steps if s["p"] == "backward" and "v0" in s["s"]]
    ['grad 2', 'grad 4']
    """
    order = topo_order(root)
    index = {n: i for i, n in enumerate(order)}
    init = {f"v{i}": ["data ?", "grad ·" if has_grad(n) else "grad —", 0] for i, n in enumerate(order)}
    steps = [
        {
            "n": [],
            "e": [],
            "s": {},
            "c": "Start: nothing computed yet. Next: the forward pass, in topological order.",
            "p": "forward",
        }
    ]
    for i, n in enumerate(order):
        name = escape_html(_name(n, i))
        value = show(n.data, precision)
        if n.op is None:
            what = "input" if n.requires_grad else "constant"
            caption = f"forward: {name} is an {what}: data {value}"
        else:
            caption = f"forward: {name} = {escape_html(_formula(n, index, precision))} = {value}"
        ids = [f"v{i}"] + ([f"o{i}"] if n.op is not None else [])
        edges = [f"e{i}_{k}" for k in range(len(n.parents))] + ([f"r{i}"] if n.op is not None else [])
        steps.append({"n": ids, "e": edges, "s": {f"v{i}": [f"data {value}", None, 1]}, "c": caption, "p": "forward"})
    r = index[root]
    L = escape_html(_name(root, r))  # the output as the picture names it (its label, else v{i})
    seed = np.ones_like(root.data) if calculus.is_tensor(root) else 1.0
    partial = {root: seed}
    steps.append(
        {
            "n": [f"v{r}"],
            "e": [],
            "s": {f"v{r}": [None, f"grad {show(seed, precision)}", None]},
            "c": f"backward: seed ∂{L}/∂{L} = 1",
            "p": "backward",
        }
    )
    for i in range(len(order) - 1, -1, -1):
        n = order[i]
        if n.op is None or not has_grad(n):
            continue
        contrib = calculus.contributions(n)
        local = calculus.local_derivatives(n) if not calculus.is_tensor(n) else (None,) * len(n.parents)
        out = escape_html(_name(n, i))
        for k, p in enumerate(n.parents):
            if not has_grad(p):
                continue
            j = index[p]
            total = partial[p] + contrib[k] if p in partial else contrib[k]
            partial[p] = total
            pname = escape_html(_name(p, j))
            if local[k] is not None:
                how = (
                    f"∂{L}/∂{out} · ∂{out}/∂{pname} = {number(n.grad, precision)} · {number(local[k], precision)} "
                    f"= {number(contrib[k], precision)}"
                )
            else:
                how = f"∂{L}/∂{out} · ∂{out}/∂{pname} = {show(contrib[k], precision)}"
            steps.append(
                {
                    "n": [f"v{j}", f"o{i}"],
                    "e": [f"e{i}_{k}"],
                    "s": {f"v{j}": [None, f"grad {show(total, precision)}", None]},
                    "c": f"backward: ∂{L}/∂{pname} += {how} → grad {pname} = {show(total, precision)}",
                    "p": "backward",
                }
            )
    return init, steps


def animate(
    root, path: str | os.PathLike, *, precision: int = 4, rankdir: str = "LR", max_nodes: int | None = MAX_ANIMATE
) -> str:
    """Write ONE self-contained HTML page that steps through forward and backward pass on ``root``'s graph.

    The op view (`viz.draw`) is laid out once and embedded as inline SVG; a small inline script
    restyles it per step (see `backprop_steps`): a slider, ◀ prev / next ▶ buttons and the
    arrow keys move through the steps; the current node and edge are highlighted in orange, nodes
    not yet computed are faded, and a caption spells out the chain-rule term. ``page.html#step=12``
    opens at step 12. No network access, no external scripts (a Content-Security-Policy forbids them).

    Args:
        root: the output node after ``backward()`` (the grads shown are recomputed from the VJPs and
            end at the engine's grads).
        path: the ``.html`` file to write (atomically).

    Returns:
        the path written.

    Raises:
        ValueError: if the graph has more than ``max_nodes`` nodes.
        RendererNotFound, RenderError: if no Graphviz renderer can lay the graph out.

    >>> from deltagrad.autograd import Value
    >>> import tempfile, os
    >>> x = Value(2.0, label="x"); y = (x * x + x).tanh(); y.backward()
    >>> with tempfile.TemporaryDirectory() as d:             # doctest: +SKIP
    ...     animate(y, os.path.join(d, "y.html")).endswith("y.html")
    True
    """
    order = topo_order(root)
    if len(order) > node_limit(max_nodes):
        raise too_big(len(order), max_nodes, "nodes", "Animate a smaller expression")
    init, steps = backprop_steps(root, precision)
    source = ops_source(root, rankdir=rankdir, precision=precision, max_nodes=max_nodes, ids=True)
    svg = _render.render(source, "svg").decode("utf-8")
    svg = svg[svg.index("<svg") :]  # drop the XML prolog and doctype: the SVG goes inline
    data = json.dumps({"init": init, "steps": steps}, ensure_ascii=True, separators=(",", ":")).replace("</", "<\\/")
    title = escape_html(f"backprop through {root.label or 'the graph'}")
    parts = {"TITLE": title, "SVG": svg, "DATA": data}
    page = re.sub(r"%(TITLE|SVG|DATA)%", lambda m: parts[m.group(1)], PAGE)  # one pass: labels stay literal
    _render.write_atomic(path, page.encode("utf-8"))
    return os.fspath(path)
