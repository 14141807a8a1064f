"""gradcheck: the engine's gradients against central finite differences in float64 (first and second order)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .graph import enable_grad, grad, no_grad, topo_order
from .tensor import Tensor
from .value import Value

CS231N = "https://cs231n.github.io/neural-networks-3/#gradcheck"
SAMPLES = 64
"""Elements checked one by one per large parameter (or among many scalar inputs) by default."""
MANY_SCALARS = 1000
"""Above this many scalar (Value) inputs the default sample of them is `FEW_SAMPLES`."""
FEW_SAMPLES = 16
"""The default sample of scalar inputs when there are more than `MANY_SCALARS` of them."""
KINK_OPS = frozenset({"relu", "abs", "maximum", "minimum", "clamp", "clip", "leaky_relu", "elu", "max", "min"})


class GradcheckError(AssertionError):
    """Raised by `gradcheck` when an engine gradient disagrees with finite differences."""


def band(rel_err: float) -> str:
    """cs231n's reading of a symmetric relative error (CS231n notes, "Gradient checks", `CS231N`).

    < 1e-7 "great"; < 1e-4 "ok-ish" (fine with kinks, too high without); < 1e-2 "uncomfortable";
    otherwise "wrong" (cs231n: above 1e-2 the gradient is probably wrong).

    >>> band(3e-9), band(5e-6), band(2e-3), band(0.3)
    ('great', 'ok-ish', 'uncomfortable', 'wrong')
    """
    return "great" if rel_err < 1e-7 else "ok-ish" if rel_err < 1e-4 else "uncomfortable" if rel_err <= 1e-2 else "wrong"


@dataclass
class GradcheckRow:
    """One parameter (or one scalar input): the engine's and the numeric gradient of its worst element.

    ``index`` is that element's index (None for a scalar), ``checked``/``size`` how many elements
    were compared, ``mismatches`` how many failed the tolerance, ``kinks`` how many differed only
    because the ±eps evaluations took different branches of relu/abs/max/clamp… (flagged, not failed).
    """

    name: str
    analytic: float
    numeric: float
    ok: bool
    index: tuple | None = None
    checked: int = 1
    size: int = 1
    mismatches: int = 0
    kinks: int = 0
    max_rel_err: float | None = None

    @property
    def abs_err(self) -> float:
        return abs(self.analytic - self.numeric)

    @property
    def rel_err(self) -> float:
        """Symmetric relative error |a - n| / max(|a|, |n|) (0 when both are 0); the worst element's
        unless ``max_rel_err`` was recorded over many elements."""
        if self.max_rel_err is not None:
            return self.max_rel_err
        m = max(abs(self.analytic), abs(self.numeric))
        return 0.0 if m == 0 else self.abs_err / m

    @property
    def band(self) -> str:
        return band(self.rel_err)


@dataclass
class GradcheckReport:
    """Per-parameter rows; truthy when every row passed. ``str()`` gives a table."""

    rows: list[GradcheckRow] = field(default_factory=list)
    atol: float = 1e-5
    rtol: float = 1e-3
    eps: float = 1e-6
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        head = f"{'input':<12} {'engine':>14} {'numeric':>14} {'abs err':>10} {'rel err':>10}  ok"
        lines = [head]
        for r in self.rows:
            where = "" if r.index is None else f" worst at {r.index}"
            seen = "" if r.size == 1 and r.checked == 1 else f" ({r.checked}/{r.size} checked, {r.mismatches} differ)"
            kink = f" kink crossed at {r.kinks} element(s): not failed" if r.kinks else ""
            lines.append(
                f"{r.name:<12} {r.analytic:>14.8g} {r.numeric:>14.8g} {r.abs_err:>10.2e} {r.rel_err:>10.2e}  "
                f"{'yes' if r.ok else 'NO'}  [{r.band}]{where}{seen}{kink}"
            )
        bad = sum(not r.ok for r in self.rows)
        verdict = "all gradients match" if self.ok else f"{bad} gradient(s) differ"
        lines.append(f"{verdict} (|a - n| <= {self.atol:g} + {self.rtol:g}·|n|, central differences, eps={self.eps:g})")
        lines.append(f"rel err bands (cs231n): < 1e-7 great, < 1e-4 ok-ish, > 1e-2 wrong; {CS231N}")
        lines.extend(self.notes)
        return "\n".join(lines)


class _Point:
    """The inputs as named float64 arrays, and how to rebuild leaves and call ``f`` with them."""

    def __init__(self, inputs: Any, names: Sequence[str] | None):
        self.named = isinstance(inputs, Mapping)
        items = list(inputs.items()) if self.named else list(enumerate(inputs))
        self.names, self.kinds, self.arrays = [], [], []
        self._base: list | None = None
        for i, (key, x) in enumerate(items):
            label = getattr(x, "label", "") if isinstance(x, (Value, Tensor)) else ""
            name = str(key) if self.named else (names[i] if names is not None else label or f"x{i}")
            if isinstance(x, Value) or (isinstance(x, (int, float)) and not isinstance(x, bool)):
                kind, arr = "value", np.array(float(x.data if isinstance(x, Value) else x))
            else:
                data = x.data if isinstance(x, Tensor) else np.asarray(x)
                if data.dtype == np.float32:
                    warnings.warn(f"gradcheck: input {name!r} is float32; upcast to float64 for finite differences",
                                  stacklevel=3)
                kind, arr = "tensor", np.array(data, dtype=np.float64)
            self.names.append(name)
            self.kinds.append(kind)
            self.arrays.append(arr)

    def leaves(self, arrays: Sequence[np.ndarray], which: Sequence[int] | None = None) -> list:
        which = range(len(arrays)) if which is None else which
        return [Value(float(a), label=self.names[i]) if self.kinds[i] == "value" else Tensor(a, label=self.names[i])
                for a, i in zip(arrays, which)]

    def call(self, f: Callable, leaves: list) -> Any:
        return f(dict(zip(self.names, leaves))) if self.named else f(*leaves)

    def value(self, f: Callable, arrays: Sequence[np.ndarray], track: bool = False,
              only: int | None = None) -> tuple[float, list | None]:
        """f at ``arrays`` as a float; with ``track`` also the branch taken by every kinked op.

        ``only``: just that input differs from the point, so the other leaves are reused.
        """
        if only is None:
            leaves = self.leaves(arrays)
        else:
            if self._base is None:
                self._base = self.leaves(self.arrays)
            leaves = list(self._base)
            leaves[only] = self.leaves([arrays[only]], [only])[0]
        with nullcontext() if track else no_grad():
            out = self.call(f, leaves)
        return _scalar(out), (_branches(out) if track else None)


def _scalar(out: Any) -> float:
    if isinstance(out, Value):
        return float(out.data)
    if isinstance(out, Tensor):
        if out.data.size != 1:
            raise ValueError(f"gradcheck: f must return a scalar, got a Tensor of shape {out.shape} (sum it first)")
        return float(out.data.reshape(()))
    raise TypeError(f"gradcheck: f must return a Value or a one-element Tensor, got {type(out).__name__}")


def _branches(out: Any) -> list:
    """Which side of its kink every relu/abs/max/clamp… node's input was on, in topological order."""
    sig = []
    for n in topo_order(out) if getattr(out, "parents", ()) else ():
        if n.op is None or n.op.name not in KINK_OPS:
            continue
        xs = [np.asarray(p.data) for p in n.parents]
        name = n.op.name
        if name in ("maximum", "minimum") and len(xs) == 2:
            s = xs[0] >= xs[1] if name == "maximum" else xs[0] <= xs[1]
        elif name in ("clamp", "clip"):
            lo, hi = n.ctx[:2]
            s = (xs[0] >= lo).astype(int) + 2 * (xs[0] <= hi)
        elif name in ("max", "min") and isinstance(n, Tensor):
            axis = n.ctx[0] if n.ctx else None
            s = (np.argmax if name == "max" else np.argmin)(xs[0], axis=axis)
        elif name == "abs":
            s = np.sign(xs[0])
        else:  # relu, leaky_relu, elu
            s = xs[0] > 0
        sig.append(np.asarray(s))
    return sig


