"""Exercises, worked solutions and grading, against oracles independent of the engine and of worked_math.

The oracle derivation below is written out by hand with numpy (Nielsen ch. 2, BP1-BP4, per sample
column vectors), sharing no code with deltagrad.
"""

from __future__ import annotations

import json
import re
import tomllib
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from deltagrad.check import explain, grade, new_exercise
from deltagrad.check.grading import GradingPolicy
from deltagrad.check.worked import check_worked_example
from hypothesis import given, settings
from hypothesis import strategies as st

from deltagrad.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _tol(text: str) -> float:
    return 0.5 * 10.0 ** Decimal(text).as_tuple().exponent


def _oracle(sizes, acts, loss, W, b, X, Y, lr):
    """Per sample: forward, δ backward; gradients averaged over the samples. Returns canonical claim values."""
    def g(name, z):
        if name == "sigmoid":
            return 1 / (1 + np.exp(-z))
        if name == "tanh":
            return np.tanh(z)
        if name == "relu":
            return np.where(z > 0, z, 0.0)
        if name == "softmax":
            return np.exp(z) / np.exp(z).sum()
        return z

    def dg(name, z):
        s = 1 / (1 + np.exp(-z))
        return {"sigmoid": s * (1 - s), "tanh": 1 - np.tanh(z) ** 2, "relu": (z > 0) * 1.0}.get(name, np.ones_like(z))

    L, m = len(sizes) - 1, X.shape[0]
    out = {k: [] for k in ["loss"] + [f"{p}{l}" for l in range(1, L + 1) for p in ("z", "a", "delta")]}
    dW = {l: np.zeros_like(W[l]) for l in W}
    db = {l: np.zeros_like(b[l]) for l in b}
    total = 0.0
    for x, y in zip(X, Y):
        a, zs, As = x, {}, {0: x}
        for l in range(1, L + 1):
            zs[l] = W[l] @ a + b[l]
            a = g(acts[l - 1], zs[l])
            As[l] = a
        if loss == "half_mse":
            total += 0.5 * np.sum((a - y) ** 2)
            d = (a - y) * dg(acts[-1], zs[L])
        elif loss == "mse":
            total += np.sum((a - y) ** 2) / len(y)
            d = 2 * (a - y) / len(y) * dg(acts[-1], zs[L])
        else:
            if acts[-1] == "softmax":
                total += -np.sum(y * np.log(a))
            else:
                total += -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a))
            d = a - y
        deltas = {L: d}
        for l in range(L - 1, 0, -1):
            deltas[l] = (W[l + 1].T @ deltas[l + 1]) * dg(acts[l - 1], zs[l])
        for l in range(1, L + 1):
            out[f"z{l}"].append(zs[l])
            out[f"a{l}"].append(As[l])
            out[f"delta{l}"].append(deltas[l])
            dW[l] += np.outer(deltas[l], As[l - 1]) / m
            db[l] += deltas[l] / m
    res = {k: np.array(v) for k, v in out.items() if k != "loss"}
    res["loss"] = np.array(total / m)
    for l in W:
        res[f"dW{l}"], res[f"db{l}"] = dW[l], db[l]
        res[f"W{l}_new"], res[f"b{l}_new"] = W[l] - lr * dW[l], b[l] - lr * db[l]
    return res


CONFIGS = [
    dict(sizes=(2, 3, 1)),
    dict(sizes=(2, 2, 2), activations=("tanh", "sigmoid"), loss="mse"),
    dict(sizes=(3, 2, 3), activations=("relu", "softmax"), loss="cross_entropy"),
    dict(sizes=(2, 2, 1), activations=("relu", "sigmoid"), loss="cross_entropy", samples=2),
    dict(sizes=(1, 2, 2, 1), activations=("tanh", "relu", "linear"), loss="half_mse", samples=3, decimals=5),
]


