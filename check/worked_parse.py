"""worked_parse: read and validate a worked-example TOML file (numbers keep the digits they were printed with)."""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np

from .worked_math import ACTIVATIONS, LOSSES


class WorkedExampleError(ValueError):
    """A worked-example file that cannot be read: the message names the file, the line (when known) and the key."""


class _Printed(float):
    """A float that remembers the text it was printed as (for the tolerance)."""

    text: str

    def __new__(cls, text: str):
        x = super().__new__(cls, text)
        x.text = text
        return x


def _tol(x: Any) -> float:
    if isinstance(x, (bool, int)):
        return 0.0
    text = x.text if isinstance(x, _Printed) else x if isinstance(x, str) else repr(float(x))
    try:
        exp = Decimal(text.replace("_", "")).as_tuple().exponent
    except InvalidOperation:
        return 0.0
    return 0.0 if not isinstance(exp, int) else 0.5 * 10.0**exp


def line_of(text: str, section: str, key: str | None = None) -> int | None:
    """The 1-based line of ``key = ...`` inside ``[section]`` of ``text`` (of the header if ``key`` is None), or None."""
    current = None
    for i, raw in enumerate(text.splitlines(), 1):
        s = raw.strip()
        m = re.match(r"^\[([^\]]+)\]", s)
        if m:
            current = m.group(1).strip()
            if key is None and current == section:
                return i
        elif current == section and key is not None and re.match(rf"^{re.escape(key)}\s*=", s):
            return i
    return None


def load_worked_example(path_or_dict: str | os.PathLike | Mapping) -> tuple[dict, str, str]:
    """Read a worked example: (the parsed dict, its text or "", a name for messages).

    Raises:
        WorkedExampleError: unreadable file or invalid TOML, naming the line (tomllib's).
    """
    if isinstance(path_or_dict, Mapping):
        return dict(path_or_dict), "", "<dict>"
    name = os.fspath(path_or_dict)
    try:
        with open(name, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as e:
        raise WorkedExampleError(f"{name}: cannot read: {e.strerror if isinstance(e, OSError) else e}") from None
    try:
        return tomllib.loads(text, parse_float=_Printed), text, name
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        msg = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(e))
        where = f"{name}:{m.group(1)}:{m.group(2)}" if m else name
        if not m and "end of document" in str(e):
            where, msg = f"{name}:{text.count(chr(10)) + 1}", msg + " at the end of the file"
        raise WorkedExampleError(f"{where}: invalid TOML: {msg}") from None


def numbers(raw: Any, fail, strings: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """A number or nested list as (values, tolerances from the printed digits); ``fail(msg)`` on bad input.

    Refused: nan and ±inf (a worked example's numbers are finite), empty lists, rows of different
    lengths, booleans and anything else that is not a number; strings such as ``"0.50"`` only with
    ``strings=True`` (a dict's way to keep trailing zeros; a TOML file keeps its digits anyway).
    """
    def walk(x):
        if isinstance(x, np.ndarray):
            x = x.tolist()
        if isinstance(x, list):
            return [walk(v) for v in x]
        if isinstance(x, str):
            if not strings:
                fail(f"expected a number, got the string {x!r} (write it without quotes)")
            try:
                v = float(x)
            except ValueError:
                fail(f"expected a number, got {x!r}")
        elif isinstance(x, bool) or not isinstance(x, (int, float)):
            fail(f"expected a number or a list of numbers, got {type(x).__name__}")
        else:
            try:
                v = float(x)
            except OverflowError:
                fail(f"expected a finite number, got an integer of {len(str(abs(x)))} digits (too large for a float)")
        if not math.isfinite(v):
            fail(f"expected a finite number, got {x!r}")
        return v, _tol(x)

    pairs = walk(raw)
    try:
        arr = np.array(pairs, dtype=float)
    except ValueError:
        fail("rows of different lengths")
    if arr.size == 0 or arr.shape[-1] != 2:
        fail("an empty list; expected at least one number")
    return arr[..., 0], arr[..., 1]


def parse(doc: Mapping, fail, strings: bool = True):
    """Validate [network], [data], [parameters]: ((sizes, activations, loss), params, x (m, n0), y (m, nL), lr).

    ``fail(section, key, msg)`` must raise; it is called at the first problem. ``strings``: whether
    numbers may be given as strings (see `numbers`).
    """
    for section in doc:
        if section not in ("network", "data", "parameters", "claims", "source"):
            fail(section, None, "unknown table; expected network, data, parameters, claims (and source)")
    net = doc.get("network")
    if not isinstance(net, Mapping):
        fail("network", None, "missing table [network]")
    sizes = net.get("sizes")
    if not isinstance(sizes, list) or len(sizes) < 2 or not all(type(s) is int and s >= 1 for s in sizes):
        fail("network", "sizes", "expected a list of at least two positive integers, e.g. [2, 3, 1]")
    acts = net.get("activations")
    if not isinstance(acts, list) or len(acts) != len(sizes) - 1 or not all(a in ACTIVATIONS for a in acts):
        fail("network", "activations", f"expected {len(sizes) - 1} of {', '.join(ACTIVATIONS)} (one per layer)")
    if "softmax" in acts[:-1]:
        fail("network", "activations", "softmax only as the last layer's activation")
    loss = net.get("loss")
    if loss not in LOSSES:
        fail("network", "loss", f"expected one of {', '.join(LOSSES)}, got {loss!r}")
    if loss == "cross_entropy" and acts[-1] not in ("softmax", "sigmoid"):
        fail("network", "loss", "cross_entropy needs a softmax or sigmoid last layer")
    lr = net.get("learning_rate")
    if lr is not None and (isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < math.inf):
        fail("network", "learning_rate", "expected a positive finite number")
    data = doc.get("data")
    if not isinstance(data, Mapping) or "x" not in data or "y" not in data:
        fail("data", None, "expected a table [data] with x and y")
    x, _ = numbers(data["x"], lambda msg: fail("data", "x", msg), strings)
    y, _ = numbers(data["y"], lambda msg: fail("data", "y", msg), strings)
    if x.size % sizes[0]:
        fail("data", "x", f"{x.size} numbers is not a whole number of samples of size {sizes[0]}")
    m = x.size // sizes[0]
    if y.size != m * sizes[-1]:
        fail("data", "y", f"{y.size} numbers, expected {m * sizes[-1]} ({m} sample(s) of {sizes[-1]} outputs)")
    params_doc = doc.get("parameters")
    if not isinstance(params_doc, Mapping):
        fail("parameters", None, "missing table [parameters]")
    params = {}
    for l in range(1, len(sizes)):
        for key, shape in ((f"W{l}", (sizes[l], sizes[l - 1])), (f"b{l}", (sizes[l],))):
            if key not in params_doc:
                fail("parameters", key, f"missing (shape {shape}: z = W a + b, W of shape (n_out, n_in))")
            arr, _ = numbers(params_doc[key], lambda msg, k=key: fail("parameters", k, msg), strings)
            square_ok = arr.shape == shape or (arr.size == math.prod(shape) and (key[0] == "b" or 1 in shape))
            if not square_ok:
                fail("parameters", key, f"shape {arr.shape}, expected {shape} (z = W a + b, W of shape (n_out, n_in))")
            params[key] = arr.reshape(shape)
    extra = set(params_doc) - set(params)
    if extra:
        fail("parameters", min(extra), f"unknown parameter for a {len(sizes) - 1}-layer network")
    return (sizes, acts, loss), params, x.reshape(m, sizes[0]), y.reshape(m, sizes[-1]), lr
