"""mkdocs hook: lay deltagrad out for the API reference as it is installed.

pyproject.toml maps folders to subpackages with setuptools' ``package-dir`` (``autograd/`` is
``deltagrad.autograd``, ``nn/`` is ``deltagrad.nn``, ...). mkdocstrings' Python handler reads the
source statically (griffe) and looks for ``deltagrad.autograd`` in ``deltagrad/autograd/``, which
does not exist in the repository. Before the build, this hook copies ``deltagrad/`` and every
mapped folder into ``build/api-src/deltagrad/`` in the installed layout; ``mkdocs.yml`` points the
handler's ``paths`` there. The mapping is read from pyproject.toml, so a new subpackage needs no
change here.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

try:
    from mkdocs.plugins import event_priority
except ImportError:  # the tests import this hook (stage_sources) where mkdocs is not installed

    def event_priority(priority):
        return lambda f: f

ROOT = Path(__file__).resolve().parents[2]
STAGE = ROOT / "build" / "api-src"
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")


def stage_sources(root: Path = ROOT, stage: Path = STAGE) -> Path:
    """Copy the package into ``stage`` as setuptools would install it; return the package folder.

    Raises:
        ValueError: if pyproject.toml maps a name that is not ``deltagrad.<one level>``.
    """
    mapping = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-dir"]
    if stage.exists():
        shutil.rmtree(stage)
    package = stage / "deltagrad"
    shutil.copytree(root / "deltagrad", package, ignore=_IGNORE)
    for name, folder in mapping.items():
        top, _, sub = name.partition(".")
        if top != "deltagrad" or not sub or "." in sub:
            raise ValueError(f"pyproject.toml package-dir: cannot stage {name!r} -> {folder!r}")
        shutil.copytree(root / folder, package / sub, ignore=_IGNORE)
    return package


@event_priority(100)  # before mkdocstrings reads its `paths`: in a fresh clone build/api-src must exist first
def on_config(config):
    stage_sources()
    return config
