"""The lean backward sweep on Tensors: gradient arrays are adopted only when nothing else refers to them.

PyTorch's AccumulateGrad rule, checked from the outside: after backward() no two nodes share gradient
memory, a gradient array never aliases an array the caller or a hook still holds, and repeated
backward() calls still accumulate exactly. Expected values are worked out by hand in each test.
"""

import itertools

import deltagrad.autograd.sweep as sweep_module
import numpy as np
import pytest
from deltagrad.autograd import Tensor, topo_order


@pytest.fixture(autouse=True, params=["adopt", "always copy"])
def _mode(request, monkeypatch):
    # every test runs twice: with adoption, and as on interpreters where it is off (copy every gradient)
    if request.param == "always copy":
        monkeypatch.setattr(sweep_module, "getrefcount", lambda x: -1)


def _assert_no_shared_grads(root):
    grads = [n.grad for n in topo_order(root) if isinstance(n.grad, np.ndarray)]
    for a, b in itertools.combinations(grads, 2):
        assert not np.shares_memory(a, b)


def test_pass_through_gradients_are_not_shared():
    # c = a + b passes dL/dc to both a and b unchanged; each must get its own array
    x = Tensor([1.0, 2.0, 3.0])
    a, b = x * 2.0, x * 3.0
    c = a + b
    loss = (c * c).sum()  # dL/dc = 2c = 10x
    loss.backward()
    np.testing.assert_array_equal(c.grad, [10.0, 20.0, 30.0])
    np.testing.assert_array_equal(a.grad, [10.0, 20.0, 30.0])
    np.testing.assert_array_equal(b.grad, [10.0, 20.0, 30.0])
    np.testing.assert_array_equal(x.grad, [50.0, 100.0, 150.0])  # 2·10x + 3·10x
    _assert_no_shared_grads(loss)
    a.grad[0] = -1.0  # mutating one node's gradient leaves the others alone
    assert c.grad[0] == 10.0 and b.grad[0] == 10.0


def test_view_gradients_are_copied_not_aliased():
    x = Tensor(np.arange(6.0))
    y = x.reshape(2, 3)  # the VJP of reshape returns a view of dL/dy
    t = y.T
    loss = (t * Tensor(np.arange(6.0).reshape(3, 2), requires_grad=False)).sum()
    loss.backward()
    np.testing.assert_array_equal(x.grad, [0.0, 2.0, 4.0, 1.0, 3.0, 5.0])
    _assert_no_shared_grads(loss)


def test_same_parent_twice_accumulates_both_edges():
    x = Tensor([1.0, -2.0])
    z = x + x
    z.backward(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [6.0, 8.0])
    assert not np.shares_memory(x.grad, z.grad)


def test_caller_seed_is_never_adopted():
    x = Tensor([1.0, 2.0])
    y = x * 3.0
    seed = np.array([1.0, 1.0])
    y.backward(seed)
    seed[:] = 100.0  # the caller reuses its array
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_hook_that_keeps_the_gradient_sees_it_unchanged_later():
    kept = []
    x = Tensor([1.0, 2.0])
    h = x * 2.0
    h.register_hook(lambda g: kept.append(g))
    loss = (h * h).sum()  # dL/dh = 2h = 4x
    loss.backward()
    loss2 = (x * 2.0 * (x * 2.0)).sum()
    loss2.backward()  # a second sweep must not write into the array the hook kept
    np.testing.assert_array_equal(kept[0], [4.0, 8.0])
    assert not np.shares_memory(kept[0], h.grad)


def test_repeated_backward_accumulates_on_leaves_and_interior_nodes():
    x = Tensor([1.0, 2.0])
    y = x * x
    loss = y.sum()
    loss.backward()
    loss.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])  # 2 × 2x
    np.testing.assert_array_equal(y.grad, [2.0, 2.0])
    np.testing.assert_array_equal(loss.grad, 2.0)


