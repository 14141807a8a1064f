"""deltagrad command line: bad input exits 2 with one error line and leaves --out untouched."""

import os
import subprocess
import sys

import pytest

from deltagrad.cli import hidden_sizes, main

GOOD = "a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n"


def _snapshot(out):
    """Files in --out and in its parent (temporary directories must not be left behind)."""
    return sorted(os.listdir(out)), sorted(os.listdir(out.parent))


@pytest.fixture
def out(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    (d / "keep.txt").write_text("not ours")
    return d


def _run(capsys, args):
    rc = main(args)
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


@pytest.mark.parametrize(
    "text, needles",
    [
        (None, ["no such file"]),
        ("", ["empty table"]),
        ("a,b,label\n", ["empty table"]),
        ("a,b,species\n1,2,x\n", ["no column 'label'", "a, b, species"]),
        ("a,b,label\n1,2,x\n3,4,y\n5,6\n", ["line 4", "2 fields", "3"]),
        ("a,b,label\n1,2,x\n3,4,y\n5,six,x\n", ["line 4", "column 'b'", "'six'"]),
        ("a,b,label\n1,2,x\n3,4,x\n", ["1 class"]),
    ],
)
def test_csv_errors_exit_2_one_line_no_files(tmp_path, out, capsys, text, needles):
    csv = tmp_path / "data.csv"
    if text is not None:
        csv.write_text(text)
    before = _snapshot(out)
    rc, stdout, err = _run(capsys, ["train", "--csv", str(csv), "--target", "label", "--out", str(out), "--quiet"])
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("deltagrad: error: "), err
    assert all(n in lines[0] for n in needles), lines[0]
    assert "Traceback" not in err and stdout == ""
    assert _snapshot(out) == before


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--dataset", "mnist"], "invalid choice"),
        (["--epochs", "0"], "--epochs"),
        (["--epochs", "-3"], "--epochs"),
        (["--lr", "0"], "--lr"),
        (["--lr", "nan"], "--lr"),
        (["--lr", "abc"], "--lr"),
        (["--hidden", "8,x"], "--hidden"),
        (["--hidden", "8,0"], "--hidden"),
        (["--hidden", ""], "--hidden"),
        (["--batch-size", "0"], "--batch-size"),
        (["--engine", "gpu"], "--engine"),
        (["--frobnicate"], "unrecognized arguments"),
        (["--csv", "x.csv"], "--target"),
        (["--target", "label"], "--target only applies with --csv"),
        (["--dataset", "xor", "--csv", "x.csv", "--target", "y"], "not allowed with"),
    ],
)
def test_bad_options_exit_2(out, capsys, args, needle):
    before = _snapshot(out)
    rc, _stdout, err = _run(capsys, ["train", "--out", str(out), *args])
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("deltagrad: error: ") and needle in lines[0], err
    assert _snapshot(out) == before


def test_out_is_a_file(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    rc, _, err = _run(capsys, ["train", "--dataset", "xor", "--epochs", "1", "--out", str(f), "--quiet"])
    assert rc == 2 and "not a directory" in err and f.read_text() == "x"


def test_no_command_and_help(capsys):
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().err
    assert main(["train", "--help"]) == 0
    usage = capsys.readouterr().out
    for opt in (
        "--dataset",
        "--csv",
        "--target",
        "--epochs",
        "--lr",
        "--hidden",
        "--seed",
        "--out",
        "--batch-size",
        "--quiet",
    ):
        assert opt in usage


def test_hidden_sizes():
    assert hidden_sizes("8") == [8] and hidden_sizes("16, 8") == [16, 8]


def test_python_dash_m():
    r = subprocess.run(
        [sys.executable, "-m", "deltagrad", "train", "--epochs", "0"], capture_output=True, text=True, check=False
    )
    assert r.returncode == 2 and r.stderr.startswith("deltagrad: error:") and "Traceback" not in r.stderr
