"""The plumbing every loss shares: Value lists or a Tensor in, shape checks, reductions, one ``where``.

A loss is written once, elementwise, in engine operations that exist on both node kinds
(``+ - * /``, ``abs``, ``log``, ``softplus``, ``relu``, ``clamp`` ...) plus `where`, which
picks a branch by a Python bool for a Value and calls `autograd.where` for a Tensor. The
same function then runs once per element on a list of Values, or once on a whole Tensor.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from deltagrad.autograd import Tensor, Value

from deltagrad import autograd

REDUCTIONS = ("mean", "sum", "none")


def data(x):
    """The number(s) inside a node (float for a Value, array for a Tensor), or x itself."""
    return x.data if isinstance(x, (Value, Tensor)) else x


def where(cond, a, b):
    """``a`` where ``cond`` else ``b``: a Python branch for Values, `autograd.where` for Tensors."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return autograd.where(cond, a, b)
    return a if cond else b


def check_reduction(name: str, reduction: str, extra: tuple = ()) -> None:
    """Raise ValueError unless ``reduction`` is one of 'mean', 'sum', 'none' (or ``extra``)."""
    allowed = (*REDUCTIONS, *extra)
    if reduction not in allowed:
        raise ValueError(f"{name}: reduction must be one of {', '.join(map(repr, allowed))}, got {reduction!r}")


def flatten(name: str, what: str, x) -> tuple[list, tuple]:
    """A (nested) list of Values/numbers -> (flat list, shape). Raises ValueError on a ragged list."""
    if isinstance(x, np.ndarray):
        x = x.tolist()
    if isinstance(x, (Value, int, float, np.number)):
        return [x], ()
    if isinstance(x, Tensor):
        raise TypeError(f"{name}: {what} is a Tensor but the other argument is a list of Values "
                        "(a Tensor graph and a Value graph do not mix; pass target.data or a list)")
    items = list(x)
    if not items:
        return [], (0,)
    parts = [flatten(name, what, xi) for xi in items]
    shape = parts[0][1]
    if any(s != shape for _, s in parts):
        raise ValueError(f"{name}: {what} is a ragged nested list (inner shapes {sorted({s for _, s in parts})})")
    return [v for flat, _ in parts for v in flat], (len(items), *shape)


