"""Element-wise ops: arithmetic (the ufuncs behind Python's operators), exp, log, sqrt, abs, square, power,
clip, where, maximum, minimum, expm1, log2, log10, rsqrt, erf, the comparisons (no gradient) and sign, floor,
ceil, round (a zero gradient). Binary ops broadcast as NumPy; their VJPs
sum the gradient back to each input's shape with ``unbroadcast``."""

from __future__ import annotations

import numpy as np

from ._define import op
from .shapes import unbroadcast

BINARY = ("x1", "x2")


@op(lambda g, y, x1, x2: [unbroadcast(g, np.shape(x1)), unbroadcast(g, np.shape(x2))],
    differentiable=BINARY, ufunc=np.add)
def add(x1, x2):
    """x1 + x2. Gradient: d/dx1 = d/dx2 = 1.

    Example:
        >>> add(np.array([1.0, 2.0]), 1.0)
        array([2., 3.])
    """
    return np.add(x1, x2)


@op(lambda g, y, x1, x2: [unbroadcast(g, np.shape(x1)), unbroadcast(-g, np.shape(x2))],
    differentiable=BINARY, ufunc=np.subtract)
def subtract(x1, x2):
    """x1 − x2. Gradient: d/dx1 = 1, d/dx2 = −1.

    Example:
        >>> subtract(np.array([1.0, 2.0]), 1.0)
        array([0., 1.])
    """
    return np.subtract(x1, x2)


@op(lambda g, y, x1, x2: [unbroadcast(g * x2, np.shape(x1)), unbroadcast(g * x1, np.shape(x2))],
    differentiable=BINARY, ufunc=np.multiply)
def multiply(x1, x2):
    """x1 · x2. Gradient: d/dx1 = x2, d/dx2 = x1.

    Example:
        >>> multiply(np.array([1.0, 2.0]), 3.0)
        array([3., 6.])
    """
    return np.multiply(x1, x2)


@op(lambda g, y, x1, x2: [unbroadcast(g / x2, np.shape(x1)), unbroadcast(-g * x1 / x2 / x2, np.shape(x2))],
    differentiable=BINARY, ufunc=np.divide)
def divide(x1, x2):
    """x1 / x2. Gradient: d/dx1 = 1/x2, d/dx2 = −x1/x2².

    Example:
        >>> divide(np.array([1.0, 2.0]), 2.0)
        array([0.5, 1. ])
    """
    return np.divide(x1, x2)


def _power_vjp(g, y, x1, x2):
    positive = np.asarray(x1) > 0
    log_x1 = where(positive, log(where(positive, x1, 1)), 0)  # as TensorFlow: d/dx2 is 0 where x1 ≤ 0
    return [unbroadcast(g * x2 * power(x1, x2 - 1), np.shape(x1)), unbroadcast(g * y * log_x1, np.shape(x2))]


@op(_power_vjp, differentiable=BINARY, ufunc=np.power)
def power(x1, x2):
    """x1 ** x2. Gradient: d/dx1 = x2 · x1^(x2 − 1), d/dx2 = y · log x1 (0 where x1 ≤ 0, as TensorFlow).

    Example:
        >>> power(np.array([2.0, 3.0]), 2)
        array([4., 9.])
    """
    return np.power(x1, x2)


@op(lambda g, y, x: [-g * y * y], ufunc=np.reciprocal)
def reciprocal(x):
    """1/x (also ``x ** -1``). Gradient: d/dx = −1/x² = −y².

    Example:
        >>> reciprocal(np.array([2.0, 4.0]))
        array([0.5 , 0.25])
    """
    return np.reciprocal(x)


@op(lambda g, y, x: [-g], ufunc=np.negative)
def negative(x):
    """−x. Gradient: d/dx = −1.

    Example:
        >>> negative(np.array([1.0, -2.0]))
        array([-1.,  2.])
    """
    return np.negative(x)


@op(lambda g, y, x: [g * (2 * x)], ufunc=np.square)
def square(x):
    """x². Gradient: d/dx = 2x.

    Example:
        >>> square(np.array([3.0]))
        array([9.])
    """
    return np.square(x)


@op(lambda g, y, x: [g * 0.5 / y], ufunc=np.sqrt)
def sqrt(x):
    """√x. Gradient: d/dx = 1 / (2y).

    Example:
        >>> sqrt(np.array([4.0]))
        array([2.])
    """
    return np.sqrt(x)


