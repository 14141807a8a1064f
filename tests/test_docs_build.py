"""The documentation site: the strict mkdocs build (when mkdocs is installed) and its build helpers.

The strict build fails on any warning: a broken link or anchor between docs pages, a docstring
cross-reference that does not resolve, a module the API reference cannot find. It is skipped when
the ``docs`` extra (``pip install -e ".[docs]"``) is not installed.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
API_PAGES = {"deltagrad": "deltagrad", "autograd": "deltagrad.autograd", "nn": "deltagrad.nn",
             "viz": "deltagrad.viz", "check": "deltagrad.check"}


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_doctest_runs_are_fenced_and_code_is_left_alone():
    pytest.importorskip("griffe", reason="the docs extra (pip install -e '.[docs]'); CI runs this file after it")
    fence = _load("doctest_blocks").fence_doctests
    text = ("Intro [x].\n\n>>> f([1,\n...    2])\n[0.0, 2.0]\n\nAfter.\n\n"
            "    >>> indented(already_code)\n\n```\n>>> inside()\n```")
    assert fence(text).splitlines() == [
        "Intro [x].", "", "```pycon", ">>> f([1,", "...    2])", "[0.0, 2.0]", "```", "", "After.", "",
        "    >>> indented(already_code)", "", "```", ">>> inside()", "```"]
    # a run at the very end of a docstring is closed too, at its own indentation
    assert fence("  >>> 1\n  1") == "  ```pycon\n  >>> 1\n  1\n  ```"


def test_staged_sources_have_the_installed_layout(tmp_path):
    package = _load("package_dir").stage_sources(ROOT, tmp_path / "stage")
    for sub in ("autograd", "nn", "viz", "check"):
        assert (package / sub / "__init__.py").read_bytes() == (ROOT / sub / "__init__.py").read_bytes()
    assert (package / "cli" / "__init__.py").is_file() and (package / "__init__.py").is_file()
    assert not list(package.rglob("__pycache__"))


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("mkdocstrings") is None,
                    reason='the docs extra is not installed: pip install -e ".[docs]"')
def test_strict_build_renders_every_api_page(tmp_path):
    site = tmp_path / "site"
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-4000:]
    for page, module in API_PAGES.items():
        html = (site / "api" / page / "index.html").read_text(encoding="utf-8")
        headings = re.findall(r'<h[2-6] id="(deltagrad[\w.]*)" class="doc doc-heading"', html)
        assert module in headings, f"{page}: no heading for {module}"
        members = [h for h in headings if h.startswith(module + ".")]
        assert len(members) >= 5, f"{page}: only {members} documented"
        assert "<blockquote>" not in html  # a >>> example left as Markdown quotes
        public = importlib.import_module(module)
        for name in public.__all__:  # every public function and class, even one named like its module
            if isinstance(getattr(public, name), type) or callable(getattr(public, name)):
                assert {f"{module}.{name}", f"{module}.{name}.{name}"} & set(headings), f"{page}: {name}"
    nn = (site / "api" / "nn" / "index.html").read_text(encoding="utf-8")
    assert 'id="deltagrad.nn.mse"' in nn and "Mean squared error" in nn and 'class="gp">&gt;&gt;&gt;' in nn
    autograd = (site / "api" / "autograd" / "index.html").read_text(encoding="utf-8")
    assert 'id="deltagrad.autograd.Tensor"' in autograd and 'id="deltagrad.autograd.grad"' in autograd
    for page in ("losses", "sources"):
        assert (site / page / "index.html").is_file()
