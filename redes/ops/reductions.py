"""Reductions: sum, mean, var, std, max, min, logsumexp; and the ones with no gradient (argmax, argsort,
top_k's indices). Each VJP broadcasts dL/dy back over the reduced axes (``_spread``)."""

from __future__ import annotations

import numpy as np

from . import arithmetic, shapes
from ._define import op


def _kept_shape(x, axis) -> tuple:
    """The shape of ``x`` reduced over ``axis`` with keepdims (axis None: every axis)."""
    ndim = np.ndim(x)
    axes = range(ndim) if axis is None else [a % ndim for a in np.atleast_1d(axis)]
    return tuple(1 if i in axes else n for i, n in enumerate(np.shape(x)))


def _spread(g, x, axis, keepdims: bool):
    """dL/dy of a reduction broadcast back to x's shape (first restoring the reduced axes if not kept)."""
    if not keepdims:
        g = shapes.reshape(g, _kept_shape(x, axis))
    return shapes.broadcast_to(g, np.shape(x))


def _count(x, axis) -> int:
    return int(np.prod(np.shape(x)) // np.prod(_kept_shape(x, axis)))


@op(lambda g, y, x, axis, keepdims: [_spread(g, x, axis, keepdims)], reduce=np.add, functions=(np.sum,),
    method="sum")
def sum(x, axis=None, keepdims=False):
    """Σ of ``x`` over ``axis`` (every axis if None). Gradient: dL/dx = dL/dy broadcast over the reduced axes.

    Example:
        >>> sum(np.array([[1.0, 2.0], [3.0, 4.0]]), axis=0)
        array([4., 6.])
    """
    return np.sum(x, axis=axis, keepdims=keepdims)


@op(lambda g, y, x, axis, keepdims: [_spread(g, x, axis, keepdims) / _count(x, axis)], functions=(np.mean,),
    method="mean")
def mean(x, axis=None, keepdims=False):
    """Mean of ``x`` over ``axis``. Gradient: dL/dx = dL/dy / n, broadcast over the n reduced values.

    Example:
        >>> mean(np.array([[1.0, 2.0], [3.0, 4.0]]), axis=1)
        array([1.5, 3.5])
    """
    return np.mean(x, axis=axis, keepdims=keepdims)


def _var_vjp(g, y, x, axis, keepdims):
    centered = x - mean(x, axis=axis, keepdims=True)
    return [_spread(g, x, axis, keepdims) * centered * (2 / _count(x, axis))]


@op(_var_vjp, functions=(np.var,), method="var")
def var(x, axis=None, keepdims=False):
    """Biased variance of ``x`` over ``axis``: mean((x − mean x)²). Gradient: dL/dx = dL/dy · 2(x − mean x)/n.

    Example:
        >>> var(np.array([1.0, 3.0]))
        np.float64(1.0)
    """
    return np.var(x, axis=axis, keepdims=keepdims)


def _std_vjp(g, y, x, axis, keepdims):
    centered = x - mean(x, axis=axis, keepdims=True)
    return [_spread(g / y, x, axis, keepdims) * centered / _count(x, axis)]


@op(_std_vjp, functions=(np.std,), method="std")
def std(x, axis=None, keepdims=False):
    """Biased standard deviation of ``x`` over ``axis``. Gradient: dL/dx = dL/dy · (x − mean x) / (n·y).

    Example:
        >>> std(np.array([1.0, 3.0]))
        np.float64(1.0)
    """
    return np.std(x, axis=axis, keepdims=keepdims)


def _extremum_vjp(g, y, x, axis, keepdims, initial):
    """dL/dy shared equally among the elements equal to the extremum, as TensorFlow's reduce_max/min."""
    chosen = np.asarray(x) == np.reshape(np.asarray(y), _kept_shape(x, axis))
    share = (chosen / np.sum(chosen, axis=axis, keepdims=True)).astype(np.asarray(x).dtype)
    return [_spread(g, x, axis, keepdims) * share]


@op(_extremum_vjp, reduce=np.maximum, functions=(np.max, np.amax), method="max")
def max(x, axis=None, keepdims=False, initial=None):
    """Maximum of ``x`` over ``axis``. Gradient: dL/dy to the maximal elements, shared equally among ties
    (as TensorFlow).

    Example:
        >>> max(np.array([[1.0, 5.0], [7.0, 2.0]]), axis=1)
        array([5., 7.])
    """
    return np.max(x, axis=axis, keepdims=keepdims, **({} if initial is None else {"initial": initial}))


@op(_extremum_vjp, reduce=np.minimum, functions=(np.min, np.amin), method="min")
def min(x, axis=None, keepdims=False, initial=None):
    """Minimum of ``x`` over ``axis``. Gradient: dL/dy to the minimal elements, shared equally among ties.

    Example:
        >>> min(np.array([[1.0, 5.0], [7.0, 2.0]]), axis=1)
        array([1., 2.])
    """
    return np.min(x, axis=axis, keepdims=keepdims, **({} if initial is None else {"initial": initial}))


def _logsumexp_vjp(g, y, x, axis, keepdims):
    y = y if keepdims else shapes.reshape(y, _kept_shape(x, axis))
    return [_spread(g, x, axis, keepdims) * arithmetic.exp(x - y)]


@op(_logsumexp_vjp)
def logsumexp(x, axis=None, keepdims=False):
    """log Σ exp(x) over ``axis``, computed from x − max x (no overflow). Gradient: dL/dx = dL/dy · exp(x − y),
    the softmax of x along the reduced axes.

    Example:
        >>> logsumexp(np.array([0.0, 0.0])).round(6)
        np.float64(0.693147)
    """
    x = np.asarray(x)
    top = np.max(x, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)
    y = np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True)) + top
    return y if keepdims else np.squeeze(y, axis=axis)


