"""Image data augmentation as layers, the Keras 3 way: random transforms in training, identity at inference.

Put them right after the ``Input``: ``fit`` calls every layer with ``training=True``, so each batch is
freshly flipped, shifted, rotated or zoomed; ``evaluate`` and ``predict`` (``training=False``) see the
images unchanged. Every sample of a batch draws its own transform, all at once (no loop over samples).

The geometric layers map each output pixel (x, y) (column, row) to a source point of the input,
(x_in, y_in) = A · (x, y, 1) with one 2×3 matrix A per sample, as Keras' ``affine_transform``; the
input is extended beyond its borders by ``fill_mode`` and sampled at that point with ``interpolation``:
    'nearest'   the pixel at (round(y_in), round(x_in))
    'bilinear'  the four pixels around it, weighted (1 − dy)(1 − dx), (1 − dy)dx, dy(1 − dx), dy·dx
Fill modes: 'reflect' (d c b a | a b c d | d c b a), 'wrap' (a b c d | a b c d | a b c d),
'nearest' (a a a a | a b c d | d d d d), 'constant' (k k k k | a b c d | k k k k, k = ``fill_value``).

Backward: the transform is linear in the input, y = S·x (+ the constant fill), so dL/dx = Sᵀ·g: each
tap's weight times g summed back into the pixel it read (``numpy.bincount``); a flip flips g back.

Example:
    >>> model = Sequential([Input((28, 28, 1)), RandomFlip("horizontal"),
    ...                     RandomTranslation(0.1, 0.1, fill_mode="constant"), RandomRotation(0.05),
    ...                     Conv2D(32, 3, activation="relu"), ...])
"""

from __future__ import annotations

import math
import numbers

from .. import backend
from ..backend import xp
from ..tensor import Tensor4D
from ..validation import check_non_negative_int
from .base import Layer

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")
FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


def _factor_range(name: str, factor) -> tuple[float, float]:
    """Keras' factor rule: a number f gives (−|f|, |f|); a pair gives (min, max); all within [−1, 1]."""
    def real(value) -> bool:
        return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)

    if isinstance(factor, (tuple, list)) and len(factor) == 2 and all(real(v) for v in factor):
        lower, upper = sorted(float(v) for v in factor)
    elif real(factor):
        lower, upper = -abs(float(factor)), abs(float(factor))
    elif isinstance(factor, (str, bytes)) or not isinstance(factor, (numbers.Real, tuple, list)):
        raise TypeError(f"`{name}` must be a number or a pair of numbers in [-1, 1]. Received: {name}={factor!r}")
    else:
        lower = upper = math.nan
    if not -1.0 <= lower <= upper <= 1.0:
        raise ValueError(f"`{name}` must be a number or a pair of numbers in [-1, 1]. Received: {name}={factor!r}")
    return lower, upper


