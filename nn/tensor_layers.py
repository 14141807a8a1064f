"""Layers on Tensors: Linear (z = W a + b for a whole batch), Sequential, activation modules, TensorMLP."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from deltagrad.autograd import Tag, Tensor
from deltagrad.autograd.tensor_fns import linear

from .activations import ACTIVATIONS
from .module import Module
from .serialize import _check_unique


def _tensor_activation(name: str) -> Callable[[Tensor], Tensor]:
    # Tensor has a method of each activation's name (relu, tanh, sigmoid, ...); "linear" is the identity
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose from {sorted(ACTIVATIONS)}")
    if name == "linear":
        return lambda z: z
    method = getattr(Tensor, name, None)
    return method if method is not None else ACTIVATIONS[name]


def _as_input(x: Any) -> Tensor:
    if isinstance(x, Tensor):
        return x
    return Tensor(x, requires_grad=False)


class Linear(Module):
    """A fully connected layer on Tensors: z = W a + b (docs/sources.md#the-notation), for one sample or a batch.

    Layout (the same as `nn.Layer`'s): ``W`` has shape ``(nout, nin)`` and ``W[j, i]`` is
    the weight from input i to neuron j; ``b`` has shape ``(nout,)``.

    - one sample ``a`` of shape ``(nin,)``: ``z = W @ a + b``, shape ``(nout,)``;
    - a batch ``X`` of shape ``(n, nin)`` (one sample per row): ``Z = X @ W.T + b``, shape
      ``(n, nout)`` — row k is z for sample k, so neuron j's δ for sample k is ``Z.grad[k, j]``.

    Args:
        nin: input size (>= 1).
        nout: output size (>= 1).
        layer: this layer's number (1 = first layer of weights), used in tags and
            `state_dict` names (``"layer1.W"``, ``"layer1.b"``).
        seed: initial weights come from ``np.random.default_rng(seed)`` when ``rng`` is not given.
        rng: a ``np.random.Generator`` for the initial weights.
        dtype: ``np.float64`` (default) or ``np.float32``.

    Init: W uniform in [-1, 1] and b = 0, the scheme of `nn.Neuron` (micrograd's), so a
    Linear and an `nn.Layer` start alike (but not with the same draws: copy weights with
    `state_dict` / `load_state_dict` to make them equal).

    Tags: ``W.tag = Tag(layer, -1, "W")``, ``b.tag = Tag(layer, -1, "b")``, and each call's output
    gets ``Tag(layer, -1, "z")``.

    Raises:
        ValueError: for sizes < 1, or an input whose last axis is not ``nin`` (shapes named).

    >>> from deltagrad.nn import Linear
    >>> lin = Linear(3, 2, seed=0)
    >>> lin.W.shape, lin(np.ones(3)).shape, lin(np.ones((5, 3))).shape
    ((2, 3), (2,), (5, 2))
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        *,
        layer: int = 1,
        seed: int | None = None,
        rng: np.random.Generator | None = None,
        dtype: Any = np.float64,
    ):
        if nin < 1 or nout < 1:
            raise ValueError(f"Linear: sizes must be >= 1, got nin={nin}, nout={nout}")
        rng = rng if rng is not None else np.random.default_rng(seed)
        self.nin, self.nout = nin, nout
        self._W = Tensor(rng.uniform(-1.0, 1.0, (nout, nin)), dtype=dtype)
        self._b = Tensor(np.zeros(nout), dtype=dtype)
        self.layer = layer

    @property
    def layer(self) -> int:
        """The layer number; setting it re-labels and re-tags W and b."""
        return self._layer

    @layer.setter
    def layer(self, n: int) -> None:
        self._layer = n
        self._W.tag, self._W.label = Tag(n, -1, "W"), f"W{n}"
        self._b.tag, self._b.label = Tag(n, -1, "b"), f"b{n}"
        self._ztag, self._zlabel = Tag(n, -1, "z"), f"z{n}"

    @property
    def W(self) -> Tensor:
        """The weights, shape (nout, nin). Assigning a Tensor of that shape (a worked example's
        weights) tags and labels it like the one it replaces, so the network view still finds it."""
        return self._W

    @W.setter
    def W(self, t: Tensor) -> None:
        self._W = self._replacement("W", t, (self.nout, self.nin))

    @property
    def b(self) -> Tensor:
        """The biases, shape (nout,); assigning a Tensor of that shape tags it as ``W``'s setter does."""
        return self._b

    @b.setter
    def b(self, t: Tensor) -> None:
        self._b = self._replacement("b", t, (self.nout,))

    def _replacement(self, role: str, t: Any, shape: tuple) -> Tensor:
        if not isinstance(t, Tensor):
            raise TypeError(f"Linear(layer {self.layer}).{role}: expected a Tensor of shape {shape}, got "
                            f"{type(t).__name__} (to copy numbers in, use .{role}.data[...] = array or load_state_dict)")
        if t.shape != shape:
            raise ValueError(f"Linear(layer {self.layer}).{role}: expected shape {shape}, got {t.shape}")
        t.tag, t.label = Tag(self.layer, -1, role), f"{role}{self.layer}"
        return t

    def __call__(self, x: Any) -> Tensor:
        x = x if x.__class__ is Tensor else _as_input(x)
        shape = x.data.shape
        if len(shape) not in (1, 2) or shape[-1] != self.nin:
            raise ValueError(
                f"Linear(layer {self.layer}): expected input of shape ({self.nin},) or (n, {self.nin}), got {shape}"
            )
        z = linear(x, self.W, self.b) if len(shape) == 2 else self.W @ x + self.b
        z.tag = self._ztag
        z.label = self._zlabel
        return z

    def parameters(self) -> list[Tensor]:
        return [self.W, self.b]

    def _state_entries(self) -> dict:
        return {f"layer{self.layer}.W": self.W, f"layer{self.layer}.b": self.b}

    def __repr__(self) -> str:
        return f"Linear({self.nin}, {self.nout}, layer={self.layer})"


class Activation(Module):
    """An activation g applied elementwise, as a module for `Sequential`: ``Activation("tanh")(z)``.

    ``name`` is one of `nn.ACTIVATIONS` (``"relu"``, ``"tanh"``, ``"sigmoid"``, ``"linear"``, ...);
    the call is ``z.<name>()``, so it works on a Tensor (and on a Value). No parameters. Applied to
    a `Linear` layer's output (tagged ``Tag(l, -1, "z")``) it tags its result
    ``Tag(l, -1, "a")``, labelled ``a<l>``, so the network view shows a = g(z) for ``Sequential`` nets.

    Raises:
        ValueError: for an unknown name.

    >>> from deltagrad.autograd import Tensor
    >>> Activation("relu")(Tensor([-1.0, 2.0])).data.tolist()
    [0.0, 2.0]
    """

    def __init__(self, name: str):
        self._g = _tensor_activation(name)  # validates the name
        self.name = name
        self._ztag, self._a = None, None  # the last z tag seen and the (tag, label) its a gets

    def __call__(self, z):
        if not isinstance(z, Tensor):
            return ACTIVATIONS[self.name](z)
        a = self._g(z)
        tag = z.tag
        if a is not z and tag is not None:
            if tag is not self._ztag:  # a layer's z: its a gets Tag(l, -1, "a") (made once per layer seen)
                self._ztag = tag
                self._a = (Tag(tag.layer, -1, "a"), f"a{tag.layer}") if tag.role == "z" else None
            if self._a is not None:
                a.tag, a.label = self._a
        return a

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


class Sequential(Module):
    """Modules applied in order: ``Sequential(Linear(2, 3), Activation("tanh"), Linear(3, 1, layer=2))``.

    ``parameters()`` and `state_dict` gather the children's, in order. Any callable can be a
    step; only `Module` children contribute parameters.

    Raises:
        ValueError: from `state_dict` when two children use the same name (give each
            `Linear` its own ``layer=``).

    >>> seq = Sequential(Linear(2, 3, seed=0), Activation("tanh"), Linear(3, 1, layer=2, seed=1))
    >>> seq(np.ones((4, 2))).shape, sorted(seq.state_dict())
    ((4, 1), ['layer1.W', 'layer1.b', 'layer2.W', 'layer2.b'])
    """

    def __init__(self, *modules: Callable):
        self.modules = list(modules)

    def __call__(self, x):
        for m in self.modules:
            x = m(x)
        return x

    def __getitem__(self, i: int):
        return self.modules[i]

    def __len__(self) -> int:
        return len(self.modules)

    def parameters(self) -> list:
        return [p for m in self.modules if isinstance(m, Module) for p in m.parameters()]

    def _state_entries(self) -> dict:
        return _check_unique(m._state_entries() for m in self.modules if isinstance(m, Module))

    def __repr__(self) -> str:
        return f"Sequential({', '.join(map(repr, self.modules))})"


class TensorMLP(Module):
    """A multi-layer perceptron on Tensors, the batched twin of `nn.MLP`.

    ``TensorMLP(nin, [h1, ..., nout])`` is Linear layers 1..L (``net.layers[l-1]``, see
    `Linear` for the W layout) with ``activation`` after each hidden layer and
    ``output_activation`` after the last. Its `state_dict` has the same names and shapes
    as ``nn.MLP``'s (``"layer1.W"`` (h1, nin), ``"layer1.b"`` (h1,), ...), so weights move between
    the engines with ``tmlp.load_state_dict(mlp.state_dict())``.

    Call it on a batch ``X`` (n, nin) to get (n, nout), or one sample (nin,) to get (nout,)
    (always an array; ``nn.MLP`` returns a single Value when nout is 1).

    Tags: the input gets ``Tag(0, -1, "x")`` (a non-Tensor input is wrapped as
    ``Tensor(x, requires_grad=False)``), each layer's z ``Tag(l, -1, "z")`` and each activation
    output ``Tag(l, -1, "a")`` (none when the activation is ``"linear"``: a is z).

    Raises:
        ValueError: for empty ``nouts``, an unknown activation, or a wrongly shaped input.

    >>> net = TensorMLP(2, [3, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    >>> net(np.zeros((4, 2))).shape, [p.shape for p in net.parameters()]
    ((4, 1), [(3, 2), (3,), (1, 3), (1,)])
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        *,
        seed: int | None = None,
        dtype: Any = np.float64,
    ):
        if not nouts:
            raise ValueError("TensorMLP: nouts must list at least one layer size")
        for name in (activation, output_activation):
            _tensor_activation(name)  # validates the name, even if no hidden layer uses it
        self.sizes = [nin, *nouts]
        self.activation, self.output_activation = activation, output_activation
        rng = np.random.default_rng(seed)
        self.layers = [
            Linear(self.sizes[i], self.sizes[i + 1], layer=i + 1, rng=rng, dtype=dtype) for i in range(len(nouts))
        ]
        self.activations = [activation] * (len(nouts) - 1) + [output_activation]
        self._g = [_tensor_activation(a) for a in self.activations]
        self._atags = [Tag(i + 1, -1, "a") for i in range(len(nouts))]

    def __call__(self, x: Any) -> Tensor:
        if not isinstance(x, Tensor):
            x = Tensor(x, requires_grad=False)
        if x.tag is None:
            x.tag, x.label = Tag(0, -1, "x"), x.label or "x"
        for layer, name, g, tag in zip(self.layers, self.activations, self._g, self._atags):
            x = layer(x)
            if name != "linear":
                x = g(x)
                x.tag, x.label = tag, f"a{tag.layer}"
        return x

    def parameters(self) -> list[Tensor]:
        return [p for layer in self.layers for p in layer.parameters()]

    def _state_entries(self) -> dict:
        return _check_unique(layer._state_entries() for layer in self.layers)

    def __repr__(self) -> str:
        return (
            f"TensorMLP({self.sizes[0]}, {self.sizes[1:]}, activation={self.activation!r}, "
            f"output_activation={self.output_activation!r})"
        )
