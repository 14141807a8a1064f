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
import sys
import weakref
from typing import Any

import numpy as np

from . import modes
from .codegen import generate
from .graph import _order, mode, topo_order

_FILES = 0


def accumulate(leaf: Any, g: Any, fresh: bool) -> None:
    """Add a gradient contribution ``g`` into ``leaf.grad`` as the engine's sweep does (the one place to adapt).

    Floats: ``grad += g``. ``grad = None`` counts as a fresh 0.0. Arrays (PyTorch's AccumulateGrad): a leaf whose grad is an array adds in
    place; a fresh leaf (``grad == 0.0``) adopts ``g`` when this program made it for this leaf alone
    (``fresh``), owns it (no base) and it has the leaf's dtype, else takes a copy in the leaf's dtype.

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


def _who(n: Any) -> str:
    return repr(n.label) if getattr(n, "label", "") else f"{type(n).__name__} of shape {np.shape(n.data)}"


def _validate(tree: ast.Module, bound: set) -> None:
    """Defence in depth: the generated module is one function of assignments, calls, operators and a return,
    naming only its own variables and the names the compiler bound; no dunder name or attribute."""
    fn = tree.body[0]
    if len(tree.body) != 1 or not isinstance(fn, ast.FunctionDef):
        raise AssertionError("compile: generated code is not one function")
    allowed = (ast.Assign, ast.Return, ast.Expr)
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


def _guard_source(n: int) -> str:
    """``guard(leaves)``: the leaves' arrays in a list when each is still an ndarray of its compiled shape and
    dtype, else None (then `Program._check` says which moved). Straight-line, with only numbered names: one
    comparison per attribute and no loop, because it runs before every ``run()``."""
    ds = [f"d{i}" for i in range(n)]
    if not n:
        return "def guard(leaves):\n    return []\n"
    kinds = " and ".join(f"type({d}) is nd and {d}.shape == s{i} and {d}.dtype is t{i}" for i, d in enumerate(ds))
    return (f"def guard(leaves):\n    {', '.join(f'n{i}' for i in range(n))}, = leaves\n"
            + "".join(f"    {d} = n{i}.data\n" for i, d in enumerate(ds))
            + f"    return [{', '.join(ds)}] if {kinds} else None\n")


def _guard_names(specs: tuple) -> dict:
    names = {"nd": np.ndarray, "type": type}
    for i, (shape, dtype) in enumerate(specs):
        names[f"s{i}"], names[f"t{i}"] = shape, dtype
    return names


class Program:
    """A compiled graph: ``source`` (readable Python), ``run()`` (forward + backward, no graph).

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
        self.source: str = plan.source
        self.leaves: tuple = tuple(plan.leaves)
        self._leaf_targets = tuple(p for p, _ in plan.targets)
        self._quiet = plan.quiet
        self._floats = isinstance(root.data, float)
        self._buffers = tuple(plan.buffers)  # indices into the returned gradients written with out=bufs[k]
        self._bufs: list = [None] * len(self._buffers)
        self._seed0 = None  # the default seed (grad=None), made on the first run
        self._specs = tuple((n.data.shape, n.data.dtype) for n in self.leaves) if not self._floats else ()
        self._hooks_seen = modes.hooks_added  # compile() refused hooks; a later one changes the count
        self._fn = _load(self, self.source, plan.namespace, f"<deltagrad.compile {_FILES}>")
        self._guard = None if self._floats else _load(self, _guard_source(len(self.leaves)), _guard_names(self._specs),
                                f"<deltagrad.compile {_FILES} guard>")
        # (the program, its guard, (leaf, fresh, dtype) per returned gradient, a plain call or not)
        adopt = tuple((leaf, fresh, getattr(leaf.data, "dtype", None)) for leaf, fresh in plan.targets)
        self._hot = (self._fn, self._guard, adopt, not (self._quiet or self._buffers))

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
            raise RuntimeError("compile: Program.run() refuses anomaly mode: the compiled program makes no per-op "
                               "nan/inf checks; use root.backward() inside detect_anomaly()")
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
        fn, guard, adopt, plain = self._hot  # one attribute read for what every run needs
        datas = guard(self.leaves)  # the leaves' arrays if each has its compiled class, shape and dtype, else None
        if datas is None or modes.hooks_added != self._hooks_seen:  # a leaf moved, or a hook was added somewhere
            datas = [n.data for n in self.leaves]
            self._check(datas)
        out, grads = fn(datas, seed) if plain else self._call(datas, seed)
        if out is not None:  # None: compiled with value=False
            self.root.data = out if out.__class__ is np.ndarray else np.asarray(out)
        for (leaf, fresh, dtype), g in zip(adopt, grads):
            pg = leaf.grad
            if fresh and (pg is None or (pg.__class__ is float and pg == 0.0)) and g.__class__ is np.ndarray \
                    and g.base is None and g.dtype is dtype:
                leaf.grad = g  # accumulate()'s adoption, written inline: the usual step after zero_grad()
            else:
                accumulate(leaf, g, fresh)

    def _seed(self, grad: Any) -> Any:
        """∂L/∂root for this run: the default seed is made once and kept (it is never written to)."""
        seed = self.root._seed(grad, False)
        if not self._floats and seed.ndim == 0:
            seed = seed[()]  # a numpy scalar: the same value and dtype rules as the 0-d array, faster arithmetic
        if grad is None:
            self._seed0 = seed
        return seed

    def _call(self, datas: list, seed: Any) -> tuple:
        """The program's call when it needs more than its arguments: kept buffers, silenced numpy warnings."""
        args = (datas, seed, self._free_buffers()) if self._buffers else (datas, seed)
        if self._quiet:
            with np.errstate(all="ignore"):
                out, grads = self._fn(*args)
        else:
            out, grads = self._fn(*args)
        for k, i in enumerate(self._buffers):
            self._bufs[k] = grads[i]  # adopted by its leaf (busy until released) or this run's scratch
        return out, grads

    def _free_buffers(self) -> list:
        """Last run's gradient arrays that nothing but this program holds any more (else None): safe to overwrite."""
        # references: the list self._bufs, the name b, getrefcount's argument
        return [b if b is not None and sys.getrefcount(b) == 3 else None for b in self._bufs]

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
