"""Conv2D: 2-D convolution (cross-correlation) over NHWC images, the rank-2 ``_Conv``."""

from __future__ import annotations

from .base import _Conv


class Conv2D(_Conv):
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
    4 MiB that stay in cache), in forward and again in backward for dL/dW. The computation is
    ``_Conv``'s, shared with the convolutions of the other ranks.

    Example:
        >>> Conv2D(8, 3, activation="relu")(np.ones((2, 28, 28, 1), dtype="float32")).shape
        (2, 26, 26, 8)
    """

    def __init__(self, filters: int, kernel_size, strides=(1, 1), padding: str = "valid", activation=None,
                 use_bias: bool = True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs) -> None:
        super().__init__(2, filters, kernel_size, strides=strides, padding=padding, activation=activation,
                         use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, **kwargs)
