"""Module, Neuron, Layer, MLP on Values, with every z, a, w and b tagged so δ = z.grad can be found."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

import numpy as np
from deltagrad.autograd import Tag, Value
from deltagrad.autograd.value import _linear

from .activations import ACTIVATIONS, activation_fn
from .optim import zero_grads
from .serialize import LoadResult, _check_unique, _grid, _read, _write, load, save


class Module:
    """Base class: anything with parameters. ``parameters()`` lists them, ``zero_grad()`` resets them."""

    def parameters(self) -> list[Value]:
        """Every trainable Value of this module, in a fixed order."""
        return []

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``grad`` (call before each ``backward()``: gradients accumulate).

        As ``torch.nn.Module.zero_grad``: ``grad`` becomes None (``set_to_none=False``: zeroed), so an
        optimizer skips a parameter the next backward does not reach (see ``nn.optim.zero_grads``).
        """
        zero_grads(self.parameters(), set_to_none)

    def _state_entries(self) -> dict:
        # name -> a Tensor, or an object array of Values laid out as the named array
        return {
            f"param{k}": _grid([p]).reshape(()) if isinstance(p, Value) else p for k, p in enumerate(self.parameters())
        }

    def state_dict(self) -> dict[str, np.ndarray]:
        """The parameters as named numpy arrays (copies), e.g. ``{"layer1.W": (h1, nin), "layer1.b": (h1,), ...}``.

        ``nn.MLP`` and ``nn.TensorMLP`` use the same names and layouts (W[j, i] is the weight from
        input i to neuron j), so ``tensor_mlp.load_state_dict(mlp.state_dict())`` moves weights
        between the engines. Value parameters come out as float64 arrays; Tensor parameters keep
        their dtype. A module without its own layout names its parameters ``param0``, ``param1``...

        >>> from deltagrad.nn import MLP
        >>> {k: v.shape for k, v in MLP(2, [3, 1], seed=0).state_dict().items()}
        {'layer1.W': (3, 2), 'layer1.b': (3,), 'layer2.W': (1, 3), 'layer2.b': (1,)}
        """
        return {name: _read(e) for name, e in self._state_entries().items()}

    def load_state_dict(self, state: dict, strict: bool = True) -> LoadResult:
        """Copy arrays from ``state`` (name -> array-like) into the parameters, in place.

        Everything is checked before anything is written: a failed load changes nothing.

        Args:
            state: e.g. another module's `state_dict`, or the arrays of ``nn.load``.
            strict: require exactly this module's names (default). With ``strict=False`` the
                names present in both are loaded and the others reported.

        Returns:
            ``LoadResult(missing_keys, unexpected_keys)`` (both empty when strict).

        Raises:
            ValueError: naming the missing and unexpected keys (strict), a shape mismatch (name,
                expected and got), or a non-numeric array.

        >>> from deltagrad.nn import MLP
        >>> a, b = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=1)
        >>> b.load_state_dict(a.state_dict()); b.layers[0].neurons[2].w[1].data == a.layers[0].neurons[2].w[1].data
        LoadResult(missing_keys=[], unexpected_keys=[])
        True
        """
        entries = self._state_entries()
        missing = [k for k in entries if k not in state]
        unexpected = [k for k in state if k not in entries]
        if strict and (missing or unexpected):
            raise ValueError(
                f"load_state_dict({type(self).__name__}): missing keys {missing}, "
                f"unexpected keys {unexpected}; expected {list(entries)}"
            )
        arrays = {}
        for k, e in entries.items():
            if k not in state:
                continue
            arr = np.asarray(state[k])
            if arr.dtype.kind not in "biuf":
                raise ValueError(f"load_state_dict: {k!r} has dtype {arr.dtype}; expected numbers")
            if arr.shape != e.shape:
                raise ValueError(f"load_state_dict: {k!r} has shape {arr.shape}; expected {e.shape}")
            arrays[k] = arr
        for k, arr in arrays.items():
            _write(entries[k], arr)
        return LoadResult(missing, unexpected)

    def save(self, path) -> None:
        """Write `state_dict` to an ``.npz`` file (see `nn.save`)."""
        save(self, path)

    def load(self, path, strict: bool = True) -> LoadResult:
        """Load parameters from an ``.npz`` file written by `save` (see `nn.load`)."""
        return load(self, path, strict=strict)


