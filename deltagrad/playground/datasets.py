"""The playground's 2-D datasets, drawn from a seeded numpy generator.

Every generator returns ``(X, y)``: X of shape (n, 2) (float64, points mostly inside the plane
[-1.5, 1.5]²) and y of shape (n,) with class labels 0 … k−1 (k = 2, except Gaussian blobs with
``classes`` > 2, Iris with ``iris_class="all"`` (k = 3) and a CSV table, whose label column's k distinct
values are its classes, 2 ≤ k ≤ `MAX_CSV_CLASSES`). ``noise`` is the standard deviation of
Gaussian jitter added to each coordinate, in the plane's units. Iris and CSV tables are
standardized (z-scores) and halved, so they fit the same plane.
"""

from __future__ import annotations

import os
import re

import numpy as np

from deltagrad.data import DataError, Dataset, load_csv, load_iris

__all__ = ["MAX_CSV_BYTES", "MAX_CSV_CLASSES", "PLANE", "class_names", "load_table", "make_dataset", "table_points"]

PLANE = 1.5  # the input plane drawn by the page is [-PLANE, PLANE]²
MAX_CSV_BYTES = 1_000_000  # the largest CSV the playground reads (from --csv or an upload)
MAX_CSV_CLASSES = 6  # the page has six class colours (as Gaussian blobs' ``classes``); one output neuron per class
_DROP_HINT = re.compile(r" \(an id or name column\? leave it out with --drop [^)]*\)")


def load_table(path: str | os.PathLike, target: str | None) -> Dataset:
    """A CSV table for the ``csv`` dataset, checking its size first (``--csv`` and uploads).

    Every column but ``target`` must be numeric (the first two are the plane's x₁ and x₂); the k
    distinct values of ``target`` (sorted, see `deltagrad.data.load_csv`) are the classes
    0 … k−1, with 2 ≤ k ≤ `MAX_CSV_CLASSES` (k > 2 needs the softmax cross-entropy loss).

    Raises:
        DataError: over `MAX_CSV_BYTES`; no ``target``; fewer than 2 feature columns; 1 class or
            more than `MAX_CSV_CLASSES`; a non-numeric feature (names the line and column); and as
            `deltagrad.data.load_csv` for a malformed table.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = pathlib.Path(tmp, "t.csv")
    ...     _ = p.write_text("u,v,kind\\n1,2,b\\n3,4,a\\n5,1,c\\n")
    ...     load_table(p, "kind").class_names
    ['a', 'b', 'c']
    """
    if not target:
        raise DataError("a CSV needs its label column (--target COLUMN)")
    try:
        size = os.path.getsize(path)
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e.strerror})") from None
    if size > MAX_CSV_BYTES:
        raise DataError(f"{path}: {size} bytes is over the playground's limit of {MAX_CSV_BYTES} bytes")
    try:
        table = load_csv(path, target)
    except DataError as e:  # the playground has no --drop: say what to do with a text column instead
        text = _DROP_HINT.sub(" (every column but the label column must be numeric: remove this one from the file, "
                              "or choose it as the label column)", str(e))
        raise DataError(text) from None
    if table.n_features < 2:
        raise DataError(f"{path}: the playground needs at least 2 numeric feature columns besides {target!r}, "
                        f"got {table.n_features}")
    k = len(table.class_names)
    if not 2 <= k <= MAX_CSV_CLASSES:
        shown = ", ".join(repr(c) for c in table.class_names[:8]) + (", ..." if k > 8 else "")
        raise DataError(f"{path}: column {target!r} has {k} distinct values ({shown}); the playground needs 2 to "
                        f"{MAX_CSV_CLASSES} classes (is {target!r} the label column?)")
    return table


def _moons(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n1 = n // 2
    t = rng.uniform(0.0, np.pi, n)
    X = np.where(np.arange(n)[:, None] < n1,
                 np.stack([np.cos(t), np.sin(t)], 1),
                 np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], 1))
    y = (np.arange(n) >= n1).astype(float)
    return (X - [0.5, 0.25]) * 0.9, y


