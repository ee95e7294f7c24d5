"""Graph: the topology of a functional model, apart from running it.

Calling layers on an ``Input`` records nodes (``redes.layers.node``). A ``Graph`` walks them back
from the outputs and keeps what running them needs: the nodes in topological order, the layers in
Keras' order, which layers are called at several nodes, and how many readers each tensor has. It
also writes the graph into a config (each call as ``[layer name, call index]``) and rebuilds it from
one. ``Functional`` (``functional.py``) runs it: forward in this order, backward in the reverse.
"""

from __future__ import annotations

from ..layers.base import Layer
from ..layers.core import Input
from ..layers.node import Node, SymbolicTensor, as_symbolic


class Graph:
    """The nodes between ``inputs`` and ``outputs``, ordered, with each tensor's readers counted.

    Args:
        inputs: Input layers' symbolic tensors (an Input, or a non-empty list of them).
        outputs: layers' symbolic outputs (one, or a list, each from a different layer).

    Attributes:
        inputs, outputs: lists of SymbolicTensor.
        inputs_as_given, outputs_as_given: the same, one tensor or a list as the constructor was given them.
        nodes: the layer calls to run, in topological order (a node after every node it reads).
        layers: every layer, Inputs included, in Keras' order (by depth from the inputs).
        shared: the layers called at more than one node.
        readers: for each tensor, how many node inputs read it.

    Raises TypeError for an argument that is not a symbolic tensor, ValueError for a disconnected
    graph (an output that needs an Input not in ``inputs``), a tensor listed twice, two outputs of one
    layer, or two layers with one name.

    Example:
        >>> i = Input((4,))
        >>> graph = Graph(i, Dense(2)(Dense(3)(i)))
        >>> [type(layer).__name__ for layer in graph.layers], len(graph.nodes)
        (['Input', 'Dense', 'Dense'], 2)
    """

    def __init__(self, inputs, outputs) -> None:
        self.inputs = _tensor_list("inputs", inputs)
        self.outputs = _tensor_list("outputs", outputs)
        self.inputs_as_given = list(self.inputs) if isinstance(inputs, (list, tuple)) else self.inputs[0]
        self.outputs_as_given = list(self.outputs) if isinstance(outputs, (list, tuple)) else self.outputs[0]
        _check_endpoints(self.inputs, self.outputs)
        nodes, self.layers = _map_graph(self.inputs, self.outputs)
        self.nodes = [node for node in nodes if not node.is_input]
        calls: dict[Layer, int] = {}
        for node in self.nodes:
            calls[node.layer] = calls.get(node.layer, 0) + 1
        self.shared = {layer for layer, count in calls.items() if count > 1}
        self.readers = {tensor: 0 for node in nodes for tensor in node.outputs}
        for node in self.nodes:
            for tensor in node.inputs:
                self.readers[tensor] += 1

    def calls(self) -> dict[Layer, list[Node]]:
        """Each layer's nodes in this graph, in execution order: a node's index is its call number."""
        calls: dict[Layer, list[Node]] = {}
        for node in [tensor.node for tensor in self.inputs] + self.nodes:
            calls.setdefault(node.layer, []).append(node)
        return calls

    def to_config(self, serialize) -> dict:
        """The graph as Keras writes it: each layer's ``serialize(layer)`` and its calls' inbound references."""
        calls = self.calls()

        def reference(tensor: SymbolicTensor) -> list:  # [layer, call] (+ [output] past a call's first output)
            return [tensor.layer.name, calls[tensor.layer].index(tensor.node)] + ([tensor.index] if tensor.index else [])

        return {
            "layers": [serialize(layer) for layer in self.layers],
            "inbound_nodes": [[[reference(t) for t in node.inputs] for node in calls.get(layer, [])]
                              for layer in self.layers],
            "input_layers": [reference(t) for t in self.inputs],
            "output_layers": [reference(t) for t in self.outputs],
        }

    @staticmethod
    def tensors_from_config(layers: list[Layer], inbound: list, input_refs: list, output_refs: list) -> tuple:
        """(inputs, outputs) rebuilt from ``to_config``'s parts: each layer called on its inbound tensors
        once they exist, as often as the config lists calls.

        Raises ValueError, naming the layers, for a reference to a missing layer or call, or a cycle.
        """
        if len(inbound) != len(layers):
            raise ValueError(f"`inbound_nodes` must have one entry per layer ({len(layers)}). Received {len(inbound)}.")
        calls = {layer.name: len(nodes) for layer, nodes in zip(layers, inbound)}
        for layer, nodes in zip(layers, inbound):
            for node in nodes:
                for name, call, *_ in node:
                    if not 0 <= call < calls.get(name, 0):
                        raise ValueError(f"Layer '{layer.name}' takes the output of call {call} of layer "
                                         f"'{name}', which the config does not have.")
        tensors = {(layer.name, 0, 0): layer.output for layer in layers if isinstance(layer, Input)}
        created = {layer.name: 1 if isinstance(layer, Input) else 0 for layer in layers}
        progress = True
        while progress:
            progress = False
            for layer, nodes in zip(layers, inbound):
                while created[layer.name] < len(nodes) and all(
                        _key(ref) in tensors for ref in nodes[created[layer.name]]):
                    args = [tensors[_key(ref)] for ref in nodes[created[layer.name]]]
                    result = layer(args if layer._takes_list or len(args) > 1 else args[0])
                    for k, tensor in enumerate(result if isinstance(result, list) else [result]):
                        tensors[(layer.name, created[layer.name], k)] = tensor
                    created[layer.name] += 1
                    progress = True
        stuck = [name for name, count in created.items() if count < calls[name]]
        if stuck:
            raise ValueError(f"The graph cannot be built: layers {stuck} wait on each other's outputs (a cycle).")
        missing = [ref for ref in input_refs + output_refs if _key(ref) not in tensors]
        if missing:
            raise ValueError(f"`input_layers` / `output_layers` refer to layer calls the config does not have: "
                             f"{missing}")
        return [tensors[_key(ref)] for ref in input_refs], [tensors[_key(ref)] for ref in output_refs]


