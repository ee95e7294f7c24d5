"""Sliding windows in 1, 2 or 3 spatial dimensions: the geometry every convolution and pooling shares.

Shapes, channels last, with r the rank (the number of spatial axes):
    rank 1  sequences  (batch, steps, C)
    rank 2  images     (batch, H, W, C)
    rank 3  volumes    (batch, D, H, W, C)
In a Tensor4D the last spatial axis is the width (axis 2) and the spatial axes before it are
folded into the height (axis 1): a sequence is ``(batch, 1, steps, C)``, an image
``(batch, H, W, C)``, a volume ``(batch, D·H, W, C)``. ``spatial_view`` unfolds it (a view, no
copy) and ``fold`` folds the result back. A rank-3 layer takes H and W from the feature
shape ``(D, H, W, C)`` it was built with (the depth is what is left). So far a rank-3 core is
built from that natural shape (``build_for``) and then receives the folded Tensor4D in
``forward``: ``Tensor4D.from_natural`` and ``Layer.__call__``'s shape check do not take 5-D
arrays yet; the public 3-D layers add that.

Per spatial axis of length n, window k, stride s and dilation d, the window covers
k_eff = (k − 1)·d + 1 inputs, and output size and padding follow TensorFlow:
    'valid'   out = floor((n − k_eff) / s) + 1, no padding
    'same'    out = ceil(n / s), total pad = max((out − 1)·s + k_eff − n, 0),
              the smaller half before, the extra one after
    'causal'  (rank 1) out = ceil(n / s), all the padding before: (k − 1)·d
Output o at window offset i reads input o·s + i·d − pad_before.

Padding is never materialised: for each window offset, ``windows`` gives the block of outputs
whose input at that offset lies inside the input, and that block of inputs. What falls in the
padding is simply left out (a zero for a convolution, −inf for a max, not counted for an
average). Which paddings a layer accepts is the layer's own check.
"""

from __future__ import annotations

import functools
import itertools
import math
from typing import NamedTuple

EXPECTED_SHAPES = {1: "(None, steps, C)", 2: "(None, H, W, C)", 3: "(None, D, H, W, C)"}
AXIS_NAMES = {1: ("steps",), 2: ("H", "W"), 3: ("D", "H", "W")}