def _circles(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = (np.arange(n) >= n // 2).astype(float)
    r = np.where(y == 1, rng.uniform(0.0, 0.5, n), rng.uniform(0.8, 1.2, n))
    t = rng.uniform(0.0, 2 * np.pi, n)
    return np.stack([r * np.cos(t), r * np.sin(t)], 1), y


def _xor(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    X = rng.uniform(-1.2, 1.2, (n, 2))
    X += np.sign(X) * 0.05  # a small gap around the axes
    return X, (X[:, 0] * X[:, 1] > 0).astype(float)


def _spiral(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = (np.arange(n) >= n // 2).astype(float)
    r = rng.uniform(0.05, 1.0, n)
    t = 1.75 * r * 2 * np.pi + np.pi * y
    return np.stack([r * np.sin(t), r * np.cos(t)], 1) * 1.2, y


def _blobs(n: int, rng: np.random.Generator, k: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """k Gaussian blobs (std 0.3, or 0.25 for k > 2): two on the diagonal, more on a circle of radius 0.85."""
    if k == 2:
        y = (np.arange(n) >= n // 2).astype(float)
        centre = np.where(y[:, None] == 1, [0.6, 0.6], [-0.6, -0.6])
        return centre + rng.normal(0.0, 0.3, (n, 2)), y
    y = np.arange(n) * k // n  # k classes of (almost) equal size
    angle = 2 * np.pi * y / k + np.pi / 2
    centre = 0.85 * np.stack([np.cos(angle), np.sin(angle)], 1)
    return centre + rng.normal(0.0, 0.25, (n, 2)), y.astype(float)


GENERATORS = {"moons": _moons, "circles": _circles, "xor": _xor, "spiral": _spiral, "blobs": _blobs}


def table_points(table: Dataset, fx: int, fy: int, positive: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Columns ``fx`` and ``fy`` of a table as standardized, halved points; y = 1 for class ``positive``.

    With ``positive=None`` y is the table's class index (0 … k−1), for the softmax cross-entropy loss.

    Raises:
        DataError: if a column index is out of range or a chosen column is constant.
    """
    X = np.asarray(table.X, dtype=float)
    if not (0 <= fx < X.shape[1] and 0 <= fy < X.shape[1]):
        raise DataError(f"{table.name}: has {X.shape[1]} feature columns, asked for columns {fx} and {fy}")
    X = X[:, [fx, fy]]
    sd = X.std(axis=0)
    if np.any(sd == 0):
        raise DataError(f"{table.name}: a chosen feature column is constant")
    y = np.asarray(table.y)
    y = y.astype(float) if positive is None else (y == positive).astype(float)
    return (X - X.mean(axis=0)) / sd * 0.5, y


def make_dataset(state: dict, csv: Dataset | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The points of ``state["dataset"]``: ``(X (n, 2), y (n,))`` with noise added, seeded by ``state["seed"]``.

    ``n_points`` applies to the generated sets; Iris (150 rows) and CSV tables keep their rows.

    Raises:
        DataError: for ``"csv"`` when no table was given.

    >>> X, y = make_dataset({"dataset": "xor", "n_points": 8, "noise": 0.0, "seed": 0})
    >>> X.shape, sorted(set(y.tolist()))
    ((8, 2), [0.0, 1.0])
    """
    rng = np.random.default_rng(state["seed"])
    name = state["dataset"]
    if name == "blobs":
        X, y = _blobs(state["n_points"], rng, state.get("classes", 2))
    elif name in GENERATORS:
        X, y = GENERATORS[name](state["n_points"], rng)
    elif name == "iris":
        from .state import IRIS_FEATURES
        iris = load_iris()
        X, y = table_points(iris, IRIS_FEATURES.index(state["iris_x"]), IRIS_FEATURES.index(state["iris_y"]),
                            None if state["iris_class"] == "all" else iris.class_names.index(state["iris_class"]))
    elif csv is None:
        raise DataError("dataset csv: start the playground with --csv FILE --target COLUMN to use your own table")
    else:
        X, y = table_points(csv, 0, 1, None)  # y = the class index 0 … k−1
    return X + rng.normal(0.0, state["noise"], X.shape), y


def class_names(state: dict, csv: Dataset | None = None) -> list[str]:
    """The names of the classes of ``state["dataset"]``, by label (what the page's legend shows).

    >>> class_names({"dataset": "iris", "iris_class": "all"})
    ['setosa', 'versicolor', 'virginica']
    >>> class_names({"dataset": "blobs", "classes": 3})
    ['class 0', 'class 1', 'class 2']
    """
    name = state["dataset"]
    if name == "iris":
        if state["iris_class"] == "all":
            return list(load_iris().class_names)
        return [f"not {state['iris_class']}", state["iris_class"]]
    if name == "csv" and csv is not None:
        return [str(c) for c in csv.class_names]
    k = state.get("classes", 2) if name == "blobs" else 2
    return [f"class {c}" for c in range(k)]