def _same(a: list, b: list) -> bool:
    return len(a) == len(b) and all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(a, b))


def gradcheck(
    f: Callable[..., Any],
    inputs: Sequence[Any] | Mapping[str, Any],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    names: Sequence[str] | None = None,
    samples: int | None = None,
    seed: int = 0,
    directional: bool | None = None,
) -> GradcheckReport:
    """Compare the engine's gradient of a scalar function with central finite differences.

    For each element xᵢ the numeric derivative is (f(x + eps·eᵢ) - f(x - eps·eᵢ)) / (2·eps) in
    float64 (truncation error O(eps²)); it passes when |a - n| <= atol + rtol·|n| -- the tolerance
    of ``torch.autograd.gradcheck``. Each row also shows the symmetric relative error
    |a - n| / max(|a|, |n|) with cs231n's bands (`band`). An element whose +eps and -eps
    evaluations take different branches of relu/abs/max/min/clamp/leaky_relu/elu/maximum/minimum
    is a *kink*: counted and shown, never failed (finite differences are meaningless there).

    Large parameters are sampled: a parameter with more than ``samples`` elements (or more than
    ``samples`` scalar inputs) gets ``samples`` random elements checked, plus one random-direction
    check of the whole gradient, ∇f·v against (f(x + eps·v) - f(x - eps·v)) / (2·eps). Every
    checked element costs two evaluations of ``f``; with thousands of scalar (Value) inputs each
    evaluation rebuilds a graph of thousands of scalar nodes, so by default more than
    `MANY_SCALARS` (1,000) scalar inputs are sampled `FEW_SAMPLES` (16) at a time
    instead of 64 -- a 5,000-weight Value network then takes 35 evaluations of ``f``, not 131
    (pass ``samples=`` for more). Up to 1,000 scalar inputs, and every Tensor parameter, keep 64.

    Args:
        f: takes the inputs positionally (one Value or Tensor each), or -- when ``inputs`` is a
            dict -- one dict name → node; returns a Value or a one-element Tensor.
        inputs: numbers / Values (become Values), arrays / Tensors (become float64 Tensors;
            float32 is upcast with a warning), as a sequence or a dict of named parameters.
        eps: the finite-difference step.
        atol: the absolute tolerance.
        rtol: the relative tolerance.
        raise_exception: raise `GradcheckError` on a mismatch (default); if False,
            return the report, which is falsy on a mismatch.
        names: names of positional inputs (default: labels, else ``x0, x1, ...``).
        samples: the sampling size (default 64; 16 among more than 1,000 scalar inputs).
        seed: the random seed of the sampling.
        directional: force (True) or skip (False) the random-direction check; default: only when sampling.

    Returns:
        A `GradcheckReport`: one row per scalar input or Tensor parameter.

    Raises:
        GradcheckError: on a mismatch, with the report as message (when ``raise_exception``).
        TypeError / ValueError: if ``f`` does not return a Value or a one-element Tensor.

    >>> from deltagrad.autograd import gradcheck
    >>> bool(gradcheck(lambda x, y: (x * y + x).tanh(), [0.3, -1.2]))
    True
    """
    pt = _Point(inputs, names)
    leaves = pt.leaves(pt.arrays)
    out = pt.call(f, leaves)
    _scalar(out)
    if out.requires_grad:
        out.backward()
    order = topo_order(out) if out.parents else []
    # watch branches on every perturbed evaluation when the graph has kinks and is small; else only on a mismatch
    watch = len(order) <= 5000 and any(n.op is not None and n.op.name in KINK_OPS for n in order)
    analytic = [np.broadcast_to(np.asarray(leaf.grad, dtype=np.float64), a.shape) for leaf, a in zip(leaves, pt.arrays)]
    rng = np.random.default_rng(seed)
    report = GradcheckReport(atol=atol, rtol=rtol, eps=eps)

    def numeric(p: int, idx: tuple, track: bool = False):
        hi = [a.copy() if j == p else a for j, a in enumerate(pt.arrays)]
        lo = [a.copy() if j == p else a for j, a in enumerate(pt.arrays)]
        hi[p][idx] += eps
        lo[p][idx] -= eps
        (fh, bh), (fl, bl) = pt.value(f, hi, track, p), pt.value(f, lo, track, p)
        return (fh - fl) / (2.0 * eps), (None if not track else not _same(bh, bl))

    scalars = [p for p, k in enumerate(pt.kinds) if k == "value"]
    chosen = set(scalars)
    few = samples is None and len(scalars) > MANY_SCALARS  # each f(x ± eps) rebuilds thousands of scalar nodes
    n_scalar = FEW_SAMPLES if few else SAMPLES if samples is None else samples
    samples = SAMPLES if samples is None else samples
    if len(scalars) > n_scalar:
        chosen = set(rng.choice(scalars, n_scalar, replace=False).tolist())
        why = f" (fewer beyond {MANY_SCALARS:,}: each evaluation rebuilds the whole scalar graph; pass samples=)"
        report.notes.append(f"sampled {n_scalar} of {len(scalars)} scalar inputs" + (why if few else ""))
    sampled = len(chosen) < len(scalars)
    for p, arr in enumerate(pt.arrays):
        if pt.kinds[p] == "value" and p not in chosen:
            continue
        flat = np.arange(arr.size)
        if arr.size > samples:
            flat, sampled = np.sort(rng.choice(arr.size, samples, replace=False)), True
        report.rows.append(_row(pt.names[p], arr, analytic[p], flat, lambda idx, t=False, p=p: numeric(p, idx, t),
                                atol, rtol, watch))
    if directional or (directional is None and sampled):
        report.rows.append(_direction(pt, f, analytic, rng, eps, atol, rtol))
    if raise_exception and not report.ok:
        raise GradcheckError("gradcheck failed:\n" + str(report))
    return report


