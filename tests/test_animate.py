"""Tests for viz.animate: the steps (partial sums on a fan-out), a self-contained page, and the page in headless Chromium."""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import shutil
import subprocess
import time

import numpy as np
import pytest
from deltagrad.autograd import Tensor, Value, topo_order
from deltagrad.viz import animate, backprop_steps
from deltagrad.viz.style import number

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def fan_out():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b + a
    c.label = "c"
    y = (c / b) ** 2
    y.label = "L"
    y.backward()
    return a, b, y


def test_steps_walk_forward_then_backward_with_partial_sums():
    a, b, y = fan_out()
    order = topo_order(y)
    init, steps = backprop_steps(y)
    assert set(init) == {f"v{i}" for i in range(len(order))}
    forward = [s for s in steps if s["p"] == "forward"][1:]
    assert [s["n"][0] for s in forward] == [f"v{i}" for i in range(len(order))]  # topological order
    assert forward[2]["s"]["v2"][0] == "data -6" and "v2 = a * b = -6" in forward[2]["c"]
    backward = [s for s in steps if s["p"] == "backward"]
    assert backward[0]["s"]["v5"][1] == "grad 1"
    grads_a = [s["s"]["v0"][1] for s in backward if "v0" in s["s"]]
    grads_b = [s["s"]["v1"][1] for s in backward if "v1" in s["s"]]
    # a feeds * and +: its grad is shown once per contribution, the second one the full sum
    assert len(grads_a) == 2 and grads_a[-1] == f"grad {number(a.grad)}" and grads_a[0] != grads_a[1]
    assert len(grads_b) == 2 and grads_b[-1] == f"grad {number(b.grad)}"
    assert all(s["e"] for s in backward[1:])  # every backward step lights the edge it travels


def test_steps_on_tensors_end_at_the_engines_grads():
    W = Tensor([[1.0, -2.0], [0.5, 3.0]], label="W")
    x = Tensor([1.0, 2.0], label="x")
    y = ((W @ x).tanh() * (W @ x)).sum()
    y.backward()
    _, steps = backprop_steps(y)
    last = {}
    for s in steps:
        for k, v in s["s"].items():
            if v[1] is not None:
                last[k] = v[1]
    assert (
        last["v0"]
        == "grad [[" + ", ".join(number(g) for g in W.grad[0]) + "], [" + ", ".join(number(g) for g in W.grad[1]) + "]]"
    )


def test_page_is_one_self_contained_file(tmp_path):
    _, _, y = fan_out()
    animate(y, tmp_path / "bp.html")
    assert os.listdir(tmp_path) == ["bp.html"]  # no temp files left
    page = (tmp_path / "bp.html").read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "<?xml" not in page
    assert not re.search(r"<script[^>]+src=|<link|https?://(?!www\.w3\.org)", page)  # nothing fetched
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    data = json.loads(re.search(r'<script id="steps" type="application/json">(.*?)</script>', page, re.DOTALL).group(1))
    assert len(data["steps"]) == len(backprop_steps(y)[1])
    assert all(f'id="{i}"' in page for i in ("v0", "o2", "e2_0", "e2_1", "r2"))
    animate(fan_out()[-1], tmp_path / "again.html")
    assert (tmp_path / "bp.html").read_bytes() == (tmp_path / "again.html").read_bytes()  # stable bytes


def test_labels_cannot_break_the_page(tmp_path):
    x = Value(1.0, label="</script><b>%DATA%")
    y = x * 2
    y.backward()
    page = tmp_path / "x.html"
    animate(y, page)
    text = page.read_text("utf-8")
    assert text.count("</script>") == 2 and "<b>%DATA%" not in text


def test_animate_refuses_big_graphs():
    x = Value(1.0)
    y = x
    for _ in range(20):
        y = y + x
    with pytest.raises(ValueError, match="max_nodes=10"):
        animate(y, "never-written.html", max_nodes=10)
    assert not os.path.exists("never-written.html")


# ---------------------------------------------------------------- headless Chromium


