"""deltagrad check FILE.toml: every number of a worked backprop example against the engine and its own earlier claims."""

from __future__ import annotations

import argparse
import sys

from deltagrad.check.grading import GradingPolicy, is_answers, report_grade
from deltagrad.check.worked import WorkedExampleError, check_worked_example

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
            "also draw the derivation (one FILE only) to PATH: one box per quantity (z, a, loss, δ, dW, db, "
            "W_new, b_new), a row per layer top to bottom (forward, loss, backward, update), an arrow A → B when "
            "the engine computes B from A. Each box shows the claimed and the engine's number (a matrix as its "
            "shape, first row or entries and largest error) and the verdict of the report: √ right (green), × first "
            "wrong here (red: the step that made the error), ← follows from an earlier error (orange, dashed: "
            "e.g. \"follows from z1\"), ○ not claimed (grey: the engine's number). An answers file is graded "
            "and drawn; an unanswered claim's box shows no number"
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

    With ``svg`` set (one file only), the claim view (`deltagrad.check.claim_graph`,
    `deltagrad.viz.claims_view.claims_source`) is drawn there first, every claim marked as the
    report judges it; a file with no claims still draws (every box "not claimed"), an answers file is
    graded and drawn. A drawing that cannot be written is a one-line error and exit 2.

    >>> run(argparse.Namespace(files=["examples/seed_001_corrected.toml"], quiet=True, svg=None))  # doctest: +SKIP
    0
    """
    svg = getattr(args, "svg", None)
    if svg is not None and len(args.files) != 1:
        print(f"deltagrad: error: --svg draws one worked example; got {len(args.files)} files", file=sys.stderr)
        return 2
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
            draw = None if svg is None else lambda g: _draw(g.report, svg, _unanswered(g), _score_line(g))
            rc = report_grade(path, getattr(args, "json", None), GradingPolicy(method_credit=credit), args.quiet,
                              draw=draw)
            if svg is not None and rc != 2 and not args.quiet:
                print(f"wrote {svg}")
            status = max(status, rc)
            continue
        try:
            report = check_worked_example(path)
        except WorkedExampleError as e:
            sys.stdout.flush()  # the reports before it come first
            print(f"deltagrad: error: {e}", file=sys.stderr)
            status = 2
            continue
        if svg is not None:
            err = _draw(report, svg)
            if err:
                print(f"deltagrad: error: {err}", file=sys.stderr)
                return 2
        _print(path, report, args.quiet)
        if svg is not None and not args.quiet:
            print(f"wrote {svg}")
        status = max(status, 0 if report else 1)
    return status


def _score_line(g) -> str:
    n = sum(c.status == "unanswered" for c in g.claims)
    return f"score {g.score:g} / {g.max_score:g}" + (f"; {n} unanswered" if n else "")


def _unanswered(g) -> dict:
    """{claim: status} of the answers that have no number to compare (their boxes show none)."""
    return {c.key: c.status for c in g.claims if c.status in ("unanswered", "invalid formula", "wrong size")}


def _print(path: str, report, quiet: bool) -> None:
    text = str(report)
    print(f"{path}: {text.splitlines()[-1]}" if quiet else text, flush=True)


def _draw(report, path: str, unanswered=(), summary: str | None = None) -> str | None:
    """Draw ``report``'s claim view to ``path`` (atomically); an error message or None."""
    from deltagrad import viz
    from deltagrad.check.worked_graph import claim_graph
    from deltagrad.viz.claims_view import draw_claims

    try:
        draw_claims(claim_graph(report, unanswered, summary)).save(path, "svg")
    except OSError as e:
        return f"cannot write {path}: {e.strerror or e}"
    except (ValueError, viz.RendererNotFound, viz.RenderError) as e:
        return f"cannot draw {path}: {e}"
    return None
