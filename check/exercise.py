"""exercise: fresh backprop exercises with an answer key -- numbers workable by hand, the same files for the same seed.

`new_exercise` draws a network's input, then each neuron's weights and bias, then the target,
with one decimal each (from ``numpy.random.default_rng(seed)``), redrawing a neuron until it is
workable by hand on every sample: sigmoid, tanh and softmax pre-activations within ±2 (away from
saturation), ReLU pre-activations ≥ 0.1 (no dead or borderline ReLU); and the target until the
output is at least 0.1 away from it somewhere (a gradient worth computing). The files
(`FILES`) are ``exercise.md`` (the network, its numbers as tables, a picture, the questions),
``answers.toml`` (a worked example with the asked claims present and empty), ``solution.md`` (the
worked solution, `deltagrad.check.solution.explain`) and ``solution.toml`` (the answers filled
in, rounded to the asked decimals).
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field

import numpy as np

from .exercise_text import PICTURE, answers_toml, exercise_md
from .grading import write_atomic
from .solution import explain
from .worked_math import ACTIVATIONS, LOSSES, claim_order, engine_values

FILES = ("exercise.md", "answers.toml", "solution.md", "solution.toml")
ASK = ("z", "a", "loss", "delta", "dW", "db", "update")
"""The groups of claims an exercise may ask for, in the order of a derivation."""



@dataclass
class Exercise:
    """A generated exercise: its worked-example ``doc`` (without claims), the ``asked`` claims, the ``files`` texts.

    ``write(out_dir)`` writes `FILES` (and ``network.svg`` when a picture could be drawn); in
    Jupyter it displays as the exercise's tables and questions.
    """

    seed: int
    doc: dict
    asked: list[str]
    decimals: int
    files: dict[str, str] = field(default_factory=dict, repr=False)
    solution: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def write(self, out_dir: str | os.PathLike, draw=None) -> tuple[list[str], str | None]:
        """Write `FILES` into ``out_dir`` (created if needed); returns (paths written, a warning or None).

        Each file is written atomically. ``draw(doc, asked, path)`` -- e.g.
        ``deltagrad.cli.exercise_picture.draw_network``, which uses the network view of
        ``deltagrad.viz`` -- draws ``network.svg`` and returns a warning string or None; without a
        picture (``draw`` None or failing) ``exercise.md`` leaves the image out: its tables carry every number.
        """
        os.makedirs(out_dir, exist_ok=True)
        warning, paths = None, []
        svg = os.path.join(out_dir, "network.svg")
        if draw is not None:
            warning = draw(self.doc, self.asked, svg)
        files = dict(self.files)
        if draw is None or warning is not None:
            files["exercise.md"] = files["exercise.md"].replace(PICTURE, "")
        for name in FILES:
            path = os.path.join(out_dir, name)
            write_atomic(path, files[name])
            paths.append(path)
        if draw is not None and warning is None:
            paths.append(svg)
        return paths, warning

    def _repr_html_(self) -> str:
        net = self.doc["network"]
        rows = "".join(f"<li><code>{html.escape(k)}</code></li>" for k in self.asked)
        return (f"<p><b>Backprop exercise, seed {self.seed}</b>: {'-'.join(map(str, net['sizes']))} network "
                f"({', '.join(net['activations'])}), loss {net['loss']}</p><p>x = {self.doc['data']['x']}, "
                f"y = {self.doc['data']['y']}</p><p>Asked, to {self.decimals} decimals:</p><ol>{rows}</ol>")


def _one_decimal(rng, shape, low: int, high: int, nonzero: bool = True) -> np.ndarray:
    choices = np.array([k for k in range(low, high + 1) if not nonzero or k != 0], dtype=float)
    return rng.choice(choices, size=shape) / 10.0


def _forward(sizes, acts, params, x):
    a, zs = x, []
    for l in range(1, len(sizes)):
        z = a @ params[f"W{l}"].T + params[f"b{l}"]
        zs.append(z)
        act = acts[l - 1]
        if act == "softmax":
            e = np.exp(z - z.max(axis=1, keepdims=True))
            a = e / e.sum(axis=1, keepdims=True)
        else:
            a = {"sigmoid": lambda: 1 / (1 + np.exp(-z)), "tanh": lambda: np.tanh(z),
                 "relu": lambda: np.maximum(z, 0.0), "linear": lambda: z}[act]()
    return zs, a


def _neuron_ok(act: str, z: np.ndarray) -> bool:
    if act in ("sigmoid", "tanh", "softmax"):
        return bool(np.abs(z).max() <= 2.0)
    return bool(z.min() >= 0.1) if act == "relu" else True


def _draw(rng, sizes, acts, loss, samples):
    """Input, then each neuron's weights and bias until its z is workable on every sample, then a target; or None."""
    x = _one_decimal(rng, (samples, sizes[0]), -9, 9)
    params, a = {}, x
    for l in range(1, len(sizes)):
        W, b = np.zeros((sizes[l], sizes[l - 1])), np.zeros(sizes[l])
        for j in range(sizes[l]):
            for _ in range(1000):
                W[j] = _one_decimal(rng, (sizes[l - 1],), -9, 9)
                b[j] = _one_decimal(rng, (1,), -5, 5, nonzero=False)[0]
                if _neuron_ok(acts[l - 1], a @ W[j] + b[j]):
                    break
            else:
                return None
        params[f"W{l}"], params[f"b{l}"] = W, b
        a = _forward(sizes[: l + 1], acts[:l], params, x)[1]
    for _ in range(100):
        y = _target(rng, acts[-1], loss, a.shape)
        if np.abs(a - y).max() >= 0.1:
            return params, x, y
    return None


