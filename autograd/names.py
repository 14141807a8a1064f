"""Names for generated code: a label becomes a safe Python identifier (or nothing), never executable text.

Used by `autograd.codegen`. A label is NFKC-normalized (as Python normalizes identifiers, so two
labels cannot silently become one variable), every character that cannot continue an identifier
becomes ``_``, keywords and the names the generated code itself uses get a trailing ``_``, and a
repeated name gets ``_2``, ``_3`` ... Comments in generated code hold only such identifiers and
our own rule text.
"""

from __future__ import annotations

import builtins
import keyword
import re
import unicodedata

MAX_LEN = 40


def identifier(label: str) -> str | None:
    """``label`` as a Python identifier, or None when nothing usable is left.

    >>> identifier("z1[3]"), identifier("w1[0,2]"), identifier("__import__('os')"), identifier("'; \\n")
    ('z1_3', 'w1_0_2', 'import_os', None)
    >>> identifier("δ"), identifier("class"), identifier("2x")
    ('δ', 'class_', 'v2x')
    """
    if not isinstance(label, str) or not label:
        return None
    text = unicodedata.normalize("NFKC", label)
    chars = [c if ("a" + c).isidentifier() else "_" for c in text]
    name = re.sub(r"_+", "_", "".join(chars)).strip("_")[:MAX_LEN].strip("_")
    if not name:
        return None
    if not name[0].isidentifier():
        name = "v" + name
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or hasattr(builtins, name):
        name += "_"
    if not name.isidentifier() or unicodedata.normalize("NFKC", name) != name:
        return None
    return name


class Namer:
    """Hands out distinct identifiers: label-derived ones first come, first served, then ``t1, t2, ...``.

    ``reserved`` are the names the generated program binds itself (``np``, ``div``, rule functions).

    >>> n = Namer({"np"}); n.take("np"), n.take("x"), n.take("x"), n.fresh()
    ('np_', 'x', 'x_2', 't1')
    """

    def __init__(self, reserved: set):
        self.taken = set(reserved)
        self.reserved = set(reserved)
        self.count = 0

    def take(self, base: str) -> str:
        name = base + "_" if base in self.reserved else base
        if name in self.taken:
            stem, k = name.rstrip("_"), 2
            while f"{stem}_{k}" in self.taken:
                k += 1
            name = f"{stem}_{k}"
        self.taken.add(name)
        return name

    def fresh(self, prefix: str = "t") -> str:
        while True:
            self.count += 1
            name = f"{prefix}{self.count}"
            if name not in self.taken:
                self.taken.add(name)
                return name


def node_name(node, namer: Namer) -> str:
    """A node's variable: its label as an identifier, else ``t<k>``.

    >>> from deltagrad.autograd import Value
    >>> n = Namer(set()); node_name(Value(1.0, label="w[0]"), n), node_name(Value(2.0), n)
    ('w_0', 't1')
    """
    base = identifier(getattr(node, "label", "") or "")
    return namer.take(base) if base else namer.fresh()


def grad_name(node, name: str, namer: Namer) -> str:
    """The variable for ∂L/∂node: ``δ…`` for a pre-activation z (nn's tag role ``"z"``, or a label ``z1``,
    ``z2`` ... with no tag), else ``d<name>``.

    >>> from deltagrad.autograd import Value
    >>> n = Namer(set()); grad_name(Value(1.0), "z2", n), grad_name(Value(1.0), "W1", n)
    ('δ2', 'dW1')
    """
    tag = getattr(node, "tag", None)
    role = getattr(tag, "role", None) if tag is not None else ("z" if re.fullmatch(r"z\d+", name) else None)
    if role == "z":
        return namer.take("δ" + (name[1:] if name.startswith("z") and len(name) > 1 else name))
    return namer.take("d" + name)
