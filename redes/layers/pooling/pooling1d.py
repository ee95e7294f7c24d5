"""1-D pooling layers over sequences (batch, steps, C): the rank-1 subclasses of the pooling cores in ``base.py``.

A sequence is the Tensor4D (batch, 1, steps, C); the cores read axis 2 as the steps.
"""

from __future__ import annotations

from .base import _AveragePooling, _GlobalAveragePooling, _GlobalMaxPooling, _MaxPooling


class MaxPooling1D(_MaxPooling):
    """Maximum over each window of ``pool_size`` steps, channel by channel, as Keras' MaxPooling1D.

    Args:
        pool_size: an integer or a tuple ``(p,)`` (default 2).
        strides: an integer or a tuple ``(s,)``; default: ``pool_size``.
        padding: 'valid' or 'same' ('same' pads with −inf, so padding never wins).

    Input shape: (batch, steps, C); as a Tensor4D (batch, 1, steps, C).
    Output shape: (batch, out, C), with the sizes of Conv1D for window ``pool_size``.

    Equations, with W(t) the window of output t:
        forward   y[n, t, c] = max over i in W(t) of x[n, i, c]
        backward  dL/dx[n, i, c] = Σ over the windows whose maximum is at i of dL/dy[n, t, c];
                  where a window holds tied maxima, the first one takes the whole gradient (as TensorFlow).

    Example:
        >>> MaxPooling1D()(np.ones((2, 10, 8), dtype="float32")).shape
        (2, 5, 8)
    """

    def __init__(self, pool_size=2, strides=None, padding: str = "valid", **kwargs) -> None:
        super().__init__(1, pool_size, strides, padding, **kwargs)


class AveragePooling1D(_AveragePooling):
    """Mean over each window of ``pool_size`` steps, channel by channel, as Keras' AveragePooling1D.

    Args:
        pool_size: an integer or a tuple ``(p,)`` (default 2).
        strides: an integer or a tuple ``(s,)``; default: ``pool_size``.
        padding: 'valid' or 'same'. With 'same', a window that reaches into the padding
            averages only its inputs inside the sequence (as TensorFlow).

    Input shape: (batch, steps, C); as a Tensor4D (batch, 1, steps, C).
    Output shape: (batch, out, C), with the sizes of Conv1D for window ``pool_size``.

    Equations, with W(t) the in-sequence part of the window of output t:
        forward   y[n, t, c] = Σ over i in W(t) of x[n, i, c] / |W(t)|
        backward  dL/dx[n, i, c] = Σ over the windows W(t) holding i of dL/dy[n, t, c] / |W(t)|

    Example:
        >>> AveragePooling1D(3, strides=1, padding="same")(np.ones((2, 10, 4), dtype="float32")).shape
        (2, 10, 4)
    """

    def __init__(self, pool_size=2, strides=None, padding: str = "valid", **kwargs) -> None:
        super().__init__(1, pool_size, strides, padding, **kwargs)


class GlobalMaxPooling1D(_GlobalMaxPooling):
    """Maximum over all steps of each channel, as Keras' GlobalMaxPooling1D.

    Args:
        keepdims: if True the feature shape is (1, C), otherwise (C,) (default).

    Input shape: (batch, steps, C); as a Tensor4D (batch, 1, steps, C).
    Output shape: (batch, 1, 1, C) as a Tensor4D; feature shape (C,), or (1, C) with keepdims.

    Equations, with T[n, c] the set of steps i where x[n, i, c] is maximal:
        forward   y[n, c] = max over i of x[n, i, c]
        backward  dL/dx[n, i, c] = dL/dy[n, c] / |T[n, c]| if i in T[n, c], else 0
                  (tied maxima share the gradient equally, as TensorFlow's reduce_max).

    Example:
        >>> GlobalMaxPooling1D()(np.ones((2, 10, 16), dtype="float32")).shape
        (2, 16)
    """

    def __init__(self, keepdims: bool = False, **kwargs) -> None:
        super().__init__(1, keepdims, **kwargs)


class GlobalAveragePooling1D(_GlobalAveragePooling):
    """Mean over all steps of each channel, as Keras' GlobalAveragePooling1D.

    Args:
        keepdims: if True the feature shape is (1, C), otherwise (C,) (default).

    Input shape: (batch, steps, C); as a Tensor4D (batch, 1, steps, C).
    Output shape: (batch, 1, 1, C) as a Tensor4D; feature shape (C,), or (1, C) with keepdims.

    Equations (m[n, i] = 1 for every step, or the input's mask: masked steps are left out, as Keras):
        forward   y[n, c] = Σ over i of m[n, i] · x[n, i, c] / Σ over i of m[n, i]
        backward  dL/dx[n, i, c] = m[n, i] · dL/dy[n, c] / Σ over i of m[n, i]

    Example:
        >>> GlobalAveragePooling1D()(np.ones((2, 10, 16), dtype="float32")).shape
        (2, 16)
    """

    def __init__(self, keepdims: bool = False, **kwargs) -> None:
        super().__init__(1, keepdims, **kwargs)
