"""LayerContainer: a layer made of layers (a Model, a Wrapper), which names its layers itself."""

from __future__ import annotations

from .base import Layer


class LayerContainer(Layer):
    """A layer whose sublayers are its ``layers``, in their order, rather than those found in its attributes.

    As for any layer with sublayers (``Layer._children``), its weights, trainable and non-trainable weights,
    gradients, losses, ``get_weights`` / ``set_weights`` and ``count_params`` are its own (usually none)
    followed by its layers', and setting ``trainable`` sets it on every layer (freezing a model or a wrapper
    freezes what is inside, as Keras). Subclasses give ``layers``; ``Model`` and ``Wrapper`` are the two in
    redes (a subclassed ``Model``'s ``layers`` are the tracked ones).

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

    def _children(self) -> list[Layer]:
        return self._contained()
