"""nn: neurons, layers, MLPs, activations, losses and optimizers, built only from autograd primitives."""

from .activations import ACTIVATIONS, activation_fn
from .losses import cross_entropy, mse, softmax
from .module import MLP, Layer, Module, Neuron
from .optim import SGD, Adam, Optimizer
from .serialize import LoadResult, StateFileError, load, save
from .tensor_layers import Activation, Linear, Sequential, TensorMLP

__all__ = ["ACTIVATIONS", "MLP", "Layer", "Module", "Neuron", "SGD", "activation_fn", "cross_entropy", "mse", "softmax"]
__all__ += ["Activation", "Adam", "Linear", "LoadResult", "Optimizer", "Sequential", "StateFileError", "TensorMLP", "load",
            "save"]  # Tensor layers, optimizers, parameter files
