"""Conv1DTranspose: the transposed 1-D convolution over sequences (batch, steps, C), the rank-1 ``_ConvTranspose``."""

from __future__ import annotations

from .transpose import _ConvTranspose


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1-D convolution over the steps of a sequence, as Keras' Conv1DTranspose.

    The adjoint of Conv1D: it maps a sequence of the length a Conv1D outputs back to the length
    the Conv1D took in, each input step spreading its C values, through the kernel, over k steps.

    Args:
        filters: number of output channels F.
        kernel_size: an integer or a tuple ``(k,)``.
        strides: an integer or a tuple ``(s,)`` (default 1): the upsampling factor.
        padding: 'valid' or 'same' (the padding of the convolution this layer is the transpose of).
        output_padding: None, or an integer or a tuple ``(p,)`` below the stride (None: the sizes below).
        data_format: 'channels_last' or None (redes computes channels last only).
        dilation_rate: an integer or a tuple ``(d,)`` (default 1). Not with a stride above 1 (as Keras).
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer: as in Conv1D.

    Input shape: (batch, steps, C); as a Tensor4D (batch, 1, steps, C).
    Output shape: (batch, out, F), with n steps, k_eff = (k − 1)·d + 1 and p the output padding:
        'valid'  out = (n − 1)·s + k_eff + p; p = None: out = n·s + max(k_eff − s, 0)
        'same'   out = (n − 1)·s + (k_eff mod 2) + p; p = None: out = n·s
    Weights: kernel (k, F, C) (the kernel of the Conv1D from F to C channels), bias (F,).

    Equations, with Conv(u) = u ⋆ W the Conv1D from (out, F) to (n, C) with this layer's stride,
    padding and dilation (TensorFlow's padding rule, ``pad`` before), step t of x and tap i:
        forward   Z = Convᵀ(x):  Z[b, t·s + i·d − pad, :] += W[i] · x[b, t, :]  (outside: dropped),
                  Y = act(Z + bias)
        backward  G = act'(Z) ⊙ dL/dY;   dL/dx = Conv(G) = G ⋆ W;
                  dL/dW = the Conv1D's kernel gradient for input G and output gradient x,   dL/dbias = Σ G
    Computed with Conv1D's own products (``_Conv``), forward and backward swapped.

    Example:
        >>> Conv1DTranspose(4, 3, strides=2)(np.ones((2, 10, 8), dtype="float32")).shape
        (2, 21, 4)
    """

    def __init__(self, filters: int, kernel_size, strides=1, padding: str = "valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, **kwargs) -> None:
        super().__init__(1, filters, kernel_size, strides=strides, padding=padding, output_padding=output_padding,
                         data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                         use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, **kwargs)
