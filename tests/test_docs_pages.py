"""docs/: the loss table's reference values, and the repository standing alone.

The reference values of docs/losses.md are re-computed here from their formulas in numpy (no
engine involved) and compared with what the table says and with what ``deltagrad.nn`` returns.
Every pointer into docs/ (``docs/sources.md#the-xor-network`` and the like) must name a page and a
heading that exist, and no file may point at documents outside the repository.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from deltagrad.autograd import Tensor

from deltagrad import nn

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

# the reference inputs of docs/losses.md
Y_REG, P_REG = np.array([3.0, 5.0, 7.0]), np.array([2.5, 5.0, 8.0])
E = Y_REG - P_REG
Y = np.array([[1, 0], [0, 1], [1, 0]], dtype=float)
P = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
LABELS = np.array([0, 1, 0])
Y0, P0 = Y[:, 0], P[:, 0]
T, S = 2 * Y0 - 1, 2 * P0 - 1
PT = np.where(Y0 == 1, P0, 1 - P0)
Y_SMOOTH = 0.9 * Y + 0.1 / 2

# name in the table's `deltagrad.nn` column -> (the formula in numpy, the same loss in deltagrad)
FORMULAS = {
    "mse": (np.mean(E**2), lambda: nn.mse(Tensor(P_REG), Y_REG)),
    "half_mse": (np.mean(0.5 * E**2), lambda: nn.half_mse(Tensor(P_REG), Y_REG)),
    "mae": (np.mean(np.abs(E)), lambda: nn.mae(Tensor(P_REG), Y_REG)),
    "rmse": (np.sqrt(np.mean(E**2)), lambda: nn.rmse(Tensor(P_REG), Y_REG)),
    "mbe": (np.mean(E), lambda: nn.mbe(Tensor(P_REG), Y_REG)),
    "huber": (np.mean(np.where(np.abs(E) <= 1, 0.5 * E**2, np.abs(E) - 0.5)),
              lambda: nn.huber(Tensor(P_REG), Y_REG, delta=1.0)),
    "smooth_l1": (np.mean(np.where(np.abs(E) < 1, 0.5 * E**2, np.abs(E) - 0.5)),
                  lambda: nn.smooth_l1(Tensor(P_REG), Y_REG, beta=1.0)),
    "log_cosh": (np.mean(np.log(np.cosh(E))), lambda: nn.log_cosh(Tensor(P_REG), Y_REG)),
    "quantile": (np.mean(np.maximum(0.7 * E, -0.3 * E)), lambda: nn.quantile(Tensor(P_REG), Y_REG, q=0.7)),
    "binary_cross_entropy": (-np.mean(Y0 * np.log(P0) + (1 - Y0) * np.log(1 - P0)),
                             lambda: nn.binary_cross_entropy(Tensor(P0), Y0)),
    "binary_cross_entropy_with_logits": (
        -np.mean(Y0 * np.log(P0) + (1 - Y0) * np.log(1 - P0)),
        lambda: nn.binary_cross_entropy_with_logits(Tensor(np.log(P0 / (1 - P0))), Y0),
    ),
    "nll_loss on log P": (-np.mean(np.sum(Y * np.log(P), axis=1)), lambda: nn.nll_loss(Tensor(np.log(P)), LABELS)),
    "cross_entropy": (-np.mean(np.sum(Y * np.log(P), axis=1)),
                      lambda: nn.cross_entropy(Tensor(np.log(P) + 3.0), LABELS)),
    "cross_entropy(label_smoothing=0.1)": (-np.mean(np.sum(Y_SMOOTH * np.log(P), axis=1)),
                                           lambda: nn.cross_entropy(Tensor(np.log(P)), LABELS, label_smoothing=0.1)),
    "focal_loss": (-np.mean((1 - PT) ** 2 * np.log(PT)), lambda: nn.focal_loss(Tensor(P0), Y0, gamma=2.0)),
    "kl_div on log P": (np.mean(np.sum(np.where(Y > 0, Y * np.log(np.where(Y > 0, Y, 1.0) / P), 0.0), axis=1)),
                        lambda: nn.kl_div(Tensor(np.log(P)), Y)),
    "hinge": (np.mean(np.maximum(0, 1 - T * S)), lambda: nn.hinge(Tensor(S), T)),
    "squared_hinge": (np.mean(np.maximum(0, 1 - T * S) ** 2), lambda: nn.squared_hinge(Tensor(S), T)),
    "logistic": (np.mean(np.log1p(np.exp(-T * S))), lambda: nn.logistic(Tensor(S), T)),
}


def _table_rows():
    """(nn name, reference value as written) for every row of docs/losses.md's loss tables."""
    rows = []
    for line in (DOCS / "losses.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) == 6 and cells[1].startswith("`") and cells[3] != "reference":
            rows.append((cells[1].replace("`", ""), cells[3]))
    return rows


def test_the_table_lists_every_loss_once():
    names = [name for name, _ in _table_rows()]
    assert sorted(names) == sorted(FORMULAS), names


@pytest.mark.parametrize("name,written", _table_rows())
def test_reference_value_is_the_formula_and_deltagrad(name, written):
    formula, ours = FORMULAS[name]
    reference = float(written.replace("−", "-"))
    digits = len(written.split(".")[1]) if "." in written else 0
    assert abs(formula - reference) <= 0.5 * 10.0**-digits, (name, formula, written)
    assert abs(ours().item() - formula) <= 1e-12, name


def _slug(heading: str) -> str:
    """GitHub's (and mkdocs' toc) anchor for a heading made of words, digits, spaces and hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    return {_slug(m) for m in re.findall(r"^#{1,6} (.+)$", page.read_text(encoding="utf-8"), flags=re.MULTILINE)}


def _repo_texts():
    # the repository's own files: not hidden folders (.git, a .venv made in the clone), outputs, nor an installed tree
    skip = {"build", "site", "dist", "deltagrad-out", "site-packages"}
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT)
        if path.is_file() and not skip & set(rel.parts) and not any(p.startswith(".") for p in rel.parts[:-1]) \
                and "egg-info" not in str(rel) \
                and path.suffix in {".py", ".md", ".ipynb", ".toml", ".yml", ".txt", ".cfg"}:
            yield rel, path.read_text(encoding="utf-8", errors="replace")


def test_every_pointer_into_docs_names_a_page_and_heading_that_exist():
    pointers = 0
    for rel, text in _repo_texts():
        for page, anchor in re.findall(r"docs/([\w/]+\.md)(?:#([\w\-]+))?", text):
            target = DOCS / page
            if rel.parts[0] == "docs" and not target.exists():  # a link relative to a page inside docs/
                continue
            assert target.is_file(), f"{rel}: docs/{page} does not exist"
            if anchor:
                assert anchor in _anchors(target), f"{rel}: docs/{page} has no heading #{anchor}"
            pointers += 1
    assert pointers >= 20  # the notebooks, docstrings, tests and examples all point here


def test_nothing_points_outside_the_repository():
    # the old locations, spelt in pieces so that this file does not match its own search
    pieces = [("reference", "losses"), ("reference", "seeds"), ("..", "shared"), ("/work", "shared")]
    banned = re.compile("|".join(re.escape(a + "/" + b) for a, b in pieces))
    found = [f"{rel}: {m.group(0)}" for rel, text in _repo_texts() for m in banned.finditer(text)]
    assert not found, found
