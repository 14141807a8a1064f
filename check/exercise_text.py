"""exercise_text: the text of an exercise's files -- ``exercise.md`` and ``answers.toml`` / ``solution.toml``."""

from __future__ import annotations

import numpy as np

PICTURE = "![the network (asked numbers left blank)](network.svg)\n\n"

_WHAT = {"z": "the weighted input z^({l}) = W^({l}) {prev} + b^({l})", "a": "the activation a^({l}) = g(z^({l}))",
         "loss": "the loss L", "delta": "δ^({l}) = ∂L/∂z^({l})", "dW": "the gradient ∂L/∂W^({l})",
         "db": "the gradient ∂L/∂b^({l})", "W_new": "the updated weights W^({l}) − η ∂L/∂W^({l})",
         "b_new": "the updated biases b^({l}) − η ∂L/∂b^({l})"}


def _dec(v: float, places: int) -> str:
    text = f"{float(v):.{places}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


def toml_value(a, places: int, rows: bool) -> str:
    """A number, a list or a list of rows, each number with ``places`` decimals (TOML keeps them: the tolerance).

    >>> toml_value(0.5, 3, False), toml_value([[1, -0.00001]], 2, True), toml_value([1, 2], 1, False)
    ('0.500', '[[1.00, 0.00]]', '[1.0, 2.0]')
    """
    a = np.asarray(a, dtype=float)
    if a.size == 1 and not rows:
        return _dec(a.reshape(()), places)
    if a.ndim == 2 and (rows or a.shape[0] > 1):
        return "[" + ", ".join("[" + ", ".join(_dec(v, places) for v in row) + "]" for row in a) + "]"
    return "[" + ", ".join(_dec(v, places) for v in a.reshape(-1)) + "]"


def _shape_hint(key: str, shape: tuple, m: int) -> str:
    head = key.rstrip("0123456789")
    if key == "loss":
        return "one number"
    if head in ("z", "a", "delta"):
        n = shape[1]
        return f"{n} number{'s' * (n > 1)}" if m == 1 else f"{m} rows (one per sample) of {n}"
    if len(shape) == 2:
        return f"{shape[0]} row{'s' * (shape[0] > 1)} of {shape[1]} (rows: neurons of this layer)"
    return f"{shape[0]} number{'s' * (shape[0] > 1)}"


def _per_sample(key: str) -> bool:
    return key.rstrip("0123456789") in ("z", "a", "delta")


def answers_toml(ex, values: dict | None) -> str:
    """``answers.toml`` (``values`` None: every asked claim ``""``) or ``solution.toml`` (the rounded answers)."""
    d, net = ex.doc, ex.doc["network"]
    m = d["data"]["x"].shape[0]
    what = "Solution" if values is not None else "Answers"
    lines = [f"# {what} of the backprop exercise (seed {ex.seed}); the format is that of 'deltagrad check'.",
             f"# Give every answer to {ex.decimals} decimal places (carry full precision between steps), or as a",
             '# formula in the names before it, e.g. delta2 = "(a2 - y) * a2 * (1 - a2)". Then run:',
             f"#   deltagrad check {'solution' if values is not None else 'answers'}.toml",
             "", "[source]", f'title = "{d["source"]["title"]}"', f"decimals = {ex.decimals}", "", "[network]",
             f"sizes = [{', '.join(map(str, net['sizes']))}]",
             f"activations = [{', '.join(chr(34) + a + chr(34) for a in net['activations'])}]",
             f'loss = "{net["loss"]}"']
    if "learning_rate" in net:
        lines.append(f"learning_rate = {net['learning_rate']!r}")
    lines += ["", "[data]", f"x = {toml_value(d['data']['x'][0] if m == 1 else d['data']['x'], 1, False)}",
              f"y = {toml_value(d['data']['y'][0] if m == 1 else d['data']['y'], 1, False)}", "",
              "[parameters]                    # z = W a + b; W has one row per neuron of the layer"]
    for k, v in d["parameters"].items():
        lines.append(f"{k} = {toml_value(v, 1, k.startswith('W'))}")
    lines += ["", "[claims]"]
    for key in ex.asked:
        shape = ex.solution[key].shape
        if values is None:
            text = '""'
        else:
            v = values[key]
            text = toml_value(v[0] if _per_sample(key) and m == 1 else v, ex.decimals,
                              key.startswith("dW") or key.startswith("W"))
        lines.append(f"{key} = {text}{' ' * max(1, 24 - len(key) - len(text))}# {_shape_hint(key, shape, m)}")
    return "\n".join(lines) + "\n"


