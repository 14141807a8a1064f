"""griffe extension for the API reference: show docstring examples as code.

The docstrings carry doctest examples (``>>>`` lines and their expected output) in their running
text, as the house rules ask, without an ``Examples:`` section. Markdown would read ``>>>`` as a
nested quote and ``[0.0, 2.0]`` in an output line as a link. This extension wraps every run of
doctest lines (a ``>>>`` line, its ``...`` continuations and output, up to a blank line) in a
fenced ``pycon`` code block before the docstring is rendered. Lines indented four spaces or more
(already code) and lines inside an existing fence are left alone.
"""

from __future__ import annotations

import griffe


def fence_doctests(text: str) -> str:
    """Return ``text`` with each run of doctest lines inside a fenced ``pycon`` block.

    >>> fence_doctests("Text\\n\\n>>> 1 + 1\\n2\\n\\nMore").splitlines()
    ['Text', '', '```pycon', '>>> 1 + 1', '2', '```', '', 'More']
    """
    out: list[str] = []
    in_fence = in_doctest = False
    pad = ""
    for line in text.splitlines():
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if in_doctest:
            if stripped:
                out.append(line)
                continue
            out.append(pad + "```")
            in_doctest = False
        if stripped.startswith("```"):
            in_fence = not in_fence
        elif not in_fence and indent < 4 and stripped.startswith(">>>"):
            pad = line[:indent]
            out.append(pad + "```pycon")
            in_doctest = True
        out.append(line)
    if in_doctest:
        out.append(pad + "```")
    return "\n".join(out)


class DoctestBlocks(griffe.Extension):
    """Fence the doctest examples of every docstring griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = fence_doctests(obj.docstring.value)
