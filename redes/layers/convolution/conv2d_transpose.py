"""Conv2DTranspose: the transposed 2-D convolution over NHWC images, the rank-2 ``_ConvTranspose``."""

from __future__ import annotations

from .transpose import _ConvTranspose


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2-D convolution (sometimes called deconvolution), as Keras' Conv2DTranspose (channels last).

    The adjoint of Conv2D: it maps an image of the size a Conv2D outputs back to the size the
    Conv2D took in, each input pixel spreading its C values, through the kernel, over a window.

    Args:
        filters: number of output channels F.
        kernel_size: an integer or a tuple ``(kh, kw)``.
        strides: an integer or a tuple ``(sh, sw)`` (default 1): the upsampling factor.
        padding: 'valid' or 'same' (the padding of the convolution this layer is the transpose of).
        output_padding: None, or an integer or a tuple ``(ph, pw)`` below the strides: the rows and
            columns added at the end of the output (None: Keras' default sizes below).
        data_format: 'channels_last' or None (redes computes in NHWC only).
        dilation_rate: an integer or a tuple ``(dh, dw)`` (default 1). Not with a stride above 1 (as Keras).
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer: as in Conv2D.

    Input shape: (batch, H, W, C).
    Output shape: (batch, Ho, Wo, F) with, per axis of length n, k_eff = (k − 1)·d + 1 and p the
    output padding (Keras' ``compute_conv_transpose_output_shape``):
        'valid'  o = (n − 1)·s + k_eff + p; p = None: o = n·s + max(k_eff − s, 0)
        'same'   o = (n − 1)·s + (k_eff mod 2) + p; p = None: o = n·s
    Weights: kernel (kh, kw, F, C) (as Keras: the kernel of the Conv2D from F to C channels), bias (F,).

    Equations, with Conv(u) = u ⋆ W the Conv2D from (Ho, Wo, F) to (H, W, C) with this layer's
    strides, padding and dilation (TensorFlow's padding rule), pixel (p, q) of x and offset (i, j):
        forward   Z = Convᵀ(x):  Z[n, p·sh + i·dh − top, q·sw + j·dw − left, :] += W[i, j] · x[n, p, q, :]
                  (outside the output: dropped),  Y = act(Z + b)
        backward  G = act'(Z) ⊙ dL/dY;   dL/dx = Conv(G) = G ⋆ W;
                  dL/dW = the Conv2D's kernel gradient for input G and output gradient x,   dL/db = Σ G
    Computed with Conv2D's own products (``_Conv``), forward and backward swapped.

    Example:
        >>> Conv2DTranspose(8, 3, strides=2, padding="same")(np.ones((2, 7, 7, 4), dtype="float32")).shape
        (2, 14, 14, 8)
    """

    def __init__(self, filters: int, kernel_size, strides=(1, 1), padding: str = "valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, **kwargs) -> None:
        super().__init__(2, filters, kernel_size, strides=strides, padding=padding, output_padding=output_padding,
                         data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                         use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, **kwargs)
