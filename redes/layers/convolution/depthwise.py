"""The depthwise convolution of rank 1 or 2, written once: one broadcast multiply-add per kernel tap.

``_DepthwiseConv(rank, ...)`` is private: DepthwiseConv2D is its rank-2 subclass and the separable
convolution (``separable._SeparableConv``) runs its products before a 1×1 pointwise product.
Shapes, channels last (r = rank, k = kernel_size, D = depth_multiplier):
    input   x  (N, *spatial, C)       as a Tensor4D: see ``_windows`` (a sequence is (N, 1, steps, C))
    kernel  W  (*k, C, D)             e.g. (kh, kw, C, D) in 2-D
    output  y  (N, *out, C·D)         channel c·D + m from input channel c and multiplier m (as TensorFlow)
A depthwise convolution is a grouped convolution with C groups of one channel and D filters each,
but there is no matrix product in it: each output channel reads one input channel. So instead of
an im2col and C tiny GEMMs, the input is repeated D times along its channels, x̃ (N, *spatial, C·D)
with x̃[..., c·D + m] = x[..., c], and the kernel flattened to W̃ (*k, C·D): then every product is,
per kernel offset i, one broadcast multiply over the in-input block of ``_windows.windows``:
    forward   Z[n, o] = Σ_i x̃[n, o·s + i·d − pad] ⊙ W̃[i]                   (``_depthwise``)
    backward  dL/dW̃[i] = Σ_(n, o) x̃[n, o·s + i·d − pad] ⊙ G[n, o]          (``_depthwise_kernel_gradient``)
              dL/dx̃[n, o·s + i·d − pad] += G[n, o] ⊙ W̃[i],
              dL/dx[..., c] = Σ_m dL/dx̃[..., c·D + m]                       (``_depthwise_input_gradient``)
with G = dL/dZ (N, *out, C·D) and what falls in the padding left out, as in every windowed layer.
The loop is over the prod(k) offsets only (never over samples or pixels), a few images at a time
so that the blocks stay in cache.
"""

from __future__ import annotations

from ...backend import xp
from ...tensor import Tensor4D
from .. import _windows
from .._kernel import KernelLayer
from ...validation import (check_positive_int, check_stride_or_dilation, normalize_data_format, normalize_padding,
                           normalize_tuple)

_CHUNK_BYTES = 2**20  # images per block: about 1 MiB of output, so that a block's arrays stay in cache


