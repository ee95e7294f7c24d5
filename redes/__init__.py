"""redes: a neural-network framework in pure NumPy with Keras conventions.

Example:
    >>> from redes import Sequential, layers, optimizers
    >>> model = Sequential([layers.Input((784,)), layers.Dense(10, activation="softmax")])
    >>> model.compile(optimizer=optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
"""

from . import (activations, callbacks, datasets, initializers, layers, losses, metrics, ops, optimizers, plotting,
               random, regularizers, serialization, utils, validation)
from .autodiff import GradientTape
from .backend import floatx, set_floatx, set_random_seed
from .layers import Input
from .models import Functional, Model, RedeNeural, Sequential
from .saving import load_model
from .tensor import Tensor4D

__version__ = "0.1.0"

__all__ = [
    "Functional", "GradientTape", "Input", "Model", "RedeNeural", "Sequential", "Tensor4D",
    "activations", "callbacks", "datasets", "initializers", "layers", "losses", "metrics", "ops", "optimizers",
    "plotting", "random", "regularizers", "serialization", "utils", "validation", "floatx", "load_model", "set_floatx",
    "set_random_seed",
]
