"""The transposed convolution of every rank, as the adjoint of ``_Conv``: its forward is the convolution's backward.

A convolution with kernel W (*k, F, C) maps an array u (N, *out, F) to v = u ⋆ W (N, *spatial, C).
Its transpose maps x (N, *spatial, C) back to y (N, *out, F) with ⟨y, u⟩ = ⟨x, u ⋆ W⟩ for every u:
y is what the convolution's backward gives for the output gradient x (a col2im: each input pixel
scatters its C values, through W, into a window of the output). So the three products of ``_Conv``
serve with the roles swapped, on the geometry of the convolution from ``out`` to ``spatial``:
    transposed forward      y = _correlate_transpose(x)   (the convolution's dL/du)
    transposed backward     dL/dx = _correlate(dL/dy)      (the convolution's forward)
                            dL/dW = _kernel_gradient(dL/dy, x)
Keras' kernel (*k, filters, in_channels) is exactly that convolution's kernel; there are no groups.
"""

from __future__ import annotations

from ...tensor import Tensor4D
from .. import _windows
from ...validation import normalize_padding, normalize_tuple
from .base import _Conv


class _ConvTranspose(_Conv):
    """Transposed convolution of rank 1, 2 or 3, ``y = act(x ⋆ᵀ W + b)``, as Keras' BaseConvTranspose.

    Args:
        rank: number of spatial axes, 1 to 3.
        filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer: as in
            Conv2DTranspose, with tuples of ``rank`` entries.
        output_padding: None, or an integer or a tuple of ``rank`` integers, each below its stride:
            the output's length beyond the smallest (see ``_windows.transpose_length``).

    Equations, with o a position of the output y (N, *out, F), p one of the input x (N, *spatial, C),
    i a kernel offset, s the strides, d the dilation and ``pad_before`` the padding of the
    convolution from ``out`` to ``spatial`` (TensorFlow's rule, ``_windows.axis``):
        forward   Z[n, p·s + i·d − pad_before, :] += W[i] · x[n, p, :]  for every p and offset i
                  (what falls outside ``out`` is dropped),  Y = act(Z + b)
        backward  G = act'(Z) ⊙ dL/dY;
                  dL/dx[n, p, :] = Σ_i W[i]ᵀ Ḡ[n, p·s + i·d, :]   (a convolution of G, zero-padded to Ḡ)
                  dL/dW[i] = Σ_(n, p) Ḡ[n, p·s + i·d, :] ⊗ x[n, p, :],   dL/db = Σ G
    """

    def __init__(self, rank: int, filters: int, kernel_size, strides=1, padding: str = "valid",
                 output_padding=None, data_format=None, dilation_rate=1, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, **kwargs) -> None:
        super().__init__(rank, filters, kernel_size, strides=strides, padding=normalize_padding(padding),
                         data_format=data_format, dilation_rate=dilation_rate, groups=1, activation=activation,
                         use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, **kwargs)
        self.output_padding = (None if output_padding is None
                               else normalize_tuple("output_padding", output_padding, rank, allow_zero=True))
        if self.output_padding is not None and any(p >= s for p, s in zip(self.output_padding, self.strides)):
            raise ValueError(f"`output_padding` must be below `strides` on every axis. Received: "
                             f"output_padding={self.output_padding}, strides={self.strides}")

    # ------------------------------------------------------------------ shapes
    def _check_input(self, input_shape: tuple) -> tuple:
        # any length fits a transposed convolution: checked as a window of 1
        return _windows.check_spatial_shape(self, input_shape, self.rank, (1,) * self.rank, "valid", "kernel_size")

    def _output_lengths(self, spatial_shape: tuple) -> tuple:
        paddings = self.output_padding or (None,) * self.rank
        return tuple(_windows.transpose_length(n, k, s, self.padding, p, d) for n, k, s, p, d
                     in zip(spatial_shape, self.kernel_size, self.strides, paddings, self.dilation_rate))

    def _geometry(self, spatial_shape: tuple) -> tuple:
        """The geometry of the convolution from the output back to an input of ``spatial_shape``."""
        lengths = self._output_lengths(spatial_shape)
        axes = _windows.geometry(lengths, self.kernel_size, self.strides, self.padding, self.dilation_rate)
        if _windows.output_shape(axes) != tuple(spatial_shape):  # 'same', an even k_eff and output_padding
            raise ValueError(
                f"{type(self).__name__} '{self.name}': output_padding={self.output_padding} with padding="
                f"'{self.padding}', kernel_size={self.kernel_size} and strides={self.strides} gives an output of "
                f"{lengths}, which the convolution maps to {_windows.output_shape(axes)}, not back to the input "
                f"{tuple(spatial_shape)}. Use another `output_padding`.")
        return axes

    def build(self, input_shape: tuple) -> None:
        *spatial, channels = self._check_input(input_shape)
        if None not in spatial:
            self._geometry(tuple(spatial))
        if self.rank == 3:
            self._plane = tuple(spatial[1:])
        self.build_kernel(self.kernel_size + (self.filters, channels), self.filters)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        *spatial, _ = self._check_input(input_shape)
        return self._output_lengths(tuple(spatial)) + (self.filters,)

    # ---------------------------------------------------------------- forward and backward
    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        x = _windows.spatial_view(x.data, self.rank, self._plane)  # (N, *spatial, C)
        self._x, self._axes = x, self._geometry(x.shape[1:-1])
        out = tuple(a.size for a in self._axes)
        z = self._correlate_transpose(x.reshape(-1, x.shape[-1]), (x.shape[0], *out, self.filters))
        if self.use_bias:
            z += self.bias
        return self.activate(_windows.fold(z))  # (N, *out, F)

    def backward(self, grad: Tensor4D) -> Tensor4D:
        x = self._x
        out = tuple(a.size for a in self._axes)
        g = self.activation_backward(grad).reshape(x.shape[0], *out, self.filters)
        if self.trainable:
            self.set_gradient("kernel", self._kernel_gradient(g, x.reshape(-1, x.shape[-1])))
            if self.use_bias:
                self.set_gradient("bias", g.reshape(-1, self.filters).sum(axis=0))
        return Tensor4D(_windows.fold(self._correlate(g).reshape(x.shape)))

    def get_config(self) -> dict:
        config = {key: value for key, value in super().get_config().items() if key != "groups"}  # none in Keras
        return {**config, "output_padding": self.output_padding}
