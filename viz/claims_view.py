"""The claim view: one box per claimed quantity of a worked example, rows top to bottom, each with its verdict.

``deltagrad check FILE.toml --svg`` draws this view instead of the engine's whole op graph: a
student's derivation names z, a, loss, δ, dW, db and the updated weights, and the picture has one box
for each (claimed or not), an arrow A → B when B is computed from A, and in each box the claimed
number, the engine's number and the verdict. Matrices are summarised (shape, the first entries,
the largest |claimed − engine|). Graphviz places the boxes; every row is one layer's forward pass,
the loss, one layer's backward pass or one layer's update.
"""

from __future__ import annotations

import itertools

import numpy as np

from .drawing import Drawing
from .style import DIM, FOLLOWS, FONT, MATCH, MISMATCH, escape_html, escape_text, number

SHOWN = 4
"""Up to this many entries a value is shown whole; a larger one as its shape and its first SHOWN - 1 entries."""
PRECISION = 4
"""Significant digits of the numbers shown (more when a wrong claim and the engine print alike)."""

STYLE = {  # kind: (border colour, border style, pen width, glyph, legend text)
    "ok": (MATCH, "rounded", 1.5, "√", "right"),
    "first wrong": (MISMATCH, "rounded,bold", 3.0, "×", "first wrong here: the step that made the error"),
    "follows": (FOLLOWS, "rounded,dashed", 2.0, "←", "follows from an earlier error: right given the claims before it"),
    "not claimed": (DIM, "rounded,dotted", 1.0, "○", "not claimed: the engine's value"),
    "unanswered": (DIM, "rounded,dotted", 1.0, "?", "unanswered"),
}
EDGE = "#555555"
NBSP = "\u00a0"


def claims_source(graph) -> str:
    """The DOT text of the claim view of ``graph`` (a `deltagrad.check.worked_graph.ClaimGraph`).

    ``graph`` needs ``title``, ``summary``, ``rows`` (row titles, top to bottom), ``nodes`` (each
    with ``key``, ``step``, ``row``, ``kind`` -- one of `STYLE` -- ``verdict``, ``claimed``,
    ``engine``, ``line``, ``note``) and ``edges`` (``(from_key, to_key)``). Each box lists its key
    and step, ``claimed`` and ``engine`` (``SHOWN`` entries at most, else the shape, the first
    entries and the largest |claimed − engine| with its index), and the verdict with its glyph and
    colour (`STYLE`). An arrow into a box that follows from an earlier error, out of a wrong
    one, is orange: the error's path.

    Raises:
        ValueError: a node of unknown ``kind``, or an edge naming a key that has no node.

    >>> from types import SimpleNamespace as N
    >>> import numpy as np
    >>> g = N(title="t", summary="1 claims: 1 OK, 0 WRONG", rows=["layer 1 · forward"], edges=[],
    ...       nodes=[N(key="z1", step="W1·x + b1", row=0, kind="ok", verdict="right", claimed=np.array([[0.5]]),
    ...                engine=np.array([[0.5]]), line=3, note="")])
    >>> src = claims_source(g)
    >>> src.startswith("digraph claims"), "√ right" in src
    (True, True)
    """
    keys = {n.key for n in graph.nodes}
    for n in graph.nodes:
        if n.kind not in STYLE:
            raise ValueError(f"claims_source: node {n.key!r} has unknown kind {n.kind!r}; expected one of {sorted(STYLE)}")
    for a, b in graph.edges:
        if a not in keys or b not in keys:
            raise ValueError(f"claims_source: edge {a!r} -> {b!r} names a key with no node")
    kinds = {n.key: n.kind for n in graph.nodes}
    lines = [
        "digraph claims {",
        (f'  graph [rankdir=TB, nodesep=0.3, ranksep=0.45, fontname="{FONT}", labelloc=t, labeljust=l, '
         f"label=<{_title(graph, {n.kind for n in graph.nodes})}>];"),
        f'  node [shape=box, fontname="{FONT}", fontsize=11, margin="0.08,0.04"];',
        f'  edge [color="{EDGE}", arrowsize=0.7];',
    ]
    used = sorted({n.row for n in graph.nodes})
    for r in used:
        members = [n for n in graph.nodes if n.row == r]
        lines.append(f'  row{r} [shape=plaintext, fontcolor="{DIM}", fontsize=11, label="{escape_text(graph.rows[r])}"];')
        lines.append("  { rank=same; " + " ".join([f"row{r};"] + [f'"{n.key}";' for n in members]) + " }")
        for n in members:
            lines.append(_box(n))
    lines.extend(f"  row{a} -> row{b} [style=invis];" for a, b in itertools.pairwise(used))
    for a, b in graph.edges:
        hot = kinds[b] == "follows" and kinds[a] in ("first wrong", "follows")
        lines.append(f'  "{a}" -> "{b}"' + (f' [color="{FOLLOWS}", penwidth=1.8];' if hot else ";"))
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw_claims(graph) -> Drawing:
    """`claims_source` as a `Drawing` (``.save(path)``, ``.svg()``; needs Graphviz to render).

    >>> from types import SimpleNamespace as N
    >>> draw_claims(N(title="t", summary="", rows=[], nodes=[], edges=[])).view
    'ops'
    """
    return Drawing(claims_source(graph))


