"""deltagrad: reverse-mode autodiff for learning, teaching and checking backpropagation.

One import name, four parts::

    from deltagrad import Value, Tensor, nn, viz   # the engine's nodes, the nn layer, the views
    deltagrad.autograd.grad, deltagrad.autograd.gradcheck, deltagrad.check.compare_grads

``deltagrad.autograd`` is the engine (numpy and the standard library only); ``deltagrad.nn``
builds neurons, layers, losses and optimizers from it; ``deltagrad.viz`` draws its graphs;
``deltagrad.check`` compares hand derivations with it. ``nn``, ``viz`` and ``check`` are imported
on first use, so ``import deltagrad`` costs only the engine. ``deltagrad.Playground`` (the
playground as a notebook widget) is `deltagrad.playground.Playground`, also imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .autograd import Tensor, Value

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from . import autograd, check, nn, viz
    from .playground import Playground

__all__ = ["Playground", "Tensor", "Value", "autograd", "check", "nn", "viz"]
_SUBPACKAGES = frozenset({"check", "nn", "viz"})


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    if name == "Playground":
        from .playground import Playground

        return Playground
    raise AttributeError(f"module 'deltagrad' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SUBPACKAGES | {"Playground"})
