"""compile(root): a recorded graph as straight-line Python -- the chain rule as code a learner can read and run.

One forward pass records the graph; `compile` writes it out as one Python function, forward
then backward, one line per op, each line traced from the op's row of the primitive tables (see
`autograd.codegen`). `Program.run` then replays that function on the leaves' current
``.data``: it sets ``root.data`` and accumulates into each leaf's ``.grad`` what ``root.backward()``
would, without building a graph or walking one. This module is the one place the project executes
generated code; the text is built from our own table rows and sanitized identifiers only.
"""

from __future__ import annotations

import ast
import builtins
import linecache
import math
import sys
import weakref
from typing import Any

import numpy as np

from . import modes
from .codegen import generate
from .graph import _order, mode, topo_order
from .sgd import sgd_source

_FILES = 0


def accumulate(leaf: Any, g: Any, fresh: bool) -> None:
    """Add a gradient contribution ``g`` into ``leaf.grad`` as the engine's sweep does (the one place to adapt).

    Floats: ``grad += g``. ``grad = None`` counts as a fresh 0.0. Arrays (PyTorch's AccumulateGrad): a leaf
    whose grad is an array adds in place; a fresh leaf (``grad == 0.0``) adopts ``g`` when this program made
    it for this leaf alone (``fresh``), owns it (no base) and it has the leaf's dtype, else takes a copy in
    the leaf's dtype.

    Raises:
        RuntimeError: if ``leaf.grad`` is a node (left by ``backward(create_graph=True)``).

    >>> from deltagrad.autograd import Value
    >>> v = Value(1.0); accumulate(v, 2.5, True); accumulate(v, 0.5, True); v.grad
    3.0
    """
    pg = leaf.grad
    if pg is None:  # a released gradient (torch's set_to_none): as fresh as 0.0
        pg = 0.0
    if pg.__class__ is float:
        if type(leaf.data) is float:
            leaf.grad = pg + g
            return
        dt = leaf.data.dtype
        if pg == 0.0:
            leaf.grad = g if (fresh and g.__class__ is np.ndarray and g.base is None and g.dtype is dt) \
                else np.array(g, dtype=dt)
        else:
            leaf.grad = np.asarray(pg + g, dtype=dt)
    elif pg.__class__ is np.ndarray:
        pg += g
    else:
        raise RuntimeError(f"compile: leaf {_who(leaf)} holds a gradient node (from backward(create_graph=True)); "
                           "zero_grad() it before run()")


def _anomaly_refused(what: str) -> RuntimeError:
    return RuntimeError(f"compile: {what} refuses anomaly mode: the compiled program makes no per-op nan/inf "
                        "checks; use root.backward() inside detect_anomaly()")


def _who(n: Any) -> str:
    return repr(n.label) if getattr(n, "label", "") else f"{type(n).__name__} of shape {np.shape(n.data)}"


def _validate(tree: ast.Module, bound: set) -> None:
    """Defence in depth: the generated module is one function of assignments, calls, operators and a return,
    naming only its own variables and the names the compiler bound; no dunder name or attribute."""
    fn = tree.body[0]
    if len(tree.body) != 1 or not isinstance(fn, ast.FunctionDef):
        raise AssertionError("compile: generated code is not one function")
    allowed = (ast.Assign, ast.AugAssign, ast.Return, ast.Expr, ast.If)
    assigned = {a.arg for a in fn.args.args}
    for stmt in fn.body:
        if not isinstance(stmt, allowed):
            raise AssertionError(f"compile: unexpected statement {type(stmt).__name__}")
        for t in getattr(stmt, "targets", ()):
            assigned |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and (node.id.startswith("__") or node.id not in assigned | bound):
            raise AssertionError(f"compile: generated code names {node.id!r}")
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise AssertionError(f"compile: generated code reads attribute {node.attr!r}")
        if isinstance(node, (ast.Lambda, ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal)):
            raise AssertionError("compile: unexpected construct in generated code")


def _load(owner: Any, source: str, namespace: dict, filename: str) -> Any:
    """Validate, compile and define the one function in ``source`` (our text only, see codegen); tracebacks
    show its lines while ``owner`` lives."""
    tree = ast.parse(source, filename)
    _validate(tree, set(namespace))
    code = builtins.compile(tree, filename, "exec")
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    weakref.finalize(owner, linecache.cache.pop, filename, None)
    # no builtins but the import hook numpy's C code looks up in the caller's globals
    ns = {"__builtins__": {"__import__": builtins.__import__}, **namespace}
    exec(code, ns)
    return ns[tree.body[0].name]


