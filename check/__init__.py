"""deltagrad.check: hand-derived gradients against the engine -- ``compare_grads`` with a diagnosis, worked examples.

A derivation is checked in two ways: ``compare_grads(hand, engine)`` takes gradients (or a numpy
``backward``) and says *how* they differ (a factor, a sign, a transposition, swapped parameters,
the first wrong δ); ``check_worked_example(path)`` checks every number of a worked example
(``deltagrad check FILE.toml``) against the engine and against the derivation's own earlier
numbers; ``new_exercise``, ``explain`` and ``grade`` generate exercises with answer keys, write
worked solutions step by step and score filled-in answers (``deltagrad exercise``, ``explain``,
``check``). Builds on ``deltagrad.autograd``; ``gradcheck`` (the engine against finite differences)
stays with the engine, as ``torch.autograd.gradcheck`` does.
"""

from .compare import CompareReport, assert_grads_close, compare_grads
from .exercise import Exercise, new_exercise
from .grading import Grade, GradingPolicy, grade
from .solution import Explanation, explain
from .worked import (
    WorkedExampleError,
    WorkedReport,
    check_worked_example,
    graph_expectations,
    graph_verdicts,
    load_worked_example,
)
from .worked_graph import ClaimGraph, ClaimNode, claim_graph

__all__ = [
    "ClaimGraph",
    "ClaimNode",
    "CompareReport",
    "Exercise",
    "Explanation",
    "Grade",
    "GradingPolicy",
    "WorkedExampleError",
    "WorkedReport",
    "assert_grads_close",
    "check_worked_example",
    "claim_graph",
    "compare_grads",
    "explain",
    "grade",
    "graph_expectations",
    "graph_verdicts",
    "load_worked_example",
    "new_exercise",
]
