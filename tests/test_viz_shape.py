"""The op view keeps a readable shape: rankdir="auto" wraps a long chain into rows; a layered net stays within 4:1."""

import re

from deltagrad.autograd import Value
from deltagrad.nn import MLP
from deltagrad.viz import draw


def _aspect(d) -> float:
    w, h = (float(v) for v in re.search(r'<svg width="([\d.]+)pt"\s+height="([\d.]+)pt"', d.svg()).groups())
    return max(w / h, h / w)


def test_a_long_chain_wraps_into_rows_and_gets_closer_to_square():
    x = Value(1.0, label="x")
    y = x
    for _ in range(30):
        y = y * 1.0
    lr, auto = draw(y, rankdir="LR"), draw(y)
    assert "rankdir=LR" in auto.source and "constraint=false" in auto.source  # left to right, in rows
    assert _aspect(lr) > 4
    assert _aspect(auto) <= 4 and _aspect(auto) < _aspect(lr) / 2  # measured on Graphviz's own layout
    assert "constraint=false" not in lr.source  # an explicit direction is kept, one row


def test_a_short_chain_stays_in_one_row():
    y = Value(1.0, label="x")
    for _ in range(3):
        y = y.tanh()
    d = draw(y)
    assert "rankdir=LR" in d.source and "constraint=false" not in d.source


def test_a_layered_net_stays_left_to_right_within_4_to_1():
    net = MLP(2, [3, 1], seed=0)
    out = net([1.0, 2.0])
    out.backward()
    d = draw(out)
    assert "rankdir=LR" in d.source and _aspect(d) <= 4
    assert "rankdir=LR" in draw(out, rankdir="LR").source  # an explicit direction is kept
