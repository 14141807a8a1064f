"""The learner's own model and data in the playground: read an ``nn`` model as Linear layers + activation names.

The playground's session trains a list of `nn.Linear` layers, each followed by an activation
(`deltagrad.playground.session.Session`). A learner's model is read into that form:

* ``nn.TensorMLP``: its ``layers`` and ``activations``, used as they are (training moves its weights);
* ``nn.Sequential`` of ``nn.Linear`` and activations (``nn.Activation("tanh")``, ``nn.Tanh()``, ...):
  its Linear layers, each with the activation that follows it (none: ``"linear"``), used as they are;
* ``nn.MLP`` (Values, one per weight): copied into Linear layers (``W[j, i]`` is ``neurons[j].w[i]``,
  the layout both share); after every training step the numbers are written back into its Values.

Its output decides the losses that fit: a linear output (logits) takes bce, hinge or logistic with one
output and softmax_ce with one output per class; a tanh output takes mse (targets ±1).
"""

from __future__ import annotations

import numpy as np

from deltagrad import nn

from .state import LOSSES, MAX_CLASSES, StateError

__all__ = ["UserRun", "losses_for", "read_data"]

_MODULES = {nn.Sigmoid: "sigmoid", nn.Tanh: "tanh", nn.ReLU: "relu", nn.GELU: "gelu", nn.Softplus: "softplus",
            nn.Identity: "linear"}


