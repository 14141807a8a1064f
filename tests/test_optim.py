"""Optimizers against torch.optim (float64): the same trajectories on Value and on Tensor parameters."""

import numpy as np
import pytest
from deltagrad.autograd import Tensor, Value

from deltagrad import nn

CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "dampening": 0.3}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
]
SIZES = [3, 4, 2]
STEPS = 6


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((5, SIZES[0])), rng.standard_normal((5, SIZES[-1]))


def _torch_trajectory(name, kw, state):
    torch = pytest.importorskip("torch")
    X, Y = (torch.tensor(a, dtype=torch.float64) for a in _data())
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in state.items()}
    opt = getattr(torch.optim, name)(list(p.values()), **kw)
    out = []
    for _ in range(STEPS):
        h = torch.tanh(X @ p["layer1.W"].T + p["layer1.b"])
        loss = ((h @ p["layer2.W"].T + p["layer2.b"] - Y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        out.append({k: v.detach().numpy().copy() for k, v in p.items()})
    return out


def _ours(name, kw, net, loss_fn):
    opt = getattr(nn, name)(net.parameters(), **kw)
    out = []
    for _ in range(STEPS):
        loss = loss_fn()
        opt.zero_grad()
        loss.backward()
        opt.step()
        out.append(net.state_dict())
    return out


@pytest.mark.parametrize("engine", ["tensor", "value"])
@pytest.mark.parametrize("name, kw", CASES, ids=[f"{n}-{'-'.join(map(str, k.values()))}" for n, k in CASES])
def test_trajectory_matches_torch(name, kw, engine):
    X, Y = _data()
    ref = nn.MLP(SIZES[0], SIZES[1:], activation="tanh", seed=1)
    expected = _torch_trajectory(name, kw, ref.state_dict())
    if engine == "value":
        net = ref
        loss_fn = lambda: nn.mse([o for x in X for o in net(list(x))], list(Y.ravel()))
    else:
        net = nn.TensorMLP(SIZES[0], SIZES[1:], activation="tanh")
        net.load_state_dict(ref.state_dict())
        loss_fn = lambda: ((net(X) - Y) ** 2).mean()
    for step, (got, want) in enumerate(zip(_ours(name, kw, net, loss_fn), expected), start=1):
        for k in want:
            np.testing.assert_allclose(got[k], want[k], rtol=0, atol=1e-12, err_msg=f"step {step}, {k}")


@pytest.mark.parametrize("opt", [nn.SGD, nn.Adam])
def test_unreached_parameters_and_scalar_grads(opt):
    w, t, lone = Value(2.0), Tensor([1.0, -1.0]), Tensor(np.ones((2, 2)))  # `lone` is never reached
    (w * w).backward()
    (t * t).sum().backward()
    o = opt([w, t, lone], lr=0.1)
    o.step()
    assert type(w.data) is float and w.data < 2.0 and np.all(np.abs(t.data) < 1)
    assert np.array_equal(lone.data, np.ones((2, 2)))
    o.zero_grad()
    assert w.grad is None and t.grad is None and lone.grad is None  # torch's set_to_none=True


def test_tensor_data_is_updated_in_place():
    W = Tensor(np.ones(3))
    arr = W.data
    (W * W).sum().backward()
    nn.Adam([W], lr=0.1).step()
    assert W.data is arr and np.all(arr < 1)


@pytest.mark.parametrize(
    "make, needle",
    [
        (lambda p: nn.SGD([], lr=0.1), "empty parameter list"),
        (lambda p: nn.SGD(p, lr=0.0), "lr must be > 0"),
        (lambda p: nn.SGD(p, lr=0.1, momentum=1.0), "momentum"),
        (lambda p: nn.SGD(p, lr=0.1, weight_decay=-1), "weight_decay"),
        (lambda p: nn.SGD(p, lr=0.1, nesterov=True), "nesterov"),
        (lambda p: nn.Adam(p, betas=(0.9, 1.0)), "betas"),
        (lambda p: nn.Adam(p, eps=-1.0), "eps"),
        (lambda p: nn.Adam([], lr=0.1), "Adam: got an empty"),
    ],
)
def test_bad_options(make, needle):
    with pytest.raises(ValueError, match=needle):
        make([Value(1.0)])
