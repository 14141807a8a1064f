"""Datasets for ``deltagrad train``: the bundled Iris table, XOR, a user's CSV; stratified split, standardize."""

from __future__ import annotations

import csv
import io
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = ["DataError", "Dataset", "load_csv", "load_iris", "load_xor", "standardize", "stratified_split"]


class DataError(ValueError):
    """A dataset could not be read; the message is one line naming the file, line or column at fault."""


@dataclass
class Dataset:
    """A small classification table in plain Python lists.

    Attributes:
        name: a short name (``"iris"``, ``"xor"``, or the CSV's file name).
        X: n rows of d floats, shape (n, d).
        y: n class indices in ``[0, len(class_names))``.
        feature_names: d column names.
        class_names: the class labels, sorted (numerically when they are numbers); ``y[i]`` indexes this list.
    """

    name: str
    X: list[list[float]]
    y: list[int]
    feature_names: list[str] = field(default_factory=list)
    class_names: list[str] = field(default_factory=list)

    @property
    def n_features(self) -> int:
        """d, the number of feature columns."""
        return len(self.feature_names)

    @property
    def n_classes(self) -> int:
        """k, the number of classes."""
        return len(self.class_names)


DELIMITERS = ",;\t|"
"""Delimiters `load_csv` recognises (``csv.Sniffer`` on the first lines); a comma when unsure."""