def _key(reference) -> tuple:
    """(layer name, call, output) of a config reference ``[name, call]`` or ``[name, call, output]``."""
    name, call, *output = reference
    return name, call, output[0] if output else 0


def _tensor_list(name: str, value) -> list[SymbolicTensor]:
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    tensors = [as_symbolic(item) for item in items]
    bad = [item for item, tensor in zip(items, tensors) if tensor is None]
    if not items or bad:
        raise TypeError(f"`{name}` must be a symbolic tensor (an Input, or a layer called on one) or a non-empty "
                        f"list of them. Received: {name}={value!r}")
    if len(set(tensors)) != len(tensors):
        raise ValueError(f"`{name}` lists a tensor twice: {[t.layer.name for t in tensors]}")
    return tensors


def _check_endpoints(inputs: list[SymbolicTensor], outputs: list[SymbolicTensor]) -> None:
    not_inputs = [t.layer.name for t in inputs if not t.node.is_input]
    if not_inputs:
        raise ValueError(f"`inputs` must be Input layers (or their outputs). Received the outputs of {not_inputs}.")
    names = [t.layer.name for t in outputs]
    if len(set(names)) != len(names):
        raise ValueError(f"`outputs` must come from different layers (losses and logs are keyed by layer name). "
                         f"Received outputs of {names}.")


def _map_graph(inputs: list[SymbolicTensor], outputs: list[SymbolicTensor]) -> tuple[list[Node], list[Layer]]:
    """The nodes in topological order and the layers in Keras' order; ValueError if an output needs a missing Input.

    Depth-first from each output, visiting a node's inputs in order: nodes are listed after all
    the nodes they read (post-order). Layers are ordered as in Keras: by depth (distance from the
    outputs), deepest first, ties by the order the search first met them (unused Inputs first).
    A graph of symbolic calls has no cycles: a node's inputs exist before it.
    """
    order: list[Node] = []
    finished: set[Node] = set()
    first_seen: dict[Layer, int] = {}
    given = set(inputs)
    for output in outputs:
        stack: list[list] = []

        def enter(node: Node) -> None:
            if node.is_input and node.output not in given:
                raise ValueError(f"Graph disconnected: output '{output.layer.name}' depends on Input "
                                 f"'{node.layer.name}', which is not in `inputs` {[t.layer.name for t in inputs]}.")
            first_seen.setdefault(node.layer, len(first_seen))
            stack.append([node, 0])

        if output.node not in finished:
            enter(output.node)
        while stack:
            entry = stack[-1]
            node, position = entry
            if position < len(node.inputs):
                entry[1] += 1
                if node.inputs[position].node not in finished:
                    enter(node.inputs[position].node)
                continue
            stack.pop()
            finished.add(node)
            order.append(node)
    depth: dict[Node, int] = {}
    layer_depth: dict[Layer, int] = {}
    for node in reversed(order):
        level = max(depth.get(node, 0), layer_depth.get(node.layer, 0))
        depth[node] = layer_depth[node.layer] = level
        for tensor in node.inputs:
            depth[tensor.node] = max(depth.get(tensor.node, 0), level + 1)
    for tensor in inputs:
        if tensor.layer not in layer_depth:
            layer_depth[tensor.layer], first_seen[tensor.layer] = 0, -1
    layers = sorted(layer_depth, key=lambda layer: (-layer_depth[layer], first_seen[layer]))
    names = [layer.name for layer in layers]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"Layer names must be unique in a model; {duplicates} are used more than once.")
    return order, layers
