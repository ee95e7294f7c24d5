"""The convolution of every rank, written once: im2col in cache-sized blocks and GEMM, forward and backward.

``_Conv(rank, ...)`` is private: Conv2D is its rank-2 subclass, and the 1-D and 3-D
convolutions subclass it the same way. Shapes, channels last (r = rank, k = kernel_size):
    input   x  (N, *spatial, C)       as a Tensor4D: see ``_windows`` (a sequence is (N, 1, steps, C))
    kernel  W  (*k, C, F)             e.g. (kh, kw, C, F) in 2-D
    output  y  (N, *out, F)
    im2col  X  (N·prod(out), prod(k)·C), built a few images at a time in a buffer
               (images, *out, *k, C) whose rows are the output positions
"""

from __future__ import annotations

import math

from ...backend import xp
from ...tensor import Tensor4D
from .. import _windows
from .._kernel import KernelLayer
from ...validation import check_positive_int, normalize_padding, normalize_tuple

_CHUNK_BYTES = 4 * 2**20  # im2col block size: a few images, small enough to stay in cache


class _Conv(KernelLayer):
    """Convolution (cross-correlation) of rank 1, 2 or 3, ``y = act(x ⋆ W + b)``, as Keras' BaseConv.

    Args:
        rank: number of spatial axes, 1 to 3.
        filters, kernel_size, strides, padding, activation, use_bias, kernel_initializer,
        bias_initializer, kernel_regularizer, bias_regularizer: as in Conv2D, with tuples of
            ``rank`` entries; padding 'valid', 'same', or 'causal' for rank 1.
        dilation_rate: an integer or a tuple of ``rank`` (default 1): the kernel's taps are
            ``dilation_rate`` inputs apart. Not together with a stride above 1 (as Keras).

    Equations, with x̄ the zero-padded input, o an output position, i a kernel offset (tuples of
    ``rank`` entries), s the strides, d the dilation and X the im2col matrix
    (X[(n, o), (i, c)] = x̄[n, o·s + i·d, c], M = N·prod(out) rows):
        forward   Z = X · W₂ + b  (W₂ = kernel reshaped to (prod(k)·C, F)),  Y = act(Z)
        backward  G = act'(Z) ⊙ dL/dY  (M, F);
                  dL/dW = Xᵀ G,   dL/db = Σ_rows G,
                  dL/dx̄[n, o·s + i·d, :] += G[(n, o)] · W[i]ᵀ  for every offset i,
                  dL/dx = dL/dx̄ without its padding.
    The padding is never built: each offset copies (and, backward, adds) only its in-input block.
    X is never built whole either: it is made and used a few images at a time (blocks of about
    4 MiB that stay in cache), in forward and again in backward for dL/dW.
    """

    def __init__(self, rank: int, filters: int, kernel_size, strides=1, padding: str = "valid", activation=None,
                 use_bias: bool = True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, dilation_rate=1, **kwargs) -> None:
        super().__init__(activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, **kwargs)
        self.rank = rank
        self.filters = check_positive_int("filters", filters)
        self.kernel_size = normalize_tuple("kernel_size", kernel_size, rank)
        self.strides = normalize_tuple("strides", strides, rank)
        self.padding = normalize_padding(padding, ("valid", "same", "causal") if rank == 1
                                                  else ("valid", "same"))
        self.dilation_rate = normalize_tuple("dilation_rate", dilation_rate, rank)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"`strides` above 1 and `dilation_rate` above 1 cannot be combined. "
                             f"Received: strides={self.strides}, dilation_rate={self.dilation_rate}")
        self._plane = None  # (H, W) of a volume, from the shape built for (rank 3, see _windows)

    # ------------------------------------------------------------------ shapes
    def _check_input(self, input_shape: tuple) -> tuple:
        return _windows.check_spatial_shape(self, input_shape, self.rank, self.kernel_size, self.padding,
                                            "kernel_size", self.dilation_rate)

    def _geometry(self, spatial_shape: tuple) -> tuple:
        return _windows.geometry(spatial_shape, self.kernel_size, self.strides, self.padding, self.dilation_rate)

    def build(self, input_shape: tuple) -> None:
        *spatial, channels = self._check_input(input_shape)
        if self.rank == 3:
            self._plane = tuple(spatial[1:])
        self.build_kernel(self.kernel_size + (channels, self.filters), self.filters)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        *spatial, _ = self._check_input(input_shape)
        return _windows.output_lengths(tuple(spatial), self.kernel_size, self.strides, self.padding,
                                       self.dilation_rate) + (self.filters,)

    def _pointwise(self) -> bool:
        """A 1×1 window with stride 1: the im2col matrix is the input itself."""
        return math.prod(self.kernel_size) == 1 and math.prod(self.strides) == 1

    # ----------------------------------------------------------------- forward
    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        x = _windows.spatial_view(x.data, self.rank, self._plane)  # (N, *spatial, C)
        n, channels = x.shape[0], x.shape[-1]
        axes = self._geometry(x.shape[1:-1])
        out = _windows.output_shape(axes)
        self._x, self._axes = x, axes
        kernel = self.kernel.reshape(-1, self.filters)  # W₂ (prod(k)·C, F)
        if self._pointwise():
            z = x.reshape(-1, channels) @ kernel
        else:
            positions = math.prod(out)
            z = xp.empty((n * positions, self.filters), dtype=x.dtype)  # (M, F)
            for start, stop in self._chunks(x):
                xp.matmul(self._im2col(x, start, stop), kernel, out=z[start * positions:stop * positions])
        if self.use_bias:
            z += self.bias
        return self.activate(_windows.fold(z.reshape(n, *out, self.filters)))

    def _chunk_size(self, x) -> int:
        """Images per im2col block: a block of about ``_CHUNK_BYTES``, at least one image.

        The whole batch's im2col matrix (85 MB for the seed CNN's second layer at batch 128)
        lives in main memory: writing it and reading it back for the GEMM costs as much as the
        GEMM. A block of a few images stays in cache while the GEMM reads it (measured 1.6×
        faster for that layer), and the matrix is never kept: backward rebuilds each block.
        """
        row = math.prod(_windows.output_shape(self._axes)) * math.prod(self.kernel_size) * x.shape[-1]
        return max(1, _CHUNK_BYTES // (row * x.itemsize))

    def _chunks(self, x) -> list[tuple[int, int]]:
        """``(start, stop)`` slices of the batch, one per im2col block."""
        step = self._chunk_size(x)
        return [(start, min(start + step, x.shape[0])) for start in range(0, x.shape[0], step)]

    def _im2col(self, x, start: int, stop: int):
        """Patches of images ``start:stop``: (images·prod(out), prod(k)·C), one strided copy per window offset.

        The (images, *out, *k, C) buffer is reused between calls; every call writes the
        same in-input blocks, so the padding entries, zeroed once, stay zero.
        """
        axes, channels = self._axes, x.shape[-1]
        shape = (min(self._chunk_size(x), x.shape[0]),) + _windows.output_shape(axes) + self.kernel_size + (channels,)
        buffer = self.__dict__.get("_buffer")
        if buffer is None or buffer.shape != shape or buffer.dtype != x.dtype:
            buffer = (xp.zeros if _windows.is_padded(axes) else xp.empty)(shape, dtype=x.dtype)
            self._buffer = buffer
        block = buffer[:stop - start]
        images, every = slice(start, stop), slice(None)
        for offset, outs, ins in _windows.windows(axes, self.kernel_size):
            block[(every, *outs, *offset, every)] = x[(images, *ins, every)]
        return block.reshape(-1, math.prod(self.kernel_size) * channels)  # no copy

    # ---------------------------------------------------------------- backward
    def backward(self, grad: Tensor4D) -> Tensor4D:
        x, axes = self._x, self._axes
        n, channels = x.shape[0], x.shape[-1]
        out = _windows.output_shape(axes)
        g = self.activation_backward(grad).reshape(-1, self.filters)  # (M, F)
        pointwise = self._pointwise()
        positions = math.prod(out)
        kernel_grad = xp.zeros((math.prod(self.kernel_size) * channels, self.filters), dtype=g.dtype)
        dx = xp.zeros(x.shape, dtype=g.dtype)
        windows = _windows.windows(axes, self.kernel_size)
        every = slice(None)
        product = xp.empty((min(self._chunk_size(x), n) * positions, channels), dtype=g.dtype)
        for start, stop in self._chunks(x):  # block by block, so that each stays in cache
            g_block = g[start * positions:stop * positions]
            if self.trainable and not pointwise:
                kernel_grad += self._im2col(x, start, stop).T @ g_block  # dL/dW = Σ_blocks Xᵀ G
            block_product = product[:len(g_block)]
            blocks = block_product.reshape(stop - start, *out, channels)
            images = slice(start, stop)
            for offset, outs, ins in windows:
                xp.matmul(g_block, self.kernel[offset].T, out=block_product)  # (m, F) @ (F, C)
                dx[(images, *ins, every)] += blocks[(every, *outs, every)]
        if self.trainable:
            if pointwise:
                kernel_grad = x.reshape(-1, channels).T @ g
            self.set_gradient("kernel", kernel_grad.reshape(self.kernel.shape))
            if self.use_bias:
                self.set_gradient("bias", g.sum(axis=0))
        return Tensor4D(_windows.fold(dx))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
        }
