"""Exercise mode: the learner's answers for hidden quantities, checked by the worked-example checker, exported as TOML.

The selected training sample and the session's current weights make a worked example (the format
of ``deltagrad check``, see ``examples/README.md``); the learner's answers are its claims, written
exactly as typed, so each is checked with the checker's digits-aware tolerance (0.52 means ±0.005)
and gets its step-local verdict ("OK", "first wrong here", "follows from the earlier error").

Mapping of the playground's heads onto the worked-example format: binary cross-entropy on a linear
output (logit z) is the format's ``cross_entropy`` with a sigmoid last layer (the same z, δ and
gradients); MSE with a tanh output is ``mse`` with tanh; softmax cross-entropy on k linear outputs
(logits z) is ``cross_entropy`` with a softmax last layer and the label one-hot in ``y`` (δ = softmax(z) − y
for both, and the same ∂L/∂W). Hinge and logistic losses, and activations other than sigmoid, tanh,
relu and linear, have no worked-example form.

The format has no L2 term: with λ > 0 the answers for ∂L/∂W are the data loss's (δ aᵀ, without
λW; δ and ∂L/∂b have no L2 part anyway), and the page says so on those answer rows.
"""

from __future__ import annotations

import re

import numpy as np

from deltagrad.check import check_worked_example

from .state import StateError

__all__ = ["NUMBER", "check_answers", "quantity_keys", "to_toml", "worked_example"]

NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d{1,3})?")  # a decimal literal as a learner types it
HEADS = {"bce": ("sigmoid", "cross_entropy"), "mse": ("tanh", "mse"), "softmax_ce": ("softmax", "cross_entropy")}
HIDDEN_ACTS = ("sigmoid", "tanh", "relu", "linear")


def quantity_keys(n_layers: int) -> list[str]:
    """The quantities an exercise may hide, in the order of the backward pass: δ, ∂L/∂W, ∂L/∂b from the last layer.

    >>> quantity_keys(2)
    ['delta2', 'dW2', 'db2', 'delta1', 'dW1', 'db1']
    """
    return [f"{k}{l}" for l in range(n_layers, 0, -1) for k in ("delta", "dW", "db")]


def _head(session) -> tuple[list[str], str]:
    s = session.state
    if s["loss"] not in HEADS:
        raise StateError(f"exercise mode needs the bce, mse or softmax_ce loss (a worked example has no "
                         f"{s['loss']} loss)")
    hidden = session.act_names[:-1]  # the session's: the hidden activation, or a learner's model's own per layer
    for act in hidden:
        if act not in HIDDEN_ACTS:
            raise StateError(f"exercise mode needs a {', '.join(HIDDEN_ACTS)} activation, not {act}")
    last, loss = HEADS[s["loss"]]
    return [*hidden, last], loss


def _answers(session, answers: object) -> dict[str, list[str]]:
    keys = quantity_keys(len(session.layers))
    if not isinstance(answers, dict) or not answers:
        raise StateError("answers: expected an object like {\"delta2\": [\"0.12\"]}")
    out = {}
    for key, values in answers.items():
        if key not in keys:
            raise StateError(f"answers: unknown quantity {str(key)[:20]!r}; expected one of {', '.join(keys)}")
        l = int(key.lstrip("deltaWb")) - 1
        rows, cols = session.layers[l].W.shape
        n = rows * cols if key.startswith("dW") else rows
        if not isinstance(values, list) or len(values) != n:
            raise StateError(f"answers: {key} needs {n} numbers")
        for v in values:
            if not isinstance(v, str) or len(v) > 24 or not NUMBER.fullmatch(v.strip()):
                raise StateError(f"answers: {key}: {str(v)[:24]!r} is not a number like 0.125 or -1.2e-3")
        out[key] = [v.strip() for v in values]
    return out


def _target(session, k: int) -> list[float]:
    """Sample k's target as the format's y: the one-hot label for softmax_ce, else the one output's target."""
    if session.multi:
        return np.eye(session.k)[int(session.t_train[k])].tolist()
    return session.t_train[k].tolist()


def worked_example(session, answers: dict[str, list[str]] | None = None) -> dict:
    """The worked example of the selected sample with the current weights; ``answers`` become its claims.

    Raises:
        StateError: for a loss or activation with no worked-example form, or malformed answers.
    """
    acts, loss = _head(session)
    k = min(session.state["sample"], len(session.X_train) - 1)
    params = {}
    for l, lin in enumerate(session.layers, 1):
        params[f"W{l}"] = lin.W.data.tolist()
        params[f"b{l}"] = lin.b.data.tolist()
    claims = {}
    for key, values in (_answers(session, answers) if answers else {}).items():
        if key.startswith("dW"):  # rows of W's shape (n_out, n_in), as the format prints them
            cols = session.layers[int(key[2:]) - 1].W.shape[1]
            values = [values[i:i + cols] for i in range(0, len(values), cols)]
        claims[key] = values
    return {"source": {"title": f"deltagrad playground: training sample #{k} after {session.steps} steps"},
            "network": {"sizes": session.sizes, "activations": acts, "loss": loss},
            "data": {"x": session.X_train[k].tolist(), "y": _target(session, k)},
            "parameters": params, "claims": claims}


def check_answers(session, answers: object) -> list[dict]:
    """Check the answers: one ``{key, ok, verdict, wrong, note}`` per quantity, in the derivation's order.

    ``wrong`` lists the (row-major) indices of the elements that differ from the engine beyond the
    tolerance of the digits typed (answers for ∂L/∂W are given row-major, flat).
    """
    report = check_worked_example(worked_example(session, _answers(session, answers)))
    return [{"key": r.key, "ok": bool(r.ok), "verdict": r.verdict, "note": _note(r.note),
             "wrong": [int(np.ravel_multi_index(w, r.claimed.shape)) if isinstance(w, tuple) else int(w)
                       for w in r.wrong] if r.claimed.size > 1 else ([] if r.ok else [0])}
            for r in report.results]


def _note(note: str) -> str:
    """The checker's note without its row-major element list: the page names the wrong boxes itself ([row, col])."""
    note = re.sub(r"element\(s\) [^;]* do follow from the claims before it; the rest do not", "", note)
    return "; ".join(p for p in note.split("; ") if p and not p.startswith("printed with shape"))


def _toml_value(v) -> str:
    if isinstance(v, str):  # a validated number literal, written as typed so its digits set the tolerance
        return v
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return repr(float(v))


def to_toml(example: dict) -> str:
    """The worked example as TOML text that ``deltagrad check`` reads (floats written with ``repr``: exact).

    >>> print(to_toml({"network": {"sizes": [1, 1], "activations": ["linear"], "loss": "mse"},
    ...     "data": {"x": [1.0], "y": [0.5]}, "parameters": {"W1": [[2.0]], "b1": [0.0]},
    ...     "claims": {"dW1": ["3.0"]}}).splitlines()[1:4])
    ['sizes = [1, 1]', 'activations = ["linear"]', 'loss = "mse"']
    """
    lines = []
    for section, table in example.items():
        lines.append(f"[{section}]")
        for key, value in table.items():
            if section == "network" and key == "activations":
                lines.append(f"{key} = [" + ", ".join(f'"{a}"' for a in value) + "]")
            elif section in ("network", "source") and isinstance(value, str):
                lines.append(f'{key} = "{value}"')
            elif section == "network":
                lines.append(f"{key} = [" + ", ".join(str(int(n)) for n in value) + "]")
            else:
                lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)
