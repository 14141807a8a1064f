"""Symbolic stand-ins that turn a primitive table's rule into expression text, by running the rule itself.

The forward and VJP rules of `autograd.primitives` and `autograd.tensor_ops` are written
in plain arithmetic on their arguments. Called with `Sym` objects instead of floats or arrays,
the same code records what it computes: ``lambda g, out, x, y: (g * y, g * x)`` returns two Syms
whose text is ``g * y`` and ``g * x``. So the compiler (`autograd.compile`) writes a rule's
text *from the rule*, and there is no second copy of the calculus.

A Sym carries, for a Tensor program, a ``proto``: a zero array of the value's shape and dtype. Every
operation is applied to the protos too, so shapes, dtypes and numpy's promotion rules come out
exactly as at run time (``np.shape``, ``np.size``, ``x.ndim`` answer from the proto).

A rule that decides something from the *values* (``if x > 0``, ``float(g)``), or calls a function
the stand-ins do not model, raises `Untraceable`; the compiler then calls that table row's own
function by name instead. Nothing here evaluates text: a Sym only ever builds strings from our own
operator spellings, literals written by `literal` and names the compiler has sanitized.
"""

from __future__ import annotations

import numpy as np

from .literals import (
    _COMPARE,
    _INFIX,
    _META,
    _NP_FUNCS,
    _OUT_UFUNCS,
    _TRACEABLE_FUNCS,
    ADD,
    ATOM,
    BITAND,
    BITOR,
    CMP,
    MUL,
    POWER,
    UNARY,
    Untraceable,
    literal,
)


class Tracer:
    """The mode of one trace: ``"value"`` (floats: IEEE-safe helpers for / and **) or ``"tensor"`` (numpy).

    ``names`` collects the runtime names the traced text uses (``np``, ``div``, ``pow_``, ``exp`` ...).

    >>> t = Tracer("value"); x = t.name("x")
    >>> (x / 2.0).render(), sorted(t.names)
    ('div(x, 2.0)', ['div'])
    """

    def __init__(self, mode: str, const=None):
        self.mode = mode
        self.names: set = set()
        self.const = const  # (0-d array) -> the name it is bound to; None: constants stay literals

    def name(self, text: str, proto=None) -> Sym:
        return Sym([text], ATOM, proto, self)


def _arg(v, tracer: Tracer) -> Sym:
    if isinstance(v, Sym):
        return v
    if isinstance(v, np.ndarray):
        raise Untraceable("an array constant")
    text, prec = literal(v)
    if text in ("INF", "NAN", "-INF"):
        tracer.names.add(text.lstrip("-"))
    if text.startswith("np."):
        tracer.names.add("np")
    return Sym([text], prec, v if tracer.mode == "tensor" else None, tracer)


def _named_const(c, other, tracer: Tracer):
    """A Python number meeting a float array in a Tensor program, as a named 0-d array of the array's dtype.

    numpy casts a Python number to the array's dtype before the operation (NEP 50), so the 0-d array
    gives the same values and dtype; numpy runs an array-by-0-d-array op faster than array-by-float.
    Anything else (a Sym, a bool, a 0-d partner, an int array, a value the dtype cannot hold) is returned as is.
    """
    given = c
    if isinstance(c, Sym) and c.is_atom() and type(c.proto) in (float, int):
        c = c.proto  # a literal (a constant node's number): the same rule
    if tracer.const is None or type(c) not in (float, int) or not isinstance(other, Sym):
        return given
    p = other.proto
    if not isinstance(p, np.ndarray) or p.ndim == 0 or p.dtype.kind != "f":
        return given
    try:
        with np.errstate(all="ignore"):
            v = np.array(c, dtype=p.dtype)
    except OverflowError:
        return given
    if not np.isfinite(v):  # out of the dtype's range: left to numpy's own rules for a Python number
        return given
    v.flags.writeable = False
    return Sym([tracer.const(v)], ATOM, v, tracer)


