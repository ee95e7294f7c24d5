"""Zero padding, cropping and upsampling of every rank, written once: the public layers by rank beside it.

Private cores ``_ZeroPadding``, ``_Cropping`` and ``_UpSampling`` take the rank (1 or 2 spatial
axes here) as first argument. Shapes, channels last (see ``_windows``):
    input   x  (N, *spatial, C)   a sequence is the Tensor4D (N, 1, steps, C)
    output  y  (N, *out, C)
Zero padding and cropping are each other's adjoint: the forward of one is the backward of the other.
Upsampling is linear too: its backward applies the transposed interpolation.
"""

from __future__ import annotations

from numbers import Integral

from ...backend import xp
from ...tensor import Tensor4D
from .. import _windows
from ...validation import check_one_of, normalize_data_format, normalize_tuple
from ..base import Layer


def normalize_pairs(name: str, value, rank: int) -> tuple[tuple[int, int], ...]:
    """((before, after), …) per spatial axis, as Keras reads ``padding`` and ``cropping``.

    Rank 1: an integer n (n before and after) or a tuple (before, after). Rank 2: an integer n,
    a tuple of 2 integers (symmetric per axis), or a tuple of 2 tuples ((top, bottom), (left, right)).
    """
    if rank == 1:
        return (normalize_tuple(name, value, 2, allow_zero=True),)
    if isinstance(value, Integral) and not isinstance(value, bool):
        value = (value,) * rank
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"`{name}` must be an integer, a tuple of {rank} integers or a tuple of {rank} "
                        f"(before, after) pairs. Received: {name}={value!r}")
    if len(value) != rank:
        raise ValueError(f"`{name}` must have {rank} entries, one per spatial axis. Received: {name}={value!r}")
    return tuple(normalize_tuple(name, entry, 2, allow_zero=True) for entry in value)


def _inner(pairs: tuple, padded_shape: tuple) -> tuple:
    """The slices of the unpadded part inside ``(N, *padded spatial, C)``."""
    every = slice(None)
    return (every, *(slice(before, n - after) for (before, after), n in zip(pairs, padded_shape[1:-1])), every)


def _pad(x, pairs: tuple):
    """``x`` (N, *spatial, C) with zeros added around each spatial axis."""
    n, *spatial, channels = x.shape
    y = xp.zeros((n, *(size + before + after for size, (before, after) in zip(spatial, pairs)), channels),
                 dtype=x.dtype)
    y[_inner(pairs, y.shape)] = x
    return y


def _crop(x, pairs: tuple):
    """``x`` (N, *spatial, C) without its first ``before`` and last ``after`` entries on each spatial axis."""
    return x[_inner(pairs, x.shape)]