def argmax(x, axis=None, keepdims=False):
    """Index of the maximum along ``axis`` (of the flattened x if None). Not differentiable: a plain array.

    Example:
        >>> argmax(np.array([[1.0, 5.0], [7.0, 2.0]]), axis=1)
        array([1, 0])
    """
    return np.argmax(np.asarray(x), axis=axis, keepdims=keepdims)


def argsort(x, axis=-1):
    """Indices that sort ``x`` along ``axis``. Not differentiable: a plain array.

    Example:
        >>> argsort(np.array([3.0, 1.0, 2.0]))
        array([1, 2, 0])
    """
    return np.argsort(np.asarray(x), axis=axis)


def top_k(x, k: int, sorted: bool = True) -> tuple:
    """(values, indices) of the ``k`` largest entries along the last axis. The indices carry no gradient;
    the values are ``take_along_axis(x, indices)``, so dL/dvalues reaches the chosen entries of x.

    Example:
        >>> values, indices = top_k(np.array([1.0, 3.0, 2.0]), 2)
        >>> values.tolist(), indices.tolist()
        ([3.0, 2.0], [1, 2])
    """
    plain = np.asarray(x)
    indices = np.argpartition(-plain, k - 1, axis=-1)[..., :k]
    if sorted:
        order = np.argsort(-np.take_along_axis(plain, indices, axis=-1), axis=-1, kind="stable")
        indices = np.take_along_axis(indices, order, axis=-1)
    return shapes.take_along_axis(x, indices, axis=-1), indices.astype(np.int32)



def _reverse_cumsum(g, axis):
    return shapes.flip(cumsum(shapes.flip(g, axis), axis), axis)


def _cumsum_vjp(g, y, x, axis, dtype):
    if axis is None:
        return [shapes.reshape(_reverse_cumsum(g, 0), np.shape(x))]
    return [_reverse_cumsum(g, axis)]


