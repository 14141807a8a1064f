"""Write a recorded graph as straight-line Python: the forward, then the backward, one line per op.

Each line comes from the op's row in the primitive table: the row's forward and VJP are *called*
with `autograd.trace.Sym` stand-ins, so the text is what the rule computes. A rule that looks
at values (a branch on ``x > 0``, ``float(g)``) cannot be traced; its line calls the row's own
function instead (``relu(z1)``, ``vjp_maximum(g, out, x, y)``). The backward walks the nodes in the
order the engine's sweep does and sums each node's gradient contributions in the same order, so the
program computes the engine's numbers.

Nothing a user wrote reaches the text except through `autograd.names.identifier`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .folds import bufferable, in_place, is_const, live, new_array
from .names import Namer, grad_name, node_name
from .notes import backward_note, forward_note
from .trace import Sym, Tracer, Untraceable, literal

INDENT = "    "
_CONST_NAMES = {"0.0": "zero", "0.5": "half", "1.0": "one", "2.0": "two"}  # by repr: -0.0 is not zero
_INFIX_OPS = {"add", "sub", "mul", "div", "matmul", "neg"}  # their traced line already reads as the note


@dataclass
class Plan:
    """What `generate` hands the compiler: the source, the names it binds, and how to read its results.

    ``leaves``: the leaf nodes read, in the order of the program's first argument. ``targets``: one
    ``(leaf, fresh)`` per returned gradient, in the engine's accumulation order (``fresh``: the array
    was made by this line alone, so the leaf may adopt it). ``quiet``: run under ``np.errstate``.
    ``buffers``: the indices (into ``targets``) of the large leaf gradients the program writes with
    ``out=bufs[k]``: the array it returned for that target last run, when nothing else holds it any
    more (so no one can see it overwritten), else None (numpy allocates). Reusing it saves the page
    faults a fresh array of that size costs on every step. ``grad_dtypes``: per returned gradient, its
    dtype as the protos give it (None for floats).
    """

    source: str
    namespace: dict
    leaves: list
    targets: list
    quiet: bool = False
    lines: list = field(default_factory=list)
    buffers: list = field(default_factory=list)
    grad_dtypes: list = field(default_factory=list)


def _runtime(tensor: bool) -> dict:
    """The names traced text may use, bound to the tables' own functions."""
    from . import tensor_ops
    from .primitives import PRIMITIVES as P
    from .primitives import f_div, f_pow

    if tensor:
        return {"np": np, "INF": math.inf, "NAN": math.nan, "pow_": tensor_ops._pow,
                "sigmoid": tensor_ops._sigmoid, "erf": tensor_ops.erf_array, "div": np.divide}
    ns = {"np": np, "INF": math.inf, "NAN": math.nan, "div": f_div, "pow_": f_pow}
    for name in ("exp", "log", "sin", "cos", "sigmoid", "erf"):
        ns[name] = P[name].forward
    return ns


