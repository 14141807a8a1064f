"""Loss functions on Values or Tensors: the regression family here, classification re-exported.

Every loss takes ``(prediction, target)`` in PyTorch's order and ``reduction='mean'|'sum'|'none'``.
``prediction`` is a Value, a (nested) list of Values/numbers, or a Tensor; ``target`` has the
same shape ('none' returns a list of Values of that shape, or a Tensor). Notation of
``docs/losses.md``: y = target, ŷ = prediction, e = y − ŷ. Formulas are built from engine
primitives, so ``backward()`` gives the gradient; each docstring states it.
"""

from __future__ import annotations

import math

from deltagrad import autograd

from .activations import log_softmax, softmax
from .losses_core import data, elementwise, fused_mse, reduce, where

_LOG2 = math.log(2.0)


def mse(prediction, target, *, reduction: str = "mean"):
    """Mean squared error (L2): L = mean((ŷ − y)²); ∂L/∂ŷᵢ = (2/N)(ŷᵢ − yᵢ).

    Matches ``torch.nn.functional.mse_loss``. Source: docs/losses.md (MSE). On a Tensor
    with ``reduction="mean"`` it is one engine node (`autograd.mse_loss`), as in PyTorch.

    Raises:
        ValueError: if the shapes differ (both named, with element counts) or the input is empty.

    >>> from deltagrad.autograd import Value
    >>> mse([Value(1.0), Value(3.0)], [0.0, 1.0]).data    # (1 + 4) / 2
    2.5
    """
    if reduction == "mean" and isinstance(prediction, autograd.Tensor):
        return fused_mse("mse", prediction, target, 1.0)
    return elementwise("mse", lambda p, t: (p - t) ** 2, prediction, target, reduction)


def half_mse(prediction, target, *, reduction: str = "mean"):
    """The textbook ½-form: L = mean(½(ŷ − y)²), whose gradient is ∂L/∂ŷᵢ = (ŷᵢ − yᵢ)/N.

    ``0.5 * mse_loss`` in PyTorch. Source: docs/losses.md (half-MSE). On a Tensor with
    ``reduction="mean"`` it is one engine node (`autograd.mse_loss` with ``scale=0.5``).

    >>> from deltagrad.autograd import Value
    >>> half_mse([Value(3.0)], [1.0]).data
    2.0
    """
    if reduction == "mean" and isinstance(prediction, autograd.Tensor):
        return fused_mse("half_mse", prediction, target, 0.5)
    return elementwise("half_mse", lambda p, t: 0.5 * (p - t) ** 2, prediction, target, reduction)


def mae(prediction, target, *, reduction: str = "mean"):
    """Mean absolute error (L1): L = mean(|ŷ − y|); ∂L/∂ŷᵢ = sign(ŷᵢ − yᵢ)/N, 0 at ŷ = y.

    Matches ``torch.nn.functional.l1_loss`` (also its gradient 0 at the kink).

    >>> mae([1.0, -2.0], [0.0, 0.0]).data
    1.5
    """
    return elementwise("mae", lambda p, t: abs(p - t), prediction, target, reduction)


def rmse(prediction, target, *, reduction: str = "mean"):
    """Root mean squared error: L = sqrt(mean((ŷ − y)²)); ∂L/∂ŷᵢ = (ŷᵢ − yᵢ)/(N·L).

    ``torch.sqrt(mse_loss(...))``. ``reduction='sum'`` gives sqrt(Σ e²) (the error's Euclidean
    norm), ``'none'`` gives |eᵢ| per element. At a perfect fit (L = 0) the gradient is 0/0 = nan,
    as in PyTorch: the square root has an infinite slope at 0.

    >>> round(rmse([2.5, 5.0, 8.0], [3.0, 5.0, 7.0]).data, 10)
    0.6454972244
    """
    if reduction == "none":
        return elementwise("rmse", lambda p, t: abs(p - t), prediction, target, reduction)
    return elementwise("rmse", lambda p, t: (p - t) ** 2, prediction, target, reduction).sqrt()


def mbe(prediction, target, *, reduction: str = "mean"):
    """Mean bias error: L = mean(y − ŷ) (signed: > 0 means under-prediction); ∂L/∂ŷᵢ = −1/N.

    A diagnostic rather than a training loss (it is unbounded below). No PyTorch function.

    >>> round(mbe([2.5, 5.0, 8.0], [3.0, 5.0, 7.0]).data, 10)
    -0.1666666667
    """
    return elementwise("mbe", lambda p, t: t - p, prediction, target, reduction)


