"""Model: what every model shares — weights of all its layers, compile, fit, evaluate, predict."""

from __future__ import annotations

import contextlib
import json
import math
import warnings
from collections.abc import Iterator
from contextlib import closing

from .. import optimizers as optimizers_module
from .. import distributed, saving, serialization, threads
from ..backend import rng, xp
from ..callbacks import CallbackList, History, ProgbarLogger
from ..layers.base import Layer, format_shape, inference_only, same_shape
from ..layers.container import LayerContainer
from ..tensor import Tensor4D
from ..utils import deferred_interrupt
from ..validation import check_bool, check_non_negative_int, check_one_of, check_positive_int
from ._validation import (Samples, as_array, check_input_shape, check_same_length, check_sample_weight,
                          class_weight_to_sample_weights, per_endpoint, split_validation, unpack_validation_data)
from .batches import ArrayBatches, Batches, batch_source, is_batch_source
from .objectives import Objectives, step_mask
from .summary import print_summary


class NonFiniteError(FloatingPointError):
    """A training step met a NaN or infinite loss or gradient; the step was not applied."""


class Model(LayerContainer):
    """Base class of models. A model is a layer too, so models nest.

    Three ways to make one, as in Keras: ``Sequential``; ``Model(inputs, outputs)``, a ``Functional`` model
    from a graph of layer calls; or a subclass that creates its layers as attributes in ``__init__`` and
    uses them in ``call(inputs, training=None)``, written with layers and ``redes.ops`` (the subclass's
    ``layers`` and weights are found by attribute tracking; its backward is the reverse pass of the tape
    its ``call`` ran on; ``add_loss`` in ``call`` adds to the loss ``fit`` minimizes; save and load it
    with a ``get_config`` and ``register_serializable``, as Keras). The layers' weights and gradients are
    gathered by ``LayerContainer``; this class runs training.

    Shapes: ``fit``, ``evaluate`` and ``predict`` take x as (N, features) or images (N, H, W, C) in NHWC,
    y as labels (N,) or one-hot / targets (N, ...); ``predict`` returns (N, ...) of the output layer.

    Example:
        >>> from redes import layers, ops
        >>> class TwoLayers(Model):
        ...     def __init__(self, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.hidden = layers.Dense(8, activation="relu")
        ...         self.classifier = layers.Dense(2, activation="softmax")
        ...     def call(self, inputs, training=None):
        ...         return self.classifier(self.hidden(inputs))
        >>> TwoLayers().predict(np.zeros((3, 4))).shape
        (3, 2)
        >>> inputs = layers.Input((4,))
        >>> outputs = layers.Dense(2, activation="softmax")(inputs)
        >>> model = Model(inputs, outputs)
        >>> type(model).__name__, model.count_params(), model.predict(np.zeros((3, 4))).shape
        ('Functional', 10, (3, 2))
    """

    def __new__(cls, *args, **kwargs):
        """``Model(inputs, outputs)`` makes a functional model (a ``Functional``), as in Keras."""
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            from .functional import Functional  # functional imports this module: import it on use
            cls = Functional
        return super().__new__(cls)

    def __init__(self, name: str | None = None, trainable: bool = True, dtype=None) -> None:
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        self.optimizer = None
        self.loss = None
        self.metrics: list = []
        self.loss_weights = None
        self._objectives: Objectives | None = None
        self.weighted_metrics: list = []
        self.stop_training = False
        self.resume_from_epoch: int | None = None
        self.history: History | None = None
        self.epochs_completed = 0

    # ------------------------------------------------------------------ layers
    @property
    def layers(self) -> list[Layer]:
        """The model's layers. A subclassed model's are the layers it holds in its attributes, in the order
        they were assigned (Keras' tracking): ``self.dense = layers.Dense(10)`` in ``__init__``."""
        return self._tracked_layers()

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """Return a layer by name or by index (as in Keras)."""
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        names = [layer.name for layer in self.layers]
        raise ValueError(f"No layer named {name!r} in model '{self.name}'. Layers: {names}")

    def summary(self, print_fn=print) -> None:
        """Print a table of layers, output shapes and parameter counts."""
        print_summary(self, print_fn)

    # ----------------------------------------------------------------- backward
    def backward(self, grad):
        """Back-propagate dL/d(output) through all layers; return dL/d(input).

        Accepts and returns a Tensor4D, or an array in the output's natural shape
        (then the result is an array in the input's natural shape). Fills ``gradients``.
        """
        if isinstance(grad, Tensor4D):
            return self._backward(grad)
        if not self.built:
            raise RuntimeError(f"Model '{self.name}' has not run forward yet: call it on data before backward.")
        grad = xp.asarray(grad)
        if grad.ndim != len(self.output_shape) + 1 or not same_shape(grad.shape[1:], self.output_shape):
            raise ValueError(f"`grad` must have the output's shape {format_shape(self.output_shape)}. "
                             f"Received shape {grad.shape}.")
        return self._backward(Tensor4D.from_natural(grad)).to_natural(self.input_shape)

    def _backward(self, grad: Tensor4D) -> Tensor4D:
        """A subclassed model's backward: the reverse pass of the tape its ``call`` ran on."""
        return Layer.backward(self, grad)

    def _input_layers(self) -> list[Layer]:
        """The layers whose dL/dx would be dL/d(model input): none known for a subclassed model."""
        return []

    def _backward_for_weights(self, grads: list) -> None:
        """The training step's backward: the weights' gradients only, so the layers reading the model's
        input skip their dL/dx (nobody reads it; the first Dense or convolution's third product)."""
        first = self._input_layers()
        for layer in first:
            layer.needs_input_gradient = False
        try:
            self._backward(grads if len(grads) > 1 else grads[0])
        finally:
            for layer in first:
                del layer.needs_input_gradient

    # ------------------------------------------------------------------ compile
    @property
    def output_names(self) -> list[str]:
        """The output layers' names: the keys of ``loss``, ``loss_weights`` and ``metrics`` dicts, and of the logs.
        A subclassed model's one output is named after the model."""
        return [self.name]

    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly: bool = False, steps_per_execution: int = 1, jit_compile="auto",
                auto_scale_loss: bool = True) -> None:
        """Choose the optimizer, the loss(es) and the metrics (names or objects, as in Keras).

        Args:
            optimizer: name or Optimizer.
            loss: one loss for every output, or (several outputs) a list with one per output or a dict
                keyed by output layer name (``output_names``).
            loss_weights: with several outputs, a list or dict of floats: the loss minimized is
                Σₖ wₖ·Lₖ (+ regularization); the logs show each unweighted Lₖ as '<output>_loss'.
            metrics: a list of metrics; with several outputs a list of such lists, one per output, or a
                dict {output name: metric or list of metrics}. They ignore sample weights (Keras).
            weighted_metrics: as ``metrics``, but fed the sample weights of ``fit`` / ``evaluate``
                (``sample_weight`` or ``class_weight``); logged as 'weighted_<name>' where a plain metric
                has the name already.
            run_eagerly, steps_per_execution, jit_compile, auto_scale_loss: Keras' execution settings,
                checked and kept as attributes; they change nothing here (redes runs NumPy, step by step,
                in the model's dtype).

        Example:
            >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        """
        self.run_eagerly = check_bool("run_eagerly", run_eagerly)
        self.steps_per_execution = check_positive_int("steps_per_execution", steps_per_execution)
        self.jit_compile = check_one_of("jit_compile", jit_compile, (True, False, "auto"))
        self.auto_scale_loss = check_bool("auto_scale_loss", auto_scale_loss)
        self._objectives = Objectives(loss, metrics, loss_weights, self.output_names, weighted_metrics)
        self.optimizer = optimizers_module.get(optimizer)
        several = len(self.output_names) > 1
        self.loss = list(self._objectives.losses) if several else self._objectives.losses[0]
        self.metrics = self._objectives.metrics if several else self._objectives.metrics[0]
        self.weighted_metrics = self._objectives.weighted_metrics if several else self._objectives.weighted_metrics[0]
        self.loss_weights = list(self._objectives.weights) if several else None

    def get_compile_config(self) -> dict | None:
        """What ``compile`` received, as plain JSON data (Keras' ``get_compile_config``): the optimizer, the
        loss(es), metrics, loss weights and weighted metrics serialized; None before ``compile``."""
        if self.loss is None:
            return None
        config = {"optimizer": serialization.serialize(self.optimizer), "loss": _serialize_nested(self.loss),
                  "metrics": _serialize_nested(self.metrics)}
        if self.loss_weights is not None:
            config["loss_weights"] = list(self.loss_weights)
        if self.weighted_metrics:
            config["weighted_metrics"] = _serialize_nested(self.weighted_metrics)
        return config

    def compile_from_config(self, config: dict) -> None:
        """``compile`` again from ``get_compile_config``'s data (Keras' ``compile_from_config``)."""
        extra = {"loss_weights": config["loss_weights"]} if config.get("loss_weights") is not None else {}
        if config.get("weighted_metrics"):
            extra["weighted_metrics"] = _deserialize_nested(config["weighted_metrics"], "metric")
        self.compile(optimizer=_deserialize_nested(config["optimizer"], "optimizer"),
                     loss=_deserialize_nested(config["loss"], "loss"),
                     metrics=_deserialize_nested(config.get("metrics"), "metric"), **extra)

    def _require_compiled(self, method: str) -> None:
        if self.loss is None:
            raise RuntimeError(f"You must call compile() before {method}(), e.g. model.compile('adam', 'mse').")

    # ------------------------------------------------------------- train steps
    @property
    def _output_shapes(self) -> list[tuple]:
        """The output feature shapes, one per output."""
        return self.output_shape if isinstance(self.output_shape, list) else [self.output_shape]

    def _compute_loss(self, targets: list, outputs: list[Tensor4D], with_gradient: bool, sample_weight=None):
        """Loss value Σₖ wₖ·Lₖ (with regularization) and, if asked, each dL/d(outputₖ) for one batch.

        After a softmax/sigmoid output with a cross-entropy loss, the loss is computed from the
        output's logits and the gradient is taken w.r.t. them (a LogitsGradient), as Keras does
        (see ``objectives.output_loss``). ``sample_weight`` weighs each Lₖ as Keras does.
        """
        value, grads = self._objectives.compute(targets, outputs, self._output_shapes, with_gradient, sample_weight)
        regularization = self.losses
        if regularization:
            value += sum(regularization)
        return value, grads

    def _run(self, x, training: bool) -> list[Tensor4D]:
        """The outputs of a forward pass on the batch ``x``, one Tensor4D per output."""
        outputs = self.forward(self._input_tensor(x), training=training)
        return outputs if isinstance(outputs, list) else [outputs]

    def train_step(self, x, y, sample_weight=None) -> float:
        """One optimizer step on one batch; updates the loss tracker and metrics; returns the batch's loss.

        ``sample_weight``: None or the batch's weights, (batch,) or (batch, steps).
        Raises NonFiniteError, before any weight changes, if the loss or a gradient is NaN or infinite.
        """
        if distributed.active():
            return self._step_on_shard(x, y, sample_weight, training=True)
        targets = self._targets(y, len(x))
        outputs = self._run(x, training=True)
        value, grads = self._compute_loss(targets, outputs, with_gradient=True, sample_weight=sample_weight)
        if not math.isfinite(value):
            raise NonFiniteError(f"the loss is {value}")
        self._backward_for_weights(grads)
        gradients = self.gradients
        if not all(xp.isfinite(g).all() for g in gradients):
            raise NonFiniteError(f"the loss is {value:.6g} but a gradient holds NaN or infinite values")
        scale = self.optimizer.loss_scale_factor
        if scale is not None:  # Keras scales the loss; by linearity, the same as scaling the gradients
            gradients = [g * scale for g in gradients]
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        self._objectives.update(targets, outputs, self._output_shapes, value, sample_weight)
        return value

    def test_step(self, x, y, sample_weight=None) -> float:
        """The loss of one batch in inference mode; updates the loss tracker and metrics."""
        if distributed.active():
            return self._step_on_shard(x, y, sample_weight, training=False)
        targets = self._targets(y, len(x))
        with inference_only():
            outputs = self._run(x, training=False)
        value, _ = self._compute_loss(targets, outputs, with_gradient=False, sample_weight=sample_weight)
        self._objectives.update(targets, outputs, self._output_shapes, value, sample_weight)
        return value

    def _step_on_shard(self, x, y, sample_weight, training: bool) -> float:
        """``train_step`` (or ``test_step``) of the global batch (x, y) on several processes: this rank's
        shard forward (and backward), then one Allreduce of [Σᵣ cᵣ · dLᵣ/dw, the averaged non-trainable
        weights, Σᵣ cᵣ · Lᵣ, each output's loss, Σᵣ cᵣ, the mask and stop flags], cᵣ the count Lᵣ is a mean
        over (the shard's rows, or its unmasked steps), and the update every rank applies alike; the
        metrics see the whole batch's predictions (see ``redes.distributed``)."""
        targets = self._targets(y, len(x))
        start, stop = distributed.shard_bounds(len(x))
        shapes = self._output_shapes
        trainable = self.trainable_weights if training else []
        statistics = _moving_statistics(self) if training else []
        if stop > start:
            with distributed.shard_of_batch(start, stop, len(x)):
                outputs = self._run(x[start:stop], training=training)
                shard_weight = None if sample_weight is None else sample_weight[start:stop]
                value, grads = self._compute_loss([t[start:stop] for t in targets], outputs, training, shard_weight)
                output_values = self._objectives.output_values
                if training:
                    self._backward_for_weights(grads)
            gradients = self.gradients if training else []
            predictions = [output.to_natural(shape) for output, shape in zip(outputs, shapes)]
            masks = [output.mask for output in outputs]
            # the loss is a mean over the shard's rows, or over its unmasked steps for a masked sequence
            # output: this rank's part of the global mean is weighted by that count
            selected = step_mask(outputs[0], predictions[0]) if len(outputs) == 1 else None
            count = float(stop - start if selected is None else selected.sum())
        elif training and _synchronized_layers(self):
            raise ValueError(f"A batch of {len(x)} samples leaves rank {distributed.rank()} of {distributed.size()} "
                             "without samples, and a synchronized BatchNormalization needs every rank in each step: "
                             "choose batch_size and the data size so that every batch has at least one sample "
                             "per rank.")
        else:  # a last batch smaller than the number of ranks: this rank adds nothing
            value, output_values = 0.0, [0.0] * len(shapes)
            gradients = [xp.zeros_like(w) for w in trainable]
            predictions = [xp.zeros((0, *(d or 0 for d in shape)), dtype=self.dtype) for shape in shapes]
            masks, count = [None] * len(shapes), 0.0
        requested = getattr(self, "_interrupt", None)
        losses = [value, *output_values]  # each weighted by the count; the count and the flags are summed
        flags = [float(mask is not None) for mask in masks] + [float(bool(requested and requested.requested))]
        buffer = self._flat_buffer([*(w.shape for w in trainable), *(w.shape for w in statistics),
                                    (len(losses) + 1 + len(flags),)])
        buffer.pack([*gradients, *statistics, [*losses, count, *flags]],
                    [count] * len(gradients) + [1 / distributed.size()] * len(statistics)
                    + [[count] * len(losses) + [1.0] * (1 + len(flags))])
        distributed.sum_in_place(buffer.data)
        views = buffer.unpack()
        gradients, averaged, scalars = views[:len(trainable)], views[len(trainable):-1], views[-1]
        total = scalars[len(losses)] or 1.0
        for gradient in gradients:
            gradient /= total
        value, output_values = float(scalars[0] / total), [float(v / total) for v in scalars[1:len(losses)]]
        masked_outputs = [flag > 0 for flag in scalars[len(losses) + 1:-1]]
        if requested is not None and scalars[-1] > 0:
            requested.requested = True
        for weight, average in zip(statistics, averaged):
            weight[...] = average
        if training:
            if not math.isfinite(value):
                raise NonFiniteError(f"the loss is {value}")
            if not all(xp.isfinite(g).all() for g in gradients):
                raise NonFiniteError(f"the loss is {value:.6g} but a gradient holds NaN or infinite values")
            scale = self.optimizer.loss_scale_factor
            if scale is not None:
                gradients = [g * scale for g in gradients]
            self.optimizer.apply_gradients(zip(gradients, trainable))  # views of the buffer, read at once
        gathered = []
        for prediction, mask, masked in zip(predictions, masks, masked_outputs):
            output = Tensor4D.from_natural(distributed.gather_rows(prediction, len(x)))
            if masked:  # a sequence's padded steps: the metrics skip them, as in one process
                local = xp.ones(prediction.shape[:2], dtype=bool) if mask is None else mask
                output.mask = distributed.gather_rows(local.astype(xp.uint8), len(x)).astype(bool)
            gathered.append(output)
        self._objectives.update(targets, gathered, shapes, value, sample_weight, output_values)
        return value

    def _synchronize_ranks(self) -> None:
        """Before a fit on several processes: rank 0's weights and random-generator state on every rank."""
        distributed.broadcast_arrays(self.weights)
        rng().bit_generator.state = distributed.broadcast_object(rng().bit_generator.state)

    def _flat_buffer(self, shapes: list) -> "distributed.FlatBuffer":
        """The step's Allreduce buffer, made once for these shapes (in the model's float dtype)."""
        buffer = self.__dict__.get("_allreduce_buffer")
        if buffer is None or buffer.shapes != [tuple(s) for s in shapes] or buffer.data.dtype != self.dtype:
            buffer = self._allreduce_buffer = distributed.FlatBuffer(shapes, self.dtype)
        return buffer

    @contextlib.contextmanager
    def _folded_for_inference(self, batches: Batches):
        """The block of ``predict`` and ``evaluate`` over ``batches``: Sequential runs its BatchNormalizations
        folded into the layers before them there (``folding``); a model of another kind runs as it is."""
        yield

    def predict_step(self, x) -> list:
        """The outputs for one batch in inference mode: one array per output, in its natural shape."""
        with inference_only():
            outputs = self._run(x, training=False)
        return [output.to_natural(shape) for output, shape in zip(outputs, self._output_shapes)]

    def _targets(self, y, count: int) -> list:
        """The batch's targets, one array per output: Samples were checked by ``_check_data`` (once per fit);
        an array given to ``train_step`` directly is checked here."""
        if isinstance(y, Samples):
            return y.arrays
        targets = [xp.asarray(y)]
        self._objectives.check_targets(targets, self._output_shapes, count)
        return targets

    def _input_tensor(self, x) -> Tensor4D:
        x = Tensor4D.from_natural(x)
        return x if x.dtype == self.dtype else Tensor4D(x.data.astype(self.dtype))

    def _reset_metrics(self) -> None:
        self._objectives.reset()

    def _logs(self) -> dict[str, float]:
        return self._objectives.logs()

    # ----------------------------------------------------------------- checks
    def _check_inputs(self, x, name: str = "x"):
        x = as_array(x, name, self.dtype)
        check_input_shape(x, self.input_shape if self.built else None, name)
        if not self.built:
            self.build_for(x.shape[1:])
        return x

    def _check_data(self, x, y, sample_weight=None, class_weight=None, x_name: str = "x", y_name: str = "y",
                    weight_name: str = "sample_weight") -> tuple:
        """(x, y) or, with weights, (x, y, sample_weight), checked once per call of fit or evaluate: y as
        Samples, one target array per output; the sample weights (from ``class_weight`` if given) an array.
        The batches are these tuples' rows: ``train_step(x, y)`` is called without weights when there are none."""
        x = self._check_inputs(x, x_name)
        shapes = self._output_shapes
        names = [y_name] if len(shapes) == 1 else [f"{y_name}[{k}]" for k in range(len(shapes))]
        given = [y] if len(shapes) == 1 else per_endpoint(y_name, y, self.output_names, "output")
        targets = [as_array(target, name) for target, name in zip(given, names)]
        for target, name in zip(targets, names):
            check_same_length(x, target, x_name, name)
        self._objectives.check_targets(targets, shapes, len(x))
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError("`sample_weight` and `class_weight` cannot both be given (Keras' rule). "
                                 "Received both.")
            if len(shapes) > 1:
                raise ValueError(f"`class_weight` is only supported for models with one output; this one has "
                                 f"{len(shapes)}. Pass `sample_weight` instead.")
            sample_weight = class_weight_to_sample_weights(targets[0], class_weight, shapes[0])
        if sample_weight is None:
            return x, Samples(targets)
        return x, Samples(targets), check_sample_weight(sample_weight, len(x), shapes, weight_name)

    def _batches(self, x, y=None, sample_weight=None, class_weight=None, batch_size: int | None = None,
                 shuffle: bool = False, steps: int | None = None, inputs_only: bool = False,
                 names: tuple = ("x", "y", "sample_weight")) -> Batches:
        """The batches of the data of a fit, evaluate or predict, as Keras' ``get_data_adapter``: arrays
        checked once (``_check_data``, or ``_check_inputs`` for ``inputs_only``) and cut into ``batch_size``
        (default 32), or a PyDataset's or a generator's batches, each checked by the same function as it
        comes. ``split_validation`` takes the arrays' ``data`` apart before they are cut."""
        def check(x, y=None, sample_weight=None) -> tuple:
            if inputs_only:
                return (self._check_inputs(x, names[0]),)
            return self._check_data(x, y, sample_weight, class_weight, *names)

        if is_batch_source(x):
            return batch_source(x, check, y, sample_weight, class_weight, batch_size, shuffle, steps)
        return ArrayBatches(check(x, y, sample_weight), batch_size or 32, shuffle, steps)

    # -------------------------------------------------------------- the loops
    def _callbacks(self, callbacks, verbose: int, params: dict, history: History | None = None) -> CallbackList:
        """The callbacks of one fit, evaluate or predict: the user's, then the History, then a ProgbarLogger
        if ``verbose`` and none is there (Keras' order)."""
        callbacks = list(callbacks or [])
        if not distributed.is_chief():  # several processes: rank 0 alone shows progress and writes files
            verbose = 0
            callbacks = [callback for callback in callbacks if not getattr(callback, "writes_files", False)]
        if history is not None:
            callbacks.append(history)
        if verbose and not any(isinstance(callback, ProgbarLogger) for callback in callbacks):
            callbacks.append(ProgbarLogger())
        return CallbackList(callbacks, self, {"verbose": verbose, **params})

    def _run_batches(self, mode: str, batches: Iterator[tuple], step, callbacks: CallbackList,
                     stop=None) -> None:
        """Call ``step(index, batch)`` on each batch between the hooks on_<mode>_batch_begin and _end.

        The end hook gets the running logs (predict: {'outputs': what ``step`` returned}); they are read
        only when some callback takes them. The loop ends early once ``stop()`` is true; ``batches`` is
        closed in any case.
        """
        begin, end = f"on_{mode}_batch_begin", f"on_{mode}_batch_end"
        call_begin, call_end = callbacks.implements(begin), callbacks.implements(end)
        with closing(batches):  # a PyDataset's workers stop here, at the end, on a break or an exception
            for index, batch in enumerate(batches):
                if call_begin:
                    callbacks.call(begin, index, {})
                result = step(index, batch)
                if call_end:
                    callbacks.call(end, index, {"outputs": result} if mode == "predict" else self._logs())
                if stop is not None and stop():
                    break

    def _train_epoch(self, epoch: int, batches: Batches, callbacks: CallbackList, interrupt) -> bool:
        """Run one epoch's steps; False, with a RuntimeWarning, if training must stop before the epoch ends:
        a NaN or infinite loss (that step is not applied) or Ctrl-C (after the current step); False too when
        the epoch got no batch (a generator ran out: it warned)."""
        position = [None]

        def step(index: int, batch: tuple) -> float:
            position[0] = index
            return self.train_step(*batch)

        message = None
        try:
            self._run_batches("train", batches.epoch(), step, callbacks,
                              stop=lambda: self.stop_training or interrupt.requested)
        except NonFiniteError as error:
            message = "Training stopped at {where}: " + str(error) + (
                ". The weights are those from before this step; History holds the completed epochs.")
        except KeyboardInterrupt:
            interrupt.requested = True
        if interrupt.requested and message is None:
            message = ("Training interrupted (KeyboardInterrupt) at {where}. History holds the completed epochs; "
                       "the model is usable.")
        if message is None and position[0] is not None:
            return True
        self.stop_training = True
        if message is not None:
            where = f"epoch {epoch + 1}, step {(position[0] or 0) + 1}" + (f"/{batches.steps}" if batches.steps else "")
            warnings.warn(message.format(where=where), RuntimeWarning, stacklevel=3)
        return False

    def _test_loop(self, batches: Iterator[tuple], callbacks: CallbackList) -> dict[str, float]:
        """Evaluate on the batches between on_test_begin and on_test_end; return the logs."""
        callbacks.call("on_test_begin", {})
        self._reset_metrics()
        self._run_batches("test", batches, lambda index, batch: self.test_step(*batch), callbacks)
        logs = self._logs()
        callbacks.call("on_test_end", logs)
        return logs

    # -------------------------------------------------------------------- fit
    @threads.limiting
    def fit(self, x=None, y=None, batch_size: int | None = None, epochs: int = 1, verbose="auto",
            callbacks=None, validation_split: float = 0.0, validation_data=None, shuffle: bool = True,
            class_weight: dict | None = None, sample_weight=None, initial_epoch: int = 0,
            steps_per_epoch: int | None = None, validation_steps: int | None = None,
            validation_batch_size: int | None = None, validation_freq=1) -> History:
        """Train for ``epochs`` passes over (x, y) in mini-batches; return a History.

        Args:
            x: inputs, (N, *input_shape), or a ``redes.utils.PyDataset`` or a Python generator (any iterator)
                giving batches (x, y) or (x, y, sample_weight); then y and sample_weight are in the batches.
            y: targets, (N, *output_shape) or labels (N,).
            batch_size: samples per step (default 32); None with a PyDataset or a generator.
            epochs: the epoch to end at (0-based count).
            verbose: 0 silent, 1 (or 'auto') a progress bar per epoch, 2 one line per epoch (a ProgbarLogger).
            callbacks: list of Callback. validation_split: fraction of the *last* samples held out
                (with their sample weights); arrays only.
            validation_data: (x_val, y_val) or (x_val, y_val, sample_weight_val), or a PyDataset or a
                generator, evaluated at epoch ends.
            shuffle: reshuffle the training samples at each pass (redes' random generator,
                ``redes.utils.set_random_seed``); a PyDataset's batch order; ignored (Keras' warning) for a generator.
            class_weight: {class index: weight}, for a one-output model: each sample weighs its class's weight
                (1 for a class not given), as Keras' ``class_weight_to_sample_weights``. Not with ``sample_weight``.
            sample_weight: (N,) weights, or (N, steps) for sequence outputs: each sample's loss counts w times
                (Keras' 'sum_over_batch_size': Σ w·loss / batch size), and so does its gradient;
                ``weighted_metrics`` see the weights too.
            initial_epoch: the epoch to start from, e.g. ``model.epochs_completed`` to resume a loaded model.
            steps_per_epoch: batches per epoch (default: one pass); fewer than a pass: the next epoch
                goes on where this one stopped (Keras). A generator without it: an epoch ends when it is
                exhausted, and fit stops (Keras' warning) at the next epoch, which finds it empty; with it,
                each epoch draws that many batches from it. validation_steps: the same for the validation data.
            validation_batch_size: the validation's batch size (default ``batch_size``).
            validation_freq: validate every that many epochs (an int), or at the epochs (1-based) listed.

        A callback may set ``model.stop_training`` (fit ends after that batch) or, in on_train_begin,
        ``model.resume_from_epoch`` (fit starts there: BackupAndRestore). A NaN or infinite loss or gradient
        stops training before that step's update, with a RuntimeWarning naming the epoch and step; Ctrl-C
        stops it after the current step. Either way ``fit`` returns the History of the completed epochs
        and the model stays usable.

        Example:
            >>> history = model.fit(x_train, y_train, batch_size=128, epochs=5, validation_data=(x_test, y_test))
            >>> history.history["val_accuracy"]
        """
        self._require_compiled("fit")
        batch_size = check_positive_int("batch_size", batch_size, allow_none=True)
        epochs = check_non_negative_int("epochs", epochs)
        initial_epoch = check_non_negative_int("initial_epoch", initial_epoch)
        verbose = _resolve_verbose(verbose)
        shuffle = check_bool("shuffle", shuffle)
        steps_per_epoch = check_positive_int("steps_per_epoch", steps_per_epoch, allow_none=True)
        validation_steps = check_positive_int("validation_steps", validation_steps, allow_none=True)
        validation_batch_size = check_positive_int("validation_batch_size", validation_batch_size, allow_none=True)
        validation_freq = _check_validation_freq(validation_freq)
        train = self._batches(x, y, sample_weight, class_weight, batch_size, shuffle, steps_per_epoch)
        validation = None
        if validation_data is not None:
            x_val, y_val, weight_val = unpack_validation_data(validation_data)
            size = validation_batch_size if is_batch_source(x_val) else validation_batch_size or batch_size
            validation = self._batches(x_val, y_val, weight_val, batch_size=size, steps=validation_steps,
                                       names=("x_val", "y_val", "sample_weight_val"))
        elif (parts := split_validation(train, validation_split)) is not None:
            train = ArrayBatches(parts[0], train.batch_size, shuffle, steps_per_epoch)
            validation = ArrayBatches(parts[1], validation_batch_size or train.batch_size, steps=validation_steps)

        if distributed.active():
            self._synchronize_ranks()
        history = History()
        callback_list = self._callbacks(callbacks, verbose, {"epochs": epochs, "steps": train.steps}, history)
        self.stop_training = False
        self.resume_from_epoch = None
        callback_list.call("on_train_begin", {})
        start = initial_epoch if self.resume_from_epoch is None else self.resume_from_epoch
        training_logs: dict = {}
        with deferred_interrupt() as interrupt, distributed.ending_every_rank_on_error():
            self._interrupt = interrupt  # several processes stop at the same step: see _step_on_shard
            for epoch in range(start, epochs):
                self._reset_metrics()
                callback_list.call("on_epoch_begin", epoch, {})
                if not self._train_epoch(epoch, train, callback_list, interrupt):
                    break
                logs = self._logs()
                if validation is not None and _validates(epoch, validation_freq):
                    val_logs = self._test_loop(validation.epoch(), callback_list)
                    logs.update({f"val_{key}": value for key, value in val_logs.items()})
                self.epochs_completed = epoch + 1
                callback_list.call("on_epoch_end", epoch, logs)
                training_logs = logs
                if self.stop_training:
                    break
        self._interrupt = None
        if epochs > 0:  # as Keras: with use_ema, the variables take their moving averages
            self.optimizer.finalize_variable_values(self.trainable_weights)
        callback_list.call("on_train_end", training_logs)
        self.history = history
        return history

    # ---------------------------------------------------------- evaluate, predict
    @threads.limiting
    def evaluate(self, x=None, y=None, batch_size: int | None = None, verbose="auto", sample_weight=None,
                 steps: int | None = None, callbacks=None, return_dict: bool = False):
        """Loss and metrics on (x, y) in inference mode: a float, or [loss, *metrics] when metrics are set.

        Args:
            x, y: as ``fit`` (a PyDataset or a generator too). batch_size: samples per step (default 32).
            verbose: 0 silent, 1 (or 'auto') a progress bar.
            sample_weight: (N,) or (N, steps) weights of the samples' losses (and of the weighted metrics).
            steps: evaluate only the first that many batches. callbacks: their on_test_* hooks are called.
            return_dict: return the logs as a dict {'loss': …, '<metric>': …}.
        """
        self._require_compiled("evaluate")
        batch_size = check_positive_int("batch_size", batch_size, allow_none=True)
        steps = check_positive_int("steps", steps, allow_none=True)
        batches = self._batches(x, y, sample_weight, batch_size=batch_size, steps=steps)
        callback_list = self._callbacks(callbacks, _resolve_verbose(verbose), {"epochs": 1, "steps": batches.steps})
        with distributed.ending_every_rank_on_error(), self._folded_for_inference(batches):
            logs = self._test_loop(batches.epoch(), callback_list)
        return logs if return_dict else _flatten(logs)

    @threads.limiting
    def predict(self, x, batch_size: int | None = None, verbose=0, steps: int | None = None, callbacks=None):
        """Outputs for ``x`` in inference mode, in batches: an array (N, *output_shape), a list for several outputs.

        Args:
            x: inputs, (N, *input_shape), or a PyDataset or a generator whose batches are x, (x,) or
                (x, y, ...): their x is read. batch_size: samples per step (default 32).
            verbose: 0 (the default here) silent, 1 or 'auto' a progress bar.
            steps: predict only the first that many batches (the result then has their samples only).
            callbacks: their on_predict_* hooks are called; on_predict_batch_end's logs hold
                {'outputs': the batch's predictions}.
        """
        batch_size = check_positive_int("batch_size", batch_size, allow_none=True)
        steps = check_positive_int("steps", steps, allow_none=True)
        batches = self._batches(x, batch_size=batch_size, steps=steps, inputs_only=True)
        callback_list = self._callbacks(callbacks, _resolve_verbose(verbose), {"epochs": 1, "steps": batches.steps})
        outputs: list[list] = []

        def step(index: int, batch: tuple):
            parts = self.predict_step(*batch)
            outputs.append(parts)
            return parts if len(parts) > 1 else parts[0]

        callback_list.call("on_predict_begin", {})
        with self._folded_for_inference(batches):
            self._run_batches("predict", batches.epoch(), step, callback_list)
        callback_list.call("on_predict_end", {})
        if not outputs:
            raise ValueError("`predict` received no batch: the generator was exhausted.")
        results = [xp.concatenate(parts) for parts in zip(*outputs)]
        return results if len(results) > 1 else results[0]

    @threads.limiting
    def train_on_batch(self, x, y, sample_weight=None, class_weight: dict | None = None, return_dict: bool = False):
        """One training step on one batch, metrics reset first (Keras): the loss, or [loss, *metrics] when
        metrics are set, or the logs as a dict with ``return_dict``. A NaN loss raises NonFiniteError
        (the weights unchanged). ``sample_weight`` and ``class_weight`` as in ``fit``."""
        self._require_compiled("train_on_batch")
        data = self._check_data(x, y, sample_weight, class_weight)
        self._reset_metrics()
        self.train_step(*data)
        return self._batch_result(return_dict)

    @threads.limiting
    def test_on_batch(self, x, y, sample_weight=None, return_dict: bool = False):
        """Loss and metrics of one batch in inference mode (metrics reset first), returned as ``train_on_batch``."""
        self._require_compiled("test_on_batch")
        data = self._check_data(x, y, sample_weight)
        self._reset_metrics()
        self.test_step(*data)
        return self._batch_result(return_dict)

    @threads.limiting
    def predict_on_batch(self, x):
        """The outputs for one batch ``x`` in inference mode: an array, or a list for several outputs."""
        outputs = self.predict_step(self._check_inputs(x))
        return outputs if len(outputs) > 1 else outputs[0]

    def _batch_result(self, return_dict: bool):
        logs = self._logs()
        return logs if return_dict else _flatten(logs)

    # ------------------------------------------------------------------ saving
    def to_json(self, **kwargs) -> str:
        """The architecture as JSON (Keras' ``to_json``); ``redes.models.model_from_json`` rebuilds it.
        ``kwargs`` go to ``json.dumps`` (e.g. ``indent=2``)."""
        return json.dumps(saving.serialize(self), **kwargs)

    def save(self, path) -> None:
        """Save architecture, weights, compile configuration, optimizer and training state to one file.

        The write is atomic; ``redes.load_model(path)`` rebuilds the model (see ``redes.saving``).
        """
        saving.save_model(self, path)

    def to_keras(self, compile: bool = True):
        """This model as a Keras 3 model (Keras installed): the same architecture, weights and, if ``compile``,
        compile arguments and optimizer state (``redes.keras_format.to_keras``). ``redes.from_keras`` goes back."""
        from ..keras_format import to_keras
        return to_keras(self, compile)

    def save_weights(self, path) -> None:
        """Save only the weights (atomically); ``load_weights`` reads them back into the same architecture."""
        saving.save_weights(self, path)

    def load_weights(self, path) -> None:
        """Load weights written by ``save_weights`` or ``save``; every array's shape is checked first."""
        saving.load_weights(self, path)


