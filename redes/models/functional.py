"""Functional: a model made from a graph of layer calls, ``Model(inputs, outputs)`` as in Keras.

Calling layers on an ``Input`` records nodes (``redes.layers.node``); ``Functional`` walks them
back from the outputs, orders them, and runs them: forward in topological order, backward in the
reverse order. A tensor used by several layers receives the sum of their gradients (fan-out); a
layer called at several nodes shares its weights, keeps each call's forward cache apart and adds
up its weight gradients over the calls.
"""

from __future__ import annotations

from tqdm.auto import tqdm

from .. import losses as losses_module
from .. import serialization
from .. import metrics as metrics_module
from .. import optimizers as optimizers_module
from ..backend import xp
from ..layers.base import Layer, format_shape, padded_shape
from ..layers.core import Input
from ..layers.node import Node, SymbolicTensor, as_symbolic
from ..tensor import Tensor4D
from ._validation import as_array, check_input_shape, check_positive_int, check_same_length
from .model import Model, _resolve_verbose, output_loss
from .summary import print_summary


class _Samples:
    """Several arrays with one sample axis, indexed together: the x (or y) of several inputs (or outputs)."""

    __slots__ = ("arrays",)

    def __init__(self, arrays: list) -> None:
        self.arrays = list(arrays)

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index) -> "_Samples":
        return _Samples([array[index] for array in self.arrays])


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
        self._inputs = _tensor_list("inputs", inputs)
        self._outputs = _tensor_list("outputs", outputs)
        _check_endpoints(self._inputs, self._outputs)
        nodes, layers = _map_graph(self._inputs, self._outputs)
        super().__init__(name=name, trainable=trainable, dtype=dtype or self._inputs[0].dtype)
        self._layers = layers
        if not trainable:
            self.trainable = False  # freezes every layer, as in Keras
        self._nodes = [node for node in nodes if not node.is_input]
        calls: dict[Layer, int] = {}
        for node in self._nodes:
            calls[node.layer] = calls.get(node.layer, 0) + 1
        self._shared = {layer for layer, count in calls.items() if count > 1}
        self._consumers = {node.output: 0 for node in nodes}  # how many node inputs read each tensor
        for node in self._nodes:
            for tensor in node.inputs:
                self._consumers[tensor] += 1
        self._references = {tensor: count + (tensor in self._outputs) for tensor, count in self._consumers.items()}
        self._node_states: dict[Node, list] = {}
        for tensor in self._inputs:
            tensor.layer.build_for(tensor.shape)
        self.input_shape = self._shapes(self._inputs)
        self.output_shape = self._shapes(self._outputs)
        self.built = True
        self.loss_weights = None

    # ---------------------------------------------------------------- graph
    @property
    def layers(self) -> list[Layer]:
        """The layers, Input layers included, in Keras' order (by depth from the inputs)."""
        return list(self._layers)

    @property
    def inputs(self) -> list[SymbolicTensor]:
        return list(self._inputs)

    @property
    def outputs(self) -> list[SymbolicTensor]:
        return list(self._outputs)

    @property
    def input_names(self) -> list[str]:
        return [tensor.layer.name for tensor in self._inputs]

    @property
    def output_names(self) -> list[str]:
        """The output layers' names: the keys of ``loss``, ``loss_weights`` and ``metrics`` dicts, and of the logs."""
        return [tensor.layer.name for tensor in self._outputs]

    @property
    def _takes_list(self) -> bool:
        return len(self._inputs) > 1

    @staticmethod
    def _shapes(tensors: list[SymbolicTensor]):
        return tensors[0].shape if len(tensors) == 1 else [tensor.shape for tensor in tensors]

    # ------------------------------------------------------------- forward
    def forward(self, x, training: bool = False):
        """Run the nodes in topological order; each intermediate tensor is dropped after its last use."""
        values = dict(zip(self._inputs, x if self._takes_list else [x]))
        remaining = dict(self._references)
        states = {}
        for node in self._nodes:
            layer = node.layer
            args = [_cast(values[tensor], layer.dtype) for tensor in node.inputs]
            values[node.output] = layer.forward(args if layer._takes_list else args[0], training=training)
            if layer in self._shared:
                states[node] = _state(layer)
            for tensor in node.inputs:
                remaining[tensor] -= 1
                if remaining[tensor] == 0:
                    del values[tensor]
        self._node_states = states
        outputs = [values[tensor] if self._consumers[tensor] == 0 else Tensor4D(values[tensor])
                   for tensor in self._outputs]  # an output that other nodes read also gets their gradients: no logits
        return outputs if len(outputs) > 1 else outputs[0]

    # ------------------------------------------------------------ backward
    def _backward(self, grad):
        """Run the nodes' backward in reverse topological order, summing the gradients of each tensor."""
        pending: dict[SymbolicTensor, Tensor4D] = {}
        for tensor, g in zip(self._outputs, grad if len(self._outputs) > 1 else [grad]):
            _accumulate(pending, tensor, g)
        states, done = self._node_states, set()
        for node in reversed(self._nodes):
            layer = node.layer
            if node in states:
                for owner, saved in states.pop(node):
                    owner.__dict__.update(saved)
            leaves = [leaf for leaf in _all_layers(layer) if not isinstance(leaf, Model)] if layer in done else []
            for leaf in leaves:
                leaf._accumulate_gradients = True
            try:
                result = layer.backward(pending.pop(node.output))
            finally:
                for leaf in leaves:
                    del leaf._accumulate_gradients
            done.add(layer)
            for tensor, g in zip(node.inputs, result if layer._takes_list else [result]):
                _accumulate(pending, tensor, g)
        self._node_states = {}
        batch = (grad[0] if isinstance(grad, list) else grad).shape[0]
        grads = [pending[tensor] if tensor in pending  # an unused input gets zeros
                 else Tensor4D(xp.zeros((batch,) + padded_shape(tensor.shape), dtype=tensor.dtype))
                 for tensor in self._inputs]
        return grads if self._takes_list else grads[0]

    def backward(self, grad):
        """Back-propagate dL/d(outputs) (a list for several outputs); return dL/d(inputs) (a list for several).

        Each gradient is a Tensor4D, or an array in the output's natural shape (then the results are arrays).
        """
        if len(self._outputs) == 1 and not self._takes_list:
            return super().backward(grad)
        grads = list(grad) if len(self._outputs) > 1 else [grad]
        if len(grads) != len(self._outputs):
            raise ValueError(f"`grad` must hold one gradient per output ({len(self._outputs)}). Received {len(grads)}.")
        natural = not isinstance(grads[0], Tensor4D)
        if natural:
            for k, (g, tensor) in enumerate(zip(grads, self._outputs)):
                g = xp.asarray(g)
                if g.shape[1:] != tensor.shape:
                    raise ValueError(f"`grad[{k}]` must have the shape of output '{tensor.layer.name}', "
                                     f"{format_shape(tensor.shape)}. Received shape {g.shape}.")
                grads[k] = Tensor4D.from_natural(g)
        result = self._backward(grads if len(self._outputs) > 1 else grads[0])
        if not natural:
            return result
        results = [t.to_natural(tensor.shape) for t, tensor in zip(result if self._takes_list else [result],
                                                                      self._inputs)]
        return results if self._takes_list else results[0]

    # -------------------------------------------------------------- compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None) -> None:
        """Choose the optimizer, the loss(es) and the metrics, as in Keras.

        Args:
            optimizer: name or Optimizer.
            loss: one loss for every output, or (several outputs) a list with one per output or a dict
                keyed by output layer name (``output_names``).
            metrics: a list of metrics; with several outputs a list of such lists, one per output, or a
                dict {output name: metric or list of metrics}.
            loss_weights: with several outputs, a list or dict of floats: the loss minimized is
                Σₖ wₖ·Lₖ (+ regularization); the logs show each unweighted Lₖ as '<output>_loss'.

        Example:
            >>> model.compile("adam", loss={"digit": "sparse_categorical_crossentropy", "size": "mse"},
            ...               loss_weights={"digit": 1.0, "size": 0.5}, metrics={"digit": ["accuracy"]})
        """
        if len(self._outputs) == 1:
            if loss_weights is not None:
                raise ValueError("`loss_weights` weighs the losses of several outputs; this model has one. "
                                 f"Received: loss_weights={loss_weights!r}")
            if isinstance(loss, (dict, list, tuple)):
                loss = self._per_output("loss", loss, required=True)[0]
            if isinstance(metrics, dict):
                metrics = _as_list(self._per_output("metrics", metrics)[0])
            super().compile(optimizer=optimizer, loss=loss, metrics=metrics)
            self.loss_weights = None
            return
        if loss is None:
            raise ValueError("`loss` is required: one loss, or one per output, e.g. loss=['mse', 'mae'].")
        self.optimizer = optimizers_module.get(optimizer)
        self.loss = [losses_module.get(entry) for entry in self._per_output("loss", loss, required=True)]
        weights = self._per_output("loss_weights", loss_weights, default=1.0)
        if any(isinstance(w, bool) or not isinstance(w, (int, float)) for w in weights):
            raise TypeError(f"`loss_weights` must hold numbers. Received: loss_weights={loss_weights!r}")
        self.loss_weights = [float(w) for w in weights]
        self.metrics = [[metrics_module.get(metric, loss=output_loss_fn) for metric in _as_list(entry)]
                        for entry, output_loss_fn in zip(self._per_output("metrics", metrics, default=None),
                                                         self.loss)]
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._output_loss_trackers = [metrics_module.Mean(name=f"{name}_loss") for name in self.output_names]

    def _per_output(self, name: str, value, required: bool = False, default=None) -> list:
        """``value`` as one entry per output: a list in output order, a dict keyed by output name, or
        (losses and weights, not metrics) one value for every output."""
        names = self.output_names
        if isinstance(value, dict):
            unknown = [key for key in value if key not in names]
            missing = [key for key in names if key not in value]
            if unknown or (required and missing):
                raise ValueError(f"`{name}` must be keyed by the output names {names}. Received keys {list(value)}.")
            return [value.get(key, default) for key in names]
        if isinstance(value, (list, tuple)):
            if len(value) != len(names):
                raise ValueError(f"`{name}` must have one entry per output ({len(names)}: {names}), e.g. "
                                 f"[['accuracy'], []] for metrics. Received: {name}={value!r}")
            return list(value)
        if value is None:
            return [default] * len(names)
        if name == "metrics":
            raise ValueError(f"With several outputs, `metrics` must be a list with one entry per output or a dict "
                             f"keyed by the output names {names}. Received: metrics={value!r}")
        return [value] * len(names)

    # ---------------------------------------------------------- train steps
    def _compute_loss(self, y, output, with_gradient: bool):
        """Σₖ wₖ·Lₖ over the outputs (+ regularization) and each output's dL/d(output), scaled by wₖ."""
        if len(self._outputs) == 1:
            return super()._compute_loss(y, output, with_gradient)
        total, grads, values = 0.0, [], []
        for k, (target, out) in enumerate(zip(y.arrays, output)):
            value, grad = output_loss(self.loss[k], target, out, self._outputs[k].shape, with_gradient)
            weight = self.loss_weights[k]
            values.append(value)
            total += weight * value
            if with_gradient:
                grads.append(grad if weight == 1.0 else type(grad)(grad.data * grad.data.dtype.type(weight)))
        regularization = self.losses
        if regularization:
            total += sum(regularization)
        self._output_losses = values
        return total, (grads if with_gradient else None)

    def _input_tensor(self, x):
        if not isinstance(x, _Samples):
            return super()._input_tensor(x)
        return [_cast(Tensor4D.from_natural(array), self.dtype) for array in x.arrays]

    def _update_metrics(self, y, output, loss_value: float) -> None:
        if len(self._outputs) == 1:
            super()._update_metrics(y, output, loss_value)
            return
        count = len(y)
        self._loss_tracker.update_state(loss_value, sample_weight=count)
        for tracker, value in zip(self._output_loss_trackers, self._output_losses):
            tracker.update_state(value, sample_weight=count)
        for metrics, target, out, tensor in zip(self.metrics, y.arrays, output, self._outputs):
            y_pred = out.to_natural(tensor.shape)
            for metric in metrics:
                metric.update_state(target, y_pred)

    def _reset_metrics(self) -> None:
        if len(self._outputs) == 1:
            super()._reset_metrics()
            return
        for tracker in (self._loss_tracker, *self._output_loss_trackers, *(m for ms in self.metrics for m in ms)):
            tracker.reset_state()

    def _logs(self) -> dict[str, float]:
        if len(self._outputs) == 1:
            return super()._logs()
        logs = {"loss": self._loss_tracker.result()}
        logs.update({tracker.name: tracker.result() for tracker in self._output_loss_trackers})
        for name, metrics in zip(self.output_names, self.metrics):
            logs.update({f"{name}_{metric.name}": metric.result() for metric in metrics})
        return logs

    # --------------------------------------------------------------- checks
    def _check_inputs(self, x, name: str = "x"):
        if not self._takes_list:
            return super()._check_inputs(x, name)
        arrays = _per_endpoint(name, x, self.input_names, "input")
        checked = []
        for k, (array, tensor) in enumerate(zip(arrays, self._inputs)):
            array = as_array(array, f"{name}[{k}]", self.dtype)
            check_input_shape(array, tensor.shape, f"{name}[{k}]")
            if checked:
                check_same_length(checked[0], array, f"{name}[0]", f"{name}[{k}]")
            checked.append(array)
        return _Samples(checked)

    def _check_data(self, x, y, x_name: str = "x", y_name: str = "y"):
        if len(self._outputs) == 1:
            return super()._check_data(x, y, x_name, y_name)
        x = self._check_inputs(x, x_name)
        targets = []
        for k, (target, tensor) in enumerate(zip(_per_endpoint(y_name, y, self.output_names, "output"),
                                                 self._outputs)):
            target = as_array(target, f"{y_name}[{k}]")
            check_same_length(x, target, x_name, f"{y_name}[{k}]")
            self.loss[k].check_targets(target, (len(target),) + tensor.shape)
            targets.append(target)
        return x, _Samples(targets)

    # -------------------------------------------------------------- predict
    def predict(self, x, batch_size: int | None = None, verbose: int = 0):
        """Outputs for ``x`` in inference mode, in batches: an array, or a list of arrays for several outputs."""
        if len(self._outputs) == 1:
            return super().predict(x, batch_size, verbose)
        x = self._check_inputs(x)
        batch_size = check_positive_int("batch_size", batch_size, allow_none=True) or 32
        outputs = [xp.empty((len(x),) + tensor.shape, dtype=tensor.dtype) for tensor in self._outputs]
        for start in tqdm(range(0, len(x), batch_size), desc="Predict", unit="step",
                          disable=_resolve_verbose(verbose) != 1, dynamic_ncols=True):
            batch = self.forward(self._input_tensor(x[start:start + batch_size]), training=False)
            for out, t, tensor in zip(outputs, batch, self._outputs):
                out[start:start + len(t)] = t.to_natural(tensor.shape)
        return outputs

    # ---------------------------------------------------------- description
    def _calls(self) -> dict[Layer, list[Node]]:
        """Each layer's nodes in this model, in execution order: a node's index is its call number."""
        calls: dict[Layer, list[Node]] = {}
        for node in [tensor.node for tensor in self._inputs] + self._nodes:
            calls.setdefault(node.layer, []).append(node)
        return calls

    def summary(self, print_fn=print) -> None:
        """Print the layers, output shapes, parameter counts and each layer's inbound layers."""
        calls = self._calls()

        def label(tensor: SymbolicTensor) -> str:
            nodes = calls[tensor.layer]
            return tensor.layer.name + (f"[{nodes.index(tensor.node)}]" if len(nodes) > 1 else "")

        connections = {layer: [", ".join(label(t) for t in node.inputs) for node in nodes if node.inputs]
                       for layer, nodes in calls.items()}
        print_summary(self, print_fn, connections=connections)

    def get_config(self) -> dict:
        """The graph: each layer's config and its calls, as ``[layer name, call index]`` references."""
        calls = self._calls()

        def ref(tensor: SymbolicTensor) -> list:
            return [tensor.layer.name, calls[tensor.layer].index(tensor.node)]

        return {
            **super().get_config(),
            "layers": [serialization.serialize(layer) for layer in self._layers],
            "inbound_nodes": [[[ref(t) for t in node.inputs] for node in calls.get(layer, [])]
                              for layer in self._layers],
            "input_layers": [ref(t) for t in self._inputs],
            "output_layers": [ref(t) for t in self._outputs],
        }

    @classmethod
    def from_config(cls, config: dict) -> "Functional":
        """Rebuild the graph from ``get_config``: call each layer on its inbound tensors once they exist.

        Raises ValueError, naming the layers, for a reference to a missing layer or call, or a cycle.
        """
        from .sequential import _layers_from_config
        config = dict(config)
        layers = _layers_from_config(config.pop("layers"))
        inbound = config.pop("inbound_nodes")
        input_refs, output_refs = config.pop("input_layers"), config.pop("output_layers")
        if len(inbound) != len(layers):
            raise ValueError(f"`inbound_nodes` must have one entry per layer ({len(layers)}). Received {len(inbound)}.")
        calls = {layer.name: len(nodes) for layer, nodes in zip(layers, inbound)}
        for layer, nodes in zip(layers, inbound):
            for node in nodes:
                for name, index in node:
                    if not 0 <= index < calls.get(name, 0):
                        raise ValueError(f"Layer '{layer.name}' takes the output of call {index} of layer "
                                         f"'{name}', which the config does not have.")
        tensors = {(layer.name, 0): layer.output for layer in layers if isinstance(layer, Input)}
        created = {layer.name: 1 if isinstance(layer, Input) else 0 for layer in layers}
        progress = True
        while progress:
            progress = False
            for layer, nodes in zip(layers, inbound):
                while created[layer.name] < len(nodes) and all(
                        (name, index) in tensors for name, index in nodes[created[layer.name]]):
                    args = [tensors[(name, index)] for name, index in nodes[created[layer.name]]]
                    tensors[(layer.name, created[layer.name])] = layer(args if layer._takes_list else args[0])
                    created[layer.name] += 1
                    progress = True
        stuck = [name for name, count in created.items() if count < calls[name]]
        if stuck:
            raise ValueError(f"The graph cannot be built: layers {stuck} wait on each other's outputs (a cycle).")
        missing = [ref for ref in input_refs + output_refs if tuple(ref) not in tensors]
        if missing:
            raise ValueError(f"`input_layers` / `output_layers` refer to layer calls the config does not have: "
                             f"{missing}")
        return cls([tensors[tuple(ref)] for ref in input_refs], [tensors[tuple(ref)] for ref in output_refs],
                   **config)

    def __repr__(self) -> str:
        return (f"<Functional name={self.name!r}, inputs={self.input_names}, outputs={self.output_names}, "
                f"layers={len(self._layers)}>")


