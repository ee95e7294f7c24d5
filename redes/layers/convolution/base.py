"""The convolution of every rank, written once: im2col in cache-sized blocks and GEMM, forward and backward.

``_Conv(rank, ...)`` is private: Conv1D and Conv2D are its rank-1 and rank-2 subclasses, and the
transposed convolutions (``transpose._ConvTranspose``) reuse its three products with the roles of
forward and backward swapped. Shapes, channels last (r = rank, k = kernel_size, G = groups):
    input   x  (N, *spatial, C)       as a Tensor4D: see ``_windows`` (a sequence is (N, 1, steps, C))
    kernel  W  (*k, C/G, F)           e.g. (kh, kw, C/G, F) in 2-D
    output  y  (N, *out, F)
    im2col  X  (N·prod(out), prod(k)·C), built a few images at a time in a buffer
               (images, *out, *k, C) whose rows are the output positions
With groups, channel c belongs to group c // (C/G) and filter f to group f // (F/G) (as TensorFlow):
each product below is one batched matmul over the G groups.
"""

from __future__ import annotations

import math

from ...backend import xp
from ...tensor import Tensor4D
from .. import _windows
from .._kernel import KernelLayer
from . import winograd
from ...validation import (check_positive_int, check_stride_or_dilation, normalize_data_format, normalize_padding,
                           normalize_tuple)

_CHUNK_BYTES = 4 * 2**20  # im2col block size: a few images, small enough to stay in cache


def _by_group(a, groups: int, taps: int = 1):
    """(m, taps·C) with columns ordered (tap, channel) as (groups, m, taps·C/groups), one slab per group.

    A view when ``groups`` is 1 or ``taps`` is 1 (so it can receive a matmul's ``out``), a copy otherwise.
    """
    m = a.shape[0]
    return a.reshape(m, taps, groups, -1).transpose(2, 0, 1, 3).reshape(groups, m, -1)


