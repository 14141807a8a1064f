"""viz.live: frames every N updates, drawing held to 10 % of the loop's time (fake clock), the final picture,
the path without a notebook, and the decision boundary against a numpy forward pass written from the weights."""

from __future__ import annotations

import io
import itertools
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from deltagrad.viz import live_view
from deltagrad.viz.live_panels import boundary_cells
from deltagrad.viz.live_throttle import Throttle
from deltagrad.viz.scene import png_bytes

from deltagrad import nn, viz

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=float)
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


class FakeClock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def simulate(th: Throttle, clock: FakeClock, steps: int, loop_dt, draw_dt) -> list[int]:
    """A loop of ``steps`` updates taking ``loop_dt(k)`` s each, a frame costing ``draw_dt`` s; the frames drawn."""
    frames = []
    for k in range(1, steps + 1):
        clock.t += loop_dt(k)
        due = th.start()
        if due:
            frames.append(k)
            clock.t += draw_dt
        th.finish(due)
    return frames


def test_throttle_keeps_drawing_under_the_budget():
    clock = FakeClock()
    th = Throttle(every=5, budget=0.10, clock=clock)
    frames = simulate(th, clock, 5000, lambda k: 0.001, draw_dt=0.02)  # 1 ms steps, 20 ms frames
    # the first frame waits for 11.5 × its predicted cost (1.5 × 0.03 s) of loop: 517.5 steps after the first update
    assert frames[0] == 519
    # each frame is drawn only if the drawing so far plus this frame fits in 10 % of all the time so far
    # (the loop's time counts from the first update on: before it there is no loop to time)
    loop = draw = 0.0
    for k in range(1, 5001):
        loop += 0.001 if k > 1 else 0.0
        if k in frames:
            draw += 0.02
            assert draw <= 0.08 * (loop + draw) + 1e-12, k
    assert th.share <= 0.10
    assert th.share == pytest.approx(draw / (loop + draw))
    # and it does not starve: 8 % of 5 s is 0.4 s, room for ~20 frames of 20 ms; at least 15 drawn
    assert 15 <= len(frames) <= 28
    assert all(b - a >= 5 for a, b in itertools.pairwise(frames))


def test_throttle_draws_every_n_when_drawing_is_cheap():
    clock = FakeClock()
    th = Throttle(every=7, clock=clock)
    frames = simulate(th, clock, 100, lambda k: 1.0, draw_dt=0.001)
    assert frames == list(range(2, 101, 7))  # update 1 has no loop time before it yet


def test_throttle_follows_a_loop_that_slows_down():
    clock = FakeClock()
    th = Throttle(every=1, budget=0.10, clock=clock)
    frames = simulate(th, clock, 2000, lambda k: 0.001 if k < 1000 else 0.01, draw_dt=0.005)
    slow = [f for f in frames if f > 1000]
    fast = [f for f in frames if f < 1000]
    assert th.share <= 0.10
    assert len(slow) > 2 * len(fast)  # the slower loop affords more frames per step


@pytest.mark.parametrize("every,budget", [(0, 0.1), (1.5, 0.1), (True, 0.1), (1, 0.0), (1, 1.0), (1, "x")])
def test_throttle_refuses_bad_arguments(every, budget):
    with pytest.raises(ValueError):
        Throttle(every=every, budget=budget)


def _xor_net():
    net = nn.TensorMLP(2, [3, 1], activation="sigmoid", output_activation="sigmoid", seed=3)
    return net, nn.SGD(net.parameters(), lr=1.0)


