"""Losses and activations: finite differences (gradcheck), the documented side at each kink, Value == Tensor."""

import math

import numpy as np
import pytest
from deltagrad.autograd import Tensor, Value, gradcheck

from deltagrad import autograd, nn


def _reg(rng):
    return rng.normal(scale=1.5, size=(3, 4)), rng.normal(scale=1.5, size=(3, 4))


def _prob(rng):
    return rng.uniform(0.05, 0.95, size=(3, 4)), rng.uniform(0, 1, size=(3, 4))


def _logit(rng):
    return rng.normal(scale=2.0, size=(3, 4)), rng.uniform(0, 1, size=(3, 4))


def _margin(rng):
    return rng.normal(scale=2.0, size=(3, 4)), rng.choice([-1.0, 1.0], size=(3, 4))


def _classes(rng):
    return rng.normal(scale=2.0, size=(3, 4)), rng.integers(0, 4, size=3)


def _soft(rng):
    return rng.normal(scale=2.0, size=(3, 4)), rng.dirichlet(np.ones(4), size=3)


def _kl(rng):
    return np.log(rng.dirichlet(np.ones(4), size=3)), np.array([[0.5, 0.5, 0.0, 0.0], *rng.dirichlet(np.ones(4), 2)])


def _r(loss):
    return lambda x, t, r: loss(x, t, reduction=r)


# name -> (inputs, loss(x, target, reduction)); every loss of nn, some twice with options
LOSSES = {
    "mse": (_reg, _r(nn.mse)),
    "half_mse": (_reg, _r(nn.half_mse)),
    "mae": (_reg, _r(nn.mae)),
    "rmse": (_reg, _r(nn.rmse)),
    "mbe": (_reg, _r(nn.mbe)),
    "huber": (_reg, lambda x, t, r: nn.huber(x, t, delta=0.8, reduction=r)),
    "smooth_l1": (_reg, lambda x, t, r: nn.smooth_l1(x, t, beta=0.8, reduction=r)),
    "log_cosh": (_reg, _r(nn.log_cosh)),
    "quantile": (_reg, lambda x, t, r: nn.quantile(x, t, q=0.3, reduction=r)),
    "binary_cross_entropy": (_prob, _r(nn.binary_cross_entropy)),
    "binary_cross_entropy_with_logits": (_logit, _r(nn.binary_cross_entropy_with_logits)),
    "focal_loss": (_prob, lambda x, t, r: nn.focal_loss(x, t, gamma=2.0, alpha=0.3, reduction=r)),
    "focal_loss_logits": (_logit, lambda x, t, r: nn.focal_loss(x, t, gamma=1.5, from_logits=True, reduction=r)),
    "hinge": (_margin, _r(nn.hinge)),
    "squared_hinge": (_margin, _r(nn.squared_hinge)),
    "logistic": (_margin, _r(nn.logistic)),
    "cross_entropy": (_classes, _r(nn.cross_entropy)),
    "cross_entropy_smoothed": (_classes, lambda x, t, r: nn.cross_entropy(x, t, label_smoothing=0.2, reduction=r)),
    "cross_entropy_soft": (_soft, _r(nn.cross_entropy)),
    "nll_loss": (_classes, _r(nn.nll_loss)),
    "kl_div": (_kl, _r(nn.kl_div)),
    "multi_margin": (_classes, lambda x, t, r: nn.multi_margin(x, t, p=2, margin=0.7, reduction=r)),
}


def _inputs(name, seed=0):
    rng = np.random.default_rng(seed + sum(map(ord, name)))
    return LOSSES[name][0](rng)


