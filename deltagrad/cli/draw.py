"""deltagrad draw EXPR: parse an expression safely (ast + whitelist, never eval), backprop, draw it, print the grads."""

from __future__ import annotations

import argparse
import math
import sys

from deltagrad.autograd import Value
from deltagrad.autograd.expr import (  # the parser moved to the engine
    _TOO_DEEP,
    FUNCTIONS,
    ExprError,
    _names,
    build,
    parse,
)

from .argtypes import significant_digits

HELP = (
    "draw an expression's graph with data and grads, e.g. deltagrad draw 'tanh(x*w + b)' --set x=2 --set w=-3 --set b=1"
)

EXIT_USAGE = 2
EXIT_FAILURE = 1


def _assignment(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier() or name.startswith("_"):
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER like x=2, got {text!r}")
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number after '{name}=', got {value.strip()!r}") from None
    return name, number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``deltagrad draw``."""
    parser.description = (
        "Parse EXPR (numbers, names, + - * / **, unary -, and "
        f"{', '.join(sorted(FUNCTIONS))}), give every name a value with --set, run backward, draw the "
        "graph with data and grad and print each variable's gradient. The expression is parsed with "
        "Python's ast and a whitelist; it is never evaluated as Python."
    )
    parser.add_argument("expr", metavar="EXPR", help="the expression, e.g. 'tanh(x*w + b)' (quote it)")
    parser.add_argument(
        "--set",
        dest="assign",
        action="append",
        type=_assignment,
        default=[],
        metavar="NAME=X",
        help="a variable's value; one --set per variable",
    )
    parser.add_argument("--out", default=None, metavar="PATH", help="output file (default: expr.<format>)")
    parser.add_argument(
        "--format",
        choices=("svg", "png", "jpg", "pdf", "dot"),
        default=None,
        help="output format (default: from --out's suffix: .svg .png .jpg .pdf .dot; an unknown suffix is refused)",
    )
    parser.add_argument(
        "--edge-labels",
        choices=("none", "local", "contribution", "both"),
        default="none",
        help="label edges with ∂out/∂in, the contribution g·∂out/∂in, or both",
    )
    parser.add_argument(
        "--color-by",
        choices=("none", "grad"),
        default="none",
        help="fill each node by its grad on a purple-white-orange scale with a legend (default none)",
    )
    parser.add_argument(
        "--color-scale",
        choices=("auto", "linear", "symlog"),
        default="auto",
        help="with --color-by grad: linear, symlog to tell small gradients apart, or auto (default: symlog when "
        "the gradients span over two decades)",
    )
    parser.add_argument("--rankdir", choices=("auto", "LR", "TB"), default="auto",
                        help="layout direction (default auto: left to right unless over 4 times wider than tall)")
    parser.add_argument("--precision", type=significant_digits, default=4, metavar="N", help="significant digits, 1 to 17 (default 4)")


def _error(message: str, code: int = EXIT_USAGE) -> int:
    print(f"deltagrad: error: draw: {message}", file=sys.stderr)
    return code


def run(args: argparse.Namespace) -> int:
    """Run ``deltagrad draw``: 0 on success, 2 on a bad expression or missing variable, 1 if rendering fails."""
    from deltagrad import viz
    from deltagrad.viz.drawing import output_format

    try:
        tree = parse(args.expr)
    except ExprError as e:
        shown = args.expr.strip()
        shown = shown if len(shown) <= 80 else f"{shown[:60]}... ({len(shown)} characters)"
        return _error(f"{e} in {shown!r}")
    seen = [n for n, _ in args.assign]
    twice = list(dict.fromkeys(n for n in seen if seen.count(n) > 1))
    if twice:
        return _error(f"{', '.join(twice)} {'is' if len(twice) == 1 else 'are'} set twice; give one --set per variable")
    values = dict(args.assign)
    names = _names(tree)
    missing = [n for n in names if n not in values]
    if missing:
        return _error(f"no value for {', '.join(missing)}; give each with --set NAME=X (e.g. --set {missing[0]}=1)")
    unused = [n for n in values if n not in names]
    if unused:
        return _error(f"--set {', '.join(unused)}: not in the expression (its variables: {', '.join(names) or 'none'})")
    variables = {n: Value(values[n], label=n) for n in names}
    try:
        root = build(tree, variables)
    except (RecursionError, MemoryError):
        return _error(f"{_TOO_DEEP} ({len(args.expr.strip())} characters)")
    if not root.label:
        root.label = "out"
    if root.requires_grad:
        root.backward()
    try:
        fmt = output_format(args.out, args.format)
        path = args.out or f"expr.{fmt}"
        viz.draw(
            root,
            path=path,
            format=fmt,
            rankdir=args.rankdir,
            precision=args.precision,
            edge_labels=args.edge_labels,
            color_by=None if args.color_by == "none" else args.color_by,
            color_scale=args.color_scale,
        )
    except ValueError as e:
        return _error(str(e))
    except OSError as e:
        return _error(f"cannot write {path}: {e.strerror or e}")
    except (viz.RendererNotFound, viz.RenderError) as e:
        return _error(f"{e} (--format dot needs no renderer)", EXIT_FAILURE)
    width = max((len(n) for n in names), default=1)
    print(f"{root.label} = {root.data:.{args.precision}g}")
    for n in names:
        g = variables[n].grad
        print(
            f"∂{root.label}/∂{n:<{width}} = {g:.{args.precision}g}"
            if math.isfinite(g)
            else f"∂{root.label}/∂{n} = {g}"
        )
    print(f"wrote {path}")
    return 0
