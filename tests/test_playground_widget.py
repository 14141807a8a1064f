"""The playground widget's kernel side: deltagrad.Playground with the learner's model and data, without a browser.

Oracles: the weights after full-batch SGD steps and the selected sample's δ are recomputed here by a
numpy backprop written out by hand (binary cross-entropy on a logit, mean over the batch:
∂L/∂z_out = (σ(z) − t)/n; δ_hidden = (1 − tanh²) · W2ᵀ δ_out). The front end is tested in
tests/test_playground_widget_browser.py.
"""

from __future__ import annotations

import base64
import re

import numpy as np
import pytest

from deltagrad import nn
from deltagrad.playground import Playground, StateError, widget
from deltagrad.playground.user import read_data


def _data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    return X, (X[:, 0] * X[:, 1] > 0).astype(int)


def _numpy_sgd(W1, b1, W2, b2, X, t, lr, steps):
    """Full-batch SGD on mean BCE-with-logits of a 2-h-1 tanh net, backprop by hand; returns the weights."""
    W1, b1, W2, b2 = (a.copy() for a in (W1, b1, W2, b2))
    for _ in range(steps):
        a1 = np.tanh(X @ W1.T + b1)
        z2 = a1 @ W2.T + b2
        d2 = (1 / (1 + np.exp(-z2)) - t) / len(X)  # ∂L/∂z2 of the mean
        d1 = (1 - a1**2) * (d2 @ W2)
        W2, b2, W1, b1 = W2 - lr * d2.T @ a1, b2 - lr * d2.sum(0), W1 - lr * d1.T @ X, b1 - lr * d1.sum(0)
    return W1, b1, W2, b2


@pytest.mark.parametrize("kind", ["TensorMLP", "Sequential", "MLP"])
def test_own_model_after_steps_matches_a_numpy_backprop(kind):
    X, y = _data()
    if kind == "TensorMLP":
        model = nn.TensorMLP(2, [3, 1], activation="tanh", output_activation="linear", seed=3)
    elif kind == "Sequential":
        model = nn.Sequential(nn.Linear(2, 3, seed=3), nn.Tanh(), nn.Linear(3, 1, layer=2, seed=4))
    else:
        model = nn.MLP(2, [3, 1], activation="tanh", output_activation="linear", seed=3)
    first = [np.array(v, dtype=float) for v in model.state_dict().values()]
    pg = Playground(model, X, y, batch_size=1000, lr=0.5, steps_per_frame=4)
    s = pg.session
    assert s.sizes == [2, 3, 1] and pg.state["loss"] == "bce" and pg.state["hidden"] == [3]
    pg.step(3)  # 3 frames of 4 optimizer steps
    assert s.steps == 12
    t = s.t_train  # (n, 1) targets 0/1 of the training split
    expected = _numpy_sgd(*first, s.X_train, t, 0.5, 12)
    got = [np.array(v, dtype=float) for v in model.state_dict().values()]  # the learner's model, trained in place
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g.reshape(e.shape), e, rtol=1e-10, atol=1e-12)
    # reset: the model's first weights again, the same run
    pg.handle({"type": "reset"})
    for f, g in zip(first, model.state_dict().values()):
        np.testing.assert_array_equal(np.array(g, dtype=float), f)


def test_selected_sample_and_exercise_answers_are_checked_against_numpy():
    X, y = _data()
    model = nn.TensorMLP(2, [3, 1], activation="tanh", output_activation="linear", seed=5)
    pg = Playground(model, X, y, sample=7, quiz=["delta2", "delta1"])
    s = pg.session
    W1, b1 = model.layers[0].W.data, model.layers[0].b.data
    W2, b2 = model.layers[1].W.data, model.layers[1].b.data
    x, t = s.X_train[7], s.t_train[7, 0]
    a1 = np.tanh(W1 @ x + b1)
    d2 = 1 / (1 + np.exp(-(W2 @ a1 + b2))) - t  # one sample: ∂L/∂z2 = σ(z2) − t
    d1 = (1 - a1**2) * (W2.T @ d2)
    frame = pg.handle({"type": "hello"})[-1]
    np.testing.assert_allclose(frame["sample"]["delta"][0], d1, rtol=1e-10)
    np.testing.assert_allclose(frame["sample"]["delta"][1], d2, rtol=1e-10)
    right = {"delta2": [f"{v:.4f}" for v in d2], "delta1": [f"{v:.4f}" for v in d1]}
    assert all(r["ok"] for r in pg.check(right))
    wrong = {"delta2": [f"{v:.4f}" for v in d2], "delta1": [f"{v + 0.05:.4f}" for v in d1]}
    verdicts = {r["key"]: r for r in pg.check(wrong)}
    assert verdicts["delta2"]["ok"] and not verdicts["delta1"]["ok"] and verdicts["delta1"]["wrong"] == [0, 1, 2]