class _Reshaping(Layer):
    """What the three cores share: the rank, the channels-last check, and a (N, *spatial, C) view.

    ``data_format`` is in the config of the public layers that take it (Keras' 1-D cropping and
    upsampling do not).
    """

    def __init__(self, rank: int, data_format=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rank = rank
        self.data_format = normalize_data_format(data_format)

    def _check_input(self, input_shape: tuple) -> tuple:
        return _windows.check_spatial_shape(self, input_shape, self.rank, (1,) * self.rank, "valid", "size")

    def _view(self, x: Tensor4D):
        return _windows.spatial_view(x.data, self.rank)

    def _pairs_config(self, pairs: tuple) -> tuple:
        """Pairs as Keras' config writes them: (before, after) in 1-D, ((top, bottom), (left, right)) in 2-D."""
        return pairs[0] if self.rank == 1 else pairs


class _ZeroPadding(_Reshaping):
    """Zeros added before and after each spatial axis.

    Equations: y = x̄, the input inside a frame of zeros; dL/dx = dL/dy without the frame.
    """

    def __init__(self, rank: int, padding, data_format=None, **kwargs) -> None:
        super().__init__(rank, data_format, **kwargs)
        self.padding = normalize_pairs("padding", padding, rank)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        *spatial, channels = self._check_input(input_shape)
        return tuple(None if n is None else n + sum(pair) for n, pair in zip(spatial, self.padding)) + (channels,)

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        return Tensor4D(_windows.fold(_pad(self._view(x), self.padding)))

    def backward(self, grad: Tensor4D) -> Tensor4D:
        return Tensor4D(_windows.fold(_crop(self._view(grad), self.padding)))

    def get_config(self) -> dict:
        return {**super().get_config(), "padding": self._pairs_config(self.padding)}


class _Cropping(_Reshaping):
    """Entries removed at the start and end of each spatial axis.

    Equations: y = x without its first ``before`` and last ``after`` entries per axis;
    dL/dx = dL/dy inside a frame of zeros (where the cropped entries were).
    """

    def __init__(self, rank: int, cropping, data_format=None, **kwargs) -> None:
        super().__init__(rank, data_format, **kwargs)
        self.cropping = normalize_pairs("cropping", cropping, rank)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        *spatial, channels = self._check_input(input_shape)
        if any(n is not None and n <= sum(pair) for n, pair in zip(spatial, self.cropping)):
            raise ValueError(f"{type(self).__name__} '{self.name}': cropping={self.cropping} leaves nothing of an "
                             f"input of shape {(None, *spatial, channels)}: crop less than each spatial length.")
        return tuple(None if n is None else n - sum(pair) for n, pair in zip(spatial, self.cropping)) + (channels,)

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        x = self._view(x)
        self.compute_output_shape(x.shape[1:])
        return Tensor4D(_windows.fold(_crop(x, self.cropping).copy()))

    def backward(self, grad: Tensor4D) -> Tensor4D:
        return Tensor4D(_windows.fold(_pad(self._view(grad), self.cropping)))

    def get_config(self) -> dict:
        return {**super().get_config(), "cropping": self._pairs_config(self.cropping)}


def resize_matrix(size: int, target: int, interpolation: str, dtype):
    """A (target, size) with y = A x: TensorFlow's resize of one axis from ``size`` to ``target`` entries
    (half-pixel centres, no antialias).

    Output o reads the input coordinate c = (o + ½)·size/target:
        'bilinear'  u = c − ½: the entries ⌊u⌋ and ⌈u⌉, clamped to [0, size − 1], with weights 1 − (u − ⌊u⌋)
                    and u − ⌊u⌋ (TensorFlow's ``compute_interpolation_weights``; in float64 here, exact, where
                    TensorFlow rounds the weights to float32)
        'nearest'   the entry min(⌊c⌋, size − 1) (``resize_nearest_neighbor``), c computed in float32 as
                    TensorFlow does, so that the chosen entry is TensorFlow's also where c rounds to an integer
    The backward of y = A x is dL/dx = Aᵀ dL/dy.
    """
    rows = xp.arange(target)
    matrix = xp.zeros((target, size), dtype=dtype)
    if interpolation == "nearest":
        centres = (rows.astype(xp.float32) + xp.float32(0.5)) * (xp.float32(size) / xp.float32(target))
        matrix[rows, xp.minimum(xp.floor(centres).astype(int), size - 1)] = 1
        return matrix
    u = (rows + 0.5) * (size / target) - 0.5
    below = xp.floor(u)
    lerp = u - below
    xp.add.at(matrix, (rows, xp.clip(below, 0, size - 1).astype(int)), 1 - lerp)
    xp.add.at(matrix, (rows, xp.clip(xp.ceil(u), 0, size - 1).astype(int)), lerp)
    return matrix


def resize_axes(x, matrices: list, transpose: bool = False):
    """``x`` (N, *spatial, C) with spatial axis i mapped by matrices[i] (y = A x along it; Aᵀ with ``transpose``)."""
    for axis, matrix in enumerate(matrices, start=1):
        x = xp.moveaxis(xp.tensordot(matrix.T if transpose else matrix, x, axes=(1, axis)), 0, axis)
    return xp.ascontiguousarray(x)


class _UpSampling(_Reshaping):
    """Each spatial axis made ``size`` times longer, by repetition ('nearest') or linear interpolation ('bilinear').

    Equations, per spatial axis of length n and factor s:
        nearest   y[o] = x[⌊o / s⌋];   dL/dx[i] = Σ_{o = i·s}^{i·s + s − 1} dL/dy[o]
        bilinear  y = A x along the axis, A (n·s, n) from ``resize_matrix``;   dL/dx = Aᵀ dL/dy
    The axes are independent: the 2-D bilinear resize is A_h x A_wᵀ on each channel.
    """

    def __init__(self, rank: int, size, interpolation: str = "nearest", data_format=None, **kwargs) -> None:
        super().__init__(rank, data_format, **kwargs)
        self.size = normalize_tuple("size", size, rank)
        self.interpolation = check_one_of("interpolation", interpolation, ("nearest", "bilinear"), ignore_case=True)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        *spatial, channels = self._check_input(input_shape)
        return tuple(None if n is None else n * s for n, s in zip(spatial, self.size)) + (channels,)

    def _matrices(self, spatial: tuple, dtype) -> list:
        return [resize_matrix(n, n * s, "bilinear", dtype) for n, s in zip(spatial, self.size)]

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        x = self._view(x)  # (N, *spatial, C)
        self._spatial = x.shape[1:-1]
        if self.interpolation == "nearest":  # (N, n₁, 1, n₂, 1, C) broadcast to (N, n₁, s₁, n₂, s₂, C)
            spread = (slice(None),) + (slice(None), None) * self.rank + (slice(None),)
            tiles = (x.shape[0],) + sum(zip(self._spatial, self.size), ()) + (x.shape[-1],)
            y = xp.broadcast_to(x[spread], tiles)
        else:
            y = resize_axes(x, self._matrices(self._spatial, x.dtype))
        out = tuple(n * s for n, s in zip(self._spatial, self.size))
        return Tensor4D(_windows.fold(xp.ascontiguousarray(y).reshape(x.shape[0], *out, x.shape[-1])))

    def backward(self, grad: Tensor4D) -> Tensor4D:
        n, channels = grad.shape[0], grad.shape[-1]
        if self.interpolation == "nearest":
            tiles = (n,) + sum(zip(self._spatial, self.size), ()) + (channels,)
            dx = grad.data.reshape(tiles).sum(axis=tuple(range(2, 2 * self.rank + 1, 2)))
        else:
            dx = grad.data.reshape(n, *(m * s for m, s in zip(self._spatial, self.size)), channels)
            dx = resize_axes(dx, self._matrices(self._spatial, grad.dtype), transpose=True)
        return Tensor4D(_windows.fold(xp.ascontiguousarray(dx)))

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size[0] if len(self.size) == 1 else self.size}  # Keras' forms
