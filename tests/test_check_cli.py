"""deltagrad check FILE.toml: exit 0 when every claim holds, 1 on a wrong claim, 2 (one line) for a bad file."""

from pathlib import Path

import pytest

from deltagrad.cli import main

EX = Path(__file__).resolve().parent.parent / "examples"


def _run(capsys, args):
    rc = main(["check", *args])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def test_corrected_example_exits_0(capsys):
    rc, out, err = _run(capsys, [str(EX / "seed_001_corrected.toml"), str(EX / "tiny_neuron.toml")])
    assert rc == 0 and err == "" and "15 claims: 15 OK, 0 WRONG" in out and "8 claims: 8 OK" in out


def test_seed_example_exits_1_and_pins_z1(capsys):
    rc, out, err = _run(capsys, [str(EX / "seed_001_worked_example.toml")])
    assert rc == 1 and err == ""
    assert "z1        W1·x + b1" in out and "WRONG: first wrong here" in out
    assert "first wrong step: z1" in out.splitlines()[-1]


def test_quiet_prints_one_line_per_file(capsys):
    rc, out, _ = _run(capsys, ["--quiet", str(EX / "seed_001_worked_example.toml"), str(EX / "tiny_neuron.toml")])
    assert rc == 1 and len(out.strip().splitlines()) == 2


@pytest.mark.parametrize("text, needle", [
    ("[network]\nsizes = [2, 3\n", "bad.toml:3: invalid TOML"),
    (("[network]\nsizes = [2, 1]\nactivations = [\"relu\"]\nloss = \"mse\"\n[data]\nx = [1, 2]\ny = [1]\n"
      "[parameters]\nW1 = [[1, 2]]\nb1 = [0]\n[claims]\nz9 = 1.0\n"), "bad.toml:12: claims.z9: unknown claim"),
    (None, "cannot read"),
])
def test_bad_files_exit_2_with_one_line(tmp_path, capsys, text, needle):
    p = tmp_path / "bad.toml"
    if text is not None:
        p.write_text(text)
    rc, out, err = _run(capsys, [str(p)])
    lines = err.strip().splitlines()
    assert rc == 2 and out == "" and len(lines) == 1 and lines[0].startswith("deltagrad: error: ")
    assert needle in lines[0] and "Traceback" not in err


# ---------------------------------------------------------------- --svg: the claim view, every claim marked


def test_svg_of_the_seed_example_marks_z1_wrong(tmp_path, capsys):
    from claimsvg import read

    svg = tmp_path / "seed.svg"
    rc, out, err = _run(capsys, [str(EX / "seed_001_worked_example.toml"), "--svg", str(svg)])
    assert rc == 1 and err == ""
    assert out.rstrip().endswith(f"wrote {svg}") and "not drawn" not in out  # the updated weights are drawn too
    boxes, rows, _, (width, height) = read(svg)
    assert boxes["z1"].lines[-1] == "× first wrong here (line 28)"      # z1 = 0.42 … claimed, 0.3775 … is right
    assert boxes["delta1"].lines[-1] == "× first wrong here (line 35)"  # δ1 is wrong too
    assert boxes["z1"].line("claimed ") == "claimed [0.42, 0.67, 0.92]"
    assert set(boxes) == {"z1", "a1", "z2", "a2", "loss", "delta2", "dW2", "db2", "delta1", "dW1", "db1",
                          "W1_new", "b1_new", "W2_new", "b2_new"}  # one box per claim: no x @ W.T, no ᵀ nodes
    assert not list(tmp_path.glob(".*"))  # written atomically: no temporary left behind
    # top to bottom by layer (it was 8,584 units wide in one row): the forward rows above the backward rows
    assert width <= 2000 and height <= 1200
    assert rows["layer 1 · forward"] < rows["layer 2 · forward"] < rows["loss"] < rows["layer 2 · backward"]


