"""Activation layers: Activation by name, and the Keras classes ReLU, LeakyReLU, ELU, Softmax."""

from __future__ import annotations

from .. import activations
from ..serialization import serialize
from ..validation import check_float
from ..tensor import Tensor4D
from .base import Layer


class Activation(Layer):
    """Applies an activation function element-wise (softmax: over the last axis).

    Args:
        activation: name such as 'relu' or an ActivationFunction.

    Input shape / Output shape: (batch, h, w, c), unchanged.
    Equations: y = act(x);  dL/dx = act'(x) ⊙ dL/dy (softmax: y ⊙ (g − Σ g·y)).

    Example:
        >>> Activation("relu")(np.array([[-1.0, 2.0]]))
        array([[0., 2.]], dtype=float32)
    """

    supports_masking = True  # works step by step: a sequence's mask passes through

    def __init__(self, activation, **kwargs) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """Unchanged: the output has the input's shape."""
        return tuple(input_shape)

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        return self.activate(x.data)

    def backward(self, grad: Tensor4D) -> Tensor4D:
        return Tensor4D(self.activation_backward(grad))

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": serialize(self.activation)}


class ReLU(Activation):
    """``max(x, 0)`` as a layer.

    Input shape / Output shape: (batch, h, w, c), unchanged.
    Equations: forward y = max(x, 0);  backward dL/dx = dL/dy ⊙ [x > 0].

    Example:
        >>> from redes import Tensor4D
        >>> relu = ReLU()
        >>> relu(np.array([[-1.0, 2.0]])).tolist()
        [[0.0, 2.0]]
        >>> relu.backward(Tensor4D.from_natural(np.ones((1, 2)))).data.ravel().tolist()
        [0.0, 1.0]
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("relu", **kwargs)

    def get_config(self) -> dict:
        return Layer.get_config(self)


class LeakyReLU(Activation):
    """``x`` for x > 0, ``negative_slope · x`` otherwise. Keras' layer default slope is 0.3
    (the function's is 0.2).

    Args:
        negative_slope: the slope α for x ≤ 0, a number >= 0 (default 0.3).

    Input shape / Output shape: (batch, h, w, c), unchanged.
    Equations: forward y = x if x > 0 else α·x;  backward dL/dx = dL/dy ⊙ (1 if x > 0 else α).

    Example:
        >>> LeakyReLU()(np.array([[-1.0, 2.0]]))
        array([[-0.3,  2. ]], dtype=float32)
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs) -> None:
        negative_slope = check_float("negative_slope", negative_slope, minimum=0.0)
        super().__init__(activations.get("leaky_relu", negative_slope=float(negative_slope)), **kwargs)
        self.negative_slope = float(negative_slope)

    def get_config(self) -> dict:
        return {**Layer.get_config(self), "negative_slope": self.negative_slope}


class ELU(Activation):
    """``x`` for x > 0, ``alpha · (eˣ − 1)`` otherwise.

    Args:
        alpha: the scale α of the negative part (default 1.0).

    Input shape / Output shape: (batch, h, w, c), unchanged.
    Equations: forward y = x if x > 0 else α(eˣ − 1);  backward dL/dx = dL/dy ⊙ (1 if x > 0 else y + α).

    Example:
        >>> ELU()(np.array([[-1.0, 2.0]])).round(4)
        array([[-0.6321,  2.    ]], dtype=float32)
    """

    def __init__(self, alpha: float = 1.0, **kwargs) -> None:
        alpha = check_float("alpha", alpha)
        super().__init__(activations.get("elu", alpha=float(alpha)), **kwargs)
        self.alpha = float(alpha)

    def get_config(self) -> dict:
        return {**Layer.get_config(self), "alpha": self.alpha}


class Softmax(Activation):
    """Softmax over the last axis, as a layer.

    Input shape / Output shape: (batch, h, w, c), unchanged; each row along c sums to 1.
    Equations: forward y = eˣ / Σ eˣ (over c);  backward dL/dx = y ⊙ (g − Σ g ⊙ y), g = dL/dy, Σ over c.

    Example:
        >>> Softmax()(np.array([[1.0, 2.0, 3.0]])).round(4)
        array([[0.09  , 0.2447, 0.6652]], dtype=float32)
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("softmax", **kwargs)

    def get_config(self) -> dict:
        return Layer.get_config(self)
