"""``deltagrad losses``: draw every loss and its engine-computed derivative, one figure per family."""

from __future__ import annotations

import argparse
import os
import sys

HELP = "plot every loss and its derivative (from backward) against the error, probability or margin"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options: ``--out DIR`` (default ``deltagrad-out``) and ``--format png|svg`` (default png)."""
    parser.description = ("Write regression.<fmt> (losses against the error e = y − ŷ) and classification.<fmt> "
                          "(against the probability p and the margin y·ŷ), each with the derivative that "
                          "backward() computes, into --out.")
    parser.add_argument("--out", default="deltagrad-out", metavar="DIR", help="output directory (default: ./deltagrad-out)")
    parser.add_argument("--format", choices=("png", "svg"), default="png", help="image format (default: png)")


def run(args: argparse.Namespace) -> int:
    """Plot the losses; print the files written. 0 on success, 2 with one line on stderr on failure."""
    from .lossplot import plot_losses

    try:
        paths = plot_losses(args.out, args.format)
    except (OSError, ValueError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        name = os.fspath(e.filename) if isinstance(e, OSError) and e.filename is not None else None
        where = f"{name}: " if name is not None and os.path.normpath(name) != os.path.normpath(args.out) else ""
        print(f"deltagrad: error: --out {args.out}: {where}{reason}", file=sys.stderr)
        return 2
    print(f"wrote {', '.join(p.name for p in paths)} to {args.out}")
    return 0
