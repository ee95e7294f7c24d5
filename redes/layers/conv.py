"""Conv2D: 2-D convolution (cross-correlation) over NHWC images, by im2col and GEMM."""

from __future__ import annotations

from .. import activations, initializers, regularizers
from ..backend import xp
from ..tensor import Tensor4D
from ..utils import serialize
from . import _spatial
from .base import Layer, normalize_padding, normalize_tuple, validate_positive_int

_CHUNK_BYTES = 4 * 2**20  # im2col block size: a few images, small enough to stay in cache


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
    X is never built whole either: it is made and used a few images at a time (blocks of about
    4 MiB that stay in cache), in forward and again in backward for dL/dW.

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
        self._x, self._geometry = x, (rows, cols)
        kernel = self.kernel.reshape(kh * kw * channels, self.filters)  # W₂ (kh·kw·C, F)
        if (kh, kw) == (1, 1) and self.strides == (1, 1):
            z = x.reshape(-1, channels) @ kernel  # a 1×1 window is the input itself
        else:
            z = xp.empty((n * rows.out * cols.out, self.filters), dtype=x.dtype)  # (M, F)
            for start, stop in self._chunks(x, rows, cols):
                xp.matmul(self._im2col(x, start, stop), kernel, out=z[start * rows.out * cols.out:
                                                                     stop * rows.out * cols.out])
        if self.use_bias:
            z += self.bias
        return self.activate(z.reshape(n, rows.out, cols.out, self.filters))

    def _chunk_size(self, x, rows, cols) -> int:
        """Images per im2col block: a block of about ``_CHUNK_BYTES``, at least one image.

        The whole batch's im2col matrix (85 MB for the seed CNN's second layer at batch 128)
        lives in main memory: writing it and reading it back for the GEMM costs as much as the
        GEMM. A block of a few images stays in cache while the GEMM reads it (measured 1.6×
        faster for that layer), and the matrix is never kept: backward rebuilds each block.
        """
        kh, kw = self.kernel_size
        return max(1, _CHUNK_BYTES // (rows.out * cols.out * kh * kw * x.shape[3] * x.itemsize))

    def _chunks(self, x, rows, cols) -> list[tuple[int, int]]:
        """``(start, stop)`` slices of the batch, one per im2col block."""
        step = self._chunk_size(x, rows, cols)
        return [(start, min(start + step, x.shape[0])) for start in range(0, x.shape[0], step)]

    def _im2col(self, x, start: int, stop: int):
        """Patches of images ``start:stop``: (images·Ho·Wo, kh·kw·C), one strided copy per window offset.

        The (images, Ho, Wo, kh, kw, C) buffer is reused between calls; every call writes the
        same in-image blocks, so the padding entries, zeroed once, stay zero.
        """
        rows, cols = self._geometry
        kh, kw = self.kernel_size
        shape = (min(self._chunk_size(x, rows, cols), x.shape[0]), rows.out, cols.out, kh, kw, x.shape[3])
        buffer = self.__dict__.get("_buffer")
        if buffer is None or buffer.shape != shape or buffer.dtype != x.dtype:
            buffer = (xp.zeros if _spatial.is_padded(rows, cols) else xp.empty)(shape, dtype=x.dtype)
            self._buffer = buffer
        block = buffer[:stop - start]
        for i, j, out_rows, out_cols, in_rows, in_cols in _spatial.windows(rows, cols, self.kernel_size):
            block[:, out_rows, out_cols, i, j, :] = x[start:stop, in_rows, in_cols, :]
        return block.reshape(-1, shape[3] * shape[4] * shape[5])  # no copy

    def backward(self, grad: Tensor4D) -> Tensor4D:
        x, (rows, cols) = self._x, self._geometry
        n, channels = x.shape[0], x.shape[-1]
        g = self.activation_backward(grad).reshape(-1, self.filters)  # (M, F)
        kh, kw = self.kernel_size
        pointwise = (kh, kw) == (1, 1) and self.strides == (1, 1)
        positions = rows.out * cols.out
        kernel_grad = xp.zeros((kh * kw * channels, self.filters), dtype=g.dtype)
        dx = xp.zeros(x.shape, dtype=g.dtype)
        windows = _spatial.windows(rows, cols, self.kernel_size)
        product = xp.empty((min(self._chunk_size(x, rows, cols), n) * positions, channels), dtype=g.dtype)
        for start, stop in self._chunks(x, rows, cols):  # block by block, so that each stays in cache
            g_block = g[start * positions:stop * positions]
            if self.trainable and not pointwise:
                kernel_grad += self._im2col(x, start, stop).T @ g_block  # dL/dW = Σ_blocks Xᵀ G
            block_product = product[:len(g_block)]
            blocks = block_product.reshape(stop - start, rows.out, cols.out, channels)
            for i, j, out_rows, out_cols, in_rows, in_cols in windows:
                xp.matmul(g_block, self.kernel[i, j].T, out=block_product)  # (m, F) @ (F, C)
                dx[start:stop, in_rows, in_cols, :] += blocks[:, out_rows, out_cols, :]
        if self.trainable:
            if pointwise:
                kernel_grad = x.reshape(-1, channels).T @ g
            self.set_gradient("kernel", kernel_grad.reshape(self.kernel.shape))
            if self.use_bias:
                self.set_gradient("bias", g.sum(axis=0))
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
            "kernel_regularizer": serialize(self.kernel_regularizer),
            "bias_regularizer": serialize(self.bias_regularizer),
        }
