"""deltagrad losses: the figures are written (valid PNG/SVG, atomically), the derivatives are the engine's."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from deltagrad import nn
from deltagrad.cli import main
from deltagrad.cli.lossplot import curve, plot_losses


def test_plot_losses_writes_valid_png(tmp_path):
    paths = plot_losses(tmp_path / "new" / "dir", "png")
    assert [p.name for p in paths] == ["regression.png", "classification.png"]
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 10_000
    assert sorted(x.name for x in paths[0].parent.iterdir()) == ["classification.png", "regression.png"]  # no temp files


def test_cli_svg_and_one_line_errors(tmp_path, capsys):
    assert main(["losses", "--out", str(tmp_path), "--format", "svg"]) == 0
    assert "wrote regression.svg, classification.svg" in capsys.readouterr().out
    for name in ("regression.svg", "classification.svg"):
        root = ET.parse(tmp_path / name).getroot()
        assert root.tag.endswith("svg")
        text = (tmp_path / name).read_text()
        assert "engine backward" in text or "backward" in text
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["losses", "--out", str(afile)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("deltagrad: error: --out") and "not a directory" in err
    assert main(["losses", "--format", "jpg"]) == 2
    with pytest.raises(ValueError, match="format must be one of png, svg"):
        plot_losses(tmp_path, "jpg")


def test_plotted_derivatives_come_from_backward():
    e = np.linspace(-3, 3, 13)
    y, g = curve(lambda p, t: nn.log_cosh(p, t, reduction="none"), e, 0.0, negate=True)
    np.testing.assert_allclose(y, np.log(np.cosh(e)), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(g, np.tanh(e), rtol=1e-12, atol=1e-15)  # d/de log cosh e = tanh e
    p = np.linspace(0.1, 0.9, 9)
    _, g = curve(lambda q, t: nn.binary_cross_entropy(q, t, reduction="none"), p, 1.0)
    np.testing.assert_allclose(g, -1 / p, rtol=1e-12)


def test_figures_display_inline_as_png_without_pyplot():
    """display(fig) in Jupyter: IPython's formatter gives image/png for the returned figures, no kernel needed."""
    from IPython.core.interactiveshell import InteractiveShell
    from matplotlib.figure import Figure

    from deltagrad.cli.lossplot import classification_figure, regression_figure

    shell = InteractiveShell.instance()
    for make in (regression_figure, classification_figure):
        fig = make()
        assert isinstance(fig, Figure)
        png = fig._repr_png_()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
        data, _ = shell.display_formatter.format(fig)
        assert data["image/png"][:8] == b"\x89PNG\r\n\x1a\n"
        assert "text/plain" in data


@pytest.mark.parametrize("blocked, fmt", [("classification.png", "png"), ("regression.svg", "svg")])
def test_a_directory_in_the_way_writes_nothing_and_is_named(tmp_path, capsys, blocked, fmt):
    (tmp_path / blocked).mkdir()
    assert main(["losses", "--out", str(tmp_path), "--format", fmt]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith(f"deltagrad: error: --out {tmp_path}: ")
    assert str(tmp_path / blocked) in err and "is a directory" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [blocked]  # neither figure, no temporary file left
    assert not any((tmp_path / blocked).iterdir())


def test_a_failed_second_figure_leaves_the_first_target_untouched(tmp_path, monkeypatch):
    import deltagrad.cli.lossplot as lp

    (tmp_path / "regression.png").write_bytes(b"old")

    def broken():
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(lp, "classification_figure", broken)
    with pytest.raises(OSError, match="No space left"):
        plot_losses(tmp_path, "png")
    assert (tmp_path / "regression.png").read_bytes() == b"old"  # all or nothing
    assert sorted(p.name for p in tmp_path.iterdir()) == ["regression.png"]
