"""Convolution layers: one private base for every rank (``base._Conv``), one module per public layer."""

from .conv1d import Conv1D
from .conv2d import Conv2D

__all__ = ["Conv1D", "Conv2D"]