def test_svg_of_the_corrected_example_has_no_mismatch(tmp_path, capsys):
    from claimsvg import read

    svg = tmp_path / "ok.svg"
    rc, _, err = _run(capsys, [str(EX / "seed_001_corrected.toml"), "--svg", str(svg)])
    assert rc == 0 and err == ""
    text = svg.read_text(encoding="utf-8")
    boxes, _, _, _ = read(svg)
    assert "×" not in text and "←" not in text.replace("an arrow A → B", "")
    assert len(boxes) == 15 and all(b.lines[-1].startswith("√ right (line ") for b in boxes.values())


def test_svg_needs_exactly_one_file(tmp_path, capsys):
    svg = tmp_path / "x.svg"
    rc, out, err = _run(capsys, [str(EX / "seed_001_corrected.toml"), str(EX / "tiny_neuron.toml"), "--svg", str(svg)])
    assert rc == 2 and out == "" and not svg.exists()
    assert err.strip().splitlines() == ["deltagrad: error: --svg draws one worked example; got 2 files"]


def test_svg_unwritable_path_is_one_line(tmp_path, capsys):
    rc, out, err = _run(capsys, [str(EX / "tiny_neuron.toml"), "--svg", str(tmp_path / "no" / "such" / "x.svg")])
    assert rc == 2 and out == "" and len(err.strip().splitlines()) == 1 and "cannot write" in err


def test_graph_expectations_divide_delta_by_the_samples():
    from deltagrad.check.worked import check_worked_example, graph_expectations

    doc = {"network": {"sizes": [1, 1], "activations": ["linear"], "loss": "mse"},
           "data": {"x": [[1.0], [2.0]], "y": [[0.0], [0.0]]}, "parameters": {"W1": [[1.0]], "b1": [0.0]},
           "claims": {"delta1": ["2.0", "4.0"], "db1": 3}}  # δ = 2(a - y) per sample; dL/dz = δ / 2
    report = check_worked_example(doc)
    expected, atol, left_out = graph_expectations(report)
    z = report.nodes["z1"]
    assert report and left_out == [] and atol == 0.05 / 2
    assert expected[z]["grad"].tolist() == [[1.0], [2.0]] and z.grad.tolist() == [[1.0], [2.0]]


# ---------------------------------------------------------------- several files, empty claims, bad numbers


def test_a_bad_later_file_does_not_swallow_the_earlier_reports(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text((EX / "tiny_neuron.toml").read_text().replace("x = [2.0]", "x = [nan]"))
    rc, out, err = _run(capsys, [str(EX / "tiny_neuron.toml"), str(bad), str(EX / "seed_001_worked_example.toml")])
    assert rc == 2  # the worst: a bad file (2) over a wrong claim (1) over a good file (0)
    assert "8 claims: 8 OK, 0 WRONG" in out and "first wrong step: z1" in out  # both other files reported
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("deltagrad: error: ") and "data.x: expected a finite" in lines[0]


def test_wrong_and_good_files_exit_with_the_worst(capsys):
    rc, out, err = _run(capsys, ["--quiet", str(EX / "seed_001_worked_example.toml"), str(EX / "tiny_neuron.toml")])
    assert rc == 1 and err == "" and len(out.strip().splitlines()) == 2


def test_a_file_without_claims_exits_0_and_says_so(tmp_path, capsys):
    text = (EX / "tiny_neuron.toml").read_text()
    p = tmp_path / "none.toml"
    p.write_text(text[: text.index("[claims]")])
    rc, out, err = _run(capsys, [str(p)])
    assert rc == 0 and err == "" and "no claims to check" in out
    rc, out, err = _run(capsys, ["--quiet", str(p)])
    assert rc == 0 and out.strip() == f"{p}: no claims to check: [claims] is empty or missing (nothing was compared)"


def test_nan_in_a_claim_exits_2_with_one_line(tmp_path, capsys):
    p = tmp_path / "nan.toml"
    p.write_text((EX / "tiny_neuron.toml").read_text().replace("z1 = 0.5", "z1 = nan"))
    rc, out, err = _run(capsys, [str(p)])
    assert rc == 2 and out == "" and err.strip() == f"deltagrad: error: {p}:24: claims.z1: expected a finite number, got nan"
