"""Regressions found in review, each against an independent oracle (numpy by hand or PyTorch float64)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from deltagrad.autograd import AnomalyError, Tensor, Value, detect_anomaly

from deltagrad import autograd


@pytest.mark.parametrize("axes", [(-1, 0, 1), (0, -1, 1), (2, 0, -2)])
def test_transpose_negative_axes_gradient_has_the_input_shape(axes):
    rng = np.random.default_rng(0)
    a, r = rng.standard_normal((2, 3, 4)), None
    x = Tensor(a)
    y = x.transpose(axes)
    norm = tuple(ax % 3 for ax in axes)
    assert y.shape == np.transpose(a, norm).shape
    r = rng.standard_normal(y.shape)
    (y * r).sum().backward()
    # d/dx Σ r ⊙ xᵀ = r transposed back by the inverse permutation
    np.testing.assert_array_equal(x.grad, np.transpose(r, np.argsort(norm)))


def test_where_with_a_number_keeps_float32():
    x = Tensor(np.ones(3, dtype=np.float32))
    y = autograd.where(np.array([True, False, True]), x, 0.0)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [1.0, 0.0, 1.0]


def test_create_graph_keeps_the_seed_tensors_graph():
    x, v = Tensor([1.0, 2.0]), Tensor([3.0, 4.0])
    (gx,) = autograd.grad(x * x, [x], grad_output=v, create_graph=True)  # gx = 2 x v
    (gv,) = autograd.grad(gx.sum(), [v])
    assert gv.tolist() == [2.0, 4.0]  # d/dv Σ 2 x v = 2 x


def test_anomaly_message_shows_values_not_buffers():
    x = Tensor([0.0, 1.0])
    with detect_anomaly(), pytest.raises(AnomalyError) as err:
        (x.sqrt() * x).sum().backward()
    msg = str(err.value)
    assert "array([nan, 0.5])" in msg and "<memory" not in msg


def test_nan_in_maximum_sends_the_gradient_to_the_selected_argument():
    a, b = Value(math.nan), Value(1.0)
    m = autograd.maximum(a, b)
    m.backward()
    assert math.isnan(m.data) and (a.grad, b.grad) == (1.0, 0.0)
    ta, tb = Tensor([math.nan, 0.0]), Tensor([1.0, 2.0])
    autograd.maximum(ta, tb).sum().backward()
    assert ta.grad.tolist() == [1.0, 0.0] and tb.grad.tolist() == [0.0, 1.0]


def test_bad_index_and_axis_errors():
    x = Tensor([1.0, 2.0, 3.0])
    with pytest.raises(IndexError, match="non-integer"):
        x[Tensor([1.7])]
    assert x[Tensor([2.0, 0.0])].data.tolist() == [3.0, 1.0]
    with pytest.raises(ValueError, match="axis=None"):
        autograd.concatenate([x, x], axis=None)
    with pytest.raises(ValueError, match="lo <= hi"):
        x.clip(math.nan, 1.0)


def test_numpy_scalar_seeds_and_grad_of_a_constant():
    v = Value(2.0)
    (v * v).backward(np.float32(0.5))
    assert v.grad == 2.0
    c = Value(1.0, requires_grad=False)
    with pytest.raises(RuntimeError, match="does not require grad"):
        autograd.grad(v * c, [c])


def test_multi_margin_keeps_float32():
    from deltagrad import nn
    s = Tensor(np.array([[0.1, 0.9, 0.3]], dtype=np.float32))
    loss = nn.multi_margin(s, [1])
    assert loss.dtype == np.float32


def test_logsumexp_over_an_empty_axis_is_minus_inf_like_torch():
    # torch.logsumexp(torch.zeros(0, 3), dim=0) is [-inf, -inf, -inf]; over dim=1 it is empty
    x = Tensor(np.zeros((0, 3)))
    out = x.logsumexp(axis=0)
    assert out.shape == (3,) and np.all(np.isneginf(out.data))
    assert x.logsumexp(axis=1).shape == (0,)
    out.sum().backward()
    assert x.grad.shape == (0, 3)
