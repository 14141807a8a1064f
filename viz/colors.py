"""Colour scales of every view: matplotlib's diverging colormap, its norms, and round legend ticks.

A value ``v`` is placed on ``[-1, 1]`` by a matplotlib norm -- `matplotlib.colors.TwoSlopeNorm`
centred on 0 (``"linear"``) or `matplotlib.colors.SymLogNorm` (``"symlog"``, linear within
``scale · 10⁻⁴`` of zero, logarithmic beyond) -- and coloured by the ``PuOr_r`` colormap (ColorBrewer
PuOr, reversed: negative purple, zero near white, positive orange; readable with red–green colour
blindness and in greyscale by lightness). Legend ticks come from `matplotlib.ticker`, so they
sit at round numbers (0.005, 0.01, 1e-3 …) rather than at fractions of the largest value.

matplotlib is imported on first use, not when ``deltagrad.viz`` is imported (it costs about half a
second). Colours are written as ``#rrggbb`` from the colormap's lookup table, so the same graph
always gives the same bytes.
"""

from __future__ import annotations

import functools
import math

import numpy as np

CMAP = "PuOr_r"
"""The diverging colormap (matplotlib name): negative purple, zero white, positive orange."""
SYMLOG_DECADES = 4
"""``symlog``: |values| from scale·10⁻⁴ up to scale spread over the colour range (smaller: linear near white)."""
NONFINITE_FILL = "#d9d9d9"
"""Fill of a node holding nan or inf (drawn with a dashed border as well)."""
EDGE_MID = (150, 150, 150)
"""Grey that an edge with zero gradient fades to (white would make it invisible on the page)."""


@functools.lru_cache(maxsize=1)
def _mpl():
    import matplotlib.colors as mcolors  # lazy: keeps `import deltagrad.viz` fast
    import matplotlib.ticker as mticker
    from matplotlib import colormaps

    return mcolors, mticker, colormaps[CMAP]


@functools.lru_cache(maxsize=64)
def norm(scale: float, symlog: bool = False):
    """The matplotlib norm that maps ``[-scale, scale]`` onto ``[0, 1]`` with 0 at 0.5.

    ``symlog`` gives ``SymLogNorm(linthresh=scale·10⁻⁴, linscale=1, base=10)``, else
    ``TwoSlopeNorm(vcenter=0)``. ``scale`` must be finite and > 0.

    >>> float(norm(2.0)(1.0)), float(norm(2.0)(-2.0))
    (0.75, 0.0)
    """
    mcolors, _, _ = _mpl()
    if symlog:
        lin = scale * 10.0**-SYMLOG_DECADES
        return mcolors.SymLogNorm(linthresh=lin, linscale=1.0, vmin=-scale, vmax=scale, base=10)
    return mcolors.TwoSlopeNorm(vcenter=0.0, vmin=-scale, vmax=scale)


def position(v: float, scale: float, symlog: bool = False) -> float:
    """Where ``v`` sits on the colour scale, in ``[-1, 1]`` (0 for zero; ±1 at and beyond ±``scale``).

    >>> position(0.5, 2.0), position(-9.0, 2.0), position(1.0, 0.0)
    (0.25, -1.0, 0.0)
    """
    if scale <= 0 or not math.isfinite(scale) or not math.isfinite(v):
        return 0.0
    t = 2.0 * float(np.clip(norm(float(scale), symlog)(v), 0.0, 1.0)) - 1.0
    return 0.0 if t == 0.0 else t


def value_at(t: float, scale: float, symlog: bool = False) -> float:
    """The value that `position` puts at ``t`` in ``[-1, 1]`` (the inverse of the norm).

    >>> value_at(0.5, 2.0)
    1.0
    """
    if scale <= 0 or not math.isfinite(scale):
        return 0.0
    return float(norm(float(scale), symlog).inverse((t + 1.0) / 2.0))


def diverging(value, scale: float, mid=None, symlog: bool = False) -> str:
    """Colour (``#rrggbb``) of ``value`` on the zero-centred scale reaching its ends at ±``scale``.

    Negative values are purple, zero near white, positive orange (``PuOr_r``); ``|value| >= scale``
    gives the end colour. A non-finite value gives `NONFINITE_FILL` (draw a border as well).
    ``mid`` (an RGB triple 0–255) replaces white as the colour of zero, blending towards it as |value|
    shrinks (edges use grey, `EDGE_MID`, so a zero-gradient edge stays visible).

    >>> diverging(0.0, 1.0), diverging(-1.0, 1.0), diverging(5.0, 1.0)
    ('#f7f7f6', '#2d004b', '#7f3b08')
    >>> diverging(0.01, 1.0), diverging(0.01, 1.0, symlog=True)   # 1/100 of the scale
    ('#f7f6f3', '#de8013')
    """
    v = float(value)
    if not math.isfinite(v):
        return NONFINITE_FILL
    return colours(np.array([v]), scale, mid, symlog)[0]


