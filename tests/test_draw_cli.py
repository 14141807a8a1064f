"""Tests for `deltagrad draw EXPR`: safe parsing (ast + whitelist, never eval), grads printed, files written atomically."""

from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ET

import pytest

from deltagrad.cli import main
from deltagrad.draw import ExprError, parse


def run(capsys, *argv):
    code = main(["draw", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_draws_the_expression_and_prints_each_grad(tmp_path, capsys):
    out_file = tmp_path / "n.svg"
    code, out, err = run(
        capsys, "tanh(x*w + b)", "--set", "x=2", "--set", "w=-3", "--set", "b=1", "--out", str(out_file)
    )
    assert code == 0, err
    dn = 1 - math.tanh(-5.0) ** 2
    lines = out.splitlines()
    assert lines[0] == f"out = {math.tanh(-5.0):.4g}"
    assert lines[1:4] == [f"∂out/∂x = {-3 * dn:.4g}", f"∂out/∂w = {2 * dn:.4g}", f"∂out/∂b = {dn:.4g}"]
    assert lines[4] == f"wrote {out_file}"
    svg = out_file.read_text("utf-8")
    texts = ["".join(t.itertext()) for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert {"x", "w", "b", "out", "tanh"} <= set(texts) and f"grad {-3 * dn:.4g}" in texts
    assert os.listdir(tmp_path) == ["n.svg"]


def test_formats_and_edge_labels(tmp_path, capsys):
    code, _, err = run(
        capsys,
        "a*b + a",
        "--set",
        "a=2",
        "--set",
        "b=-3",
        "--out",
        str(tmp_path / "g.dot"),
        "--edge-labels",
        "contribution",
    )
    assert code == 0, err
    dot = (tmp_path / "g.dot").read_text("utf-8")
    assert "contrib -3" in dot and "contrib 1" in dot
    code, _, err = run(capsys, "x**2", "--set", "x=3", "--format", "png", "--out", str(tmp_path / "p.png"))
    assert code == 0 and (tmp_path / "p.png").read_bytes().startswith(b"\x89PNG")
    code, _, err = run(capsys, "x", "--set", "x=3", "--format", "svg", "--out", str(tmp_path / "p.png"))
    assert code == 2 and "make them agree" in err


def test_default_output_name(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "sigmoid(z) * 2", "--set", "z=0")
    assert code == 0 and "∂out/∂z = 0.5" in out and os.listdir(tmp_path) == ["expr.svg"]


def test_missing_and_unused_variables_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "x*y + z", "--set", "y=1")
    assert code == 2 and out == "" and "no value for x, z" in err and err.count("\n") == 1
    code, _, err = run(capsys, "x", "--set", "x=1", "--set", "q=2")
    assert code == 2 and "q: not in the expression" in err
    code, _, err = run(capsys, "x", "--set", "x=abc")
    assert code == 2 and "expected a number" in err
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "expr, col, words",
    [
        ("__import__('os')", 1, "not allowed"),
        ("__import__('os').system('echo hi')", 1, "not allowed"),
        ("x.real", 1, "Attribute"),
        ("exp(x).__class__", 1, "Attribute"),
        ("x[0]", 1, "Subscript"),
        ("(lambda: 1)()", 1, "lambda"),
        ("x + open('f')", 5, "call of 'open'"),
        ("_x + 1", 1, "'_x'"),
        ("x if x else 1", 1, "IfExp"),
        ("x < 1", 1, "Compare"),
        ("x + 'a'", 5, "only numbers"),
        ("x // 2", 1, "FloorDiv"),
        ("exp(x, 2)", 1, "exactly one argument"),
        ("x + exp", 5, "is a function"),
        ("x + (2", 5, "syntax error"),
        ("x * * 2", 5, "syntax error"),
    ],
)
def test_disallowed_or_bad_expressions_are_refused_with_a_column(expr, col, words, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ExprError) as info:
        parse(expr)
    assert info.value.col == col and words in str(info.value)
    code, out, err = run(capsys, expr, "--set", "x=1")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("deltagrad: error: draw: column ") and words in err
    assert os.listdir(tmp_path) == []


def test_never_evaluates_python(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "pwned"
    code, _, _ = run(capsys, f"__import__('pathlib').Path('{marker}').touch()")
    assert code == 2 and not marker.exists()


def test_constants_and_unary_minus(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "-x**2 + 2.5*abs(x) - sqrt(4)", "--set", "x=-3", "--format", "dot")
    assert code == 0, err
    assert out.splitlines()[:2] == ["out = -3.5", "∂out/∂x = 3.5"]  # -2x + 2.5·sign(x) at x = -3