class _DepthwiseConv(KernelLayer):
    """Depthwise convolution of rank 1 or 2, ``y = act(x ⋆_depthwise W + b)``, as Keras' BaseDepthwiseConv.

    Args:
        rank: number of spatial axes, 1 or 2.
        depth_multiplier, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
        depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer: as in
            DepthwiseConv2D, with tuples of ``rank`` entries.

    Weights: kernel (*k, C, D), bias (C·D,). The equations are the module's.
    """

    _kernel_name = "kernel"  # Keras' name of the depthwise kernel (SeparableConv: 'depthwise_kernel')

    def __init__(self, rank: int, depth_multiplier: int, kernel_size, strides=1, padding: str = "valid",
                 data_format=None, dilation_rate=1, activation=None, use_bias: bool = True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 bias_regularizer=None, **kwargs) -> None:
        super().__init__(activation=activation, use_bias=use_bias, kernel_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer, **kwargs)
        self.rank = rank
        self.depth_multiplier = check_positive_int("depth_multiplier", depth_multiplier)
        self.kernel_size = normalize_tuple("kernel_size", kernel_size, rank)
        self.strides = normalize_tuple("strides", strides, rank)
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)
        self.dilation_rate = normalize_tuple("dilation_rate", dilation_rate, rank)
        check_stride_or_dilation(self.strides, self.dilation_rate)

    # ------------------------------------------------------------------ shapes
    def _check_input(self, input_shape: tuple) -> tuple:
        return _windows.check_spatial_shape(self, input_shape, self.rank, self.kernel_size, self.padding,
                                            "kernel_size", self.dilation_rate)

    def _output_lengths(self, spatial_shape: tuple) -> tuple:
        return _windows.output_lengths(spatial_shape, self.kernel_size, self.strides, self.padding,
                                       self.dilation_rate)

    def _add_depthwise_kernel(self, channels: int) -> None:
        self.add_weight(shape=self.kernel_size + (channels, self.depth_multiplier),
                        initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                        name=self._kernel_name)

    def build(self, input_shape: tuple) -> None:
        *_, channels = self._check_input(input_shape)
        self._add_depthwise_kernel(channels)
        if self.use_bias:
            self.add_weight(shape=(channels * self.depth_multiplier,), initializer=self.bias_initializer,
                            regularizer=self.bias_regularizer, name="bias")

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        *spatial, channels = self._check_input(input_shape)
        return self._output_lengths(tuple(spatial)) + (channels * self.depth_multiplier,)

    # ---------------------------------------------------------------- forward and backward
    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        z = self._depthwise(x, self.kernel, self.bias if self.use_bias else None)
        return self.activate(_windows.fold(z))

    def backward(self, grad: Tensor4D) -> Tensor4D:
        g = self.activation_backward(grad).reshape(self._repeated.shape[0], *self._out, -1)  # (N, *out, C·D)
        if self.trainable:
            self.set_gradient("kernel", self._depthwise_kernel_gradient(g))
            if self.use_bias:
                self.set_gradient("bias", g.reshape(-1, g.shape[-1]).sum(axis=0))
        return Tensor4D(_windows.fold(self._depthwise_input_gradient(g, self.kernel)))

    # ------------------------------------------ the three products, on the geometry of the last forward
    def _depthwise(self, x: Tensor4D, kernel, bias=None):
        """Z (N, *out, C·D) = Σ_i x̃[o·s + i·d] ⊙ W̃[i] (+ b); caches x̃ and the geometry for backward."""
        x = _windows.spatial_view(x.data, self.rank)  # (N, *spatial, C)
        self._axes = _windows.geometry(x.shape[1:-1], self.kernel_size, self.strides, self.padding,
                                       self.dilation_rate)
        self._out = _windows.output_shape(self._axes)
        self._repeated = x if self.depth_multiplier == 1 else xp.repeat(x, self.depth_multiplier, axis=-1)
        z = xp.empty((x.shape[0], *self._out, self._repeated.shape[-1]), dtype=x.dtype)
        z[...] = 0 if bias is None else bias
        self._accumulate(z, self._repeated, self._tiled(kernel), read_output=False)
        return z

    def _depthwise_input_gradient(self, g, kernel):
        """dL/dx (N, *spatial, C) from G = dL/dZ (N, *out, C·D): the taps scattered back, the D copies summed."""
        shape = self._repeated.shape
        dx = xp.zeros(shape, dtype=g.dtype)
        self._accumulate(g, dx, self._tiled(kernel), read_output=True)
        if self.depth_multiplier > 1:
            dx = dx.reshape(*shape[:-1], -1, self.depth_multiplier).sum(axis=-1)
        return dx

    def _depthwise_kernel_gradient(self, g):
        """dL/dW (*k, C, D): per offset i, Σ over samples and outputs of x̃[o·s + i·d] ⊙ G[o], channel by channel."""
        every, axes = slice(None), "nhw"[:self.rank + 1] + "c"  # sum over every axis but the channels
        kernel_grad = xp.zeros(self.kernel_size + (g.shape[-1],), dtype=g.dtype)
        for offset, outs, ins in _windows.windows(self._axes, self.kernel_size):
            kernel_grad[offset] = xp.einsum(f"{axes},{axes}->c", self._repeated[(every, *ins, every)],
                                            g[(every, *outs, every)])
        return kernel_grad.reshape(self.kernel_size + (-1, self.depth_multiplier))

    def _tiled(self, kernel):
        """W̃ (*k, C·D) repeated along the last output axis, (*k, out[-1], C·D): a block times it is one
        contiguous run per row, not one short run per pixel (about 1.7× faster than broadcasting (C·D,))."""
        flat = kernel.reshape(self.kernel_size + (-1,))
        return xp.ascontiguousarray(xp.broadcast_to(flat[..., None, :], flat.shape[:-1] + (self._out[-1],
                                                                                          flat.shape[-1])))

    def _accumulate(self, outputs, inputs, tiled, read_output: bool) -> None:
        """For every offset i: ``outputs[o] += inputs[o·s + i·d] ⊙ W̃[i]`` (forward), or with
        ``read_output`` ``inputs[o·s + i·d] += outputs[o] ⊙ W̃[i]`` (the transpose, dL/dx̃), a few images
        at a time, through one reused product buffer."""
        images = max(1, _CHUNK_BYTES // (outputs[0].size * outputs.itemsize))
        product = xp.empty((min(images, outputs.shape[0]),) + outputs.shape[1:], dtype=outputs.dtype)
        every = slice(None)
        windows = _windows.windows(self._axes, self.kernel_size)
        for start in range(0, outputs.shape[0], images):
            block = slice(start, start + images)
            count = len(range(*block.indices(outputs.shape[0])))
            for offset, outs, ins in windows:
                out_block, in_block = outputs[(block, *outs, every)], inputs[(block, *ins, every)]
                buffer = product[(slice(0, count), *outs, every)]
                weights = tiled[offset][outs[-1]]
                if read_output:
                    xp.multiply(out_block, weights, out=buffer)
                    in_block += buffer
                else:
                    xp.multiply(in_block, weights, out=buffer)
                    out_block += buffer

    def get_config(self) -> dict:
        config = super().get_config()
        for kind in ("initializer", "regularizer"):  # Keras names the depthwise kernel's own
            config[f"depthwise_{kind}"] = config.pop(f"kernel_{kind}")
        return {
            **config,
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
        }
