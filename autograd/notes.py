"""The comments of generated code: each op's forward and VJP in the field's notation (text only, never run).

``∂L/∂out`` is written ``g`` below; ``⊙`` is the elementwise product. These strings explain a line;
the line itself is traced from the primitive table (see `autograd.codegen`), so a wrong note
could mislead a reader but never change a number. ``tests/test_compile.py`` checks that every row
of both tables has a note.
"""

from __future__ import annotations

# op: (forward, [VJP per input]); {x0}, {x1} are the inputs, {out} the result, {g} = ∂L/∂out
NOTES: dict[str, tuple[str, list[str]]] = {
    "add": ("{x0} + {x1}", ["{g}", "{g}"]),
    "sub": ("{x0} - {x1}", ["{g}", "-{g}"]),
    "mul": ("{x0} ⊙ {x1}", ["{g} ⊙ {x1}", "{g} ⊙ {x0}"]),
    "div": ("{x0} / {x1}", ["{g} / {x1}", "-{g} ⊙ {out} / {x1}"]),
    "neg": ("-{x0}", ["-{g}"]),
    "abs": ("|{x0}|", ["{g} ⊙ sign({x0})"]),
    "pow": ("{x0}^{c0}", ["{g} ⊙ {c0} {x0}^({c0} - 1)"]),
    "rpow": ("{c0}^{x0}", ["{g} ⊙ {out} log {c0}"]),
    "powv": ("{x0}^{x1}", ["{g} ⊙ {x1} {x0}^({x1}-1)", "{g} ⊙ {out} log {x0}"]),
    "exp": ("exp({x0})", ["{g} ⊙ {out}"]),
    "log": ("log({x0})", ["{g} / {x0}"]),
    "log1p": ("log(1 + {x0})", ["{g} / (1 + {x0})"]),
    "expm1": ("exp({x0}) - 1", ["{g} ⊙ ({out} + 1)"]),
    "sqrt": ("√{x0}", ["{g} / (2 {out})"]),
    "sin": ("sin({x0})", ["{g} ⊙ cos({x0})"]),
    "cos": ("cos({x0})", ["-{g} ⊙ sin({x0})"]),
    "tanh": ("tanh({x0})", ["{g} ⊙ tanh'({x0}) = {g} ⊙ (1 - {out}²)"]),
    "sigmoid": ("σ({x0})", ["{g} ⊙ σ'({x0}) = {g} ⊙ {out}(1 - {out})"]),
    "softplus": ("log(1 + exp({x0}))", ["{g} ⊙ σ({x0})"]),
    "relu": ("relu({x0})", ["{g} ⊙ relu'({x0}) = {g} ⊙ [{x0} > 0]"]),
    "leaky_relu": ("leaky_relu({x0})", ["{g} ⊙ (1 if {x0} > 0 else slope)"]),
    "elu": ("elu({x0})", ["{g} ⊙ (1 if {x0} > 0 else {out} + α)"]),
    "gelu": ("{x0} Φ({x0})", ["{g} ⊙ (Φ({x0}) + {x0} φ({x0}))"]),
    "erf": ("erf({x0})", ["{g} ⊙ 2/√π exp(-{x0}²)"]),
    "clamp": ("clamp({x0})", ["{g} ⊙ [lo ≤ {x0} ≤ hi]"]),
    "clip": ("clip({x0})", ["{g} ⊙ [lo ≤ {x0} ≤ hi]"]),
    "maximum": ("max({x0}, {x1})", ["{g} where {x0} ≥ {x1}", "{g} where {x0} < {x1}"]),
    "minimum": ("min({x0}, {x1})", ["{g} where {x0} ≤ {x1}", "{g} where {x0} > {x1}"]),
    "matmul": ("{x0} @ {x1}", ["{g} @ {x1}ᵀ", "{x0}ᵀ @ {g}"]),
    "transpose": ("{x0}ᵀ", ["{g}ᵀ"]),
    "reshape": ("reshape({x0})", ["{g} reshaped back"]),
    "broadcast_to": ("broadcast({x0})", ["Σ {g} over the broadcast axes"]),
    "sum": ("Σ {x0}", ["{g} broadcast back"]),
    "mean": ("mean({x0})", ["{g} / n broadcast back"]),
    "max": ("max({x0})", ["{g} at the first maximum"]),
    "min": ("min({x0})", ["{g} at the first minimum"]),
    "logsumexp": ("log Σ exp({x0})", ["{g} ⊙ softmax({x0})"]),
    "softmax": ("softmax({x0})", ["{out} ⊙ ({g} - Σ {g} ⊙ {out})"]),
    "log_softmax": ("log_softmax({x0})", ["{g} - exp({out}) Σ {g}"]),
    "getitem": ("{x0}[index]", ["{g} scattered into zeros"]),
    "scatter_add": ("scatter({x0})", ["{g}[index]"]),
    "where": ("where(cond, {x0}, {x1})", ["{g} where cond", "{g} where not cond"]),
    "mse": ("scale · mean(({x0} - {x1})²)", ["{g} ⊙ 2 scale ({x0} - {x1}) / N", "-{g} ⊙ 2 scale ({x0} - {x1}) / N"]),
    "concatenate": ("concat(…)", ["{g}, the input's slice"]),
    "stack": ("stack(…)", ["{g}, the input's slice"]),
    "linear": ("Σᵢ wᵢ xᵢ + b (Value) or x Wᵀ + b (Tensor)", []),  # per-input notes: backward_note
}

