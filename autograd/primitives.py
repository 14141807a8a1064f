"""The table of scalar primitives: each op's forward beside its vector-Jacobian product (VJP).

Conventions (the field's letters, one signature for every rule):

* ``forward(*inputs, *ctx) -> float`` works on plain Python floats and follows IEEE/numpy:
  ``log(0) = -inf``, ``0/0 = nan``, ``log(-1) = nan``, overflow gives ``inf`` -- never an exception.
* ``vjp(g, out, *inputs, *ctx) -> tuple`` returns one gradient per differentiable input.
  ``g`` is the incoming gradient dL/d(out), ``out`` the forward result. ``ctx`` holds the
  non-differentiable constants of an op (an exponent, a slope, bounds).
* VJPs are written in plain arithmetic, so the *same rule* runs on floats in an ordinary
  ``backward()`` and on Value nodes under ``backward(create_graph=True)``; that is how second and
  higher derivatives come for free. Functions they need (``cos``, ``sigmoid`` ...) go through the
  small dispatchers below, which call the node method on nodes and ``math`` on floats.

Non-differentiable points, one convention each (documented in README):
relu'(0) = 0, abs'(0) = 0, leaky_relu'(0) = slope, clamp' = 1 on the closed interval [lo, hi],
maximum/minimum ties send the whole gradient to the *first* argument (torch.maximum splits a tie
evenly; we follow the rule of the ``max`` reduction instead, so a tie is never a half-gradient).
``x ** 0`` has derivative 0 everywhere, and ``0 ** y`` has exponent-derivative 0 for y >= 0
(PyTorch's ``pow_backward`` rules).
"""

from __future__ import annotations

import math
from builtins import sum as _sum
from collections.abc import Callable
from dataclasses import dataclass
from operator import mul as _mul

INF = math.inf
NAN = math.nan


@dataclass(frozen=True, slots=True)
class Primitive:
    """One row of the table: an op's name, arity, forward rule and VJP rule.

    ``arity`` is the number of differentiable inputs (``None`` for n-ary ops such as ``sum``).
    ``symbol`` is the short text viz draws in an op node (``+``, ``*``, ``tanh`` ...).
    ``masked`` (optional, for costly Tensor ops such as ``matmul``): the same VJP called as
    ``masked(need, g, out, *inputs, *ctx)``, computing only the gradients whose ``need[i]`` is
    true and returning None for the others (PyTorch's ``output_mask``).
    """

    name: str
    arity: int | None
    forward: Callable
    vjp: Callable
    symbol: str = ""
    masked: Callable | None = None

    def __repr__(self) -> str:
        return f"Primitive({self.name!r})"


# ---------------------------------------------------------------- IEEE-safe float forwards


def _data(x):
    """The float inside a node, or x itself (used for conventions decided on values)."""
    return x if type(x) is float or type(x) is int else x.data


def f_div(x: float, y: float) -> float:
    try:
        return x / y
    except ZeroDivisionError:
        if x != x or x == 0.0:
            return NAN
        return math.copysign(INF, x) * math.copysign(1.0, y)


def f_pow(x: float, p: float) -> float:
    try:
        r = math.pow(x, p)
    except OverflowError:
        # |x| ** p too large: sign is negative only for a negative base and an odd integer p
        odd = float(p).is_integer() and int(p) % 2 == 1
        return -INF if (x < 0 and odd) else INF
    except ValueError:
        # 0 ** negative -> inf (numpy; signed for -0.0 and odd p), negative ** fractional -> nan
        if x == 0.0:
            odd = float(p).is_integer() and int(p) % 2 == 1
            return math.copysign(INF, x) if odd else INF
        return NAN
    return r


def f_powc(x: float, p: float) -> float:
    """x ** p for a constant p: p = 0.5 is sqrt(x) and p = -0.5 is 1/sqrt(x), as numpy and torch make them.

    So ``(-inf) ** 0.5`` is nan (like ``sqrt(-inf)``), where C's ``pow`` gives inf; other p as `f_pow`.
    """
    if p == 0.5:
        return f_sqrt(x)
    if p == -0.5:
        return f_div(1.0, f_sqrt(x))
    return f_pow(x, p)


def f_exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def f_expm1(x: float) -> float:
    try:
        return math.expm1(x)
    except OverflowError:
        return INF


def f_log(x: float) -> float:
    if x > 0.0:
        return math.log(x) if x != INF else INF
    return -INF if x == 0.0 else NAN


