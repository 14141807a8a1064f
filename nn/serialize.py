"""Parameters as named arrays: state_dict plumbing, and save/load to .npz files (no pickle, atomic writes)."""

from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import numpy as np


class StateFileError(ValueError):
    """A parameter file cannot be used: not an ``.npz`` archive, damaged, or holding pickled objects."""


class LoadResult(NamedTuple):
    """What `Module.load_state_dict` did not match: names it expected and names it did not know."""

    missing_keys: list
    unexpected_keys: list


def save(module, path: str | os.PathLike) -> None:
    """Write ``module.state_dict()`` (or a dict of arrays) to ``path`` as an uncompressed ``.npz``.

    The file is written to a temporary file in the same directory and moved into place with
    ``os.replace``, so ``path`` is either the old file or the complete new one, never half
    written. The path is used as given (numpy's habit of appending ``.npz`` is not followed).

    Raises:
        OSError: the directory does not exist or cannot be written.

    >>> import tempfile, os
    >>> from deltagrad.nn import MLP, save, load
    >>> a, b = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=1)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     save(a, os.path.join(d, "net.npz")); _ = load(b, os.path.join(d, "net.npz"))
    >>> b.layers[1].neurons[0].w[2].data == a.layers[1].neurons[0].w[2].data
    True
    """
    state = module if isinstance(module, dict) else module.state_dict()
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **{k: np.asarray(v) for k, v in state.items()})
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def read_arrays(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The named arrays of an ``.npz`` file, read with ``allow_pickle=False``.

    Raises:
        FileNotFoundError: no such file.
        StateFileError: not an ``.npz`` archive, damaged, or an entry is a pickled object array
            (refused: unpickling a file can run arbitrary code).
    """
    try:
        z = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        raise StateFileError(f"{path}: not a parameter file (.npz): {e}") from None
    if not isinstance(z, np.lib.npyio.NpzFile):
        raise StateFileError(f"{path}: a single .npy array, not an .npz archive of named parameters")
    with z:
        out = {}
        for k in z.files:
            try:
                out[k] = z[k]
            except ValueError as e:
                if "allow_pickle" in str(e):
                    raise StateFileError(
                        f"{path}: entry {k!r} is a pickled object array; refused (parameter files hold numbers only)"
                    ) from None
                raise StateFileError(f"{path}: entry {k!r} cannot be read: {e}") from None
            except (OSError, EOFError, zipfile.BadZipFile) as e:
                raise StateFileError(f"{path}: entry {k!r} is damaged: {e}") from None
    return out


def load(module, path: str | os.PathLike, strict: bool = True) -> LoadResult:
    """Load parameters saved by `save` into ``module`` (via ``module.load_state_dict``).

    Raises:
        FileNotFoundError, StateFileError: see `read_arrays`.
        ValueError: missing/unexpected names or a shape mismatch (see ``Module.load_state_dict``);
            nothing is changed.
    """
    return module.load_state_dict(read_arrays(path), strict=strict)


# ---------------------------------------------------------------- state_dict plumbing (used by Module)
# A module's _state_entries() maps each name to a Tensor, or to an object array of Values laid out
# as the named array (so nn.MLP's neurons read as W[j, i]).


def _grid(values: list, shape: tuple | None = None) -> np.ndarray:
    g = np.empty(len(values), dtype=object)
    g[:] = values
    return g if shape is None else g.reshape(shape)


def _read(e) -> np.ndarray:
    if isinstance(e, np.ndarray):  # Values
        return np.array([v.data for v in e.flat], dtype=np.float64).reshape(e.shape)
    return np.array(e.data, copy=True)


def _write(e, arr: np.ndarray) -> None:
    if isinstance(e, np.ndarray):
        for v, x in zip(e.flat, arr.flat):
            v.data = float(x)
    else:
        e.data[...] = arr  # in place, cast to the Tensor's dtype


def _check_unique(dicts: Iterable[dict]) -> dict:
    out: dict = {}
    for d in dicts:
        for k, v in d.items():
            if k in out:
                raise ValueError(f"state_dict: two parameters are named {k!r} (give each layer its own number)")
            out[k] = v
    return out
