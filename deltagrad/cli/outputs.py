"""Writing a run's files: the loss curve, metrics.json, and an all-or-nothing move into --out."""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path


class OutputError(ValueError):
    """The output directory cannot be used (it is a file, or cannot be created or written)."""


def check_out_dir(out: Path) -> None:
    """Fail early, before training, if ``out`` exists and is not a directory.

    Raises:
        OutputError: naming ``out``.
    """
    try:
        if out.exists() and not out.is_dir():
            raise OutputError(f"--out {out}: exists and is not a directory")
        for parent in out.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise OutputError(f"--out {out}: {parent} is not a directory")
                break
    except OSError as e:  # a name too long, a permission error on a parent ...
        raise OutputError(f"--out {out}: {e.strerror or e}") from None


@contextlib.contextmanager
def staged_output(out: Path) -> Iterator[Path]:
    """Yield a fresh temporary directory; on a clean exit move every file in it into ``out``.

    The temporary directory lives in ``out``'s parent when that exists (so the move is a
    rename on one filesystem), else in the system temp directory. If the block raises, nothing
    reaches ``out``. ``out`` (and its parents) is created only at the end; files already in it are
    kept, except those with the same names, which are replaced.

    Raises:
        OutputError: if ``out`` cannot be created or written.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = pathlib.Path(d) / "run"
    ...     with staged_output(out) as tmp:
    ...         _ = (tmp / "a.txt").write_text("hi")
    ...     print(sorted(p.name for p in out.iterdir()))
    ['a.txt']
    """
    out = Path(out)
    parent = out.parent if out.parent.is_dir() else None
    try:
        tmp = Path(tempfile.mkdtemp(prefix=".deltagrad-tmp-", dir=parent))
    except OSError:
        tmp = Path(tempfile.mkdtemp(prefix="deltagrad-tmp-"))
    try:
        yield tmp
        try:
            out.mkdir(parents=True, exist_ok=True)
            files = sorted(tmp.iterdir(), key=lambda p: p.name == "metrics.json")  # metrics.json last
            for f in files:  # check every target before moving any file: all or nothing
                if (out / f.name).is_dir():
                    raise OutputError(f"--out {out}: {f.name} exists there and is a directory")
            for f in files:
                shutil.move(os.fspath(f), os.fspath(out / f.name))
        except OSError as e:
            raise OutputError(f"--out {out}: cannot write: {e.strerror or e}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _json_safe(x):
    if isinstance(x, float) and not math.isfinite(x):
        return None  # JSON has no nan/inf: null, never the invalid token NaN
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    return x


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` as indented UTF-8 JSON (δ and other non-ASCII kept as is; nan/inf as null)."""
    text = json.dumps(_json_safe(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)  # atomic: a reader never sees half a file


def plot_loss(path: Path, losses: Sequence[float], title: str, ylabel: str) -> None:
    """Save a PNG of the loss per epoch (matplotlib, Agg canvas; no global pyplot state touched).

    Args:
        path: where to write the PNG.
        losses: one number per epoch.
        title: the plot's title.
        ylabel: the y axis label (e.g. ``"cross-entropy loss"``).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    losses = [v if math.isfinite(v) else float("nan") for v in losses]  # matplotlib leaves gaps at nan
    finite = [v for v in losses if math.isfinite(v)]
    ax.plot(range(1, len(losses) + 1), losses, color="tab:blue", lw=1.5)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if len(finite) > 1 and min(finite) > 0 and max(finite) / min(finite) > 50:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.fspath(path), format="png")
