"""The playground widget in a real browser: JupyterLab or Notebook 7 started headless, opened in Debian's chromium.

The test runs once per front end (JupyterLab at /lab/tree/<file>, Notebook 7 at /notebooks/<file>; both
expose ``window.jupyterapp`` with the same notebook commands and output classes). The server runs on
127.0.0.1 with a token and a temporary notebook directory (and temporary Jupyter config, data and
runtime directories); the test writes a notebook whose cell makes a
``deltagrad.Playground``, opens it in headless chromium (the DevTools driver of tests/test_animate.py),
runs the cell, waits for the widget's first frame (drawn by the playground's own main.js, linked by
widget.js), presses play with a real mouse click, and checks that frames come from the kernel: the steps,
the loss text and the network's numbers change, then pause stops them. A second cell with a learner's
own nn.Sequential shows its architecture controls hidden. Clearing the outputs while playing pauses the
kernel's play loop (a third cell prints its state). Set ``PLAYGROUND_SHOTS=DIR`` to keep the
screenshots (the gallery's, docs/gallery/widget/, are made that way; Notebook 7's are named notebook7-*.png). Skips without chromium; each front end
skips without its package (jupyterlab, notebook).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from test_animate import CHROMIUM, Chromium

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("anywidget")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (Debian: apt-get install chromium)")


def _has(module: str) -> bool:  # in a child process: importing jupyterlab or notebook here would slow every test
    return subprocess.run([sys.executable, "-c", f"import {module}"], check=False).returncode == 0


# the two front ends: the server's module, the flag that sets window.jupyterapp, the notebook's URL path
FRONT_ENDS = {
    "jupyterlab": ("jupyterlab", "--LabApp.expose_app_in_browser=True", "/lab/tree/widget.ipynb?reset&"),
    "notebook7": ("notebook", "--JupyterNotebookApp.expose_app_in_browser=True", "/notebooks/widget.ipynb?"),
}

CELLS = [
    ("from deltagrad import Playground\n"
     "pg = Playground(dataset='xor', hidden=[4], seed=1, lr=0.1, steps_per_frame=5)\npg"),
    ("import numpy as np\nfrom deltagrad import nn\n"
     "rng = np.random.default_rng(0)\nX = rng.normal(size=(120, 2)); y = (X[:, 0] * X[:, 1] > 0).astype(int)\n"
     "net = nn.Sequential(nn.Linear(2, 3, seed=0), nn.Tanh(), nn.Linear(3, 1, layer=2, seed=1))\n"
     "mine = Playground(net, X, y, class_names=['different sign', 'same sign'])\nmine"),
    "print('kernel playing:', pg.connection.playing, mine.connection.playing)",
]
SHADOW = "document.querySelectorAll('.deltagrad-playground')[{i}].shadowRoot"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(params=[pytest.param(name, marks=pytest.mark.skipif(
    not _has(module), reason=f"needs {module} (pip install -e '.[dev]')")) for name, (module, *_) in FRONT_ENDS.items()])
def lab(request, tmp_path):
    module, expose, path = FRONT_ENDS[request.param]
    root = tmp_path / "notebooks"
    root.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "widget.ipynb")
    settings = tmp_path / "jupyterlab_settings_dir" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)  # no "news" pop-up over the screenshots
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, **{k: str(tmp_path / k.lower()) for k in (
        "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR",
        "JUPYTERLAB_WORKSPACES_DIR")}}
    log = open(tmp_path / "lab.log", "w")  # noqa: SIM115 - JupyterLab writes it until the end of the test
    proc = subprocess.Popen([sys.executable, "-m", module, "--no-browser", "--ServerApp.ip=127.0.0.1",
                             f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
                             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
                             expose] + (["--allow-root"] if os.geteuid() == 0 else []),
                            stdout=subprocess.DEVNULL, stderr=log, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        end = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > end:
                    raise AssertionError(f"{module} did not start: " + (tmp_path / "lab.log").read_text()[-2000:])
                time.sleep(0.3)
        yield f"{base}{path}token={token}", "" if request.param == "jupyterlab" else request.param + "-"
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


class Lab:
    def __init__(self, browser: Chromium, shots: str, prefix: str = ""):
        self.b, self.shots, self.prefix = browser, shots, prefix

    def js(self, expr: str):
        return self.b.js(expr)

    def wait(self, expr: str, timeout: float = 60.0):
        return self.b.wait(expr, timeout, poll=0.1)

    def click(self, i: int, element_id: str) -> None:
        # the element's box in the page: its shadow root is inside the widget's output (a real mouse click)
        r = json.loads(self.js(f"(() => {{ const e = {SHADOW.format(i=i)}.getElementById('{element_id}');"
                               "e.scrollIntoView({block: 'center'}); return JSON.stringify(e.getBoundingClientRect()); })()"))
        for t in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.b.send("Input.dispatchMouseEvent", {"type": t, "x": r["x"] + r["width"] / 2,
                                                     "y": r["y"] + r["height"] / 2, "button": "left", "clickCount": 1})

    def text(self, i: int, element_id: str) -> str:
        return self.js(f"{SHADOW.format(i=i)}.getElementById('{element_id}').textContent")

    def view(self, i: int, expr: str):
        return self.js(f"(() => {{ const v = document.querySelectorAll('.deltagrad-playground')[{i}].playground; "
                       f"return {expr}; }})()")

    def shot(self, name: str, i: int) -> bytes:
        self.js(f"document.querySelectorAll('.deltagrad-playground')[{i}].scrollIntoView()")
        time.sleep(0.3)
        png = base64.b64decode(self.b.send("Page.captureScreenshot", {"format": "png"})["data"])
        if self.shots:
            os.makedirs(self.shots, exist_ok=True)
            with open(os.path.join(self.shots, self.prefix + name), "wb") as f:
                f.write(png)
        return png


def test_widget_in_jupyter(lab, tmp_path):
    url, prefix = lab
    browser = Chromium(CHROMIUM, str(tmp_path / "profile"))
    page = Lab(browser, os.environ.get("PLAYGROUND_SHOTS", ""), prefix)
    try:
        browser.open("about:blank")
        browser.send("Emulation.setDeviceMetricsOverride", {"width": 1400, "height": 1000, "deviceScaleFactor": 1,
                                                            "mobile": False})
        browser.send("Page.navigate", {"url": url})
        page.wait("window.jupyterapp && jupyterapp.shell.currentWidget && jupyterapp.shell.currentWidget.sessionContext"
                  " && jupyterapp.shell.currentWidget.sessionContext.session && "
                  "jupyterapp.shell.currentWidget.sessionContext.session.kernel && "
                  "jupyterapp.shell.currentWidget.sessionContext.session.kernel.connectionStatus === 'connected'", 90)
        page.js("jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait("document.querySelectorAll('.deltagrad-playground').length === 2 && "
                  "document.querySelectorAll('.deltagrad-playground')[1].playground?.frames > 0", 120)
        page.wait("document.querySelectorAll('.deltagrad-playground')[0].playground?.frames > 0")

        # the built-in run: the same controls as the page, drawn from the kernel's first frame
        start = json.loads(page.view(0, "JSON.stringify({steps: v.frame.steps, W: v.frame.W, sizes: v.frame.sizes,"
                                        " errors: v.errors, dataset: v.state.dataset})"))
        assert start["steps"] == 0 and start["sizes"] == [2, 4, 1] and start["errors"] == [] and start["dataset"] == "xor"
        loss0 = page.text(0, "train-loss")
        assert loss0 not in ("", "·")
        page.shot("widget-start.png", 0)

        # play: frames arrive from the kernel, the loss text and the weights change
        page.click(0, "play")
        page.wait("document.querySelectorAll('.deltagrad-playground')[0].playground.frame.steps >= 200", 90)
        page.click(0, "play")  # pause
        page.wait("document.querySelectorAll('.deltagrad-playground')[0].playground.playing === false")
        played = json.loads(page.view(0, "JSON.stringify({steps: v.frame.steps, W: v.frame.W, frames: v.frames})"))
        assert played["frames"] >= 40 and played["W"] != start["W"]
        assert page.text(0, "train-loss") != loss0 and float(page.text(0, "train-loss")) < float(loss0)
        time.sleep(0.5)
        still = json.loads(page.view(0, "JSON.stringify({steps: v.frame.steps})"))["steps"]
        time.sleep(0.5)
        assert json.loads(page.view(0, "JSON.stringify({steps: v.frame.steps})"))["steps"] == still  # paused
        assert len(page.shot("widget-xor-played.png", 0)) > 10_000

        # the learner's own Sequential: its architecture controls are hidden, training works
        mine = json.loads(page.view(1, "JSON.stringify({sizes: v.frame.sizes, hidden: v.hidden, loss: v.state.loss})"))
        assert mine["sizes"] == [2, 3, 1] and "hidden" in mine["hidden"] and "dataset" in mine["hidden"]
        assert mine["loss"] == "bce"
        assert page.js(f"getComputedStyle({SHADOW.format(i=1)}.querySelector('.arch')).display") == "none"
        page.click(1, "step")
        page.wait("document.querySelectorAll('.deltagrad-playground')[1].playground.frame.steps === 1")
        page.shot("widget-own-model.png", 1)

        # playing, then the outputs cleared (as when the cell runs again): the views' cleanup pauses the kernel
        page.click(0, "play")
        page.wait("document.querySelectorAll('.deltagrad-playground')[0].playground.playing === true")
        page.js("jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        page.wait("document.querySelectorAll('.deltagrad-playground').length === 0")
        # The front end sends comm messages on a kernel subshell (ipykernel 7, both front ends) and the cell on the
        # main shell: they run concurrently, so the view's pause may land after a cell run at once. Run it again
        # until the kernel has stopped; a pause that never comes keeps "True" and fails.
        end, out = time.monotonic() + 30, ""
        while "kernel playing: False False" not in out and time.monotonic() < end:
            count = page.js("jupyterapp.shell.currentWidget.content.widgets[2].model.executionCount || 0")
            page.js("(() => { const nb = jupyterapp.shell.currentWidget.content; nb.activeCellIndex = 2; "
                    "return jupyterapp.commands.execute('notebook:run-cell'); })()")
            page.wait(f"(jupyterapp.shell.currentWidget.content.widgets[2].model.executionCount || 0) > {count}")
            out = page.wait("(() => { const o = document.querySelectorAll('.jp-OutputArea-output'); "
                            "return o.length ? o[o.length - 1].textContent : ''; })()")
        assert "kernel playing: False False" in out, out
    finally:
        browser.close()