@op(lambda g, y, x: [g * y], ufunc=np.exp)
def exp(x):
    """eˣ. Gradient: d/dx = y.

    Example:
        >>> exp(np.array([0.0]))
        array([1.])
    """
    return np.exp(x)


@op(lambda g, y, x: [g / x], ufunc=np.log)
def log(x):
    """Natural logarithm. Gradient: d/dx = 1/x.

    Example:
        >>> log(np.array([1.0]))
        array([0.])
    """
    return np.log(x)


@op(lambda g, y, x: [g / (1 + x)], ufunc=np.log1p)
def log1p(x):
    """log(1 + x), accurate for small x. Gradient: d/dx = 1/(1 + x).

    Example:
        >>> log1p(np.array([0.0]))
        array([0.])
    """
    return np.log1p(x)


@op(lambda g, y, x: [g * np.sign(x)], ufunc=np.absolute)
def absolute(x):
    """|x|. Gradient: d/dx = sign x (0 at 0, as TensorFlow).

    Example:
        >>> absolute(np.array([-2.0, 3.0]))
        array([2., 3.])
    """
    return np.absolute(x)


abs = absolute


def _clip_vjp(g, y, x, x_min, x_max):
    inside = (np.asarray(x) >= np.asarray(x_min)) & (np.asarray(x) <= np.asarray(x_max))
    return [g * inside]


@op(_clip_vjp, functions=(np.clip,), method="clip")
def clip(x, x_min, x_max):
    """x limited to [x_min, x_max]. Gradient: d/dx = 1 inside the interval (bounds included, as TensorFlow),
    0 outside; the bounds get none.

    Example:
        >>> clip(np.array([-2.0, 0.5, 3.0]), 0.0, 1.0)
        array([0. , 0.5, 1. ])
    """
    return np.clip(x, x_min, x_max)


def _where_vjp(g, y, condition, x1, x2):
    condition = np.asarray(condition, dtype=bool)
    zero = np.zeros((), np.asarray(g).dtype)
    return [unbroadcast(where(condition, g, zero), np.shape(x1)), unbroadcast(where(condition, zero, g), np.shape(x2))]


@op(_where_vjp, differentiable=BINARY, functions=(np.where,))
def where(condition, x1=None, x2=None):
    """x1 where ``condition`` holds, else x2 (with only ``condition``: the indices where it holds, as Keras).
    Gradient: dL/dy to x1 where the condition holds, to x2 elsewhere; the condition gets none.

    Example:
        >>> where(np.array([True, False]), np.array([1.0, 2.0]), 0.0)
        array([1., 0.])
    """
    if x1 is None and x2 is None:
        return np.nonzero(condition)
    return np.where(condition, x1, x2)


def _extremum_vjp(first: np.ufunc):
    """The VJP of maximum (first = greater_equal) or minimum (less_equal): ties go to x1, as TensorFlow."""
    def vjp(g, y, x1, x2):
        to_x1 = first(np.asarray(x1), np.asarray(x2))
        zero = np.zeros((), np.asarray(g).dtype)
        return [unbroadcast(where(to_x1, g, zero), np.shape(x1)), unbroadcast(where(to_x1, zero, g), np.shape(x2))]
    return vjp


@op(_extremum_vjp(np.greater_equal), differentiable=BINARY, ufunc=np.maximum)
def maximum(x1, x2):
    """The larger of x1 and x2, element-wise. Gradient: to x1 where x1 ≥ x2 (ties to x1, as TensorFlow), else x2.

    Example:
        >>> maximum(np.array([1.0, 5.0]), 3.0)
        array([3., 5.])
    """
    return np.maximum(x1, x2)


@op(_extremum_vjp(np.less_equal), differentiable=BINARY, ufunc=np.minimum)
def minimum(x1, x2):
    """The smaller of x1 and x2, element-wise. Gradient: to x1 where x1 ≤ x2 (ties to x1), else x2.

    Example:
        >>> minimum(np.array([1.0, 5.0]), 3.0)
        array([1., 3.])
    """
    return np.minimum(x1, x2)


# ---------------------------------------------------------------------- comparisons: booleans, no gradient
def equal(x1, x2):
    """x1 == x2, element-wise (booleans: no gradient).

    Example:
        >>> equal(np.array([1.0, 2.0]), 2.0)
        array([False,  True])
    """
    return np.equal(np.asarray(x1), np.asarray(x2))


def not_equal(x1, x2):
    """x1 != x2, element-wise (booleans: no gradient).

    Example:
        >>> not_equal(np.array([1.0, 2.0]), 2.0)
        array([ True, False])
    """
    return np.not_equal(np.asarray(x1), np.asarray(x2))


