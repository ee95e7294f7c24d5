"""2-D pooling layers over NHWC images: the rank-2 subclasses of the pooling cores in ``base.py``."""

from __future__ import annotations

from .base import _AveragePooling, _GlobalAveragePooling, _GlobalMaxPooling, _MaxPooling


class MaxPooling2D(_MaxPooling):
    """Maximum over each ``pool_size`` window, channel by channel, as Keras' MaxPooling2D.

    Args:
        pool_size: an integer or a tuple ``(ph, pw)`` (default (2, 2)).
        strides: an integer or a tuple ``(sh, sw)``; default: ``pool_size``.
        padding: 'valid' or 'same' ('same' pads with −inf, so padding never wins).

    Input shape: (batch, H, W, C).
    Output shape: (batch, Ho, Wo, C), with the sizes of Conv2D for window ``pool_size``.

    Equations, with W(p, q) the window of output (p, q):
        forward   y[n, p, q, c] = max over (i, j) in W(p, q) of x[n, i, j, c]
        backward  dL/dx[n, i, j, c] = Σ over the windows whose maximum is at (i, j) of dL/dy[n, p, q, c];
                  where a window holds tied maxima, the first in row-major order takes the whole
                  gradient (as TensorFlow).

    Example:
        >>> MaxPooling2D()(np.ones((2, 28, 28, 8), dtype="float32")).shape
        (2, 14, 14, 8)
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding: str = "valid", **kwargs) -> None:
        super().__init__(2, pool_size, strides, padding, **kwargs)


class AveragePooling2D(_AveragePooling):
    """Mean over each ``pool_size`` window, channel by channel, as Keras' AveragePooling2D.

    Args:
        pool_size: an integer or a tuple ``(ph, pw)`` (default (2, 2)).
        strides: an integer or a tuple ``(sh, sw)``; default: ``pool_size``.
        padding: 'valid' or 'same'. With 'same', a window that reaches into the padding
            averages only its inputs inside the image (as TensorFlow).

    Input shape: (batch, H, W, C).
    Output shape: (batch, Ho, Wo, C), with the sizes of Conv2D for window ``pool_size``.

    Equations, with W(p, q) the in-image part of the window of output (p, q):
        forward   y[n, p, q, c] = Σ over (i, j) in W(p, q) of x[n, i, j, c] / |W(p, q)|
        backward  dL/dx[n, i, j, c] = Σ over the windows W(p, q) holding (i, j) of dL/dy[n, p, q, c] / |W(p, q)|

    Example:
        >>> AveragePooling2D(3, strides=1, padding="same")(np.ones((2, 5, 5, 4), dtype="float32")).shape
        (2, 5, 5, 4)
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding: str = "valid", **kwargs) -> None:
        super().__init__(2, pool_size, strides, padding, **kwargs)


class GlobalMaxPooling2D(_GlobalMaxPooling):
    """Maximum over all positions of each channel, as Keras' GlobalMaxPooling2D.

    Args:
        keepdims: if True the feature shape is (1, 1, C), otherwise (C,) (default).

    Input shape: (batch, H, W, C).
    Output shape: (batch, 1, 1, C) as a Tensor4D; feature shape (C,), or (1, 1, C) with keepdims.

    Equations, with T[n, c] the set of positions (i, j) where x[n, i, j, c] is maximal:
        forward   y[n, c] = max over (i, j) of x[n, i, j, c]
        backward  dL/dx[n, i, j, c] = dL/dy[n, c] / |T[n, c]| if (i, j) in T[n, c], else 0
                  (tied maxima share the gradient equally, as TensorFlow's reduce_max).

    Example:
        >>> GlobalMaxPooling2D()(np.ones((2, 7, 7, 16), dtype="float32")).shape
        (2, 16)
    """

    def __init__(self, keepdims: bool = False, **kwargs) -> None:
        super().__init__(2, keepdims, **kwargs)


class GlobalAveragePooling2D(_GlobalAveragePooling):
    """Mean over all positions of each channel, as Keras' GlobalAveragePooling2D.

    Args:
        keepdims: if True the feature shape is (1, 1, C), otherwise (C,) (default).

    Input shape: (batch, H, W, C).
    Output shape: (batch, 1, 1, C) as a Tensor4D; feature shape (C,), or (1, 1, C) with keepdims.

    Equations:
        forward   y[n, c] = Σ over (i, j) of x[n, i, j, c] / (H·W)
        backward  dL/dx[n, i, j, c] = dL/dy[n, c] / (H·W)

    Example:
        >>> GlobalAveragePooling2D()(np.ones((2, 7, 7, 16), dtype="float32")).shape
        (2, 16)
    """

    def __init__(self, keepdims: bool = False, **kwargs) -> None:
        super().__init__(2, keepdims, **kwargs)