def test_bad_messages_are_refused_through_the_state_table_and_change_nothing():
    X, y = _data()
    model = nn.TensorMLP(2, [3, 1], activation="tanh", output_activation="linear", seed=0)
    pg = Playground(model, X, y)
    before = dict(pg.state)
    cases = [
        ({"type": "set", "name": "lr", "value": "fast"}, "lr (Learning rate): expected a number"),
        ({"type": "set", "name": "lr", "value": 1e9}, "expected 1e-05 to 10"),
        ({"type": "set", "name": "nope", "value": 1}, "unknown setting"),
        ({"type": "explode"}, "unknown message type"),
        ({"type": "set", "name": "hidden", "value": "8,8"}, "hidden is fixed"),
        ({"type": "set", "name": "dataset", "value": "moons"}, "dataset is fixed"),
        ({"type": "set", "name": "loss", "value": "mse"}, "does not fit your model"),
        ({"type": "hide", "name": "hidden", "hide": False}, "stays hidden"),
        ({"type": "hide", "name": "__class__", "hide": True}, "not a hideable control"),
        ({"type": "check", "answers": {"delta9": ["1"]}}, "unknown quantity"),
        ("not a dict", "a message must be a JSON object"),
    ]
    for msg, text in cases:
        replies = pg.handle(msg)
        assert [r["type"] for r in replies] == ["error"] and text in replies[0]["message"], (msg, replies)
    assert pg.state == before and pg.session.steps == 0
    # a good one works, and the hidden architecture stays hidden in every state message
    replies = pg.handle({"type": "set", "name": "loss", "value": "hinge"})
    assert replies[0]["type"] == "state" and replies[0]["state"]["loss"] == "hinge" and "hidden" in replies[0]["hidden"]


def test_settings_hash_and_bad_arguments():
    pg = Playground(hash="#data=xor&hidden=3&lr=0.1&hide=lr", seed=2)
    assert pg.state["dataset"] == "xor" and pg.state["hidden"] == [3] and pg.state["seed"] == 2
    assert "lr" in pg.connection.hidden and pg.session.sizes == [2, 3, 1]
    with pytest.raises(StateError, match="lr"):
        Playground(lr="fast")
    with pytest.raises(StateError, match="unknown key"):
        Playground(hash="zz=1")
    with pytest.raises(StateError, match="not a control"):
        Playground(hide=["W"])
    X, y = _data()
    with pytest.raises(ValueError, match="one label per row"):
        Playground(X=X, y=y[:-1])
    with pytest.raises(TypeError, match="nn.MLP, nn.TensorMLP or nn.Sequential"):
        Playground(object(), X, y)
    with pytest.raises(ValueError, match="numbered"):
        Playground(nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)), X, y)
    with pytest.raises(ValueError, match="takes 2 inputs but X has 4"):
        Playground(nn.TensorMLP(2, [1]), np.ones((5, 4)), [0, 1, 0, 1, 0])
    with pytest.raises(StateError, match="fits no playground loss"):
        Playground(nn.TensorMLP(2, [1], output_activation="sigmoid"), X, y)


def test_data_with_more_features_hides_the_plane_or_picks_two():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 4))
    y = (X[:, 2] > 0).astype(int)
    pg = Playground(nn.TensorMLP(4, [3, 1], activation="tanh", seed=0), X, y)
    frame = pg.handle({"type": "step"})[0]
    assert frame["grid"] == 0 and frame["boundary"] == "" and frame["sizes"] == [4, 3, 1]
    assert pg.session.plane is None
    two = Playground(X=X, y=y, features=(2, 3), hidden=[2])  # the playground's net on 2 chosen features
    assert two.session.sizes == [2, 2, 1] and two.session.plane >= np.abs(X[:, 2:]).max()
    np.testing.assert_array_equal(np.sort(np.r_[two.session.X_train, two.session.X_test], 0), np.sort(X[:, 2:], 0))
    assert two.handle({"type": "step"})[0]["grid"] == 40
    X3, y3, names = read_data(X[:, :2], np.array(["b", "a", "c"] * 16 + ["a", "a"]))
    assert names == ["a", "b", "c"] and sorted(set(y3.tolist())) == [0, 1, 2]
    three = Playground(X=X3, y=names and np.array(["b", "a", "c"] * 16 + ["a", "a"]), loss="softmax_ce")
    assert three.session.sizes[-1] == 3


def _numbers(svg: str, name: str) -> list[str]:
    return re.findall(rf">{name} = ([-+\d.e?]+)<", svg)