def _row(name, arr, a_grad, flat, numeric, atol, rtol, watch) -> GradcheckRow:
    worst, worst_excess, mism, kinks, max_rel = None, -math.inf, 0, 0, 0.0
    for k in flat:
        idx = np.unravel_index(int(k), arr.shape)
        a, (n, kinked) = float(a_grad[idx]), numeric(idx, watch)
        ok = abs(a - n) <= atol + rtol * abs(n) or a == n
        if math.isnan(a) or math.isnan(n):
            ok = math.isnan(a) and math.isnan(n)
        if not ok and not watch:
            _, kinked = numeric(idx, True)
        kinks += bool(kinked)
        if not ok:
            if kinked:
                if worst is None:
                    worst, worst_excess = (idx, a, n), -math.inf
                continue
            mism += 1
        m = max(abs(a), abs(n))
        if m > atol:
            max_rel = max(max_rel, abs(a - n) / m)
        excess = math.inf if not ok else abs(a - n) - (atol + rtol * abs(n))
        if worst is None or excess > worst_excess:
            worst, worst_excess = (idx, a, n), excess
    if worst is None:  # an empty parameter
        return GradcheckRow(name, 0.0, 0.0, True, checked=0, size=0)
    idx, a, n = worst
    return GradcheckRow(name, a, n, mism == 0, None if arr.ndim == 0 else tuple(int(i) for i in idx),
                        len(flat), arr.size, mism, kinks, max_rel if arr.size > 1 else None)


