"""Image resizing layers, as Keras' preprocessing ones: Resizing and CenterCrop.

Both are a crop (a window of rows and columns) followed by a resize of each spatial axis by a matrix
(``base.resize_matrix``, TensorFlow's half-pixel resize), so one core, ``_Resample``, does the forward and
the backward of both; each layer only chooses the window and the interpolation for an input size.
Shapes, channels last: input (N, H, W, C), output (N, height, width, C).
"""

from __future__ import annotations

from ...backend import xp
from ...tensor import Tensor4D
from ...validation import check_bool, check_one_of, check_positive_int, normalize_data_format
from .. import _windows
from ..base import Layer
from .base import resize_axes, resize_matrix


def aspect_ratio_window(height: int, width: int, target_height: int, target_width: int) -> tuple[slice, slice]:
    """The centred window of an (height, width) image with the aspect ratio of the target, as Keras' crop.

    crop_h = max(min(height, ⌊width·target_height / target_width⌋), 1), likewise crop_w; the window starts
    at ⌊(height − crop_h) / 2⌋ and ⌊(width − crop_w) / 2⌋.
    """
    crop_height = max(min(height, int(width * target_height / target_width)), 1)
    crop_width = max(min(width, int(height * target_width / target_height)), 1)
    top, left = int((height - crop_height) / 2), int((width - crop_width) / 2)
    return slice(top, top + crop_height), slice(left, left + crop_width)


class _Resample(Layer):
    """A window of the image (rows, columns), resized to (height, width) by ``resize_matrix`` on each axis.

    Equations, with x_w the window (N, h, w, C), A_h (height, h) and A_w (width, w) the axes' matrices
    (the identity where the window already has the target length), g = dL/dy:
        forward   y[:, :, :, c] = A_h x_w[:, :, :, c] A_wᵀ
        backward  dL/dx_w[:, :, :, c] = A_hᵀ g[:, :, :, c] A_w;  dL/dx = dL/dx_w inside the window, 0 outside
    """

    def __init__(self, height: int, width: int, data_format=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.height = check_positive_int("height", height)
        self.width = check_positive_int("width", width)
        self.data_format = normalize_data_format(data_format)

    def _plan(self, height: int, width: int) -> tuple[slice, slice, str | None]:
        """(rows, columns, interpolation) for an input of (height, width); None: the window is the output."""
        raise NotImplementedError

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        _windows.check_spatial_shape(self, input_shape, 2, (1, 1), "valid", "height and width")
        return (self.height, self.width, input_shape[-1])

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        rows, columns, interpolation = self._plan(x.shape[1], x.shape[2])
        self._input_shape, self._window = x.shape, (slice(None), rows, columns)
        window = x.data[self._window]
        if interpolation is None:
            self._matrices = None
            return Tensor4D(xp.ascontiguousarray(window))
        self._matrices = [resize_matrix(size, target, interpolation, x.dtype)
                          for size, target in zip(window.shape[1:3], (self.height, self.width))]
        return Tensor4D(resize_axes(window, self._matrices))

    def backward(self, grad: Tensor4D) -> Tensor4D:
        g = grad.data if self._matrices is None else resize_axes(grad.data, self._matrices, transpose=True)
        dx = xp.zeros(self._input_shape, dtype=grad.dtype)
        dx[self._window] = g
        return Tensor4D(dx)

    def get_config(self) -> dict:
        return {**super().get_config(), "height": self.height, "width": self.width, "data_format": self.data_format}


class Resizing(_Resample):
    """Resizes images to (height, width), as Keras' Resizing (TensorFlow's resize: half-pixel centres, no antialias).

    Args:
        height, width: the output size, positive integers.
        interpolation: 'bilinear' (default) or 'nearest'.
        crop_to_aspect_ratio: if True, first crop the largest centred window with the target's aspect ratio
            (Keras' rule, ``aspect_ratio_window``), so the image is not distorted.
        data_format: only 'channels_last'.

    Input shape: (batch, H, W, C). Output shape: (batch, height, width, C).
    Equations (``_Resample``): y = A_h x_w A_wᵀ per channel, dL/dx_w = A_hᵀ g A_w, with A from ``resize_matrix``:
        bilinear  output o of an axis of n → m reads u = (o + ½)·n/m − ½, its two neighbours weighted linearly
        nearest   output o takes the entry min(⌊(o + ½)·n/m⌋, n − 1)

    Example:
        >>> Resizing(3, 5)(np.ones((2, 6, 4, 3), dtype="float32")).shape
        (2, 3, 5, 3)
    """

    def __init__(self, height: int, width: int, interpolation: str = "bilinear", crop_to_aspect_ratio: bool = False,
                 data_format=None, **kwargs) -> None:
        super().__init__(height, width, data_format, **kwargs)
        self.interpolation = check_one_of("interpolation", interpolation, ("bilinear", "nearest"), ignore_case=True)
        self.crop_to_aspect_ratio = check_bool("crop_to_aspect_ratio", crop_to_aspect_ratio)

    def _plan(self, height: int, width: int) -> tuple[slice, slice, str | None]:
        if self.crop_to_aspect_ratio:
            return (*aspect_ratio_window(height, width, self.height, self.width), self.interpolation)
        return slice(None), slice(None), self.interpolation

    def get_config(self) -> dict:
        return {**super().get_config(), "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio}


class CenterCrop(_Resample):
    """Crops the centre (height, width) of each image, as Keras' CenterCrop.

    Args:
        height, width: the output size, positive integers.
        data_format: only 'channels_last'.

    An image at least (height, width) is cropped: rows from ⌊(H − height)/2⌋, columns from ⌊(W − width)/2⌋.
    An image smaller on either axis is resized as Keras does (``smart_resize``): the largest centred window
    with the target's aspect ratio, resized bilinearly to (height, width).

    Input shape: (batch, H, W, C). Output shape: (batch, height, width, C).
    Equations (``_Resample``): a crop: y = x_w, dL/dx = g inside the window, 0 outside; a resize:
    y = A_h x_w A_wᵀ per channel, dL/dx_w = A_hᵀ g A_w (bilinear ``resize_matrix``).

    Example:
        >>> CenterCrop(2, 3)(np.ones((1, 4, 5, 3), dtype="float32")).shape
        (1, 2, 3, 3)
    """

    def _plan(self, height: int, width: int) -> tuple[slice, slice, str | None]:
        if height >= self.height and width >= self.width:
            top, left = (height - self.height) // 2, (width - self.width) // 2
            return slice(top, top + self.height), slice(left, left + self.width), None
        return (*aspect_ratio_window(height, width, self.height, self.width), "bilinear")
