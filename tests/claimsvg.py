"""Reading the claim view's SVG (``deltagrad check FILE --svg``) in tests: boxes, their lines, rows and arrows."""

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

SVG = "{http://www.w3.org/2000/svg}"


@dataclass
class Box:
    """One Graphviz node: its ``lines`` (texts at one height joined, no-break spaces as spaces), the
    border's ``stroke``, ``dash`` (stroke-dasharray or None), ``width`` and the centre ``x``, ``y``."""

    lines: list
    stroke: str | None
    dash: str | None
    x: float
    y: float
    width: float

    def line(self, prefix: str) -> str:
        """The one line starting with ``prefix`` (AssertionError if none or several)."""
        found = [t for t in self.lines if t.startswith(prefix)]
        assert len(found) == 1, (prefix, self.lines)
        return found[0]

    def numbers(self, prefix: str) -> list:
        """The numbers on the line ``prefix ...`` (after the prefix; "…" and brackets skipped)."""
        return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", self.line(prefix)[len(prefix):])]


def _xy(el) -> list:
    d = el.get("d") or el.get("points") or ""
    nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", d)]
    return list(zip(nums[0::2], nums[1::2]))


def read(path) -> tuple[dict, dict, list, tuple]:
    """(boxes {title: Box}, row labels {text: y}, arrows [(from, to, colour)], (width, height)) of a claim view."""
    root = ET.parse(path).getroot()
    size = tuple(float(root.get(k).removesuffix("pt")) for k in ("width", "height"))
    boxes, rows, arrows = {}, {}, []
    for g in root.iter(f"{SVG}g"):
        title = g.findtext(f"{SVG}title")
        if g.get("class") == "node":
            texts = g.findall(f"{SVG}text")
            by_y: dict = {}
            for t in texts:
                by_y.setdefault(float(t.get("y")), []).append("".join(t.itertext()))
            lines = [re.sub(r"\s+", " ", "".join(v).replace("\u00a0", " ")).strip() for _, v in sorted(by_y.items())]
            border = g.find(f"{SVG}path")
            if border is None:
                rows[lines[0]] = float(texts[0].get("y"))
                continue
            pts = _xy(border)
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            boxes[title] = Box(lines, border.get("stroke"), border.get("stroke-dasharray"), (min(xs) + max(xs)) / 2,
                               (min(ys) + max(ys)) / 2, max(xs) - min(xs))
        elif g.get("class") == "edge" and "->" in (title or ""):
            a, b = title.replace("&gt;", ">").split("->")
            if a.startswith("row"):
                continue
            arrows.append((a, b, g.find(f"{SVG}path").get("stroke")))
    return boxes, rows, arrows, size
