"""deltagrad.data: bundled loaders, load_csv errors, stratified_split, standardize."""

from collections import Counter

import numpy as np
import pytest

from deltagrad.data import DataError, Dataset, load_csv, load_iris, load_xor, standardize, stratified_split


def test_iris_shape_and_classes():
    d = load_iris()
    assert isinstance(d, Dataset) and d.name == "iris"
    assert len(d.X) == 150 and all(len(row) == 4 for row in d.X)
    assert d.feature_names == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert d.class_names == ["setosa", "versicolor", "virginica"]
    assert Counter(d.y) == {0: 50, 1: 50, 2: 50}
    assert d.X[0] == [5.1, 3.5, 1.4, 0.2] and d.y[0] == 0


def test_xor():
    d = load_xor()
    assert d.X == [[0, 0], [0, 1], [1, 0], [1, 1]] and d.y == [0, 1, 1, 0]
    assert d.n_features == 2 and d.n_classes == 2


def test_stratified_split_is_stratified_disjoint_and_deterministic():
    y = load_iris().y
    tr, te = stratified_split(y, 0.2, seed=0)
    assert sorted(tr + te) == list(range(150)) and not set(tr) & set(te)
    assert Counter(y[i] for i in te) == {0: 10, 1: 10, 2: 10}
    assert Counter(y[i] for i in tr) == {0: 40, 1: 40, 2: 40}
    assert stratified_split(y, 0.2, seed=0) == (tr, te)
    assert stratified_split(y, 0.2, seed=1)[1] != te


def test_stratified_split_small_classes_keep_one_in_each():
    y = [0, 0, 1, 1, 1, 2]
    tr, te = stratified_split(y, 0.2, seed=3)
    assert {y[i] for i in te} == {0, 1}  # class 2 has one row: it stays in train
    assert {y[i] for i in tr} == {0, 1, 2}
    with pytest.raises(ValueError):
        stratified_split(y, 1.0)


def test_standardize_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    tr, te = rng.normal(3, 2, size=(20, 3)), rng.normal(-5, 7, size=(6, 3))
    tr[:, 2] = 4.0  # a constant column: std 0 must not give nan
    a, b = standardize(tr.tolist(), te.tolist())
    mu, sd = tr.mean(axis=0), tr.std(axis=0)
    sd[2] = 1.0
    np.testing.assert_allclose(a, (tr - mu) / sd, atol=1e-12)
    np.testing.assert_allclose(b, (te - mu) / sd, atol=1e-12)
    assert np.allclose(np.mean(a, axis=0), 0) and np.allclose(np.std(a, axis=0)[:2], 1)
    assert not np.isnan(b).any()


def test_load_csv_string_labels_sorted(tmp_path):
    p = tmp_path / "pets.csv"
    p.write_text("weight,kind,height\n4,dog,30\n3.5,cat,25\n\n5,dog,40\n")
    d = load_csv(p, "kind")
    assert d.name == "pets" and d.feature_names == ["weight", "height"]
    assert d.class_names == ["cat", "dog"] and d.y == [1, 0, 1]
    assert d.X == [[4.0, 30.0], [3.5, 25.0], [5.0, 40.0]]


@pytest.mark.parametrize(
    "text, target, needles",
    [
        (None, "y", ["no such file"]),
        ("", "y", ["empty table"]),
        ("a,b,y\n", "y", ["empty table", "no data rows"]),
        ("a,b,c\n1,2,3\n", "y", ["no column 'y'", "a, b, c"]),
        ("a,b,y\n1,2,x\n1,2\n", "y", ["line 3", "2 fields"]),
        ("a,b,y\n1,2,x\n1,oops,z\n", "y", ["line 3", "'b'", "'oops'"]),
        ("a,b,y\n1,2,x\n1,nan,z\n", "y", ["line 3", "'b'", "'nan'"]),
        ("a,b,y\n1,2,x\n3,4,x\n", "y", ["1 class", "at least 2"]),
    ],
)
def test_load_csv_errors(tmp_path, text, target, needles):
    p = tmp_path / "t.csv"
    if text is not None:
        p.write_text(text)
    with pytest.raises(DataError) as e:
        load_csv(p, target)
    msg = str(e.value)
    assert "\n" not in msg and all(n in msg for n in needles), msg