def colours(values, scale: float, mid=None, symlog: bool = False) -> list:
    """`diverging` for a whole array at once (one colormap call): a list of ``#rrggbb``.

    The same numbers as ``cmap(norm(scale, symlog)(values))``: the linear scale calls the
    `matplotlib.colors.TwoSlopeNorm`; the symlog scale evaluates the transform that
    `matplotlib.colors.SymLogNorm` is built on (`matplotlib.scale.SymmetricalLogTransform`,
    then ``(t - t(vmin)) / (t(vmax) - t(vmin))`` as the norm does) on a plain array, which gives the
    same floats without the norm's masked-array arithmetic (3 ms a call; this path takes ~0.1 ms).
    The colour of ``t`` in [0, 1] is the colormap's entry ``min(int(t·N), N - 1)``, as
    `matplotlib.colors.Colormap` picks it, read from its lookup table once per process.

    >>> colours([-1.0, 0.0, float("nan")], 1.0)
    ['#2d004b', '#f7f7f6', '#d9d9d9']
    """
    a = np.asarray(values, dtype=float).ravel()
    bad = ~np.isfinite(a)
    a = np.where(bad, 0.0, a)
    if scale <= 0 or not math.isfinite(scale):
        t = np.full(a.shape, 0.5)
    elif symlog:
        t = _symlog_unit(a, float(scale))
    else:
        t = np.asarray(np.ma.getdata(norm(float(scale))(a)), dtype=float)
    t = np.clip(np.where(np.isnan(t), 0.5, t), 0.0, 1.0)
    lut, hexes = _table()
    idx = np.minimum((t * len(lut)).astype(np.int64), len(lut) - 1)  # the entry cmap(t) returns for t in [0, 1]
    if mid is None:
        out = [hexes[i] for i in idx.tolist()]
    else:  # blend towards `mid` as the value nears zero
        k = np.abs(2.0 * t - 1.0)[:, None]
        rgb = lut[idx] * k + (np.asarray(mid, dtype=float) / 255.0) * (1.0 - k)
        ints = np.floor(rgb * 255.0 + 0.5).astype(np.int64)
        out = [f"#{c:06x}" for c in ((ints[:, 0] << 16) | (ints[:, 1] << 8) | ints[:, 2]).tolist()]
    if bad.any():
        for i in np.flatnonzero(bad).tolist():
            out[i] = NONFINITE_FILL
    return out


@functools.lru_cache(maxsize=1)
def _table() -> tuple[np.ndarray, list]:
    """The colormap's lookup table, ``cmap(i)`` for every entry i, as RGB floats and as ``#rrggbb`` (a constant)."""
    _, _, cmap = _mpl()
    lut = np.asarray(cmap(np.arange(cmap.N)))[:, :3]
    ints = np.floor(lut * 255.0 + 0.5).astype(np.int64)
    return lut, [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in ints.tolist()]


def _symlog_unit(a: np.ndarray, scale: float) -> np.ndarray:
    """``SymLogNorm(linthresh=scale·10⁻⁴, linscale=1, vmin=-scale, vmax=scale, base=10)(a)`` on a plain array."""
    import matplotlib.scale as mscale

    trf = mscale.SymmetricalLogTransform(10, scale * 10.0**-SYMLOG_DECADES, 1.0)
    tv = trf.transform_non_affine(np.concatenate([a, [-scale, scale]]))  # elementwise: one call for all
    t_vmin, t_vmax = tv[-2], tv[-1]
    return (tv[:-2] - t_vmin) / (t_vmax - t_vmin)


AUTO_DECADES = 2.0
"""``color_scale="auto"`` turns symlog when the non-zero |values| drawn span more than this many decades."""


def auto_symlog(values) -> bool:
    """True when the finite non-zero |values| span more than `AUTO_DECADES` decades (max/min > 100).

    On a linear scale everything under 1 % of the largest value looks white; that is when the
    symlog scale tells the values apart (a chain of layers whose gradients shrink by decades).

    >>> auto_symlog([1.0, 0.5, 0.0]), auto_symlog([1.0, 1e-3]), auto_symlog([])
    (False, True, False)
    """
    a = np.abs(np.asarray(list(values), dtype=float))
    a = a[np.isfinite(a) & (a > 0)]
    return bool(a.size) and float(a.max()) > 10.0**AUTO_DECADES * float(a.min())


def ticks(scale: float, symlog: bool = False) -> list:
    """Round legend tick values in ``[-scale, scale]``, symmetric about 0 and including it.

    Linear: `matplotlib.ticker.MaxNLocator` (steps 1, 2, 2.5, 5, 10; up to four a side); symlog: powers of ten
    from `matplotlib.ticker.SymmetricalLogLocator`, thinned to at most three a side. Always at
    least ``[-x, 0, x]`` for some round ``x`` ≤ ``scale``.

    >>> ticks(0.0099)
    [-0.0075, -0.005, -0.0025, 0.0, 0.0025, 0.005, 0.0075]
    >>> ticks(2.0, symlog=True)
    [-1.0, -0.01, 0.0, 0.01, 1.0]
    """
    if scale <= 0 or not math.isfinite(scale):
        return [0.0]
    _, mticker, _ = _mpl()
    if symlog:
        lin = scale * 10.0**-SYMLOG_DECADES
        loc = mticker.SymmetricalLogLocator(linthresh=lin, base=10, subs=[1.0])
        pos = sorted({float(v) for v in loc.tick_values(0.0, scale) if lin * (1 - 1e-9) <= v <= scale * (1 + 1e-12)})
        if not pos:
            pos = [float(10 ** math.floor(math.log10(scale)))]
        pos = pos[::-1][:: max(1, math.ceil(len(pos) / 3))][::-1]  # keep the largest, thin the rest
    else:
        loc = mticker.MaxNLocator(nbins=8, steps=[1, 2, 2.5, 5, 10], symmetric=True)
        pos = [float(v) for v in loc.tick_values(-scale, scale) if 0 < v <= scale * (1 + 1e-12)]
        if not pos:
            pos = [float(10 ** math.floor(math.log10(scale)))]
    pos = [float(f"{v:.12g}") for v in pos]  # 0.30000000000000004 -> 0.3
    return [-v for v in reversed(pos)] + [0.0] + pos
