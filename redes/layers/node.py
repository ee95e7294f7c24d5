"""Symbolic tensors and nodes: the graph that calling layers on ``Input`` records (the functional API).

A ``SymbolicTensor`` stands for a layer's output before any data exists: its feature shape
(without the batch axis), its dtype and the ``Node`` that produced it. A ``Node`` is one call
of a layer: the layer, the symbolic tensors it was called on and the tensor it returned. A
layer called twice has two nodes and one set of weights. ``redes.Model(inputs, outputs)``
walks the nodes back from the outputs to build a ``Functional`` model.

Example:
    >>> i = Input((28, 28, 1))
    >>> x = Conv2D(8, 3)(i)          # a SymbolicTensor; Conv2D is built for (28, 28, 1)
    >>> x.shape, x.node.layer.name, x.node.inputs[0].node.layer is i
    ((26, 26, 8), 'conv2d', True)
"""

from __future__ import annotations


class SymbolicTensor:
    """The output of a layer inside a graph: feature shape, dtype and producing node, no data.

    Args:
        shape: feature shape without the batch axis, e.g. (26, 26, 8).
        dtype: the producing layer's dtype name, e.g. 'float32'.
        node: the Node (layer call) that produced this tensor.

    Example:
        >>> from redes import layers
        >>> x = layers.Input((28, 28, 1))
        >>> y = layers.Conv2D(8, 3, name="conv")(x.output)
        >>> y.shape, y.layer.name
        ((26, 26, 8), 'conv')
    """

    __slots__ = ("shape", "dtype", "node", "index")

    def __init__(self, shape: tuple, dtype: str, node: "Node", index: int = 0) -> None:
        self.shape = tuple(shape)
        self.dtype = dtype
        self.node = node
        self.index = index  # which of the node's outputs (a layer such as LSTM(return_state=True) has several)

    @property
    def layer(self):
        """The layer that produced this tensor."""
        return self.node.layer

    def __repr__(self) -> str:
        return f"<SymbolicTensor shape={(None,) + self.shape}, dtype={self.dtype}, from layer {self.layer.name!r}>"


class Node:
    """One call of ``layer`` on symbolic ``inputs``; creates its ``outputs`` tensors.

    Args:
        layer: the layer called (already built for the inputs' shapes).
        inputs: the SymbolicTensors it was called on, in order; none for an Input layer.
        output_shape: the layer's output feature shape for these inputs; a list of shapes for a layer
            with several outputs (a recurrent layer with ``return_state``, a model with several outputs).
    """

    __slots__ = ("layer", "inputs", "outputs", "called_on_list", "has_output_list")

    def __init__(self, layer, inputs: list[SymbolicTensor], output_shape: tuple | list,
                 called_on_list: bool = False) -> None:
        self.layer = layer
        self.inputs = tuple(inputs)
        self.called_on_list = called_on_list
        self.has_output_list = isinstance(output_shape, list)
        shapes = output_shape if self.has_output_list else [output_shape]
        self.outputs = tuple(SymbolicTensor(shape, layer.dtype, self, k) for k, shape in enumerate(shapes))
        layer.inbound_nodes.append(self)

    @property
    def inputs_as_called(self) -> SymbolicTensor | list[SymbolicTensor]:
        """The inputs as the layer was called on them: one tensor, or a list (an Input's: its own tensor)."""
        if self.is_input:
            return self.output
        return list(self.inputs) if self.called_on_list else self.inputs[0]

    @property
    def outputs_as_called(self) -> SymbolicTensor | list[SymbolicTensor]:
        """The outputs as the call returned them: one tensor, or a list."""
        return list(self.outputs) if self.has_output_list else self.outputs[0]

    @property
    def output(self) -> SymbolicTensor:
        """The first (for most layers, the only) output."""
        return self.outputs[0]

    @property
    def is_input(self) -> bool:
        """True for the node of an Input layer, where a graph starts."""
        return not self.inputs

    def __repr__(self) -> str:
        inbound = ", ".join(t.layer.name for t in self.inputs)
        return f"<Node {self.layer.name!r} <- [{inbound}]>"


def as_symbolic(value) -> SymbolicTensor | None:
    """``value`` as a SymbolicTensor: itself, or an Input layer's ``output``; None for data."""
    if isinstance(value, SymbolicTensor):
        return value
    if not getattr(value, "inbound_nodes", None) or not value.inbound_nodes[0].is_input:
        return None
    return value.inbound_nodes[0].output


def symbolic_inputs(inputs) -> list[SymbolicTensor] | None:
    """The symbolic tensors in ``inputs`` (one, or a list or tuple); None when ``inputs`` is data.

    Raises TypeError for a list that mixes symbolic tensors and data.
    """
    items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    tensors = [as_symbolic(item) for item in items]
    if all(tensor is None for tensor in tensors):
        return None
    if any(tensor is None for tensor in tensors):
        kinds = [type(item).__name__ for item in items]
        raise TypeError(f"A layer's inputs must be all symbolic tensors (from Input) or all data. Received: {kinds}")
    return tensors


def call_symbolic(layer, inputs, tensors: list[SymbolicTensor]) -> SymbolicTensor | list[SymbolicTensor]:
    """Record ``layer`` called on ``tensors`` (given as ``inputs``, one or a list): build it, return its output
    (a list of them for a layer with several outputs).

    Raises ValueError, naming the layers, when the layer cannot take these inputs: a shape that
    differs from the one it was built for (a shared layer), or shapes a merge layer cannot combine.
    """
    as_list = isinstance(inputs, (list, tuple))
    sources = ", ".join(f"'{t.layer.name}' {(None,) + t.shape}" for t in tensors)
    if as_list != layer._takes_list or (as_list and not tensors):
        expected = "a list of tensors" if layer._takes_list else "one tensor"
        raise TypeError(f"Layer '{layer.name}' ({type(layer).__name__}) takes {expected}. "
                        f"Received: {'a list of ' + str(len(tensors)) if as_list else 'one tensor'} (from {sources})")
    shapes = [t.shape for t in tensors]
    try:
        output_shape = layer.build_for(shapes if as_list else shapes[0])
    except ValueError as error:
        raise ValueError(f"Layer '{layer.name}' cannot take the output of {sources}: {error}") from None
    return Node(layer, tensors, output_shape, called_on_list=as_list).outputs_as_called
