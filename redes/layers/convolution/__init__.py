"""Convolution layers: one private base for every rank (``base._Conv``), its adjoint (``transpose._ConvTranspose``),
the depthwise convolution (``depthwise._DepthwiseConv``) and the separable one built on it
(``separable._SeparableConv``), one module per public layer."""

from .conv1d import Conv1D
from .conv1d_transpose import Conv1DTranspose
from .conv2d import Conv2D
from .conv2d_transpose import Conv2DTranspose
from .depthwise_conv2d import DepthwiseConv2D
from .separable_conv2d import SeparableConv2D

__all__ = ["Conv1D", "Conv1DTranspose", "Conv2D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D"]