def huber(prediction, target, *, delta: float = 1.0, reduction: str = "mean"):
    """Huber loss: ½e² if |e| ≤ δ else δ(|e| − ½δ); ∂L/∂ŷ = −e if |e| ≤ δ else −δ·sign(e) (per element, /N).

    Quadratic near 0, linear in the tails; its first derivative is continuous at |e| = δ (both
    sides give ∓δ), so there is no kink to choose a side for. Matches
    ``torch.nn.functional.huber_loss(delta=δ)``. Source: Huber (1964); docs/losses.md.

    Raises:
        ValueError: if delta <= 0, or as `mse`.

    >>> huber([0.0, 0.0], [0.5, 3.0]).data    # (0.125 + 2.5) / 2
    1.3125
    """
    if not delta > 0:
        raise ValueError(f"huber: delta must be > 0, got {delta}")

    def f(p, t):
        e = p - t
        a = abs(e)
        return where(data(a) <= delta, 0.5 * e * e, delta * (a - 0.5 * delta))

    return elementwise("huber", f, prediction, target, reduction)


def smooth_l1(prediction, target, *, beta: float = 1.0, reduction: str = "mean"):
    """Smooth L1: ½e²/β if |e| < β else |e| − ½β; equals huber(δ=β)/β. β = 0 is plain L1.

    Matches ``torch.nn.functional.smooth_l1_loss(beta=β)`` (Fast R-CNN's box loss).

    Raises:
        ValueError: if beta < 0.

    >>> smooth_l1([0.0, 0.0], [0.5, 3.0]).data    # (0.125 + 2.5) / 2
    1.3125
    """
    if not beta >= 0:
        raise ValueError(f"smooth_l1: beta must be >= 0, got {beta}")
    if beta == 0:
        return elementwise("smooth_l1", lambda p, t: abs(p - t), prediction, target, reduction)

    def f(p, t):
        e = p - t
        a = abs(e)
        return where(data(a) < beta, (0.5 / beta) * e * e, a - 0.5 * beta)

    return elementwise("smooth_l1", f, prediction, target, reduction)


def log_cosh(prediction, target, *, reduction: str = "mean"):
    """Log-cosh: L = mean(log cosh e), computed as |e| + log1p(e^(−2|e|)) − log 2; ∂L/∂ŷ = −tanh(e)/N.

    cosh overflows for |e| > 710; this form never exponentiates a positive number, so
    log_cosh at e = 1e4 is 1e4 − log 2 with gradient ∓1. ≈ ½e² near 0, ≈ |e| − log 2 far out.
    No PyTorch function. Source: docs/losses.md.

    >>> round(log_cosh([2.5, 5.0, 8.0], [3.0, 5.0, 7.0]).data, 10)
    0.1846317791
    """

    def f(p, t):
        a = abs(t - p)
        return a + (-2.0 * a).exp().log1p() - _LOG2

    return elementwise("log_cosh", f, prediction, target, reduction)


def quantile(prediction, target, *, q: float = 0.5, reduction: str = "mean"):
    """Quantile (pinball) loss: L = mean(max(q·e, (q − 1)·e)), e = y − ŷ, q ∈ (0, 1).

    ∂L/∂ŷ = −q where ŷ < y, 1 − q where ŷ > y (per element, /N). At the kink e = 0 the
    engine's ``maximum`` sends the gradient to its first argument, q·e, so ∂L/∂ŷ = −q there
    (the derivative from the side ŷ < y). q = 0.5 is half the MAE. No PyTorch function.
    Source: Koenker & Bassett (1978); docs/losses.md (note: seed document 002's exercise assert
    of 0.4167 for q = 0.7 is wrong; 0.2166666667 is right).

    Raises:
        ValueError: if q is not in (0, 1).

    >>> round(quantile([2.5, 5.0, 8.0], [3.0, 5.0, 7.0], q=0.7).data, 10)
    0.2166666667
    """
    if not 0 < q < 1:
        raise ValueError(f"quantile: q must be in (0, 1), got {q}")
    def f(p, t):
        e = t - p
        return autograd.maximum(q * e, (q - 1.0) * e)

    return elementwise("quantile", f, prediction, target, reduction)


# the classification family lives in losses_cls.py and losses_multi.py; one import place for users
from .losses_cls import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    focal_loss,
    hinge,
    logistic,
    squared_hinge,
)
from .losses_multi import cross_entropy, kl_div, multi_margin, nll_loss

REGRESSION = ("mse", "half_mse", "mae", "rmse", "mbe", "huber", "smooth_l1", "log_cosh", "quantile")
CLASSIFICATION = ("binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss",
                  "focal_loss", "kl_div", "hinge", "squared_hinge", "logistic", "multi_margin")

__all__ = [
    "CLASSIFICATION",
    "REGRESSION",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "focal_loss",
    "half_mse",
    "hinge",
    "huber",
    "kl_div",
    "log_cosh",
    "log_softmax",
    "logistic",
    "mae",
    "mbe",
    "mse",
    "multi_margin",
    "nll_loss",
    "quantile",
    "reduce",
    "rmse",
    "smooth_l1",
    "softmax",
    "squared_hinge",
]