class _Conv(KernelLayer):
    """Convolution (cross-correlation) of rank 1, 2 or 3, ``y = act(x ⋆ W + b)``, as Keras' BaseConv.

    Args:
        rank: number of spatial axes, 1 to 3.
        filters, kernel_size, strides, padding, activation, use_bias, kernel_initializer,
        bias_initializer, kernel_regularizer, bias_regularizer: as in Conv2D, with tuples of
            ``rank`` entries; padding 'valid', 'same', or 'causal' for rank 1.
        data_format: 'channels_last' or None (the only layout redes computes in).
        dilation_rate: an integer or a tuple of ``rank`` (default 1): the kernel's taps are
            ``dilation_rate`` inputs apart. Not together with a stride above 1 (as Keras).
        groups: G, a divisor of ``filters`` and of the input channels (default 1): group g
            convolves its C/G input channels with its F/G filters only.

    Equations, with x̄ the zero-padded input, o an output position, i a kernel offset (tuples of
    ``rank`` entries), s the strides, d the dilation and X the im2col matrix
    (X[(n, o), (i, c)] = x̄[n, o·s + i·d, c], M = N·prod(out) rows); per group g, X_g holds the
    columns of g's channels, W_g the (prod(k)·C/G, F/G) kernel of g's filters, Z_g g's columns of Z:
        forward   Z_g = X_g · W_g + b_g,  Y = act(Z)                              (``_correlate``)
        backward  G = act'(Z) ⊙ dL/dY  (M, F);
                  dL/dW_g = X_gᵀ G_g,   dL/db = Σ_rows G,                         (``_kernel_gradient``)
                  dL/dx̄[n, o·s + i·d, g's channels] += G_g[(n, o)] · W_g[i]ᵀ  for every offset i,
                  dL/dx = dL/dx̄ without its padding.                             (``_correlate_transpose``)
    The padding is never built: each offset copies (and, backward, adds) only its in-input block.
    X is never built whole either: it is made and used a few images at a time (blocks of about
    4 MiB that stay in cache), in forward and again in backward for dL/dW.
    """

    def __init__(self, rank: int, filters: int, kernel_size, strides=1, padding: str = "valid", data_format=None,
                 dilation_rate=1, groups: int = 1, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, **kwargs) -> None:
        super().__init__(activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, **kwargs)
        self.rank = rank
        self.filters = check_positive_int("filters", filters)
        self.kernel_size = normalize_tuple("kernel_size", kernel_size, rank)
        self.strides = normalize_tuple("strides", strides, rank)
        self.padding = normalize_padding(padding, ("valid", "same", "causal") if rank == 1
                                                  else ("valid", "same"))
        self.data_format = normalize_data_format(data_format)
        self.dilation_rate = normalize_tuple("dilation_rate", dilation_rate, rank)
        check_stride_or_dilation(self.strides, self.dilation_rate)
        self.groups = check_positive_int("groups", groups)
        if self.filters % self.groups:
            raise ValueError(f"`groups` must divide `filters`. Received: groups={self.groups}, "
                             f"filters={self.filters}")
        self._plane = None  # (H, W) of a volume, from the shape built for (rank 3, see _windows)

    # ------------------------------------------------------------------ shapes
    def _check_input(self, input_shape: tuple) -> tuple:
        return _windows.check_spatial_shape(self, input_shape, self.rank, self.kernel_size, self.padding,
                                            "kernel_size", self.dilation_rate)

    def _geometry(self, spatial_shape: tuple) -> tuple:
        return _windows.geometry(spatial_shape, self.kernel_size, self.strides, self.padding, self.dilation_rate)

    def build(self, input_shape: tuple) -> None:
        *spatial, channels = self._check_input(input_shape)
        if channels % self.groups:
            raise ValueError(f"{type(self).__name__} '{self.name}': `groups` must divide the input channels. "
                             f"Received: groups={self.groups}, input channels {channels}")
        if self.rank == 3:
            self._plane = tuple(spatial[1:])
        self.build_kernel(self.kernel_size + (channels // self.groups, self.filters), self.filters)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        *spatial, _ = self._check_input(input_shape)
        return _windows.output_lengths(tuple(spatial), self.kernel_size, self.strides, self.padding,
                                       self.dilation_rate) + (self.filters,)

    # ---------------------------------------------------------------- forward and backward
    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        x = _windows.spatial_view(x.data, self.rank, self._plane)  # (N, *spatial, C)
        self._x, self._axes = x, self._geometry(x.shape[1:-1])
        self._winograd = self._winograd_for(x)
        if self._winograd is None:
            z = self._correlate(x)  # (M, F)
        else:
            z = self._winograd.forward(x, self.kernel).reshape(-1, self.filters)
        if self.use_bias:
            z += self.bias
        return self.activate(_windows.fold(z.reshape(x.shape[0], *_windows.output_shape(self._axes), self.filters)))

    def backward(self, grad: Tensor4D) -> Tensor4D:
        g = self.activation_backward(grad).reshape(-1, self.filters)  # (M, F)
        wanted = self.needs_input_gradient
        if self._winograd is not None:
            dx, kernel_grad = self._winograd.backward(
                self._x, self.kernel, g.reshape(self._x.shape[0], *_windows.output_shape(self._axes), self.filters),
                input_gradient=wanted)
        else:
            dx = self._correlate_transpose(g, self._x.shape) if wanted else None
            kernel_grad = self._kernel_gradient(self._x, g) if self.trainable else None
        if self.trainable:
            self.set_gradient("kernel", kernel_grad)
            if self.use_bias:
                self.set_gradient("bias", g.sum(axis=0))
        return None if dx is None else Tensor4D(_windows.fold(dx))

    def _winograd_for(self, x):
        """The Winograd plan for this input (F(2×2, 3×3) in float32, F(4×4, 3×3) in float64), or None where
        im2col is the path (see ``winograd``)."""
        if self.rank != 2 or not winograd.applies(self.kernel.shape, self.strides, self.dilation_rate, self.groups):
            return None
        plan = self.__dict__.get("_winograd_plan")
        if plan is None or plan.key != (x.shape[1:], x.dtype):
            plan = winograd.Winograd(x.shape, self._axes[0].pad_before, x.dtype)
            self._winograd_plan = plan
        return plan

    # ------------------------------------------------- the three products, on the geometry ``self._axes``
    # ``x`` is always the convolution's input side (N, *spatial, C), ``g`` its output side (M, F) with
    # F = kernel.shape[-1]; a transposed convolution calls them with its own input and output swapped.
    def _grouped_kernel(self):
        """W (*k, C/G, F) as (G, *k, C/G, F/G): group g's kernel is W[..., g·F/G:(g + 1)·F/G]. A view for G = 1."""
        *_, channels, filters = self.kernel.shape
        w = self.kernel.reshape(-1, channels, self.groups, filters // self.groups)
        return w.transpose(2, 0, 1, 3).reshape(self.groups, *self.kernel_size, channels, filters // self.groups)

    def _correlate(self, x):
        """Z = X · W₂ (M, F) block by block, one batched matmul over the groups: the convolution's forward."""
        positions, taps = math.prod(_windows.output_shape(self._axes)), math.prod(self.kernel_size)
        kernel = self._grouped_kernel().reshape(self.groups, -1, self.kernel.shape[-1] // self.groups)
        z = xp.empty((x.shape[0] * positions, self.kernel.shape[-1]), dtype=x.dtype)
        for start, stop in self._chunks(x):
            xp.matmul(_by_group(self._columns(x, start, stop), self.groups, taps), kernel,
                      out=_by_group(z[start * positions:stop * positions], self.groups))
        return z

    def _kernel_gradient(self, x, g):
        """dL/dW = Σ_blocks X_gᵀ G_g for every group, in the kernel's shape (*k, C/G, F)."""
        positions, taps = math.prod(_windows.output_shape(self._axes)), math.prod(self.kernel_size)
        *_, channels, filters = self.kernel.shape
        kernel_grad = xp.zeros((self.groups, taps * channels, filters // self.groups), dtype=g.dtype)
        for start, stop in self._chunks(x):  # block by block, so that each stays in cache
            columns = _by_group(self._columns(x, start, stop), self.groups, taps)  # (G, m, prod(k)·C/G)
            kernel_grad += columns.transpose(0, 2, 1) @ _by_group(g[start * positions:stop * positions], self.groups)
        kernel_grad = kernel_grad.reshape(self.groups, taps, channels, filters // self.groups)
        return kernel_grad.transpose(1, 2, 0, 3).reshape(self.kernel.shape)

    def _correlate_transpose(self, g, shape: tuple):
        """dL/dx (``shape`` = (N, *spatial, C)) from G (M, F): Σ_i G_g · W_g[i]ᵀ added at x̄[o·s + i·d]."""
        out = _windows.output_shape(self._axes)
        positions, channels = math.prod(out), shape[-1]
        kernel = self._grouped_kernel()  # (G, *k, C/G, F/G)
        dx = xp.zeros(shape, dtype=g.dtype)
        windows = _windows.windows(self._axes, self.kernel_size)
        every = slice(None)
        product = xp.empty((min(self._chunk_size(dx), shape[0]) * positions, channels), dtype=g.dtype)
        for start, stop in self._chunks(dx):  # block by block, so that each stays in cache
            g_block = _by_group(g[start * positions:stop * positions], self.groups)  # (G, m, F/G)
            block_product = product[:(stop - start) * positions]
            grouped_product = _by_group(block_product, self.groups)  # (G, m, C/G), a view
            blocks = block_product.reshape(stop - start, *out, channels)
            images = slice(start, stop)
            for offset, outs, ins in windows:
                xp.matmul(g_block, kernel[(every, *offset)].swapaxes(1, 2), out=grouped_product)
                dx[(images, *ins, every)] += blocks[(every, *outs, every)]
        return dx

    # ------------------------------------------------------------------ im2col
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

    def _columns(self, x, start: int, stop: int):
        """The im2col rows of images ``start:stop``; a 1×1 window with stride 1 is the input itself."""
        if math.prod(self.kernel_size) == 1 and math.prod(self.strides) == 1:
            return x[start:stop].reshape(-1, x.shape[-1])
        return self._im2col(x, start, stop)

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

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
        }
