"""Functions on Tensors that are not methods: a fused layer, joins, where, maximum/minimum, the fused MSE."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .tensor import Tensor, _apply, _coerce
from .tensor_ops import TENSOR_PRIMITIVES as T
from .value import maximum as _vmaximum
from .value import minimum as _vminimum


def _tensors(xs, name: str) -> tuple:
    xs = tuple(x if isinstance(x, Tensor) else Tensor(x, requires_grad=False) for x in xs)
    if not xs:
        raise ValueError(f"{name}: needs at least one tensor")
    return xs


def linear(x: Tensor, W: Tensor, b: Tensor) -> Tensor:
    """A layer's pre-activations for a batch: Z = x Wᵀ + b as one node (the seed's z = W a + b per row).

    Shapes: x (n, nin), W (nout, nin), b (nout,) -> Z (n, nout). VJPs: ∂L/∂x = G W, ∂L/∂W = Gᵀ x
    (directly in W's layout), ∂L/∂b = Σ over rows of G.

    Raises:
        ValueError: when the shapes do not fit (named with the op).
    """
    xs, ws, bs = x.data.shape, W.data.shape, b.data.shape
    if len(xs) != 2 or len(ws) != 2 or len(bs) != 1 or xs[1] != ws[1] or bs[0] != ws[0]:
        raise ValueError(f"linear: expected x (n, nin), W (nout, nin), b (nout,); got {xs}, {ws}, {bs}")
    return _apply(T["linear"], (x, W, b))


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing ``axis``; the gradient is split back."""
    return _apply(T["concatenate"], _tensors(tensors, "concatenate"), (axis,))


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join same-shape tensors along a new ``axis``; the gradient is taken apart along it."""
    return _apply(T["stack"], _tensors(tensors, "stack"), (axis,))


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """Elementwise ``a`` where ``cond`` else ``b`` (broadcast); cond is a constant boolean array."""
    if isinstance(a, Tensor):  # a number takes the other branch's dtype
        return a.where(cond, b)
    if isinstance(b, Tensor):
        return _coerce(a, b).where(cond, b)
    cond = np.asarray(cond.data if isinstance(cond, Tensor) else cond, dtype=bool)
    a, b = Tensor._const(np.asarray(a, dtype=np.float64)), Tensor._const(np.asarray(b, dtype=np.float64))
    return _apply(T["where"], (a, b), (cond,))


def maximum(a: Any, b: Any) -> Any:
    """Elementwise max of two Tensors (broadcast) or two Values; a tie sends the gradient to ``a``."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        a, b = (a, _coerce(b, a)) if isinstance(a, Tensor) else (_coerce(a, b), b)
        return _apply(T["maximum"], (a, b))
    return _vmaximum(a, b)


def minimum(a: Any, b: Any) -> Any:
    """Elementwise min of two Tensors (broadcast) or two Values; a tie sends the gradient to ``a``."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        a, b = (a, _coerce(b, a)) if isinstance(a, Tensor) else (_coerce(a, b), b)
        return _apply(T["minimum"], (a, b))
    return _vminimum(a, b)


def mse_loss(prediction: Tensor, target: Any, *, scale: float = 1.0) -> Tensor:
    """scale · mean((prediction − target)²) as one node; its VJP is scale · (2/N)(prediction − target).

    PyTorch's ``mse_loss`` is one autograd node too: the loss of a training step costs one node
    instead of four (sub, square, mean, scale), the same numbers. ``scale=0.5`` is the textbook
    ½·MSE whose gradient seed document 002's hand-written XOR backward computes, (a − y)/N
    (docs/sources.md#the-xor-network).
    ``nn.mse`` and ``nn.half_mse`` use it for Tensors with ``reduction="mean"``.

    Shapes: prediction and target alike (no broadcasting); the result is 0-d. ``target`` may be
    a Tensor (then it gets the gradient −scale · (2/N)(prediction − target)) or array-like.

    Raises:
        ValueError: if the shapes differ or the input is empty (both shapes named).

    >>> from deltagrad.autograd import Tensor
    >>> p = Tensor([1.0, 3.0]); loss = mse_loss(p, [0.0, 1.0]); loss.backward()
    >>> loss.item(), p.grad.tolist()       # (1 + 4) / 2, (2/2)·(p − t)
    (2.5, [1.0, 2.0])
    """
    target = target if isinstance(target, Tensor) else Tensor(np.asarray(target, dtype=prediction.dtype),
                                                               requires_grad=False)
    if prediction.shape != target.shape or prediction.size == 0:
        raise ValueError(f"mse_loss: prediction of shape {prediction.shape} and target of shape {target.shape} "
                         "must have the same, non-empty shape")
    return _apply(T["mse"], (prediction, target), (float(scale),))