def _table(a: np.ndarray, rows: list[str], cols: list[str]) -> list[str]:
    a = np.atleast_2d(a)
    out = ["| | " + " | ".join(cols) + " |", "|---" * (a.shape[1] + 1) + "|"]
    for name, r in zip(rows, a):
        out.append(f"| {name} | " + " | ".join(_dec(v, 1) for v in r) + " |")
    return out


def exercise_md(ex) -> str:
    """``exercise.md``: the network, its numbers as tables, the picture, the questions in order."""
    d, net = ex.doc, ex.doc["network"]
    sizes, acts, loss = net["sizes"], net["activations"], net["loss"]
    m, L = d["data"]["x"].shape[0], len(sizes) - 1
    loss_text = {"half_mse": "L = ½‖a⁽ᴸ⁾ − y‖² (half_mse)", "mse": "L = mean of (a⁽ᴸ⁾ − y)² (mse)",
                 "cross_entropy": "cross-entropy of the output" + (" softmax" if acts[-1] == "softmax" else
                                                                   " sigmoid (binary)")}[loss]
    out = [f"# Backprop exercise (seed {ex.seed})", "",
           f"A {'-'.join(map(str, sizes))} network: in layer l, z⁽ˡ⁾ = W⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾ and a⁽ˡ⁾ = g(z⁽ˡ⁾) "
           f"with a⁽⁰⁾ = x; the activations g are {', '.join(f'{a} (layer {i + 1})' for i, a in enumerate(acts))}. "
           f"Loss: {loss_text}" + (f", averaged over the {m} samples" if m > 1 else "") + ".",
           "", PICTURE + "## Input and target", ""] + (["Each column is a sample.", ""] if m > 1 else [])
    samples = [f"sample {i + 1}" for i in range(m)]
    out += _table(d["data"]["x"].T, [f"x[{i}]" for i in range(sizes[0])], samples) + [""]
    out += _table(d["data"]["y"].T, [f"y[{i}]" for i in range(sizes[-1])], samples) + [""]
    out += ["## Weights and biases", "", ("W⁽ˡ⁾ has one row per neuron of layer l and one column per neuron (or input) "
            "of layer l − 1; neurons are numbered from 0, as in the picture, and every answer lists them in that "
            "order."), ""]
    for l in range(1, L + 1):
        neurons = [f"neuron {j}" for j in range(sizes[l])]
        inputs = [f"from {'x' if l == 1 else 'a'}[{i}]" for i in range(sizes[l - 1])]
        out += [f"W^({l}) (layer {l}):", ""] + _table(d["parameters"][f"W{l}"], neurons, inputs) + [""]
        out += [f"b^({l}):", ""] + _table(d["parameters"][f"b{l}"].reshape(-1, 1), neurons, ["b"]) + [""]
    if "learning_rate" in net:
        out += [f"Learning rate η = {net['learning_rate']!r}.", ""]
    out += ["## Questions", "",
            f"Give each answer to {ex.decimals} decimal places, carrying full precision from step to step; write it "
            "in `answers.toml` (or a formula in the earlier names, e.g. `delta2 = \"(a2 - y) * a2 * (1 - a2)\"`) "
            "and check it with `deltagrad check answers.toml`."
            + (" δ is per sample; the gradients average over the samples." if m > 1 else ""), ""]
    for i, key in enumerate(ex.asked, 1):
        head = key.rstrip("0123456789")
        l = "".join(ch for ch in key if ch.isdigit())
        kind = key[0] + "_new" if key.endswith("_new") else head
        prev = "x" if l == "1" else f"a^({int(l) - 1})" if l else ""
        out.append(f"{i}. {_WHAT[kind].format(l=l, prev=prev)} → `{key}`")
    return "\n".join(out) + "\n"
