"""LayerContainer: a layer made of layers (a Model, a Wrapper), whose weights are its layers' weights."""

from __future__ import annotations

from .base import Layer


class LayerContainer(Layer):
    """A layer that owns no weights of its own: it gathers those of its ``layers``, in their order.

    Weights, trainable and non-trainable weights, gradients, regularization penalties, ``get_weights`` /
    ``set_weights`` and ``count_params`` are the layers' own, concatenated; setting ``trainable`` sets it
    on every layer (freezing a model or a wrapper freezes what is inside, as Keras). Subclasses give
    ``layers``; ``Model`` and ``Wrapper`` are the two in redes.

    Example:
        >>> from redes import Sequential, layers
        >>> model = Sequential([layers.Input((3,)), layers.Dense(2)])
        >>> isinstance(model, LayerContainer), model.count_params(), [w.shape for w in model.get_weights()]
        (True, 8, [(3, 2), (2,)])
    """

    @property
    def layers(self) -> list[Layer]:
        raise NotImplementedError

    def _contained(self) -> list[Layer]:
        """The layers, or none while the subclass's constructor has not made them yet."""
        try:
            return self.layers
        except (AttributeError, NotImplementedError):
            return []

    @property
    def trainable(self) -> bool:
        return self.__dict__.get("_trainable", True)

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for layer in self._contained():
            layer.trainable = self._trainable

    @property
    def weight_names(self) -> list[str]:
        """'<layer>/<weight>' for each weight, in ``weights`` order."""
        return [f"{layer.name}/{name}" for layer in self.layers for name in layer.weight_names]

    @property
    def weights(self) -> list:
        return [w for layer in self.layers for w in layer.weights]

    @property
    def trainable_weights(self) -> list:
        return [w for layer in self.layers for w in layer.trainable_weights] if self.trainable else []

    @property
    def non_trainable_weights(self) -> list:
        if not self.trainable:
            return self.weights
        return [w for layer in self.layers for w in layer.non_trainable_weights]

    @property
    def gradients(self) -> list:
        """dL/dw aligned with ``trainable_weights``, filled by ``backward``."""
        return [g for layer in self.layers for g in layer.gradients] if self.trainable else []

    @property
    def losses(self) -> list[float]:
        """Regularization penalties of all layers."""
        return [loss for layer in self.layers for loss in layer.losses]

    def get_weights(self) -> list:
        """All weights, layer by layer, each layer in Keras order."""
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights) -> None:
        """Set all weights from a list in ``get_weights`` order (e.g. taken from an equivalent Keras model)."""
        weights = list(weights)
        expected = sum(len(layer.weights) for layer in self.layers)
        if len(weights) != expected:
            names = ", ".join(self.weight_names) or "none"
            raise ValueError(f"{type(self).__name__} '{self.name}' expects {expected} weight arrays ({names}), "
                             f"received {len(weights)}.")
        start = 0
        for layer in self.layers:
            count = len(layer.weights)
            layer.set_weights(weights[start:start + count])
            start += count

    def count_params(self) -> int:
        return sum(layer.count_params() for layer in self.layers)
