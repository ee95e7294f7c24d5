"""Private helpers shared by the 2-D convolution and pooling layers.

Output size and padding follow TensorFlow, per spatial axis of length n,
window k and stride s:
    'valid'  out = floor((n − k) / s) + 1, no padding
    'same'   out = ceil(n / s), total pad = max((out − 1)·s + k − n, 0),
             the smaller half before (top/left), the extra pixel after (bottom/right)

Padding is never materialised: for each window offset, ``windows`` gives
the block of outputs whose input at that offset lies inside the image, and
that block of inputs. What falls in the padding is simply left out (a zero
for a convolution, −inf for a max, not counted for an average).
"""

from __future__ import annotations

from typing import NamedTuple


class Axis(NamedTuple):
    """One spatial axis of a sliding window: lengths of input and output, padding, stride."""

    size: int
    out: int
    pad_before: int
    pad_after: int
    stride: int

    def window(self, offset: int) -> tuple[slice, slice]:
        """``(outputs, inputs)``: the outputs o with 0 <= o·s + offset − pad_before < size, and those inputs."""
        first = max(0, -(-(self.pad_before - offset) // self.stride))
        last = max(first, min(self.out, (self.size - 1 + self.pad_before - offset) // self.stride + 1))
        start = first * self.stride + offset - self.pad_before
        return slice(first, last), slice(start, start + self.stride * (last - first - 1) + 1, self.stride)


def axis(size: int, window: int, stride: int, padding: str) -> Axis:
    """The geometry of one spatial axis for 'valid' or 'same' padding."""
    if padding == "valid":
        return Axis(size, (size - window) // stride + 1, 0, 0, stride)
    out = -(-size // stride)
    total = max((out - 1) * stride + window - size, 0)
    return Axis(size, out, total // 2, total - total // 2, stride)


def geometry(height: int, width: int, window: tuple, strides: tuple, padding: str) -> tuple[Axis, Axis]:
    """``(rows, cols)``: the Axis of the height and of the width."""
    return axis(height, window[0], strides[0], padding), axis(width, window[1], strides[1], padding)


def is_padded(rows: Axis, cols: Axis) -> bool:
    """Whether some window reaches into the padding."""
    return bool(rows.pad_before or rows.pad_after or cols.pad_before or cols.pad_after)


def windows(rows: Axis, cols: Axis, window: tuple) -> list[tuple]:
    """Every window offset in row-major order, as ``(i, j, out_rows, out_cols, in_rows, in_cols)``.

    ``x[:, in_rows, in_cols, :]`` is what the outputs ``[:, out_rows, out_cols, :]`` see at offset (i, j).
    """
    result = []
    for i in range(window[0]):
        out_rows, in_rows = rows.window(i)
        for j in range(window[1]):
            out_cols, in_cols = cols.window(j)
            result.append((i, j, out_rows, out_cols, in_rows, in_cols))
    return result


def check_image_shape(layer, input_shape: tuple, window: tuple, padding: str, window_name: str) -> tuple:
    """Return ``(H, W, C)`` from a feature shape, or raise a ValueError naming the expected shape."""
    input_shape = tuple(input_shape)
    kind = type(layer).__name__
    if len(input_shape) != 3:
        raise ValueError(
            f"{kind} '{layer.name}' expects inputs of shape (None, H, W, C). "
            f"Received input shape {(None,) + input_shape}."
        )
    height, width, _ = input_shape
    if padding == "valid" and (height < window[0] or width < window[1]):
        raise ValueError(
            f"{kind} '{layer.name}' with padding='valid' needs inputs of shape (None, H, W, C) with "
            f"H >= {window[0]} and W >= {window[1]} ({window_name}={window}). "
            f"Received input shape {(None,) + input_shape}."
        )
    return input_shape
