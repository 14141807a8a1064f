"""viz: draw autograd graphs -- op view (data, grad, edge terms) and network view (z, a, δ) -- as DOT, SVG, PNG or a step-through HTML page."""

from .animate import animate, backprop_steps
from .drawing import Drawing, draw
from .live_view import Live, live
from .notebook import install_notebook_display
from .render import RendererNotFound, RenderError, find_renderer

__all__ = [
    "Drawing",
    "Live",
    "RenderError",
    "RendererNotFound",
    "animate",
    "backprop_steps",
    "draw",
    "find_renderer",
    "install_notebook_display",
    "live",
]


def __getattr__(name: str):
    """``viz.Playground``: the playground's notebook widget, which lives in ``deltagrad.playground``.

    Not in ``__all__`` (its reference is ``deltagrad.Playground``'s; ``from deltagrad.viz import *`` loads no nn).

    The one place viz reaches past its layer (tests/test_layering.py lists it as the only exception): the
    widget trains a net, so it needs ``nn``, which viz never imports. The import runs on first access of
    ``viz.Playground`` only; ``import deltagrad.viz`` and every view still load no ``nn``.
    """
    if name == "Playground":
        from deltagrad.playground.widget import Playground

        return Playground
    raise AttributeError(f"module 'deltagrad.viz' has no attribute {name!r}")
