"""solution: the worked solution of a worked example -- each step's formula, the numbers substituted, the result.

Markdown with LaTeX math (``$$ ... $$`` blocks, ``pmatrix``), which GitHub and Jupyter both render.
The notation is the textbook's: z⁽ˡ⁾ = W⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾, a⁽ˡ⁾ = g(z⁽ˡ⁾), δ⁽ᴸ⁾ = ∇_a L ⊙ g'(z⁽ᴸ⁾),
δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾)ᵀ δ⁽ˡ⁺¹⁾ ⊙ g'(z⁽ˡ⁾), ∂L/∂W⁽ˡ⁾ = δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ, ∂L/∂b⁽ˡ⁾ = δ⁽ˡ⁾, W ← W − η ∂L/∂W
(Nielsen, *Neural Networks and Deep Learning*, ch. 2, equations BP1–BP4). Every number is the engine's
(`deltagrad.check.worked_math.engine_values`), never the file's claims; vectors are columns, one
column per sample, and δ is per sample (the gradients average over the samples).
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .worked_math import claim_order, engine_values
from .worked_parse import WorkedExampleError, load_worked_example
from .worked_parse import line_of as _line_of
from .worked_parse import parse as _parse

_G = {"sigmoid": r"\sigma", "tanh": r"\tanh", "relu": r"\operatorname{relu}", "linear": r"\operatorname{id}",
      "softmax": r"\operatorname{softmax}"}
_G_DEF = {"sigmoid": r"\frac{1}{1 + e^{-z}}", "tanh": r"\frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}",
          "relu": r"\max(0, z)", "linear": "z", "softmax": r"\frac{e^{z_i}}{\sum_j e^{z_j}}"}


def number(v: float, digits: int | None = 6, decimals: int | None = None) -> str:
    """One number for LaTeX: ``decimals`` places if given, else ``digits`` significant digits (no "-0").

    >>> number(0.123456789), number(-0.00001234, 3), number(0.5, decimals=4), number(-1e-9, decimals=2)
    ('0.123457', '-1.23 \\\\times 10^{-5}', '0.5000', '0.00')
    """
    v = float(v)
    text = f"{v:.{decimals}f}" if decimals is not None else f"{v:.{digits}g}"
    if "e" in text:
        mant, exp = text.split("e")
        text = f"{mant} \\times 10^{{{int(exp)}}}"
    if text.lstrip("-").strip("0.") == "" and text.startswith("-"):
        text = text[1:]
    return text


def matrix(a, fmt) -> str:
    """A scalar as a number (negative ones in parentheses), a vector or matrix as a ``pmatrix`` (rows as given).

    >>> matrix([[1.0, 2.0]], str), matrix(-0.5, str)
    ('\\\\begin{pmatrix}1.0 & 2.0\\\\end{pmatrix}', '(-0.5)')
    """
    a = np.asarray(a, dtype=float)
    if a.size == 1:
        text = fmt(a.reshape(()))
        return f"({text})" if text.startswith("-") else text
    a = a.reshape(a.shape[0], -1) if a.ndim else a
    rows = [" & ".join(fmt(v) for v in row) for row in a]
    return r"\begin{pmatrix}" + r" \\ ".join(rows) + r"\end{pmatrix}"


@dataclass
class Step:
    """One step of the solution: the claim key, a title, the LaTeX equation and the value (canonical shape)."""

    key: str
    title: str
    latex: str
    value: np.ndarray


@dataclass
class Explanation:
    """A worked solution: ``steps`` in the order of the derivation; ``markdown`` the text (also ``str()``).

    Displays as Markdown (with math) in Jupyter; ``_repr_html_`` gives the same as HTML with ``$$`` math.
    """

    source: str
    summary: str
    steps: list[Step] = field(default_factory=list, repr=False)
    markdown: str = field(default="", repr=False)

    def __str__(self) -> str:
        return self.markdown

    def __getitem__(self, key: str) -> Step:
        return next(s for s in self.steps if s.key == key)

    def _repr_markdown_(self) -> str:
        return self.markdown

    def _repr_html_(self) -> str:
        parts = []
        for block in self.markdown.split("\n\n"):
            if block.startswith("$$"):
                parts.append(f"<div>{html.escape(block)}</div>")
            elif block.startswith("#"):
                level = len(block) - len(block.lstrip("#"))
                parts.append(f"<h{level}>{html.escape(block.lstrip('#').strip())}</h{level}>")
            else:
                parts.append(f"<p>{html.escape(block)}</p>")
        return "\n".join(parts)


def explain(path_or_dict: str | os.PathLike | Mapping, digits: int = 6, decimals: int | None = None,
            title: str | None = None) -> Explanation:
    """The worked solution of a worked example (a TOML file or dict in the ``deltagrad check`` format).

    Every step of the derivation (forward z and a per layer, the loss, δ from the last layer back,
    ∂L/∂W and ∂L/∂b, and the updated weights when ``network.learning_rate`` is given), each as its
    formula, the formula with the numbers substituted, and the result -- to ``digits`` significant
    digits, or to ``decimals`` places when given. The file's [claims] are not used (``deltagrad
    check`` judges them).

    Raises:
        WorkedExampleError: a file that cannot be read or a malformed example (file, line and key).
        ValueError: ``digits`` or ``decimals`` out of range (1..17, 0..17).

    >>> e = explain({"network": {"sizes": [1, 1], "activations": ["sigmoid"], "loss": "half_mse"},
    ...     "data": {"x": [2.0], "y": [1.0]}, "parameters": {"W1": [[0.5]], "b1": [-0.5]}}, digits=4)
    >>> round(float(e["delta1"].value[0, 0]), 6), "0.6225" in e["a1"].latex
    (-0.088723, True)
    """
    if decimals is None and not (isinstance(digits, int) and 1 <= digits <= 17):
        raise ValueError(f"explain: digits must be an integer from 1 to 17, got {digits!r}")
    if decimals is not None and not (isinstance(decimals, int) and 0 <= decimals <= 17):
        raise ValueError(f"explain: decimals must be an integer from 0 to 17, got {decimals!r}")
    doc, text, name = load_worked_example(path_or_dict)

    def fail(section, key, msg):
        line = _line_of(text, section, key) if text else None
        raise WorkedExampleError(f"{name}{':' + str(line) if line else ''}: {section}{'.' + key if key else ''}: {msg}")

    (sizes, acts, loss), params, x, y, lr = _parse(doc, fail, isinstance(path_or_dict, Mapping))
    eng = engine_values(sizes, acts, loss, params, x, y, lr)
    m, L = x.shape[0], len(sizes) - 1
    fmt = (lambda v: number(v, decimals=decimals)) if decimals is not None else (lambda v: number(v, digits))
    given = lambda v: number(v, 15)

    def col(key: str, v=None) -> str:  # the column form of a quantity: (n, m) for per-sample vectors, (n, 1) for b
        v = np.asarray(eng[key] if v is None else v, dtype=float)
        head = key.rstrip("0123456789")
        f = given if key in ("x", "y") or (head in ("W", "b") and key[1:].isdigit()) else fmt
        if key in ("x", "y") or head in ("z", "a", "delta", "gp", "grad"):
            return matrix(v.reshape(m, -1).T, f)
        if v.ndim == 1:
            return matrix(v.reshape(-1, 1), f)
        return matrix(v, f)

    eng.update({"x": x, "y": y, **params})
    steps = [_step(key, l, sizes, acts, loss, lr, m, eng, col) for key, l in _keys(L, lr)]
    where = "" if m == 1 else f" Vectors are columns, one per sample ({m} samples); δ is per sample."
    rate = f", learning rate η = {lr:g}" if lr is not None else ""
    summary = f"{'-'.join(map(str, sizes))} network ({', '.join(acts)}), loss {loss}{rate}"
    head = [f"# {title or doc.get('source', {}).get('title') or 'Worked solution'}",
            f"A {summary}. Every number is computed with full precision and shown "
            + (f"to {decimals} decimal places" if decimals is not None else f"to {digits} significant digits")
            + f".{where}",
            _display(rf"x = {col('x')}, \quad y = {col('y')}")]
    for l in range(1, L + 1):
        head.append(_display(rf"W^{{({l})}} = {col(f'W{l}')}, \quad b^{{({l})}} = {col(f'b{l}')}"))
    body = []
    section = None
    for s in steps:
        sec = ("## Forward pass" if s.key[0] in "za" or s.key == "loss" else "## Backward pass"
               if not s.key.endswith("_new") else "## Gradient-descent step")
        if sec != section:
            body.append(sec)
            section = sec
        body += [f"**{s.title}**", _display(s.latex)]
    md = "\n\n".join(head + body) + "\n"
    return Explanation(name, summary, steps, md)


def _display(latex: str) -> str:
    """A display-math block as GitHub documents it ($$ on lines of their own); Jupyter renders it too."""
    return f"$$\n{latex}\n$$"


def _keys(L: int, lr) -> list[tuple[str, int]]:
    out = []
    for key in claim_order(L):
        if key.endswith("_new") and lr is None:
            continue
        digits = "".join(ch for ch in key if ch.isdigit())
        out.append((key, int(digits) if digits else L))
    return out


def _gprime(act: str, l: int, eng: dict) -> tuple[str, np.ndarray]:
    a, z = eng[f"a{l}"], eng[f"z{l}"]
    sup = f"^{{({l})}}"
    return {
        "sigmoid": (rf"a{sup} \odot (1 - a{sup})", a * (1 - a)),
        "tanh": (rf"1 - a{sup} \odot a{sup}", 1 - a * a),
        "relu": (rf"\mathbb{{1}}[z{sup} > 0]", (z > 0) * 1.0),
        "linear": ("1", np.ones_like(z)),
    }[act]


def _step(key, l, sizes, acts, loss, lr, m, eng, col) -> Step:
    sup = f"^{{({l})}}"
    prev = "x" if l == 1 else f"a^{{({l - 1})}}"
    prev_key = "x" if l == 1 else f"a{l - 1}"
    value = np.asarray(eng[key], dtype=float)
    L = len(sizes) - 1
    if key.startswith("z"):
        tex = (rf"z{sup} = W{sup} {prev} + b{sup} = {col(f'W{l}')} \cdot {col(prev_key)} + {col(f'b{l}')} = "
               rf"{col(key)}")
        return Step(key, f"Layer {l}: weighted input", tex, value)
    if key.startswith("a"):
        act = acts[l - 1]
        if act == "linear":
            tex = rf"a{sup} = z{sup} = {col(key)}"
        else:
            g = _G[act]
            tex = (rf"a{sup} = {g}(z{sup}), \quad {g}(z) = {_G_DEF[act]}; \quad "
                   rf"a{sup} = {g}\left({col(f'z{l}')}\right) = {col(key)}")
        return Step(key, f"Layer {l}: activation ({act})", tex, value)
    aL = f"a^{{({L})}}"
    if key == "loss":
        mean = "" if m == 1 else r"\frac{1}{m}\sum_{\text{samples}}"
        form = {"half_mse": rf"L = {mean}\tfrac{{1}}{{2}} \lVert {aL} - y \rVert^2",
                "mse": rf"L = \frac{{1}}{{{m * sizes[-1]}}} \sum (\,{aL} - y\,)^2",
                }.get(loss)
        if form is None:
            form = (rf"L = -{mean} \sum_i y_i \log a^{{({L})}}_i" if acts[-1] == "softmax" else
                    rf"L = -{mean} \left[ y \log {aL} + (1 - y) \log (1 - {aL}) \right]")
        if loss == "cross_entropy":
            with np.errstate(divide="ignore"):
                shown = rf"\log {aL} = {col('grad', np.log(eng[f'a{L}']))}"
        else:
            shown = rf"{aL} - y = {col('grad', eng[f'a{L}'] - eng['y'])}"
        tex = rf"{form}, \quad {shown}; \quad L = {col(key)}"
        return Step(key, f"Loss ({loss})", tex, value)
    if key.startswith("delta"):
        if l == L:
            return _delta_out(key, L, acts, loss, sizes, eng, col, value)
        g_tex, g_val = _gprime(acts[l - 1], l, eng)
        tex = (rf"\delta{sup} = (W^{{({l + 1})}})^\top \delta^{{({l + 1})}} \odot g'(z{sup}), "
               rf"\quad g'(z{sup}) = {g_tex}; \quad \delta{sup} = {col(f'W{l + 1}')}^\top \cdot "
               rf"{col(f'delta{l + 1}')} \odot {col('gp', g_val)} = {col(key)}")
        return Step(key, f"Layer {l}: δ (backpropagated)", tex, value)
    if key.startswith("dW"):
        avg = "" if m == 1 else rf"\frac{{1}}{{{m}}}"
        tex = (rf"\frac{{\partial L}}{{\partial W{sup}}} = {avg}\delta{sup} ({prev})^\top = {avg}{col(f'delta{l}')}"
               rf" \cdot {col(prev_key)}^\top = {col(key)}")
        return Step(key, f"Layer {l}: gradient of the weights", tex, value)
    if key.startswith("db"):
        form = rf"\delta{sup}" if m == 1 else rf"\frac{{1}}{{{m}}} \sum_{{\text{{samples}}}} \delta{sup}"
        tex = rf"\frac{{\partial L}}{{\partial b{sup}}} = {form} = {col(key)}"
        return Step(key, f"Layer {l}: gradient of the biases", tex, value)
    p = key[0]
    tex = (rf"{p}{sup} \leftarrow {p}{sup} - \eta \frac{{\partial L}}{{\partial {p}{sup}}} = {col(f'{p}{l}')} - "
           rf"{number(lr, 15)} \cdot {col(f'd{p}{l}')} = {col(key)}")
    return Step(key, f"Layer {l}: updated {'weights' if p == 'W' else 'biases'}", tex, value)


def _delta_out(key, L, acts, loss, sizes, eng, col, value) -> Step:
    sup, act = f"^{{({L})}}", acts[-1]
    a, y = eng[f"a{L}"], eng["y"]
    title = f"Layer {L}: δ at the output"
    if loss == "cross_entropy":
        chain = (r"J_{\text{softmax}}^\top \nabla_{a} L" if act == "softmax" else
                 rf"\nabla_{{a}} L \odot g'(z{sup})")
        tex = (rf"\delta{sup} = {chain} = a{sup} - y \quad \text{{({act} with cross-entropy)}}"
               rf" = {col('grad', a)} - {col('y', y)} = {col(key)}")
        return Step(key, title, tex, value)
    factor, grad_tex = (1.0, rf"a{sup} - y") if loss == "half_mse" else (
        2.0 / sizes[-1], rf"\tfrac{{2}}{{{sizes[-1]}}}(a{sup} - y)")
    grad = factor * (a - y)
    if act == "softmax":
        tex = (rf"\delta{sup} = J_{{\text{{softmax}}}}^\top \nabla_{{a}} L = a{sup} \odot \left(\nabla_{{a}} L - "
               rf"(\nabla_{{a}} L)^\top a{sup}\right), \quad \nabla_{{a}} L = {grad_tex} = {col('grad', grad)}; \quad "
               rf"\delta{sup} = {col(key)}")
        return Step(key, title, tex, value)
    g_tex, g_val = _gprime(act, L, eng)
    tex = (rf"\delta{sup} = \nabla_{{a}} L \odot g'(z{sup}) = ({grad_tex}) \odot ({g_tex}) = {col('grad', grad)} \odot "
           rf"{col('gp', g_val)} = {col(key)}")
    return Step(key, title, tex, value)
