"""redes: a neural-network framework in pure NumPy with Keras conventions."""

from . import activations, initializers, layers, regularizers
from .backend import floatx, set_floatx, set_random_seed
from .tensor import Tensor4D

__version__ = "0.1.0"
