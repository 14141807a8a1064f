"""check --svg draws the claim view: one box per claimed quantity, rows by layer, numbers checked by hand in numpy."""

import tomllib
from pathlib import Path

import numpy as np
import pytest
from claimsvg import read
from deltagrad.check import check_worked_example
from deltagrad.check.worked_graph import claim_graph
from deltagrad.viz.claims_view import claims_source
from deltagrad.viz.style import DIM, FOLLOWS, MATCH, MISMATCH

from deltagrad.cli import main

EX = Path(__file__).resolve().parent.parent / "examples"
SEED = EX / "seed_001_worked_example.toml"
CORRECTED = EX / "seed_001_corrected.toml"
CLAIMS = ["z1", "a1", "z2", "a2", "loss", "delta2", "dW2", "db2", "delta1", "dW1", "db1",
          "W1_new", "b1_new", "W2_new", "b2_new"]
# what a 2-layer derivation computes each quantity from (δ2 = (a2 - y)·relu'(z2), δ1 = W2ᵀδ2 ⊙ relu'(z1),
# dW2 = δ2 a1ᵀ, dW1 = δ1 xᵀ, db = δ, W_new = W - η dW): written out by hand, not read from the engine
TEXTBOOK = {("z1", "a1"), ("a1", "z2"), ("z2", "a2"), ("a2", "loss"), ("a2", "delta2"), ("z2", "delta2"),
            ("delta2", "dW2"), ("a1", "dW2"), ("delta2", "db2"), ("delta2", "delta1"), ("z1", "delta1"),
            ("delta1", "dW1"), ("delta1", "db1"), ("dW1", "W1_new"), ("db1", "b1_new"), ("dW2", "W2_new"),
            ("db2", "b2_new")}


def _check_svg(tmp_path, capsys, path, *extra):
    svg = tmp_path / "claims.svg"
    rc = main(["check", str(path), "--svg", str(svg), *extra])
    out, err = capsys.readouterr()
    assert err == "" and rc in (0, 1), err
    return rc, out, read(svg)


def _by_hand(doc):
    """The 2-3-1 ReLU net of the seed example, forward and backward, in numpy (one sample, ½(a - y)²)."""
    p = doc["parameters"]
    x, y = np.array(doc["data"]["x"], float), np.array(doc["data"]["y"], float)
    W1, b1, W2, b2 = (np.array(p[k], float) for k in ("W1", "b1", "W2", "b2"))
    lr = doc["network"]["learning_rate"]
    z1 = W1 @ x + b1
    a1 = np.maximum(z1, 0)
    z2 = W2 @ a1 + b2
    a2 = np.maximum(z2, 0)
    d2 = (a2 - y) * (z2 > 0)
    d1 = (W2.T @ d2) * (z1 > 0)
    dW2, dW1 = np.outer(d2, a1), np.outer(d1, x)
    out = {"z1": z1, "a1": a1, "z2": z2, "a2": a2, "loss": 0.5 * np.sum((a2 - y) ** 2), "delta2": d2, "dW2": dW2,
           "db2": d2, "delta1": d1, "dW1": dW1, "db1": d1}
    out.update({"W1_new": W1 - lr * dW1, "b1_new": b1 - lr * d1, "W2_new": W2 - lr * dW2, "b2_new": b2 - lr * d2})
    return out


def _shown(a):
    """The entries a box shows (the documented rule): all up to 4; of a larger matrix the first row (up to
    3 of its columns); else the first 3 entries."""
    a = np.asarray(a, float)
    if a.size <= 4:
        return a.ravel()
    return (a[0] if a.ndim == 2 and min(a.shape) > 1 else a.ravel())[:3]


