"""Shape ops: reshape, transpose, expand_dims, squeeze, broadcast_to, concatenate, stack, split, take,
take_along_axis, and indexing. Their VJPs move the gradient back into the input's layout; ``unbroadcast``
sums it back over the axes broadcasting added, for every binary op."""

from __future__ import annotations

import numpy as np

from . import reductions
from ._define import op


def unbroadcast(grad, shape: tuple):
    """``grad`` summed back to ``shape``: over the leading axes broadcasting added, and the axes of length 1
    it stretched (the VJP of broadcasting, shared by every binary op).

    Example:
        >>> unbroadcast(np.ones((2, 3)), (3,))
        array([2., 2., 2.])
    """
    shape = tuple(shape)
    if np.shape(grad) == shape:
        return grad
    extra = np.ndim(grad) - len(shape)
    stretched = tuple(extra + i for i, n in enumerate(shape) if n == 1 and np.shape(grad)[extra + i] != 1)
    return reshape(reductions.sum(grad, axis=tuple(range(extra)) + stretched), shape)


@op(lambda g, y, x, newshape: [reshape(g, np.shape(x))], method="reshape", functions=(np.reshape,))
def reshape(x, newshape):
    """``x`` with the shape ``newshape`` (one axis may be -1). Gradient: dL/dy reshaped to x's shape.

    Example:
        >>> reshape(np.arange(6.0), (2, 3)).shape
        (2, 3)
    """
    return np.reshape(x, newshape)


def _transpose_vjp(g, y, x, axes):
    return [transpose(g, None if axes is None else tuple(np.argsort(axes)))]


@op(_transpose_vjp, method="transpose", functions=(np.transpose,))
def transpose(x, axes=None):
    """``x`` with its axes permuted (reversed if ``axes`` is None). Gradient: dL/dy permuted back.

    Example:
        >>> transpose(np.zeros((2, 3, 4)), (2, 0, 1)).shape
        (4, 2, 3)
    """
    return np.transpose(x, axes)


@op(lambda g, y, x, axis: [reshape(g, np.shape(x))], functions=(np.expand_dims,))
def expand_dims(x, axis):
    """``x`` with a new axis of length 1 at ``axis``. Gradient: dL/dy reshaped to x's shape.

    Example:
        >>> expand_dims(np.zeros((2, 3)), -1).shape
        (2, 3, 1)
    """
    return np.expand_dims(x, axis)


@op(lambda g, y, x, axis: [reshape(g, np.shape(x))], functions=(np.squeeze,), method="squeeze")
def squeeze(x, axis=None):
    """``x`` without its axes of length 1 (or only ``axis``). Gradient: dL/dy reshaped to x's shape.

    Example:
        >>> squeeze(np.zeros((2, 1, 3))).shape
        (2, 3)
    """
    return np.squeeze(x, axis)


@op(lambda g, y, x, shape: [unbroadcast(g, np.shape(x))], functions=(np.broadcast_to,))
def broadcast_to(x, shape):
    """``x`` broadcast to ``shape``. Gradient: dL/dy summed back over the broadcast axes (``unbroadcast``).

    Example:
        >>> broadcast_to(np.array([1.0, 2.0]), (3, 2)).shape
        (3, 2)
    """
    return np.broadcast_to(x, shape)


def _pieces(g, axis: int, sizes) -> list:
    """``g`` cut along ``axis`` into consecutive pieces of the given sizes (the VJP of concatenation)."""
    axis = axis % np.ndim(g)
    bounds = np.cumsum([0, *sizes])
    return [_getitem(g, (slice(None),) * axis + (slice(int(a), int(b)),)) for a, b in zip(bounds[:-1], bounds[1:])]


@op(lambda g, y, xs, axis: [_pieces(g, axis, [np.shape(x)[axis] for x in xs])], functions=(np.concatenate,))
def concatenate(xs, axis=0):
    """The arrays ``xs`` joined along ``axis``. Gradient: dL/dy cut back into the pieces.

    Example:
        >>> concatenate([np.zeros((2, 3)), np.ones((1, 3))]).shape
        (3, 3)
    """
    return np.concatenate(xs, axis=axis)


def _stack_vjp(g, y, x, axis):
    axis = axis % np.ndim(g)
    return [[_getitem(g, (slice(None),) * axis + (i,)) for i in range(len(x))]]


