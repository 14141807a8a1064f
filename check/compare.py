"""compare: hand-derived gradients against the engine's, with a diagnosis of *how* they differ."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Grads = Mapping[str, Any] | Callable[..., Any]


@dataclass
class CompareRow:
    """One named quantity: shapes, how many elements differ, the worst one, and what the difference looks like."""

    name: str
    hand_shape: tuple | None
    engine_shape: tuple | None
    ok: bool
    mismatches: int = 0
    index: tuple | None = None
    hand_value: float = math.nan
    engine_value: float = math.nan
    factor: float | None = None
    diagnosis: str = ""


@dataclass
class CompareReport:
    """Rows per name plus findings across them; truthy when every row matches. ``str()`` is the report."""

    rows: list[CompareRow] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    atol: float = 1e-6
    rtol: float = 1e-4

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    def __bool__(self) -> bool:
        return self.ok

    def __getitem__(self, name: str) -> CompareRow:
        return next(r for r in self.rows if r.name == name)

    def __str__(self) -> str:
        head = (f"{'name':<10} {'hand shape':>11} {'engine shape':>12}  {'status':<8} {'worst at':<10} "
                f"{'hand':>12} {'engine':>12}  diagnosis")
        lines = [head]
        for r in self.rows:
            hs, es = _shape_text(r.hand_shape), _shape_text(r.engine_shape)
            status = "ok" if r.ok else f"{r.mismatches} diff" if r.mismatches else "DIFF"
            where = "—" if r.ok else "" if r.index is None else str(r.index)  # a matching row has no "worst"
            lines.append(f"{r.name:<10} {hs:>11} {es:>12}  {status:<8} {where:<10} {r.hand_value:>12.6g} "
                         f"{r.engine_value:>12.6g}  {r.diagnosis}")
        lines.append(("all match" if self.ok else f"{sum(not r.ok for r in self.rows)} of {len(self.rows)} differ")
                     + f" (|hand - engine| <= {self.atol:g} + {self.rtol:g}·|engine|)")
        lines.extend(f"=> {f}" for f in self.findings)
        return "\n".join(lines)


def _shape_text(s: tuple | None) -> str:
    return "-" if s is None else "(" + ",".join(map(str, s)) + ")"


def _arrays(grads: Grads, names: Sequence[str] | None, args: tuple, who: str) -> dict[str, np.ndarray]:
    out = grads(*args) if callable(grads) else grads
    if not isinstance(out, Mapping):
        seq = list(out) if isinstance(out, (tuple, list)) else [out]
        if names is None or len(names) != len(seq):
            raise ValueError(f"compare_grads: {who} returned {len(seq)} values; pass names= with one name each")
        out = dict(zip(names, seq))
    result = {}
    for k, v in out.items():
        v = v.grad if hasattr(v, "grad") and hasattr(v, "parents") else v  # a node: use its gradient
        result[str(k)] = np.asarray(getattr(v, "data", v), dtype=np.float64)
    return result


def _close(h: np.ndarray, e: np.ndarray, atol: float, rtol: float) -> np.ndarray:
    return (np.abs(h - e) <= atol + rtol * np.abs(e)) | (h == e)


def _fmt(c: float) -> str:
    k = round(c)
    if abs(c - k) < 1e-9 * max(1, abs(c)):
        return str(int(k))
    if c != 0 and abs(1 / c - round(1 / c)) < 1e-9 * abs(1 / c) and abs(c) < 0.5:
        return f"{'-' if c < 0 else ''}1/{abs(round(1 / c))}"
    return f"{c:.6g}"


def _explain(c: float, m: int | None) -> str:
    """What a constant ratio hand/engine usually means in a backprop derivation."""
    s, a = ("a sign error and ", abs(c)) if c < 0 else ("", c)
    near = lambda x, y: abs(x - y) <= 1e-6 * abs(y)
    why = []
    if near(a, 1.0):
        return "a sign: (y − ŷ) where (ŷ − y) is meant, or the descent step −∇ reported as the gradient"
    if near(a, 0.5):
        why.append("the hand derivation differentiates ½·MSE (the ½ convention) where the engine's loss is MSE, "
                   "i.e. it drops the 2 of d(u²)/du = 2u")
    if near(a, 2.0):
        why.append("the hand derivation differentiates MSE where the engine's loss is ½·MSE (the ½ convention), "
                   "or counts the 2 of d(u²)/du twice")
    if m is not None and near(a, m):
        why.append(f"a missing batch mean: the hand sums over the m = {m} samples where the engine averages")
    elif m is not None and near(a, 1 / m):
        why.append(f"an extra batch mean: the hand divides by m = {m} where the engine's loss sums (or divides twice)")
    elif m is None and a >= 2 and near(a, round(a)):
        why.append(f"{'or ' if why else ''}a missing batch mean, if the batch has m = {round(a)} samples (the hand sums where the engine averages)")
    elif m is None and a < 1 and near(1 / a, round(1 / a)):
        why.append(f"{'or ' if why else ''}an extra batch mean, if the batch has m = {round(1 / a)} samples")
    return s + ("; ".join(why) if why else "a constant factor (a scaled loss or learning rate folded in?)")


def compare_grads(
    hand: Grads,
    engine: Grads,
    *,
    names: Sequence[str] | None = None,
    args: tuple = (),
    batch_size: int | None = None,
    deltas: Mapping[Any, tuple] | None = None,
    forward: Mapping[str, Any] | None = None,
    activation: str | None = None,
    atol: float = 1e-6,
    rtol: float = 1e-4,
) -> CompareReport:
    """Compare hand-derived gradients with the engine's, per name, and diagnose each difference.

    Per name: shapes first (a non-square (n, m) against (m, n) is reported as "transposed?"), then
    elementwise |hand − engine| <= atol + rtol·|engine|. A mismatch is explained when it is a
    constant factor c = ⟨h, e⟩/⟨e, e⟩ (×0.5: ½·MSE; ×2: MSE vs ½·MSE; ×m or ×1/m: a missing or
    extra batch mean; ×−1: a sign), a transposition (W vs Wᵀ), or a swap (hand's A is the engine's
    B and vice versa). With δs (names ``delta1``, ``delta2``, … in both, or ``deltas=``) the first
    layer whose δ diverges in backprop order is named, and -- given ``forward`` (``z1``, ``a1``, …)
    and ``activation`` -- whether the hand used g'(a) where g'(z) is meant: the engine's δˡ is
    recomputed with g'(aˡ) (δˡ = u ⊙ g'(zˡ), so u ⊙ g'(aˡ) = δˡ / g'(zˡ) · g'(aˡ)) and compared.

    Args:
        hand: dict name → number/array, or a callable (called with ``args``) returning such a dict
            or a tuple of arrays, e.g. a numpy ``backward(X, y, z1, a1, z2, a2) -> dW1, db1, dW2, db2``.
        engine: dict name → number/array/node (a node contributes its ``.grad``), or a callable returning one.
        names: names for the outputs of a callable returning a tuple.
        batch_size: m, to tell ×m and ×1/m apart from other integer ratios.
        deltas: ``{layer or "deltaL": (hand δ, engine δ)}`` added to the comparison.
        forward: the engine's forward values ``{"z1": ..., "a1": ...}`` for the g'(a) test.
        activation: ``"sigmoid"``, ``"tanh"`` or ``"relu"`` (the hidden layers' g).

    Returns:
        A `CompareReport` (falsy when anything differs).

    Raises:
        ValueError: if a callable's outputs cannot be named.

    >>> r = compare_grads({"dW": [1.0, 2.0]}, {"dW": [2.0, 4.0]})
    >>> bool(r), r["dW"].factor
    (False, 0.5)
    """
    h, e = _arrays(hand, names, args, "hand"), _arrays(engine, names, (), "engine")
    for k, (hd, ed) in (deltas or {}).items():
        key = k if isinstance(k, str) else f"delta{k}"
        h[key], e[key] = np.asarray(hd, dtype=np.float64), np.asarray(ed, dtype=np.float64)
    report = CompareReport(atol=atol, rtol=rtol)
    for name in list(h) + [k for k in e if k not in h]:
        report.rows.append(_row(name, h.get(name), e.get(name), atol, rtol, batch_size))
    _swaps(report, h, e, atol, rtol)
    _scale_finding(report, batch_size)
    _delta_finding(report, h, e, forward, activation, atol, rtol)
    return report


def _row(name, h, e, atol, rtol, m) -> CompareRow:
    if h is None or e is None:
        return CompareRow(name, None if h is None else h.shape, None if e is None else e.shape, False,
                          diagnosis=f"missing in {'hand' if h is None else 'engine'}")
    row = CompareRow(name, h.shape, e.shape, True)
    if h.shape != e.shape:
        if h.ndim == 2 and h.shape == e.shape[::-1]:
            tr = " -- and hand.T matches it: W vs Wᵀ" if _close(h.T, e, atol, rtol).all() else ""
            row.ok, row.diagnosis = False, f"shape mismatch: transposed?{tr}"
            return row
        if h.size != e.size or h.squeeze().shape != e.squeeze().shape:
            row.ok, row.diagnosis = False, "shape mismatch"
            return row
        h = h.reshape(e.shape)  # (1, 3) vs (3,): the same numbers
    close = _close(h, e, atol, rtol)
    err = np.abs(h - e) - (atol + rtol * np.abs(e))
    k = int(np.nanargmax(np.where(np.isnan(err), np.inf, err))) if err.size else 0
    idx = np.unravel_index(k, e.shape) if e.size else ()
    row.index = tuple(int(i) for i in idx) if e.ndim else None
    row.hand_value, row.engine_value = (float(h[idx]), float(e[idx])) if e.size else (math.nan, math.nan)
    row.mismatches = int((~close).sum())
    if row.mismatches == 0:
        return row
    row.ok = False
    ee = float(np.sum(e * e))
    if e.ndim == 2 and e.shape[0] == e.shape[1] and _close(h, e.T, atol, rtol).all():
        row.diagnosis = "transposed: the hand holds Wᵀ"
    elif ee > 0:
        c = float(np.sum(h * e)) / ee
        if _close(h, c * e, atol, rtol).all():
            row.factor = c
            row.diagnosis = f"{_fmt(c)} × the engine's"
    elif np.any(h != 0):
        row.diagnosis = "the engine's gradient is zero here (the parameter does not reach the loss?)"
    return row


def _swaps(report: CompareReport, h, e, atol, rtol) -> None:
    bad = [r for r in report.rows if not r.ok and r.name in h and r.name in e]
    for i, ra in enumerate(bad):
        for rb in bad[i + 1:]:
            a, b = ra.name, rb.name
            if (h[a].size == e[b].size and h[b].size == e[a].size
                    and _close(h[a].reshape(e[b].shape), e[b], atol, rtol).all()
                    and _close(h[b].reshape(e[a].shape), e[a], atol, rtol).all()):
                ra.diagnosis, rb.diagnosis = f"swapped with {b}", f"swapped with {a}"
                report.findings.append(f"{a} and {b} are swapped: the hand's {a} is the engine's {b} and vice versa")


def _scale_finding(report: CompareReport, m: int | None) -> None:
    groups: dict[str, list[CompareRow]] = {}
    for r in report.rows:
        if not r.ok and r.factor is not None:
            groups.setdefault(_fmt(r.factor) if abs(r.factor - round(r.factor, 6)) < 1e-9 else f"{r.factor:.4g}",
                              []).append(r)
    for rows in groups.values():
        c = rows[0].factor
        if len(rows) == len(report.rows) > 1:
            who = "every gradient is"
        else:
            who = ", ".join(r.name for r in rows) + (" is" if len(rows) == 1 else " are")
        report.findings.append(f"{who} {_fmt(c)} × the engine's: {_explain(c, m)}")


_G = {  # g'(x) from the input x, and the same derivative written in terms of the output y = g(x)
    "sigmoid": (lambda x: (s := 1 / (1 + np.exp(-x))) * (1 - s), lambda y: y * (1 - y)),
    "tanh": (lambda x: 1 - np.tanh(x) ** 2, lambda y: 1 - y * y),
    "relu": (lambda x: (x > 0) * 1.0, lambda y: (y > 0) * 1.0),
}


def _delta_finding(report, h, e, forward, activation, atol, rtol) -> None:
    layers = sorted((int(k[5:]) for k in h if k.startswith("delta") and k[5:].isdigit() and k in e), reverse=True)
    rows = {r.name: r for r in report.rows}
    first = next((l for l in layers if not rows[f"delta{l}"].ok), None)
    if first is None:
        return
    above = [f"δ{l}" for l in layers if l > first]
    msg = f"δ first diverges at layer {first}" + (f" ({', '.join(above)} match)" if above else "")
    if rows[f"delta{first}"].factor is not None:
        msg += f", by a factor {_fmt(rows[f'delta{first}'].factor)}"
    msg += f"; the gradients of layer {first} and below inherit it"
    fw = {k: np.asarray(getattr(v, "data", v), dtype=np.float64) for k, v in (forward or {}).items()}
    z, a = fw.get(f"z{first}"), fw.get(f"a{first}")
    if activation in _G and z is not None and a is not None:
        d_in, d_out = _G[activation]
        hd, ed = h[f"delta{first}"], e[f"delta{first}"]
        gz = d_in(z)
        safe = np.abs(gz) > 1e-300
        u = np.where(safe, ed / np.where(safe, gz, 1.0), 0.0)
        at_a = (f"g'(a{first}) instead of g'(z{first}): the derivative was evaluated at the activation "
                "a = g(z), e.g. sigmoid_deriv(a) where a·(1 − a) was meant")
        out_form = f"the output form of g' applied to z{first} (e.g. z·(1 − z) where a·(1 − a) was meant)"
        for cand, what in ((d_in(a), at_a), (d_out(z), out_form)):
            guess = np.where(safe, u * cand, hd)
            if not np.allclose(guess, gz * u) and hd.shape == guess.shape and _close(hd, guess, atol, rtol).all():
                msg += f"; it matches {what}"
                break
    report.findings.append(msg)


def assert_grads_close(hand: Grads, engine: Grads, **kwargs: Any) -> CompareReport:
    """`compare_grads`, raising ``AssertionError`` (with the report text) when anything differs.

    >>> assert_grads_close({"db": 1.0}, {"db": 1.0}).ok
    True
    """
    report = compare_grads(hand, engine, **kwargs)
    if not report.ok:
        raise AssertionError("hand-derived gradients differ from the engine's:\n" + str(report))
    return report