def _as_values(x: Iterable, layer: int, sample: int | None) -> list[Value]:
    if all(type(xi) is Value for xi in x):
        return x if type(x) is list else list(x)
    out = []
    for i, xi in enumerate(x):
        if not isinstance(xi, Value):
            xi = Value(float(xi), label=f"x{i + 1}", requires_grad=False)
            xi.tag = Tag(layer, i, "x", sample=sample)
        out.append(xi)
    return out


class Neuron(Module):
    """One neuron: z = Σᵢ wᵢ xᵢ + b, a = g(z).

    Args:
        nin: number of inputs.
        nonlin: the activation g: ``True`` (relu, micrograd's default), ``False`` (identity), or a
            name from `nn.ACTIVATIONS` (``"relu"``, ``"tanh"``, ``"sigmoid"``, ...).
        layer: the layer the neuron sits in (for the tags; set by `Layer`).
        index: the neuron's position in that layer (for the tags; set by `Layer`).
        rng: a ``random.Random`` for the initial weights (uniform in [-1, 1], as micrograd).
        fused: build z as one ``linear`` node (fast, default) or as the unfused chain of ``*`` and
            ``+`` nodes a learner reads in the op view. Values and gradients are identical.

    Every call tags z and a with ``Tag(layer, index, "z"|"a", sample=...)``; weights carry
    ``Tag(layer, index, "w", index=i)`` and the bias ``Tag(layer, index, "b")``. After
    ``backward()``, δ = ∂L/∂z is ``z.grad``.

    >>> from deltagrad.nn import Neuron
    >>> import random
    >>> n = Neuron(2, "tanh", rng=random.Random(0))
    >>> a = n([1.0, -2.0]); len(n.parameters())
    3
    """

    def __init__(self, nin: int, nonlin: bool | str = True, *, layer: int = 1, index: int = 0,
                 rng: random.Random | None = None, fused: bool = True):
        if nin < 1:
            raise ValueError(f"Neuron: nin must be >= 1, got {nin}")
        rng = rng or random.Random()
        self.activation = "relu" if nonlin is True else "linear" if nonlin is False else nonlin
        self._g = activation_fn(self.activation)
        self.layer, self.index, self.fused = layer, index, fused
        self._zlabel, self._alabel = f"z{layer}[{index}]", f"a{layer}[{index}]"
        self._tags: dict = {}  # sample -> (z tag, a tag), made once
        self.w = [Value(rng.uniform(-1, 1), label=f"w{layer}[{index},{i}]") for i in range(nin)]
        self.b = Value(0.0, label=f"b{layer}[{index}]")
        for i, w in enumerate(self.w):
            w.tag = Tag(layer, index, "w", index=i)
        self.b.tag = Tag(layer, index, "b")

    def __call__(self, x: Sequence, sample: int | None = None) -> Value:
        x = _as_values(x, self.layer - 1, sample)
        if len(x) != len(self.w):
            raise ValueError(f"Neuron(layer {self.layer}, {self.index}): expected {len(self.w)} inputs, got {len(x)}")
        return self._forward(x, sample)

    def _forward(self, x: list[Value], sample: int | None) -> Value:
        if self.fused:
            z = _linear(self.w, x, self.b)
        else:
            z = self.b
            for wi, xi in zip(self.w, x):
                z = wi * xi + z
        tags = self._tags.get(sample)
        if tags is None:
            tags = self._tags[sample] = (
                Tag(self.layer, self.index, "z", sample=sample),
                Tag(self.layer, self.index, "a", sample=sample),
            )
        z.tag, z.label = tags[0], self._zlabel
        a = self._g(z)
        if a is not z:
            a.tag, a.label = tags[1], self._alabel
        return a

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, {self.activation!r})"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs: z = W a + b, a = g(z) (docs/sources.md#the-notation).

    W is laid out as in the seed documents' notation (docs/sources.md#the-notation):
    ``layer.neurons[j].w[i]`` is W[j, i], the weight from
    input i to neuron j.
    """

    def __init__(self, nin: int, nout: int, nonlin: bool | str = True, *, layer: int = 1,
                 rng: random.Random | None = None, fused: bool = True):
        if nout < 1:
            raise ValueError(f"Layer: nout must be >= 1, got {nout}")
        rng = rng or random.Random()
        self.layer, self.nin = layer, nin
        self.neurons = [Neuron(nin, nonlin, layer=layer, index=j, rng=rng, fused=fused) for j in range(nout)]

    def __call__(self, x: Sequence, sample: int | None = None) -> list[Value]:
        x = _as_values(x, self.layer - 1, sample)
        if len(x) != self.nin:
            raise ValueError(f"Layer {self.layer}: expected {self.nin} inputs, got {len(x)}")
        return [n._forward(x, sample) for n in self.neurons]

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def _state_entries(self) -> dict:
        W = _grid([w for n in self.neurons for w in n.w], (len(self.neurons), self.nin))
        return {f"layer{self.layer}.W": W, f"layer{self.layer}.b": _grid([n.b for n in self.neurons])}

    def __repr__(self) -> str:
        return f"Layer([{', '.join(repr(n) for n in self.neurons)}])"


class MLP(Module):
    """A multi-layer perceptron of Values: ``MLP(nin, [h1, ..., nout])``.

    Args:
        nin: number of inputs.
        nouts: neurons per layer; the last entry is the output layer.
        activation: hidden layers' activation (a name from `nn.ACTIVATIONS`), default relu.
        output_activation: the output layer's activation, default ``"linear"`` (logits, for
            softmax cross-entropy); use ``"sigmoid"`` for the seed's XOR net.
        seed: seeds the ``random.Random`` that draws initial weights (uniform in [-1, 1]).
        fused: see `Neuron`.

    Calling it on one sample (a sequence of ``nin`` numbers or Values) returns a list of ``nout``
    Values (a single Value when ``nout == 1``).

    >>> from deltagrad.nn import MLP
    >>> net = MLP(2, [3, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    >>> len(net.parameters())      # 2*3 + 3 + 3*1 + 1
    13
    """

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "relu",
                 output_activation: str = "linear", *, seed: int | None = None, fused: bool = True):
        if not nouts:
            raise ValueError("MLP: nouts must list at least one layer size")
        for name in (activation, output_activation):
            if name not in ACTIVATIONS:
                raise ValueError(f"MLP: unknown activation {name!r}; choose from {sorted(ACTIVATIONS)}")
        rng = random.Random(seed)
        sizes = [nin, *nouts]
        self.sizes = sizes
        self.activation, self.output_activation = activation, output_activation
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation if i < len(nouts) - 1 else output_activation,
                  layer=i + 1, rng=rng, fused=fused)
            for i in range(len(nouts))
        ]

    def __call__(self, x: Sequence, sample: int | None = None) -> Value | list[Value]:
        if len(x) != self.sizes[0]:
            raise ValueError(f"MLP: expected {self.sizes[0]} inputs, got {len(x)}")
        for layer in self.layers:
            x = layer(x, sample)
        return x[0] if len(x) == 1 else x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def _state_entries(self) -> dict:
        return _check_unique(layer._state_entries() for layer in self.layers)

    def __repr__(self) -> str:
        return f"MLP({self.sizes[0]}, {self.sizes[1:]}, activation={self.activation!r}, output_activation={self.output_activation!r})"