class _RandomAugmentation(Layer):
    """Shared by the augmentation layers: the seed, the image-shape check, identity at inference."""

    def __init__(self, seed: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.seed = check_non_negative_int("seed", seed, allow_none=True)
        self._generator = None if self.seed is None else xp.random.default_rng(self.seed)
        self._active = False

    def _uniform(self, lower: float, upper: float, size: int):
        """``size`` draws in [lower, upper): from the layer's own generator if seeded, else the global one."""
        generator = self._generator if self._generator is not None else backend.rng()
        return generator.uniform(lower, upper, size)

    def build(self, input_shape: tuple) -> None:
        if len(input_shape) != 3:
            raise ValueError(f"`{type(self).__name__}` expects images (height, width, channels). "
                             f"Received input shape {(None, *input_shape)}.")

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """Unchanged: the output has the input's shape."""
        return tuple(input_shape)

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        self._active = bool(training)
        return self._augment(x) if training else x

    def backward(self, grad: Tensor4D) -> Tensor4D:
        return self._augment_backward(grad) if self._active else grad

    def _augment(self, x: Tensor4D) -> Tensor4D:
        raise NotImplementedError

    def _augment_backward(self, grad: Tensor4D) -> Tensor4D:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {**super().get_config(), "seed": self.seed}


class RandomFlip(_RandomAugmentation):
    """Flips each image with probability 1/2, in training only (Keras 3's RandomFlip).

    Args:
        mode: 'horizontal' (left-right), 'vertical' (up-down) or 'horizontal_and_vertical'
            (as in Keras, one draw per image flips it both ways, i.e. turns it by 180°).
        seed: optional non-negative integer for the layer's own generator; without it, the global
            one (``redes.set_random_seed``).

    Input shape / Output shape: (batch, height, width, channels), unchanged.
    Equations, with f_n ~ Bernoulli(1/2) per image: y_n = flip(x_n) if f_n else x_n;
        backward dL/dx_n = flip(g_n) if f_n else g_n.

    Example:
        >>> x = np.arange(4.0).reshape(1, 1, 4, 1)      # one 1×4 image
        >>> flip = RandomFlip("horizontal", seed=2)
        >>> flip(x, training=True).ravel().tolist()    # this seed's draw flips it
        [3.0, 2.0, 1.0, 0.0]
        >>> flip(x).ravel().tolist()                   # inference: unchanged
        [0.0, 1.0, 2.0, 3.0]
    """

    def __init__(self, mode: str = "horizontal_and_vertical", seed: int | None = None, **kwargs) -> None:
        super().__init__(seed=seed, **kwargs)
        if mode not in FLIP_MODES:
            raise ValueError(f"`mode` must be one of {FLIP_MODES}. Received: mode={mode!r}")
        self.mode = mode
        self._flips = None

    def _flip(self, data):
        """Flip the images ``self._flips`` selects, on the axes of ``mode``: (N, H, W, C) -> (N, H, W, C)."""
        flips = self._flips[:, None, None, None]
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            data = xp.where(flips, data[:, :, ::-1], data)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            data = xp.where(flips, data[:, ::-1], data)
        return data

    def _augment(self, x: Tensor4D) -> Tensor4D:
        self._flips = self._uniform(0.0, 1.0, x.shape[0]) <= 0.5
        return Tensor4D(self._flip(x.data))

    def _augment_backward(self, grad: Tensor4D) -> Tensor4D:
        return Tensor4D(self._flip(grad.data))

    def get_config(self) -> dict:
        return {**super().get_config(), "mode": self.mode}


# ------------------------------------------------------------------------ affine sampling
def _extend(index, size: int, fill_mode: str):
    """Integer coordinates on one axis -> (coordinates inside [0, size), mask of those that are real pixels)."""
    if fill_mode == "constant":
        return xp.clip(index, 0, size - 1), (index >= 0) & (index < size)
    if fill_mode == "nearest":
        return xp.clip(index, 0, size - 1), None
    if fill_mode == "wrap":
        return xp.mod(index, size), None
    folded = xp.mod(index, 2 * size)                                   # reflect: period 2·size
    return xp.where(folded < size, folded, 2 * size - 1 - folded), None


def _axis_taps(coordinate, size: int, interpolation: str, fill_mode: str) -> list[tuple]:
    """One axis of the sampling: a list of (index in [0, size), weight or None for 1, inside-mask or None)."""
    if interpolation == "nearest":
        index, inside = _extend(xp.floor(coordinate + 0.5).astype(xp.int32), size, fill_mode)
        return [(index, None, inside)]
    low = xp.floor(coordinate)
    fraction = coordinate - low
    low = low.astype(xp.int32)
    (index0, inside0), (index1, inside1) = _extend(low, size, fill_mode), _extend(low + 1, size, fill_mode)
    return [(index0, 1 - fraction, inside0), (index1, fraction, inside1)]


def _sampling_taps(matrices, height: int, width: int, interpolation: str, fill_mode: str, dtype):
    """The input pixels each output pixel reads: flat indices and weights, both (T, N·H·W), T = 1 or 4 taps.

    ``matrices`` (N, 2, 3) maps output (x, y, 1) to the source point (x_in, y_in); flat indices count
    pixels over (N, H, W). In 'constant' mode a tap outside the image has weight 0 (its share is the fill).
    """
    coordinate_type = xp.float64 if dtype == xp.float64 else xp.float32
    a = matrices.astype(coordinate_type)[:, :, :, None, None]           # (N, 2, 3, 1, 1)
    rows = xp.arange(height, dtype=coordinate_type)[:, None]            # (H, 1)
    cols = xp.arange(width, dtype=coordinate_type)[None, :]             # (1, W)
    x_in = a[:, 0, 0] * cols + a[:, 0, 1] * rows + a[:, 0, 2]           # (N, H, W)
    y_in = a[:, 1, 0] * cols + a[:, 1, 1] * rows + a[:, 1, 2]
    first = (xp.arange(len(matrices), dtype=xp.int64) * (height * width))[:, None, None]
    indices, weights = [], []
    for row, row_weight, row_inside in _axis_taps(y_in, height, interpolation, fill_mode):
        row_start = first + row * width                                  # int64: N·H·W may pass 2**31
        for col, col_weight, col_inside in _axis_taps(x_in, width, interpolation, fill_mode):
            weight = xp.ones(row.shape, dtype) if row_weight is None else (row_weight * col_weight).astype(dtype)
            if row_inside is not None:
                weight *= row_inside & col_inside
            indices.append((row_start + col).ravel())
            weights.append(weight.ravel())
    return xp.stack(indices), xp.stack(weights)


class _RandomAffine(_RandomAugmentation):
    """Shared by the geometric layers: one random 2×3 matrix per image, then sampling by ``_sampling_taps``."""

    def __init__(self, fill_mode: str = "reflect", interpolation: str = "bilinear", seed: int | None = None,
                 fill_value: float = 0.0, **kwargs) -> None:
        super().__init__(seed=seed, **kwargs)
        if fill_mode not in FILL_MODES:
            raise ValueError(f"`fill_mode` must be one of {FILL_MODES}. Received: fill_mode={fill_mode!r}")
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"`interpolation` must be one of {INTERPOLATIONS}. "
                             f"Received: interpolation={interpolation!r}")
        if isinstance(fill_value, bool) or not isinstance(fill_value, numbers.Real):
            raise ValueError(f"`fill_value` must be a number. Received: fill_value={fill_value!r}")
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = float(fill_value)
        self._index = self._weight = None

    def _matrices(self, count: int, height: int, width: int):
        """(count, 2, 3) float64: the random source-point matrices of one batch."""
        raise NotImplementedError

    def _augment(self, x: Tensor4D) -> Tensor4D:
        n, height, width, channels = x.shape
        self._index, self._weight = _sampling_taps(self._matrices(n, height, width), height, width,
                                                   self.interpolation, self.fill_mode, x.dtype)
        flat = x.data.reshape(n * height * width, channels)              # (N·H·W, C)
        out = (flat[self._index] * self._weight[..., None]).sum(axis=0)  # (T, N·H·W, C) -> (N·H·W, C)
        if self.fill_mode == "constant" and self.fill_value != 0.0:
            outside = 1 - self._weight.sum(axis=0)                       # the fill's share of each pixel
            out += (self.fill_value * outside)[:, None]
        return Tensor4D(out.reshape(x.shape))

    def _augment_backward(self, grad: Tensor4D) -> Tensor4D:
        n, height, width, channels = grad.shape
        g = grad.data.reshape(n * height * width, channels)
        index = self._index.ravel()
        # dL/dx = Sᵀ g: each tap sends weight · g back to the pixel it read; bincount sums them (per channel)
        dx = xp.stack([xp.bincount(index, weights=(self._weight * g[:, k]).ravel(), minlength=len(g))
                       for k in range(channels)], axis=1)
        return Tensor4D(dx.astype(grad.dtype, copy=False).reshape(grad.shape))

    def get_config(self) -> dict:
        return {**super().get_config(), "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "fill_value": self.fill_value}


class RandomTranslation(_RandomAffine):
    """Shifts each image by a random fraction of its size, in training only (Keras 3's RandomTranslation).

    Args:
        height_factor: a number f (shifts in [−f, f] of the height) or a pair (lower, upper), in [−1, 1];
            positive shifts move the image down.
        width_factor: the same for the width; positive shifts move the image right.
        fill_mode, interpolation, fill_value: how the uncovered border is filled and pixels are sampled
            (see the module's docstring). Keras' defaults: 'reflect', 'bilinear', 0.0.
        seed: optional non-negative integer for the layer's own generator.

    Input shape / Output shape: (batch, height, width, channels), unchanged.
    Equations: dy ~ U[lower, upper)·H, dx ~ U[lower, upper)·W per image; y(r, c) = x(r − dy, c − dx).
    A shift by whole pixels with fill_mode='wrap' is ``numpy.roll``.

    Example:
        >>> x = np.arange(4.0).reshape(1, 1, 4, 1)
        >>> shift = RandomTranslation(0.0, (0.25, 0.25), fill_mode="wrap", interpolation="nearest")
        >>> shift(x, training=True).ravel().tolist()   # one pixel right, as np.roll(x, 1, axis=2)
        [3.0, 0.0, 1.0, 2.0]
    """

    def __init__(self, height_factor, width_factor, fill_mode: str = "reflect", interpolation: str = "bilinear",
                 seed: int | None = None, fill_value: float = 0.0, **kwargs) -> None:
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._height_range = _factor_range("height_factor", height_factor)
        self._width_range = _factor_range("width_factor", width_factor)

    def _matrices(self, count: int, height: int, width: int):
        shift_y = self._uniform(*self._height_range, count) * height
        shift_x = self._uniform(*self._width_range, count) * width
        matrices = xp.zeros((count, 2, 3))
        matrices[:, 0, 0] = matrices[:, 1, 1] = 1.0
        matrices[:, 0, 2], matrices[:, 1, 2] = -shift_x, -shift_y
        return matrices

    def get_config(self) -> dict:
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


class RandomRotation(_RandomAffine):
    """Rotates each image about its centre by a random angle, in training only (Keras 3's RandomRotation).

    Args:
        factor: a number f (angles in [−f, f]·2π) or a pair (lower, upper), in [−1, 1]; positive angles
            turn the image counter-clockwise. ``factor=0.05`` turns by up to ±18°.
        fill_mode, interpolation, fill_value, seed: as for ``RandomTranslation``.

    Input shape / Output shape: (batch, height, width, channels), unchanged.
    Equations: θ ~ U[lower, upper)·2π per image, centre (cx, cy) = ((W − 1)/2, (H − 1)/2);
        x_in = cos θ (x − cx) − sin θ (y − cy) + cx,  y_in = sin θ (x − cx) + cos θ (y − cy) + cy.

    Example:
        >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
        >>> turn = RandomRotation((0.25, 0.25), interpolation="nearest")   # always a quarter turn
        >>> turn(x, training=True)[0, :, :, 0].tolist() == np.rot90(x[0, :, :, 0]).tolist()
        True
    """

    def __init__(self, factor, fill_mode: str = "reflect", interpolation: str = "bilinear", seed: int | None = None,
                 fill_value: float = 0.0, **kwargs) -> None:
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         **kwargs)
        self.factor = factor
        self._range = _factor_range("factor", factor)

    def _matrices(self, count: int, height: int, width: int):
        angle = self._uniform(*self._range, count) * 2 * math.pi
        cos, sin = xp.cos(angle), xp.sin(angle)
        cx, cy = (width - 1) / 2, (height - 1) / 2
        return xp.stack([xp.stack([cos, -sin, cx - cx * cos + cy * sin], axis=1),
                         xp.stack([sin, cos, cy - cx * sin - cy * cos], axis=1)], axis=1)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor}


