"""expr: arithmetic expressions as Value graphs -- parsed with Python's ``ast`` and a whitelist, never ``eval``.

``parse(text)`` checks every node of the syntax tree against a whitelist (numbers, names,
``+ - * / **``, unary ``-``/``+``, calls of `FUNCTIONS` with one argument) and ``build(tree,
variables)`` walks the checked tree on Values. Used by ``deltagrad draw`` and by the formula answers
of ``deltagrad.check``.
"""

from __future__ import annotations

import ast

from .value import Value


def _method(name: str):
    return lambda v: getattr(v, name)()


FUNCTIONS = {
    name: _method(name)
    for name in [
        "exp",
        "log",
        "tanh",
        "sigmoid",
        "relu",
        "sin",
        "cos",
        "sqrt",
        "softplus",
        "gelu",
        "log1p",
        "expm1",
        "erf",
    ]
}
FUNCTIONS["abs"] = abs
"""The functions an expression may call, each on one argument (a Value method of the same name)."""

_BINOPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
_UNARY = {ast.USub: lambda a: -a, ast.UAdd: lambda a: a}


_TOO_DEEP = "expression too deeply nested (or too long) to parse; split it into smaller ones"


class ExprError(ValueError):
    """An expression that is not allowed or not well formed; ``col`` is its 1-based column."""

    def __init__(self, message: str, col: int):
        super().__init__(f"column {col}: {message}")
        self.col = col


def _names(tree: ast.AST) -> list[str]:
    """The expression's variables in the order they first appear."""
    names = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id not in FUNCTIONS]
    return list(dict.fromkeys(n.id for n in sorted(names, key=lambda n: (n.lineno, n.col_offset))))


def _digits(n: int) -> str:
    """A short name for a huge integer: its first digits and how many there are."""
    text = str(n)
    return text if len(text) <= 20 else f"{text[:8]}... ({len(text)} digits)"


def parse(expr: str, functions: dict | None = None, matmul: bool = False) -> ast.Expression:
    """Parse ``expr`` (Python syntax, mode="eval") and check every node against the whitelist.

    Allowed: numbers, variable names, ``+ - * / **``, unary ``-``/``+``, parentheses and calls of
    `FUNCTIONS` (or of ``functions`` when given) with one positional argument; ``@`` only with
    ``matmul=True`` (the formula answers of ``deltagrad.check``). Everything else -- attribute access,
    subscripts, lambdas, comparisons, keywords, strings, dunder names such as ``__import__`` -- is refused.

    Raises:
        ExprError: with the 1-based column of the first offending piece.

    >>> _names(parse("tanh(x*w + b)"))
    ['x', 'w', 'b']
    >>> parse("__import__('os')")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    deltagrad.autograd.expr.ExprError: column 1: call of '__import__' is not allowed; functions: abs, cos, erf, exp, ...
    """
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as e:
        raise ExprError(f"syntax error: {e.msg}", e.offset or 1) from None
    except ValueError as e:  # a NUL character (Python 3.11; later versions raise SyntaxError)
        raise ExprError(f"syntax error: {e}", 1) from None
    except (RecursionError, MemoryError):
        raise ExprError(_TOO_DEEP, 1) from None
    fns = FUNCTIONS if functions is None else functions
    ops = {**_BINOPS, ast.MatMult: None} if matmul else _BINOPS
    callees = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):
        col = getattr(node, "col_offset", 0) + 1
        if isinstance(node, (ast.Expression, ast.Load)) or type(node) in ops or type(node) in _UNARY:
            continue
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise ExprError(f"only numbers are allowed, not {type(node.value).__name__} {node.value!r}", col)
            try:
                float(node.value)
            except OverflowError:
                raise ExprError(f"the integer {_digits(node.value)} is too large for a float (at most ~1.8e308)",
                                col) from None
        elif isinstance(node, ast.Name):
            if node.id.startswith("_"):
                raise ExprError(f"name {node.id!r} is not allowed (names starting with '_' are refused)", col)
            if node.id in fns and id(node) not in callees:
                raise ExprError(f"{node.id!r} is a function; call it, e.g. {node.id}(x), or rename the variable", col)
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in ops:
                allowed = "+ - * / ** @" if matmul else "+ - * / **"
                raise ExprError(f"operator {type(node.op).__name__} is not allowed; use {allowed}", col)
        elif isinstance(node, ast.UnaryOp):
            if type(node.op) not in _UNARY:
                raise ExprError(f"unary {type(node.op).__name__} is not allowed", col)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in fns:
                what = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
                raise ExprError(f"call of {what!r} is not allowed; functions: {', '.join(sorted(fns))}", col)
            if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
                raise ExprError(f"{node.func.id}() takes exactly one argument", col)
        else:
            raise ExprError(f"{type(node).__name__} is not allowed in an expression", col)
    return tree


def _constant(node: ast.AST) -> float | None:
    """The number a literal (or a signed literal such as ``-2``) stands for, else None."""
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY and isinstance(node.operand, ast.Constant):
        v = _constant(node.operand)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.Constant):
        return float(node.value)  # parse() refused integers too large for a float
    return None


def build(tree: ast.Expression, variables: dict[str, Value]) -> Value:
    """Evaluate the checked ``tree`` on Values (a walk over the whitelisted nodes; never ``eval``).

    Every number becomes a constant Value (``requires_grad=False``), so all arithmetic -- even
    ``1/0``, ``(-8)**0.5`` or ``10**400`` between two literals -- is done by the engine with IEEE
    results (inf, nan) rather than by Python (ZeroDivisionError, complex, OverflowError). A literal
    exponent or base of ``**`` stays a number in the op (``x**2`` is one ``**2`` node).
    """

    def walk(node):
        const = _constant(node)
        if const is not None:
            return Value(const, requires_grad=False)
        if isinstance(node, ast.Name):
            return variables[node.id]
        if isinstance(node, ast.BinOp):
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Pow):
                lc, rc = _constant(node.left), _constant(node.right)
                if rc is not None and lc is None:
                    return left**rc
                if lc is not None and rc is None:
                    return lc**right
            return _BINOPS[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](walk(node.operand))
        if isinstance(node, ast.Call):
            return FUNCTIONS[node.func.id](walk(node.args[0]))
        raise AssertionError(type(node).__name__)  # parse() let nothing else through

    return walk(tree.body)
