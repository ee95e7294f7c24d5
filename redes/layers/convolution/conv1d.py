"""Conv1D: 1-D convolution (cross-correlation) over sequences (batch, steps, C), the rank-1 ``_Conv``."""

from __future__ import annotations

from .base import _Conv


class Conv1D(_Conv):
    """1-D convolution layer over the steps of a sequence, ``y = act(x ⋆ W + b)``, as Keras' Conv1D.

    Cross-correlation, as in Keras and TensorFlow: the kernel is not flipped.

    Args:
        filters: number of output channels F.
        kernel_size: an integer or a tuple ``(k,)``.
        strides: an integer or a tuple ``(s,)`` (default 1).
        padding: 'valid' (no padding), 'same' (zero padding so that out = ceil(n / s)) or 'causal'
            (all the zero padding, (k − 1)·d, before the first step: output t sees inputs up to t only).
        data_format: 'channels_last' or None (redes computes channels last only).
        dilation_rate: an integer or a tuple ``(d,)`` (default 1): the kernel's taps are d steps apart.
            Not together with a stride above 1 (as Keras).
        groups: G (default 1), dividing ``filters`` and C: group g convolves input channels
            g·C/G … (g + 1)·C/G − 1 with filters g·F/G … (g + 1)·F/G − 1 only.
        activation: name or ActivationFunction (default linear).
        use_bias: whether to add ``b``.
        kernel_initializer, bias_initializer: initializers (Keras defaults glorot_uniform, zeros).
        kernel_regularizer, bias_regularizer: optional penalties (e.g. ``regularizers.l2(0.01)``).

    Input shape: (batch, steps, C); as a Tensor4D (batch, 1, steps, C).
    Output shape: (batch, out, F); as a Tensor4D (batch, 1, out, F), with k_eff = (k − 1)·d + 1:
        'valid'   out = floor((n − k_eff) / s) + 1
        'same'    out = ceil(n / s); total padding max((out − 1)·s + k_eff − n, 0), the smaller half first
        'causal'  out = ceil(n / s); padding (k − 1)·d, all before the first step
    Weights: kernel (k, C/G, F), bias (F,).

    Equations, with x̄ the zero-padded input and X the im2col matrix, one row per output position
    (M = batch·out rows of k·C values, X[(n, t), (i, c)] = x̄[n, t·s + i·d, c]), X_g its columns of
    group g's channels, W_g group g's kernel reshaped to (k·C/G, F/G):
        forward   Z_g = X_g · W_g + b_g  (one batched matmul over the groups),  Y = act(Z)
        backward  G = act'(Z) ⊙ dL/dY  (M, F);
                  dL/dW_g = X_gᵀ G_g,   dL/db = Σ_rows G,
                  dL/dx̄[n, t·s + i·d, g's channels] += G_g[(n, t)] · W_g[i]ᵀ  for every tap i,
                  dL/dx = dL/dx̄ without its padding.
    The padding is never built, nor X whole: the computation is ``_Conv``'s, shared with Conv2D.

    Example:
        >>> Conv1D(8, 3, padding="causal", dilation_rate=2)(np.ones((2, 10, 4), dtype="float32")).shape
        (2, 10, 8)
    """

    def __init__(self, filters: int, kernel_size, strides=1, padding: str = "valid", data_format=None,
                 dilation_rate=1, groups: int = 1, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, **kwargs) -> None:
        super().__init__(1, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, groups=groups, activation=activation,
                         use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, **kwargs)
