"""Expected numbers on the network view: a derivation's z, a, δ and ∂L/∂W per layer, compared neuron by neuron."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .compare import ATOL, RTOL, close
from .network_model import Net
from .style import as_array

_KEY = re.compile(r"(z|a|δ|delta|W)(\d+)")


@dataclass(frozen=True)
class Mark:
    """One compared number of the network view: what it is (``"δ"``, ``"∂L/∂w"`` …), engine, expected, match."""

    what: str
    engine: float
    expected: float
    ok: bool


def _weighted(net: Net) -> set:
    return {layer for (layer, _, _) in net.weights}


def _keys(net: Net) -> str:
    wl = _weighted(net)
    return ", ".join(f"{q}{layer}" for layer in net.layers for q in ("z", "a", "δ", "W") if q != "W" or layer in wl)


def _as(value, shape: tuple, key: str) -> np.ndarray:
    if value is None or isinstance(value, (dict, str, bytes)):
        raise ValueError(f"expected[{key!r}]: expected numbers, got {type(value).__name__}")
    try:
        arr = as_array(value)  # numbers, lists, arrays, or a Value/Tensor (its data)
    except (TypeError, ValueError) as e:
        raise ValueError(f"expected[{key!r}]: not an array of numbers ({e})") from None
    if arr.size == 1 and int(np.prod(shape)) == 1:
        return arr.reshape(shape)
    if arr.shape != shape:
        raise ValueError(f"expected[{key!r}]: got shape {arr.shape}, the network view has shape {shape} here")
    return arr


def resolve_network(net: Net, expected: dict, atol: float = ATOL, rtol: float = RTOL) -> tuple[dict, dict]:
    """Match a derivation's numbers to the neurons and weights of ``net`` (one sample, as drawn).

    Keys name a layer's quantity in the seed documents' notation (docs/sources.md#the-notation),
    layers numbered as in the view (1 = the first layer of weights):

    - ``"z2"``, ``"a2"``, ``"δ2"`` (or ``"delta2"``): one number per neuron of layer 2, in index
      order (a plain number for a one-neuron layer). ``a`` of a linear neuron is its z.
    - ``"W2"``: ∂L/∂W of layer 2, shape (neurons of layer 2, neurons of layer 1), as ``nn`` lays W
      out; or ``{"data": W, "grad": dW}`` to check the weights themselves too. Like the edge
      labels, ∂L/∂W is the whole gradient (summed over every sample of a batch), not one sample's.

    A match is ``|engine − expected| ≤ atol + rtol·|expected|`` (`viz.compare.close`).

    Returns:
        ``(neurons, weights)``: ``{(layer, j): [Mark, ...]}`` and ``{(layer, j, i): [Mark, ...]}``.

    Raises:
        KeyError: for a key that names no quantity or no layer of ``net`` (the message lists the keys
            there are), or a W whose weights the view does not show.
        ValueError: for a value that is not numbers or has the wrong shape (both shapes named), a W
            dict with other keys, or one quantity named twice (``δ1`` and ``delta1``).
    """
    neurons: dict = {}
    weights: dict = {}
    named: dict = {}
    for key, want in expected.items():
        m = _KEY.fullmatch(key) if isinstance(key, str) else None
        if m is None or int(m.group(2)) not in net.layers:
            raise KeyError(f"expected: {key!r} names nothing in this network view; keys here: {_keys(net)}")
        what, layer = m.group(1), int(m.group(2))
        canonical = ("δ" if what == "delta" else what) + str(layer)
        if canonical in named:
            raise ValueError(f"expected: {named[canonical]!r} and {key!r} name the same numbers; give one")
        named[canonical] = key
        ns = net.layers[layer]
        if what != "W":
            what = "δ" if what == "delta" else what
            arr = _as(want, (len(ns),), key)
            for j, e in zip(sorted(ns), arr):
                n = ns[j]
                engine = {"z": n.z, "a": n.z if n.a is None else n.a, "δ": n.delta}[what]
                neurons.setdefault((layer, j), []).append(Mark(what, engine, float(e), close(engine, e, atol, rtol)))
            continue
        if layer not in _weighted(net):
            raise KeyError(f"expected: {key!r}: layer {layer}'s weights are not in this view "
                           f"(no W tagged Tag({layer}, -1, 'W')); keys here: {_keys(net)}")
        fields = want if isinstance(want, dict) else {"grad": want}
        if set(fields) - {"data", "grad"}:
            raise ValueError(f"expected[{key!r}]: unknown keys {sorted(set(fields) - {'data', 'grad'})}; "
                             "use 'data' and/or 'grad'")
        cols = sorted({i for (lay, _, i) in net.weights if lay == layer})
        for field, label, pick in (("data", "w", 0), ("grad", "∂L/∂w", 1)):
            if field not in fields:
                continue
            arr = _as(fields[field], (len(ns), len(cols)), key)
            for r, j in enumerate(sorted(ns)):
                for c, i in enumerate(cols):
                    engine = net.weights[(layer, j, i)][pick]
                    e = float(arr[r, c])
                    weights.setdefault((layer, j, i), []).append(Mark(label, engine, e, close(engine, e, atol, rtol)))
    return neurons, weights
