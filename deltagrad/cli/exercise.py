"""deltagrad exercise new: a fresh backprop exercise with its answer key (exercise.md, answers.toml, solution.*)."""

from __future__ import annotations

import argparse
import sys

from deltagrad.check.exercise import ASK, FILES, new_exercise

from .exercise_picture import draw_network

HELP = "generate a backprop exercise to work by hand: exercise.md, answers.toml, solution.md, solution.toml"


def _ints(text: str) -> list[int]:
    try:
        out = [int(p) for p in text.split(",")]
    except ValueError:
        out = []
    if not out or any(n < 1 for n in out):
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers like 2,3,1, got {text!r}")
    return out


def _names(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register ``new`` and its options."""
    parser.description = "Generate backprop exercises with answer keys; see 'deltagrad exercise new --help'."
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = sub.add_parser("new", help="write a fresh exercise into --out", description=(
        f"Write {', '.join(FILES)} and network.svg into DIR: a network with one-decimal numbers workable by hand "
        "(activations away from saturation, no dead ReLU), the asked claims left empty in answers.toml (fill them "
        "in and run 'deltagrad check answers.toml' for a score), the worked solution and the answer key. "
        "The same options give byte-identical files."))
    p.add_argument("--seed", type=int, required=True, metavar="N", help="any integer; the same seed, the same files")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory (created if needed)")
    p.add_argument("--sizes", type=_ints, default=[2, 3, 1], metavar="N,N,...",
                   help="input size, hidden sizes..., output size, each 1..6 (default 2,3,1)")
    p.add_argument("--activations", type=_names, default=None, metavar="G,G,...",
                   help="one per layer: sigmoid, tanh, relu, linear, softmax (last only); default sigmoid everywhere")
    p.add_argument("--loss", choices=("half_mse", "mse", "cross_entropy"), default="half_mse",
                   help="half_mse: ½‖a − y‖² (default); mse; cross_entropy (softmax or sigmoid last layer)")
    p.add_argument("--samples", type=int, default=1, metavar="M", help="samples in the batch, 1..4 (default 1)")
    p.add_argument("--ask", type=_names, default=list(ASK), metavar="WHAT,...",
                   help=f"which steps to ask: some of {','.join(ASK)} (default all)")
    p.add_argument("--digits", type=int, default=4, metavar="D", help="decimal places of the answers, 1..8 (default 4)")
    p.add_argument("--lr", type=float, default=0.5, metavar="ETA", help="learning rate of the update (default 0.5)")
    p.add_argument("--no-picture", action="store_true", help="do not draw network.svg")


def run(args: argparse.Namespace) -> int:
    """Write the exercise; 0 on success, 2 on a bad option or an unwritable --out (one error line)."""
    try:
        ex = new_exercise(args.seed, sizes=args.sizes, activations=args.activations, loss=args.loss,
                          samples=args.samples, ask=args.ask, decimals=args.digits, lr=args.lr)
        paths, warning = ex.write(args.out, draw=None if args.no_picture else draw_network)
    except ValueError as e:
        print(f"deltagrad: error: exercise: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"deltagrad: error: exercise: cannot write {args.out}: {e.strerror or e}", file=sys.stderr)
        return 2
    if warning:
        print(f"deltagrad: warning: {warning}", file=sys.stderr)
    print(f"wrote {', '.join(paths)} ({len(ex.asked)} questions)")
    return 0