def _workable(sizes, acts, params, x, y) -> bool:
    zs, out = _forward(sizes, acts, params, x)
    for z, act in zip(zs, acts):
        if act in ("sigmoid", "tanh", "softmax") and np.abs(z).max() > 2.0:
            return False
        if act == "relu" and z.min() < 0.1:
            return False
    return bool(np.abs(out - y).max() >= 0.1)


def _target(rng, act: str, loss: str, shape) -> np.ndarray:
    m, n = shape
    if loss == "cross_entropy" and act == "softmax":
        y = np.zeros(shape)
        y[np.arange(m), rng.integers(0, n, m)] = 1.0
        return y
    if loss == "cross_entropy":
        return rng.integers(0, 2, shape).astype(float)
    if act == "sigmoid":
        return _one_decimal(rng, shape, 1, 9)
    if act == "tanh":
        return _one_decimal(rng, shape, -9, 9)
    return _one_decimal(rng, shape, -10 if act != "relu" else 1, 10)


def _claim_keys(L: int, ask) -> list[str]:
    groups = {"z": "z", "a": "a", "loss": "loss", "delta": "delta", "dW": "dW", "db": "db"}
    keys = []
    for key in claim_order(L):
        head = key.rstrip("0123456789")
        if key.endswith("_new"):
            if "update" in ask:
                keys.append(key)
        elif groups.get(head) in ask:
            keys.append(key)
    return keys


