"""viz.colors: matplotlib's PuOr colormap and norms, round legend ticks, byte-stable output, lazy import."""

import math
import re
import subprocess
import sys

import pytest
from deltagrad.autograd import Value
from deltagrad.viz import draw
from deltagrad.viz.colors import colours, diverging, position, ticks
from deltagrad.viz.style import legend


def _mantissa_ok(v: float) -> bool:
    """True for m·10^k with m in 1, 2, 2.5, 5 (the steps a reader can count in)."""
    m = abs(v) / 10 ** math.floor(math.log10(abs(v)) + 1e-12)
    return any(math.isclose(m, s, rel_tol=1e-9) for s in (1.0, 2.0, 2.5, 5.0))


@pytest.mark.parametrize("scale", [0.0099, 1.0, 3.7, 0.26, 7.6e-5, 123.0, 2.0])
@pytest.mark.parametrize("symlog", [False, True])
def test_ticks_are_round_symmetric_and_inside_the_scale(scale, symlog):
    t = ticks(scale, symlog)
    assert t == sorted(t) and 0.0 in t and len(t) >= 3 and len(t) <= 9
    assert all(math.isclose(a, -b) for a, b in zip(t, reversed(t)))
    assert all(abs(v) <= scale * (1 + 1e-12) for v in t)
    if not symlog:  # evenly spaced by a round step, every tick a whole number of steps
        d = t[1] - t[0]
        assert _mantissa_ok(d) and all(math.isclose(b - a, d, rel_tol=1e-9) for a, b in zip(t, t[1:]))
        assert all(math.isclose(v / d, round(v / d), abs_tol=1e-9) for v in t)
    else:
        pos = [v for v in t if v > 0]
        assert all(math.isclose(math.log10(v), round(math.log10(v))) for v in pos)  # powers of ten


def test_the_old_legend_numbers_are_gone():
    # before: five cells at ±scale, ±scale/2 gave ticks like ±0.0099 and ±0.00495
    src = legend("fill: δ", 0.0099, 4, [])
    cells = re.findall(r"<font[^>]*>([^<]*)</font>", src)
    assert cells == ["-0.0075", "-0.005", "-0.0025", "0", "0.0025", "0.005", "0.0075"]
    assert "ends: ±0.0099" in src


def test_colours_vectorised_equals_one_by_one_and_is_deterministic():
    vals = [-3.0, -0.2, 0.0, 1e-5, 0.7, 2.9, float("inf")]
    assert colours(vals, 3.0) == [diverging(v, 3.0) for v in vals]
    assert colours(vals, 3.0, symlog=True) == [diverging(v, 3.0, symlog=True) for v in vals]
    assert diverging(float("inf"), 3.0) == "#d9d9d9"
    assert position(1.5, 3.0) == pytest.approx(0.5) and position(-6.0, 3.0) == -1.0


def test_same_graph_same_bytes():
    def graph():
        x, w = Value(2.0, label="x"), Value(-3.0, label="w")
        y = (x * w + 1.0).tanh()
        y.backward()
        return y

    a = draw(graph(), color_by="grad").svg()
    b = draw(graph(), color_by="grad").svg()
    assert a.encode() == b.encode()


def test_importing_viz_does_not_import_matplotlib():
    code = "import sys, deltagrad.viz; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("symlog", [False, True])
@pytest.mark.parametrize("mid", [None, (150, 150, 150)])
def test_colours_fast_path_equals_matplotlib_norm_and_colormap(symlog, mid):
    # oracle: matplotlib's own SymLogNorm / TwoSlopeNorm called on the values, then the colormap on the result
    import matplotlib
    import matplotlib.colors as mcolors
    import numpy as np

    cmap = matplotlib.colormaps["PuOr_r"]
    rng = np.random.default_rng(7)
    for _ in range(40):
        scale = 10 ** rng.uniform(-6, 3)
        v = scale * np.concatenate([rng.standard_normal(40) * 10 ** rng.uniform(-5, 0.5, 40),
                                    [0.0, 1.0, -1.0, 2.0, -3.0, 0.5, 1e-300, np.nan, np.inf]])
        if symlog:
            norm = mcolors.SymLogNorm(linthresh=scale * 1e-4, linscale=1.0, vmin=-scale, vmax=scale, base=10)
        else:
            norm = mcolors.TwoSlopeNorm(vcenter=0.0, vmin=-scale, vmax=scale)
        finite = np.isfinite(v)
        t = np.clip(np.ma.filled(norm(np.where(finite, v, 0.0)), 0.5), 0.0, 1.0)
        rgb = np.asarray(cmap(t))[:, :3]
        if mid is not None:
            k = np.abs(2 * t - 1)[:, None]
            rgb = rgb * k + np.asarray(mid) / 255.0 * (1 - k)
        want = ["#{:02x}{:02x}{:02x}".format(*c) if ok else "#d9d9d9"
                for c, ok in zip(np.floor(rgb * 255 + 0.5).astype(int).tolist(), finite)]
        assert colours(v, scale, mid, symlog=symlog) == want
