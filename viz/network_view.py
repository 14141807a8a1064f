"""The network view: one node per neuron (z, a, δ = ∂L/∂z), one edge per weight (w, ∂L/∂w), layers as columns."""

from __future__ import annotations

from autograd import topo_order

from .ops_view import MAX_NODES, too_big
from .style import (
    EDGE_MID,
    FONT,
    NONFINITE,
    diverging,
    escape_html,
    is_finite,
    max_abs,
    number,
    text_colour,
)

NO_TAGS = (
    "view='network' needs a graph whose neurons carry nn tags (z with Tag(layer, neuron, 'z')); this one has "
    "none. Build it with nn.MLP/Layer/Neuron or use view='ops'."
)


def _passes(nodes: list) -> list:
    """One sample key per node: its tag's ``sample`` if those are unique per neuron, else its pass number.

    A network called several times without ``sample=`` leaves several z nodes of one neuron with
    ``sample=None``; they are then told apart by the order they appear in (pass 0, 1, ...).
    """
    keys = [(n.tag.layer, n.tag.neuron, n.tag.sample) for n in nodes]
    if len(set(keys)) == len(keys):
        return [n.tag.sample for n in nodes]
    seen: dict = {}
    out = []
    for n in nodes:
        k = (n.tag.layer, n.tag.neuron)
        out.append(seen.get(k, 0))
        seen[k] = seen.get(k, 0) + 1
    return out


def _collect(order: list) -> dict:
    by_role: dict = {"x": [], "z": [], "a": [], "w": {}}
    for n in order:
        tag = n.tag
        if tag is None:
            continue
        if tag.role == "w":
            by_role["w"][(tag.layer, tag.neuron, tag.index)] = n
        elif tag.role in ("x", "z", "a"):
            by_role[tag.role].append(n)
    return by_role


def _pick(nodes: list, key) -> dict:
    return {(n.tag.layer, n.tag.neuron): n for n, k in zip(nodes, _passes(nodes)) if k == key}


def _inputs_of(z) -> dict:
    """The inputs x_i of a first-layer neuron, read off its z when they carry no tag.

    A fused z is ``linear(w_1..w_n, x_1..x_n, b)``; an unfused one is a chain of ``w_i * x_i`` and
    ``+`` nodes, small enough to walk.
    """
    if z.op is not None and z.op.name == "linear" and z.ctx:
        n = int(z.ctx[0])
        return {i: z.parents[n + i] for i in range(n)}
    out = {}
    for node in topo_order(z):
        if node.op is not None and node.op.name == "mul" and len(node.parents) == 2:
            for w, x in (node.parents, node.parents[::-1]):
                if w.tag is not None and w.tag.role == "w" and w.tag.index is not None:
                    out.setdefault(w.tag.index, x)
    return out


def _html_node(name: str, rows: list, fill: str, bad: bool) -> str:
    colour = text_colour(fill)
    body = "".join(f'<tr><td align="left">{r}</td></tr>' for r in rows)
    label = (
        f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">'
        f"<tr><td><b>{name}</b></td></tr>{body}</table>>"
    )
    style = "rounded,filled,dashed,bold" if bad else "rounded,filled"
    border = f', color="{NONFINITE}", penwidth=2.5' if bad else ""
    return f'label={label}, style="{style}", fillcolor="{fill}", fontcolor="{colour}"{border}'


def _legend(scale: float, precision: int) -> str:
    cells = []
    for t in (-1.0, -0.5, 0.0, 0.5, 1.0):
        fill = diverging(t, 1.0)
        cells.append(
            f'<td bgcolor="{fill}"><font color="{text_colour(fill)}">{escape_html(number(t * scale, precision))}</font></td>'
        )
    return (
        '  legend [shape=plaintext, fontsize=9, label=<<table border="0" cellborder="1" cellspacing="0" '
        f'cellpadding="3"><tr><td colspan="5"><b>fill: δ = ∂L/∂z</b></td></tr><tr>{"".join(cells)}</tr>'
        '<tr><td colspan="5">edge colour: ∂L/∂w, width: |w|</td></tr>'
        f'<tr><td colspan="5"><font color="{NONFINITE}">dashed red border: nan/inf</font></td></tr></table>>];'
    )


