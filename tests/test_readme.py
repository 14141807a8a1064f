"""README.md stays true: its Python examples run and print what they say."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_readme_has_python_examples():
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # the examples write SVG files
    code = BLOCKS[index]
    script = tmp_path / f"readme_block_{index}.py"
    script.write_text(code, encoding="utf-8")
    runpy.run_path(str(script), run_name="__readme__")
    out = capsys.readouterr().out
    # a line "# text" right after a print() in the block states the expected output
    for expected in re.findall(r"^# (a = .*)$", code, flags=re.MULTILINE):
        assert expected in out


def test_readme_commands_are_the_ci_commands():
    text = README.read_text(encoding="utf-8")
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install -e . && deltagrad train' in text
    assert 'pip install -e ".[dev]" && pytest' in text and 'pip install -e ".[dev]" && pytest' in ci
