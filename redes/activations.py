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
    selu        y = λz if z > 0 else λα(eᶻ − 1)  dz = g · (λ if z ≥ 0 else y + λα)
                (λ ≈ 1.0507, α ≈ 1.6733)
    arctan      y = arctan z                     dz = g / (1 + z²)
    sine (sin)  y = sin z                        dz = g · cos z
    hard_sigmoid y = relu6(z + 3) / 6            dz = g / 6 · [−3 < z < 3]
    exponential y = eᶻ                           dz = g · y
    mish        y = z · tanh(softplus(z))        dz = g · (τ + z·σ(z)(1 − τ²)),  τ = tanh(softplus(z))

``argmax(probabilities)`` turns a model's output into class indices.
"""

from __future__ import annotations

import math
from typing import Callable

from . import serialization
from ._math import erfc
from .backend import xp
from .validation import check_float

__all__ = [
    "ActivationFunction", "arctan", "argmax", "elu", "exponential", "gelu", "get", "hard_sigmoid", "leaky_relu",
    "linear", "mish", "relu", "selu", "serialize", "sigmoid", "silu", "sin", "sine", "softmax", "softplus", "swish",
    "tanh",
]


class ActivationFunction:
    """An activation with its derivative: ``forward(z)`` and ``backward(z, y, grad)``.

    Args:
        name: the registry name (``serialize`` returns it).
        forward: ``forward(z, **config) -> y``, element-wise or over the last axis.
        backward: ``backward(z, y, grad, **config) -> dL/dz``, the vector-Jacobian product.
        **config: parameters passed to both, e.g. ``negative_slope=0.3``.

    Shapes: ``z``, ``y``, ``grad`` and the result all have one shape, e.g. (batch, h, w, channels).

    Example:
        >>> relu = get("relu")
        >>> z = np.array([-1.0, 2.0])
        >>> relu.backward(z, relu(z), np.ones(2))
        array([0., 1.])
    """

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
    # 1 / (1 + e⁻ᶻ) is accurate to a few ulps for every z: where e⁻ᶻ overflows to inf (z < −88 in
    # float32), the result is 0, below the smallest float anyway. Three passes, in place (2.5× faster in
    # float32 than splitting by sign, measured on (64, 256)).
    with xp.errstate(over="ignore"):
        r = xp.exp(xp.negative(z))
    r += 1
    return xp.reciprocal(r, out=r) if isinstance(r, xp.ndarray) else 1 / r


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


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _selu(z):
    return xp.where(z > 0, z * _scalar(_SELU_SCALE, z),
                    _scalar(_SELU_SCALE * _SELU_ALPHA, z) * xp.expm1(xp.minimum(z, 0)))


def _selu_backward(z, y, grad):
    # As TensorFlow's SeluGrad: the slope λ at z = 0.
    return xp.where(z < 0, grad * (y + _scalar(_SELU_SCALE * _SELU_ALPHA, y)), grad * _scalar(_SELU_SCALE, grad))


def _arctan(z):
    return xp.arctan(z)


def _arctan_backward(z, y, grad):
    return grad / (1 + z * z)


def _sine(z):
    return xp.sin(z)


def _sine_backward(z, y, grad):
    return grad * xp.cos(z)


def _hard_sigmoid(z):
    return xp.clip(z + 3, 0, 6) / _scalar(6, z)  # relu6(z + 3) / 6, as Keras 3


def _hard_sigmoid_backward(z, y, grad):
    shifted = z + 3  # TensorFlow's relu6 gradient: 1 strictly inside (0, 6)
    return grad * ((shifted > 0) & (shifted < 6)) / _scalar(6, grad)


def _exponential(z):
    return xp.exp(z)


def _exponential_backward(z, y, grad):
    return grad * y


def _mish(z):
    return z * xp.tanh(_softplus(z))


def _mish_backward(z, y, grad):
    t = xp.tanh(_softplus(z))
    return grad * (t + z * _sigmoid(z) * (1 - t * t))


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
    "selu": (_selu, _selu_backward),
    "arctan": (_arctan, _arctan_backward),
    "sine": (_sine, _sine_backward),
    "hard_sigmoid": (_hard_sigmoid, _hard_sigmoid_backward),
    "exponential": (_exponential, _exponential_backward),
    "mish": (_mish, _mish_backward),
}
_ALIASES = {"swish": "silu", "sin": "sine", None: "linear"}
_PARAMETERS = {"leaky_relu": ("negative_slope",), "elu": ("alpha",)}  # the numbers each activation takes


def _check_config(name: str, config: dict) -> dict:
    """``config`` with every value a finite float, if ``name`` takes each of its keys."""
    for key in config:
        if key not in _PARAMETERS.get(name, ()):
            takes = ", ".join(f"`{p}`" for p in _PARAMETERS.get(name, ())) or "none"
            raise TypeError(f"Activation '{name}' takes no parameter `{key}` (its parameters: {takes}). "
                            f"Received: {key}={config[key]!r}")
    return {key: check_float(key, value) for key, value in config.items()}


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
    if isinstance(identifier, dict):  # an activation with parameters, from a config
        return serialization.deserialize(identifier, kind="activation")
    if identifier is None or isinstance(identifier, str):
        name = _ALIASES.get(identifier, identifier)
        if name in _REGISTRY:
            forward, backward = _REGISTRY[name]
            return ActivationFunction(name, forward, backward, **_check_config(name, config))
        valid = sorted(set(_REGISTRY) | {a for a in _ALIASES if a})
        raise ValueError(f"Unknown activation {identifier!r}. Valid names: {', '.join(valid)}.")
    raise TypeError(
        "`activation` must be a name such as 'relu', an ActivationFunction, or None. "
        f"Received: activation={identifier!r} of type {type(identifier).__name__}"
    )


def serialize(activation: ActivationFunction) -> str:
    """The name under which ``get`` finds ``activation`` again (how layer configs store it).

    Example:
        >>> serialize(get("swish"))
        'silu'
    """
    return activation.name


def linear(x):
    """Identity: ``y = x``, element-wise (any shape in, the same shape out).

    Example:
        >>> linear(np.array([-1.0, 0.0, 2.0]))
        array([-1.,  0.,  2.])
    """
    return _linear(x)


def relu(x):
    """Rectified linear unit: ``max(x, 0)``, element-wise (any shape in, the same shape out).

    Example:
        >>> relu(np.array([-1.0, 0.0, 2.0]))
        array([0., 0., 2.])
    """
    return _relu(x)


def leaky_relu(x, negative_slope: float = 0.2):
    """``x`` for x > 0, ``negative_slope · x`` otherwise (Keras' function default 0.2).

    Element-wise: any shape in, the same shape out.

    Example:
        >>> leaky_relu(np.array([-1.0, 0.0, 2.0]))
        array([-0.2,  0. ,  2. ])
    """
    return _leaky_relu(x, check_float("negative_slope", negative_slope))


def elu(x, alpha: float = 1.0):
    """``x`` for x > 0, ``alpha · (eˣ − 1)`` otherwise, element-wise (any shape in, the same shape out).

    Example:
        >>> elu(np.array([-1.0, 0.0, 2.0])).round(4)
        array([-0.6321,  0.    ,  2.    ])
    """
    return _elu(x, check_float("alpha", alpha))


def sigmoid(x):
    """Logistic function ``1 / (1 + e⁻ˣ)``, accurate for every x (where e⁻ˣ overflows, the result is 0).

    Element-wise: any shape in, the same shape out.

    Example:
        >>> sigmoid(np.array([-1.0, 0.0, 2.0])).round(4)
        array([0.2689, 0.5   , 0.8808])
    """
    return _sigmoid(x)


def tanh(x):
    """Hyperbolic tangent, element-wise (any shape in, the same shape out).

    Example:
        >>> tanh(np.array([-1.0, 0.0, 2.0])).round(4)
        array([-0.7616,  0.    ,  0.964 ])
    """
    return _tanh(x)


def softmax(x):
    """Softmax over the last axis, shifted by the maximum for stability; the output has the shape of ``x``,
    e.g. (batch, classes), and each row sums to 1.

    Example:
        >>> softmax(np.array([[1.0, 2.0, 3.0]])).round(4)
        array([[0.09  , 0.2447, 0.6652]])
    """
    return _softmax(x)


def softplus(x):
    """``log(1 + eˣ)``, computed as ``logaddexp(x, 0)``, element-wise (any shape in, the same shape out).

    Example:
        >>> softplus(np.array([-1.0, 0.0, 2.0])).round(4)
        array([0.3133, 0.6931, 2.1269])
    """
    return _softplus(x)


def silu(x):
    """SiLU / swish: ``x · sigmoid(x)``, element-wise (any shape in, the same shape out).

    Example:
        >>> silu(np.array([-1.0, 0.0, 2.0])).round(4)
        array([-0.2689,  0.    ,  1.7616])
    """
    return _silu(x)


swish = silu


def gelu(x):
    """Gaussian error linear unit, exact form ``x · Φ(x)`` (Keras' default, approximate=False).

    Element-wise: any shape in, the same shape out.

    Example:
        >>> gelu(np.array([-1.0, 0.0, 2.0])).round(4)
        array([-0.1587,  0.    ,  1.9545])
    """
    return _gelu(x)


def selu(x):
    """Scaled ELU: ``λ·x`` for x > 0, ``λ·α·(eˣ − 1)`` otherwise (λ ≈ 1.0507, α ≈ 1.6733).

    Element-wise: any shape in, the same shape out.

    Example:
        >>> selu(np.array([-1.0, 0.0, 2.0])).round(4)
        array([-1.1113,  0.    ,  2.1014])
    """
    return _selu(x)


def arctan(x):
    """Inverse tangent, values in (−π/2, π/2) (the Java library's arco-tangente; TF's ``tf.math.atan``),
    element-wise (any shape in, the same shape out).

    Example:
        >>> arctan(np.array([-1.0, 0.0, 2.0])).round(4)
        array([-0.7854,  0.    ,  1.1071])
    """
    return _arctan(x)


def sine(x):
    """``sin(x)`` (the Java library's Seno; TF's ``tf.math.sin``), element-wise (any shape in, the same shape out).

    Example:
        >>> sine(np.array([-1.0, 0.0, 2.0])).round(4)
        array([-0.8415,  0.    ,  0.9093])
    """
    return _sine(x)


sin = sine


def hard_sigmoid(x):
    """Piecewise-linear sigmoid of Keras 3: ``relu6(x + 3) / 6`` = clip(x/6 + 1/2, 0, 1).

    Element-wise: any shape in, the same shape out.

    Example:
        >>> hard_sigmoid(np.array([-1.0, 0.0, 2.0])).round(4)
        array([0.3333, 0.5   , 0.8333])
    """
    return _hard_sigmoid(x)


def exponential(x):
    """``eˣ``, element-wise (any shape in, the same shape out).

    Example:
        >>> exponential(np.array([-1.0, 0.0, 2.0])).round(4)
        array([0.3679, 1.    , 7.3891])
    """
    return _exponential(x)


def mish(x):
    """``x · tanh(softplus(x))``, element-wise (any shape in, the same shape out).

    Example:
        >>> mish(np.array([-1.0, 0.0, 2.0])).round(4)
        array([-0.3034,  0.    ,  1.944 ])
    """
    return _mish(x)


def argmax(probabilities, axis: int = -1):
    """Class indices from a model's output: the index of the largest value along ``axis``.

    A single output column (a sigmoid, shape (N, 1)) gives 1 where p > 0.5 and 0
    otherwise, shape (N,). Ties take the first index, as ``numpy.argmax``.

    Example:
        >>> argmax(np.array([[0.1, 0.7, 0.2], [0.8, 0.1, 0.1]]))
        array([1, 0])
        >>> argmax(np.array([[0.9], [0.2]]))
        array([1, 0])
    """
    probabilities = xp.asarray(probabilities)
    if probabilities.ndim == 0:
        raise ValueError("`probabilities` must have at least one axis, e.g. shape (batch, classes). Received a scalar.")
    if probabilities.shape[axis] == 1:
        return (xp.squeeze(probabilities, axis=axis) > 0.5).astype(xp.intp)
    return xp.argmax(probabilities, axis=axis)
