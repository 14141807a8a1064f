"""The network view: one node per neuron (z, a, g'(z), δ), one edge per weight (w, ∂L/∂w), layers as columns."""

from __future__ import annotations

import math

import numpy as np

from .colors import colours, ticks
from .compare import ATOL, RTOL, mismatch_text
from .network_expected import resolve_network
from .network_layout import Column, Edge, Node, label_size, layout, node_size
from .network_model import read_network
from .network_summary import TOP_EDGES, heatmap, input_sensitivity, pick, top_edges
from .ops_view import MAX_NODES, check_color_scale, node_limit, too_big
from .scene import Scene
from .style import (
    EDGE_MID,
    MATCH,
    MISMATCH,
    NONFINITE,
    flag,
    is_finite,
    max_abs,
    number,
    text_colour,
)

INACTIVE_BORDER = "#737373"
"""Border of an inactive neuron (g'(z) = 0, e.g. a ReLU at z ≤ 0): grey and dotted."""
GLYPH = {
    "inactive": "○ inactive",
    "vanishing": "▼ vanishing δ",
    "exploding": "▲ exploding δ",
}


def _tick(marks: dict, what: str, precision: int) -> str:
    m = marks.get(what)
    if m is None:
        return ""
    return " √" if m.ok else f" × ({mismatch_text(m.engine, m.expected, precision)})"


def neuron_state(n, dscale: float) -> str | None:
    """``"inactive"``, ``"vanishing"``, ``"exploding"``, ``"nan/inf"`` or None for one neuron.

    Inactive: g'(z) = 0 exactly (a ReLU at z ≤ 0), so δ = g'(z)·∂L/∂a = 0 whatever reaches it --
    the neuron passes no gradient back for this sample. Vanishing: |δ| < 1e-6 · ``dscale`` (the
    largest |δ| drawn) while g'(z) ≠ 0: the gradient arriving from later layers is itself tiny
    (`viz.style.flag`). Exploding: |δ| > 1e3.
    """
    if n.g is not None and n.gprime is not None and n.gprime == 0.0 and is_finite(n.z):
        return "inactive"
    return flag(n.delta, dscale)


def _neuron_rows(n, precision: int, state: str | None, marks: dict) -> list:
    rows = [f"z = {number(n.z, precision)}{_tick(marks, 'z', precision)}"]
    if n.g:
        rows.append(f"a = {n.g}(z) = {number(n.a, precision)}{_tick(marks, 'a', precision)}")
        if n.gprime is not None:
            rows.append(f"{n.g}'(z) = {number(n.gprime, precision)}")
    else:
        rows += [f"a = z (linear){_tick(marks, 'a', precision)}", "g'(z) = 1"]
    rows.append(f"δ = {number(n.delta, precision)}{_tick(marks, 'δ', precision)}")
    out = [(r, False) for r in rows]
    if state == "inactive":
        out.append((f"{GLYPH['inactive']}: {n.g or 'g'}'(z) = 0", True))
    elif state in GLYPH:
        out.append((GLYPH[state], True))
    return out


def _names(names, count: int, what: str) -> list | None:
    if names is None:
        return None
    names = [str(x) for x in names]
    if len(names) != count:
        raise ValueError(f"{what} has {len(names)} names but the network has {count} of them")
    return names


def _legend(title: str, scale: float, precision: int, symlog: bool, summarised: bool, labelled: bool) -> dict:
    marks = ticks(scale, symlog)
    cells = [(number(v, 2), fill, text_colour(fill)) for v, fill in zip(marks, colours(marks, scale, symlog=symlog))]
    notes = [
        (f"fill ends at ±{number(scale, precision)} (the largest |value| drawn)", "#000000"),
        ("edge colour: ∂L/∂w (summed over the batch), each layer on its own scale; width: |w|", "#000000"),
        ("dashed red border: nan/inf", NONFINITE),
        ("dotted grey border, ○ inactive: g'(z) = 0 (a ReLU at z ≤ 0), so δ = 0 whatever arrives", INACTIVE_BORDER),
        ("▼ vanishing δ: |δ| < 1e-6 · max |δ| although g'(z) ≠ 0;  ▲ exploding δ: |δ| > 1e3", "#000000"),
    ]
    if labelled:
        notes.append(("edge label: w (the weight) and ∂L/∂w", "#000000"))
    if summarised:
        notes.append(
            (f"big layers: the most active neurons, the {TOP_EDGES} largest |∂L/∂w| as edges, W and ∂L/∂W as heatmaps",
             "#000000")
        )
    return {"title": title + (" (symlog)" if symlog else ""), "cells": cells, "notes": notes}


