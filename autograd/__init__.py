"""autograd: the reverse-mode engine -- Value nodes, the primitive table, backward and gradient checks.

Imports only the standard library (and numpy, for Tensor). ``nn`` and ``viz`` build on it.
"""

from .graph import AnomalyError, detect_anomaly, enable_grad, grad, is_grad_enabled, no_grad, topo_order
from .gradcheck import GradcheckError, GradcheckReport, gradcheck
from .primitives import PRIMITIVES, Primitive
from .value import Tag, Value, linear, maximum, mean, minimum, sum

__all__ = [
    "AnomalyError",
    "GradcheckError",
    "GradcheckReport",
    "PRIMITIVES",
    "Primitive",
    "Tag",
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
