"""check --svg marks each claim as the text report judges it: × first wrong, ← follows from an earlier error.

(The claim view's structure and numbers: tests/test_check_claim_view.py; ``ops_source(verdicts=...)`` here.)"""

import re
import tomllib
from pathlib import Path

import numpy as np
from claimsvg import read
from deltagrad.viz.ops_view import DIM, FOLLOWS, ops_source
from deltagrad.viz.style import MATCH, MISMATCH

from deltagrad.cli import main

EX = Path(__file__).resolve().parent.parent / "examples"


def _report_verdicts(out: str) -> dict:
    """{claim: "OK" | "first wrong here" | "follows from the earlier error at X"} from the text report."""
    found = {}
    for line in out.splitlines():
        m = re.match(r"^([A-Za-z]\w*)\s+.*?\s(OK|WRONG)(?:: (.*?))?(?: \(line \d+\))?$", line)
        if m:
            found[m.group(1)] = "OK" if m.group(2) == "OK" else m.group(3)
    return found


def test_seed_example_picture_says_what_the_report_says(tmp_path, capsys):
    svg = tmp_path / "seed.svg"
    rc = main(["check", str(EX / "seed_001_worked_example.toml"), "--svg", str(svg)])
    out = capsys.readouterr().out
    assert rc == 1
    verdicts = _report_verdicts(out)
    assert len(verdicts) == 15
    boxes, _, _, _ = read(svg)
    drawn = 0
    for claim, verdict in verdicts.items():
        box = boxes[claim]  # one box per claim, the updated weights too
        (line,) = [t for t in box.lines if t[0] in "√×←"]
        drawn += 1
        if verdict == "OK":
            assert line.startswith("√ right")
        elif verdict == "first wrong here":
            assert line.startswith("× first wrong here (line ")
            assert box.stroke == MISMATCH and box.dash is None  # the step that made the error: red, solid
        else:
            culprit = verdict.removeprefix("follows from the earlier error at ")
            assert line.startswith(f"← follows from {culprit} (line ")
            assert "×" not in line
    assert drawn == 15
    # a claim that only follows from earlier errors is orange and dashed, not red
    for name in ("a1", "a2", "db1", "db2", "delta2"):
        assert boxes[name].stroke == FOLLOWS and boxes[name].dash, name


def test_seed_example_first_wrong_and_follows_by_hand(tmp_path, capsys):
    """numpy on the TOML's own numbers: z1 is wrong on its own, a1 = relu(claimed z1), z2 wrong again, a2 follows."""
    doc = tomllib.loads((EX / "seed_001_worked_example.toml").read_text())
    p, c = doc["parameters"], doc["claims"]
    x = np.array(doc["data"]["x"])
    W1, b1, W2, b2 = (np.array(p[k]) for k in ("W1", "b1", "W2", "b2"))
    z1 = W1 @ x + b1
    np.testing.assert_allclose(z1, [0.3775, 0.3925, 0.4075])
    assert np.all(np.abs(np.array(c["z1"]) - z1) > 0.005)          # z1 claimed 0.42 ...: wrong, from the parameters
    assert np.allclose(np.maximum(c["z1"], 0), c["a1"])             # a1 = relu(claimed z1): follows
    z2_from_claims = W2 @ np.array(c["a1"]) + b2                     # 1.5295, neither this nor the engine's 1.131
    z2 = W2 @ np.maximum(z1, 0) + b2
    assert abs(c["z2"] - z2_from_claims[0]) > 0.0005 and abs(c["z2"] - z2[0]) > 0.0005
    assert np.isclose(max(c["z2"], 0), c["a2"])                       # a2 = relu(claimed z2): follows
    svg = tmp_path / "seed.svg"
    main(["check", str(EX / "seed_001_worked_example.toml"), "--svg", str(svg)])
    capsys.readouterr()
    boxes, _, arrows, (width, _) = read(svg)
    assert boxes["z1"].lines[1:] == ["claimed [0.42, 0.67, 0.92]", "engine [0.3775, 0.3925, 0.4075]",
                                     "× first wrong here (line 28)"]
    assert boxes["a1"].lines[1:] == ["claimed [0.42, 0.67, 0.92]", "engine [0.3775, 0.3925, 0.4075]",
                                     "← follows from z1 (line 29)"]
    assert boxes["z2"].lines[1:] == ["claimed 1.439", "engine 1.131", "× first wrong here (line 30)"]
    assert boxes["a2"].lines[1:] == ["claimed 1.439", "engine 1.131", "← follows from z2 (line 31)"]
    assert ("z1", "a1", FOLLOWS) in arrows and ("z2", "a2", FOLLOWS) in arrows
    # one box per claim and nothing else: the results that are no claim (x @ W1ᵀ, a1 @ W2ᵀ, a2 - y, **2, Σ),
    # the transposes, the loss's constant ½ and the parameters are folded away
    assert len(boxes) == 15 and not {"@", "**2", "-", "Σ", "T", "W1", "b1", "W2", "b2", "x", "y"} & set(boxes)
    assert width <= 2000


def test_verdicts_option_on_a_small_graph():
    from deltagrad.autograd import Value

    a = Value(2.0, label="a")
    b = (a * 3.0).relu()
    b.label = "b"
    b.backward()
    src = ops_source(b, expected={"a": {"data": 1.0}, "b": {"data": 1.5}},
                     verdicts={a: {"data": ("first wrong", "first wrong here (a)")},
                               b: {"data": ("follows", "follows from a")}}, dim_unclaimed=True)
    assert f'color="{MISMATCH}", penwidth=3' in src and f'color="{FOLLOWS}", penwidth=2' in src
    assert "× first wrong here (a): expected 1" in src and "← follows from a: expected 1.5" in src
    assert f'fontcolor="{DIM}"' in src  # a * 3 is no claim: grey
    assert "verdict_key" in src and "√ right" not in src  # the legend lists only the marks drawn
    plain = ops_source(b, expected={"a": {"data": 2.0}})  # expected= alone keeps √/×
    assert f'color="{MATCH}"' in plain and "verdict_key" not in plain and DIM not in plain
