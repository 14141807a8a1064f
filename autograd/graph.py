"""The graph machinery shared by every node type: grad mode, topo_order, backward, grad, anomaly mode."""

from __future__ import annotations

import math
import os
import threading
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))


class _Mode(threading.local):
    grad_enabled = True
    anomaly = False


mode = _Mode()


class AnomalyError(FloatingPointError):
    """Raised under ``detect_anomaly()`` when an op first produces nan or inf.

    The message names the op, its input values and the user's source line that created the node.
    """


@contextmanager
def no_grad() -> Iterator[None]:
    """Record no graph inside the block (thread-local), like ``torch.no_grad``.

    Results of ops have no parents and ``requires_grad=False``; use it for evaluation and for
    optimizer updates.

    >>> from deltagrad.autograd import Value, no_grad
    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * 3
    >>> y.requires_grad, y.parents
    (False, ())
    """
    prev = mode.grad_enabled
    mode.grad_enabled = False
    try:
        yield
    finally:
        mode.grad_enabled = prev


@contextmanager
def enable_grad() -> Iterator[None]:
    """Record the graph again inside a ``no_grad()`` block (thread-local), like ``torch.enable_grad``."""
    prev = mode.grad_enabled
    mode.grad_enabled = True
    try:
        yield
    finally:
        mode.grad_enabled = prev


def is_grad_enabled() -> bool:
    """True when ops record the graph in this thread."""
    return mode.grad_enabled


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise :class:`AnomalyError` at the first nan/inf an op produces, forward or backward.

    Inside the block every new node remembers the user's source line that created it (this costs
    a stack walk per node, so it is off by default). The error names the op, its input values and
    that line, instead of letting a nan surface many steps later in the loss.

    >>> from deltagrad.autograd import Value, detect_anomaly
    >>> with detect_anomaly():
    ...     Value(0.0).log()          # doctest: +ELLIPSIS
    Traceback (most recent call last):
    autograd.graph.AnomalyError: forward of 'log' produced -inf from inputs (0.0,) ...
    """
    prev = mode.anomaly
    mode.anomaly = True
    try:
        yield
    finally:
        mode.anomaly = prev


def user_site() -> str:
    """'file:line in function: source' of the innermost stack frame outside the autograd package."""
    for frame in reversed(traceback.extract_stack()):
        if not os.path.abspath(frame.filename).startswith(_PKG_DIR):
            return f"{frame.filename}:{frame.lineno} in {frame.name}: {(frame.line or '').strip()}"
    return "<unknown>"


def _plain(x: Any) -> Any:
    """The number(s) inside a node, or x itself (a numpy array's own ``.data`` is a buffer: not that)."""
    return x.data if hasattr(x, "parents") else x


def _finite(x: Any) -> bool:
    d = _plain(x)
    try:
        return math.isfinite(d)
    except TypeError:  # arrays
        return bool(np.all(np.isfinite(d)))


def check_forward(node: Any) -> None:
    """Anomaly mode: raise if ``node`` (just created by an op) holds nan/inf."""
    if not _finite(node.data):
        ins = tuple(p.data for p in node.parents)
        raise AnomalyError(
            f"forward of {node.op.name!r} produced {node.data!r} from inputs {ins} "
            f"(constants {node.ctx}); node created at {node._site}"
        )


def topo_order(root: Any) -> list:
    """Every node ``root`` depends on, parents before children, ending with ``root``.

    Iterative depth-first search (no recursion, so a chain of a million nodes works). Parents are
    visited in argument order, so the same graph always gives the same order (viz relies on it for
    stable node ids). Each node appears once, however many times it is used.

    >>> from deltagrad.autograd import Value, topo_order
    >>> a = Value(1.0, label="a"); b = a * a
    >>> [n.label or n.op.name for n in topo_order(b)]
    ['a', 'mul']
    """
    return _order(root, True)


def _order(root: Any, all_leaves: bool) -> list:
    # the one iterative post-order walk; leaves are emitted when all_leaves, else only hooked ones
    order: list = []
    seen: set = {root}
    stack = [(root, iter(root.parents))]
    push, emit, mark = stack.append, order.append, seen.add
    while stack:
        node, it = stack[-1]
        for p in it:
            if p.parents:
                if p not in seen:
                    mark(p)
                    push((p, iter(p.parents)))
                    break
            elif (all_leaves or p._hooks) and p not in seen:  # a leaf: nothing to visit first
                mark(p)
                emit(p)
        else:
            stack.pop()
            emit(node)
    return order


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
    if dt is None or not isinstance(g, (np.ndarray, np.generic)):
        return n.grad + g
    ng = n.grad
    if type(ng) is float and ng == 0.0:
        return np.array(g, dtype=dt)
    return np.asarray(ng + g, dtype=dt)


def _call_hooks(n: Any, g: Any) -> Any:
    for hook in n._hooks:
        r = hook(g)
        if r is not None:
            g = r
    return g


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


from .sweep import sweep  # (the lean inner loop of training; it imports this module)
