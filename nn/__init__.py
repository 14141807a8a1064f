"""nn: neurons, layers, MLPs, activations, losses and optimizers, built only from autograd primitives."""

from .activations import ACTIVATIONS, activation_fn
from .losses import cross_entropy, mse, softmax
from .module import MLP, Layer, Module, Neuron
from .optim import SGD, Adam, Optimizer
from .serialize import LoadResult, StateFileError, load, save
from .tensor_layers import Activation, Linear, Sequential, TensorMLP

__all__ = ["ACTIVATIONS", "MLP", "SGD", "Layer", "Module", "Neuron", "activation_fn", "cross_entropy", "mse", "softmax"]
__all__ += ["Activation", "Adam", "Linear", "LoadResult", "Optimizer", "Sequential", "StateFileError", "TensorMLP", "load",
            "save"]  # Tensor layers, optimizers, parameter files

# every loss and activation of the standard set (issue 5): functions, and activations as modules
from .activation_layers import ELU, GELU, Identity, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from .activations import elu, gelu, identity, leaky_relu, log_softmax, relu, sigmoid, softplus, tanh
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    focal_loss,
    half_mse,
    hinge,
    huber,
    kl_div,
    log_cosh,
    logistic,
    mae,
    mbe,
    multi_margin,
    nll_loss,
    quantile,
    rmse,
    smooth_l1,
    squared_hinge,
)

__all__ += ["ELU", "GELU", "Identity", "LeakyReLU", "LogSoftmax", "ReLU", "Sigmoid", "Softmax", "Softplus", "Tanh",
            "binary_cross_entropy", "binary_cross_entropy_with_logits", "elu", "focal_loss", "gelu", "half_mse",
            "hinge", "huber", "identity", "kl_div", "leaky_relu", "log_cosh", "log_softmax", "logistic", "mae",
            "mbe", "multi_margin", "nll_loss", "quantile", "relu", "rmse", "sigmoid", "smooth_l1", "softplus",
            "squared_hinge", "tanh"]  # losses and activations
