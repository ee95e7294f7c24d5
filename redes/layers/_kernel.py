"""KernelLayer: what Dense and the convolutions share — an activation, a kernel and an optional bias.

The six arguments (activation, use_bias, and the kernel's and bias's initializer and regularizer),
the weights they make and their config are written here once.
"""

from __future__ import annotations

from .. import activations, initializers, regularizers
from ..serialization import serialize
from ..validation import check_bool
from .base import Layer


class KernelLayer(Layer):
    """Base of layers computing ``y = act(x ⊗ kernel + bias)`` for some product ⊗ (Dense, the convolutions).

    Args:
        activation: name or ActivationFunction (default linear).
        use_bias: whether to add ``bias``.
        kernel_initializer, bias_initializer: initializers (Keras defaults glorot_uniform, zeros).
        kernel_regularizer, bias_regularizer: optional penalties (e.g. ``regularizers.l2(0.01)``).
        name, trainable, dtype: as for any layer.

    Weights: kernel (``build_kernel``'s shape), then bias (outputs,), in Keras' order.

    Equations: those of the subclass; the activation comes last, through ``activate``.

    Example:
        >>> from redes.layers import Dense
        >>> isinstance(Dense(2), KernelLayer), Dense(2, use_bias=False).get_config()["use_bias"]
        (True, False)
    """

    def __init__(self, activation=None, use_bias: bool = True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.use_bias = check_bool("use_bias", use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def build_kernel(self, kernel_shape: tuple, outputs: int) -> None:
        """Create ``kernel`` of ``kernel_shape`` and, with ``use_bias``, ``bias`` of shape (outputs,)."""
        self.add_weight(shape=kernel_shape, initializer=self.kernel_initializer,
                        regularizer=self.kernel_regularizer, name="kernel")
        if self.use_bias:
            self.add_weight(shape=(outputs,), initializer=self.bias_initializer, regularizer=self.bias_regularizer,
                            name="bias")

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "activation": serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": serialize(self.kernel_initializer),
            "bias_initializer": serialize(self.bias_initializer),
            "kernel_regularizer": serialize(self.kernel_regularizer),
            "bias_regularizer": serialize(self.bias_regularizer),
        }