def f_log1p(x: float) -> float:
    if x > -1.0:
        return math.log1p(x) if x != INF else INF
    return -INF if x == -1.0 else NAN


def f_sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0.0 else NAN


def f_trig(fn: Callable) -> Callable:
    def safe(x: float) -> float:
        try:
            return fn(x)
        except ValueError:  # sin(inf), cos(inf)
            return NAN

    return safe


def f_sigmoid(x: float) -> float:
    # stable for large |x|: never exponentiate a large positive number
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    if x != x:
        return NAN
    e = f_exp(x)
    return e / (1.0 + e)


def f_softplus(x: float) -> float:
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|)
    if x != x:
        return NAN
    return (max(0.0, x)) + math.log1p(math.exp(-abs(x)))


def f_sum(*xs: float) -> float:
    try:
        return math.fsum(xs)  # exactly rounded
    except (ValueError, OverflowError):  # inf - inf, or an overflowing partial sum: IEEE order instead
        total = 0.0
        for x in xs:
            total += x
        return total


def f_gelu(x: float) -> float:
    return 0.5 * x * (1.0 + math.erf(x / math.sqrt(2.0)))


# ---------------------------------------------------- dispatchers used inside VJPs (float or node)


def _fn(method: str, ffloat: Callable) -> Callable:
    def call(x):
        if type(x) is float or type(x) is int:
            return ffloat(x)
        return getattr(x, method)()

    call.__name__ = method
    return call


exp = _fn("exp", f_exp)
log = _fn("log", f_log)
sin = _fn("sin", f_trig(math.sin))
cos = _fn("cos", f_trig(math.cos))
sigmoid = _fn("sigmoid", f_sigmoid)
erf = _fn("erf", math.erf)

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TWO_OVER_SQRTPI = 2.0 / math.sqrt(math.pi)


def div(a, b):
    """a / b: IEEE on floats (x/0 = ±inf, 0/0 = nan), the node op otherwise."""
    if (type(a) is float or type(a) is int) and (type(b) is float or type(b) is int):
        return f_div(a, b)
    return a / b


def pow_(x, p):
    """x ** p: numpy's rules on floats (never complex, never an exception), the node op otherwise."""
    if (type(x) is float or type(x) is int) and (type(p) is float or type(p) is int):
        return f_pow(x, p)
    return x**p


def powc_(x, p):
    """x ** p for a constant p: `f_powc` on floats, the node op otherwise."""
    if type(x) is float or type(x) is int:
        return f_powc(x, p)
    return x**p


def _zero(g):
    return g * 0.0


# ------------------------------------------------------------------------- VJP rules


def v_pow(g, out, x, p):
    if p == 0:
        return (_zero(g),)  # d/dx x**0 = 0, also at x = 0
    return (g * p * powc_(x, p - 1),)


def v_rpow(g, out, y, c):
    # out = c ** y; d/dy = out * log(c); 0 for c == 0 and y >= 0 (PyTorch's rule)
    if c == 0 and _data(y) >= 0:
        return (_zero(g),)
    return (g * out * f_log(c),)


def v_powv(g, out, x, y):
    xd, yd = _data(x), _data(y)
    gx = _zero(g) if yd == 0 else g * y * pow_(x, y - 1)
    gy = _zero(g) if (xd == 0 and yd >= 0) else g * out * log(x)
    return gx, gy


def v_leaky(g, out, x, slope):
    return (g if _data(x) > 0 else g * slope,)


def v_elu(g, out, x, alpha):
    return (g * (out + alpha) if _data(x) <= 0 else g,)  # elu'(nan) = 1, as torch


def v_clamp(g, out, x, lo, hi):
    return (g if lo <= _data(x) <= hi else _zero(g),)


def v_max(g, out, x, y):
    xd = _data(x)  # the gradient goes to the argument the forward selected (x on a tie or a nan x)
    return (g, _zero(g)) if xd >= _data(y) or xd != xd else (_zero(g), g)


def v_min(g, out, x, y):
    xd = _data(x)
    return (g, _zero(g)) if xd <= _data(y) or xd != xd else (_zero(g), g)


def v_gelu(g, out, x):
    # d/dx [x Phi(x)] = Phi(x) + x phi(x)
    return (g * (0.5 * (1.0 + erf(x * (1.0 / _SQRT2))) + x * _INV_SQRT_2PI * exp(x * x * -0.5)),)