def unflatten(flat: list, shape: tuple):
    """Inverse of `flatten`: a flat list -> nested lists of ``shape``."""
    if len(shape) <= 1:
        return list(flat) if shape else flat[0]
    step = len(flat) // shape[0]
    return [unflatten(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def _shapes(name: str, ps: tuple, ts: tuple, np_: int, nt: int) -> str:
    return (f"{name}: prediction has shape {ps} ({np_} elements) but target has shape {ts} "
            f"({nt} elements); they must match")


def as_target_tensor(name: str, prediction: Tensor, target) -> Tensor:
    """``target`` as a Tensor of ``prediction``'s shape (a constant unless it already is a Tensor)."""
    if isinstance(target, Value) or (isinstance(target, (list, tuple)) and any(isinstance(t, Value) for t in target)):
        raise TypeError(f"{name}: prediction is a Tensor but target holds Values (the graphs do not mix)")
    t = target if isinstance(target, Tensor) else Tensor(np.asarray(target, dtype=prediction.dtype), requires_grad=False)
    if t.shape != prediction.shape:
        raise ValueError(_shapes(name, prediction.shape, t.shape, prediction.size, t.size))
    return t


def reduce(outs, reduction: str, shape: tuple = ()):
    """Reduce elementwise losses: a Tensor, or a flat list of Values with its original ``shape``."""
    if isinstance(outs, Tensor):
        return outs if reduction == "none" else outs.mean() if reduction == "mean" else outs.sum()
    if reduction == "none":
        return unflatten(outs, shape)
    return autograd.mean(outs) if reduction == "mean" else autograd.sum(outs)


def elementwise(name: str, fn: Callable, prediction, target, reduction: str,
                check: Callable[[np.ndarray, np.ndarray], str | None] | None = None):
    """Apply ``fn(p, t)`` elementwise to Values or once to a Tensor, after shape and range checks.

    ``check(p_data, t_data)`` returns an error text (prefixed with the loss's name) or None.
    Returns the reduced loss (see `reduce`).
    """
    check_reduction(name, reduction)
    if isinstance(prediction, Tensor):
        t = as_target_tensor(name, prediction, target)
        if prediction.size == 0:
            raise ValueError(f"{name}: empty input of shape {prediction.shape}")
        _run_check(name, check, prediction.data, t.data)
        return reduce(fn(prediction, t), reduction)
    ps, pshape = flatten(name, "prediction", prediction)
    ts, tshape = flatten(name, "target", target)
    if pshape != tshape:
        raise ValueError(_shapes(name, pshape, tshape, len(ps), len(ts)))
    if not ps:
        raise ValueError(f"{name}: empty input")
    if check is not None:
        _run_check(name, check, np.array([float(data(p)) for p in ps]), np.array([float(data(t)) for t in ts]))
    ps = [p if isinstance(p, Value) else Value(float(p), requires_grad=False) for p in ps]
    ts = [t if isinstance(t, Value) else float(t) for t in ts]
    outs = [fn(p, t) for p, t in zip(ps, ts)]
    outs = [o if isinstance(o, Value) else Value(float(o), requires_grad=False) for o in outs]  # a branch may be 0.0
    return reduce(outs, reduction, pshape)


def fused_mse(name: str, prediction: Tensor, target, scale: float) -> Tensor:
    """scale · mean((ŷ − y)²) on a Tensor as one engine node (`autograd.mse_loss`), after the checks of `elementwise`."""
    t = as_target_tensor(name, prediction, target)
    if prediction.size == 0:
        raise ValueError(f"{name}: empty input of shape {prediction.shape}")
    return autograd.mse_loss(prediction, t, scale=scale)


def _run_check(name: str, check, p: np.ndarray, t: np.ndarray) -> None:
    if check is not None:
        err = check(p, t)
        if err:
            raise ValueError(f"{name}: {err}")


def in_unit_interval(what: str) -> Callable:
    """A check: ``what`` ('prediction' or 'target') must lie in [0, 1]."""

    def check(p: np.ndarray, t: np.ndarray) -> str | None:
        x = p if what == "prediction" else t
        bad = ~((x >= 0) & (x <= 1))
        if bad.any():
            return f"{what} must lie in [0, 1] (probabilities), got {x[bad].flat[0]!r}"
        return None

    return check


def plus_minus_one(p: np.ndarray, t: np.ndarray) -> str | None:
    """A check: targets are labels in {-1, +1}."""
    bad = (t != 1) & (t != -1)
    if bad.any():
        return f"target must be a label in {{-1, +1}}, got {t[bad].flat[0]!r} (for 0/1 labels use 2*y - 1)"
    return None


def rows(name: str, x) -> tuple[list[list[Value]], bool]:
    """Logits/scores of a Value batch as a list of rows of Values; True if one sample was given."""
    if x and isinstance(x[0], (Value, int, float)):
        x, single = [x], True
    else:
        single = False
    out = []
    for r in x:
        if not r or not all(isinstance(v, (Value, int, float)) for v in r):
            raise ValueError(f"{name}: expected a list of K Values (one sample) or a list of such lists")
        out.append([v if isinstance(v, Value) else Value(float(v), requires_grad=False) for v in r])
    if not out:
        raise ValueError(f"{name}: empty batch")
    return out, single


def class_indices(name: str, target, n: int, k: int) -> list[int]:
    """Check and return ``n`` class indices in [0, k) (ints; numpy integers accepted)."""
    if isinstance(target, np.ndarray):
        if target.dtype.kind not in "iu":
            raise ValueError(f"{name}: target class indices must be integers, got dtype {target.dtype}")
        target = target.tolist()
    if len(target) != n:
        raise ValueError(f"{name}: {n} samples of scores but {len(target)} targets")
    out = []
    for y in target:
        if isinstance(y, (bool, np.bool_)) or not isinstance(y, (int, np.integer)) or not 0 <= y < k:
            raise ValueError(f"{name}: target {y!r} is not a class index in [0, {k})")
        out.append(int(y))
    return out
