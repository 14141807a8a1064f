"""state_dict / load_state_dict and .npz parameter files: round trips, engine transfer, refusals."""

import os

import numpy as np
import pytest

from deltagrad import nn


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_value_mlp_state_dict_layout():
    net = nn.MLP(3, [2, 1], seed=0)
    sd = net.state_dict()
    assert list(sd) == ["layer1.W", "layer1.b", "layer2.W", "layer2.b"]
    assert sd["layer1.W"][1, 2] == net.layers[0].neurons[1].w[2].data  # W[j, i]: input i -> neuron j
    assert sd["layer2.b"].shape == (1,) and sd["layer1.W"].dtype == np.float64
    sd["layer1.W"][0, 0] = 123.0  # a copy, not a view
    assert net.layers[0].neurons[0].w[0].data != 123.0


@pytest.mark.parametrize(
    "make",
    [
        lambda s: nn.MLP(2, [4, 3], seed=s),
        lambda s: nn.TensorMLP(2, [4, 3], seed=s),
        lambda s: nn.TensorMLP(2, [4, 3], seed=s, dtype=np.float32),
    ],
)
def test_file_round_trip(tmp_path, make):
    a, b = make(0), make(1)
    assert not _same(a.state_dict(), b.state_dict())
    a.save(tmp_path / "net.npz")
    assert b.load(tmp_path / "net.npz") == ([], [])
    assert _same(a.state_dict(), b.state_dict())
    assert os.listdir(tmp_path) == ["net.npz"]  # no temporary file left


def test_value_and_tensor_mlp_exchange_weights(tmp_path):
    v, t = nn.MLP(3, [5, 2], activation="tanh", seed=0), nn.TensorMLP(3, [5, 2], activation="tanh", seed=1)
    nn.save(v, tmp_path / "v.npz")
    nn.load(t, tmp_path / "v.npz")
    x = [0.3, -1.2, 0.7]
    np.testing.assert_allclose(t(np.array(x)).data, [o.data for o in v(x)], rtol=0, atol=1e-15)
    t.layers[1].b.data += 1.0
    v.load_state_dict(t.state_dict())
    np.testing.assert_allclose(t(np.array(x)).data, [o.data for o in v(x)], rtol=0, atol=1e-15)


def test_load_state_dict_errors_change_nothing():
    net = nn.TensorMLP(2, [3, 1], seed=0)
    before = net.state_dict()
    sd = nn.TensorMLP(2, [3, 1], seed=1).state_dict()
    bad = dict(sd, extra=np.zeros(1))
    del bad["layer2.b"]
    with pytest.raises(ValueError, match=r"missing keys \['layer2.b'\], unexpected keys \['extra'\]"):
        net.load_state_dict(bad)
    with pytest.raises(ValueError, match=r"'layer1.W' has shape \(2, 3\); expected \(3, 2\)"):
        net.load_state_dict(dict(sd, **{"layer1.W": np.zeros((2, 3))}))
    with pytest.raises(ValueError, match="dtype"):
        net.load_state_dict(dict(sd, **{"layer1.b": np.array(["a", "b", "c"])}))
    assert _same(net.state_dict(), before)
    assert net.load_state_dict(bad, strict=False) == (["layer2.b"], ["extra"])
    assert np.array_equal(net.layers[0].W.data, sd["layer1.W"]) and np.array_equal(
        net.layers[1].b.data, before["layer2.b"]
    )


def test_pickled_object_array_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, **{"layer1.W": np.array([{"x": 1}, None], dtype=object)})
    with pytest.raises(nn.StateFileError, match="'layer1.W' is a pickled object array; refused"):
        nn.load(nn.MLP(2, [1]), path)


@pytest.mark.parametrize("content", [b"not a zip at all", b"PK\x03\x04broken", b""])
def test_malformed_file_is_a_clear_error(tmp_path, content):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(nn.StateFileError, match="bad.npz"):
        nn.load(nn.MLP(2, [1]), path)


def test_single_npy_and_missing_file(tmp_path):
    np.save(tmp_path / "one.npy", np.zeros(3))
    with pytest.raises(nn.StateFileError, match="single .npy array"):
        nn.load(nn.MLP(2, [1]), tmp_path / "one.npy")
    with pytest.raises(FileNotFoundError):
        nn.load(nn.MLP(2, [1]), tmp_path / "nope.npz")


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "net.npz"
    old = nn.MLP(2, [2], seed=0)
    nn.save(old, path)
    data = path.read_bytes()

    def broken(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(OSError, match="disk full"):
        nn.save(nn.MLP(2, [2], seed=1), path)
    assert path.read_bytes() == data and os.listdir(tmp_path) == ["net.npz"]