@op(_stack_vjp, functions=(np.stack,))
def stack(x, axis=0):
    """The arrays ``x`` (a list) stacked along a new axis ``axis``. Gradient: dL/dy indexed along it.

    Example:
        >>> stack([np.zeros(3), np.ones(3)], axis=1).shape
        (3, 2)
    """
    return np.stack(x, axis=axis)


def split(x, indices_or_sections, axis=0) -> list:
    """``x`` cut along ``axis`` into equal sections (an int) or at the given indices: a list of arrays,
    each an indexing of ``x`` (so each is differentiable).

    Example:
        >>> [p.shape for p in split(np.zeros((4, 2)), 2)]
        [(2, 2), (2, 2)]
    """
    axis = axis % np.ndim(x)
    ranges = np.split(np.arange(np.shape(x)[axis]), indices_or_sections)
    return [_getitem(x, (slice(None),) * axis + (slice(int(r[0]) if len(r) else 0, int(r[-1]) + 1 if len(r) else 0),))
            for r in ranges]


def take(x, indices, axis=None):
    """Elements of ``x`` at ``indices`` along ``axis`` (of the flattened ``x`` if None), as ``np.take``;
    an indexing of ``x``, so its gradient scatter-adds dL/dy into zeros (repeated indices add up).

    Example:
        >>> take(np.array([[1.0, 2.0], [3.0, 4.0]]), [1, 1], axis=1).tolist()
        [[2.0, 2.0], [4.0, 4.0]]
    """
    indices = np.asarray(indices)
    if axis is None:
        return _getitem(reshape(x, -1), indices)
    return _getitem(x, (slice(None),) * (axis % np.ndim(x)) + (indices,))


def take_along_axis(x, indices, axis=None):
    """``x`` indexed along ``axis`` by ``indices`` of the same rank, as ``np.take_along_axis`` (the
    flattened ``x`` if ``axis`` is None); its gradient scatter-adds dL/dy into zeros.

    Example:
        >>> take_along_axis(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1], [0]]), axis=1).tolist()
        [[2.0], [3.0]]
    """
    indices = np.asarray(indices)
    if axis is None:
        return _getitem(reshape(x, -1), indices)
    axis = axis % np.ndim(x)
    shape = np.broadcast_shapes(np.shape(x)[:axis] + (1,) + np.shape(x)[axis + 1:],
                                indices.shape[:axis] + (1,) + indices.shape[axis + 1:])
    grid = list(np.ogrid[tuple(slice(n) for n in shape)])
    grid[axis] = indices
    return _getitem(x, tuple(grid))


def _is_basic(key) -> bool:
    """Whether ``key`` indexes by slices, integers, None and Ellipsis only (no index arrays)."""
    parts = key if isinstance(key, tuple) else (key,)
    return all(p is None or p is Ellipsis or isinstance(p, (slice, int, np.integer)) and not isinstance(p, bool)
               for p in parts)


@op(lambda g, y, grad, key, shape: [_getitem(g, key)])
def _scatter_add(grad, key, shape):
    """Zeros of ``shape`` with ``grad`` added at ``key`` (repeated indices add up): the VJP of indexing."""
    zeros = np.zeros(shape, dtype=np.result_type(grad))
    if _is_basic(key):
        zeros[key] = grad
    else:
        np.add.at(zeros, key, grad)
    return zeros


@op(lambda g, y, x, key: [_scatter_add(g, key, np.shape(x))], method="getitem")
def _getitem(x, key):
    """``x[key]`` (Traced's indexing). Gradient: dL/dy scatter-added into zeros of x's shape."""
    return np.asarray(x)[key]


@op(lambda g, y, x, axis: [flip(g, axis)], functions=(np.flip,))
def flip(x, axis=None):
    """``x`` reversed along ``axis`` (every axis if None). Gradient: dL/dx = dL/dy flipped back.

    Example:
        >>> flip(np.array([1.0, 2.0, 3.0])).tolist()
        [3.0, 2.0, 1.0]
    """
    return np.flip(x, axis=axis)


@op(lambda g, y, x, shift, axis: [roll(g, np.negative(shift), axis)], functions=(np.roll,))
def roll(x, shift, axis=None):
    """``x`` shifted by ``shift`` along ``axis``, wrapping around (flattened if None). Gradient: dL/dy rolled by −shift.

    Example:
        >>> roll(np.array([1.0, 2.0, 3.0]), 1).tolist()
        [3.0, 1.0, 2.0]
    """
    return np.roll(x, shift, axis=axis)


