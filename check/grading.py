"""grading: score a filled-in answers file -- the checker's step-local verdicts, partial credit, Gradescope JSON.

An answers file is a worked example (the ``deltagrad check`` format) whose claims are the student's
answers. A claim written as an empty string (``z1 = ""``) or an empty list is **unanswered**; a claim
written as a string that is not a number is a **formula** (`deltagrad.check.formula`); a number
may also be written as a string (``"0.50"``). Each claim is worth ``policy.points`` and earns
(`GradingPolicy`, every credit a fraction of the points):

- ``1`` when it is right (the engine's number within the digits printed; a formula right at every point);
- ``rounding_credit`` (default 1) when it is wrong only because the claims before it were rounded
  (it follows from them within their printed digits, and they are right);
- ``method_credit`` (default 0.5) when it is wrong but follows correctly from the student's own
  earlier error ("follows from the earlier error at z1");
- ``coincidence_credit`` (default 0) for a formula right at the exercise's numbers only by coincidence;
- ``0`` when it is the first wrong step, unanswered, or printed with fewer decimals than
  ``[source] decimals`` asks for (an exercise's answers file says how many).
"""

from __future__ import annotations

import html
import json
import math
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from deltagrad.autograd.expr import ExprError, parse

from .formula import FORMULA_FUNCTIONS, FormulaResult, canonical, check_formula, columns, evaluate
from .worked import WorkedReport, check_loaded
from .worked_math import claim_order, engine_values, implied
from .worked_parse import WorkedExampleError, _Printed, _tol, load_worked_example
from .worked_parse import line_of as _line_of
from .worked_parse import parse as _parse


@dataclass(frozen=True)
class GradingPolicy:
    """Points per claim and the fraction of them each kind of partial answer earns (see the module docstring).

    Raises:
        ValueError: a credit outside [0, 1] or negative points.

    >>> GradingPolicy(points=2, method_credit=0.25)
    GradingPolicy(points=2, method_credit=0.25, rounding_credit=1.0, coincidence_credit=0.0)
    """

    points: float = 1.0
    method_credit: float = 0.5
    rounding_credit: float = 1.0
    coincidence_credit: float = 0.0

    def __post_init__(self):
        for name in ("points", "method_credit", "rounding_credit", "coincidence_credit"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0 or (
                    name != "points" and v > 1):
                raise ValueError(f"GradingPolicy: {name} must be a number in [0, 1] (points: >= 0), got {v!r}")


@dataclass
class GradedClaim:
    """One answer: ``status`` is right, rounding, method, coincidence, wrong, too few decimals, wrong size,
    invalid formula or unanswered; ``output`` says why, ``line`` is its line in the file."""

    key: str
    score: float
    max_score: float
    status: str
    output: str
    line: int | None = None


@dataclass
class Grade:
    """A graded answers file: ``score`` of ``max_score``, one `GradedClaim` per claim, the checker's report."""

    source: str
    claims: list[GradedClaim] = field(default_factory=list)
    report: WorkedReport | None = field(default=None, repr=False)
    policy: GradingPolicy = field(default_factory=GradingPolicy)

    @property
    def score(self) -> float:
        return round(sum(c.score for c in self.claims), 6)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_score for c in self.claims), 6)

    @property
    def ok(self) -> bool:
        """Every claim answered and right."""
        return all(c.status == "right" for c in self.claims)

    def __getitem__(self, key: str) -> GradedClaim:
        return next(c for c in self.claims if c.key == key)

    def __str__(self) -> str:
        lines = [f"{self.source}: score {self.score:g} / {self.max_score:g}"]
        for c in self.claims:
            where = f" (line {c.line})" if c.line else ""
            lines.append(f"{c.key:<9} {c.score:>5g} / {c.max_score:<5g} {c.status:<16} {c.output}{where}")
        n = {s: sum(c.status == s for c in self.claims) for s in ("unanswered",)}
        lines.append(f"{len(self.claims)} claims, {n['unanswered']} unanswered; credit: method "
                     f"{self.policy.method_credit:g}, rounding {self.policy.rounding_credit:g}, "
                     f"coincidence {self.policy.coincidence_credit:g} of {self.policy.points:g} point(s) each")
        return "\n".join(lines)

    def gradescope(self) -> dict:
        """Gradescope's ``results.json``: ``score``, ``max_score``, ``output`` and one test per claim."""
        return {"score": self.score, "max_score": self.max_score, "output": str(self).splitlines()[0],
                "tests": [{"name": c.key, "score": c.score, "max_score": c.max_score,
                           "status": "passed" if c.status == "right" else "failed",
                           "output": f"{c.status}: {c.output}"} for c in self.claims]}

    def write_gradescope(self, path: str | os.PathLike) -> None:
        """Write `gradescope` to ``path`` as JSON (atomically: a temporary file, then a rename)."""
        write_atomic(path, json.dumps(self.gradescope(), indent=2, ensure_ascii=False) + "\n")

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td><code>{html.escape(c.key)}</code></td><td>{c.score:g} / {c.max_score:g}</td>"
                       f"<td>{html.escape(c.status)}</td><td>{html.escape(c.output)}</td></tr>" for c in self.claims)
        return (f"<p><b>{html.escape(self.source)}</b>: score {self.score:g} / {self.max_score:g}</p>"
                f"<table><tr><th>claim</th><th>score</th><th>status</th><th>detail</th></tr>{rows}</table>")


