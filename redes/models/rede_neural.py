"""RedeNeural: the multilayer perceptron of the Java library, built from redes' own layers."""

from __future__ import annotations

from ..layers.core import Input
from ..layers.dense import Dense
from .sequential import Sequential


class RedeNeural(Sequential):
    """A dense-only MLP given by its layer sizes, e.g. ``RedeNeural([784, 128, 64, 10])``.

    It is a Sequential of ``Input((sizes[0],))`` and one Dense per following size,
    so it has the same compile / fit / evaluate / predict / summary and weights API.

    Args:
        layer_sizes: [inputs, hidden_1, …, outputs]; at least two positive integers.
        activation: activation of the hidden layers (default 'relu').
        output_activation: activation of the last layer (default 'linear'; 'softmax' for classification).
        kernel_initializer, kernel_regularizer: passed to every Dense.

    Input shape: (batch, layer_sizes[0]). Output shape: (batch, layer_sizes[-1]).

    Example:
        >>> net = RedeNeural([784, 128, 64, 10], activation="relu", output_activation="softmax")
        >>> net.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    """

    def __init__(self, layer_sizes, activation="relu", output_activation="linear",
                 kernel_initializer="glorot_uniform", kernel_regularizer=None, name: str | None = None,
                 dtype=None) -> None:
        sizes = list(layer_sizes) if isinstance(layer_sizes, (list, tuple)) else None
        if sizes is None or len(sizes) < 2 or any(
                isinstance(s, bool) or not isinstance(s, int) or s <= 0 for s in sizes):
            raise ValueError(
                "`layer_sizes` must be a list of at least two positive integers, [inputs, ..., outputs]. "
                f"Received: layer_sizes={layer_sizes!r}"
            )
        self.layer_sizes = sizes
        layers = [Input((sizes[0],))]
        for index, units in enumerate(sizes[1:], start=1):
            is_output = index == len(sizes) - 1
            layers.append(Dense(units, activation=output_activation if is_output else activation,
                                kernel_initializer=kernel_initializer, kernel_regularizer=kernel_regularizer,
                                dtype=dtype))
        super().__init__(layers, name=name, dtype=dtype)
