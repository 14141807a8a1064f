"""Tests for viz output: PNG/SVG/DOT files, atomic writes, the renderer chain and notebook display."""

from __future__ import annotations

import os
import shutil
import sys
import xml.etree.ElementTree as ET

import pytest
from deltagrad.autograd import Value
from deltagrad.viz import Drawing, RendererNotFound, RenderError, draw

from deltagrad import viz

GRAPHVIZ_PURE = shutil.which("graphviz-pure", path=os.path.dirname(sys.executable)) or shutil.which("graphviz-pure")


def tanh_neuron():
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(1.0, label="b")
    y = (x * w + b).tanh()
    y.backward()
    return x, w, b, y


# ---------------------------------------------------------------- output files and arguments


def test_png_output_and_file_formats(tmp_path):
    y = tanh_neuron()[-1]
    assert draw(y).pipe("png").startswith(b"\x89PNG\r\n\x1a\n")
    draw(y, path=tmp_path / "y.png")
    assert (tmp_path / "y.png").read_bytes().startswith(b"\x89PNG")
    draw(y, path=tmp_path / "y.svg")
    ET.fromstring((tmp_path / "y.svg").read_text("utf-8"))
    d = draw(y, path=tmp_path / "y.dot")
    assert (tmp_path / "y.dot").read_text("utf-8") == d.source
    draw(y, path=tmp_path / "y.out", format="png")
    assert (tmp_path / "y.out").read_bytes().startswith(b"\x89PNG")
    assert sorted(os.listdir(tmp_path)) == ["y.dot", "y.out", "y.png", "y.svg"]  # no temp files left


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"view": "graph"}, "unknown view"),
        ({"rankdir": "XY"}, "unknown rankdir"),
        ({"precision": 0}, "precision"),
        ({"format": "gif"}, "unknown format"),
        ({"path": "y.png", "format": "svg"}, "make them agree"),
        ({"sample": 1}, "view='network'"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, match, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=match):
        draw(tanh_neuron()[-1], **kwargs)
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------- renderer chain


@pytest.fixture
def no_renderer(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.delenv("DELTAGRAD_DOT", raising=False)
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(sys, "executable", str(empty / "python"))
    return tmp_path


def test_no_renderer_raises_with_advice_but_display_never_raises(no_renderer):
    d = draw(tanh_neuron()[-1])  # building the DOT needs no renderer
    with pytest.raises(RendererNotFound, match="pip install graphviz-pure"):
        d.svg()
    bundle = d._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert "pip install graphviz-pure" in bundle["text/plain"] and d.source in bundle["text/plain"]
    assert d._repr_svg_() is None
    draw(tanh_neuron()[-1], path=no_renderer / "y.dot")  # .dot needs no renderer
    with pytest.raises(RendererNotFound):
        draw(tanh_neuron()[-1], path=no_renderer / "y.svg")
    assert not (no_renderer / "y.svg").exists()


def test_renderer_found_next_to_the_interpreter(no_renderer, monkeypatch):
    assert shutil.which("graphviz-pure") is None  # PATH really is empty here
    monkeypatch.setattr(sys, "executable", os.path.join(os.path.dirname(GRAPHVIZ_PURE), "python"))
    assert viz.find_renderer() == GRAPHVIZ_PURE


def test_env_var_forces_a_renderer(monkeypatch, tmp_path):
    real = viz.find_renderer()
    monkeypatch.setenv("DELTAGRAD_DOT", str(tmp_path / "nothing-here"))
    with pytest.raises(RendererNotFound, match="DELTAGRAD_DOT"):
        viz.find_renderer()
    monkeypatch.setenv("DELTAGRAD_DOT", real)
    assert viz.find_renderer() == real
    assert draw(tanh_neuron()[-1]).svg().lstrip().startswith("<?xml")


def failing_renderer(tmp_path) -> str:
    script = tmp_path / "broken-dot"
    script.write_text("#!/bin/sh\necho 'syntax error in line 1' >&2\nexit 3\n")
    script.chmod(0o755)
    return str(script)


@pytest.mark.skipif(os.name == "nt", reason="uses a POSIX shell script as the failing renderer")
def test_failed_render_leaves_no_file_and_keeps_an_old_one(tmp_path, monkeypatch):
    monkeypatch.setenv("DELTAGRAD_DOT", failing_renderer(tmp_path))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RenderError, match="syntax error"):
        draw(tanh_neuron()[-1], path=out / "y.svg")
    assert os.listdir(out) == []
    (out / "old.png").write_bytes(b"old")
    with pytest.raises(RenderError):
        draw(tanh_neuron()[-1], path=out / "old.png")
    assert (out / "old.png").read_bytes() == b"old" and os.listdir(out) == ["old.png"]
    d = draw(tanh_neuron()[-1])
    assert "image/svg+xml" not in d._repr_mimebundle_() and d._repr_svg_() is None


def test_drawing_repr_and_jupyter_bundle():
    d = draw(tanh_neuron()[-1])
    assert isinstance(d, Drawing) and "view='ops'" in repr(d)
    bundle = d._repr_mimebundle_()
    ET.fromstring(bundle["image/svg+xml"])
    assert d._repr_svg_() == bundle["image/svg+xml"]


def test_a_value_used_120_times_renders_with_capped_layout_passes():
    # uncapped, graphviz's network simplex took over two minutes on this graph (a render timeout)
    x = Value(1.0, label="x")
    y = x * 0.0
    for i in range(1, 120):
        y = y + x * float(i)
    y.backward()
    d = draw(y)
    assert "nslimit=2" in d.source
    assert d.svg().lstrip().startswith(("<?xml", "<svg"))
    small = draw((x * 2.0).tanh()).source
    assert "nslimit" not in small  # small graphs keep graphviz's full layout
