"""Independent oracles for the engine tests: one sympy expression and sample points per primitive.

Each entry gives the engine's function on Values, the same function in sympy, and points away
from singularities and kinks. sympy differentiates symbolically, so it shares no code with the
engine's VJP table.
"""

from __future__ import annotations

import math

import sympy as sp
from deltagrad.autograd import Value

from deltagrad import autograd

X, Y = sp.symbols("x y", real=True)

# name: (arity, engine fn, sympy expr in X (and Y), points)
UNARY_POINTS = [-1.7, -0.4, 0.3, 1.1, 2.5]
POS_POINTS = [0.2, 0.7, 1.3, 2.9]

CASES: dict[str, tuple] = {
    "add": (2, lambda x, y: x + y, X + Y, [(0.5, -1.2), (2.0, 3.0)]),
    "sub": (2, lambda x, y: x - y, X - Y, [(0.5, -1.2), (2.0, 3.0)]),
    "mul": (2, lambda x, y: x * y, X * Y, [(0.5, -1.2), (2.0, 3.0)]),
    "div": (2, lambda x, y: x / y, X / Y, [(0.5, -1.2), (2.0, 3.0)]),
    "neg": (1, lambda x: -x, -X, UNARY_POINTS),
    "abs": (1, abs, sp.Abs(X), UNARY_POINTS),
    "pow": (1, lambda x: x**3, X**3, UNARY_POINTS),
    "pow_frac": (1, lambda x: x**1.5, X**1.5, POS_POINTS),
    "pow_neg": (1, lambda x: x**-2, X**-2, UNARY_POINTS),
    "rpow": (1, lambda x: 2.5**x, sp.Float(2.5) ** X, UNARY_POINTS),
    "powv": (2, lambda x, y: x**y, X**Y, [(0.5, -1.2), (2.0, 3.0), (1.7, 0.4)]),
    "exp": (1, Value.exp, sp.exp(X), UNARY_POINTS),
    "log": (1, Value.log, sp.log(X), POS_POINTS),
    "log1p": (1, Value.log1p, sp.log(1 + X), [-0.5, 0.3, 1.1, 2.5]),
    "expm1": (1, Value.expm1, sp.exp(X) - 1, UNARY_POINTS),
    "sqrt": (1, Value.sqrt, sp.sqrt(X), POS_POINTS),
    "sin": (1, Value.sin, sp.sin(X), UNARY_POINTS),
    "cos": (1, Value.cos, sp.cos(X), UNARY_POINTS),
    "tanh": (1, Value.tanh, sp.tanh(X), UNARY_POINTS),
    "sigmoid": (1, Value.sigmoid, 1 / (1 + sp.exp(-X)), UNARY_POINTS),
    "softplus": (1, Value.softplus, sp.log(1 + sp.exp(X)), UNARY_POINTS),
    "relu": (1, Value.relu, sp.Piecewise((X, X > 0), (0, True)), UNARY_POINTS),
    "leaky_relu": (1, lambda x: x.leaky_relu(0.1), sp.Piecewise((X, X > 0), (0.1 * X, True)), UNARY_POINTS),
    "elu": (1, lambda x: x.elu(0.7), sp.Piecewise((X, X > 0), (0.7 * (sp.exp(X) - 1), True)), UNARY_POINTS),
    "gelu": (1, Value.gelu, X * (1 + sp.erf(X / sp.sqrt(2))) / 2, UNARY_POINTS),
    "erf": (1, Value.erf, sp.erf(X), UNARY_POINTS),
    "clamp": (1, lambda x: x.clamp(-1.0, 2.0), sp.Piecewise((-1, X < -1), (2, X > 2), (X, True)), UNARY_POINTS),
    "maximum": (2, autograd.maximum, sp.Piecewise((X, X >= Y), (Y, True)), [(0.5, -1.2), (2.0, 3.0)]),
    "minimum": (2, autograd.minimum, sp.Piecewise((X, X <= Y), (Y, True)), [(0.5, -1.2), (2.0, 3.0)]),
    "sum": (2, lambda x, y: autograd.sum([x, y, x * y]), X + Y + X * Y, [(0.5, -1.2), (2.0, 3.0)]),
    "mean": (2, lambda x, y: autograd.mean([x, y, x * y]), (X + Y + X * Y) / 3, [(0.5, -1.2), (2.0, 3.0)]),
    "linear": (
        2,
        lambda x, y: autograd.linear([x, y], [y, 2.0], x),
        X * Y + 2 * Y + X,
        [(0.5, -1.2), (2.0, 3.0)],
    ),
}


def sympy_value(expr, point) -> float:
    subs = {X: point[0]} if len(point) == 1 else {X: point[0], Y: point[1]}
    return float(sp.N(expr.subs(subs), 30))


def close(a: float, b: float, rel: float = 1e-12, abs_: float = 1e-12) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= abs_ + rel * abs(b)
