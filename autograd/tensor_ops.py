"""The table of Tensor primitives: each op's numpy forward beside its VJP, and ``unbroadcast``.

Same conventions as `autograd.primitives`: ``forward(*arrays, *ctx)``,
``vjp(g, out, *inputs, *ctx) -> tuple``, VJPs in plain arithmetic so that the same rule runs on
arrays in ``backward()`` and on Tensors under ``backward(create_graph=True)``. Ops that broadcast
their inputs are wrapped once, in `_reduced`: each gradient is summed back to its input's
shape by `unbroadcast` -- the one place broadcasting is undone.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from .primitives import Primitive

_erf = np.frompyfunc(math.erf, 1, 1)
_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TWO_OVER_SQRTPI = 2.0 / math.sqrt(math.pi)


def _is_array(x) -> bool:
    return isinstance(x, (np.ndarray, np.generic, float, int))


def _fn(method: str, array_fn):
    def call(x, *args):
        return array_fn(x, *args) if _is_array(x) else getattr(x, method)(*args)

    call.__name__ = method
    return call


def erf_array(x):
    x = np.asarray(x)
    return np.asarray(_erf(x), dtype=x.dtype if x.dtype.kind == "f" else np.float64)


def _sum_to(g, axes, keepdims_shape):
    return g.sum(axis=axes, keepdims=True).reshape(keepdims_shape) if axes else g.reshape(keepdims_shape)


def unbroadcast(g, shape: tuple):
    """Sum a gradient ``g`` back to an input's ``shape`` after numpy broadcasting.

    Broadcasting prepends axes and stretches axes of length 1; the gradient of a stretched input
    is the sum over the axes it was stretched along. Works on arrays and on Tensors (then the sum
    is recorded, for higher-order gradients).

    Raises:
        ValueError: if ``shape`` does not broadcast to ``g``'s shape.

    >>> import numpy as np
    >>> unbroadcast(np.ones((2, 3, 4)), (3, 1)).tolist()
    [[8.0], [8.0], [8.0]]
    """
    gshape = g.shape
    if gshape == shape:
        return g
    key = (gshape, shape)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _plan(tuple(gshape), tuple(shape))
        if len(_PLANS) >= 4096:  # a bound, for programs that meet endless new shapes
            _PLANS.clear()
        _PLANS[key] = plan
    axes, keeps_shape = plan
    if not axes:
        return g if keeps_shape else g.reshape(shape)
    if g.__class__ is np.ndarray:
        r = _add_reduce(g, axes, None, None, True)
    else:
        r = g.sum(axis=axes, keepdims=True)
    return r if keeps_shape else r.reshape(shape)


_PLANS: dict = {}
_add_reduce = np.add.reduce


def _plan(gshape: tuple, shape: tuple) -> tuple:
    """(axes to sum with keepdims, whether that already gives ``shape``) -- once per pair of shapes."""
    if gshape == shape:
        return None, True
    lead = len(gshape) - len(shape)
    if lead < 0 or any(s != 1 and s != gs for s, gs in zip(shape, gshape[lead:])):
        raise ValueError(f"unbroadcast: gradient of shape {gshape} does not reduce to shape {shape}")
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and gshape[lead + i] != 1)
    if not axes:  # only length-1 axes to drop: a reshape
        return (), False
    return axes, lead == 0


def _reduced(vjp):
    """Wrap a broadcasting op's VJP so every gradient is unbroadcast to its input's shape."""

    def wrapped(g, out, *args):
        grads = vjp(g, out, *args)
        return tuple(unbroadcast(gi, np.shape(x) if _is_array(x) else x.shape) for gi, x in zip(grads, args))

    return wrapped


# dispatchers: numpy on arrays, the Tensor method on Tensors
exp = _fn("exp", np.exp)
log = _fn("log", np.log)
sin = _fn("sin", np.sin)
cos = _fn("cos", np.cos)
erf = _fn("erf", erf_array)
sigmoid = _fn("sigmoid", lambda x: _sigmoid(x))
transpose = _fn("transpose", lambda x, axes=None: np.transpose(x, axes))


def reshape(x, shape):
    return np.reshape(x, shape) if _is_array(x) else x.reshape(shape)


def sum_(x, axis=None, keepdims=False):
    return np.sum(x, axis=axis, keepdims=keepdims) if _is_array(x) else x.sum(axis=axis, keepdims=keepdims)


def broadcast_to(x, shape):
    return np.broadcast_to(x, shape) if _is_array(x) else x.broadcast_to(shape)


def matmul(a, b):
    return np.matmul(a, b) if _is_array(a) and _is_array(b) else a @ b


def _np(x):
    return x if _is_array(x) else x.data


# ------------------------------------------------------------------ IEEE-safe forwards (no warnings)


def _quiet(fn):
    def run(*args):
        with np.errstate(all="ignore"):
            return fn(*args)

    return run


def _constant(value: float) -> dict:
    """A read-only 0-d array of ``value`` per float dtype: numpy takes an array operand faster than a Python float."""
    out = {}
    for dt in (np.float64, np.float32):
        c = np.array(value, dtype=dt)
        c.flags.writeable = False
        out[np.dtype(dt)] = c
    return out


_HALF, _ONE = _constant(0.5), _constant(1.0)


def _sigmoid(x):
    # σ(x) = ½(1 + tanh(x/2)): one transcendental, never overflows, saturates cleanly at 0 and 1
    h = _HALF.get(x.dtype, 0.5) if x.__class__ is np.ndarray else 0.5
    return h + h * np.tanh(h * x)


def v_relu(g, out, x):
    # relu' = [relu(x) != 0]: 0 at the kink and below, 1 at nan (torch's threshold_backward on the result);
    # on arrays a float times a bool mask, without a float copy of the mask (also the compiler's stand-ins
    # for arrays, which have a tracer); nodes (create_graph) get the mask as an array of g's dtype
    if g.__class__ is np.ndarray and out.__class__ is np.ndarray or hasattr(g, "tracer"):
        return (g * (out != 0),)
    return (g * _mask(_np(out) != 0, g),)


def _sign(x):
    # sign(x) with 0 at nan (torch's abs' = sgn: 0 at nan; np.sign gives nan there)
    x = np.asarray(x)
    return np.subtract(x > 0, x < 0, dtype=x.dtype if x.dtype.kind == "f" else np.float64)


def v_sigmoid(g, out, x):
    # σ' = σ(1 - σ)
    if out.__class__ is np.ndarray:
        return (g * out * (_ONE.get(out.dtype, 1.0) - out),)
    return (g * out * (1.0 - out),)


def _softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _gelu(x):
    return 0.5 * x * (1.0 + erf_array(x / _SQRT2))


def _pow(x, p):
    if type(p) is float and p >= 0 and p.is_integer():  # x², x³ ...: no domain edge, no errstate needed
        return x * x if p == 2.0 else np.power(x, p)
    with np.errstate(all="ignore"):  # 0 ** -1 = inf, (-8) ** (1/3) = nan, as IEEE says
        if type(p) is float and abs(p) == 0.5:  # a constant ±0.5: sqrt and 1/sqrt, as torch (so (-inf) ** 0.5 = nan)
            return np.sqrt(x) if p > 0 else 1.0 / np.sqrt(x)
        return np.power(x, p)


def _softmax(x, axis):
    # torch's order: e = exp(x - m), e / Σe (so a row's outputs sum to 1 even where |m| dwarfs log Σe)
    z, _, fin = _shifted(x, axis)
    e = np.exp(z)
    s = np.add.reduce(e, axis, keepdims=True)
    return e / s if fin else _nan_where_inf(e / s, s)


def _log_softmax(x, axis):
    # torch's order: (x - m) - log Σ exp(x - m), never x - (m + log Σ ...), where a large m swallows the log
    z, _, fin = _shifted(x, axis)
    lse0 = np.log(np.add.reduce(np.exp(z), axis, keepdims=True))
    return z - lse0 if fin else _nan_where_inf(z - lse0, lse0)


def _shifted(x, axis):
    # (x - m, m, whether every row's max was finite) with m the max along axis, kept; m is 0 where the max
    # is ±inf or nan (initial=-inf: over an empty axis the max is -inf, and logsumexp log 0 = -inf, as
    # torch.logsumexp). With every max finite no row's Σ exp(x - m) reaches +inf, so the callers skip the
    # masking: the same numbers in fewer numpy calls (np.isposinf is Python-level code). The ufuncs' own
    # reduce is what np.max and np.sum run, without their Python wrappers. One sum tells that every max is
    # finite: an inf or nan max makes it inf or nan; finite maxes whose sum overflows only send the batch
    # through the masking, which leaves finite maxes as they are
    m = np.maximum.reduce(x, axis, keepdims=True, initial=-np.inf)
    fin = math.isfinite(np.add.reduce(m, None))
    if not fin:
        m = np.where(np.isfinite(m), m, 0.0)
    return x - m, m, fin


def _nan_where_inf(out, big):
    # torch's softmax shifts by the max as it is, so a +inf logit makes its whole row nan (inf - inf);
    # the masked shift leaves that row's Σ exp (and its log) at +inf, and only that row's: ``big``
    if np.isposinf(big).any():
        return np.where(np.isposinf(big), np.nan, out)
    return out


def _keep(x, axis):
    """x's shape with the reduced axes kept as 1 (for broadcasting a reduction's gradient back)."""
    shape = list(np.shape(x))
    if not shape:  # a 0-d x (numpy reduces it over axis 0 or -1 too): nothing to keep
        return ()
    axes = range(len(shape)) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    for a in axes:
        shape[a] = 1
    return tuple(shape)


def _lse(x, axis, keepdims):
    z, m, _ = _shifted(x, axis)
    out = np.log(np.add.reduce(np.exp(z), axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


def _first_extreme_mask(x, axis, pick):
    """One-hot mask of the first max (or min) along ``axis`` (None: over everything)."""
    x = np.asarray(x)
    if axis is None:
        mask = np.zeros(x.size, dtype=x.dtype)
        mask[pick(x.reshape(-1))] = 1
        return mask.reshape(x.shape)
    idx = np.expand_dims(pick(x, axis=axis), axis)
    mask = np.zeros_like(x)
    np.put_along_axis(mask, idx, 1, axis=axis)
    return mask


# ------------------------------------------------------------------ VJPs that need more than a line


def v_pow(g, out, x, p):
    if p == 0:
        return (g * 0.0,)
    if p == 2.0:
        return (g * (x + x),)  # 2x exactly, without a scalar operand
    return (g * p * _pow_any(x, p - 1),)


def _pow_any(x, p):
    return _pow(x, p) if _is_array(x) else x**p


def v_powv(g, out, x, y):
    xd, yd = _np(x), _np(y)
    gx = where(yd != 0, g * y * _pow_any(x, y - 1), 0.0)  # d/dx x**0 = 0
    gy = where((xd == 0) & (yd >= 0), 0.0, g * out * log(x))  # 0 ** y, y >= 0: 0 (PyTorch)
    return gx, gy


def where(cond, a, b):
    # arrays: np.where; a node (create_graph): its own ``where`` method, so this table never imports Tensor
    if _is_array(a) and _is_array(b):
        return np.where(cond, a, b)
    if _is_array(a):  # a number for a, a node for b: the same selection with the condition flipped
        return b.where(~np.asarray(cond, dtype=bool), a)
    return a.where(cond, b)


def v_rpow(g, out, y, c):
    lc = math.log(c) if c > 0 else (-math.inf if c == 0 else math.nan)
    r = g * out * lc
    return (where(_np(y) >= 0, 0.0, r) if c == 0 else r,)


def _expand(x, axis):
    shape = list(np.shape(_np(x)))
    shape.insert(axis if axis >= 0 else len(shape) + axis + 1, 1)
    return reshape(x, tuple(shape))


def v_matmul(g, out, a, b):
    sa, sb = np.shape(_np(a)), np.shape(_np(b))
    if len(sa) == 1 and len(sb) == 1:  # inner product
        return g * b, g * a
    if len(sa) == 1:  # (k,) @ (..., k, m) -> (..., m)
        g2 = _expand(g, -2)
        ga = matmul(g2, _swap(b))
        ga = reshape(ga, np.shape(_np(ga))[:-2] + (sa[0],))
        gb = matmul(reshape(a, (sa[0], 1)), g2)
    elif len(sb) == 1:  # (..., n, k) @ (k,) -> (..., n)
        g2 = _expand(g, -1)
        ga = matmul(g2, reshape(b, (1, sb[0])))
        gb = matmul(_swap(a), g2)
        gb = reshape(gb, np.shape(_np(gb))[:-1])
    else:
        ga, gb = matmul(g, _swap(b)), matmul(_swap(a), g)
    return unbroadcast(ga, sa), unbroadcast(gb, sb)


def _swap(x):
    nd = len(np.shape(_np(x)))
    axes = (*range(nd - 2), nd - 1, nd - 2)
    return transpose(x, axes)


def f_sum(x, axis, keepdims):
    # np.sum without its Python wrapper (the same np.add.reduce)
    return _add_reduce(x, axis, None, None, keepdims) if x.dtype.kind == "f" else np.sum(x, axis=axis, keepdims=keepdims)


def v_sum(g, out, x, axis, keepdims):
    if x.__class__ is np.ndarray and isinstance(g, (np.ndarray, np.generic)):
        # on arrays: a fresh array of x's shape (the engine may adopt it), not a read-only broadcast view
        r = np.empty(x.shape, dtype=x.dtype)
        r[...] = g if axis is None or keepdims else np.reshape(g, _keep(x, axis))
        return (r,)
    return (broadcast_to(reshape(g, _keep(_np(x), axis)), np.shape(_np(x))),)


def f_mean(x, axis, keepdims):
    # Σx / n, as np.mean computes it (same pairwise sum, same division), without its Python wrapper
    if x.size == 0 or x.dtype.kind != "f":
        return np.mean(x, axis=axis, keepdims=keepdims)
    s = _add_reduce(x, axis, None, None, keepdims)
    return s / (x.size // s.size)


def v_mean(g, out, x, axis, keepdims):
    if x.__class__ is np.ndarray and axis is None and isinstance(g, (np.ndarray, np.generic)) and g.size == 1:
        # the loss-mean case, on arrays: one fill of x's shape with g/n (x's dtype)
        r = np.empty(x.shape, dtype=x.dtype)
        r.fill(g.item() * (1.0 / x.size) if x.size else 0.0)
        return (r,)
    n = np.size(_np(x)) // max(np.size(_np(out)), 1) if np.size(_np(x)) else 1
    if axis is None:  # g is one number: stretch it, no reshape needed
        if _is_array(g):
            return (np.full(np.shape(x), g * (1.0 / n), dtype=np.result_type(g, x)),)
        return (broadcast_to(g * (1.0 / n), np.shape(_np(x))),)
    return (broadcast_to(reshape(g * (1.0 / n), _keep(_np(x), axis)), np.shape(_np(x))),)


def v_extreme(pick):
    def vjp(g, out, x, axis, keepdims):
        mask = _first_extreme_mask(_np(x), axis, pick)
        return (broadcast_to(reshape(g, _keep(_np(x), axis)), np.shape(_np(x))) * mask,)

    return vjp


def v_lse(g, out, x, axis, keepdims):
    shape = _keep(_np(x), axis)
    return (reshape(g, shape) * exp(x - reshape(out, shape)),)


def v_softmax(g, out, x, axis):
    return (out * (g - sum_(g * out, axis=axis, keepdims=True)),)


def v_log_softmax(g, out, x, axis):
    return (g - exp(out) * sum_(g, axis=axis, keepdims=True),)


def f_getitem(x, index):
    return x[index]


def v_getitem(g, out, x, index):
    return (scatter_add(g, index, np.shape(_np(x))),)


def scatter_add(g, index, shape):
    if _is_array(g):
        full = np.zeros(shape, dtype=np.result_type(g, np.float32))
        np.add.at(full, index, g)
        return full
    return g._scatter_add(index, tuple(shape))  # a node (create_graph): recorded by its own method


def f_scatter_add(g, index, shape):
    full = np.zeros(shape, dtype=np.result_type(g, np.float32))
    np.add.at(full, index, g)
    return full


def f_concat(*args):
    *xs, axis = args
    if axis is None:
        raise ValueError("concatenate: axis=None (flatten first) is not supported; pass an int axis")
    return np.concatenate(xs, axis=axis)


def v_concat(g, out, *args):
    *xs, axis = args
    sizes = np.cumsum([np.shape(_np(x))[axis] for x in xs])[:-1]
    return tuple(_split(g, sizes, axis))


def _split(g, sizes, axis):
    bounds = [0, *[int(s) for s in sizes], None]
    nd = len(np.shape(_np(g)))
    out = []
    for lo, hi in itertools.pairwise(bounds):
        idx = [slice(None)] * nd
        idx[axis] = slice(lo, hi)
        out.append(g[tuple(idx)])
    return out


def f_stack(*args):
    *xs, axis = args
    return np.stack(xs, axis=axis)


def v_stack(g, out, *args):
    *xs, axis = args
    nd = len(np.shape(_np(g)))
    res = []
    for i in range(len(xs)):
        idx = [slice(None)] * nd
        idx[axis] = i
        res.append(g[tuple(idx)])
    return tuple(res)


def _select(g, first):
    """(g where the forward picked the first argument, g where it picked the second)."""
    return g * _mask(first, g), g * _mask(~first, g)


def _mask(cond, dtype_like):
    return np.asarray(cond, dtype=np.result_type(_np(dtype_like), np.float32))


# ------------------------------------------------------------------ masked VJPs (only the needed inputs)
# Used by the plain-array backward for the costly ops: a matmul whose other input is data (X) skips
# the product that would give X's gradient. Same formulas as the table's VJPs.


def m_add(need, g, out, x, y):
    return (unbroadcast(g, x.shape) if need[0] else None, unbroadcast(g, y.shape) if need[1] else None)


def m_sub(need, g, out, x, y):
    return (unbroadcast(g, x.shape) if need[0] else None, unbroadcast(-g, y.shape) if need[1] else None)


def m_mul(need, g, out, x, y):
    return (unbroadcast(g * y, x.shape) if need[0] else None, unbroadcast(g * x, y.shape) if need[1] else None)


def m_matmul(need, g, out, a, b):
    if a.ndim == 2 and b.ndim == 2:
        return (g @ b.T if need[0] else None, a.T @ g if need[1] else None)
    ga, gb = v_matmul(g, out, a, b)
    return (ga if need[0] else None, gb if need[1] else None)


def f_linear(x, W, b):
    # z = x Wᵀ + b for a batch x (n, nin), W (nout, nin): the seed's z = W a + b, one row per sample
    z = x @ W.T
    z += b
    return z


def v_linear(g, out, x, W, b):
    # ∂L/∂x = g W, ∂L/∂W = gᵀ x (already in W's (nout, nin) layout), ∂L/∂b = Σ_rows g
    return matmul(g, W), matmul(transpose(g), x), sum_(g, axis=0)


def m_linear(need, g, out, x, W, b):
    return (g @ W if need[0] else None, g.T @ x if need[1] else None, _add_reduce(g, 0) if need[2] else None)


def f_mse(p, t, scale):
    # scale · mean((p − t)²), with Σd² as one dot product d·d
    if p.shape != t.shape:
        raise ValueError("prediction and target shapes differ")
    d = p - t
    return scale * (np.vdot(d, d) / d.size)


def v_mse(g, out, p, t, scale):
    # ∂/∂p = scale · (2/N)(p − t) · g and ∂/∂t = −∂/∂p (plain arithmetic: runs on Tensors too)
    gp = (p - t) * (g * (2.0 * scale / np.size(_np(p))))
    return gp, -gp


def m_mse(need, g, out, p, t, scale):
    gp = p - t
    gp *= float(g) * (2.0 * scale / p.size)
    return (gp if need[0] else None, -gp if need[1] else None)


_MASKED = {"add": m_add, "sub": m_sub, "mul": m_mul, "matmul": m_matmul, "linear": m_linear, "mse": m_mse}

# ------------------------------------------------------------------ the table
# name: (arity, forward on arrays, vjp, symbol). Broadcasting binary ops are wrapped by _reduced.

_T = {
    "add": (2, np.add, _reduced(lambda g, out, x, y: (g, g)), "+"),
    "sub": (2, np.subtract, _reduced(lambda g, out, x, y: (g, -g)), "-"),
    "mul": (2, np.multiply, _reduced(lambda g, out, x, y: (g * y, g * x)), "*"),
    "div": (2, np.divide, _reduced(lambda g, out, x, y: (g / y, -g * out / y)), "/"),
    "powv": (2, _pow, _reduced(v_powv), "**"),
    "maximum": (2, np.maximum, _reduced(lambda g, out, x, y: _select(g, (_np(x) >= _np(y)) | np.isnan(_np(x)))), "max"),
    "minimum": (2, np.minimum, _reduced(lambda g, out, x, y: _select(g, (_np(x) <= _np(y)) | np.isnan(_np(x)))), "min"),
    "neg": (1, np.negative, lambda g, out, x: (-g,), "neg"),
    "abs": (1, np.abs, lambda g, out, x: (g * _sign(_np(x)),), "abs"),
    "pow": (1, _pow, v_pow, "**"),
    "rpow": (1, lambda y, c: _pow(c, y), v_rpow, "**"),
    "exp": (1, np.exp, lambda g, out, x: (g * out,), "exp"),
    "log": (1, np.log, lambda g, out, x: (g / x,), "log"),
    "log1p": (1, np.log1p, lambda g, out, x: (g / (1.0 + x),), "log1p"),
    "expm1": (1, np.expm1, lambda g, out, x: (g * (out + 1.0),), "expm1"),
    "sqrt": (1, np.sqrt, lambda g, out, x: (g / (2.0 * out),), "sqrt"),
    "sin": (1, np.sin, lambda g, out, x: (g * cos(x),), "sin"),
    "cos": (1, np.cos, lambda g, out, x: (-g * sin(x),), "cos"),
    "tanh": (1, np.tanh, lambda g, out, x: (g * (1.0 - out * out),), "tanh"),
    "sigmoid": (1, _sigmoid, v_sigmoid, "σ"),
    "softplus": (1, _softplus, lambda g, out, x: (g * sigmoid(x),), "softplus"),
    "relu": (1, lambda x: np.maximum(x, 0.0), v_relu, "relu"),
    "leaky_relu": (1, lambda x, s: np.where(x > 0, x, s * x), lambda g, out, x, s: (g * np.where(_np(x) > 0, 1.0, s).astype(_np(out).dtype),), "leaky_relu"),
    "elu": (1, lambda x, a: np.where(x > 0, x, a * np.expm1(np.minimum(x, 0))), lambda g, out, x, a: (where(_np(x) <= 0, g * (out + a), g),), "elu"),
    "gelu": (1, _gelu, lambda g, out, x: (g * (0.5 * (1.0 + erf(x * (1.0 / _SQRT2))) + x * _INV_SQRT_2PI * exp(x * x * -0.5)),), "gelu"),
    "erf": (1, erf_array, lambda g, out, x: (g * _TWO_OVER_SQRTPI * exp(-(x * x)),), "erf"),
    "clip": (1, np.clip, lambda g, out, x, lo, hi: (g * _mask((_np(x) >= lo) & (_np(x) <= hi), g),), "clip"),
    "matmul": (2, np.matmul, v_matmul, "@"),
    "linear": (3, f_linear, v_linear, "xWᵀ+b"),
    "transpose": (1, lambda x, axes: np.transpose(x, axes), lambda g, out, x, axes: (transpose(g, None if axes is None else tuple(np.argsort(axes))),), "T"),
    "reshape": (1, lambda x, shape: np.reshape(x, shape), lambda g, out, x, shape: (reshape(g, np.shape(_np(x))),), "reshape"),
    "broadcast_to": (1, lambda x, shape: np.broadcast_to(x, shape).copy(), lambda g, out, x, shape: (unbroadcast(g, np.shape(_np(x))),), "broadcast"),
    "sum": (1, f_sum, v_sum, "Σ"),
    "mean": (1, f_mean, v_mean, "mean"),
    "max": (1, lambda x, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims), v_extreme(np.argmax), "max"),
    "min": (1, lambda x, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims), v_extreme(np.argmin), "min"),
    "logsumexp": (1, _lse, v_lse, "logsumexp"),
    "softmax": (1, _softmax, v_softmax, "softmax"),
    "log_softmax": (1, _log_softmax, v_log_softmax, "log_softmax"),
    "getitem": (1, f_getitem, v_getitem, "[]"),
    "scatter_add": (1, f_scatter_add, lambda g, out, x, index, shape: (g[index],), "scatter"),
    "where": (2, lambda a, b, cond: np.where(cond, a, b), _reduced(lambda g, out, a, b, cond: (g * _mask(cond, g), g * _mask(~np.asarray(cond), g))), "where"),
    "mse": (2, f_mse, v_mse, "mse"),
    "concatenate": (None, f_concat, v_concat, "concat"),
    "stack": (None, f_stack, v_stack, "stack"),
}

# ops whose forward or VJP can meet a math domain edge (x/0, log 0, overflow): IEEE results, no warnings
_QUIET = {"div", "powv", "rpow", "exp", "log", "log1p", "expm1", "sqrt", "sin", "cos", "logsumexp",
          "softmax", "log_softmax", "elu", "gelu", "softplus"}

TENSOR_PRIMITIVES: dict[str, Primitive] = {
    name: Primitive(name, arity, _quiet(fwd) if name in _QUIET else fwd, _quiet(vjp) if name in _QUIET else vjp,
                    symbol, _MASKED.get(name))
    for name, (arity, fwd, vjp, symbol) in _T.items()
}