class _Writer:
    def __init__(self, tensor: bool, reserved: set):
        self.tensor = tensor
        self.namer = Namer(reserved)
        self.lines: list[str] = []
        self.ns = _runtime(tensor)
        self.used: set = set()
        self.consts: dict = {}  # (value, dtype) -> name of the 0-d array bound for it
        self.uniform: dict = {}  # id(node) -> proto of the one number its gradient variable holds (see Sym.uniform)
        self.buffers: list = []
        self.grad_dtypes: list = []  # per returned gradient, its dtype as the protos give it (None: floats)
        self.owned: set = set()  # gradient variables whose array no other name holds (see folds.in_place)
        self.written_in_place: set = set()  # ids of the Syms folds.in_place wrote into their incoming gradient's array
        # one per program: it collects the names used
        self.tracer = Tracer("tensor", self.const) if tensor else Tracer("value")

    def const(self, v: np.ndarray) -> str:
        """The name bound to the 0-d constant ``v`` (``half``, ``one``, ``two``, else ``c1``, ``c2``, ...)."""
        key = (v.tobytes(), v.dtype.str)
        if key not in self.consts:
            base = _CONST_NAMES.get(repr(float(v))) or f"c{len(self.consts) + 1}"
            if v.dtype != np.float64:
                base += f"_{v.dtype.kind}{8 * v.dtype.itemsize}"
            self.consts[key] = self.bind(self.namer.take(base), v)
        return self.consts[key]

    def bind(self, name: str, obj) -> str:
        self.ns[name] = obj
        self.used.add(name)
        return name

    def emit(self, targets: list, comments: list | None = None) -> set:
        """Lines ``target = expr`` for [(target, Sym)], shared sub-expressions first as their own lines.

        Returns the targets whose line made a new value (not a name another target or line also holds)."""
        counts: dict = {}
        seen: set = set()

        def visit(s: Sym):
            for c in s.children():
                if c.is_atom():
                    continue
                counts[id(c)] = counts.get(id(c), 0) + 1
                if id(c) not in seen:
                    seen.add(id(c))
                    visit(c)

        for _, s in targets:
            if not s.is_atom():
                counts[id(s)] = counts.get(id(s), 0) + 1
                if id(s) not in seen:
                    seen.add(id(s))
                    visit(s)
        names: dict = {}
        order: list = []

        def collect(s: Sym):
            for c in s.children():
                if not c.is_atom():
                    collect(c)
                    if counts.get(id(c), 0) > 1 and id(c) not in names:
                        names[id(c)] = self.namer.fresh()
                        order.append(c)

        for _, s in targets:
            collect(s)
            if counts.get(id(s), 0) > 1 and id(s) not in names:
                names[id(s)] = self.namer.fresh()
                order.append(s)
        for c in order:
            self.lines.append(f"{names[id(c)]} = {c.render(names)}")
        fresh = set()
        for i, (target, s) in enumerate(targets):
            text = f"{target} = {_render_top(s, names)}"
            note = comments[i] if comments else ""
            self.lines.append(f"{text}  # {note}" if note else text)
            if id(s) not in names and not s.is_atom():
                fresh.add(target)
        self.used |= self.tracer.names
        return fresh


def _render_top(s: Sym, names: dict) -> str:
    return names.get(id(s)) or s.render(names)


def generate(root, order: list, nodes: list, keep_value: bool = True) -> Plan:
    """The program for ``root``: ``order`` its non-leaf nodes (the sweep's order), ``nodes`` all of them.

    ``keep_value=False``: the program returns ``None`` for the root's value, and every line whose result
    nothing later reads is left out (as ``jax.grad`` leaves out what only the value needed).

    >>> from deltagrad.autograd import Value, topo_order
    >>> from deltagrad.autograd.graph import _order
    >>> x = Value(3.0, label="x"); y = x * x
    >>> print(generate(y, _order(y, False), topo_order(y)).source.splitlines()[3])
        t1 = x * x
    """
    from .tensor_ops import _QUIET

    tensor = not isinstance(root.data, float)
    ops = {n.op.name for n in order}
    reserved = set(_runtime(tensor)) | ops | {f"vjp_{o}" for o in ops} | {f"masked_{o}" for o in ops}
    reserved |= {"leaves", "seed", "program"} | {f"fwd_{o}" for o in ops}
    w = _Writer(tensor, reserved)
    consumers: dict = {}
    for n in order:
        for p in n.parents:
            consumers.setdefault(id(p), []).append(n)
    names: dict = {}
    syms: dict = {}
    leaves = []
    for n in nodes:
        if n.op is not None:
            continue
        if is_const(n, consumers, tensor):
            value = float(n.data)
            text, prec = literal(value)
            t = w.tracer
            if text in ("INF", "NAN", "-INF"):
                w.used.add(text.lstrip("-"))
            syms[id(n)] = Sym([text], prec, value if tensor else None, t)
            names[id(n)] = text
            continue
        names[id(n)] = node_name(n, w.namer)
        leaves.append(n)
    header = ", ".join(names[id(n)] for n in leaves)
    w.lines.append("# forward")
    for n in order:
        names[id(n)] = node_name(n, w.namer)
    for n in order:
        _forward_line(w, n, names, syms)
    # backward: the sweep's order; each node's gradient is the sum of its contributions in arrival order
    w.lines.append("# backward")
    gnames: dict = {id(root): grad_name(root, names[id(root)], w.namer)}
    w.lines.append(f"{gnames[id(root)]} = seed  # ∂L/∂{names[id(root)]} = 1")
    targets: list = []
    results: list = []
    leaf_count: dict = {}
    for n in reversed(order):
        if id(n) not in gnames:
            continue  # no gradient reached it (as the sweep's `g is None`)
        _backward_lines(w, n, names, gnames, syms, targets, results, leaf_count)
    out = names[id(root)]
    consts = [f"{name} = {literal(float(v))[0]}" for name, v in ((n, w.ns[n]) for n in w.consts.values())]
    if consts:
        dts = sorted({w.ns[n].dtype.name for n in w.consts.values()})
        w.lines.insert(0, f"# constants, 0-d {'/'.join(dts)} arrays: {', '.join(consts)}")
    if w.buffers:
        w.lines.insert(0, "# bufs[k]: the array this program returned for that gradient last run, if nothing holds it")
    ret = f"return {out if keep_value else None}, ({', '.join(results)}{',' if len(results) == 1 else ''})"
    lines = w.lines if keep_value else live(w.lines, ret)
    body = [f"{header}{',' if len(leaves) == 1 else ''} = leaves", *lines, ret]
    args = "leaves, seed, bufs" if w.buffers else "leaves, seed"
    src = f"def program({args}):\n" + "".join(f"{INDENT}{ln}\n" for ln in body)
    quiet = tensor and bool(ops & _QUIET)
    w.used |= w.tracer.names
    ns = {k: v for k, v in w.ns.items() if k in w.used or k in ("np",)}
    return Plan(src, ns, leaves, targets, quiet, body, w.buffers, w.grad_dtypes)