# the n-ary rows: the same note for every input
_NARY = {"sum": "{g}", "mean": "{g} / n", "concatenate": "{g}, the input's slice", "stack": "{g}, the input's slice"}


def _fill(text: str, g: str, out: str, xs: list, ctx: tuple = ()) -> str:
    if ctx and type(ctx[0]) is float:
        text = text.replace("{c0}", f"{ctx[0]:g}")
    return text.replace("{g}", g).replace("{out}", out).replace("{x0}", xs[0] if xs else "") \
        .replace("{x1}", xs[1] if len(xs) > 1 else "")


def forward_note(op, xs: list, ctx: tuple) -> str:
    """``out = …`` in the field's notation, for the forward line of ``op`` on inputs named ``xs``.

    >>> from deltagrad.autograd import PRIMITIVES
    >>> forward_note(PRIMITIVES["sigmoid"], ["z1"], ())
    'σ(z1)'
    """
    if op.name == "linear" and ctx:  # a Value neuron: Σ wᵢ xᵢ + b
        return f"Σᵢ wᵢ xᵢ + {xs[-1]}"
    if op.name == "linear":
        return f"{xs[0]} {xs[1]}ᵀ + {xs[2]}"
    if len(xs) > 2 or (op.name in _NARY and op.arity is None):
        return f"{op.symbol}({', '.join(xs)})"
    fwd = NOTES.get(op.name, (f"{op.name}(…)", []))[0]
    return _fill(fwd, "", "", xs, ctx)


def backward_note(op, i: int, g: str, out: str, xs: list, ctx: tuple) -> str:
    """∂L/∂(input i) of ``op`` in the field's notation, ``g`` being ∂L/∂out.

    >>> from deltagrad.autograd import PRIMITIVES
    >>> backward_note(PRIMITIVES["sigmoid"], 0, "∂L/∂a2", "a2", ["z2"], ())
    "∂L/∂a2 ⊙ σ'(z2) = ∂L/∂a2 ⊙ a2(1 - a2)"
    """
    if op.name == "linear" and ctx:  # Value: inputs w₁..wₙ, x₁..xₙ, b
        n = ctx[0]
        return f"{g} · {xs[i + n]}" if i < n else f"{g} · {xs[i - n]}" if i < 2 * n else g
    if op.name == "linear":
        return [f"{g} {xs[1]}", f"{g}ᵀ {xs[0]}", f"Σ_rows {g}"][i]
    if op.name in _NARY and (op.arity is None or len(xs) > 2):
        return _fill(_NARY[op.name], g, out, xs)
    rules = NOTES.get(op.name, ("", []))[1]
    if i < len(rules):
        return _fill(rules[i], g, out, xs, ctx)
    return f"{g} · ∂{out}/∂{xs[i]} (the {op.name} row)"
