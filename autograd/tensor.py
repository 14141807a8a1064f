"""Tensor: one numpy array, its gradient, and the op that made it -- on the same graph machinery as Value."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import graph, modes
from .modes import mode
from .tensor_ops import TENSOR_PRIMITIVES as T
from .value import Value

_new = object.__new__
_FLOATS = (np.float32, np.float64)
_ndarray = np.ndarray


def _as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """The dtype rule: float64 by default; float32 kept (or asked for); ints, bools, lists -> float64."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, Value):
        raise TypeError("Tensor(data): got a Value; use Tensor(value.data) (Value and Tensor graphs do not mix)")
    arr = np.array(data, dtype=dtype, copy=True) if dtype is not None else np.array(data, copy=True)
    if arr.dtype not in _FLOATS:
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"Tensor(data): expected numbers, got an array of dtype {arr.dtype}")
        arr = arr.astype(np.float64)
    return arr


def _apply(op, parents: tuple, ctx: tuple = ()) -> Tensor:
    # the one place a Tensor op runs: forward on the arrays, then a node that remembers how it was made
    try:
        if len(parents) == 1:
            data = op.forward(parents[0].data, *ctx) if ctx else op.forward(parents[0].data)
        elif len(parents) == 2:
            data = op.forward(parents[0].data, parents[1].data, *ctx)
        elif len(parents) == 3 and not ctx:  # the fused layer x Wᵀ + b
            data = op.forward(parents[0].data, parents[1].data, parents[2].data)
        else:
            data = op.forward(*[p.data for p in parents], *ctx)
    except (ValueError, IndexError) as e:
        _shape_error(op, parents, e)
    out = _leaf(data)
    if mode.grad_enabled and (
        parents[0].requires_grad or parents[-1].requires_grad or any(p.requires_grad for p in parents)
    ):
        out.parents = parents
        out.op = op
        out.ctx = ctx
        out.requires_grad = True
    if mode.anomaly:
        _check(out, op, parents, ctx)
    return out


def _apply2(op, a: Tensor, b: Tensor) -> Tensor:
    # _apply for the binary ops without constants (+ - * / @): the inner loop of every forward pass,
    # so _leaf's assignments are written out here rather than called
    try:
        data = op.forward(a.data, b.data)
    except (ValueError, IndexError) as e:
        _shape_error(op, (a, b), e)
    out = _new(Tensor)
    out.data = data if data.__class__ is _ndarray else np.asarray(data)
    out.grad = 0.0
    out.label = ""
    out.tag = None
    out._g = None
    out._hooks = None
    out._site = None
    out.ctx = ()
    if (a.requires_grad or b.requires_grad) and mode.grad_enabled:
        out.parents = (a, b)
        out.op = op
        out.requires_grad = True
    else:
        out.parents = ()
        out.op = None
        out.requires_grad = False
    if mode.anomaly:
        _check(out, op, (a, b), ())
    return out


def _leaf(data: Any) -> Tensor:
    # a node with no history around the array (or number) ``data``
    out = _new(Tensor)
    out.data = data if data.__class__ is _ndarray else np.asarray(data)
    out.grad = 0.0
    out.label = ""
    out.tag = None
    out._g = None
    out._hooks = None
    out._site = None
    out.parents = ()
    out.op = None
    out.ctx = ()
    out.requires_grad = False
    return out


def _shape_error(op, parents: tuple, e: Exception):
    shapes = ", ".join(str(p.data.shape) for p in parents)
    raise type(e)(f"{op.name}: inputs of shapes {shapes}: {e}") from None


def _check(out: Tensor, op, parents: tuple, ctx: tuple) -> None:
    # anomaly mode: remember the user's line, and fail at the first non-finite forward result
    out._site = modes.user_site()
    keep = out.parents, out.op, out.ctx
    out.parents, out.op, out.ctx = parents, op, ctx
    modes.check_forward(out)
    out.parents, out.op, out.ctx = keep


