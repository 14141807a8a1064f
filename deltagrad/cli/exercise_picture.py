"""picture: an exercise's network drawn with the network view of ``deltagrad.viz``, the neurons' numbers left blank.

It lives with the command line because ``deltagrad.check`` never imports ``viz`` (check imports only
the engine and ``nn``); ``deltagrad exercise new`` passes it to `deltagrad.check.Exercise.write`
(``draw=``). The one place the exercises touch the drawing code: `draw_network` builds the network with
``nn.Layer`` (Values, so the network view can read it), draws it with ``viz.draw(..., view="network")``
and blanks the numbers a student is asked for (z, a, g'(z) and δ of every neuron, the loss) before
rendering. Any failure (no renderer, a changed view) is returned as a warning, never raised: the
exercise's tables carry every number.
"""

from __future__ import annotations

import re

from deltagrad.check.grading import write_atomic

# a number after "z = ", "σ(z) = ", "σ'(z) = ", "δ = ", "∂L/∂w = " or the title's "L = " in the view's SVG text
_BLANK = re.compile(r"(>(?:z|δ) = |\(z\) = |∂L/∂w = |· L = )[-+]?(?:\d[\d.]*(?:e[-+]?\d+)?|nan|inf)")


def draw_network(doc: dict, asked: list[str], path: str) -> str | None:
    """Write the picture of ``doc``'s network (the first sample) to ``path`` (SVG); a warning string or None."""
    try:
        from deltagrad import nn, viz
        from deltagrad.autograd import Value

        net, params = doc["network"], doc["parameters"]
        sizes, acts = net["sizes"], net["activations"]
        a = [Value(float(v), requires_grad=False, label=f"x{i + 1}") for i, v in enumerate(doc["data"]["x"][0])]
        for l in range(1, len(sizes)):
            act = acts[l - 1] if acts[l - 1] in ("sigmoid", "tanh", "relu") else "linear"
            layer = nn.Layer(sizes[l - 1], sizes[l], act, layer=l)
            for j, neuron in enumerate(layer.neurons):
                for i, w in enumerate(neuron.w):
                    w.data = float(params[f"W{l}"][j, i])
                neuron.b.data = float(params[f"b{l}"][j])
            a = layer(a)
        root = a[0]
        for v in a[1:]:
            root = root + v
        root.label = "L"
        root.backward()
        names = [f"x{i + 1}" for i in range(sizes[0])]  # the exercise's names for the inputs
        svg = viz.draw(root, view="network", color_by=None, edge_labels=True, input_names=names).source  # SVG
        blanked, n = _BLANK.subn(r"\1?", svg)
        if n == 0:
            raise ValueError("the network view's text changed: no number to blank was found")
        write_atomic(path, blanked)  # never a half-written picture, no temporary file left on failure
    except Exception as e:
        return f"network.svg not drawn ({type(e).__name__}: {e}); the tables in exercise.md carry every number"
    return None
