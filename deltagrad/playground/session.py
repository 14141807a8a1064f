"""A playground training session: data, net, optimizer and the numbers of one frame, all from deltagrad's engine.

The net is ``nn.Linear`` layers, each followed by ``nn.Activation`` (the hidden layers' activation;
the output's depends on the loss, see `HEADS`). Training is minibatch steps of
``(loss(net(X_batch), t_batch) + λ/2·Σ‖W‖²).backward(); optimizer.step()`` (L2 on the weights only,
biases not; see `Session.penalty`). A frame adds, for the selected
training sample k, one forward and backward pass of that sample alone: z, a and δ = ∂L/∂z per
neuron and ∂L/∂W, ∂L/∂b, read from the engine's ``.grad`` fields, plus each hidden δ split into
its chain-rule terms δⱼ = g'(zⱼ) · Σₖ Wₖⱼ δₖ (Rumelhart, Hinton & Williams 1986, eq. 14).
"""

from __future__ import annotations

import base64
import math

import numpy as np

from deltagrad import nn
from deltagrad.autograd import Tensor, no_grad, topo_order

from .datasets import PLANE, class_names, make_dataset
from .state import BINARY_LOSSES, StateError, defaults

__all__ = ["HEADS", "Session"]

# loss -> (output activation, nn loss function, targets from labels y ∈ {0, 1}; softmax_ce: y ∈ {0 … k−1})
HEADS = {
    "softmax_ce": ("linear", nn.cross_entropy, lambda y: y.astype(np.int64)),
    "bce": ("linear", nn.binary_cross_entropy_with_logits, lambda y: y),
    "mse": ("tanh", nn.mse, lambda y: 2 * y - 1),
    "hinge": ("linear", nn.hinge, lambda y: 2 * y - 1),
    "logistic": ("linear", nn.logistic, lambda y: 2 * y - 1),
}
HISTORY = 400  # loss-curve points kept (older ones are thinned 2:1)


def _round(a: np.ndarray, digits: int = 4) -> list:
    return np.round(np.asarray(a, dtype=float), digits).tolist()


def _full(a: np.ndarray) -> list:
    return np.asarray(a, dtype=float).tolist()


def pack(a: np.ndarray) -> str:
    """A grid of values as base64 of little-endian float32 (4 bytes a number; the page decodes it).

    Packed because writing ~40 000 floats as JSON text costs ~50 ms a frame, base64 well under 1 ms.

    >>> pack(np.array([1.0, -2.0]))
    'AACAPwAAAMA='
    """
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode("ascii")


