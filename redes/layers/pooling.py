"""2-D pooling layers: MaxPooling2D, AveragePooling2D and their global forms, over NHWC images."""

from __future__ import annotations

from ..backend import xp
from ..tensor import Tensor4D
from . import _spatial
from .base import Layer, normalize_padding, normalize_tuple


class _Pooling2D(Layer):
    """Shared arguments, shapes and window geometry of MaxPooling2D and AveragePooling2D."""

    def __init__(self, pool_size=(2, 2), strides=None, padding: str = "valid", **kwargs) -> None:
        super().__init__(**kwargs)
        self.pool_size = normalize_tuple("pool_size", pool_size)
        self.strides = self.pool_size if strides is None else normalize_tuple("strides", strides)
        self.padding = normalize_padding(padding)

    def _check_input(self, input_shape: tuple) -> tuple:
        return _spatial.check_image_shape(self, input_shape, self.pool_size, self.padding, "pool_size")

    def build(self, input_shape: tuple) -> None:
        self._check_input(input_shape)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        height, width, channels = self._check_input(input_shape)
        rows, cols = _spatial.geometry(height, width, self.pool_size, self.strides, self.padding)
        return (rows.out, cols.out, channels)

    def _windows(self, height: int, width: int) -> tuple:
        """``(rows, cols, offsets, tiled)``; tiled: the windows partition the input exactly."""
        rows, cols = _spatial.geometry(height, width, self.pool_size, self.strides, self.padding)
        tiled = self.strides == self.pool_size and (rows.out * rows.stride, cols.out * cols.stride) == (height, width)
        return rows, cols, _spatial.windows(rows, cols, self.pool_size), tiled

    def get_config(self) -> dict:
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides, "padding": self.padding}


class MaxPooling2D(_Pooling2D):
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

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        x = x.data
        rows, cols, offsets, _ = self._windows(x.shape[1], x.shape[2])
        if _spatial.is_padded(rows, cols):
            y = xp.full((x.shape[0], rows.out, cols.out, x.shape[3]), -xp.inf, dtype=x.dtype)
        else:  # the first offset covers every output
            _, _, _, _, in_rows, in_cols = offsets[0]
            y = x[:, in_rows, in_cols, :].copy()
            offsets = offsets[1:]
        for _, _, out_rows, out_cols, in_rows, in_cols in offsets:
            block = y[:, out_rows, out_cols, :]
            xp.maximum(block, x[:, in_rows, in_cols, :], out=block)
        self._x, self._y = x, y
        return Tensor4D(y)

    def backward(self, grad: Tensor4D) -> Tensor4D:
        x, y, g = self._x, self._y, grad.data
        rows, cols, offsets, tiled = self._windows(x.shape[1], x.shape[2])
        # Every input is in exactly one window when tiled: each is written once, no zeroing needed.
        dx = xp.empty(x.shape, dtype=g.dtype) if tiled else xp.zeros(x.shape, dtype=g.dtype)

        free = xp.ones(y.shape, dtype=bool)  # windows whose maximum is not yet claimed
        hit = xp.empty(y.shape, dtype=bool)
        for _, _, out_rows, out_cols, in_rows, in_cols in offsets:
            block = (slice(None), out_rows, out_cols, slice(None))
            mask = hit[block]
            xp.equal(x[:, in_rows, in_cols, :], y[block], out=mask)
            mask &= free[block]
            free[block] ^= mask
            if tiled:
                xp.multiply(g, mask, out=dx[:, in_rows, in_cols, :])
            else:
                dx[:, in_rows, in_cols, :] += g[block] * mask
        return Tensor4D(dx)


class AveragePooling2D(_Pooling2D):
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

    def _counts(self, rows, cols, offsets, dtype):
        """|W(p, q)| as an array broadcasting against (N, Ho, Wo, C), or a number when all are equal."""
        if not _spatial.is_padded(rows, cols):
            return self.pool_size[0] * self.pool_size[1]
        counts = xp.zeros((rows.out, cols.out, 1), dtype=dtype)
        for _, _, out_rows, out_cols, _, _ in offsets:
            counts[out_rows, out_cols] += 1
        return counts

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        x = x.data
        rows, cols, offsets, _ = self._windows(x.shape[1], x.shape[2])
        y = xp.zeros((x.shape[0], rows.out, cols.out, x.shape[3]), dtype=x.dtype)
        for _, _, out_rows, out_cols, in_rows, in_cols in offsets:
            y[:, out_rows, out_cols, :] += x[:, in_rows, in_cols, :]
        y /= self._counts(rows, cols, offsets, x.dtype)
        self._x_shape = x.shape
        return Tensor4D(y)

    def backward(self, grad: Tensor4D) -> Tensor4D:
        n, height, width, channels = self._x_shape
        rows, cols, offsets, tiled = self._windows(height, width)
        share = grad.data / self._counts(rows, cols, offsets, grad.dtype)  # (N, Ho, Wo, C)
        ph, pw = self.pool_size
        if tiled:
            tiles = (n, rows.out, ph, cols.out, pw, channels)
            return Tensor4D(xp.broadcast_to(share[:, :, None, :, None, :], tiles).reshape(self._x_shape))
        dx = xp.zeros(self._x_shape, dtype=share.dtype)
        for _, _, out_rows, out_cols, in_rows, in_cols in offsets:
            dx[:, in_rows, in_cols, :] += share[:, out_rows, out_cols, :]
        return Tensor4D(dx)


class _GlobalPooling2D(Layer):
    """Shared arguments and shapes of the global poolings."""

    def __init__(self, keepdims: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        if not isinstance(keepdims, bool):
            raise TypeError(f"`keepdims` must be a bool. Received: keepdims={keepdims!r}")
        self.keepdims = keepdims

    def build(self, input_shape: tuple) -> None:
        _spatial.check_image_shape(self, input_shape, (1, 1), "valid", "pool_size")

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        channels = _spatial.check_image_shape(self, input_shape, (1, 1), "valid", "pool_size")[-1]
        return (1, 1, channels) if self.keepdims else (channels,)

    def get_config(self) -> dict:
        return {**super().get_config(), "keepdims": self.keepdims}


class GlobalMaxPooling2D(_GlobalPooling2D):
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

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        self._x = x.data
        self._y = self._x.max(axis=(1, 2), keepdims=True)  # (N, 1, 1, C)
        return Tensor4D(self._y)

    def backward(self, grad: Tensor4D) -> Tensor4D:
        mask = self._x == self._y
        ties = mask.sum(axis=(1, 2), keepdims=True).astype(grad.dtype)
        return Tensor4D(mask * (grad.data / ties))


class GlobalAveragePooling2D(_GlobalPooling2D):
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

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        self._x_shape = x.shape
        return Tensor4D(x.data.mean(axis=(1, 2), keepdims=True))

    def backward(self, grad: Tensor4D) -> Tensor4D:
        n, height, width, channels = self._x_shape
        share = grad.data / (height * width)
        return Tensor4D(xp.broadcast_to(share, self._x_shape).copy())
