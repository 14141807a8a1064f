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
