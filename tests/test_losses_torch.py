"""Losses against PyTorch in float64: value and gradient, on random inputs of several shapes, every reduction."""

import numpy as np
import pytest
from deltagrad.autograd import Tensor

from deltagrad import nn

torch = pytest.importorskip("torch")
F = torch.nn.functional

SHAPES = [(1,), (7,), (3, 4), (2, 3, 5)]
REDUCTIONS = ["mean", "sum", "none"]
TOL = {"rtol": 1e-12, "atol": 1e-13}


def _check(ours, theirs, x: np.ndarray, seed_grad: np.ndarray | None = None):
    """Compare loss values, then the gradient of Σ w·loss (w random for 'none') w.r.t. the input."""
    t = Tensor(x)
    xt = torch.tensor(x, requires_grad=True)
    out, ref = ours(t), theirs(xt)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), **TOL)
    w = np.random.default_rng(1).uniform(0.5, 1.5, size=out.shape) if seed_grad is None else seed_grad
    (out * w).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(t.grad, xt.grad.numpy(), **TOL)


def _rng(shape, salt=0):
    return np.random.default_rng(abs(hash((shape, salt))) % 2**32)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name, ours, theirs", [
    ("mse", lambda p, y, r: nn.mse(p, y, reduction=r), lambda p, y, r: F.mse_loss(p, y, reduction=r)),
    ("mae", lambda p, y, r: nn.mae(p, y, reduction=r), lambda p, y, r: F.l1_loss(p, y, reduction=r)),
    ("half_mse", lambda p, y, r: nn.half_mse(p, y, reduction=r), lambda p, y, r: 0.5 * F.mse_loss(p, y, reduction=r)),
    ("huber", lambda p, y, r: nn.huber(p, y, delta=0.7, reduction=r),
     lambda p, y, r: F.huber_loss(p, y, delta=0.7, reduction=r)),
    ("smooth_l1", lambda p, y, r: nn.smooth_l1(p, y, beta=0.6, reduction=r),
     lambda p, y, r: F.smooth_l1_loss(p, y, beta=0.6, reduction=r)),
    ("smooth_l1_beta0", lambda p, y, r: nn.smooth_l1(p, y, beta=0.0, reduction=r),
     lambda p, y, r: F.smooth_l1_loss(p, y, beta=0.0, reduction=r)),
    ("bce_with_logits", lambda p, y, r: nn.binary_cross_entropy_with_logits(p, y, reduction=r),
     lambda p, y, r: F.binary_cross_entropy_with_logits(p, y, reduction=r)),
    ("bce_with_logits_pos_weight", lambda p, y, r: nn.binary_cross_entropy_with_logits(p, y, pos_weight=2.5, reduction=r),
     lambda p, y, r: F.binary_cross_entropy_with_logits(p, y, pos_weight=torch.tensor(2.5, dtype=torch.float64),
                                                        reduction=r)),
])
def test_regression_and_logit_losses(name, ours, theirs, shape, reduction):
    rng = _rng(shape)
    x = rng.normal(scale=2.0, size=shape)
    y = rng.uniform(0, 1, size=shape) if "bce" in name else rng.normal(scale=2.0, size=shape)
    _check(lambda p: ours(p, y, reduction), lambda p: theirs(p, torch.tensor(y), reduction), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("soft", [False, True])
def test_binary_cross_entropy(shape, reduction, soft):
    rng = _rng(shape, 1)
    p = rng.uniform(0.02, 0.98, size=shape)
    y = rng.uniform(0, 1, size=shape) if soft else rng.integers(0, 2, size=shape).astype(float)
    _check(lambda q: nn.binary_cross_entropy(q, y, reduction=reduction),
           lambda q: F.binary_cross_entropy(q, torch.tensor(y), reduction=reduction), p)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_margin_losses(shape, reduction):
    rng = _rng(shape, 2)
    x = rng.normal(scale=2.0, size=shape)
    y = rng.choice([-1.0, 1.0], size=shape)
    ty = torch.tensor(y)
    _check(lambda s: nn.logistic(s, y, reduction=reduction), lambda s: F.soft_margin_loss(s, ty, reduction=reduction), x)

    def torch_hinge(s, square=False):  # PyTorch has no binary hinge: the formula, with relu as ours
        h = torch.relu(1 - ty * s)
        h = h * h if square else h
        return h.mean() if reduction == "mean" else h.sum() if reduction == "sum" else h

    _check(lambda s: nn.hinge(s, y, reduction=reduction), torch_hinge, x)
    _check(lambda s: nn.squared_hinge(s, y, reduction=reduction), lambda s: torch_hinge(s, True), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("alpha", [None, 0.25])
@pytest.mark.parametrize("gamma", [0.0, 2.0, 3.5])
def test_focal_loss_from_logits_is_torchvision_sigmoid_focal_loss(gamma, alpha, reduction):
    rng = _rng((gamma, alpha), 3)
    z = rng.normal(scale=3.0, size=(4, 3))
    y = rng.integers(0, 2, size=(4, 3)).astype(float)

    def torchvision_focal(zt):  # torchvision.ops.sigmoid_focal_loss, written out
        yt = torch.tensor(y)
        p = torch.sigmoid(zt)
        ce = F.binary_cross_entropy_with_logits(zt, yt, reduction="none")
        p_t = p * yt + (1 - p) * (1 - yt)
        loss = ce * (1 - p_t) ** gamma
        if alpha is not None:
            loss = (alpha * yt + (1 - alpha) * (1 - yt)) * loss
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    _check(lambda t: nn.focal_loss(t, y, gamma=gamma, alpha=alpha, from_logits=True, reduction=reduction),
           torchvision_focal, z)
    p = 1 / (1 + np.exp(-z))
    _check(lambda t: nn.focal_loss(t, y, gamma=gamma, alpha=alpha, reduction=reduction),
           lambda pt: torchvision_focal(torch.log(pt) - torch.log1p(-pt)), p)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("n, k", [(1, 2), (4, 3), (6, 5)])
@pytest.mark.parametrize("eps", [0.0, 0.1, 0.35])
def test_cross_entropy_indices_and_soft_targets(n, k, eps, reduction):
    rng = _rng((n, k, eps), 4)
    z = rng.normal(scale=3.0, size=(n, k))
    y = rng.integers(0, k, size=n)
    _check(lambda t: nn.cross_entropy(t, y, label_smoothing=eps, reduction=reduction),
           lambda t: F.cross_entropy(t, torch.tensor(y), label_smoothing=eps, reduction=reduction), z)
    probs = rng.dirichlet(np.ones(k), size=n)
    _check(lambda t: nn.cross_entropy(t, probs, label_smoothing=eps, reduction=reduction),
           lambda t: F.cross_entropy(t, torch.tensor(probs), label_smoothing=eps, reduction=reduction), z)
    _check(lambda t: nn.cross_entropy(t[0], int(y[0]), label_smoothing=eps, reduction=reduction),  # one sample (K,)
           lambda t: F.cross_entropy(t[0], torch.tensor(int(y[0])), label_smoothing=eps, reduction=reduction), z)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("n, k", [(1, 2), (5, 4)])
def test_nll_and_multi_margin(n, k, reduction):
    rng = _rng((n, k), 5)
    z = rng.normal(scale=2.0, size=(n, k))
    y = rng.integers(0, k, size=n)
    ty = torch.tensor(y)
    lp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    _check(lambda t: nn.nll_loss(t, y, reduction=reduction), lambda t: F.nll_loss(t, ty, reduction=reduction), lp)
    for p in (1, 2):
        for margin in (1.0, 0.3):
            _check(lambda t, p=p, m=margin: nn.multi_margin(t, y, margin=m, p=p, reduction=reduction),
                   lambda t, p=p, m=margin: F.multi_margin_loss(t, ty, p=p, margin=m, reduction=reduction), z)


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
@pytest.mark.parametrize("reduction", ["batchmean", "mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(1, 3), (4, 5), (2, 3, 4)])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(shape, reduction, log_target):
    rng = _rng(shape, 6)
    logq = np.log(rng.dirichlet(np.ones(shape[-1]), size=shape[:-1]))
    p = rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])
    if not log_target:
        p.reshape(-1)[::3] = 0.0  # zero targets: 0·log 0 = 0, in torch as here (torch: nan for log p = -inf)
    target = np.log(p) if log_target else p
    _check(lambda t: nn.kl_div(t, target, reduction=reduction, log_target=log_target),
           lambda t: F.kl_div(t, torch.tensor(target), reduction=reduction, log_target=log_target), logq)
