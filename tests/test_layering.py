"""The layering of the packages, read from the source with ``ast`` (every import, also inside functions).

* No module of the engine imports one that imports it back, directly or through others.
* The engine (``deltagrad.autograd``) imports only the standard library, numpy and itself.
* ``nn -> autograd <- viz``: nn never reaches viz, check or the CLI; viz never reaches nn, check or
  the CLI; check never reaches viz or the CLI (transitively, through any chain of imports).
* The one listed exception, :data:`EXCEPTIONS`: ``viz.Playground`` (``viz/__init__.py``'s module
  ``__getattr__``) imports ``deltagrad.playground.widget`` on first access. The widget trains a net, so it
  needs ``nn``; it lives in the playground package (which may import everything) and viz only forwards the
  name. The edge is left out of the graph, and the tests below pin that it is the only such edge, that it is
  inside that function, and that ``import deltagrad.viz`` loads no ``nn``.

A ``from package import name`` counts as an import of the submodule ``package.name`` when that
module exists (``from deltagrad import autograd`` is an import of ``deltagrad.autograd``).
Python's running of a parent package's ``__init__`` before a submodule is not counted: it is not
an import the module writes.
"""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path

import pytest

PACKAGES = [
    "deltagrad",
    "deltagrad.autograd",
    "deltagrad.nn",
    "deltagrad.viz",
    "deltagrad.check",
    "deltagrad.cli",
    "deltagrad.bench",
    "deltagrad.playground",
]
# (module, imported module, why): the only imports allowed to break the layering
EXCEPTIONS = [
    ("deltagrad.viz", "deltagrad.playground.widget",
     "viz.Playground forwards to the playground's notebook widget (it needs nn to train); imported on first use"),
]


def _sources() -> dict[str, Path]:
    """Every module of the installed deltagrad (editable or not): dotted name -> file."""
    out: dict[str, Path] = {}
    for pkg in PACKAGES:
        root = Path(importlib.import_module(pkg).__path__[0])
        for f in root.glob("*.py"):
            out[pkg if f.stem == "__init__" else f"{pkg}.{f.stem}"] = f
    return out


SOURCES = _sources()


def _imports(name: str, path: Path) -> set[str]:
    """Absolute names of the modules ``name`` (at ``path``) imports, at any depth of its code."""
    package = name if path.stem == "__init__" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod == "__future__":
                continue
            subs = [f"{mod}.{a.name}" for a in node.names if f"{mod}.{a.name}" in SOURCES]
            found.update(subs)
            if len(subs) < len(node.names):
                found.add(mod)
    return found


GRAPH = {name: _imports(name, path) for name, path in SOURCES.items()}
for _m, _x, _why in EXCEPTIONS:
    GRAPH[_m] = GRAPH[_m] - {_x}


def _reach(start: str) -> set[str]:
    """Every deltagrad module ``start`` imports, directly or through others."""
    seen: set[str] = set()
    todo = [m for m in GRAPH[start] if m in GRAPH]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(x for x in GRAPH[m] if x in GRAPH)
    return seen


def _modules(pkg: str) -> list[str]:
    return sorted(m for m in GRAPH if m == pkg or m.startswith(pkg + "."))


def _in(m: str, pkg: str) -> bool:
    return m == pkg or m.startswith(pkg + ".")


def _cycle(nodes: list[str]) -> list[str] | None:
    """One import cycle among ``nodes`` (as a path that ends where it starts), or None."""
    state: dict[str, int] = {}  # 1 on the path, 2 done

    def visit(m: str, path: list[str]) -> list[str] | None:
        state[m] = 1
        for x in sorted(GRAPH[m] & set(nodes)):
            if state.get(x) == 1:
                return path[path.index(x) :] + [x] if x in path else [m, x]
            if x not in state:
                found = visit(x, path + [x])
                if found:
                    return found
        state[m] = 2
        return None

    for m in nodes:
        if m not in state:
            found = visit(m, [m])
            if found:
                return found
    return None


