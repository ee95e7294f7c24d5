"""Neural-network ops, as ``keras.ops``: activations, softmax, log_softmax, one_hot. Each VJP states its
rule, with y the op's output; the forwards are redes' activations (the same numerics as the layers)."""

from __future__ import annotations

import math

import numpy as np

from .. import activations
from .._math import erfc
from ..backend import floatx
from ._define import op
from .arithmetic import clip, exp, where
from .shapes import expand_dims
from .reductions import sum


@op(lambda g, y, x: [g * (np.asarray(x) > 0)])
def relu(x):
    """max(x, 0). Gradient: d/dx = 1 where x > 0, else 0 (0 at 0, as TensorFlow).

    Example:
        >>> relu(np.array([-1.0, 2.0]))
        array([0., 2.])
    """
    return activations.relu(x)


@op(lambda g, y, x: [g * y * (1 - y)])
def sigmoid(x):
    """1 / (1 + e⁻ˣ). Gradient: d/dx = y (1 − y).

    Example:
        >>> sigmoid(np.array([0.0]))
        array([0.5])
    """
    return activations.sigmoid(np.asarray(x))


@op(lambda g, y, x: [g * (1 - y * y)], ufunc=np.tanh)
def tanh(x):
    """Hyperbolic tangent. Gradient: d/dx = 1 − y².

    Example:
        >>> tanh(np.array([0.0]))
        array([0.])
    """
    return np.tanh(x)


@op(lambda g, y, x, axis: [y * (g - sum(g * y, axis=axis, keepdims=True))])
def softmax(x, axis=-1):
    """eˣ / Σ eˣ along ``axis``. Gradient: dL/dx = y ⊙ (g − Σ g ⊙ y) along ``axis``, with g = dL/dy.

    Example:
        >>> softmax(np.array([0.0, 0.0]))
        array([0.5, 0.5])
    """
    x = np.asarray(x)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


@op(lambda g, y, x, axis: [g - exp(y) * sum(g, axis=axis, keepdims=True)])
def log_softmax(x, axis=-1):
    """x − log Σ eˣ along ``axis``. Gradient: dL/dx = g − softmax(x) · Σ g along ``axis``.

    Example:
        >>> log_softmax(np.array([0.0, 0.0])).round(6)
        array([-0.693147, -0.693147])
    """
    x = np.asarray(x)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


_GELU_C = math.sqrt(2 / math.pi)


def _gelu_vjp(g, y, x, approximate):
    if approximate:
        t = tanh(_GELU_C * (x + 0.044715 * x * x * x))
        return [g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _GELU_C * (1 + 3 * 0.044715 * x * x))]
    cdf = 0.5 * _erfc(x * (-1 / math.sqrt(2)))
    return [g * (cdf + x * exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi)))]


@op(lambda g, y, x: [g * exp(-x * x) * (-2 / math.sqrt(math.pi))])
def _erfc(x):
    """The complementary error function (an op, so that exact gelu's VJP is differentiable). d/dx = −2/√π e^(−x²)."""
    return erfc(np.asarray(x))


@op(_gelu_vjp)
def gelu(x, approximate=True):
    """Gaussian error linear unit. approximate=True (Keras' default for ops): y = x/2 · (1 + tanh(c(x + 0.044715x³))),
    c = √(2/π), d/dx = (1 + t)/2 + x/2 · (1 − t²) · c(1 + 3·0.044715x²); exact: y = x Φ(x), d/dx = Φ(x) + x φ(x).

    Example:
        >>> gelu(np.array([0.0, 1.0])).round(4)
        array([0.    , 0.8412])
    """
    x = np.asarray(x)
    if not approximate:
        return activations.gelu(x)
    c = np.asarray(_GELU_C, x.dtype)
    return x * (0.5 * (1 + np.tanh(c * (x + np.asarray(0.044715, x.dtype) * x ** 3))))


def _silu_vjp(g, y, x):
    s = sigmoid(x)
    return [g * s * (1 + x * (1 - s))]


@op(_silu_vjp)
def silu(x):
    """x · sigmoid(x) (swish). Gradient: d/dx = s (1 + x (1 − s)), s = sigmoid(x).

    Example:
        >>> silu(np.array([0.0]))
        array([0.])
    """
    return activations.silu(np.asarray(x))


@op(lambda g, y, x, alpha: [where(np.asarray(x) > 0, g, g * (y + alpha))])
def elu(x, alpha=1.0):
    """x if x > 0 else α(eˣ − 1). Gradient: d/dx = 1 where x > 0, else y + α.

    Example:
        >>> elu(np.array([-1.0, 2.0])).round(4)
        array([-0.6321,  2.    ])
    """
    return activations.elu(np.asarray(x), alpha=alpha)