def test_degrades_to_a_static_picture_with_one_line_why(monkeypatch):
    pg = Playground(dataset="xor", hidden=[3], seed=1, quiz=["delta2"])

    def no_anywidget():
        raise ImportError("No module named 'anywidget'")

    monkeypatch.setattr(widget, "_widget_class", no_anywidget)
    bundle = pg._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "image/png", "text/plain"}  # PNG: JupyterLab shows no SVG if untrusted
    assert base64.b64decode(bundle["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "static picture" in bundle["text/plain"] and "pip install anywidget" in bundle["text/plain"]
    svg = bundle["image/svg+xml"]
    assert "<svg" in svg[:200] and "static picture" in svg
    assert _numbers(svg, "δ") == ["?"] * 4  # the exercise's answers are not given away
    assert _numbers(svg, "z") and "?" not in _numbers(svg, "z")
    # without an exercise the picture shows the δ of the selected sample, the engine's numbers
    plain = Playground(dataset="xor", hidden=[3], seed=1)
    frame = plain.handle({"type": "hello"})[-1]
    shown = [float(v) for v in _numbers(plain.svg(), "δ")]
    want = [*frame["sample"]["delta"][0], *frame["sample"]["delta"][1]]
    np.testing.assert_allclose(sorted(shown), sorted(want), rtol=1e-3, atol=1e-4)

    def broken(*a, **k):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(Playground, "picture", broken)
    bundle = pg._repr_mimebundle_()  # never raises from display
    assert set(bundle) == {"text/plain"} and "no picture (drawing failed)" in bundle["text/plain"]


def test_widget_carries_the_pages_own_modules():
    pytest.importorskip("anywidget")
    pg = Playground(dataset="moons")
    w = pg.widget()
    assert set(w._modules) >= {"main.js", "controls.js", "plots.js", "network.js", "exercise.js"}
    from importlib import resources

    static = resources.files("deltagrad.playground") / "static"
    assert w._modules["main.js"] == (static / "main.js").read_text(encoding="utf-8")  # the same file, not a copy
    assert 'id="play"' in w._html and "<script" not in w._html
    assert "application/vnd.jupyter.widget-view+json" in pg._repr_mimebundle_()
    sent = []
    monkeypatch_send = w.send
    w.send = lambda msg, buffers=None: sent.append(msg)
    try:
        w._handle_custom_msg({"type": "step"}, [])
    finally:
        w.send = monkeypatch_send
    assert [m["type"] for m in sent] == ["frame"] and sent[0]["steps"] == 1


def test_a_notebook_run_by_nbclient_reads_as_the_static_picture_in_nbconvert(tmp_path):
    """Executed headless (no front end) and exported to HTML, the cell shows the picture, not a dead widget."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nbconvert = pytest.importorskip("nbconvert")
    pytest.importorskip("anywidget")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from deltagrad import Playground\nPlayground(dataset='xor', hidden=[2], quiz=['delta1'])")])
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=120, store_widget_state=False,
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    data = nb.cells[0].outputs[0]["data"]
    assert {"application/vnd.jupyter.widget-view+json", "image/svg+xml", "image/png", "text/plain"} <= set(data)
    html, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
    out = html.split('data-mime-type="image/svg+xml"', 1)[1]  # the cell's output area shows the SVG
    svg = base64.b64decode(re.search(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", out).group(1)).decode()
    assert "static picture" in svg and "δ = ?" in svg


def test_close_stops_playing_and_closes_the_widget():
    pytest.importorskip("anywidget")
    pg = Playground(dataset="xor")
    w = pg.widget()
    pg.connection.playing = True
    pg.close()
    assert pg.connection.playing is False and pg._widget is None and w.comm is None
    assert pg.handle({"type": "step"})[0]["steps"] == 1  # the run itself goes on from Python



def test_the_play_loop_and_a_cells_step_never_change_the_run_at_once(monkeypatch):
    """Jupyter handles widget messages on their own kernel channel: the play loop may run in another thread
    than a cell's step(). A cell's step that arrives while the loop is inside an optimizer step (slowed to
    50 ms here) waits for it to end, and both steps count."""
    import asyncio
    import threading
    import time

    pg = Playground(dataset="xor")
    pg.step(1)
    session, intervals = pg.session, []
    real_step, inside = session.step, threading.Event()

    def slow_step(n):
        start = time.perf_counter()
        if threading.current_thread() is not threading.main_thread():
            inside.set()
        time.sleep(0.05)
        real_step(n)
        intervals.append((start, time.perf_counter()))

    monkeypatch.setattr(session, "step", slow_step)
    before = session.steps
    pg.connection.playing = True
    player = threading.Thread(target=lambda: asyncio.run(pg.connection.play()))  # as Jupyter's comm channel
    player.start()
    assert inside.wait(5)  # the loop is inside a step
    pg.step(1)  # a cell's step (it also pauses the loop)
    player.join(5)
    assert not player.is_alive()
    intervals.sort()
    assert len(intervals) >= 2  # the loop's step(s) before the cell's got in, and the cell's
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(intervals, intervals[1:]))  # never at once
    assert session.steps == before + len(intervals) * pg.state["steps_per_frame"]
