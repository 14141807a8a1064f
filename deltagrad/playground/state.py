"""The playground's state: ONE declarative table, used to validate every message and the URL hash.

Each `Field` names a setting, its type, its range or choices, its default, its key in the
URL hash and whether a lesson may hide its control. The page's URL hash is
``#key=value&key=value&hide=key,key`` (the idea of TensorFlow Playground's URL state; no code is
shared with it). Parsing never raises on user text: a bad value keeps the default and yields one
message naming the key, the value and what was expected.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

__all__ = ["ACTIONS", "HIDEABLE", "STATE_TABLE", "Field", "StateError", "defaults", "from_hash", "to_hash", "validate", "validate_one"]

MAX_LAYERS = 6  # hidden layers
MAX_NEURONS = 8  # per hidden layer
MAX_CLASSES = 6  # Gaussian blobs
QUIZ_ITEM = re.compile(rf"(delta|dW|db)[1-{MAX_LAYERS + 1}]")


class StateError(ValueError):
    """A setting's value is not allowed; the message names the setting, the value and the rule."""


@dataclass(frozen=True)
class Field:
    """One setting of the playground.

    Attributes:
        name: the setting's name in messages (``"lr"``).
        kind: ``"int"``, ``"float"``, ``"choice"``, ``"bool"``, ``"layers"`` (hidden sizes, e.g. ``[8, 8]``),
            ``"quiz"`` (the quantities an exercise hides, e.g. ``["delta2", "dW1"]``) or ``"action"`` (a group
            of buttons with no value, in `ACTIONS`: it can only be hidden).
        default: the value when the URL or message gives none (or a bad one).
        lo, hi: the inclusive range of an int or float (for ``"layers"``: of each size).
        choices: the allowed strings of a ``"choice"``.
        key: the key in the URL hash.
        hideable: whether a lesson URL may hide this control.
        label: what the page shows next to the control.
    """

    name: str
    kind: str
    default: object
    key: str
    label: str
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()
    hideable: bool = True

    def parse(self, value: object) -> object:
        """``value`` (a JSON value, or the text from a URL) as this field's type; raises `StateError`.

        >>> STATE["lr"].parse("0.03")
        0.03
        >>> STATE["hidden"].parse("4,2")
        [4, 2]
        """
        where = f"{self.name} ({self.label})"
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            if value in ("1", "true", 1):
                return True
            if value in ("0", "false", 0):
                return False
            raise StateError(f"{where}: expected true or false, got {_show(value)}")
        if self.kind == "choice":
            if isinstance(value, str) and value in self.choices:
                return value
            raise StateError(f"{where}: expected one of {', '.join(self.choices)}, got {_show(value)}")
        if self.kind == "quiz":
            items = [p.strip() for p in value.split(",") if p.strip()] if isinstance(value, str) else value
            if not isinstance(items, list) or len(items) > 3 * (MAX_LAYERS + 1):
                raise StateError(f"{where}: expected quantities like delta2,dW1, got {_show(value)}")
            for item in items:
                if not isinstance(item, str) or not QUIZ_ITEM.fullmatch(item):
                    raise StateError(f"{where}: {_show(item)} is not a quantity like delta2, dW1 or db1")
            return list(dict.fromkeys(items))
        if self.kind == "layers":
            if isinstance(value, str):
                parts = [p for p in value.split(",") if p.strip()] if value.strip() else []
            elif isinstance(value, list):
                parts = value
            else:
                raise StateError(f"{where}: expected sizes like 8,8, got {_show(value)}")
            if len(parts) > MAX_LAYERS:
                raise StateError(f"{where}: at most {MAX_LAYERS} hidden layers, got {len(parts)}")
            return [self._number(p, int, where) for p in parts]
        return self._number(value, int if self.kind == "int" else float, where)

    def _number(self, value: object, kind: type, where: str) -> int | float:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise StateError(f"{where}: expected a number, got {_show(value)}")
        try:
            x = kind(value.strip()) if isinstance(value, str) else value
        except ValueError:
            raise StateError(f"{where}: expected {'an integer' if kind is int else 'a number'}, "
                             f"got {_show(value)}") from None
        if kind is int and (isinstance(x, float) and not x.is_integer()):
            raise StateError(f"{where}: expected an integer, got {_show(value)}")
        x = kind(x)
        if not math.isfinite(x) or not (self.lo <= x <= self.hi):
            raise StateError(f"{where}: expected {self.lo:g} to {self.hi:g}, got {_show(value)}")
        return x

    def text(self, value: object) -> str:
        """``value`` as it is written in the URL hash (the inverse of `parse`)."""
        if self.kind == "bool":
            return "1" if value else "0"
        if self.kind in ("layers", "quiz"):
            return ",".join(str(n) for n in value)
        return repr(float(value)) if self.kind == "float" else str(value)

    def spec(self) -> dict:
        """The field as JSON for the page (which builds its controls from it)."""
        return {"name": self.name, "kind": self.kind, "default": self.default, "key": self.key, "label": self.label,
                "lo": self.lo, "hi": self.hi, "choices": list(self.choices), "hideable": self.hideable}


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


