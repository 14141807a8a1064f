"""autograd: the reverse-mode engine -- Value and Tensor nodes, the primitive tables, backward, gradient checks.

Imports only the standard library (and numpy, for Tensor). ``nn`` and ``viz`` build on it.
"""

from .graph import AnomalyError, detect_anomaly, enable_grad, grad, is_grad_enabled, no_grad, topo_order
from .gradcheck import GradcheckError, GradcheckReport, gradcheck
from .primitives import PRIMITIVES, Primitive
from .tensor import Tensor, concatenate, maximum, minimum, stack, where
from .tensor_ops import unbroadcast
from .value import Tag, Value, linear, mean, sum

__all__ = [
    "AnomalyError",
    "GradcheckError",
    "GradcheckReport",
    "PRIMITIVES",
    "Primitive",
    "Tag",
    "Tensor",
    "concatenate",
    "stack",
    "unbroadcast",
    "where",
    "Value",
    "detect_anomaly",
    "enable_grad",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "linear",
    "maximum",
    "mean",
    "minimum",
    "no_grad",
    "sum",
    "topo_order",
]
