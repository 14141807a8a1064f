"""worked: check every number of a worked backprop example against the engine and against its own earlier claims.

A worked example is a TOML file (or the same structure as a dict)::

    [network]
    sizes = [2, 3, 1]               # input size, hidden sizes..., output size
    activations = ["relu", "relu"]  # one per layer 1..L: sigmoid, tanh, relu, linear; softmax (last layer only)
    loss = "half_mse"               # "mse": mean of (a - y)² over outputs and samples
                                    # "half_mse": ½·Σ_outputs (a - y)², mean over samples
                                    # "cross_entropy": softmax (one-hot y) or sigmoid (binary) last layer
    learning_rate = 0.1             # needed only for claims of updated weights

    [data]
    x = [0.05, 0.10]                # one sample, or a list of samples (rows)
    y = [0.01]

    [parameters]                    # z = W a + b, W of shape (n_out, n_in); b of shape (n_out,)
    W1 = [[0.15, 0.20], [0.25, 0.30], [0.35, 0.40]]
    b1 = [0.35, 0.35, 0.35]
    W2 = [[0.40, 0.45, 0.50]]
    b2 = [0.60]

    [claims]                        # the numbers the derivation prints; every key optional
    z1 = [0.3775, 0.3925, 0.4075]   # z1..zL, a1..aL: forward values, shape (n,) or (samples, n)
    loss = 0.6287                   # the loss
    delta2 = 1.1214                 # δ = ∂L_i/∂z per sample (for a mean over samples: m · ∂L/∂z)
    dW2 = [0.4233, 0.4401, 0.4570]  # dW1.., db1..: gradients of L, shape of W and b
    W2_new = [0.3577, 0.4060, 0.4543]  # W1_new.., b1_new..: after one step W - lr·dW

A claim may be printed in any shape with the right number of elements (a column, or a flat list
read row-major). Its tolerance follows the digits printed: 0.5146 means ±0.00005, 1.2e-3 means
±0.05e-3; an integer literal is exact. (From a dict, digits come from ``repr`` -- pass strings
such as "0.50" to keep trailing zeros.)

Each claim is checked (1) against the engine (the network built from Tensor ops, one backward)
and (2) against the value implied by the derivation's *own* earlier claims (a1 from the claimed
z1, δ1 from the claimed δ2 and W2, W_new from the claimed dW ...), so an error is pinned to the
step that made it: "first wrong here" when the claim matches neither, "follows from the earlier
error" when it is what the earlier (wrong) claims imply.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from deltagrad.autograd import topo_order

from .worked_math import claim_order, engine_graph, engine_values, implied
from .worked_parse import WorkedExampleError, load_worked_example
from .worked_parse import line_of as _line_of
from .worked_parse import numbers as _numbers
from .worked_parse import parse as _parse

__all__ = ["ClaimResult", "WorkedExampleError", "WorkedReport", "check_loaded", "check_worked_example",
           "graph_expectations", "graph_verdicts", "load_worked_example"]


@dataclass
class ClaimResult:
    """One claim: what was printed, what the engine and the earlier claims give, and the verdict.

    ``verdict`` is "OK", "first wrong here" or "follows from the earlier error"; ``wrong`` lists
    the indices of the elements that differ from the engine.
    """

    key: str
    step: str
    claimed: np.ndarray
    tol: np.ndarray
    engine: np.ndarray
    implied: np.ndarray
    ok: bool
    verdict: str
    wrong: list = field(default_factory=list)
    note: str = ""
    line: int | None = None
    rounding: bool = False  # wrong, but within the rounding of the claims before it (printed with fewer digits)


@dataclass
class WorkedReport:
    """The results in the order of the derivation; truthy when every claim holds.

    ``graph`` is the engine's loss node (after its backward) and ``nodes`` its named nodes (x, y,
    W1, b1, z1, a1, ..., loss), for drawing: see `graph_expectations`. ``engine`` holds the
    engine's value of every claimable quantity (claimed or not; δ per sample, as claimed) and
    ``network`` is ``(sizes, activations, loss, learning_rate)``: see `deltagrad.check.claim_graph`.
    """

    source: str
    summary: str
    results: list[ClaimResult] = field(default_factory=list)
    graph: object = None
    nodes: dict = field(default_factory=dict, repr=False)
    engine: dict = field(default_factory=dict, repr=False)
    network: tuple = ()

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def __bool__(self) -> bool:
        return self.ok

    def __getitem__(self, key: str) -> ClaimResult:
        return next(r for r in self.results if r.key == key)

    @property
    def first_wrong(self) -> ClaimResult | None:
        """The earliest claim that is wrong on its own (not by inheritance), or None."""
        return next((r for r in self.results if r.verdict == "first wrong here"), None)

    def __str__(self) -> str:
        lines = [f"{self.source}: {self.summary}"]
        for r in self.results:
            where = f" (line {r.line})" if r.line else ""
            lines.append(f"{r.key:<9} {r.step:<30} {'OK' if r.ok else 'WRONG'}{'' if r.ok else ': ' + r.verdict}{where}")
            if not r.ok or r.note:
                lines.append(f"{'':<10}claimed {_show(r.claimed)}  (± {_show(r.tol, 1)})")
                lines.append(f"{'':<10}engine  {_show(r.engine)}")
                lines.append(f"{'':<10}from the claims before it  {_show(r.implied)}")
                if r.wrong and r.claimed.size > 1:
                    lines.append(f"{'':<10}wrong elements: {', '.join(map(str, r.wrong))}")
            if r.note:
                lines.append(f"{'':<10}{r.note}")
        if not self.results:
            lines.append("no claims to check: [claims] is empty or missing (nothing was compared)")
            return "\n".join(lines)
        n_bad = sum(not r.ok for r in self.results)
        first = [r.key for r in self.results if r.verdict == "first wrong here"]
        tail = f"; first wrong step: {first[0]}" if first else ""
        if len(first) > 1:
            tail += f"; independent errors also at {', '.join(first[1:])}"
        lines.append(f"{len(self.results)} claims: {len(self.results) - n_bad} OK, {n_bad} WRONG{tail}")
        return "\n".join(lines)


def _show(a: np.ndarray, digits: int = 6) -> str:
    f = lambda v: f"{v:.{digits}g}"
    if a.ndim == 0 or a.size == 1:
        return f(float(a.reshape(())))
    if a.ndim == 1:
        return "[" + ", ".join(map(f, a)) + "]"
    return "[" + "; ".join(", ".join(map(f, row)) for row in a.reshape(a.shape[0], -1)) + "]"


def check_worked_example(path_or_dict: str | os.PathLike | Mapping) -> WorkedReport:
    """Check every claim of a worked example (format: this module's docstring); returns a `WorkedReport`.

    Raises:
        WorkedExampleError: for a file that cannot be read or a malformed example -- the message
            names the file, the line and the key, e.g. ``ex.toml:12: claims.z1: 2 numbers, expected 3``.

    >>> r = check_worked_example({"network": {"sizes": [1, 1], "activations": ["linear"], "loss": "half_mse"},
    ...     "data": {"x": [2.0], "y": [1.0]}, "parameters": {"W1": [[0.5]], "b1": [0.0]},
    ...     "claims": {"z1": 1.0, "loss": 0.0, "dW1": 0.0}})
    >>> bool(r), r.first_wrong is None
    (True, True)
    """
    doc, text, name = load_worked_example(path_or_dict)
    return check_loaded(doc, text, name, isinstance(path_or_dict, Mapping))


def check_loaded(doc: Mapping, text: str, name: str, strings: bool) -> WorkedReport:
    """`check_worked_example` on an example already read by `load_worked_example`.

    ``text`` (the file's text, or "") gives the line numbers of messages and results; ``strings``:
    whether numbers may be written as strings (a dict's way to keep trailing zeros). Used by the
    grader, which replaces formula answers by their values and leaves unanswered claims out.
    """

    def fail(section: str, key: str | None, msg: str):
        line = _line_of(text, section, key) if text else None
        loc = f"{name}:{line}" if line else name
        raise WorkedExampleError(f"{loc}: {section}{'.' + key if key else ''}: {msg}")

    net, params, xs, ys, lr = _parse(doc, fail, strings)
    sizes, acts, loss = net
    m = xs.shape[0]
    shapes = {"loss": ()}
    for l in range(1, len(sizes)):
        shapes.update({f"z{l}": (m, sizes[l]), f"a{l}": (m, sizes[l]), f"delta{l}": (m, sizes[l]),
                       f"dW{l}": (sizes[l], sizes[l - 1]), f"db{l}": (sizes[l],),
                       f"W{l}_new": (sizes[l], sizes[l - 1]), f"b{l}_new": (sizes[l],)})
    claims_doc = doc.get("claims", {})
    if not isinstance(claims_doc, Mapping):
        fail("claims", None, "must be a table")
    claims = {}
    for key, raw in claims_doc.items():
        if key not in shapes:
            fail("claims", key, f"unknown claim; expected one of {', '.join(claim_order(len(sizes) - 1))}")
        if key.endswith("_new") and lr is None:
            fail("network", None, f"claims.{key} is an updated weight: give network.learning_rate")
        arr, tol = _numbers(raw, lambda msg, k=key: fail("claims", k, msg), strings)
        want = shapes[key]
        if arr.size != max(1, math.prod(want)):
            fail("claims", key, f"{arr.size} numbers, expected {math.prod(want)} (shape {want[1:] if m == 1 and len(want) == 2 and key[0] in 'zad' else want})")
        claims[key] = (arr.reshape(want), tol.reshape(want), arr.shape)
    root, nodes = engine_graph(sizes, acts, loss, params, xs, ys)
    eng = engine_values(sizes, acts, loss, params, xs, ys, lr, (root, nodes))
    base = {"x": xs, "y": ys, **params}
    report = WorkedReport(name, f"{'-'.join(map(str, sizes))} network ({', '.join(acts)}), {loss}"
                          + (f", learning rate {lr:g}" if lr is not None else "") + f", {m} sample{'s' * (m > 1)}",
                          graph=root, nodes=nodes, engine=eng, network=(list(sizes), list(acts), loss, lr))
    derived, dtol, roots = dict(base), {}, {}
    for key in claim_order(len(sizes) - 1):
        if lr is None and key.endswith("_new"):
            continue
        inputs, fn = implied(key, sizes, acts, loss, lr)
        value = fn(derived)
        bound, loose = _bound(fn, derived, dtol, inputs, value)
        roots[key] = set().union(*[roots.get(k, set()) for k in inputs])  # the first-wrong claims it rests on
        if key not in claims:
            derived[key], dtol[key] = value, bound
            continue
        c, t, printed = claims[key]
        e = eng[key]
        slack = t + 1e-9 * np.maximum(1.0, np.abs(e)) + 1e-12
        bad = ~(np.abs(c - e) <= slack)  # an engine nan (or inf) never confirms a claim
        near = np.abs(c - value) <= t + 1e-9 * np.maximum(1.0, np.abs(value)) + 1e-12
        follows, within = bool(np.all(near)), bool(np.all(np.abs(c - value) <= t + bound + 1e-9))
        ok = not bad.any()
        note, rounding = "", False
        if printed != c.shape and len(printed) != 0 and math.prod(printed) > 1 and sum(s > 1 for s in printed) > 1 or (
                len(printed) == 1 and sum(s > 1 for s in c.shape) > 1):
            note = f"printed with shape {printed}, read row-major as {c.shape}"
        if ok:
            verdict = "OK"
            if not within:
                note = (note + "; " if note else "") + "matches the engine though not the claims before it"
            roots[key] = set()
        elif follows:
            culprits = sorted(roots[key], key=claim_order(len(sizes) - 1).index)
            verdict = "follows from the earlier error" + (f" at {', '.join(culprits)}" if culprits else "")
        else:
            verdict, roots[key] = "first wrong here", {key}
            rounding = bool(within and loose)
            if within and loose:
                note = (note + "; " if note else "") + (f"unless the author carried more digits of "
                                                        f"{', '.join(loose)} than printed")
            elif near.any() and c.size > 1:
                idx = [i for i, v in enumerate(near.reshape(-1)) if v]
                note = (note + "; " if note else "") + (f"element(s) {', '.join(map(str, idx))} (row-major) do "
                                                        "follow from the claims before it; the rest do not")
        wrong = [tuple(int(i) for i in ix) if len(ix) > 1 else int(ix[0]) for ix in np.argwhere(bad.reshape(printed))] \
            if c.size > 1 else []
        report.results.append(ClaimResult(key, _step(key, acts, loss), c, t, e, value, ok, verdict, wrong, note,
                                          _line_of(text, "claims", key) if text else None,
                                          not ok and (rounding if verdict == "first wrong here" else not roots[key])))
        derived[key], dtol[key] = c, t
    return report


def graph_expectations(report: WorkedReport) -> tuple[dict, float, list[str]]:
    """Every claim of ``report`` as an ``expected=`` mark on the engine's graph (``viz.draw(report.graph, ...)``).

    z_l, a_l and loss claims are the expected ``data`` of their node; δ_l the expected ``grad`` of z_l
    (δ is per sample, m·∂L/∂z, so it is divided by the m samples); dW_l and db_l the expected ``grad``
    of W_l and b_l. Returns ``(expected, atol, left_out)``: ``expected`` maps nodes to
    ``{"data"|"grad": array}``; ``atol`` is the largest tolerance among those claims (the drawing
    takes one tolerance for all nodes, so a claim printed with more digits is marked against the
    loosest one); ``left_out`` names the claims with no node, each with the reason (updated weights
    W_new/b_new are never nodes; a_L is not on the loss's path when the loss is computed from z_L).

    >>> r = check_worked_example({"network": {"sizes": [1, 1], "activations": ["linear"], "loss": "half_mse",
    ...     "learning_rate": 0.1}, "data": {"x": [2.0], "y": [1.0]}, "parameters": {"W1": [[0.5]], "b1": [0.0]},
    ...     "claims": {"z1": 1, "dW1": "0.00", "W1_new": 0.5}})
    >>> expected, atol, left_out = graph_expectations(r)
    >>> sorted(n.label for n in expected), atol, left_out
    (['W1', 'z1 = a1'], 0.005, ['W1_new (an updated weight: no node in the graph)'])
    """
    expected, atol, left_out, _ = _graph_marks(report)
    return expected, atol, left_out


def graph_verdicts(report: WorkedReport) -> dict:
    """The report's verdict on every claim drawn by `graph_expectations`, for ``ops_source(verdicts=...)``.

    Returns ``{node: {"data"|"grad": (kind, note)}}`` on the same nodes and fields as the expected
    marks: ``kind`` is ``"ok"``, ``"first wrong"`` (wrong on its own: the step that made the error)
    or ``"follows"`` (wrong, but what the earlier wrong claims imply); ``note`` says it in words,
    e.g. ``"first wrong here (z1)"`` or ``"follows from z1"``. The verdicts are the text report's
    (`ClaimResult` ``.verdict``, with each claim's own printed tolerance), so the picture
    says what the report says.

    >>> r = check_worked_example({"network": {"sizes": [1, 1], "activations": ["linear"], "loss": "half_mse"},
    ...     "data": {"x": [2.0], "y": [1.0]}, "parameters": {"W1": [[0.5]], "b1": [0.0]},
    ...     "claims": {"z1": 1.5, "loss": 0.125, "dW1": 0.0}})
    >>> marks = graph_verdicts(r)
    >>> sorted((n.label, f, v) for n, fs in marks.items() for f, v in fs.items())  # doctest: +NORMALIZE_WHITESPACE
    [('W1', 'grad', ('ok', 'right')), ('loss', 'data', ('follows', 'follows from z1')),
     ('z1 = a1', 'data', ('first wrong', 'first wrong here (z1)'))]
    """
    return _graph_marks(report)[3]


def _verdict(r: ClaimResult) -> tuple[str, str]:
    if r.ok:
        return "ok", "right"
    if r.verdict == "first wrong here":
        return "first wrong", f"first wrong here ({r.key})"
    culprits = r.verdict.partition(" at ")[2]
    return "follows", f"follows from {culprits}" if culprits else "follows from an earlier error"


def _graph_marks(report: WorkedReport) -> tuple[dict, float, list[str], dict]:
    """The expected marks, tolerance, left-out claims and verdicts (`graph_expectations`, `graph_verdicts`)."""
    on_graph = set(map(id, topo_order(report.graph))) if report.graph is not None else set()
    m = report.nodes["x"].data.shape[0] if "x" in report.nodes else 1
    expected: dict = {}
    verdicts: dict = {}
    off: dict = {}  # (node, field) -> |claimed - engine|, to keep the worse of two claims on one node
    atol, left_out = 0.0, []
    for r in report.results:
        kind = r.key.rstrip("0123456789")
        if r.key.endswith("_new"):
            left_out.append(f"{r.key} (an updated weight: no node in the graph)")
            continue
        if kind in ("z", "a", "loss"):
            name, fld, want, tol = r.key, "data", r.claimed, r.tol
        elif kind == "delta":
            name, fld, want, tol = "z" + r.key[5:], "grad", r.claimed / m, r.tol / m
        else:  # dW, db
            name, fld, want, tol = r.key[1:], "grad", r.claimed, r.tol
        node = report.nodes.get(name)
        if node is None or id(node) not in on_graph:
            left_out.append(f"{r.key} (not on the loss's path: the loss is computed from z)")
            continue
        miss = float(np.max(np.abs(want - np.asarray(getattr(node, fld)))))
        if off.get((id(node), fld), -1.0) >= miss:
            continue
        off[(id(node), fld)] = miss
        expected.setdefault(node, {})[fld] = want
        verdicts.setdefault(node, {})[fld] = _verdict(r)
        atol = max(atol, float(np.max(tol)) if np.size(tol) else 0.0)
    return expected, atol, left_out, verdicts


def _bound(fn, derived, dtol, inputs, value) -> tuple[np.ndarray, list]:
    """First-order bound on how much ``fn`` moves when its inputs move within their printed rounding."""
    bound, loose = np.zeros_like(value, dtype=float), []
    for k in inputs:
        t = dtol.get(k)
        if t is None or not np.any(t):
            continue
        loose.append(k)
        for ix in zip(*np.nonzero(t)):
            moved = dict(derived)
            moved[k] = derived[k].copy()
            moved[k][ix] += t[ix]
            bound = bound + np.abs(fn(moved) - value)
    return bound, loose


def _step(key: str, acts: list, loss: str) -> str:
    l = re.sub(r"\D", "", key)
    prev = "x" if l == "1" else f"a{int(l) - 1}" if l else ""
    if key == "loss":
        return f"{loss}(a{len(acts)}, y)"
    return {"z": f"W{l}·{prev} + b{l}", "a": f"{acts[int(l) - 1] if l else ''}(z{l})",
            "d": f"δ{l} = ∂L/∂z{l}" if key.startswith("delta") else f"∂L/∂{key[1:]} = δ{l} {'· ' + prev + 'ᵀ' if key[1] == 'W' else ''}",
            "W": f"W{l} - lr·dW{l}", "b": f"b{l} - lr·db{l}"}[key[0]]
