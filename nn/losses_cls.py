"""Binary classification losses: cross-entropy on probabilities and on logits, focal, hinge, logistic.

Same conventions as `nn.losses` (``(prediction, target)``, ``reduction``, Values or a Tensor).
Probability losses take p = P(y = 1); margin losses take a score ŷ and a label y ∈ {−1, +1}.
"""

from __future__ import annotations

import math

from .losses_core import elementwise, in_unit_interval, plus_minus_one

#: log is clamped at log(_TINY) = −100, as torch.nn.functional.binary_cross_entropy does
_TINY = math.exp(-100.0)
_INF = math.inf


def _bce(p, t):
    # −[t log p + (1 − t) log(1 − p)], each log clamped at −100 by clamping its argument at e^−100
    return -(t * p.clamp(_TINY, _INF).log() + (1.0 - t) * (1.0 - p).clamp(_TINY, _INF).log())


def _both_unit(p, t):
    return in_unit_interval("prediction")(p, t) or in_unit_interval("target")(p, t)


def binary_cross_entropy(prediction, target, *, reduction: str = "mean"):
    """Binary cross-entropy on probabilities: L = −mean(y log p + (1 − y) log(1 − p)).

    ∂L/∂p = (p − y) / (p(1 − p)) per element (/N). Each log is clamped at −100, as in
    ``torch.nn.functional.binary_cross_entropy`` (so p = 0 with y = 1 costs 100, not inf). The
    clamp is done on the argument (log max(p, e^−100)), so the value equals torch's everywhere and
    the gradient is the exact derivative wherever p ∈ [e^−100, 1); where p(1 − p) < 1e−12 torch's
    backward divides by 1e−12 instead, and there the two gradients differ (ours is 0 at p = 0).
    Targets may be soft (any y ∈ [0, 1]). Prefer `binary_cross_entropy_with_logits`.
    Source: docs/losses.md (BCE, column 0: 0.2797765636).

    Raises:
        ValueError: if p or y is outside [0, 1], or the shapes differ.

    >>> round(binary_cross_entropy([0.9, 0.2, 0.6], [1.0, 0.0, 1.0]).data, 10)
    0.2797765636
    """
    return elementwise("binary_cross_entropy", _bce, prediction, target, reduction, _both_unit)


def binary_cross_entropy_with_logits(prediction, target, *, pos_weight: float | None = None, reduction: str = "mean"):
    """BCE on logits z (p = σ(z)), stable: L = mean(softplus(z) − y·z); ∂L/∂z = σ(z) − y (/N).

    log σ(z) = −softplus(−z) and log(1 − σ(z)) = −softplus(z), and the engine's softplus never
    exponentiates a positive number, so z = ±1e4 gives 0 or 1e4, never inf or nan. With
    ``pos_weight`` w: L = mean(w·y·softplus(−z) + (1 − y)·softplus(z)). Matches
    ``torch.nn.functional.binary_cross_entropy_with_logits`` (scalar pos_weight only).

    Raises:
        ValueError: if y is outside [0, 1], or the shapes differ.

    >>> round(binary_cross_entropy_with_logits([0.0], [1.0]).data, 6)    # log 2
    0.693147
    """
    if pos_weight is None:
        def f(z, t):
            return z.softplus() - t * z
    else:
        w = float(pos_weight)

        def f(z, t):
            return w * t * (-z).softplus() + (1.0 - t) * z.softplus()

    return elementwise("binary_cross_entropy_with_logits", f, prediction, target, reduction,
                       in_unit_interval("target"))