def _target_for_values(t):
    return t.tolist()


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_gradcheck_value_form(name):
    x, t = _inputs(name)
    loss = LOSSES[name][1]
    shape = x.shape

    def f(*xs):
        rows = [list(xs[i * shape[1]:(i + 1) * shape[1]]) for i in range(shape[0])]
        return loss(rows, _target_for_values(t), "mean")

    gradcheck(f, x.reshape(-1).tolist(), atol=1e-7, rtol=1e-5)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_values_and_tensor_give_the_same_loss_and_gradients(name, reduction):
    x, t = _inputs(name, seed=1)
    loss = LOSSES[name][1]
    vs = [[Value(float(v)) for v in row] for row in x]
    out_v = loss(vs, _target_for_values(t), reduction)
    tx = Tensor(x)
    out_t = loss(tx, t, reduction)
    if reduction == "none":
        flat = [v for v in (out_v if isinstance(out_v, list) else [out_v]) for v in (v if isinstance(v, list) else [v])]
        np.testing.assert_allclose([v.data for v in flat], out_t.data.reshape(-1), rtol=1e-12, atol=1e-12)
        w = np.linspace(0.5, 1.5, len(flat))
        autograd.sum([wi * v for wi, v in zip(w, flat)]).backward()
        (out_t * w.reshape(out_t.shape)).sum().backward()
    else:
        assert out_v.data == pytest.approx(out_t.item(), rel=1e-12, abs=1e-12)
        out_v.backward()
        out_t.backward()
    np.testing.assert_allclose([[v.grad for v in row] for row in vs], tx.grad, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ kinks: the documented side


def _grad_at(loss, p, y):
    v = Value(p)
    loss([v], [y]).backward()
    return v.grad


def _one_sided(loss, p, y, side, h=1e-7):
    f = lambda q: loss([Value(q)], [y]).data
    return (f(p + h) - f(p)) / h if side > 0 else (f(p) - f(p - h)) / h


@pytest.mark.parametrize("delta", [1.0, 0.5])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_huber_at_delta_is_smooth(delta, sign):
    # |e| = δ: both branches have slope ∓δ, so central differences agree exactly
    gradcheck(lambda p: nn.huber([p], [0.0], delta=delta), [sign * delta])
    assert _grad_at(lambda p, y: nn.huber(p, y, delta=delta), sign * delta, 0.0) == sign * delta
    assert _grad_at(lambda p, y: nn.smooth_l1(p, y, beta=delta), sign * delta, 0.0) == sign


def test_quantile_at_zero_error_takes_the_side_yhat_below_y():
    q = 0.7
    loss = lambda p, y: nn.quantile(p, y, q=q)
    g = _grad_at(loss, 2.0, 2.0)
    assert g == -q  # documented: the derivative from the side ŷ < y
    assert g == pytest.approx(_one_sided(loss, 2.0, 2.0, side=-1), abs=1e-6)
    assert _one_sided(loss, 2.0, 2.0, side=+1) == pytest.approx(1 - q, abs=1e-6)  # the other side differs
    t = Tensor([2.0])
    loss(t, [2.0]).backward()
    assert t.grad.tolist() == [-q]


@pytest.mark.parametrize("y", [1.0, -1.0])
def test_hinge_at_the_margin_takes_the_flat_side(y):
    s = y  # y·ŷ = 1
    assert _grad_at(nn.hinge, s, y) == 0.0
    assert _one_sided(nn.hinge, s, y, side=y) == 0.0  # beyond the margin the loss is flat
    assert _grad_at(nn.squared_hinge, s, y) == 0.0
    gradcheck(lambda p: nn.squared_hinge([p], [y]), [s])  # differentiable there


def test_mae_and_multi_margin_at_their_kinks():
    assert _grad_at(nn.mae, 1.5, 1.5) == 0.0  # sign(0) = 0, as torch's l1_loss
    s = [Value(0.0), Value(1.0)]  # margin − s_y + s_0 = 1 − 1 + 0 = 0: at the hinge
    nn.multi_margin([s], [1]).backward()
    assert [v.grad for v in s] == [0.0, 0.0]


def test_rmse_at_a_perfect_fit_is_nan_like_torch():
    v = Value(1.0)
    nn.rmse([v], [1.0]).backward()
    assert math.isnan(v.grad)


# ------------------------------------------------------------------ activations


ELEMENTWISE = {
    "sigmoid": nn.sigmoid, "tanh": nn.tanh, "relu": nn.relu, "leaky_relu": lambda x: nn.leaky_relu(x, 0.1),
    "elu": lambda x: nn.elu(x, 0.7), "gelu": nn.gelu, "softplus": nn.softplus, "identity": nn.identity,
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_gradcheck_activations(name):
    g = ELEMENTWISE[name]
    for x in (-2.3, -0.4, 0.3, 1.7):
        gradcheck(lambda v: g(v) * 1.0, [x])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_gradcheck_softmax_family(name):
    fn = getattr(nn, name)
    w = [0.3, -1.2, 2.0, 0.7]
    gradcheck(lambda *z: autograd.sum([wi * s for wi, s in zip(w, fn(list(z)))]), [0.5, -1.0, 2.0, 0.1])