def test_the_scanner_sees_the_engine_and_its_known_edges():
    # the checks below are only as good as the import reading: pin a few edges that must be found
    assert "deltagrad.autograd.graph" in GRAPH and "deltagrad.autograd.sweep" in GRAPH
    assert "deltagrad.autograd.sweep" in GRAPH["deltagrad.autograd.graph"]
    assert "deltagrad.autograd.tensor_ops" in GRAPH["deltagrad.autograd.tensor"]
    assert "deltagrad.autograd" in GRAPH["deltagrad.nn.optim"]
    assert "numpy" in GRAPH["deltagrad.autograd.tensor"]


def test_the_cycle_finder_finds_a_planted_cycle(monkeypatch):
    monkeypatch.setitem(
        GRAPH, "deltagrad.autograd.modes", GRAPH["deltagrad.autograd.modes"] | {"deltagrad.autograd.graph"}
    )
    assert _cycle(_modules("deltagrad.autograd")) is not None


@pytest.mark.parametrize(
    "pkg", ["deltagrad.autograd", "deltagrad.nn", "deltagrad.viz", "deltagrad.check", "deltagrad.cli"]
)
def test_no_import_cycle(pkg):
    assert _cycle(_modules(pkg)) is None


def test_the_engine_imports_only_stdlib_numpy_and_itself():
    stdlib = sys.stdlib_module_names
    bad = {
        (m, x)
        for m in _modules("deltagrad.autograd")
        for x in GRAPH[m]
        if not (_in(x, "deltagrad.autograd") or x.split(".")[0] in stdlib or x.split(".")[0] == "numpy")
    }
    assert not bad, f"the engine imports outside numpy/stdlib: {sorted(bad)}"


@pytest.mark.parametrize(
    "pkg, never",
    [
        ("deltagrad.nn", ["deltagrad.viz", "deltagrad.check", "deltagrad.cli", "deltagrad.bench"]),
        ("deltagrad.viz", ["deltagrad.nn", "deltagrad.check", "deltagrad.cli", "deltagrad.bench"]),
        ("deltagrad.check", ["deltagrad.viz", "deltagrad.cli", "deltagrad.bench"]),
        (
            "deltagrad.autograd",
            ["deltagrad.nn", "deltagrad.viz", "deltagrad.check", "deltagrad.cli", "deltagrad.bench"],
        ),
    ],
)
def test_package_layering(pkg, never):
    bad = {(m, x) for m in _modules(pkg) for x in _reach(m) if any(_in(x, n) for n in never)}
    assert not bad, f"{pkg} reaches a package it must not import: {sorted(bad)}"


def test_the_one_exception_is_viz_playground_and_is_lazy():
    """viz reaches deltagrad.playground only in its module __getattr__, and importing viz loads no nn."""
    import subprocess

    found = []
    for name, path in SOURCES.items():
        if not _in(name, "deltagrad.viz"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)] + [tree]:
            body = fn.body if isinstance(fn, ast.FunctionDef) else [n for n in tree.body if isinstance(n, ast.ImportFrom)]
            for node in (n for stmt in body for n in ast.walk(stmt)):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("deltagrad.playground"):
                    found.append((name, getattr(fn, "name", "<module>"), node.module))
    assert found == [("deltagrad.viz", "__getattr__", "deltagrad.playground.widget")], found
    code = "import sys, deltagrad.viz as v; v.draw; assert 'deltagrad.nn' not in sys.modules, 'nn loaded'"
    subprocess.run([sys.executable, "-c", code], check=True)
    code = "import deltagrad.viz as v, deltagrad; assert v.Playground is deltagrad.Playground"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_the_exception_the_layering_test_would_fail():
    viz_init = _imports("deltagrad.viz", SOURCES["deltagrad.viz"])
    assert "deltagrad.playground.widget" in viz_init
    reach = set()
    todo = ["deltagrad.playground.widget"]
    while todo:
        m = todo.pop()
        if m in GRAPH and m not in reach:
            reach.add(m)
            todo.extend(GRAPH[m])
    assert "deltagrad.nn" in reach
