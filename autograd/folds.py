"""The folds `autograd.codegen` makes where a person writing the program by hand would: each keeps the
engine's numbers bit for bit, and each is tested against ``backward()`` (tests/test_compile_folds.py).

- a constant node that is one number is written as a literal (`is_const`);
- with ``value=False`` the lines only the root's value needs are left out (`live`);
- a large leaf gradient is written with ``out=`` into the array the program returned last run, when
  nothing else holds it (`bufferable`; the check runs in `Program.run`);
- an elementwise VJP writes into the incoming gradient's own array when the program made that array
  and nothing else reads it (`in_place`, `new_array`), as ``d1 *= z1 > 0``.
"""

from __future__ import annotations

import ast

import numpy as np

from .trace import Sym

BUF_BYTES = 128 * 1024  # a leaf gradient this large is written into last run's array when that is free


def is_const(node, consumers: dict, tensor: bool) -> bool:
    # a number written into an expression (its own constant node): compiled in as a literal
    if node.op is not None or node.requires_grad or node.label or node.tag is not None or node._hooks:
        return False
    if not tensor:
        return type(node.data) is float
    d = node.data
    if d.ndim != 0 or d.dtype.kind != "f":
        return False
    # a weak Python float gives the other operand's dtype: only the same dtype keeps numpy's promotion
    return all(p.data.dtype == d.dtype for c in consumers.get(id(node), ()) for p in c.parents)


def live(lines: list[str], ret: str) -> list[str]:
    """``lines`` (straight-line assignments and comments) without the assignments nothing after them reads."""
    needed = {n.id for n in ast.walk(ast.parse(ret.replace("return ", "_ = ", 1))) if isinstance(n, ast.Name)}
    kept: list[str] = []
    for line in reversed(lines):
        tree = ast.parse(line)
        if not tree.body:  # a comment line
            kept.append(line)
            continue
        stmt = tree.body[0]
        stores = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        if stores and not stores & needed and not isinstance(stmt, ast.AugAssign):
            continue
        needed |= {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        if isinstance(stmt, ast.AugAssign):
            needed |= stores
        kept.append(line)
    return kept[::-1]


def bufferable(w, gi: Sym, leaf) -> bool:
    # a large Tensor gradient from one numpy call that can write into an array of the leaf's shape and dtype
    if not w.tensor or gi.outable is None or leaf.data.nbytes < BUF_BYTES:
        return False
    p = gi.proto
    return isinstance(p, np.ndarray) and p.shape == leaf.data.shape and p.dtype == leaf.data.dtype


def _uses(s: Sym, target: Sym) -> int:
    """How many times ``target`` (by identity) occurs in the expression ``s``."""
    if s is target:
        return 1
    return sum(_uses(c, target) for c in s.children())


def new_array(w, s: Sym) -> bool:
    # a ufunc, matmul or reduce call on arrays of one axis or more makes a new array (views, np.full and
    # called rows are left out: broadcast_to is read-only, a called rule may return g itself)
    return s.full is None and (s.outable is not None or id(s) in w.written_in_place) and np.ndim(s.proto) >= 1


def in_place(w, g: Sym, grads: list, ps: tuple, need: tuple) -> None:
    """Write one elementwise VJP result into the incoming gradient's own array, as a person writes
    ``d1 *= z1 > 0``: only when this program made that array, nothing else holds it, the rule reads
    ``g`` once, directly, and the result has g's shape and dtype (no broadcasting, no promotion)."""
    outs = [(i, gi) for i, gi in enumerate(grads) if need[i] and isinstance(gi, Sym)]
    if sum(_uses(gi, g) for _, gi in outs) != 1:
        return
    for i, gi in outs:
        if ps[i].op is None or gi.outable is None or gi.full is not None:
            continue  # a leaf's gradient is returned (and may use bufs); a uniform is a number
        fn, *args = gi.outable
        if fn in ("np.add", "np.subtract", "np.multiply", "np.divide") and any(a is g for a in args) \
                and isinstance(gi.proto, np.ndarray) and gi.proto.shape == g.proto.shape \
                and gi.proto.dtype == g.proto.dtype:
            grads[i] = gi.with_out(g.render())
            w.written_in_place.add(id(grads[i]))