class RandomZoom(_RandomAffine):
    """Zooms each image about its centre by a random amount, in training only (Keras 3's RandomZoom).

    Args:
        height_factor: a number f (zoom amounts in [−f, f]) or a pair (lower, upper), in [−1, 1]; a positive
            amount zooms out (the image shrinks), a negative one zooms in: (−0.3, −0.2) enlarges by 20–30 %.
        width_factor: the same for the width; None (default) keeps the aspect ratio (the height's amount).
        fill_mode, interpolation, fill_value, seed: as for ``RandomTranslation``.

    Input shape / Output shape: (batch, height, width, channels), unchanged.
    Equations: z_h = 1 + U[lower, upper) per image (z_w likewise, or = z_h);
        x_in = z_w (x − cx) + cx,  y_in = z_h (y − cy) + cy, centre ((W − 1)/2, (H − 1)/2).

    Example:
        >>> zoom = RandomZoom(0.2, seed=0)
        >>> zoom(np.zeros((2, 28, 28, 1)), training=True).shape
        (2, 28, 28, 1)
    """

    def __init__(self, height_factor, width_factor=None, fill_mode: str = "reflect", interpolation: str = "bilinear",
                 seed: int | None = None, fill_value: float = 0.0, **kwargs) -> None:
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._height_range = _factor_range("height_factor", height_factor)
        self._width_range = None if width_factor is None else _factor_range("width_factor", width_factor)

    def _matrices(self, count: int, height: int, width: int):
        zoom_y = 1 + self._uniform(*self._height_range, count)
        zoom_x = zoom_y if self._width_range is None else 1 + self._uniform(*self._width_range, count)
        matrices = xp.zeros((count, 2, 3))
        matrices[:, 0, 0], matrices[:, 0, 2] = zoom_x, (width - 1) / 2 * (1 - zoom_x)
        matrices[:, 1, 1], matrices[:, 1, 2] = zoom_y, (height - 1) / 2 * (1 - zoom_y)
        return matrices

    def get_config(self) -> dict:
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}
