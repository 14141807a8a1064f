"""Tests for `deltagrad draw EXPR`: safe parsing (ast + whitelist, never eval), grads printed, files written atomically."""

from __future__ import annotations

import math
import os
import re
import xml.etree.ElementTree as ET

import pytest

from deltagrad.cli import main
from deltagrad.cli.draw import ExprError, parse


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


# ---------------------------------------------------------------- constant-only arithmetic, huge and deep inputs


@pytest.mark.parametrize(
    "expr, shown",
    [
        ("1/0", "inf"),  # IEEE: 1/0 = inf (Python would raise ZeroDivisionError)
        ("(-1)/0", "-inf"),
        ("0/0", "nan"),
        ("(-8)**0.5", "nan"),  # a real square root of -8 does not exist (Python would return a complex)
        ("0**-1", "inf"),
        ("10**400", "inf"),  # beyond float64's ~1.8e308 (Python would raise OverflowError)
        ("exp(1000)", "inf"),
        ("2**10 - 1", "1023"),
    ],
)
def test_constant_only_arithmetic_follows_ieee(expr, shown, tmp_path, capsys):
    code, out, err = run(capsys, expr, "--format", "dot", "--out", str(tmp_path / "c.dot"))
    assert code == 0, err
    assert out.splitlines()[0] == f"out = {shown}" and (tmp_path / "c.dot").exists()


def test_overflowing_constant_times_a_variable(tmp_path, capsys):
    code, out, err = run(capsys, "10**400*x", "--set", "x=1", "--format", "dot", "--out", str(tmp_path / "c.dot"))
    assert code == 0, err
    assert out.splitlines()[:2] == ["out = inf", "∂out/∂x = inf"]  # d(c·x)/dx = c = 10**400 → inf in float64


def test_literal_exponents_stay_in_the_op(tmp_path, capsys):
    code, out, err = run(capsys, "x**2 + 2**x", "--set", "x=3", "--format", "dot", "--out", str(tmp_path / "p.dot"))
    assert code == 0, err
    assert out.splitlines()[:2] == ["out = 17", f"∂out/∂x = {6 + 8 * math.log(2):.4g}"]  # 2x + 2^x ln 2
    dot = (tmp_path / "p.dot").read_text("utf-8")
    assert len(re.findall(r"^\s*v\d+ \[label", dot, re.MULTILINE)) == 4  # x, x**2, 2**x, out: no node for a 2
    assert 'label="**2"' in dot and 'label="2**"' in dot


def test_a_400_digit_integer_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "1" * 400 + "*x", "--set", "x=1")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("deltagrad: error: draw: column 1: ") and "too large for a float" in err
    assert len(err) < 300 and os.listdir(tmp_path) == []


@pytest.mark.parametrize("n", [3000, 990])  # 3000 fails in ast.parse, 990 while building the graph
def test_a_very_long_expression_is_a_one_line_error(n, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "+".join(["x"] * n), "--set", "x=1")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("deltagrad: error: draw: ") and "too deeply nested" in err
    assert len(err) < 300 and os.listdir(tmp_path) == []


def test_a_variable_set_twice_is_an_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "x", "--set", "x=1", "--set", "x=2")
    assert code == 2 and out == "" and err == "deltagrad: error: draw: x is set twice; give one --set per variable\n"
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("p", ["0", "-3", "18", "1000000", "two"])
def test_precision_outside_1_to_17_is_a_usage_error(p, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "x", "--set", "x=1", "--precision", p)
    assert code == 2 and out == "" and err.count("\n") == 1 and "--precision" in err and "1 to 17" in err
    assert os.listdir(tmp_path) == []


def test_precision_17_is_allowed(tmp_path, capsys):
    code, out, err = run(capsys, "x/3", "--set", "x=1", "--precision", "17", "--format", "dot",
                         "--out", str(tmp_path / "p.dot"))
    assert code == 0, err
    assert out.splitlines()[0] == f"out = {1 / 3:.17g}"


def test_color_by_grad_with_a_symlog_scale(tmp_path, capsys):
    out = tmp_path / "c.dot"
    code, _, err = run(capsys, "tanh(x*w)", "--set", "x=2", "--set", "w=1.5", "--out", str(out),
                       "--color-by", "grad", "--color-scale", "symlog")
    assert code == 0, err
    dot = out.read_text("utf-8")
    assert "fill: grad" in dot and "(symlog)" in dot and "fillcolor=" in dot
    code, _, err = run(capsys, "x", "--set", "x=1", "--out", str(out), "--color-scale", "log")
    assert code == 2 and "--color-scale" in err


@pytest.mark.parametrize("name, head", [("e.jpg", b"\xff\xd8\xff"), ("e.jpeg", b"\xff\xd8\xff"), ("e.pdf", b"%PDF"),
                                        ("e.png", b"\x89PNG"), ("e.svg", b"<?xml"), ("e", b"<?xml")])
def test_out_suffix_names_the_format(name, head, tmp_path, capsys):
    code, _, err = run(capsys, "tanh(x*w)", "--set", "x=1", "--set", "w=2", "--out", str(tmp_path / name))
    assert code == 0, err
    assert (tmp_path / name).read_bytes().startswith(head)


def test_unknown_suffix_and_directories_are_refused_with_exit_2(tmp_path, capsys):
    code, _, err = run(capsys, "x", "--set", "x=1", "--out", str(tmp_path / "e.gif"))
    assert code == 2 and ".gif names no format" in err and os.listdir(tmp_path) == []
    (tmp_path / "d").mkdir()
    for out in (str(tmp_path / "d"), str(tmp_path / "d") + "/"):
        code, _, err = run(capsys, "x", "--set", "x=1", "--out", out)
        assert code == 2 and "is a directory; give a file name" in err and "Not a directory" not in err
    assert os.listdir(tmp_path / "d") == []
