"""expected= on the network view: a hand derivation (numpy, docs/sources.md#the-notation) marked neuron by neuron.

The oracle is independent of the engine: z, a, δ and ∂L/∂W are computed here from the weights with
δ² = (a² − y)·σ'(z²)·2 (MSE), δ¹ = (W²ᵀ δ²) ⊙ σ'(z¹), ∂L/∂W^l = δ^l (a^(l−1))ᵀ.
"""

import numpy as np
import pytest
from deltagrad.autograd import Tensor
from deltagrad.nn import MLP, Activation, Linear, Sequential, mse
from deltagrad.viz import draw
from deltagrad.viz.network_expected import resolve_network
from deltagrad.viz.network_model import read_network

X, Y = np.array([1.0, -2.0]), 0.25


def _by_hand(state):
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))
    W1, b1, W2, b2 = (state[k] for k in ("layer1.W", "layer1.b", "layer2.W", "layer2.b"))
    z1 = W1 @ X + b1
    a1 = sig(z1)
    z2 = W2 @ a1 + b2
    a2 = sig(z2)
    d2 = 2.0 * (a2 - Y) * a2 * (1 - a2)
    d1 = (W2.T @ d2) * a1 * (1 - a1)
    return {"z1": z1, "a1": a1, "δ1": d1, "z2": z2, "a2": a2, "delta2": d2,
            "W1": np.outer(d1, X), "W2": {"data": W2, "grad": np.outer(d2, a1)}}


def _value_net():
    net = MLP(2, [3, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    loss = mse(net(list(X)), Y)
    loss.backward()
    return net, loss


def test_a_correct_derivation_is_all_ticks():
    net, loss = _value_net()
    hand = _by_hand({k: np.asarray(v, dtype=float) for k, v in net.state_dict().items()})
    src = draw(loss, view="network", expected=hand).source
    assert src.count(" √") == 4 * 3 + 6 + 3 * 2  # z, a, δ of 4 neurons; 6 W1 grads; 3 W2 data and grads
    assert "×" not in src


def test_a_wrong_number_is_marked_with_the_expected_value():
    net, loss = _value_net()
    hand = _by_hand({k: np.asarray(v, dtype=float) for k, v in net.state_dict().items()})
    hand["δ1"] = hand["δ1"] * np.array([1.0, 0.5, 1.0])  # a slip in neuron 1's δ
    neurons, _ = resolve_network(read_network(loss), hand)
    bad = [(k, m.what) for k, ms in neurons.items() for m in ms if not m.ok]
    assert bad == [((1, 1), "δ")]
    src = draw(loss, view="network", expected=hand).source
    assert src.count("×") == 1 and "expected" in src


def test_tensor_network_and_hidden_weight_labels():
    l1, l2 = Linear(2, 3, layer=1, seed=1), Linear(3, 1, layer=2, seed=2)
    model = Sequential(l1, Activation("sigmoid"), l2, Activation("sigmoid"))
    loss = mse(model(Tensor(X[None, :], requires_grad=False)), np.array([[Y]]))
    loss.backward()
    state = {k: np.asarray(v, dtype=float) for k, v in model.state_dict().items()}
    hand = _by_hand(state)
    src = draw(loss, view="network", expected=hand, edge_labels=False).source
    assert "×" not in src and src.count(" √") == 4 * 3 + 6 + 3 * 2  # z, a, δ; W1 grads; W2 data and grads
    assert 'label=" √' not in src and "∂L/∂w √" in src  # marks shown although weight labels are hidden


def test_bad_keys_and_shapes_are_clear_errors():
    _, loss = _value_net()
    with pytest.raises(KeyError, match="z1, a1, δ1, W1, z2"):
        draw(loss, view="network", expected={"δ3": 1.0})
    with pytest.raises(KeyError, match="names nothing"):
        draw(loss, view="network", expected={"dW1": 1.0})
    with pytest.raises(ValueError, match=r"'z1'.*\(2,\).*\(3,\)"):
        draw(loss, view="network", expected={"z1": [1.0, 2.0]})
    with pytest.raises(ValueError, match="unknown keys"):
        draw(loss, view="network", expected={"W2": {"value": 1.0}})


def test_values_can_be_engine_tensors_and_bad_values_name_their_key():
    net, loss = _value_net()
    hand = _by_hand({k: np.asarray(v, dtype=float) for k, v in net.state_dict().items()})
    src = draw(loss, view="network", expected={"W1": Tensor(hand["W1"])}).source  # a Tensor's data
    assert "×" not in src and src.count(" √") == 6
    for bad in (None, "0.1", {"grad": [1.0, 2.0, 3.0]}, [[1.0, 2.0], [3.0]]):
        with pytest.raises(ValueError, match=r"expected\['z1'\]"):
            draw(loss, view="network", expected={"z1": bad})


def test_one_quantity_named_twice_is_an_error_not_a_silent_pick():
    _, loss = _value_net()
    with pytest.raises(ValueError, match="same numbers"):
        draw(loss, view="network", expected={"δ1": [0.0, 0.0, 0.0], "delta1": [0.0, 0.0, 0.0]})


def test_a_miss_within_the_printed_digits_shows_both_numbers_apart():
    _, loss = _value_net()
    z2 = float(read_network(loss).layers[2][0].z)
    src = draw(loss, view="network", expected={"z2": z2 * (1 + 1e-3)}, precision=2).source
    assert "× (engine" in src  # at 2 digits the two would read the same


def test_sequential_inputs_are_shown_and_untagged_weights_are_a_clear_error():
    l1, l2 = Linear(2, 2, layer=1, seed=0), Linear(2, 1, layer=2, seed=1)
    model = Sequential(l1, Activation("sigmoid"), l2)
    for x in (np.array([[1.0, -2.0]]), np.array([1.0, -2.0])):  # a batch (linear) and one sample (W @ x)
        loss = mse(model(x), np.zeros((1, 1)) if x.ndim == 2 else np.zeros(1))
        loss.backward()
        src = draw(loss, view="network").source
        assert "x = 1<" in src and "x = -2<" in src and "x = ?" not in src
    l2.W = Tensor([[0.4, 0.45]])  # set by hand: Linear tags the new W as it tagged the old one
    assert l2.W.tag == l2.b.tag._replace(role="W") and l2.W.label == "W2"
    l2.W.tag = None  # a W that lost its tag: its weights are not in the view
    loss = mse(model(np.array([[1.0, -2.0]])), np.zeros((1, 1)))
    loss.backward()
    with pytest.raises(KeyError, match="layer 2's weights are not in this view"):
        draw(loss, view="network", expected={"W2": [[0.0, 0.0]]})
    with pytest.raises(ValueError, match=r"expected shape \(1, 2\), got \(2, 1\)"):
        l2.W = Tensor([[0.4], [0.45]])
    with pytest.raises(TypeError, match="data"):
        l2.b = np.zeros(1)