def _train(view, net, opt, steps, clock=None):
    """Train; return the parameters as they were at each update (before that step)."""
    states = []
    for _ in range(steps):
        loss = 0.5 * ((net(XOR_X) - XOR_Y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        view.update(loss)
        states.append(net.state_dict())
        opt.step()
        if clock is not None:
            clock.t += 1.0  # a slow loop: every frame fits the budget
    return states


class FakeHandle:
    def __init__(self, shown):
        self.shown = shown

    def update(self, obj):
        self.shown.append(obj)


def test_notebook_frames_every_n_and_the_final_picture(monkeypatch):
    shown, handles = [], []

    def display(obj, display_id=False):
        assert display_id is True
        shown.append(obj)
        handles.append(FakeHandle(shown))
        return handles[-1]

    monkeypatch.setattr(live_view, "_notebook", lambda: (object(), None))
    monkeypatch.setattr("IPython.display.display", display)
    clock = FakeClock()
    net, opt = _xor_net()
    with viz.live(net, XOR_X, XOR_Y, every=10, clock=clock) as view:
        states = _train(view, net, opt, 45, clock)
    after = net.state_dict()
    assert view.frames == [2, 12, 22, 32, 42]  # update 1 has no loop time before it
    assert len(handles) == 1  # one output, updated in place
    assert len(shown) == 6  # five frames, then the final picture
    final = shown[-1]
    ET.fromstring(final.svg)  # well-formed SVG
    assert final.svg.count("final · step 45") == 1 and "live · step 42" in shown[-2].svg
    assert f"loss {viz.live_view.number(view.losses[-1], 4)}" in final.svg
    assert "network at step 42 (the last step)" in shown[-2].svg
    # the final network is the last update's pass, with the weights as they were before that step
    assert "network at step 45 (the last step)" in final.svg
    assert f"L = {viz.live_view.number(view.losses[44], 4)}" in final.svg
    number = viz.live_view.number
    for w in states[44]["layer2.W"].ravel():
        assert f"w = {number(w, 4)}" in final.svg
    assert not any(f"w = {number(w, 4)}" in final.svg for w in after["layer2.W"].ravel())
    for k, v in net.state_dict().items():  # and the model is left as the loop left it
        np.testing.assert_array_equal(v, after[k])
    assert final._repr_svg_() == final.svg


class TerminalShell:  # IPython in a terminal: a shell without a kernel
    kernel = None


@pytest.mark.parametrize("shell,why", [(None, "not running in Jupyter/IPython"),
                                       (TerminalShell(), "TerminalShell has no notebook display")])
def test_outside_a_notebook_writes_the_final_svg_and_says_why(tmp_path, capsys, monkeypatch, shell, why):
    monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    net, opt = _xor_net()
    path = tmp_path / "final.svg"
    with viz.live(net, XOR_X, XOR_Y, every=5, path=path) as view:
        _train(view, net, opt, 12)
    out = capsys.readouterr().out.strip().splitlines()
    assert out == [f"[viz.live] no live view ({why}); the final picture is in {path}"]
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    assert "final · step 12" in path.read_text()
    view.close()  # a second close neither prints nor raises
    assert capsys.readouterr().out == ""


def test_a_failing_display_never_raises(monkeypatch, capsys):
    def display(obj, display_id=False):
        raise RuntimeError("frontend gone")

    monkeypatch.setattr(live_view, "_notebook", lambda: (object(), None))
    monkeypatch.setattr("IPython.display.display", display)
    net, opt = _xor_net()
    clock = FakeClock()
    with viz.live(net, XOR_X, XOR_Y, every=1, path=False, clock=clock) as view:
        _train(view, net, opt, 3, clock)
    assert view.frames == [2, 3]
    out = capsys.readouterr().out.splitlines()
    assert out == ["[viz.live] no live view (the notebook display failed: frontend gone)"]


def test_panels_that_cannot_be_drawn_say_so(tmp_path, monkeypatch):
    monkeypatch.setattr("IPython.get_ipython", lambda: None)
    view = viz.live(show="file", path=False)
    assert view.update(0.5) is False  # no loop time yet: no frame
    with pytest.raises(TypeError, match="expected the loss"):
        view.update("high")
    view.close()
    assert "no network panel: update() was given a number" in view.svg()  # a number: no graph to draw from
    with pytest.raises(RuntimeError, match="after close"):
        view.update(0.1)
    with pytest.raises(ValueError, match="4 rows but y has 3"):
        viz.live(X=XOR_X, y=[0, 1, 1])
    with pytest.raises(ValueError, match="show must be"):
        viz.live(show="screen")
    with pytest.raises(RuntimeError, match="not running in Jupyter"):
        viz.live(show="notebook")


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_boundary_is_the_models_forward_pass_in_numpy():
    net, opt = _xor_net()
    view = viz.live(net, XOR_X, XOR_Y, show="file", path=False, resolution=9)
    _train(view, net, opt, 30)
    xs, ys, out = view.boundary()
    s = net.state_dict()
    g0, g1 = np.meshgrid(xs, ys)
    P = np.c_[g0.ravel(), g1.ravel()]
    expect = _sigmoid(_sigmoid(P @ s["layer1.W"].T + s["layer1.b"]) @ s["layer2.W"].T + s["layer2.b"])
    np.testing.assert_allclose(out.reshape(-1, 1), expect, rtol=1e-12, atol=1e-14)
    assert np.allclose(xs[[0, -1]], [-0.1, 1.1]) and np.allclose(ys[[0, -1]], [-0.1, 1.1])
    rows, what, _ = boundary_cells(out)
    assert "probability" in what and len(rows) == 9  # sigmoid outputs: drawn around 0.5


def test_boundary_of_a_value_mlp_with_three_classes():
    net = nn.MLP(2, [4, 3], activation="tanh", seed=1)
    X = np.array([[-1.0, 0.5], [0.3, -0.2], [1.2, 0.9]])
    view = viz.live(net, X, [0, 1, 2], show="file", path=False, resolution=5)
    xs, ys, out = view.boundary()
    s = net.state_dict()
    g0, g1 = np.meshgrid(xs, ys)
    P = np.c_[g0.ravel(), g1.ravel()]
    logits = np.tanh(P @ s["layer1.W"].T + s["layer1.b"]) @ s["layer2.W"].T + s["layer2.b"]
    np.testing.assert_allclose(out.reshape(-1, 3), logits, rtol=1e-12, atol=1e-14)
    rows, _, colour_of = boundary_cells(out)
    # each cell is painted in the colour family of the class numpy's argmax predicts (top row = largest y)
    cls = logits.argmax(axis=1).reshape(5, 5)[::-1]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = (p / p.sum(axis=1, keepdims=True)).max(axis=1).reshape(5, 5)[::-1]
    for r in range(5):
        for c in range(5):
            base = np.array([int(colour_of(cls[r, c])[i : i + 2], 16) for i in (1, 3, 5)], float)
            got = np.array([int(rows[r][c][i : i + 2], 16) for i in (1, 3, 5)], float)
            t = 0.15 + 0.5 * np.clip((p[r, c] - 1 / 3) / (2 / 3), 0, 1)
            np.testing.assert_allclose(got, 255 + (base - 255) * t, atol=0.51)


def test_png_bytes_decode_to_the_colours():
    mpimg = pytest.importorskip("matplotlib.image")
    cells = [["#ff0000", "#00ff00", "#0000ff"], ["#123456", "#ffffff", "#000000"]]
    img = mpimg.imread(io.BytesIO(png_bytes(cells)), format="png")
    expect = [[[int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)] for c in row] for row in cells]
    np.testing.assert_allclose(img[..., :3], expect, atol=1e-6)


def test_save_png_and_svg(tmp_path):
    net, opt = _xor_net()
    view = viz.live(net, XOR_X, XOR_Y, show="file", path=False)
    _train(view, net, opt, 3)
    png = Path(view.save(tmp_path / "f.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "live · step 3" in Path(view.save(tmp_path / "f.svg")).read_text()
    with pytest.raises(ValueError, match="names no format"):
        view.save(tmp_path / "f.gif")


def _live_cells(path: Path) -> list:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return [c for c in nb.cells if c.cell_type == "code" and "viz.live(" in c.source]


@pytest.mark.parametrize("name", ["01", "02", "05"])
def test_lessons_store_the_final_picture(name):
    pytest.importorskip("nbformat")
    (path,) = NOTEBOOKS.glob(f"{name}_*.ipynb")
    cells = _live_cells(path)
    assert cells, f"{path.name} has no cell using viz.live"
    for cell in cells:
        svgs = [o["data"]["image/svg+xml"] for o in cell.outputs if o.get("data", {}).get("image/svg+xml")]
        assert len(svgs) == 1, f"{path.name}: a live cell stores {len(svgs)} pictures; the view is one output"
        final = re.search(r">final · step \d+ · loss ", svgs[0])
        assert final, f"{path.name}: the stored picture is not the final one"
        share = float(re.search(r"drawing took ([\d.]+) %", svgs[0]).group(1))
        assert share <= 10.0, f"{path.name}: drawing took {share} % of the loop"


CHROMIUM = "/usr/bin/chromium"
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def test_a_browser_shows_the_stored_picture(tmp_path):
    """The final picture stored in lesson 05, shown as JupyterLab shows image/svg+xml (an <img>), in headless Chromium:
    the decision boundary's embedded PNG is drawn (both class colours fill the panel)."""
    import base64
    import os
    import subprocess

    if not os.path.exists(CHROMIUM):
        pytest.skip("no chromium at /usr/bin/chromium")
    mpimg = pytest.importorskip("matplotlib.image")
    (path,) = NOTEBOOKS.glob("05_*.ipynb")
    svg = [o["data"]["image/svg+xml"] for c in _live_cells(path) for o in c.outputs
           if o.get("data", {}).get("image/svg+xml")][-1]
    width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))
    page = tmp_path / "page.html"
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    page.write_text(f'<html><body style="margin:0"><img src="{uri}" style="width:{width}px"></body></html>')
    shot = tmp_path / "shot.png"
    subprocess.run([CHROMIUM, *CHROME_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1800,1500",
                    f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120, check=False)
    assert shot.exists(), "chromium wrote no screenshot"
    img = mpimg.imread(shot)[..., :3] * 255
    # the boundary panel: x from MARGIN (64) to LEFT_W (340), y from 320 down, in SVG px (shown 1:1)
    panel = img[330:580, 74:330]
    r, b = panel[..., 0], panel[..., 2]
    blue, orange = np.mean(b > r + 40), np.mean(r > b + 40)
    assert blue > 0.15 and orange > 0.15, (blue, orange)