def test_seed_example_one_box_per_claim_rows_by_layer_and_size(tmp_path, capsys):
    rc, out, (boxes, rows, arrows, (width, height)) = _check_svg(tmp_path, capsys, SEED)
    assert rc == 1 and "wrote" in out
    assert sorted(boxes) == sorted(CLAIMS)  # no x @ W1ᵀ, a2 - y, **2, Σ, transposes, parameters
    assert all(b.lines[0].split()[0] == k for k, b in boxes.items())
    assert width <= 2000 and 400 <= height <= 1200  # was 8,584 units wide in one row
    assert list(rows) == ["layer 1 · forward", "layer 2 · forward", "loss", "layer 2 · backward",
                          "layer 1 · backward", "layer 2 · update", "layer 1 · update"]
    ys = list(rows.values())
    assert ys == sorted(ys)  # top to bottom
    row_of = {k: min(rows, key=lambda r: abs(rows[r] - b.y)) for k, b in boxes.items()}
    assert row_of == {"z1": "layer 1 · forward", "a1": "layer 1 · forward", "z2": "layer 2 · forward",
                      "a2": "layer 2 · forward", "loss": "loss", "delta2": "layer 2 · backward",
                      "dW2": "layer 2 · backward", "db2": "layer 2 · backward", "delta1": "layer 1 · backward",
                      "dW1": "layer 1 · backward", "db1": "layer 1 · backward", "W2_new": "layer 2 · update",
                      "b2_new": "layer 2 · update", "W1_new": "layer 1 · update", "b1_new": "layer 1 · update"}
    assert {(a, b) for a, b, _ in arrows} == TEXTBOOK
    assert max(b.width for b in boxes.values()) < 400


def test_seed_example_numbers_equal_numpy_by_hand(tmp_path, capsys):
    doc = tomllib.loads(SEED.read_text())
    hand = _by_hand(doc)
    np.testing.assert_allclose(hand["z1"], [0.3775, 0.3925, 0.4075])
    np.testing.assert_allclose(hand["loss"], 0.5 * (1.131375 - 0.01) ** 2)
    _, _, (boxes, _, _, _) = _check_svg(tmp_path, capsys, SEED)
    for key in CLAIMS:
        box = boxes[key]
        engine, claimed = hand[key], np.array(doc["claims"][key], float).reshape(np.shape(hand[key]))
        shown_e, shown_c = box.numbers("engine "), box.numbers("claimed ")
        if engine.size > 4:  # summarised: the shape, the first row, the largest |claimed - engine|
            assert box.line("shape ") == f"shape {np.shape(hand[key])}; shown: row 0"
            err = np.abs(np.array(doc["claims"][key], float).reshape(np.shape(hand[key])) - hand[key])
            i, j = np.unravel_index(np.argmax(err), err.shape)
            big, *at = box.numbers("max |err| ")
            assert np.isclose(big, err.max(), rtol=6e-4) and at == [i, j, 0]  # "at row i, col j (from 0)"
        engine, claimed = _shown(engine), _shown(claimed)
        assert len(shown_e) == engine.size and len(shown_c) == claimed.size, key
        np.testing.assert_allclose(shown_e, engine, rtol=6e-4, err_msg=key)  # 4+ significant digits
        np.testing.assert_allclose(shown_c, claimed, rtol=6e-4, err_msg=key)
        if np.ndim(hand[key]) <= 1 or np.shape(hand[key])[0] == 1:
            assert "[[" not in " ".join(box.lines)  # a (1, n) value is shown as one row


def _verdicts(out: str) -> dict:
    """{claim: "OK" | "first wrong here" | "follows from the earlier error at X"} from the text report."""
    import re

    found = {}
    for line in out.splitlines():
        m = re.match(r"^([A-Za-z]\w*)\s+.*?\s(OK|WRONG)(?:: (.*?))?(?: \(line (\d+)\))?$", line)
        if m:
            found[m.group(1)] = ("OK" if m.group(2) == "OK" else m.group(3), m.group(4))
    return found


def _assert_verdicts_drawn(boxes, arrows, out):
    verdicts = _verdicts(out)
    assert set(verdicts) == set(boxes)
    for key, (verdict, line) in verdicts.items():
        box = boxes[key]
        last = [t for t in box.lines if t[0] in "√×←"]
        assert len(last) == 1, box.lines
        if verdict == "OK":
            assert last[0] == f"√ right (line {line})" and box.stroke == MATCH and box.dash is None
        elif verdict == "first wrong here":
            assert last[0] == f"× first wrong here (line {line})" and box.stroke == MISMATCH and box.dash is None
        else:
            culprit = verdict.removeprefix("follows from the earlier error at ")
            assert last[0] == f"← follows from {culprit} (line {line})" and box.stroke == FOLLOWS and box.dash
    wrong = {k for k, (v, _) in verdicts.items() if v != "OK"}
    for a, b, colour in arrows:  # the error's path is orange: out of a wrong claim into one that follows
        hot = a in wrong and verdicts[b][0].startswith("follows")
        assert (colour == FOLLOWS) == hot, (a, b)