DATASETS = ("moons", "circles", "xor", "spiral", "blobs", "iris", "csv")
IRIS_FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
LOSSES = ("bce", "mse", "hinge", "logistic", "softmax_ce")
BINARY_LOSSES = LOSSES[:4]  # one output, two classes; softmax_ce has one output per class
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear", "leaky_relu", "gelu")
OPTIMIZERS = ("sgd", "momentum", "adam")

STATE_TABLE: tuple[Field, ...] = (
    Field("dataset", "choice", "moons", "data", "Dataset", choices=DATASETS),
    Field("iris_x", "choice", "petal_length", "ix", "Iris feature on x", choices=IRIS_FEATURES),
    Field("iris_y", "choice", "petal_width", "iy", "Iris feature on y", choices=IRIS_FEATURES),
    Field("iris_class", "choice", "versicolor", "ic", "Iris class vs the rest (all: 3 classes)",
          choices=("setosa", "versicolor", "virginica", "all")),
    Field("classes", "int", 2, "k", "Classes (Gaussian blobs)", lo=2, hi=MAX_CLASSES),
    Field("n_points", "int", 200, "n", "Points", lo=20, hi=1000),
    Field("noise", "float", 0.05, "noise", "Noise (std of the jitter)", lo=0.0, hi=0.5),
    Field("test_fraction", "float", 0.3, "test", "Test fraction", lo=0.1, hi=0.9),
    Field("seed", "int", 0, "seed", "Seed", lo=0, hi=2**31 - 1),
    Field("hidden", "layers", [4, 4], "hidden", "Hidden layers", lo=1, hi=MAX_NEURONS),
    Field("activation", "choice", "tanh", "act", "Activation", choices=ACTIVATIONS),
    Field("loss", "choice", "bce", "loss", "Loss", choices=LOSSES),
    Field("optimizer", "choice", "sgd", "opt", "Optimizer", choices=OPTIMIZERS),
    Field("lr", "float", 0.03, "lr", "Learning rate", lo=1e-5, hi=10.0),
    Field("batch_size", "int", 10, "batch", "Batch size", lo=1, hi=1000),
    Field("l2", "float", 0.0, "l2", "L2 λ (λ/2·Σw² on weights, not biases)", lo=0.0, hi=1.0),
    Field("steps_per_frame", "int", 1, "spf", "Steps per frame", lo=1, hi=100),
    Field("grid", "int", 40, "grid", "Boundary resolution", lo=10, hi=100),
    Field("sample", "int", 0, "sample", "Selected training sample", lo=0, hi=999),
    Field("edge_grad", "bool", False, "eg", "Edges show ∂L/∂w"),
    Field("quiz", "quiz", [], "quiz", "Exercise: hidden quantities"),
)
# Controls that are not settings (buttons with no value): a lesson may hide them too. Settings drawn outside the
# panel are hidden by their own field: "hidden" hides the + layer / − layer and the neuron +/− buttons, "edge_grad"
# the ∂L/∂w toggle, "quiz" the exercise's checkboxes (the answer rows stay).
ACTIONS: tuple[Field, ...] = (
    Field("run", "action", None, "run", "Play, pause, step and reset"),
    Field("walk", "action", None, "walk", "Backward step buttons"),
)
STATE = {f.name: f for f in STATE_TABLE}
BY_KEY = {f.key: f for f in STATE_TABLE}
HIDEABLE = {f.name: f for f in (*STATE_TABLE, *ACTIONS) if f.hideable}  # what hide= and a hide message may name
HIDE_BY_KEY = {f.key: f for f in HIDEABLE.values()}
HIDE_KEY = "hide"