@pytest.mark.parametrize("cfg", CONFIGS)
@pytest.mark.parametrize("seed", [0, 11])
def test_solution_matches_a_hand_written_numpy_derivation(cfg, seed, tmp_path):
    ex = new_exercise(seed, **cfg)
    ex.write(tmp_path)
    text = (tmp_path / "solution.toml").read_text()
    doc = tomllib.loads(text)
    raw = tomllib.loads(text, parse_float=str)
    net, L = doc["network"], len(doc["network"]["sizes"]) - 1
    X = np.array(doc["data"]["x"], dtype=float).reshape(-1, net["sizes"][0])
    Y = np.array(doc["data"]["y"], dtype=float).reshape(X.shape[0], -1)
    W = {l: np.array(doc["parameters"][f"W{l}"], dtype=float).reshape(net["sizes"][l], -1) for l in range(1, L + 1)}
    b = {l: np.array(doc["parameters"][f"b{l}"], dtype=float).reshape(-1) for l in range(1, L + 1)}
    want = _oracle(net["sizes"], net["activations"], net["loss"], W, b, X, Y, net["learning_rate"])
    assert set(doc["claims"]) == set(want)
    for key, value in doc["claims"].items():
        got = np.array(value, dtype=float).reshape(want[key].shape)
        tol = _tol(np.array(raw["claims"][key]).reshape(-1)[0])
        assert tol == 0.5 * 10.0 ** -cfg.get("decimals", 4)
        assert np.all(np.abs(got - want[key]) <= tol + 1e-12), key
    steps = explain(tmp_path / "solution.toml")  # the worked solution's full-precision values, same oracle
    for key in want:
        np.testing.assert_allclose(steps[key].value.reshape(want[key].shape), want[key], rtol=1e-9, atol=1e-12)
    # workable by hand: one-decimal inputs and weights, no saturation, no dead ReLU
    for l in range(1, L + 1):
        z = np.array(want[f"z{l}"])
        act = net["activations"][l - 1]
        assert np.all(np.abs(np.round(W[l] * 10) - W[l] * 10) < 1e-9)
        if act in ("sigmoid", "tanh"):
            assert np.abs(z).max() <= 2.0
        if act == "relu":
            assert z.min() >= 0.1
    assert main(["check", "--quiet", str(tmp_path / "solution.toml")]) == 0


def test_same_seed_same_bytes(tmp_path, capsys):
    for d in ("a", "b"):
        args = ["exercise", "new", "--seed", "5", "--sizes", "2,2,1", "--loss", "mse", "--out", str(tmp_path / d)]
        assert main(args) == 0
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert set(names) - {"network.svg"} == {"exercise.md", "answers.toml", "solution.md", "solution.toml"}
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    assert "network.svg" in names  # the network view is drawn without Graphviz
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "solution.toml").read_bytes() != new_exercise(6).files["solution.toml"].encode()


def test_cli_exercise_writes_the_files_and_answers_are_unanswered(tmp_path, capsys):
    assert main(["exercise", "new", "--seed", "3", "--out", str(tmp_path), "--ask", "z,a,loss", "--digits", "3"]) == 0
    doc = tomllib.loads((tmp_path / "answers.toml").read_text())
    assert doc["claims"] == {"z1": "", "a1": "", "z2": "", "a2": "", "loss": ""}
    assert main(["check", str(tmp_path / "answers.toml")]) == 1
    out = capsys.readouterr().out
    assert "score 0 / 5" in out and out.count("unanswered") >= 5
    assert "$$" in (tmp_path / "solution.md").read_text()
    md = (tmp_path / "exercise.md").read_text()
    assert ("](network.svg)" in md) == (tmp_path / "network.svg").exists()
    assert main(["exercise", "new", "--seed", "3", "--out", str(tmp_path), "--ask", "nope"]) == 2


def test_explain_reproduces_the_published_corrected_example():
    path = ROOT / "examples" / "seed_001_corrected.toml"
    text = path.read_text()
    raw = tomllib.loads(text, parse_float=str)["claims"]
    e = explain(path)
    for key, printed in raw.items():
        flat = np.array(printed).reshape(-1)
        got = e[key].value.reshape(-1)
        assert got.size == flat.size, key
        for g, p in zip(got, flat):
            assert abs(g - float(p)) <= _tol(p) + 1e-12, (key, g, p)
    # the published numbers at 6 significant digits, as the seed's text prints them (½·(1.131375 − 0.01)²)
    assert "L = 0.628741" in e.markdown and "= 1.12137\n$$" in e.markdown
    assert r"\delta^{(1)} = (W^{(2)})^\top \delta^{(2)} \odot g'(z^{(1)})" in e.markdown


