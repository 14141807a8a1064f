"""The lean backward sweeps: backward() with every .grad accumulated, no graph recorded, no anomaly checks.

This is the inner loop of every training step, so it is kept apart from the general
``graph._run_backward`` (create_graph, ``grad()``, anomaly mode) and written for speed. Leaves are
not sorted: the sweep adds straight into a leaf's ``.grad``. The cyclic garbage collector is paused
(the sweep makes no cycles; on a million-node graph it would otherwise rescan it repeatedly).

Arrays (Tensor graphs) follow PyTorch's AccumulateGrad rule for gradient buffers: a node whose
``grad`` is still the 0.0 of a fresh node *adopts* an incoming gradient array when nothing else
refers to it (its reference count says so, as numpy's own temporary elision does), and copies it
otherwise. A gradient array is therefore never shared between two nodes, and nothing is copied
that did not need to be.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

import numpy as np

from .modes import mode
from .topo import _call_hooks, _order

_ndarray = np.ndarray


def _counts_every_reference() -> bool:
    # The adoption thresholds below assume CPython's counting up to 3.13 (3.14 may borrow stack
    # references; other implementations have no getrefcount). Elsewhere every gradient is copied.
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 14):
        return False
    probe = np.empty(1)
    return sys.getrefcount(probe) == 2  # the local and the argument


getrefcount = sys.getrefcount if _counts_every_reference() else (lambda x: -1)


def sweep(root: Any, seed: Any) -> None:
    """Accumulate dL/d(node) into ``.grad`` of every node ``root`` depends on, dL/d(root) = ``seed``."""
    order = _order(root, False)  # every _g is None here: each sweep clears what it sets, even on error
    root._g = seed
    prev_mode = mode.grad_enabled
    mode.grad_enabled = False
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        if type(root.data) is float:
            _floats(order)
        else:
            del seed  # our reference would stop the root from adopting its seed
            _arrays(order)
    except BaseException:
        for n in order:
            n._g = None
        raise
    finally:
        mode.grad_enabled = prev_mode
        if gc_was_on:
            gc.enable()


def _floats(order: list) -> None:
    for n in reversed(order):
        g = n._g
        n._g = None
        if g is None or not n.requires_grad:
            continue
        if n._hooks:
            g = _call_hooks(n, g)
        ng = n.grad
        n.grad = 0.0 + g if ng is None else ng + g  # None: the user's p.grad = None (torch's "no gradient")
        op = n.op
        if op is not None:
            ps = n.parents
            grads = op.vjp(g, n.data, *[p.data for p in ps], *n.ctx)
            for p, gi in zip(ps, grads):
                if p.op is None and not p._hooks:  # an unhooked leaf: accumulate directly
                    if p.requires_grad:
                        pg = p.grad
                        p.grad = 0.0 + gi if pg is None else pg + gi
                else:
                    pg = p._g
                    p._g = gi if pg is None else pg + gi


def _arrays(order: list) -> None:
    # Written for speed: one branch per arity, no argument lists for the common ops. The
    # getrefcount thresholds count the references held here; every local that could still point at
    # a gradient of an earlier step is cleared before the next check.
    for n in reversed(order):
        g = n._g
        if g is None:
            continue
        n._g = None
        op = n.op
        if op is None:  # a leaf in the order: the root itself, or a hooked leaf
            if n.requires_grad:
                if n._hooks:
                    g = _call_hooks(n, _own(g))
                _leaf(n, g, 3)  # refs: g, the argument, getrefcount's
            continue
        if n._hooks:
            g = _call_hooks(n, _own(g))
        ng = n.grad
        if ng.__class__ is not float and ng is not None:
            n.grad += g  # this node's own buffer (adopted or copied by an earlier sweep)
        elif ng is None or ng == 0.0:  # no gradient yet; refs to g: the local and getrefcount's argument
            dt = n.data.dtype
            if g.__class__ is _ndarray and g.base is None and g.dtype is dt and getrefcount(g) == 2:
                n.grad = g
            else:
                n.grad = np.array(g, dtype=dt)
        else:
            n.grad = ng + g
        ps = n.parents
        ctx = n.ctx
        if len(ps) == 1:
            p = ps[0]
            gi = (op.vjp(g, n.data, p.data, *ctx) if ctx else op.vjp(g, n.data, p.data))[0]
            g = None
            if p.op is None and not p._hooks:  # an unhooked leaf: accumulate directly
                if p.requires_grad:
                    pg = p.grad
                    if pg.__class__ is _ndarray:
                        pg += gi  # in place, into this leaf's own array
                    elif pg == 0.0 and gi.__class__ is _ndarray and gi.base is None and gi.dtype is p.data.dtype \
                            and getrefcount(gi) == 2:
                        p.grad = gi  # adopted (refs: gi and getrefcount's argument)
                    else:
                        _leaf(p, gi, 3)  # refs: gi, the argument, getrefcount's
            elif gi is not None:
                pg = p._g
                p._g = gi if pg is None else pg + gi
            gi = None
            continue
        if len(ps) == 2:  # a's and b's deliveries are written out, not looped: the hot path of + - * @
            a, b = ps
            ra, rb = a.requires_grad, b.requires_grad
            if op.masked is None:
                ga, gb = op.vjp(g, n.data, a.data, b.data, *ctx) if ctx else op.vjp(g, n.data, a.data, b.data)
            elif ctx:
                ga, gb = op.masked((ra, rb), g, n.data, a.data, b.data, *ctx)
            else:
                ga, gb = op.masked((ra, rb), g, n.data, a.data, b.data)
            g = None
            if ra:
                if a.op is None and not a._hooks:
                    pg = a.grad
                    if pg.__class__ is _ndarray:
                        pg += ga
                    elif pg == 0.0 and ga.__class__ is _ndarray and ga.base is None and ga.dtype is a.data.dtype \
                            and getrefcount(ga) == 2:
                        a.grad = ga
                    else:
                        _leaf(a, ga, 3)
                else:
                    pg = a._g
                    a._g = ga if pg is None else pg + ga
            ga = None
            if rb:
                if b.op is None and not b._hooks:
                    pg = b.grad
                    if pg.__class__ is _ndarray:
                        pg += gb
                    elif pg == 0.0 and gb.__class__ is _ndarray and gb.base is None and gb.dtype is b.data.dtype \
                            and getrefcount(gb) == 2:
                        b.grad = gb
                    else:
                        _leaf(b, gb, 3)
                else:
                    pg = b._g
                    b._g = gb if pg is None else pg + gb
            gb = None
            continue
        if len(ps) == 3 and not ctx and op.masked is not None:  # the fused layer x Wᵀ + b
            a, b, c = ps
            grads = op.masked((a.requires_grad, b.requires_grad, c.requires_grad), g, n.data, a.data, b.data, c.data)
        elif op.masked is None:
            grads = op.vjp(g, n.data, *[p.data for p in ps], *ctx)
        else:
            grads = op.masked([p.requires_grad for p in ps], g, n.data, *[p.data for p in ps], *ctx)
        g = None
        for i, p in enumerate(ps):
            if not p.requires_grad:
                continue
            if p.op is None and not p._hooks:
                pg = p.grad
                gi = grads[i]
                if pg.__class__ is _ndarray:
                    pg += gi
                elif pg == 0.0 and gi.__class__ is _ndarray and gi.base is None and gi.dtype is p.data.dtype \
                        and getrefcount(gi) == 3:  # refs: the grads tuple, gi, getrefcount's argument
                    p.grad = gi
                else:
                    _leaf(p, gi, 4)  # refs: the grads tuple, gi, the argument, getrefcount's
                gi = None
            else:
                gi = grads[i]
                if gi is not None:
                    pg = p._g
                    p._g = gi if pg is None else pg + gi
                gi = None
        grads = None


def _leaf(p: Any, gi: Any, free: int) -> None:
    # a leaf's gradient, in the leaf's own dtype (as torch: a float32 parameter keeps a float32 grad);
    # grad None (zero_grad's or the user's p.grad = None) and a fresh node's 0.0 both mean "no gradient yet"
    pg = p.grad
    dt = p.data.dtype
    if pg.__class__ is not float and pg is not None:
        p.grad += gi  # in place into the leaf's own array
    elif pg is None or pg == 0.0:
        if gi.__class__ is _ndarray and gi.base is None and gi.dtype is dt and getrefcount(gi) == free:
            p.grad = gi
        else:
            p.grad = np.array(gi, dtype=dt)
    else:
        p.grad = np.asarray(pg + gi, dtype=dt)


def _own(g: Any) -> Any:
    # what a hook is shown must be nobody else's: a hook may keep it, and a node's grad array is
    # updated in place by later sweeps (refs when unshared: the caller's, the argument, getrefcount's)
    if g.__class__ is _ndarray and (g.base is not None or getrefcount(g) > 3):
        return g.copy()
    return g
