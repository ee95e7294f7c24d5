"""DepthwiseConv2D: each channel of an NHWC image convolved with its own filters, the rank-2 ``_DepthwiseConv``."""

from __future__ import annotations

from .depthwise import _DepthwiseConv


class DepthwiseConv2D(_DepthwiseConv):
    """2-D depthwise convolution layer, as Keras' DepthwiseConv2D (channels last).

    Each input channel c is convolved (cross-correlated, the kernel not flipped) with its own
    ``depth_multiplier`` filters; no channels are mixed. The first step of a separable convolution.

    Args:
        kernel_size: an integer or a tuple ``(kh, kw)``.
        strides: an integer or a tuple ``(sh, sw)`` (default 1).
        padding: 'valid' (no padding) or 'same' (zero padding so that out = ceil(n / s)).
        depth_multiplier: D (default 1), the output channels per input channel: C·D in all.
        data_format: 'channels_last' or None (redes computes in NHWC only).
        dilation_rate: an integer or a tuple ``(dh, dw)`` (default 1). Not with a stride above 1 (as Keras).
        activation: name or ActivationFunction (default linear).
        use_bias: whether to add ``b``.
        depthwise_initializer, bias_initializer: initializers (Keras defaults glorot_uniform, zeros).
        depthwise_regularizer, bias_regularizer: optional penalties (e.g. ``regularizers.l2(0.01)``).

    Input shape: (batch, H, W, C).
    Output shape: (batch, Ho, Wo, C·D), Ho and Wo as for Conv2D.
    Weights: kernel (kh, kw, C, D), bias (C·D,); output channel c·D + m is input channel c's filter m.

    Equations, with x̄ the zero-padded input and (i, j) a kernel offset:
        forward   Z[n, p, q, c·D + m] = Σ_(i,j) x̄[n, p·sh + i·dh, q·sw + j·dw, c] · W[i, j, c, m] + b[c·D + m],
                  Y = act(Z)
        backward  G = act'(Z) ⊙ dL/dY  (batch, Ho, Wo, C·D);
                  dL/dW[i, j, c, m] = Σ_(n,p,q) x̄[n, p·sh + i·dh, q·sw + j·dw, c] · G[n, p, q, c·D + m],
                  dL/db = Σ_(n,p,q) G[n, p, q],
                  dL/dx̄[n, p·sh + i·dh, q·sw + j·dw, c] += Σ_m G[n, p, q, c·D + m] · W[i, j, c, m]
                      for every offset (i, j),  dL/dx = dL/dx̄ without its padding.
    One broadcast multiply-add per kernel offset over the whole in-image block (``_DepthwiseConv``);
    the padding is never built.

    Example:
        >>> DepthwiseConv2D(3, depth_multiplier=2)(np.ones((2, 28, 28, 4), dtype="float32")).shape
        (2, 26, 26, 8)
    """

    def __init__(self, kernel_size, strides=(1, 1), padding: str = "valid", depth_multiplier: int = 1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias: bool = True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 bias_regularizer=None, **kwargs) -> None:
        super().__init__(2, depth_multiplier, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                         use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer, depthwise_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer, **kwargs)
