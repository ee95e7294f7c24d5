"""Layers: each receives and returns a Tensor4D, with forward and backward written by hand."""

from .activation import ELU, Activation, LeakyReLU, ReLU, Softmax
from .augmentation import RandomFlip, RandomRotation, RandomTranslation, RandomZoom
from .base import Layer
from .conv import Conv2D
from .core import Flatten, Input, Reshape
from .dense import Dense
from .dropout import Dropout
from .normalization import BatchNormalization, LayerNormalization
from .pooling import AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D

__all__ = [
    "Activation", "AveragePooling2D", "BatchNormalization", "Conv2D", "Dense", "Dropout", "ELU", "Flatten",
    "GlobalAveragePooling2D", "GlobalMaxPooling2D", "Input", "Layer", "LayerNormalization", "LeakyReLU",
    "MaxPooling2D", "ReLU", "Reshape", "Softmax",
    "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom",
]
