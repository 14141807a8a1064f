"""The activations as parameter-free modules (``ReLU()``, ``Softmax(axis)`` ...) for Sequential-style models.

Each is a `nn.module.Module` with no parameters whose ``__call__(x)`` applies the function of
the same name in `nn.activations` to a Value, a (nested) list of Values or a Tensor.
"""

from __future__ import annotations

from collections.abc import Callable

from .activations import elu, gelu, identity, leaky_relu, log_softmax, relu, sigmoid, softmax, softplus, tanh
from .module import Module

__all__ = ["ELU", "GELU", "Identity", "LeakyReLU", "LogSoftmax", "ReLU", "Sigmoid", "Softmax", "Softplus", "Tanh"]


class _Activation(Module):
    _fn: Callable = staticmethod(identity)

    def __call__(self, x):
        """Apply the activation to a Value, a (nested) list of Values or a Tensor."""
        return type(self)._fn(x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Sigmoid(_Activation):
    """Module form of `sigmoid`.

    >>> from deltagrad.autograd import Value
    >>> Sigmoid()(Value(0.0)).data
    0.5
    """

    _fn = staticmethod(sigmoid)


class Tanh(_Activation):
    """Module form of `tanh`."""

    _fn = staticmethod(tanh)


class ReLU(_Activation):
    """Module form of `relu` (relu'(0) = 0)."""

    _fn = staticmethod(relu)


class GELU(_Activation):
    """Module form of `gelu` (exact, erf)."""

    _fn = staticmethod(gelu)


class Softplus(_Activation):
    """Module form of `softplus` (stable)."""

    _fn = staticmethod(softplus)


class Identity(_Activation):
    """Module form of `identity`: returns its input."""

    _fn = staticmethod(identity)


class LeakyReLU(Module):
    """Module form of `leaky_relu` with a fixed ``slope`` (default 0.01, as PyTorch).

    >>> from deltagrad.autograd import Value
    >>> LeakyReLU(0.1)(Value(-1.0)).data
    -0.1
    """

    def __init__(self, slope: float = 0.01):
        self.slope = float(slope)

    def __call__(self, x):
        return leaky_relu(x, self.slope)

    def __repr__(self) -> str:
        return f"LeakyReLU({self.slope})"


class ELU(Module):
    """Module form of `elu` with a fixed ``alpha`` (default 1.0)."""

    def __init__(self, alpha: float = 1.0):
        self.alpha = float(alpha)

    def __call__(self, x):
        return elu(x, self.alpha)

    def __repr__(self) -> str:
        return f"ELU({self.alpha})"


class Softmax(Module):
    """Module form of `softmax` along ``axis`` (default -1, the class axis)."""

    def __init__(self, axis: int = -1):
        self.axis = int(axis)

    def __call__(self, x):
        return softmax(x, self.axis)

    def __repr__(self) -> str:
        return f"Softmax(axis={self.axis})"


class LogSoftmax(Module):
    """Module form of `log_softmax` along ``axis`` (default -1)."""

    def __init__(self, axis: int = -1):
        self.axis = int(axis)

    def __call__(self, x):
        return log_softmax(x, self.axis)

    def __repr__(self) -> str:
        return f"LogSoftmax(axis={self.axis})"
