"""Dense: the fully connected layer."""

from __future__ import annotations

from ..tensor import Tensor4D
from ._kernel import KernelLayer
from ..validation import check_positive_int


class Dense(KernelLayer):
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

    supports_masking = True  # works step by step: a sequence's mask passes through

    def __init__(self, units: int, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs) -> None:
        super().__init__(activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, **kwargs)
        self.units = check_positive_int("units", units)

    def build(self, input_shape: tuple) -> None:
        self.build_kernel((input_shape[-1], self.units), self.units)

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
        if not self.needs_input_gradient:
            return None
        return Tensor4D((g @ self.kernel.T).reshape(self._x.shape))

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units}
