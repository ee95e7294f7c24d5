"""Dense: the fully connected layer."""

from __future__ import annotations

from .. import activations, initializers, regularizers
from ..serialization import serialize
from ..tensor import Tensor4D
from .base import Layer, validate_positive_int


class Dense(Layer):
    """Fully connected layer on the last axis, ``y = act(x W + b)``.

    Args:
        units: number of output features.
        activation: name or ActivationFunction (default linear).
        use_bias: whether to add ``b``.
        kernel_initializer, bias_initializer: initializers (Keras defaults glorot_uniform, zeros).
        kernel_regularizer, bias_regularizer: optional penalties (e.g. ``regularizers.l2(0.01)``).

    Input shape: (batch, h, w, in_features); flat data is (batch, 1, 1, in_features).
    Output shape: (batch, h, w, units). On (batch, h, w, c) it maps every position alike, as Keras.
    Weights: kernel (in_features, units), bias (units,).

    Equations, with X the input as an (M, in) matrix (M = batch·h·w):
        forward   Z = X W + b,  Y = act(Z)
        backward  G = act'(Z) ⊙ dL/dY;  dL/dW = Xᵀ G,  dL/db = Σ_rows G,  dL/dX = G Wᵀ

    Example:
        >>> Dense(3, activation="relu")(np.ones((2, 4), dtype="float32")).shape
        (2, 3)
    """

    def __init__(self, units: int, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.units = validate_positive_int("units", units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def build(self, input_shape: tuple) -> None:
        self.add_weight("kernel", (input_shape[-1], self.units), self.kernel_initializer, self.kernel_regularizer)
        if self.use_bias:
            self.add_weight("bias", (self.units,), self.bias_initializer, self.bias_regularizer)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape[:-1]) + (self.units,)

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        self._x = x.data
        z = self._x.reshape(-1, self._x.shape[-1]) @ self.kernel  # (M, in) @ (in, units)
        if self.use_bias:
            z += self.bias
        return self.activate(z.reshape(self._x.shape[:-1] + (self.units,)))

    def backward(self, grad: Tensor4D) -> Tensor4D:
        g = self.activation_backward(grad).reshape(-1, self.units)  # (M, units)
        if self.trainable:
            self.set_gradient("kernel", self._x.reshape(-1, self._x.shape[-1]).T @ g)
            if self.use_bias:
                self.set_gradient("bias", g.sum(axis=0))
        return Tensor4D((g @ self.kernel.T).reshape(self._x.shape))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": serialize(self.kernel_initializer),
            "bias_initializer": serialize(self.bias_initializer),
            "kernel_regularizer": serialize(self.kernel_regularizer),
            "bias_regularizer": serialize(self.bias_regularizer),
        }