def _replay_source(n: int, targets: list, sgd: tuple | None = None) -> str:
    """``replay(seed)``: `Program.run`'s whole Tensor step as straight-line code over numbered names.

    It reads the leaves' arrays, returns False (nothing done) unless each is still an ndarray of its
    compiled shape and dtype (then `Program._check` says which moved), calls the program, sets the
    root's data, and hands each leaf its gradient: a fresh leaf (grad None or 0.0) adopts the array
    the program made for it alone when that owns its memory and has the leaf's dtype, anything else goes
    through `accumulate`. One comparison per attribute, no loop, no tuple built: it runs every step.
    ``targets``: ``fresh`` per returned gradient. Names: ``n{i}`` leaf, ``s{i}``/``t{i}`` its shape and
    dtype, ``L{j}`` the leaf of gradient j, ``u{j}`` its dtype. ``sgd``: the indices of the leaves an
    SGD step updates: ``replay(seed, lr)`` for `Program.sgd_step` (the program updates the leaves itself;
    it also asks that each array owns its memory, that no two leaves hold the same one, else
    `Program._no_overlap` looks closer, and that the updated ones are writeable)."""
    ds = ", ".join(f"d{i}" for i in range(n))
    kinds = " and ".join(f"type(d{i}) is nd and d{i}.shape == s{i} and d{i}.dtype is t{i}" for i in range(n))
    if sgd is not None and n:
        kinds += "".join(f" and d{i}.base is None" for i in range(n))
        kinds += f" and len({{{', '.join(f'id(d{i})' for i in range(n))}}}) == {n}"
        kinds += "".join(f" and d{i}.flags.writeable" for i in sgd)
    lines = [f"def replay(seed{'' if sgd is None else ', lr'}):", *(f"    d{i} = n{i}.data" for i in range(n))]
    if n:
        lines.append(f"    if not ({kinds}):\n        return False")
    if sgd is not None:
        lines.append(f"    out, _ = program([{ds}], seed, lr)")
        lines.append("    if out is not None:\n        root.data = out if type(out) is nd else asarray(out)")
        return "\n".join([*lines, "    return True"]) + "\n"
    gs = "".join(f"g{j}, " for j in range(len(targets)))
    lines.append(f"    out, ({gs}) = program([{ds}], seed)" if targets else f"    out, grads = program([{ds}], seed)")
    lines.append("    if out is not None:\n        root.data = out if type(out) is nd else asarray(out)")
    for j, fresh in enumerate(targets):
        if fresh:
            lines.append(f"    p{j} = L{j}.grad\n    if (p{j} is None or type(p{j}) is float and p{j} == 0.0) and "
                         f"type(g{j}) is nd and g{j}.base is None and g{j}.dtype is u{j}:\n        L{j}.grad = g{j}\n"
                         f"    else:\n        accumulate(L{j}, g{j}, True)")
        else:
            lines.append(f"    accumulate(L{j}, g{j}, False)")
    return "\n".join([*lines, "    return True"]) + "\n"


def _caller(fn: Any, quiet: bool, buffers: tuple) -> Any:
    """``call(datas, seed, *more) -> (out, grads)``: the program with what it needs besides its arguments.

    ``quiet``: under ``np.errstate(all="ignore")``. ``buffers``: indices of the gradients written with
    ``out=bufs[k]``; bufs[k] is the array returned for that gradient last run when nothing but this
    call holds it any more (``sys.getrefcount``: a leaf's ``.grad``, a view, any name keeps it out of
    reach), else None. A closure, not a method: the replay that calls it keeps no Program alive."""
    if not (quiet or buffers):
        return fn
    kept: list = [None] * len(buffers)

    def call(datas: list, seed: Any, *more: Any) -> tuple:
        if buffers:  # references to a free one: the list kept, the name b, getrefcount's argument
            args = (datas, seed, *more, [b if b is not None and sys.getrefcount(b) == 3 else None for b in kept])
        else:
            args = (datas, seed, *more)
        if quiet:
            with np.errstate(all="ignore"):
                out, grads = fn(*args)
        else:
            out, grads = fn(*args)
        for k, i in enumerate(buffers):
            kept[k] = grads[i]  # adopted by its leaf (busy until released) or this run's scratch
        return out, grads

    return call


