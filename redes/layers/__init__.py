"""Layers: each receives and returns a Tensor4D, with forward and backward written by hand."""

from .base import Layer
from .core import Activation, Flatten, Input
from .dense import Dense
