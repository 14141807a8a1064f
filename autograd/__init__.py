"""deltagrad.autograd: the reverse-mode engine -- Value and Tensor nodes, the primitive tables, backward, gradcheck.

Imports only the standard library and numpy. ``deltagrad.nn``, ``deltagrad.viz`` and ``deltagrad.check`` build on it.
"""

from .compile import Program, compile
from .gradcheck import GradcheckError, GradcheckReport, gradcheck, gradgradcheck
from .graph import AnomalyError, detect_anomaly, enable_grad, grad, is_grad_enabled, no_grad, topo_order
from .primitives import PRIMITIVES, Primitive
from .tensor import Tensor
from .tensor_fns import concatenate, maximum, minimum, mse_loss, stack, where
from .tensor_fns import linear as tensor_linear
from .tensor_ops import unbroadcast
from .value import Tag, Value, linear, mean, sum

__all__ = [
    "PRIMITIVES",
    "AnomalyError",
    "GradcheckError",
    "GradcheckReport",
    "Primitive",
    "Program",
    "Tag",
    "Tensor",
    "Value",
    "compile",
    "concatenate",
    "detect_anomaly",
    "enable_grad",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "is_grad_enabled",
    "linear",
    "maximum",
    "mean",
    "minimum",
    "mse_loss",
    "no_grad",
    "stack",
    "sum",
    "tensor_linear",
    "topo_order",
    "unbroadcast",
    "where",
]
