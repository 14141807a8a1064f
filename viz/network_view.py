"""The network view: one node per neuron (z, a, g'(z), δ), one edge per weight (w, ∂L/∂w), layers as columns."""

from __future__ import annotations

from .compare import ATOL, RTOL, mismatch_text
from .network_expected import resolve_network
from .network_model import read_network
from .ops_view import MAX_NODES, check_color_scale, node_limit, too_big
from .style import (
    EDGE_MID,
    FLAG_GLYPH,
    FONT,
    MATCH,
    MISMATCH,
    NONFINITE,
    diverging,
    escape_html,
    flag,
    is_finite,
    legend,
    max_abs,
    number,
    text_colour,
)

AUTO_EDGE_LABELS = 40
"""With ``edge_labels="auto"`` the weights are labelled only up to this many edges (else unreadable)."""


def _html_node(name: str, rows: list, fill: str, bad: bool, checked: bool | None = None) -> str:
    colour = text_colour(fill)
    body = "".join(f'<tr><td align="left">{r}</td></tr>' for r in rows)
    label = (
        f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">'
        f"<tr><td><b>{name}</b></td></tr>{body}</table>>"
    )
    style = "rounded,filled,dashed,bold" if bad else "rounded,filled"
    border = f', color="{NONFINITE}", penwidth=2.5' if bad else ""
    if checked is not None and not bad:  # expected=: green border when every number matches, red otherwise
        border = f', color="{MATCH if checked else MISMATCH}", penwidth={2 if checked else 3}'
    return f'label={label}, style="{style}", fillcolor="{fill}", fontcolor="{colour}"{border}'


def _tick(marks: dict, what: str, precision: int) -> str:
    m = marks.get(what)
    if m is None:
        return ""
    return " √" if m.ok else f" × ({mismatch_text(m.engine, m.expected, precision)})"


def _neuron_rows(n, precision: int, mark: str | None, marks: dict) -> list:
    rows = [f"z = {number(n.z, precision)}{_tick(marks, 'z', precision)}"]
    if n.g:
        rows.append(f"a = {escape_html(n.g)}(z) = {number(n.a, precision)}{_tick(marks, 'a', precision)}")
        if n.gprime is not None:
            rows.append(f"{escape_html(n.g)}'(z) = {number(n.gprime, precision)}")
    else:
        rows += [f"a = z (linear){_tick(marks, 'a', precision)}", "g'(z) = 1"]
    rows.append(f"δ = {number(n.delta, precision)}{_tick(marks, 'δ', precision)}")
    if mark and mark != "nan/inf":
        rows.append(f"<b>{FLAG_GLYPH[mark]}</b>")
    return rows


