"""The renderer chain: DOT text to SVG/PNG bytes with system `dot` or `graphviz-pure`, and atomic writes."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile

FORMATS = ("svg", "png", "jpg", "pdf", "dot")
"""Output formats ``viz`` writes: ``dot`` is the DOT source itself (no renderer needed)."""
SUFFIXES = {"svg": "svg", "png": "png", "jpg": "jpg", "jpeg": "jpg", "pdf": "pdf", "dot": "dot", "gv": "dot"}
"""File suffixes ``viz`` understands and the format each names."""

ENV_VAR = "DELTAGRAD_DOT"
TIMEOUT = 60.0  # seconds; a graph that takes longer should be drawn smaller or as view="network"
ADVICE = "pip install graphviz-pure (a Graphviz build from PyPI) or install Graphviz (https://graphviz.org/download/)"


class RendererNotFound(RuntimeError):
    """No program to turn DOT into SVG/PNG: neither ``$DELTAGRAD_DOT``, system ``dot`` nor ``graphviz-pure``.

    The message says how to get one. The DOT source (``Drawing.source``) is still available.
    """


class RenderError(RuntimeError):
    """The renderer ran but failed (non-zero exit or timeout); the message carries its stderr."""


def find_renderer() -> str:
    """Path of the program that renders DOT, chosen in this order:

    1. ``$DELTAGRAD_DOT`` if set (a path or a name on PATH), to force one;
    2. the system Graphviz ``dot`` on PATH;
    3. ``graphviz-pure`` next to ``sys.executable`` (the active virtualenv), then on PATH.

    Raises:
        RendererNotFound: if none exists (or ``$DELTAGRAD_DOT`` names nothing executable).

    >>> find_renderer()            # doctest: +SKIP
    '/usr/bin/dot'
    """
    forced = os.environ.get(ENV_VAR, "").strip()
    if forced:
        exe = shutil.which(forced)
        if exe is None:
            raise RendererNotFound(f"${ENV_VAR}={forced!r} is not an executable program; unset it or fix the path")
        return exe
    exe = shutil.which("dot")
    if exe:
        return exe
    bindir = os.path.dirname(os.path.abspath(sys.executable)) if sys.executable else ""
    exe = (bindir and shutil.which("graphviz-pure", path=bindir)) or shutil.which("graphviz-pure")
    if exe:
        return exe
    raise RendererNotFound(f"no Graphviz renderer found (looked for `dot` and `graphviz-pure`): {ADVICE}")


def render(source: str, fmt: str = "svg", *, timeout: float = TIMEOUT) -> bytes:
    """Render DOT ``source`` to ``fmt`` (``"svg"``, ``"png"``, ``"jpg"`` or ``"pdf"``) and return the file's bytes.

    PDF comes from the renderer when it can write PDF (Graphviz built with cairo), else it is the
    renderer's PNG at 144 dpi on a PDF page (`png_to_pdf`).

    ``fmt="dot"`` returns the source itself, UTF-8 encoded, without running anything. The
    renderer reads the source on stdin (``exe -Tfmt``); nothing is written to disk.

    Raises:
        ValueError: for an unknown format.
        RendererNotFound: if no renderer is installed (see `find_renderer`).
        RenderError: if the renderer exits non-zero or runs longer than ``timeout`` seconds.

    >>> render('digraph { a -> b }', "svg")[:5]     # doctest: +SKIP
    b'<?xml'
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    data = source.encode("utf-8")
    if fmt == "dot":
        return data
    exe = find_renderer()
    if fmt == "pdf":
        try:
            return _run(exe, "pdf", data, timeout)
        except RenderError:  # a renderer without PDF (graphviz-pure): its PNG at 2x, in a PDF page by matplotlib
            return png_to_pdf(_run(exe, "png", data, timeout, ["-Gdpi=144"]))
    return _run(exe, fmt, data, timeout)


def png_to_pdf(png: bytes, dpi: float = 144.0) -> bytes:
    """A one-page PDF holding the PNG image at ``dpi`` (matplotlib's PDF backend; a raster, not vectors)."""
    import io

    from matplotlib.backends.backend_pdf import FigureCanvasPdf
    from matplotlib.figure import Figure
    from matplotlib.image import imread

    img = imread(io.BytesIO(png), format="png")
    fig = Figure(figsize=(img.shape[1] / dpi, img.shape[0] / dpi), dpi=dpi)
    FigureCanvasPdf(fig)
    fig.figimage(img, 0, 0)
    buf = io.BytesIO()
    fig.savefig(buf, format="pdf", dpi=dpi)
    return buf.getvalue()


def _run(exe: str, fmt: str, data: bytes, timeout: float, extra: list | None = None) -> bytes:
    try:
        done = subprocess.run(
            [exe, "-T" + fmt, *(extra or [])], input=data, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise RenderError(
            f"{exe} did not finish within {timeout:g} s; draw a smaller graph or use view='network'"
        ) from None
    except OSError as e:
        raise RenderError(f"could not run {exe}: {e}") from None
    if done.returncode != 0 or not done.stdout:
        err = done.stderr.decode("utf-8", "replace").strip()
        raise RenderError(f"{exe} -T{fmt} failed (exit {done.returncode}): {err[:2000] or 'no output'}")
    return done.stdout


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` all at once: a temp file in the same directory, then ``os.replace``.

    A failure at any point leaves ``path`` as it was (absent or with its old content) and removes
    the temp file.

    Raises:
        OSError: if the directory is not writable.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        with contextlib.suppress(OSError):  # mkstemp makes the file 0600: the old file's mode, or 0644
            os.chmod(tmp, os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
