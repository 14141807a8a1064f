"""Shared look of every view: number formatting, escaping for each label kind, the δ palette."""

from __future__ import annotations

import math

FONT = "Courier"
"""Monospace font for every label, so columns of numbers line up."""

NEG = (33, 102, 172)  # blue   (ColorBrewer RdBu / PuOr ends: readable with red-green colour blindness)
MID = (247, 247, 247)  # near white: zero
POS = (230, 97, 1)  # orange
EDGE_MID = (150, 150, 150)  # grey: an edge with zero gradient stays visible on white
NONFINITE = "#b2182b"  # border of a node holding nan or inf (drawn dashed and bold as well)
NONFINITE_FILL = "#d9d9d9"


def number(x, precision: int = 4) -> str:
    """``x`` with ``precision`` significant digits, the one way every view writes numbers.

    Accepts a float, an int or anything with a float ``.data`` (a Value, e.g. a gradient after
    ``backward(create_graph=True)``). ``nan``, ``inf`` and ``-inf`` are written as such; ``-0.0`` is
    written ``0``.

    >>> number(-0.999909204262595), number(1.8158e-4), number(float("nan")), number(-0.0)
    ('-0.9999', '0.0001816', 'nan', '0')
    """
    x = float(getattr(x, "data", x))
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0.0:
        return "0"
    return f"{x:.{precision}g}"


def is_finite(x) -> bool:
    """False for nan and ±inf (reads ``.data`` of a Value gradient)."""
    return math.isfinite(float(getattr(x, "data", x)))


_RECORD = {c: "\\" + c for c in '{}|<>\\"'}
_RECORD["\n"] = "\\n"
_RECORD["\r"] = ""


def escape_record(text: str) -> str:
    """Escape ``text`` for one field of a ``shape=record`` label inside a DOT quoted string.

    Record metacharacters ``{ } | < >``, backslash and quotes are backslash-escaped (so ``\\N``,
    ``\\l`` ... in a user string stay literal); a newline becomes a centred line break.

    >>> escape_record("a|b{c}<d>")
    'a\\\\|b\\\\{c\\\\}\\\\<d\\\\>'
    """
    return "".join(_RECORD.get(c, c) for c in str(text))


def escape_text(text: str) -> str:
    """Escape ``text`` for a plain (non-record, non-HTML) DOT label in a quoted string.

    Backslash and quotes are escaped (so ``\\N``, ``\\l`` ... in a user string stay literal); a
    newline becomes a centred line break.
    """
    return str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "\\n")


def escape_html(text: str) -> str:
    """Escape ``text`` for an HTML-like label ``<...>``: ``& < > "`` become entities, newline ``<br/>``."""
    out = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return out.replace("\r", "").replace("\n", "<br/>")


def _hex(rgb) -> str:
    r, g, b = (round(c) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def diverging(value, scale: float, mid=MID) -> str:
    """Colour of ``value`` on the zero-centred blue–white–orange scale reaching its ends at ±``scale``.

    Negative values are blue, zero is ``mid`` (near white), positive orange; ``|value| >= scale``
    gives the full colour. A non-finite value gives :data:`NONFINITE_FILL` (draw a border as well).

    >>> diverging(0.0, 1.0), diverging(-1.0, 1.0), diverging(5.0, 1.0)
    ('#f7f7f7', '#2166ac', '#e66101')
    """
    v = float(getattr(value, "data", value))
    if not math.isfinite(v):
        return NONFINITE_FILL
    t = 0.0 if scale <= 0 or not math.isfinite(scale) else max(-1.0, min(1.0, v / scale))
    end = POS if t > 0 else NEG
    a = abs(t)
    return _hex(m + (e - m) * a for m, e in zip(mid, end))


def text_colour(fill: str) -> str:
    """``"black"`` or ``"white"``, whichever reads better on ``fill`` (``#rrggbb``), by luminance."""
    r, g, b = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 140 else "black"


def max_abs(values) -> float:
    """Largest finite |v| of ``values`` (0.0 if there is none): the end of a colour scale."""
    out = 0.0
    for v in values:
        v = float(getattr(v, "data", v))
        if math.isfinite(v):
            out = max(out, abs(v))
    return out
