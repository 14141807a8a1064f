"""Value: one Python float, its gradient, and the op that made it -- the scalar node of the graph."""

from __future__ import annotations

import math
import numbers
from builtins import sum as _sum
from collections.abc import Callable, Iterable
from operator import mul as _mul
from typing import Any, NamedTuple

from . import graph, modes
from .modes import mode
from .primitives import PRIMITIVES as P


class Tag(NamedTuple):
    """Where a Value sits in a network: ``nn`` sets it, ``viz`` and the gradient checks read it.

    ``layer`` counts from 1 for the first layer of weights (layer 0 holds the inputs);
    ``neuron`` is the neuron's index in its layer; ``role`` is one of ``"x"`` (an input),
    ``"w"`` (a weight; ``index`` is the input it multiplies), ``"b"`` (a bias), ``"z"`` (the
    pre-activation, so δ = z.grad), ``"a"`` (the activation a = g(z)). ``sample`` numbers the
    forward passes of one batch (z and a of sample k of a batch have ``sample=k``).
    """

    layer: int
    neuron: int
    role: str
    index: int | None = None
    sample: int | None = None


_new = object.__new__
_NUM = (int, float)


def _node(op, parents: tuple, data: float, ctx: tuple = ()) -> Value:
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.tag = None
    out._g = None
    out._hooks = None
    if mode.grad_enabled and (parents[0].requires_grad or any(p.requires_grad for p in parents)):
        out.parents = parents
        out.op = op
        out.ctx = ctx
        out.requires_grad = True
    else:
        out.parents = ()
        out.op = None
        out.ctx = ()
        out.requires_grad = False
    if mode.anomaly:
        out.op, out.parents, out.ctx = op, parents, ctx  # keep inputs for the message
        out._site = modes.user_site()
        modes.check_forward(out)
        if not out.requires_grad:
            out.op, out.parents, out.ctx = None, (), ()
    else:
        out._site = None
    return out


def _const(x: float) -> Value:
    out = _new(Value)
    out.data = float(x)
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


def _binary(name: str, fwd_name: str | None = None):
    op = P[name]
    fwd = op.forward

    def method(self, other):
        if type(other) is not Value and not isinstance(other, Value):
            if not isinstance(other, _NUM):
                return NotImplemented
            other = _const(other)
        return _node(op, (self, other), fwd(self.data, other.data))

    def rmethod(self, other):
        if isinstance(other, _NUM):
            other = _const(other)
        else:
            return NotImplemented
        return _node(op, (other, self), fwd(other.data, self.data))

    method.__name__ = f"__{fwd_name or name}__"
    rmethod.__name__ = f"__r{fwd_name or name}__"
    return method, rmethod


def _unary(name: str, doc: str):
    op = P[name]
    fwd = op.forward

    def method(self):
        return _node(op, (self,), fwd(self.data))

    method.__name__ = name
    method.__doc__ = doc
    return method