def _title(graph, kinds: set) -> str:
    key = "   ".join(f'<font color="{STYLE[k][0]}">{escape_html(STYLE[k][3] + " " + STYLE[k][4])}</font>'
                     for k in STYLE if k in kinds)
    rows = [f"<b>{escape_html(graph.title)}</b>", escape_html(graph.summary), key,
            escape_html("an arrow A → B: B is computed from A (from the engine's graph)"
                        + ("; max |err|: a matrix's largest |claimed − engine|" if _summarised(graph) else ""))]
    return "<br align=\"left\"/>".join(r for r in rows if r) + '<br align="left"/>'


def _summarised(graph) -> bool:
    """Whether some box shows a ``max |err|`` line."""
    return any(_has_err(n) for n in graph.nodes)


def _has_err(n) -> bool:
    """A wrong claim of more than SHOWN entries: its box says where it is furthest from the engine."""
    return n.claimed is not None and n.engine is not None and np.size(n.claimed) > SHOWN and n.kind != "ok"


def _box(n) -> str:
    colour, style, pen, glyph, _ = STYLE[n.kind]
    text = "black" if n.kind in ("ok", "first wrong", "follows") else DIM
    p = _precision(n.claimed, n.engine, n.kind in ("first wrong", "follows"))
    rows = [(f'<tr><td align="left"><b>{escape_html(n.key)}</b>  '
             f'<font point-size="10">{escape_html(n.step)}</font></td></tr>')]
    value = n.claimed if n.claimed is not None else n.engine
    if value is not None and np.size(value) > SHOWN:
        # the shape as numpy writes it: "3 × 2" would put a verdict's × into a box that may be right
        rows.append(_row("shape", _shown(np.shape(value))))
    if n.claimed is not None:
        rows.append(_row("claimed", _numbers(n.claimed, p)))
    if n.engine is not None:
        # a right claim whose engine value prints otherwise at its digits (0.30515 vs 0.3051447): two more
        # digits show that the engine's number rounds to the claim
        q = p + 2 if n.kind == "ok" and n.claimed is not None and _numbers(n.claimed, p) != _numbers(n.engine, p) else p
        rows.append(_row("engine", _numbers(n.engine, q)))
    if _has_err(n):
        err = np.abs(np.asarray(n.claimed, float) - np.asarray(n.engine, float))
        ix = np.unravel_index(int(np.argmax(err)), err.shape)
        at = ", ".join(f"{name} {int(i)}" for name, i in zip(("row", "col"), ix)) if err.ndim <= 2 else str(ix)
        rows.append(_row("max |err|", f"{number(err[ix], p)} at {at} (from 0)"))
    where = f" (line {n.line})" if n.line else ""
    say = n.verdict if n.kind != "not claimed" else "not claimed"
    rows.append(f'<tr><td align="left"><font color="{colour}"><b>{escape_html(glyph + " " + say)}</b>'
                f"{escape_html(where)}</font></td></tr>")
    if n.note:
        rows.append(f'<tr><td align="left"><font color="{colour}" point-size="10">'
                    f"{escape_html(n.note)}</font></td></tr>")
    table = f'<table border="0" cellborder="0" cellspacing="0" cellpadding="1">{"".join(rows)}</table>'
    return (f'  "{n.key}" [label=<{table}>, color="{colour}", fontcolor="{text}", style="{style}", '
            f"penwidth={pen:g}];")


def _row(name: str, value: str) -> str:
    """One line ``name  value``: the name padded with no-break spaces (SVG collapses plain ones), so values align."""
    return f'<tr><td align="left">{escape_html(name.ljust(10, NBSP) + value)}</td></tr>'


def _flat(a) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    return a.reshape(-1)


def _shown(shape: tuple) -> str:
    """What a summarised value's line shows, e.g. ``(3, 2); shown: row 0`` or ``(12,); shown: entries 0-2``."""
    if len(shape) == 2 and min(shape) > 1:
        return f"{shape}; shown: row 0" + (f", columns 0-{SHOWN - 2}" if shape[1] > SHOWN - 1 else "")
    return f"{shape}; shown: entries 0-{SHOWN - 2}"


def _numbers(a, p: int) -> str:
    """A value in one line: the number, ``[a, b, c]``, ``[[a, b], [c, d]]`` (a small matrix of several
    rows and columns); a larger value its first entries then ``…``, a larger matrix its first row:
    ``[[a, b, c, …], …]`` (see `_shown`)."""
    flat = _flat(a)
    if np.ndim(a) == 0 or flat.size == 1:
        return number(float(flat[0]), p)
    if np.ndim(a) == 2 and min(np.shape(a)) > 1:  # a matrix of several rows and columns
        rows = np.asarray(a, dtype=float)
        if flat.size <= SHOWN:
            return "[" + ", ".join(_numbers(row, p) for row in rows) + "]"
        return "[" + _entries(rows[0], p, more=rows.shape[1] >= SHOWN) + ", …]"
    return _entries(flat, p, more=flat.size > SHOWN)


def _entries(flat: np.ndarray, p: int, more: bool) -> str:
    """``[a, b, c]``, or with ``more`` the first SHOWN - 1 of them and ``…``."""
    shown = [number(v, p) for v in (flat[: SHOWN - 1] if more else flat)]
    return "[" + ", ".join(shown + ["…"] * more) + "]"


def _precision(claimed, engine, wrong: bool) -> int:
    """Digits to show: at least PRECISION, every digit the claim was printed with (up to 8), and for a
    wrong claim enough that it and the engine's value do not print alike (up to 10)."""
    p = PRECISION
    if claimed is not None:
        while p < 8 and _numbers(claimed, p) != _numbers(claimed, 12):
            p += 1
    while wrong and engine is not None and claimed is not None and p < 10 and (
            _numbers(claimed, p) == _numbers(engine, p)):
        p += 1
    return p