class Session:
    """One run of the playground: build from a validated state, then `step` and `frame`.

    Args:
        state: a full state (see `deltagrad.playground.state.validate`); missing keys take defaults.
        csv: a table for ``dataset="csv"`` (its first two feature columns; its k classes, k > 2 needs softmax_ce).
        user: a `deltagrad.playground.user.UserRun` (the learner's model and data) instead of the
            dataset and architecture settings; the model is trained in place, from its first weights.

    Attributes:
        X_train, y_train, X_test, y_test: the split points, shapes (n, d) and (n,), labels 0 … k−1 (d = 2 but
            for a learner's data).
        plane: the drawn input plane is [-plane, plane]² (None when there are more than 2 inputs).
        layers: the ``nn.Linear`` layers; ``layers[l].W`` has shape (n_out, n_in).
        steps: optimizer steps taken.

    Raises:
        DataError: when ``dataset="csv"`` has no table.
        StateError: a one-output loss for more than 2 classes, or a loss that does not fit the learner's model.

    >>> s = Session({"dataset": "xor", "n_points": 40, "hidden": [3]})
    >>> s.step(5); s.steps, [lin.W.shape for lin in s.layers]
    (5, [(3, 2), (1, 3)])
    """

    def __init__(self, state: dict | None = None, csv=None, user=None):
        self.state = {**defaults(), **(state or {})}
        s = self.state
        self.user = user
        X, y = make_dataset(s, csv) if user is None else (user.X, user.y)
        rng = np.random.default_rng(s["seed"])
        order = rng.permutation(len(X))
        n_test = min(len(X) - 1, max(1, round(len(X) * s["test_fraction"])))
        test, train = order[:n_test], order[n_test:]
        self.X_train, self.y_train, self.X_test, self.y_test = X[train], y[train], X[test], y[test]
        self.class_names = class_names(s, csv) if user is None else user.class_names
        self.k = len(self.class_names)
        self.multi = s["loss"] not in BINARY_LOSSES  # one output per class (softmax cross-entropy)
        if self.k > 2 and not self.multi:
            raise StateError(f"loss {s['loss']} has one output for two classes; this dataset has {self.k} "
                             "classes, so use softmax_ce (one output per class)")
        out_act, self.loss_fn, target = HEADS[s["loss"]]
        self.t_train, self.t_test = target(self.y_train), target(self.y_test)
        if not self.multi:
            self.t_train, self.t_test = self.t_train[:, None], self.t_test[:, None]
        if user is None or user.layers is None:
            self.sizes = [X.shape[1], *s["hidden"], self.k if self.multi else 1]
            pairs = zip(self.sizes, self.sizes[1:])
            self.layers = [nn.Linear(a, b, layer=i + 1, rng=rng) for i, (a, b) in enumerate(pairs)]
            self.act_names = [s["activation"]] * len(s["hidden"]) + [out_act]
        else:  # the learner's model (see .user): its layers and activations, from its first weights again
            if s["loss"] not in user.losses:
                raise StateError(f"loss {s['loss']} does not fit your model's output ({user.sizes[-1]} "
                                 f"{user.act_names[-1]}); it takes {', '.join(user.losses)}")
            user.restore()
            self.sizes, self.layers, self.act_names = list(user.sizes), user.layers, user.act_names
        self.plane = PLANE
        if user is not None:  # [-P, P]² holds every point with a 10 % margin (None: more than 2 inputs, no plane)
            self.plane = max(0.1, math.ceil(11 * float(np.abs(X).max())) / 10) if X.shape[1] == 2 else None
        self.acts = [nn.Activation(name) for name in self.act_names]
        params = [p for lin in self.layers for p in lin.parameters()]
        if s["optimizer"] == "adam":  # L2 is a penalty in the loss (weights only), not the optimizer's weight decay
            self.opt = nn.Adam(params, lr=s["lr"])
        else:
            self.opt = nn.SGD(params, lr=s["lr"], momentum=0.9 if s["optimizer"] == "momentum" else 0.0)
        self._rng, self._order, self._pos = rng, rng.permutation(len(self.X_train)), 0
        self.steps, self.history = 0, []
        self._record()

    def forward(self, X: np.ndarray) -> list[tuple[Tensor, Tensor]]:
        """``[(z, a)]`` per layer for the batch ``X`` (n, 2); ``z``/``a`` of layer l have shape (n, sizes[l+1])."""
        a = Tensor(np.asarray(X, dtype=float), requires_grad=False)
        out = []
        for lin, act in zip(self.layers, self.acts):
            z = lin(a)
            a = act(z)
            out.append((z, a))
        return out

    def loss(self, X: np.ndarray, t: np.ndarray) -> Tensor:
        """The data loss, the mean over the rows (what the loss curves and the selected sample show)."""
        return self.loss_fn(self.forward(X)[-1][1], t)

    def penalty(self) -> Tensor | None:
        """The L2 penalty λ/2 · Σ w² over every weight matrix, biases excluded (None when λ = 0).

        Added to each minibatch's data loss before ``backward``, so the engine's ∂/∂W gains λW and
        biases get none: L2 regularisation as TensorFlow Playground applies it (Goodfellow, Bengio &
        Courville 2016, §7.1.1, eq. 7.2), not torch's ``weight_decay`` (which decays biases too).
        """
        lam = self.state["l2"]
        if lam == 0:
            return None
        total = (self.layers[0].W * self.layers[0].W).sum()
        for lin in self.layers[1:]:
            total = total + (lin.W * lin.W).sum()
        return total * (lam / 2)

    def step(self, n: int = 1) -> None:
        """``n`` minibatch steps: zero_grad, loss on the next ``batch_size`` shuffled rows (+ `penalty`), backward, step."""
        bs = min(self.state["batch_size"], len(self.X_train))
        for _ in range(n):
            if self._pos + bs > len(self._order):
                self._order, self._pos = self._rng.permutation(len(self.X_train)), 0
            rows = self._order[self._pos:self._pos + bs]
            self._pos += bs
            self.opt.zero_grad()
            loss, penalty = self.loss(self.X_train[rows], self.t_train[rows]), self.penalty()
            (loss if penalty is None else loss + penalty).backward()
            self.opt.step()
            self.steps += 1
        if self.user is not None:
            self.user.sync()
        self._record()

    def _record(self) -> None:
        with no_grad():
            train = float(self.loss(self.X_train, self.t_train).data)
            test = float(self.loss(self.X_test, self.t_test).data)
        self.history.append((self.steps, train, test))
        if len(self.history) > HISTORY:
            self.history = self.history[::2] + ([self.history[-1]] if len(self.history) % 2 == 0 else [])

    def grid_values(self, g: int) -> tuple[np.ndarray, list[np.ndarray]]:
        """The output a and each layer's a over a g×g grid of the plane (row 0 is y = +plane, the top).

        Returns ``(out (g*g,), [a of layer l, shape (g*g, sizes[l+1])])``; ``out`` is the one output
        (binary losses), or with softmax_ce the predicted class + its probability (argmax and max of
        ``nn.softmax`` of the logits): class c with probability p is ``c + p`` (p in (0, 1]: c = ceil − 1).
        """
        xs = np.linspace(-self.plane, self.plane, g)
        gx, gy = np.meshgrid(xs, xs[::-1])
        with no_grad():
            outs = self.forward(np.stack([gx.ravel(), gy.ravel()], 1))
        acts = [a.data for _, a in outs]
        if self.multi:
            with no_grad():
                p = nn.softmax(Tensor(acts[-1])).data
            return p.argmax(1) + p.max(1), acts
        return acts[-1][:, 0], acts

    def sample(self, k: int) -> dict:
        """Forward and backward of training sample ``k`` alone: z, a, δ per neuron, ∂L/∂W, ∂L/∂b, chain-rule terms.

        ``terms[l][j]`` (hidden layers) lists ``[k, W[k, j], δ_k]`` of layer l+1's neurons, and
        ``gprime[l][j]`` is g'(zⱼ), taken from the engine by a backward pass through the activation.

        With L2 (λ > 0) the sample's loss is what a training step minimises, L = ℓ(x, t) + λ/2·Σw²
        (`penalty`): ``loss`` is L, ``data_loss`` ℓ and ``penalty`` λ/2·Σw²; ``dW`` = ∂L/∂W =
        δ aᵀ + λW (the engine's backward through both terms). δ and ∂L/∂b are the data loss's alone,
        since the penalty depends on neither z nor b.
        """
        k = min(max(0, k), len(self.X_train) - 1)
        x, t = self.X_train[k:k + 1], self.t_train[k:k + 1]
        for p in self.opt.params:
            p.grad = np.zeros_like(p.data)
        outs = self.forward(x)
        data_loss, penalty = self.loss_fn(outs[-1][1], t), self.penalty()
        loss = data_loss if penalty is None else data_loss + penalty
        loss.backward()
        z = [o[0].data[0] for o in outs]
        delta = [o[0].grad[0] for o in outs]
        gprime = []
        for zl, act in zip(z, self.acts):
            zt = Tensor(zl.copy())
            act(zt).sum().backward()
            gprime.append(zt.grad)
        terms = [[[[kk, float(self.layers[l + 1].W.data[kk, j]), float(delta[l + 1][kk])]
                   for kk in range(self.sizes[l + 2])] for j in range(self.sizes[l + 1])]
                 for l in range(len(self.layers) - 1)]
        result = {
            "index": k, "x": _full(x[0]), "label": int(self.y_train[k]),
            "target": int(t[0]) if self.multi else float(t[0, 0]),
            "loss": float(loss.data), "data_loss": float(data_loss.data), "l2": self.state["l2"],
            "penalty": 0.0 if penalty is None else float(penalty.data), "dL_dout": _full(outs[-1][1].grad[0]),
            "z": [_full(v) for v in z], "a": [_full(o[1].data[0]) for o in outs],
            "delta": [_full(v) for v in delta], "gprime": [_full(v) for v in gprime],
            "dW": [_full(lin.W.grad) for lin in self.layers], "db": [_full(lin.b.grad) for lin in self.layers],
            "terms": terms, "walk": self._walk(loss),
        }
        if self.multi:
            with no_grad():
                result["probs"] = _full(nn.softmax(Tensor(outs[-1][1].data)).data[0])
        for p in self.opt.params:
            p.grad = np.zeros_like(p.data)
        return result

    def _walk(self, loss: Tensor) -> list[list]:
        """The backward pass of one sample in the engine's order, one neuron at a time.

        The engine's backward runs each node's vjp in reverse topological order; when it reaches
        layer l's z (tag role ``"z"``), z.grad = δ of layer l is complete, and that vjp computes
        ∂L/∂W and ∂L/∂b of layer l. So the walk is ``["delta", l, j]`` for each neuron j of that
        layer, then ``["dW", l, j]`` (row j of ∂L/∂W, and ∂L/∂bⱼ), layer by layer (l counts from 0).
        """
        walk = []
        for node in reversed(topo_order(loss)):
            tag = getattr(node, "tag", None)
            if tag is not None and tag.role == "z":
                l = tag.layer - 1
                walk += [["delta", l, j] for j in range(self.sizes[l + 1])]
                walk += [["dW", l, j] for j in range(self.sizes[l + 1])]
        return walk

    def points(self) -> dict:
        """The data as JSON: train and test points ``[x, y, label]``."""
        def rows(X, y):
            return [[*map(float, np.round(p, 4)), int(c)] for p, c in zip(X, y)]
        return {"train": rows(self.X_train[:, :2], self.y_train), "test": rows(self.X_test[:, :2], self.y_test),
                "plane": self.plane,
                "classes": self.class_names}

    def frame(self) -> dict:
        """Everything the page draws after the latest step, as JSON.

        ``boundary`` (the output a; softmax_ce: class + probability, see `grid_values`) and
        ``heatmaps[l][j]`` (neuron j of hidden layer l+1, its a; with softmax_ce the output layer's
        logits too) are grid×grid values, row 0 at the top of the plane, each packed with `pack`.
        """
        if self.plane is None:  # more than 2 inputs: no input plane to draw (the page says so)
            g, boundary, heatmaps = 0, "", [[""] * n for n in self.sizes[1:-1 if not self.multi else None]]
        else:
            g = self.state["grid"]
            out, acts = self.grid_values(g)
            boundary = pack(out)
            heatmaps = [[pack(a[:, j]) for j in range(a.shape[1])] for a in (acts if self.multi else acts[:-1])]
        return {
            "steps": self.steps,
            "epoch": self.steps * min(self.state["batch_size"], len(self.X_train)) / len(self.X_train),
            "sizes": self.sizes,
            "multi": self.multi,
            "activations": self.act_names,
            "history": [[s, round(a, 6), round(b, 6)] for s, a, b in self.history],
            "grid": g,
            "boundary": boundary,
            "heatmaps": heatmaps,
            "W": [_round(lin.W.data, 6) for lin in self.layers],
            "b": [_round(lin.b.data, 6) for lin in self.layers],
            "sample": self.sample(self.state["sample"]),
            "accuracy": self.accuracy(),
        }

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The predicted class per row of ``X``: output > 0 is class 1, or with softmax_ce the largest logit."""
        with no_grad():
            out = self.forward(X)[-1][1].data
        return out.argmax(1) if self.multi else (out[:, 0] > 0).astype(int)

    def accuracy(self) -> dict:
        """Fraction of train and test points whose predicted class (`predict`) is their label."""
        return {"train": float(np.mean(self.predict(self.X_train) == self.y_train)),
                "test": float(np.mean(self.predict(self.X_test) == self.y_test))}