def _direction(pt: _Point, f, analytic, rng, eps, atol, rtol) -> GradcheckRow:
    vs = [rng.standard_normal(a.shape) for a in pt.arrays]
    norm = math.sqrt(sum(float(np.sum(v * v)) for v in vs)) or 1.0
    vs = [v / norm for v in vs]
    a = float(sum(np.sum(g * v) for g, v in zip(analytic, vs)))
    fh, _ = pt.value(f, [x + eps * v for x, v in zip(pt.arrays, vs)])
    fl, _ = pt.value(f, [x - eps * v for x, v in zip(pt.arrays, vs)])
    n = (fh - fl) / (2.0 * eps)
    ok = abs(a - n) <= atol + rtol * abs(n)
    return GradcheckRow("direction v", a, n, ok, mismatches=int(not ok))


def gradgradcheck(f: Callable[..., Any], inputs: Sequence[Any] | Mapping[str, Any], *, seed: int = 0,
                  **kwargs: Any) -> GradcheckReport:
    """Check second derivatives: gradcheck of h(x) = Σᵢ vᵢ·∂f/∂xᵢ, with ∂f/∂x from ``grad(create_graph=True)``.

    v is a fixed random vector (``seed``), so the engine's Hessian-vector product ∇²f·v (the
    backward of the backward) is compared with central differences of the engine's own first
    derivative -- as ``torch.autograd.gradgradcheck`` does. Run `gradcheck` first: this
    trusts the first derivative.

    Args: as `gradcheck` (``f``, ``inputs`` and keyword options); inputs are all Values or all Tensors.

    Raises:
        GradcheckError: when a second derivative differs (see `gradcheck`).
        TypeError: for a mix of Value and Tensor inputs (their graphs do not mix).

    >>> from deltagrad.autograd import gradgradcheck
    >>> bool(gradgradcheck(lambda x, y: (x * y).tanh() * x, [0.4, -0.7]))
    True
    """
    pt = _Point(inputs, kwargs.get("names"))
    if len(set(pt.kinds)) > 1:
        raise TypeError("gradgradcheck: inputs must be all Values or all Tensors (their graphs do not mix)")
    rng = np.random.default_rng(seed + 1)
    vs = [rng.uniform(0.5, 1.5, a.shape) * rng.choice([-1.0, 1.0], a.shape) for a in pt.arrays]

    def h(*args):
        leaves = list(args[0].values()) if pt.named else list(args)
        with enable_grad():
            out = pt.call(f, leaves)
            gs = grad(out, leaves, create_graph=True, allow_unused=True) if out.requires_grad else [None] * len(leaves)
            terms = [(g * float(v)) if k == "value" else (g * v).sum()
                     for g, v, k in zip(gs, vs, pt.kinds) if g is not None]
            total = terms[0] if terms else leaves[0] * 0.0
            for t in terms[1:]:
                total = total + t
            return total

    return gradcheck(h, inputs, seed=seed, **kwargs)