def new_exercise(seed: int, sizes=(2, 3, 1), activations=None, loss: str = "half_mse", samples: int = 1,
                 ask=ASK, decimals: int = 4, lr: float = 0.5) -> Exercise:
    """A fresh exercise: one forward and backward pass (and one gradient-descent step) to work by hand.

    Args:
        seed: any integer; the same arguments give the same exercise, byte for byte.
        sizes: input size, hidden sizes..., output size (each 1..6, at most 5 layers).
        activations: one per layer (sigmoid, tanh, relu, linear; softmax last only); default sigmoid
            everywhere (softmax last with cross_entropy and several outputs).
        loss: ``half_mse`` (½‖a − y‖²), ``mse`` or ``cross_entropy``.
        samples: samples in the batch (1..4); the loss is their mean.
        ask: which groups of claims to ask, a subset of `ASK`.
        decimals: decimal places of the answers (1..8).
        lr: the learning rate η of the update step.

    Raises:
        ValueError: an argument out of range, naming it.

    >>> ex = new_exercise(1, sizes=(2, 2, 1))
    >>> sorted(ex.files), ex.asked[:3], ex.doc["parameters"]["W1"].shape
    (['answers.toml', 'exercise.md', 'solution.md', 'solution.toml'], ['z1', 'a1', 'z2'], (2, 2))
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or len(sizes) > 6 or not all(1 <= s <= 6 for s in sizes):
        raise ValueError(f"new_exercise: sizes must be 2 to 6 layer sizes from 1 to 6 each, got {sizes}")
    L = len(sizes) - 1
    if activations is None:
        activations = ["sigmoid"] * L
        if loss == "cross_entropy" and sizes[-1] > 1:
            activations[-1] = "softmax"
    activations = list(activations)
    if len(activations) != L or not all(a in ACTIVATIONS for a in activations) or "softmax" in activations[:-1]:
        raise ValueError(f"new_exercise: activations must be {L} of {', '.join(ACTIVATIONS)} (softmax last only), "
                         f"got {activations}")
    if activations[-1] == "softmax" and sizes[-1] < 2:
        raise ValueError("new_exercise: a softmax output needs at least 2 outputs (one output is always 1)")
    if loss not in LOSSES:
        raise ValueError(f"new_exercise: loss must be one of {', '.join(LOSSES)}, got {loss!r}")
    if loss == "cross_entropy" and activations[-1] not in ("softmax", "sigmoid"):
        raise ValueError("new_exercise: cross_entropy needs a softmax or sigmoid last layer")
    if type(samples) is not int or not 1 <= samples <= 4:
        raise ValueError(f"new_exercise: samples must be an integer from 1 to 4, got {samples!r}")
    bad = [a for a in ask if a not in ASK]
    if bad or not ask:
        raise ValueError(f"new_exercise: ask must be some of {', '.join(ASK)}, got {list(ask)}")
    if type(decimals) is not int or not 1 <= decimals <= 8:
        raise ValueError(f"new_exercise: decimals must be an integer from 1 to 8, got {decimals!r}")
    if not 0 < lr < float("inf"):
        raise ValueError(f"new_exercise: lr must be a positive number, got {lr!r}")
    rng = np.random.default_rng(seed)
    for _ in range(1000):
        drawn = _draw(rng, sizes, activations, loss, samples)
        if drawn is not None and _workable(sizes, activations, *drawn):  # the whole network, once more
            params, x, y = drawn
            break
    else:
        raise ValueError(f"new_exercise: found no workable numbers for a {'-'.join(map(str, sizes))} network with "
                         f"{', '.join(activations)} and {samples} sample(s); try another seed or a smaller network")
    keys = _claim_keys(L, ask)
    use_lr = any(k.endswith("_new") for k in keys)
    doc = {"source": {"title": f"deltagrad exercise, seed {seed}", "decimals": decimals},
           "network": {"sizes": sizes, "activations": activations, "loss": loss,
                       **({"learning_rate": lr} if use_lr else {})},
           "data": {"x": x, "y": y}, "parameters": params}
    values = engine_values(sizes, activations, loss, params, x, y, lr if use_lr else None)
    ex = Exercise(seed, doc, keys, decimals, solution={k: values[k] for k in keys})
    ex.files["answers.toml"] = answers_toml(ex, None)
    ex.files["solution.toml"] = answers_toml(ex, ex.solution)
    ex.files["exercise.md"] = exercise_md(ex)
    solution = explain(_as_doc(ex), decimals=decimals, title=f"Solution of the exercise (seed {seed})")
    ex.files["solution.md"] = solution.markdown
    return ex


def _as_doc(ex: Exercise) -> dict:
    d = ex.doc
    return {"network": d["network"], "data": {k: v.tolist() for k, v in d["data"].items()},
            "parameters": {k: v.tolist() for k, v in d["parameters"].items()}}