def network_source(
    root,
    *,
    rankdir: str = "LR",
    precision: int = 4,
    sample=None,
    max_nodes: int | None = MAX_NODES,
    edge_labels="auto",
    color_by: str | None = "delta",
    expected: dict | None = None,
    atol: float = ATOL,
    rtol: float = RTOL,
    color_scale: str = "linear",
) -> str:
    """DOT source of the neuron-level view of the network that computed ``root``.

    Reads the :class:`autograd.Tag` s that ``nn`` puts on Values or Tensors (never imports ``nn``; see
    :func:`viz.network_model.read_network`): one node per neuron showing z, a = g(z), g'(z) and
    δ = ∂L/∂z; one node per input showing x; one edge per weight from neuron i of layer l-1 to neuron j
    of layer l, labelled w and ∂L/∂w (the full gradient over every sample), coloured by ∂L/∂w, width
    by |w|. Layers are columns headed "input", "layer 1" … "(output)", neurons in index order. The
    title gives the layer sizes, ``root`` and, for several forward passes, "sample k of n".

    Args:
        sample: which forward pass (Value nets: its ``Tag.sample`` or pass number) or batch row
            (Tensor nets) to show; default the first.
        edge_labels: True, False, or ``"auto"`` (labels up to :data:`AUTO_EDGE_LABELS` weights, then
            none, with a note in the title).
        color_by: ``"delta"`` fills neurons by δ, ``"grad"`` by ∂L/∂a (δ for a linear neuron), None
            leaves them white. Neurons whose δ is vanishing/exploding get ▼/▲ (:func:`viz.style.flag`).
        color_scale: ``"linear"`` or ``"symlog"`` for the neuron fills and edge colours (see
            :func:`viz.style.diverging`).
        expected: a derivation's numbers, ``{"z1" | "a1" | "δ1" | "W1": value}`` (z, a, δ of the
            shown sample; ∂L/∂W summed over the batch; see :func:`viz.network_expected.resolve_network`): each checked number gets √ or
            × with the expected value, each checked neuron a green (all match) or red border, each
            checked weight its mark on the edge (shown even when weight labels are hidden).

    Raises:
        KeyError: for an ``expected`` key that names nothing in the view (the keys there are listed).
        ValueError: if no node carries a z tag, if ``sample`` is not in the graph, if there are more
            than ``max_nodes`` neurons, or for an unknown option.

    >>> from deltagrad.nn import MLP                        # doctest: +SKIP
    >>> src = network_source(MLP(2, [3, 1], seed=0)([1.0, 2.0]))    # doctest: +SKIP
    """
    if edge_labels not in (True, False, "auto"):
        raise ValueError(f"view='network' takes edge_labels=True, False or 'auto', got {edge_labels!r}")
    if color_by not in ("delta", "grad", None):
        raise ValueError(f"unknown color_by {color_by!r}; choose 'delta', 'grad' or None")
    symlog = check_color_scale(color_scale)
    limit = node_limit(max_nodes)
    net = read_network(root, sample)
    count = sum(len(v) for v in net.layers.values())
    if count > limit:
        raise too_big(count, max_nodes, "neurons", "Draw a smaller network")
    checks, wchecks = resolve_network(net, expected, atol, rtol) if expected else ({}, {})
    neurons = [n for layer in net.layers.values() for n in layer.values()]
    shown = {id(n): (n.delta if color_by != "grad" or n.dlda is None else n.dlda) for n in neurons}
    scale = max_abs(shown.values())
    dscale = max_abs(n.delta for n in neurons)
    wscale = max_abs(dw for _, dw in net.weights.values())
    wmax = max_abs(w for w, _ in net.weights.values()) or 1.0
    labelled = edge_labels is True or (edge_labels == "auto" and len(net.weights) <= AUTO_EDGE_LABELS)

    sizes = " → ".join(str(len(x)) for x in [net.inputs, *net.layers.values()])
    title = f"network {sizes} · {escape_html(root.label or 'L')} = {number(root.data, precision)}"
    if len(net.samples) > 1:
        title += f" · sample {escape_html(net.sample)} of {len(net.samples)}"
    if edge_labels == "auto" and not labelled:
        title += f"<br/>(weight labels hidden: {len(net.weights)} edges &gt; {AUTO_EDGE_LABELS}; edge_labels=True shows them)"
    out = [
        "digraph network {",
        f'  graph [rankdir={rankdir}, fontname="{FONT}", labelloc=t, fontsize=14, nodesep=0.3, ranksep=1.2,',
        f"         label=<<b>{title}</b>>];",
        f'  node [fontname="{FONT}", fontsize=10, shape=box, margin="0.08,0.04"];',
        f'  edge [fontname="{FONT}", fontsize=8, arrowsize=0.6];',
    ]
    if color_by is not None:
        what = "δ = ∂L/∂z" if color_by == "delta" else "∂L/∂a"
        out.append(
            legend(
                f"fill: {what}",
                scale,
                precision,
                [
                    "edge colour: ∂L/∂w, width: |w|",
                    f'<font color="{NONFINITE}">dashed red border: nan/inf</font>',
                    "▼ vanishing δ: |δ| &lt; 1e-6 · max |δ|",
                    "▲ exploding δ: |δ| &gt; 1e3",
                ],
                symlog,
            )
        )
    # columns: a rank=same subgraph each, kept in index order by an invisible chain headed by the
    # column's name (clusters + invisible edges break graphviz-pure's ranks, so no clusters)
    columns = [("input", [f"x{i}" for i in net.inputs])]
    last = max(net.layers)
    for layer, ns in net.layers.items():
        columns.append((f"layer {layer}" + (" (output)" if layer == last else ""), [f"n{layer}_{j}" for j in ns]))
    for i, x in net.inputs.items():
        text = "?" if x is None else number(x, precision)
        bad = x is not None and not is_finite(x)
        out.append(f"  x{i} [{_html_node(f'x[{i}]', [f'x = {text}'], '#ffffff', bad)}];")
    for layer, ns in net.layers.items():
        for j, n in ns.items():
            mark = flag(n.delta, dscale)
            fill = diverging(shown[id(n)], scale, symlog=symlog) if color_by else "#ffffff"
            bad = not all(is_finite(v) for v in (n.z, n.delta, 0.0 if n.a is None else n.a))
            marks = {m.what: m for m in checks.get((layer, j), [])}
            ok = all(m.ok for m in marks.values()) if marks else None
            rows = _neuron_rows(n, precision, mark, marks)
            out.append(f"  n{layer}_{j} [{_html_node(f'neuron {j}', rows, fill, bad, ok)}];")
    for c, (name, ids) in enumerate(columns):
        out.append(f"  col{c} [shape=plaintext, fontsize=12, label=<<b>{escape_html(name)}</b>>];")
        out.append(f"  {{ rank=same; {'; '.join([f'col{c}', *ids])}; }}")
        out.append(f"  {' -> '.join([f'col{c}', *ids])} [style=invis];")
    first = min(net.layers)
    for (layer, j, i), (w, dw) in sorted(net.weights.items()):
        tail = f"x{i}" if layer == first else f"n{layer - 1}_{i}"
        colour = diverging(dw, wscale, mid=EDGE_MID, symlog=symlog) if color_by else "#777777"
        width = 0.6 + 2.4 * min(1.0, abs(w) / wmax) if is_finite(w) else 2.0
        bad = not (is_finite(w) and is_finite(dw))
        attrs = [f'color="{colour}"', f"penwidth={width:.2f}"]
        marks = {m.what: m for m in wchecks.get((layer, j, i), [])}
        if labelled:
            text = f"w = {number(w, precision)}{_tick(marks, 'w', precision)}\\n∂L/∂w = {number(dw, precision)}"
            attrs.insert(0, f'label="{text}{_tick(marks, "∂L/∂w", precision)}"')
        elif marks:  # weight labels hidden: the marks alone
            attrs.insert(0, f'label="{"; ".join(k + _tick(marks, k, precision) for k in marks)}"')
        if marks and not bad:
            attrs.append(f'fontcolor="{MATCH if all(m.ok for m in marks.values()) else MISMATCH}"')
        if bad:
            attrs += ["style=dashed", f'fontcolor="{NONFINITE}"']
        out.append(f"  {tail} -> n{layer}_{j} [{', '.join(attrs)}];")
    out.append("}")
    return "\n".join(out) + "\n"