class Program:
    """A compiled graph: ``source`` (readable Python), ``run()`` (forward + backward, no graph), and for
    Tensors ``sgd_step(lr)`` (the same with each SGD update written in, ``sgd_source``).

    Attributes:
        source: the generated function ``program(leaves, seed)``: unpacks the leaves' data, computes
            every node forward, then every gradient backward (``seed`` = ∂L/∂root), and returns
            ``(root value, leaf gradients)``; each backward line's comment names its rule.
        root: the node compiled; leaves: the leaves the program reads (constants written into
            expressions are compiled in as literals).

    >>> from deltagrad.autograd import Value, compile
    >>> x = Value(2.0, label="x"); w = Value(-3.0, label="w")
    >>> y = x * w + x
    >>> prog = compile(y)
    >>> x.data = 4.0
    >>> prog.run(); y.data, x.grad, w.grad        # y = xw + x, dy/dx = w + 1, dy/dw = x
    (-8.0, -2.0, 4.0)
    """

    def __init__(self, root: Any, plan: Any):
        global _FILES
        _FILES += 1
        self.root = root
        self._number = _FILES
        self.source: str = plan.source
        self.leaves: tuple = tuple(plan.leaves)
        self._leaf_targets = tuple(p for p, _ in plan.targets)
        self._targets = tuple(plan.targets)
        self._floats = isinstance(root.data, float)
        self._seed0 = None  # the default seed (grad=None), made on the first run
        self._specs = tuple((n.data.shape, n.data.dtype) for n in self.leaves) if not self._floats else ()
        self._hooks_seen = modes.hooks_added  # compile() refused hooks; a later one changes the count
        self._fn = _load(self, self.source, plan.namespace, f"<deltagrad.compile {_FILES}>")
        self._call = _caller(self._fn, plan.quiet, tuple(plan.buffers))
        self._plan = plan  # the namespace, warnings, buffers and gradient dtypes: sgd_step's text is made from them
        self._sgd = self._sgd_replay = self._sgd_text = None
        fresh = [f for _, f in plan.targets]
        self._replay = None if self._floats else _load(
            self, _replay_source(len(self.leaves), fresh), self._replay_names(self._call),
            f"<deltagrad.compile {_FILES} replay>")

    def _replay_names(self, call: Any) -> dict:
        # what a replay names: its program call, the leaves (n, s, t by index) and the gradients' leaves (L, u)
        names = {"nd": np.ndarray, "type": type, "float": float, "asarray": np.asarray, "accumulate": accumulate,
                 "root": self.root, "program": call, "id": id, "len": len}
        for i, (leaf, (shape, dtype)) in enumerate(zip(self.leaves, self._specs)):
            names[f"n{i}"], names[f"s{i}"], names[f"t{i}"] = leaf, shape, dtype
        for j, leaf in enumerate(self._leaf_targets):
            names[f"L{j}"], names[f"u{j}"] = leaf, leaf.data.dtype
        return names

    def __repr__(self) -> str:
        return f"Program({len(self.source.splitlines()) - 2} lines, {len(self.leaves)} leaves)"

    def run(self, grad: Any = None) -> None:
        """Recompute the graph from the leaves' current ``.data``; set ``root.data``; accumulate leaf ``.grad``.

        Same numbers as ``root.backward(grad)`` after a fresh forward (bit for bit where the
        operation order is the engine's), same dtypes, and the same accumulation rules
        (`accumulate`). Intermediate nodes keep the data and grad of the recorded pass.
        A large leaf gradient (``out=bufs[k]`` in ``source``) is written into the array this program
        returned for it last run when nothing else refers to that array any more (counted by
        ``sys.getrefcount``: a leaf's ``.grad``, a view, any name keeps it out of reach); the program
        keeps that one array alive between runs. One Program is not for concurrent runs from threads.

        Raises:
            RuntimeError: under ``detect_anomaly()`` (the program makes no per-op checks), or for a
                Tensor leaf that got a hook after compilation (Value leaves are not re-checked per run:
                the per-sample loop is the hot path; compile again after adding hooks or changing
                ``requires_grad``).
            ValueError: a Tensor leaf whose shape or dtype changed since compilation (named).
        """
        if mode.anomaly:
            raise _anomaly_refused("Program.run()")
        seed = self._seed0 if grad is None else None
        if seed is None:
            seed = self._seed(grad)
        if self._floats:
            out, grads = self._fn([n.data for n in self.leaves], seed)
            if out is not None:
                self.root.data = out
            for leaf, g in zip(self._leaf_targets, grads):
                pg = leaf.grad
                if pg.__class__ is float:
                    leaf.grad = pg + g  # accumulate()'s float case, written inline: the per-sample hot loop
                else:
                    accumulate(leaf, g, False)
            return
        if modes.hooks_added != self._hooks_seen:  # a hook was added somewhere since the last check
            self._check([n.data for n in self.leaves])
        if not self._replay(seed):  # a leaf moved: say which; an equal dtype that is another object goes on
            datas = [n.data for n in self.leaves]
            self._check(datas)
            out, grads = self._call(datas, seed)
            if out is not None:
                self.root.data = np.asarray(out)
            for (leaf, fresh), g in zip(self._targets, grads):
                accumulate(leaf, g, fresh)

    @property
    def sgd_source(self) -> str | None:
        """The text `sgd_step` runs: ``source`` with ``W -= lr * ∂L/∂W`` written in (None for a Value program)."""
        if self._sgd_text is None and not self._floats:
            self._sgd_program()
        return self._sgd_text

    def sgd_step(self, lr: float) -> None:
        """One step of plain SGD on a Tensor program: the forward, the backward, and ``W -= lr * ∂L/∂W``.

        Every leaf that requires grad is updated in place as soon as nothing later in the program reads
        its array or changes its gradient: where a hand-written numpy step updates it
        (``W1 -= lr * (d1.T @ X)``), and as PyTorch's "optimizer step in backward" does. The weights
        come out bit for bit as after ``run()`` on released gradients followed by ``W.data -= lr * W.grad``
        for each parameter, which keeps every ∂L/∂W alive until all are done. ``.grad`` is neither read
        nor written (the update uses this step's gradient alone); ``root.data`` is set as by ``run()``.
        The text run is ``sgd_source``.

        Args:
            lr: the learning rate η (a finite Python or numpy number).

        Raises:
            TypeError: for a Value program (floats cannot be updated in place) or a non-number ``lr``.
            ValueError: a non-finite ``lr``; a leaf whose shape or dtype changed (named); two leaves whose
                arrays share memory when one of them is updated (named): an update would change the other.
            RuntimeError: under ``detect_anomaly()``, or a leaf that got a hook after compilation.
        """
        if self._floats:
            raise TypeError("compile: sgd_step() updates arrays in place; for a Value program use run() and "
                            "set each leaf's .data")
        if not (lr.__class__ is float and -math.inf < lr < math.inf):
            if isinstance(lr, bool) or not isinstance(lr, (int, float, np.integer, np.floating)):
                raise TypeError(f"compile: sgd_step(lr): lr must be a number, got {type(lr).__name__}")
            if not math.isfinite(lr):
                raise ValueError(f"compile: sgd_step(lr): lr must be finite, got {lr}")
        if mode.anomaly:
            raise _anomaly_refused("sgd_step()")
        if self._sgd is None:
            self._sgd_program()
        seed = self._seed0 if self._seed0 is not None else self._seed(None)
        if modes.hooks_added != self._hooks_seen:
            self._check([n.data for n in self.leaves])
        if not self._sgd_replay(seed, lr):  # a leaf moved or shares memory: say which, or go on the slow way
            datas = [n.data for n in self.leaves]
            self._check(datas)
            self._no_overlap(datas)
            out, _ = self._sgd(datas, seed, lr)
            if out is not None:
                self.root.data = np.asarray(out)

    def _sgd_program(self) -> None:
        index = {id(n): i for i, n in enumerate(self.leaves)}
        targets = [index[id(leaf)] for leaf, _ in self._targets]
        casts = {i: False for i in targets}
        for i, dt in zip(targets, self._plan.grad_dtypes):
            casts[i] |= dt != self._specs[i][1]  # copied into the leaf's dtype first, as accumulate does
        self._sgd_text = sgd_source(self.source, targets, casts)
        fn = _load(self, self._sgd_text, self._plan.namespace, f"<deltagrad.compile {self._number} sgd>")
        self._sgd = _caller(fn, self._plan.quiet, ())
        names = self._replay_names(self._sgd)
        self._sgd_replay = _load(self, _replay_source(len(self.leaves), [], sgd=tuple(sorted(set(targets)))), names,
                                 f"<deltagrad.compile {self._number} sgd replay>")

    def _no_overlap(self, datas: list) -> None:
        # every updated array writeable; arrays that own their memory and are distinct objects cannot
        # overlap: the usual case, checked fast
        params = {id(leaf) for leaf, _ in self._targets}
        for n, d in zip(self.leaves, datas):
            if id(n) in params and not d.flags.writeable:
                raise ValueError(f"compile: sgd_step(): leaf {_who(n)} is read-only (flags.writeable is False); "
                                 "nothing was updated")
        if len({id(d) for d in datas}) == len(datas) and all(d.base is None for d in datas):
            return
        for i, (a, da) in enumerate(zip(self.leaves, datas)):
            for b, db in zip(self.leaves[i + 1:], datas[i + 1:]):
                if (id(a) in params or id(b) in params) and np.may_share_memory(da, db):
                    raise ValueError(f"compile: sgd_step(): leaves {_who(a)} and {_who(b)} share memory, and an "
                                     "in-place update of one would change the other; give each its own array")

    def _seed(self, grad: Any) -> Any:
        """∂L/∂root for this run: the default seed is made once and kept (it is never written to)."""
        seed = self.root._seed(grad, False)
        if not self._floats and seed.ndim == 0:
            seed = seed[()]  # a numpy scalar: the same value and dtype rules as the 0-d array, faster arithmetic
        if grad is None:
            self._seed0 = seed
        return seed

    def _check(self, datas: list) -> None:
        seen = modes.hooks_added  # read first: a hook added while this runs is checked next run
        for n, d, (shape, dtype) in zip(self.leaves, datas, self._specs):
            if d.__class__ is not np.ndarray or d.shape != shape or d.dtype != dtype:
                got = f"{getattr(d, 'shape', '?')} {getattr(d, 'dtype', type(d).__name__)}"
                raise ValueError(f"compile: leaf {_who(n)} was {shape} {dtype} when compiled, now {got}; "
                                 "compile the graph again")
            if n._hooks:
                raise RuntimeError(f"compile: leaf {_who(n)} got a hook after compilation; hooks are not compiled")
        self._hooks_seen = seen


