"""formula: answers written as formulas (``delta2 = "(a2 - y) * a2 * (1 - a2)"``), checked at many points.

A formula is parsed with the expression whitelist of ``deltagrad draw`` (`deltagrad.autograd.expr`;
never ``eval``), extended by ``@`` (matrix product) and the one-argument functions of
`MATRIX_FUNCTIONS`. Its names are the worked example's: ``x``, ``y``, ``W1``, ``b1``, ...,
``lr``, ``m`` (the number of samples) and every quantity that comes *before* the answered one in the
derivation (``z1``, ``a1``, ..., ``loss``, ``delta2``, ``dW2``, ...). Vectors are columns, one column
per sample: ``x`` and ``z1`` are (n, m), ``b1`` and ``db1`` (n, 1), ``W1`` and ``dW1`` (n_out, n_in),
``loss``, ``lr`` and ``m`` scalars -- so ``z1 = "W1 @ x + b1"`` and ``dW1 = "delta1 @ T(x) / m"``.

The formula is evaluated at the example's numbers and at `POINTS` other parameter values
(weights, biases and inputs drawn around the example's, targets too for the squared-error losses;
the answer there is the engine's). A formula that gives the right number at the example but a
wrong one elsewhere is right **only by coincidence** (``dW1 = "delta1 * 2"`` when x happens to be 2).
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass

import numpy as np
from deltagrad.autograd.expr import _BINOPS, _UNARY, FUNCTIONS, ExprError, _constant, parse

from .worked_math import claim_order, engine_values

POINTS = 4
"""How many parameter values besides the example's a formula is evaluated at."""

RTOL = 1e-6
"""A formula matches the engine when |value − engine| ≤ RTOL·max(1, |engine|) elementwise."""


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


_ELEMENTWISE = {
    "exp": np.exp, "log": np.log, "tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "relu": lambda z: np.maximum(z, 0.0), "sin": np.sin, "cos": np.cos, "sqrt": np.sqrt,
    "softplus": lambda z: np.logaddexp(0.0, z), "log1p": np.log1p, "expm1": np.expm1, "abs": np.abs,
    "erf": np.vectorize(math.erf, otypes=[float]),
    "gelu": lambda z: 0.5 * z * (1 + np.vectorize(math.erf, otypes=[float])(z / math.sqrt(2))),
}
MATRIX_FUNCTIONS = {
    "T": lambda a: np.transpose(a),
    "sum": lambda a: np.sum(a),
    "mean": lambda a: np.mean(a),
    "rowsum": lambda a: np.sum(a, axis=1, keepdims=True),
    "rowmean": lambda a: np.mean(a, axis=1, keepdims=True),
    "step": lambda a: (np.asarray(a) > 0) * 1.0,
    "softmax": _softmax,
}
"""Functions a formula may call besides `deltagrad.autograd.expr.FUNCTIONS` (each elementwise there):
``T`` transpose, ``sum``/``mean`` over every element, ``rowsum``/``rowmean`` over the samples (columns),
``step`` the 0/1 indicator of > 0 (ReLU's derivative), ``softmax`` per column."""

FORMULA_FUNCTIONS = {**{k: _ELEMENTWISE[k] for k in FUNCTIONS}, **MATRIX_FUNCTIONS}


@dataclass
class FormulaResult:
    """One formula answer: its text, its value at the example's numbers (canonical shape) and its status.

    ``status`` is ``"right"`` (the engine's value at every point), ``"coincidence"`` (right at the example's
    numbers only) or ``"wrong"``; ``detail`` says where it differs.
    """

    key: str
    text: str
    value: np.ndarray
    status: str
    detail: str = ""


def columns(values: dict[str, np.ndarray], m: int, lr: float | None) -> dict[str, np.ndarray]:
    """The worked example's quantities (canonical: rows per sample) as a formula sees them (columns per sample).

    >>> env = columns({"x": np.array([[1.0, 2.0]]), "b1": np.array([0.5]), "W1": np.eye(2)}, 1, None)
    >>> env["x"].shape, env["b1"].shape, env["W1"].shape, float(env["m"])
    ((2, 1), (1, 1), (2, 2), 1.0)
    """
    env: dict[str, np.ndarray] = {"m": np.asarray(float(m))}
    if lr is not None:
        env["lr"] = np.asarray(float(lr))
    for k, v in values.items():
        v = np.asarray(v, dtype=float)
        head = k.rstrip("0123456789")
        if k in ("x", "y") or head in ("z", "a", "delta"):
            env[k] = v.reshape(m, -1).T
        elif head in ("b", "db") or (k.startswith("b") and k.endswith("_new")):
            env[k] = v.reshape(-1, 1)
        else:
            env[k] = v
    return env


def canonical(key: str, value: np.ndarray, shape: tuple) -> np.ndarray:
    """A formula's value (column layout) in the claim's canonical shape; ValueError if the sizes differ.

    >>> canonical("z1", np.array([[1.0], [2.0]]), (1, 2)).tolist()
    [[1.0, 2.0]]
    """
    v = np.asarray(value, dtype=float)
    head = key.rstrip("0123456789")
    if head in ("z", "a", "delta"):
        v = v.T
    if v.size != max(1, math.prod(shape)):
        raise ValueError(f"the formula gives shape {np.shape(value)}, expected {_column_shape(key, shape)}")
    return v.reshape(shape)


