"""Reading the network view's SVG in tests: weight labels by edge (the ``w:SRC->DST`` groups)."""

import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"

def weight_labels(svg: str) -> dict:
    """(source id, target id) -> the texts of the label on that edge (the network view's ``w:SRC->DST`` groups)."""
    out = {}
    for g in ET.fromstring(svg).iter(SVG + "g"):
        title = g.find(SVG + "title")
        if g.get("class") == "label" and title is not None and title.text.startswith("w:"):
            src, dst = title.text[2:].split("->")
            out[(src, dst)] = ["".join(t.itertext()) for t in g.iter(SVG + "text")]
    return out


def weight_edges(svg: str) -> list:
    """[(source, target, w text, ∂L/∂w text)] of every labelled weight."""
    out = []
    for (s, t), texts in weight_labels(svg).items():
        w = [x[4:] for x in texts if x.startswith("w = ")]
        g = [x[8:] for x in texts if x.startswith("∂L/∂w = ")]
        if w and g:
            out.append((s, t, w[0], g[0]))
    return out

