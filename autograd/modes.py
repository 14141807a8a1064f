"""Grad mode and anomaly mode: the thread-local switches every op reads, and anomaly mode's checks.

The lowest layer of the engine: it imports only the standard library and numpy, so that the node
types (``value``, ``tensor``), the sweeps (``sweep``, ``graph``) can all read ``mode`` without
importing each other.
"""

from __future__ import annotations

import math
import os
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))


class _Mode(threading.local):
    grad_enabled = True
    anomaly = False


mode = _Mode()
hooks_added = 0  # counts register_hook calls in every thread: a compiled program re-checks its leaves when it moves


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
    """Raise `AnomalyError` at the first nan/inf an op produces, forward or backward.

    Inside the block every new node remembers the user's source line that created it (this costs
    a stack walk per node, so it is off by default). The error names the op, its input values and
    that line, instead of letting a nan surface many steps later in the loss.

    >>> from deltagrad.autograd import Value, detect_anomaly
    >>> with detect_anomaly():
    ...     Value(0.0).log()          # doctest: +ELLIPSIS
    Traceback (most recent call last):
    deltagrad.autograd.modes.AnomalyError: forward of 'log' produced -inf from inputs (0.0,) ...
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