def read_data(X, y, class_names=None, features=None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``X`` (n, d) and ``y`` (n,) labels as float inputs, labels 0 … k−1 and the classes' names.

    Labels are numbered in sorted order of their values (``["cat", "dog"]`` -> 0, 1); ``class_names``
    (k strings) names them, else their values do. ``features=(i, j)`` keeps only those two columns
    (the plane the boundary and heatmaps are drawn on).

    Raises:
        ValueError: X not 2-D or not finite, y of another length, fewer than 2 or more than 6 classes,
            bad ``features`` or ``class_names``.

    >>> X, y, names = read_data([[0, 1], [1, 0], [2, 2]], ["b", "a", "b"])
    >>> X.shape, y.tolist(), names
    ((3, 2), [1, 0, 1], ['a', 'b'])
    """
    X = np.asarray(getattr(X, "data", X), dtype=float)
    y = np.asarray(getattr(y, "data", y))
    y = y.reshape(-1) if y.ndim == 2 and y.shape[1] == 1 else y  # a column of labels is taken as it is meant
    if X.ndim != 2 or len(X) < 2:
        raise ValueError(f"Playground: X must have shape (n, d) with n >= 2 rows, got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("Playground: X has NaN or infinite values")
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(f"Playground: y must be one label per row of X, shape ({len(X)},); got shape {y.shape}")
    if features is not None:
        cols = list(features)
        if len(cols) != 2 or not all(isinstance(c, (int, np.integer)) and 0 <= c < X.shape[1] for c in cols):
            raise ValueError(f"Playground: features must be two column indices of X (0 to {X.shape[1] - 1}), "
                             f"got {features!r}")
        X = X[:, cols]
    values, y = np.unique(y, return_inverse=True)
    if not 2 <= len(values) <= MAX_CLASSES:
        raise ValueError(f"Playground: y must have 2 to {MAX_CLASSES} classes, got {len(values)}")
    if class_names is None:
        names = [str(v) for v in values]
    else:
        names = [str(c) for c in class_names]
        if len(names) != len(values):
            raise ValueError(f"Playground: class_names has {len(names)} names for {len(values)} classes")
    return X, y.astype(int), names


def _sequential(model) -> tuple[list, list[str]]:
    layers, acts = [], []
    for m in model.modules:
        if isinstance(m, nn.Linear):
            layers.append(m)
            acts.append("linear")
            continue
        name = m.name if isinstance(m, nn.Activation) else _MODULES.get(type(m))
        if isinstance(m, (nn.LeakyReLU, nn.ELU)):  # the playground's are the default slope 0.01 and alpha 1
            name = "leaky_relu" if getattr(m, "slope", None) == 0.01 else "elu" if getattr(m, "alpha", None) == 1 else None
        if name is None:
            raise ValueError(f"Playground: cannot show {m!r} in a Sequential; it takes nn.Linear layers, each "
                             "followed by at most one activation (nn.Activation(name), nn.Tanh(), nn.ReLU(), ...)")
        if not layers or acts[-1] != "linear":
            raise ValueError(f"Playground: {m!r} must follow an nn.Linear (one activation per layer)")
        acts[-1] = name
    return layers, acts


class UserRun:
    """The learner's model and data, read once; `restore` puts the model's first weights back.

    Attributes:
        X, y, class_names: the data (see `read_data`).
        layers, act_names: the model as ``nn.Linear`` layers and one activation name per layer.
            (all None when no model is given: the playground builds its net for the data.)
        losses: the losses that fit the model's output (`losses_for`).
        kind: ``"TensorMLP"``, ``"Sequential"``, ``"MLP"`` or ``"NoneType"``.
    """

    def __init__(self, model, X, y, class_names=None, features=None):
        if X is None or y is None:
            raise ValueError("Playground: give both X and y (your data), or neither (a built-in dataset)")
        self.X, self.y, self.class_names = read_data(X, y, class_names, features)
        self.model, self.kind = model, type(model).__name__
        self._values = None
        if model is None:  # their data, the playground's net (its architecture controls work)
            self.layers = self.act_names = self.sizes = None
            self.losses = LOSSES
            return
        if isinstance(model, nn.TensorMLP):
            self.layers, self.act_names = list(model.layers), list(model.activations)
        elif isinstance(model, nn.Sequential):
            self.layers, self.act_names = _sequential(model)
        elif isinstance(model, nn.MLP):
            self.layers, self.act_names, self._values = [], [], []
            for i, layer in enumerate(model.layers):
                lin = nn.Linear(layer.nin, len(layer.neurons), layer=i + 1)
                lin.W.data[...] = [[w.data for w in n.w] for n in layer.neurons]
                lin.b.data[...] = [n.b.data for n in layer.neurons]
                self.layers.append(lin)
                self.act_names.append(layer.neurons[0].activation)
                self._values.append(layer.neurons)
        else:
            raise TypeError(f"Playground: model must be an nn.MLP, nn.TensorMLP or nn.Sequential, got "
                            f"{type(model).__name__}")
        if not self.layers:
            raise ValueError("Playground: the model has no nn.Linear layer")
        numbers = [lin.layer for lin in self.layers]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"Playground: the model's Linear layers are numbered {numbers}; number them 1, 2, ... "
                             "(nn.Linear(..., layer=2)) so that each layer's δ and ∂L/∂W are told apart")
        for a, b in zip(self.layers, self.layers[1:]):
            if a.nout != b.nin:
                raise ValueError(f"Playground: layer {a.layer} has {a.nout} outputs but layer {b.layer} takes {b.nin}")
        self.sizes = [self.layers[0].nin, *(lin.nout for lin in self.layers)]
        if self.sizes[0] != self.X.shape[1]:
            raise ValueError(f"Playground: the model takes {self.sizes[0]} inputs but X has {self.X.shape[1]} "
                             "columns (features=(i, j) picks two)")
        self.losses = losses_for(self.act_names[-1], self.sizes[-1], len(self.class_names))
        self._first = [(lin.W.data.copy(), lin.b.data.copy()) for lin in self.layers]

    def restore(self) -> None:
        """The model's weights as they were when it was given (a reset starts the same run again)."""
        if self.layers is None:
            return
        for lin, (W, b) in zip(self.layers, self._first):
            lin.W.data[...] = W
            lin.b.data[...] = b
        self.sync()

    def sync(self) -> None:
        """Write the Linear layers' numbers back into an ``nn.MLP``'s Values (nothing to do for the others)."""
        for lin, neurons in zip(self.layers or [], self._values or []):
            for j, n in enumerate(neurons):
                for i, w in enumerate(n.w):
                    w.data = float(lin.W.data[j, i])
                n.b.data = float(lin.b.data[j])


def losses_for(out_act: str, n_out: int, k: int) -> tuple[str, ...]:
    """The playground losses that fit a model's output (first: the default).

    >>> losses_for("linear", 1, 2), losses_for("linear", 3, 3), losses_for("tanh", 1, 2)
    (('bce', 'hinge', 'logistic'), ('softmax_ce',), ('mse',))

    Raises:
        StateError: for an output no playground loss takes (named, with what would fit).
    """
    if out_act == "linear" and n_out == k and k > 2:
        return ("softmax_ce",)
    if n_out == 1 and k == 2:
        if out_act == "linear":
            return ("bce", "hinge", "logistic")
        if out_act == "tanh":
            return ("mse",)
    if out_act == "linear" and n_out == k == 2:
        return ("softmax_ce",)
    raise StateError(f"Playground: a model with {n_out} {out_act} output(s) for {k} classes fits no playground loss; "
                     f"end it in one linear output (logits: bce, hinge, logistic) or one tanh output (mse) for 2 "
                     f"classes, or {k} linear outputs (softmax_ce)")
