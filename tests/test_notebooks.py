"""The lesson notebooks in notebooks/: each runs top to bottom without an error, and is committed executed.

Every notebook is executed with nbclient in the kernel "python3" (ipykernel's spec, whose
``python`` resolves to the interpreter running the tests, so the kernel sees this environment),
with the notebook's folder as the working directory. The stored copy must carry its outputs: a
notebook is committed after a real run, so it reads on GitHub without being run.

Re-execute every notebook in place (clear, run, write back) before committing a change to one:

    python tests/test_notebooks.py            # all notebooks
    python tests/test_notebooks.py 03         # those whose name contains "03"
"""

from __future__ import annotations

import ast
import copy
import os
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat") if __name__ != "__main__" else __import__("nbformat")
nbclient = pytest.importorskip("nbclient") if __name__ != "__main__" else __import__("nbclient")

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
CELL_TIMEOUT = 120  # seconds per cell
MAX_BYTES = 1_000_000  # a lesson, not a dump


def execute(nb, path: Path):
    """Run ``nb`` (in place) with the notebook's folder as the working directory; return it."""
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT,
        record_timing=False,  # no timestamps in the stored cells: a re-run changes only what it shows
        # no widget state in the file: a viewer then shows a widget's static picture (deltagrad.Playground's)
        # instead of a widget with no kernel behind it
        store_widget_state=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    # the kernel's environment: plots inline as PNG whatever MPLBACKEND the caller has
    client.execute(env={**os.environ, "MPLBACKEND": "module://matplotlib_inline.backend_inline"})
    return nb


def _repo_files(root: Path) -> set[str]:
    """Files a notebook could leave behind: anything under notebooks/ (its working directory) and at the top level.

    (Not the whole tree: other tests and tools may write caches elsewhere while this one runs.)
    """
    found = {p for p in NOTEBOOKS_DIR.rglob("*") if "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts}
    return {str(p.relative_to(root)) for p in found | set(root.iterdir())}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path):
    """The notebook executes top to bottom without an error and writes no file into the repository."""
    root = NOTEBOOKS_DIR.parent
    before = _repo_files(root)
    nb = nbformat.read(path, as_version=4)
    execute(copy.deepcopy(nb), path)  # raises CellExecutionError, naming the cell, on any error
    made = _repo_files(root) - before
    assert not made, f"{path.name} wrote into the repository: {sorted(made)} (use a tempfile directory)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_executed(path: Path):
    """Every code cell has been run, in order, and those that show something have their outputs stored."""
    assert path.stat().st_size < MAX_BYTES, f"{path.name} is {path.stat().st_size} bytes; keep outputs small"
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert code, f"{path.name} has no code cells"
    counts = [c.get("execution_count") for c in code]
    assert all(counts), f"{path.name}: cells never run: {[i for i, n in enumerate(counts) if not n]}"
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: cells not run top to bottom once: {counts}"
    for i, cell in enumerate(code):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"{path.name}: code cell {i} stored an error: {errors[0].get('ename')}"
        if shows_something(cell.source):
            assert cell.outputs, f"{path.name}: code cell {i} has no stored output:\n{cell.source[:200]}"


def shows_something(source: str) -> bool:
    """Whether a cell is meant to show output: it prints, displays or shows a plot, or ends in an expression."""
    tree = ast.parse(source)
    top = [n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    calls = {getattr(n.func, "id", getattr(n.func, "attr", None))
             for stmt in top for n in ast.walk(stmt) if isinstance(n, ast.Call)}
    last = tree.body[-1] if tree.body else None
    ends_in_value = isinstance(last, ast.Expr) and not source.rstrip().endswith(";")
    return bool(calls & {"print", "display", "show"}) or ends_in_value


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 5, [p.name for p in NOTEBOOKS]


def main(argv: list[str]) -> int:
    """Clear and re-execute the notebooks (all, or those whose name contains an argument) in place."""
    chosen = [p for p in NOTEBOOKS if not argv or any(a in p.name for a in argv)]
    for path in chosen:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
                cell.metadata.pop("execution", None)
        t = time.perf_counter()
        execute(nb, path)
        nbformat.write(nb, path)
        print(f"{path.name}: {time.perf_counter() - t:.1f} s, {path.stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
