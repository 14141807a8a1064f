"""deltagrad bench, Tensor workloads: the hand-written numpy backward is an independent oracle for the engine.

Tiny versions of workloads (e) and (f): deltagrad Tensors must reach the same loss and updated weights
as the hand-written numpy step (PyTorch's agreement is checked in the report itself, and
tests/test_tensor.py compares the ops with torch); the oracle is checked once against finite differences.
"""

from __future__ import annotations

import argparse
import importlib.util

import numpy as np
import pytest

from deltagrad import bench
from deltagrad.bench import mlp as bench_mlp
from deltagrad.bench import tensor as bench_tensor
from deltagrad.bench import xor as bench_xor

TINY = {"sizes": (7, 5, 3), "batch": 6}
TOL = {np.float64: 1e-12, np.float32: 2e-6}


def _close(a: dict, b: dict, rel: float) -> None:
    for k in bench_tensor.KEYS:
        assert a[k].dtype == b[k].dtype, k
        scale = max(1.0, float(np.max(np.abs(b[k]))))
        assert float(np.max(np.abs(a[k].astype(np.float64) - b[k]))) <= rel * scale, k


def test_xor_deltagrad_matches_hand_written_numpy():
    p = bench_xor.xor_init()
    loss, w = bench_xor.xor_numpy(p, 50)
    runs = [bench_xor.xor_deltagrad, bench_xor.xor_deltagrad_ops]
    if importlib.util.find_spec("torch") is not None:
        runs.append(bench_xor.xor_torch)
    for run in runs:
        dloss, dw = run(p, 50)
        assert dloss == pytest.approx(loss, abs=1e-14)
        _close(dw, w, 1e-13)
    assert bench_tensor.max_diff(w, p) > 1e-3, "the epochs changed no weight"
    assert all(np.array_equal(p[k], bench_xor.xor_init()[k]) for k in p), "the engines must not touch the init"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mlp_deltagrad_matches_hand_written_numpy(dtype):
    X, y, p = bench_mlp.mlp_problem(dtype, **TINY)
    (ref, ref_w), (step, params, _) = bench_mlp.mlp_numpy(X, y, p), bench_mlp.mlp_deltagrad(X, y, p)
    for _ in range(3):
        assert step() == pytest.approx(ref(), rel=TOL[dtype])
    _close(params(), ref_w(), TOL[dtype])
    for k in bench_tensor.KEYS:  # the updates themselves agree (not only weights that barely moved)
        upd, ref_upd = params()[k].astype(np.float64) - p[k], ref_w()[k].astype(np.float64) - p[k]
        assert np.max(np.abs(ref_upd)) > 0, k
        assert np.max(np.abs(upd - ref_upd)) <= 100 * TOL[dtype] * np.max(np.abs(ref_upd)), k


def test_mlp_numpy_backward_matches_finite_differences():
    # the oracle's own backward, checked once: the update over lr is the gradient, for every weight of W1 and b2
    X, y, p = bench_mlp.mlp_problem(np.float64, sizes=(4, 3, 3), batch=5, seed=2)
    lr, h = 1e-3, 1e-6

    def loss(q):
        return bench_mlp.mlp_numpy(X, y, q, lr=0.0)[0]()

    _, params = (s := bench_mlp.mlp_numpy(X, y, p, lr=lr))[0](), s[1]
    for k in ("W1", "b2"):
        for i in np.ndindex(p[k].shape):
            qp, qm = {j: v.copy() for j, v in p.items()}, {j: v.copy() for j, v in p.items()}
            qp[k][i] += h
            qm[k][i] -= h
            fd = (loss(qp) - loss(qm)) / (2 * h)
            assert (p[k][i] - params()[k][i]) / lr == pytest.approx(fd, abs=1e-7), (k, i)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mlp_numpy_gradients_first_takes_the_same_steps(dtype):
    # the same arithmetic in another order (every gradient, then every update): the same bits, step after step
    X, y, p = bench_mlp.mlp_problem(dtype, **TINY)
    (now, now_w), (late, late_w) = bench_mlp.mlp_numpy(X, y, p), bench_mlp.mlp_numpy(X, y, p, late=True)
    for _ in range(3):
        assert now() == late()
    assert all(np.array_equal(now_w()[k], late_w()[k]) for k in bench_tensor.KEYS)
    assert bench_tensor.max_diff(late_w(), p) > 0, "the steps changed no weight"


def test_run_only_tensor_quick_report(tmp_path, monkeypatch):
    monkeypatch.setattr(bench_mlp, "MLP_SIZES", TINY["sizes"])
    monkeypatch.setattr(bench_mlp, "MLP_BATCH", TINY["batch"])
    monkeypatch.setitem(bench.QUICK, "xor_round_epochs", 20)
    monkeypatch.setattr(bench_mlp.mlp_problem, "__defaults__", (np.float64, TINY["sizes"], TINY["batch"], 0))
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    out = tmp_path / "RESULTS.md"
    args = parser.parse_args(["--quick", "--only", "tensor", "--skip", "torch", "--output", str(out)])
    assert bench.run(args) == 0
    text = out.read_text()
    for needle in ("## Targets", "## (e)", "## (f)", "| float32 | deltagrad Tensor |", "BLAS", "torch: skipped"):
        assert needle in text
    assert "## (a)" not in text and "(f) float64: one step agrees with numpy" in text
    assert "**not met**" not in text.split("## (e)")[0].split("agrees")[-1]


def test_write_refuses_only():
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    assert bench.run(parser.parse_args(["--write", "--only", "tensor"])) == 2


def test_set_threads_limits_numpys_blas():
    from threadpoolctl import threadpool_info, threadpool_limits

    before = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    with threadpool_limits(limits=None):  # restore whatever the test session had afterwards
        bench_tensor.set_threads(1)
        assert [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"] == [1] * len(before)
        assert "1 thread(s)" in bench_tensor.blas_lines()[0]