def _wrap(s: Sym, need: int, strict: bool) -> list:
    # the child's parts, parenthesized when it binds less tightly than its place needs
    return ["(", s, ")"] if (s.prec < need or (strict and s.prec == need)) else [s]


def _proto(fn, *args, **kw):
    with np.errstate(all="ignore"):
        return fn(*[a.proto if isinstance(a, Sym) else a for a in args],
                  **{k: v.proto if isinstance(v, Sym) else v for k, v in kw.items()})


class Sym:
    """A traced value: the text of an expression (``parts``: strings and child Syms), its binding strength, its proto.

    >>> t = Tracer("value"); g, x = t.name("g"), t.name("x")
    >>> (g * (x + 1.0)).render(), (-(g - x)).render()
    ('g * (x + 1.0)', '-(g - x)')
    """

    __slots__ = ("full", "outable", "parts", "prec", "proto", "tracer")
    __array_priority__ = 10_000
    __hash__ = object.__hash__

    def __init__(self, parts: list, prec: int, proto, tracer: Tracer):
        self.parts, self.prec, self.proto, self.tracer = parts, prec, proto, tracer
        self.outable = None  # (numpy function, its argument Syms) when the value can be written with out=
        self.full = None  # a uniform: one number (text and proto) standing for an array of this shape

    def uniform(self, shape: tuple) -> Sym:
        """This one number standing for the array of ``shape`` that holds it everywhere (a gradient
        broadcast back): it stays a number while it meets arrays of the full shape elementwise, where
        numpy's broadcasting gives the same values, and is written out (`materialize`) anywhere else."""
        out = Sym(self.parts, self.prec, self.proto, self.tracer)
        out.full = tuple(shape)
        return out

    def materialize(self) -> Sym:
        """A uniform as the array it stands for: ``np.full(shape, number)`` (a fresh array, as the engine's)."""
        if self.full is None:
            return self
        if np.ndim(self.proto) > len(self.full):
            raise Untraceable("a uniform with more axes than its array")
        self.tracer.names.add("np")
        parts = ["np.full(", _arg(self.full, self.tracer), ", ", self, ")"]
        return Sym(parts, ATOM, np.zeros(self.full, np.result_type(self.proto)), self.tracer)

    def with_out(self, buf: str) -> Sym:
        """The same value written into the array named ``buf`` (``np.matmul(a, b, out=buf)``); needs ``outable``."""
        fn, *args = self.outable
        parts: list = [f"{fn}("]
        for i, a in enumerate(args):
            parts += ([", "] if i else []) + [a]
        parts.append(f", out={buf})")
        return Sym(parts, ATOM, self.proto, self.tracer)

    # ------------------------------------------------------------------ rendering
    def render(self, names: dict | None = None) -> str:
        """The expression's text; a child Sym found in ``names`` (by id) is written as that name."""
        out = []
        for p in self.parts:
            if isinstance(p, Sym):
                hoisted = names.get(id(p)) if names else None
                out.append(hoisted if hoisted is not None else p.render(names))
            else:
                out.append(p)
        return "".join(out)

    def is_atom(self) -> bool:
        return len(self.parts) == 1 and isinstance(self.parts[0], str)

    def children(self) -> list:
        return [p for p in self.parts if isinstance(p, Sym)]

    # ------------------------------------------------------------------ building
    def _tensor(self) -> bool:
        return self.tracer.mode == "tensor"

    def _bin(self, other, sym: str, prec: int, fn, swap: bool = False) -> Sym:
        if self._tensor() and sym in _OUT_UFUNCS:
            other = _named_const(other, self, self.tracer)
            self = _named_const(self, other, self.tracer) if isinstance(other, Sym) else self
        other = _arg(other, self.tracer)
        a, b = (other, self) if swap else (self, other)
        full = None
        if self._tensor() and (a.full is not None or b.full is not None):
            sa, sb = a.full or np.shape(a.proto), b.full or np.shape(b.proto)
            true = np.broadcast_shapes(sa, sb)
            if a.full is not None and b.full is not None:
                full = true  # number op number: still a uniform
            elif true != np.shape(_proto(fn, a, b)) or sum(d > 1 for d in true) > 1:
                # the number would not stretch to the full shape here; or the result has two axes longer
                # than 1, where numpy lays out `number * x` as x is laid out (a transposed x: column-major)
                # but `array * x` row-major, and a later sum would add in another order
                a, b = a.materialize(), b.materialize()
        if sym == "**":
            parts = [*_wrap(a, ATOM, False), " ** ", *_wrap(b, ATOM, False)]
            return Sym(parts, POWER, _proto(fn, a, b) if self._tensor() else None, self.tracer)
        parts = [*_wrap(a, prec, False), f" {sym} ", *_wrap(b, prec, True)]
        out = Sym(parts, prec, _proto(fn, a, b) if self._tensor() else None, self.tracer)
        if sym in _OUT_UFUNCS and full is None:
            out.outable = (_OUT_UFUNCS[sym], a, b)
        out.full = full
        return out

    def _call(self, name: str, *args, **kw) -> Sym:
        # name(args, k=v): a runtime name bound by the compiler (np.exp, div, pow_, sigmoid ...)
        self.tracer.names.add(name.split(".")[0])
        parts: list = [f"{name}("]
        items = [_arg(a, self.tracer).materialize() for a in args]
        items += [(k, _arg(v, self.tracer).materialize()) for k, v in kw.items()]
        for i, it in enumerate(items):
            if i:
                parts.append(", ")
            if isinstance(it, tuple):
                parts += [f"{it[0]}=", it[1]]
            else:
                parts.append(it)
        parts.append(")")
        return Sym(parts, ATOM, None, self.tracer)

    def _div_or_pow(self, other, helper: str, sym: str, fn, swap: bool) -> Sym:
        if self._tensor() and sym == "/":
            return self._bin(other, sym, MUL, fn, swap)
        self, other = self.materialize(), other.materialize() if isinstance(other, Sym) else other
        a, b = (other, self) if swap else (self, other)
        out = self._call(helper, a, b)  # floats: the table's IEEE-safe helper (x/0, 0**-1 never raise)
        if self._tensor():
            out.proto = _proto(fn, _arg(a, self.tracer), _arg(b, self.tracer))
        return out

    __add__ = lambda s, o: s._bin(o, "+", ADD, np.add)
    __radd__ = lambda s, o: s._bin(o, "+", ADD, np.add, True)
    __sub__ = lambda s, o: s._bin(o, "-", ADD, np.subtract)
    __rsub__ = lambda s, o: s._bin(o, "-", ADD, np.subtract, True)
    __mul__ = lambda s, o: s._bin(o, "*", MUL, np.multiply)
    __rmul__ = lambda s, o: s._bin(o, "*", MUL, np.multiply, True)
    __matmul__ = lambda s, o: s._bin(o, "@", MUL, np.matmul)
    __rmatmul__ = lambda s, o: s._bin(o, "@", MUL, np.matmul, True)
    __truediv__ = lambda s, o: s._div_or_pow(o, "div", "/", np.divide, False)
    __rtruediv__ = lambda s, o: s._div_or_pow(o, "div", "/", np.divide, True)
    __pow__ = lambda s, o: s._div_or_pow(o, "pow_", "**", np.power, False)
    __rpow__ = lambda s, o: s._div_or_pow(o, "pow_", "**", np.power, True)
    __gt__ = lambda s, o: s._bin(o, ">", CMP, np.greater)
    __lt__ = lambda s, o: s._bin(o, "<", CMP, np.less)
    __ge__ = lambda s, o: s._bin(o, ">=", CMP, np.greater_equal)
    __le__ = lambda s, o: s._bin(o, "<=", CMP, np.less_equal)
    __eq__ = lambda s, o: s._bin(o, "==", CMP, np.equal)
    __ne__ = lambda s, o: s._bin(o, "!=", CMP, np.not_equal)
    __and__ = lambda s, o: s._bin(o, "&", BITAND, np.bitwise_and)
    __or__ = lambda s, o: s._bin(o, "|", BITOR, np.bitwise_or)

    def __neg__(self) -> Sym:
        out = Sym(["-", *_wrap(self, UNARY, False)], UNARY, _proto(np.negative, self) if self._tensor() else None,
                  self.tracer)
        out.full = self.full
        return out

    def _untraceable(self, *_a, **_k):
        raise Untraceable("the rule asked for a value (a branch, float(), len() or iteration)")

    __bool__ = __float__ = __int__ = __index__ = __len__ = __iter__ = __getitem__ = _untraceable

    # ------------------------------------------------------------------ what the dispatchers ask of a node
    data = property(lambda self: self)  # _data(x) / _np(x): the value itself
    shape = property(lambda self: np.shape(self._need_proto()))
    ndim = property(lambda self: np.ndim(self._need_proto()))
    size = property(lambda self: np.size(self._need_proto()))
    dtype = property(lambda self: np.result_type(self._need_proto()))

    def _need_proto(self):
        if not self._tensor():
            raise Untraceable("a shape asked of a float")
        return self.proto if self.full is None else np.broadcast_to(self.proto, self.full)  # a view: no copy

    @property
    def T(self) -> Sym:
        if self.full is not None:  # the same number, the axes reversed
            return self.uniform(self.full[::-1])  # (as many axes as before: the number fits them still)
        return Sym([*_wrap(self, ATOM, False), ".T"], ATOM, _proto(np.transpose, self), self.tracer)

    def _method(self, name: str, np_name: str, *args):
        self = self.materialize()
        if self._tensor():
            out = self._call(np_name, self, *args)
            out.proto = _proto(_NP_FUNCS[name], self, *args)
            return out
        return self._call(name, self, *args)

    def exp(self):
        return self._method("exp", "np.exp")

    def log(self):
        return self._method("log", "np.log")

    def sin(self):
        return self._method("sin", "np.sin")

    def cos(self):
        return self._method("cos", "np.cos")

    def sigmoid(self):
        return self._method("sigmoid", "sigmoid")

    def erf(self):
        return self._method("erf", "erf")

    def transpose(self, axes=None):
        if self.full is not None:
            return self.uniform(np.shape(np.transpose(self._need_proto(), axes)))
        if axes is None or tuple(axes) == tuple(range(self.ndim))[::-1]:
            return self.T
        out = self._call("np.transpose", self, tuple(axes))
        out.proto = _proto(np.transpose, self, tuple(axes))
        return out

    def reshape(self, shape):
        if self.full is not None:  # the same number, another shape of as many elements
            new = np.shape(np.reshape(self._need_proto(), tuple(shape)))
            if np.ndim(self.proto) <= len(new):
                return self.uniform(new)
            self = self.materialize()
        out = Sym([*_wrap(self, ATOM, False), ".reshape(", _arg(tuple(shape), self.tracer), ")"], ATOM,
                  _proto(np.reshape, self, tuple(shape)), self.tracer)
        return out

    def sum(self, axis=None, keepdims=False):
        # np.add.reduce: what ndarray.sum runs, without its Python wrapper (as the engine's unbroadcast)
        axis = tuple(axis) if isinstance(axis, list) else axis
        if self.full is not None:
            return self.materialize().sum(axis, keepdims)
        out = self._reduce("np.add.reduce", axis, bool(keepdims))
        out.proto = _proto(np.sum, self, axis=axis, keepdims=keepdims)
        return out

    def _reduce(self, name: str, axis, keepdims: bool) -> Sym:
        # axis positional, keepdims only when True: numpy parses a reduce's keywords slower than its positions
        out = self._call(name, self, axis, keepdims=True) if keepdims else self._call(name, self, axis)
        out.outable = (name, self, _arg(axis, self.tracer), *(["keepdims=True"] if keepdims else []))
        return out

    def broadcast_to(self, shape):
        # one number stretched to a shape: np.full writes the same values as np.broadcast_to, at a
        # fraction of its Python overhead, into an array of its own (a fusion tested against the engine)
        if self.full is not None and np.broadcast_shapes(self.full, tuple(shape)) == tuple(shape):
            return self.uniform(shape)
        if self.full is None and isinstance(self.proto, np.ndarray | np.generic) and self.proto.size == 1 \
                and self.proto.ndim <= len(shape):
            return self.uniform(shape)  # one number stretched: written as np.full(shape, number) where it must be
        self = self.materialize()
        fn = "np.full" if np.size(self._need_proto()) == 1 else "np.broadcast_to"
        out = self._call(fn, tuple(shape), self) if fn == "np.full" else self._call(fn, self, tuple(shape))
        out.proto = _proto(np.broadcast_to, self, tuple(shape))
        return out

    # ------------------------------------------------------------------ numpy's protocols
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if not self._tensor() or "out" in kwargs:
            raise Untraceable(f"np.{ufunc.__name__} on a float, or with out=")
        name = ufunc.__name__
        if not (method == "__call__" and not kwargs and (name in _INFIX or name in _COMPARE or name == "negative")):
            inputs = tuple(x.materialize() if isinstance(x, Sym) else x for x in inputs)
        if method == "__call__" and not kwargs:
            if name in _INFIX and len(inputs) == 2:
                sym, prec = _INFIX[name]
                x, y = inputs
                if isinstance(y, Sym) and not isinstance(x, Sym):
                    return y._bin(x, sym, prec, ufunc, True)
                return _arg(x, self.tracer)._bin(y, sym, prec, ufunc)
            if name in _COMPARE and len(inputs) == 2:
                return _arg(inputs[0], self.tracer)._bin(inputs[1], _COMPARE[name], CMP, ufunc)
            if name == "negative":
                return -_arg(inputs[0], self.tracer)
        if method == "__call__":
            if len(inputs) == 2 and not kwargs:  # np.maximum(x, 0.0): the number as a named 0-d array
                x, y = inputs
                t = self.tracer
                inputs = (_named_const(x, y, t), y) if isinstance(y, Sym) else (x, _named_const(y, x, t))
            out = self._call(f"np.{name}", *inputs, **kwargs)
            out.proto = _proto(ufunc, *inputs, **kwargs)
            return out
        if method == "reduce":
            pos = ("axis", "dtype", "out", "keepdims")
            kw = dict(zip(pos, inputs[1:]))
            kw.update(kwargs)
            if kw.get("dtype") is not None or kw.get("out") is not None:
                raise Untraceable("a reduce with dtype= or out=")
            kw = {k: v for k, v in kw.items() if k in ("axis", "keepdims")}
            out = _arg(inputs[0], self.tracer)._reduce(f"np.{name}.reduce", kw.get("axis", 0), bool(kw.get("keepdims")))
            out.proto = _proto(ufunc.reduce, inputs[0], **kw)
            return out
        raise Untraceable(f"np.{name}.{method}")

    def __array_function__(self, func, types, args, kwargs):
        if not self._tensor():
            raise Untraceable(f"np.{func.__name__} on a float")
        if func in _META:  # shape facts: answered from the protos, not traced
            return func(*[a._need_proto() if isinstance(a, Sym) else a for a in args], **kwargs)
        if func is np.broadcast_to and isinstance(args[0], Sym) and not kwargs:
            return args[0].broadcast_to(args[1])
        if func is np.reshape and isinstance(args[0], Sym) and not kwargs and len(args) == 2:
            return args[0].reshape(args[1])
        args = tuple(a.materialize() if isinstance(a, Sym) else a for a in args)
        name = func.__name__
        if getattr(np, name, None) is not func or name not in _TRACEABLE_FUNCS:
            raise Untraceable(f"np.{name}")
        out = self._call(f"np.{name}", *args, **kwargs)
        out.proto = _proto(func, *args, **kwargs)
        return out


def _register_sigmoid_erf():
    # the Tensor table's own sigmoid and erf forwards compute a Sym's proto
    from .tensor_ops import _sigmoid, erf_array

    _NP_FUNCS.update({"sigmoid": _sigmoid, "erf": erf_array})


_register_sigmoid_erf()
