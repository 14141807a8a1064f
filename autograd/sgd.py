"""A compiled program with its SGD update written in: ``W -= lr * dW`` where a hand-written step puts it.

`Program.sgd_step` runs this second text of the program (`sgd_source`). Each parameter is updated in
place as soon as nothing after that line reads its array or changes its gradient, the order of a
hand-written numpy step (``W1 -= lr * (d1.T @ X)`` right after the product) and of PyTorch's
"optimizer step in backward". The placement is read off the program's own text: which arrays each
line reads and writes, with views followed (``W.T``, a called row's result) so that no line after an
update sees the changed weights that the unfused program would not have seen.
"""

from __future__ import annotations

import ast

# numpy functions whose result may share memory with an argument (everything else np.* makes a new array)
_VIEWS = {"transpose", "reshape", "broadcast_to", "squeeze", "expand_dims", "asarray", "ravel", "moveaxis",
          "swapaxes", "atleast_1d", "atleast_2d", "diagonal", "real", "imag"}


def _np_call(call: ast.Call) -> str | None:
    # "exp" for np.exp(...), "add.reduce" for np.add.reduce(...); None for anything else
    parts, f = [], call.func
    while isinstance(f, ast.Attribute):
        parts.append(f.attr)
        f = f.value
    return ".".join(reversed(parts)) if isinstance(f, ast.Name) and f.id == "np" and parts else None


def _names(node: ast.AST) -> set:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _arrays(expr: ast.AST, roots: dict) -> set:
    """The arrays (roots) that the value of ``expr`` may share memory with: none for a new array."""
    if isinstance(expr, ast.Name):
        return set(roots.get(expr.id, ()))
    if isinstance(expr, (ast.BinOp, ast.UnaryOp, ast.Compare, ast.Constant)):
        return set()  # an operator makes a new array (or a number)
    if isinstance(expr, ast.Call):
        out = next((k.value for k in expr.keywords if k.arg == "out"), None)
        if out is not None:  # written into out=: that array (bufs[k] is the program's own buffer)
            return _arrays(out, roots) if isinstance(out, ast.Name) else set()
        name = _np_call(expr)
        if name is not None and name.split(".")[0] not in _VIEWS:
            return set()
    # a view (x.T, x[i], x.reshape, np.transpose) or a called row: anything it was given
    return set().union(*(roots.get(n, ()) for n in _names(expr)))


_AST_OPS = {"add": ast.Add, "subtract": ast.Sub, "multiply": ast.Mult, "divide": ast.Div, "matmul": ast.MatMult}


def _bare(value: ast.expr) -> str:
    # the expression without an out=bufs[k] keyword (sgd programs keep no buffers), as text: the
    # operator again where the keyword had made it a call (np.matmul(a, b, out=bufs[0]) -> a @ b)
    if isinstance(value, ast.Call):
        kept = [k for k in value.keywords if not (k.arg == "out" and isinstance(k.value, ast.Subscript))]
        op = _AST_OPS.get(_np_call(value) or "")
        if op is not None and not kept and len(value.args) == 2 and len(value.keywords) == 1:
            value = ast.BinOp(value.args[0], op(), value.args[1])
        else:
            value = ast.Call(value.func, value.args, kept)
    return ast.unparse(value)


