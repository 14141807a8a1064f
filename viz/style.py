"""Shared look of every view: number formatting, escaping for each label kind, flags and the legend.

Colours come from `viz.colors` (matplotlib's colormap and norms), re-exported here.
"""

from __future__ import annotations

import math
import re

import numpy as np

from .colors import EDGE_MID, NONFINITE_FILL, SYMLOG_DECADES, diverging, position, ticks, value_at

FONT = "Courier"
"""Monospace font for every label, so columns of numbers line up."""

NONFINITE = "#b2182b"  # border of a node holding nan or inf (drawn dashed and bold as well)
MISMATCH = "#d7301f"  # border of a node whose value differs from the expected one (with a ×)
MATCH = "#1a9850"  # border of a node that matches (with a √; the glyphs carry the meaning, not the hue)
FOLLOWS = "#e08214"  # border of a claim that is wrong only because an earlier claim is (orange, dashed)
DIM = "#9a9a9a"  # text and border of an intermediate node drawn small (ops_source(dim_unclaimed=True))

VANISH_REL = 1e-6
"""|g| < VANISH_REL · (largest finite |g| in the drawing) marks a gradient as vanishing (exact 0 included)."""
EXPLODE_ABS = 1e3
"""|g| > EXPLODE_ABS marks a gradient as exploding."""


def unwrap(x):
    """The number or array inside a graph node (a Value/Tensor grad after ``create_graph=True``), else ``x``.

    numpy scalars and arrays are returned as they are (their ``.data`` is a raw buffer, not a value).
    """
    return x.data if hasattr(x, "parents") and hasattr(x, "grad") else x


def as_array(x) -> np.ndarray:
    """``x`` (a float, numpy array, or a node's data/grad, possibly a node itself) as a float numpy array."""
    return np.asarray(unwrap(x), dtype=float)


def summary(x, precision: int = 4) -> str:
    """A Tensor's numbers in one line: the values when ≤ 6 elements, else ``min … mean … max …``.

    >>> summary([[1.0, 2.0], [3.0, 4.0]]), summary(range(10))
    ('[[1, 2], [3, 4]]', 'min 0 mean 4.5 max 9')
    >>> summary(2.5)
    '2.5'
    """
    a = as_array(x)
    if a.ndim == 0:
        return number(float(a), precision)
    if a.size <= 6:

        def nest(v):
            return "[" + ", ".join(nest(e) for e in v) + "]" if isinstance(v, list) else number(v, precision)

        return nest(a.tolist())
    fin = a[np.isfinite(a)]
    bad = a.size - fin.size
    if fin.size == 0:
        return f"all {bad} non-finite"
    text = f"min {number(fin.min(), precision)} mean {number(fin.mean(), precision)} max {number(fin.max(), precision)}"
    return text + (f" ({bad} nan/inf)" if bad else "")


def signed_peak(x) -> float:
    """The element of ``x`` with the largest |value| (signed; nan/inf if any element is non-finite).

    Colours a Tensor by one number: its strongest gradient.
    """
    a = as_array(x)
    if a.ndim == 0:
        return float(a)
    if a.size == 0:
        return 0.0
    if not np.isfinite(a).all():
        return float(a[~np.isfinite(a)][0])
    return float(a.flat[int(np.argmax(np.abs(a)))])


def flag(value, scale: float) -> str | None:
    """``"nan/inf"``, ``"exploding"``, ``"vanishing"`` or None for one gradient (or δ).

    Thresholds (documented in the README): exploding when |v| > `EXPLODE_ABS` (1e3);
    vanishing when |v| < `VANISH_REL` (1e-6) × ``scale``, the largest finite |gradient| in
    the same drawing (so an exact 0 counts when something else is non-zero: a saturated tanh underflows to 0; the op
    view marks the input of an inactive ReLU apart, as "inactive");
    nothing is vanishing when ``scale`` is 0 (no backward yet).

    >>> flag(2e3, 1.0), flag(1e-9, 1.0), flag(0.5, 1.0), flag(0.0, 0.0), flag(float("nan"), 1.0)
    ('exploding', 'vanishing', None, None, 'nan/inf')
    """
    v = float(unwrap(value))
    if not math.isfinite(v):
        return "nan/inf"
    if abs(v) > EXPLODE_ABS:
        return "exploding"
    if scale > 0 and abs(v) < VANISH_REL * scale:
        return "vanishing"
    return None


FLAG_GLYPH = {"nan/inf": "● nan/inf", "exploding": "▲ exploding", "vanishing": "▼ vanishing",
              "inactive": "○ inactive: relu'(z) = 0", "blocked": "◌ blocked by an inactive relu"}