def _column_shape(key: str, shape: tuple) -> tuple:
    head = key.rstrip("0123456789")
    if head in ("z", "a", "delta"):
        return (shape[1], shape[0])
    if len(shape) == 1:
        return (shape[0], 1)
    return shape


def evaluate(tree: ast.Expression, env: dict[str, np.ndarray]) -> np.ndarray:
    """Walk the checked ``tree`` on numpy arrays (``@`` is the matrix product; never ``eval``).

    >>> tree = parse("T(W) @ d * step(z)", functions=FORMULA_FUNCTIONS, matmul=True)
    >>> evaluate(tree, {"W": np.array([[2.0, 3.0]]), "d": np.array([[1.0]]), "z": np.array([[1.0], [-1.0]])}).tolist()
    [[2.0], [0.0]]
    """

    def walk(node):
        const = _constant(node)
        if const is not None:
            return np.asarray(const)
        if isinstance(node, ast.Name):
            return env[node.id]
        if isinstance(node, ast.BinOp):
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.MatMult):
                return np.atleast_2d(left) @ np.atleast_2d(right)
            return _BINOPS[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](walk(node.operand))
        if isinstance(node, ast.Call):
            return FORMULA_FUNCTIONS[node.func.id](walk(node.args[0]))
        raise AssertionError(type(node).__name__)  # parse() let nothing else through

    with np.errstate(all="ignore"):
        return np.asarray(walk(tree.body), dtype=float)


def allowed_names(key: str, L: int, lr: float | None) -> list[str]:
    """The names a formula for ``key`` may use: data, parameters, lr, m and the quantities before ``key``.

    >>> allowed_names("a1", 1, None)
    ['x', 'y', 'm', 'W1', 'b1', 'z1']
    """
    order = claim_order(L)
    base = ["x", "y", "m"] + [f"{p}{l}" for l in range(1, L + 1) for p in ("W", "b")] + (["lr"] if lr else [])
    return base + order[: order.index(key)]


def check_formula(key: str, text: str, net, params, x, y, lr, seed: int = 0) -> FormulaResult:
    """Check the formula ``text`` answering ``key`` at the example's numbers and at `POINTS` others.

    ``net`` is ``(sizes, activations, loss)``, ``params`` maps W1, b1, ... to arrays, ``x``/``y`` are
    (m, n) arrays (as `deltagrad.check.worked_parse.parse` returns them).

    Raises:
        ExprError: a formula outside the whitelist, or one that names something it may not use
            (the message lists the names it may).
        ValueError: a formula whose shapes do not fit (``W2 @ delta2`` where ``T(W2) @ delta2`` is
            meant) or that is not finite at the example's numbers.

    >>> net = ([1, 1], ["sigmoid"], "half_mse")
    >>> p = {"W1": np.array([[0.5]]), "b1": np.array([-0.5])}
    >>> x, y = np.array([[2.0]]), np.array([[1.0]])
    >>> check_formula("dW1", "delta1 @ T(x)", net, p, x, y, None).status
    'right'
    >>> check_formula("dW1", "delta1 * 2", net, p, x, y, None).status
    'coincidence'
    """
    sizes, acts, loss = net
    L, m = len(sizes) - 1, x.shape[0]
    tree = parse(text, functions=FORMULA_FUNCTIONS, matmul=True)
    names = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id not in FORMULA_FUNCTIONS]
    allowed = allowed_names(key, L, lr)
    bad = [n for n in dict.fromkeys(names) if n not in allowed]
    if bad:
        raise ExprError(f"{', '.join(bad)}: not a name a formula for {key} may use; it may use {', '.join(allowed)}", 1)
    points = [(params, x, y)]
    rng = np.random.default_rng(seed)
    for _ in range(POINTS):
        p2 = {k: v + rng.normal(0.0, 0.5, v.shape) for k, v in params.items()}
        x2 = x + rng.normal(0.0, 0.5, x.shape)
        y2 = y + rng.normal(0.0, 0.3, y.shape) if loss in ("mse", "half_mse") else y
        points.append((p2, x2, y2))
    value, status, detail = None, "right", ""
    for i, (p, xi, yi) in enumerate(points):
        eng = engine_values(sizes, acts, loss, p, xi, yi, lr)
        want = eng[key]
        got = canonical(key, evaluate(tree, columns({"x": xi, "y": yi, **p, **eng}, m, lr)), want.shape)
        ok = bool(np.all(np.abs(got - want) <= RTOL * np.maximum(1.0, np.abs(want))))
        if i == 0:
            value = got
            if not np.all(np.isfinite(got)):
                raise ValueError(f"it gives {_short(got)} at the example's numbers (not a finite number)")
            if not ok:
                return FormulaResult(key, text, got, "wrong", f"gives {_short(got)} at the example's numbers; "
                                                                f"the engine gives {_short(want)}")
        elif not ok:
            status = "coincidence"
            detail = (f"right at the example's numbers only by coincidence: at other parameter values (point {i} of "
                      f"{POINTS}) it gives {_short(got)}, the engine {_short(want)}")
            break
    return FormulaResult(key, text, value, status, detail)


def _short(a: np.ndarray) -> str:
    flat = np.asarray(a, dtype=float).reshape(-1)
    shown = ", ".join(f"{v:.6g}" for v in flat[:6]) + (", ..." if flat.size > 6 else "")
    return shown if flat.size == 1 else f"[{shown}]"
