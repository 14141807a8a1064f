"""The fused MSE node (autograd.mse_loss, used by nn.mse / nn.half_mse on Tensors): values and gradients
against central differences and torch.nn.functional.mse_loss in float64, second order under create_graph."""

import numpy as np
import pytest
from deltagrad.autograd import Tensor, grad, gradcheck, mse_loss
from deltagrad.nn import half_mse, mse

SHAPES = [(), (4,), (4, 1), (3, 4), (2, 3, 4)]


def _pair(shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape), rng.standard_normal(shape)


@pytest.mark.parametrize("scale", [1.0, 0.5])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_against_torch_float64(shape, scale):
    torch = pytest.importorskip("torch")
    p0, t0 = _pair(shape)
    p, t = Tensor(p0), Tensor(t0)
    loss = mse_loss(p, t, scale=scale)
    loss.backward()
    tp = torch.tensor(p0, requires_grad=True)
    tt = torch.tensor(t0, requires_grad=True)
    ref = scale * torch.nn.functional.mse_loss(tp, tt)
    ref.backward()
    np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_against_central_differences(shape):
    p0, t0 = _pair(shape, seed=1)
    report = gradcheck(lambda p, t: mse_loss(p, t, scale=0.5), [Tensor(p0), Tensor(t0)])
    assert report.ok, report


def test_by_hand_numbers():
    # d = (1, 2, 1, -0.5): Σd² = 6.25, L = ½ · 6.25 / 4 = 0.78125, ∂L/∂p = ½ · (2/4) · d
    p = Tensor([[1.0, 3.0], [2.0, 0.5]])
    loss = mse_loss(p, [[0.0, 1.0], [1.0, 1.0]], scale=0.5)
    loss.backward()
    assert loss.item() == 0.78125
    assert p.grad.tolist() == [[0.25, 0.5], [0.25, -0.125]]


def test_second_order_against_torch():
    torch = pytest.importorskip("torch")
    p0, t0 = _pair((3, 2), seed=2)
    v = np.arange(6.0).reshape(3, 2)
    p = Tensor(p0)
    (gp,) = grad(mse(p, Tensor(t0, requires_grad=False)), [p], create_graph=True)
    (hv,) = grad((gp * Tensor(v, requires_grad=False)).sum(), [p])
    tp = torch.tensor(p0, requires_grad=True)
    (tg,) = torch.autograd.grad(torch.nn.functional.mse_loss(tp, torch.tensor(t0)), [tp], create_graph=True)
    (th,) = torch.autograd.grad((tg * torch.tensor(v)).sum(), [tp])
    np.testing.assert_allclose(gp.data, tg.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(hv, th.numpy(), rtol=1e-13)  # (2/N) v


def test_nn_losses_use_one_node_and_keep_float32():
    p = Tensor(np.ones((4, 1), dtype=np.float32))
    for fn in (mse, half_mse):
        loss = fn(p, np.zeros((4, 1)))
        assert loss.op.name == "mse" and loss.dtype == np.float32
    assert mse(p, np.zeros((4, 1)), reduction="sum").op.name != "mse"  # other reductions stay composed


def test_errors_name_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 2\).*\(4,\)"):
        mse_loss(Tensor(np.ones((2, 2))), Tensor(np.ones(4)))
    with pytest.raises(ValueError, match="non-empty"):
        mse_loss(Tensor(np.ones((0, 2))), Tensor(np.ones((0, 2))))
    with pytest.raises(ValueError, match="mse"):
        mse(Tensor(np.ones((2, 2))), np.ones(3))
