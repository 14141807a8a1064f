"""The op view's shape: left to right, top to bottom, or left to right wrapped into rows, whichever stays near square.

Graphviz lays a graph out in ranks (one per step of the longest path; an edge label is a node of its
own, so a labelled edge spans two steps). Left to right, the picture is as wide as the ranks side by
side and as tall as the fullest rank; top to bottom, the other way round. `auto_shape`
estimates both from the label texts (Courier: a character ≈ 0.6 × the font size; a record is one
row of fields left to right, a column of fields top to bottom) and, when neither is within
`TARGET_ASPECT`, wraps the left-to-right layout into rows: it cuts the graph at result edges
``op -> value`` that are the only edge crossing their gap (a chain's every step), and Graphviz lays
each row out on its own (the cut edge is drawn with ``constraint=false``, as a return arrow from the
end of one row to the start of the next).
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_ASPECT = 4.0
"""Widest width : height (or height : width) the op view should have."""
TARGET_ASPECT = 2.5
"""The aspect `auto_shape` aims for once plain left to right is over `MAX_ASPECT` (a margin for the estimate)."""
SMALL = 900.0
"""A picture at most this many points wide (about a page) stays in one row whatever its aspect."""
CHAR, LABEL_CHAR, FIELD, RANKSEP, NODESEP, ROWGAP = 6.6, 5.4, 22.0, 25.0, 18.0, 60.0
# (measured on Graphviz's output: a row of a wrapped view takes its tallest node plus about 60 pt)


@dataclass(frozen=True)
class Shape:
    """How to lay out an op view: ``rankdir`` and ``cuts``, the topological indices ``i`` whose result edge
    ``o{i} -> v{i}`` starts a new row (empty: one row)."""

    rankdir: str
    cuts: frozenset = frozenset()


def _ranks(order: list, labelled: bool) -> dict:
    """Rank of every drawn node: keys ``("v", i)``, ``("o", i)``, ``("l", i, k)`` (the label of parent k into op i)."""
    index = {n: i for i, n in enumerate(order)}
    step = 2 if labelled else 1
    rank: dict = {}
    for i, node in enumerate(order):
        if node.op is None or not node.parents:
            rank[("v", i)] = 0
            continue
        rank[("o", i)] = max(rank[("v", index[p])] for p in node.parents) + step
        rank[("v", i)] = rank[("o", i)] + 1
    first_use: dict = {}
    for j, c in enumerate(order):
        for p in c.parents if ("o", j) in rank else ():
            first_use[index[p]] = min(first_use.get(index[p], rank[("o", j)]), rank[("o", j)])
    for i, node in enumerate(order):  # Graphviz puts a leaf (a constant, a weight) next to the op that uses it
        if node.op is None and i in first_use:
            rank[("v", i)] = first_use[i] - step
    if labelled:
        for i, node in enumerate(order):
            for k in range(len(node.parents) if ("o", i) in rank else 0):
                rank[("l", i, k)] = rank[("o", i)] - 1
    return rank


def _edges(order: list, labelled: bool) -> list:
    index = {n: i for i, n in enumerate(order)}
    out = []
    for i, node in enumerate(order):
        if node.op is None or not node.parents:
            continue
        for k, p in enumerate(node.parents):
            if labelled:
                out += [(("v", index[p]), ("l", i, k)), (("l", i, k), ("o", i))]
            else:
                out.append((("v", index[p]), ("o", i)))
        out.append((("o", i), ("v", i)))
    return out


def _size(key, rankdir: str, fields: dict, ops: dict, labels: dict) -> tuple[float, float]:
    """(width, height) in points of one node as Graphviz will draw it."""
    if key[0] == "v":
        f = fields[key[1]] or [""]
        if rankdir == "LR":  # a record { a | b } is a row of fields left to right, a column top to bottom
            return sum(len(t) * CHAR + 16 for t in f), FIELD
        return max(len(t) for t in f) * CHAR + 16, FIELD * len(f)
    if key[0] == "o":
        return max(54.0, (len(ops[key[1]]) * 6.0 + 8) * 1.42), FIELD  # an ellipse: at least 0.75 in wide
    lines = labels.get(key[1:]) or [""]
    return max(len(t) for t in lines) * LABEL_CHAR + 8, 11.0 * len(lines) + 6


def _rank_extents(rank: dict, rankdir: str, fields, ops, labels) -> list[tuple[float, float]]:
    """Per rank: (extent along the flow, extent across it)."""
    n = max(rank.values()) + 1
    along, across, count = [0.0] * n, [0.0] * n, [0] * n
    for key, r in rank.items():
        w, h = _size(key, rankdir, fields, ops, labels)
        a, c = (w, h) if rankdir == "LR" else (h, w)
        along[r] = max(along[r], a)
        across[r] += c
        count[r] += 1
    return [(along[r], across[r] + NODESEP * max(count[r] - 1, 0)) for r in range(n)]


def _aspect(rows: list, ext: list, rankdir: str, side: tuple = ()) -> float:
    """Estimated aspect (≥ 1) of ranks ``ext`` split into ``rows`` (a list of (first, end) rank ranges),
    with the ``side`` nodes ((w, h): legend, key) in a column of their own before the first rank."""
    along = max(sum(a for a, _ in ext[s:e]) + RANKSEP * (e - s - 1) for s, e in rows)
    across = sum(max((c for _, c in ext[s:e]), default=0.0) for s, e in rows) + ROWGAP * (len(rows) - 1)
    if side:
        k = 0 if rankdir == "LR" else 1
        along += max(d[k] for d in side) + RANKSEP
        across = max(across, sum(d[1 - k] for d in side) + NODESEP * (len(side) - 1))
    w, h = (along, across) if rankdir == "LR" else (across, along)
    return max(w / h, h / w) if w > 0 and h > 0 else 1.0


def text_size(lines: list[str], font: float) -> tuple[float, float]:
    """(width, height) in points of plain Courier text lines at ``font`` pt (a character is 0.6 em wide)."""
    return max((len(t) for t in lines), default=0) * 0.6 * font + 12, len(lines) * 1.2 * font + 8


def _length(ext: list) -> float:
    return sum(a for a, _ in ext) + RANKSEP * (len(ext) - 1)


def _cut_points(rank: dict, edges: list) -> dict:
    """{gap r (between rank r and r + 1): i} for each gap crossed by one edge only, the result edge ``o{i} -> v{i}``."""
    n = max(rank.values()) + 1
    crossing = [0] * (n + 1)
    for u, v in edges:
        lo, hi = sorted((rank[u], rank[v]))
        crossing[lo] += 1
        crossing[hi] -= 1
    points, running = {}, 0
    one = {}
    for u, v in edges:
        if u[0] == "o" and rank[v] == rank[u] + 1:
            one[rank[u]] = u[1]
    for r in range(n - 1):
        running += crossing[r]
        if running == 1 and r in one:
            points[r] = one[r]
    return points


def _rows(points: dict, ext: list, longest: float) -> list[int]:
    """The gaps to cut (from ``points``) so that no row is longer than ``longest``, cutting as late as possible.

    A stretch with no allowed cut stays in one row even when it is longer.
    """
    cuts, row_start, length, last_ok = [], 0, 0.0, None
    r = 0
    while r < len(ext):
        length = sum(a for a, _ in ext[row_start : r + 1]) + RANKSEP * (r - row_start)
        if length > longest and last_ok is not None:
            cuts.append(last_ok)
            row_start, last_ok = last_ok + 1, None
            continue
        if r in points:
            last_ok = r
        r += 1
    return cuts


def _bounds(cuts: list, n: int) -> list:
    edges = [0] + [r + 1 for r in cuts] + [n]
    return [(edges[j], edges[j + 1]) for j in range(len(edges) - 1)]


def auto_shape(order: list, fields: dict, ops: dict, labels: dict | None = None, side: tuple = ()) -> Shape:
    """The `Shape` of the op view of ``order`` (topological, as `deltagrad.autograd.topo_order`).

    ``fields[i]``: the record fields of node ``i`` (a list of strings); ``ops[i]``: the op symbol of
    node ``i`` (nodes with an op only); ``labels[(i, k)]``: the lines of the edge label of parent k
    into op i, or ``labels=None`` when the edges carry no labels; ``side``: the (width, height) of
    nodes drawn beside the graph (legend, key; see `text_size`). Left to right when its estimated
    aspect is within `MAX_ASPECT`; else top to bottom when that is within
    `TARGET_ASPECT`; else left to right in the fewest rows that bring it within
    `TARGET_ASPECT`; else whichever of these is closest to square. A picture no wider than
    `SMALL` stays left to right in one row.

    >>> from deltagrad.autograd import Value, topo_order
    >>> y = Value(1.0, label="x")
    >>> for _ in range(40):
    ...     y = y.tanh()
    >>> order = topo_order(y)
    >>> shape = auto_shape(order, {i: ["data 0.5", "grad 0.5"] for i in range(41)}, {i: "tanh" for i in range(1, 41)})
    >>> shape.rankdir, len(shape.cuts) > 0
    ('LR', True)
    >>> auto_shape(order[:3], {i: ["data 1"] for i in range(3)}, {1: "tanh", 2: "tanh"})
    Shape(rankdir='LR', cuts=frozenset())
    """
    if not order:
        return Shape("LR")
    labelled = labels is not None
    labels = labels or {}
    rank = _ranks(order, labelled)
    lr = _rank_extents(rank, "LR", fields, ops, labels)
    whole = [(0, len(lr))]
    if _aspect(whole, lr, "LR", side) <= MAX_ASPECT or _length(lr) <= SMALL:
        return Shape("LR")
    tb = _aspect(whole, _rank_extents(rank, "TB", fields, ops, labels), "TB", side)
    if tb <= TARGET_ASPECT:
        return Shape("TB")
    points = _cut_points(rank, _edges(order, labelled))
    aspect_lr = _aspect(whole, lr, "LR", side)
    best = (min(aspect_lr, tb), Shape("LR" if aspect_lr <= tb else "TB"))
    total = _length(lr)
    seen = set()
    for bands in range(2, len(points) + 2):  # the fewest rows, each as short as that allows
        lo, hi = total / bands, total
        for _ in range(30):  # bisect the longest row allowed, down to where `bands` rows are still enough
            mid = (lo + hi) / 2
            lo, hi = (lo, mid) if len(_rows(points, lr, mid)) + 1 <= bands else (mid, hi)
        cuts = _rows(points, lr, hi)
        if tuple(cuts) in seen:
            continue
        seen.add(tuple(cuts))
        aspect = _aspect(_bounds(cuts, len(lr)), lr, "LR", side)
        shape = Shape("LR", frozenset(points[r] for r in cuts))
        if aspect <= TARGET_ASPECT:
            return shape
        if aspect < best[0]:
            best = (aspect, shape)
    return best[1]


def auto_rankdir(order: list, labels: dict) -> str:
    """``"LR"`` or ``"TB"``: the direction of `auto_shape` for records ``labels[node]`` (a list of fields).

    >>> from deltagrad.autograd import Value, topo_order
    >>> y = Value(1.0, label="x")
    >>> order = topo_order(y * 2.0)
    >>> auto_rankdir(order, {n: ["data 1", "grad 1"] for n in order})
    'LR'
    """
    ops = {i: (n.op.symbol or n.op.name) for i, n in enumerate(order) if n.op is not None}
    return auto_shape(order, {i: labels[n] for i, n in enumerate(order)}, ops).rankdir


def row_of(order: list, cuts) -> tuple[list[int], dict]:
    """Which row of a wrapped op view each node is in: ``(row of v{i} by i, {i: row of o{i}})``, rows numbered
    in order (0 first). The rows are the graph's parts once the result edges ``o{i} -> v{i}`` for ``i`` in
    ``cuts`` are removed; an op's edge labels are in its op's row.

    >>> from deltagrad.autograd import Value, topo_order
    >>> order = topo_order(Value(1.0).tanh().tanh().tanh())
    >>> row_of(order, {2})
    ([0, 0, 1, 1], {1: 0, 2: 0, 3: 1})
    """
    n = len(order)
    index = {node: i for i, node in enumerate(order)}
    parent = list(range(2 * n))  # v{i} is i, o{i} is n + i

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def join(a, b):
        a, b = find(a), find(b)
        parent[max(a, b)] = min(a, b)

    for i, node in enumerate(order):
        if node.op is None:
            continue
        for p in node.parents:
            join(index[p], n + i)
        if i not in cuts:
            join(n + i, i)
    starts = {find(i): i for i in cuts}  # every row but the first starts at one cut value
    keys = sorted({find(i) for i in range(n)}, key=lambda part: starts.get(part, -1))
    first = {part: r for r, part in enumerate(keys)}
    ops = {i: first[find(n + i)] for i, node in enumerate(order) if node.op is not None}
    return [first[find(i)] for i in range(n)], ops


def row_starts(order: list, cuts, labelled: bool) -> list[int]:
    """The first value of each row (by the estimated rank, then topological index): where the row's anchor points."""
    rank = _ranks(order, labelled)
    vrow, _ = row_of(order, cuts)
    best: dict = {}
    for i, r in enumerate(vrow):
        if r not in best or rank[("v", i)] < rank[("v", best[r])]:
            best[r] = i
    return [best[r] for r in sorted(best)]


