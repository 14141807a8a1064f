"""Random Tensor programs with shared sub-expressions, views and hooks: the lean sweep against three checks.

1. Adopting gradient arrays changes no number: every node's gradient equals, bit for bit, the one
   computed with adoption switched off (every gradient copied).
2. No two nodes, and no node and a hook's kept array, share gradient memory.
3. The leaves' gradients equal PyTorch's in float64 (the independent oracle), where torch is installed.
"""

from __future__ import annotations

import itertools

import deltagrad.autograd.sweep as sweep_module
import numpy as np
import pytest
from deltagrad.autograd import Tensor, topo_order
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SHAPES = [(3, 4), (1, 4), (4,), ()]  # all broadcast together to (3, 4)
UNARY = ["tanh", "sigmoid", "relu", "neg", "sumrows", "viewT", "plus1"]
BINARY = ["add", "sub", "mul"]
steps = st.lists(
    st.tuples(st.sampled_from(UNARY + BINARY), st.integers(0, 99), st.integers(0, 99), st.booleans()),
    min_size=1, max_size=14,
)


def _run(prog, leaves, lib):
    """Build the program on ``leaves`` (deltagrad Tensors or torch tensors); returns (loss, nodes, hooked)."""
    nodes, hooked, used = list(leaves), [], set()
    for op, i, j, hook in prog:
        i, j = i % len(nodes), j % len(nodes)
        x, y = nodes[i], nodes[j]
        used.update((i, j) if op in BINARY else (i,))
        if op == "tanh":
            z = x.tanh()
        elif op == "sigmoid":
            z = x.sigmoid()
        elif op == "relu":  # its VJP is compiled in place into the incoming gradient where that is safe
            z = x.relu()
        elif op == "neg":
            z = -x
        elif op == "sumrows":  # (3, 4) -> (1, 4); other shapes pass through a mul by 0.5
            z = x.sum(axis=0, keepdims=True) if tuple(x.shape) == (3, 4) else x * 0.5
        elif op == "viewT":  # reshape and transpose: VJPs that return views of the incoming gradient
            z = x.reshape(4, 3).T if tuple(x.shape) == (3, 4) else x * 1.5
        elif op == "plus1":  # add passes its gradient through unchanged
            z = x + 1.0
        elif op == "add":
            z = x + y
        elif op == "sub":
            z = x - y
        else:
            z = x * y
        if hook and lib == "deltagrad":
            kept = []
            z.register_hook(kept.append)  # keeps the gradient it is shown: that array must stay unshared
            hooked.append((z, kept))
        nodes.append(z)
    # the loss sums the outputs (nodes no later step used), so inner nodes have a single consumer
    # and pass-through gradients (add, views) reach them unsummed
    outs = [z for k, z in enumerate(nodes) if k >= len(leaves) and k not in used]
    loss = outs[0].sum()
    for z in outs[1:]:
        loss = loss + z.sum()
    return loss, nodes, hooked


def _leaf_values(seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.5, 1.5, s) for s in SHAPES]


def _deltagrad(prog, seed):
    leaves = [Tensor(v, label=f"x{k}") for k, v in enumerate(_leaf_values(seed))]
    loss, nodes, hooked = _run(prog, leaves, "deltagrad")
    loss.backward()
    return loss, nodes, hooked


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps, st.integers(0, 2**16))
def test_adoption_changes_no_number_and_shares_no_memory(prog, seed):
    loss, nodes, hooked = _deltagrad(prog, seed)
    adopted = [np.array(n.grad) for n in nodes]
    arrays = [n.grad for n in topo_order(loss) if isinstance(n.grad, np.ndarray)]
    arrays += [k for _, kept in hooked for k in kept]
    for a, b in itertools.combinations(arrays, 2):
        assert not np.shares_memory(a, b)
    shown = [[np.array(k) for k in kept] for _, kept in hooked]
    loss.backward()  # accumulates in place into the grads: what the hooks kept must not move
    for before, (_, kept) in zip(shown, hooked):
        assert all(np.array_equal(s, k) for s, k in zip(before, kept))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sweep_module, "getrefcount", lambda x: -1)
        _, copied_nodes, _ = _deltagrad(prog, seed)
    for a, n in zip(adopted, copied_nodes):
        np.testing.assert_array_equal(a, np.array(n.grad))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps, st.integers(0, 2**16))
def test_leaf_gradients_match_torch_float64(prog, seed):
    torch = pytest.importorskip("torch")
    loss, nodes, _ = _deltagrad(prog, seed)
    tleaves = [torch.tensor(v, requires_grad=True) for v in _leaf_values(seed)]
    tloss, _, _ = _run(prog, tleaves, "torch")
    tloss.backward()
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-12, atol=1e-12)
    for x, tx in zip(nodes[: len(SHAPES)], tleaves):
        if tx.grad is None:  # a leaf the loss does not reach: torch's None, our 0.0
            assert isinstance(x.grad, float) and x.grad == 0.0
        else:
            np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
