"""deltagrad bench: the hand-written float step is an independent oracle for the engine's step, and the report runs."""

from __future__ import annotations

import argparse
import os
import re

import pytest

from deltagrad import bench
from deltagrad.bench import scalar as bench_scalar


def _steps(engine: str, n: int = 6):
    xs, ys = bench_scalar.two_moons(n, seed=1)
    W, B = bench_scalar.init_weights(seed=3)
    step, params = bench_scalar.ENGINES[engine][0](W, B)
    losses = [step(x, y) for x, y in zip(xs, ys)]
    return losses, params()


@pytest.mark.parametrize("engine", ["deltagrad", "deltagrad unfused"])
def test_floor_and_engine_agree_step_by_step(engine):
    floor_losses, floor_params = _steps("plain-float floor")
    losses, params = _steps(engine)
    assert any(v > 0 for v in floor_losses), "hinge inactive everywhere: the test would check no gradient"
    assert losses == pytest.approx(floor_losses, abs=1e-12)
    assert params == pytest.approx(floor_params, abs=1e-12)
    assert params != bench_scalar.flat(*bench_scalar.init_weights(seed=3)), "the steps changed no weight"


def test_floor_and_micrograd_agree():
    pytest.importorskip("micrograd")
    floor_losses, floor_params = _steps("plain-float floor")
    losses, params = _steps("micrograd 0.1.0")
    assert losses == pytest.approx(floor_losses, abs=1e-12)
    assert params == pytest.approx(floor_params, abs=1e-12)


def test_floor_step_matches_finite_differences():
    # the oracle's own backward, checked once: loss(w + h) - loss(w - h) over 2h for one weight
    xs, ys = bench_scalar.two_moons(4, seed=1)
    W, B = bench_scalar.init_weights(seed=3)
    loss = lambda W: bench_scalar.floor_step([[list(w) for w in Wl] for Wl in W], [list(b) for b in B], xs[0], ys[0], lr=0.0)
    h, lr = 1e-6, 1e-3
    Wp = [[list(w) for w in Wl] for Wl in W]
    Wp[0][3][1] += h
    Wm = [[list(w) for w in Wl] for Wl in W]
    Wm[0][3][1] -= h
    fd = (loss(Wp) - loss(Wm)) / (2 * h)
    W2, B2 = [[list(w) for w in Wl] for Wl in W], [list(b) for b in B]
    bench_scalar.floor_step(W2, B2, xs[0], ys[0], lr=lr)
    assert (W[0][3][1] - W2[0][3][1]) / lr == pytest.approx(fd, abs=1e-6)


def test_run_quick_writes_report(tmp_path, monkeypatch):
    monkeypatch.setitem(bench.QUICK, "n", 200)
    monkeypatch.setitem(bench.QUICK, "shallow", 100)
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    out = tmp_path / "RESULTS.md"
    args = parser.parse_args(["--quick", "--only", "scalar", "--skip", "micrograd", "--skip", "torch", "--output", str(out)])
    assert bench.run(args) == 0
    text = out.read_text()
    for heading in ("## Targets", "## (a)", "## (b)", "## (c)", "## (d)", "plain-float floor", "micrograd: skipped"):
        assert heading in text
    assert "| deltagrad | MLP sample + hinge loss |" in text


# ---------------------------------------------------------------- bad options fail before the (minutes-long) run


@pytest.fixture
def no_run(monkeypatch):
    """Make running the workloads an error: these options must be refused before it."""
    def boom(*a, **k):
        raise AssertionError("the benchmarks ran before the bad option was refused")
    monkeypatch.setattr(bench, "report", boom)


def _main(capsys, *argv):
    from deltagrad.cli import main

    rc = main(["bench", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize("n", ["0", "-1", "two"])
def test_threads_must_be_a_positive_integer(n, capsys, no_run):
    rc, out, err = _main(capsys, "--quick", "--threads", n)
    assert rc == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("deltagrad: error: argument --threads: expected a positive integer") and "Traceback" not in err


def test_output_in_a_missing_directory_fails_up_front(tmp_path, capsys, no_run):
    target = tmp_path / "nonexistent" / "dir" / "x.md"
    rc, out, err = _main(capsys, "--quick", "--output", str(target))
    assert rc == 2 and out == ""
    assert err == f"deltagrad: error: bench: cannot write {target}: directory {target.parent} does not exist\n"
    assert not (tmp_path / "nonexistent").exists()


def test_output_that_is_a_directory_or_under_a_file_fails_up_front(tmp_path, capsys, no_run):
    rc, out, err = _main(capsys, "--quick", "--output", str(tmp_path))
    assert rc == 2 and out == "" and err.startswith("deltagrad: error: bench: ") and "is a directory" in err
    (tmp_path / "f").write_text("x")
    rc, out, err = _main(capsys, "--quick", "--output", str(tmp_path / "f" / "x.md"))
    assert rc == 2 and out == "" and err.startswith("deltagrad: error: bench: ") and "is not a directory" in err
    assert err.count("\n") == 1 and (tmp_path / "f").read_text() == "x"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write anywhere")
def test_output_in_a_read_only_directory_fails_up_front(tmp_path, capsys, no_run):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        rc, out, err = _main(capsys, "--quick", "--output", str(ro / "x.md"))
    finally:
        ro.chmod(0o755)
    assert rc == 2 and out == "" and err.startswith("deltagrad: error: bench: ") and "not writable" in err


def test_write_with_only_is_a_deltagrad_error(capsys, no_run):
    rc, out, err = _main(capsys, "--write", "--only", "scalar")
    assert rc == 2 and out == "" and err.startswith("deltagrad: error: bench: --write regenerates")


def test_run_only_viz_reports_network_view_frames(tmp_path):
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    out = tmp_path / "frames.md"
    assert bench.run(parser.parse_args(["--quick", "--only", "viz", "--output", str(out)])) == 0
    text = out.read_text()
    assert "## (h) network view: one frame" in text and "## (a)" not in text
    row = re.search(r"\| 2-8-8-1 \| ([\d.]+) \| ([\d.]+) \| ([\d,]+) \| (\d+) × (\d+) \|", text)
    assert row and float(row.group(1)) > 0 and int(row.group(3).replace(",", "")) > 10_000
    assert re.search(r"- \(h\) a 2-8-8-1 network-view frame within 20 ms: [\d.]+ ms \([\d.]+ ms CPU\) — \*\*(met|not met)\*\*",
                     text)
    assert "| 784-256-10 |" in text