def write_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename (never half-written).

    Raises:
        OSError: the folder does not exist or cannot be written (no file is left behind).

    >>> import tempfile, pathlib; p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> write_atomic(p, "hi\\n"); p.read_text()
    'hi\\n'
    """
    path = os.fspath(path)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def is_answers(path_or_dict) -> bool:
    """Whether a worked example has an unanswered claim or a formula (so ``deltagrad check`` grades it).

    >>> is_answers({"claims": {"z1": ""}}), is_answers({"claims": {"z1": "0.5"}})
    (True, False)
    """
    doc, _, _ = load_worked_example(path_or_dict)
    claims = doc.get("claims", {})
    return isinstance(claims, Mapping) and any(_unanswered(v) or isinstance(v, str) and _number(v) is None
                                               for v in claims.values())


def _unanswered(v) -> bool:
    return (isinstance(v, str) and not v.strip()) or (isinstance(v, list) and not v)


def _as_numbers(raw):
    """Numbers written as strings ("0.50", also inside lists) as numbers that keep their printed digits."""
    if isinstance(raw, list):
        return [_as_numbers(v) for v in raw]
    if isinstance(raw, str):
        v = _number(raw)
        return raw if v is None else v
    return raw


def _size(raw) -> int | None:
    """How many numbers a claim holds (None if it is not a number or a nested list of them)."""
    if isinstance(raw, list):
        sizes = [_size(v) for v in raw]
        return None if any(s is None for s in sizes) else sum(sizes)
    return 1 if isinstance(raw, (int, float)) and not isinstance(raw, bool) else None


def _number(text: str) -> _Printed | None:
    try:
        v = _Printed(text.strip().replace("_", ""))
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def grade(path_or_dict: str | os.PathLike | Mapping, policy: GradingPolicy | None = None) -> Grade:
    """Grade a filled-in answers file (a worked example; see the module docstring for the credit).

    A formula that cannot be parsed, uses a name it may not, has shapes that do not fit or is not
    finite scores 0 as ``"invalid formula"``, and a list of numbers of the wrong length 0 as ``"wrong
    size"``, each with the reason (the rest of the file is still graded, and the steps after it are
    checked as if it were unanswered).

    Raises:
        WorkedExampleError: a file that cannot be read or a malformed example (file, line and key).

    >>> g = grade({"network": {"sizes": [1, 1], "activations": ["sigmoid"], "loss": "half_mse"},
    ...     "data": {"x": [2.0], "y": [1.0]}, "parameters": {"W1": [[0.5]], "b1": [-0.5]},
    ...     "claims": {"z1": "0.6", "a1": "sigmoid(z1)", "delta1": "", "dW1": "delta1 * 2"}})
    >>> [(c.key, c.score, c.status) for c in g.claims]
    [('z1', 0.0, 'wrong'), ('a1', 1.0, 'right'), ('delta1', 0.0, 'unanswered'), ('dW1', 0.0, 'coincidence')]
    """
    policy = policy or GradingPolicy()
    doc, text, name = load_worked_example(path_or_dict)
    strings = isinstance(path_or_dict, Mapping)

    def fail(section, key, msg):
        line = _line_of(text, section, key) if text else None
        raise WorkedExampleError(f"{name}{':' + str(line) if line else ''}: {section}{'.' + key if key else ''}: {msg}")

    net, params, x, y, lr = _parse(doc, fail, strings)
    claims_doc = doc.get("claims", {})
    if not isinstance(claims_doc, Mapping):
        fail("claims", None, "must be a table")
    order = claim_order(len(net[0]) - 1)
    asked = _asked_decimals(doc)
    kept, formulas, unanswered, invalid = {}, {}, [], {}
    shapes = {k: np.shape(v) for k, v in engine_values(*net, params, x, y, lr).items()}
    for key, raw in claims_doc.items():
        if _unanswered(raw):
            unanswered.append(key)
        elif isinstance(raw, str) and _number(raw) is None:
            if key not in order or key.endswith("_new") and lr is None:
                kept[key] = raw  # the checker names the problem
                continue
            try:
                formulas[key] = check_formula(key, raw, net, params, x, y, lr)
            except (ExprError, ValueError, RecursionError, MemoryError) as e:
                invalid[key] = f"formula {raw!r} cannot be evaluated: {e or 'too deeply nested'}"
        else:
            kept[key] = _as_numbers(raw)
            size = _size(kept[key])
            want = shapes.get(key)
            if size is not None and want is not None and size != max(1, math.prod(want)):
                invalid[key] = f"{size} number{'s' * (size != 1)}, expected {max(1, math.prod(want))}"
                del kept[key]
    for key, value in _chain_values(net, params, x, y, lr, kept, formulas).items():
        kept[key] = value.tolist()  # a formula on the student's own earlier values, so what follows can follow
    report = check_loaded({**doc, "claims": kept}, text, name, False)
    out = Grade(name, report=report, policy=policy)
    results = {r.key: r for r in report.results}
    for key in sorted(claims_doc, key=lambda k: order.index(k) if k in order else len(order)):
        line = _line_of(text, "claims", key) if text else None
        if key in unanswered:
            out.claims.append(GradedClaim(key, 0.0, policy.points, "unanswered", "no answer given", line))
            continue
        if key in invalid:
            status = "invalid formula" if invalid[key].startswith("formula") else "wrong size"
            out.claims.append(GradedClaim(key, 0.0, policy.points, status, invalid[key], line))
            continue
        out.claims.append(_score(results[key], formulas.get(key), claims_doc[key], asked, policy, line))
    return out


def _chain_values(net, params, x, y, lr, kept: dict, formulas: dict) -> dict:
    """Each formula evaluated on the student's own earlier values (claims, else what they imply), in order."""
    sizes, acts, loss = net
    L, m = len(sizes) - 1, x.shape[0]
    student, out = {"x": x, "y": y, **params}, {}
    shapes = {k: np.shape(v) for k, v in engine_values(sizes, acts, loss, params, x, y, lr).items()}
    for key in claim_order(L):
        if key.endswith("_new") and lr is None:
            continue
        if key in formulas:
            tree = parse(formulas[key].text, functions=FORMULA_FUNCTIONS, matmul=True)
            try:
                value = canonical(key, evaluate(tree, columns(student, m, lr)), shapes[key])
            except (ValueError, RecursionError):
                value = formulas[key].value
            if not np.all(np.isfinite(value)):  # e.g. log of the student's own negative number
                value = formulas[key].value
            out[key] = student[key] = value
            continue
        if key in kept:
            try:
                arr = np.asarray(kept[key], dtype=float)
            except (TypeError, ValueError):
                arr = None
            if arr is not None and arr.size == max(1, math.prod(shapes[key])):
                student[key] = arr.reshape(shapes[key])
                continue
        student[key] = implied(key, sizes, acts, loss, lr)[1](student)
    return out


