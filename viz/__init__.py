"""viz: draw autograd graphs -- op view (data, grad) and network view (z, a, δ) -- as DOT, SVG or PNG."""

from .drawing import Drawing, draw
from .render import RendererNotFound, RenderError, find_renderer

__all__ = ["Drawing", "RenderError", "RendererNotFound", "draw", "find_renderer"]
