"""Drawing the losses: each loss and its derivative -- taken by the engine's backward -- one figure per family."""

from __future__ import annotations

import errno
import functools
import io
import os
from pathlib import Path

import numpy as np

from deltagrad import nn
from deltagrad.autograd import Tensor

FORMATS = ("png", "svg")

# (label, loss(prediction, target, reduction='none') as a function of the error e = y − ŷ)
REGRESSION = [
    ("MSE  e²", lambda p, t: nn.mse(p, t, reduction="none")),
    ("½MSE  ½e²", lambda p, t: nn.half_mse(p, t, reduction="none")),
    ("MAE  |e|", lambda p, t: nn.mae(p, t, reduction="none")),
    ("Huber δ=1", lambda p, t: nn.huber(p, t, delta=1.0, reduction="none")),
    ("smooth L1 β=0.5", lambda p, t: nn.smooth_l1(p, t, beta=0.5, reduction="none")),
    ("log-cosh", lambda p, t: nn.log_cosh(p, t, reduction="none")),
    ("quantile q=0.7", lambda p, t: nn.quantile(p, t, q=0.7, reduction="none")),
    ("MBE  e", lambda p, t: nn.mbe(p, t, reduction="none")),
]
# against the probability p of the true class (target y = 1)
PROBABILITY = [
    ("BCE  −log p", lambda p, t: nn.binary_cross_entropy(p, t, reduction="none")),
    ("focal γ=1", lambda p, t: nn.focal_loss(p, t, gamma=1.0, reduction="none")),
    ("focal γ=2", lambda p, t: nn.focal_loss(p, t, gamma=2.0, reduction="none")),
    ("focal γ=5", lambda p, t: nn.focal_loss(p, t, gamma=5.0, reduction="none")),
]
# against the margin m = y·ŷ (target y = +1, score ŷ = m)
MARGIN = [
    ("hinge", lambda s, t: nn.hinge(s, t, reduction="none")),
    ("squared hinge", lambda s, t: nn.squared_hinge(s, t, reduction="none")),
    ("logistic = BCE with logits", lambda s, t: nn.logistic(s, t, reduction="none")),
    ("focal γ=2 (logits)", lambda s, t: nn.focal_loss(s, (t + 1) / 2, gamma=2.0, from_logits=True, reduction="none")),
]