def test_explain_cli_out_and_digits(tmp_path, capsys):
    out = tmp_path / "sol.md"
    assert main(["explain", str(ROOT / "examples" / "tiny_neuron.toml"), "--digits", "3", "--out", str(out)]) == 0
    md = out.read_text()
    assert r"\sigma\left(0.5\right) = 0.622" in md  # σ(0.5) = 0.62246
    assert main(["explain", str(tmp_path / "missing.toml")]) == 2


def _solution_doc(ex) -> dict:
    doc = tomllib.loads(ex.files["solution.toml"])
    doc["claims"] = tomllib.loads(ex.files["solution.toml"], parse_float=str)["claims"]  # strings keep the digits
    return doc


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), cfg=st.sampled_from(CONFIGS[:4]), pick=st.integers(0, 10_000),
       shift=st.sampled_from([0.37, -0.21, 1.5]))
def test_one_changed_claim_is_first_wrong_exactly_there(seed, cfg, pick, shift):
    ex = new_exercise(seed, **cfg)
    doc = _solution_doc(ex)
    key = list(doc["claims"])[pick % len(doc["claims"])]
    value = np.array(doc["claims"][key], dtype=float)
    flat = value.reshape(-1).copy()
    flat[pick % flat.size] += shift
    doc["claims"][key] = [f"{v:.6f}" for v in flat] if flat.size > 1 else f"{flat[0]:.6f}"
    report = check_worked_example(doc)
    assert report.first_wrong is not None and report.first_wrong.key == key
    before = [r for r in report.results[: [r.key for r in report.results].index(key)]]
    assert all(r.ok for r in before)
    graded = grade(doc)  # the grader agrees: no credit there, full credit before it
    at = [c.key for c in graded.claims].index(key)
    assert graded.claims[at].status == "wrong" and graded.claims[at].score == 0
    assert all(c.status == "right" for c in graded.claims[:at])


def test_partial_credit_method_rounding_and_gradescope(tmp_path):
    # tiny neuron: z = 0.5·2 − 0.5 = 0.5, a = σ(0.5) = 0.622459
    base = {"network": {"sizes": [1, 1], "activations": ["sigmoid"], "loss": "half_mse"},
            "data": {"x": [2.0], "y": [1.0]}, "parameters": {"W1": [[0.5]], "b1": [-0.5]}}
    wrong_z = 0.6
    a_from_wrong = 1 / (1 + np.exp(-wrong_z))  # 0.645656: right method on the student's own error
    g = grade({**base, "claims": {"z1": str(wrong_z), "a1": f"{a_from_wrong:.4f}", "loss": ""}},
              GradingPolicy(method_credit=0.25))
    assert [(c.key, c.status, c.score) for c in g.claims] == [
        ("z1", "wrong", 0.0), ("a1", "method", 0.25), ("loss", "unanswered", 0.0)]
    assert (g.score, g.max_score) == (0.25, 3.0)
    # a1 printed to 2 decimals (0.62), then the loss computed from the rounded 0.62: ½(0.62 − 1)² = 0.0722
    r = grade({**base, "claims": {"a1": "0.62", "loss": "0.0722"}})
    assert r["a1"].status == "right" and r["loss"].status == "rounding" and r.score == 2.0
    path = tmp_path / "results.json"
    g.write_gradescope(path)
    data = json.loads(path.read_text())
    assert set(data) >= {"score", "max_score", "tests"} and data["score"] == 0.25 and data["max_score"] == 3.0
    assert [set(t) >= {"name", "score", "max_score", "output"} for t in data["tests"]] == [True] * 3
    assert [t["name"] for t in data["tests"]] == ["z1", "a1", "loss"]


