"""Max, average and global pooling of every rank, written once over the offsets of the window.

Private cores: ``_MaxPooling``, ``_AveragePooling``, ``_GlobalMaxPooling`` and
``_GlobalAveragePooling`` take the rank (1, 2 or 3 spatial axes) as first argument; the
public 2-D layers (``pooling2d.py``) are their rank-2 subclasses. Shapes, channels last:
    input   x  (N, *spatial, C)   as a Tensor4D: see ``_windows`` (a sequence is (N, 1, steps, C))
    output  y  (N, *out, C)       global pooling: (N, C), in a Tensor4D (N, 1, 1, C)
Each loop below runs over the window offsets (at most prod(pool_size) of them), never over
samples or positions: every step handles the whole batch.
"""

from __future__ import annotations

import math

from ...backend import xp
from ...tensor import Tensor4D
from .. import _windows
from ...validation import normalize_padding, normalize_tuple
from ..base import Layer


class _Pooling(Layer):
    """Shared arguments, shapes and window geometry of max and average pooling of rank 1, 2 or 3."""

    def __init__(self, rank: int, pool_size, strides=None, padding: str = "valid", **kwargs) -> None:
        super().__init__(**kwargs)
        self.rank = rank
        self.pool_size = normalize_tuple("pool_size", pool_size, rank)
        self.strides = self.pool_size if strides is None else normalize_tuple("strides", strides, rank)
        self.padding = normalize_padding(padding)
        self._plane = None  # (H, W) of a volume, from the shape built for (rank 3, see _windows)

    def _check_input(self, input_shape: tuple) -> tuple:
        return _windows.check_spatial_shape(self, input_shape, self.rank, self.pool_size, self.padding, "pool_size")

    def build(self, input_shape: tuple) -> None:
        *spatial, _ = self._check_input(input_shape)
        if self.rank == 3:
            self._plane = tuple(spatial[1:])

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        *spatial, channels = self._check_input(input_shape)
        return _windows.output_lengths(tuple(spatial), self.pool_size, self.strides, self.padding) + (channels,)

    def _windows(self, spatial_shape: tuple) -> tuple:
        """``(axes, offsets, tiled)``; tiled: the windows partition the input exactly."""
        axes = _windows.geometry(spatial_shape, self.pool_size, self.strides, self.padding)
        tiled = self.strides == self.pool_size and all(a.out * a.stride == a.size for a in axes)
        return axes, _windows.windows(axes, self.pool_size), tiled

    def _view(self, x: Tensor4D):
        """The Tensor4D's array as (N, *spatial, C), a view."""
        return _windows.spatial_view(x.data, self.rank, self._plane)

    def get_config(self) -> dict:
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides, "padding": self.padding}


class _MaxPooling(_Pooling):
    """Maximum over each window; ties give the whole gradient to the first in row-major order (as TensorFlow)."""

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        x = self._view(x)  # (N, *spatial, C)
        axes, offsets, _ = self._windows(x.shape[1:-1])
        every = slice(None)
        if _windows.is_padded(axes):
            y = xp.full((x.shape[0],) + _windows.output_shape(axes) + (x.shape[-1],), -xp.inf, dtype=x.dtype)
        else:  # the first offset covers every output
            y = x[(every, *offsets[0][2], every)].copy()
            offsets = offsets[1:]
        for _, outs, ins in offsets:
            block = y[(every, *outs, every)]
            xp.maximum(block, x[(every, *ins, every)], out=block)
        self._x, self._y = x, y
        return Tensor4D(_windows.fold(y))

    def backward(self, grad: Tensor4D) -> Tensor4D:
        x, y = self._x, self._y
        g = grad.data.reshape(y.shape)  # (N, *out, C)
        axes, offsets, tiled = self._windows(x.shape[1:-1])
        # Every input is in exactly one window when tiled: each is written once, no zeroing needed.
        dx = xp.empty(x.shape, dtype=g.dtype) if tiled else xp.zeros(x.shape, dtype=g.dtype)

        free = xp.ones(y.shape, dtype=bool)  # windows whose maximum is not yet claimed
        hit = xp.empty(y.shape, dtype=bool)
        every = slice(None)
        for _, outs, ins in offsets:
            block = (every, *outs, every)
            inputs = (every, *ins, every)
            mask = hit[block]
            xp.equal(x[inputs], y[block], out=mask)
            mask &= free[block]
            free[block] ^= mask
            if tiled:
                xp.multiply(g, mask, out=dx[inputs])
            else:
                dx[inputs] += g[block] * mask
        return Tensor4D(_windows.fold(dx))