def _sym_of(w: _Writer, n, names: dict, syms: dict) -> Sym:
    s = syms.get(id(n))
    if s is None:
        proto = np.zeros(n.data.shape, n.data.dtype) if w.tensor else None
        s = syms[id(n)] = w.tracer.name(names[id(n)], proto)
    return s


def _fresh_sym(w: _Writer, n, name: str) -> Sym:
    return w.tracer.name(name, np.zeros(n.data.shape, n.data.dtype) if w.tensor else None)


def _grad_sym(w: _Writer, n, name: str) -> Sym:
    # the variable holding ∂L/∂n: an array of n's shape, or one number standing for it (a uniform)
    proto = w.uniform.get(id(n))
    if proto is None:
        return _fresh_sym(w, n, name)
    return w.tracer.name(name, proto).uniform(n.data.shape)


def _uniform_note(w: _Writer, p, gi: Sym) -> str:
    # record whether ∂L/∂p is held as one number; say so in the comment
    if gi.full is None:
        w.uniform.pop(id(p), None)
        return ""
    w.uniform[id(p)] = gi.proto
    return f" (one number for all of {p.data.shape})"


def _same_kind(s, like, tensor: bool) -> bool:
    # a traced result must have the node's shape and dtype, as the recorded forward gave it
    if not isinstance(s, Sym):
        return False
    if not tensor:
        return True
    p = s.proto
    return p is not None and np.shape(p) == np.shape(like) and np.result_type(p) == like.dtype


def _ctx_args(w: _Writer, ctx: tuple) -> list[str]:
    out = []
    for c in ctx:
        try:
            out.append(literal(c)[0])
            w.used |= {"INF", "NAN"} & set(out[-1].replace("-", " ").split())
            if out[-1].startswith("np."):
                w.used.add("np")
        except Untraceable:
            out.append(w.bind(w.namer.fresh("K"), c))  # an index array: passed as a bound constant
    return out


def _forward_line(w: _Writer, n, names: dict, syms: dict) -> None:
    op, target = n.op, names[id(n)]
    ins = [_sym_of(w, p, names, syms) for p in n.parents]
    note = forward_note(op, [names[id(p)] for p in n.parents], n.ctx)
    try:
        with np.errstate(all="ignore"):
            s = op.forward(*ins, *n.ctx)
        if not _same_kind(s, n.data, w.tensor):
            raise Untraceable("the traced forward disagrees with the recorded shape or dtype")
        w.emit([(target, s)], [note if op.name not in _INFIX_OPS else ""])
    except Exception:
        fn = w.bind(op.name if w.ns.get(op.name, op.forward) is op.forward else f"fwd_{op.name}", op.forward)
        args = [names[id(p)] for p in n.parents] + _ctx_args(w, n.ctx)
        w.lines.append(f"{target} = {fn}({', '.join(args)})  # {note}")
    syms[id(n)] = _fresh_sym(w, n, target)


