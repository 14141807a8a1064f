"""How a traced rule is spelled: constants as Python literals, numpy's operators, their binding strengths.

`autograd.trace` builds expression text from these pieces only: a constant becomes text through
`literal` (or the rule is called by name), an operator through the tables below. Nothing here
evaluates text.
"""

from __future__ import annotations

import math

import numpy as np


class Untraceable(Exception):
    """The rule looked at a value (or used something the stand-ins do not model): call the row instead."""


# Python's binding strengths (higher binds tighter); a child weaker than its context gets parentheses
ATOM, POWER, UNARY, MUL, ADD, BITAND, BITOR, CMP = 100, 90, 80, 70, 60, 50, 45, 30

# infix operators numpy can also write into an existing array: the ufunc (or matmul) they call
_OUT_UFUNCS = {"+": "np.add", "-": "np.subtract", "*": "np.multiply", "/": "np.divide", "@": "np.matmul"}
_INFIX = {"add": ("+", ADD), "subtract": ("-", ADD), "multiply": ("*", MUL), "true_divide": ("/", MUL),
          "divide": ("/", MUL), "matmul": ("@", MUL), "floor_divide": ("//", MUL)}
_COMPARE = {"greater": ">", "less": "<", "greater_equal": ">=", "less_equal": "<=", "equal": "==",
            "not_equal": "!="}
# numpy functions a Sym models: computed on the protos (_NP_FUNCS), answered from them (_META), traced as calls
_NP_FUNCS = {"exp": np.exp, "log": np.log, "sin": np.sin, "cos": np.cos}
_META = {np.shape, np.size, np.ndim, np.result_type}
_TRACEABLE_FUNCS = {"broadcast_to", "transpose", "reshape", "sum", "where", "squeeze", "expand_dims", "sign",
                    "maximum", "minimum", "tanh", "exp", "log", "log1p", "expm1", "sqrt", "sin", "cos", "abs",
                    "clip", "vdot", "mean", "negative"}
_DTYPES = {"float64", "float32", "float16", "int64", "int32", "bool"}


def literal(v) -> tuple[str, int]:
    """(Python text, binding strength) of a constant a rule passes along: float, int, bool, None, tuples, dtypes.

    Floats use ``repr`` (it round-trips exactly); inf and nan are the names ``INF`` and ``NAN``.

    Raises:
        Untraceable: for anything else (an array constant, an object) -- the row is then called by name.

    >>> literal(0.5), literal(-2), literal((0, 1)), literal(float("-inf"))
    (('0.5', 100), ('-2', 80), ('(0, 1)', 100), ('-INF', 80))
    """
    if v is None or v is True or v is False:
        return repr(v), ATOM
    if type(v) is int or type(v) is float:
        if math.isnan(v):
            return "NAN", ATOM
        if v in (math.inf, -math.inf):
            return ("INF", ATOM) if v > 0 else ("-INF", UNARY)
        text = repr(v)
        return text, UNARY if text.startswith("-") else ATOM
    if isinstance(v, np.floating | np.integer | np.bool_) and np.dtype(type(v)).name in _DTYPES:
        return f"np.{np.dtype(type(v)).name}({literal(v.item())[0]})", ATOM
    if type(v) is tuple:
        parts = [literal(x)[0] for x in v]
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")", ATOM
    if isinstance(v, np.dtype) or (isinstance(v, type) and issubclass(v, np.generic)):
        name = np.dtype(v).name
        if name in _DTYPES:
            return f"np.{name}", ATOM
    raise Untraceable(f"a constant of type {type(v).__name__}")
