"""Multi-class losses: cross-entropy from logits, NLL, KL divergence, multi-class margin (SVM).

Inputs are a batch of rows of K scores: a list of K Values (one sample), a list of such lists
(N samples), or a Tensor of shape (K,) or (N, K) (the class axis is the last one). Class-index
targets are ints in [0, K); 'mean' averages over samples, as PyTorch does.
"""

from __future__ import annotations

import numpy as np
from deltagrad.autograd import Tensor, Value

from deltagrad import autograd

from .losses_core import (
    check_reduction,
    class_indices,
    data,
    elementwise,
    flatten,
    in_unit_interval,
    reduce,
    rows,
    where,
)


def _per_sample(name: str, losses: list, single: bool, reduction: str):
    if reduction == "none":
        return losses[0] if single else losses
    return autograd.mean(losses) if reduction == "mean" else autograd.sum(losses)


def _tensor_rows(name: str, x: Tensor) -> Tensor:
    if x.ndim not in (1, 2) or x.size == 0:
        raise ValueError(f"{name}: expected scores of shape (K,) or (N, K), got {x.shape}")
    return x.reshape(1, -1) if x.ndim == 1 else x


def _tensor_indices(name: str, target, n: int, k: int) -> np.ndarray:
    t = np.asarray(data(target))
    if t.ndim == 0:
        t = t.reshape(1)
    if t.dtype.kind == "f" and np.all(t == np.round(t)):
        t = t.astype(np.int64)  # a Tensor of indices is stored as float64
    return np.asarray(class_indices(name, t, n, k), dtype=np.intp)


def _is_soft(target, x) -> bool:
    """Probability targets (same shape as the logits) rather than class indices?"""
    if isinstance(x, Tensor):
        return np.shape(data(target)) == x.shape
    single = bool(x) and isinstance(x[0], (Value, int, float))
    if isinstance(target, (np.ndarray, Tensor)):
        return np.ndim(data(target)) == (1 if single else 2)
    if single:
        return isinstance(target, (list, tuple))
    return isinstance(target, (list, tuple)) and bool(target) and isinstance(target[0], (list, tuple, np.ndarray))


def cross_entropy(logits, target, *, label_smoothing: float = 0.0, reduction: str = "mean"):
    """Softmax cross-entropy from logits: Lᵢ = −Σₖ tᵢₖ log softmax(zᵢ)ₖ, averaged over samples.

    ``target`` is a class index (int, or one per sample) or a probability row per sample (soft /
    one-hot targets, same shape as ``logits``). With label smoothing ε the target becomes
    (1 − ε)t + ε/K. log softmax(z) = z − logsumexp(z), the logsumexp shifted by max z, so logits
    of ±1e4 give finite losses. ∂Lᵢ/∂zᵢ = softmax(zᵢ) − tᵢ (/N for 'mean'). Matches
    ``torch.nn.functional.cross_entropy`` (incl. ``label_smoothing`` and probability targets;
    no ``weight`` or ``ignore_index``). Source: docs/losses.md (0.2797765636; ε = 0.1:
    0.3462596310).

    Raises:
        ValueError: for a class index out of range (or not an int), soft targets outside [0, 1],
            mismatched shapes or sample counts, ε outside [0, 1].

    >>> from deltagrad.autograd import Value
    >>> round(cross_entropy([Value(0.0), Value(0.0)], 1).data, 6)    # log 2
    0.693147
    """
    name = "cross_entropy"
    check_reduction(name, reduction)
    eps = float(label_smoothing)
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
    soft = _is_soft(target, logits)
    if isinstance(logits, Tensor):
        z = _tensor_rows(name, logits)
        n, k = z.shape
        ls = z.log_softmax(axis=-1)
        if soft:
            t = _soft_tensor(name, target, z)
            t = t if eps == 0 else (1.0 - eps) * t + eps / k
            out = -(ls * t).sum(axis=-1)
        else:
            y = _tensor_indices(name, target, n, k)
            out = -ls[np.arange(n), y]
            if eps:
                out = (1.0 - eps) * out - (eps / k) * ls.sum(axis=-1)
        return reduce(out.reshape(()) if logits.ndim == 1 and reduction == "none" else out, reduction)
    zs, single = rows(name, logits)
    k = len(zs[0])
    if soft:
        ts = _soft_rows(name, target, zs, single)
    else:
        ys = class_indices(name, [target] if single else target, len(zs), k)
    losses = []
    for i, z in enumerate(zs):
        if len(z) != k:
            raise ValueError(f"{name}: sample {i} has {len(z)} logits, sample 0 has {k}")
        lse = _logsumexp(z)
        if soft:
            t = [(1.0 - eps) * tj + eps / k for tj in ts[i]]
            losses.append(autograd.sum([tj * (lse - zj) for tj, zj in zip(t, z) if tj != 0.0] or [lse * 0.0]))
        elif eps:
            losses.append(lse - (1.0 - eps) * z[ys[i]] - (eps / k) * autograd.sum(z))
        else:
            losses.append(lse - z[ys[i]])
    return _per_sample(name, losses, single, reduction)