class Value:
    """A scalar node: ``data`` (a Python float), ``grad`` (dL/d(this node)) and how it was made.

    Every arithmetic op or function on Values returns a new Value that remembers its ``parents``
    (a tuple, in argument order, so ``a + a`` keeps two edges) and its ``op`` (a row of
    `autograd.primitives.PRIMITIVES`). ``backward()`` then fills ``grad`` on every node the
    output depends on, leaves *and* intermediates, so δ = z.grad can be read off any
    pre-activation.

    Args:
        data: the number (converted to float).
        label: an optional name shown by ``viz``.
        requires_grad: whether gradients flow to this leaf (default True: every Value a learner
            creates gets a gradient). Numbers mixed into expressions become constants with
            ``requires_grad=False``.

    Raises:
        TypeError: if ``data`` is not a real number.

    >>> from deltagrad.autograd import Value
    >>> x = Value(2.0, label="x"); w = Value(-3.0, label="w")
    >>> y = x * w + x          # dy/dx = w + 1, dy/dw = x
    >>> y.backward()
    >>> x.grad, w.grad
    (-2.0, 2.0)
    """

    __slots__ = ("_g", "_hooks", "_site", "ctx", "data", "grad", "label", "op", "parents", "requires_grad", "tag")

    def __init__(self, data: float, label: str = "", requires_grad: bool = True):
        if isinstance(data, Value) or not isinstance(data, numbers.Real) or isinstance(data, bool):
            raise TypeError(f"Value(data): expected a real number, got {type(data).__name__}: {data!r}")
        self.data = float(data)
        self.grad = 0.0
        self.parents: tuple = ()
        self.op = None
        self.ctx: tuple = ()
        self.label = label
        self.tag: Tag | None = None
        self.requires_grad = bool(requires_grad)
        self._g = None
        self._hooks: list | None = None
        self._site = modes.user_site() if mode.anomaly else None

    # ------------------------------------------------------------------ arithmetic
    __add__, __radd__ = _binary("add")
    __sub__, __rsub__ = _binary("sub")
    __mul__, __rmul__ = _binary("mul")
    __truediv__, __rtruediv__ = _binary("div", "truediv")

    def __neg__(self) -> Value:
        return _node(P["neg"], (self,), -self.data)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return _node(P["abs"], (self,), abs(self.data))

    def __pow__(self, other) -> Value:
        """``x ** p`` for a number p, or ``x ** y`` for a Value y.

        Follows numpy on the forward (``0 ** -1 = inf``, ``(-8) ** (1/3) = nan``) and PyTorch on
        the derivative: d/dx x**0 = 0 everywhere; d/dy x**y = x**y log x, taken as 0 where
        x = 0 and y >= 0, nan for a negative base.
        """
        if isinstance(other, Value):
            return _node(P["powv"], (self, other), P["powv"].forward(self.data, other.data))
        if isinstance(other, _NUM) and not isinstance(other, bool):
            p = float(other)
            return _node(P["pow"], (self,), P["pow"].forward(self.data, p), (p,))
        return NotImplemented

    def __rpow__(self, other) -> Value:
        """``c ** y`` for a number c: d/dy = c**y log c (0 where c = 0 and y >= 0)."""
        if isinstance(other, _NUM) and not isinstance(other, bool):
            c = float(other)
            return _node(P["rpow"], (self,), P["rpow"].forward(self.data, c), (c,))
        return NotImplemented

    # comparisons compare data, so plain Python control flow works; == stays identity
    def __lt__(self, other) -> bool:
        return self.data < (other.data if isinstance(other, Value) else other)

    def __le__(self, other) -> bool:
        return self.data <= (other.data if isinstance(other, Value) else other)

    def __gt__(self, other) -> bool:
        return self.data > (other.data if isinstance(other, Value) else other)

    def __ge__(self, other) -> bool:
        return self.data >= (other.data if isinstance(other, Value) else other)

    __hash__ = object.__hash__

    def __float__(self) -> float:
        return self.data

    def item(self) -> float:
        """The number as a Python float (as ``Tensor.item()`` and ``torch.Tensor.item()``)."""
        return self.data

    # ------------------------------------------------------------------ functions
    exp = _unary("exp", "e**x; d = e**x.")
    log = _unary("log", "Natural log; d = 1/x. log(0) = -inf, log(x<0) = nan (IEEE).")
    log1p = _unary("log1p", "log(1 + x), exact for small x; d = 1/(1 + x).")
    expm1 = _unary("expm1", "e**x - 1, exact for small x; d = e**x.")
    sqrt = _unary("sqrt", "Square root; d = 1/(2 sqrt x) (inf at 0), nan for x < 0.")
    sin = _unary("sin", "Sine; d = cos x.")
    cos = _unary("cos", "Cosine; d = -sin x.")
    tanh = _unary("tanh", "Hyperbolic tangent; d = 1 - tanh(x)**2.")
    sigmoid = _unary("sigmoid", "σ(x) = 1/(1 + e**-x), stable for large |x|; d = σ(x)(1 - σ(x)).")
    softplus = _unary("softplus", "log(1 + e**x) = max(x, 0) + log1p(e**-|x|) (stable); d = σ(x).")
    relu = _unary("relu", "max(x, 0); d = 1 for x > 0 else 0 (relu'(0) = 0, as PyTorch).")
    gelu = _unary("gelu", "x Φ(x) with the exact normal CDF (erf); d = Φ(x) + x φ(x).")
    erf = _unary("erf", "The error function; d = 2/sqrt(π) e**(-x²).")

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x for x > 0 else slope·x; d = 1 or slope (slope at 0, as PyTorch)."""
        return _node(P["leaky_relu"], (self,), P["leaky_relu"].forward(self.data, slope), (float(slope),))

    def elu(self, alpha: float = 1.0) -> Value:
        """x for x > 0 else alpha·(e**x - 1); d = 1 or elu(x) + alpha (alpha at 0, as PyTorch)."""
        return _node(P["elu"], (self,), P["elu"].forward(self.data, alpha), (float(alpha),))

    def clamp(self, lo: float = -math.inf, hi: float = math.inf) -> Value:
        """min(max(x, lo), hi); d = 1 on the closed interval [lo, hi], else 0 (as PyTorch).

        Raises:
            ValueError: if lo > hi.
        """
        if lo > hi:
            raise ValueError(f"clamp: lo={lo} is greater than hi={hi}")
        lo, hi = float(lo), float(hi)  # int bounds: the result is still a float (clamp(5.0, 0, 1) = 1.0)
        return _node(P["clamp"], (self,), P["clamp"].forward(self.data, lo, hi), (lo, hi))

    clip = clamp  # numpy's name

    # ------------------------------------------------------------------ graph
    def backward(self, grad: float | Value | None = None, create_graph: bool = False) -> None:
        """Accumulate dself/d(node) into ``.grad`` of every node this Value depends on.

        Walks `autograd.topo_order` in reverse and applies each op's VJP (the chain rule).
        Gradients *accumulate* (``+=``) across calls, as in PyTorch: call ``zero_grad()`` (or the
        optimizer's) between steps. With ``create_graph=True`` every gradient becomes a Value with
        its own graph, so ``x.grad.backward()`` gives second derivatives.

        Args:
            grad: dL/d(self), default 1.0.
            create_graph: record the backward pass itself (for higher-order derivatives).

        Raises:
            RuntimeError: if this Value does not require grad.
        """
        graph.backward(self, grad, create_graph)

    def _seed(self, grad, create_graph: bool):
        if grad is None:
            grad = 1.0
        if isinstance(grad, Value):
            return grad if create_graph else grad.data
        if not isinstance(grad, numbers.Real) or isinstance(grad, bool):
            raise TypeError(f"backward(grad): expected a number or a Value, got {type(grad).__name__}")
        return _const(grad) if create_graph else float(grad)

    def zero_grad(self) -> None:
        """Reset this node's gradient to 0.0, as a fresh node's.

        ``grad`` may also be set to ``None`` (PyTorch's way to clear a gradient; ``nn``'s
        ``zero_grad`` does it): the next ``backward()`` then starts from no gradient, and an optimizer
        skips a parameter whose ``grad`` is still None.
        """
        self.grad = 0.0

    def retain_grad(self) -> None:
        """Keep this node's gradient after ``backward()``, as ``torch.Tensor.retain_grad``: already so.

        Every node keeps its ``grad`` here, leaves and intermediates (δ = ``z.grad``), so this
        changes nothing; it exists so that PyTorch code runs unchanged.

        >>> from deltagrad.autograd import Value
        >>> x = Value(3.0); z = x * x; z.retain_grad(); (z * 2.0).backward(); z.grad
        2.0
        """

    def detach(self) -> Value:
        """A new leaf with the same data, cut from the graph (``requires_grad=False``)."""
        out = _const(self.data)
        out.label = self.label
        return out

    def register_hook(self, fn: Callable[[Any], Any]) -> Callable[[], None]:
        """Call ``fn(g)`` with the gradient flowing into this node during backward.

        If ``fn`` returns a value, it replaces the gradient (as in PyTorch). ``fn`` must not modify
        ``g`` in place (a gradient array may be shared with other nodes during the sweep). Returns
        a function that removes the hook.
        """
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        modes.hooks_added += 1

        def remove() -> None:
            if self._hooks and fn in self._hooks:
                self._hooks.remove(fn)

        return remove

    @property
    def is_leaf(self) -> bool:
        """True for a Value made by the user (not by an op)."""
        return self.op is None

    def __repr__(self) -> str:
        grad = self.grad.data if isinstance(self.grad, Value) else self.grad
        name = f"{self.label!r}, " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={'None' if grad is None else format(grad, '.6g')})"


def _nary(name: str, values: Iterable, ctx: tuple = ()) -> Value:
    vs = tuple(v if isinstance(v, Value) else _const(v) for v in values)
    if not vs:
        raise ValueError(f"{name}: needs at least one value")
    op = P[name]
    return _node(op, vs, op.forward(*[v.data for v in vs], *ctx), ctx)


def sum(values: Iterable[Value | float]) -> Value:
    """Σ values as one node with n parents (not a chain of n - 1 additions); d/dxᵢ = 1.

    The forward uses ``math.fsum`` (exactly rounded).

    >>> from deltagrad.autograd import Value, sum
    >>> xs = [Value(float(i)) for i in range(4)]
    >>> s = sum(xs); s.backward(); s.data, [x.grad for x in xs]
    (6.0, [1.0, 1.0, 1.0, 1.0])
    """
    return _nary("sum", values)


def mean(values: Iterable[Value | float]) -> Value:
    """(1/n) Σ values as one node; d/dxᵢ = 1/n.

    Raises:
        ValueError: for no values.
    """
    return _nary("mean", values)


def maximum(x: Value | float, y: Value | float) -> Value:
    """max(x, y); the whole gradient goes to x on a tie (x >= y)."""
    return _nary("maximum", (x, y))


def minimum(x: Value | float, y: Value | float) -> Value:
    """min(x, y); the whole gradient goes to x on a tie (x <= y)."""
    return _nary("minimum", (x, y))


def linear(w: list, x: list, b: Value | float) -> Value:
    """A neuron's pre-activation z = Σᵢ wᵢ xᵢ + b as one node (fused; the seed's z = W a + b, one row).

    ∂z/∂wᵢ = xᵢ, ∂z/∂xᵢ = wᵢ, ∂z/∂b = 1. Same value and gradients as the unfused expression,
    with 2n fewer nodes to build and walk.

    Raises:
        ValueError: if w and x differ in length.
    """
    if len(w) != len(x):
        raise ValueError(f"linear: {len(w)} weights but {len(x)} inputs")
    if type(b) is Value and all(type(v) is Value for v in w) and all(type(v) is Value for v in x):
        return _linear(w, x, b)
    return _nary("linear", (*w, *x, b), (len(w),))


_LINEAR = P["linear"]


def _linear(w: list, x: list, b: Value) -> Value:
    # the hot path of every neuron: all arguments already Values
    z = _sum(map(_mul, [v.data for v in w], [v.data for v in x]), b.data)
    return _node(_LINEAR, (*w, *x, b), z, (len(w),))
