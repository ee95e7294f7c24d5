"""redes: a neural-network framework in pure NumPy with Keras conventions.

Example:
    >>> from redes import Sequential, layers, optimizers
    >>> model = Sequential([layers.Input((784,)), layers.Dense(10, activation="softmax")])
    >>> model.compile(optimizer=optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
"""

from . import (activations, callbacks, datasets, distributed, initializers, layers, losses, metrics, ops, optimizers,
               plotting, random, regularizers, serialization, threads, utils, validation)
from .autodiff import GradientTape
from .backend import floatx, set_floatx, set_random_seed
from .initializers import Initializer
from .keras_format import from_keras
from .layers import Input, Layer
from .losses import Loss
from .metrics import Metric
from .models import Functional, Model, RedeNeural, Sequential
from .optimizers import Optimizer
from .regularizers import Regularizer
from .saving import load_model
from .tensor import Tensor4D
from .threads import num_threads, set_num_threads

__version__ = "0.1.0"


def version() -> str:
    """redes' version, as ``keras.version()``.

    Example:
        >>> version()
        '0.1.0'
    """
    return __version__


__all__ = [
    "Functional", "GradientTape", "Initializer", "Input", "Layer", "Loss", "Metric", "Model", "Optimizer",
    "RedeNeural", "Regularizer", "Sequential", "Tensor4D",
    "activations", "callbacks", "datasets", "distributed", "initializers", "layers", "losses", "metrics", "ops", "optimizers",
    "plotting", "random", "regularizers", "serialization", "threads", "utils", "validation", "floatx", "from_keras",
    "load_model", "num_threads", "set_floatx", "set_num_threads",
    "set_random_seed", "version",
]
