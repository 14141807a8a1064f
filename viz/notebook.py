"""Jupyter: show Values and Tensors as their op-view drawing, without ever raising in a notebook."""

from __future__ import annotations

import contextlib

from . import render as _render


def _svg(node) -> str | None:
    from .drawing import draw

    try:
        return draw(node).svg()
    except Exception:
        return None


def _text(node, p, cycle) -> None:
    """text/plain: the node's repr, plus -- when no renderer exists -- one line of advice and the DOT source."""
    from .drawing import draw

    with contextlib.suppress(Exception):  # display must never raise
        p.text(repr(node))
        try:
            _render.find_renderer()
        except _render.RendererNotFound:
            p.text(f"\n[viz] no Graphviz renderer, showing DOT; {_render.ADVICE}\n{draw(node).source}")


def install_notebook_display(ipython=None) -> bool:
    """Make Jupyter/IPython show every ``autograd.Value`` and ``Tensor`` as its op-view SVG.

    Registers formatters on ``get_ipython().display_formatter`` (or on ``ipython`` if given):
    ``image/svg+xml`` draws the node's graph (`viz.draw` with defaults); ``text/plain`` keeps
    the node's repr and, when no renderer is installed, adds one line of advice and the DOT source.
    Display never raises: a graph too big or a failing renderer falls back to the repr.

    Returns:
        True if installed, False outside IPython (nothing happens, nothing raises).

    >>> install_notebook_display(object())     # not an IPython shell: nothing happens, nothing raises
    False
    """
    try:
        if ipython is None:
            from IPython import get_ipython  # optional dependency

            ipython = get_ipython()
        if ipython is None:
            return False
        from deltagrad.autograd import Tensor, Value

        formatters = ipython.display_formatter.formatters
        for cls in (Value, Tensor):
            formatters["image/svg+xml"].for_type(cls, _svg)
            formatters["text/plain"].for_type(cls, _text)
        return True
    except Exception:
        return False