def network_scene(
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
    color_scale: str = "auto",
    input_names=None,
    output_names=None,
    caption: str | None = None,
) -> Scene:
    """The neuron-level view of the network that computed ``root``.

    Reads the `autograd.Tag` s that ``nn`` puts on Values or Tensors (never imports ``nn``; see
    `viz.network_model.read_network`): one node per neuron showing z, a = g(z), g'(z) and
    δ = ∂L/∂z; one node per input showing x; one edge per weight from neuron i of layer l-1 to neuron j
    of layer l, labelled w and ∂L/∂w (the full gradient over every sample), coloured by ∂L/∂w, width
    by |w|. Layers are columns headed "input", "layer 1" … "(output)", neurons in index order.

    A column of more than `viz.network_summary.MAX_COLUMN` (12) neurons shows its 8 most
    active ones (largest |δ|; inputs: largest |∂L/∂x| = |W1ᵀδ1|) and a node "… n more"; between
    such columns only the 24 largest |∂L/∂w| are edges, and W and ∂L/∂W are drawn as heatmaps.

    Args:
        sample: which forward pass (Value nets: its ``Tag.sample`` or pass number) or batch row
            (Tensor nets) to show; default the one with the largest output |δ| (Σ over the output
            neurons): for softmax cross-entropy (δ = p − onehot) and one-output MSE that is the
            sample with the highest loss, the one with the most to teach.
        edge_labels: True, False, or ``"auto"`` (every weight labelled while no column is
            summarised, i.e. up to 12 neurons per layer; the drawn top edges otherwise).
        color_by: ``"delta"`` fills neurons by δ, ``"grad"`` by ∂L/∂a (δ for a linear neuron), None
            leaves them white. Neurons get ○ inactive (g'(z) = 0), ▼ vanishing or ▲ exploding
            (`neuron_state`).
        color_scale: ``"auto"`` (symlog when the fills span over two decades), ``"linear"`` or
            ``"symlog"`` (see `viz.colors`); edges and heatmaps follow the same choice.
        input_names, output_names: names of the inputs (features) and output neurons (classes),
            shown instead of ``x[i]`` and ``neuron j``; the title names the predicted class.
        caption: one more line for the title (e.g. the sample's target, written by the caller).
        expected: a derivation's numbers, ``{"z1" | "a1" | "δ1" | "W1": value}`` (z, a, δ of the
            shown sample; ∂L/∂W summed over the batch; see
            `viz.network_expected.resolve_network`): each checked number gets √ or × with the
            expected value, each checked neuron a green (all match) or red border.

    Raises:
        KeyError: for an ``expected`` key that names nothing in the view (the keys there are listed).
        ValueError: if no node carries a z tag, if ``sample`` is not in the graph, if more than
            ``max_nodes`` neurons would be drawn, names of the wrong count, or an unknown option.

    >>> from deltagrad.nn import MLP                        # doctest: +SKIP
    >>> src = network_source(MLP(2, [3, 1], seed=0)([1.0, 2.0]))    # doctest: +SKIP
    """
    if edge_labels not in (True, False, "auto"):
        raise ValueError(f"view='network' takes edge_labels=True, False or 'auto', got {edge_labels!r}")
    if color_by not in ("delta", "grad", None):
        raise ValueError(f"unknown color_by {color_by!r}; choose 'delta', 'grad' or None")
    if rankdir not in ("LR", "auto"):
        raise ValueError(f"view='network' draws layers as columns, left to right (rankdir='LR'); got {rankdir!r}")
    check_color_scale(color_scale)  # a bad name fails before any work
    limit = node_limit(max_nodes)
    net = read_network(root, sample)
    first, last = min(net.layers), max(net.layers)
    in_names = _names(input_names, len(net.inputs), "input_names")
    out_names = _names(output_names, len(net.layers[last]), "output_names")
    checks, wchecks = resolve_network(net, expected, atol, rtol) if expected else ({}, {})

    # what to draw: whole columns up to MAX_COLUMN neurons, else the most active ones
    deltas = {layer: np.array([n.delta for n in ns.values()], dtype=float) for layer, ns in net.layers.items()}
    keys = {layer: list(ns) for layer, ns in net.layers.items()}
    in_keys = list(net.inputs)
    W1 = net.matrices.get(first, (np.zeros((len(keys[first]), len(in_keys))),))[0]
    in_act = input_sensitivity(W1, deltas[first]) if W1.shape[1] == len(in_keys) else np.zeros(len(in_keys))
    shown_in = [in_keys[i] for i in pick(in_act)]
    shown = {layer: [keys[layer][i] for i in pick(deltas[layer])] for layer in net.layers}
    summarised = len(shown_in) < len(in_keys) or any(len(shown[x]) < len(keys[x]) for x in net.layers)
    count = len(shown_in) + sum(len(v) for v in shown.values())
    if count > limit:
        raise too_big(count, max_nodes, "neurons to draw", "Draw a smaller network")
    labelled = edge_labels is True or (edge_labels == "auto" and not summarised)

    neurons = [net.layers[layer][j] for layer in net.layers for j in shown[layer]]
    fill_of = {id(n): (n.delta if color_by != "grad" or n.dlda is None else n.dlda) for n in neurons}
    scale = max_abs(fill_of.values())
    symlog = check_color_scale(color_scale, fill_of.values())
    dscale = max(float(np.nanmax(np.abs(np.where(np.isfinite(d), d, 0.0)), initial=0.0)) for d in deltas.values())

    # the edges: every weight between shown neurons, or the TOP_EDGES largest |∂L/∂w| when summarised
    edges = []  # (layer, j, i, w, ∂L/∂w), layer by layer
    for layer in sorted(net.matrices):
        W, dW = net.matrices[layer]
        src = shown_in if layer == first else shown[layer - 1]
        rows = [j for j in shown[layer] if j < W.shape[0]]
        cols = [i for i in src if i < W.shape[1]]
        if summarised:
            pairs = top_edges(dW, rows, cols)
            js, is_ = [j for j, _ in pairs], [i for _, i in pairs]
        else:  # every weight the graph has, target by target
            jj, ii = np.nonzero(~np.isnan(W[np.ix_(rows, cols)]))
            js, is_ = [rows[a] for a in jj.tolist()], [cols[b] for b in ii.tolist()]
        edges += zip([layer] * len(js), js, is_, W[js, is_].tolist(), dW[js, is_].tolist())
    wmax = max_abs(e[3] for e in edges) or 1.0

    sizes = " → ".join(str(len(x)) for x in [net.inputs, *net.layers.values()])
    title = [f"network {sizes} · {root.label or 'L'} = {number(root.data, precision)}"]
    line = ""
    if len(net.samples) > 1:
        how = "largest output |δ|: the highest loss" if sample is None else "chosen"
        line = f"sample {net.sample} of {len(net.samples)} ({how}; sample=K picks another)"
    outs = net.layers[last]
    if len(outs) > 1:
        score = {j: (n.a if n.a is not None else n.z) for j, n in outs.items()}
        best = max(score, key=lambda j: (score[j] if np.isfinite(score[j]) else -np.inf))
        line += (" · " if line else "") + f"predicted: {out_names[best] if out_names else f'neuron {best}'}"
    title += [t for t in (caption, line) if t]
    if edge_labels == "auto" and not labelled:
        title.append(f"(the {len(edges)} drawn edges unlabelled: big layers; edge_labels=True labels them)")
    legend_spec = None
    if color_by is not None:
        what = "δ = ∂L/∂z" if color_by == "delta" else "∂L/∂a"
        legend_spec = _legend(f"fill: {what}", scale, precision, symlog, summarised, labelled)

    # boxes as wide as the widest number the precision allows: a live view's columns stay put
    widest = number(-1.0 / 9e4, precision)
    columns = [Column("input", [], min_width=node_size(Node("", "", [(f"x = {widest}", False)]))[0])]
    for i in shown_in:
        x = net.inputs[i]
        text = "?" if x is None else number(x, precision)
        bad = x is not None and not is_finite(x)
        head = in_names[in_keys.index(i)] if in_names else f"x[{i}]"
        rows = [(f"x = {text}", False)]
        if summarised:
            rows.append((f"∂L/∂x = {number(_dldx(W1, deltas[first], in_keys.index(i)), precision)}", False))
        columns[0].nodes.append(Node(f"x{i}", head, rows, **_border(bad, None, False)))
    fills = colours([fill_of[id(n)] for n in neurons], scale, symlog=symlog) if color_by else None
    k = 0
    for layer in net.layers:
        g = next(iter(net.layers[layer].values())).g
        rows = [f"z = {widest}", f"a = {g}(z) = {widest}" if g else "a = z (linear)", f"{g or 'g'}'(z) = {widest}",
                f"δ = {widest}"]
        col = Column(f"layer {layer}" + (" (output)" if layer == last else ""), [],
                     min_width=node_size(Node("", "", [(r, False) for r in rows]))[0])
        for j in shown[layer]:
            n = net.layers[layer][j]
            state = neuron_state(n, dscale)
            fill = fills[k] if fills else "#ffffff"
            k += 1
            bad = not all(is_finite(v) for v in (n.z, n.delta, 0.0 if n.a is None else n.a))
            marks = {m.what: m for m in checks.get((layer, j), [])}
            ok = all(m.ok for m in marks.values()) if marks else None
            head = out_names[keys[layer].index(j)] if out_names and layer == last else f"neuron {j}"
            col.nodes.append(
                Node(f"n{layer}_{j}", head, _neuron_rows(n, precision, state, marks), fill, text_colour(fill),
                     **_border(bad, ok, state == "inactive"))
            )
        columns.append(col)
    acts = [in_act] + [deltas[layer] for layer in net.layers]
    all_keys = [in_keys] + [keys[layer] for layer in net.layers]
    for c, col in enumerate(columns):
        hidden = len(all_keys[c]) - len(col.nodes)
        if hidden:
            what = "|∂L/∂x|" if c == 0 else "|δ|"
            drawn = [all_keys[c].index(_key(n.id)) for n in col.nodes]
            rest = np.abs(np.delete(acts[c], drawn))
            peak = number(float(np.nanmax(rest)) if rest.size else 0.0, 2)
            col.nodes.append(Node(f"more{c}", f"… {hidden} more", [(f"{what} ≤ {peak}", False)], "#f0f0f0",
                                  stroke="#999999", dash="3,2"))
        layer = list(net.layers)[c - 1] if c else None
        if summarised and layer in net.matrices:
            W, dW = net.matrices[layer]
            col.grids += [heatmap(f"W{layer}", W, precision), heatmap(f"∂L/∂W{layer}", dW, precision, symlog)]

    edge_fill = ["#777777"] * len(edges)
    if color_by:  # each layer's ∂L/∂w on its own scale: the first layer's are often far smaller than the last's
        edge_fill, at = [], 0
        while at < len(edges):
            end = at
            while end < len(edges) and edges[end][0] == edges[at][0]:
                end += 1
            dws = [e[4] for e in edges[at:end]]
            edge_fill += colours(dws, max_abs(dws), mid=EDGE_MID, symlog=symlog)
            at = end
    drawn_edges = []
    isfinite = math.isfinite
    for (layer, j, i, w, dw), colour in zip(edges, edge_fill):
        tail = f"x{i}" if layer == first else f"n{layer - 1}_{i}"
        bad = not (isfinite(w) and isfinite(dw))
        width = 0.6 + 2.4 * min(1.0, abs(w) / wmax) if isfinite(w) else 2.0
        marks = {m.what: m for m in wchecks[(layer, j, i)]} if (layer, j, i) in wchecks else {}
        label = None
        if labelled:
            if marks:
                label = [f"w = {number(w, precision)}{_tick(marks, 'w', precision)}",
                         f"∂L/∂w = {number(dw, precision)}{_tick(marks, '∂L/∂w', precision)}"]
            else:
                label = [f"w = {number(w, precision)}", f"∂L/∂w = {number(dw, precision)}"]
        elif marks:  # weight labels hidden: the marks alone
            label = ["; ".join(m + _tick(marks, m, precision) for m in marks)]
        ink = "#000000"
        if marks and not bad:
            ink = MATCH if all(m.ok for m in marks.values()) else MISMATCH
        if bad:
            ink = NONFINITE
        drawn_edges.append(Edge(tail, f"n{layer}_{j}", colour, width, "5,3" if bad else None, label, ink))
    # labels as wide as the widest number the precision allows: the placement (cached on the geometry) stays put
    label_w = label_size([f"∂L/∂w = {widest}"])[0] if labelled else 0.0
    scene = layout(title, legend_spec, columns, drawn_edges, label_width=label_w)
    scene.sample = net.sample  # which sample is shown (viz.live marks it on its boundary panel)
    return scene


def _border(bad: bool, checked: bool | None, dead: bool) -> dict:
    """Border of a node: dashed red for nan/inf, green/red for a checked one, dotted grey when inactive."""
    if bad:
        return {"stroke": NONFINITE, "width": 2.5, "dash": "6,3"}
    if checked is not None:
        return {"stroke": MATCH if checked else MISMATCH, "width": 2.0 if checked else 3.0}
    if dead:
        return {"stroke": INACTIVE_BORDER, "width": 2.0, "dash": "2,2"}
    return {}


def _key(node_id: str):
    """The neuron key from a node id (``x3`` → 3, ``n2_5`` → 5)."""
    return int(node_id.rsplit("_", 1)[-1]) if node_id.startswith("n") else int(node_id[1:])


def _dldx(W1: np.ndarray, delta1: np.ndarray, i: int) -> float:
    """∂L/∂x_i of the shown sample: Σ_j W1[j, i] δ1_j (signed)."""
    return float(np.nan_to_num(W1[:, i]) @ np.nan_to_num(delta1))
