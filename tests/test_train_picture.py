"""network.svg after `deltagrad train` teaches: the highest-loss row, named features and classes, δ checked in numpy."""

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from deltagrad.cli import main
from deltagrad.data import load_iris, standardize, stratified_split

SVG = "{http://www.w3.org/2000/svg}"


def _groups(path) -> dict:
    out = {}
    for g in ET.parse(path).getroot().iter(SVG + "g"):
        t = g.find(SVG + "title")
        if t is not None:
            out[t.text] = ["".join(x.itertext()) for x in g.iter(SVG + "text")]
    return out


def _texts(path) -> list:
    return ["".join(x.itertext()) for x in ET.parse(path).getroot().iter(SVG + "text")]


def _numpy_forward(sd: dict, X: np.ndarray) -> tuple:
    """relu hidden layer, linear logits: (z1, a1, z2, softmax p), written out in numpy."""
    z1 = X @ sd["layer1.W"].T + sd["layer1.b"]
    a1 = np.maximum(z1, 0.0)
    z2 = a1 @ sd["layer2.W"].T + sd["layer2.b"]
    e = np.exp(z2 - z2.max(axis=1, keepdims=True))
    return z1, a1, z2, e / e.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "iris"
    assert main(["train", "--epochs", "3", "--engine", "tensor", "--out", str(out), "--quiet"]) == 0
    data = load_iris()
    tr, te = stratified_split(data.y, 0.2, seed=0)
    Xtr, Xte = standardize([data.X[i] for i in tr], [data.X[i] for i in te])
    with np.load(out / "model.npz") as z:
        sd = {k: z[k] for k in z.files}
    return out, data, tr, np.asarray(Xtr), sd


def test_the_default_row_is_the_training_row_with_the_highest_loss(iris_run):
    out, data, tr, Xtr, sd = iris_run
    m = json.loads((out / "metrics.json").read_text())
    _, _, _, p = _numpy_forward(sd, Xtr)
    losses = -np.log(p[np.arange(len(tr)), [data.y[i] for i in tr]])
    k = int(np.argmax(losses))
    assert m["sample"] == tr[k]
    title = " ".join(_texts(out / "network.svg")[:4])
    assert f"row {tr[k]} (training; the highest loss of 120 training rows)" in title
    assert f"target {data.class_names[data.y[tr[k]]]}" in title
    assert f"predicted: {data.class_names[int(np.argmax(p[k]))]}" in title
    assert f"loss {losses[k]:.4g}" in title
    for name, v in zip(data.feature_names, data.X[tr[k]]):
        assert f"{name} {v:.4g}" in title


def test_features_and_classes_are_named_and_every_delta_matches_numpy(iris_run):
    out, data, tr, Xtr, sd = iris_run
    k = tr.index(json.loads((out / "metrics.json").read_text())["sample"])
    z1, a1, z2, p = _numpy_forward(sd, Xtr[k : k + 1])
    d2 = p[0] - np.eye(3)[data.y[tr[k]]]  # softmax cross-entropy of one row: δ = p − onehot
    d1 = (sd["layer2.W"].T @ d2) * (z1[0] > 0)  # back through W2, times relu'(z1)
    g = _groups(out / "network.svg")
    for i, name in enumerate(data.feature_names):
        assert g[f"x{i}"][0] == name and g[f"x{i}"][1] == f"x = {Xtr[k, i]:.4g}"
    for j, name in enumerate(data.class_names):
        assert g[f"n2_{j}"][0] == name
        (shown,) = [t for t in g[f"n2_{j}"] if t.startswith("δ = ")]
        assert float(shown[4:]) == pytest.approx(d2[j], rel=1e-3, abs=1e-12)
    for j in range(8):
        (shown,) = [t for t in g[f"n1_{j}"] if t.startswith("δ = ")]
        assert float(shown[4:]) == pytest.approx(d1[j], rel=1e-3, abs=1e-12)
        inactive = any(t.startswith("○ inactive") for t in g[f"n1_{j}"])
        assert inactive == (z1[0, j] <= 0)  # marked inactive exactly when relu'(z) = 0
    # every weight labelled (4-8-3: no column over 12), with w read back from model.npz
    labels = {t[2:]: x for t, x in g.items() if t.startswith("w:")}
    assert len(labels) == 4 * 8 + 8 * 3
    for j in range(8):
        for i in range(4):
            assert labels[f"x{i}->n1_{j}"][0] == f"w = {sd['layer1.W'][j, i]:.4g}"


def test_sample_flag_picks_a_row_and_rejects_a_missing_one(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["train", "--epochs", "1", "--sample", "7", "--out", str(out), "--quiet"]) == 0
    assert json.loads((out / "metrics.json").read_text())["sample"] == 7
    assert any("row 7 (" in t and "--sample" in t for t in _texts(out / "network.svg"))
    assert main(["train", "--epochs", "1", "--sample", "150", "--out", str(tmp_path / "p"), "--quiet"]) == 2
    assert "--sample 150" in capsys.readouterr().err and not (tmp_path / "p").exists()