# ------------------------------------------------------------------ graph helpers
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


def _per_endpoint(name: str, value, names: list[str], kind: str) -> list:
    """``value`` for several inputs (or outputs): a list in order or a dict keyed by layer name."""
    if isinstance(value, dict):
        if sorted(value) != sorted(names):
            raise ValueError(f"`{name}` must be keyed by the {kind} names {names}. Received keys {list(value)}.")
        return [value[key] for key in names]
    if not isinstance(value, (list, tuple)) or len(value) != len(names):
        count = len(value) if isinstance(value, (list, tuple)) else "not a list"
        raise ValueError(f"`{name}` must be a list with one array per {kind} ({len(names)}: {names}), or a dict "
                         f"keyed by their names. Received: {count}.")
    return list(value)


def _as_list(entry) -> list:
    return [] if entry is None else list(entry) if isinstance(entry, (list, tuple)) else [entry]


# ------------------------------------------------------------ execution helpers
def _cast(x: Tensor4D, dtype) -> Tensor4D:
    return x if x.dtype == dtype else Tensor4D(x.data.astype(dtype))


def _accumulate(pending: dict, tensor: SymbolicTensor, grad: Tensor4D) -> None:
    """Add ``grad`` to ``tensor``'s gradient; never in place, as one array may reach several tensors."""
    previous = pending.get(tensor)
    pending[tensor] = grad if previous is None else Tensor4D(previous.data + grad.data)


def _all_layers(layer: Layer) -> list[Layer]:
    """``layer`` and, for a nested model, every layer inside it, recursively."""
    if not isinstance(layer, Model):
        return [layer]
    return [layer] + [inner for sub in layer.layers for inner in _all_layers(sub)]


def _state(layer: Layer) -> list[tuple[Layer, dict]]:
    """A shallow copy of the attributes of ``layer`` (and of a nested model's layers): one call's forward cache.

    Restored before that call's backward, so that a layer called at several nodes back-propagates
    each call through its own cache. Weights are shared arrays, so they are never copied.
    """
    return [(owner, dict(owner.__dict__)) for owner in _all_layers(layer)]