def _moving_statistics(layer) -> list:
    """The non-trainable float weights that training changes (BatchNormalization's moving statistics): those of
    the trainable layers; a frozen layer's never change, so several processes need not average them."""
    if not layer.trainable:
        return []
    children = layer._children()
    inside = {id(w) for child in children for w in child.weights}
    own = [w for w in layer.non_trainable_weights if w.dtype.kind == "f" and id(w) not in inside]
    return [*own, *(w for child in children for w in _moving_statistics(child))]


def _synchronized_layers(layer) -> list:
    """The layers inside ``layer`` whose forward is a collective over the ranks (synchronized BatchNormalization)."""
    return [inner for child in layer._children() for inner in [child, *_synchronized_layers(child)]
            if getattr(inner, "synchronized", False)]


def _serialize_nested(value):
    """A loss or metric, or a list (of lists) of them, one per output of a functional model."""
    return [_serialize_nested(item) for item in value] if isinstance(value, list) else serialization.serialize(value)


def _deserialize_nested(spec, kind: str):
    if spec is None or isinstance(spec, str):  # a name, as compile takes it
        return spec
    if isinstance(spec, list):
        return [_deserialize_nested(item, kind) for item in spec]
    return serialization.deserialize(spec, kind=kind)


def _resolve_verbose(verbose) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(f"`verbose` must be 0, 1, 2 or 'auto'. Received: verbose={verbose!r}")
    return int(verbose)


def _check_validation_freq(validation_freq):
    """A positive int (validate every that many epochs) or a list of 1-based epochs, as Keras."""
    if isinstance(validation_freq, (list, tuple, set)):
        return [check_positive_int("validation_freq", epoch) for epoch in validation_freq]
    if isinstance(validation_freq, bool) or not isinstance(validation_freq, int):
        raise TypeError("`validation_freq` must be a positive int or a list of epochs. "
                        f"Received: validation_freq={validation_freq!r}")
    return check_positive_int("validation_freq", validation_freq)


def _validates(epoch: int, validation_freq) -> bool:
    """Whether the (0-based) ``epoch`` ends with a validation (Keras' ``_should_eval``)."""
    if isinstance(validation_freq, list):
        return epoch + 1 in validation_freq
    return (epoch + 1) % validation_freq == 0


def _flatten(logs: dict[str, float]):
    """The logs as ``evaluate`` returns them without ``return_dict``: the loss alone, or a list of all values."""
    values = list(logs.values())
    return values[0] if len(values) == 1 else values
