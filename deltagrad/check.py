"""deltagrad check FILE.toml: every number of a worked backprop example against the engine and its own earlier claims."""

from __future__ import annotations

import argparse
import sys

from autograd.worked import WorkedExampleError, check_worked_example

HELP = "check a worked backprop example (TOML): every claimed z, a, loss, δ, gradient and update"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register ``FILE`` (one or more worked examples) and ``--quiet``."""
    parser.description = (
        "Check the numbers a backprop derivation claims (z, a, loss, δ per layer, gradients, updated "
        "weights) against the engine and against the derivation's own earlier claims, so an error is "
        "pinned to the step that made it. Tolerance follows the digits printed. The TOML format is "
        "described in examples/README.md and in autograd/worked.py."
    )
    parser.epilog = "exit status: 0 every claim holds, 1 a claim is wrong, 2 a file cannot be read"
    parser.add_argument("files", nargs="+", metavar="FILE", help="worked example(s), .toml")
    parser.add_argument("--quiet", action="store_true", help="print only the summary line of each file")


def run(args: argparse.Namespace) -> int:
    """Check each file; print its report. Returns 0, 1 (a wrong claim) or 2 (a bad file, one error line).

    >>> run(argparse.Namespace(files=["examples/seed_001_corrected.toml"], quiet=True))  # doctest: +SKIP
    0
    """
    reports = []
    for path in args.files:
        try:
            reports.append(check_worked_example(path))
        except WorkedExampleError as e:
            print(f"deltagrad: error: {e}", file=sys.stderr)
            return 2
    for path, report in zip(args.files, reports):
        text = str(report)
        print(f"{path}: {text.splitlines()[-1]}" if args.quiet else text)
    return 0 if all(reports) else 1