def row_clusters(order: list, cuts, folded=frozenset(), labels: dict | None = None) -> list[str]:
    """DOT lines that keep the rows of a wrapped op view apart and in order, top down.

    Each row is a borderless cluster (Graphviz keeps a cluster's nodes together, away from other
    clusters); an invisible anchor per row points at the row's first value, and the anchors share one
    rank, chained left to right, which Graphviz's left-to-right layout turns into top to bottom; a
    key says what the dashed return arrows (``o{i} -> v{i}`` for ``i`` in ``cuts``) are.
    ``folded``: nodes not drawn (a folded transpose); ``labels``: as `auto_shape` (label nodes
    ``l{i}_{k}`` go with their op).

    >>> from deltagrad.autograd import Value, topo_order
    >>> order = topo_order(Value(1.0).tanh().tanh())
    >>> row_clusters(order, {2})[-1]
    '  { rank=same; row0 -> row1 [style=invis]; }'
    """
    vrow, orow = row_of(order, cuts)
    starts = row_starts(order, cuts, labels is not None)
    members: dict = {}
    for i, node in enumerate(order):
        if node not in folded:
            members.setdefault(vrow[i], []).append(f"v{i}")
        if i in orow:
            members.setdefault(orow[i], []).append(f"o{i}")
            members[orow[i]] += [f"l{i}_{k}" for k in range(len(node.parents)) if labels and labels[(i, k)]]
    out = ['  wrap_key [shape=plaintext, fontsize=9, label="dashed grey arrow: the result starts the next row"];',
           '  node [shape=point, style=invis, width=0, height=0, label=""];']
    for r, m in sorted(members.items()):
        out.append(f"  subgraph cluster_row{r} {{ peripheries=0; {'; '.join(m)}; }}")
        out.append(f"  row{r} -> v{starts[r]} [style=invis];")
    out.append("  { rank=same; " + " -> ".join(f"row{r}" for r in sorted(members)) + " [style=invis]; }")
    return out
