"""deltagrad check FILE.toml: every number of a worked backprop example against the engine and its own earlier claims."""

from __future__ import annotations

import argparse
import sys

from deltagrad.check.grading import GradingPolicy, is_answers, report_grade
from deltagrad.check.worked import WorkedExampleError, check_worked_example, graph_expectations, graph_verdicts

HELP = "check a worked backprop example (TOML): every claimed z, a, loss, δ, gradient and update"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register ``FILE`` (one or more worked examples) and ``--quiet``."""
    parser.description = (
        "Check the numbers a backprop derivation claims (z, a, loss, δ per layer, gradients, updated "
        "weights) against the engine and against the derivation's own earlier claims, so an error is "
        "pinned to the step that made it. Tolerance follows the digits printed. The TOML format is "
        "described in examples/README.md and in autograd/worked.py."
    )
    parser.epilog = (
        "exit status: 0 every claim holds, 1 a claim is wrong, 2 a file cannot be read (or --svg cannot be written); "
        "with several files every one is reported and the status is the worst of them. An answers file (a claim "
        "\"\" is unanswered, a string that is not a number a formula) is graded: 0 every claim answered and right, "
        "1 otherwise"
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="worked example(s), .toml")
    _add_grading(parser)
    parser.add_argument("--quiet", action="store_true", help="print only the summary line of each file")
    parser.add_argument(
        "--svg",
        metavar="PATH",
        default=None,
        help=(
            "also draw the engine's graph of the example (one FILE only) to PATH, top to bottom, every claim "
            "marked as the report judges it: √ right (green), × first wrong here (red: the step that made the "
            "error), ← follows from an earlier error (orange, dashed: e.g. \"follows from z1\"). z, a and loss "
            "sit on the data of their node, δ on the grad of z (divided by the number of samples: δ is per "
            "sample), dW and db on the grad of W and b; intermediate nodes that are no claim (x @ W1ᵀ, the "
            "loss's terms) are small and grey. Updated weights (W_new, b_new) have no node and are left out"
        ),
    )


def _add_grading(parser: argparse.ArgumentParser) -> None:
    """The grading options: an answers file (a claim "" is unanswered, a string a formula) gets a score."""
    parser.add_argument("--json", metavar="PATH", default=None,
                        help="grade (one FILE) and write Gradescope's results.json to PATH: score, max_score, one "
                        "test per claim")
    parser.add_argument("--score", action="store_true",
                        help="grade every FILE (automatic for a file with an unanswered claim or a formula)")
    parser.add_argument("--method-credit", type=float, default=0.5, metavar="X",
                        help="credit, 0..1, for a wrong claim that follows from the student's own earlier error "
                        "(default 0.5)")


def _grading(args: argparse.Namespace, path: str) -> bool:
    if getattr(args, "json", None) or getattr(args, "score", False):
        return True
    try:
        return is_answers(path)
    except WorkedExampleError:
        return False  # the plain check reports it


def run(args: argparse.Namespace) -> int:
    """Check each file; print its report. Returns 0, 1 (a wrong claim) or 2 (a bad file, one error line).

    Every file is checked and reported in turn, a bad file as one error line on stderr; the exit
    status is the worst of them (2 over 1 over 0). A file with no claims reports "no claims to
    check" and counts as 0.

    With ``svg`` set (one file only), the engine's graph is drawn there first with every claim
    marked (see :func:`deltagrad.check.worked.graph_expectations`); a drawing that cannot be written is a
    one-line error and exit 2.

    >>> run(argparse.Namespace(files=["examples/seed_001_corrected.toml"], quiet=True, svg=None))  # doctest: +SKIP
    0
    """
    svg = getattr(args, "svg", None)
    if svg is not None and len(args.files) != 1:
        print(f"deltagrad: error: --svg draws one worked example; got {len(args.files)} files", file=sys.stderr)
        return 2
    if svg is not None:
        try:
            report = check_worked_example(args.files[0])
        except WorkedExampleError as e:
            print(f"deltagrad: error: {e}", file=sys.stderr)
            return 2
        err = _draw(report, svg)
        if err:
            print(f"deltagrad: error: {err}", file=sys.stderr)
            return 2
        _print(args.files[0], report, args.quiet)
        if not args.quiet:
            _, _, left_out = graph_expectations(report)
            print(f"wrote {svg}" + (f"; not drawn: {', '.join(left_out)}" if left_out else ""))
        return 0 if report else 1
    if getattr(args, "json", None) and len(args.files) != 1:
        print(f"deltagrad: error: --json grades one answers file; got {len(args.files)} files", file=sys.stderr)
        return 2
    credit = getattr(args, "method_credit", 0.5)
    if not 0 <= credit <= 1:
        print(f"deltagrad: error: --method-credit must be from 0 to 1, got {credit:g}", file=sys.stderr)
        return 2
    status = 0  # the worst of the files: a bad file (2) does not hide the reports of the others
    for path in args.files:
        if _grading(args, path):
            status = max(status, report_grade(path, getattr(args, "json", None), GradingPolicy(method_credit=credit),
                                              args.quiet))
            continue
        try:
            report = check_worked_example(path)
        except WorkedExampleError as e:
            sys.stdout.flush()  # the reports before it come first
            print(f"deltagrad: error: {e}", file=sys.stderr)
            status = 2
            continue
        _print(path, report, args.quiet)
        status = max(status, 0 if report else 1)
    return status


def _print(path: str, report, quiet: bool) -> None:
    text = str(report)
    print(f"{path}: {text.splitlines()[-1]}" if quiet else text, flush=True)


def _draw(report, path: str) -> str | None:
    """Draw ``report``'s engine graph with every claim marked to ``path`` (atomically); an error message or None."""
    from deltagrad import viz
    expected, atol, _left_out = graph_expectations(report)
    try:
        from deltagrad.viz.drawing import Drawing
        from deltagrad.viz.ops_view import ops_source

        # top to bottom: a network's layers stack, so the picture stays narrow (the seed example: 735
        # units wide instead of 8,584 left to right); W.T inside x @ W.T is a ᵀ on W's edge, not a node
        source = ops_source(report.graph, rankdir="TB", expected=expected or None, atol=atol + 1e-12, rtol=1e-9,
                            fold_transpose=True, verdicts=graph_verdicts(report), dim_unclaimed=True)
        Drawing(source).save(path, "svg")
    except OSError as e:
        return f"cannot write {path}: {e.strerror or e}"
    except (ValueError, viz.RendererNotFound, viz.RenderError) as e:
        return f"cannot draw {path}: {e}"
    return None