def _asked_decimals(doc: Mapping) -> int | None:
    v = doc.get("source", {}).get("decimals") if isinstance(doc.get("source"), Mapping) else None
    return v if type(v) is int and 0 <= v <= 17 else None


def _score(r, formula: FormulaResult | None, raw, asked: int | None, policy: GradingPolicy, line) -> GradedClaim:
    p = policy.points
    engine = _short(r.engine)
    if formula is not None:
        if formula.status == "coincidence":
            return GradedClaim(r.key, p * policy.coincidence_credit, p, "coincidence",
                               f"formula {formula.text!r}: {formula.detail}", line)
        if formula.status == "right":
            return GradedClaim(r.key, p, p, "right", f"formula {formula.text!r} is right at every point tried", line)
    if r.ok:
        if formula is None and asked is not None and _too_coarse(raw, asked):
            return GradedClaim(r.key, 0.0, p, "too few decimals",
                               f"{_short(r.claimed)} is printed with fewer than the {asked} decimals asked for", line)
        return GradedClaim(r.key, p, p, "right", f"{_short(r.claimed)} (engine {engine})", line)
    what = f"formula {formula.text!r} gives {_short(r.claimed)}" if formula is not None else _short(r.claimed)
    if r.rounding:
        return GradedClaim(r.key, p * policy.rounding_credit, p, "rounding",
                           f"{what}, the engine {engine}: it follows from your rounded earlier answers", line)
    if r.verdict.startswith("follows"):
        return GradedClaim(r.key, p * policy.method_credit, p, "method",
                           f"{what}, the engine {engine}: wrong, but it {r.verdict} (method credit)", line)
    return GradedClaim(r.key, 0.0, p, "wrong", f"{what}, the engine {engine}: first wrong here"
                       + (f" ({r.note})" if r.note else ""), line)