def swapaxes(x, axis1, axis2):
    """``x`` with two axes exchanged: a transpose, so its gradient is dL/dy swapped back.

    Example:
        >>> swapaxes(np.zeros((2, 3)), 0, 1).shape
        (3, 2)
    """
    axes = list(range(np.ndim(x)))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(x, axes)


def moveaxis(x, source, destination):
    """``x`` with axes ``source`` moved to ``destination`` (as ``np.moveaxis``): a transpose, so its gradient is
    dL/dy transposed back.

    Example:
        >>> moveaxis(np.zeros((2, 3, 4)), 0, -1).shape
        (3, 4, 2)
    """
    ndim = np.ndim(x)
    source = [a % ndim for a in np.atleast_1d(source).tolist()]
    destination = [a % ndim for a in np.atleast_1d(destination).tolist()]
    axes = [a for a in range(ndim) if a not in source]
    for d, s in sorted(zip(destination, source)):
        axes.insert(d, s)
    return transpose(x, axes)


def _tile_vjp(g, y, x, repeats):
    shape = np.shape(x)
    reps = tuple(np.atleast_1d(repeats).tolist())
    d = max(len(reps), len(shape))
    reps, padded = (1,) * (d - len(reps)) + reps, (1,) * (d - len(shape)) + shape
    g = reshape(g, [v for r, n in zip(reps, padded) for v in (r, n)])
    return [reshape(np.sum(g, axis=tuple(range(0, 2 * d, 2))), shape)]


@op(_tile_vjp, functions=(np.tile,))
def tile(x, repeats):
    """``x`` repeated ``repeats`` times along each axis (as ``np.tile``). Gradient: dL/dy summed over the copies.

    Example:
        >>> tile(np.array([1.0, 2.0]), 2).tolist()
        [1.0, 2.0, 1.0, 2.0]
    """
    return np.tile(x, repeats)


def repeat(x, repeats, axis=None):
    """Each element of ``x`` repeated ``repeats`` times along ``axis`` (of the flattened ``x`` if None), as
    ``np.repeat``: a ``take`` of repeated indices, so its gradient adds up dL/dy over each element's copies.

    Example:
        >>> repeat(np.array([1.0, 2.0]), 2).tolist()
        [1.0, 1.0, 2.0, 2.0]
    """
    n = np.size(x) if axis is None else np.shape(x)[axis]
    return take(x, np.repeat(np.arange(n), repeats), axis=axis)


def _pad_vjp(g, y, x, pad_width, mode, constant_values):
    widths = np.broadcast_to(np.asarray(pad_width), (np.ndim(x), 2))
    return [_getitem(g, tuple(slice(int(lo), int(lo) + n) for (lo, _), n in zip(widths, np.shape(x))))]


@op(_pad_vjp)
def pad(x, pad_width, mode="constant", constant_values=None):
    """``x`` padded by ``pad_width`` (as ``np.pad``: per axis (before, after)) with ``constant_values`` (0 if None).
    Only ``mode="constant"``. Gradient: dL/dy with the padding cut off.

    Example:
        >>> pad(np.array([1.0, 2.0]), (1, 2)).tolist()
        [0.0, 1.0, 2.0, 0.0, 0.0]
    """
    if mode != "constant":
        raise ValueError(f"redes.ops.pad supports only mode='constant'. Received: mode={mode!r}")
    return np.pad(x, pad_width, mode="constant", constant_values=0 if constant_values is None else constant_values)


@op(lambda g, y, x, k: [tril(g, k)], functions=(np.tril,))
def tril(x, k=0):
    """``x`` with the entries above the k-th diagonal of its last two axes set to 0. Gradient: tril(dL/dy, k).

    Example:
        >>> tril(np.ones((2, 2))).tolist()
        [[1.0, 0.0], [1.0, 1.0]]
    """
    return np.tril(x, k)


@op(lambda g, y, x, k: [triu(g, k)], functions=(np.triu,))
def triu(x, k=0):
    """``x`` with the entries below the k-th diagonal of its last two axes set to 0. Gradient: triu(dL/dy, k).

    Example:
        >>> triu(np.ones((2, 2))).tolist()
        [[1.0, 1.0], [0.0, 1.0]]
    """
    return np.triu(x, k)
