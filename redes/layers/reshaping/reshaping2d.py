"""2-D zero padding, cropping and upsampling over NHWC images: the rank-2 subclasses of ``base``."""

from __future__ import annotations

from .base import _Cropping, _UpSampling, _ZeroPadding


class ZeroPadding2D(_ZeroPadding):
    """Rows and columns of zeros added around each image, as Keras' ZeroPadding2D.

    Args:
        padding: an integer p (p on every side), a tuple (ph, pw) (ph above and below, pw left and
            right), or ((top, bottom), (left, right)) (default (1, 1)).
        data_format: 'channels_last' or None (redes computes in NHWC only).

    Input shape: (batch, H, W, C).
    Output shape: (batch, top + H + bottom, left + W + right, C).

    Equations: y[:, top + i, left + j] = x[:, i, j], zero elsewhere;  dL/dx[:, i, j] = dL/dy[:, top + i, left + j].

    Example:
        >>> ZeroPadding2D(((1, 0), (2, 2)))(np.ones((2, 4, 4, 3), dtype="float32")).shape
        (2, 5, 8, 3)
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs) -> None:
        super().__init__(2, padding, data_format, **kwargs)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


class Cropping2D(_Cropping):
    """Rows and columns removed at the borders of each image, as Keras' Cropping2D.

    Args:
        cropping: an integer c (every side), a tuple (ch, cw) (symmetric per axis), or
            ((top, bottom), (left, right)) (default ((0, 0), (0, 0))).
        data_format: 'channels_last' or None (redes computes in NHWC only).

    Input shape: (batch, H, W, C).
    Output shape: (batch, H − top − bottom, W − left − right, C).

    Equations: y[:, i, j] = x[:, top + i, left + j];  dL/dx[:, top + i, left + j] = dL/dy[:, i, j], zero on the
    cropped border.

    Example:
        >>> Cropping2D(((1, 0), (2, 2)))(np.ones((2, 4, 6, 3), dtype="float32")).shape
        (2, 3, 2, 3)
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs) -> None:
        super().__init__(2, cropping, data_format, **kwargs)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


class UpSampling2D(_UpSampling):
    """Each image made (sh, sw) times larger, by repetition or bilinear interpolation, as Keras' UpSampling2D.

    Args:
        size: an integer or a tuple (sh, sw) (default (2, 2)).
        data_format: 'channels_last' or None (redes computes in NHWC only).
        interpolation: 'nearest' (each pixel repeated, Keras' ``ops.repeat``) or 'bilinear' (Keras'
            ``ops.image.resize``: TensorFlow's bilinear resize with half-pixel centres, no antialias).

    Input shape: (batch, H, W, C).
    Output shape: (batch, H·sh, W·sw, C).

    Equations, with A_h (H·sh, H) and A_w (W·sw, W) the interpolation matrices of each axis
    (``base.resize_matrix``: output o reads input coordinate (o + ½)/s − ½, two neighbours
    weighted linearly, clamped at the borders):
        nearest   y[:, p, q] = x[:, ⌊p / sh⌋, ⌊q / sw⌋];   dL/dx[:, i, j] = Σ of dL/dy over its sh × sw block
        bilinear  y[:, :, :, c] = A_h x[:, :, :, c] A_wᵀ;   dL/dx[:, :, :, c] = A_hᵀ dL/dy[:, :, :, c] A_w

    Example:
        >>> UpSampling2D((2, 3), interpolation="bilinear")(np.ones((2, 4, 4, 3), dtype="float32")).shape
        (2, 8, 12, 3)
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation: str = "nearest", **kwargs) -> None:
        super().__init__(2, size, interpolation, data_format, **kwargs)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format, "interpolation": self.interpolation}