def test_seed_example_verdicts_are_the_reports(tmp_path, capsys):
    _, out, (boxes, _, arrows, _) = _check_svg(tmp_path, capsys, SEED)
    _assert_verdicts_drawn(boxes, arrows, out)
    assert boxes["z1"].line("×") == "× first wrong here (line 28)"
    assert boxes["a1"].line("←") == "← follows from z1 (line 29)"
    assert boxes["db1"].line("←") == "← follows from delta1 (line 39)"
    assert boxes["dW2"].lines[-1] == "(within the rounding of delta2, a1)"  # the report's "unless ... more digits"


@pytest.mark.parametrize("plant, first, follows", [
    ({"z2": "1.2314", "a2": "1.2314"}, "z2", ["a2"]),  # a forward error, and a2 = relu(claimed z2)
    ({"delta2": "1.2214", "db2": "1.2214"}, "delta2", ["db2"]),  # a backward error, and db2 = claimed δ2
])
def test_planted_error_first_wrong_and_follows(tmp_path, capsys, plant, first, follows):
    text = CORRECTED.read_text()
    lines = []
    for raw in text.splitlines():
        key = raw.split("=")[0].strip()
        lines.append(f"{key} = {plant[key]}" if key in plant and "=" in raw else raw)
    path = tmp_path / "planted.toml"
    path.write_text("\n".join(lines) + "\n")
    doc = tomllib.loads(path.read_text())
    hand = _by_hand(doc)
    for k, v in plant.items():  # the planted numbers are wrong (numpy), and the others are right
        assert abs(float(v) - float(np.ravel(hand[k])[0])) > 0.05
    rc, out, (boxes, _, arrows, _) = _check_svg(tmp_path, capsys, path)
    assert rc == 1
    _assert_verdicts_drawn(boxes, arrows, out)
    assert boxes[first].line("×").startswith("× first wrong here")
    for k in follows:
        assert boxes[k].line("←").startswith(f"← follows from {first} ")
        assert (first, k, FOLLOWS) in arrows
    right = [k for k in CLAIMS if k != first and k not in follows]
    assert all(any(t.startswith("√ right") for t in boxes[k].lines) for k in right)
    # right, though the wrong claim it is computed from would not give it: said, as the text report says it
    blocks, key = {}, None
    for line in out.splitlines():
        key = line.split()[0] if line and not line.startswith(" ") else key
        blocks[key] = blocks.get(key, "") + line + "\n"
    noted = {k for k in right if "matches the engine though not the claims before it" in blocks[k]}
    assert {"z2": "loss", "delta2": "delta1"}[first] in noted
    for k in right:
        assert (boxes[k].lines[-1] == "(but not what the claims before it give)") == (k in noted), k
    np.testing.assert_allclose(boxes[first].numbers("engine "), np.ravel(hand[first]), rtol=6e-4)


def test_corrected_example_right_everywhere_and_engine_rounds_to_the_claim(tmp_path, capsys):
    rc, out, (boxes, _, arrows, _) = _check_svg(tmp_path, capsys, CORRECTED)
    assert rc == 0 and sorted(boxes) == sorted(CLAIMS)
    _assert_verdicts_drawn(boxes, arrows, out)
    hand = _by_hand(tomllib.loads(CORRECTED.read_text()))
    # b1_new = 0.30515 is right (the engine's 0.35 - 0.1·0.44855 = 0.305145, within ±0.000005): at the
    # claim's five digits the engine would print 0.30514 beside a √, so it is shown with more digits
    assert hand["b1_new"][0] == pytest.approx(0.305145, abs=1e-12)
    assert boxes["b1_new"].line("engine ").startswith("engine [0.305145, ")


