"""What the network view shows of a big network: the most active neurons per column, the strongest edges, heatmaps.

Up to `MAX_COLUMN` neurons a column is drawn whole, every weight an edge. Above that a column
shows its `SHOWN` most active neurons (largest |δ|; inputs: largest |∂L/∂x|) in index order
and one "… 248 more" node; only the `TOP_EDGES` largest |∂L/∂w| between shown neurons are
drawn, and W and ∂L/∂W of the layer appear as heatmaps beside the column: the true matrix when it
has at most `HEATMAP_CELLS` rows and columns, else each cell the mean of a block, coloured on
a scale that ends at the `SCALE_PERCENTILE` th percentile of |cell| (a few large cells
saturate instead of washing every other cell out to white, or, with the block's largest entry per
cell, every cell saturating to ±max).
"""

from __future__ import annotations

import numpy as np

from .colors import colours
from .network_layout import Grid
from .style import number

MAX_COLUMN = 12
"""A column with at most this many neurons is drawn whole (and, by default, every weight labelled)."""
SHOWN = 8
"""Neurons drawn of a bigger column: the most active ones."""
TOP_EDGES = 24
"""Edges drawn between two summarised columns: the largest |∂L/∂w| among the shown neurons."""
HEATMAP_CELLS = 24
"""A heatmap has at most this many cells a side; a bigger matrix is shown as the mean of each block."""
SCALE_PERCENTILE = 98
"""A heatmap's colour scale ends at this percentile of its cells' |value| (larger cells saturate)."""


def input_sensitivity(W1: np.ndarray, delta1: np.ndarray) -> np.ndarray:
    """|∂L/∂x_i| of the shown sample: ``|Σ_j W1[j, i] · δ1_j|`` (z1 = W1 x + b1, so ∂L/∂x = W1ᵀ δ1).

    >>> input_sensitivity(np.array([[1.0, 2.0], [3.0, -4.0]]), np.array([0.5, 0.5])).tolist()
    [2.0, 1.0]
    """
    return np.abs(np.nan_to_num(W1).T @ np.nan_to_num(delta1))


def pick(activity: np.ndarray, shown: int = SHOWN, limit: int = MAX_COLUMN) -> list:
    """Indices of a column to draw: all when ``len(activity) <= limit``, else the ``shown`` largest, in index order.

    Ties go to the lower index; nan counts as the largest (a nan is what a reader must see).

    >>> pick(np.arange(5.0)), pick(np.array([3.0, 0.0, 9.0, 1.0]), shown=2, limit=3)
    ([0, 1, 2, 3, 4], [0, 2])
    """
    n = len(activity)
    if n <= limit:
        return list(range(n))
    key = np.where(np.isnan(activity), np.inf, np.abs(activity))
    top = np.argsort(-key, kind="stable")[:shown]
    return sorted(int(i) for i in top)


def top_edges(dW: np.ndarray, rows: list, cols: list, k: int = TOP_EDGES) -> list:
    """The ``k`` pairs ``(j, i)`` among ``rows × cols`` with the largest |dW[j, i]| (sorted by j, i).

    >>> top_edges(np.array([[1.0, -5.0], [2.0, 0.5]]), [0, 1], [0, 1], k=2)
    [(0, 1), (1, 0)]
    """
    sub = np.abs(np.nan_to_num(dW[np.ix_(rows, cols)], nan=np.inf))
    order = np.argsort(-sub, axis=None, kind="stable")[:k]
    return sorted((rows[int(f) // len(cols)], cols[int(f) % len(cols)]) for f in order)


def block_means(M: np.ndarray, cells: int = HEATMAP_CELLS) -> tuple[np.ndarray, tuple[int, int]]:
    """``M`` reduced to at most ``cells`` × ``cells``: each cell the mean of its block (nan counts as 0).

    Blocks are ``ceil(rows / cells)`` × ``ceil(columns / cells)``; the last block of a row or column
    may be smaller, and its mean is over the entries it has. Returns the reduced matrix and the block
    size (rows, columns) of the original per cell; a matrix that fits is returned as it is, block (1, 1).

    >>> R, b = block_means(np.array([[1.0, -3.0, 2.0, 0.0, 5.0]]), cells=2)
    >>> R.tolist(), b
    ([[0.0, 2.5]], (1, 3))
    """
    r, c = M.shape
    br, bc = -(-r // cells), -(-c // cells)
    R, C = -(-r // br), -(-c // bc)
    pad = np.zeros((R * br, C * bc))
    count = np.zeros((R * br, C * bc))
    pad[:r, :c] = np.nan_to_num(M, nan=0.0, posinf=0.0, neginf=0.0)
    count[:r, :c] = 1.0
    blocks = pad.reshape(R, br, C, bc).sum(axis=(1, 3))
    n = count.reshape(R, br, C, bc).sum(axis=(1, 3))
    return blocks / n, (br, bc)


def robust_scale(R: np.ndarray, percentile: float = SCALE_PERCENTILE) -> float:
    """The ``percentile`` th percentile of the finite |R| (0.0 when none is finite): where a heatmap's colours end.

    >>> robust_scale(np.array([1.0, -2.0, 3.0, 100.0]), 50)
    2.5
    """
    finite = np.abs(R[np.isfinite(R)])
    return float(np.percentile(finite, percentile)) if finite.size else 0.0


def heatmap(title: str, M: np.ndarray, precision: int, symlog: bool = False) -> Grid:
    """``M`` as a `viz.network_layout.Grid` of coloured cells with a caption saying what a cell is.

    Colours as every view's (`viz.colors.colours`); a matrix of at most `HEATMAP_CELLS`
    a side is drawn entry by entry, a bigger one as block means (`block_means`). The scale is
    the matrix's own, ending at the `SCALE_PERCENTILE` th percentile of |cell|
    (`robust_scale`); rows are the layer's neurons, columns its inputs.
    """
    R, (br, bc) = block_means(M)
    if br * bc == 1:
        R = M  # the true matrix, nan and inf kept (drawn grey)
    scale = robust_scale(R)
    fills = colours(R, scale, symlog=symlog)
    cells = [fills[a * R.shape[1] : (a + 1) * R.shape[1]] for a in range(R.shape[0])]
    lines = [f"{title}: {M.shape[0]}×{M.shape[1]} (rows: neurons, columns: inputs)"]
    lines.append(f"a cell: the mean of a {br}×{bc} block" if br * bc > 1 else "a cell: one entry")
    return Grid([*lines, f"colour ends at ±{number(scale, precision)} ({SCALE_PERCENTILE}th percentile of |cell|)"],
                cells)
