"""Optimizers: SGD (with momentum) over a list of parameters."""

from __future__ import annotations

from typing import Iterable

from autograd import Value


class SGD:
    """Stochastic gradient descent: v ← μ v + g;  p ← p - lr · v  (μ = momentum, PyTorch's form).

    With ``momentum=0`` this is the seed documents' update W ← W - γ dW.

    Args:
        params: the parameters (e.g. ``model.parameters()``).
        lr: learning rate γ (> 0).
        momentum: μ in [0, 1).

    Raises:
        ValueError: for an empty parameter list, lr <= 0, or momentum outside [0, 1).

    >>> from autograd import Value
    >>> from nn import SGD
    >>> w = Value(1.0); (w * w).backward(); opt = SGD([w], lr=0.1); opt.step(); w.data  # 1 - 0.1*2
    0.8
    """

    def __init__(self, params: Iterable[Value], lr: float = 0.01, momentum: float = 0.0):
        self.params = list(params)
        if not self.params:
            raise ValueError("SGD: got an empty parameter list")
        if not lr > 0:
            raise ValueError(f"SGD: lr must be > 0, got {lr}")
        if not 0 <= momentum < 1:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum}")
        self.lr, self.momentum = lr, momentum
        self._v = [0.0] * len(self.params)

    def step(self) -> None:
        """Update every parameter in place from its ``grad``."""
        lr, mu = self.lr, self.momentum
        for i, p in enumerate(self.params):
            g = p.grad.data if isinstance(p.grad, Value) else p.grad
            if mu:
                g = self._v[i] = mu * self._v[i] + g
            p.data -= lr * g

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0.0."""
        for p in self.params:
            p.grad = 0.0
