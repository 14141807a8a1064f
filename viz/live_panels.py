"""The live view's panels: the loss curve and the decision boundary of a 2-input model, as Scene shapes.

Every number drawn is the engine's: the losses the user's loop passed to ``update()``, and the
model's own outputs on a grid (computed by calling the model under ``no_grad()``; a softmax over
several outputs is the engine's ``Tensor.softmax``).
"""

from __future__ import annotations

import math

import numpy as np
from deltagrad.autograd import Tensor, no_grad

from .colors import colours, diverging
from .scene import Shape, Text
from .style import number

CLASS_COLOURS = ["#5e3c99", "#e66101", "#2ca02c", "#1f77b4", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"]
"""Class colours for models with two or more outputs: class 0 purple and class 1 orange, the two ends of
the views' PuOr scale (as the playground and a one-output model's boundary), then matplotlib's tab10
hues that neither those two nor the red of the sample ring can be confused with."""
AXIS = "#444444"


def is_batched(model) -> bool:
    """Whether ``model`` takes a Tensor batch (its parameters are Tensors) rather than one sample of numbers."""
    params = model.parameters() if hasattr(model, "parameters") else []
    return bool(params) and isinstance(params[0], Tensor)


def model_outputs(model, points: np.ndarray) -> np.ndarray:
    """The model's outputs on ``points`` (shape (G, 2)) as a float array of shape (G, k), under ``no_grad()``.

    A Tensor model gets one batch ``Tensor(points)``; any other callable gets each point as a list of
    floats and may return a Value, a list of Values, or numbers.
    """
    with no_grad():
        if is_batched(model):
            out = np.asarray(model(Tensor(points)).data, dtype=float)
            return out.reshape(len(points), -1)
        rows = []
        for p in points:
            o = model([float(p[0]), float(p[1])])
            o = o if isinstance(o, (list, tuple)) else [o]
            rows.append([float(getattr(v, "data", v)) for v in o])
        return np.asarray(rows, dtype=float)


def grid(X: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """Cell centres over the data's range plus 10 % on each side: (xs, ys), each of ``resolution`` values.

    >>> xs, ys = grid(np.array([[0.0, 0.0], [1.0, 2.0]]), 3)
    >>> xs.round(2).tolist(), ys.round(2).tolist()
    ([-0.1, 0.5, 1.1], [-0.2, 1.0, 2.2])
    """
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = 0.1 * np.where(hi > lo, hi - lo, 1.0)
    return tuple(np.linspace(lo[d] - pad[d], hi[d] + pad[d], resolution) for d in (0, 1))


def boundary_values(model, X: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs, ys, out): the model's outputs at every grid point, ``out[r, c, :]`` at (xs[c], ys[r])."""
    xs, ys = grid(X, resolution)
    g0, g1 = np.meshgrid(xs, ys)
    out = model_outputs(model, np.c_[g0.ravel(), g1.ravel()])
    return xs, ys, out.reshape(len(ys), len(xs), -1)


def _blend(colour: str, t: float) -> str:
    """``colour`` mixed with white: t = 0 white, t = 1 the colour."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(255 + (c - 255) * t):02x}" for c in rgb)


def boundary_cells(out: np.ndarray) -> tuple[list, str, callable]:
    """Colours of the boundary grid (rows top = largest y first), the legend line, and the colour of a class.

    One output: a probability (every value in [0, 1]) is drawn around 0.5, a score around 0, on
    the purple–white–orange scale (white on the boundary). Several outputs: the predicted class's
    colour, paler where the engine's softmax gives it less probability.
    """
    k = out.shape[-1]
    if k == 1:
        v = out[..., 0]
        prob = bool(np.all((v >= 0) & (v <= 1)))
        mid = 0.5 if prob else 0.0
        scale = 0.5 if prob else max(float(np.nanmax(np.abs(v))), 1e-12)
        flat = colours((v[::-1] - mid).ravel().tolist(), scale)
        rows = [flat[r * v.shape[1] : (r + 1) * v.shape[1]] for r in range(v.shape[0])]
        what = "output, a probability: purple < 0.5 < orange" if prob else "output: purple < 0 < orange"
        return rows, what, lambda c: diverging((0.9 if c else -0.9) * scale, scale)
    with no_grad():
        p = Tensor(out.reshape(-1, k)).softmax(axis=1).data.reshape(out.shape)
    cls, top = p.argmax(axis=-1), p.max(axis=-1)
    strength = np.clip((top - 1.0 / k) / (1.0 - 1.0 / k), 0.0, 1.0)
    rows = [[_blend(CLASS_COLOURS[c % 8], 0.15 + 0.5 * s) for c, s in zip(cr, sr)]
            for cr, sr in zip(cls[::-1], strength[::-1])]
    return rows, "predicted class; paler where softmax is less sure", lambda c: CLASS_COLOURS[int(c) % 8]


def boundary_panel(x0: float, y0: float, size: float, model, X, y, resolution: int, names, *, highlight=None,
                   class_names=None) -> list:
    """Shapes of the decision-boundary panel at (x0, y0): the model's outputs on a grid and the data on top.

    ``highlight``: the row of X the network panel shows, ringed in red; ``class_names`` label the key.
    """
    xs, ys, out = boundary_values(model, X, resolution)
    rows, what, colour_of = boundary_cells(out)
    cell = size / resolution
    shapes = [Shape("none", 0, 0, texts=[Text(x0, y0 - 8, "decision boundary (the model on a grid)", 12.0, True),
                                         Text(x0, y0 + size + 14, what, 9.0)])]
    shapes.append(Shape("image", x0, y0, cell, cell, cells=rows, id="boundary"))
    shapes.append(Shape("rect", x0, y0, size, size, stroke=AXIS, width=1.0))
    # cell c is centred on xs[c]: centres run from cell/2 to size - cell/2
    sx, sy = (size - cell) / (xs[-1] - xs[0] or 1.0), (size - cell) / (ys[-1] - ys[0] or 1.0)
    r = 5.0 if len(X) <= 50 else 3.5 if len(X) <= 300 else 2.0
    for k, p in enumerate(X):
        px, py = x0 + cell / 2 + (p[0] - xs[0]) * sx, y0 + cell / 2 + (ys[-1] - p[1]) * sy
        fill = "#ffffff" if y is None else colour_of(y[k])
        # a white ring: a point on its own class's region stays visible
        shapes.append(Shape("rect", px - r, py - r, 2 * r, 2 * r, fill=fill, stroke="#ffffff", width=1.5, radius=r))
    if isinstance(highlight, (int, np.integer)) and 0 <= highlight < len(X):
        p = X[highlight]
        px, py = x0 + cell / 2 + (p[0] - xs[0]) * sx, y0 + cell / 2 + (ys[-1] - p[1]) * sy
        ring = r + 4
        shapes.append(Shape("rect", px - ring, py - ring, 2 * ring, 2 * ring, stroke="#d62728", width=2.0, radius=ring,
                            id="shown-sample"))
        label = f"sample {highlight}"
        lx = min(px + ring + 2, x0 + size - 6.0 * len(label) - 4)  # inside the panel
        shapes.append(Shape("rect", lx - 2, py - ring - 10, 5.4 * len(label) + 6, 13, fill="#ffffff", stroke="#d62728",
                            width=0.6, opacity=0.9, radius=2,
                            texts=[Text(lx + 1, py - ring, label, 9.0, True, "#d62728")]))
    # the key: which colour is which class (the points are filled with their target's colour)
    classes = sorted({int(c) for c in y}) if y is not None else []
    kx = x0 + 54
    if classes:
        shapes.append(Shape("none", 0, 0, texts=[Text(x0, y0 + size + 44, "targets:", 9.0)]))
    for c in classes[:8]:
        label = str(class_names[c]) if class_names is not None and c < len(class_names) else f"class {c}"
        shapes.append(Shape("rect", kx, y0 + size + 36, 9, 9, fill=colour_of(c), stroke="#000000", width=0.5))
        shapes.append(Shape("none", 0, 0, texts=[Text(kx + 12, y0 + size + 44, label, 9.0)]))
        kx += 24 + 5.4 * len(label)
    nx, ny = names or ("x[0]", "x[1]")
    shapes.append(Shape("none", 0, 0, texts=[
        Text(x0 + size / 2, y0 + size + 26, f"{nx}: {number(xs[0], 3)} … {number(xs[-1], 3)}", 9.0, anchor="middle"),
        Text(x0 - 4, y0 + size / 2, f"{ny}", 9.0, anchor="end"),
        Text(x0 - 4, y0 + 9, number(ys[-1], 3), 9.0, anchor="end"),
        Text(x0 - 4, y0 + size, number(ys[0], 3), 9.0, anchor="end"),
    ]))
    return shapes


def thin(points: list) -> list:
    """The points of a curve that can be seen: per pixel column the first, lowest, highest and last, in order.

    10,000 losses across 300 px become at most 1,200 points, drawn the same (every peak and dip is kept).

    >>> thin([(0.1, 5.0), (0.2, 1.0), (0.3, 9.0), (0.4, 2.0), (1.5, 3.0)])
    [(0.1, 5.0), (0.2, 1.0), (0.3, 9.0), (0.4, 2.0), (1.5, 3.0)]
    >>> len(thin([(k / 100, float(k % 7)) for k in range(1000)])) <= 40    # 10 columns, at most 4 each
    True
    """
    out, column = [], []
    for p in points:
        if column and int(p[0]) != int(column[0][0]):
            out += _keep(column)
            column = []
        column.append(p)
    return out + _keep(column)


def _keep(column: list) -> list:
    if len(column) <= 4:
        return column
    idx = sorted({0, len(column) - 1, min(range(len(column)), key=lambda i: column[i][1]),
                  max(range(len(column)), key=lambda i: column[i][1])})
    return [column[i] for i in idx]


def loss_panel(x0: float, y0: float, w: float, h: float, steps: list, losses: list) -> list:
    """Shapes of the loss curve at (x0, y0): loss per update against the step, log scale when it spans a decade."""
    shapes = [Shape("rect", x0, y0, w, h, stroke=AXIS, width=1.0)]
    head = "loss (each update)"
    finite = [(s, v) for s, v in zip(steps, losses) if math.isfinite(v)]
    log = bool(finite) and all(v > 0 for _, v in finite) and max(v for _, v in finite) > 10 * min(v for _, v in finite)
    texts = [Text(x0, y0 - 8, head + (" · log scale" if log else ""), 12.0, True)]
    if finite:
        f = (lambda v: math.log10(v)) if log else (lambda v: v)
        lo, hi = min(f(v) for _, v in finite), max(f(v) for _, v in finite)
        span = hi - lo or 1.0
        s0, s1 = steps[0], max(steps[-1], steps[0] + 1)
        pts = thin([(x0 + (s - s0) / (s1 - s0) * w, y0 + h - 6 - (f(v) - lo) / span * (h - 12)) for s, v in finite])
        shapes.append(Shape("polyline", 0, 0, stroke="#1f77b4", width=1.6, points=pts, id="loss", cls="curve"))
        vmin, vmax = min(v for _, v in finite), max(v for _, v in finite)
        texts += [Text(x0 - 4, y0 + 10, number(vmax, 3), 9.0, anchor="end"),
                  Text(x0 - 4, y0 + h - 4, number(vmin, 3), 9.0, anchor="end"),
                  Text(x0, y0 + h + 12, f"step {s0}", 9.0), Text(x0 + w, y0 + h + 12, f"step {steps[-1]}", 9.0,
                                                                 anchor="end")]
    if len(finite) < len(losses):
        texts.append(Text(x0 + w, y0 - 8, f"{len(losses) - len(finite)} nan/inf not drawn", 9.0, colour="#d62728",
                          anchor="end"))
    shapes.append(Shape("none", 0, 0, texts=texts))
    return shapes
