"""Activation functions and their vector-Jacobian products.

Each activation is an :class:`ActivationFunction`: ``forward(z) -> y`` and
``backward(z, y, grad_y) -> grad_z``. Layers cache ``z`` and ``y`` in forward and
start their backward with ``activation.backward``. Use them by name
(``Dense(10, activation="relu")``), with :func:`get`, or as plain functions on
arrays (``redes.activations.relu(x)``).

Equations (element-wise unless noted; g = dL/dy):
    relu        y = max(z, 0)                    dz = g · [z > 0]
    leaky_relu  y = z if z > 0 else α·z          dz = g · (1 if z > 0 else α)       α = 0.2
    elu         y = z if z > 0 else α(eᶻ − 1)    dz = g · (1 if z > 0 else y + α)   α = 1
    sigmoid     y = 1 / (1 + e⁻ᶻ)                dz = g · y(1 − y)
    tanh        y = tanh z                       dz = g · (1 − y²)
    softmax     y = eᶻ / Σ eᶻ  (last axis)       dz = y · (g − Σ g·y)
    softplus    y = log(1 + eᶻ)                  dz = g · sigmoid(z)
    swish/silu  y = z · sigmoid(z)               dz = g · (s + z·s(1 − s)),  s = sigmoid(z)
    gelu        y = z · Φ(z)  (exact: Φ(z) = erfc(−z/√2)/2)   dz = g · (Φ(z) + z·φ(z))
"""

from __future__ import annotations

import math
from typing import Callable

from ._math import erfc
from .backend import xp


class ActivationFunction:
    """An activation with its derivative: ``forward(z)`` and ``backward(z, y, grad)``."""

    def __init__(self, name: str, forward: Callable, backward: Callable, **config) -> None:
        self.name = name
        self._forward = forward
        self._backward = backward
        self.config = config

    def forward(self, z):
        return self._forward(z, **self.config)

    def backward(self, z, y, grad):
        """Return dL/dz given z, y = forward(z) and grad = dL/dy (all the same shape)."""
        return self._backward(z, y, grad, **self.config)

    __call__ = forward

    def __repr__(self) -> str:
        extra = "".join(f", {key}={value}" for key, value in self.config.items())
        return f"ActivationFunction({self.name!r}{extra})"


def _scalar(value, like):
    return xp.asarray(value, dtype=like.dtype)


def _linear(z):
    return z


def _linear_backward(z, y, grad):
    return grad


def _relu(z):
    return xp.maximum(z, 0)


def _relu_backward(z, y, grad):
    return grad * (z > 0)


def _leaky_relu(z, negative_slope=0.2):
    return xp.where(z > 0, z, z * _scalar(negative_slope, z))


def _leaky_relu_backward(z, y, grad, negative_slope=0.2):
    return xp.where(z > 0, grad, grad * _scalar(negative_slope, grad))


def _elu(z, alpha=1.0):
    return xp.where(z > 0, z, _scalar(alpha, z) * xp.expm1(xp.minimum(z, 0)))


def _elu_backward(z, y, grad, alpha=1.0):
    return xp.where(z > 0, grad, grad * (y + _scalar(alpha, y)))


def _sigmoid(z):
    # Split by sign so that exp never overflows: for z < 0, σ(z) = eᶻ / (1 + eᶻ).
    e = xp.exp(-xp.abs(z))
    r = 1 / (1 + e)
    return xp.where(z >= 0, r, e * r)


def _sigmoid_backward(z, y, grad):
    return grad * y * (1 - y)


def _tanh(z):
    return xp.tanh(z)


def _tanh_backward(z, y, grad):
    return grad * (1 - y * y)


def _softmax(z):
    shifted = z - z.max(axis=-1, keepdims=True)
    e = xp.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_backward(z, y, grad):
    return y * (grad - (grad * y).sum(axis=-1, keepdims=True))


def _softplus(z):
    return xp.logaddexp(z, _scalar(0, z))


