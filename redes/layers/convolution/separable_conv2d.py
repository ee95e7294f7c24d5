"""SeparableConv2D: a depthwise then a 1×1 pointwise convolution over NHWC images, the rank-2 ``_SeparableConv``."""

from __future__ import annotations

from .separable import _SeparableConv


class SeparableConv2D(_SeparableConv):
    """2-D depthwise-separable convolution layer, as Keras' SeparableConv2D (channels last).

    A DepthwiseConv2D (each channel filtered alone, ``depth_multiplier`` filters per channel), then a
    1×1 convolution that mixes the C·D channels into ``filters``, then bias and activation.

    Args:
        filters: number of output channels F (of the pointwise step).
        kernel_size: an integer or a tuple ``(kh, kw)`` (of the depthwise step).
        strides: an integer or a tuple ``(sh, sw)`` (default 1).
        padding: 'valid' (no padding) or 'same' (zero padding so that out = ceil(n / s)).
        data_format: 'channels_last' or None (redes computes in NHWC only).
        dilation_rate: an integer or a tuple ``(dh, dw)`` (default 1). Not with a stride above 1 (as Keras).
        depth_multiplier: D (default 1), the depthwise outputs per input channel.
        activation: name or ActivationFunction (default linear).
        use_bias: whether to add ``b``.
        depthwise_initializer, pointwise_initializer, bias_initializer: initializers (Keras defaults
            glorot_uniform, glorot_uniform, zeros).
        depthwise_regularizer, pointwise_regularizer, bias_regularizer: optional penalties.

    Input shape: (batch, H, W, C).
    Output shape: (batch, Ho, Wo, F), Ho and Wo as for Conv2D.
    Weights: depthwise_kernel (kh, kw, C, D), pointwise_kernel (1, 1, C·D, F), bias (F,).

    Equations, with x̄ the zero-padded input, (i, j) a kernel offset, U the depthwise output as a
    matrix of M = batch·Ho·Wo rows and C·D columns and P the pointwise kernel as (C·D, F):
        forward   U[(n,p,q), c·D + m] = Σ_(i,j) x̄[n, p·sh + i·dh, q·sw + j·dw, c] · W[i, j, c, m],
                  Z = U · P + b,  Y = act(Z)
        backward  G = act'(Z) ⊙ dL/dY  (M, F);
                  dL/dP = Uᵀ G,  dL/db = Σ_rows G,  dL/dU = G · Pᵀ,
                  dL/dW[i, j, c, m] = Σ_(n,p,q) x̄[n, p·sh + i·dh, q·sw + j·dw, c] · dL/dU[(n,p,q), c·D + m],
                  dL/dx̄[n, p·sh + i·dh, q·sw + j·dw, c] += Σ_m dL/dU[(n,p,q), c·D + m] · W[i, j, c, m]
                      for every offset (i, j),  dL/dx = dL/dx̄ without its padding.
    The depthwise products are DepthwiseConv2D's (``_DepthwiseConv``), the pointwise ones a GEMM each.

    Example:
        >>> SeparableConv2D(8, 3, padding="same")(np.ones((2, 28, 28, 4), dtype="float32")).shape
        (2, 28, 28, 8)
    """

    def __init__(self, filters: int, kernel_size, strides=(1, 1), padding: str = "valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier: int = 1, activation=None, use_bias: bool = True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, **kwargs) -> None:
        super().__init__(2, depth_multiplier, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                         use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                         pointwise_initializer=pointwise_initializer, bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer, pointwise_regularizer=pointwise_regularizer,
                         bias_regularizer=bias_regularizer, **kwargs)
