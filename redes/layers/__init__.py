"""Layers: each receives and returns a Tensor4D, with forward and backward written by hand."""

from .base import Layer
from .core import Activation, Flatten, Input
from .dense import Dense
from .dropout import Dropout
from .normalization import BatchNormalization, LayerNormalization
from .conv import Conv2D
from .pooling import AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D