@op(lambda g, y, x, negative_slope: [where(np.asarray(x) > 0, g, g * negative_slope)])
def leaky_relu(x, negative_slope=0.2):
    """x if x > 0 else slope · x. Gradient: d/dx = 1 where x > 0, else ``negative_slope``.

    Example:
        >>> leaky_relu(np.array([-1.0, 2.0]))
        array([-0.2,  2. ])
    """
    return activations.leaky_relu(np.asarray(x), negative_slope=negative_slope)


@op(lambda g, y, x: [g * sigmoid(x)])
def softplus(x):
    """log(1 + eˣ), computed without overflow. Gradient: d/dx = sigmoid(x).

    Example:
        >>> softplus(np.array([0.0])).round(6)
        array([0.693147])
    """
    return activations.softplus(np.asarray(x))


def one_hot(x, num_classes: int, axis: int = -1, dtype=None, sparse: bool = False):
    """Integer labels ``x`` as one-hot vectors of length ``num_classes`` along ``axis`` (floatx by default).
    No gradient (the labels are integers). ``sparse=True`` is not supported.

    Example:
        >>> one_hot(np.array([0, 2]), 3).tolist()
        [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    if sparse:
        raise ValueError("`sparse=True` is not supported: redes arrays are dense. Received: sparse=True")
    labels = np.asarray(x)
    encoded = (labels[..., None] == np.arange(num_classes)).astype(dtype or floatx())
    return np.moveaxis(encoded, -1, axis)


@op(lambda g, y, x: [g * ((np.asarray(x) > 0) & (np.asarray(x) < 6))])
def relu6(x):
    """min(max(x, 0), 6). Gradient: d/dx = 1 on 0 < x < 6, else 0 (as TensorFlow).

    Example:
        >>> relu6(np.array([-1.0, 2.0, 7.0]))
        array([0., 2., 6.])
    """
    x = np.asarray(x)
    return np.minimum(np.maximum(x, 0), np.asarray(6, x.dtype))


@op(lambda g, y, x: [g * (((np.asarray(x) > -3) & (np.asarray(x) < 3)) / 6)])
def hard_sigmoid(x):
    """relu6(x + 3) / 6, as Keras' TensorFlow backend. Gradient: d/dx = 1/6 on −3 < x < 3, else 0.

    Example:
        >>> hard_sigmoid(np.array([-4.0, 0.0, 4.0]))
        array([0. , 0.5, 1. ])
    """
    x = np.asarray(x)
    return np.minimum(np.maximum(x + np.asarray(3, x.dtype), 0), np.asarray(6, x.dtype)) / np.asarray(6, x.dtype)


def _hard_silu_vjp(g, y, x):
    inside = (np.asarray(x) > -3) & (np.asarray(x) < 3)
    return [g * (hard_sigmoid(x) + where(inside, x / 6, 0))]


@op(_hard_silu_vjp)
def hard_silu(x):
    """x · hard_sigmoid(x) (hard swish). Gradient: d/dx = hard_sigmoid(x) + x/6 on −3 < x < 3.

    Example:
        >>> hard_silu(np.array([-4.0, 0.0, 4.0]))
        array([-0.,  0.,  4.])
    """
    return np.asarray(x) * hard_sigmoid(x)


hard_swish = hard_silu

_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


@op(lambda g, y, x: [where(np.asarray(x) > 0, g * _SELU_SCALE, g * (y + _SELU_SCALE * _SELU_ALPHA))])
def selu(x):
    """scale · x if x > 0 else scale · α (eˣ − 1), α ≈ 1.6733, scale ≈ 1.0507. Gradient: d/dx = scale where x > 0,
    else y + scale · α.

    Example:
        >>> selu(np.array([0.0, 1.0])).round(4)
        array([0.    , 1.0507])
    """
    x = np.asarray(x)
    alpha, scale = np.asarray(_SELU_ALPHA, x.dtype), np.asarray(_SELU_SCALE, x.dtype)
    return scale * np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


@op(lambda g, y, x: [g / ((1 + np.abs(x)) * (1 + np.abs(x)))])
def softsign(x):
    """x / (1 + |x|). Gradient: d/dx = 1 / (1 + |x|)².

    Example:
        >>> softsign(np.array([1.0]))
        array([0.5])
    """
    x = np.asarray(x)
    return x / (1 + np.abs(x))


# ---------------------------------------------------------------------- cross-entropies (keras.ops.nn)
_EPSILON = 1e-7  # Keras' backend.epsilon(): probabilities are clipped to [ε, 1 − ε] before the log


def _inside(p):
    p = np.asarray(p)
    return (p >= _EPSILON) & (p <= 1 - _EPSILON)


def _binary_vjp(g, y, target, output, from_logits):
    if from_logits:
        return [g * (sigmoid(output) - target)]
    p = clip(output, _EPSILON, 1 - _EPSILON)
    return [where(_inside(output), g * ((1 - target) / (1 - p) - target / p), 0)]


@op(_binary_vjp, differentiable=("output",))
def binary_crossentropy(target, output, from_logits=False):
    """−(t log p + (1 − t) log(1 − p)) element-wise, p = ``output`` clipped to [1e-7, 1 − 1e-7] (or sigmoid of the
    logits, computed as max(z, 0) − z t + log(1 + e^−|z|)). Gradient in ``output``: (1 − t)/(1 − p) − t/p inside
    the clip, 0 outside; from logits, sigmoid(z) − t. The target carries none.

    Example:
        >>> binary_crossentropy(np.array([1.0]), np.array([0.5])).round(4)
        array([0.6931])
    """
    t, z = np.asarray(target), np.asarray(output)
    if from_logits:
        return np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    p = np.clip(z, _EPSILON, 1 - _EPSILON)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def _categorical_vjp(g, y, target, output, from_logits, axis):
    g = expand_dims(g, axis)
    if from_logits:
        return [g * (softmax(output, axis=axis) * sum(target, axis=axis, keepdims=True) - target)]
    total = sum(output, axis=axis, keepdims=True)
    q = output / total
    dq = where(_inside(q), -g * target / clip(q, _EPSILON, 1 - _EPSILON), 0)
    return [(dq - sum(dq * q, axis=axis, keepdims=True)) / total]


@op(_categorical_vjp, differentiable=("output",))
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """−Σ t log p along ``axis``, p = ``output`` / Σ output clipped to [1e-7, 1 − 1e-7] (or log_softmax of the logits).
    Gradient in ``output``: with G = −g t / p inside the clip (0 outside), (G − Σ G q) / Σ output, q = output / Σ
    output; from logits, g (softmax(z) Σ t − t) (TensorFlow's softmax(z) − t where Σ t = 1). The target carries
    none.

    Example:
        >>> categorical_crossentropy(np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]])).round(4)
        array([0.6931])
    """
    t, z = np.asarray(target), np.asarray(output)
    if from_logits:
        shifted = z - np.max(z, axis=axis, keepdims=True)
        return -np.sum(t * (shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))), axis=axis)
    p = np.clip(z / np.sum(z, axis=axis, keepdims=True), _EPSILON, 1 - _EPSILON)
    return -np.sum(t * np.log(p), axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """``categorical_crossentropy`` of the one-hot integer ``target``, from logits; probabilities are first
    clipped to [1e-7, 1 − 1e-7] and their log taken as the logits (as Keras' TensorFlow backend), so the gradient
    goes through clip and log into the logits' VJP, softmax(z) − one_hot(t).

    Example:
        >>> sparse_categorical_crossentropy(np.array([1]), np.array([[0.5, 0.5]])).round(4)
        array([0.6931])
    """
    from .arithmetic import log
    target = np.asarray(target)
    if target.ndim == np.ndim(output) and target.shape[-1] == 1:
        target = np.squeeze(target, -1)
    if not from_logits:
        output = log(clip(output, _EPSILON, 1 - _EPSILON))
    labels = one_hot(target, np.shape(output)[axis], axis=axis, dtype=np.asarray(output).dtype)
    return categorical_crossentropy(labels, output, from_logits=True, axis=axis)


def moments(x, axes, keepdims=False, synchronized=False):
    """(mean, variance) of ``x`` over ``axes``, as ``keras.ops.moments``: ``mean`` and ``var``, so both carry
    their gradients. ``synchronized`` (distributed training) has no effect here.

    Example:
        >>> [m.tolist() for m in moments(np.array([1.0, 3.0]), axes=[0])]
        [2.0, 1.0]
    """
    from .reductions import mean, var
    axes = tuple(np.atleast_1d(axes).tolist())
    return mean(x, axis=axes, keepdims=keepdims), var(x, axis=axes, keepdims=keepdims)


def normalize(x, axis=-1, order=2, epsilon=None):
    """x / max(‖x‖, ε) along ``axis`` (ε = 1e-7 by default), as ``keras.ops.normalize`` with the Euclidean norm:
    ``norm``, ``maximum`` and ``divide``, so the gradient flows through all three.

    Example:
        >>> normalize(np.array([3.0, 4.0])).tolist()
        [0.6, 0.8]
    """
    from .arithmetic import divide, maximum
    from .linear_algebra import norm
    if order != 2:
        raise ValueError(f"redes.ops.normalize supports only order=2. Received: order={order}")
    eps = _EPSILON if epsilon is None else epsilon
    return divide(x, maximum(norm(x, axis=axis, keepdims=True), np.asarray(eps, np.asarray(x).dtype)))
