"""Layer: the base class every layer shares.

A layer's life, as in Keras:
    ``__init__``  stores and validates the hyper-parameters;
    ``build``     creates the weights from the input's feature shape, on first call;
    ``forward``   computes the output from a Tensor4D, caching what backward needs;
    ``backward``  receives dL/d(output), fills ``gradients`` and returns dL/d(input).

Weights live in one ordered dict, in Keras' ``get_weights`` order, and are
reachable as attributes (``layer.kernel``). Optimizers update them in place, so
an array keeps its identity for the life of the layer. Gradients are kept
under the same names. Shapes given to ``build`` and returned by
``compute_output_shape`` are feature shapes without the batch axis, e.g.
``(784,)`` or ``(28, 28, 1)``.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import re
from collections import defaultdict
from collections.abc import Iterator

from .. import activations, backend, initializers, regularizers
from ..autodiff import tape
from ..autodiff.traced import detach
from ..backend import xp
from ..ops.core import cast
from ..tensor import Logits, LogitsGradient, Tensor4D
from .node import call_symbolic, symbolic_inputs

_name_counts: defaultdict[str, int] = defaultdict(int)

# Non-empty while a GradientTape runs a layer's backward: ``set_gradient`` then stores the data gradient
# alone, and a weight's penalty reaches its gradient through ``losses`` (added to the loss, as in Keras).
_PENALTIES_LEFT_OUT: list = []

# Non-empty while a model predicts or evaluates (``inference_only``): no backward follows, so a ``call()``
# layer runs its call without a tape of its own.
_NO_BACKWARD: list = []


@contextlib.contextmanager
def inference_only() -> Iterator[None]:
    """Run a block whose forward passes no backward follows (``predict``, ``evaluate``): ``call()`` layers and
    subclassed models then record no tape, which makes them as fast as written in plain NumPy."""
    _NO_BACKWARD.append(True)
    try:
        yield
    finally:
        _NO_BACKWARD.pop()


def _unique_name(prefix: str) -> str:
    count = _name_counts[prefix]
    _name_counts[prefix] += 1
    return prefix if count == 0 else f"{prefix}_{count}"


def _snake_case(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def padded_shape(feature_shape: tuple) -> tuple:
    """The Tensor4D feature axes of a natural feature shape: (784,) -> (1, 1, 784)."""
    return (1,) * (3 - len(feature_shape)) + tuple(feature_shape)


def standardize_shape(shape) -> tuple | list:
    """A feature shape as a tuple of ints (None for an axis of variable length); a list of them (a layer
    with several inputs) as a list of tuples."""
    if isinstance(shape, list):
        return [standardize_shape(s) for s in shape]
    return tuple(None if d is None else int(d) for d in shape)


def same_shape(a, b) -> bool:
    """Whether two feature shapes (or lists of them) are the same, up to leading axes of size 1; None
    (an axis of variable length) matches any length."""
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and all(map(same_shape, a, b))
    return all(p is None or q is None or p == q for p, q in zip(padded_shape(a), padded_shape(b)))


def format_shape(shape) -> str:
    """``(None, 28, 28, 1)`` for a feature shape; a list of those for several inputs."""
    if isinstance(shape, list):
        return "[" + ", ".join(map(format_shape, shape)) + "]"
    return str((None,) + tuple(shape))


def _unique_key(existing, prefix: str) -> str:
    """``prefix``, or ``prefix_1``, ``prefix_2``, ... : the first one not in ``existing``."""
    key, count = prefix, 0
    while key in existing:
        count += 1
        key = f"{prefix}_{count}"
    return key


def _weight_shape(shape) -> tuple:
    """A weight shape as a tuple of non-negative ints (an int is a vector's length)."""
    values = (shape,) if isinstance(shape, int) and not isinstance(shape, bool) else shape
    if isinstance(values, (tuple, list)) and None in values:
        raise ValueError(f"A weight's shape must be known: {tuple(values)} has None, an input axis of variable "
                         "length (Input(shape=(None, ...))) that reaches a layer whose weights depend on it. "
                         "Give that axis a length, or pool over it first (e.g. GlobalAveragePooling1D).")
    if not isinstance(values, (tuple, list)) or any(isinstance(d, bool) or not isinstance(d, int) for d in values):
        raise TypeError(f"`shape` must be a tuple of integers, e.g. (3, 4). Received: shape={shape!r}")
    if any(d < 0 for d in values):
        raise ValueError(f"`shape` must hold non-negative integers. Received: shape={shape!r}")
    return tuple(int(d) for d in values)


def _declared_shape(shape) -> tuple:
    """``input_shape`` as a feature shape: positive integers or None, e.g. (784,) or (None, 8)."""
    shape = (shape,) if isinstance(shape, int) else shape
    if not isinstance(shape, (tuple, list)) or not shape or any(
            d is not None and (isinstance(d, bool) or not isinstance(d, int) or d <= 0) for d in shape):
        raise ValueError(f"`input_shape` must be a tuple of positive integers or None, without the batch axis, "
                         f"e.g. (784,). Received: input_shape={shape!r}")
    return tuple(shape)


def _name_first_flags(fourth, fifth) -> tuple:
    """(regularizer, trainable) of a name-first call, whose 4th and 5th positional slots are Keras' trainable and
    regularizer: ``add_weight("w", shape, init, reg, False)`` or ``add_weight("w", shape, init, trainable=False)``."""
    if isinstance(fourth, bool):
        return fifth, fourth
    return fourth, fifth if isinstance(fifth, bool) else True


def natural_shape(feature_shape: tuple) -> tuple:
    """The natural feature shape of Tensor4D feature axes: leading axes of size 1 dropped, (1, 1, 784) -> (784,)."""
    shape = tuple(feature_shape)
    while len(shape) > 1 and shape[0] == 1:
        shape = shape[1:]
    return shape


def _traced_shape(y: Tensor4D, input_shape: tuple) -> tuple:
    """The output feature shape of a one-sample forward: the input's shape if the Tensor4D axes are the same."""
    if y.shape[1:] == padded_shape(input_shape):
        return tuple(input_shape)
    return natural_shape(y.shape[1:])


_CARRIED = ("states",)  # what a layer carries from one batch to the next (stateful): never rolled back


def forward_cache(layer: "Layer") -> list[tuple["Layer", dict]]:
    """One call's forward cache of ``layer`` and of the layers inside it: a shallow copy of their attributes
    (weights are shared arrays, never copied). ``restore_forward_cache`` puts it back before that call's
    backward, so that a layer called several times before one backward (shared in a functional model, in a
    wrapper, under one GradientTape) back-propagates each call through its own values."""
    owners, found = [layer], []
    while owners:
        owner = owners.pop(0)
        found.append((owner, dict(vars(owner))))
        owners += owner._children()
    return found


def restore_forward_cache(cache: list[tuple["Layer", dict]]) -> None:
    """Put back what ``forward_cache`` kept, except the states a stateful layer carries to the next batch."""
    for owner, saved in cache:
        vars(owner).update({key: value for key, value in saved.items() if key not in _CARRIED})


def _detached(inputs):
    return [detach(x) for x in inputs] if isinstance(inputs, (list, tuple)) else detach(inputs)


class Layer:
    """Base class of all layers.

    Args:
        name: unique name; defaults to the class name in snake_case ('dense', 'dense_1', ...).
        trainable: whether the optimizers update this layer's weights.
        dtype: float type of the weights and of the computation (default ``floatx()``, 'float32').

    A layer that takes several inputs (a merge layer) sets ``_takes_list``: its ``build`` and
    ``compute_output_shape`` receive a list of shapes, ``forward`` a list of Tensor4D, and
    ``backward`` returns a list of gradients, one per input.

    Input shape / Output shape: ``forward`` and ``backward`` take and return Tensor4D (batch, h, w, c);
    flat data is (batch, 1, 1, features), a sequence (batch, 1, steps, features). ``build``,
    ``compute_output_shape``, ``input_shape`` and ``output_shape`` use natural feature shapes without the
    batch axis, (784,) or (28, 28, 1), whatever the call path.

    The contract (CONTRIBUTING.md, "Adding a layer"; ``tests/test_layer_contract.py`` checks it):
        ``__init__``              validates and stores the arguments (Keras 3's names and defaults);
        ``build(input_shape)``    creates the weights with ``add_weight`` (Keras' order and shapes);
        ``compute_output_shape``  optional: without it the shape is traced by a one-sample forward;
        ``forward(x, training)``  computes y, caching what backward needs; a layer with an activation
                                  returns ``self.activate(z)``, so the output carries its logits;
        ``backward(grad)``        returns dL/dx and calls ``set_gradient`` per trainable weight; a layer
                                  that used ``activate`` starts with ``self.activation_backward(grad)``,
                                  which turns a LogitsGradient (the fused softmax/sigmoid + cross-entropy
                                  gradient, dL/dz) or dL/dy into dL/dz;
        ``get_config``            every constructor argument, nested objects serialized
                                  (``redes.serialization.serialize``); ``from_config`` rebuilds.
    A layer whose output carries no logits simply takes the unfused path of the loss.

    Equations (the contract every layer fills in), with g = dL/dy:
        forward   y = f(x; W)            (caches what backward needs)
        backward  dL/dx = (∂y/∂x)ᵀ g     (returned; the vector-Jacobian product)
                  dL/dW = (∂y/∂W)ᵀ g     (stored with ``set_gradient(name, value)`` per trainable weight)

    Example:
        >>> from redes import Tensor4D
        >>> class Double(Layer):
        ...     def forward(self, x, training=False):
        ...         return Tensor4D(2 * x.data)
        ...     def backward(self, grad):
        ...         return Tensor4D(2 * grad.data)
        >>> Double()(np.array([[1.0, -3.0]])).tolist()
        [[2.0, -6.0]]
    """

    _takes_list = False
    supports_masking = False  # passes a sequence's mask on unchanged (layers that work step by step)
    _accumulate_gradients = False  # set by a functional model while a shared layer runs backward again
    # False while a model's training step runs backward through a layer that reads the model's input:
    # nothing reads that dL/dx, so a layer whose dL/dx is a product of its own (Dense, the convolutions)
    # may skip it and return None. Set and reset by ``Model``; every other backward leaves it True.
    needs_input_gradient = True

    def __init__(self, name: str | None = None, trainable: bool = True, dtype=None, **kwargs) -> None:
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"`name` must be a non-empty string. Received: name={name!r}")
        unknown = sorted(set(kwargs) - {"input_shape"})
        if unknown:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword argument '{unknown[0]}'")
        # Keras 2's ``Dense(..., input_shape=(784,))``: the first layer of a Sequential declares its input
        # (not part of the config: the model saves its input shape)
        shape = kwargs.get("input_shape")
        self.declared_input_shape = None if shape is None else _declared_shape(shape)
        self.name = name or _unique_name(_snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.dtype = backend.standardize_dtype(dtype)
        self.built = False
        self.input_shape: tuple | None = None
        self.output_shape: tuple | None = None
        self.activation = activations.get(None)
        self._weights: dict = {}
        self._weight_trainable: dict[str, bool] = {}
        self._regularizers: dict = {}
        self._gradients: dict = {}
        self.inbound_nodes: list = []  # the layer's calls in graphs (functional models, built Sequentials)
        self._call_record = None  # a call() layer's last forward: (its tape, the inputs, the output, the added losses)
        self._added_losses: list = []  # what ``add_loss`` received in the last call

    # ----------------------------------------------------------------- graph
    @property
    def input(self):
        """The symbolic input of the layer's first call in a graph (a list for a layer with several
        inputs), as Keras' ``layer.input``: a functional model's layers and a built Sequential's have one."""
        return self._first_call("input").inputs_as_called

    @property
    def output(self):
        """The symbolic output of the layer's first call in a graph (a list for a layer with several), as
        Keras' ``layer.output``: ``Model(model.inputs, [layer.output for layer in model.layers])`` gives
        every layer's output (a feature extractor)."""
        return self._first_call("output").outputs_as_called

    def _first_call(self, attribute: str):
        if not self.inbound_nodes:
            raise AttributeError(f"The layer {self.name} has never been called and thus has no defined {attribute}. "
                                 "Call it on a symbolic tensor (from Input), or build the model it belongs to.")
        return self.inbound_nodes[0]

    # ----------------------------------------------------------------- weights
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable: bool = True, regularizer=None,
                   name: str | None = None):
        """Create a weight array, register it and return it, as Keras 3's ``add_weight``.

        Args:
            shape: the weight's shape, e.g. ``(in_features, units)``; an int for a vector.
            initializer: name or Initializer (default 'glorot_uniform', as Keras, or 'zeros' for an integer dtype).
            dtype: the array's dtype (default the layer's).
            trainable: whether optimizers update it; a non-trainable weight (BatchNorm's moving mean) is still saved.
            regularizer: optional penalty, a name or Regularizer, added to the loss.
            name: the name in ``get_weights`` order and ``set_gradient``, and the attribute ``layer.<name>``;
                default 'variable', 'variable_1', ...

        Round 1's name-first form ``add_weight(name, shape, initializer, regularizer, trainable)`` works too.

        Example:
            >>> layer = Layer()
            >>> w = layer.add_weight(shape=(3, 4), initializer="zeros", name="kernel")
            >>> w.shape, layer.kernel is w, layer.add_weight("bias", (4,), "ones").tolist()
            ((3, 4), True, [1.0, 1.0, 1.0, 1.0])
        """
        if isinstance(shape, str):  # name-first: the other positional arguments sit one place to the right
            name, shape, initializer, dtype, (regularizer, trainable) = (
                shape, initializer, dtype, None, _name_first_flags(trainable, regularizer))
        shape = _weight_shape(shape)
        dtype = backend.standardize_dtype(dtype) if dtype is not None else self.dtype
        if initializer is None:
            initializer = "glorot_uniform" if xp.dtype(dtype).kind == "f" else "zeros"
        if name is None:
            name = _unique_key(self._weights, "variable")
        elif not isinstance(name, str) or not name:
            raise TypeError(f"`name` must be a non-empty string. Received: name={name!r}")
        elif name in self._weights:
            raise ValueError(f"Layer '{self.name}' already has a weight named {name!r}.")
        value = initializers.get(initializer)(shape, dtype=dtype)
        self._weights[name] = xp.asarray(value, dtype=dtype, order="C")  # C order; a 0-d weight stays 0-d
        self._weight_trainable[name] = bool(trainable)
        self._regularizers[name] = regularizers.get(regularizer)
        return self._weights[name]

    def __getattr__(self, name: str):
        weights = self.__dict__.get("_weights")
        if weights is not None and name in weights:
            return self._weight_on_tape(name) if tape.RECORDING else weights[name]
        attribute = getattr(type(self), name, None)
        if isinstance(attribute, property):  # a property that raised AttributeError: raise its own message
            return attribute.fget(self)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _weight_on_tape(self, name: str):
        """The weight ``name`` read under a recording GradientTape: watched if trainable (the tapes'
        ``watch_accessed_variables``), and returned as a Traced view where a tape traces it, so that
        Python's operators on it (``x @ self.kernel + self.bias``) are recorded. The array itself, which
        optimizers update in place, stays in ``weights``."""
        weight = self._weights[name]
        if self._weight_trainable[name] and self.trainable:
            tape.watch_accessed([weight])
        return tape.seen(weight)

    # ------------------------------------------------------------- sublayers
    def _children(self) -> list["Layer"]:
        """The layers inside this one, whose weights, gradients, losses and ``trainable`` flag are this layer's
        too: for a plain layer, the layers among its attributes (``_tracked_layers``); a ``LayerContainer``
        gives its ``layers``."""
        return self._tracked_layers()

    def __setattr__(self, name: str, value) -> None:
        """Note the attributes that may hold layers (a layer, list, tuple or dict), for ``_tracked_layers``."""
        if isinstance(value, (Layer, list, tuple, dict)):
            self.__dict__.setdefault("_layer_attributes", {})[name] = None  # an ordered set of names
        object.__setattr__(self, name, value)

    def _tracked_layers(self) -> list["Layer"]:
        """The layers held in this layer's attributes, directly or in a list, tuple or dict, in the order they
        were assigned (Keras' tracking). Found when asked, so a layer appended to a list attribute after
        ``__init__`` counts too; only the attributes ever assigned such a container are looked at (a scan of
        every attribute on each weights read was 10 % of a small MLP's step)."""
        found: list[Layer] = []
        attributes = vars(self)
        for name in attributes.get("_layer_attributes", ()):
            value = attributes.get(name)
            if isinstance(value, dict):
                value = list(value.values())
            for item in value if isinstance(value, (list, tuple)) else (value,):
                if isinstance(item, Layer) and item is not self and not any(item is seen for seen in found):
                    found.append(item)
        return found

    @property
    def trainable(self) -> bool:
        return self.__dict__.get("_trainable", True)

    @trainable.setter
    def trainable(self, value: bool) -> None:
        """Setting it sets it on the layers inside too: freezing a model or a block freezes what is inside,
        as in Keras."""
        self._trainable = bool(value)
        for layer in self._children():
            layer.trainable = self._trainable

    def _trainable_names(self) -> list[str]:
        if not self.trainable:
            return []
        return [name for name, flag in self._weight_trainable.items() if flag]

    @property
    def weight_names(self) -> list[str]:
        """The names given to ``add_weight``, in ``weights`` order (e.g. ['kernel', 'bias']), then
        '<sublayer>/<name>' for the weights of the layers inside."""
        return [*self._weights,
                *(f"{layer.name}/{name}" for layer in self._children() for name in layer.weight_names)]

    @property
    def weights(self) -> list:
        """All weight arrays, in Keras' ``get_weights`` order: this layer's own, then its sublayers'."""
        return [*self._weights.values(), *(w for layer in self._children() for w in layer.weights)]

    @property
    def trainable_weights(self) -> list:
        if not self.trainable:
            return []
        return [*(self._weights[name] for name in self._trainable_names()),
                *(w for layer in self._children() for w in layer.trainable_weights)]

    @property
    def non_trainable_weights(self) -> list:
        if not self.trainable:
            return self.weights
        trainable = set(self._trainable_names())
        return [*(value for name, value in self._weights.items() if name not in trainable),
                *(w for layer in self._children() for w in layer.non_trainable_weights)]

    @property
    def gradients(self) -> list:
        """dL/dw for each of ``trainable_weights``, filled by the last ``backward``."""
        names = self._trainable_names()
        missing = [name for name in names if name not in self._gradients]
        if missing:
            raise RuntimeError(
                f"Layer '{self.name}' has no gradient for {missing}: call backward() after a forward pass first."
            )
        if not self.trainable:
            return []
        return [*(self._gradients[name] for name in names),
                *(g for layer in self._children() for g in layer.gradients)]

    def _store_gradients(self, values: list) -> None:
        """Store ``values``, one gradient (or None: zero) per array of ``trainable_weights``, with
        ``set_gradient`` in this layer and in its sublayers."""
        values = iter(values)
        for name in self._trainable_names():
            value = next(values)
            self.set_gradient(name, xp.zeros_like(self._weights[name]) if value is None else value)
        for layer in self._children():
            layer._store_gradients([next(values) for _ in layer.trainable_weights])

    def set_gradient(self, weight, value) -> None:
        """Store dL/d(weight) for ``weight`` (its name, or the array ``add_weight`` returned), adding its
        regularization gradient.

        A layer's ``backward`` calls this once per trainable weight (a custom layer too), e.g.
        ``self.set_gradient("kernel", x.T @ g)`` or ``self.set_gradient(self.w, x.T @ g)``; ``gradients``
        then lists them in weight order.
        While ``_accumulate_gradients`` is set (a layer called at several nodes of a functional
        model, from its second backward call on), add ``value`` to the stored gradient instead:
        dL/dw = Σ over the calls, with the penalty's gradient counted once.
        """
        name = self._weight_name(weight)
        if self._accumulate_gradients:
            self._gradients[name] = self._gradients[name] + value
            return
        regularizer = self._regularizers.get(name)
        if regularizer is not None and not _PENALTIES_LEFT_OUT:
            value = value + regularizer.gradient(self._weights[name])
        self._gradients[name] = value

    def _weight_name(self, weight) -> str:
        """The name of ``weight``, given by name or as the array itself."""
        if isinstance(weight, str):
            if weight not in self._weights:
                raise ValueError(f"Layer '{self.name}' has no weight {weight!r}. Weights: {list(self._weights)}")
            return weight
        for name, value in self._weights.items():
            if value is weight:
                return name
        raise ValueError(f"Layer '{self.name}': `weight` must be a weight's name or an array made by add_weight. "
                         f"Received an object of type {type(weight).__name__}.")

    @property
    def losses(self) -> list[float]:
        """The loss terms this layer adds to the training loss: its weights' regularization penalties, what
        ``add_loss`` received in its last call, then its sublayers' losses. Under a recording GradientTape
        that traces the weight, a penalty is a 0-d traced array, differentiable with respect to it."""
        penalties = [self._penalty(self._weights[name], reg) for name, reg in self._regularizers.items()
                     if reg is not None]
        added = self._added_losses if tape.RECORDING else [detach(loss) for loss in self._added_losses]
        return [*penalties, *added, *(loss for layer in self._children() for loss in layer.losses)]

    def _added_losses_within(self) -> list:
        """What ``add_loss`` received in the last calls of this layer and of its sublayers."""
        return [*self._added_losses,
                *(loss for layer in self._children() for loss in layer._added_losses_within())]

    def add_loss(self, loss) -> None:
        """Add a loss term computed in ``call`` (Keras' ``add_loss``), e.g. an activity penalty
        ``self.add_loss(0.01 * ops.sum(ops.square(outputs)))``: a scalar written with ``redes.ops``.

        ``fit`` adds it to the loss it minimizes, and the layer's backward differentiates it; in your own
        GradientTape loop, add ``sum(model.losses)`` to the loss yourself, as in Keras. Each call of the
        layer starts with none.
        """
        self._added_losses.append(loss)

    @staticmethod
    def _penalty(weight, regularizer):
        value = regularizer.penalty(weight)
        if not tape.RECORDING:
            return value

        def backward(grads: list) -> list:
            tape.check_first_order("a regularization penalty", [weight, *grads])
            return [detach(grads[0]) * regularizer.gradient(weight)]
        return tape.record(xp.asarray(value, dtype=weight.dtype), [weight], backward)

    def get_weights(self) -> list:
        """Copies of all weights in Keras order (e.g. Dense: [kernel, bias]), sublayers' included."""
        return [w.copy() for w in self.weights]

    def set_weights(self, weights) -> None:
        """Copy ``weights`` (Keras order and shapes, as ``get_weights``) into this layer's arrays, in place;
        every shape is checked before any array changes."""
        weights, targets, names = [xp.asarray(w) for w in weights], self.weights, self.weight_names
        if len(weights) != len(targets):
            raise ValueError(f"{type(self).__name__} '{self.name}' expects {len(targets)} weight arrays "
                             f"({', '.join(names) or 'none'}), received {len(weights)}.")
        for name, current, new in zip(names, targets, weights):
            if new.shape != current.shape:
                raise ValueError(f"Layer '{self.name}' weight '{name}' has shape {current.shape}, "
                                 f"received shape {new.shape}.")
        for current, new in zip(targets, weights):
            current[...] = new

    def count_params(self) -> int:
        return sum(math.prod(w.shape) for w in self.weights)

    # ------------------------------------------------------------ computation
    def build(self, input_shape: tuple) -> None:
        """Create the weights for inputs of feature shape ``input_shape``; default: none."""

    def compute_output_shape(self, input_shape: tuple | list) -> tuple | list:
        """Feature shape of the output for a feature shape of input (a list of them for several inputs).

        The default traces the layer, as Keras does: it runs ``forward`` (inference mode) on one sample
        of zeros and reads the shape of what comes back. Layers whose output shape is known in advance
        override it (cheaper, and no forward before the weights exist).
        """
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        if not any(None in shape for shape in shapes):
            return self._trace(shapes, None)
        # None (a variable length): trace with two lengths; an output axis that changes with it is None too
        first, second = self._trace(shapes, 2), self._trace(shapes, 3)
        pairs = zip(first, second) if isinstance(first, list) else [(first, second)]
        merged = [tuple(p if p == q else None for p, q in zip(a, b)) if len(a) == len(b) else a for a, b in pairs]
        return merged if isinstance(first, list) else merged[0]

    def _trace(self, shapes: list, length: int | None):
        """The output feature shape(s) of a forward on one sample of zeros, None axes given ``length``."""
        concrete = [tuple(length if d is None else d for d in shape) for shape in shapes]
        samples = [Tensor4D(xp.zeros((1,) + padded_shape(shape), dtype=self.dtype)) for shape in concrete]
        try:
            y = self.forward(samples if self._takes_list else samples[0], training=False)
        except (TypeError, NotImplementedError):
            raise
        except Exception as error:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) failed on a sample of zeros of shape "
                             f"{format_shape(concrete if self._takes_list else concrete[0])} while inferring its "
                             f"output shape ({error!r}); define compute_output_shape(input_shape) to give it "
                             "directly.") from error
        inferred = [_traced_shape(t, concrete[0]) for t in (y if isinstance(y, list) else [y])]
        return inferred if isinstance(y, list) else inferred[0]

    def build_for(self, input_shape: tuple | list) -> tuple | list:
        """Build (once) for ``input_shape`` (a list of shapes for several inputs); return the output shape."""
        input_shape = standardize_shape(input_shape)
        if not self.built:
            self.input_shape = input_shape
            self.build(input_shape)
            self.output_shape = self.compute_output_shape(input_shape)
            self.built = True
        elif not same_shape(input_shape, self.input_shape):
            raise ValueError(
                f"Layer '{self.name}' was built for inputs of shape {format_shape(self.input_shape)}, "
                f"received shape {format_shape(input_shape)}."
            )
        return self.output_shape

    def __call__(self, inputs, training: bool = False):
        """Run forward. A Tensor4D gives a Tensor4D; an array ``(batch, *features)`` gives an array.

        A layer with several inputs takes a list of these. Called on symbolic tensors (an ``Input``
        or another layer's symbolic output) it computes nothing: it builds itself, records the call
        as a node of a graph and returns the SymbolicTensor of its output (the functional API). Under a
        recording GradientTape, a call on arrays is one node of the tape (see ``_call_on_tape``).
        """
        if isinstance(inputs, Tensor4D) and not self._takes_list:
            x = inputs if inputs.dtype == self.dtype else Tensor4D(inputs.data.astype(self.dtype), mask=inputs.mask)
            self.build_for(natural_shape(inputs.shape[1:]))
            return self.masked(x, self.forward(x, training=training))
        tensors = symbolic_inputs(inputs)
        if tensors is not None:
            return call_symbolic(self, inputs, tensors)
        if tape.RECORDING:
            if self._defines_call():
                items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
                shapes = [xp.shape(item)[1:] for item in items]
                self.build_for(shapes if self._takes_list else shapes[0])
                return self._run_call(inputs, training)
            return self._call_on_tape(inputs, training)
        items = list(inputs) if self._takes_list and isinstance(inputs, (list, tuple)) else [inputs]
        natural = not (items and isinstance(items[0], Tensor4D))
        xs, shapes = [], []
        for item in items:
            if isinstance(item, Tensor4D):
                x, shape = item, natural_shape(item.shape[1:])
            else:
                array = xp.asarray(item)
                x, shape = Tensor4D.from_natural(array), array.shape[1:]
            xs.append(x if x.dtype == self.dtype else Tensor4D(x.data.astype(self.dtype)))
            shapes.append(shape)
        output_shape = self.build_for(shapes if self._takes_list else shapes[0])
        y = self.forward(xs if self._takes_list else xs[0], training=training)
        if not natural:
            return y
        if isinstance(y, list):
            return [t.to_natural(shape) for t, shape in zip(y, output_shape)]
        return y.to_natural(output_shape)

    def _call_on_tape(self, inputs, training: bool):
        """``self(inputs)`` under a recording GradientTape: the call is one node of the tape, whose VJP is this
        layer's ``backward`` (dL/dx returned, dL/dw read back from ``gradients``, without the regularization
        penalties: those come from ``losses`` added to the loss). The trainable weights are watched
        (``watch_accessed_variables``). The node keeps this call's forward cache and puts it back before its
        backward, so a layer called several times under one tape differentiates each call."""
        with tape.paused():
            outputs = self(_detached(inputs), training=training)
        cache = forward_cache(self)
        items = list(inputs) if self._takes_list else [inputs]
        weights = self.trainable_weights
        tape.watch_accessed(weights)
        several = isinstance(outputs, list)

        def backward(grads: list) -> list:
            tape.check_first_order(f"the built-in layer '{self.name}'", [*items, *weights, *grads])
            restore_forward_cache(cache)
            upstream = [Tensor4D.from_natural(xp.zeros_like(y) if g is None else detach(g))
                        for g, y in zip(grads, outputs if several else [outputs])]
            _PENALTIES_LEFT_OUT.append(True)
            try:
                dx = self.backward(upstream if several else upstream[0])
                weight_grads = self.gradients
            finally:
                _PENALTIES_LEFT_OUT.pop()
            dx = dx if isinstance(dx, list) else [dx]
            return [*(d.to_natural(xp.shape(x)[1:]) for d, x in zip(dx, items)), *weight_grads]
        return tape.record(outputs, [*items, *weights], backward)

    def compute_mask(self, x: Tensor4D, mask):
        """The mask of this layer's output, from its input ``x`` and that input's ``mask`` (or None).

        The default passes the mask on if ``supports_masking``, else drops it. Layers that make a mask
        (Embedding with ``mask_zero``, Masking) or change the steps (recurrent layers) override it.
        """
        return mask if self.supports_masking else None

    def masked(self, x, y):
        """``y`` (the output of ``forward(x)``) with its mask set from ``compute_mask``, as Keras propagates masks."""
        mask = x.mask if isinstance(x, Tensor4D) else next((t.mask for t in x if t.mask is not None), None)
        if isinstance(y, Tensor4D) and y.mask is None:
            y.mask = self.compute_mask(x, mask)
        return y

    def forward(self, x: Tensor4D, training: bool = False) -> Tensor4D:
        """Compute the output from ``x``, caching what ``backward`` needs; every built-in layer defines it.

        A layer that defines Keras' ``call(inputs, training=None)`` instead, written with ``redes.ops``, runs it
        here under its own GradientTape, which then gives ``backward`` (see ``_forward_by_call``).
        """
        if self._defines_call():
            return self._forward_by_call(x, training)
        raise NotImplementedError(f"{type(self).__name__} must define forward(self, x, training=False) -> Tensor4D, "
                                  "or Keras' call(self, inputs) written with redes.ops.")

    def _defines_call(self) -> bool:
        return callable(getattr(type(self), "call", None))

    def _run_call(self, inputs, training: bool):
        """``call(inputs)`` on natural arrays under the tapes recording now, its ops recorded on them as if
        written in place: a user's tape sees through a ``call()`` layer, nested tapes and ``add_loss``
        included. Float inputs are cast to the layer's dtype."""
        items = [item if isinstance(item, xp.ndarray) else xp.asarray(item)
                 for item in (inputs if isinstance(inputs, (list, tuple)) else [inputs])]
        items = [tape.seen(cast(item, self.dtype) if item.dtype.kind == "f" and item.dtype != self.dtype else item)
                 for item in items]  # Traced views where a tape traces them: Python's operators are recorded
        self._added_losses = []
        kwargs = {"training": training} if "training" in inspect.signature(self.call).parameters else {}
        output = self.call(items if self._takes_list else items[0], **kwargs)
        if isinstance(output, (list, tuple)):
            raise TypeError(f"{type(self).__name__}.call returned {len(output)} outputs; a call() layer returns one "
                            "array here (write the layer with forward/backward for several outputs).")
        return output

    def _forward_by_call(self, x, training: bool) -> Tensor4D:
        """Run ``call`` on the natural arrays under a persistent GradientTape of its own that watches the float
        inputs and the trainable weights the call reads: that tape is this call's cache, and its reverse pass
        is ``backward``. Any tapes of the caller are paused: to them the layer's call is one node, as a
        built-in layer's. Layers called inside ``call`` run on the same tape (a ``call()`` sublayer's ops,
        its ``add_loss`` too), and their weights are this layer's."""
        several = isinstance(x, list)
        shapes = self.input_shape if several else [self.input_shape]
        inputs = [t.to_natural(shape) for t, shape in zip(x if several else [x], shapes)]
        if _NO_BACKWARD:
            self._call_record = None
            with tape.paused():
                return Tensor4D.from_natural(xp.asarray(self._run_call(inputs if several else inputs[0], training)))
        own = tape.GradientTape(persistent=True)
        with tape.paused(), own:
            for array in inputs:
                if array.dtype.kind == "f":
                    own.watch(array)
            output = self._run_call(inputs if several else inputs[0], training)
            added = [loss for loss in self._added_losses_within() if own.traces(loss)]
        self._call_record = (own, inputs, output, added)
        return Tensor4D.from_natural(xp.asarray(detach(output)))

    def _backward_by_tape(self, grad: Tensor4D) -> Tensor4D | list:
        """dL/dx and dL/dw of the last ``_forward_by_call``, from its tape: the VJP of ``call``, for the loss
        that ``fit`` minimizes, the terms given to ``add_loss`` (this layer's and its sublayers') included."""
        own, inputs, output, added = self._call_record
        weights = self.trainable_weights
        upstream = grad.to_natural(xp.shape(output)[1:])
        seeds = [upstream, *(xp.ones(xp.shape(loss), dtype=loss.dtype) for loss in added)]
        grads = own.gradient([output, *added], [*inputs, *weights], output_gradients=seeds)
        self._store_gradients([None if value is None else detach(value) for value in grads[len(inputs):]])
        dxs = [Tensor4D.from_natural(xp.zeros_like(x, dtype=grad.dtype) if g is None else detach(g))
               for x, g in zip(inputs, grads[:len(inputs)])]
        return dxs if self._takes_list else dxs[0]

    def backward(self, grad: Tensor4D) -> Tensor4D:
        """Return dL/dx from ``grad`` = dL/dy and store each trainable weight's gradient; every built-in layer
        defines it (a ``call()`` layer gets it from the tape of its forward)."""
        if self._call_record is not None:
            return self._backward_by_tape(grad)
        if self._defines_call():
            raise RuntimeError(f"Layer '{self.name}' has no recorded forward to differentiate: call it on data "
                               "(not inside predict or evaluate, which record none) before backward().")
        raise NotImplementedError(
            f"{type(self).__name__} must define backward(self, grad) -> Tensor4D: return dL/dx and store "
            "dL/dw with self.set_gradient(name, value) for each trainable weight.")

    def activate(self, z) -> Tensor4D:
        """Apply ``self.activation`` to the pre-activation ``z``, cache both for backward, return the output.

        The output carries ``z`` as its ``logits`` (unless the activation is linear), so that a
        cross-entropy loss after a softmax or sigmoid starts from them. A layer that applies its
        activation some other way returns a plain Tensor4D, and the loss takes the unfused path.
        """
        self._z = z
        self._y = self.activation.forward(z)
        logits = Logits(z, self.activation.name) if self.activation.name != "linear" else None
        return Tensor4D(self._y, logits=logits)

    def activation_backward(self, grad: Tensor4D):
        """dL/dz from dL/dy through the activation of the last ``activate``; a LogitsGradient is dL/dz already."""
        if isinstance(grad, LogitsGradient):
            return grad.data
        return self.activation.backward(self._z, self._y, grad.data)

    # ------------------------------------------------------------ description
    def get_config(self) -> dict:
        """The constructor arguments; ``type(layer)(**layer.get_config())`` rebuilds the layer."""
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        """The layer ``get_config`` describes (its constructor rebuilds nested activations, initializers, ...)."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}, built={self.built}>"
