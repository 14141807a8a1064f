"""The ``deltagrad`` command: argument parsing and one-line errors; each command's work is in its own module."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import sys
from collections.abc import Sequence

from deltagrad.data import DataError

from . import train as _training  # the module; `deltagrad.cli.train` stays the module, not its function
from .argtypes import hidden_sizes, positive_float, positive_int, significant_digits  # noqa: F401 - re-exported
from .outputs import OutputError
from .train import AUTO_TENSOR_ABOVE, DATASETS, DEFAULTS, ENGINES, TrainConfig, TrainError

EXIT_USAGE = 2
EXIT_FAILURE = 1


class _Parser(argparse.ArgumentParser):
    """argparse, but every usage error is one line: ``deltagrad: error: … (see '… --help')``."""

    def error(self, message: str):
        sys.stderr.write(f"deltagrad: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(EXIT_USAGE)


def _add_train(sub) -> None:
    iris, xor = DEFAULTS["iris"], DEFAULTS["xor"]
    p = sub.add_parser(
        "train",
        help="train an MLP; write metrics.json, loss.png, model.npz and network.svg (z, a, δ per neuron)",
        description="Train a small MLP with the autograd engine and write metrics.json, loss.png, "
        "model.npz (the trained weights) and network.svg (the network view: z, a and δ = ∂L/∂z per "
        "neuron, after one more backward on the training row with the highest loss, or --sample K) "
        "into --out. A network.svg that cannot be drawn is a warning, not an error.",
        epilog=f"defaults: iris: MLP(4, [{iris['hidden'][0]}, 3]) relu, softmax cross-entropy, SGD lr {iris['lr']} "
        f"momentum {iris['momentum']}, {iris['epochs']} epochs, batch {iris['batch_size']}, stratified "
        f"80/20 split, standardized inputs. xor: the 2-3-1 sigmoid XOR net of docs/sources.md, "
        f"its initial weights, MSE, "
        f"plain SGD lr {xor['lr']}, {xor['epochs']} epochs, full batch. --csv: as iris.",
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument("--dataset", choices=DATASETS, default="iris", help="bundled dataset (default: iris)")
    src.add_argument("--csv", metavar="PATH", help="your own CSV table with a header row (numeric features)")
    p.add_argument("--target", metavar="COLUMN", help="the label column of --csv (required with --csv)")
    p.add_argument("--drop", action="append", default=[], metavar="COLUMN",
                   help="leave a column of --csv out (an id or a name column); repeatable")
    p.add_argument("--epochs", type=positive_int, metavar="N", help="passes over the training data")
    p.add_argument("--lr", type=positive_float, metavar="X", help="learning rate")
    p.add_argument("--hidden", type=hidden_sizes, metavar="H[,H...]", help="hidden layer sizes, e.g. 8 or 16,8")
    p.add_argument("--batch-size", type=positive_int, metavar="N", help="minibatch size")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="seed of split, weights and shuffle (default: 0)")
    p.add_argument("--out", default="deltagrad-out", metavar="DIR", help="output directory (default: ./deltagrad-out)")
    p.add_argument("--quiet", action="store_true", help="no progress bar (the summary is still printed)")
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default="auto",
        help="value: scalar Values, one sample at a time; tensor: each minibatch as one matrix (fast); "
        f"auto (default): tensor when the hidden layers have more than {AUTO_TENSOR_ABOVE} neurons in all. "
        "Same initial weights, shuffle and results either way; network.svg is drawn from the Value engine",
    )
    p.add_argument(
        "--sample",
        type=int,
        metavar="K",
        help="draw data row K (0-based, the file's order) in network.svg "
        "(default: the training row with the highest loss)",
    )
    p.add_argument(
        "--edge-labels",
        choices=("auto", "all", "none"),
        default="auto",
        help="weight labels on network.svg's edges: auto (every weight up to 12 neurons a layer), all or none",
    )
    p.add_argument(
        "--color-scale",
        choices=("auto", "linear", "symlog"),
        default="auto",
        help="network.svg's δ colours: linear, symlog to tell small δ apart, or auto (default: symlog when the "
        "δ span over two decades)",
    )
    p.set_defaults(handler=_run_train, parser=p)


def _run_train(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.csv is not None and not args.target:
        parser.error("--csv needs --target COLUMN")
    if args.target and args.csv is None:
        parser.error("--target only applies with --csv")
    if args.drop and args.csv is None:
        parser.error("--drop only applies with --csv")
    cfg = TrainConfig(
        dataset=args.dataset,
        csv=args.csv,
        target=args.target,
        epochs=args.epochs,
        lr=args.lr,
        hidden=args.hidden,
        batch_size=args.batch_size,
        seed=args.seed,
        out=args.out,
        quiet=args.quiet,
        engine=args.engine,
        sample=args.sample,
        drop=tuple(args.drop),
        edge_labels={"auto": "auto", "all": True, "none": False}[args.edge_labels],
        color_scale=args.color_scale,
    )
    return train_and_report(cfg)


def _fmt_acc(acc: float | None, n: int) -> str:
    return "n/a (empty split)" if acc is None else f"{acc:.3f} ({round(acc * n)}/{n})"


def train_and_report(cfg: TrainConfig) -> int:
    """Run `deltagrad.cli.train.train`, print a 3-line summary and return the exit status.

    0 on success, also when network.svg cannot be drawn (a warning with advice on stderr: the
    metrics, loss.png and model.npz are written first); 2 on bad input (data, options, --out) with
    one line ``deltagrad: error: …`` on stderr and nothing written.
    """
    try:
        m = _training.train(cfg)
    except (DataError, TrainError, OutputError) as e:
        print(f"deltagrad: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    same = " (the same 4 points)" if m["dataset"] == "xor" else ""
    print(
        f"trained {m['dataset']}: MLP {m['architecture']} ({m['engine']} engine), {m['epochs']} epochs, lr {m['lr']}, "
        f"{m['seconds']:.1f} s"
    )
    print(
        f"final loss {m['final_loss']:.4f}   train accuracy {_fmt_acc(m['train_accuracy'], m['n_train'])}   "
        f"test accuracy {_fmt_acc(m['test_accuracy'], m['n_test'])}{same}"
    )
    print(f"wrote {', '.join(m['files'])} to {m['out']}")
    for w in m.get("warnings", []):
        print(f"deltagrad: warning: {w}", file=sys.stderr)
    return 0


# Subcommands that live in their own module, each exposing ``HELP`` (one line),
# ``add_arguments(parser)`` and ``run(args) -> int``. To add one: write the module and add it here.
SUBCOMMANDS = {
    "bench": "deltagrad.bench",
    "check": "deltagrad.cli.check",
    "draw": "deltagrad.cli.draw",
    "exercise": "deltagrad.cli.exercise",
    "explain": "deltagrad.cli.explain",
    "losses": "deltagrad.cli.losses",
    "playground": "deltagrad.cli.playground",
}


def _add_module(sub, name: str) -> None:
    if importlib.util.find_spec(SUBCOMMANDS[name]) is None:
        return
    try:
        module = importlib.import_module(SUBCOMMANDS[name])
        p = sub.add_parser(name, help=getattr(module, "HELP", None))
        module.add_arguments(p)
        run = module.run
    except Exception as e:
        err = f"{type(e).__name__}: {e}"
        p = sub.add_parser(name, help=f"(unavailable: {err})")
        p.set_defaults(handler=lambda args, parser: _unavailable(name, err), parser=p)
        return
    p.set_defaults(handler=lambda args, parser: run(args), parser=p)


def _unavailable(name: str, err: str) -> int:
    print(f"deltagrad: error: {name} is unavailable ({err})", file=sys.stderr)
    return 1


def build_parser() -> argparse.ArgumentParser:
    """The ``deltagrad`` argument parser with its subcommands (``train`` and each of `SUBCOMMANDS` present)."""
    parser = _Parser(prog="deltagrad", description="deltagrad: reverse-mode autodiff for learning backpropagation.")
    from importlib.metadata import PackageNotFoundError, version

    with contextlib.suppress(PackageNotFoundError):  # not installed: running from a source tree
        parser.add_argument("--version", action="version", version=f"deltagrad {version('deltagrad')}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    _add_train(sub)
    for name in SUBCOMMANDS:
        _add_module(sub, name)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``deltagrad`` command; returns the exit status.

    0 on success, 2 on bad input (one line ``deltagrad: error: …`` on stderr, no traceback, no
    files written), 130 on Ctrl-C.

    >>> main(["train", "--epochs", "0"])    # doctest: +SKIP
    2
    """
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        sub = getattr(args, "parser", parser)
        if extra:  # name the subcommand's help, where its options are listed
            sub.error(f"unrecognized arguments: {' '.join(extra)}")
        return int(args.handler(args, sub) or 0)
    except SystemExit as e:  # argparse: --help, --version (0) and usage errors (2)
        return e.code if isinstance(e.code, int) else (0 if e.code is None else EXIT_USAGE)
    except KeyboardInterrupt:
        print("deltagrad: interrupted", file=sys.stderr)
        return 130
