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