def _coerce(x: Any, like: Tensor) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if type(x) is float or type(x) is int:  # the common case: a Python number takes the Tensor's dtype
        return _leaf(np.array(x, dtype=like.data.dtype))
    if isinstance(x, Value):
        raise TypeError(
            "cannot combine a Tensor and a Value in one op: use Tensor(v.data) or t.item() "
            "(a Tensor graph and a Value graph do not mix)"
        )
    if isinstance(x, (numbers.Real, np.ndarray, list, tuple)) and not isinstance(x, bool):
        arr = np.asarray(x)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"cannot combine a Tensor with {type(x).__name__}")
        # Python numbers are weak: they take the Tensor's dtype (a float32 Tensor stays float32)
        return Tensor._const(arr.astype(like.data.dtype) if arr.dtype.kind != "f" or arr.ndim == 0 else arr)
    raise TypeError(f"unsupported operand type for Tensor: {type(x).__name__}")


def _operand(other: Any, like: Tensor) -> Any:
    """``other`` as a Tensor, or NotImplemented for a type Python should try the other way round."""
    if type(other) is Tensor:
        return other
    try:
        return _coerce(other, like)
    except TypeError:
        if isinstance(other, Value):
            raise
        return NotImplemented


def _binary(name: str):
    op = T[name]

    def method(self, other):
        if other.__class__ is not Tensor:
            other = _operand(other, self)
            if other is NotImplemented:
                return other
        return _apply2(op, self, other)

    def rmethod(self, other):
        if other.__class__ is float or other.__class__ is int:  # 0.5 * t: the common constant
            return _apply2(op, _leaf(np.array(other, dtype=self.data.dtype)), self)
        other = _operand(other, self)
        return other if other is NotImplemented else _apply2(op, other, self)

    return method, rmethod


def _unary(name: str, doc: str) -> Callable:
    op = T[name]

    def method(self):
        return _apply(op, (self,))

    method.__name__, method.__doc__ = name, doc
    return method


def _reduction(name: str, doc: str) -> Callable:
    op = T[name]

    def method(self, axis: int | tuple | None = None, keepdims: bool = False):
        if isinstance(axis, list):
            axis = tuple(axis)
        if name in ("max", "min") and isinstance(axis, tuple):
            raise ValueError(f"{name}: axis must be an int or None, got {axis}")
        return _apply(op, (self,), (axis, bool(keepdims)))

    method.__name__, method.__doc__ = name, doc
    return method