class _AveragePooling(_Pooling):
    """Mean over the in-input part of each window (under 'same', padding is not counted, as TensorFlow)."""

    def _counts(self, axes, offsets, dtype):
        """|W(o)| as an array broadcasting against (N, *out, C), or a number when all are equal."""
        if not _windows.is_padded(axes):
            return math.prod(self.pool_size)
        counts = xp.zeros(_windows.output_shape(axes) + (1,), dtype=dtype)
        for _, outs, _ in offsets:
            counts[outs] += 1
        return counts

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        x = self._view(x)  # (N, *spatial, C)
        axes, offsets, _ = self._windows(x.shape[1:-1])
        y = xp.zeros((x.shape[0],) + _windows.output_shape(axes) + (x.shape[-1],), dtype=x.dtype)
        every = slice(None)
        for _, outs, ins in offsets:
            y[(every, *outs, every)] += x[(every, *ins, every)]
        y /= self._counts(axes, offsets, x.dtype)
        self._x_shape = x.shape
        return Tensor4D(_windows.fold(y))

    def backward(self, grad: Tensor4D) -> Tensor4D:
        n, *spatial, channels = self._x_shape
        axes, offsets, tiled = self._windows(tuple(spatial))
        out = _windows.output_shape(axes)
        share = grad.data.reshape((n, *out, channels)) / self._counts(axes, offsets, grad.dtype)  # (N, *out, C)
        if tiled:  # each input gets its one window's share: (N, o₁, 1, o₂, 1, …, C) → (N, o₁, p₁, …, C)
            spread = (slice(None),) + (slice(None), None) * self.rank + (slice(None),)
            tiles = (n,) + sum(zip(out, self.pool_size), ()) + (channels,)
            return Tensor4D(_windows.fold(xp.broadcast_to(share[spread], tiles).reshape(self._x_shape)))
        dx = xp.zeros(self._x_shape, dtype=share.dtype)
        every = slice(None)
        for _, outs, ins in offsets:
            dx[(every, *ins, every)] += share[(every, *outs, every)]
        return Tensor4D(_windows.fold(dx))


class _GlobalPooling(Layer):
    """Shared arguments and shapes of the global poolings of rank 1, 2 or 3."""

    def __init__(self, rank: int, keepdims: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        if not isinstance(keepdims, bool):
            raise TypeError(f"`keepdims` must be a bool. Received: keepdims={keepdims!r}")
        self.rank = rank
        self.keepdims = keepdims
        self._plane = None

    def _check_input(self, input_shape: tuple) -> tuple:
        return _windows.check_spatial_shape(self, input_shape, self.rank, (1,) * self.rank, "valid", "pool_size")

    def build(self, input_shape: tuple) -> None:
        *spatial, _ = self._check_input(input_shape)
        if self.rank == 3:
            self._plane = tuple(spatial[1:])

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        channels = self._check_input(input_shape)[-1]
        return (1,) * self.rank + (channels,) if self.keepdims else (channels,)

    def _view(self, x: Tensor4D):
        """The Tensor4D's array as (N, *spatial, C), and the spatial axes to reduce."""
        return _windows.spatial_view(x.data, self.rank, self._plane), tuple(range(1, self.rank + 1))

    def get_config(self) -> dict:
        return {**super().get_config(), "keepdims": self.keepdims}


class _GlobalMaxPooling(_GlobalPooling):
    """Maximum over all positions; tied maxima share the gradient equally (as TensorFlow's reduce_max)."""

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        self._x, spatial = self._view(x)
        self._y = self._x.max(axis=spatial, keepdims=True)  # (N, 1, …, 1, C)
        return Tensor4D(_windows.fold(self._y))

    def backward(self, grad: Tensor4D) -> Tensor4D:
        spatial = tuple(range(1, self.rank + 1))
        mask = self._x == self._y
        ties = mask.sum(axis=spatial, keepdims=True).astype(grad.dtype)
        return Tensor4D(_windows.fold(mask * (grad.data.reshape(self._y.shape) / ties)))


class _GlobalAveragePooling(_GlobalPooling):
    """Mean over all positions; a masked sequence (rank 1) averages its unmasked steps only, as Keras."""

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        data, spatial = self._view(x)
        self._x_shape = data.shape
        self._step_weights = None
        if x.mask is not None and self.rank == 1:  # wₜ = mₜ / Σ m (0 for masked steps; a row all masked gives 0)
            keep = x.mask.reshape(data.shape[:2] + (1,)).astype(data.dtype)
            self._step_weights = keep / xp.maximum(keep.sum(axis=1, keepdims=True), 1)
            return Tensor4D(_windows.fold((data * self._step_weights).sum(axis=1, keepdims=True)))
        return Tensor4D(_windows.fold(data.mean(axis=spatial, keepdims=True)))

    def backward(self, grad: Tensor4D) -> Tensor4D:
        n, *spatial, channels = self._x_shape
        share = grad.data.reshape((n,) + (1,) * self.rank + (channels,))
        if self._step_weights is not None:
            return Tensor4D(_windows.fold(share * self._step_weights))
        return Tensor4D(_windows.fold(xp.broadcast_to(share / math.prod(spatial), self._x_shape).copy()))
