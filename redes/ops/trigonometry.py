"""Trigonometric and hyperbolic ops, as ``keras.ops``: sin, cos, tan, their inverses, arctan2, sinh, cosh and
their inverses. Each VJP states its rule, with y the op's output, and is written with redes ops (second
derivatives under nested tapes)."""

from __future__ import annotations

import numpy as np

from ._define import op
from .arithmetic import sqrt, square
from .shapes import unbroadcast


@op(lambda g, y, x: [g * cos(x)], ufunc=np.sin)
def sin(x):
    """Sine. Gradient: d/dx = cos x.

    Example:
        >>> sin(np.array([0.0]))
        array([0.])
    """
    return np.sin(x)


@op(lambda g, y, x: [-g * sin(x)], ufunc=np.cos)
def cos(x):
    """Cosine. Gradient: d/dx = −sin x.

    Example:
        >>> cos(np.array([0.0]))
        array([1.])
    """
    return np.cos(x)


@op(lambda g, y, x: [g * (1 + y * y)], ufunc=np.tan)
def tan(x):
    """Tangent. Gradient: d/dx = 1 + y².

    Example:
        >>> tan(np.array([0.0]))
        array([0.])
    """
    return np.tan(x)


@op(lambda g, y, x: [g / sqrt(1 - square(x))], ufunc=np.arcsin)
def arcsin(x):
    """Inverse sine on [−1, 1]. Gradient: d/dx = 1 / √(1 − x²).

    Example:
        >>> arcsin(np.array([0.0]))
        array([0.])
    """
    return np.arcsin(x)


@op(lambda g, y, x: [-g / sqrt(1 - square(x))], ufunc=np.arccos)
def arccos(x):
    """Inverse cosine on [−1, 1]. Gradient: d/dx = −1 / √(1 − x²).

    Example:
        >>> arccos(np.array([1.0]))
        array([0.])
    """
    return np.arccos(x)


@op(lambda g, y, x: [g / (1 + square(x))], ufunc=np.arctan)
def arctan(x):
    """Inverse tangent. Gradient: d/dx = 1 / (1 + x²).

    Example:
        >>> arctan(np.array([0.0]))
        array([0.])
    """
    return np.arctan(x)


def _arctan2_vjp(g, y, x1, x2):
    r2 = square(x1) + square(x2)
    return [unbroadcast(g * x2 / r2, np.shape(x1)), unbroadcast(-g * x1 / r2, np.shape(x2))]


@op(_arctan2_vjp, differentiable=("x1", "x2"), ufunc=np.arctan2)
def arctan2(x1, x2):
    """The angle of the point (x2, x1), element-wise, broadcasting as NumPy. Gradient: d/dx1 = x2 / (x1² + x2²),
    d/dx2 = −x1 / (x1² + x2²).

    Example:
        >>> arctan2(np.array([1.0]), np.array([1.0])).round(4)
        array([0.7854])
    """
    return np.arctan2(x1, x2)


@op(lambda g, y, x: [g * cosh(x)], ufunc=np.sinh)
def sinh(x):
    """Hyperbolic sine. Gradient: d/dx = cosh x.

    Example:
        >>> sinh(np.array([0.0]))
        array([0.])
    """
    return np.sinh(x)


@op(lambda g, y, x: [g * sinh(x)], ufunc=np.cosh)
def cosh(x):
    """Hyperbolic cosine. Gradient: d/dx = sinh x.

    Example:
        >>> cosh(np.array([0.0]))
        array([1.])
    """
    return np.cosh(x)


@op(lambda g, y, x: [g / sqrt(square(x) + 1)], ufunc=np.arcsinh)
def arcsinh(x):
    """Inverse hyperbolic sine. Gradient: d/dx = 1 / √(x² + 1).

    Example:
        >>> arcsinh(np.array([0.0]))
        array([0.])
    """
    return np.arcsinh(x)


@op(lambda g, y, x: [g / sqrt(square(x) - 1)], ufunc=np.arccosh)
def arccosh(x):
    """Inverse hyperbolic cosine on [1, ∞). Gradient: d/dx = 1 / √(x² − 1).

    Example:
        >>> arccosh(np.array([1.0]))
        array([0.])
    """
    return np.arccosh(x)


@op(lambda g, y, x: [g / (1 - square(x))], ufunc=np.arctanh)
def arctanh(x):
    """Inverse hyperbolic tangent on (−1, 1). Gradient: d/dx = 1 / (1 − x²).

    Example:
        >>> arctanh(np.array([0.0]))
        array([0.])
    """
    return np.arctanh(x)
