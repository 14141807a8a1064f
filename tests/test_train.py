"""deltagrad train end to end: xor reaches the seed's fit; iris writes metrics, loss.png, model.npz, network.svg."""

import json
import os
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from deltagrad import nn
from deltagrad.cli import main
from deltagrad.cli import train as train_mod
from deltagrad.cli.train import TrainConfig, TrainError, seed_xor_weights, train

KEYS = {
    "dataset",
    "epochs",
    "final_loss",
    "train_accuracy",
    "test_accuracy",
    "seconds",
    "lr",
    "hidden",
    "seed",
    "engine",
    "n_train",
    "n_test",
    "loss_history",
}


def _svg_texts(path) -> list[str]:
    root = ET.parse(path).getroot()  # parses as XML
    assert root.tag.endswith("svg")
    return [e.text for e in root.iter() if e.text]


def test_xor_defaults_fit_all_four_points(tmp_path, capsys):
    out = tmp_path / "xor"
    assert main(["train", "--dataset", "xor", "--out", str(out), "--quiet"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["dataset"] == "xor" and m["engine"] == "value"
    assert m["final_loss"] < 0.05
    assert m["train_accuracy"] == 1.0 and m["test_accuracy"] == 1.0 and m["n_train"] == m["n_test"] == 4
    assert "same 4 points" in m["note"] and "RandomState(43)" in m["init"]
    assert len(m["loss_history"]) == m["epochs"] and m["loss_history"][-1] < m["loss_history"][0]
    summary = capsys.readouterr().out
    assert "final loss" in summary and "4/4" in summary and str(out) in summary


def test_seed_xor_weights_match_the_seed_documents():
    np = pytest.importorskip("numpy")
    net = nn.MLP(2, [3, 1], activation="sigmoid", output_activation="sigmoid")
    seed_xor_weights(net)
    rs = np.random.RandomState(43)
    W1, W2 = rs.randn(2, 3), rs.randn(3, 1)
    for i in range(2):
        for j in range(3):
            assert net.layers[0].neurons[j].w[i].data == W1[i, j]
    assert [w.data for w in net.layers[1].neurons[0].w] == list(W2[:, 0])
    assert all(n.b.data == 0.0 for layer in net.layers for n in layer.neurons)


def test_iris_short_run_writes_three_files(tmp_path, capsys):
    out = tmp_path / "new" / "iris"  # parents are created
    assert main(["train", "--epochs", "3", "--out", str(out), "--quiet"]) == 0
    assert sorted(os.listdir(out)) == ["loss.png", "metrics.json", "model.npz", "network.svg"]
    assert not [p for p in os.listdir(out.parent) if p != "iris"]  # no temporary directory left
    m = json.loads((out / "metrics.json").read_text())
    assert KEYS <= set(m)
    assert m["dataset"] == "iris" and m["epochs"] == 3 and m["hidden"] == [8] and m["architecture"] == [4, 8, 3]
    assert m["n_train"] == 120 and m["n_test"] == 30 and len(m["loss_history"]) == 3
    assert 0 <= m["test_accuracy"] <= 1 and m["seconds"] > 0
    assert (out / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # viz writes one "δ = <number>" text per neuron (8 hidden + 3 output) and a legend "fill: δ = ∂L/∂z"
    per_neuron = [t for t in _svg_texts(out / "network.svg") if re.fullmatch(r"δ = \S+", t.strip())]
    assert len(per_neuron) == 11, per_neuron


def test_existing_files_in_out_are_kept(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["train", "--dataset", "xor", "--epochs", "2", "--out", str(out), "--quiet"]) == 0
    assert (out / "notes.txt").read_text() == "mine" and (out / "metrics.json").exists()


def test_failure_while_writing_leaves_out_untouched(tmp_path, monkeypatch):
    out = tmp_path / "out"

    def broken(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(train_mod, "plot_loss", broken)
    with pytest.raises(RuntimeError):
        train(TrainConfig(dataset="xor", epochs=2, out=out, quiet=True))
    assert os.listdir(tmp_path) == []  # neither --out nor a temporary directory


@pytest.mark.parametrize("error", [ValueError("graph too big"), MemoryError(), OSError("disk full")])
def test_a_drawing_that_fails_is_a_warning_and_training_is_kept(tmp_path, monkeypatch, capsys, error):
    from deltagrad import viz

    def refuse(*a, **k):
        raise error

    monkeypatch.setattr(viz, "draw", refuse)
    out = tmp_path / "out"
    assert main(["train", "--dataset", "xor", "--epochs", "2", "--out", str(out), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("deltagrad: warning: network.svg not drawn") and "model.npz" in err and "--sample" in err
    assert sorted(os.listdir(out)) == ["loss.png", "metrics.json", "model.npz"]
    m = json.loads((out / "metrics.json").read_text())
    assert m["files"] == ["metrics.json", "loss.png", "model.npz"] and "network.svg not drawn" in m["warnings"][0]


def test_model_npz_holds_the_trained_weights(tmp_path):
    m = train(TrainConfig(dataset="xor", epochs=3, out=tmp_path / "o", quiet=True))
    net = nn.MLP(2, [3, 1], activation="sigmoid", output_activation="sigmoid", seed=99)
    net.load(tmp_path / "o" / "model.npz")
    with np.load(tmp_path / "o" / "model.npz") as z:
        assert set(z.files) == set(net.state_dict())
    # the loaded net reproduces the reported training loss (MSE over the 4 points), recomputed in numpy
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    sd = net.state_dict()
    sig = lambda v: 1 / (1 + np.exp(-v))
    out = sig(sig(X @ sd["layer1.W"].T + sd["layer1.b"]) @ sd["layer2.W"].T + sd["layer2.b"])[:, 0]
    assert np.mean((out - np.array([0.0, 1.0, 1.0, 0.0])) ** 2) == pytest.approx(m["final_loss"], rel=1e-9)


def test_csv_run(tmp_path):
    csv = tmp_path / "blobs.csv"
    rows = [f"{i % 5},{(i * 7) % 11},{'hi' if i % 2 else 'lo'}" for i in range(40)]
    csv.write_text("u,v,cls\n" + "\n".join(rows) + "\n")
    m = train(TrainConfig(csv=csv, target="cls", epochs=2, out=tmp_path / "o", quiet=True))
    assert m["dataset"] == "blobs" and m["classes"] == ["hi", "lo"] and m["architecture"] == [2, 8, 2]
    assert m["n_train"] == 32 and m["n_test"] == 8


@pytest.mark.parametrize(
    "kw",
    [
        {"epochs": 0},
        {"lr": -1.0},
        {"hidden": [0]},
        {"batch_size": 0},
        {"dataset": "mnist"},
        {"csv": "x.csv"},
        {"engine": "gpu"},
    ],
)
def test_config_validation(tmp_path, kw):
    with pytest.raises(TrainError):
        train(TrainConfig(out=tmp_path / "o", quiet=True, **kw))
    assert os.listdir(tmp_path) == []


def test_missing_renderer_no_longer_matters(tmp_path, monkeypatch, capsys):
    # network.svg is drawn directly (no Graphviz): even without a renderer the run writes every file
    monkeypatch.setenv("DELTAGRAD_DOT", "/nonexistent/dot")
    out = tmp_path / "out"
    assert main(["train", "--dataset", "xor", "--epochs", "2", "--out", str(out), "--quiet"]) == 0
    assert "network.svg" in os.listdir(out) and "warning" not in capsys.readouterr().err


def test_iris_tensor_engine_fits_and_writes_three_files(tmp_path, capsys):
    out = tmp_path / "iris"
    assert main(["train", "--engine", "tensor", "--out", str(out), "--quiet"]) == 0
    assert sorted(os.listdir(out)) == ["loss.png", "metrics.json", "model.npz", "network.svg"]
    m = json.loads((out / "metrics.json").read_text())
    assert KEYS <= set(m) and m["engine"] == "tensor" and m["architecture"] == [4, 8, 3]
    assert m["test_accuracy"] >= 0.9 and len(m["loss_history"]) == m["epochs"] == 100
    per_neuron = [t for t in _svg_texts(out / "network.svg") if re.fullmatch(r"δ = \S+", t.strip())]
    assert len(per_neuron) == 11  # drawn from the Value MLP holding the trained weights
    assert "(tensor engine)" in capsys.readouterr().out


@pytest.mark.parametrize("dataset, epochs", [("iris", 4), ("xor", 30)])
def test_value_and_tensor_engines_follow_the_same_trajectory(tmp_path, dataset, epochs):
    """Same seed -> same initial weights and shuffle; the engines differ only by float rounding."""
    runs = {
        engine: train(TrainConfig(dataset=dataset, epochs=epochs, engine=engine, out=tmp_path / engine, quiet=True))
        for engine in ("value", "tensor")
    }
    v, t = runs["value"], runs["tensor"]
    assert v["engine"] == "value" and t["engine"] == "tensor"
    assert abs(v["final_loss"] - t["final_loss"]) <= 1e-9, (v["final_loss"], t["final_loss"])
    assert max(abs(a - b) for a, b in zip(v["loss_history"], t["loss_history"])) <= 1e-9
    assert v["train_accuracy"] == t["train_accuracy"] and v["test_accuracy"] == t["test_accuracy"]


def test_auto_engine_picks_tensor_for_wide_nets():
    assert TrainConfig().resolved()["engine"] == "value"  # iris default: 8 hidden neurons
    assert TrainConfig(hidden=[32]).resolved()["engine"] == "value"
    assert TrainConfig(hidden=[16, 17]).resolved()["engine"] == "tensor"
    assert TrainConfig(hidden=[64], engine="value").resolved()["engine"] == "value"
