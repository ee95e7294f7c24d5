"""The separable convolution of rank 1 or 2: the depthwise convolution, then a 1×1 pointwise one, in one layer.

``_SeparableConv`` runs ``_DepthwiseConv``'s three products on its depthwise kernel and adds the
pointwise product, one GEMM each way. Shapes, channels last (k = kernel_size, D = depth_multiplier):
    input      x  (N, *spatial, C)
    depthwise  W  (*k, C, D)             → U (N, *out, C·D), as ``depthwise``
    pointwise  P  (1, …, 1, C·D, F)      → Z (N, *out, F)
Equations, with U as a matrix (M = N·prod(out) rows, C·D columns) and P as (C·D, F):
    forward   U = x ⋆_depthwise W,  Z = U · P + b,  Y = act(Z)
    backward  G = act'(Z) ⊙ dL/dY (M, F);  dL/dP = Uᵀ G,  dL/db = Σ_rows G,  dL/dU = G · Pᵀ,
              then dL/dW and dL/dx from dL/dU by the depthwise convolution's backward.
"""

from __future__ import annotations

from ... import initializers, regularizers
from ...serialization import serialize
from ...tensor import Tensor4D
from .. import _windows
from ...validation import check_positive_int
from .depthwise import _DepthwiseConv


class _SeparableConv(_DepthwiseConv):
    """Separable convolution of rank 1 or 2, ``y = act((x ⋆_depthwise W) · P + b)``, as Keras' BaseSeparableConv.

    Args:
        rank: number of spatial axes, 1 or 2.
        depth_multiplier, filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
        use_bias, depthwise_initializer, pointwise_initializer, bias_initializer, depthwise_regularizer,
        pointwise_regularizer, bias_regularizer: as in SeparableConv2D, with tuples of ``rank`` entries.

    Weights: depthwise_kernel (*k, C, D), pointwise_kernel (1, …, 1, C·D, F), bias (F,). The equations are
    the module's.
    """

    _kernel_name = "depthwise_kernel"

    def __init__(self, rank: int, depth_multiplier: int, filters: int, kernel_size, strides=1,
                 padding: str = "valid", data_format=None, dilation_rate=1, activation=None, use_bias: bool = True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, **kwargs) -> None:
        super().__init__(rank, depth_multiplier, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                         use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer, depthwise_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer, **kwargs)
        self.filters = check_positive_int("filters", filters)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)

    def build(self, input_shape: tuple) -> None:
        *_, channels = self._check_input(input_shape)
        self._add_depthwise_kernel(channels)
        self.add_weight(shape=(1,) * self.rank + (channels * self.depth_multiplier, self.filters),
                        initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
                        name="pointwise_kernel")
        if self.use_bias:
            self.add_weight(shape=(self.filters,), initializer=self.bias_initializer,
                            regularizer=self.bias_regularizer, name="bias")

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        *spatial, _ = self._check_input(input_shape)
        return self._output_lengths(tuple(spatial)) + (self.filters,)

    def _pointwise(self):
        """P as the (C·D, F) matrix (a view)."""
        return self.pointwise_kernel.reshape(-1, self.filters)

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        u = self._depthwise(x, self.depthwise_kernel)  # (N, *out, C·D)
        self._u = u.reshape(-1, u.shape[-1])  # (M, C·D)
        z = self._u @ self._pointwise()
        if self.use_bias:
            z += self.bias
        return self.activate(_windows.fold(z.reshape(*u.shape[:-1], self.filters)))

    def backward(self, grad: Tensor4D) -> Tensor4D:
        g = self.activation_backward(grad).reshape(-1, self.filters)  # (M, F)
        if self.trainable:
            self.set_gradient("pointwise_kernel", (self._u.T @ g).reshape(self.pointwise_kernel.shape))
            if self.use_bias:
                self.set_gradient("bias", g.sum(axis=0))
        g_u = self._output_side((g @ self._pointwise().T).reshape(self._batch, *self._out, -1))  # dL/dU
        if self.trainable:
            self.set_gradient("depthwise_kernel", self._depthwise_kernel_gradient(g_u))
        return Tensor4D(_windows.fold(self._depthwise_input_gradient(g_u, self.depthwise_kernel)))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "pointwise_initializer": serialize(self.pointwise_initializer),
            "pointwise_regularizer": serialize(self.pointwise_regularizer),
        }
