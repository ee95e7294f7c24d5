"""Conv2D: 2-D convolution (cross-correlation) over NHWC images, by im2col and GEMM."""

from __future__ import annotations

from .. import activations, initializers, regularizers
from ..backend import xp
from ..tensor import Tensor4D
from . import _spatial
from .base import Layer, normalize_padding, normalize_tuple, validate_positive_int


class Conv2D(Layer):
    """2-D convolution layer, ``y = act(x ⋆ W + b)``, as Keras' Conv2D (channels last).

    Cross-correlation, as in Keras and TensorFlow: the kernel is not flipped.

    Args:
        filters: number of output channels F.
        kernel_size: an integer or a tuple ``(kh, kw)``.
        strides: an integer or a tuple ``(sh, sw)`` (default 1).
        padding: 'valid' (no padding) or 'same' (zero padding so that out = ceil(n / s)).
        activation: name or ActivationFunction (default linear).
        use_bias: whether to add ``b``.
        kernel_initializer, bias_initializer: initializers (Keras defaults glorot_uniform, zeros).
        kernel_regularizer, bias_regularizer: optional penalties (e.g. ``regularizers.l2(0.01)``).

    Input shape: (batch, H, W, C).
    Output shape: (batch, Ho, Wo, F) with, per axis of length n, window k and stride s:
        'valid'  o = floor((n − k) / s) + 1
        'same'   o = ceil(n / s); total zero padding max((o − 1)·s + k − n, 0), the smaller half top/left.
    Weights: kernel (kh, kw, C, F), bias (F,).

    Equations, with x̄ the zero-padded input and X the im2col matrix, one row per output position
    (M = batch·Ho·Wo rows of kh·kw·C values, X[(n,p,q), (i,j,c)] = x̄[n, p·sh + i, q·sw + j, c]):
        forward   Z = X · W₂ + b  (W₂ = kernel reshaped to (kh·kw·C, F)),  Y = act(Z)
        backward  G = act'(Z) ⊙ dL/dY  (M, F);
                  dL/dW = Xᵀ G,   dL/db = Σ_rows G,
                  dL/dx̄[n, p·sh + i, q·sw + j, :] += G[(n,p,q)] · W[i, j]ᵀ  for every offset (i, j),
                  dL/dx = dL/dx̄ without its padding.
    The padding is never built: each offset copies (and, backward, adds) only its in-image block.

    Example:
        >>> Conv2D(8, 3, activation="relu")(np.ones((2, 28, 28, 1), dtype="float32")).shape
        (2, 26, 26, 8)
    """

    def __init__(self, filters: int, kernel_size, strides=(1, 1), padding: str = "valid", activation=None,
                 use_bias: bool = True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.filters = validate_positive_int("filters", filters)
        self.kernel_size = normalize_tuple("kernel_size", kernel_size)
        self.strides = normalize_tuple("strides", strides)
        self.padding = normalize_padding(padding)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def _check_input(self, input_shape: tuple) -> tuple:
        return _spatial.check_image_shape(self, input_shape, self.kernel_size, self.padding, "kernel_size")

    def build(self, input_shape: tuple) -> None:
        channels = self._check_input(input_shape)[-1]
        self.add_weight("kernel", self.kernel_size + (channels, self.filters), self.kernel_initializer,
                        self.kernel_regularizer)
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer, self.bias_regularizer)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        height, width, _ = self._check_input(input_shape)
        rows, cols = _spatial.geometry(height, width, self.kernel_size, self.strides, self.padding)
        return (rows.out, cols.out, self.filters)

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        x = x.data
        n, height, width, channels = x.shape
        kh, kw = self.kernel_size
        rows, cols = _spatial.geometry(height, width, self.kernel_size, self.strides, self.padding)
        if (kh, kw) == (1, 1) and self.strides == (1, 1):
            patches = x.reshape(-1, channels)  # a 1×1 window is the input itself
        else:
            # im2col: (N, Ho, Wo, kh, kw, C), one strided copy per window offset; the padding stays zero.
            allocate = xp.zeros if _spatial.is_padded(rows, cols) else xp.empty
            buffer = allocate((n, rows.out, cols.out, kh, kw, channels), dtype=x.dtype)
            for i, j, out_rows, out_cols, in_rows, in_cols in _spatial.windows(rows, cols, self.kernel_size):
                buffer[:, out_rows, out_cols, i, j, :] = x[:, in_rows, in_cols, :]
            patches = buffer.reshape(n * rows.out * cols.out, kh * kw * channels)  # (M, kh·kw·C), no copy
        self._patches = patches
        self._geometry = (x.shape, rows, cols)
        z = patches @ self.kernel.reshape(kh * kw * channels, self.filters)  # (M, F)
        if self.use_bias:
            z += self.bias
        return self._activate(z.reshape(n, rows.out, cols.out, self.filters))

    def backward(self, grad: Tensor4D) -> Tensor4D:
        x_shape, rows, cols = self._geometry
        n, channels = x_shape[0], x_shape[-1]
        g = self._activation_backward(grad).reshape(-1, self.filters)  # (M, F)
        if self.trainable:
            self._set_gradient("kernel", (self._patches.T @ g).reshape(self.kernel.shape))
            if self.use_bias:
                self._set_gradient("bias", g.sum(axis=0))
        dx = xp.zeros(x_shape, dtype=g.dtype)
        product = xp.empty((g.shape[0], channels), dtype=g.dtype)
        blocks = product.reshape(n, rows.out, cols.out, channels)
        for i, j, out_rows, out_cols, in_rows, in_cols in _spatial.windows(rows, cols, self.kernel_size):
            xp.matmul(g, self.kernel[i, j].T, out=product)  # (M, F) @ (F, C)
            dx[:, in_rows, in_cols, :] += blocks[:, out_rows, out_cols, :]
        return Tensor4D(dx)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
        }