def focal_loss(prediction, target, *, gamma: float = 2.0, alpha: float | None = None, from_logits: bool = False,
               reduction: str = "mean"):
    """Binary focal loss: L = mean(α_t (1 − p_t)^γ · BCE), p_t = p·y + (1 − p)(1 − y).

    For hard labels BCE = −log p_t, the formula of Lin et al. (2017), "Focal Loss for Dense
    Object Detection". ``prediction`` is a probability p (default, BCE as
    `binary_cross_entropy`, clamp included) or, with ``from_logits=True``, a logit z: then
    BCE is `binary_cross_entropy_with_logits` and 1 − p_t = σ(z)(1 − y) + σ(−z)·y, with no
    1 − p cancellation, so logits ±1e4 give a finite loss and gradient. α_t = α y + (1 − α)(1 − y)
    when ``alpha`` is given (no weighting when None). γ = 0 is BCE. The gradient is the product
    rule over the two factors (the engine's). With ``from_logits=True`` it equals
    ``torchvision.ops.sigmoid_focal_loss`` (whose default alpha is 0.25; pass it explicitly).
    For 0 < γ < 1 the factor has an infinite slope at p_t = 1, so a saturated logit gives nan.
    Source: docs/losses.md (γ = 2, column 0: 0.0305704823).

    Raises:
        ValueError: if gamma < 0, alpha outside [0, 1], p or y outside [0, 1].

    >>> round(focal_loss([0.9, 0.2, 0.6], [1.0, 0.0, 1.0]).data, 10)
    0.0305704823
    """
    if not gamma >= 0:
        raise ValueError(f"focal_loss: gamma must be >= 0, got {gamma}")
    if alpha is not None and not 0 <= alpha <= 1:
        raise ValueError(f"focal_loss: alpha must be in [0, 1] or None, got {alpha}")

    def f(x, t):
        if from_logits:
            ce = x.softplus() - t * x
            one_minus_pt = (1.0 - t) * x.sigmoid() + t * (-x).sigmoid()
        else:
            ce = _bce(x, t)
            one_minus_pt = (1.0 - t) * x + t * (1.0 - x)
        loss = ce if gamma == 0 else one_minus_pt**gamma * ce
        if alpha is not None:
            loss = (alpha * t + (1.0 - alpha) * (1.0 - t)) * loss
        return loss

    check = in_unit_interval("target") if from_logits else _both_unit
    return elementwise("focal_loss", f, prediction, target, reduction, check)


def hinge(prediction, target, *, reduction: str = "mean"):
    """Hinge loss (SVM): L = mean(max(0, 1 − y·ŷ)), y ∈ {−1, +1}; ∂L/∂ŷ = −y where y·ŷ < 1, else 0.

    Built as relu(1 − y·ŷ), so at the margin y·ŷ = 1 the gradient is 0 (relu'(0) = 0, as
    micrograd's demo and ``torch.relu``; ``torch.clamp(1 - y*ŷ, min=0)`` would give −y there).
    PyTorch has no binary hinge function (``hinge_embedding_loss`` is a different loss).

    Raises:
        ValueError: if a label is not −1 or +1.

    >>> hinge([0.5, -2.0], [1.0, -1.0]).data    # (0.5 + 0) / 2
    0.25
    """
    return elementwise("hinge", lambda s, y: (1.0 - y * s).relu(), prediction, target, reduction, plus_minus_one)


def squared_hinge(prediction, target, *, reduction: str = "mean"):
    """Squared hinge: L = mean(max(0, 1 − y·ŷ)²), y ∈ {−1, +1}; ∂L/∂ŷ = −2y·max(0, 1 − y·ŷ).

    Differentiable everywhere (the gradient is 0 on both sides of the margin). No PyTorch function.

    >>> squared_hinge([0.5, -2.0], [1.0, -1.0]).data    # (0.25 + 0) / 2
    0.125
    """
    return elementwise("squared_hinge", lambda s, y: (1.0 - y * s).relu() ** 2, prediction, target, reduction,
                       plus_minus_one)


def logistic(prediction, target, *, reduction: str = "mean"):
    """Logistic (soft-margin) loss: L = mean(log(1 + e^(−y·ŷ))) = mean(softplus(−y·ŷ)), y ∈ {−1, +1}.

    ∂L/∂ŷ = −y·σ(−y·ŷ). Stable for any finite margin (softplus). Matches
    ``torch.nn.functional.soft_margin_loss``; equals BCE-with-logits with y' = (y + 1)/2.

    >>> round(logistic([0.0], [1.0]).data, 6)    # log 2
    0.693147
    """
    return elementwise("logistic", lambda s, y: (-(y * s)).softplus(), prediction, target, reduction, plus_minus_one)