class Tensor:
    """An array node: ``data`` (a numpy array), ``grad`` (dL/d(this node), same shape) and its op.

    The same graph machinery as `Value` (``topo_order``, accumulating ``backward``,
    ``create_graph``, ``no_grad``, hooks, ``detect_anomaly``), with numpy broadcasting: a gradient
    is summed back to its input's shape by ``unbroadcast``.

    Args:
        data: a number, nested list or numpy array.
        label: a name shown by ``viz``.
        requires_grad: whether gradients flow to this leaf (default True, as for Value).
        dtype: ``np.float64`` (the default: hand derivations are compared in float64) or
            ``np.float32``. Integer and bool data become float64; a float32 array stays float32.

    ``grad`` is ``0.0`` until a backward reaches the node, then an array of the node's shape.
    Mixing a Tensor and a Value in one op raises ``TypeError`` (convert with ``Tensor(v.data)``).

    Raises:
        TypeError: for non-numeric data or a Value.

    >>> from deltagrad.autograd import Tensor
    >>> W = Tensor([[1.0, 2.0], [3.0, 4.0]]); a = Tensor([1.0, -1.0])
    >>> z = (W @ a).sum(); z.backward()
    >>> W.grad.tolist(), a.grad.tolist()
    ([[1.0, -1.0], [1.0, -1.0]], [4.0, 6.0])
    """

    __slots__ = ("_g", "_hooks", "_site", "ctx", "data", "grad", "label", "op", "parents", "requires_grad", "tag")
    __array_priority__ = 100  # numpy defers to Tensor's reflected ops (array + Tensor -> Tensor)

    def __init__(self, data: Any, label: str = "", requires_grad: bool = True, dtype: Any = None):
        self.data = _as_array(data, dtype)
        self.grad = 0.0
        self.parents: tuple = ()
        self.op = None
        self.ctx: tuple = ()
        self.label = label
        self.tag = None
        self.requires_grad = bool(requires_grad)
        self._g = None
        self._hooks: list | None = None
        self._site = modes.user_site() if mode.anomaly else None

    @classmethod
    def _const(cls, arr: np.ndarray) -> Tensor:
        return _leaf(arr)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def zeros(cls, *shape: int, dtype: Any = np.float64, requires_grad: bool = True) -> Tensor:
        """A Tensor of zeros of ``shape``."""
        return cls(np.zeros(_shape(shape), dtype=dtype), requires_grad=requires_grad)

    @classmethod
    def ones(cls, *shape: int, dtype: Any = np.float64, requires_grad: bool = True) -> Tensor:
        """A Tensor of ones of ``shape``."""
        return cls(np.ones(_shape(shape), dtype=dtype), requires_grad=requires_grad)

    @classmethod
    def randn(cls, *shape: int, seed: int | None = None, rng: np.random.Generator | None = None,
              dtype: Any = np.float64, requires_grad: bool = True) -> Tensor:
        """Standard normal samples of ``shape`` from ``rng`` (or ``np.random.default_rng(seed)``)."""
        rng = rng if rng is not None else np.random.default_rng(seed)
        return cls(rng.standard_normal(_shape(shape)).astype(dtype), requires_grad=requires_grad)

    # ------------------------------------------------------------------ array facts
    shape = property(lambda self: self.data.shape, doc="The array's shape.")
    ndim = property(lambda self: self.data.ndim, doc="Number of axes.")
    size = property(lambda self: self.data.size, doc="Number of elements.")
    dtype = property(lambda self: self.data.dtype, doc="float64 or float32.")

    def item(self) -> float:
        """The single element as a Python float (raises ValueError for more than one element)."""
        if self.data.size != 1:
            raise ValueError(f"item(): Tensor of shape {self.shape} has {self.data.size} elements, not 1")
        return float(self.data.reshape(()))

    def __float__(self) -> float:
        """``float(t)`` of a one-element Tensor (any shape), as torch.

        Raises:
            ValueError: for a Tensor of any other size (its shape named).
        """
        if self.data.size != 1:
            raise ValueError(
                f"float(): only a one-element Tensor converts to a Python number; this one has shape "
                f"{self.shape} ({self.data.size} elements)"
            )
        return float(self.data.reshape(()))

    def __int__(self) -> int:
        """``int(t)`` of a one-element Tensor: its float truncated toward zero, as torch (``int(Tensor(-2.7))`` = -2).

        Raises:
            ValueError: for another size, or nan; OverflowError: for ±inf (Python's ``int(float)``).

        >>> from deltagrad.autograd import Tensor
        >>> float(Tensor([[2.5]])), int(Tensor(-2.7))
        (2.5, -2)
        """
        if self.data.size != 1:
            raise ValueError(
                f"int(): only a one-element Tensor converts to a Python number; this one has shape "
                f"{self.shape} ({self.data.size} elements)"
            )
        return int(float(self.data.reshape(())))

    def numpy(self) -> np.ndarray:
        """The data array (not a copy)."""
        return self.data

    def __len__(self) -> int:
        return len(self.data)

    # ------------------------------------------------------------------ arithmetic (broadcasting)
    __add__, __radd__ = _binary("add")
    __sub__, __rsub__ = _binary("sub")
    __mul__, __rmul__ = _binary("mul")
    __truediv__, __rtruediv__ = _binary("div")
    __matmul__, __rmatmul__ = _binary("matmul")

    def __neg__(self) -> Tensor:
        return _apply(T["neg"], (self,))

    def __abs__(self) -> Tensor:
        return _apply(T["abs"], (self,))

    def __pow__(self, other) -> Tensor:
        """``x ** p`` (p a number) or ``x ** y`` (y a Tensor, broadcast); derivative rules as Value."""
        if other.__class__ is float or other.__class__ is int or (
            isinstance(other, numbers.Real) and not isinstance(other, bool)
        ):
            return _apply(T["pow"], (self,), (float(other),))
        other = _operand(other, self)
        return other if other is NotImplemented else _apply(T["powv"], (self, other))

    def __rpow__(self, other) -> Tensor:
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return _apply(T["rpow"], (self,), (float(other),))
        return NotImplemented

    # comparisons give numpy bool arrays (no graph); == stays identity: nodes hash by identity
    def __lt__(self, o):
        return self.data < getattr(o, "data", o)

    def __le__(self, o):
        return self.data <= getattr(o, "data", o)

    def __gt__(self, o):
        return self.data > getattr(o, "data", o)

    def __ge__(self, o):
        return self.data >= getattr(o, "data", o)

    __hash__ = object.__hash__

    # ------------------------------------------------------------------ elementwise functions
    exp = _unary("exp", "e**x elementwise; d = e**x.")
    log = _unary("log", "Natural log; d = 1/x. log 0 = -inf, log(x<0) = nan.")
    log1p = _unary("log1p", "log(1 + x); d = 1/(1 + x).")
    expm1 = _unary("expm1", "e**x - 1; d = e**x.")
    sqrt = _unary("sqrt", "Square root; d = 1/(2 sqrt x).")
    sin = _unary("sin", "Sine; d = cos x.")
    cos = _unary("cos", "Cosine; d = -sin x.")
    tanh = _unary("tanh", "tanh; d = 1 - tanh².")
    sigmoid = _unary("sigmoid", "σ(x) = 1/(1 + e**-x), stable; d = σ(1 - σ).")
    softplus = _unary("softplus", "log(1 + e**x), stable; d = σ(x).")
    relu = _unary("relu", "max(x, 0); relu'(0) = 0.")
    gelu = _unary("gelu", "x Φ(x) (exact, erf); d = Φ(x) + x φ(x).")
    erf = _unary("erf", "The error function; d = 2/sqrt(π) e**(-x²).")

    def leaky_relu(self, slope: float = 0.01) -> Tensor:
        """x for x > 0 else slope·x; d = 1 or slope (slope at 0)."""
        return _apply(T["leaky_relu"], (self,), (float(slope),))

    def elu(self, alpha: float = 1.0) -> Tensor:
        """x for x > 0 else alpha·(e**x - 1); d = 1 or elu(x) + alpha."""
        return _apply(T["elu"], (self,), (float(alpha),))

    def clip(self, lo: float = -np.inf, hi: float = np.inf) -> Tensor:
        """min(max(x, lo), hi); d = 1 on the closed interval [lo, hi] (as torch.clamp)."""
        if not lo <= hi:
            raise ValueError(f"clip: need lo <= hi, got lo={lo}, hi={hi}")
        return _apply(T["clip"], (self,), (float(lo), float(hi)))

    clamp = clip

    # ------------------------------------------------------------------ reductions
    sum = _reduction("sum", "Σ over ``axis`` (None: all); d = 1 broadcast back.")
    mean = _reduction("mean", "Mean over ``axis``; d = 1/n broadcast back.")
    max = _reduction("max", "Max over ``axis``; the gradient goes to the first maximal element.")
    min = _reduction("min", "Min over ``axis``; the gradient goes to the first minimal element.")
    logsumexp = _reduction("logsumexp", "log Σ e**x over ``axis``, stable (max shifted); d = softmax.")

    def softmax(self, axis: int = -1) -> Tensor:
        """e**(x - lse(x)) along ``axis`` (stable); VJP: out ⊙ (g - Σ g ⊙ out)."""
        return _apply(T["softmax"], (self,), (axis,))

    def log_softmax(self, axis: int = -1) -> Tensor:
        """x - logsumexp(x) along ``axis`` (stable); VJP: g - softmax ⊙ Σ g."""
        return _apply(T["log_softmax"], (self,), (axis,))

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape) -> Tensor:
        """The same elements in ``shape`` (one -1 allowed)."""
        return _apply(T["reshape"], (self,), (_shape(shape),))

    def flatten(self) -> Tensor:
        """A 1-D view of all elements."""
        return self.reshape(-1)

    def transpose(self, axes: Sequence[int] | None = None) -> Tensor:
        """Permute axes (reverse them by default; negative axes count from the end); d = the inverse permutation."""
        if axes is not None:
            axes = tuple(int(a) % self.ndim if self.ndim else int(a) for a in axes)
        return _apply(T["transpose"], (self,), (axes,))

    @property
    def T(self) -> Tensor:
        """The transpose (axes reversed), as numpy's ``.T``."""
        return self.transpose()

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        """Broadcast to ``shape``; d = unbroadcast (sum over the stretched axes)."""
        return _apply(T["broadcast_to"], (self,), (tuple(shape),))

    def __getitem__(self, index) -> Tensor:
        """Basic and integer-array indexing; the gradient is scatter-added (repeated indices accumulate)."""
        return _apply(T["getitem"], (self,), (_index(index),))

    def where(self, condition: Any, other: Any) -> Tensor:
        """``self`` where ``condition`` else ``other`` (broadcast), as ``torch.Tensor.where``.

        ``condition`` is a constant boolean array (or Tensor); ``other`` a Tensor or a number (then
        it takes self's dtype). The gradient goes to ``self`` where the condition holds, to ``other``
        elsewhere.

        >>> from deltagrad.autograd import Tensor
        >>> x = Tensor([1.0, -2.0]); y = x.where(x.data > 0, 0.0); y.sum().backward()
        >>> y.data.tolist(), x.grad.tolist()
        ([1.0, 0.0], [1.0, 0.0])
        """
        cond = np.asarray(condition.data if isinstance(condition, Tensor) else condition, dtype=bool)
        return _apply(T["where"], (self, _coerce(other, self)), (cond,))

    def _scatter_add(self, index: Any, shape: tuple) -> Tensor:
        # zeros of ``shape`` with self added at ``index`` (repeats accumulate): getitem's VJP, recorded
        return _apply(T["scatter_add"], (self,), (index, tuple(shape)))

    # ------------------------------------------------------------------ graph (shared with Value)
    def backward(self, grad: Any = None, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(node) into ``.grad`` of every node this Tensor depends on.

        Args:
            grad: dL/d(self), an array of self's shape; may be omitted only for one element.
            create_graph: record the backward pass (gradients become Tensors).

        Raises:
            RuntimeError: for a non-scalar output without ``grad``, or no grad required.
            ValueError: for a ``grad`` of the wrong shape (both shapes named).
        """
        graph.backward(self, grad, create_graph)

    def _seed(self, grad: Any, create_graph: bool):
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward(): output has shape {self.shape}; pass grad= of that shape "
                    "(an implicit gradient exists only for a single-element output)"
                )
            g = np.array(1.0, dtype=self.data.dtype)  # dL/dL = 1 (cheaper than ones_like)
            if self.data.ndim:
                g = g.reshape(self.data.shape)
        else:
            if isinstance(grad, Tensor) and create_graph:  # keep the seed's own graph (differentiable in it)
                if grad.shape != self.shape:
                    raise ValueError(
                        f"backward(grad): grad has shape {grad.shape} but the output has shape {self.shape}"
                    )
                return grad
            g = np.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=self.data.dtype)
            if g.shape != self.shape:
                raise ValueError(f"backward(grad): grad has shape {g.shape} but the output has shape {self.shape}")
        return Tensor._const(g) if create_graph else g

    def zero_grad(self) -> None:
        """Reset this node's gradient: ``grad`` becomes 0.0, as a fresh node's.

        Like ``torch``'s default ``zero_grad(set_to_none=True)``: the old array is released, not
        zeroed, and the next ``backward()`` adopts the gradient array it computes (no fill, no add,
        no copy). Code that kept a reference to the old ``grad`` array keeps the old values.
        ``t.grad = None`` (PyTorch's idiom, and what ``nn``'s ``zero_grad`` does) works the same way;
        an optimizer skips a parameter whose ``grad`` is None or still 0.0.
        """
        self.grad = 0.0

    def detach(self) -> Tensor:
        """A new leaf on the *same* data array (no copy), cut from the graph, as ``torch.Tensor.detach``.

        ``requires_grad`` is False. The two share storage: writing into one's ``data`` (or an
        optimizer step on the original) shows in the other; use ``Tensor(t.data)`` for a copy.

        >>> from deltagrad.autograd import Tensor
        >>> x = Tensor([1.0, 2.0]); d = x.detach(); d.data[0] = 5.0; x.data.tolist(), d.requires_grad
        ([5.0, 2.0], False)
        """
        return _leaf(self.data)

    register_hook = Value.register_hook
    retain_grad = Value.retain_grad
    is_leaf = Value.is_leaf

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, threshold=8, edgeitems=2)
        name = f"{self.label!r}, " if self.label else ""
        return f"Tensor({name}{body}, shape={self.shape}, dtype={self.dtype})"


def _shape(shape: tuple) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _index(index):
    if isinstance(index, tuple):
        return tuple(_index(i) for i in index)
    if isinstance(index, Tensor):
        d = index.data
        if d.dtype.kind == "f":
            if not np.all(d == np.floor(d)):
                raise IndexError(f"index Tensor holds non-integer values {d.ravel()[:4]}; "
                                 "index with integers (for a mask, a numpy bool array)")
            return d.astype(np.intp)
        return d
    if isinstance(index, list):
        # an empty list selects nothing (numpy would make it a float array, not an index)
        return np.asarray(index) if index else np.zeros(0, dtype=np.intp)
    return index


Tensor.__array_ufunc__ = None  # numpy never swallows a Tensor into an object array