def f_linear(*args):
    # args = w_1..w_n, x_1..x_n, b, n  -> sum_i w_i x_i + b
    n = args[-1]
    return _sum(map(_mul, args[:n], args[n : 2 * n]), args[2 * n])


def v_linear(g, out, *args):
    n = args[-1]
    w, x = args[:n], args[n : 2 * n]
    return (*[g * xi for xi in x], *[g * wi for wi in w], g)


def _sign(x):
    d = _data(x)
    return (d > 0) - (d < 0)


# ------------------------------------------------------------------------- the table
# name: (arity, forward, vjp, symbol). Forward and VJP side by side: the whole calculus of Value.

_TABLE = {
    "add": (2, lambda x, y: x + y, lambda g, out, x, y: (g, g), "+"),
    "sub": (2, lambda x, y: x - y, lambda g, out, x, y: (g, -g), "-"),
    "mul": (2, lambda x, y: x * y, lambda g, out, x, y: (g * y, g * x), "*"),
    "div": (2, f_div, lambda g, out, x, y: (div(g, y), div(-g * out, y)), "/"),
    "neg": (1, lambda x: -x, lambda g, out, x: (-g,), "neg"),
    "abs": (1, abs, lambda g, out, x: (g * _sign(x),), "abs"),
    "pow": (1, f_powc, v_pow, "**"),  # x ** p, p a number (ctx)
    "rpow": (1, lambda y, c: f_pow(c, y), v_rpow, "**"),  # c ** y, c a number (ctx)
    "powv": (2, f_pow, v_powv, "**"),  # x ** y, both nodes
    "exp": (1, f_exp, lambda g, out, x: (g * out,), "exp"),
    "log": (1, f_log, lambda g, out, x: (div(g, x),), "log"),
    "log1p": (1, f_log1p, lambda g, out, x: (div(g, 1.0 + x),), "log1p"),
    "expm1": (1, f_expm1, lambda g, out, x: (g * (out + 1.0),), "expm1"),
    "sqrt": (1, f_sqrt, lambda g, out, x: (div(g, 2.0 * out),), "sqrt"),
    "sin": (1, f_trig(math.sin), lambda g, out, x: (g * cos(x),), "sin"),
    "cos": (1, f_trig(math.cos), lambda g, out, x: (-g * sin(x),), "cos"),
    "tanh": (1, math.tanh, lambda g, out, x: (g * (1.0 - out * out),), "tanh"),
    "sigmoid": (1, f_sigmoid, lambda g, out, x: (g * out * (1.0 - out),), "σ"),
    "softplus": (1, f_softplus, lambda g, out, x: (g * sigmoid(x),), "softplus"),
    # relu' = [relu(x) != 0]: 0 at the kink, 1 at nan (torch's backward reads the nan result)
    "relu": (1, lambda x: x if x > 0.0 or x != x else 0.0, lambda g, out, x: (g * (_data(out) != 0.0),), "relu"),
    "leaky_relu": (1, lambda x, s: x if x > 0.0 else s * x, v_leaky, "leaky_relu"),
    "elu": (1, lambda x, a: x if x > 0.0 else a * f_expm1(x), v_elu, "elu"),
    "gelu": (1, f_gelu, v_gelu, "gelu"),
    "erf": (1, math.erf, lambda g, out, x: (g * _TWO_OVER_SQRTPI * exp(-(x * x)),), "erf"),
    "clamp": (1, lambda x, lo, hi: x if x != x else min(max(x, lo), hi), v_clamp, "clamp"),
    "maximum": (2, lambda x, y: x if x >= y or x != x else y, v_max, "max"),
    "minimum": (2, lambda x, y: x if x <= y or x != x else y, v_min, "min"),
    "sum": (None, f_sum, lambda g, out, *xs: (g,) * len(xs), "Σ"),
    "mean": (None, lambda *xs: f_sum(*xs) / len(xs), lambda g, out, *xs: (g * (1.0 / len(xs)),) * len(xs), "mean"),
    # a neuron's pre-activation sum_i w_i x_i + b as one node (ctx = n): same graph a learner reads
    # in the network view, about 2n times fewer nodes to build and walk
    "linear": (None, f_linear, v_linear, "Σwx+b"),
}

PRIMITIVES: dict[str, Primitive] = {
    name: Primitive(name, arity, fwd, vjp, symbol) for name, (arity, fwd, vjp, symbol) in _TABLE.items()
}
