"""deltagrad train under hostile conditions: divergence, odd --out paths, huge feature values."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from deltagrad.cli import main
from deltagrad.cli.outputs import write_json
from deltagrad.data import standardize


def test_divergence_is_a_one_line_error_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--lr", "1000", "--epochs", "30", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "diverged" in err[0] and "--lr" in err[0]
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_json_never_holds_nan(tmp_path):
    p = tmp_path / "m.json"
    write_json(p, {"loss": math.nan, "history": [1.0, math.inf]})
    assert json.loads(p.read_text()) == {"loss": None, "history": [1.0, None]}


def test_a_directory_named_like_an_output_file_moves_nothing(tmp_path, capsys):
    out = tmp_path / "o"
    (out / "metrics.json" / "inner").mkdir(parents=True)
    assert main(["train", "--epochs", "2", "--out", str(out), "--quiet"]) == 2
    assert "metrics.json" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["metrics.json"]  # no network.svg / loss.png left


def test_an_impossible_out_path_is_a_one_line_error(tmp_path, capsys):
    assert main(["train", "--out", str(tmp_path / ("a" * 300)), "--quiet"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_standardize_huge_finite_values():
    tr = [[1e308, 1.0], [-1e308, 3.0], [5e307, 2.0]]
    te = [[0.0, 2.0]]
    a, b = standardize(tr, te)
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(b))
    # independent: z-scores of column 0 are those of [1, -1, 0.5] (scale invariance)
    c = np.array([1.0, -1.0, 0.5])
    want = (c - c.mean()) / c.std()
    assert np.allclose(np.array(a)[:, 0], want, rtol=1e-12)
    assert np.allclose(np.array(a)[:, 1], [-1.224744871391589, 1.224744871391589, 0.0])


def test_numeric_class_labels_sort_as_numbers_and_duplicate_headers_are_refused(tmp_path):
    from deltagrad.data import DataError, load_csv

    p = tmp_path / "t.csv"
    p.write_text("f,label\n1,10\n2,2\n3,1\n4,10\n")
    d = load_csv(p, "label")
    assert d.class_names == ["1", "2", "10"] and d.y == [2, 1, 0, 2]
    q = tmp_path / "dup.csv"
    q.write_text("f,f,label\n1,2,a\n3,4,b\n")
    with pytest.raises(DataError, match="'f' more than once"):
        load_csv(q, "label")
