"""Loss functions on Values: mean squared error and softmax cross-entropy from logits."""

from __future__ import annotations

import math
from typing import Sequence

import autograd
from autograd import Value


def _flat(x) -> list:
    if isinstance(x, (Value, int, float)):
        return [x]
    out = []
    for xi in x:
        out.extend(_flat(xi))
    return out


def mse(prediction, target) -> Value:
    """Mean squared error L = (1/n) Σᵢ (ŷᵢ - yᵢ)², over every element; ∂L/∂ŷᵢ = (2/n)(ŷᵢ - yᵢ).

    Matches ``torch.nn.functional.mse_loss(reduction="mean")``. The textbooks' ½·MSE (gradient
    ŷ - y) is ``0.5 * mse(...)``.

    Args:
        prediction: a Value, or a (nested) list of Values/numbers, shape (n,) or (n, k).
        target: numbers (or Values) of the same shape.

    Raises:
        ValueError: if the number of elements differ or there are none.

    >>> from autograd import Value
    >>> from nn import mse
    >>> mse([Value(1.0), Value(3.0)], [0.0, 1.0]).data    # (1 + 4) / 2
    2.5
    """
    p, t = _flat(prediction), _flat(target)
    if len(p) != len(t):
        raise ValueError(f"mse: prediction has {len(p)} elements, target has {len(t)}")
    if not p:
        raise ValueError("mse: empty input")
    return autograd.mean([(pi - ti) ** 2 for pi, ti in zip(p, t)])


def cross_entropy(logits, target) -> Value:
    """Softmax cross-entropy from logits: L = mean over samples of -log softmax(z)[y].

    For one sample, -log softmax(z)[y] = logsumexp(z) - z_y, computed stably as
    m + log Σⱼ e^(zⱼ - m) with m = max z (a constant shift, which changes no gradient);
    ∂L/∂zⱼ = softmax(z)ⱼ - [j = y] (divided by the batch size). Matches
    ``torch.nn.functional.cross_entropy(reduction="mean")``.

    Args:
        logits: one sample's logits (a list of k Values) or a batch (a list of such lists).
        target: the class index (int in [0, k)) or a list of them, one per sample.

    Raises:
        ValueError: on a class index out of range or a batch-size mismatch.

    >>> from autograd import Value
    >>> from nn import cross_entropy
    >>> round(cross_entropy([Value(0.0), Value(0.0)], 1).data, 6)    # log 2
    0.693147
    """
    if logits and isinstance(logits[0], (Value, int, float)):
        logits, target = [logits], [target]
    if isinstance(target, int):
        target = [target]
    if len(logits) != len(target):
        raise ValueError(f"cross_entropy: {len(logits)} samples of logits but {len(target)} targets")
    if not logits:
        raise ValueError("cross_entropy: empty batch")
    losses = []
    for z, y in zip(logits, target):
        k = len(z)
        if isinstance(y, bool) or not isinstance(y, int) or not 0 <= y < k:
            raise ValueError(f"cross_entropy: target {y!r} is not a class index in [0, {k})")
        z = [zi if isinstance(zi, Value) else Value(float(zi), requires_grad=False) for zi in z]
        m = max(zi.data for zi in z)
        if not math.isfinite(m):
            m = 0.0
        lse = autograd.sum([(zi - m).exp() for zi in z]).log() + m
        losses.append(lse - z[y])
    return autograd.mean(losses)


def softmax(logits: Sequence[Value]) -> list[Value]:
    """softmax(z)ⱼ = e^(zⱼ - m) / Σₖ e^(zₖ - m), m = max z (stable). Returns a list of Values."""
    m = max(float(getattr(z, "data", z)) for z in logits)
    es = [(z - m).exp() if isinstance(z, Value) else Value(math.exp(z - m), requires_grad=False) for z in logits]
    total = autograd.sum(es)
    return [e / total for e in es]