class Axis(NamedTuple):
    """One spatial axis of a sliding window: lengths of input and output, padding, stride, dilation."""

    size: int
    out: int
    pad_before: int
    pad_after: int
    stride: int
    dilation: int = 1

    def window(self, offset: int) -> tuple[slice, slice]:
        """``(outputs, inputs)`` at window offset i: the outputs o with 0 <= o·s + i·d − pad_before < size.

        The inputs are the slice ``first·s + i·d − pad_before`` to the last such output, step s.
        """
        shift = offset * self.dilation - self.pad_before
        first = max(0, -(shift // self.stride))
        last = min(self.out, (self.size - 1 - shift) // self.stride + 1)
        if last <= first:  # this offset lies in the padding for every output
            return slice(0, 0), slice(0, 0)
        start = first * self.stride + shift
        return slice(first, last), slice(start, start + self.stride * (last - first - 1) + 1, self.stride)


def axis(size: int, window: int, stride: int, padding: str, dilation: int = 1) -> Axis:
    """The geometry of one spatial axis for 'valid', 'same' or 'causal' padding."""
    extent = (window - 1) * dilation + 1  # k_eff
    if padding == "valid":
        if size < extent:  # reached at run time by an input of variable length (None) that is too short
            raise ValueError(f"A window of {extent} (window {window}, dilation {dilation}) does not fit in an axis "
                             f"of length {size} with padding='valid': the input is too short; use padding='same'.")
        return Axis(size, (size - extent) // stride + 1, 0, 0, stride, dilation)
    out = -(-size // stride)
    if padding == "causal":
        return Axis(size, out, extent - 1, 0, stride, dilation)
    if padding != "same":
        raise ValueError(f"`padding` must be 'valid', 'same' or 'causal'. Received: padding={padding!r}")
    total = max((out - 1) * stride + extent - size, 0)
    return Axis(size, out, total // 2, total - total // 2, stride, dilation)


def geometry(spatial_shape: tuple, window: tuple, strides: tuple, padding: str,
             dilation: tuple | None = None) -> tuple[Axis, ...]:
    """One Axis per spatial axis (rank 1 to 3); ``dilation`` defaults to 1 on every axis."""
    rank = len(spatial_shape)
    if not 1 <= rank <= 3 or len(window) != rank or len(strides) != rank:
        raise ValueError(f"Expected 1 to 3 spatial axes with as many window sizes and strides. Received "
                         f"spatial_shape={spatial_shape}, window={window}, strides={strides}.")
    if padding == "causal" and rank != 1:
        raise ValueError(f"padding='causal' is for sequences (rank 1). Received rank {rank}.")
    dilation = (1,) * rank if dilation is None else tuple(dilation)
    return tuple(axis(n, k, s, padding, d) for n, k, s, d in zip(spatial_shape, window, strides, dilation))


def transpose_length(size: int | None, window: int, stride: int, padding: str, output_padding: int | None,
                     dilation: int = 1) -> int | None:
    """The output length of a transposed convolution, as Keras' ``compute_conv_transpose_output_shape``.

    With k_eff = (window − 1)·dilation + 1 and p the output padding:
        'valid'  (n − 1)·s + k_eff + p, p defaulting to max(s − k_eff, 0), so n·s + max(k_eff − s, 0)
        'same'   n·s, or (n − 1)·s + (k_eff mod 2) + p when p is given
    The transposed convolution's geometry is then ``axis(length, ...)``: the convolution that maps
    ``length`` back to ``size``. None (a variable length) gives None.
    """
    if size is None:
        return None
    extent = (window - 1) * dilation + 1
    if padding == "valid":
        return (size - 1) * stride + extent + (max(stride - extent, 0) if output_padding is None else output_padding)
    return size * stride if output_padding is None else (size - 1) * stride + extent % 2 + output_padding


def output_shape(axes: tuple[Axis, ...]) -> tuple[int, ...]:
    """The output's spatial shape."""
    return tuple(a.out for a in axes)


def output_lengths(spatial_shape: tuple, window: tuple, strides: tuple, padding: str,
                   dilation: tuple | None = None) -> tuple:
    """The output's spatial shape for an input shape that may hold None (a variable length: None out)."""
    dilation = (1,) * len(spatial_shape) if dilation is None else tuple(dilation)
    return tuple(None if n is None else axis(n, k, s, padding, d).out
                 for n, k, s, d in zip(spatial_shape, window, strides, dilation))


def is_padded(axes: tuple[Axis, ...]) -> bool:
    """Whether some window reaches into the padding."""
    return any(a.pad_before or a.pad_after for a in axes)


@functools.lru_cache(maxsize=256)
def windows(axes: tuple[Axis, ...], window: tuple) -> tuple[tuple[tuple, tuple, tuple], ...]:
    """Every window offset in row-major order, as ``(offset, out_slices, in_slices)``.

    ``x[(batch, *in_slices, channels)]`` is what the outputs ``y[(batch, *out_slices, channels)]``
    see at window offset ``offset`` (e.g. (i, j) in 2-D). Cached: layers call it every step.
    """
    per_axis = [[(i,) + a.window(i) for i in range(k)] for a, k in zip(axes, window)]
    return tuple(
        (tuple(i for i, _, _ in picks), tuple(out for _, out, _ in picks), tuple(inp for _, _, inp in picks))
        for picks in itertools.product(*per_axis)
    )


def check_spatial_shape(layer, input_shape: tuple, rank: int, window: tuple, padding: str,
                        window_name: str, dilation: tuple | None = None) -> tuple:
    """Return ``(*spatial, C)`` from a feature shape, or raise a ValueError naming the expected shape.

    A rank-1 layer also accepts the Tensor4D feature shape ``(1, steps, C)`` of a sequence.
    """
    input_shape = tuple(input_shape)
    kind, expected = type(layer).__name__, EXPECTED_SHAPES[rank]
    if rank == 1 and len(input_shape) == 3 and input_shape[0] == 1:
        input_shape = input_shape[1:]
    if len(input_shape) != rank + 1:
        raise ValueError(
            f"{kind} '{layer.name}' expects inputs of shape {expected}. "
            f"Received input shape {(None,) + input_shape}."
        )
    dilation = (1,) * rank if dilation is None else tuple(dilation)
    extents = tuple((k - 1) * d + 1 for k, d in zip(window, dilation))
    if padding == "valid" and any(n is not None and n < e for n, e in zip(input_shape, extents)):
        needs = " and ".join(f"{name} >= {e}" for name, e in zip(AXIS_NAMES[rank], extents))
        raise ValueError(
            f"{kind} '{layer.name}' with padding='valid' needs inputs of shape {expected} with "
            f"{needs} ({window_name}={window}). Received input shape {(None,) + input_shape}."
        )
    return input_shape


def spatial_view(data, rank: int, plane: tuple | None = None):
    """The Tensor4D array ``(batch, h, w, C)`` as ``(batch, *spatial, C)`` for a rank-``rank`` layer (a view).

    ``plane`` is ``(H, W)`` of a volume, from the feature shape ``(D, H, W, C)`` the layer was built
    with; the depth D is what is left. Ranks 1 and 2 read everything from ``data`` itself.
    """
    if rank == 2:
        return data
    n, channels = data.shape[0], data.shape[3]
    if rank == 1:
        return data.reshape(n, data.shape[1] * data.shape[2], channels)
    return data.reshape(n, -1, *plane, channels)


def fold(array):
    """``(batch, *spatial, C)`` as the Tensor4D array ``(batch, prod(spatial[:-1]), spatial[-1], C)``."""
    n, *spatial, channels = array.shape
    return array.reshape(n, math.prod(spatial[:-1]), spatial[-1], channels)
