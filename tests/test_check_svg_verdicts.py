"""check --svg marks each claim as the text report judges it: × first wrong, ← follows from an earlier error."""

import re
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from deltagrad.viz.ops_view import DIM, FOLLOWS, ops_source
from deltagrad.viz.style import MATCH, MISMATCH

from deltagrad.cli import main

EX = Path(__file__).resolve().parent.parent / "examples"
SVG = "{http://www.w3.org/2000/svg}"


def _nodes(path):
    """{first text line: (texts, border stroke, border dashed, text colours, a record?)} of each Graphviz node."""
    out = {}
    for g in ET.parse(path).getroot().iter(f"{SVG}g"):
        if g.get("class") != "node":
            continue
        texts = ["".join(t.itertext()) for t in g.findall(f"{SVG}text")]
        border = g.find(f"{SVG}polygon")
        if border is None:
            border = g.find(f"{SVG}ellipse")
        if border is None:
            continue  # a legend (HTML table) without a border
        fills = {t.get("fill", "black") for t in g.findall(f"{SVG}text")}
        out[texts[0] if texts else g.findtext(f"{SVG}title")] = (
            texts, border.get("stroke"), border.get("stroke-dasharray") is not None, fills, border.tag == f"{SVG}polygon")
    return out


def _report_verdicts(out: str) -> dict:
    """{claim: "OK" | "first wrong here" | "follows from the earlier error at X"} from the text report."""
    found = {}
    for line in out.splitlines():
        m = re.match(r"^(\w+)\s+.*?\s(OK|WRONG)(?:: (.*?))?(?: \(line \d+\))?$", line)
        if m:
            found[m.group(1)] = "OK" if m.group(2) == "OK" else m.group(3)
    return found


def _where(claim: str) -> tuple[str, str]:
    kind = claim.rstrip("0123456789")
    if kind in ("z", "a", "loss"):
        return claim, "data"
    if kind == "delta":
        return "z" + claim[5:], "grad"
    return claim[1:], "grad"  # dW, db


def test_seed_example_picture_says_what_the_report_says(tmp_path, capsys):
    svg = tmp_path / "seed.svg"
    rc = main(["check", str(EX / "seed_001_worked_example.toml"), "--svg", str(svg)])
    out = capsys.readouterr().out
    assert rc == 1
    verdicts = _report_verdicts(out)
    assert len(verdicts) == 15
    nodes = _nodes(svg)
    drawn = 0
    for claim, verdict in verdicts.items():
        if claim.endswith("_new"):
            continue  # updated weights have no node (said in "not drawn: ...")
        name, fld = _where(claim)
        texts, stroke, _, _, _ = nodes[name]
        (line,) = [t for t in texts if t.startswith(fld + " ")]
        drawn += 1
        if verdict == "OK":
            assert line.endswith("√")
        elif verdict == "first wrong here":
            assert line.endswith("×") and any(t.startswith(f"× first wrong here ({claim})") for t in texts)
            assert stroke == MISMATCH  # a node holding a first-wrong claim has the red border
        else:
            culprit = verdict.removeprefix("follows from the earlier error at ")
            assert line.endswith("←") and any(t.startswith(f"← follows from {culprit}:") for t in texts)
            assert "×" not in line
    assert drawn == 11
    # a node whose only claims follow from earlier errors is orange and dashed, not red
    for name in ("a1", "a2", "b1", "b2"):
        assert nodes[name][1] == FOLLOWS and nodes[name][2], name


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
    nodes = _nodes(svg)
    assert "× first wrong here (z1): expected [[0.42, 0.67, 0.92]]" in nodes["z1"][0]
    assert "← follows from z1: expected [[0.42, 0.67, 0.92]]" in nodes["a1"][0]
    assert "× first wrong here (z2): expected 1.439" in nodes["z2"][0]
    assert "← follows from z2: expected 1.439" in nodes["a2"][0]
    ops = [k for k, v in nodes.items() if v[3] == {DIM} and not v[4]]
    assert sorted(ops) == ["**2", "-", "@", "Σ"]  # their ops are grey too (the two @ share a key)
    # one node per claim stands out: the results that are no claim (x @ W1ᵀ, a1 @ W2ᵀ, a2 - y, **2, Σ)
    # and the loss's constant ½ are small grey records with their data only
    dim = {k: v for k, v in nodes.items() if v[3] == {DIM} and v[1] == DIM and v[4]}
    assert len(dim) == 6 and all(len(v[0]) == 1 and not v[0][0].startswith(("data", "grad")) for v in dim.values())
    assert nodes["[[1.121]]"][0] == ["[[1.121]]"]  # a2 - y = 1.131 - 0.01
    size = re.search(r'<svg width="([\d.]+)pt"', svg.read_text())
    assert float(size.group(1)) <= 2000


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
