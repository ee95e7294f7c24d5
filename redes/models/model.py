"""Model: what every model shares — weights of all its layers, compile, fit, evaluate, predict."""

from __future__ import annotations

import json
import math
import time
import warnings

from tqdm.auto import tqdm

from .. import optimizers as optimizers_module
from .. import saving
from ..backend import rng, xp
from ..callbacks import CallbackList, History
from ..layers.base import Layer, format_shape, same_shape
from ..layers.container import LayerContainer
from ..tensor import Tensor4D
from ..utils import deferred_interrupt
from ..validation import check_bool, check_non_negative_int, check_positive_int
from ._validation import Samples, as_array, check_input_shape, check_same_length, per_endpoint, split_validation
from .objectives import Objectives
from .summary import print_summary


class NonFiniteError(FloatingPointError):
    """A training step met a NaN or infinite loss or gradient; the step was not applied."""


class Model(LayerContainer):
    """Base class of models. A model is a layer too, so models nest.

    Subclasses define ``layers``, ``forward``, ``backward`` and ``build``; the layers' weights and
    gradients are gathered by ``LayerContainer``; this class runs training.
    ``Model(inputs, outputs)`` builds a ``Functional`` model from a graph of layer calls.

    Shapes: ``fit``, ``evaluate`` and ``predict`` take x as (N, features) or images (N, H, W, C) in NHWC,
    y as labels (N,) or one-hot / targets (N, ...); ``predict`` returns (N, ...) of the output layer.

    Example:
        >>> from redes import layers
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
        self.stop_training = False
        self.history: History | None = None
        self.epochs_completed = 0

    # ------------------------------------------------------------------ layers
    @property
    def layers(self) -> list[Layer]:
        raise NotImplementedError

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
        raise NotImplementedError

    # ------------------------------------------------------------------ compile
    @property
    def output_names(self) -> list[str]:
        """The output layers' names: the keys of ``loss``, ``loss_weights`` and ``metrics`` dicts, and of the logs."""
        return [self.layers[-1].name] if self.layers else [self.name]

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None) -> None:
        """Choose the optimizer, the loss(es) and the metrics (names or objects, as in Keras).

        Args:
            optimizer: name or Optimizer.
            loss: one loss for every output, or (several outputs) a list with one per output or a dict
                keyed by output layer name (``output_names``).
            metrics: a list of metrics; with several outputs a list of such lists, one per output, or a
                dict {output name: metric or list of metrics}.
            loss_weights: with several outputs, a list or dict of floats: the loss minimized is
                Σₖ wₖ·Lₖ (+ regularization); the logs show each unweighted Lₖ as '<output>_loss'.

        Example:
            >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        """
        self._objectives = Objectives(loss, metrics, loss_weights, self.output_names)
        self.optimizer = optimizers_module.get(optimizer)
        several = len(self.output_names) > 1
        self.loss = list(self._objectives.losses) if several else self._objectives.losses[0]
        self.metrics = self._objectives.metrics if several else self._objectives.metrics[0]
        self.loss_weights = list(self._objectives.weights) if several else None

    def _require_compiled(self, method: str) -> None:
        if self.loss is None:
            raise RuntimeError(f"You must call compile() before {method}(), e.g. model.compile('adam', 'mse').")

    # ------------------------------------------------------------- train steps
    @property
    def _output_shapes(self) -> list[tuple]:
        """The output feature shapes, one per output."""
        return self.output_shape if isinstance(self.output_shape, list) else [self.output_shape]

    def _compute_loss(self, targets: list, outputs: list[Tensor4D], with_gradient: bool):
        """Loss value Σₖ wₖ·Lₖ (with regularization) and, if asked, each dL/d(outputₖ) for one batch.

        After a softmax/sigmoid output with a cross-entropy loss, the loss is computed from the
        output's logits and the gradient is taken w.r.t. them (a LogitsGradient), as Keras does
        (see ``objectives.output_loss``).
        """
        value, grads = self._objectives.compute(targets, outputs, self._output_shapes, with_gradient)
        regularization = self.losses
        if regularization:
            value += sum(regularization)
        return value, grads

    def _run(self, x, training: bool) -> list[Tensor4D]:
        """The outputs of a forward pass on the batch ``x``, one Tensor4D per output."""
        outputs = self.forward(self._input_tensor(x), training=training)
        return outputs if isinstance(outputs, list) else [outputs]

    def train_step(self, x, y) -> float:
        """One optimizer step on one batch; updates the loss tracker and metrics.

        Raises NonFiniteError, before any weight changes, if the loss or a gradient is NaN or infinite.
        """
        targets = self._targets(y, len(x))
        outputs = self._run(x, training=True)
        value, grads = self._compute_loss(targets, outputs, with_gradient=True)
        if not math.isfinite(value):
            raise NonFiniteError(f"the loss is {value}")
        self._backward(grads if len(grads) > 1 else grads[0])
        gradients = self.gradients
        if not all(xp.isfinite(g).all() for g in gradients):
            raise NonFiniteError(f"the loss is {value:.6g} but a gradient holds NaN or infinite values")
        scale = self.optimizer.loss_scale_factor
        if scale is not None:  # Keras scales the loss; by linearity, the same as scaling the gradients
            gradients = [g * scale for g in gradients]
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        self._objectives.update(targets, outputs, self._output_shapes, value)
        return value

    def test_step(self, x, y) -> float:
        targets = self._targets(y, len(x))
        outputs = self._run(x, training=False)
        value, _ = self._compute_loss(targets, outputs, with_gradient=False)
        self._objectives.update(targets, outputs, self._output_shapes, value)
        return value

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

    def _check_data(self, x, y, x_name: str = "x", y_name: str = "y"):
        """(x, y) checked once per call of fit or evaluate: y as Samples, one target array per output."""
        x = self._check_inputs(x, x_name)
        shapes = self._output_shapes
        names = [y_name] if len(shapes) == 1 else [f"{y_name}[{k}]" for k in range(len(shapes))]
        given = [y] if len(shapes) == 1 else per_endpoint(y_name, y, self.output_names, "output")
        targets = [as_array(target, name) for target, name in zip(given, names)]
        for target, name in zip(targets, names):
            check_same_length(x, target, x_name, name)
        self._objectives.check_targets(targets, shapes, len(x))
        return x, Samples(targets)

    # -------------------------------------------------------------------- fit
    def fit(self, x=None, y=None, batch_size: int | None = None, epochs: int = 1, verbose="auto",
            callbacks=None, validation_split: float = 0.0, validation_data=None, shuffle: bool = True,
            initial_epoch: int = 0) -> History:
        """Train for ``epochs`` passes over (x, y) in mini-batches; return a History.

        Args:
            x: inputs, (N, *input_shape). y: targets, (N, *output_shape) or labels (N,).
            batch_size: samples per step (default 32). epochs: passes over the data.
            verbose: 0 silent, 1 (or 'auto') a progress bar per epoch, 2 one line per epoch.
            callbacks: list of Callback. validation_split: fraction of the *last* samples held out.
            validation_data: (x_val, y_val), evaluated at each epoch's end. shuffle: reshuffle each epoch.
            initial_epoch: the epoch to start from, e.g. ``model.epochs_completed`` to resume a loaded model.

        A NaN or infinite loss or gradient stops training before that step's update, with a RuntimeWarning
        naming the epoch and step; Ctrl-C stops it after the current step. Either way ``fit`` returns the
        History of the completed epochs and the model stays usable.

        Example:
            >>> history = model.fit(x_train, y_train, batch_size=128, epochs=5, validation_data=(x_test, y_test))
            >>> history.history["val_accuracy"]
        """
        self._require_compiled("fit")
        x, y = self._check_data(x, y)
        batch_size = check_positive_int("batch_size", batch_size, allow_none=True) or 32
        epochs = check_non_negative_int("epochs", epochs)
        initial_epoch = check_non_negative_int("initial_epoch", initial_epoch)
        verbose = _resolve_verbose(verbose)
        shuffle = check_bool("shuffle", shuffle)
        x, y, validation = split_validation(x, y, validation_split, validation_data, self._check_data)

        history = History()
        steps = -(-len(x) // batch_size)
        params = {"epochs": epochs, "steps": steps, "batch_size": batch_size, "verbose": verbose}
        callback_list = CallbackList([*(callbacks or []), history], self, params)
        self.stop_training = False
        callback_list.call("on_train_begin", None)
        logs: dict = {}
        with deferred_interrupt() as interrupt:
            for epoch in range(initial_epoch, epochs):
                callback_list.call("on_epoch_begin", epoch, None)
                started = time.perf_counter()
                bar = tqdm(total=steps, desc=f"Epoch {epoch + 1}/{epochs}", unit="step", disable=verbose != 1,
                           dynamic_ncols=True)
                completed = self._train_epoch(epoch, x, y, batch_size, steps, shuffle, callback_list, bar, interrupt)
                if not completed:
                    bar.close()
                    break
                logs = self._logs()
                if validation is not None:
                    logs.update({f"val_{key}": value
                                 for key, value in self._evaluate(*validation, batch_size).items()})
                bar.set_postfix_str(_format_logs(logs))
                bar.close()
                if verbose == 2:
                    print(f"Epoch {epoch + 1}/{epochs} - {time.perf_counter() - started:.1f}s - {_format_logs(logs)}")
                self.epochs_completed = epoch + 1
                callback_list.call("on_epoch_end", epoch, logs)
                if self.stop_training:
                    break
        if epochs > 0:  # as Keras: with use_ema, the variables take their moving averages
            self.optimizer.finalize_variable_values(self.trainable_weights)
        callback_list.call("on_train_end", logs)
        self.history = history
        return history

    def _train_epoch(self, epoch: int, x, y, batch_size: int, steps: int, shuffle: bool, callback_list,
                     bar, interrupt) -> bool:
        """Run one epoch's steps; False if training must stop before the epoch ends.

        The data are shuffled through an index permutation: each step gathers only its batch.
        A NaN or infinite loss (the step is not applied) or Ctrl-C (after the step) stops training.
        """
        self._reset_metrics()
        order = rng().permutation(len(x)) if shuffle else None
        batch_begin = callback_list.implements("on_train_batch_begin")
        batch_end = callback_list.implements("on_train_batch_end")
        shown = not bar.disable  # the running logs are read and formatted only if shown or a callback takes them
        for step in range(steps):
            where = f"epoch {epoch + 1}, step {step + 1}/{steps}"
            try:
                if batch_begin:
                    callback_list.call("on_train_batch_begin", step, None)
                batch = slice(step * batch_size, (step + 1) * batch_size)
                index = order[batch] if order is not None else batch
                self.train_step(x[index], y[index])
                bar.update(1)
                if shown or batch_end:
                    logs = self._logs()
                    if shown:
                        bar.set_postfix_str(_format_logs(logs), refresh=False)
                    if batch_end:
                        callback_list.call("on_train_batch_end", step, logs)
            except NonFiniteError as error:
                self.stop_training = True
                warnings.warn(f"Training stopped at {where}: {error}. The weights are those from before this "
                              "step; History holds the completed epochs.", RuntimeWarning, stacklevel=3)
                return False
            except KeyboardInterrupt:
                interrupt.requested = True
            if interrupt.requested:
                self.stop_training = True
                warnings.warn(f"Training interrupted (KeyboardInterrupt) at {where}. History holds the completed "
                              "epochs; the model is usable.", RuntimeWarning, stacklevel=3)
                return False
            if self.stop_training:
                break
        return True

    # ---------------------------------------------------------- evaluate, predict
    def _evaluate(self, x, y, batch_size: int, verbose: int = 0) -> dict[str, float]:
        self._reset_metrics()
        steps = -(-len(x) // batch_size)
        for start in tqdm(range(0, len(x), batch_size), total=steps, desc="Evaluate", unit="step",
                          disable=verbose != 1, dynamic_ncols=True):
            self.test_step(x[start:start + batch_size], y[start:start + batch_size])
        return self._logs()

    def evaluate(self, x=None, y=None, batch_size: int | None = None, verbose="auto", return_dict: bool = False):
        """Loss and metrics on (x, y) in inference mode: a float, or [loss, *metrics] when metrics are set."""
        self._require_compiled("evaluate")
        x, y = self._check_data(x, y)
        batch_size = check_positive_int("batch_size", batch_size, allow_none=True) or 32
        logs = self._evaluate(x, y, batch_size, _resolve_verbose(verbose))
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size: int | None = None, verbose: int = 0):
        """Outputs for ``x`` in inference mode, in batches: an array (N, *output_shape), a list for several outputs."""
        x = self._check_inputs(x)
        batch_size = check_positive_int("batch_size", batch_size, allow_none=True) or 32
        shapes = self._output_shapes
        results = None
        for start in tqdm(range(0, len(x), batch_size), desc="Predict", unit="step",
                          disable=_resolve_verbose(verbose) != 1, dynamic_ncols=True):
            batch = [output.to_natural(shape) for output, shape in zip(self._run(x[start:start + batch_size],
                                                                                 training=False), shapes)]
            if results is None:
                results = [xp.empty((len(x),) + part.shape[1:], dtype=part.dtype) for part in batch]
            for result, part in zip(results, batch):
                result[start:start + len(part)] = part
        return results if len(results) > 1 else results[0]

    def train_on_batch(self, x, y) -> float:
        """One training step on one batch; returns the batch's loss (NonFiniteError, weights unchanged, if NaN)."""
        self._require_compiled("train_on_batch")
        x, y = self._check_data(x, y)
        self._reset_metrics()
        return self.train_step(x, y)


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

    def save_weights(self, path) -> None:
        """Save only the weights (atomically); ``load_weights`` reads them back into the same architecture."""
        saving.save_weights(self, path)

    def load_weights(self, path) -> None:
        """Load weights written by ``save_weights`` or ``save``; every array's shape is checked first."""
        saving.load_weights(self, path)


def _resolve_verbose(verbose) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(f"`verbose` must be 0, 1, 2 or 'auto'. Received: verbose={verbose!r}")
    return int(verbose)


def _format_logs(logs: dict[str, float]) -> str:
    return " - ".join(f"{key}: {value:.4f}" for key, value in logs.items())
