"""Activation functions g(z), as functions and as parameter-free modules, on Values, lists or Tensors.

Each elementwise function takes a Value (-> Value), a (nested) list of Values/numbers (-> the same
nesting of Values) or a Tensor (-> Tensor), and is the engine's primitive of the same name, so its
derivative is that primitive's VJP. ``ACTIVATIONS`` maps the names ``MLP(..., activation=...)``
accepts to functions on one Value.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from deltagrad.autograd import Tensor, Value

from deltagrad import autograd

__all__ = [
    "ACTIVATIONS",
    "activation_fn",
    "elu",
    "gelu",
    "identity",
    "leaky_relu",
    "log_softmax",
    "relu",
    "sigmoid",
    "softmax",
    "softplus",
    "tanh",
]


def _map(fn: Callable, x, name: str):
    if isinstance(x, (Value, Tensor)):
        return fn(x)
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return fn(Value(float(x), requires_grad=False))
    if isinstance(x, (list, tuple)):
        return [_map(fn, xi, name) for xi in x]
    raise TypeError(f"{name}: expected a Value, a list of Values or a Tensor, got {type(x).__name__}")


def sigmoid(x):
    """σ(z) = 1/(1 + e^(−z)), computed without overflow for any finite z; σ' = σ(1 − σ).

    Matches ``torch.sigmoid``.

    >>> sigmoid(Value(0.0)).data
    0.5
    """
    return _map(lambda v: v.sigmoid(), x, "sigmoid")


def tanh(x):
    """tanh z; tanh' = 1 − tanh². Matches ``torch.tanh``.

    >>> tanh(Value(0.0)).data
    0.0
    """
    return _map(lambda v: v.tanh(), x, "tanh")


def relu(x):
    """max(z, 0); relu'(z) = 1 for z > 0 else 0 (0 at z = 0, as ``torch.relu``).

    >>> [v.data for v in relu([-1.0, 2.0])]
    [0.0, 2.0]
    """
    return _map(lambda v: v.relu(), x, "relu")


def leaky_relu(x, slope: float = 0.01):
    """z for z > 0 else slope·z; derivative 1 or slope (slope at 0). ``torch.nn.functional.leaky_relu``.

    >>> leaky_relu(Value(-2.0), 0.1).data
    -0.2
    """
    return _map(lambda v: v.leaky_relu(slope), x, "leaky_relu")


def elu(x, alpha: float = 1.0):
    """z for z > 0 else α(e^z − 1); derivative 1 or elu(z) + α. ``torch.nn.functional.elu``.

    >>> round(elu(Value(-1.0)).data, 6)
    -0.632121
    """
    return _map(lambda v: v.elu(alpha), x, "elu")


def gelu(x):
    """z·Φ(z) with the exact normal CDF Φ (erf); derivative Φ(z) + z·φ(z). ``torch.nn.functional.gelu``.

    Source: Hendrycks & Gimpel (2016).

    >>> round(gelu(Value(1.0)).data, 6)
    0.841345
    """
    return _map(lambda v: v.gelu(), x, "gelu")


def softplus(x):
    """log(1 + e^z) = max(z, 0) + log1p(e^(−|z|)) (no overflow: softplus(1e4) = 1e4); derivative σ(z).

    Matches ``torch.nn.functional.softplus`` (beta = 1; torch switches to z above 20, the same
    number to double precision).

    >>> softplus(Value(1e4)).data
    10000.0
    """
    return _map(lambda v: v.softplus(), x, "softplus")


def identity(x):
    """z itself (the 'linear' output activation); derivative 1. Returns its argument unchanged.

    >>> v = Value(2.0); identity(v) is v
    True
    """
    return x


def _rows(fn: Callable, x, axis: int, name: str):
    if isinstance(x, Tensor):
        return getattr(x, name)(axis=axis)
    if not isinstance(x, (list, tuple)) or not x:
        raise TypeError(f"{name}: expected a non-empty list of Values or a Tensor, got {type(x).__name__}")
    if axis != -1:
        raise ValueError(f"{name}: on lists of Values only axis=-1 (each innermost list) is supported, got {axis}")
    if isinstance(x[0], (list, tuple)):
        return [_rows(fn, xi, axis, name) for xi in x]
    return fn([v if isinstance(v, Value) else Value(float(v), requires_grad=False) for v in x])


def _lse_parts(z: list[Value]) -> tuple[list[Value], list[Value], Value]:
    m = max(v.data for v in z)
    if m == -math.inf or m != m:  # all -inf, or a nan: no shift (a +inf max stays: its row is nan, as torch)
        m = 0.0
    shifted = [v - m for v in z]
    es = [s.exp() for s in shifted]  # shifted by the max: no exponent is positive, nothing overflows
    return shifted, es, autograd.sum(es)


def _softmax(z: list[Value]) -> list[Value]:
    _, es, total = _lse_parts(z)
    return [e / total for e in es]


def _log_softmax(z: list[Value]) -> list[Value]:
    # (z - m) - log Σ e^(z - m), as torch: never z - (m + log Σ), where a large m swallows the log
    shifted, _, total = _lse_parts(z)
    log_total = total.log()
    return [s - log_total for s in shifted]


def softmax(x, axis: int = -1):
    """softmax(z)ⱼ = e^(zⱼ − m) / Σₖ e^(zₖ − m), m = max z (stable); ∂sⱼ/∂zₖ = sⱼ([j = k] − sₖ).

    On a list of K Values (or a list of such rows) returns lists of Values; on a Tensor, the
    softmax along ``axis``. Matches ``torch.softmax``.

    Raises:
        TypeError: for a single Value; ValueError: for axis != -1 on lists.

    >>> [round(v.data, 4) for v in softmax([Value(0.0), Value(0.0)])]
    [0.5, 0.5]
    """
    return _rows(_softmax, x, axis, "softmax")


def log_softmax(x, axis: int = -1):
    """log softmax(z)ⱼ = (zⱼ − m) − log Σₖ e^(zₖ − m), m = max z (stable at |z| = 1e4 and at 1e300).

    Gradient: g − softmax(z)·Σ g. Same inputs as `softmax`; matches ``torch.log_softmax``.

    >>> round(log_softmax([Value(0.0), Value(0.0)])[0].data, 6)    # −log 2
    -0.693147
    """
    return _rows(_log_softmax, x, axis, "log_softmax")


ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "softplus": Value.softplus,
    "gelu": Value.gelu,
    "elu": Value.elu,
    "leaky_relu": Value.leaky_relu,
    "linear": lambda z: z,
}


def activation_fn(name: str) -> Callable[[Value], Value]:
    """The activation called ``name``.

    Raises:
        ValueError: for an unknown name (the message lists the known ones).
    """
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; choose from {sorted(ACTIVATIONS)}") from None