def test_no_claims_still_draws_every_quantity_with_the_engine_value(tmp_path, capsys):
    path = tmp_path / "none.toml"
    path.write_text(SEED.read_text().split("[claims]")[0])
    rc, out, (boxes, _, arrows, _) = _check_svg(tmp_path, capsys, path)
    assert rc == 0 and "no claims to check" in out
    assert sorted(boxes) == sorted(CLAIMS) and {(a, b) for a, b, _ in arrows} == TEXTBOOK
    hand = _by_hand(tomllib.loads(SEED.read_text()))
    for key, box in boxes.items():
        assert box.lines[-1] == "○ not claimed" and box.stroke == DIM and box.dash
        assert not any(t.startswith("claimed") for t in box.lines)
        np.testing.assert_allclose(box.numbers("engine "), _shown(hand[key]), rtol=6e-4)


def test_answers_file_is_graded_and_drawn_without_giving_answers_away(tmp_path, capsys):
    doc = SEED.read_text().split("[claims]")[0]
    path = tmp_path / "answers.toml"
    path.write_text(doc + '[claims]\nz1 = [0.3775, 0.3925, 0.4075]\na1 = "relu(z1)"\nz2 = ""\ndelta1 = ""\n')
    rc, out, (boxes, _, _, _) = _check_svg(tmp_path, capsys, path)
    assert rc == 1  # graded: an unanswered claim is not right (README: 0 only when every claim is answered and right)
    assert "score 2 / 4" in out and "unanswered" in out
    line = path.read_text().splitlines().index("z1 = [0.3775, 0.3925, 0.4075]") + 1
    assert boxes["z1"].lines[-1] == f"√ right (line {line})" and boxes["a1"].lines[-1].startswith("√ right")
    for key in ("z2", "delta1"):
        assert boxes[key].lines[1:] == ["? unanswered"]  # no engine number: the picture does not answer it
    assert boxes["loss"].lines[-1] == "○ not claimed"


def test_delta_is_shown_per_sample_and_large_matrices_are_summarised(tmp_path, capsys):
    rng = np.random.default_rng(0)
    W1, W2, x = (np.round(rng.normal(0, s, shape), 4) for s, shape in ((0.5, (6, 6)), (0.5, (1, 6)), (1, (2, 6))))
    y = np.array([[0.5], [-0.5]])
    z1 = x @ W1.T
    a1 = np.tanh(z1)
    z2 = a1 @ W2.T
    d2 = 2 * (z2 - y)  # mse over 2 samples: δ per sample = m · ∂L/∂z = 2 (z2 - y)
    dW1 = ((d2 @ W2) * (1 - a1**2)).T @ x / 2
    fmt = lambda a: str(np.asarray(a, float).tolist())  # every digit: the claims are exact to ~1e-16
    path = tmp_path / "big.toml"
    path.write_text(
        f'[network]\nsizes = [6, 6, 1]\nactivations = ["tanh", "linear"]\nloss = "mse"\n[data]\nx = {fmt(x)}\n'
        f"y = {fmt(y)}\n[parameters]\nW1 = {fmt(W1)}\nb1 = {fmt(np.zeros(6))}\nW2 = {fmt(W2)}\nb2 = [0.0]\n"
        f"[claims]\ndelta2 = {fmt(d2.ravel())}\ndW1 = {fmt(dW1 + 0.01)}\n")
    rc, _, (boxes, _, arrows, _) = _check_svg(tmp_path, capsys, path)
    assert rc == 1
    np.testing.assert_allclose(boxes["delta2"].numbers("engine "), d2.ravel(), rtol=6e-4)
    assert boxes["delta2"].lines[-1].startswith("√ right")
    dw = boxes["dW1"]
    assert dw.line("shape ") == "shape (6, 6); shown: row 0, columns 0-2" and len(dw.numbers("claimed ")) == 3
    assert dw.line("engine ").endswith(", …], …]")
    np.testing.assert_allclose(dw.numbers("engine "), dW1[0, :3], rtol=6e-4)
    assert dw.numbers("max |err| ")[0] == pytest.approx(0.01, rel=1e-3)
    assert ("z2", "a2") in {(a, b) for a, b, _ in arrows}  # a linear layer: a2 is z2 itself
    assert ("a2", "loss") in {(a, b) for a, b, _ in arrows}


