"""The general backward and ``grad``: create_graph, anomaly checks, gradients of chosen inputs.

Layering (no module imports one that imports it back): ``modes`` (grad mode, anomaly mode) and
``topo`` (topo_order, hooks) at the bottom; ``sweep`` (the lean backward of training) on them;
this module on all three; the node types ``value`` and ``tensor`` call `backward` here.
The names of ``modes`` and ``topo`` are re-exported, so ``graph.no_grad`` and friends keep working.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .modes import (
    AnomalyError,
    _finite,
    _plain,
    check_forward,
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    mode,
    no_grad,
    user_site,
)
from .sweep import sweep
from .topo import _call_hooks, _order, topo_order


def _run_backward(root: Any, seed: Any, create_graph: bool, inputs: tuple | None) -> dict | None:
    """Reverse-mode sweep from ``root`` with dL/d(root) = ``seed``.

    With ``inputs`` None every node's ``.grad`` is accumulated (``+=``); otherwise nothing is
    written and the gradients of ``inputs`` are returned in a dict keyed by node.
    Each node's gradient for *this* sweep is summed in the scratch slot ``_g`` first, so gradients
    left by earlier calls never leak into this one (accumulation stays exact across calls).
    """
    order = topo_order(root)
    for n in order:
        n._g = None
    root._g = seed
    anomaly = mode.anomaly
    prev_mode = mode.grad_enabled
    mode.grad_enabled = create_graph  # the backward pass records a graph only with create_graph
    wanted = None if inputs is None else set(inputs)
    found: dict = {}
    try:
        for n in reversed(order):
            g = n._g
            if g is None:
                continue
            n._g = None
            if n._hooks:
                g = _call_hooks(n, g)
            if wanted is None:
                n.grad = _sum_into(n, g)
            elif n in wanted:
                found[n] = g
            op = n.op
            if op is None:
                continue
            ps = n.parents
            if create_graph:
                grads = op.vjp(g, n, *ps, *n.ctx)
            else:
                grads = op.vjp(g, n.data, *[p.data for p in ps], *n.ctx)
            for p, gi in zip(ps, grads):
                if p.requires_grad:
                    if anomaly and not _finite(gi):
                        raise AnomalyError(
                            f"backward of {op.name!r} produced gradient {_plain(gi)!r} "
                            f"from inputs {tuple(q.data for q in ps)} and incoming gradient "
                            f"{_plain(g)!r}; node created at {n._site}"
                        )
                    pg = p._g
                    p._g = gi if pg is None else pg + gi
    finally:
        mode.grad_enabled = prev_mode
        for n in order:
            n._g = None
    return found


def _sum_into(n: Any, g: Any) -> Any:
    # n.grad + g, out of place; on a Tensor node an array result is its own array in the node's
    # dtype (as in the lean sweep), never a numpy scalar or another dtype
    dt = getattr(n.data, "dtype", None)
    ng = 0.0 if n.grad is None else n.grad  # None: no gradient yet (zero_grad's or the user's p.grad = None)
    if dt is None or not isinstance(g, (np.ndarray, np.generic)):
        return ng + g
    if type(ng) is float and ng == 0.0:
        return np.array(g, dtype=dt)
    return np.asarray(ng + g, dtype=dt)


def backward(root: Any, grad: Any = None, create_graph: bool = False) -> None:
    """Accumulate dL/d(node) into ``.grad`` of every node ``root`` depends on (see Value.backward)."""
    if not root.requires_grad:
        raise RuntimeError(
            "backward(): the output does not require grad (it was made under no_grad(), "
            "detached, or from inputs with requires_grad=False)"
        )
    if create_graph or mode.anomaly:
        _run_backward(root, root._seed(grad, create_graph), create_graph, None)
    else:
        sweep(root, root._seed(grad, False))


def grad(
    output: Any, inputs: Iterable[Any], grad_output: Any = None, create_graph: bool = False, allow_unused: bool = False
) -> tuple:
    """Gradients of ``output`` with respect to ``inputs``, without touching any ``.grad``.

    Like ``torch.autograd.grad``: returns a tuple with one gradient per input. With
    ``create_graph=True`` the gradients are nodes with their own graph (differentiate them again).
    An input that ``output`` does not depend on raises ``RuntimeError`` unless ``allow_unused``,
    in which case its gradient is ``None``.

    >>> from deltagrad.autograd import Value, grad
    >>> x = Value(3.0); y = x ** 3
    >>> (dy,) = grad(y, [x], create_graph=True)
    >>> dy.data, grad(dy, [x])[0]          # 3x^2 = 27, 6x = 18
    (27.0, 18.0)
    """
    inputs = tuple(inputs)
    if not output.requires_grad:
        raise RuntimeError("grad(): the output does not require grad")
    found = _run_backward(output, output._seed(grad_output, create_graph), create_graph, inputs)
    result = []
    for i, x in enumerate(inputs):
        if x not in found:
            if not getattr(x, "requires_grad", True) and not allow_unused:
                raise RuntimeError(f"grad(): input {i} ({x!r}) does not require grad")
            if not allow_unused:
                raise RuntimeError(
                    f"grad(): input {i} ({x!r}) was not used to compute the output; pass allow_unused=True"
                )
            result.append(None)
        else:
            result.append(found[x])
    return tuple(result)