class Chromium:
    """Headless Chromium driven over ``--remote-debugging-pipe``: CDP as NUL-separated JSON on fds 3 and 4."""

    def __init__(self, exe: str, profile: str):
        to_child, self._w = os.pipe()
        self._r, from_child = os.pipe()

        def fds():  # dup first: dup2(fd, fd) would keep close-on-exec
            a, b = os.dup(to_child), os.dup(from_child)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [
                exe,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=fds,
            close_fds=False,
        )
        os.close(to_child)
        os.close(from_child)
        self._buf, self._id, self.session = b"", 0, None

    def send(self, method: str, params: dict | None = None, timeout: float = 20.0) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if self.session:
            msg["sessionId"] = self.session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        end = time.monotonic() + timeout
        while True:
            while b"\0" in self._buf:
                raw, self._buf = self._buf.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self._id:
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    return reply["result"]
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(method)
            if select.select([self._r], [], [], left)[0]:
                chunk = os.read(self._r, 1 << 16)
                if not chunk:
                    raise RuntimeError("chromium closed the pipe")
                self._buf += chunk

    def open(self, url: str) -> None:
        target = self.send("Target.createTarget", {"url": url})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]

    def js(self, expr: str):
        return self.send("Runtime.evaluate", {"expression": expr, "returnByValue": True})["result"].get("value")

    def wait(self, expr: str, timeout: float = 20.0, poll: float = 0.05):
        """The first truthy value of the page expression ``expr``, polled every ``poll`` s for ``timeout`` s."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            value = self.js(expr)
            if value:
                return value
            time.sleep(poll)
        raise AssertionError(f"timed out waiting for {expr}")

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the browser may be gone already
            self.send("Browser.close", timeout=5)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._w)
        os.close(self._r)


STATE = """JSON.stringify({step: document.body.getAttribute('data-step'),
  hl: Array.from(document.querySelectorAll('g.node.hl')).map(e => e.id).sort(),
  caption: document.getElementById('caption').textContent,
  grads: Object.fromEntries(Array.from(document.querySelectorAll('g.node[id^=v]')).map(
    g => { const t = g.querySelectorAll('text'); return [g.id, t[t.length - 1].textContent]; })),
  faded: document.querySelectorAll('g.node.todo').length})"""


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (Debian: apt-get install chromium)")
def test_page_in_headless_chromium(tmp_path):
    a, _b, y = fan_out()
    page = tmp_path / "bp.html"
    animate(y, page)
    _, steps = backprop_steps(y)
    n = len(steps)
    browser = Chromium(CHROMIUM, str(tmp_path / "profile"))
    try:
        browser.open(page.as_uri() + f"#step={n - 3}")
        for _ in range(100):  # wait for the page's script
            if browser.js("document.body && document.body.getAttribute('data-step')"):
                break
            time.sleep(0.05)
        before = json.loads(browser.js(STATE))
        assert before["step"] == str(n - 3) and before["faded"] == 0
        assert before["hl"] == ["o3", "v0"] and before["grads"]["v0"] == "grad " + steps[n - 3]["s"]["v0"][1][5:]
        browser.js("document.getElementById('next').click()")
        after = json.loads(browser.js(STATE))
        assert after["step"] == str(n - 2) and after["hl"] == ["o2", "v0"]  # a again, now from the * edge
        assert after["grads"]["v0"] == f"grad {number(a.grad)}" != before["grads"]["v0"]  # the full sum
        assert "∂L/∂a +=" in after["caption"]
        browser.js("document.getElementById('prev').click(); document.getElementById('prev').click()")
        back = json.loads(browser.js(STATE))
        assert back["step"] == str(n - 4) and back["grads"]["v0"] == "grad ·"
        browser.js("const s = document.getElementById('slider'); s.value = '2'; s.dispatchEvent(new Event('input'))")
        start = json.loads(browser.js(STATE))
        assert start["step"] == "2" and start["faded"] > 0 and start["grads"]["v5"] == "grad ·"
        shot = browser.send("Page.captureScreenshot", {"format": "png"})["data"]
        assert len(shot) > 1000
    finally:
        browser.close()
    assert np.isfinite(a.grad)


def test_captions_name_nodes_as_the_picture_shows_them():
    from deltagrad.viz.ops_view import ops_source

    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    a = (x * w + 1.0).tanh()  # the product and the sum carry no label
    a.label = "a"
    a.backward()
    src = ops_source(a, ids=True)
    _, steps = backprop_steps(a)
    unnamed = [f"v{i}" for i, n in enumerate(topo_order(a)) if not n.label]
    assert unnamed  # nodes the captions call v{i} ...
    for name in unnamed:  # ... carry that name in the page's picture
        assert re.search(r'label="\{ ' + name + r" \|", src), name
        assert any(name in s["c"] for s in steps)
    back = [s["c"] for s in steps if s["p"] == "backward"]
    assert back[0] == "backward: seed ∂a/∂a = 1" and all("∂L" not in c for c in back)
    assert any(c.startswith("backward: ∂a/∂x += ∂a/∂") for c in back)
    assert "{ v" not in ops_source(a)  # the plain op view is unchanged
