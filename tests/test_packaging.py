"""The wheel owns one import name, ``deltagrad``, and installs beside HIPS autograd without harm.

PyPI's ``autograd`` (HIPS autograd, shipped by Google Colab), ``nn`` and ``viz`` are other projects:
a wheel that wrote a top-level ``autograd/`` would overwrite theirs. The first test builds the
wheel and reads its file list; the second installs it into a fresh virtual environment beside
``autograd==1.9.1``, in both orders, and checks that each library still differentiates tanh
(against the closed form 1 - tanh²) and that uninstalling deltagrad leaves HIPS autograd working.
The second needs PyPI (for autograd 1.9.1 and deltagrad's dependencies); it skips when
``pip download`` cannot reach an index.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIP_QUIET = ["--quiet", "--disable-pip-version-check"]


def _run(cmd, cwd, **kw):
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900, **kw)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # a plain (non-editable) build from a copy-free source tree: exactly what `pip install .` installs
    _run([sys.executable, "-m", "pip", "wheel", *PIP_QUIET, "--no-deps", "--wheel-dir", str(out), str(ROOT)], cwd=out)
    (whl,) = out.glob("deltagrad-*.whl")
    return whl


def test_wheel_has_one_top_level_name(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        top = {n.split("/", 1)[0] for n in names}
        dist_info = next(t for t in top if t.endswith(".dist-info"))
        declared = z.read(f"{dist_info}/top_level.txt").decode().split() if f"{dist_info}/top_level.txt" in names \
            else ["deltagrad"]
    assert top - {dist_info} == {"deltagrad"}, f"the wheel writes top-level names {sorted(top - {dist_info})}"
    assert declared == ["deltagrad"]
    for sub in ("autograd", "nn", "viz", "check", "cli", "bench", "data", "playground"):
        assert f"deltagrad/{sub}/__init__.py" in names, f"deltagrad.{sub} missing from the wheel"
    assert "deltagrad/data/iris.csv" in names
    assert {"deltagrad/playground/static/index.html", "deltagrad/playground/static/main.js",
            "deltagrad/playground/static/page.js", "deltagrad/playground/static/widget.js"} <= set(names)
    assert not any(n.startswith("deltagrad/tests/") or "/__pycache__/" in n for n in names)


CHECK_BOTH = textwrap.dedent("""
    import importlib, math, sys
    grad = None
    x = 0.5
    exact = 1.0 - math.tanh(x) ** 2
    which = sys.argv[1]
    if which in ("hips", "both"):
        hips = importlib.import_module("autograd")  # HIPS autograd's own top-level name
        anp, grad = importlib.import_module("autograd.numpy"), hips.grad
        assert "deltagrad" not in hips.__file__, hips.__file__
        assert abs(grad(anp.tanh)(x) - exact) < 1e-12
    if which == "both":
        from deltagrad import Value, Tensor
        import deltagrad.autograd
        v = Value(x); v.tanh().backward()
        assert abs(v.grad - exact) < 1e-12
        t = Tensor([x, -x]); t.tanh().sum().backward()
        assert max(abs(t.grad[0] - exact), abs(t.grad[1] - exact)) < 1e-12
        assert deltagrad.autograd.grad is not grad
    if which == "hips":
        try:
            import deltagrad
        except ImportError:
            pass
        else:
            raise AssertionError("deltagrad still importable after uninstall")
    print("ok", which)
""")


def test_installs_beside_hips_autograd_in_both_orders(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = str(env_dir / ("Scripts" if os.name == "nt" else "bin") / "python")
    pip = [py, "-m", "pip", *PIP_QUIET]
    probe = subprocess.run([*pip, "download", "--no-deps", "--dest", str(tmp_path / "dl"), "autograd==1.9.1"],
                           capture_output=True, text=True, timeout=300)
    if probe.returncode != 0:
        pytest.skip(f"no package index reachable for autograd==1.9.1: {probe.stderr.strip()[-200:]}")
    script = tmp_path / "check_both.py"
    script.write_text(CHECK_BOTH)
    run = lambda which: _run([py, str(script), which], cwd=tmp_path)

    # order 1: HIPS autograd first, then deltagrad
    _run([*pip, "install", "autograd==1.9.1"], cwd=tmp_path)
    _run([*pip, "install", str(wheel)], cwd=tmp_path)
    assert run("both").strip() == "ok both"
    _run([*pip, "uninstall", "--yes", "deltagrad"], cwd=tmp_path)
    assert run("hips").strip() == "ok hips"

    # order 2: deltagrad first, then HIPS autograd
    _run([*pip, "uninstall", "--yes", "autograd"], cwd=tmp_path)
    _run([*pip, "install", str(wheel)], cwd=tmp_path)
    _run([*pip, "install", "autograd==1.9.1"], cwd=tmp_path)
    assert run("both").strip() == "ok both"
    files = _run([py, "-m", "pip", "show", "--files", "deltagrad"], cwd=tmp_path)
    listed = [ln.strip() for ln in files.split("Files:", 1)[1].splitlines() if ln.strip()]
    assert all(f.startswith(("deltagrad/", "deltagrad-", "../../../bin/deltagrad")) for f in listed), \
        [f for f in listed if not f.startswith(("deltagrad/", "deltagrad-"))]
    # the console script works outside the repository
    assert "deltagrad" in _run([str(env_dir / "bin" / "deltagrad"), "--version"], cwd=tmp_path)
    _run([*pip, "uninstall", "--yes", "deltagrad"], cwd=tmp_path)
    assert run("hips").strip() == "ok hips"


TOP_LEVEL_IMPORT = re.compile(r"^\s*(?:>>> |\.\.\. )?(?:from|import) (autograd|nn|viz|check)(?:\.|\s|$)")


def _code_lines(path: Path):
    if path.suffix == ".ipynb":
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                yield from "".join(cell["source"]).splitlines()
    elif path.suffix == ".md":
        yield from "\n".join(re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.DOTALL)).splitlines()
    else:
        yield from path.read_text(encoding="utf-8").splitlines()


def test_nothing_imports_autograd_nn_or_viz_as_top_level_names():
    files = [p for ext in ("py", "ipynb", "md") for p in ROOT.rglob(f"*.{ext}")
             if not any(part.startswith(".") or part in {"build", "dist", "site"} for part in p.relative_to(ROOT).parts)]
    assert len(files) > 50
    bad = [f"{p.relative_to(ROOT)}: {ln.strip()}" for p in files for ln in _code_lines(p) if TOP_LEVEL_IMPORT.match(ln)]
    assert not bad, "import deltagrad.autograd / deltagrad.nn / deltagrad.viz instead:\n" + "\n".join(bad)


def test_public_api_reads_like_pytorch_and_loads_lazily():
    code = textwrap.dedent("""
        import sys
        import deltagrad
        assert "deltagrad.viz" not in sys.modules and "deltagrad.nn" not in sys.modules, "import deltagrad is the engine only"
        from deltagrad import Value, Tensor, nn, viz
        assert deltagrad.nn is nn and deltagrad.viz is viz and deltagrad.nn.MLP is nn.MLP
        assert deltagrad.autograd.grad is deltagrad.autograd.graph.grad and deltagrad.check.compare_grads
        x = Value(3.0)
        (dx,) = deltagrad.autograd.grad(x * x, [x])
        assert dx == 6.0
        try:
            deltagrad.no_such_name
        except AttributeError as e:
            assert "no_such_name" in str(e)
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT.parent)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