def less(x1, x2):
    """x1 < x2, element-wise (booleans: no gradient).

    Example:
        >>> less(np.array([1.0, 2.0]), 2.0)
        array([ True, False])
    """
    return np.less(np.asarray(x1), np.asarray(x2))


def less_equal(x1, x2):
    """x1 <= x2, element-wise (booleans: no gradient).

    Example:
        >>> less_equal(np.array([1.0, 3.0]), 2.0)
        array([ True, False])
    """
    return np.less_equal(np.asarray(x1), np.asarray(x2))


def greater(x1, x2):
    """x1 > x2, element-wise (booleans: no gradient).

    Example:
        >>> greater(np.array([1.0, 3.0]), 2.0)
        array([False,  True])
    """
    return np.greater(np.asarray(x1), np.asarray(x2))


def greater_equal(x1, x2):
    """x1 >= x2, element-wise (booleans: no gradient).

    Example:
        >>> greater_equal(np.array([1.0, 2.0]), 2.0)
        array([False,  True])
    """
    return np.greater_equal(np.asarray(x1), np.asarray(x2))


@op(lambda g, y, x: [g * (y + 1)], ufunc=np.expm1)
def expm1(x):
    """eˣ − 1, exact near 0. Gradient: d/dx = eˣ = y + 1.

    Example:
        >>> expm1(np.array([0.0]))
        array([0.])
    """
    return np.expm1(x)


@op(lambda g, y, x: [g / (x * np.log(2.0))], ufunc=np.log2)
def log2(x):
    """Base-2 logarithm. Gradient: d/dx = 1 / (x ln 2).

    Example:
        >>> log2(np.array([8.0]))
        array([3.])
    """
    return np.log2(x)


@op(lambda g, y, x: [g / (x * np.log(10.0))], ufunc=np.log10)
def log10(x):
    """Base-10 logarithm. Gradient: d/dx = 1 / (x ln 10).

    Example:
        >>> log10(np.array([100.0]))
        array([2.])
    """
    return np.log10(x)


@op(lambda g, y, x: [-0.5 * g * y / x])
def rsqrt(x):
    """1 / √x (``keras.ops.rsqrt``). Gradient: d/dx = −y / (2x) = −½ x^(−3/2).

    Example:
        >>> rsqrt(np.array([4.0]))
        array([0.5])
    """
    return 1 / np.sqrt(x)


def _erf_vjp(g, y, x):
    return [g * (2 / np.sqrt(np.pi)) * exp(-square(x))]


@op(_erf_vjp)
def erf(x):
    """The error function (2/√π) ∫₀ˣ e^(−t²) dt (``keras.ops.erf``). Gradient: d/dx = (2/√π) e^(−x²).

    Example:
        >>> erf(np.array([0.0]))
        array([0.])
    """
    from .._math import erf as _erf
    x = np.asarray(x)
    return _erf(x).astype(x.dtype, copy=False) if x.dtype.kind == "f" else _erf(x)


def _zero(g, y, x, *rest):
    return [g * 0]


@op(_zero, ufunc=np.sign)
def sign(x):
    """−1, 0 or 1 by the sign of x. Not differentiable: its gradient is 0 everywhere (TensorFlow's too).

    Example:
        >>> sign(np.array([-2.0, 0.0, 3.0]))
        array([-1.,  0.,  1.])
    """
    return np.sign(x)


@op(_zero, ufunc=np.floor)
def floor(x):
    """The largest integer ≤ x. Gradient: 0 everywhere (TensorFlow returns none, i.e. zero).

    Example:
        >>> floor(np.array([-1.5, 1.5]))
        array([-2.,  1.])
    """
    return np.floor(x)


@op(_zero, ufunc=np.ceil)
def ceil(x):
    """The smallest integer ≥ x. Gradient: 0 everywhere (TensorFlow returns none, i.e. zero).

    Example:
        >>> ceil(np.array([-1.5, 1.5]))
        array([-1.,  2.])
    """
    return np.ceil(x)


@op(_zero, functions=(np.round, np.around))
def round(x, decimals=0):
    """Round half to even to ``decimals`` decimals, as ``keras.ops.round``. Gradient: 0 everywhere (TensorFlow
    returns none, i.e. zero).

    Example:
        >>> round(np.array([0.5, 1.5, 2.25]), 1)
        array([0.5, 1.5, 2.2])
    """
    return np.round(x, decimals)