def test_zero_grad_releases_the_array_like_set_to_none():
    W = Tensor([[1.0, 2.0]])
    (W * 3.0).sum().backward()
    old = W.grad
    W.zero_grad()
    assert W.grad == 0.0 and isinstance(W.grad, float)
    (W * 5.0).sum().backward()
    np.testing.assert_array_equal(W.grad, [[5.0, 5.0]])
    np.testing.assert_array_equal(old, [[3.0, 3.0]])  # a reference kept by the caller keeps its values


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_zero_d_gradients_are_arrays_of_the_tensor_dtype(dtype):
    x = Tensor(2.0, dtype=dtype)
    y = x * x
    y.backward()
    assert isinstance(x.grad, np.ndarray) and x.grad.shape == () and x.grad.dtype == dtype
    assert isinstance(y.grad, np.ndarray) and y.grad.shape == ()
    assert float(x.grad) == 4.0



def test_a_leaf_hook_returning_an_array_it_keeps_does_not_hand_it_to_the_leaf():
    const = np.array([10.0, 20.0, 30.0])
    x = Tensor([1.0, 2.0, 3.0])
    x.register_hook(lambda g: const)  # replaces the gradient by an array the caller owns
    (x * 2.0).sum().backward()
    (x * 2.0).sum().backward()  # accumulates into x.grad: const must not be that array
    np.testing.assert_array_equal(const, [10.0, 20.0, 30.0])
    np.testing.assert_array_equal(x.grad, [20.0, 40.0, 60.0])
    root = Tensor([1.0, 2.0])
    kept = {}
    root.register_hook(lambda g: kept.setdefault("r", g + 1.0))
    root.backward(np.ones(2))
    assert not np.shares_memory(root.grad, kept["r"])


def test_a_hook_never_sees_an_array_that_is_another_nodes_grad():
    # c = a + 1 passes dL/dc to a unchanged; c keeps that array as its grad, so a's hook must get a copy
    x = Tensor([1.0, 2.0])
    a = x * 2.0
    seen = []
    a.register_hook(seen.append)
    c = a + 1.0
    loss = (c * Tensor([3.0, 4.0], requires_grad=False)).sum()
    loss.backward()
    loss.backward()  # accumulates into c.grad in place
    np.testing.assert_array_equal(seen[0], [3.0, 4.0])
    np.testing.assert_array_equal(c.grad, [6.0, 8.0])


def test_a_float32_leaf_keeps_a_float32_grad_next_to_float64_constants():
    # torch casts a leaf's gradient to the leaf's dtype; so do we
    w = Tensor(np.ones(3, dtype=np.float32))
    (w * np.array([1.0, 2.0, 3.0])).sum().backward()  # the product is float64
    assert w.grad.dtype == np.float32
    np.testing.assert_array_equal(w.grad, [1.0, 2.0, 3.0])


@pytest.mark.parametrize("reduce", ["mean", "sum"])
@pytest.mark.parametrize("axis", [0, -1])
def test_reducing_a_zero_d_tensor_over_axis_0_like_torch(reduce, axis):
    x = Tensor(2.0)  # torch.tensor(2.).mean(dim=0) is 2.0 with gradient 1.0
    y = getattr(x, reduce)(axis=axis)
    y.backward()
    assert y.item() == 2.0 and float(x.grad) == 1.0


def test_anomaly_mode_and_create_graph_give_the_same_gradients_and_types():
    from deltagrad.autograd import detect_anomaly

    for mode in ("plain", "anomaly"):
        w = Tensor(np.ones(3, dtype=np.float32))
        s = Tensor(2.0)
        loss = (w * np.array([1.0, 2.0, 3.0])).sum() * s
        if mode == "anomaly":
            with detect_anomaly():
                loss.backward()
        else:
            loss.backward()
        assert w.grad.dtype == np.float32 and w.grad.tolist() == [2.0, 4.0, 6.0], mode
        assert isinstance(s.grad, np.ndarray) and s.grad.shape == () and float(s.grad) == 6.0, mode