def _too_coarse(raw, asked: int) -> bool:
    need = 0.5 * 10.0 ** -asked
    flat = raw if isinstance(raw, list) else [raw]
    while flat and isinstance(flat[0], list):
        flat = [v for row in flat for v in row]
    return any(not isinstance(v, (bool, int)) and _tol(_number(v) if isinstance(v, str) else v) > need * (1 + 1e-9)
               for v in flat)


def _short(a) -> str:
    flat = np.asarray(a, dtype=float).reshape(-1)
    text = ", ".join(f"{v:.6g}" for v in flat)
    return text if flat.size == 1 else f"[{text}]"


def report_grade(path: str, json_path: str | None = None, policy: GradingPolicy | None = None,
                 quiet: bool = False, draw=None) -> int:
    """``deltagrad check`` on an answers file: print the checker's report and the grade, write ``json_path``.

    ``draw`` (optional) is called with the `Grade` before anything is printed or written
    (``deltagrad check --svg`` draws the claim view there); it returns an error message or None.

    Returns the exit status: 0 every claim answered and right, 1 otherwise, 2 a file that cannot be
    read, a drawing that fails or a ``json_path`` that cannot be written -- one error line on stderr.

    >>> report_grade("examples/tiny_neuron.toml", quiet=True)  # doctest: +SKIP
    examples/tiny_neuron.toml: score 8 / 8
    0
    """
    import sys
    try:
        g = grade(path, policy)
    except WorkedExampleError as e:
        sys.stdout.flush()
        print(f"deltagrad: error: {e}", file=sys.stderr)
        return 2
    err = draw(g) if draw is not None else None
    if err:
        print(f"deltagrad: error: {err}", file=sys.stderr)
        return 2
    if json_path is not None:
        try:
            g.write_gradescope(json_path)
        except OSError as e:
            print(f"deltagrad: error: cannot write {json_path}: {e.strerror or e}", file=sys.stderr)
            return 2
    if quiet:
        print(f"{path}: score {g.score:g} / {g.max_score:g}", flush=True)
    else:
        if g.report is not None and g.report.results:
            print(str(g.report))
        print(str(g), flush=True)
        if json_path is not None:
            print(f"wrote {json_path}")
    return 0 if g.ok else 1
