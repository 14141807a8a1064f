"""The playground's exercise mode on 3 classes and the L2 term, in headless chromium (see test_playground_browser)."""

from __future__ import annotations

import json
import os

import pytest
from test_animate import CHROMIUM, Chromium
from test_playground_browser import Page, server  # noqa: F401  (server: the pytest fixture)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (Debian: apt-get install chromium)")


def fill(page: Page, typed: dict) -> None:
    page.js("; ".join(f"(e => {{ e.value = '{v}'; e.dispatchEvent(new Event('input')); }})"
                      f"(document.getElementById('{k}'))" for k, v in typed.items()))


def test_exercise_with_three_classes_and_the_l2_term(server, tmp_path):  # noqa: F811 (the imported fixture)
    """Exercise mode on Iris' 3 classes (softmax cross-entropy): δ2 (3 numbers) and ∂L/∂W2 (3×4) answered right and
    wrong, the export run through deltagrad check; then L2 in the sample view and the backward-step caption."""
    from deltagrad.cli import main

    browser = Chromium(CHROMIUM, str(tmp_path / "profile"))
    page = Page(browser, os.environ.get("PLAYGROUND_SHOTS", ""))
    try:
        page.open(server + "#data=iris&ic=all&loss=softmax_ce&hidden=4&quiz=delta2,dW2&sample=5&seed=2&lr=0.1&spf=10")
        page.wait("document.querySelectorAll('.quiz-row input').length === 3 + 12")
        for _ in range(2):
            page.click("step")
        page.wait("playground.frame.steps === 20")
        sample = page.state()["sample"]
        assert page.state()["sizes"] == [2, 4, 3] and sample["probs"] and sum(sample["probs"]) == pytest.approx(1.0)
        # δ2 = p − one-hot(label) is what the engine sent; the answer boxes are laid out as W2: 3 rows of 4
        assert [round(d, 9) for d in sample["delta"][1]] == [
            round(p - (c == sample["label"]), 9) for c, p in enumerate(sample["probs"])]
        rows = page.js("(g => getComputedStyle(g).gridTemplateColumns.split(' ').length)"
                       "(document.querySelector('.quiz-row[data-key=dW2] .quiz-grid'))")
        assert rows == 4
        assert "class 2: virginica" in page.js("document.getElementById('ans-delta2-2').title")
        typed = {f"ans-delta2-{i}": f"{v:.4g}" for i, v in enumerate(sample["delta"][1])}
        typed.update({f"ans-dW2-{i}": f"{v:.4g}" for i, v in enumerate(v for row in sample["dW"][1] for v in row)})
        fill(page, typed)
        page.click("quiz-check")
        results = json.loads(page.wait("playground.checked && JSON.stringify(playground.checked)"))
        assert [(r["key"], r["verdict"]) for r in results] == [("delta2", "OK"), ("dW2", "OK")]
        page.js("playground.toml = null")
        page.click("quiz-export")
        good = tmp_path / "good.toml"
        good.write_text(page.wait("playground.toml"))
        assert 'activations = ["tanh", "softmax"]' in good.read_text() and main(["check", "--quiet", str(good)]) == 0
        # one element of ∂L/∂W2 wrong (row 2, column 2): pinned, and deltagrad check fails the exported file
        page.js("playground.checked = null")
        fill(page, {"ans-dW2-5": f"{sample['dW'][1][1][1] + 0.3:.4g}"})
        page.click("quiz-check")
        results = json.loads(page.wait("playground.checked && JSON.stringify(playground.checked)"))
        assert results[0]["ok"] and results[1]["verdict"] == "first wrong here" and results[1]["wrong"] == [5]
        assert page.js("document.getElementById('ans-dW2-5').className") == "wrong"
        assert page.js("document.querySelectorAll('.quiz-row input.right').length") == 14
        page.shot("playground-exercise-3-classes.png")
        page.js("playground.toml = null")
        page.click("quiz-export")
        bad = tmp_path / "bad.toml"
        bad.write_text(page.wait("playground.toml"))
        assert main(["check", "--quiet", str(bad)]) == 1

        # L2: the sample's loss is ℓ + λ/2·Σw² and its ∂L/∂W = δ·a + λw, said on the page
        page.open(server + "#data=iris&ic=all&loss=softmax_ce&hidden=4&quiz=dW1&sample=5&seed=2&l2=0.05")
        sample = page.state()["sample"]
        assert sample["penalty"] > 0 and sample["loss"] == pytest.approx(sample["data_loss"] + sample["penalty"])
        # the frame after the state message redraws the line: wait for it (a loaded machine is slow to draw)
        info = page.wait("(t => t.includes('λ/2·Σw²') && t)(document.getElementById('sample-info').textContent)")
        assert "= L" in info
        assert not page.js("document.getElementById('l2-note').hidden")
        assert "of the data loss (without λW)" in page.js("document.querySelector('.quiz-row[data-key=dW1] b').textContent")
        for i in range(4):
            page.click("walk-next")
        caption = page.wait("document.body.dataset.walk === '3' && document.getElementById('walk-caption').textContent")
        assert "δ2[1] · a1[j] + λ · W2[1,j]" in caption and "+ 0.05 × " in caption
        shown = float(caption.splitlines()[1].rsplit("= ", 1)[1])
        assert shown == pytest.approx(sample["dW"][1][0][0], rel=5e-3)
        page.shot("playground-l2-backward-step.png")
    finally:
        browser.close()