def test_formula_answers_right_coincidence_and_refused(tmp_path, capsys):
    text = (ROOT / "examples" / "tiny_neuron.toml").read_text()
    head = text[: text.index("[claims]")]
    f = tmp_path / "f.toml"
    f.write_text(head + '[claims]\nz1 = "W1 @ x + b1"\ndelta1 = "(a1 - y) * a1 * (1 - a1)"\ndW1 = "delta1 * 2"\n'
                 'db1 = "delta1"\nW1_new = "W1 - lr * dW1"\n')
    g = grade(f)
    assert [c.status for c in g.claims] == ["right", "right", "coincidence", "right", "right"]
    assert "only by coincidence" in g["dW1"].output
    assert main(["check", str(f), "--json", str(tmp_path / "r.json")]) == 1
    assert json.loads((tmp_path / "r.json").read_text())["score"] == 4.0
    # a formula on the student's own wrong z1 carries the error on: the z1-based a1 earns method credit
    f.write_text(head + '[claims]\nz1 = 0.6\na1 = "sigmoid(z1)"\nloss = 0.0628\n')  # ½(σ(0.6) − 1)² = 0.062780
    g = grade(f)
    assert [(c.key, c.status) for c in g.claims] == [("z1", "wrong"), ("a1", "right"), ("loss", "method")]
    # formulas that cannot be used score 0 with the reason; the rest of the file is still graded
    f.write_text(head + '[claims]\nz1 = "__import__(\'os\')"\na1 = "sigmoid(z1)"\ndelta1 = "delta1"\n'
                 'dW1 = "x @ delta1 @ x"\nloss = "log(-1 * a1)"\n')
    g = grade(f)
    assert [(c.key, c.status) for c in g.claims] == [("z1", "invalid formula"), ("a1", "right"),
                                                     ("loss", "invalid formula"), ("delta1", "invalid formula"),
                                                     ("dW1", "wrong")]
    assert "call of '__import__' is not allowed" in g["z1"].output
    assert "delta1: not a name a formula for delta1 may use" in g["delta1"].output
    assert "not a finite number" in g["loss"].output
    assert main(["check", str(f)]) == 1
    # shapes that do not fit: W2 @ δ2 where (W2)ᵀ δ2 is meant
    ex = new_exercise(1, ask=("delta",))
    g = grade({**tomllib.loads(ex.files["answers.toml"]),
               "claims": {"delta2": "(a2 - y) * a2 * (1 - a2)", "delta1": "W2 @ delta2 * a1 * (1 - a1)"}})
    assert g["delta2"].status == "right" and g["delta1"].status == "invalid formula"
    assert "matmul" in g["delta1"].output
    g = grade({**tomllib.loads(ex.files["answers.toml"]),
               "claims": {"delta1": "T(W2) @ ((a2 - y) * a2 * (1 - a2)) * a1 * (1 - a1)", "delta2": [0.1, 0.2]}})
    assert g["delta1"].status == "right"
    assert (g["delta2"].status, g["delta2"].output) == ("wrong size", "2 numbers, expected 1")
    capsys.readouterr()


def test_plain_worked_examples_keep_their_behaviour(capsys):
    assert main(["check", "--quiet", str(ROOT / "examples" / "seed_001_worked_example.toml")]) == 1
    assert main(["check", "--quiet", str(ROOT / "examples" / "seed_001_corrected.toml")]) == 0
    assert "score" not in capsys.readouterr().out


def test_the_picture_blanks_what_is_asked_and_shows_the_weights(tmp_path, capsys):
    assert main(["exercise", "new", "--seed", "4", "--out", str(tmp_path)]) == 0
    svg = (tmp_path / "network.svg").read_text()
    texts = re.findall(r">([^<>]+)</text>", svg)
    assert "z = ?" in texts and "δ = ?" in texts and "∂L/∂w = ?" in texts
    assert not [s for s in texts if re.match(r"(z|δ|∂L/∂w) = [-\d]", s)], "an asked number is visible"
    params = tomllib.loads((tmp_path / "answers.toml").read_text())["parameters"]
    shown = sorted(float(s.split("= ")[1]) for s in texts if s.startswith("w = "))
    assert shown == sorted(float(w) for key in params if key.startswith("W") for w in np.ravel(params[key]))
    assert "](network.svg)" in (tmp_path / "exercise.md").read_text()


def test_a_picture_that_cannot_be_drawn_is_a_warning_not_a_failure(tmp_path, monkeypatch, capsys):
    from deltagrad import viz

    def broken(*args, **kwargs):
        raise RuntimeError("no picture today")

    monkeypatch.setattr(viz, "draw", broken)
    assert main(["exercise", "new", "--seed", "2", "--out", str(tmp_path / "ex")]) == 0
    assert "warning: network.svg not drawn" in capsys.readouterr().err
    assert not (tmp_path / "ex" / "network.svg").exists()
    assert "network.svg" not in (tmp_path / "ex" / "exercise.md").read_text()
    assert main(["check", "--quiet", str(tmp_path / "ex" / "solution.toml")]) == 0


