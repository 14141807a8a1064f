"""Random expression programs over every scalar op, run on three backends: the engine, sympy, torch.

A program is a list of (op, i, j) steps over a growing pool that starts with the input variables;
operands are drawn from the whole pool, so sub-expressions are shared (a node used many times).
Ops whose raw domain is limited are wrapped so that every program is defined on all reals
(``log(1 + a²)``, ``(1 + a²) ** tanh(b)``): each still runs the primitive itself.
"""

from __future__ import annotations

import math

import sympy as sp
from deltagrad.autograd import Value
from hypothesis import strategies as st

from deltagrad import autograd

UNARY = [
    "neg", "tanh", "sigmoid", "sin", "cos", "softplus", "relu", "abs", "gelu", "elu", "leaky_relu", "erf",
    "exp_t", "log_sq", "log1p_sq", "expm1_t", "sqrt_sq", "sq", "cube", "rpow_t", "clamp", "recip_sq",
]
BINARY = ["add", "sub", "mul", "div_s", "max", "min", "powv_s", "sum3", "mean3", "linear", "radd", "rsub", "rmul"]
KINKS = {"relu": 0.0, "abs": 0.0, "elu": 0.0, "leaky_relu": 0.0}

ENGINE = {
    "neg": lambda a: -a, "tanh": Value.tanh, "sigmoid": Value.sigmoid, "sin": Value.sin, "cos": Value.cos,
    "softplus": Value.softplus, "relu": Value.relu, "abs": abs, "gelu": Value.gelu, "elu": Value.elu,
    "leaky_relu": lambda a: a.leaky_relu(0.01), "erf": Value.erf, "exp_t": lambda a: a.tanh().exp(),
    "log_sq": lambda a: (1 + a * a).log(), "log1p_sq": lambda a: (a * a).log1p(),
    "expm1_t": lambda a: a.tanh().expm1(), "sqrt_sq": lambda a: (1 + a * a).sqrt(), "sq": lambda a: a**2,
    "cube": lambda a: a**3, "rpow_t": lambda a: 2 ** a.tanh(), "clamp": lambda a: a.clamp(-1.0, 1.0),
    "recip_sq": lambda a: 1 / (1 + a**2),
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div_s": lambda a, b: a / (1 + b * b), "max": autograd.maximum, "min": autograd.minimum,
    "powv_s": lambda a, b: (1 + a * a) ** b.tanh(), "sum3": lambda a, b: autograd.sum([a, b, a * b]),
    "mean3": lambda a, b: autograd.mean([a, b, a * b]), "linear": lambda a, b: autograd.linear([a, b], [b, 0.5], a),
    "radd": lambda a, b: 1.5 + a, "rsub": lambda a, b: 0.5 - b, "rmul": lambda a, b: 3 * a,
}


def _pw(cond, x, y):
    return sp.Piecewise((x, cond), (y, True))


SYMPY = {
    "neg": lambda a: -a, "tanh": sp.tanh, "sigmoid": lambda a: 1 / (1 + sp.exp(-a)), "sin": sp.sin, "cos": sp.cos,
    "softplus": lambda a: sp.log(1 + sp.exp(a)), "relu": lambda a: _pw(a > 0, a, 0), "abs": sp.Abs,
    "gelu": lambda a: a * (1 + sp.erf(a / sp.sqrt(2))) / 2, "elu": lambda a: _pw(a > 0, a, sp.exp(a) - 1),
    "leaky_relu": lambda a: _pw(a > 0, a, sp.Rational(1, 100) * a), "erf": sp.erf,
    "exp_t": lambda a: sp.exp(sp.tanh(a)), "log_sq": lambda a: sp.log(1 + a * a),
    "log1p_sq": lambda a: sp.log(1 + a * a), "expm1_t": lambda a: sp.exp(sp.tanh(a)) - 1,
    "sqrt_sq": lambda a: sp.sqrt(1 + a * a), "sq": lambda a: a**2, "cube": lambda a: a**3,
    "rpow_t": lambda a: 2 ** sp.tanh(a), "clamp": lambda a: _pw(a < -1, -1, _pw(a > 1, 1, a)),
    "recip_sq": lambda a: 1 / (1 + a**2),
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div_s": lambda a, b: a / (1 + b * b), "max": lambda a, b: _pw(a >= b, a, b),
    "min": lambda a, b: _pw(a <= b, a, b), "powv_s": lambda a, b: (1 + a * a) ** sp.tanh(b),
    "sum3": lambda a, b: a + b + a * b, "mean3": lambda a, b: (a + b + a * b) / 3,
    "linear": lambda a, b: a * b + b / 2 + a,
    "radd": lambda a, b: sp.Rational(3, 2) + a, "rsub": lambda a, b: sp.Rational(1, 2) - b, "rmul": lambda a, b: 3 * a,
}


