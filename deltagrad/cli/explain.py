"""deltagrad explain FILE.toml: the worked solution of a worked example, step by step (Markdown + LaTeX)."""

from __future__ import annotations

import argparse
import sys

from deltagrad.check.grading import write_atomic
from deltagrad.check.solution import explain
from deltagrad.check.worked import WorkedExampleError

from .argtypes import significant_digits

HELP = "print the worked solution of a worked example (TOML): each step's formula, the numbers, the result"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register ``FILE``, ``--digits`` and ``--out``."""
    parser.description = (
        "Print the worked solution of a worked example in the 'deltagrad check' format: the forward pass, "
        "the loss, δ layer by layer, the gradients and the update, each as its formula, the numbers "
        "substituted and the result (computed by the engine; the file's claims are not used). Markdown with "
        "LaTeX math, which GitHub and Jupyter render.")
    parser.add_argument("file", metavar="FILE", help="a worked example (.toml)")
    parser.add_argument("--digits", type=significant_digits, default=6, metavar="N",
                        help="significant digits of every number, 1..17 (default 6)")
    parser.add_argument("--out", default=None, metavar="PATH", help="write the Markdown to PATH instead of printing it")


def run(args: argparse.Namespace) -> int:
    """Print (or write) the solution: 0, or 2 for a file that cannot be read or written (one error line)."""
    try:
        text = explain(args.file, digits=args.digits).markdown
    except WorkedExampleError as e:
        print(f"deltagrad: error: {e}", file=sys.stderr)
        return 2
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        write_atomic(args.out, text)
    except OSError as e:
        print(f"deltagrad: error: cannot write {args.out}: {e.strerror or e}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}")
    return 0