def test_check_grading_options_refuse_bad_input(tmp_path, capsys):
    ex = new_exercise(1, sizes=(1, 1), ask=("z", "a"))
    ex.write(tmp_path)
    answers = str(tmp_path / "answers.toml")
    assert main(["check", answers, answers, "--json", str(tmp_path / "r.json")]) == 2
    assert main(["check", answers, "--method-credit", "2"]) == 2
    assert main(["check", answers, "--json", str(tmp_path / "no" / "dir" / "r.json")]) == 2
    assert not (tmp_path / "r.json").exists()
    # --score grades a plain worked example too; the solution scores full marks and exits 0
    assert main(["check", "--score", str(tmp_path / "solution.toml"), "--json", str(tmp_path / "r.json")]) == 0
    data = json.loads((tmp_path / "r.json").read_text())
    assert (data["score"], data["max_score"]) == (2.0, 2.0)
    capsys.readouterr()


def test_fewer_decimals_than_asked_earn_nothing(tmp_path):
    ex = new_exercise(1, sizes=(1, 1), ask=("z",), decimals=3)
    z = float(ex.solution["z1"].reshape(()))
    text = ex.files["answers.toml"].replace('z1 = ""', f"z1 = {z:.1f}")
    (tmp_path / "a.toml").write_text(text)
    g = grade(tmp_path / "a.toml")
    assert g["z1"].status == "too few decimals" and g.score == 0
    (tmp_path / "a.toml").write_text(ex.files["answers.toml"].replace('z1 = ""', f'z1 = "{z:.4f}"'))
    assert grade(tmp_path / "a.toml")["z1"].status == "right"


def test_jupyter_displays(tmp_path):
    ex = new_exercise(3, sizes=(1, 1), ask=("z", "loss"))
    assert "<code>z1</code>" in ex._repr_html_() and "<code>loss</code>" in ex._repr_html_()
    ex.write(tmp_path)
    e = explain(tmp_path / "solution.toml")
    assert e._repr_markdown_() == e.markdown and "$$" in e._repr_html_() and "<h2>Forward pass</h2>" in e._repr_html_()
    g = grade(tmp_path / "answers.toml")
    assert "score 0 / 2" in g._repr_html_() and g._repr_html_().count("unanswered") == 2


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31), hidden=st.lists(st.integers(1, 6), min_size=0, max_size=3),
       n_in=st.integers(1, 6), n_out=st.integers(1, 4), samples=st.integers(1, 4),
       hidden_act=st.sampled_from(["sigmoid", "tanh", "relu", "linear"]),
       head=st.sampled_from([("sigmoid", "half_mse"), ("linear", "mse"), ("relu", "half_mse"), ("tanh", "mse"),
                             ("softmax", "cross_entropy"), ("sigmoid", "cross_entropy")]))
def test_any_network_gets_a_workable_exercise_that_checks(seed, hidden, n_in, n_out, samples, hidden_act, head):
    if head[0] == "softmax" and n_out == 1:
        with pytest.raises(ValueError, match="softmax output needs at least 2 outputs"):
            new_exercise(seed, sizes=(n_in, n_out), activations=["softmax"], loss="cross_entropy")
        return
    sizes = (n_in, *hidden, n_out)
    acts = [hidden_act] * len(hidden) + [head[0]]
    ex = new_exercise(seed, sizes=sizes, activations=acts, loss=head[1], samples=samples)
    report = check_worked_example({**tomllib.loads(ex.files["solution.toml"]),
                                   "claims": tomllib.loads(ex.files["solution.toml"], parse_float=str)["claims"]})
    assert report.ok and len(report.results) == len(ex.asked)
    zs = [report[f"z{l}"].engine for l in range(1, len(sizes))]
    for z, act in zip(zs, acts):
        assert act != "relu" or z.min() >= 0.1
        assert act not in ("sigmoid", "tanh", "softmax") or np.abs(z).max() <= 2.0