def _logsumexp(z: list[Value]) -> Value:
    m = max(v.data for v in z)
    m = m if np.isfinite(m) else 0.0
    return autograd.sum([(v - m).exp() for v in z]).log() + m  # shifted by the max: nothing overflows


def _soft_tensor(name: str, target, z: Tensor) -> Tensor:
    t = target if isinstance(target, Tensor) else Tensor(np.asarray(target, dtype=z.dtype), requires_grad=False)
    t = t.reshape(1, -1) if t.ndim == 1 else t
    err = in_unit_interval("target")(None, t.data)
    if err:
        raise ValueError(f"{name}: soft {err}")
    return t


def _soft_rows(name: str, target, zs: list, single: bool) -> list[list[float]]:
    flat, shape = flatten(name, "target", [target] if single else target)
    want = (len(zs), len(zs[0]))
    if shape != want:
        raise ValueError(f"{name}: logits have shape {want} but the probability targets have shape {shape}")
    vals = [float(data(v)) for v in flat]
    err = in_unit_interval("target")(None, np.array(vals))
    if err:
        raise ValueError(f"{name}: soft {err}")
    return [vals[i * want[1]:(i + 1) * want[1]] for i in range(want[0])]


def nll_loss(log_probs, target, *, reduction: str = "mean"):
    """Negative log-likelihood: Lᵢ = −log_probs[i, yᵢ], averaged over samples; ∂Lᵢ/∂log_probs[i, yᵢ] = −1.

    ``log_probs`` are log-probabilities (e.g. `nn.log_softmax` of logits), so
    ``nll_loss(log_softmax(z), y) == cross_entropy(z, y)``. Matches
    ``torch.nn.functional.nll_loss`` (no ``weight``/``ignore_index``). Inputs are not checked to
    be ≤ 0 (as in PyTorch).

    Raises:
        ValueError: for a class index out of range or mismatched sample counts.

    >>> round(nll_loss([[-0.1, -2.3]], [0]).data, 6)
    0.1
    """
    name = "nll_loss"
    check_reduction(name, reduction)
    if isinstance(log_probs, Tensor):
        lp = _tensor_rows(name, log_probs)
        y = _tensor_indices(name, target, *lp.shape)
        out = -lp[np.arange(lp.shape[0]), y]
        return reduce(out.reshape(()) if log_probs.ndim == 1 and reduction == "none" else out, reduction)
    lps, single = rows(name, log_probs)
    ys = class_indices(name, [target] if single else target, len(lps), len(lps[0]))
    return _per_sample(name, [-row[y] for row, y in zip(lps, ys)], single, reduction)


