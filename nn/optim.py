"""Optimizers: SGD (momentum, Nesterov, weight decay) and Adam, with PyTorch's update rules, for Value and Tensor parameters."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

import numpy as np
from deltagrad.autograd import Tensor, Value

# The same code runs on both kinds of parameter: a Value's ``data`` is a float, a Tensor's a numpy
# array. Arithmetic below is out of place (never aliasing a grad array); only ``p.data`` is
# updated in place (a Tensor keeps its array, so references to ``W.data`` stay valid).


def _grad(p) -> Any:
    """p's gradient as a number or array, or None when p has none (torch's ``p.grad is None``).

    None is what ``zero_grad()`` leaves until a backward reaches p; a Tensor whose grad is still the
    0.0 of a fresh node has had no backward reach it either (a reached Tensor's grad is an array).
    """
    g = p.grad
    if g is None or (g.__class__ is float and g == 0.0 and p.data.__class__ is np.ndarray):
        return None
    return g.data if isinstance(g, (Value, Tensor)) else g  # a Value/Tensor grad after backward(create_graph=True)


def zero_grads(params: Iterable, set_to_none: bool = True) -> None:
    """Clear the gradients of ``params``, as ``torch.optim.Optimizer.zero_grad`` and ``torch.nn.Module.zero_grad``.

    ``set_to_none=True`` (the default, as torch): every ``grad`` becomes None, and an optimizer
    skips a parameter whose ``grad`` is still None at ``step()`` (no backward reached it): no
    momentum, weight decay or Adam moment moves it. ``set_to_none=False``: a gradient is zeroed
    instead (a Tensor's array in place, as torch's ``zero_()``; a Value's becomes 0.0), so the
    parameter is stepped with a zero gradient; a grad that is None stays None.

    >>> from deltagrad.autograd import Value
    >>> w = Value(1.0); (w * 3.0).backward(); zero_grads([w]); w.grad is None
    True
    """
    if set_to_none:
        for p in params:
            p.grad = None
        return
    for p in params:
        g = p.grad
        if g is None:
            continue
        if g.__class__ is np.ndarray:
            g.fill(0.0)  # the parameter's own array (no other node shares it)
        elif p.data.__class__ is np.ndarray:
            p.grad = 0.0 if g.__class__ is float else np.zeros_like(p.data)  # a fresh 0.0 stays; a node grad goes
        else:
            p.grad = 0.0


def _update(p, step) -> None:
    if isinstance(p.data, np.ndarray):
        p.data -= step
    else:
        p.data = float(p.data - step)


class Optimizer(ABC):
    """Base class: holds ``params``, updates them with `step`, resets grads with `zero_grad`.

    Works unchanged on `autograd.Value` parameters (``data`` a float) and
    `autograd.Tensor` parameters (``data`` an array, updated in place). As in ``torch.optim``,
    ``step()`` skips a parameter that has no gradient -- ``grad`` None (``zero_grad()`` sets it; a
    backward that does not reach the parameter leaves it), or a Tensor's still the 0.0 of a fresh
    node -- so momentum, weight decay and Adam's moments do not move it, and Adam counts its steps
    per parameter. A Value's 0.0 cannot tell "not reached" from "a zero gradient" and is stepped.

    Raises:
        ValueError: for an empty parameter list or lr <= 0.
    """

    def __init__(self, params: Iterable, lr: float):
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not lr > 0:
            raise ValueError(f"{type(self).__name__}: lr must be > 0, got {lr}")
        self.lr = lr
        self.t = 0  # steps taken

    def step(self) -> None:
        """Update every parameter in place from its ``grad``."""
        self.t += 1
        for i, p in enumerate(self.params):
            g = _grad(p)
            if g is not None:  # torch.optim skips a parameter without a gradient
                _update(p, self._step(i, p, g))

    @abstractmethod
    def _step(self, i: int, p, g):
        """The amount subtracted from ``p.data`` for parameter ``i`` with gradient ``g``."""

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``grad`` (call before each ``backward()``: grads accumulate).

        As torch: every ``grad`` becomes None (``set_to_none=False``: zeroed instead); see
        `zero_grads`. A parameter the next backward does not reach keeps None and is skipped
        by `step`.
        """
        if set_to_none:
            for p in self.params:
                p.grad = None
        else:
            zero_grads(self.params, False)


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's ``torch.optim.SGD`` update exactly.

    With g = ∂L/∂p at step t (source: https://pytorch.org/docs/stable/generated/torch.optim.SGD.html)::

        g ← g + λ p                              (weight_decay λ, an L2 penalty λ/2·‖p‖²)
        b ← g            if t = 1                (momentum μ > 0: the velocity buffer)
        b ← μ b + (1 - τ) g   otherwise          (dampening τ)
        g ← g + μ b  if nesterov  else  g ← b
        p ← p - lr · g

    With ``momentum=0`` this is the update W ← W - γ dW of the seed documents
    (docs/sources.md#seed-document-002).

    Args:
        params: the parameters (e.g. ``model.parameters()``): Values or Tensors.
        lr: learning rate γ (> 0).
        momentum: μ in [0, 1).
        weight_decay: λ >= 0.
        nesterov: Nesterov momentum (needs momentum > 0 and dampening 0, as in PyTorch).
        dampening: τ in [0, 1].

    Raises:
        ValueError: for an empty parameter list, lr <= 0, momentum outside [0, 1), a negative
            weight decay, dampening outside [0, 1], or nesterov without momentum / with dampening.

    >>> from deltagrad.autograd import Value
    >>> from deltagrad.nn import SGD
    >>> w = Value(1.0); (w * w).backward(); opt = SGD([w], lr=0.1); opt.step(); w.data  # 1 - 0.1*2
    0.8
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 0.01,
        momentum: float = 0.0,
        *,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        dampening: float = 0.0,
    ):
        super().__init__(params, lr)
        if not 0 <= momentum < 1:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum}")
        if not weight_decay >= 0:
            raise ValueError(f"SGD: weight_decay must be >= 0, got {weight_decay}")
        if not 0 <= dampening <= 1:
            raise ValueError(f"SGD: dampening must be in [0, 1], got {dampening}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov needs momentum > 0 and dampening 0")
        self.momentum, self.weight_decay, self.nesterov, self.dampening = momentum, weight_decay, nesterov, dampening
        self._b: list = [None] * len(self.params)

    def step(self) -> None:
        """Update every parameter in place from its ``grad`` (see the class docstring)."""
        if self.momentum or self.weight_decay:
            return super().step()
        # plain SGD, p ← p - lr·g: the inner loop of every training step, kept lean
        self.t += 1
        lr = self.lr
        for p in self.params:
            g = p.grad
            if (g.__class__ is np.ndarray and p.data.__class__ is np.ndarray) or (
                type(g) is float and type(p.data) is float
            ):  # a Tensor's array updated in place, or a Value's float
                p.data -= lr * g
            else:
                g = _grad(p)
                if g is not None:  # None: no gradient, skipped (torch.optim)
                    _update(p, lr * g)
        return None

    def _step(self, i: int, p, g):
        lr, mu = self.lr, self.momentum
        if self.weight_decay:
            g = g + self.weight_decay * p.data
        if mu:
            b = self._b[i]
            b = self._b[i] = g + 0.0 if b is None else mu * b + (1 - self.dampening) * g  # g + 0.0: a copy
            g = g + mu * b if self.nesterov else b
        return lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), PyTorch's ``torch.optim.Adam`` update exactly (``amsgrad=False``).

    With g = ∂L/∂p at step t = 1, 2, ... (source: https://pytorch.org/docs/stable/generated/torch.optim.Adam.html)::

        g ← g + λ p                               (weight_decay λ: L2 added to the gradient, not AdamW)
        m ← β₁ m + (1 - β₁) g                     (first moment, m₀ = 0)
        v ← β₂ v + (1 - β₂) g²                    (second moment, v₀ = 0)
        p ← p - (lr / (1 - β₁ᵗ)) · m / (√v / √(1 - β₂ᵗ) + ε)

    (the last line is PyTorch's arrangement of m̂ / (√v̂ + ε) with m̂ = m/(1-β₁ᵗ), v̂ = v/(1-β₂ᵗ)).

    Args:
        params: Values or Tensors. lr: step size (> 0). betas: (β₁, β₂), each in [0, 1).
        eps: ε >= 0, added to the denominator. weight_decay: λ >= 0.

    Raises:
        ValueError: for an empty parameter list, lr <= 0, betas outside [0, 1), eps < 0 or λ < 0.

    >>> from deltagrad.autograd import Value
    >>> from deltagrad.nn import Adam
    >>> w = Value(1.0); (w * w).backward(); Adam([w], lr=0.1).step(); round(w.data, 6)  # first step moves by ~lr
    0.9
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        super().__init__(params, lr)
        b1, b2 = betas
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"Adam: betas must be in [0, 1), got {betas}")
        if not eps >= 0:
            raise ValueError(f"Adam: eps must be >= 0, got {eps}")
        if not weight_decay >= 0:
            raise ValueError(f"Adam: weight_decay must be >= 0, got {weight_decay}")
        self.betas, self.eps, self.weight_decay = (b1, b2), eps, weight_decay
        self._m: list = [0.0] * len(self.params)
        self._v: list = [0.0] * len(self.params)
        self._t: list = [0] * len(self.params)  # steps taken by each parameter (a skipped one does not count)

    def _step(self, i: int, p, g):
        t = self._t[i] = self._t[i] + 1  # torch keeps state["step"] per parameter
        b1, b2 = self.betas
        if self.weight_decay:
            g = g + self.weight_decay * p.data
        m = self._m[i] = b1 * self._m[i] + (1 - b1) * g
        v = self._v[i] = b2 * self._v[i] + (1 - b2) * (g * g)
        denom = (v**0.5) / math.sqrt(1 - b2**t) + self.eps
        return (self.lr / (1 - b1**t)) * m / denom