def torch_ops(torch):
    F = torch.nn.functional
    return {
        "neg": lambda a: -a, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "sin": torch.sin, "cos": torch.cos,
        "softplus": F.softplus, "relu": torch.relu, "abs": torch.abs, "gelu": F.gelu, "elu": F.elu,
        "leaky_relu": lambda a: F.leaky_relu(a, 0.01), "erf": torch.erf, "exp_t": lambda a: torch.exp(torch.tanh(a)),
        "log_sq": lambda a: torch.log(1 + a * a), "log1p_sq": lambda a: torch.log1p(a * a),
        "expm1_t": lambda a: torch.expm1(torch.tanh(a)), "sqrt_sq": lambda a: torch.sqrt(1 + a * a),
        "sq": lambda a: a**2, "cube": lambda a: a**3, "rpow_t": lambda a: 2 ** torch.tanh(a),
        "clamp": lambda a: torch.clamp(a, -1.0, 1.0), "recip_sq": lambda a: 1 / (1 + a**2),
        "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
        "div_s": lambda a, b: a / (1 + b * b), "max": torch.maximum, "min": torch.minimum,
        "powv_s": lambda a, b: (1 + a * a) ** torch.tanh(b), "sum3": lambda a, b: a + b + a * b,
        "mean3": lambda a, b: (a + b + a * b) / 3, "linear": lambda a, b: a * b + b * 0.5 + a,
        "radd": lambda a, b: 1.5 + a, "rsub": lambda a, b: 0.5 - b, "rmul": lambda a, b: 3 * a,
    }


NVARS = 3


@st.composite
def programs(draw, max_steps: int = 7):
    """(point, steps): NVARS input values in [-2, 2] and up to max_steps (op, i, j) steps."""
    point = [draw(st.floats(-2.0, 2.0, allow_nan=False)) for _ in range(NVARS)]
    n = draw(st.integers(1, max_steps))
    steps = []
    for k in range(n):
        op = draw(st.sampled_from(UNARY + BINARY))
        i = draw(st.integers(0, NVARS + k - 1))
        j = draw(st.integers(0, NVARS + k - 1))
        steps.append((op, i, j))
    return point, steps


def run(steps, inputs, ops):
    """Evaluate a program on any backend; returns (output, pool). The output sums the last two nodes."""
    pool = list(inputs)
    for op, i, j in steps:
        f = ops[op]
        pool.append(f(pool[i]) if op in UNARY else f(pool[i], pool[j]))
    return pool[-1] + pool[-2], pool


def kink_margin(steps, point) -> float:
    """Distance of the program's kinked ops (relu, abs, clamp, max, min ...) from their kinks."""
    pool = list(point)
    margin = math.inf
    for op, i, j in steps:
        a, b = pool[i], pool[j]
        if op in KINKS:
            margin = min(margin, abs(a - KINKS[op]))
        elif op == "clamp":
            margin = min(margin, abs(a - 1.0), abs(a + 1.0))
        elif op in ("max", "min"):
            margin = min(margin, abs(a - b))
        f = ENGINE[op]
        v = f(Value(a)) if op in UNARY else f(Value(a), Value(b))
        pool.append(v.data)
    return margin