def curve(loss, x: np.ndarray, target: float, negate: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(L(x), dL/dx) at every point of ``x``, the derivative from one ``backward()`` through the engine.

    The prediction is ``x`` itself, or ``−x`` when ``negate`` (so that x is the error e = y − ŷ
    with y = 0); either way the gradient is read off the leaf holding x, so the chain rule is the
    engine's. Summing the per-element losses makes each leaf's gradient its own derivative.
    """
    leaf = Tensor(x.astype(np.float64))
    pred = -leaf if negate else leaf
    out = loss(pred, np.full(x.shape, target))
    out.sum().backward()
    return out.data.copy(), np.asarray(leaf.grad, dtype=np.float64).copy()


@functools.cache
def figure_class() -> type:
    """``LossFigure``: a plain `matplotlib.figure.Figure` (no pyplot state) that shows itself in Jupyter.

    A Figure made without pyplot has no display of its own (``display(fig)`` prints ``<Figure …>``
    unless the inline backend happens to be active); this subclass adds ``_repr_png_``, which
    IPython's display formatter calls, so ``display(regression_figure())`` -- or a cell ending in
    it -- shows the image in any kernel. It renders on the Agg canvas at ``repr_dpi`` (80: a
    screen-sized image that keeps notebooks small); ``savefig`` is unchanged. (Built on first use
    so that importing this module does not import matplotlib.)
    """
    from matplotlib.figure import Figure

    class LossFigure(Figure):
        repr_dpi = 80

        def _repr_png_(self) -> bytes:
            buf = io.BytesIO()
            self.savefig(buf, format="png", dpi=self.repr_dpi)
            return buf.getvalue()

    LossFigure.__module__ = __name__
    return LossFigure


def _figure(ncols: int):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = figure_class()(figsize=(6.0 * ncols, 7.0), dpi=100)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(2, ncols, sharex="col", squeeze=False)


def _panel(ax_loss, ax_grad, family, x, target, negate, xlabel, dlabel, ylim, glim):
    for label, loss in family:
        y, g = curve(loss, x, target, negate)
        (line,) = ax_loss.plot(x, y, lw=1.6, label=label)
        ax_grad.plot(x, g, lw=1.6, color=line.get_color(), label=label)
    ax_loss.set_ylabel("loss L")
    ax_loss.set_ylim(*ylim)
    ax_grad.set_ylabel(dlabel)
    ax_grad.set_ylim(*glim)
    ax_grad.set_xlabel(xlabel)
    for ax in (ax_loss, ax_grad):
        ax.axhline(0.0, color="0.6", lw=0.8)
        ax.grid(True, alpha=0.3)
    ax_loss.legend(fontsize=8, loc="upper center")


def regression_figure():
    """The regression family against the error e = y − ŷ: losses on top, dL/de below.

    Returns a pyplot-free Figure (see `figure_class`) that Jupyter displays inline.
    """
    fig, axes = _figure(1)
    e = np.linspace(-3.0, 3.0, 601)
    _panel(axes[0, 0], axes[1, 0], REGRESSION, e, 0.0, True, "error e = y − ŷ",
           "dL/de (engine backward)", (-3.2, 9.0), (-6.5, 6.5))
    fig.suptitle("deltagrad regression losses and their derivatives")
    fig.tight_layout()
    return fig


def classification_figure():
    """Probability losses (against p, y = 1) and margin losses (against y·ŷ), with derivatives.

    Returns a pyplot-free Figure (see `figure_class`) that Jupyter displays inline.
    """
    fig, axes = _figure(2)
    p = np.linspace(0.005, 0.995, 397)
    _panel(axes[0, 0], axes[1, 0], PROBABILITY, p, 1.0, False, "probability of the true class p (y = 1)",
           "dL/dp (engine backward)", (0.0, 5.0), (-10.0, 1.0))
    m = np.linspace(-3.0, 3.0, 601)
    _panel(axes[0, 1], axes[1, 1], MARGIN, m, 1.0, False, "margin y·ŷ (y = +1)",
           "dL/d(y·ŷ) (engine backward)", (0.0, 5.0), (-8.5, 0.5))
    fig.suptitle("deltagrad classification losses and their derivatives")
    fig.tight_layout()
    return fig


def _save_temp(fig, path: Path, fmt: str) -> Path:
    """Render ``fig`` to a temporary file next to ``path`` (same directory: os.replace is a rename); its path."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            fig.savefig(f, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def plot_losses(out_dir: str | os.PathLike = ".", fmt: str = "png") -> list[Path]:
    """Write ``regression.<fmt>`` and ``classification.<fmt>`` into ``out_dir``; return their paths.

    Each figure plots every loss of its family and, below, its derivative computed by
    ``backward()`` (not by hand), so a kink or a saturation is seen where the engine has it.
    All or nothing: both targets are checked first, both figures rendered to temporary files in
    ``out_dir`` and only then moved into place (``os.replace``), so a failure leaves neither file
    new. matplotlib runs on the Agg canvas, no pyplot state.

    Raises:
        ValueError: for a format other than png or svg.
        OSError: if ``out_dir`` cannot be created or written (e.g. it is a file), or a target is
            a directory; ``filename`` names the path at fault.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [p.name for p in plot_losses(d, "svg")]
    ['regression.svg', 'classification.svg']
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "exists and is not a directory", str(out))
    figures = (("regression", regression_figure), ("classification", classification_figure))
    paths = [out / f"{name}.{fmt}" for name, _ in figures]
    for path in paths:
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, "is a directory; nothing was written", str(path))
    out.mkdir(parents=True, exist_ok=True)
    temps: list[Path] = []
    try:
        for (_, make), path in zip(figures, paths):
            temps.append(_save_temp(make(), path, fmt))
        for tmp, path in zip(temps, paths):
            os.replace(tmp, path)
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
    return paths
