"""Small layers: Input, Activation, Flatten."""

from __future__ import annotations

import math

from .. import activations
from ..tensor import Tensor4D
from .base import Layer, padded_shape


class Input(Layer):
    """Declares the feature shape of a model's input (without the batch axis).

    Args:
        shape: e.g. ``(784,)`` for flat vectors or ``(28, 28, 1)`` for images (H, W, C).

    Input shape / Output shape: (batch, *shape), unchanged.

    Example:
        >>> Sequential([Input((784,)), Dense(10)])
    """

    def __init__(self, shape, **kwargs) -> None:
        super().__init__(**kwargs)
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        if not 1 <= len(shape) <= 3 or any(not isinstance(d, int) or d <= 0 for d in shape):
            raise ValueError(
                "`shape` must be a tuple of 1 to 3 positive integers such as (784,) or (28, 28, 1). "
                f"Received: shape={shape!r}"
            )
        self.shape = shape

    def build(self, input_shape: tuple) -> None:
        if padded_shape(input_shape) != padded_shape(self.shape):
            raise ValueError(
                f"Input '{self.name}' expects arrays of shape {(None,) + self.shape}, "
                f"received shape {(None,) + tuple(input_shape)}."
            )

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return self.shape

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        return x

    def backward(self, grad: Tensor4D) -> Tensor4D:
        return grad

    def get_config(self) -> dict:
        return {**super().get_config(), "shape": self.shape}


class Activation(Layer):
    """Applies an activation function element-wise (softmax: over the last axis).

    Args:
        activation: name such as 'relu' or an ActivationFunction.

    Input shape / Output shape: (batch, h, w, c), unchanged.
    Equations: y = act(x);  dL/dx = act'(x) ⊙ dL/dy (softmax: y ⊙ (g − Σ g·y)).
    """

    def __init__(self, activation, **kwargs) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        return self._activate(x.data)

    def backward(self, grad: Tensor4D) -> Tensor4D:
        return Tensor4D(self._activation_backward(grad))

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Flatten(Layer):
    """Flattens the features of each sample, row-major over (H, W, C) as Keras.

    Input shape: (batch, h, w, c). Output shape: (batch, 1, 1, h·w·c); its feature shape is (h·w·c,).
    Equations: a reshape both ways; no copy.
    """

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (math.prod(input_shape),)

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        self._input_shape = x.shape
        return Tensor4D(x.data.reshape(x.shape[0], 1, 1, -1))

    def backward(self, grad: Tensor4D) -> Tensor4D:
        return Tensor4D(grad.data.reshape(self._input_shape))