def compile(root: Any, *, value: bool = True, create_graph: bool = False) -> Program:
    """Compile the graph recorded by one forward pass into straight-line Python (``Program``).

    Works on Value graphs (the program computes with floats) and Tensor graphs (numpy). Every
    line comes from the op's row in `PRIMITIVES` / the Tensor table: its forward and VJP are
    traced with symbolic stand-ins, or, where a rule decides on values, called by name. Names come
    from labels and nn's tags (``z1``, ``a1``, ``δ1`` = ∂L/∂z1, ``dW1``), else ``t1, t2, ...``.

    Args:
        root: the output node (a loss); it must require grad.
        value: False: the program computes only the gradients, as a hand-written training loop that
            never looks at the loss does (``jax.grad`` against ``jax.value_and_grad``): forward lines that
            only the root's value needs are left out, and ``run()`` leaves ``root.data`` as it was.
        create_graph: refused (True): the program computes gradients as numbers, not recorded nodes.

    Raises:
        RuntimeError: for ``create_graph=True``, anomaly mode, a node with hooks (named), a root that
            does not require grad or is a leaf.

    >>> from deltagrad.autograd import Value, compile
    >>> a = Value(0.5, label="a"); b = (a * a).tanh()
    >>> print(compile(b).source.splitlines()[4])
        t2 = tanh(t1)  # tanh(t1)
    """
    if create_graph:
        raise RuntimeError("compile: create_graph=True is refused: the compiled backward computes numbers, not a "
                           "graph of the backward pass; use root.backward(create_graph=True)")
    if mode.anomaly:
        raise RuntimeError("compile: refused in anomaly mode: the compiled program makes no per-op nan/inf checks")
    if not getattr(root, "requires_grad", False):
        raise RuntimeError("compile: the output does not require grad (made under no_grad(), detached, or from "
                           "inputs with requires_grad=False)")
    if root.op is None:
        raise RuntimeError("compile: the root is a leaf; there is no op to compile")
    nodes = topo_order(root)
    for n in nodes:
        if n._hooks:
            raise RuntimeError(f"compile: node {_who(n)} has hooks; a compiled program cannot call them "
                               "(remove them, or use root.backward())")
    return Program(root, generate(root, _order(root, False), nodes, value))
