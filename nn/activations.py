"""Activation functions g(z) on Values, by name (the names used in MLP(..., activation=...))."""

from __future__ import annotations

from typing import Callable

from autograd import Value

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
