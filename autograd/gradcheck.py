"""gradcheck: the engine's gradients against central finite differences in float64."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

from .value import Value


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when an engine gradient disagrees with finite differences."""


@dataclass
class GradcheckRow:
    """One input: its name, the engine's (analytic) gradient, the numeric one, and the verdict."""

    name: str
    analytic: float
    numeric: float
    ok: bool

    @property
    def abs_err(self) -> float:
        return abs(self.analytic - self.numeric)

    @property
    def rel_err(self) -> float:
        """Symmetric relative error |a - n| / max(|a|, |n|) (0 when both are 0)."""
        m = max(abs(self.analytic), abs(self.numeric))
        return 0.0 if m == 0 else self.abs_err / m


@dataclass
class GradcheckReport:
    """Per-input rows; truthy when every input passed. ``str()`` gives a table."""

    rows: list[GradcheckRow] = field(default_factory=list)
    atol: float = 1e-5
    rtol: float = 1e-3
    eps: float = 1e-6

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        head = f"{'input':<12} {'engine':>14} {'numeric':>14} {'abs err':>10} {'rel err':>10}  ok"
        lines = [head]
        for r in self.rows:
            lines.append(
                f"{r.name:<12} {r.analytic:>14.8g} {r.numeric:>14.8g} {r.abs_err:>10.2e} {r.rel_err:>10.2e}  "
                f"{'yes' if r.ok else 'NO'}"
            )
        verdict = "all gradients match" if self.ok else f"{sum(not r.ok for r in self.rows)} gradient(s) differ"
        lines.append(f"{verdict} (|a - n| <= {self.atol:g} + {self.rtol:g}·|n|, central differences, eps={self.eps:g})")
        return "\n".join(lines)


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[float | Value],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    names: Sequence[str] | None = None,
) -> GradcheckReport:
    """Compare the engine's gradient of a scalar function with central finite differences.

    For each input xᵢ the numeric derivative is (f(x + eps·eᵢ) - f(x - eps·eᵢ)) / (2·eps),
    evaluated in float64 (truncation error O(eps²)); it passes when
    |a - n| <= atol + rtol·|n| -- the tolerance of ``torch.autograd.gradcheck``.

    Args:
        f: takes one Value per input (positionally) and returns a scalar Value.
        inputs: the point, as numbers or Values (Values are read for ``data`` and ``label``).
        eps, atol, rtol: step and tolerances.
        raise_exception: raise :class:`GradcheckError` on a mismatch (default); if False,
            return the report, which is falsy on a mismatch.
        names: names for the report (default: labels, else ``x0, x1, ...``).

    Returns:
        A :class:`GradcheckReport` with one row per input.

    Raises:
        GradcheckError: on a mismatch, with the report as message (when ``raise_exception``).
        TypeError: if ``f`` does not return a Value.

    >>> from autograd import gradcheck
    >>> bool(gradcheck(lambda x, y: (x * y + x).tanh(), [0.3, -1.2]))
    True
    """
    point = [float(x.data) if isinstance(x, Value) else float(x) for x in inputs]
    if names is None:
        names = [
            (x.label if isinstance(x, Value) and x.label else f"x{i}") for i, x in enumerate(inputs)
        ]
    leaves = [Value(v, label=n) for v, n in zip(point, names)]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    out.backward()

    def at(i: int, delta: float) -> float:
        args = [Value(v + (delta if j == i else 0.0)) for j, v in enumerate(point)]
        return f(*args).data

    report = GradcheckReport(atol=atol, rtol=rtol, eps=eps)
    for i, leaf in enumerate(leaves):
        numeric = (at(i, eps) - at(i, -eps)) / (2.0 * eps)
        a = float(leaf.grad)
        ok = abs(a - numeric) <= atol + rtol * abs(numeric) or (a == numeric)
        if math.isnan(a) or math.isnan(numeric):
            ok = math.isnan(a) and math.isnan(numeric)
        report.rows.append(GradcheckRow(names[i], a, numeric, ok))
    if raise_exception and not report.ok:
        raise GradcheckError("gradcheck failed:\n" + str(report))
    return report