def _backward_lines(w, n, names, gnames, syms, targets, results, leaf_count) -> None:
    op, ps = n.op, n.parents
    gname = gnames[id(n)]
    g = _grad_sym(w, n, gname)
    out = syms[id(n)]
    ins = [_sym_of(w, p, names, syms) for p in ps]
    need = tuple(bool(p.requires_grad) for p in ps)
    masked = w.tensor and op.masked is not None
    try:
        with np.errstate(all="ignore"):
            grads = op.masked(need, g, out, *ins, *n.ctx) if masked else op.vjp(g, out, *ins, *n.ctx)
        grads = list(grads)
        for i, p in enumerate(ps):
            gi = grads[i]
            if not need[i] or gi is None:
                continue
            if not isinstance(gi, Sym):
                gi = Sym([literal(gi)[0]], 100, gi if w.tensor else None, g.tracer)
            if w.tensor and (gi.full or np.shape(gi.proto)) != np.shape(p.data):
                raise Untraceable("a traced gradient has the wrong shape")
            grads[i] = gi
        traced = True
    except Exception:
        traced = False
    if traced and gname in w.owned:
        in_place(w, g, grads, ps, need)
    if not traced:  # call the row's own VJP: exactly the engine's call
        if g.full is not None:  # the row gets the array the uniform stands for
            w.lines.append(f"{gname} = {g.materialize().render()}  # ∂L/∂{names[id(n)]} as the array it stands for")
            w.uniform.pop(id(n))
        fname = w.bind(f"masked_{op.name}" if masked else f"vjp_{op.name}", op.masked if masked else op.vjp)
        tmp = [w.namer.fresh() for _ in ps]
        args = ([literal(need)[0]] if masked else []) + [gname, names[id(n)]] + [names[id(p)] for p in ps]
        args += _ctx_args(w, n.ctx)
        unpack = ", ".join(tmp) + ("," if len(tmp) == 1 else "")
        w.lines.append(f"{unpack} = {fname}({', '.join(args)})  # the {op.name} row's VJP, called")
        grads = [_fresh_sym(w, p, tmp[i]) for i, p in enumerate(ps)]
    items, comments = [], []
    inner: set = set()  # the targets that are non-leaf gradients (they may be owned; see folds.in_place)
    tops: dict = {}
    for i in range(len(ps)):
        if need[i] and grads[i] is not None:
            tops[id(grads[i])] = tops.get(id(grads[i]), 0) + 1
    for i, p in enumerate(ps):
        if not need[i] or grads[i] is None:
            continue
        gi = grads[i]
        note = backward_note(op, i, "∂L/∂" + names[id(n)], names[id(n)], [names[id(q)] for q in ps], n.ctx)
        if w.tensor and op.name in ("add", "sub", "mul", "div") and np.shape(p.data) != np.shape(n.data):
            note += ", summed over the broadcast axes"
        if p.op is None:  # a leaf: its own variable, accumulated into .grad after the program
            k = leaf_count.get(id(p), 0) + 1
            leaf_count[id(p)] = k
            base = grad_name(p, names[id(p)], w.namer)
            fresh = traced and not gi.is_atom() and tops[id(gi)] == 1
            if gi.full is not None:  # a leaf's gradient is an array of its own
                gi, fresh = gi.materialize(), True
            if fresh and bufferable(w, gi, p):
                gi = gi.with_out(f"bufs[{len(w.buffers)}]")
                w.buffers.append(len(targets))
            items.append((base, gi))
            comments.append(f"{base} = ∂L/∂{names[id(p)]}{' (part ' + str(k) + ')' if k > 1 else ''} = {note}")
            targets.append((p, fresh))
            results.append(base)
            w.grad_dtypes.append(np.result_type(gi.proto) if w.tensor and gi.proto is not None else None)
        elif id(p) not in gnames:
            gnames[id(p)] = grad_name(p, names[id(p)], w.namer)
            inner.add(gnames[id(p)])
            items.append((gnames[id(p)], gi))
            comments.append(f"{gnames[id(p)]} = ∂L/∂{names[id(p)]} = {note}{_uniform_note(w, p, gi)}")
        else:
            acc = gnames[id(p)]
            inner.add(acc)
            total = _grad_sym(w, p, acc) + gi
            items.append((acc, total))
            comments.append(f"{acc} = ∂L/∂{names[id(p)]} += {note}{_uniform_note(w, p, total)}")
    if items:
        fresh = w.emit(items, comments)
        for target, gi in items:
            if target in inner and target in fresh and new_array(w, gi):
                w.owned.add(target)
            else:
                w.owned.discard(target)