def sniff_delimiter(text: str) -> str:
    r"""The delimiter of a CSV text: ``csv.Sniffer`` over its first 20 lines among ``, ; tab |``, else ``,``.

    >>> sniff_delimiter("a;b;label\n1;2;x\n"), sniff_delimiter("a\tb\n1\t2\n"), sniff_delimiter("a\n1\n")
    (';', '\t', ',')
    """
    head = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(head, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def _parse_table(text: str, target: str, name: str, source: str, drop: tuple = ()) -> Dataset:
    rows = csv.reader(io.StringIO(text), delimiter=sniff_delimiter(text))
    header = None
    for header in rows:
        if any(cell.strip() for cell in header):
            break
    else:
        raise DataError(f"{source}: empty table (no header row)")
    header = [h.strip() for h in header]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise DataError(f"{source}: the header names column(s) {', '.join(map(repr, dupes))} more than once")
    if target not in header:
        raise DataError(f"{source}: no column {target!r} in the header; available columns: {', '.join(header)}")
    unknown = [d for d in drop if d not in header]
    if unknown:
        cols = ", ".join(header)
        raise DataError(f"{source}: --drop {', '.join(unknown)}: no such column; available columns: {cols}")
    if target in drop:
        raise DataError(f"{source}: --drop {target}: that is the target column")
    t = header.index(target)
    skip = {t} | {header.index(d) for d in drop}
    features = [h for i, h in enumerate(header) if i not in skip]
    if not features:
        raise DataError(f"{source}: no feature columns besides the target {target!r}")
    X: list[list[float]] = []
    labels: list[str] = []
    for row in rows:
        line = rows.line_num
        if not any(cell.strip() for cell in row):
            continue  # blank lines (e.g. a trailing newline) are not rows
        if len(row) != len(header):
            raise DataError(f"{source}: line {line} has {len(row)} fields, the header has {len(header)}")
        x = []
        for i, cell in enumerate(row):
            if i in skip:
                continue
            try:
                v = float(cell)
            except ValueError:
                v = math.nan
                bad = True
            else:
                bad = not math.isfinite(v)
            if bad:
                hint = f" (an id or name column? leave it out with --drop {header[i]})" if not _number(cell) else ""
                raise DataError(
                    f"{source}: line {line}, column {header[i]!r}: {cell.strip()!r} is not a finite number{hint}"
                )
            x.append(v)
        X.append(x)
        labels.append(row[t].strip())
    if not X:
        raise DataError(f"{source}: empty table (a header but no data rows)")
    classes = sorted(set(labels), key=_label_key)
    if len(classes) < 2:
        raise DataError(f"{source}: column {target!r} has {len(classes)} class ({classes[0]!r}); need at least 2")
    index = {c: k for k, c in enumerate(classes)}
    return Dataset(name, X, [index[c] for c in labels], features, classes)


def _number(cell: str) -> bool:
    """True if ``cell`` reads as a float at all (nan and inf included): then it is a bad value, not a text column."""
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _label_key(label: str) -> tuple:
    """Sort class labels numerically when they are numbers (1, 2, 10), else as text; numbers first."""
    try:
        return (0, float(label), label)
    except ValueError:
        return (1, 0.0, label)


def load_csv(path: str | Path, target: str, drop: Sequence[str] = ()) -> Dataset:
    """Read a CSV table with a header row: every column but ``target`` (and ``drop``) is a numeric feature.

    The delimiter (comma, semicolon, tab or bar) is sniffed from the first lines (`sniff_delimiter`).

    Class labels in ``target`` may be any strings; they are sorted and numbered 0..k-1. Blank lines
    are skipped; line numbers in errors are the file's own (the header is line 1).

    Args:
        path: the CSV file (UTF-8, a BOM is fine).
        target: the name of the label column.
        drop: columns to leave out (an id or a name column).

    Returns:
        A `Dataset` named after the file's stem.

    Raises:
        DataError: file missing or unreadable, empty table, no ``target`` column (lists the
            available ones), a row with the wrong number of fields (names the line), a non-numeric
            or non-finite feature (names line, column and text; for text, a hint to ``--drop`` the
            column), a ``drop`` column that does not exist or is the target, fewer than 2 classes.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = pathlib.Path(tmp, "t.csv")
    ...     _ = p.write_text("a,b,label\\n1,2,no\\n3,4,yes\\n")
    ...     d = load_csv(p, "label")
    >>> d.X, d.y, d.class_names
    ([[1.0, 2.0], [3.0, 4.0]], [0, 1], ['no', 'yes'])
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, not a CSV file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: cannot read: {e}") from None
    return _parse_table(text, target, path.stem, str(path), tuple(drop))


def load_iris() -> Dataset:
    """Fisher's Iris table (bundled): 150 rows × 4 features (cm), 3 classes of 50.

    Classes (sorted): setosa, versicolor, virginica. Source and licence: ``deltagrad/data/README.md``.

    >>> d = load_iris(); len(d.X), d.n_features, d.class_names
    (150, 4, ['setosa', 'versicolor', 'virginica'])
    """
    text = resources.files(__name__).joinpath("iris.csv").read_text(encoding="utf-8")
    return _parse_table(text, "species", "iris", "iris.csv")


def load_xor() -> Dataset:
    """The four points of exclusive-or: X (4, 2), y = x1 XOR x2.

    In the order of seed document 002's XOR network (docs/sources.md#the-xor-network).

    >>> d = load_xor(); d.X, d.y
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    """
    X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    return Dataset("xor", X, [int(a) ^ int(b) for a, b in X], ["x1", "x2"], ["0", "1"])


def stratified_split(y: Sequence[int], test_fraction: float = 0.2, seed: int = 0) -> tuple[list[int], list[int]]:
    """Split row indices into train and test, keeping each class's share in both.

    Each class's indices are shuffled with ``random.Random(seed)`` and ``round(n_c · test_fraction)``
    of them go to the test set (at least 1 and at most n_c - 1 when the class has ≥ 2 rows and
    0 < test_fraction < 1). Deterministic for a given ``seed``; both lists come back sorted.

    Args:
        y: class index per row, length n.
        test_fraction: share of each class held out, in [0, 1).
        seed: seed of the shuffle.

    Raises:
        ValueError: if test_fraction is outside [0, 1).

    >>> stratified_split([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], 0.2)[1]    # one of each class
    [2, 5]
    """
    if not 0 <= test_fraction < 1:
        raise ValueError(f"stratified_split: test_fraction must be in [0, 1), got {test_fraction}")
    rng = random.Random(seed)
    train: list[int] = []
    test: list[int] = []
    for c in sorted(set(y)):
        idx = [i for i, yi in enumerate(y) if yi == c]
        rng.shuffle(idx)
        k = round(len(idx) * test_fraction)
        if test_fraction > 0 and len(idx) >= 2:
            k = min(max(k, 1), len(idx) - 1)
        test += idx[:k]
        train += idx[k:]
    return sorted(train), sorted(test)


def standardize(
    X_train: Iterable[Sequence[float]], X_test: Iterable[Sequence[float]] = ()
) -> tuple[list[list[float]], list[list[float]]]:
    """z-score both splits with the training split's statistics: x' = (x - μ_train) / σ_train.

    σ is the population standard deviation (numpy's default, ddof=0); a constant column (σ = 0)
    is only centred (divided by 1), so no nan appears. The test split never influences μ or σ.

    Args:
        X_train: shape (n_train, d), n_train ≥ 1.
        X_test: shape (n_test, d), may be empty.

    Returns:
        (X_train', X_test') as lists of lists of floats.

    >>> standardize([[1.0, 5.0], [3.0, 5.0]], [[2.0, 6.0]])
    ([[-1.0, 0.0], [1.0, 0.0]], [[0.0, 1.0]])
    """
    tr = np.asarray(X_train, dtype=np.float64)
    if tr.ndim != 2 or tr.shape[0] == 0:
        raise ValueError(f"standardize: X_train must be a non-empty (n, d) table, got shape {tr.shape}")
    te = np.asarray(list(X_test), dtype=np.float64).reshape(-1, tr.shape[1])
    # a column with huge but finite values (1e308) is divided by its largest |x| first, so its
    # statistics never overflow; z-scores do not depend on that scale
    scale = np.max(np.abs(tr), axis=0)
    scale = np.where((scale > 1e100) & np.isfinite(scale), scale, 1.0)  # only where squares could overflow
    mu_s, sd_s = (tr / scale).mean(axis=0), (tr / scale).std(axis=0)
    const = ~(sd_s > 0)  # a constant column is only centred

    def z(x: np.ndarray) -> np.ndarray:
        scaled = (x / scale - mu_s) / np.where(const, 1.0, sd_s)
        return np.where(const, x - mu_s * scale, scaled)

    return z(tr).tolist(), z(te).tolist()
