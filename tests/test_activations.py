"""Activations: function and module forms on Values, lists and Tensors; against PyTorch; numerics; MLP names."""

import math

import numpy as np
import pytest
from deltagrad.autograd import Tensor, Value
from deltagrad.nn.module import Module

from deltagrad import nn

FUNCS = {
    "sigmoid": (nn.sigmoid, nn.Sigmoid(), "sigmoid", {}),
    "tanh": (nn.tanh, nn.Tanh(), "tanh", {}),
    "relu": (nn.relu, nn.ReLU(), "relu", {}),
    "leaky_relu": (lambda x: nn.leaky_relu(x, 0.2), nn.LeakyReLU(0.2), "leaky_relu", {"negative_slope": 0.2}),
    "elu": (lambda x: nn.elu(x, 0.5), nn.ELU(0.5), "elu", {"alpha": 0.5}),
    "gelu": (nn.gelu, nn.GELU(), "gelu", {}),
    "softplus": (nn.softplus, nn.Softplus(), "softplus", {}),
    "identity": (nn.identity, nn.Identity(), None, {}),
}
X = [-3.0, -0.5, 0.0, 0.7, 2.5]


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_function_and_module_agree_on_value_list_and_tensor(name):
    fn, mod, _, _ = FUNCS[name]
    assert isinstance(mod, Module) and mod.parameters() == [] and type(mod).__name__ in repr(mod)
    scalars = [fn(Value(x)).data for x in X]
    listed = [v.data for v in fn([Value(x) for x in X])]
    nested = [[v.data for v in row] for row in mod([[Value(x) for x in X[:2]], [Value(x) for x in X[2:]]])]
    tensor = mod(Tensor(X)).data
    assert scalars == listed == nested[0] + nested[1]
    np.testing.assert_allclose(tensor, scalars, rtol=1e-15, atol=0)


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_activations_match_torch_value_and_gradient(name):
    torch = pytest.importorskip("torch")
    fn, _, tname, kw = FUNCS[name]
    t = Tensor(X)
    out = fn(t)
    out.backward(np.ones(len(X)))
    xt = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    ref = getattr(torch.nn.functional, tname)(xt, **kw) if tname else xt * 1.0
    ref.sum().backward()
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-14, atol=1e-15)
    if name != "identity":  # identity returns its input: no graph of its own
        np.testing.assert_allclose(t.grad, xt.grad.numpy(), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("name, axis", [("softmax", -1), ("log_softmax", -1), ("softmax", 0), ("log_softmax", 0)])
def test_softmax_family_matches_torch(name, axis):
    torch = pytest.importorskip("torch")
    z = np.random.default_rng(0).normal(scale=3, size=(3, 4))
    w = np.random.default_rng(1).normal(size=(3, 4))
    mod = (nn.Softmax if name == "softmax" else nn.LogSoftmax)(axis)
    t = Tensor(z)
    out = mod(t)
    (out * w).sum().backward()
    zt = torch.tensor(z, requires_grad=True)
    ref = getattr(torch, name)(zt, dim=axis)
    (ref * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(t.grad, zt.grad.numpy(), rtol=1e-12, atol=1e-14)
    if axis == -1:  # the Value form, row by row, gives the same numbers and gradients
        vs = [[Value(float(v)) for v in row] for row in z]
        outs = getattr(nn, name)(vs)
        from deltagrad import autograd
        autograd.sum([wi * o for wr, orow in zip(w, outs) for wi, o in zip(wr, orow)]).backward()
        np.testing.assert_allclose([[o.data for o in r] for r in outs], out.data, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose([[v.grad for v in r] for r in vs], t.grad, rtol=1e-12, atol=1e-14)


def test_softmax_family_is_stable_at_1e4():
    for fn in (nn.softmax, nn.log_softmax):
        vs = [Value(1e4), Value(-1e4), Value(0.0)]
        out = fn(vs)
        assert all(math.isfinite(o.data) for o in out)
        t = Tensor([[1e4, -1e4, 0.0]])
        assert np.isfinite(fn(t).data).all()
    assert nn.log_softmax([Value(1e4), Value(-1e4)])[1].data == -2e4
    assert [v.data for v in nn.softmax([Value(1e4), Value(-1e4)])] == [1.0, 0.0]


def test_softmax_errors():
    with pytest.raises(TypeError, match="softmax: expected a non-empty list"):
        nn.softmax(Value(1.0))
    with pytest.raises(ValueError, match="only axis=-1"):
        nn.log_softmax([Value(1.0)], axis=0)
    with pytest.raises(TypeError, match="relu: expected a Value"):
        nn.relu("x")


def test_numbers_become_constant_values_and_identity_is_the_input():
    out = nn.relu([1.0, -1.0])
    assert [v.data for v in out] == [1.0, 0.0] and not out[0].requires_grad
    t = Tensor([1.0])
    assert nn.identity(t) is t and nn.Identity()(t) is t


def test_mlp_names_still_work():
    assert set(nn.ACTIVATIONS) >= {"relu", "tanh", "sigmoid", "softplus", "gelu", "elu", "leaky_relu", "linear"}
    assert nn.activation_fn("tanh")(Value(0.5)).data == pytest.approx(math.tanh(0.5))
    with pytest.raises(ValueError, match="unknown activation"):
        nn.activation_fn("swish")
    net = nn.MLP(2, [3, 1], activation="gelu", seed=0)
    assert isinstance(net([0.1, 0.2]), Value)
