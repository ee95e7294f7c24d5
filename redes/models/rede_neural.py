"""RedeNeural: the multilayer perceptron of the Java library, built from redes' own layers."""

from __future__ import annotations

import copy

from .. import activations, initializers, regularizers
from ..layers.core import Input
from ..layers.dense import Dense
from ..serialization import serialize
from ..validation import check_int_sequence, check_non_negative_int
from .sequential import Sequential, _layers_from_config


class RedeNeural(Sequential):
    """A dense-only MLP given by its layer sizes, e.g. ``RedeNeural([784, 128, 64, 10])``.

    It is a Sequential of ``Input((sizes[0],))`` and one Dense per following size,
    so it has the same compile / fit / evaluate / predict / summary and weights API.

    Args:
        layer_sizes: [inputs, hidden_1, …, outputs]; at least two positive integers.
        activation: activation of the hidden layers (default 'relu').
        output_activation: activation of the last layer (default 'linear'; 'softmax' for classification).
        kernel_initializer, kernel_regularizer: passed to every Dense.
        seed: a non-negative integer makes the initial weights repeatable: Dense number i
            (from 0) gets its initializer with seed ``seed + i``. It needs a redes
            Initializer (or its name); None draws from the global generator.

    Besides the Sequential API, as the Java library: ``print(net)`` (or ``str(net)``) shows
    the summary, ``count_params()`` the number of weights, ``clone()`` an independent copy,
    and ``loss_history`` the training loss of every epoch of every ``fit`` so far.

    Input shape: (batch, layer_sizes[0]). Output shape: (batch, layer_sizes[-1]).

    Example:
        >>> net = RedeNeural([784, 128, 64, 10], activation="relu", output_activation="softmax", seed=42)
        >>> net.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        >>> net.fit(x_train, y_train, epochs=5, verbose=0)
        >>> net.loss_history            # one value per epoch
        >>> print(net)                  # the summary table
    """

    def __init__(self, layer_sizes, activation="relu", output_activation="linear",
                 kernel_initializer="glorot_uniform", kernel_regularizer=None, name: str | None = None,
                 dtype=None, seed: int | None = None) -> None:
        sizes = check_int_sequence("layer_sizes", layer_sizes, minimum=1, min_length=2)  # [inputs, ..., outputs]
        self.layer_sizes = sizes
        self.seed = seed = check_non_negative_int("seed", seed, allow_none=True)
        self.loss_history: list[float] = []
        self._arguments = {"activation": activations.get(activation),
                           "output_activation": activations.get(output_activation),
                           "kernel_initializer": initializers.get(kernel_initializer),
                           "kernel_regularizer": regularizers.get(kernel_regularizer)}
        layers = [Input((sizes[0],))]
        for index, units in enumerate(sizes[1:], start=1):
            is_output = index == len(sizes) - 1
            layers.append(Dense(units, activation=output_activation if is_output else activation,
                                kernel_initializer=_seeded(kernel_initializer, seed, index - 1),
                                kernel_regularizer=kernel_regularizer, dtype=dtype))
        super().__init__(layers, name=name, dtype=dtype)

    def fit(self, *args, **kwargs):
        """Train as ``Sequential.fit`` (same arguments), then append each epoch's loss to ``loss_history``.

        With the Java library's plain gradient descent, one step per pass over the data:
        ``compile(optimizer="gd", ...)`` and ``fit(x, y, batch_size=len(x), epochs=...)``.
        """
        history = super().fit(*args, **kwargs)
        self.loss_history.extend(history.history.get("loss", []))
        return history

    def clone(self) -> RedeNeural:
        """An independent copy: same layers, configuration and weights (new arrays), not compiled.

        Training or changing the copy leaves the original untouched. The optimizer, loss,
        metrics and History are not copied (compile the copy to train it); ``loss_history`` is.

        Example:
            >>> twin = net.clone()
            >>> np.array_equal(twin.predict(x), net.predict(x))
            True
        """
        training_state = (self.optimizer, self.loss, self.metrics, self.history, getattr(self, "_objectives", None))
        memo = {id(item): None for item in training_state if item is not None}
        twin = copy.deepcopy(self, memo)
        twin.metrics = []
        return twin

    def __str__(self) -> str:
        """The summary table, as ``summary()`` prints it."""
        lines: list[str] = []
        self.summary(print_fn=lines.append)
        return "\n".join(lines)

    def get_config(self) -> dict:
        """The constructor's arguments, plus Sequential's ``layers`` (names, flags, later additions)."""
        return {
            **super().get_config(),
            "layer_sizes": list(self.layer_sizes),
            "activation": serialize(self._arguments["activation"]),
            "output_activation": serialize(self._arguments["output_activation"]),
            "kernel_initializer": serialize(self._arguments["kernel_initializer"]),
            "kernel_regularizer": serialize(self._arguments["kernel_regularizer"]),
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config: dict) -> "RedeNeural":
        config = dict(config)
        config.pop("input_shape", None)
        trainable = config.pop("trainable", True)
        stack = _layers_from_config(config.pop("layers", []))
        model = cls(**config)
        model.trainable = trainable
        for built, saved in zip(model.layers, stack):
            built.name, built.trainable = saved.name, saved.trainable
        for extra in stack[len(model.layers):]:
            model.add(extra)
        return model


def _seeded(kernel_initializer, seed, offset: int):
    """``kernel_initializer`` with seed ``seed + offset`` (unchanged when ``seed`` is None)."""
    if seed is None:
        return kernel_initializer
    initializer = initializers.get(kernel_initializer)
    if not isinstance(initializer, initializers.Initializer):
        raise TypeError(
            "`seed` needs `kernel_initializer` to be a redes Initializer or its name, not a plain function. "
            f"Received: kernel_initializer={kernel_initializer!r}"
        )
    config = initializer.get_config()
    if "seed" not in config:  # deterministic: zeros, ones, constant, identity
        return initializer
    return type(initializer)(**{**config, "seed": seed + offset})