def network_source(root, *, rankdir: str = "LR", precision: int = 4, sample=None, max_nodes: int = MAX_NODES) -> str:
    """DOT source of the neuron-level view of the network that computed ``root``.

    Reads the :class:`autograd.Tag` s that ``nn`` puts on Values (never imports ``nn``): one node per
    neuron (layer, neuron) showing z, a = g(z) and δ = ∂L/∂z (= ``z.grad``), filled by δ on a
    zero-centred blue–white–orange scale; one node per input showing x; one edge per weight from
    neuron i of layer l-1 to neuron j of layer l, labelled w and ∂L/∂w (``w.grad``, the full
    gradient over every sample), coloured by ∂L/∂w, width by |w|. Layers are columns (clusters
    "input", "layer 1", …); the title gives the layer sizes, ``root`` and, when the graph holds
    several forward passes, "sample k of n".

    Args:
        sample: which forward pass to show (its ``Tag.sample``, or its pass number 0, 1, … when
            the passes were not numbered); default the first one found.

    Raises:
        ValueError: if no Value carries a z tag, if ``sample`` is not in the graph, or if there
            are more than ``max_nodes`` neurons.

    >>> from nn import MLP                        # doctest: +SKIP
    >>> src = network_source(MLP(2, [3, 1], seed=0)([1.0, 2.0]))    # doctest: +SKIP
    """
    found = _collect(topo_order(root))
    zs = found["z"]
    if not zs:
        raise ValueError(NO_TAGS)
    samples = list(dict.fromkeys(_passes(zs)))
    if sample is None:
        sample = samples[0]
    elif sample not in samples:
        raise ValueError(f"sample={sample!r} is not in the graph; it holds samples {samples}")
    z_of, a_of, x_of = _pick(zs, sample), _pick(found["a"], sample), _pick(found["x"], sample)
    weights = found["w"]
    if len(z_of) > max_nodes:
        raise too_big(len(z_of), max_nodes, "neurons", "Draw a smaller network")

    layers: dict = {}
    for layer, j in sorted(z_of):
        layers.setdefault(layer, []).append(j)
    first = min(layers)
    inputs = sorted({i for (layer, _, i) in weights if layer == first} | {i for (_, i) in x_of})
    deltas = [z.grad for z in z_of.values()]
    scale = max_abs(deltas)
    wscale = max_abs(w.grad for w in weights.values())
    wmax = max_abs(w.data for w in weights.values()) or 1.0

    sizes = " → ".join(str(n) for n in [len(inputs)] + [len(layers[k]) for k in sorted(layers) if layers[k]])
    title = f"network {sizes} · {escape_html(root.label or 'L')} = {number(root.data, precision)}"
    if len(samples) > 1:
        title += f" · sample {escape_html(sample)} of {len(samples)}"
    out = [
        "digraph network {",
        f'  graph [rankdir={rankdir}, fontname="{FONT}", labelloc=t, fontsize=14, nodesep=0.3, ranksep=1.2,',
        f"         label=<<b>{title}</b>>];",
        f'  node [fontname="{FONT}", fontsize=10, shape=box, margin="0.08,0.04"];',
        f'  edge [fontname="{FONT}", fontsize=8, arrowsize=0.6];',
        _legend(scale, precision),
        "  subgraph cluster_input {",
        '    label="input"; rank=same; style=rounded; color="#bbbbbb";',
    ]
    untagged = {} if len(x_of) >= len(inputs) else _inputs_of(z_of[(first, layers[first][0])])
    for i in inputs:
        x = x_of.get((first - 1, i)) or untagged.get(i)
        text = number(x.data, precision) if x is not None else "?"
        bad = x is not None and not is_finite(x.data)
        out.append(f"    x{i} [{_html_node(f'x[{i}]', [f'x = {text}'], '#ffffff', bad)}];")
    out.append("  }")
    last = max(layers)
    for layer in sorted(layers):
        name = f"layer {layer}" + (" (output)" if layer == last else "")
        out.append(f"  subgraph cluster_{layer} {{")
        out.append(f'    label="{name}"; rank=same; style=rounded; color="#bbbbbb";')
        for j in layers[layer]:
            z = z_of[(layer, j)]
            a = a_of.get((layer, j))
            g = a.op.symbol if a is not None and a.op is not None else None
            rows = [f"z = {number(z.data, precision)}"]
            rows.append(f"a = {escape_html(g)}(z) = {number(a.data, precision)}" if g else "a = z (linear)")
            rows.append(f"δ = {number(z.grad, precision)}")
            bad = not all(is_finite(v) for v in (z.data, z.grad, a.data if a is not None else 0.0))
            out.append(f"    n{layer}_{j} [{_html_node(f'neuron {j}', rows, diverging(z.grad, scale), bad)}];")
        out.append("  }")
    for (layer, j, i), w in sorted(weights.items()):
        if (layer, j) not in z_of:
            continue
        tail = f"x{i}" if layer == first else f"n{layer - 1}_{i}"
        colour = diverging(w.grad, wscale, mid=EDGE_MID)
        width = 0.6 + 2.4 * min(1.0, abs(w.data) / wmax) if is_finite(w.data) else 2.0
        bad = not (is_finite(w.data) and is_finite(w.grad))
        extra = f', style=dashed, fontcolor="{NONFINITE}"' if bad else ""
        out.append(
            f'  {tail} -> n{layer}_{j} [label="w = {number(w.data, precision)}\\n∂L/∂w = '
            f'{number(w.grad, precision)}", color="{colour}", penwidth={width:.2f}{extra}];'
        )
    out.append("}")
    return "\n".join(out) + "\n"
