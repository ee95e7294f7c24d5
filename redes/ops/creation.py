"""Creation ops, as ``keras.ops``: arange, linspace, meshgrid, zeros, ones, eye, full and the ``*_like`` ones.
They make new plain arrays and carry no gradient (``*_like`` only reads its argument's shape and dtype);
float results default to floatx, as Keras."""

from __future__ import annotations

import numpy as np

from ..autodiff.traced import detach
from ..backend import floatx


def _float_default(dtype, *values):
    if dtype is not None:
        return dtype
    kinds = {np.asarray(v).dtype.kind for v in values if v is not None}
    return floatx() if "f" in kinds else "int32" if kinds <= {"i", "u"} else None


def arange(start, stop=None, step=1, dtype=None):
    """Evenly spaced values in [start, stop) (int32 for integers, floats are floatx unless ``dtype``). No gradient.

    Example:
        >>> arange(3).tolist()
        [0, 1, 2]
    """
    dtype = _float_default(dtype, start, stop, step)
    return np.arange(start, stop, step).astype(dtype) if dtype else np.arange(start, stop, step)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from start to stop (floatx unless ``dtype``), as ``np.linspace``. No gradient.

    Example:
        >>> linspace(0.0, 1.0, 3).tolist()
        [0.0, 0.5, 1.0]
    """
    values, step = np.linspace(start, stop, num, endpoint=endpoint, retstep=True, axis=axis)
    values = values.astype(dtype or floatx())
    return (values, step) if retstep else values


def meshgrid(*x, indexing="xy"):
    """Coordinate grids from 1-D arrays, as ``np.meshgrid`` (a list). No gradient.

    Example:
        >>> [g.tolist() for g in meshgrid(np.array([1, 2]), np.array([3]))]
        [[[1, 2]], [[3, 3]]]
    """
    return list(np.meshgrid(*[detach(v) for v in x], indexing=indexing))


def zeros(shape, dtype=None):
    """An array of zeros (floatx by default). No gradient.

    Example:
        >>> zeros((2,)).tolist()
        [0.0, 0.0]
    """
    return np.zeros(shape, dtype or floatx())


def ones(shape, dtype=None):
    """An array of ones (floatx by default). No gradient.

    Example:
        >>> ones((2,)).tolist()
        [1.0, 1.0]
    """
    return np.ones(shape, dtype or floatx())


def eye(N, M=None, k=0, dtype=None):
    """The N×M identity (ones on the k-th diagonal; floatx by default). No gradient.

    Example:
        >>> eye(2).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    return np.eye(N, M, k, dtype=dtype or floatx())


def full(shape, fill_value, dtype=None):
    """An array of ``fill_value`` (floatx unless ``dtype``, as Keras). No gradient.

    Example:
        >>> full((2,), 3.0).tolist()
        [3.0, 3.0]
    """
    fill_value = detach(fill_value)
    return np.full(shape, fill_value, dtype or floatx())


def zeros_like(x, dtype=None):
    """Zeros of ``x``'s shape and dtype. No gradient.

    Example:
        >>> zeros_like(np.array([1.0, 2.0])).tolist()
        [0.0, 0.0]
    """
    return np.zeros_like(detach(x), dtype=dtype)


def ones_like(x, dtype=None):
    """Ones of ``x``'s shape and dtype. No gradient.

    Example:
        >>> ones_like(np.array([1.0, 2.0])).tolist()
        [1.0, 1.0]
    """
    return np.ones_like(detach(x), dtype=dtype)


def full_like(x, fill_value, dtype=None):
    """``fill_value`` in ``x``'s shape and dtype. No gradient.

    Example:
        >>> full_like(np.array([1.0, 2.0]), 5).tolist()
        [5.0, 5.0]
    """
    return np.full_like(detach(x), detach(fill_value), dtype=dtype)