def defaults() -> dict:
    """A fresh copy of every setting's default.

    >>> defaults()["dataset"], defaults()["hidden"]
    ('moons', [4, 4])
    """
    return {f.name: (list(f.default) if isinstance(f.default, list) else f.default) for f in STATE_TABLE}


def validate_one(name: object, value: object) -> tuple[str, object]:
    """Check one ``(name, value)`` from a message; return it parsed or raise `StateError`."""
    if not isinstance(name, str) or name not in STATE:
        raise StateError(f"unknown setting {_show(name)}")
    return name, STATE[name].parse(value)


def validate(values: dict) -> tuple[dict, list[str]]:
    """Defaults updated by the valid entries of ``values``; bad entries are listed as messages, never raised.

    >>> state, errors = validate({"lr": "fast", "noise": 0.2})
    >>> state["lr"], state["noise"], errors
    (0.03, 0.2, ["lr (Learning rate): expected a number, got 'fast'"])
    """
    state, errors = defaults(), []
    for name, value in values.items():
        try:
            name, parsed = validate_one(name, value)
        except StateError as e:
            errors.append(str(e))
            continue
        state[name] = parsed
    return state, errors


def from_hash(text: str) -> tuple[dict, set[str], list[str]]:
    """Parse a URL hash (with or without ``#``): ``(state, hidden control names, error messages)``.

    Unknown keys, repeated keys and bad values give a message and keep the default.

    >>> state, hidden, errors = from_hash("#data=xor&lr=0.1&hide=lr,data")
    >>> state["dataset"], state["lr"], sorted(hidden), errors
    ('xor', 0.1, ['dataset', 'lr'], [])
    """
    state, hidden, errors, seen = defaults(), set(), [], set()
    text = text.removeprefix("#")
    if len(text) > 4000:
        return state, hidden, ["the URL's settings are too long (over 4000 characters); using the defaults"]
    for part in filter(None, text.split("&")):
        key, _, raw = part.partition("=")
        key, raw = unquote(key), unquote(raw)
        if key in seen:
            errors.append(f"URL: {_show(key)} is given twice; the first is used")
            continue
        seen.add(key)
        if key == HIDE_KEY:
            for k in filter(None, raw.split(",")):
                f = HIDE_BY_KEY.get(k)
                if f is None:
                    errors.append(f"URL: cannot hide {_show(k)} (not a hideable control)")
                else:
                    hidden.add(f.name)
            continue
        f = BY_KEY.get(key)
        if f is None:
            errors.append(f"URL: unknown key {_show(key)}")
            continue
        try:
            state[f.name] = f.parse(raw)
        except StateError as e:
            errors.append(f"URL: {e}; keeping the default {f.text(f.default)}")
    return state, hidden, errors


def to_hash(state: dict, hidden: set[str] | frozenset[str] = frozenset()) -> str:
    """The URL hash (without ``#``) of ``state``: every setting, in table order, then ``hide=``.

    >>> s = defaults(); s["dataset"] = "spiral"
    >>> to_hash(s, {"lr"}).split("&")[0], to_hash(s, {"lr"}).split("&")[-1]
    ('data=spiral', 'hide=lr')
    """
    parts = [f"{f.key}={quote(f.text(state[f.name]), safe=',.')}" for f in STATE_TABLE]
    keys = [f.key for f in HIDEABLE.values() if f.name in hidden]
    if keys:
        parts.append(f"{HIDE_KEY}={','.join(keys)}")
    return "&".join(parts)