def sgd_source(source: str, targets: list, casts: dict) -> str:
    """The text of ``program`` (``source``) with an SGD update for each parameter.

    ``targets``: per returned gradient, the index of its leaf in the unpacked ``leaves`` (a leaf with
    several gradients, ``dW`` and ``dW_2``, is updated once with their sum in that order, as
    `accumulate` adds them). ``casts``: per leaf index, True when its gradient must first become the
    leaf's dtype (``np.asarray(g, W.dtype)``, as accumulate copies it). The function takes ``lr``
    after ``seed`` and returns ``(root value, ())``. The update of leaf W goes after the last line that
    reads W's array (or a view of it) and the last that writes any of its gradients' arrays. A gradient
    that nothing else reads is not named at all when its own line is that place: ``W1 -= lr * (δ1.T @
    X)``, so its array is freed at once, as in a hand-written step (a large array held until the end
    of the step can make the allocator return its pages and fault them in again on every step); a
    named one is released (``dW = None``) after its update. No kept buffers (``out=bufs[k]``).

    >>> src = "def program(leaves, seed):\\n    x, w = leaves\\n    t = x * w\\n    dw = seed * x  # dw = ∂L/∂w\\n"
    >>> print(sgd_source(src + "    return t, (dw,)\\n", [1], {1: False}))
    def program(leaves, seed, lr):
        x, w = leaves
        t = x * w
        w -= lr * (seed * x)  # w ← w − lr ∂L/∂w; dw = ∂L/∂w
        return t, ()
    <BLANKLINE>
    """
    lines = source.splitlines()
    tree = ast.parse(source)
    fn = tree.body[0]
    unpack, *body, ret = fn.body
    leaf_names = [e.id for e in (unpack.targets[0].elts if isinstance(unpack.targets[0], ast.Tuple)
                                 else [unpack.targets[0]])]
    grad_names = [e.id for e in ret.value.elts[1].elts]
    roots = {name: {name} for name in leaf_names}
    last_read = {name: unpack.end_lineno for name in leaf_names}
    last_write: dict = {}  # root -> the last line that made or changed that array
    loads: dict = {}  # name -> the last line that reads it
    defs: dict = {}  # name -> the one-name assignment that made it
    for stmt in body:
        for n in _names(stmt):
            loads[n] = stmt.end_lineno
        for r in set().union(*(roots.get(n, ()) for n in _names(stmt))):
            last_read[r] = stmt.end_lineno
        written: set = set()
        if isinstance(stmt, ast.AugAssign):
            written = _arrays(stmt.target, roots)
        elif isinstance(stmt, ast.Assign):
            arrays = _arrays(stmt.value, roots)
            out = next((k.value for k in getattr(stmt.value, "keywords", ()) if k.arg == "out"), None)
            written = _arrays(out, roots) if isinstance(out, ast.Name) else set()
            for t in stmt.targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        # a new array is its own root, a view its base's; what a called row returns may be
                        # new or any of its inputs
                        roots[n.id] = arrays if isinstance(t, ast.Name) and arrays else arrays | {n.id}
                        written |= roots[n.id]
                        defs[n.id] = stmt if len(stmt.targets) == 1 and isinstance(t, ast.Name) else None
        for r in written:
            last_write[r] = stmt.end_lineno
    parts: dict = {}
    for j, i in enumerate(targets):
        parts.setdefault(i, []).append(grad_names[j])
    indent = " " * unpack.col_offset
    comment = {no: text.split("  # ", 1)[1] if "  # " in text else "" for no, text in enumerate(lines, start=1)}
    replace: dict = {}  # line number -> the lines that stand for it
    for stmt in body:  # sgd programs keep no buffers: out=bufs[k] lines become plain expressions
        if isinstance(stmt, ast.Assign) and "out=bufs[" in lines[stmt.lineno - 1]:
            note = f"  # {comment[stmt.lineno]}" if comment[stmt.lineno] else ""
            replace[stmt.lineno] = [f"{indent}{ast.unparse(stmt.targets[0])} = {_bare(stmt.value)}{note}"]
    after: dict = {}
    for i, gs in parts.items():
        w = leaf_names[i]
        line = max([last_read[w], *(last_write.get(r, 0) for g in gs for r in roots[g])])
        note = f"{w} ← {w} − lr ∂L/∂{w}"
        stmt = defs.get(gs[0]) if len(gs) == 1 else None
        if stmt is not None and stmt.end_lineno == line and loads.get(gs[0], 0) < stmt.lineno:
            value = _bare(stmt.value)
            atom = not value.startswith("(") and isinstance(ast.parse(value).body[0].value,
                                                            (ast.Call, ast.Name, ast.Attribute, ast.Subscript))
            g = f"np.asarray({value}, {w}.dtype)" if casts[i] else value if atom else f"({value})"
            rule = f"; {comment[stmt.lineno]}" if comment[stmt.lineno] else ""
            replace[stmt.lineno] = [f"{indent}{w} -= lr * {g}  # {note}{rule}"]
            continue
        if casts[i]:  # as accumulate: the first part copied into the leaf's dtype, each next one added into it
            g = f"np.asarray({gs[0]}, {w}.dtype)"
            for part in gs[1:]:
                g = f"np.asarray({g} + {part}, {w}.dtype)"
        else:
            g = gs[0] if len(gs) == 1 else f"({' + '.join(gs)})"
        after.setdefault(line, []).append(f"{indent}{w} -= lr * {g}  # {note}")
        after[line] += [f"{indent}{name} = None" for name in gs if loads.get(name, 0) <= line]
    out = [f"def {fn.name}(leaves, seed, lr):"]
    for no, text in enumerate(lines[1:-1], start=2):
        if text.strip().startswith("# bufs["):
            continue
        out += replace.get(no, [text])
        out += after.get(no, [])
    out.append(f"{indent}return {ast.unparse(ret.value.elts[0])}, ()")
    return "\n".join(out) + "\n"