def test_cross_entropy_loss_comes_from_z():
    doc = {"network": {"sizes": [2, 2], "activations": ["softmax"], "loss": "cross_entropy"},
           "data": {"x": [1.0, -1.0], "y": [0.0, 1.0]}, "parameters": {"W1": [[0.5, 0.1], [-0.3, 0.2]], "b1": [0, 0]},
           "claims": {"a1": [0.6, 0.4]}}
    g = claim_graph(check_worked_example(doc))
    assert set(g.edges) == {("z1", "a1"), ("z1", "loss"), ("z1", "delta1"), ("delta1", "dW1"), ("delta1", "db1")}
    assert g["a1"].kind == "first wrong" and g["z1"].kind == "not claimed"


def test_claims_source_refuses_unknown_kinds_and_dangling_edges():
    from types import SimpleNamespace as N

    node = N(key="z1", step="", row=0, kind="maybe", verdict="", claimed=None, engine=None, line=None, note="")
    with pytest.raises(ValueError, match="unknown kind 'maybe'"):
        claims_source(N(title="t", summary="", rows=["r"], nodes=[node], edges=[]))
    node.kind = "not claimed"
    with pytest.raises(ValueError, match="'z1' -> 'a1' names a key with no node"):
        claims_source(N(title="t", summary="", rows=["r"], nodes=[node], edges=[("z1", "a1")]))


def test_svg_with_json_writes_both_and_a_failed_drawing_writes_neither(tmp_path, capsys):
    import json

    svg, js = tmp_path / "a.svg", tmp_path / "r.json"
    rc = main(["check", str(CORRECTED), "--svg", str(svg), "--json", str(js)])
    out, err = capsys.readouterr()
    assert rc == 0 and err == "" and json.loads(js.read_text())["score"] == 15.0
    assert len(read(svg)[0]) == 15 and f"wrote {svg}" in out
    js.unlink()
    rc = main(["check", str(CORRECTED), "--svg", str(tmp_path / "no" / "a.svg"), "--json", str(js)])
    out, err = capsys.readouterr()
    assert rc == 2 and out == "" and err.count("\n") == 1 and "cannot write" in err and not js.exists()


def test_a_small_matrix_is_shown_row_by_row(tmp_path, capsys):
    W1, b1, W2, b2 = np.array([[0.1, -0.2], [0.3, 0.4]]), np.array([0.0, 0.1]), np.array([[0.5, -0.6]]), 0.2
    x, y = np.array([1.0, 2.0]), 1.0
    a1 = 1 / (1 + np.exp(-(W1 @ x + b1)))
    z2 = W2 @ a1 + b2  # linear output, ½(z2 - y)²
    d1 = (W2.T @ (z2 - y)) * a1 * (1 - a1)
    dW1 = np.outer(d1, x)  # by hand: δ1 xᵀ
    path = tmp_path / "small.toml"
    path.write_text(f'[network]\nsizes = [2, 2, 1]\nactivations = ["sigmoid", "linear"]\nloss = "half_mse"\n'
                    f"[data]\nx = {x.tolist()}\ny = [{y}]\n[parameters]\nW1 = {W1.tolist()}\nb1 = {b1.tolist()}\n"
                    f"W2 = {W2.tolist()}\nb2 = [{b2}]\n[claims]\ndW1 = {np.round(dW1, 6).tolist()}\n")
    rc, _, (boxes, _, _, _) = _check_svg(tmp_path, capsys, path)
    assert rc == 0 and boxes["dW1"].lines[-1].startswith("√ right")
    engine = boxes["dW1"].line("engine ")
    assert engine.startswith("engine [[") and engine.count("], [") == 1  # two rows of two, not a flat list
    np.testing.assert_allclose(boxes["dW1"].numbers("engine "), dW1.ravel(), rtol=6e-4)