def legend(title: str, scale: float, precision: int, notes: list[str], symlog: bool = False) -> str:
    """A DOT ``legend`` node: the colour scale at round ticks (`viz.colors.ticks`), then one row per note.

    The ticks are coloured as a value there would be; a last row names the scale's ends (±``scale``,
    the largest finite |value| drawn), which are the full colours.
    """
    if symlog:
        title += " (symlog)"
    marks = ticks(scale, symlog)
    cells = []
    for v in marks:
        fill = diverging(v, scale, symlog=symlog)
        text = escape_html(number(v, 2))
        cells.append(f'<td bgcolor="{fill}"><font color="{text_colour(fill)}">{text}</font></td>')
    n = len(marks)
    ends = f"ends: ±{number(scale, precision)} (largest |value|)" if scale > 0 else "all values 0"
    rows = "".join(f'<tr><td colspan="{n}">{t}</td></tr>' for t in [escape_html(ends), *notes])
    return (
        '  legend [shape=plaintext, fontsize=9, label=<<table border="0" cellborder="1" cellspacing="0" '
        f'cellpadding="3"><tr><td colspan="{n}"><b>{escape_html(title)}</b></td></tr><tr>{"".join(cells)}</tr>'
        f"{rows}</table>>];"
    )


def number(x, precision: int = 4) -> str:
    """``x`` with ``precision`` significant digits, the one way every view writes numbers.

    Accepts a float, an int or anything with a float ``.data`` (a Value, e.g. a gradient after
    ``backward(create_graph=True)``). ``nan``, ``inf`` and ``-inf`` are written as such; ``-0.0`` is
    written ``0``.

    >>> number(-0.999909204262595), number(1.8158e-4), number(float("nan")), number(-0.0)
    ('-0.9999', '0.0001816', 'nan', '0')
    """
    if type(x) is not float:
        x = float(unwrap(x))
    if not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if x == 0.0:
        return "0"
    return f"{x:.{precision}g}"


def is_finite(x) -> bool:
    """False for nan and ±inf (reads ``.data`` of a Value gradient)."""
    return math.isfinite(x if type(x) is float else float(unwrap(x)))


_RECORD = {c: "\\" + c for c in '{}|<>\\"'}
_RECORD["\n"] = "\\n"
_RECORD["\r"] = ""
NUL_GLYPH = "\u2400"
"""How a NUL character in a label is shown (␀): Graphviz cannot read a NUL in its input."""


def _clean(text) -> str:
    """``str(text)`` with NUL shown as ␀ and lone surrogates (not encodable as UTF-8) as U+FFFD."""
    return _SURROGATE.sub("\ufffd", str(text).replace("\0", NUL_GLYPH))


_SURROGATE = re.compile("[\ud800-\udfff]")


def escape_record(text: str) -> str:
    """Escape ``text`` for one field of a ``shape=record`` label inside a DOT quoted string.

    Record metacharacters ``{ } | < >``, backslash and quotes are backslash-escaped (so ``\\N``,
    ``\\l`` ... in a user string stay literal); a newline becomes a centred line break.

    >>> escape_record("a|b{c}<d>")
    'a\\\\|b\\\\{c\\\\}\\\\<d\\\\>'
    """
    return "".join(_RECORD.get(c, c) for c in _clean(text))


def escape_text(text: str) -> str:
    """Escape ``text`` for a plain (non-record, non-HTML) DOT label in a quoted string.

    Backslash and quotes are escaped (so ``\\N``, ``\\l`` ... in a user string stay literal); a
    newline becomes a centred line break.
    """
    return _clean(text).replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "\\n")


def escape_html(text: str) -> str:
    """Escape ``text`` for an HTML-like label ``<...>``: ``& < > "`` become entities, newline ``<br/>``."""
    out = _clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return out.replace("\r", "").replace("\n", "<br/>")


def text_colour(fill: str) -> str:
    """``"black"`` or ``"white"``, whichever reads better on ``fill`` (``#rrggbb``), by luminance."""
    r, g, b = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 140 else "black"


def max_abs(values) -> float:
    """Largest finite |v| of ``values`` (0.0 if there is none): the end of a colour scale."""
    vals = [v if type(v) is float else float(unwrap(v)) for v in values]
    return max([abs(v) for v in vals if math.isfinite(v)], default=0.0)


def verdict_legend(kinds: set) -> str:
    """A DOT ``verdict_key`` node saying what √ (``"ok"``), × (``"first wrong"``) and ← (``"follows"``) mean.

    Only the ``kinds`` given are listed, each in its border colour (see ``ops_source(verdicts=...)``).

    >>> "first wrong here" in verdict_legend({"first wrong"}), "√ right" in verdict_legend({"first wrong"})
    (True, False)
    """
    rows = [("ok", MATCH, "√ right"), ("first wrong", MISMATCH, "× first wrong here: the step that made the error"),
            ("follows", FOLLOWS, "← follows from an earlier error: right given the claims before it")]
    cells = "".join(f'<tr><td><font color="{c}"><b>{escape_html(t)}</b></font></td></tr>'
                    for k, c, t in rows if k in kinds)
    return ('  verdict_key [shape=plaintext, fontsize=10, label=<<table border="0" cellborder="0" cellspacing="0" '
            f'cellpadding="2">{cells}</table>>];')