def _softplus_backward(z, y, grad):
    return grad * _sigmoid(z)


def _silu(z):
    return z * _sigmoid(z)


def _silu_backward(z, y, grad):
    s = _sigmoid(z)
    return grad * (s + z * s * (1 - s))


def _normal_cdf(z):
    # Φ(z) = erfc(−z/√2) / 2, as TensorFlow: accurate in the left tail, where 1 + erf(z/√2) cancels.
    return 0.5 * erfc(z * _scalar(-1 / math.sqrt(2), z))


def _gelu(z):
    return z * _normal_cdf(z)


def _gelu_backward(z, y, grad):
    pdf = xp.exp(-0.5 * z * z) * _scalar(1 / math.sqrt(2 * math.pi), z)
    return grad * (_normal_cdf(z) + z * pdf)


_REGISTRY: dict[str, tuple[Callable, Callable]] = {
    "linear": (_linear, _linear_backward),
    "relu": (_relu, _relu_backward),
    "leaky_relu": (_leaky_relu, _leaky_relu_backward),
    "elu": (_elu, _elu_backward),
    "sigmoid": (_sigmoid, _sigmoid_backward),
    "tanh": (_tanh, _tanh_backward),
    "softmax": (_softmax, _softmax_backward),
    "softplus": (_softplus, _softplus_backward),
    "silu": (_silu, _silu_backward),
    "gelu": (_gelu, _gelu_backward),
}
_ALIASES = {"swish": "silu", None: "linear"}


def get(identifier: str | ActivationFunction | None, **config) -> ActivationFunction:
    """Return the activation named ``identifier`` (None means linear), with optional parameters.

    Example:
        >>> get("relu").forward(np.array([-1.0, 2.0]))
        array([0., 2.])
        >>> get("leaky_relu", negative_slope=0.3)
        ActivationFunction('leaky_relu', negative_slope=0.3)
    """
    if isinstance(identifier, ActivationFunction):
        return identifier
    if identifier is None or isinstance(identifier, str):
        name = _ALIASES.get(identifier, identifier)
        if name in _REGISTRY:
            forward, backward = _REGISTRY[name]
            return ActivationFunction(name, forward, backward, **config)
        valid = sorted(set(_REGISTRY) | {a for a in _ALIASES if a})
        raise ValueError(f"Unknown activation {identifier!r}. Valid names: {', '.join(valid)}.")
    raise TypeError(
        "`activation` must be a name such as 'relu', an ActivationFunction, or None. "
        f"Received: activation={identifier!r} of type {type(identifier).__name__}"
    )


def serialize(activation: ActivationFunction) -> str:
    return activation.name


def linear(x):
    """Identity: ``y = x``."""
    return _linear(x)


def relu(x):
    """Rectified linear unit: ``max(x, 0)``."""
    return _relu(x)


def leaky_relu(x, negative_slope: float = 0.2):
    """``x`` for x > 0, ``negative_slope · x`` otherwise (Keras' function default 0.2)."""
    return _leaky_relu(x, negative_slope)


def elu(x, alpha: float = 1.0):
    """``x`` for x > 0, ``alpha · (eˣ − 1)`` otherwise."""
    return _elu(x, alpha)


def sigmoid(x):
    """Logistic function ``1 / (1 + e⁻ˣ)``, computed without overflow."""
    return _sigmoid(x)


def tanh(x):
    """Hyperbolic tangent."""
    return _tanh(x)


def softmax(x):
    """Softmax over the last axis, shifted by the maximum for stability."""
    return _softmax(x)


def softplus(x):
    """``log(1 + eˣ)``, computed as ``logaddexp(x, 0)``."""
    return _softplus(x)


def silu(x):
    """SiLU / swish: ``x · sigmoid(x)``."""
    return _silu(x)


swish = silu


def gelu(x):
    """Gaussian error linear unit, exact form ``x · Φ(x)`` (Keras' default, approximate=False)."""
    return _gelu(x)
