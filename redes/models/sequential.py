"""Sequential: a plain stack of layers, each feeding the next."""

from __future__ import annotations

from .. import serialization
from ..layers.base import Layer
from ..layers.core import Input
from ..tensor import Tensor4D
from . import folding
from .batches import ArrayBatches
from .model import Model


class Sequential(Model):
    """A linear stack of layers (the Java library's ``Sequencial``).

    Args:
        layers: optional list of layers; an ``Input`` first fixes the input shape and builds the model at once.
        name, trainable, dtype: as for any layer. Without ``dtype`` the model takes its first layer's.

    Input shape: (batch, *input_shape). Output shape: (batch, *output_shape of the last layer).
    Once built, the layers form a graph as in Keras: ``inputs``, ``outputs`` and each layer's ``input``
    and ``output`` are symbolic tensors, so ``Model(model.inputs, [l.output for l in model.layers])``
    returns every layer's output.
    Equations: forward x → f_n(…f_1(x)); backward runs the layers' backward in reverse order.

    Example:
        >>> model = Sequential([Input((784,)), Dense(128, activation="relu"), Dense(10, activation="softmax")])
        >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        >>> model.fit(x_train, y_train, epochs=5)
    """

    def __init__(self, layers=None, name: str | None = None, trainable: bool = True, dtype=None) -> None:
        self._layers: list[Layer] = []
        self._folding = folding.Folding()  # not a container attribute: its folded copies are not sublayers
        self._input_layer: Input | None = None
        self._chain: list = []  # once built: the Input's symbolic tensor, then each layer's output
        self._explicit_dtype = dtype is not None
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self) -> list[Layer]:
        """The layers in order (the Input, if any, is not listed, as in Keras)."""
        return list(self._layers)

    @property
    def output_names(self) -> list[str]:
        """[the last layer's name]: the key of a ``loss`` or ``metrics`` dict."""
        return [self._layers[-1].name] if self._layers else [self.name]

    def add(self, layer: Layer) -> None:
        """Append a layer (or a whole model) to the stack."""
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a Layer. Received: {layer!r} of type {type(layer).__name__}")
        if isinstance(layer, Input):
            if self._layers or self._input_layer is not None:
                raise ValueError("An Input layer can only come first in a Sequential model.")
            self._input_layer = layer
            self.build_for(layer.shape)
            return
        if any(existing is layer for existing in self._layers):
            raise ValueError(f"Layer '{layer.name}' is already in model '{self.name}'.")
        if layer.declared_input_shape is not None and not self._layers and self._input_layer is None:
            self.add(Input(layer.declared_input_shape))  # Keras 2's Dense(..., input_shape=(784,))
        if not self._layers and not self._explicit_dtype:
            self.dtype = layer.dtype
        if not self.trainable:
            layer.trainable = False
        self._layers.append(layer)
        if self.built:
            self._chain.append(layer(self._chain[-1]))
            self.output_shape = self._chain[-1].shape
        elif len(self._layers) == 1 and isinstance(layer, Model) and layer.built:
            self.build_for(layer.input_shape)  # a built model first gives its input shape, as in Keras

    def pop(self) -> Layer:
        """Remove and return the last layer (Keras' ``pop``); the model's output is then the new last layer's."""
        if not self._layers:
            raise ValueError(f"Model '{self.name}' has no layer to pop.")
        layer = self._layers.pop()
        if self.built:
            self._chain.pop()
            self.output_shape = self._chain[-1].shape
        return layer

    def build(self, input_shape: tuple) -> None:
        """Build the layers by calling each on the previous one's symbolic output, from an Input."""
        if self._input_layer is None:
            self._input_layer = Input(input_shape, dtype=self.dtype)
        self._input_layer.build_for(input_shape)
        self._chain = [self._input_layer.output]
        for layer in self._layers:
            self._chain.append(layer(self._chain[-1]))

    @property
    def inputs(self) -> list:
        """[the input's symbolic tensor], once the model is built (Keras' ``model.inputs``)."""
        return [self._built_chain("inputs")[0]]

    @property
    def outputs(self) -> list:
        """[the last layer's symbolic output], once the model is built."""
        return [self._built_chain("outputs")[-1]]

    @property
    def input(self):
        return self.inputs[0]

    @property
    def output(self):
        return self.outputs[0]

    def _built_chain(self, attribute: str) -> list:
        if not self._chain:
            raise AttributeError(f"Sequential model '{self.name}' has no defined {attribute} yet: give it an Input "
                                 "first, or build it (fit, build, or a call on data).")
        return self._chain

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = input_shape
        for layer in self._layers:
            shape = layer.compute_output_shape(shape)
        return shape

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        running = self._folding.running  # inside predict and evaluate: BatchNormalizations folded (``folding``)
        for layer in running if running is not None and not training else self._layers:
            x = layer(x, training=training)
        return x

    def _folded_for_inference(self, batches):
        return self._folding.folded(self._layers, batches.samples if isinstance(batches, ArrayBatches) else None)

    def _backward(self, grad: Tensor4D) -> Tensor4D:
        for layer in reversed(self._layers):
            grad = layer.backward(grad)
        return grad

    def _input_layers(self) -> list:
        return self._layers[:1]

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "input_shape": self.input_shape,
            "layers": [serialization.serialize(layer) for layer in self._layers],
        }

    @classmethod
    def from_config(cls, config: dict) -> "Sequential":
        """Rebuild from ``get_config``; ``layers`` may hold Layer objects or their serialized form."""
        config = dict(config)
        input_shape = config.pop("input_shape", None)
        stack = [Input(tuple(input_shape))] if input_shape is not None else []
        return cls([*stack, *_layers_from_config(config.pop("layers", []))], **config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}, layers={len(self._layers)}, built={self.built}>"


def _layers_from_config(specs) -> list[Layer]:
    return [spec if isinstance(spec, Layer) else serialization.deserialize(spec, kind="layer") for spec in specs]