def kl_div(input, target, *, reduction: str = "batchmean", log_target: bool = False):
    """KL divergence KL(p ‖ q) with ``input`` = log q (log-probabilities) and ``target`` = p.

    Pointwise pᵢ (log pᵢ − log qᵢ), with 0·log 0 = 0 (a zero target adds exactly 0, never nan, even where log q = −inf); with
    ``log_target=True`` the target is log p and the term is e^(log p)(log p − log q).
    ∂/∂log qᵢ = −pᵢ. Same argument order and semantics as
    ``torch.nn.functional.kl_div(input, target)``: 'batchmean' (our default; PyTorch's default
    is the elementwise 'mean', which it warns is not the KL) divides the sum by the size of the
    first axis, the batch, so pass one distribution as ``[[...]]``; 'mean' divides by the number of
    elements, 'sum' and 'none' as usual. Source: docs/losses.md (batch mean: 0.2797765636).

    Raises:
        ValueError: if p is outside [0, 1] (log_target=False) or the shapes differ.

    >>> import math
    >>> round(kl_div([[math.log(0.5), math.log(0.5)]], [[1.0, 0.0]]).data, 6)    # log 2
    0.693147
    """
    name = "kl_div"
    check_reduction(name, reduction, ("batchmean",))
    if log_target:
        def f(x, t):
            pos = data(t) > -np.inf  # log p = -inf is p = 0: adds exactly 0, as above
            safe_t, safe_x = _node(where(pos, t, 0.0)), where(pos, x, 0.0)
            return where(pos, safe_t.exp() * (safe_t - safe_x), 0.0)
        check = None
    else:
        def f(x, t):
            # p = 0 adds exactly 0 (also where log q = -inf); log is taken of 1 there, so no branch makes a nan
            pos = data(t) > 0
            safe_t, safe_x = _node(where(pos, t, 1.0)), where(pos, x, 0.0)
            return where(pos, t * (safe_t.log() - safe_x), 0.0)
        check = in_unit_interval("target")
    out = elementwise(name, f, input, target, "sum" if reduction == "batchmean" else reduction, check)
    if reduction != "batchmean":
        return out
    n = input.shape[0] if isinstance(input, Tensor) and input.ndim else (len(input) if isinstance(input, (list, tuple)) else 1)
    return out * (1.0 / n)


def _node(t):
    return t if isinstance(t, (Value, Tensor)) else Value(float(t), requires_grad=False)


def multi_margin(scores, target, *, margin: float = 1.0, p: int = 1, reduction: str = "mean"):
    """Multi-class hinge (Weston-Watkins / cs231n SVM): Lᵢ = Σ_{j≠yᵢ} max(0, margin − s_yᵢ + s_j)^p / K.

    ∂Lᵢ/∂s_j = p·hⱼ^(p−1)/K for each active term (hⱼ > 0), and minus their sum at s_yᵢ. At the
    margin (hⱼ = 0) the gradient is 0 (relu'(0) = 0, as PyTorch's backward). Matches
    ``torch.nn.functional.multi_margin_loss(p, margin)`` including its division by K; the
    cs231n / micrograd-style SVM loss without the 1/K is ``K * multi_margin(...)``.

    Raises:
        ValueError: p not 1 or 2, margin < 0, class index out of range, mismatched sample counts.

    >>> multi_margin([[0.1, 0.2, 0.4]], [2]).data    # (0.7 + 0.8) / 3
    0.5
    """
    name = "multi_margin"
    check_reduction(name, reduction)
    if p not in (1, 2):
        raise ValueError(f"{name}: p must be 1 or 2, got {p}")
    if not margin >= 0:
        raise ValueError(f"{name}: margin must be >= 0, got {margin}")
    if isinstance(scores, Tensor):
        s = _tensor_rows(name, scores)
        n, k = s.shape
        y = _tensor_indices(name, target, n, k)
        others = np.ones((n, k), dtype=s.dtype)
        others[np.arange(n), y] = 0.0
        h = (margin - s[np.arange(n), y].reshape(n, 1) + s).relu()
        out = ((h if p == 1 else h * h) * others).sum(axis=-1) * (1.0 / k)
        return reduce(out.reshape(()) if scores.ndim == 1 and reduction == "none" else out, reduction)
    ss, single = rows(name, scores)
    k = len(ss[0])
    ys = class_indices(name, [target] if single else target, len(ss), k)
    losses = []
    for row, y in zip(ss, ys):
        terms = [(margin - row[y] + sj).relu() for j, sj in enumerate(row) if j != y]
        terms = [h if p == 1 else h * h for h in terms]
        losses.append(autograd.sum(terms) * (1.0 / k) if terms else row[y] * 0.0)
    return _per_sample(name, losses, single, reduction)
