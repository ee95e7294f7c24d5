"""Functional: a model made from a graph of layer calls, ``Model(inputs, outputs)`` as in Keras.

Calling layers on an ``Input`` records nodes (``redes.layers.node``); a ``Graph`` (``graph.py``)
orders them; ``Functional`` runs them: forward in topological order, backward in the reverse order.
A tensor used by several layers receives the sum of their gradients (fan-out); a layer called at
several nodes shares its weights, keeps each call's forward cache apart and adds up its weight
gradients over the calls. Compile, fit, evaluate and predict are ``Model``'s, for one output or several.
"""

from __future__ import annotations

import collections

from .. import serialization
from ..backend import xp
from ..layers.base import Layer, format_shape, forward_cache, padded_shape, restore_forward_cache, same_shape
from ..layers.node import Node, SymbolicTensor
from ..tensor import Tensor4D
from ._validation import Samples, as_array, check_input_shape, check_same_length, per_endpoint
from .graph import Graph
from .model import Model
from .summary import print_summary


class Functional(Model):
    """A model whose layers form a graph: several inputs and outputs, shared layers, skip connections.

    Built by ``redes.Model(inputs, outputs)`` (or ``Functional(inputs, outputs)``) from symbolic
    tensors, the results of calling layers on ``Input`` layers. It has the methods of every model:
    compile, fit, evaluate, predict, summary, get_weights / set_weights, save.

    Args:
        inputs: an Input (or its ``output``), or a list of them.
        outputs: a layer's symbolic output, or a list of them (each from a different layer).
        name, trainable: as for any layer. dtype: default the first input's.

    Input shape: (batch, *shape) for each Input; several inputs are given as a list (or a dict
    keyed by Input name). Output shape: each output layer's; several outputs come as a list.

    Equations: forward runs each node y = f(x₁, …) in topological order; backward runs them in
    reverse, and a tensor t feeding the nodes c₁ … cₖ gets dL/dt = Σⱼ dL/dt through cⱼ.

    Example:
        >>> i = Input((28, 28, 1))
        >>> x = Conv2D(16, 3, padding="same", activation="relu")(i)
        >>> y = Add()([x, Conv2D(16, 3, padding="same")(x)])  # a residual block
        >>> model = Model(i, Dense(10, activation="softmax")(GlobalAveragePooling2D()(y)))
        >>> model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    """

    def __init__(self, inputs, outputs, name: str | None = None, trainable: bool = True, dtype=None) -> None:
        graph = Graph(inputs, outputs)
        super().__init__(name=name, trainable=trainable, dtype=dtype or graph.inputs[0].dtype)
        self._graph = graph
        self._layers = graph.layers
        if not trainable:
            self.trainable = False  # freezes every layer, as in Keras
        # how many times each tensor is read in a forward pass: a node input, or a model output
        self._references = {tensor: count + (tensor in graph.outputs) for tensor, count in graph.readers.items()}
        self._node_states: dict[Node, list] = {}
        for tensor in graph.inputs:
            tensor.layer.build_for(tensor.shape)
        self.input_shape = _shapes(graph.inputs)
        self.output_shape = _shapes(graph.outputs)
        self.built = True

    # ---------------------------------------------------------------- graph
    @property
    def layers(self) -> list[Layer]:
        """The layers, Input layers included, in Keras' order (by depth from the inputs)."""
        return list(self._layers)

    @property
    def inputs(self) -> list[SymbolicTensor]:
        return list(self._graph.inputs)

    @property
    def outputs(self) -> list[SymbolicTensor]:
        return list(self._graph.outputs)

    @property
    def input(self) -> SymbolicTensor | list[SymbolicTensor]:
        """The model's input tensor, or the list of them (Keras: the inputs as given to the constructor)."""
        return self._graph.inputs_as_given

    @property
    def output(self) -> SymbolicTensor | list[SymbolicTensor]:
        """The model's output tensor, or the list of them (as given to the constructor)."""
        return self._graph.outputs_as_given

    @property
    def input_names(self) -> list[str]:
        return [tensor.layer.name for tensor in self._graph.inputs]

    @property
    def output_names(self) -> list[str]:
        """The output layers' names: the keys of ``loss``, ``loss_weights`` and ``metrics`` dicts, and of the logs."""
        return [tensor.layer.name for tensor in self._graph.outputs]

    @property
    def _takes_list(self) -> bool:
        return len(self._graph.inputs) > 1

    # ------------------------------------------------------------- forward
    def forward(self, x, training: bool = False):
        """Run the nodes in topological order; each intermediate tensor is dropped after its last use."""
        graph = self._graph
        values = dict(zip(graph.inputs, x if self._takes_list else [x]))
        remaining = dict(self._references)
        states, shapes = {}, {}
        for node in graph.nodes:
            layer = node.layer
            args = [_cast(values[tensor], layer.dtype) for tensor in node.inputs]
            inputs = args if layer._takes_list else args[0]
            result = layer.masked(inputs, layer.forward(inputs, training=training))
            for tensor, value in zip(node.outputs, result if len(node.outputs) > 1 else [result]):
                values[tensor] = value
                shapes[tensor] = value.shape
            if layer in graph.shared:
                states[node] = forward_cache(layer)
            for tensor in node.inputs:
                remaining[tensor] -= 1
                if remaining[tensor] == 0:
                    del values[tensor]
        self._node_states, self._value_shapes = states, shapes
        outputs = [values[tensor] if graph.readers[tensor] == 0 else Tensor4D(values[tensor])
                   for tensor in graph.outputs]  # an output that other nodes read also gets their gradients: no logits
        return outputs if len(outputs) > 1 else outputs[0]

    # ------------------------------------------------------------ backward
    def _input_layers(self) -> list:
        """Layers called once, on model inputs only: their dL/dx is dL/d(model input) alone."""
        nodes = self._graph.nodes
        calls = collections.Counter(node.layer for node in nodes)
        inputs = set(self._graph.inputs)
        return [node.layer for node in nodes
                if calls[node.layer] == 1 and not isinstance(node.layer, Model) and set(node.inputs) <= inputs]

    def _backward(self, grad):
        """Run the nodes' backward in reverse topological order, summing the gradients of each tensor."""
        graph = self._graph
        pending: dict[SymbolicTensor, Tensor4D] = {}
        for tensor, g in zip(graph.outputs, grad if len(graph.outputs) > 1 else [grad]):
            _accumulate(pending, tensor, g)
        states, done = self._node_states, set()
        for node in reversed(graph.nodes):
            layer = node.layer
            if node in states:
                restore_forward_cache(states.pop(node))
            leaves = [leaf for leaf in _all_layers(layer) if not isinstance(leaf, Model)] if layer in done else []
            for leaf in leaves:
                leaf._accumulate_gradients = True
            # a layer with several outputs gets a list of their gradients, None for an output nothing read
            grads = [pending.pop(tensor, None) for tensor in node.outputs]
            if all(g is None for g in grads):  # no gradient reached this call (an unused output of a nested
                # model): zeros, so that its weights get zero gradients rather than the last step's
                grads = [Tensor4D(xp.zeros(self._value_shapes[t], dtype=t.dtype)) for t in node.outputs]
            try:
                result = layer.backward(grads if len(grads) > 1 else grads[0])
            finally:
                for leaf in leaves:
                    del leaf._accumulate_gradients
            done.add(layer)
            for tensor, g in zip(node.inputs, result if layer._takes_list else [result]):
                _accumulate(pending, tensor, g)
        self._node_states = {}
        batch = next(g for g in (grad if isinstance(grad, list) else [grad]) if g is not None).shape[0]
        grads = [pending[tensor] if tensor in pending  # an unused input gets zeros
                 else Tensor4D(xp.zeros((batch,) + padded_shape(tensor.shape), dtype=tensor.dtype))
                 for tensor in graph.inputs]
        return grads if self._takes_list else grads[0]

    def backward(self, grad):
        """Back-propagate dL/d(outputs) (a list for several outputs); return dL/d(inputs) (a list for several).

        Each gradient is a Tensor4D, or an array in the output's natural shape (then the results are arrays).
        """
        outputs = self._graph.outputs
        if len(outputs) == 1 and not self._takes_list:
            return super().backward(grad)
        grads = list(grad) if len(outputs) > 1 else [grad]
        if len(grads) != len(outputs):
            raise ValueError(f"`grad` must hold one gradient per output ({len(outputs)}). Received {len(grads)}.")
        natural = not any(isinstance(g, Tensor4D) for g in grads)
        if natural:
            for k, (g, tensor) in enumerate(zip(grads, outputs)):
                if g is None:  # an output whose gradient is zero (a caller that did not use it)
                    continue
                g = xp.asarray(g)
                if g.ndim != len(tensor.shape) + 1 or not same_shape(g.shape[1:], tensor.shape):
                    raise ValueError(f"`grad[{k}]` must have the shape of output '{tensor.layer.name}', "
                                     f"{format_shape(tensor.shape)}. Received shape {g.shape}.")
                grads[k] = Tensor4D.from_natural(g)
        result = self._backward(grads if len(outputs) > 1 else grads[0])
        if not natural:
            return result
        results = [t.to_natural(tensor.shape) for t, tensor in zip(result if self._takes_list else [result],
                                                                      self._graph.inputs)]
        return results if self._takes_list else results[0]

    # ---------------------------------------------------------------- inputs
    def _input_tensor(self, x):
        if not isinstance(x, Samples):
            return super()._input_tensor(x)
        return [_cast(Tensor4D.from_natural(array), self.dtype) for array in x.arrays]

    # --------------------------------------------------------------- checks
    def _check_inputs(self, x, name: str = "x"):
        if not self._takes_list:
            return super()._check_inputs(x, name)
        arrays = per_endpoint(name, x, self.input_names, "input")
        checked = []
        for k, (array, tensor) in enumerate(zip(arrays, self._graph.inputs)):
            array = as_array(array, f"{name}[{k}]", self.dtype)
            check_input_shape(array, tensor.shape, f"{name}[{k}]")
            if checked:
                check_same_length(checked[0], array, f"{name}[0]", f"{name}[{k}]")
            checked.append(array)
        return Samples(checked)

    # ---------------------------------------------------------- description
    def summary(self, print_fn=print) -> None:
        """Print the layers, output shapes, parameter counts and each layer's inbound layers."""
        calls = self._graph.calls()

        def label(tensor: SymbolicTensor) -> str:
            nodes = calls[tensor.layer]
            call = f"[{nodes.index(tensor.node)}]" if len(nodes) > 1 or len(tensor.node.outputs) > 1 else ""
            return tensor.layer.name + call + (f"[{tensor.index}]" if len(tensor.node.outputs) > 1 else "")

        connections = {layer: [", ".join(label(t) for t in node.inputs) for node in nodes if node.inputs]
                       for layer, nodes in calls.items()}
        print_summary(self, print_fn, connections=connections)

    def get_config(self) -> dict:
        """The graph: each layer's config and its calls, as ``[layer name, call index]`` references."""
        return {**super().get_config(), **self._graph.to_config(serialization.serialize)}

    @classmethod
    def from_config(cls, config: dict) -> "Functional":
        """Rebuild the graph from ``get_config``: call each layer on its inbound tensors once they exist.

        Raises ValueError, naming the layers, for a reference to a missing layer or call, or a cycle.
        """
        from .sequential import _layers_from_config
        config = dict(config)
        layers = _layers_from_config(config.pop("layers"))
        inputs, outputs = Graph.tensors_from_config(layers, config.pop("inbound_nodes"), config.pop("input_layers"),
                                                    config.pop("output_layers"))
        return cls(inputs, outputs, **config)

    def __repr__(self) -> str:
        return (f"<Functional name={self.name!r}, inputs={self.input_names}, outputs={self.output_names}, "
                f"layers={len(self._layers)}>")


def _shapes(tensors: list[SymbolicTensor]):
    return tensors[0].shape if len(tensors) == 1 else [tensor.shape for tensor in tensors]


# ------------------------------------------------------------ execution helpers
def _cast(x: Tensor4D, dtype) -> Tensor4D:
    return x if x.dtype == dtype else Tensor4D(x.data.astype(dtype), mask=x.mask)


def _accumulate(pending: dict, tensor: SymbolicTensor, grad: Tensor4D) -> None:
    """Add ``grad`` to ``tensor``'s gradient; never in place, as one array may reach several tensors.

    None (the gradient of an output nothing read) adds nothing."""
    if grad is None:
        return
    previous = pending.get(tensor)
    pending[tensor] = grad if previous is None else Tensor4D(previous.data + grad.data)


def _all_layers(layer: Layer) -> list[Layer]:
    """``layer`` and, for a nested model, every layer inside it, recursively."""
    if not isinstance(layer, Model):
        return [layer]
    return [layer] + [inner for sub in layer.layers for inner in _all_layers(sub)]