@op(_cumsum_vjp, functions=(np.cumsum,), method="cumsum")
def cumsum(x, axis=None, dtype=None):
    """Running sum along ``axis`` (of the flattened ``x`` if None). Gradient: dL/dx is the reversed running sum
    of dL/dy.

    Example:
        >>> cumsum(np.array([1.0, 2.0, 3.0]))
        array([1., 3., 6.])
    """
    return np.cumsum(x, axis=axis, dtype=dtype)


def _cumprod_vjp(g, y, x, axis, dtype):
    if axis is None:
        return [shapes.reshape(_reverse_cumsum(g * y, 0), np.shape(x)) / x]
    return [_reverse_cumsum(g * y, axis) / x]


@op(_cumprod_vjp, functions=(np.cumprod,), method="cumprod")
def cumprod(x, axis=None, dtype=None):
    """Running product along ``axis`` (flattened if None). Gradient: dL/dx = (reversed running sum of dL/dy · y) / x,
    TensorFlow's rule (x ≠ 0).

    Example:
        >>> cumprod(np.array([1.0, 2.0, 3.0]))
        array([1., 2., 6.])
    """
    return np.cumprod(x, axis=axis, dtype=dtype)


def _prod_vjp(g, y, x, axis, keepdims, dtype):
    return [_spread(g * y, x, axis, keepdims) / x]


@op(_prod_vjp, functions=(np.prod,), method="prod")
def prod(x, axis=None, keepdims=False, dtype=None):
    """Product of ``x`` over ``axis`` (every axis if None). Gradient: dL/dx = dL/dy · y / x, broadcast over the
    reduced axes (x ≠ 0).

    Example:
        >>> prod(np.array([[1.0, 2.0], [3.0, 4.0]]), axis=1)
        array([ 2., 12.])
    """
    return np.prod(x, axis=axis, keepdims=keepdims, dtype=dtype)


def sort(x, axis=-1):
    """``x`` sorted along ``axis``: ``take_along_axis(x, argsort(x))``, so dL/dy goes back through the permutation
    (as TensorFlow).

    Example:
        >>> sort(np.array([3.0, 1.0, 2.0]))
        array([1., 2., 3.])
    """
    return shapes.take_along_axis(x, argsort(x, axis=axis), axis=axis)


def average(x, axis=None, weights=None):
    """Σ w x / Σ w along ``axis`` (the mean if ``weights`` is None; 1-D weights lie along ``axis``), as
    ``keras.ops.average``: ``sum`` and ``divide``, so both x and the weights get their gradients.

    Example:
        >>> average(np.array([1.0, 3.0]), weights=np.array([1.0, 3.0]))
        array(2.5)
    """
    if weights is None:
        return mean(x, axis=axis)
    if axis is not None and np.ndim(weights) == 1 and np.ndim(x) > 1:
        shape = [1] * np.ndim(x)
        shape[axis] = -1
        weights = shapes.reshape(weights, tuple(shape))
    return arithmetic.divide(sum(arithmetic.multiply(x, weights), axis=axis),
                             sum(arithmetic.multiply(arithmetic.multiply(x, 0) + 1, weights), axis=axis))


def any(x, axis=None, keepdims=False):
    """Whether any element along ``axis`` is nonzero (booleans). Not differentiable: a plain array.

    Example:
        >>> any(np.array([0.0, 2.0]))
        array(True)
    """
    return np.asarray(np.any(np.asarray(x), axis=axis, keepdims=keepdims))


def all(x, axis=None, keepdims=False):
    """Whether every element along ``axis`` is nonzero (booleans). Not differentiable: a plain array.

    Example:
        >>> all(np.array([0.0, 2.0]))
        array(False)
    """
    return np.asarray(np.all(np.asarray(x), axis=axis, keepdims=keepdims))


def count_nonzero(x, axis=None):
    """The number of nonzero elements along ``axis`` (int32, as Keras). Not differentiable: a plain array.

    Example:
        >>> count_nonzero(np.array([0.0, 2.0, 3.0]))
        array(2, dtype=int32)
    """
    return np.asarray(np.count_nonzero(np.asarray(x), axis=axis), dtype=np.int32)
